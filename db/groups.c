/* Groups in the database: listing, lookup, writes, what ties a group to licensing, delete. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/guid.h"
#include "db/entities.h"

#define GROUP_COLUMNS GROUP_PROPERTIES(DB_PROPERTY_READ)

const struct db_property db_group_properties[GROUP_PROPERTY_COUNT] = {
    GROUP_PROPERTIES(DB_PROPERTY_ROW)};

static const struct filter_column group_columns[] = {
    {"id", "g.id", FCOL_UUID, FOP_EQ | FOP_NE},
    {"displayName", "lower(g.display_name) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_ENDS | FOP_NULL},
    {"description", "lower(g.description) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"mailNickname", "lower(g.mail_nickname) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"mail", "lower(g.mail) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_STARTS | FOP_ENDS | FOP_NULL},
    {"membershipRule", "lower(g.membership_rule) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_STARTS | FOP_NULL},
    {"membershipRuleProcessingState", "lower(g.membership_rule_processing_state) COLLATE \"C\"",
     FCOL_TEXT, FOP_EQ | FOP_NE | FOP_NULL},
    {"mailEnabled", "g.mail_enabled", FCOL_BOOL, FOP_EQ | FOP_NE},
    {"securityEnabled", "g.security_enabled", FCOL_BOOL, FOP_EQ | FOP_NE},
    /* Graph documents it but rejects it in practice; here it works (issue 3). */
    {"hasMembersWithLicenseErrors", "(" GROUP_HAS_ERRORS ")", FCOL_BOOL, FOP_EQ},
    {"createdDateTime", "g.created_at", FCOL_TIME, FOP_EQ | FOP_NE | FOP_RANGE},
    {NULL, NULL, FCOL_TEXT, 0},
};

static const struct filter_lambda group_lambdas[] = {
    {"assignedLicenses", "skuId",
     "EXISTS (SELECT 1 FROM group_licenses l WHERE l.group_id = g.id AND ", "l.sku_id", FCOL_UUID,
     FOP_EQ},
    {"groupTypes", NULL, "EXISTS (SELECT 1 FROM unnest(g.group_types) AS t(v) WHERE ",
     "lower(t.v) COLLATE \"C\"", FCOL_TEXT, FOP_EQ},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};

static const struct filter_schema group_schema = {"Group", group_columns, group_lambdas};

static const char *const group_reads[GROUP_PROPERTY_COUNT] = {
    GROUP_PROPERTIES(DB_PROPERTY_READ_ITEM)};

static const char *const group_custom[GROUP_PROPERTY_COUNT] = {
    [GCOL_LICENSES] = "ARRAY(SELECT row_to_json(x) FROM (SELECT l.disabled_plans AS"
                      " \"disabledPlans\", l.sku_id AS \"skuId\" FROM group_licenses l"
                      " WHERE l.group_id = g.id ORDER BY l.sku_id) x)",
    [GCOL_LICENSE_PROCESSING_STATE] =
        "CASE WHEN g.license_processing_state IS NOT NULL"
        " THEN json_build_object('state', g.license_processing_state) END",
};

static const struct db_entity groups = {
    .table = "groups",
    .from = "groups g",
    .columns = GROUP_COLUMNS,
    .id = "g.id",
    .order_keys = {"lower(g.display_name) COLLATE \"C\"", NULL},
    .schema = &group_schema,
    .props = db_group_properties,
    .nprops = GROUP_PROPERTY_COUNT,
    .reads = group_reads,
    .custom = group_custom,
    .odata_type = "#microsoft.graph.group",
};

int db_groups_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                   long *count, struct lic_error *err)
{
    return entity_list(conn, &groups, page, rows, count, err);
}

int db_groups_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                     struct lic_error *err)
{
    return entity_rows_by_ids(conn, &groups, ids, n, rows, err);
}

int db_groups_repr_by_ids(struct db_conn *conn, const char *const *ids, int n,
                          const struct db_repr *repr, struct db_rows **rows, struct lic_error *err)
{
    return entity_by_ids(conn, &groups, ids, n, repr, rows, err);
}

