/* /licensing/servicePlans (extension): list, get and PATCH of a plan's names and rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/catalog.h"
#include "service/base/country.h"
#include "service/catalog.h"
#include "api/auth.h"
#include "api/metadata.h"
#include "api/catalog.h"
#include "api/odata.h"

#define MAX_COUNTRIES 300

const char *const api_plan_props[] = {"id",
                                      "name",
                                      "displayName",
                                      "service",
                                      "appliesTo",
                                      "provisionsMailbox",
                                      "conflictsWith",
                                      "requiresAnyOf",
                                      "unavailableInCountries",
                                      NULL};

static json_t *plan_json(const struct db_plan *p)
{
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:b, s:o, s:o, s:o}", "id", p->id, "name",
                     p->name, "displayName", p->display_name, "service", p->service, "appliesTo",
                     p->applies_to, "provisionsMailbox", p->provisions_mailbox, "conflictsWith",
                     catalog_split_list(p->conflicts), "requiresAnyOf",
                     catalog_split_list(p->requires), "unavailableInCountries",
                     catalog_split_list(p->countries));
}

static void reply_plan(const struct api_app *app, const struct api_request *req,
                       struct api_response *res, const struct db_plan *plan, uint64_t mask)
{
    api_catalog_reply_entity(app, req, res, 200, "licensing/servicePlans", plan_json(plan),
                             api_plan_props, mask);
}

static int plan_id_param(const struct api_request *req, char id[GUID_SIZE], struct lic_error *err)
{
    return guid_normalize(req->params.values[0], id) == 0
               ? 0
               : catalog_not_found(req->params.values[0], err);
}

/* $top, $select and the keyset position (name, id) of $skiptoken. */
static int list_options(const struct api_request *req, int *top, uint64_t *mask,
                        char name[ODATA_KEY_PART_MAX], char id[GUID_SIZE], struct lic_error *err)
{
    char parts[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    const char *token = api_query(req, "$skiptoken");
    name[0] = id[0] = '\0';
    if (odata_parse_select(api_query(req, "$select"), api_plan_props,
                           "microsoft.graph.licensing.servicePlan", mask, err) != 0 ||
        odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, top, err) != 0)
        return -1;
    if (token == NULL)
        return 0;
    if (odata_skiptoken_decode(token, parts, ODATA_KEY_PARTS, err) != 2 ||
        guid_normalize(parts[1], id) != 0) {
        id[0] = '\0';
        if (err->kind != LIC_OK)
            return -1;
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    }
    snprintf(name, ODATA_KEY_PART_MAX, "%s", parts[0]);
    return 0;
}

