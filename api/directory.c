/* Shared by the directory handlers: query options, rendering, body fields, audit (directory.h). */
#include "api/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/audit.h"
#include "service/base/text.h"

/* Order = the order properties are emitted in: Graph's defaults with user id last. */
const char *const user_props[] = {"businessPhones",
                                  "displayName",
                                  "givenName",
                                  "jobTitle",
                                  "mail",
                                  "mobilePhone",
                                  "officeLocation",
                                  "preferredLanguage",
                                  "surname",
                                  "userPrincipalName",
                                  "usageLocation",
                                  "assignedLicenses",
                                  "licenseAssignmentStates",
                                  "id",
                                  "accountEnabled",
                                  "mailNickname",
                                  "department",
                                  "createdDateTime",
                                  "proxyAddresses",
                                  "deletedDateTime",
                                  "assignedPlans",
                                  NULL};
#define USER_PLANS_BIT (UINT64_C(1) << 20)          /* "assignedPlans": $select only, as in Graph */
#define USER_DEFAULT_MASK ((UINT64_C(1) << 14) - 1) /* through "id" */

const char *const group_props[] = {"id",
                                   "deletedDateTime",
                                   "description",
                                   "displayName",
                                   "groupTypes",
                                   "mail",
                                   "mailEnabled",
                                   "mailNickname",
                                   "membershipRule",
                                   "membershipRuleProcessingState",
                                   "proxyAddresses",
                                   "securityEnabled",
                                   "visibility",
                                   "createdDateTime",
                                   "assignedLicenses",
                                   "licenseProcessingState",
                                   "hasMembersWithLicenseErrors",
                                   NULL};
#define GROUP_DEFAULT_MASK ((UINT64_C(1) << 16) - 1) /* hasMembersWithLicenseErrors: $select */

int list_options_parse(const struct api_request *req, const char *const *props, unsigned features,
                       struct list_options *o, struct lic_error *err)
{
    memset(o, 0, sizeof(*o));
    if (api_query(req, "$skip") != NULL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "'$skip' is not supported by the service.");
    /* Not implemented here: refused rather than silently ignored. */
    static const char *const unsupported[] = {"$search", "$expand", "$apply", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (api_query(req, unsupported[i]) != NULL)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "The query option '%s' is not supported on this collection.",
                                 unsupported[i]);
    if (odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, &o->top, err) != 0 ||
        odata_parse_select(api_query(req, "$select"), props, &o->select, err) != 0)
        return -1;
    const char *filter = api_query(req, "$filter");
    if (filter != NULL) {
        if (!(features & LIST_FILTER))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "$filter is not supported on this collection.");
        o->filter = filter_parse(filter, err);
        if (o->filter == NULL)
            return -1;
    }
    const char *orderby = api_query(req, "$orderby");
    if (orderby != NULL) {
        if ((features & LIST_ORDER) && (strcasecmp(orderby, "displayName") == 0 ||
                                        strcasecmp(orderby, "displayName asc") == 0))
            o->order = DB_ORDER_DISPLAY_NAME;
        else if ((features & LIST_ORDER_UPN) && (strcasecmp(orderby, "userPrincipalName") == 0 ||
                                                 strcasecmp(orderby, "userPrincipalName asc") == 0))
            o->order = DB_ORDER_UPN;
        else {
            list_options_free(o);
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "Unsupported $orderby clause: '%.100s'.", orderby);
        }
    }
    const char *token = api_query(req, "$skiptoken");
    if (token != NULL) {
        o->nafter = odata_skiptoken_decode(token, o->after, ODATA_KEY_PARTS, err);
        if (o->nafter < 0) {
            list_options_free(o);
            return -1;
        }
    }
    /* Member lists page on one key; a token with more parts is not one of theirs. */
    if ((features & (LIST_ORDER | LIST_FILTER)) == 0 && o->nafter > 1) {
        list_options_free(o);
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    }
    o->count = odata_wants_count(req);
    return 0;
}

void list_options_free(struct list_options *o)
{
    filter_free(o->filter);
    o->filter = NULL;
}

/* A sort key can be longer than one token part (256 characters of lower()ed UTF-8), so it is
 * split across the first parts; the id is the last part. */
