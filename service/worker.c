/* Reconciliation worker (semantics §4-§6): claims user batches and group jobs with SKIP LOCKED,
 * evaluates users with the engine in membership order against the locked seat counts, saves in
 * bulk, and commits each batch with the job's cursor so a crash resumes where it stopped. */
#include "service/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "service/assignment.h"
#include "service/audit.h"
#include "service/base/log.h"
#include "service/base/metrics.h"
#include "service/engine/licensing.h"
#include "service/requeue.h"
#include "db/licensing.h"
#include "db/worker.h"

#define USER_BATCH 500
#define GROUP_BATCH 2000

struct worker_pool {
    const struct config *cfg;
    atomic_int stop;
    int n;
    pthread_t *threads;
};

static int audit_group(struct db_conn *conn, enum audit_activity activity,
                       const struct work_job *job, const char *result, struct lic_error *err)
{
    struct audit_target target = {.type = "Group", .id = job->target, .display_name = job->name};
    if (result != NULL)
        target.j_modified = json_pack("[o]", audit_modified("Result", "", result));
    struct audit_entry entry = {.activity = activity,
                                .by = &audit_actor_group_licensing,
                                .targets = &target,
                                .n_targets = 1};
    return audit_write(conn, &entry, err);
}

/* Another transaction held the user while this one wanted it: this one waited and carries on
 * (semantics §6). Recorded on the user, with the group being processed and the user's other
 * licensing groups. */
static int audit_concurrency(struct db_conn *conn, const struct lic_batch_user *bu,
                             const char *group_id, struct lic_error *err)
{
    json_t *j_details = json_array();
    if (group_id != NULL)
        json_array_append_new(j_details,
                              json_pack("{s:s, s:s}", "key", "GroupId", "value", group_id));
    for (int k = 0; k < bu->input.n_paths; k++) {
        const char *g = bu->paths[k].group_id;
        int seen = g == NULL || (group_id != NULL && strcmp(g, group_id) == 0);
        for (int e = 0; e < k && !seen; e++)
            seen = bu->paths[e].group_id != NULL && strcmp(bu->paths[e].group_id, g) == 0;
        if (!seen)
            json_array_append_new(j_details, json_pack("{s:s, s:s}", "key", "GroupId", "value", g));
    }
    struct audit_target target = {.type = "User", .id = bu->id, .upn = bu->upn};
    struct audit_entry entry = {
        .activity = AUDIT_LICENSE_CONCURRENCY,
        .by = &audit_actor_group_licensing,
        .targets = &target,
        .n_targets = 1,
        .reason = "Concurrent license processing of the same user; retried automatically.",
        .j_details = j_details};
    return audit_write(conn, &entry, err);
}

/* Loads the batch with its SKU rows locked. Outside a group's job, a user whom a group job has
 * yet to reach goes back to the queue instead (semantics §4.6): that job gives the seats in
 * membership order. Checked after the load, under the SKU locks, so a group license that landed
 * since the claim is seen with its job; list, contended and *n shrink to the users kept. */