API_HANDLER(api_plans_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    int top = 0;
    char after_name[ODATA_KEY_PART_MAX], after_id[GUID_SIZE];
    if (list_options(req, &top, &mask, after_name, after_id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = api_catalog_acquire(app, res);
    if (conn == NULL)
        return;
    struct db_plan *plans = NULL;
    int n = 0;
    if (db_plans_list(conn, after_id[0] ? after_name : NULL, after_id[0] ? after_id : NULL, top + 1,
                      &plans, &n, &err) == 0) {
        json_t *j_items = json_array();
        for (int i = 0; i < n && i < top; i++) {
            json_t *j_plan = plan_json(&plans[i]);
            odata_apply_select(j_plan, api_plan_props, mask);
            json_array_append_new(j_items, j_plan);
        }
        const char *key[] = {n > top ? plans[top - 1].name : NULL,
                             n > top ? plans[top - 1].id : NULL};
        odata_reply_page(app, req, res, "licensing/servicePlans", j_items, -1, n > top ? key : NULL,
                         2);
    }
    db_plans_free(plans, n);
    api_catalog_finish(app, conn, res, &err);
}

API_HANDLER(api_plan_get)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    char id[GUID_SIZE];
    if (odata_parse_select(api_query(req, "$select"), api_plan_props,
                           "microsoft.graph.licensing.servicePlan", &mask, &err) != 0 ||
        plan_id_param(req, id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = api_catalog_acquire(app, res);
    if (conn == NULL)
        return;
    struct db_plan plan;
    int found = db_plan_get(conn, id, 0, &plan, &err);
    if (found == DB_CATALOG_NONE)
        catalog_not_found(id, &err);
    if (found == 0) {
        reply_plan(app, req, res, &plan, mask);
        db_plan_free(&plan);
    }
    api_catalog_finish(app, conn, res, &err);
}

/* A PATCH body: the service's patch and the arrays it points into. */
struct plan_body {
    struct catalog_plan_patch patch;
    struct api_guid_list guids[PLAN_COUNTRIES]; /* conflictsWith, requiresAnyOf */
    const char **countries;                     /* owned; strings point into the body */
};

static void plan_body_free(struct plan_body *b)
{
    for (int l = 0; l < PLAN_COUNTRIES; l++)
        api_catalog_guids_free(&b->guids[l]);
    free(b->countries);
}

static int parse_countries(json_t *j_value, struct plan_body *b, struct lic_error *err)
{
    if (!json_is_array(j_value) || json_array_size(j_value) > MAX_COUNTRIES)
        return api_catalog_bad(err, "'%s' must be an array of ISO 3166-1 alpha-2 codes.",
                               catalog_plan_list_name(PLAN_COUNTRIES));
    b->countries = calloc(json_array_size(j_value) + 1, sizeof(*b->countries));
    if (b->countries == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    size_t i;
    json_t *j_code;
    json_array_foreach(j_value, i, j_code)
    {
        if (!country_is_valid(json_string_value(j_code)))
            return lic_error_set(
                err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                "unavailableInCountries holds '%.32s', which is not an ISO 3166-1 alpha-2 country "
                "code (two upper-case letters, e.g. \"GB\").",
                json_is_string(j_code) ? json_string_value(j_code) : "(not text)");
        b->countries[b->patch.counts[PLAN_COUNTRIES]++] = json_string_value(j_code);
    }
    b->patch.lists[PLAN_COUNTRIES] = b->countries;
    return 0;
}

/* conflictsWith or requiresAnyOf: GUIDs, none of them the plan itself. */
static int parse_plan_ids(json_t *j_value, enum plan_list l, const char *self, struct plan_body *b,
                          struct lic_error *err)
{
    struct api_guid_list *g = &b->guids[l];
    if (api_catalog_parse_guids(j_value, catalog_plan_list_name(l), g, err) != 0)
        return -1;
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->ids[i], self) == 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 l == PLAN_CONFLICTS ? "A service plan cannot conflict with itself "
                                                       "('%s' in conflictsWith)."
                                                     : "A service plan cannot require itself "
                                                       "('%s' in requiresAnyOf).",
                                 self);
    b->patch.lists[l] = g->ptrs;
    b->patch.counts[l] = g->n;
    return 0;
}

static int parse_plan_field(const char *key, json_t *j_value, const char *self, struct plan_body *b,
                            struct lic_error *err)
{
    struct catalog_plan_patch *p = &b->patch;
    for (int l = 0; l < PLAN_LIST_COUNT; l++)
        if (strcmp(key, catalog_plan_list_name((enum plan_list)l)) == 0)
            return l == PLAN_COUNTRIES ? parse_countries(j_value, b, err)
                                       : parse_plan_ids(j_value, (enum plan_list)l, self, b, err);
    if (strcmp(key, "name") == 0) {
        p->name = json_string_value(j_value);
        if (p->name == NULL || p->name[0] == '\0' || strlen(p->name) > 256)
            return api_catalog_bad(err, "'%s' must be a string of 1 to 256 characters.", key);
    } else if (strcmp(key, "displayName") == 0) {
        if (!json_is_null(j_value) &&
            (!json_is_string(j_value) || json_string_length(j_value) > 256))
            return api_catalog_bad(err, "'%s' must be a string of at most 256 characters or null.",
                                   key);
        p->set_display = 1;
        p->display_name = json_is_null(j_value) ? "" : json_string_value(j_value);
    } else if (strcmp(key, "provisionsMailbox") == 0) {
        if (!json_is_boolean(j_value))
            return api_catalog_bad(err, "'%s' must be true or false.", key);
        p->mailbox = json_is_true(j_value);
    } else {
        return api_catalog_bad(
            err, "Property '%.64s' does not exist on type 'servicePlan' or cannot be set.", key);
    }
    return 0;
}

API_HANDLER(api_plan_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    struct plan_body body = {.patch.mailbox = -1};
    json_t *j_body = NULL;
    if (plan_id_param(req, id, &err) == 0 && (j_body = api_parse_body(req, &err)) != NULL) {
        const char *key;
        json_t *j_value;
        json_object_foreach(j_body, key, j_value)
        {
            if (parse_plan_field(key, j_value, id, &body, &err) != 0)
                break;
        }
    }
    struct db_plan plan;
    if (err.kind == LIC_OK &&
        catalog_plan_update(app->pool, API_ACTOR(req), id, &body.patch, &plan, &err) == 0) {
        reply_plan(app, req, res, &plan, 0);
        db_plan_free(&plan);
    } else {
        api_reply_error(res, &err);
    }
    plan_body_free(&body);
    json_decref(j_body);
}