#define KEY_CHUNK (ODATA_KEY_PART_MAX - 2)

/* One page of users or groups; key is NULL on the last page, else the last row's sort key. */
static void reply_list_page(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, json_t *j_items, long count,
                            const char *key, const char *id)
{
    char chunks[ODATA_KEY_PARTS - 1][KEY_CHUNK + 1];
    const char *parts[ODATA_KEY_PARTS];
    int n = 0;
    size_t len = key ? strlen(key) : 0;
    for (size_t off = 0; key && n < ODATA_KEY_PARTS - 1 && (off < len || n == 0);
         off += KEY_CHUNK) {
        snprintf(chunks[n], sizeof(chunks[n]), "%.*s", KEY_CHUNK, key + off);
        parts[n] = chunks[n];
        n++;
    }
    parts[n++] = id;
    odata_reply_page(app, req, res, set, j_items, count, key ? parts : NULL, n);
}

int list_after(const struct list_options *o, char *key, size_t size, const char **id,
               struct lic_error *err)
{
    *id = NULL;
    key[0] = '\0';
    if (o->nafter == 0)
        return 0;
    if (o->nafter < 2)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    size_t len = 0;
    for (int i = 0; i < o->nafter - 1; i++)
        len += (size_t)snprintf(key + len, len < size ? size - len : 0, "%s", o->after[i]);
    *id = o->after[o->nafter - 1];
    if (!utf8_is_valid(key)) /* a forged token must not reach the database as bad text */
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    return 0;
}

static json_t *text_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *directory_json_or(const char *s, json_t *fallback)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    if (j == NULL)
        return fallback;
    json_decref(fallback);
    return j;
}

static json_t *bool_of(const char *s)
{
    return json_boolean(s != NULL && s[0] == 't');
}

/* Groups relation rows by owner id: {id: [items]}. */
static void add_to(json_t *j_by, const char *owner, json_t *j_item)
{
    json_t *j_list = json_object_get(j_by, owner);
    if (j_list == NULL) {
        j_list = json_array();
        json_object_set_new(j_by, owner, j_list);
    }
    json_array_append_new(j_list, j_item);
}

static json_t *take(json_t *j_by, const char *owner)
{
    json_t *j = json_object_get(j_by, owner);
    return j ? json_incref(j) : json_array();
}

static const char **ids_of(const struct db_rows *rows, int n, int col)
{
    const char **ids = calloc((size_t)(n > 0 ? n : 1), sizeof(*ids));
    for (int i = 0; ids && i < n; i++)
        ids[i] = db_rows_get(rows, i, col);
    return ids;
}

static json_t *licenses_by_owner(const struct db_rows *lic)
{
    json_t *j_by = json_object();
    for (int i = 0; lic && i < lic->nrows; i++)
        add_to(j_by, db_rows_get(lic, i, LCOL_OWNER),
               json_pack("{s:o, s:s}", "disabledPlans",
                         directory_json_or(db_rows_get(lic, i, LCOL_DISABLED_PLANS), json_array()),
                         "skuId", db_rows_get(lic, i, LCOL_SKU)));
    return j_by;
}

