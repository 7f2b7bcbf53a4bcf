/* SQL of the reconciliation worker. Every claim uses FOR UPDATE SKIP LOCKED so workers in one
 * process or in several replicas never take the same work. */
#include "db/worker.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/internal.h"

/* A member whose group's job has yet to reach it waits for that job (semantics §4.6): the job
 * evaluates the group's members in membership order, so no later member takes a seat first. A
 * job that has failed once no longer holds anyone back, so one failing group cannot stall the
 * work of its members. */
#define AWAITED_GROUP_JOB                                                                          \
    "SELECT 1 FROM work_queue j JOIN group_members m"                                              \
    "    ON m.group_id = j.target_id AND m.member_seq > j.cursor_seq"                              \
    " WHERE j.kind = 'group' AND j.attempts = 0"

/* The first max ready items: those a group job awaits are parked (run_after 'infinity', so no
 * claim looks at them again until a job finishes), the others claimed. The last row carries the
 * number parked. */
static const struct db_stmt stmt_claim_users = {
    "work_claim_users",
    "WITH c AS ("
    "  SELECT q.id, EXISTS (" AWAITED_GROUP_JOB " AND m.member_id = q.target_id) AS awaits"
    "    FROM work_queue q WHERE q.kind = 'user' AND q.run_after <= now()"
    "   ORDER BY q.run_after, q.id LIMIT $1 FOR UPDATE OF q SKIP LOCKED),"
    " parked AS (UPDATE work_queue w SET run_after = 'infinity' FROM c"
    "             WHERE w.id = c.id AND c.awaits RETURNING w.id),"
    " claimed AS (DELETE FROM work_queue w USING c WHERE w.id = c.id AND NOT c.awaits"
    "             RETURNING w.id, w.target_id)"
    " SELECT id, target_id::text FROM claimed"
    " UNION ALL SELECT NULL, count(*)::text FROM parked",
    1};

static const struct db_stmt stmt_awaiting_group = {
    "work_awaiting_group",
    "SELECT DISTINCT m.member_id FROM work_queue j JOIN group_members m"
    "    ON m.group_id = j.target_id AND m.member_seq > j.cursor_seq"
    " WHERE j.kind = 'group' AND j.attempts = 0 AND m.member_id = ANY($1::uuid[])",
    1};

/* A group job's page takes the items queued for its members: evaluating them covers those. */
static const struct db_stmt stmt_claim_members = {
    "work_claim_members",
    "DELETE FROM work_queue WHERE id IN ("
    "  SELECT id FROM work_queue WHERE kind = 'user' AND target_id = ANY($1::uuid[])"
    "   FOR UPDATE SKIP LOCKED)",
    1};

static const struct db_stmt stmt_unpark = {
    "work_unpark",
    "UPDATE work_queue SET run_after = now() WHERE kind = 'user' AND run_after = 'infinity'", 0};
static const struct db_stmt stmt_unpark_idle = {
    "work_unpark_idle",
    "UPDATE work_queue SET run_after = now() WHERE kind = 'user' AND run_after = 'infinity'"
    "   AND NOT EXISTS (SELECT 1 FROM work_queue j WHERE j.kind = 'group' AND j.attempts = 0)",
    0};

static const struct db_stmt stmt_claim_user = {
    "work_claim_user",
    "DELETE FROM work_queue WHERE id IN ("
    "  SELECT id FROM work_queue WHERE kind = 'user' AND target_id = $1 AND run_after <= now()"
    "   FOR UPDATE SKIP LOCKED) RETURNING id",
    1};

/* A failing item waits 2^attempts seconds (at most 5 minutes) and keeps its last error. */
static const struct db_stmt stmt_defer_users = {
    "work_defer_users",
    "UPDATE work_queue SET attempts = attempts + 1, last_error = $2,"
    "       run_after = now() + least(300, 2 ^ attempts) * interval '1 second'"
    " WHERE kind = 'user' AND target_id = ANY($1::uuid[])",
    2};
