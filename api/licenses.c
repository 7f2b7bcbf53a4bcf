/* License endpoints on users: assignLicense, reprocessLicenseAssignment, licenseDetails. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/license_reports.h"
#include "db/licensing.h"
#include "service/engine/licensing.h"
#include "service/assignment.h"
#include "service/base/guid.h"
#include "api/auth.h"
#include "api/metadata.h"
#include "api/directory.h"
#include "api/handlers.h"
#include "api/odata.h"

/* Resolves the {id | userPrincipalName} path segment to an object id (404 when missing). */
static int resolve_user(const struct api_app *app, const char *key, char *id, struct lic_error *err)
{
    /* An id needs no lookup: the change itself answers 404 for a user that does not exist. */
    if (guid_normalize(key, id) == 0)
        return 0;
    struct db_conn *conn = db_acquire(app->pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *rows = NULL;
    int rc = db_users_get(conn, key, 0, &rows, err);
    if (rc == 0)
        snprintf(id, GUID_SIZE, "%s", db_rows_get(rows, 0, UCOL_ID));
    db_rows_free(rows);
    db_release(app->pool, conn);
    return rc;
}

static int bad(struct lic_error *err, const char *fmt, const char *what)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", fmt, what);
}

/* An assignLicense body, parsed (owned: assign_free); req is its view once parsed. */
struct assign {
    struct license_add *adds;
    int n_adds;
    char (*removes)[GUID_SIZE];
    int n_removes;
    struct license_request req;
};