int render_users(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                 int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    const char **ids = ids_of(rows, n, UCOL_ID);
    struct db_user_relations rel;
    int with_plans = (mask & USER_PLANS_BIT) != 0;
    if (ids == NULL || db_users_relations(conn, ids, n, with_plans, &rel, err) != 0) {
        free(ids);
        return -1;
    }
    free(ids);
    json_t *j_lic = licenses_by_owner(rel.licenses);
    json_t *j_states = json_object();
    for (int i = 0; i < rel.states->nrows; i++) {
        const struct db_rows *s = rel.states;
        add_to(j_states, db_rows_get(s, i, SCOL_USER),
               json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "assignedByGroup",
                         text_or_null(db_rows_get(s, i, SCOL_GROUP)), "disabledPlans",
                         directory_json_or(db_rows_get(s, i, SCOL_DISABLED_PLANS), json_array()),
                         "error", db_rows_get(s, i, SCOL_ERROR), "lastUpdatedDateTime",
                         db_rows_get(s, i, SCOL_UPDATED), "skuId", db_rows_get(s, i, SCOL_SKU),
                         "state", db_rows_get(s, i, SCOL_STATE)));
    }
    json_t *j_plans = json_object();
    for (int i = 0; rel.plans && i < rel.plans->nrows; i++) {
        const struct db_rows *p = rel.plans;
        add_to(j_plans, db_rows_get(p, i, APCOL_USER),
               json_pack("{s:s, s:s, s:o, s:s}", "assignedDateTime",
                         db_rows_get(p, i, APCOL_ASSIGNED), "capabilityStatus",
                         db_rows_get(p, i, APCOL_CAPABILITY), "service",
                         text_or_null(db_rows_get(p, i, APCOL_SERVICE)), "servicePlanId",
                         db_rows_get(p, i, APCOL_PLAN)));
    }
    json_t *j_proxies = json_object();
    for (int i = 0; i < rel.proxies->nrows; i++)
        add_to(j_proxies, db_rows_get(rel.proxies, i, PCOL_USER),
               json_string(db_rows_get(rel.proxies, i, PCOL_ADDRESS)));
    for (int i = 0; i < n; i++) {
        const char *id = db_rows_get(rows, i, UCOL_ID);
        json_t *j = json_object();
        if (with_type)
            json_object_set_new(j, "@odata.type", json_string("#microsoft.graph.user"));
        json_object_set_new(
            j, "businessPhones",
            directory_json_or(db_rows_get(rows, i, UCOL_BUSINESS_PHONES), json_array()));
        static const struct {
            const char *name;
            int col;
        } texts[] = {{"displayName", UCOL_DISPLAY_NAME},
                     {"givenName", UCOL_GIVEN_NAME},
                     {"jobTitle", UCOL_JOB_TITLE},
                     {"mail", UCOL_MAIL},
                     {"mobilePhone", UCOL_MOBILE_PHONE},
                     {"officeLocation", UCOL_OFFICE_LOCATION},
                     {"preferredLanguage", UCOL_PREFERRED_LANGUAGE},
                     {"surname", UCOL_SURNAME},
                     {"userPrincipalName", UCOL_UPN},
                     {"usageLocation", UCOL_USAGE_LOCATION}};
        for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
            json_object_set_new(j, texts[t].name, text_or_null(db_rows_get(rows, i, texts[t].col)));
        json_object_set_new(j, "assignedLicenses", take(j_lic, id));
        json_object_set_new(j, "licenseAssignmentStates", take(j_states, id));
        json_object_set_new(j, "id", json_string(id));
        json_object_set_new(j, "accountEnabled",
                            bool_of(db_rows_get(rows, i, UCOL_ACCOUNT_ENABLED)));
        json_object_set_new(j, "mailNickname",
                            text_or_null(db_rows_get(rows, i, UCOL_MAIL_NICKNAME)));
        json_object_set_new(j, "department", text_or_null(db_rows_get(rows, i, UCOL_DEPARTMENT)));
        json_object_set_new(j, "createdDateTime", text_or_null(db_rows_get(rows, i, UCOL_CREATED)));
        json_object_set_new(j, "proxyAddresses", take(j_proxies, id));
        json_object_set_new(j, "deletedDateTime", json_null());
        if (with_plans)
            json_object_set_new(j, "assignedPlans", take(j_plans, id));
        odata_apply_select(j, user_props, mask ? mask : USER_DEFAULT_MASK);
        json_array_append_new(j_items, j);
    }
    json_decref(j_lic);
    json_decref(j_states);
    json_decref(j_plans);
    json_decref(j_proxies);
    db_user_relations_free(&rel);
    return 0;
}