static const struct db_stmt stmt_defer_job = {
    "work_defer_job",
    "UPDATE work_queue SET attempts = attempts + 1, last_error = $2,"
    "       run_after = now() + least(300, 2 ^ attempts) * interval '1 second' WHERE id = $1",
    2};

static const struct db_stmt stmt_claim_job = {
    "work_claim_job",
    "SELECT w.id, w.kind, w.target_id, w.cursor_seq, w.done, w.failed, coalesce(w.total, 0),"
    "       coalesce(w.generation, 0), w.started_at IS NOT NULL, coalesce(g.display_name, '')"
    "  FROM work_queue w LEFT JOIN groups g ON w.kind = 'group' AND g.id = w.target_id"
    " WHERE w.kind IN ('group', 'sku') AND w.run_after <= now()"
    " ORDER BY w.run_after, w.id LIMIT 1 FOR UPDATE OF w SKIP LOCKED",
    0};

static const struct db_stmt stmt_start_group = {
    "work_start_group",
    "WITH g AS (UPDATE groups SET license_processing_state = 'ProcessingInProgress'"
    "            WHERE id = $2 RETURNING license_generation)"
    " UPDATE work_queue w SET started_at = now(), generation = g.license_generation,"
    "        total = (SELECT count(*) FROM group_members m"
    "                  WHERE m.group_id = $2 AND m.member_type = 'user')"
    "   FROM g WHERE w.id = $1 RETURNING w.generation, w.total",
    2};

static const struct db_stmt stmt_member_page = {
    "work_member_page",
    "SELECT member_id, member_seq FROM group_members"
    " WHERE group_id = $1 AND member_type = 'user' AND member_seq > $2"
    " ORDER BY member_seq LIMIT $3",
    3};

static const struct db_stmt stmt_progress = {
    "work_progress", "UPDATE work_queue SET cursor_seq = $2, done = $3, failed = $4 WHERE id = $1",
    4};

static const struct db_stmt stmt_finish = {"work_finish", "DELETE FROM work_queue WHERE id = $1",
                                           1};

/* Complete only when the generation applied is still the group's latest (semantics §6). */
static const struct db_stmt stmt_group_complete = {
    "work_group_complete",
    "UPDATE groups SET license_processing_state = 'ProcessingComplete'"
    " WHERE id = $1 AND license_generation = $2"
    "   AND NOT EXISTS (SELECT 1 FROM work_queue WHERE kind = 'group' AND target_id = $1"
    "                    AND id <> $3)",
    3};

/* Seats came free: users waiting for this SKU, earlier membership first, then user id (§4.6). */
static const struct db_stmt stmt_requeue_count = {
    "work_requeue_count",
    "INSERT INTO work_queue (kind, target_id, reason)"
    " SELECT 'user', w.user_id, 'seats available' FROM ("
    "   SELECT DISTINCT user_id FROM license_assignment_states"
    "    WHERE sku_id = $1 AND error = 'CountViolation') w"
    " ORDER BY (SELECT min(m.member_seq) FROM group_members m WHERE m.member_id = w.user_id),"
    "          w.user_id",
    1};

static const struct db_stmt stmt_sweep = {
    "work_sweep",
    "INSERT INTO work_queue (kind, target_id, reason)"
    " SELECT 'group', g.id, 'sweep: processing not complete' FROM groups g"
    "  WHERE g.license_processing_state IN ('QueuedForProcessing', 'ProcessingInProgress')"
    "    AND NOT EXISTS (SELECT 1 FROM work_queue w WHERE w.kind = 'group' AND w.target_id = g.id)",
    0};

/* Exec, check, clear: 0 or -1 with err. */
static int exec_params(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                       struct lic_error *err)
{
    return db_exec_command(conn, stmt, params, err) < 0 ? -1 : 0;
}

