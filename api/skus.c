/* subscribedSkus (Graph list/get, plus create/patch/delete and licensedUsers extensions): parse,
 * call db/ for a read or service/ for a write, render Graph JSON. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/catalog.h"
#include "service/catalog.h"
#include "api/auth.h"
#include "api/metadata.h"
#include "api/catalog.h"
#include "api/odata.h"

const char *const api_sku_props[] = {
    "accountId",    "accountName",  "appliesTo", "capabilityStatus", "consumedUnits",   "id",
    "prepaidUnits", "servicePlans", "skuId",     "skuPartNumber",    "subscriptionIds", NULL};

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
    json_t *j_units = json_object();
    for (int u = 0; u < SKU_UNITS_COUNT; u++)
        json_object_set_new(j_units, catalog_units_name((enum sku_units)u),
                            json_integer(s->units[u]));
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:s, s:s, s:o}", "accountName",
                     acct->name, "accountId", acct->id, "appliesTo", s->applies_to,
                     "capabilityStatus", s->capability_status, "consumedUnits", s->consumed, "id",
                     id, "prepaidUnits", j_units, "servicePlans", j_plans, "skuId", s->sku_id,
                     "skuPartNumber", s->part_number ? s->part_number : "", "subscriptionIds",
                     catalog_split_list(s->subscription_ids));
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

/* ---- request plumbing ---- */

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

/* Graph returns the tenant's subscribedSkus whole and supports only $select on them: a paging or
 * filtering option is refused rather than ignored. */
#define SKUS_MAX 100000
#define SKU_TYPE "microsoft.graph.subscribedSku"

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

static int load_account(struct db_conn *conn, struct account *acct, struct lic_error *err)
{
    return db_catalog_account(conn, acct->id, acct->name, sizeof(acct->name), err);
}

/* {organizationId}_{skuId}, or a bare skuId (extension). Anything else is not found. */
static int parse_sku_id(const char *text, const struct account *acct, char sku_id[GUID_SIZE],
                        struct lic_error *err)
{
    size_t len = strlen(text);
    char org[GUID_SIZE];
    int ok = 0;
    if (len == GUID_SIZE - 1) {
        ok = guid_normalize(text, sku_id) == 0;
    } else if (len == 2 * (GUID_SIZE - 1) + 1 && text[GUID_SIZE - 1] == '_') {
        char head[GUID_SIZE];
        memcpy(head, text, GUID_SIZE - 1);
        head[GUID_SIZE - 1] = '\0';
        ok = guid_normalize(head, org) == 0 && strcmp(org, acct->id) == 0 &&
             guid_normalize(text + GUID_SIZE, sku_id) == 0;
    }
    return ok ? 0 : catalog_not_found(text, err);
}

/* Starts a request on the SKU of the path: a connection, the account and the skuId. On failure
 * the error reply is set and NULL returned. */
static struct db_conn *open_sku(const struct api_app *app, const struct api_request *req,
                                struct api_response *res, struct account *acct,
                                char sku_id[GUID_SIZE])
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = api_catalog_acquire(app, res);
    if (conn != NULL && (load_account(conn, acct, &err) != 0 ||
                         parse_sku_id(req->params.values[0], acct, sku_id, &err) != 0)) {
        api_catalog_finish(app, conn, res, &err);
        return NULL;
    }
    return conn;
}

/* The skuId of the path, for a write (the account it may name is read and let go); on failure
 * the error reply is set. */
static int path_sku_id(const struct api_app *app, const struct api_request *req,
                       struct api_response *res, char sku_id[GUID_SIZE])
{
    struct account acct;
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return -1;
    db_release(app->pool, conn);
    return 0;
}

/* One SKU as read now, or err (404 when missing). */
static int get_sku(struct db_conn *conn, const char *sku_id, struct db_sku *sku,
                   struct lic_error *err)
{
    int found = db_sku_get(conn, sku_id, sku, err);
    if (found == DB_CATALOG_NONE)
        return catalog_not_found(sku_id, err);
    return found;
}

/* ---- reads ---- */

API_HANDLER(api_skus_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    if (odata_parse_select(api_query(req, "$select"), api_sku_props, SKU_TYPE, &mask, &err) != 0 ||
        only_select(req, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = api_catalog_acquire(app, res);
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
            odata_apply_select(j_sku, api_sku_props, mask);
            json_array_append_new(j_items, j_sku);
        }
        odata_reply_page(app, req, res, "subscribedSkus", j_items, -1, NULL, 0);
    }
    db_skus_free(skus, n);
    api_catalog_finish(app, conn, res, &err);
}