int render_groups(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    const char **ids = ids_of(rows, n, GCOL_ID);
    struct db_rows *lic = NULL;
    if (ids == NULL || db_groups_licenses(conn, ids, n, &lic, err) != 0) {
        free(ids);
        return -1;
    }
    free(ids);
    json_t *j_lic = licenses_by_owner(lic);
    for (int i = 0; i < n; i++) {
        const char *id = db_rows_get(rows, i, GCOL_ID);
        const char *lps = db_rows_get(rows, i, GCOL_LICENSE_PROCESSING_STATE);
        json_t *j = json_object();
        if (with_type)
            json_object_set_new(j, "@odata.type", json_string("#microsoft.graph.group"));
        json_object_set_new(j, "id", json_string(id));
        json_object_set_new(j, "deletedDateTime", json_null());
        json_object_set_new(j, "description", text_or_null(db_rows_get(rows, i, GCOL_DESCRIPTION)));
        json_object_set_new(j, "displayName",
                            text_or_null(db_rows_get(rows, i, GCOL_DISPLAY_NAME)));
        json_object_set_new(
            j, "groupTypes",
            directory_json_or(db_rows_get(rows, i, GCOL_GROUP_TYPES), json_array()));
        json_object_set_new(j, "mail", text_or_null(db_rows_get(rows, i, GCOL_MAIL)));
        json_object_set_new(j, "mailEnabled", bool_of(db_rows_get(rows, i, GCOL_MAIL_ENABLED)));
        json_object_set_new(j, "mailNickname",
                            text_or_null(db_rows_get(rows, i, GCOL_MAIL_NICKNAME)));
        json_object_set_new(j, "membershipRule",
                            text_or_null(db_rows_get(rows, i, GCOL_MEMBERSHIP_RULE)));
        json_object_set_new(j, "membershipRuleProcessingState",
                            text_or_null(db_rows_get(rows, i, GCOL_MEMBERSHIP_RULE_STATE)));
        json_object_set_new(j, "proxyAddresses", json_array());
        json_object_set_new(j, "securityEnabled",
                            bool_of(db_rows_get(rows, i, GCOL_SECURITY_ENABLED)));
        json_object_set_new(j, "visibility", json_null());
        json_object_set_new(j, "createdDateTime", text_or_null(db_rows_get(rows, i, GCOL_CREATED)));
        json_object_set_new(j, "assignedLicenses", take(j_lic, id));
        json_object_set_new(j, "licenseProcessingState",
                            lps ? json_pack("{s:s}", "state", lps) : json_null());
        json_object_set_new(j, "hasMembersWithLicenseErrors",
                            bool_of(db_rows_get(rows, i, GCOL_HAS_ERRORS)));
        odata_apply_select(j, group_props, mask ? mask : GROUP_DEFAULT_MASK);
        json_array_append_new(j_items, j);
    }
    json_decref(j_lic);
    db_rows_free(lic);
    return 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static int field_error(const char *name, const char *why, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Invalid value specified for property '%s' of resource '%s'.", name, why);
}

static int fields_parse(json_t *j_body, const struct field_spec *spec, const char *const *extra,
                        int creating, const char *type_name, struct parsed_fields *out,
                        struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strncmp(key, "@odata.", 7) == 0)
            continue;
        int known = 0;
        for (int i = 0; extra && extra[i]; i++)
            known |= strcmp(extra[i], key) == 0;
        if (known)
            continue;
        const struct field_spec *s = spec;
        while (s->name && strcmp(s->name, key) != 0)
            s++;
        if (s->name == NULL) {
            fields_free(out);
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%.100s' does not exist or is read-only on type "
                                 "'microsoft.graph.%s'.",
                                 key, type_name);
        }
        const char *v = NULL;
        if (json_is_null(j_value) && s->type != FT_STRING) {
            if (s->type == FT_BOOL)
                goto bad;
            v = NULL;
        } else if (s->type == FT_STRING || s->type == FT_NULLABLE) {
            v = json_string_value(j_value);
            if (v == NULL || (s->type == FT_STRING && v[0] == '\0') ||
                (s->max_chars > 0 && utf8_chars(v) > (size_t)s->max_chars) ||
                strlen(v) > (size_t)s->max_chars * 4)
                goto bad;
        } else if (s->type == FT_BOOL) {
            if (!json_is_boolean(j_value))
                goto bad;
            v = json_is_true(j_value) ? "true" : "false";
        } else {
            if (!json_is_array(j_value) || json_array_size(j_value) > 50)
                goto bad;
            size_t i;
            json_t *j_item;
            json_array_foreach(j_value, i, j_item)
            {
                const char *t = json_string_value(j_item);
                if (t == NULL || t[0] == '\0' || utf8_chars(t) > (size_t)s->max_chars)
                    goto bad;
            }
            char *text = json_dumps(j_value, JSON_COMPACT);
            out->owned[s->field] = text;
            v = text;
        }
        out->f.value[s->field] = v;
        out->f.set[s->field] = 1;
        continue;
    bad:
        fields_free(out);
        return field_error(key, type_name, err);
    }
    for (const struct field_spec *s = spec; creating && s->name; s++)
        if (s->required && !out->f.set[s->field]) {
            fields_free(out);
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%s' is required when creating the object.", s->name);
        }
    return 0;
}

