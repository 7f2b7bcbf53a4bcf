/* /v1.0/users: list, $count, get by id or userPrincipalName, create, update, delete, memberOf. */
#include <string.h>

#include "service/base/country.h"
#include "service/directory.h"
#include "api/auth.h"
#include "api/body_fields.h"
#include "api/directory.h"

/* Read by the handlers here: passwordProfile (never stored in clear: not stored at all), and
 * proxyAddresses, read-only in Graph and accepted as an extension because directory sync sets
 * it. */
static const char *const user_extra[] = {"passwordProfile", "proxyAddresses", NULL};

static int valid_upn(const char *upn)
{
    const char *at = strchr(upn, '@');
    return at != NULL && at != upn && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
           strpbrk(upn, " \t\"(),:;<>[\\]") == NULL;
}

/* "prefix:address", e.g. "SMTP:adele@contoso.com". */
static int valid_proxy(const char *a)
{
    size_t prefix =
        a ? strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") : 0;
    return a != NULL && prefix > 0 && a[prefix] == ':' && a[prefix + 1] != '\0' &&
           strlen(a) <= 256 && strchr(a, ' ') == NULL;
}

static int validate_password(json_t *j_body, int creating, struct lic_error *err)
{
    json_t *j_pw = json_object_get(j_body, "passwordProfile");
    if (!creating && j_pw == NULL)
        return 0;
    json_t *j_password = json_object_get(j_pw, "password");
    if (!json_is_object(j_pw) || !json_is_string(j_password) ||
        json_string_length(j_password) == 0 || json_string_length(j_password) > 256)
        return body_invalid_value("passwordProfile", "User", err);
    return 0;
}

static int validate_proxies(json_t *j_body, struct lic_error *err)
{
    json_t *j_proxies = json_object_get(j_body, "proxyAddresses");
    if (j_proxies == NULL)
        return 0;
    int ok = json_is_array(j_proxies) && json_array_size(j_proxies) <= USER_PROXIES_MAX;
    size_t i;
    json_t *j_item;
    json_array_foreach(j_proxies, i, j_item)
    {
        ok = ok && valid_proxy(json_string_value(j_item));
    }
    if (!ok)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid value specified for property 'proxyAddresses' of resource "
                             "'User': a list of 'prefix:address' strings is expected.");
    return 0;
}

static int validate_user(json_t *j_body, const struct parsed_fields *p, int creating,
                         struct lic_error *err)
{
    const struct db_fields *f = &p->f;
    if (f->set[UCOL_UPN] && !valid_upn(f->value[UCOL_UPN]))
        return body_invalid_value("userPrincipalName", "User", err);
    if (f->set[UCOL_MAIL_NICKNAME] && strpbrk(f->value[UCOL_MAIL_NICKNAME], " @()\\[]\";:<>,"))
        return body_invalid_value("mailNickname", "User", err);
    const char *country = f->value[UCOL_USAGE_LOCATION];
    if (country != NULL && !country_is_valid(country))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid value specified for property 'usageLocation' of resource "
                             "'User': '%s' is not an ISO 3166 alpha-2 country code.",
                             country);
    return validate_password(j_body, creating, err) != 0 ? -1 : validate_proxies(j_body, err);
}

static const struct body_spec user_body = {db_user_properties, USER_PROPERTY_COUNT, user_extra,
                                           "user", validate_user};

/* The body's proxyAddresses (validated), borrowed from j_body. */
static struct user_proxies proxies_of(json_t *j_body)
{
    struct user_proxies proxies = {.given = 0};
    json_t *j_proxies = json_object_get(j_body, "proxyAddresses");
    proxies.given = j_proxies != NULL;
    for (size_t i = 0; i < json_array_size(j_proxies) && i < USER_PROXIES_MAX; i++)
        proxies.addresses[proxies.n++] = json_string_value(json_array_get(j_proxies, i));
    return proxies;
}

API_HANDLER(api_users_list)
{
    directory_list(app, req, res, &list_users);
}

API_HANDLER(api_users_count)
{
    directory_count(app, req, res, &list_users);
}

API_HANDLER(api_users_get)
{
    directory_get(app, req, res, &list_users);
}

API_HANDLER(api_users_create)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct parsed_fields p;
    char id[GUID_SIZE];
    json_t *j_body = body_fields_parse(req, &user_body, 1, &p, &err);
    if (j_body != NULL) {
        struct user_proxies proxies = proxies_of(j_body);
        if (users_create(app->pool, API_ACTOR(req), &p.f, &proxies, id, &err) == 0)
            directory_reply_object(app, req, res, &list_users, id, 201);
        else
            api_reply_error(res, &err);
    } else {
        api_reply_error(res, &err);
    }
    json_decref(j_body);
    body_fields_free(&p);
}

API_HANDLER(api_users_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct parsed_fields p;
    int rc = -1;
    json_t *j_body = body_fields_parse(req, &user_body, 0, &p, &err);
    if (j_body != NULL) {
        struct user_proxies proxies = proxies_of(j_body);
        rc = users_update(app->pool, API_ACTOR(req), req->params.values[0], &p.f, &proxies, &err);
    }
    directory_reply_written(res, rc, &err);
    json_decref(j_body);
    body_fields_free(&p);
}

API_HANDLER(api_users_delete)
{
    struct lic_error err;
    lic_error_clear(&err);
    int rc = users_delete(app->pool, API_ACTOR(req), req->params.values[0], &err);
    directory_reply_written(res, rc, &err);
}

/* The groups a user is a member of: directly, or (transitive) through nested groups too; set is
 * the context's entity set ("groups" after the microsoft.graph.group cast). Keyset on group id. */
static void member_of(const struct api_app *app, const struct api_request *req,
                      struct api_response *res, const char *set, int transitive)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *user = NULL, *ids = NULL;
    int rc = -1;
    const char *after = NULL;
    long count = -1;
    if (list_options_parse(req, group_props, "microsoft.graph.group", 0, &o, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_users_get(conn, req->params.values[0], 0, &user, &err) != 0 ||
        list_options_after_id(&o, &after, &err) != 0)
        goto out;
    const char *user_id = db_rows_get(user, 0, UCOL_ID);
    if ((transitive
             ? db_users_transitive_member_of(conn, user_id, o.top, after, &ids, &err)
             : db_users_member_of(conn, user_id, o.top, after, &ids, &count, o.count, &err)) != 0)
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
    odata_reply_page(app, req, res, set, j_items, count, ids->nrows > o.top ? parts : NULL, 1);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(user);
    db_rows_free(ids);
    directory_finish(app, conn, rc, &err, res);
}

API_HANDLER(api_users_member_of)
{
    member_of(app, req, res, "directoryObjects", 0);
}

/* memberOf/microsoft.graph.group: the type cast (every memberOf here is a group). */
API_HANDLER(api_users_member_of_groups)
{
    member_of(app, req, res, "groups", 0);
}

API_HANDLER(api_users_transitive_member_of)
{
    member_of(app, req, res, "directoryObjects", 1);
}

/* memberOf/$count, with or without the cast. */
API_HANDLER(api_users_member_of_count)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *user = NULL, *ids = NULL;
    long count = 0;
    int rc = -1;
    if (list_options_count_allowed(req, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_users_get(conn, req->params.values[0], 0, &user, &err) != 0 ||
        db_users_member_of(conn, db_rows_get(user, 0, UCOL_ID), 0, NULL, &ids, &count, 1, &err) !=
            0)
        goto out;
    directory_reply_count(res, count);
    rc = 0;
out:
    db_rows_free(user);
    db_rows_free(ids);
    directory_finish(app, conn, rc, &err, res);
}