API_HANDLER(api_sku_get)
{
    struct lic_error err;
    lic_error_clear(&err);
    uint64_t mask = 0;
    if (odata_parse_select(api_query(req, "$select"), api_sku_props, SKU_TYPE, &mask, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct account acct;
    char sku_id[GUID_SIZE];
    struct db_conn *conn = open_sku(app, req, res, &acct, sku_id);
    if (conn == NULL)
        return;
    struct db_sku sku;
    if (get_sku(conn, sku_id, &sku, &err) == 0) {
        api_catalog_reply_entity(app, req, res, 200, "subscribedSkus", sku_json(&sku, &acct),
                                 api_sku_props, mask);
        db_sku_free(&sku);
    }
    api_catalog_finish(app, conn, res, &err);
}

API_HANDLER(api_sku_licensed_users)
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
    if (get_sku(conn, sku_id, &sku, &err) == 0) {
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
    api_catalog_finish(app, conn, res, &err);
}

/* ---- writes ---- */

/* prepaidUnits: each member optional, a non-negative Int32. */
static int parse_units(json_t *j_units, int units[SKU_UNITS_COUNT], struct lic_error *err)
{
    if (!json_is_object(j_units))
        return api_catalog_bad(err,
                               "'%s' must be an object {enabled, suspended, warning, lockedOut}.",
                               "prepaidUnits");
    const char *key;
    json_t *j_value;
    json_object_foreach(j_units, key, j_value)
    {
        int u = 0;
        while (u < SKU_UNITS_COUNT && strcmp(key, catalog_units_name((enum sku_units)u)) != 0)
            u++;
        if (u == SKU_UNITS_COUNT)
            return api_catalog_bad(
                err, "Property '%.64s' does not exist on type 'licenseUnitsDetail'.", key);
        if (!json_is_integer(j_value) || json_integer_value(j_value) < 0 ||
            json_integer_value(j_value) > INT_MAX)
            return api_catalog_bad(
                err, "prepaidUnits.%s must be a whole number from 0 to 2147483647.", key);
        units[u] = (int)json_integer_value(j_value);
    }
    return 0;
}

/* capabilityStatus: the table's own string (static), or NULL. */
static const char *capability(json_t *j_value)
{
    const char *text = json_string_value(j_value);
    for (int c = 0; text != NULL && c < SKU_CAPABILITY_COUNT; c++)
        if (strcmp(text, catalog_capability_name((enum sku_capability)c)) == 0)
            return catalog_capability_name((enum sku_capability)c);
    return NULL;
}

/* The POST body: the service's input and the arrays it points into (strings into the body). */
struct sku_body {
    struct catalog_new_sku in;
    char sku_id[GUID_SIZE];
    struct api_guid_list subs;
    struct catalog_new_plan *plans; /* owned */
    char (*plan_ids)[GUID_SIZE];    /* owned */
};

static void sku_body_free(struct sku_body *b)
{
    api_catalog_guids_free(&b->subs);
    free(b->plans);
    free(b->plan_ids);
}

static int parse_plans(json_t *j_value, const char *key, struct sku_body *b, struct lic_error *err)
{
    size_t n = json_array_size(j_value);
    if (!json_is_array(j_value) || n > API_CATALOG_MAX_LIST)
        return api_catalog_bad(err, "'%s' must be an array of {servicePlanId, servicePlanName}.",
                               key);
    b->plans = calloc(n + 1, sizeof(*b->plans));
    b->plan_ids = calloc(n + 1, sizeof(*b->plan_ids));
    if (b->plans == NULL || b->plan_ids == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    size_t i;
    json_t *j_plan;
    json_array_foreach(j_value, i, j_plan)
    {
        json_t *j_name = json_object_get(j_plan, "servicePlanName");
        if (guid_normalize(json_string_value(json_object_get(j_plan, "servicePlanId")),
                           b->plan_ids[i]) != 0)
            return api_catalog_bad(err, "Each of '%s' needs a servicePlanId GUID.", key);
        if (j_name != NULL && (!json_is_string(j_name) || json_string_length(j_name) == 0))
            return api_catalog_bad(err, "'%s' servicePlanName must be a non-empty string.", key);
        b->plans[i].id = b->plan_ids[i];
        b->plans[i].name = json_string_value(j_name);
    }
    b->in.plans = b->plans;
    b->in.nplans = (int)n;
    return 0;
}

static int parse_sku_field(const char *key, json_t *j_value, struct sku_body *b,
                           struct lic_error *err)
{
    struct db_sku_new *sku = &b->in.sku;
    if (strcmp(key, "skuId") == 0) {
        if (guid_normalize(json_string_value(j_value), b->sku_id) != 0)
            return api_catalog_bad(err, "'%s' must be a GUID.", key);
        sku->sku_id = b->sku_id;
    } else if (strcmp(key, "skuPartNumber") == 0 || strcmp(key, "displayName") == 0) {
        const char *text = json_string_value(j_value);
        if (text == NULL || text[0] == '\0' || strlen(text) > 256)
            return api_catalog_bad(err, "'%s' must be a string of 1 to 256 characters.", key);
        if (key[0] == 's')
            sku->part_number = text;
        else
            sku->display_name = text;
    } else if (strcmp(key, "appliesTo") == 0) {
        const char *text = json_string_value(j_value);
        int t = 0;
        while (t < SKU_TARGET_COUNT &&
               (text == NULL || strcmp(text, catalog_target_name((enum sku_target)t)) != 0))
            t++;
        if (t == SKU_TARGET_COUNT)
            return api_catalog_bad(err, "'%s' must be 'User' or 'Company'.", key);
        sku->applies_to = catalog_target_name((enum sku_target)t);
    } else if (strcmp(key, "capabilityStatus") == 0) {
        if ((sku->capability_status = capability(j_value)) == NULL)
            return api_catalog_bad(
                err, "'%s' must be one of Enabled, Warning, Suspended, Deleted, LockedOut.", key);
    } else if (strcmp(key, "prepaidUnits") == 0) {
        return parse_units(j_value, sku->units, err);
    } else if (strcmp(key, "subscriptionIds") == 0) {
        if (api_catalog_parse_guids(j_value, key, &b->subs, err) != 0)
            return -1;
        sku->subscription_ids = b->subs.ptrs;
        sku->nsubscriptions = b->subs.n;
    } else if (strcmp(key, "servicePlans") == 0) {
        return parse_plans(j_value, key, b, err);
    } else {
        return api_catalog_bad(
            err, "Property '%.64s' does not exist on type 'subscribedSku' or cannot be set.", key);
    }
    return 0;
}

/* Answers 201 with the SKU as it now is and its Location. */
static void reply_created(const struct api_app *app, const struct api_request *req,
                          struct api_response *res, const char *sku_id)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = api_catalog_acquire(app, res);
    if (conn == NULL)
        return;
    struct account acct;
    struct db_sku created;
    if (load_account(conn, &acct, &err) == 0 && get_sku(conn, sku_id, &created, &err) == 0) {
        char location[700];
        api_base_url(app, req, location, sizeof(location) - 120);
        size_t used = strlen(location);
        snprintf(location + used, sizeof(location) - used, "/v1.0/subscribedSkus/%s_%s", acct.id,
                 sku_id);
        api_add_header(res, "Location", location);
        api_catalog_reply_entity(app, req, res, 201, "subscribedSkus", sku_json(&created, &acct),
                                 api_sku_props, 0);
        db_sku_free(&created);
    }
    api_catalog_finish(app, conn, res, &err);
}

API_HANDLER(api_skus_create)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    struct sku_body body = {0};
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (parse_sku_field(key, j_value, &body, &err) != 0)
            break;
    }
    if (j_body != NULL && err.kind == LIC_OK && body.in.sku.part_number == NULL)
        api_catalog_bad(&err, "'%s' is required.", "skuPartNumber");
    char id[GUID_SIZE];
    if (err.kind != LIC_OK ||
        catalog_sku_create(app->pool, API_ACTOR(req), &body.in, id, &err) != 0)
        api_reply_error(res, &err);
    else
        reply_created(app, req, res, id);
    sku_body_free(&body);
    json_decref(j_body);
}

