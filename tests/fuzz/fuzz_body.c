/* libFuzzer target: any bytes as the body of a user or group POST/PATCH, through the JSON body
 * decoder (api/edge.c), the directory's field parser against the real property tables
 * (api/body_fields.c with db/directory_schema.h), the @odata.id reference parser and the UPN rules
 * (service/base/upn.c). The invariants: a parsed text field is UTF-8 within its property's
 * length, and nothing leaks or overruns (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/body_fields.h"
#include "api/edge.h"
#include "service/base/text.h"
#include "service/base/upn.h"

/* The same tables db/users.c and db/groups.c build from the schema macros. */
static const struct db_property users[] = {USER_PROPERTIES(DB_PROPERTY_ROW)};
static const struct db_property groups[] = {GROUP_PROPERTIES(DB_PROPERTY_ROW)};
static const char *const user_extra[] = {"passwordProfile", "proxyAddresses", NULL};
static const char *const group_extra[] = {"members@odata.bind", "owners@odata.bind", NULL};

/* What api/http.c does with the body: here without a server. */
json_t *api_parse_body(const struct api_request *req, struct lic_error *err)
{
    return edge_json_object(req->body, req->body_len, err);
}

static int accept_all(json_t *j_body, const struct parsed_fields *p, int creating,
                      struct lic_error *err)
{
    (void)j_body, (void)p, (void)creating, (void)err;
    return 0;
}

static void check(const struct db_property *props, int n, const struct parsed_fields *p)
{
    for (int i = 0; i < n; i++) {
        const char *v = p->f.set[i] ? p->f.value[i] : NULL;
        if (v == NULL || props[i].kind != PROP_TEXT)
            continue;
        if (!utf8_is_valid(v) || strlen(v) > (size_t)props[i].max_chars * 4)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size + 1);
    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    struct api_request req = {.body = body, .body_len = size};
    const struct body_spec specs[] = {
        {users, (int)(sizeof(users) / sizeof(users[0])), user_extra, "user", accept_all},
        {groups, (int)(sizeof(groups) / sizeof(groups[0])), group_extra, "group", accept_all},
    };
    for (int s = 0; s < 2; s++)
        for (int creating = 0; creating < 2; creating++) {
            struct parsed_fields p;
            struct lic_error err;
            json_t *j_body = body_fields_parse(&req, &specs[s], creating, &p, &err);
            if (j_body != NULL) {
                check(specs[s].props, specs[s].nprops, &p);
                if (s == 0 && p.f.set[UCOL_UPN])
                    (void)upn_check(p.f.value[UCOL_UPN], NULL, 0);
                const char *ref = json_string_value(json_object_get(j_body, "@odata.id"));
                char id[GUID_SIZE];
                if (ref != NULL && body_ref_id(ref, id, &err) == 0 && !guid_valid(id))
                    abort();
            }
            json_decref(j_body);
            body_fields_free(&p);
        }
    free(body);
    return 0;
}