static int load(struct db_conn *conn, const char **list, char *contended, int *n,
                const char *group_id, struct lic_batch *b, struct lic_error *err)
{
    char *awaiting = calloc((size_t)*n + 1, 1);
    if (awaiting == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    int rc = -1;
    for (;;) {
        if (db_licensing_load(conn, list, *n, NULL, 0, LIC_LOAD_LOCK_SKUS, b, err) != 0)
            break;
        int waiting = group_id ? 0 : db_work_awaiting_group(conn, list, *n, awaiting, err);
        if (waiting <= 0) {
            rc = waiting;
            break;
        }
        lic_batch_free(b);
        log_event(LOG_INFO, "users_await_group", "%d of %d users back to the queue for a group job",
                  waiting, *n);
        int kept = 0, failed = 0;
        for (int i = 0; i < *n && !failed; i++) {
            if (!awaiting[i]) {
                contended[kept] = contended[i];
                list[kept++] = list[i];
            } else {
                failed = requeue_awaiting_group(conn, list[i], err) != 0;
            }
        }
        if (failed)
            break;
        *n = kept;
    }
    free(awaiting);
    return rc;
}

/* A group job's page: the items queued for its members are covered by this evaluation (taken
 * before the load, so every change they stand for is seen). */
static int claim_members(struct db_conn *conn, const char **list, int n, struct lic_error *err)
{
    int claimed = db_work_claim_members(conn, list, n, err);
    if (claimed < 0)
        return -1;
    if (claimed > 0)
        log_event(LOG_INFO, "group_batch", "claimed %d items for %d members", claimed, n);
    return 0;
}

/* Members of the group left in Error by their path from it, for the "Finish" record's counts. */
static int count_failed(const struct lic_batch *b, const struct lic_result *results,
                        const char *group_id)
{
    int failed = 0;
    for (int u = 0; u < b->n_users; u++) {
        const struct lic_batch_user *bu = &b->users[u];
        int in_error = 0;
        for (int k = 0; bu->found && k < bu->input.n_paths; k++)
            in_error |= bu->paths[k].group_id != NULL &&
                        strcmp(bu->paths[k].group_id, group_id) == 0 &&
                        results[u].paths[k].state == LIC_STATE_ERROR;
        failed += in_error;
    }
    return failed;
}

/* Evaluates and saves a batch of users inside the caller's transaction; with group_id, counts
 * the members its path left in Error into *failed. */
static int process_users(struct db_conn *conn, char (*ids)[GUID_SIZE], int n, const char *group_id,
                         int *failed, struct lic_error *err)
{
    const char **list = calloc((size_t)n + 1, sizeof(*list));
    struct lic_result *results = calloc((size_t)n + 1, sizeof(*results));
    char *contended = calloc((size_t)n + 1, 1);
    struct lic_batch b = {0};
    int rc = -1;
    if (list == NULL || results == NULL || contended == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        list[i] = ids[i];
    if (db_licensing_lock_users(conn, list, n, contended, err) < 0 ||
        (group_id != NULL && claim_members(conn, list, n, err) != 0) ||
        load(conn, list, contended, &n, group_id, &b, err) != 0)
        goto out;
    for (int i = 0; i < n; i++)
        if (contended[i] && b.users[i].found &&
            audit_concurrency(conn, &b.users[i], group_id, err) != 0)
            goto out;
    /* In order: users share the seat budget and the new primary addresses (engine/licensing.h). */
    for (int i = 0; i < n; i++)
        if (b.users[i].found && lic_batch_evaluate(&b, i, &results[i]) != 0) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            goto out;
        }
    rc = licensing_save_batch(conn, &b, results, &audit_actor_group_licensing, err);
    if (rc == 0 && failed != NULL)
        *failed += count_failed(&b, results, group_id);
out:
    for (int i = 0; results && i < n; i++)
        licensing_result_free(&results[i], b.users ? b.users[i].input.n_paths : 0);
    free(results);
    free(contended);
    lic_batch_free(&b);
    free(list);
    return rc;
}

/* A user batch failed: one transaction per user, so one bad user holds up only itself, and
 * what fails again waits with a growing delay (its error kept on the queue item). */
static void process_users_one_by_one(struct db_conn *conn, char (*ids)[GUID_SIZE], int n)
{
    for (int i = 0; i < n; i++) {
        struct lic_error err;
        lic_error_clear(&err);
        int claimed = db_begin(conn, &err) == 0 ? db_work_claim_user(conn, ids[i], &err) : -1;
        if (claimed > 0 && process_users(conn, &ids[i], 1, NULL, NULL, &err) == 0 &&
            db_commit(conn, &err) == 0) {
            metrics_add(METRIC_USERS_RECONCILED, 1);
            continue;
        }
        db_rollback(conn);
        if (claimed == 0)
            continue;
        log_event(LOG_WARN, "user_deferred", "user %s: %s", ids[i], err.message);
        struct lic_error ignored;
        if (db_work_defer_users(conn, (const char(*)[GUID_SIZE]) & ids[i], 1, err.message,
                                &ignored) != 0)
            log_event(LOG_WARN, "defer_failed", "user %s: %s", ids[i], ignored.message);
    }
}

/* A batch of queued users, claimed in this transaction: 1 done, 0 none queued, -1 on error. */
static int run_user_batch(struct db_conn *conn, char (*ids)[GUID_SIZE], struct lic_error *err)
{
    int claimed = 0, parked = 0;
    int n = db_work_claim_users(conn, USER_BATCH, ids, &claimed, &parked, err);
    if (n == 0 && parked > 0) /* nothing to evaluate, but the parked items are set aside */
        return db_commit(conn, err) == 0 ? 1 : -1;
    if (n <= 0)
        return n;
    if (process_users(conn, ids, n, NULL, NULL, err) != 0 || db_commit(conn, err) != 0) {
        db_rollback(conn);
        log_event(LOG_WARN, "user_batch_failed", "%d users, one by one now: %s", n, err->message);
        process_users_one_by_one(conn, ids, n);
        return 1;
    }
    metrics_add(METRIC_USERS_RECONCILED, n);
    /* Counted by the resilience tests: every queued item is claimed exactly once. */
    log_event(LOG_INFO, "user_batch", "claimed %d items for %d users", claimed, n);
    return 1;
}

/* One slice of a group job: the next page of members, or the finish when none is left. */
static int run_group_slice(struct db_conn *conn, struct work_job *job, char (*ids)[GUID_SIZE],
                           struct lic_error *err)
{
    if (!job->started && (db_work_start_group(conn, job, err) < 0 ||
                          audit_group(conn, AUDIT_GROUP_LICENSE_START, job, NULL, err) != 0))
        return -1;
    long long last = job->cursor_seq;
    int n = db_group_member_page(conn, job->target, job->cursor_seq, GROUP_BATCH, ids, &last, err);
    if (n < 0)
        return -1;
    if (n > 0) {
        int failed = 0;
        if (process_users(conn, ids, n, job->target, &failed, err) != 0)
            return -1;
        job->cursor_seq = last;
        job->done += n;
        job->failed += failed;
        return db_work_save_progress(conn, job, err);
    }
    /* Every member reflects this generation: finish (semantics §6). */
    char result[200];
    snprintf(result, sizeof(result),
             "[Users successfully assigned licenses: %d, Users for whom license assignment "
             "failed: %d.];",
             job->done - job->failed, job->failed);
    if (db_work_finish(conn, job, err) != 0 || requeue_parked(conn, err) != 0 ||
        audit_group(conn, AUDIT_GROUP_LICENSE_FINISH, job, result, err) != 0)
        return -1;
    log_event(LOG_INFO, "group_processed", "group %s: %d members, %d failed", job->target,
              job->done, job->failed);
    return 0;
}

/* One unit of work in one transaction: a batch of users, or a slice of one job. Returns 1 when
 * something was done, 0 when the queue is empty, -1 on error. */
static int run_once(struct db_conn *conn, char (*ids)[GUID_SIZE])
{
    struct lic_error err;
    lic_error_clear(&err);
    if (db_begin(conn, &err) != 0)
        return -1;
    int done = run_user_batch(conn, ids, &err);
    if (done != 0) {
        if (done < 0) {
            db_rollback(conn);
            log_event(LOG_WARN, "worker_batch_failed", "%s", err.message);
        }
        return done;
    }
    struct work_job job;
    int found = db_work_claim_job(conn, &job, &err);
    if (found <= 0) {
        db_rollback(conn);
        return found;
    }
    int done_before = job.done;
    /* A SKU job: seats came free, so the users waiting for them are queued (service/requeue.h). */
    int rc = job.kind == QUEUE_SKU ? (requeue_sku_waiters(conn, job.target, &err) == 0
                                          ? db_work_finish(conn, &job, &err)
                                          : -1)
                                   : run_group_slice(conn, &job, ids, &err);
    if (rc == 0 && db_commit(conn, &err) == 0) {
        metrics_add(METRIC_USERS_RECONCILED, job.done - done_before);
        return 1;
    }
    db_rollback(conn);
    log_event(LOG_WARN, "job_deferred", "%s %s: %s", db_queue_kind_name(job.kind), job.target,
              err.message);
    struct lic_error ignored;
    if (db_work_defer_job(conn, job.id, err.message, &ignored) != 0)
        log_event(LOG_WARN, "defer_failed", "job %lld: %s", job.id, ignored.message);
    else if (job.kind == QUEUE_GROUP && requeue_parked(conn, &ignored) != 0)
        log_event(LOG_WARN, "unpark_failed", "job %lld: %s", job.id, ignored.message);
    return -1;
}

static void *worker_main(void *arg)
{
    struct worker_pool *pool = arg;
    char(*ids)[GUID_SIZE] = calloc(GROUP_BATCH > USER_BATCH ? GROUP_BATCH : USER_BATCH, GUID_SIZE);
    struct db_conn *conn = NULL;
    time_t last_sweep = 0;
    unsigned backoff = 1;
    while (ids != NULL && !atomic_load(&pool->stop)) {
        struct lic_error err;
        if (conn == NULL) {
            conn = db_connect(pool->cfg->database_url, &err);
            if (conn == NULL || db_work_listen(conn, &err) != 0) {
                db_disconnect(conn);
                conn = NULL;
                for (unsigned s = 0; s < backoff * 10 && !atomic_load(&pool->stop); s++)
                    usleep(100000);
                backoff = backoff < 8 ? backoff * 2 : 8;
                continue;
            }
            backoff = 1;
        }
        int did = run_once(conn, ids);
        if (did > 0)
            continue;
        if (did < 0 && db_work_wait(conn, 0) < 0) {
            db_disconnect(conn); /* lost: reconnect next round */
            conn = NULL;
            continue;
        }
        time_t now = time(NULL);
        if (now - last_sweep >= (time_t)pool->cfg->sweep_seconds) {
            last_sweep = now;
            if (requeue_stalled_groups(conn, &err) != 0)
                log_event(LOG_WARN, "worker_sweep_failed", "%s", err.message);
        }
        /* Woken at once by NOTIFY; the timeout only bounds how long a stop request waits. */
        if (db_work_wait(conn, did < 0 ? 1000 : 500) < 0) {
            db_disconnect(conn);
            conn = NULL;
        }
    }
    db_disconnect(conn);
    free(ids);
    return NULL;
}

struct worker_pool *worker_pool_start(const struct config *cfg)
{
    struct worker_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    pool->cfg = cfg;
    pool->threads = calloc((size_t)cfg->workers + 1, sizeof(pthread_t));
    if (pool->threads == NULL) {
        free(pool);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->workers; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
            worker_pool_stop(pool);
            return NULL;
        }
        pool->n++;
    }
    return pool;
}

void worker_pool_stop(struct worker_pool *pool)
{
    if (pool == NULL)
        return;
    atomic_store(&pool->stop, 1);
    for (int i = 0; i < pool->n; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    free(pool);
}
