/* Group membership in the database: what an id is, add, remove, list in the order added. */
#include <assert.h>
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
static const struct db_stmt stmt_remove = {
    "dir_member_remove",
    "DELETE FROM group_members WHERE group_id = $1::uuid AND member_id = $2::uuid", 2};
static const struct db_stmt stmt_group_lock = {
    "dir_member_group_lock", "SELECT 1 FROM groups WHERE id = $1::uuid FOR UPDATE", 1};
/* In the order given (ordinality), so member_seq follows the order of the request. */
static const struct db_stmt stmt_add_many = {
    "dir_members_add_many",
    "INSERT INTO group_members (group_id, member_id, member_type)"
    " SELECT $1::uuid, m, t FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS x(m, t, o)"
    " ORDER BY o ON CONFLICT DO NOTHING RETURNING member_id",
    3};

static const char *const object_type_names[DIR_OBJECT_TYPE_COUNT] = {
    [DIR_OBJECT_USER] = "user",
    [DIR_OBJECT_GROUP] = "group",
};

const char *dir_object_type_name(enum dir_object_type t)
{
    assert((unsigned)t < DIR_OBJECT_TYPE_COUNT);
    return object_type_names[t];
}

int db_directory_object_type(struct db_conn *conn, const char *id, enum dir_object_type *type,
                             struct lic_error *err)
{
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id};
    struct db_rows *rows = NULL;
    if (db_rows_exec(conn, &stmt_kind, params, &rows, err) != 0)
        return -1;
    int found = rows->nrows > 0;
    if (found)
        *type = strcmp(db_rows_get(rows, 0, 0), "user") == 0 ? DIR_OBJECT_USER : DIR_OBJECT_GROUP;
    db_rows_free(rows);
    return found ? 0 : db_not_found(id, err);
}

static const struct db_stmt stmt_kinds = {
    "dir_object_kinds",
    "SELECT id, 'user' FROM users WHERE id = ANY ($1::uuid[])"
    " UNION ALL SELECT id, 'group' FROM groups WHERE id = ANY ($1::uuid[])",
    1};

int db_directory_objects_types(struct db_conn *conn, const char *const *ids, int n,
                               struct db_rows **rows, struct lic_error *err)
{
    return db_rows_for_ids(conn, &stmt_kinds, ids, n, rows, err);
}

static const struct db_stmt stmt_named = {
    "dir_objects_named",
    "SELECT id, 'user', display_name, user_principal_name FROM users WHERE id = ANY ($1::uuid[])"
    " UNION ALL SELECT id, 'group', display_name, NULL FROM groups WHERE id = ANY ($1::uuid[])",
    1};

int db_directory_objects_named(struct db_conn *conn, const char *const *ids, int n,
                               struct db_rows **rows, struct lic_error *err)
{
    return db_rows_for_ids(conn, &stmt_named, ids, n, rows, err);
}

int db_members_lock_group(struct db_conn *conn, const char *group_id, struct lic_error *err)
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

int db_members_add_many(struct db_conn *conn, const char *group_id, const char *const *ids,
                        const enum dir_object_type *types, int n, char *added,
                        struct lic_error *err)
{
    const char **names = calloc((size_t)n + 1, sizeof(*names));
    for (int i = 0; names != NULL && i < n; i++)
        names[i] = dir_object_type_name(types[i]);
    char *id_list = db_uuid_array(ids, n), *type_list = names ? db_array_literal(names, n) : NULL;
    free(names);
    struct db_rows *rows = NULL;
    int rc = id_list && type_list ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {group_id, id_list, type_list};
    if (rc == 0)
        rc = db_rows_exec(conn, &stmt_add_many, params, &rows, err);
    free(id_list);
    free(type_list);
    if (rc != 0)
        return -1;
    /* An id given twice is added once: its first mention. */
    memset(added, 0, (size_t)n);
    for (int k = 0; k < rows->nrows; k++)
        for (int i = 0; i < n; i++)
            if (!added[i] && strcasecmp(ids[i], db_rows_get(rows, k, 0)) == 0) {
                added[i] = 1;
                break;
            }
    db_rows_free(rows);
    return 0;
}

int db_members_remove(struct db_conn *conn, const char *group_id, const char *member_id,
                      struct lic_error *err)
{
    const char *params[] = {group_id, member_id};
    long removed = db_exec_command(conn, &stmt_remove, params, err);
    return removed < 0 ? -1 : removed == 0 ? DB_REFUSED_ABSENT : 0;
}

static const struct db_stmt stmt_list = {
    "dir_members_list",
    "SELECT member_id, member_type, member_seq FROM group_members WHERE group_id = $1::uuid"
    " AND ($2::text IS NULL OR member_type = $2) AND member_seq > coalesce($3::bigint, 0)"
    " ORDER BY member_seq LIMIT $4::integer",
    4};
static const struct db_stmt stmt_count = {
    "dir_members_count",
    "SELECT count(*) FROM group_members WHERE group_id = $1::uuid"
    " AND ($2::text IS NULL OR member_type = $2)",
    2};
static const struct db_stmt stmt_exists = {"dir_group_exists",
                                           "SELECT 1 FROM groups WHERE id = $1::uuid", 1};

int db_members_list(struct db_conn *conn, const char *group_id, const char *type, int top,
                    const char *after_seq, struct db_rows **rows, long *count, int want_count,
                    struct lic_error *err)
{
    *rows = NULL;
    *count = -1;
    if (!guid_valid(group_id))
        return db_not_found(group_id, err);
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", top + 1);
    const char *params[] = {group_id, type, after_seq, limit};
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

static const struct db_stmt stmt_first = {
    "dir_members_first",
    "SELECT g.id, m.member_id, m.member_type FROM unnest($1::uuid[]) g(id)"
    " CROSS JOIN LATERAL (SELECT member_id, member_type FROM group_members"
    "  WHERE group_id = g.id ORDER BY member_seq LIMIT $2::integer) m",
    2};

int db_members_first(struct db_conn *conn, const char *const *group_ids, int n, int limit,
                     struct db_rows **rows, struct lic_error *err)
{
    char *ids = db_uuid_array(group_ids, n);
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {ids, lim};
    int rc = ids ? db_rows_exec(conn, &stmt_first, params, rows, err)
                 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    free(ids);
    return rc;
}

/* UNION (not UNION ALL) stops at objects already reached, so a cycle of nested groups ends. */
static const struct db_stmt stmt_transitive = {
    "dir_members_transitive",
    "WITH RECURSIVE down(id, type) AS ("
    " SELECT member_id, member_type FROM group_members WHERE group_id = $1::uuid"
    " UNION SELECT m.member_id, m.member_type FROM group_members m"
    "  JOIN down d ON d.type = 'group' AND m.group_id = d.id)"
    " SELECT id, type, '' FROM down WHERE id <> $1::uuid AND ($2::uuid IS NULL OR id > $2::uuid)"
    " ORDER BY id LIMIT $3::integer",
    3};

int db_members_transitive(struct db_conn *conn, const char *group_id, int top, const char *after_id,
                          struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    if (!guid_valid(group_id))
        return db_not_found(group_id, err);
    assert(after_id == NULL || guid_valid(after_id));
    struct db_rows *exists = NULL;
    const char *one[] = {group_id};
    if (db_rows_exec(conn, &stmt_exists, one, &exists, err) != 0)
        return -1;
    int found = exists->nrows > 0;
    db_rows_free(exists);
    if (!found)
        return db_not_found(group_id, err);
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", top + 1);
    const char *params[] = {group_id, after_id, limit};
    return db_rows_exec(conn, &stmt_transitive, params, rows, err);
}