static PGresult *ids_exec(struct db_conn *conn, const struct db_stmt *stmt,
                          const char (*ids)[GUID_SIZE], int n, const char *second,
                          struct lic_error *err)
{
    const char **items = calloc((size_t)n + 1, sizeof(*items));
    char *list = NULL;
    if (items != NULL) {
        for (int i = 0; i < n; i++)
            items[i] = ids[i];
        list = db_array_literal(items, n);
    }
    free(items);
    if (list == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    const char *params[] = {list, second};
    PGresult *r = db_exec(conn, stmt, params, err);
    free(list);
    return r;
}

struct claimed {
    long long id;
    const char *target;
};

static int by_queue_id(const void *a, const void *b)
{
    long long x = ((const struct claimed *)a)->id, y = ((const struct claimed *)b)->id;
    return x < y ? -1 : x > y;
}

int db_work_claim_users(struct db_conn *conn, int max, char (*ids)[GUID_SIZE], int *claimed,
                        int *parked, struct lic_error *err)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", max);
    const char *params[] = {limit};
    PGresult *r = db_exec(conn, &stmt_claim_users, params, err);
    if (r == NULL)
        return -1;
    *claimed = 0;
    *parked = 0;
    struct claimed *rows = calloc((size_t)PQntuples(r) + 1, sizeof(*rows));
    if (rows == NULL) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, 0))
            *parked = atoi(PQgetvalue(r, i, 1));
        else
            rows[(*claimed)++] = (struct claimed){atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1)};
    }
    /* RETURNING comes in no particular order: queue order decides who gets a seat first. */
    qsort(rows, (size_t)*claimed, sizeof(*rows), by_queue_id);
    int n = 0;
    for (int i = 0; i < *claimed; i++) {
        int dup = 0;
        for (int k = 0; k < n && !dup; k++)
            dup = strcmp(ids[k], rows[i].target) == 0;
        if (!dup)
            snprintf(ids[n++], GUID_SIZE, "%s", rows[i].target);
    }
    free(rows);
    PQclear(r);
    return n;
}

int db_work_claim_members(struct db_conn *conn, const char *const *ids, int n,
                          struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {list};
    long claimed = db_exec_command(conn, &stmt_claim_members, params, err);
    free(list);
    return (int)claimed;
}

int db_work_awaiting_group(struct db_conn *conn, const char *const *ids, int n, char *awaiting,
                           struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {list};
    PGresult *r = db_exec(conn, &stmt_awaiting_group, params, err);
    free(list);
    if (r == NULL)
        return -1;
    memset(awaiting, 0, (size_t)n);
    int count = 0;
    for (int k = 0; k < PQntuples(r); k++)
        for (int i = 0; i < n; i++)
            if (!awaiting[i] && strcasecmp(ids[i], PQgetvalue(r, k, 0)) == 0) {
                awaiting[i] = 1;
                count++;
            }
    PQclear(r);
    return count;
}

int db_work_unpark_users(struct db_conn *conn, int unless_a_job_awaits, struct lic_error *err)
{
    return exec_params(conn, unless_a_job_awaits ? &stmt_unpark_idle : &stmt_unpark, NULL, err);
}

int db_work_claim_user(struct db_conn *conn, const char *user_id, struct lic_error *err)
{
    const char *params[] = {user_id};
    PGresult *r = db_exec(conn, &stmt_claim_user, params, err);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    PQclear(r);
    return n;
}

int db_work_defer_users(struct db_conn *conn, const char (*ids)[GUID_SIZE], int n,
                        const char *reason, struct lic_error *err)
{
    PGresult *r = ids_exec(conn, &stmt_defer_users, ids, n, reason, err);
    PQclear(r);
    return r != NULL ? 0 : -1;
}

int db_work_defer_job(struct db_conn *conn, long long id, const char *reason, struct lic_error *err)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", id);
    const char *params[] = {text, reason};
    return exec_params(conn, &stmt_defer_job, params, err);
}

