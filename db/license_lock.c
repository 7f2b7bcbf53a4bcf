/* Locking a batch's users before they are loaded and saved (db_licensing_lock_users, licensing.h):
 * one index probe per user, in id order. */
#include <stdlib.h>
#include <string.h>

#include "service/base/map.h"
#include "db/internal.h"
#include "db/licensing.h"

#define BATCH_IDS "unnest($1::uuid[]) AS x(id)"

/* Locked in id order, so two batches sharing users never wait for each other in a cycle. */
static const struct db_stmt stmt_lock = {
    "lic_lock_users",
    "SELECT u.id FROM (SELECT DISTINCT id FROM " BATCH_IDS " ORDER BY id) x"
    " CROSS JOIN LATERAL (SELECT id FROM users WHERE id = x.id FOR UPDATE) u",
    1};
static const struct db_stmt stmt_lock_skip = {
    "lic_lock_users_skip",
    "SELECT u.id FROM (SELECT DISTINCT id FROM " BATCH_IDS " ORDER BY id) x"
    " CROSS JOIN LATERAL (SELECT id FROM users WHERE id = x.id FOR UPDATE SKIP LOCKED) u",
    1};

/* flags[i] = 1 when ids[i] is not among the first column of r; 0, or -1 when memory runs out. */
static int flag_missing(const char *const *ids, int n, PGresult *r, char *flags,
                        struct lic_error *err)
{
    struct id_map seen;
    int rc = id_map_init(&seen, PQntuples(r));
    for (int k = 0; rc == 0 && k < PQntuples(r); k++)
        rc = id_map_add(&seen, PQgetvalue(r, k, 0)) < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < n; i++)
        flags[i] = id_map_get(&seen, ids[i]) < 0;
    id_map_free(&seen);
    return rc == 0 ? 0 : db_out_of_memory(err);
}

int db_licensing_lock_users(struct db_conn *conn, const char *const *ids, int n, char *contended,
                            struct lic_error *err)
{
    if (contended == NULL)
        return db_exec_ids_command(conn, &stmt_lock, ids, n, err);
    /* Take what is free; the users another transaction holds are the contended ones. */
    memset(contended, 0, (size_t)n);
    if (db_exec_simple(conn, "SAVEPOINT lic_lock", err) != 0)
        return -1;
    PGresult *r = db_exec_ids(conn, &stmt_lock_skip, ids, n, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == n) {
        PQclear(r);
        return db_exec_simple(conn, "RELEASE SAVEPOINT lic_lock", err);
    }
    int rc = flag_missing(ids, n, r, contended, err);
    PQclear(r);
    /* Wait for them after all, in id order with nothing held, as without contention. */
    if (rc != 0 || db_exec_simple(conn, "ROLLBACK TO SAVEPOINT lic_lock", err) != 0 ||
        (r = db_exec_ids(conn, &stmt_lock, ids, n, err)) == NULL)
        return -1;
    /* Users missing from the table were never contended: nobody holds them. */
    char *missing = calloc((size_t)n + 1, 1);
    rc = missing != NULL ? flag_missing(ids, n, r, missing, err) : db_out_of_memory(err);
    PQclear(r);
    int count = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        contended[i] &= !missing[i];
        count += contended[i];
    }
    free(missing);
    return rc == 0 ? count : -1;
}

int db_licensing_begin_one_user(struct db_conn *conn, struct lic_error *err)
{
    return db_exec_simple(conn, "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan", err);
}
