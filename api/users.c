/* /v1.0/users: list, $count, get by id or userPrincipalName, create, update, delete, memberOf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/queue.h"
#include "service/base/country.h"
#include "api/directory.h"

static const struct field_spec user_spec[] = {
    {"userPrincipalName", UF_UPN, FT_STRING, 1, 113},
    {"displayName", UF_DISPLAY_NAME, FT_STRING, 1, 256},
    {"mailNickname", UF_MAIL_NICKNAME, FT_STRING, 1, 64},
    {"accountEnabled", UF_ACCOUNT_ENABLED, FT_BOOL, 1, 0},
    {"givenName", UF_GIVEN_NAME, FT_NULLABLE, 0, 64},
    {"surname", UF_SURNAME, FT_NULLABLE, 0, 64},
    {"mail", UF_MAIL, FT_NULLABLE, 0, 256},
    {"jobTitle", UF_JOB_TITLE, FT_NULLABLE, 0, 128},
    {"department", UF_DEPARTMENT, FT_NULLABLE, 0, 64},
    {"mobilePhone", UF_MOBILE_PHONE, FT_NULLABLE, 0, 64},
    {"officeLocation", UF_OFFICE_LOCATION, FT_NULLABLE, 0, 128},
    {"preferredLanguage", UF_PREFERRED_LANGUAGE, FT_NULLABLE, 0, 16},
    {"businessPhones", UF_BUSINESS_PHONES, FT_STRINGS, 0, 64},
    {"usageLocation", UF_USAGE_LOCATION, FT_NULLABLE, 0, 2},
    {NULL, 0, FT_STRING, 0, 0},
};
/* Handled here: passwordProfile (never stored in clear: not stored at all), and proxyAddresses,
 * read-only in Graph and accepted as an extension because directory sync sets it. */
static const char *const user_extra[] = {"passwordProfile", "proxyAddresses", NULL};

static int validate_user(json_t *j_body, const struct parsed_fields *p, int creating,
                         struct lic_error *err)
{
    const char *upn = p->f.value[UF_UPN];
    if (p->f.set[UF_UPN]) {
        const char *at = strchr(upn, '@');
        if (at == NULL || at == upn || at[1] == '\0' || strchr(at + 1, '@') ||
            strpbrk(upn, " \t\"(),:;<>[\\]") != NULL)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Invalid value specified for property 'userPrincipalName' of "
                                 "resource 'User'.");
    }
    const char *nick = p->f.value[UF_MAIL_NICKNAME];
    if (p->f.set[UF_MAIL_NICKNAME] && strpbrk(nick, " @()\\[]\";:<>,") != NULL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid value specified for property 'mailNickname' of resource "
                             "'User'.");
    if (p->f.set[UF_USAGE_LOCATION] && p->f.value[UF_USAGE_LOCATION] != NULL &&
        !country_is_valid(p->f.value[UF_USAGE_LOCATION]))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid value specified for property 'usageLocation' of resource "
                             "'User': '%s' is not an ISO 3166 alpha-2 country code.",
                             p->f.value[UF_USAGE_LOCATION]);
    json_t *j_pw = json_object_get(j_body, "passwordProfile");
    if (creating || j_pw != NULL) {
        json_t *j_password = json_object_get(j_pw, "password");
        if (!json_is_object(j_pw) || !json_is_string(j_password) ||
            json_string_length(j_password) == 0 || json_string_length(j_password) > 256)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Invalid value specified for property 'passwordProfile' of "
                                 "resource 'User'.");
    }
    json_t *j_proxies = json_object_get(j_body, "proxyAddresses");
    if (j_proxies != NULL) {
        size_t i;
        json_t *j_item;
        if (!json_is_array(j_proxies) || json_array_size(j_proxies) > 50)
            goto bad_proxy;
        json_array_foreach(j_proxies, i, j_item)
        {
            const char *a = json_string_value(j_item);
            size_t prefix =
                a ? strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") : 0;
            if (a == NULL || prefix == 0 || a[prefix] != ':' || a[prefix + 1] == '\0' ||
                strlen(a) > 256 || strchr(a, ' ') != NULL)
                goto bad_proxy;
        }
    }
    return 0;
bad_proxy:
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Invalid value specified for property 'proxyAddresses' of resource "
                         "'User': a list of 'prefix:address' strings is expected.");
}

static const struct body_spec user_body = {user_spec, user_extra, "user", validate_user};