json_t *fields_parse_body(const struct api_request *req, const struct body_spec *spec, int creating,
                          struct parsed_fields *out, struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *j_body = api_parse_body(req, err);
    if (j_body != NULL && (fields_parse(j_body, spec->fields, spec->extra, creating,
                                        spec->type_name, out, err) != 0 ||
                           spec->validate(j_body, out, creating, err) != 0)) {
        json_decref(j_body);
        j_body = NULL;
    }
    return j_body;
}

void fields_free(struct parsed_fields *p)
{
    for (int i = 0; i < 16; i++) {
        free(p->owned[i]);
        p->owned[i] = NULL;
    }
}

int audit_change(struct db_conn *conn, const char *activity, const char *category,
                 const char *operation, const char *target_type, const char *id,
                 const char *display_name, const char *upn, json_t *j_modified,
                 struct lic_error *err)
{
    json_t *j_targets =
        json_pack("[{s:s, s:o, s:s, s:o, s:o}]", "id", id, "displayName",
                  text_or_null(display_name), "type", target_type, "userPrincipalName",
                  text_or_null(upn), "modifiedProperties", j_modified ? j_modified : json_array());
    char *targets = json_dumps(j_targets, JSON_COMPACT);
    json_decref(j_targets);
    struct audit_record rec = {.activity = activity,
                               .category = category,
                               .operation_type = operation,
                               .result = "success",
                               .result_reason = "",
                               .target_resources = targets};
    int rc = targets ? db_audit_write(conn, &rec, err)
                     : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    free(targets);
    return rc;
}

int directory_begin(const struct api_app *app, struct db_conn **conn, struct lic_error *err)
{
    *conn = db_acquire(app->pool, err);
    return *conn == NULL ? -1 : db_begin(*conn, err);
}

int directory_commit_empty(struct db_conn *conn, struct api_response *res, struct lic_error *err)
{
    if (db_commit(conn, err) != 0)
        return -1;
    api_reply_empty(res, 204);
    return 0;
}

void directory_finish(const struct api_app *app, struct db_conn *conn, int rc,
                      const struct lic_error *err, struct api_response *res)
{
    if (conn != NULL) {
        if (rc != 0)
            db_rollback(conn);
        db_release(app->pool, conn);
    }
    if (rc != 0)
        api_reply_error(res, err);
}

