/* subscribedSkus (Graph, plus create/patch/delete and licensedUsers extensions) and
 * /licensing/servicePlans (extension): validation and Graph JSON; storage is db/catalog.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/catalog.h"
#include "service/catalog.h"
#include "service/base/country.h"
#include "api/handlers.h"
#include "api/odata.h"

#define MAX_LIST_ITEMS 1000 /* ids or codes in one request body list */
#define SKU_TYPE "microsoft.graph.subscribedSku"
#define PLAN_TYPE "microsoft.graph.licensing.servicePlan"

static const char *const sku_properties[] = {
    "accountId",    "accountName",  "appliesTo", "capabilityStatus", "consumedUnits",   "id",
    "prepaidUnits", "servicePlans", "skuId",     "skuPartNumber",    "subscriptionIds", NULL};

static const char *const plan_properties[] = {"id",
                                              "name",
                                              "displayName",
                                              "service",
                                              "appliesTo",
                                              "provisionsMailbox",
                                              "conflictsWith",
                                              "requiresAnyOf",
                                              "unavailableInCountries",
                                              NULL};

static const char *const capability_statuses[] = {"Enabled", "Warning",   "Suspended",
                                                  "Deleted", "LockedOut", NULL};

static int bad(struct lic_error *err, const char *fmt, const char *what)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", fmt, what);
}

/* The entry of list equal to text (a static string), or NULL. */
static const char *in_list(const char *text, const char *const *list)
{
    for (int i = 0; text != NULL && list[i] != NULL; i++)
        if (strcmp(text, list[i]) == 0)
            return list[i];
    return NULL;
}

/* "a,b,c" -> ["a","b","c"]; "" -> []. */
static json_t *split_list(const char *text)
{
    json_t *j_list = json_array();
    for (const char *p = text; p != NULL && *p;) {
        size_t len = strcspn(p, ",");
        json_array_append_new(j_list, json_stringn(p, len));
        p += len;
        if (*p == ',')
            p++;
    }
    return j_list;
}

/* ---- rendering ---- */

struct account {
    char id[GUID_SIZE];
    char name[256];
};

static json_t *sku_json(const struct db_sku *s, const struct account *acct)
{
    char id[80];
    snprintf(id, sizeof(id), "%s_%s", acct->id, s->sku_id);
    json_t *j_plans = json_array();
    for (int i = 0; i < s->nplans; i++)
        json_array_append_new(j_plans,
                              json_pack("{s:s, s:s, s:s, s:s}", "servicePlanId", s->plans[i].id,
                                        "servicePlanName", s->plans[i].name ? s->plans[i].name : "",
                                        "provisioningStatus", "Success", "appliesTo",
                                        s->plans[i].applies_to));
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:{s:i, s:i, s:i, s:i}, s:o, s:s, s:s, s:o}",
                     "accountName", acct->name, "accountId", acct->id, "appliesTo", s->applies_to,
                     "capabilityStatus", s->capability_status, "consumedUnits", s->consumed, "id",
                     id, "prepaidUnits", "enabled", s->enabled, "lockedOut", s->locked_out,
                     "suspended", s->suspended, "warning", s->warning, "servicePlans", j_plans,
                     "skuId", s->sku_id, "skuPartNumber", s->part_number ? s->part_number : "",
                     "subscriptionIds", split_list(s->subscription_ids));
}

static json_t *plan_json(const struct db_plan *p)
{
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:b, s:o, s:o, s:o}", "id", p->id, "name",
                     p->name, "displayName", p->display_name, "service", p->service, "appliesTo",
                     p->applies_to, "provisionsMailbox", p->provisions_mailbox, "conflictsWith",
                     split_list(p->conflicts), "requiresAnyOf", split_list(p->requires),
                     "unavailableInCountries", split_list(p->countries));
}

/* ---- request plumbing ---- */

/* Borrows a connection or answers 503. */
static struct db_conn *acquire(const struct api_app *app, struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_acquire(app->pool, &err);
    if (conn == NULL)
        api_reply_error(res, &err);
    return conn;
}

/* Ends a request: releases conn (rolling back whatever is open) and answers err if set. */
static void finish(const struct api_app *app, struct db_conn *conn, struct api_response *res,
                   const struct lic_error *err)
{
    if (conn != NULL)
        db_release(app->pool, conn);
    if (err->kind != LIC_OK)
        api_reply_error(res, err);
}