API_HANDLER(api_sku_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    struct db_sku_patch patch = {{-1, -1, -1, -1}, NULL};
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strcmp(key, "prepaidUnits") == 0) {
            if (parse_units(j_value, patch.units, &err) != 0)
                break;
        } else if (strcmp(key, "capabilityStatus") == 0) {
            if ((patch.capability_status = capability(j_value)) == NULL) {
                api_catalog_bad(
                    &err, "'%s' must be one of Enabled, Warning, Suspended, Deleted, LockedOut.",
                    key);
                break;
            }
        } else {
            api_catalog_bad(&err,
                            "Property '%.64s' cannot be changed; PATCH takes prepaidUnits and "
                            "capabilityStatus.",
                            key);
            break;
        }
    }
    json_decref(j_body); /* patch points only to static strings */
    char sku_id[GUID_SIZE];
    if (err.kind != LIC_OK) {
        api_reply_error(res, &err);
    } else if (path_sku_id(app, req, res, sku_id) == 0) {
        if (catalog_sku_update(app->pool, API_ACTOR(req), sku_id, &patch, &err) == 0)
            api_reply_empty(res, 204);
        else
            api_reply_error(res, &err);
    }
}

API_HANDLER(api_sku_delete)
{
    struct lic_error err;
    lic_error_clear(&err);
    char sku_id[GUID_SIZE];
    if (path_sku_id(app, req, res, sku_id) != 0)
        return;
    if (catalog_sku_delete(app->pool, API_ACTOR(req), sku_id, &err) == 0)
        api_reply_empty(res, 204);
    else
        api_reply_error(res, &err);
}