int directory_ref_id(const char *url, char id[GUID_SIZE], struct lic_error *err)
{
    const char *slash = url ? strrchr(url, '/') : NULL;
    const char *candidate = slash ? slash + 1 : url;
    if (candidate == NULL || strlen(candidate) != 36 || slash == NULL ||
        (strstr(url, "/directoryObjects/") == NULL && strstr(url, "/users/") == NULL &&
         strstr(url, "/groups/") == NULL))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid object identifier '%.100s'.", url ? url : "");
    for (int i = 0; i < 36; i++) {
        char c = candidate[i];
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Invalid object identifier '%.100s'.", url);
        id[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    id[36] = '\0';
    return 0;
}

int count_segment_allowed(const struct api_request *req, struct lic_error *err)
{
    const char *level = api_header(req, "ConsistencyLevel");
    if (level == NULL || strcasecmp(level, "eventual") != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "$count is not currently supported.");
    return 0;
}

const struct list_kind list_users = {
    "users",         user_props,    LIST_FILTER | LIST_ORDER | LIST_ORDER_UPN,
    db_users_list,   render_users,  db_users_get,
    db_users_by_ids, UCOL_SORT_KEY, UCOL_ID};
const struct list_kind list_groups = {"groups",         group_props,   LIST_FILTER | LIST_ORDER,
                                      db_groups_list,   render_groups, db_groups_get,
                                      db_groups_by_ids, GCOL_SORT_KEY, GCOL_ID};

int render_ids_in_order(struct db_conn *conn, const struct list_kind *kind, const char *const *ids,
                        int n, uint64_t mask, int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    struct db_rows *rows = NULL;
    json_t *j_all = json_array();
    int rc = -1;
    if (kind->by_ids(conn, ids, n, &rows, err) != 0 ||
        kind->render(conn, rows, rows->nrows, mask, with_type, j_all, err) != 0)
        goto out;
    /* by_ids answers in any order: place each in the page's order. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rows->nrows; k++)
            if (strcmp(db_rows_get(rows, k, kind->id_col), ids[i]) == 0)
                json_array_append(j_items, json_array_get(j_all, (size_t)k));
    rc = 0;
out:
    json_decref(j_all);
    db_rows_free(rows);
    return rc;
}

void directory_reply_object(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const struct list_kind *kind, const char *id,
                            unsigned status)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_rows *rows = NULL;
    struct db_conn *conn = db_acquire(app->pool, &err);
    int rc = -1;
    if (conn != NULL && kind->get(conn, id, 0, &rows, &err) == 0)
        rc = directory_reply_entity(app, req, conn, rows, 0, status, kind, res, &err);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_user_reply(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const char *user_id, unsigned status)
{
    directory_reply_object(app, req, res, &list_users, user_id, status);
}

void api_group_reply(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const char *group_id, unsigned status)
{
    directory_reply_object(app, req, res, &list_groups, group_id, status);
}

void directory_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if (list_options_parse(req, kind->props, kind->features, &o, &err) != 0)
        goto out;
    char key[ODATA_KEY_PARTS * ODATA_KEY_PART_MAX];
    struct db_page page = {.filter = o.filter, .order = o.order, .top = o.top, .count = o.count};
    if (list_after(&o, key, sizeof(key), &page.after_id, &err) != 0)
        goto out;
    page.after_key = page.after_id ? key : NULL;
    long count = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    json_t *j_items = json_array();
    if (kind->render(conn, rows, n, o.select, 0, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    int more = rows->nrows > o.top;
    reply_list_page(app, req, res, kind->set, j_items, count,
                    more ? db_rows_get(rows, n - 1, kind->sort_col) : NULL,
                    more ? db_rows_get(rows, n - 1, kind->id_col) : NULL);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void directory_reply_count(struct api_response *res, long count)
{
    char *text = NULL;
    if (asprintf(&text, "%ld", count) < 0)
        text = NULL;
    api_reply_text(res, 200, text);
}

void directory_count(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o = {.filter = NULL}; /* freeable when the segment is refused */
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if (count_segment_allowed(req, &err) != 0 ||
        list_options_parse(req, kind->props, LIST_FILTER, &o, &err) != 0)
        goto out;
    struct db_page page = {.filter = o.filter, .top = 0, .count = 1};
    long count = 0;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    directory_reply_count(res, count);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

int directory_reply_entity(const struct api_app *app, const struct api_request *req,
                           struct db_conn *conn, const struct db_rows *rows, uint64_t mask,
                           unsigned status, const struct list_kind *kind, struct api_response *res,
                           struct lic_error *err)
{
    json_t *j_items = json_array();
    if (kind->render(conn, rows, 1, mask, 0, j_items, err) != 0) {
        json_decref(j_items);
        return -1;
    }
    char context[1024];
    odata_context(app, req, kind->set, 1, context, sizeof(context));
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    json_object_update(j, json_array_get(j_items, 0));
    json_decref(j_items);
    api_reply_json(res, status, j);
    return 0;
}

void directory_get(const struct api_app *app, const struct api_request *req,
                   struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    uint64_t mask = 0;
    int rc = -1;
    if (odata_parse_select(api_query(req, "$select"), kind->props, &mask, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        kind->get(conn, req->params.values[0], 0, &rows, &err) != 0)
        goto out;
    rc = directory_reply_entity(app, req, conn, rows, mask, 200, kind, res, &err);
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
