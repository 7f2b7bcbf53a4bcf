/* Writes to the work queue; the worker that drains it lives in service/. */
#include "db/queue.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* A group or SKU job not started yet covers any later change too: no second one is queued.
 * (User items stay one per change: the resilience tests count them.) */
static const struct db_stmt stmt_push = {
    "queue_push",
    "WITH q AS (INSERT INTO work_queue (kind, target_id, reason)"
    "           SELECT $1, $2::uuid, $3 WHERE $1 = 'user' OR NOT EXISTS ("
    "             SELECT 1 FROM work_queue WHERE kind = $1 AND target_id = $2::uuid"
    "                AND started_at IS NULL AND attempts = 0)"
    "           RETURNING id)"
    " SELECT pg_notify('licensingd_work', $1)",
    3};

static const struct db_stmt stmt_push_users = {
    "queue_push_users",
    "WITH q AS (INSERT INTO work_queue (kind, target_id, reason)"
    "           SELECT 'user', t, $2 FROM unnest($1::uuid[]) WITH ORDINALITY AS x(t, o)"
    "            ORDER BY o RETURNING id)"
    " SELECT pg_notify('licensingd_work', 'user')",
    2};

static const char *const kind_names[QUEUE_KIND_COUNT] = {
    [QUEUE_USER] = "user",
    [QUEUE_GROUP] = "group",
    [QUEUE_SKU] = "sku",
};

const char *db_queue_kind_name(enum queue_kind kind)
{
    assert((unsigned)kind < QUEUE_KIND_COUNT);
    return kind_names[kind];
}

int db_queue_kind_parse(const char *text)
{
    for (int k = 0; k < QUEUE_KIND_COUNT; k++)
        if (strcmp(kind_names[k], text) == 0)
            return k;
    return -1;
}

int db_queue_push(struct db_conn *conn, enum queue_kind kind, const char *target_id,
                  const char *reason, struct lic_error *err)
{
    const char *params[] = {db_queue_kind_name(kind), target_id, reason};
    return db_exec_command(conn, &stmt_push, params, err) < 0 ? -1 : 0;
}

int db_queue_push_users(struct db_conn *conn, const char *const *user_ids, int n,
                        const char *reason, struct lic_error *err)
{
    if (n == 0)
        return 0;
    char *ids = db_array_literal(user_ids, n);
    if (ids == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {ids, reason};
    long rc = db_exec_command(conn, &stmt_push_users, params, err);
    free(ids);
    return rc < 0 ? -1 : 0;
}