static int set_proxies(struct db_conn *conn, const char *id, json_t *j_proxies,
                       struct lic_error *err)
{
    size_t n = json_array_size(j_proxies);
    const char *list[50];
    for (size_t i = 0; i < n && i < 50; i++)
        list[i] = json_string_value(json_array_get(j_proxies, i));
    return db_users_set_proxies(conn, id, list, (int)n, err);
}

void api_users_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res)
{
    directory_list(app, req, res, &list_users);
}

void api_users_count(const struct api_app *app, const struct api_request *req,
                     struct api_response *res)
{
    directory_count(app, req, res, &list_users);
}

void api_users_get(const struct api_app *app, const struct api_request *req,
                   struct api_response *res)
{
    directory_get(app, req, res, &list_users);
}

void api_users_create(const struct api_app *app, const struct api_request *req,
                      struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    struct parsed_fields p;
    int rc = -1;
    json_t *j_body = fields_parse_body(req, &user_body, 1, &p, &err);
    if (j_body == NULL)
        goto out;
    json_t *j_proxies = json_object_get(j_body, "proxyAddresses");
    char id[GUID_SIZE];
    if (directory_begin(app, &conn, &err) != 0 || db_users_insert(conn, &p.f, id, &err) != 0 ||
        (j_proxies && set_proxies(conn, id, j_proxies, &err) != 0) ||
        audit_change(conn, "Add user", "UserManagement", "Add", "User", id,
                     p.f.value[UF_DISPLAY_NAME], p.f.value[UF_UPN], NULL, &err) != 0 ||
        ((p.f.value[UF_USAGE_LOCATION] || j_proxies) &&
         db_queue_push(conn, QUEUE_USER, id, "user created", &err) != 0) ||
        db_users_get(conn, id, 0, &rows, &err) != 0 || db_commit(conn, &err) != 0)
        goto out;
    rc = directory_reply_entity(app, req, conn, rows, 0, 201, &list_users, res, &err);
out:
    json_decref(j_body);
    fields_free(&p);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

/* The modifiedProperties entry for a field, old value from the row. */
static void modified(json_t *j_mod, const char *name, const char *old_value, const char *new_value)
{
    json_array_append_new(j_mod,
                          json_pack("{s:s, s:o, s:o}", "displayName", name, "oldValue",
                                    old_value ? json_string(old_value) : json_null(), "newValue",
                                    new_value ? json_string(new_value) : json_null()));
}

static int differs(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a != b;
    return strcasecmp(a, b) != 0;
}

void api_users_update(const struct api_app *app, const struct api_request *req,
                      struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    struct parsed_fields p;
    json_t *j_mod = json_array();
    int rc = -1;
    json_t *j_body = fields_parse_body(req, &user_body, 0, &p, &err);
    if (j_body == NULL)
        goto out;
    if (directory_begin(app, &conn, &err) != 0 ||
        db_users_get(conn, req->params.values[0], 1, &rows, &err) != 0)
        goto out;
    char id[GUID_SIZE];
    snprintf(id, sizeof(id), "%s", db_rows_get(rows, 0, UCOL_ID));
    static const int cols[UF_COUNT] = {[UF_UPN] = UCOL_UPN,
                                       [UF_DISPLAY_NAME] = UCOL_DISPLAY_NAME,
                                       [UF_MAIL_NICKNAME] = UCOL_MAIL_NICKNAME,
                                       [UF_ACCOUNT_ENABLED] = UCOL_ACCOUNT_ENABLED,
                                       [UF_GIVEN_NAME] = UCOL_GIVEN_NAME,
                                       [UF_SURNAME] = UCOL_SURNAME,
                                       [UF_MAIL] = UCOL_MAIL,
                                       [UF_JOB_TITLE] = UCOL_JOB_TITLE,
                                       [UF_DEPARTMENT] = UCOL_DEPARTMENT,
                                       [UF_MOBILE_PHONE] = UCOL_MOBILE_PHONE,
                                       [UF_OFFICE_LOCATION] = UCOL_OFFICE_LOCATION,
                                       [UF_PREFERRED_LANGUAGE] = UCOL_PREFERRED_LANGUAGE,
                                       [UF_BUSINESS_PHONES] = UCOL_BUSINESS_PHONES,
                                       [UF_USAGE_LOCATION] = UCOL_USAGE_LOCATION};
    for (const struct field_spec *s = user_spec; s->name; s++)
        if (p.f.set[s->field])
            modified(j_mod, s->name, db_rows_get(rows, 0, cols[s->field]), p.f.value[s->field]);
    /* What licensing depends on (semantics: usage location, proxy uniqueness) queues the user. */
    char reason[128] = "";
    if (p.f.set[UF_USAGE_LOCATION] &&
        differs(db_rows_get(rows, 0, UCOL_USAGE_LOCATION), p.f.value[UF_USAGE_LOCATION]))
        strcat(reason, "usageLocation changed; ");
    if (p.f.set[UF_MAIL] && differs(db_rows_get(rows, 0, UCOL_MAIL), p.f.value[UF_MAIL]))
        strcat(reason, "mail changed; ");
    json_t *j_proxies = json_object_get(j_body, "proxyAddresses");
    if (j_proxies != NULL) {
        strcat(reason, "proxyAddresses changed; ");
        char *text = json_dumps(j_proxies, JSON_COMPACT);
        modified(j_mod, "proxyAddresses", NULL, text);
        free(text);
    }
    const char *upn = p.f.set[UF_UPN] ? p.f.value[UF_UPN] : db_rows_get(rows, 0, UCOL_UPN);
    const char *name = p.f.set[UF_DISPLAY_NAME] ? p.f.value[UF_DISPLAY_NAME]
                                                : db_rows_get(rows, 0, UCOL_DISPLAY_NAME);
    if (db_users_update(conn, id, &p.f, &err) != 0 ||
        (j_proxies && set_proxies(conn, id, j_proxies, &err) != 0) ||
        audit_change(conn, "Update user", "UserManagement", "Update", "User", id, name, upn,
                     json_incref(j_mod), &err) != 0 ||
        (reason[0] && db_queue_push(conn, QUEUE_USER, id, reason, &err) != 0))
        goto out;
    rc = directory_commit_empty(conn, res, &err);
out:
    json_decref(j_mod);
    json_decref(j_body);
    fields_free(&p);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_users_delete(const struct api_app *app, const struct api_request *req,
                      struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL, *freed = NULL;
    int rc = -1;
    if (directory_begin(app, &conn, &err) != 0 ||
        db_users_get(conn, req->params.values[0], 1, &rows, &err) != 0)
        goto out;
    const char *id = db_rows_get(rows, 0, UCOL_ID);
    if (db_users_delete(conn, id, &freed, &err) != 0 ||
        audit_change(conn, "Delete user", "UserManagement", "Delete", "User", id,
                     db_rows_get(rows, 0, UCOL_DISPLAY_NAME), db_rows_get(rows, 0, UCOL_UPN), NULL,
                     &err) != 0)
        goto out;
    /* A freed seat may be what an errored assignment waits for. */
    for (int i = 0; i < freed->nrows; i++)
        if (db_queue_push(conn, QUEUE_SKU, db_rows_get(freed, i, 0), "seat freed: user deleted",
                          &err) != 0)
            goto out;
    rc = directory_commit_empty(conn, res, &err);
out:
    db_rows_free(rows);
    db_rows_free(freed);
    directory_finish(app, conn, rc, &err, res);
}

void api_users_member_of(const struct api_app *app, const struct api_request *req,
                         struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *user = NULL, *ids = NULL;
    int rc = -1;
    if (list_options_parse(req, group_props, 0, &o, &err) != 0)
        goto out;
    const char *after = o.nafter == 1 ? o.after[0] : NULL;
    long count = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        db_users_get(conn, req->params.values[0], 0, &user, &err) != 0 ||
        db_users_member_of(conn, db_rows_get(user, 0, UCOL_ID), o.top, after, &ids, &count, o.count,
                           &err) != 0)
        goto out;
    int n = ids->nrows > o.top ? o.top : ids->nrows;
    const char *list[ODATA_TOP_MAX];
    for (int i = 0; i < n; i++)
        list[i] = db_rows_get(ids, i, 0);
    json_t *j_items = json_array();
    if (render_ids_in_order(conn, &list_groups, list, n, o.select, 1, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    const char *parts[] = {n > 0 ? list[n - 1] : NULL};
    odata_reply_page(app, req, res, "directoryObjects", j_items, count,
                     ids->nrows > o.top ? parts : NULL, 1);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(user);
    db_rows_free(ids);
    directory_finish(app, conn, rc, &err, res);
}
