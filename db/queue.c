/* Writes to the work queue; the worker that drains it lives in service/. */
#include "db/queue.h"

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

static const char *kind_name(enum queue_kind kind)
{
    switch (kind) {
    case QUEUE_USER:
        return "user";
    case QUEUE_GROUP:
        return "group";
    case QUEUE_SKU:
        return "sku";
    }
    return "user";
}

int db_queue_push(struct db_conn *conn, enum queue_kind kind, const char *target_id,
                  const char *reason, struct lic_error *err)
{
    const char *params[] = {kind_name(kind), target_id, reason};
    PGresult *r = db_exec(conn, &stmt_push, params, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}