int db_work_claim_job(struct db_conn *conn, struct work_job *job, struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_claim_job, NULL, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        memset(job, 0, sizeof(*job));
        job->id = atoll(PQgetvalue(r, 0, 0));
        job->kind = (enum queue_kind)db_queue_kind_parse(PQgetvalue(r, 0, 1));
        snprintf(job->target, sizeof(job->target), "%s", PQgetvalue(r, 0, 2));
        job->cursor_seq = atoll(PQgetvalue(r, 0, 3));
        job->done = atoi(PQgetvalue(r, 0, 4));
        job->failed = atoi(PQgetvalue(r, 0, 5));
        job->total = atoi(PQgetvalue(r, 0, 6));
        job->generation = atoll(PQgetvalue(r, 0, 7));
        job->started = PQgetvalue(r, 0, 8)[0] == 't';
        snprintf(job->name, sizeof(job->name), "%s", PQgetvalue(r, 0, 9));
    }
    PQclear(r);
    return found;
}

int db_work_start_group(struct db_conn *conn, struct work_job *job, struct lic_error *err)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", job->id);
    const char *params[] = {id, job->target};
    PGresult *r = db_exec(conn, &stmt_start_group, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        job->generation = atoll(PQgetvalue(r, 0, 0));
        job->total = atoi(PQgetvalue(r, 0, 1));
        job->started = 1;
    }
    PQclear(r);
    return found;
}

int db_group_member_page(struct db_conn *conn, const char *group_id, long long after_seq, int limit,
                         char (*ids)[GUID_SIZE], long long *last_seq, struct lic_error *err)
{
    char after[24], lim[16];
    snprintf(after, sizeof(after), "%lld", after_seq);
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {group_id, after, lim};
    PGresult *r = db_exec(conn, &stmt_member_page, params, err);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        snprintf(ids[i], GUID_SIZE, "%s", PQgetvalue(r, i, 0));
    if (n > 0)
        *last_seq = atoll(PQgetvalue(r, n - 1, 1));
    PQclear(r);
    return n;
}

int db_work_save_progress(struct db_conn *conn, const struct work_job *job, struct lic_error *err)
{
    char id[24], cur[24], done[16], failed[16];
    snprintf(id, sizeof(id), "%lld", job->id);
    snprintf(cur, sizeof(cur), "%lld", job->cursor_seq);
    snprintf(done, sizeof(done), "%d", job->done);
    snprintf(failed, sizeof(failed), "%d", job->failed);
    const char *params[] = {id, cur, done, failed};
    return exec_params(conn, &stmt_progress, params, err);
}

int db_work_finish(struct db_conn *conn, const struct work_job *job, struct lic_error *err)
{
    char id[24], gen[24];
    snprintf(id, sizeof(id), "%lld", job->id);
    snprintf(gen, sizeof(gen), "%lld", job->generation);
    if (job->kind == QUEUE_GROUP) {
        const char *params[] = {job->target, gen, id};
        if (exec_params(conn, &stmt_group_complete, params, err) != 0)
            return -1;
    }
    const char *params[] = {id};
    return exec_params(conn, &stmt_finish, params, err);
}

int db_work_requeue_count_violations(struct db_conn *conn, const char *sku_id,
                                     struct lic_error *err)
{
    const char *params[] = {sku_id};
    return exec_params(conn, &stmt_requeue_count, params, err);
}

int db_work_sweep(struct db_conn *conn, struct lic_error *err)
{
    return exec_params(conn, &stmt_sweep, NULL, err);
}

int db_work_listen(struct db_conn *conn, struct lic_error *err)
{
    return db_exec_simple(conn, "LISTEN licensingd_work", err);
}

int db_work_wait(struct db_conn *conn, int timeout_ms)
{
    PGconn *pg = db_pgconn(conn);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
        return -1;
    int woken = 0;
    PQconsumeInput(pg);
    for (PGnotify *n; (n = PQnotifies(pg)) != NULL; PQfreemem(n))
        woken = 1;
    if (woken)
        return 1;
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    if (pfd.fd < 0)
        return -1;
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc <= 0)
        return 0;
    if (!PQconsumeInput(pg))
        return -1;
    for (PGnotify *n; (n = PQnotifies(pg)) != NULL; PQfreemem(n))
        woken = 1;
    return woken;
}
