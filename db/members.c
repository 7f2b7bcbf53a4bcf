/* Group membership in the database: add, remove, list in the order members were added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/guid.h"
#include "db/entities.h"

static const struct db_stmt stmt_kind = {
    "dir_member_kind",
    "SELECT 'user' FROM users WHERE id = $1::uuid"
    " UNION ALL SELECT 'group' FROM groups WHERE id = $1::uuid",
    1};
static const struct db_stmt stmt_add = {
    "dir_member_add",
    "INSERT INTO group_members (group_id, member_id, member_type)"
    " VALUES ($1::uuid, $2::uuid, $3) ON CONFLICT DO NOTHING",
    3};
static const struct db_stmt stmt_remove = {
    "dir_member_remove",
    "DELETE FROM group_members WHERE group_id = $1::uuid AND member_id = $2::uuid"
    " RETURNING member_type",
    2};
static const struct db_stmt stmt_group_lock = {
    "dir_member_group_lock", "SELECT 1 FROM groups WHERE id = $1::uuid FOR UPDATE", 1};

/* The group must exist; it is locked so membership changes of one group queue in order. */
static int lock_group(struct db_conn *conn, const char *group_id, struct lic_error *err)
{
    if (!guid_valid(group_id))
        return db_not_found(group_id, err);
    const char *params[] = {group_id};
    struct db_rows *rows = NULL;
    if (db_rows_exec(conn, &stmt_group_lock, params, &rows, err) != 0)
        return -1;
    int found = rows->nrows > 0;
    db_rows_free(rows);
    return found ? 0 : db_not_found(group_id, err);
}

int db_members_add(struct db_conn *conn, const char *group_id, const char *member_id,
                   char member_type[8], struct lic_error *err)
{
    if (lock_group(conn, group_id, err) != 0)
        return -1;
    if (!guid_valid(member_id))
        return db_not_found(member_id, err);
    if (strcasecmp(group_id, member_id) == 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "A group cannot be a member of itself.");
    const char *params[] = {group_id, member_id, NULL};
    struct db_rows *rows = NULL;
    if (db_rows_exec(conn, &stmt_kind, params + 1, &rows, err) != 0)
        return -1;
    if (rows->nrows == 0) {
        db_rows_free(rows);
        return db_not_found(member_id, err);
    }
    snprintf(member_type, 8, "%s", db_rows_get(rows, 0, 0));
    db_rows_free(rows);
    params[2] = member_type;
    PGresult *r = db_exec(conn, &stmt_add, params, err);
    if (r == NULL)
        return -1;
    int added = atoi(PQcmdTuples(r));
    PQclear(r);
    if (added == 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "One or more added object references already exist for the "
                             "following modified properties: 'members'.");
    return 0;
}

int db_members_remove(struct db_conn *conn, const char *group_id, const char *member_id,
                      char member_type[8], struct lic_error *err)
{
    if (lock_group(conn, group_id, err) != 0)
        return -1;
    if (!guid_valid(member_id))
        return db_not_found(member_id, err);
    const char *params[] = {group_id, member_id};
    struct db_rows *rows = NULL;
    if (db_rows_exec(conn, &stmt_kind, params + 1, &rows, err) != 0)
        return -1;
    int exists = rows->nrows > 0;
    db_rows_free(rows);
    if (!exists)
        return db_not_found(member_id, err);
    if (db_rows_exec(conn, &stmt_remove, params, &rows, err) != 0)
        return -1;
    int removed = rows->nrows > 0;
    if (removed)
        snprintf(member_type, 8, "%s", db_rows_get(rows, 0, 0));
    db_rows_free(rows);
    if (!removed)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "One or more removed object references do not exist for the "
                             "following modified properties: 'members'.");
    return 0;
}

static const struct db_stmt stmt_list = {
    "dir_members_list",
    "SELECT member_id, member_type, member_seq FROM group_members WHERE group_id = $1::uuid"
    " AND member_seq > coalesce($2::bigint, 0) ORDER BY member_seq LIMIT $3::integer",
    3};
static const struct db_stmt stmt_count = {
    "dir_members_count", "SELECT count(*) FROM group_members WHERE group_id = $1::uuid", 1};
static const struct db_stmt stmt_exists = {"dir_group_exists",
                                           "SELECT 1 FROM groups WHERE id = $1::uuid", 1};

int db_members_list(struct db_conn *conn, const char *group_id, int top, const char *after_seq,
                    struct db_rows **rows, long *count, int want_count, struct lic_error *err)
{
    *rows = NULL;
    *count = -1;
    if (!guid_valid(group_id))
        return db_not_found(group_id, err);
    if (after_seq != NULL &&
        (after_seq[0] == '\0' || strspn(after_seq, "0123456789") != strlen(after_seq) ||
         strlen(after_seq) > 18))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", top + 1);
    const char *params[] = {group_id, after_seq, limit};
    struct db_rows *exists = NULL;
    if (db_rows_exec(conn, &stmt_exists, params, &exists, err) != 0)
        return -1;
    int found = exists->nrows > 0;
    db_rows_free(exists);
    if (!found)
        return db_not_found(group_id, err);
    return db_rows_exec_counted(conn, &stmt_list, &stmt_count, params, want_count, rows, count,
                                err);
}