/* One addLicenses entry: {skuId, disabledPlans}. */
static int parse_add(json_t *j_item, struct license_add *add, struct lic_error *err)
{
    const char *sku = json_string_value(json_object_get(j_item, "skuId"));
    if (!json_is_object(j_item) || !guid_valid(sku))
        return bad(err, "Invalid value for '%s': each entry needs a skuId GUID.", "addLicenses");
    guid_normalize(sku, add->sku_id);
    json_t *j_dis = json_object_get(j_item, "disabledPlans");
    if (j_dis == NULL || json_is_null(j_dis))
        return 0;
    if (!json_is_array(j_dis) || json_array_size(j_dis) > 200)
        return bad(err, "Invalid value for '%s': an array of GUIDs is expected.", "disabledPlans");
    add->disabled_plans = calloc(json_array_size(j_dis) + 1, GUID_SIZE);
    if (add->disabled_plans == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    size_t k;
    json_t *j_plan;
    json_array_foreach(j_dis, k, j_plan)
    {
        if (!guid_valid(json_string_value(j_plan)))
            return bad(err, "Invalid value for '%s': an array of GUIDs is expected.",
                       "disabledPlans");
        guid_normalize(json_string_value(j_plan), add->disabled_plans[add->n_disabled++]);
    }
    return 0;
}

/* {addLicenses:[{skuId, disabledPlans}], removeLicenses:[guid]} (reference §2.1). */
static int parse_assign(json_t *j_body, struct assign *a, struct lic_error *err)
{
    json_t *j_add = json_object_get(j_body, "addLicenses");
    json_t *j_remove = json_object_get(j_body, "removeLicenses");
    if (j_add == NULL || j_remove == NULL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "One or more parameters of the operation 'assignLicense' are missing "
                             "from the request payload. The missing parameters are: %s%s%s.",
                             j_add ? "" : "addLicenses", !j_add && !j_remove ? ", " : "",
                             j_remove ? "" : "removeLicenses");
    if (!json_is_array(j_add))
        return bad(err, "Invalid value for '%s': an array is expected.", "addLicenses");
    if (!json_is_array(j_remove))
        return bad(err, "Invalid value for '%s': an array is expected.", "removeLicenses");
    const char *key;
    json_t *value;
    json_object_foreach(j_body, key, value)
    {
        if (strcmp(key, "addLicenses") != 0 && strcmp(key, "removeLicenses") != 0)
            return bad(err,
                       "The parameter '%.100s' in the request payload is not a valid "
                       "parameter for the operation 'assignLicense'.",
                       key);
    }
    size_t na = json_array_size(j_add), nr = json_array_size(j_remove);
    if (na + nr > 100)
        return bad(err, "%s: at most 100 licenses can be changed in one call.", "assignLicense");
    struct license_add *adds = calloc(na + 1, sizeof(*adds));
    char(*removes)[GUID_SIZE] = calloc(nr + 1, GUID_SIZE);
    if (adds == NULL || removes == NULL) {
        free(adds);
        free(removes);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    a->adds = adds;
    a->removes = removes;
    a->n_adds = 0;
    a->n_removes = 0;
    size_t i;
    json_t *j_item;
    json_array_foreach(j_add, i, j_item)
    {
        a->n_adds++; /* counted first: assign_free frees what a failed entry holds */
        if (parse_add(j_item, &adds[i], err) != 0)
            return -1;
    }
    json_array_foreach(j_remove, i, j_item)
    {
        if (!guid_valid(json_string_value(j_item)))
            return bad(err, "Invalid value for '%s': an array of skuId GUIDs is expected.",
                       "removeLicenses");
        guid_normalize(json_string_value(j_item), removes[i]);
        a->n_removes++;
    }
    a->req =
        (struct license_request){adds, a->n_adds, (const char(*)[GUID_SIZE])removes, a->n_removes};
    return 0;
}

static void assign_free(struct assign *a)
{
    for (int i = 0; a->adds && i < a->n_adds; i++)
        free(a->adds[i].disabled_plans);
    free(a->adds);
    free(a->removes);
}

API_HANDLER(api_user_assign_license)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    struct assign a = {0};
    json_t *j_body = api_parse_body(req, &err);
    if (j_body == NULL || parse_assign(j_body, &a, &err) != 0 ||
        resolve_user(app, req->params.values[0], id, &err) != 0 ||
        licensing_assign_direct(app->pool, API_ACTOR(req), id, &a.req, &err) != 0) {
        api_reply_error(res, &err);
    } else {
        api_user_reply(app, req, res, id, 200);
    }
    json_decref(j_body);
    assign_free(&a);
}

API_HANDLER(api_user_reprocess)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    if (resolve_user(app, req->params.values[0], id, &err) != 0 ||
        licensing_reprocess_user(app->pool, id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    api_user_reply(app, req, res, id, 200);
}

/* licenseDetails ids are opaque in Graph; ours pack the user and SKU ids, base64url. */
static void detail_id(const char *user_id, const char *sku_id, char out[48])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[33] = {0};
    int n = 0;
    const char *ids[] = {user_id, sku_id};
    for (int k = 0; k < 2; k++)
        for (const char *p = ids[k]; p[0] && p[1] && n < 32; p++) {
            if (*p == '-')
                continue;
            unsigned hi =
                (unsigned)(isdigit((unsigned char)p[0]) ? p[0] - '0' : (p[0] | 32) - 'a' + 10);
            unsigned lo =
                (unsigned)(isdigit((unsigned char)p[1]) ? p[1] - '0' : (p[1] | 32) - 'a' + 10);
            bytes[n++] = (unsigned char)(hi << 4 | lo);
            p++;
        }
    int o = 0;
    for (int i = 0; i < 32; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16 | (unsigned)bytes[i + 1] << 8 |
                     (i + 2 < 33 ? bytes[i + 2] : 0);
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < 32)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

const char *const api_license_detail_props[] = {"id", "skuId", "skuPartNumber", "servicePlans",
                                                NULL};

/* The user's licenseDetails: the collection, or (one != NULL) the one with that id. */
static void license_details(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *one)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    uint64_t mask = 0;
    if (odata_parse_select(api_query(req, "$select"), api_license_detail_props,
                           "microsoft.graph.licenseDetails", &mask, &err) != 0 ||
        resolve_user(app, req->params.values[0], id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = db_acquire(app->pool, &err);
    char *text = conn ? db_license_details_json(conn, id, &err) : NULL;
    db_release(app->pool, conn);
    json_t *j_rows = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (j_rows == NULL) {
        if (err.kind == LIC_OK)
            lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "licenseDetails could not be read.");
        api_reply_error(res, &err);
        return;
    }
    json_t *j_items = json_array();
    size_t i;
    json_t *j_row;
    json_array_foreach(j_rows, i, j_row)
    {
        char did[48];
        const char *sku = json_string_value(json_object_get(j_row, "skuId"));
        detail_id(id, sku ? sku : "", did);
        if (one != NULL && strcmp(one, did) != 0)
            continue;
        json_t *j_item =
            json_pack("{s:s, s:O, s:O, s:O}", "id", did, "skuId", json_object_get(j_row, "skuId"),
                      "skuPartNumber", json_object_get(j_row, "skuPartNumber"), "servicePlans",
                      json_object_get(j_row, "servicePlans"));
        odata_apply_select(j_item, api_license_detail_props, mask);
        json_array_append_new(j_items, j_item);
    }
    json_decref(j_rows);
    char set[128];
    snprintf(set, sizeof(set), "users('%s')/licenseDetails", id);
    if (one == NULL) {
        odata_reply_page(app, req, res, set, j_items, -1, NULL, 0);
        return;
    }
    json_t *j_item = json_incref(json_array_get(j_items, 0));
    json_decref(j_items);
    if (j_item == NULL) {
        lic_error_set(&err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                      "Resource '%.100s' does not exist or one of its queried reference-property "
                      "objects are not present.",
                      one);
        api_reply_error(res, &err);
        return;
    }
    char context[1024];
    odata_context(app, req, set, 1, context, sizeof(context));
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    json_object_update(j, j_item);
    json_decref(j_item);
    api_reply_json(res, 200, j);
}

API_HANDLER(api_user_license_details)
{
    license_details(app, req, res, NULL);
}

API_HANDLER(api_user_license_detail)
{
    license_details(app, req, res, req->params.values[1]);
}

/* ---- licensing on groups (semantics §3, §6) ---- */

static int group_id_param(const struct api_request *req, char *id, struct lic_error *err)
{
    const char *key = req->params.values[0];
    if (!guid_valid(key))
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                             "Resource '%.200s' does not exist or one of its queried "
                             "reference-property objects are not present.",
                             key);
    guid_normalize(key, id);
    return 0;
}

static json_t *dry_run_json(const struct dry_run_report *rep)
{
    json_t *j_errors = json_object();
    for (int e = LIC_ERROR_NONE + 1; e < LIC_ERROR_COUNT; e++)
        if (rep->errors[e] > 0)
            json_object_set_new(j_errors, license_error_name((enum license_error)e),
                                json_integer(rep->errors[e]));
    json_t *j_skus = json_array();
    for (int k = 0; k < rep->n_skus; k++)
        json_array_append_new(
            j_skus, json_pack("{s:s, s:s, s:i, s:i}", "skuId", rep->skus[k].sku_id, "skuPartNumber",
                              rep->skus[k].part_number, "seatsNeeded", rep->skus[k].needed,
                              "seatsAvailable", rep->skus[k].available));
    json_t *j_samples = json_array();
    for (int k = 0; k < rep->n_samples; k++)
        json_array_append_new(j_samples,
                              json_pack("{s:s, s:s, s:s}", "userId", rep->samples[k].user_id,
                                        "error", license_error_name(rep->samples[k].error),
                                        "message", rep->samples[k].message));
    return json_pack("{s:b, s:i, s:i, s:o, s:o, s:o}", "dryRun", 1, "members", rep->members,
                     "membersLicensed", rep->would_succeed, "membersWithErrors", j_errors, "seats",
                     j_skus, "sampleErrors", j_samples);
}

API_HANDLER(api_group_assign_license)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    struct assign a = {0};
    const char *dry = api_query(req, "dryRun");
    int dry_run = dry != NULL && strcmp(dry, "true") == 0;
    struct dry_run_report *report = dry_run ? calloc(1, sizeof(*report)) : NULL;
    json_t *j_body = NULL;
    if (dry != NULL && !dry_run && strcmp(dry, "false") != 0) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "dryRun must be true or false.");
        goto fail;
    }
    if (dry_run && report == NULL) {
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    j_body = api_parse_body(req, &err);
    if (j_body == NULL || group_id_param(req, id, &err) != 0 ||
        parse_assign(j_body, &a, &err) != 0 ||
        licensing_assign_group(app->pool, API_ACTOR(req), id, &a.req, report, &err) != 0)
        goto fail;
    if (dry_run) {
        api_reply_json(res, 200, dry_run_json(report));
    } else {
        char base[300], location[512];
        api_base_url(app, req, base, sizeof(base));
        snprintf(location, sizeof(location), "%s/v1.0/groups/%s", base, id);
        api_group_reply(app, req, res, id, 202);
        api_add_header(res, "Location", location);
    }
    goto done;
fail:
    api_reply_error(res, &err);
done:
    json_decref(j_body);
    assign_free(&a);
    free(report);
}