/* $top and the keyset position of $skiptoken (one part, a GUID) for the SKU and user lists. */
static int page_options(const struct api_request *req, int *top, char after[GUID_SIZE],
                        struct lic_error *err)
{
    after[0] = '\0';
    if (odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, top, err) != 0)
        return -1;
    const char *token = api_query(req, "$skiptoken");
    if (token == NULL)
        return 0;
    char parts[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    if (odata_skiptoken_decode(token, parts, ODATA_KEY_PARTS, err) != 1 ||
        guid_normalize(parts[0], after) != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    return 0;
}

static int load_account(struct db_conn *conn, struct account *acct, struct lic_error *err)
{
    return db_catalog_account(conn, acct->id, acct->name, sizeof(acct->name), err);
}

static int not_found(const char *text, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                         "Resource '%.100s' does not exist or one of its queried "
                         "reference-property objects are not present.",
                         text);
}

/* {organizationId}_{skuId}, or a bare skuId (extension). Anything else is not found. */
static int parse_sku_id(const char *text, const struct account *acct, char sku_id[GUID_SIZE],
                        struct lic_error *err)
{
    size_t len = strlen(text);
    char org[GUID_SIZE];
    int ok = 0;
    if (len == 36) {
        ok = guid_normalize(text, sku_id) == 0;
    } else if (len == 73 && text[36] == '_') {
        char head[GUID_SIZE];
        memcpy(head, text, 36);
        head[36] = '\0';
        ok = guid_normalize(head, org) == 0 && strcmp(org, acct->id) == 0 &&
             guid_normalize(text + GUID_SIZE, sku_id) == 0;
    }
    return ok ? 0 : not_found(text, err);
}

/* Starts a request on the SKU of the path: a connection, the account and the skuId. On failure
 * the error reply is set and NULL returned. */
static struct db_conn *open_sku(const struct api_app *app, const struct api_request *req,
                                struct api_response *res, struct account *acct,
                                char sku_id[GUID_SIZE])
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = acquire(app, res);
    if (conn != NULL && (load_account(conn, acct, &err) != 0 ||
                         parse_sku_id(req->params.values[0], acct, sku_id, &err) != 0)) {
        finish(app, conn, res, &err);
        return NULL;
    }
    return conn;
}

/* Answers one entity with its @odata.context, keeping the $select-ed properties. Steals j. */
static void reply_entity(const struct api_app *app, const struct api_request *req,
                         struct api_response *res, unsigned status, const char *set, json_t *j,
                         const char *const *properties, uint64_t mask)
{
    odata_apply_select(j, properties, mask);
    char context[600];
    odata_context(app, req, set, 1, context, sizeof(context));
    json_object_set_new(j, "@odata.context", json_string(context));
    api_reply_json(res, status, j);
}

/* ---- subscribedSkus ---- */

/* Graph returns the tenant's subscribedSkus whole and supports only $select on them: a paging or
 * filtering option is refused rather than ignored. */
#define SKUS_MAX 100000

static int only_select(const struct api_request *req, struct lic_error *err)
{
    static const char *const refused[] = {"$top",    "$skip",   "$skiptoken", "$filter", "$orderby",
                                          "$search", "$expand", "$count",     NULL};
    for (int i = 0; refused[i] != NULL; i++)
        if (api_query(req, refused[i]) != NULL)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "The query option '%s' is not supported on subscribedSkus; it "
                                 "supports only $select.",
                                 refused[i]);
    return 0;
}