static struct repr_lookup repr_by_id = {"dir_group_repr_by_id", "g.id = $1::uuid"};

int db_groups_repr(struct db_conn *conn, const char *id, const struct db_repr *repr,
                   struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    if (!guid_valid(id))
        return db_not_found(id, err);
    return entity_repr(conn, &groups, &repr_by_id, id, repr, rows, err);
}

static const struct db_stmt stmt_get = {
    "dir_group_get", "SELECT " GROUP_COLUMNS "'' FROM groups g WHERE g.id = $1::uuid", 1};
static const struct db_stmt stmt_get_lock = {
    "dir_group_get_lock",
    "SELECT " GROUP_COLUMNS "'' FROM groups g WHERE g.id = $1::uuid FOR UPDATE", 1};
static const struct db_stmt stmt_get_key_share = {
    "dir_group_get_key_share",
    "SELECT " GROUP_COLUMNS "'' FROM groups g WHERE g.id = $1::uuid FOR KEY SHARE", 1};

int db_groups_get(struct db_conn *conn, const char *id, int for_update, struct db_rows **rows,
                  struct lic_error *err)
{
    *rows = NULL;
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id};
    const struct db_stmt *stmt = for_update == DB_GROUP_KEY_SHARE ? &stmt_get_key_share
                                 : for_update                     ? &stmt_get_lock
                                                                  : &stmt_get;
    if (db_rows_exec(conn, stmt, params, rows, err) != 0)
        return -1;
    if ((*rows)->nrows == 0) {
        db_rows_free(*rows);
        *rows = NULL;
        return db_not_found(id, err);
    }
    return 0;
}

int db_groups_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                     struct lic_error *err)
{
    return entity_insert(conn, &groups, f, id, err);
}

int db_groups_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                     struct lic_error *err)
{
    return entity_update(conn, &groups, id, f, err);
}

/* Licensed, or members still holding something from it (a removal not yet processed). */
static const struct db_stmt stmt_has_licenses = {
    "dir_group_has_licenses",
    "SELECT EXISTS (SELECT 1 FROM group_licenses WHERE group_id = $1::uuid),"
    "       EXISTS (SELECT 1 FROM license_assignment_states WHERE group_id = $1::uuid)",
    1};
static const struct db_stmt stmt_drop_memberships = {
    "dir_group_drop_memberships",
    "DELETE FROM group_members WHERE group_id = $1::uuid OR member_id = $1::uuid", 1};
static const struct db_stmt stmt_delete = {"dir_group_delete",
                                           "DELETE FROM groups WHERE id = $1::uuid", 1};

int db_groups_license_hold(struct db_conn *conn, const char *id, int *licensed, int *draining,
                           struct lic_error *err)
{
    *licensed = *draining = 0;
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id};
    struct db_rows *rows = NULL;
    if (db_rows_exec(conn, &stmt_has_licenses, params, &rows, err) != 0)
        return -1;
    *licensed = strcmp(db_rows_get(rows, 0, 0), "t") == 0;
    *draining = strcmp(db_rows_get(rows, 0, 1), "t") == 0;
    db_rows_free(rows);
    return 0;
}

int db_groups_delete(struct db_conn *conn, const char *id, struct lic_error *err)
{
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id};
    long deleted = -1;
    if (db_exec_command(conn, &stmt_drop_memberships, params, err) < 0 ||
        (deleted = db_exec_command(conn, &stmt_delete, params, err)) < 0)
        return -1;
    return deleted == 0 ? db_not_found(id, err) : 0;
}

static const struct db_stmt stmt_by_id_page = {
    "dir_groups_by_id_page",
    "SELECT " GROUP_COLUMNS "'' FROM groups g"
    " WHERE g.id > coalesce($1::uuid, '00000000-0000-0000-0000-000000000000') ORDER BY g.id"
    " LIMIT $2::integer",
    2};

int db_groups_page_by_id(struct db_conn *conn, const char *after_id, int limit,
                         struct db_rows **rows, struct lic_error *err)
{
    assert(after_id == NULL || guid_valid(after_id));
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {after_id, lim};
    return db_rows_exec(conn, &stmt_by_id_page, params, rows, err);
}