API_HANDLER(api_group_reprocess)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    if (group_id_param(req, id, &err) != 0 || licensing_reprocess_group(app->pool, id, &err) != 0) {
        api_reply_error(res, &err);
        return;
    }
    api_group_reply(app, req, res, id, 202);
}

API_HANDLER(api_group_members_with_errors)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    int top;
    uint64_t mask = 0;
    char key[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    const char *token = api_query(req, "$skiptoken");
    if (group_id_param(req, id, &err) != 0 ||
        odata_parse_select(api_query(req, "$select"), user_props, "microsoft.graph.user", &mask,
                           &err) != 0 ||
        odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, &top, &err) != 0 ||
        (token && odata_skiptoken_decode(token, key, 1, &err) != 1) ||
        (token && !guid_valid(key[0]) &&
         lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                       "The $skiptoken is not valid; follow @odata.nextLink as returned.") != 0)) {
        api_reply_error(res, &err);
        return;
    }
    struct db_conn *conn = db_acquire(app->pool, &err);
    struct db_rows *group = NULL;
    int more = 0, exists = conn != NULL && db_groups_get(conn, id, 0, &group, &err) == 0;
    db_rows_free(group);
    char(*ids)[GUID_SIZE] = calloc(ODATA_TOP_MAX + 1, GUID_SIZE);
    const char *list[ODATA_TOP_MAX];
    json_t *j_items = json_array();
    int n = exists && ids
                ? db_group_error_member_ids(conn, id, token ? key[0] : NULL, top, ids, &more, &err)
                : -1;
    for (int i = 0; i < n; i++)
        list[i] = ids[i];
    if (n >= 0 && render_ids_in_order(conn, &list_users, list, n, mask, 1, j_items, &err) != 0)
        n = -1;
    db_release(app->pool, conn);
    if (n < 0) {
        free(ids);
        json_decref(j_items);
        api_reply_error(res, &err);
        return;
    }
    const char *parts[] = {more && n > 0 ? list[n - 1] : NULL};
    odata_reply_page(app, req, res, "directoryObjects", j_items, -1, more ? parts : NULL, 1);
    free(ids);
}