void api_skus_list(const struct api_app *app, const struct api_request *req,
                   struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    if (odata_parse_select(api_query(req, "$select"), sku_properties, SKU_TYPE, &mask, &err) != 0 ||
        only_select(req, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = acquire(app, res);
    if (conn == NULL)
        return;
    struct account acct;
    struct db_sku *skus = NULL;
    int n = 0;
    if (load_account(conn, &acct, &err) == 0 &&
        db_skus_list(conn, NULL, SKUS_MAX, &skus, &n, &err) == 0) {
        json_t *j_items = json_array();
        for (int i = 0; i < n; i++) {
            json_t *j_sku = sku_json(&skus[i], &acct);
            odata_apply_select(j_sku, sku_properties, mask);
            json_array_append_new(j_items, j_sku);
        }
        odata_reply_page(app, req, res, "subscribedSkus", j_items, -1, NULL, 0);
    }
    db_skus_free(skus, n);
    finish(app, conn, res, &err);
}

void api_sku_get(const struct api_app *app, const struct api_request *req, struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    if (odata_parse_select(api_query(req, "$select"), sku_properties, SKU_TYPE, &mask, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct account acct;
    char sku_id[GUID_SIZE];
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return;
    struct db_sku sku;
    if (db_sku_get(conn, sku_id, &sku, &err) == 0) {
        reply_entity(app, req, res, 200, "subscribedSkus", sku_json(&sku, &acct), sku_properties,
                     mask);
        db_sku_free(&sku);
    }
    finish(app, conn, res, &err);
}

/* prepaidUnits: each member optional, a non-negative Int32. */
static int parse_units(json_t *j_units, int values[4], struct lic_error *err)
{
    static const char *const names[] = {"enabled", "suspended", "warning", "lockedOut", NULL};
    if (!json_is_object(j_units))
        return bad(err, "'%s' must be an object {enabled, suspended, warning, lockedOut}.",
                   "prepaidUnits");
    const char *key;
    json_t *j_value;
    json_object_foreach(j_units, key, j_value)
    {
        int idx = -1;
        for (int i = 0; names[i] != NULL; i++)
            if (strcmp(key, names[i]) == 0)
                idx = i;
        if (idx < 0)
            return bad(err, "Property '%.64s' does not exist on type 'licenseUnitsDetail'.", key);
        if (!json_is_integer(j_value) || json_integer_value(j_value) < 0 ||
            json_integer_value(j_value) > INT_MAX)
            return bad(err, "prepaidUnits.%s must be a whole number from 0 to 2147483647.", key);
        values[idx] = (int)json_integer_value(j_value);
    }
    return 0;
}

/* A JSON array of GUID strings, normalized into ids (owned: caller frees). */
static int parse_guid_list(json_t *j_list, const char *what, char (**ids)[GUID_SIZE], int *n,
                           struct lic_error *err)
{
    *ids = NULL;
    *n = 0;
    if (!json_is_array(j_list) || json_array_size(j_list) > MAX_LIST_ITEMS)
        return bad(err, "'%s' must be an array of at most 1000 GUIDs.", what);
    *ids = calloc(json_array_size(j_list) + 1, sizeof(**ids));
    if (*ids == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    size_t i;
    json_t *j_id;
    json_array_foreach(j_list, i, j_id)
    {
        if (guid_normalize(json_string_value(j_id), (*ids)[*n]) != 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "'%s' holds '%.64s', which is not a GUID.", what,
                                 json_is_string(j_id) ? json_string_value(j_id) : "(not text)");
        (*n)++;
    }
    return 0;
}

static const char **pointers(char (*ids)[GUID_SIZE], int n)
{
    const char **p = calloc((size_t)n + 1, sizeof(*p));
    for (int i = 0; p != NULL && i < n; i++)
        p[i] = ids[i];
    return p;
}

/* The POST body as a db_sku_new; strings point into j_body, arrays are owned by parts. */
struct sku_parts {
    char sku_id[GUID_SIZE];
    char (*subs)[GUID_SIZE];
    const char **sub_ptrs;
    struct db_sku_new_plan *plans;
    char (*plan_ids)[GUID_SIZE];
};

static void sku_parts_free(struct sku_parts *p)
{
    free(p->subs);
    free(p->sub_ptrs);
    free(p->plans);
    free(p->plan_ids);
}

static int parse_new_sku(json_t *j_body, struct db_sku_new *sku, struct sku_parts *parts,
                         struct lic_error *err)
{
    memset(sku, 0, sizeof(*sku));
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strcmp(key, "skuId") == 0) {
            if (guid_normalize(json_string_value(j_value), parts->sku_id) != 0)
                return bad(err, "'%s' must be a GUID.", key);
            sku->sku_id = parts->sku_id;
        } else if (strcmp(key, "skuPartNumber") == 0 || strcmp(key, "displayName") == 0) {
            const char *text = json_string_value(j_value);
            if (text == NULL || text[0] == '\0' || strlen(text) > 256)
                return bad(err, "'%s' must be a string of 1 to 256 characters.", key);
            if (key[0] == 's')
                sku->part_number = text;
            else
                sku->display_name = text;
        } else if (strcmp(key, "appliesTo") == 0) {
            static const char *const targets[] = {"User", "Company", NULL};
            if (!in_list(json_string_value(j_value), targets))
                return bad(err, "'%s' must be 'User' or 'Company'.", key);
            sku->applies_to = json_string_value(j_value);
        } else if (strcmp(key, "capabilityStatus") == 0) {
            if (!in_list(json_string_value(j_value), capability_statuses))
                return bad(err,
                           "'%s' must be one of Enabled, Warning, Suspended, Deleted, "
                           "LockedOut.",
                           key);
            sku->capability_status = json_string_value(j_value);
        } else if (strcmp(key, "prepaidUnits") == 0) {
            int v[4] = {0, 0, 0, 0};
            if (parse_units(j_value, v, err) != 0)
                return -1;
            sku->enabled = v[0];
            sku->suspended = v[1];
            sku->warning = v[2];
            sku->locked_out = v[3];
        } else if (strcmp(key, "subscriptionIds") == 0) {
            if (parse_guid_list(j_value, key, &parts->subs, &sku->nsubscriptions, err) != 0)
                return -1;
            parts->sub_ptrs = pointers(parts->subs, sku->nsubscriptions);
            if (parts->sub_ptrs == NULL)
                return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            sku->subscription_ids = parts->sub_ptrs;
        } else if (strcmp(key, "servicePlans") == 0) {
            size_t n = json_array_size(j_value);
            if (!json_is_array(j_value) || n > MAX_LIST_ITEMS)
                return bad(err, "'%s' must be an array of {servicePlanId, servicePlanName}.", key);
            parts->plans = calloc(n + 1, sizeof(*parts->plans));
            parts->plan_ids = calloc(n + 1, sizeof(*parts->plan_ids));
            if (parts->plans == NULL || parts->plan_ids == NULL)
                return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            size_t i;
            json_t *j_plan;
            json_array_foreach(j_value, i, j_plan)
            {
                json_t *j_name = json_object_get(j_plan, "servicePlanName");
                if (guid_normalize(json_string_value(json_object_get(j_plan, "servicePlanId")),
                                   parts->plan_ids[i]) != 0)
                    return bad(err, "Each of '%s' needs a servicePlanId GUID.", key);
                if (j_name != NULL && (!json_is_string(j_name) || json_string_length(j_name) == 0))
                    return bad(err, "'%s' servicePlanName must be a non-empty string.", key);
                parts->plans[i].id = parts->plan_ids[i];
                parts->plans[i].name = json_string_value(j_name);
            }
            sku->plans = parts->plans;
            sku->nplans = (int)n;
        } else {
            return bad(err,
                       "Property '%.64s' does not exist on type 'subscribedSku' or cannot "
                       "be set.",
                       key);
        }
    }
    if (sku->part_number == NULL)
        return bad(err, "'%s' is required.", "skuPartNumber");
    return 0;
}

void api_skus_create(const struct api_app *app, const struct api_request *req,
                     struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    struct db_sku_new sku;
    struct sku_parts parts = {0};
    if (j_body == NULL || parse_new_sku(j_body, &sku, &parts, &err) != 0) {
        sku_parts_free(&parts);
        json_decref(j_body);
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = acquire(app, res);
    struct account acct;
    char id[GUID_SIZE];
    struct db_sku created;
    if (conn != NULL && db_begin(conn, &err) == 0 && load_account(conn, &acct, &err) == 0 &&
        db_sku_create(conn, &sku, id, &err) == 0 && db_sku_get(conn, id, &created, &err) == 0) {
        if (db_commit(conn, &err) == 0) {
            char location[700];
            api_base_url(app, req, location, sizeof(location) - 120);
            size_t used = strlen(location);
            snprintf(location + used, sizeof(location) - used, "/v1.0/subscribedSkus/%s_%s",
                     acct.id, id);
            api_add_header(res, "Location", location);
            reply_entity(app, req, res, 201, "subscribedSkus", sku_json(&created, &acct),
                         sku_properties, 0);
        }
        db_sku_free(&created);
    }
    sku_parts_free(&parts);
    json_decref(j_body);
    if (conn != NULL)
        finish(app, conn, res, &err);
}

void api_sku_update(const struct api_app *app, const struct api_request *req,
                    struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    struct db_sku_patch patch = {-1, -1, -1, -1, NULL};
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (err.kind != LIC_OK)
            break;
        if (strcmp(key, "prepaidUnits") == 0) {
            int v[4] = {-1, -1, -1, -1};
            if (parse_units(j_value, v, &err) == 0) {
                patch.enabled = v[0];
                patch.suspended = v[1];
                patch.warning = v[2];
                patch.locked_out = v[3];
            }
        } else if (strcmp(key, "capabilityStatus") == 0) {
            patch.capability_status = in_list(json_string_value(j_value), capability_statuses);
            if (patch.capability_status == NULL)
                bad(&err, "'%s' must be one of Enabled, Warning, Suspended, Deleted, LockedOut.",
                    key);
        } else {
            bad(&err,
                "Property '%.64s' cannot be changed; PATCH takes prepaidUnits and "
                "capabilityStatus.",
                key);
        }
    }
    if (j_body == NULL || err.kind != LIC_OK) {
        json_decref(j_body);
        api_reply_error(res, &err);
        return;
    }
    json_decref(j_body); /* patch points only to static strings */
    struct account acct;
    char sku_id[GUID_SIZE];
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return;
    if (db_begin(conn, &err) == 0 && db_sku_update(conn, sku_id, &patch, &err) == 0 &&
        db_commit(conn, &err) == 0)
        api_reply_empty(res, 204);
    finish(app, conn, res, &err);
}

void api_sku_delete(const struct api_app *app, const struct api_request *req,
                    struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct account acct;
    char sku_id[GUID_SIZE];
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return;
    if (db_begin(conn, &err) == 0 && db_sku_delete(conn, sku_id, &err) == 0 &&
        db_commit(conn, &err) == 0)
        api_reply_empty(res, 204);
    finish(app, conn, res, &err);
}

static json_t *licensed_user_json(const struct db_licensed_user *u)
{
    json_t *j_paths = json_array();
    for (int i = 0; i < u->npaths; i++) {
        const struct db_license_path *p = &u->paths[i];
        json_array_append_new(j_paths,
                              json_pack("{s:s?, s:s?, s:s, s:s}", "assignedByGroup",
                                        p->group_id[0] ? p->group_id : NULL, "groupDisplayName",
                                        p->group_name, "state", p->state, "error", p->error));
    }
    return json_pack("{s:s, s:s?, s:s?, s:o}", "id", u->id, "displayName", u->display_name,
                     "userPrincipalName", u->upn, "paths", j_paths);
}

void api_sku_licensed_users(const struct api_app *app, const struct api_request *req,
                            struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    int top = 0;
    char after[GUID_SIZE];
    if (page_options(req, &top, after, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct account acct;
    char sku_id[GUID_SIZE];
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return;
    struct db_sku sku;
    struct db_licensed_user *users = NULL;
    int n = 0;
    if (db_sku_get(conn, sku_id, &sku, &err) == 0) {
        db_sku_free(&sku);
        if (db_sku_licensed_users(conn, sku_id, after[0] ? after : NULL, top + 1, &users, &n,
                                  &err) == 0) {
            json_t *j_items = json_array();
            for (int i = 0; i < n && i < top; i++)
                json_array_append_new(j_items, licensed_user_json(&users[i]));
            const char *key[] = {n > top ? users[top - 1].id : NULL};
            char set[128];
            snprintf(set, sizeof(set), "subscribedSkus('%s_%s')/licensedUsers", acct.id, sku_id);
            odata_reply_page(app, req, res, set, j_items, -1, n > top ? key : NULL, 1);
        }
    }
    db_licensed_users_free(users, n);
    finish(app, conn, res, &err);
}

/* ---- service plans ---- */

void api_plans_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    int top = 0, nparts = 0;
    char parts[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX], after_id[GUID_SIZE] = "";
    const char *token = api_query(req, "$skiptoken");
    if (odata_parse_select(api_query(req, "$select"), plan_properties, PLAN_TYPE, &mask, &err) !=
            0 ||
        odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, &top, &err) != 0 ||
        (token != NULL &&
         ((nparts = odata_skiptoken_decode(token, parts, ODATA_KEY_PARTS, &err)) != 2 ||
          guid_normalize(parts[1], after_id) != 0))) {
        if (err.kind == LIC_OK)
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                          "The $skiptoken is not valid; follow @odata.nextLink as returned.");
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = acquire(app, res);
    if (conn == NULL)
        return;
    struct db_plan *plans = NULL;
    int n = 0;
    if (db_plans_list(conn, token ? parts[0] : NULL, token ? after_id : NULL, top + 1, &plans, &n,
                      &err) == 0) {
        json_t *j_items = json_array();
        for (int i = 0; i < n && i < top; i++) {
            json_t *j_plan = plan_json(&plans[i]);
            odata_apply_select(j_plan, plan_properties, mask);
            json_array_append_new(j_items, j_plan);
        }
        const char *key[] = {n > top ? plans[top - 1].name : NULL,
                             n > top ? plans[top - 1].id : NULL};
        odata_reply_page(app, req, res, "licensing/servicePlans", j_items, -1, n > top ? key : NULL,
                         2);
    }
    db_plans_free(plans, n);
    finish(app, conn, res, &err);
}

static int plan_id_param(const struct api_request *req, char id[GUID_SIZE], struct lic_error *err)
{
    return guid_normalize(req->params.values[0], id) == 0 ? 0
                                                          : not_found(req->params.values[0], err);
}

static void reply_plan(const struct api_app *app, const struct api_request *req,
                       struct api_response *res, const struct db_plan *plan, uint64_t mask)
{
    reply_entity(app, req, res, 200, "licensing/servicePlans", plan_json(plan), plan_properties,
                 mask);
}

void api_plan_get(const struct api_app *app, const struct api_request *req,
                  struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    char id[GUID_SIZE];
    if (odata_parse_select(api_query(req, "$select"), plan_properties, PLAN_TYPE, &mask, &err) !=
            0 ||
        plan_id_param(req, id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = acquire(app, res);
    if (conn == NULL)
        return;
    struct db_plan plan;
    if (db_plan_get(conn, id, 0, &plan, &err) == 0) {
        reply_plan(app, req, res, &plan, mask);
        db_plan_free(&plan);
    }
    finish(app, conn, res, &err);
}

/* A PATCH body's rule lists, validated for syntax and self-reference (existence is checked in
 * the transaction). */
struct plan_patch {
    const char *name, *display_name;
    int set_display, mailbox; /* mailbox: -1 unchanged */
    json_t *j_lists[3];       /* conflictsWith, requiresAnyOf, unavailableInCountries */
    char (*ids[2])[GUID_SIZE];
    const char **ptrs[3];
    int counts[3];
};

static const char *const list_names[3] = {"conflictsWith", "requiresAnyOf",
                                          "unavailableInCountries"};

static void plan_patch_free(struct plan_patch *p)
{
    for (int i = 0; i < 3; i++)
        free(p->ptrs[i]);
    free(p->ids[0]);
    free(p->ids[1]);
}

static int parse_plan_patch(json_t *j_body, const char *self, struct plan_patch *p,
                            struct lic_error *err)
{
    memset(p, 0, sizeof(*p));
    p->mailbox = -1;
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        int list = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(key, list_names[i]) == 0)
                list = i;
        if (strcmp(key, "name") == 0) {
            p->name = json_string_value(j_value);
            if (p->name == NULL || p->name[0] == '\0' || strlen(p->name) > 256)
                return bad(err, "'%s' must be a string of 1 to 256 characters.", key);
        } else if (strcmp(key, "displayName") == 0) {
            if (!json_is_null(j_value) &&
                (!json_is_string(j_value) || json_string_length(j_value) > 256))
                return bad(err, "'%s' must be a string of at most 256 characters or null.", key);
            p->set_display = 1;
            p->display_name = json_is_null(j_value) ? "" : json_string_value(j_value);
        } else if (strcmp(key, "provisionsMailbox") == 0) {
            if (!json_is_boolean(j_value))
                return bad(err, "'%s' must be true or false.", key);
            p->mailbox = json_is_true(j_value);
        } else if (list == 2) {
            if (!json_is_array(j_value) || json_array_size(j_value) > 300)
                return bad(err, "'%s' must be an array of ISO 3166-1 alpha-2 codes.", key);
            p->ptrs[2] = calloc(json_array_size(j_value) + 1, sizeof(*p->ptrs[2]));
            if (p->ptrs[2] == NULL)
                return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            size_t i;
            json_t *j_code;
            json_array_foreach(j_value, i, j_code)
            {
                if (!country_is_valid(json_string_value(j_code)))
                    return lic_error_set(
                        err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                        "unavailableInCountries holds '%.32s', which is not an ISO 3166-1 "
                        "alpha-2 country code (two upper-case letters, e.g. \"GB\").",
                        json_is_string(j_code) ? json_string_value(j_code) : "(not text)");
                p->ptrs[2][p->counts[2]++] = json_string_value(j_code);
            }
            p->j_lists[2] = j_value;
        } else if (list >= 0) {
            if (parse_guid_list(j_value, key, &p->ids[list], &p->counts[list], err) != 0)
                return -1;
            for (int i = 0; i < p->counts[list]; i++)
                if (strcmp(p->ids[list][i], self) == 0)
                    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                         list == 0 ? "A service plan cannot conflict with "
                                                     "itself ('%s' in conflictsWith)."
                                                   : "A service plan cannot require itself "
                                                     "('%s' in requiresAnyOf).",
                                         self);
            p->ptrs[list] = pointers(p->ids[list], p->counts[list]);
            if (p->ptrs[list] == NULL)
                return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            p->j_lists[list] = j_value;
        } else {
            return bad(err,
                       "Property '%.64s' does not exist on type 'servicePlan' or cannot "
                       "be set.",
                       key);
        }
    }
    return 0;
}

static int apply_plan_patch(struct db_conn *conn, const char *id, const struct plan_patch *p,
                            struct lic_error *err)
{
    int changed = 0;
    char missing[GUID_SIZE];
    for (int list = 0; list < 2; list++) {
        if (p->j_lists[list] == NULL)
            continue;
        if (db_catalog_plans_missing(conn, p->ptrs[list], p->counts[list], missing, err) != 0)
            return -1;
        if (missing[0])
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "%s names service plan '%s', which does not exist.",
                                 list_names[list], missing);
    }
    if ((p->name || p->set_display) &&
        db_plan_rename(conn, id, p->name, p->set_display ? p->display_name : NULL, err) != 0)
        return -1;
    if (p->mailbox >= 0 && db_catalog_mailbox_set(conn, id, p->mailbox, &changed, err) != 0)
        return -1;
    if (p->j_lists[0] != NULL &&
        db_catalog_conflicts_replace(conn, id, p->ptrs[0], p->counts[0], &changed, err) != 0)
        return -1;
    if (p->j_lists[1] != NULL &&
        db_catalog_prerequisites_replace(conn, id, p->ptrs[1], p->counts[1], &changed, err) != 0)
        return -1;
    if (p->j_lists[2] != NULL &&
        db_catalog_countries_replace(conn, id, p->ptrs[2], p->counts[2], &changed, err) != 0)
        return -1;
    return 0;
}

void api_plan_update(const struct api_app *app, const struct api_request *req,
                     struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    struct plan_patch patch;
    memset(&patch, 0, sizeof(patch));
    json_t *j_body = NULL;
    if (plan_id_param(req, id, &err) != 0 || (j_body = api_parse_body(req, &err)) == NULL ||
        parse_plan_patch(j_body, id, &patch, &err) != 0) {
        plan_patch_free(&patch);
        json_decref(j_body);
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = acquire(app, res);
    struct db_plan plan;
    if (conn != NULL && db_begin(conn, &err) == 0 && db_plan_get(conn, id, 1, &plan, &err) == 0) {
        db_plan_free(&plan);
        if (apply_plan_patch(conn, id, &patch, &err) == 0 &&
            db_plan_get(conn, id, 0, &plan, &err) == 0) {
            if (db_commit(conn, &err) == 0)
                reply_plan(app, req, res, &plan, 0);
            db_plan_free(&plan);
        }
    }
    plan_patch_free(&patch);
    json_decref(j_body);
    if (conn != NULL)
        finish(app, conn, res, &err);
}
