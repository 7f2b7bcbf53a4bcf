/* Users in the database: listing, lookup by id or userPrincipalName, writes, delete. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/guid.h"
#include "db/entities.h"

#define USER_COLUMNS USER_PROPERTIES(DB_PROPERTY_READ)

const struct db_property db_user_properties[USER_PROPERTY_COUNT] = {
    USER_PROPERTIES(DB_PROPERTY_ROW)};

/* Every text column is compared lower()ed in C collation, matching the indexes of 002. */
static const struct filter_column user_columns[] = {
    {"id", "u.id", FCOL_UUID, FOP_EQ | FOP_NE},
    {"displayName", "lower(u.display_name) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_ENDS | FOP_NULL},
    {"userPrincipalName", "lower(u.user_principal_name) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_ENDS},
    {"mail", "lower(u.mail) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_ENDS | FOP_NULL},
    {"mailNickname", "lower(u.mail_nickname) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"givenName", "lower(u.given_name) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"surname", "lower(u.surname) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"jobTitle", "lower(u.job_title) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_STARTS | FOP_NULL},
    {"department", "lower(u.department) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_STARTS | FOP_NULL},
    {"usageLocation", "lower(u.usage_location) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"accountEnabled", "u.account_enabled", FCOL_BOOL, FOP_EQ | FOP_NE},
    {"createdDateTime", "u.created_at", FCOL_TIME, FOP_EQ | FOP_NE | FOP_RANGE},
    {NULL, NULL, FCOL_TEXT, 0},
};

static const struct filter_lambda user_lambdas[] = {
    {"assignedLicenses", "skuId",
     "EXISTS (SELECT 1 FROM user_licenses l WHERE l.user_id = u.id AND ", "l.sku_id", FCOL_UUID,
     FOP_EQ},
    {"proxyAddresses", NULL,
     "EXISTS (SELECT 1 FROM user_proxy_addresses p WHERE p.user_id = u.id AND ",
     "lower(p.address) COLLATE \"C\"", FCOL_TEXT, FOP_EQ | FOP_STARTS | FOP_ENDS},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};

static const struct filter_schema user_schema = {"User", user_columns, user_lambdas};

static const char *const user_reads[USER_PROPERTY_COUNT] = {USER_PROPERTIES(DB_PROPERTY_READ_ITEM)};

/* The relations in the representation (arrays of row_to_json objects, see db/entities.c), each
 * one index scan of its table's primary key, in key order; ARRAY(subquery) costs the executor
 * less than json_agg(... ORDER BY) (no sort, no aggregate state). A plan enabled by several of
 * the user's SKUs is one assignedPlan: Enabled if any SKU is. */
static const char *const user_custom[USER_PROPERTY_COUNT] = {
    [UCOL_LICENSES] = "ARRAY(SELECT row_to_json(x) FROM (SELECT l.disabled_plans AS"
                      " \"disabledPlans\", l.sku_id AS \"skuId\" FROM user_licenses l"
                      " WHERE l.user_id = u.id ORDER BY l.sku_id) x)",
    [UCOL_STATES] = "ARRAY(SELECT row_to_json(x) FROM (SELECT s.group_id AS \"assignedByGroup\","
                    " s.disabled_plans AS \"disabledPlans\", s.error AS \"error\", " DB_TIME(
                        "s.updated_at") " AS \"lastUpdatedDateTime\", s.sku_id AS \"skuId\","
                                        " s.state AS \"state\" FROM license_assignment_states s"
                                        " WHERE s.user_id = u.id ORDER BY s.sku_id, s.path_id) x)",
    [UCOL_PROXY_ADDRESSES] = "ARRAY(SELECT p.address FROM user_proxy_addresses p"
                             " WHERE p.user_id = u.id ORDER BY p.position)",
    [UCOL_PLANS] = "ARRAY(SELECT row_to_json(x) FROM (SELECT " DB_TIME(
        "min(l.assigned_at)") " AS \"assignedDateTime\","
                              " CASE WHEN bool_or(s.capability_status = 'Enabled')"
                              " THEN 'Enabled' ELSE min(s.capability_status) END"
                              " AS \"capabilityStatus\", p.service AS \"service\","
                              " p.id AS \"servicePlanId\""
                              " FROM user_licenses l JOIN skus s ON s.sku_id = l.sku_id"
                              " JOIN sku_service_plans sp ON sp.sku_id = l.sku_id"
                              " JOIN service_plans p ON p.id = sp.plan_id"
                              " WHERE l.user_id = u.id"
                              " AND NOT (sp.plan_id = ANY (l.disabled_plans))"
                              " GROUP BY p.id, p.service ORDER BY p.id) x)",
};

/* Kept exact by the statement triggers of migration 015: a sum of 16 shard rows. */
static const struct db_stmt stmt_count_all = {"dir_users_count_all",
                                              "SELECT sum(n) FROM user_count", 0};

static const struct db_entity users = {
    .table = "users",
    .from = "users u",
    .columns = USER_COLUMNS,
    .id = "u.id",
    .order_keys = {"lower(u.display_name) COLLATE \"C\"",
                   "lower(u.user_principal_name) COLLATE \"C\""},
    .schema = &user_schema,
    .props = db_user_properties,
    .nprops = USER_PROPERTY_COUNT,
    .reads = user_reads,
    .custom = user_custom,
    .odata_type = "#microsoft.graph.user",
    .count_all = &stmt_count_all,
};

int db_users_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                  long *count, struct lic_error *err)
{
    return entity_list(conn, &users, page, rows, count, err);
}

int db_users_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                    struct lic_error *err)
{
    return entity_rows_by_ids(conn, &users, ids, n, rows, err);
}

int db_users_repr_by_ids(struct db_conn *conn, const char *const *ids, int n,
                         const struct db_repr *repr, struct db_rows **rows, struct lic_error *err)
{
    return entity_by_ids(conn, &users, ids, n, repr, rows, err);
}

static struct repr_lookup repr_by_id = {"dir_user_repr_by_id", "u.id = $1::uuid"};
static struct repr_lookup repr_by_upn = {"dir_user_repr_by_upn",
                                         "lower(u.user_principal_name) COLLATE \"C\" = lower($1)"};

int db_users_repr(struct db_conn *conn, const char *id_or_upn, const struct db_repr *repr,
                  struct db_rows **rows, struct lic_error *err)
{
    return entity_repr(conn, &users, guid_valid(id_or_upn) ? &repr_by_id : &repr_by_upn, id_or_upn,
                       repr, rows, err);
}

static const struct db_stmt stmt_by_id = {
    "dir_user_by_id", "SELECT " USER_COLUMNS "'' FROM users u WHERE u.id = $1::uuid", 1};
static const struct db_stmt stmt_by_id_lock = {
    "dir_user_by_id_lock",
    "SELECT " USER_COLUMNS "'' FROM users u WHERE u.id = $1::uuid FOR UPDATE", 1};
static const struct db_stmt stmt_by_upn = {
    "dir_user_by_upn",
    "SELECT " USER_COLUMNS "'' FROM users u"
    " WHERE lower(u.user_principal_name) COLLATE \"C\" = lower($1)",
    1};
static const struct db_stmt stmt_by_upn_lock = {
    "dir_user_by_upn_lock",
    "SELECT " USER_COLUMNS "'' FROM users u"
    " WHERE lower(u.user_principal_name) COLLATE \"C\" = lower($1) FOR UPDATE",
    1};

int db_users_get(struct db_conn *conn, const char *id_or_upn, int for_update, struct db_rows **rows,
                 struct lic_error *err)
{
    const struct db_stmt *stmt = guid_valid(id_or_upn)
                                     ? (for_update ? &stmt_by_id_lock : &stmt_by_id)
                                     : (for_update ? &stmt_by_upn_lock : &stmt_by_upn);
    const char *params[] = {id_or_upn};
    if (db_rows_exec(conn, stmt, params, rows, err) != 0)
        return -1;
    if ((*rows)->nrows == 0) {
        db_rows_free(*rows);
        *rows = NULL;
        return db_not_found(id_or_upn, err);
    }
    return 0;
}

int db_users_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                    struct lic_error *err)
{
    return entity_insert(conn, &users, f, id, err);
}

int db_users_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                    struct lic_error *err)
{
    return entity_update(conn, &users, id, f, err);
}

static const struct db_stmt stmt_proxies_clear = {
    "dir_user_proxies_clear", "DELETE FROM user_proxy_addresses WHERE user_id = $1::uuid", 1};
/* address_key: lower-cased, without the "smtp:"-style prefix; primary when the prefix is upper
 * case "SMTP:" (the convention directory sync uses). */
static const struct db_stmt stmt_proxy_add = {
    "dir_user_proxy_add",
    "INSERT INTO user_proxy_addresses (user_id, position, address, address_key, is_primary)"
    " VALUES ($1::uuid, $2::integer, $3, lower(regexp_replace($3, '^[A-Za-z0-9]+:', '')),"
    " $3 LIKE 'SMTP:%')",
    3};

int db_users_set_proxies(struct db_conn *conn, const char *id, const char *const *addresses, int n,
                         struct lic_error *err)
{
    const char *params[3] = {id, NULL, NULL};
    if (db_exec_command(conn, &stmt_proxies_clear, params, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char pos[16];
        snprintf(pos, sizeof(pos), "%d", i);
        params[1] = pos;
        params[2] = addresses[i];
        if (db_exec_command(conn, &stmt_proxy_add, params, err) < 0)
            return -1;
    }
    return 0;
}

static const struct db_stmt stmt_free_licenses = {
    "dir_user_free_licenses", "DELETE FROM user_licenses WHERE user_id = $1::uuid RETURNING sku_id",
    1};
static const struct db_stmt stmt_drop_memberships = {
    "dir_user_drop_memberships", "DELETE FROM group_members WHERE member_id = $1::uuid", 1};
static const struct db_stmt stmt_delete = {"dir_user_delete",
                                           "DELETE FROM users WHERE id = $1::uuid", 1};

int db_users_delete(struct db_conn *conn, const char *id, struct db_rows **freed_skus,
                    struct lic_error *err)
{
    *freed_skus = NULL;
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id};
    /* Licenses first, explicitly: the seat trigger runs and the freed SKUs are known. */
    if (db_rows_exec(conn, &stmt_free_licenses, params, freed_skus, err) != 0)
        return -1;
    long deleted = -1;
    if (db_exec_command(conn, &stmt_drop_memberships, params, err) < 0 ||
        (deleted = db_exec_command(conn, &stmt_delete, params, err)) < 0 ||
        (deleted == 0 && db_not_found(id, err) != 0)) {
        db_rows_free(*freed_skus);
        *freed_skus = NULL;
        return -1;
    }
    return 0;
}

static const struct db_stmt stmt_member_of = {
    "dir_user_member_of",
    "SELECT m.group_id FROM group_members m WHERE m.member_id = $1::uuid"
    " AND ($2::uuid IS NULL OR m.group_id > $2::uuid) ORDER BY m.group_id LIMIT $3::integer",
    3};
static const struct db_stmt stmt_member_of_count = {
    "dir_user_member_of_count", "SELECT count(*) FROM group_members WHERE member_id = $1::uuid", 1};

int db_users_member_of(struct db_conn *conn, const char *user_id, int top, const char *after_id,
                       struct db_rows **rows, long *count, int want_count, struct lic_error *err)
{
    *count = -1;
    assert(after_id == NULL || guid_valid(after_id));
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", top + 1);
    const char *params[] = {user_id, after_id, limit};
    return db_rows_exec_counted(conn, &stmt_member_of, &stmt_member_of_count, params, want_count,
                                rows, count, err);
}

static const struct db_stmt stmt_transitive_member_of = {
    "dir_user_transitive_member_of",
    "WITH RECURSIVE up(id) AS ("
    " SELECT group_id FROM group_members WHERE member_id = $1::uuid"
    " UNION SELECT m.group_id FROM group_members m JOIN up ON m.member_id = up.id)"
    " SELECT id FROM up WHERE ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3::integer",
    3};

int db_users_transitive_member_of(struct db_conn *conn, const char *user_id, int top,
                                  const char *after_id, struct db_rows **rows,
                                  struct lic_error *err)
{
    assert(after_id == NULL || guid_valid(after_id));
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", top + 1);
    const char *params[] = {user_id, after_id, limit};
    return db_rows_exec(conn, &stmt_transitive_member_of, params, rows, err);
}

static const struct db_stmt stmt_by_id_page = {
    "dir_users_by_id_page",
    "SELECT " USER_COLUMNS "'' FROM users u"
    " WHERE u.id > coalesce($1::uuid, '00000000-0000-0000-0000-000000000000') ORDER BY u.id"
    " LIMIT $2::integer",
    2};

int db_users_page_by_id(struct db_conn *conn, const char *after_id, int limit,
                        struct db_rows **rows, struct lic_error *err)
{
    assert(after_id == NULL || guid_valid(after_id));
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {after_id, lim};
    return db_rows_exec(conn, &stmt_by_id_page, params, rows, err);
}
