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

#include "db/audit.h"
#include "db/licensing.h"
#include "db/queue.h"
#include "db/worker.h"
#include "service/assignment.h"
#include "service/engine/licensing.h"
#include "service/base/log.h"

#define USER_BATCH 500
#define GROUP_BATCH 2000

struct worker_pool {
    const struct config *cfg;
    atomic_int stop;
    int n;
    pthread_t *threads;
};

static void audit_group(struct db_conn *conn, const char *activity, const char *group_id,
                        const char *group_name, const char *result_text)
{
    json_t *j_targets =
        json_pack("[{s:s, s:s, s:s, s:[]}]", "id", group_id, "displayName",
                  group_name ? group_name : "", "type", "Group", "modifiedProperties");
    if (result_text != NULL)
        json_array_append_new(json_object_get(json_array_get(j_targets, 0), "modifiedProperties"),
                              json_pack("{s:s, s:s, s:s}", "displayName", "Result", "oldValue", "",
                                        "newValue", result_text));
    char *targets = json_dumps(j_targets, JSON_COMPACT);
    struct audit_record rec = {.activity = activity,
                               .category = "GroupManagement",
                               .operation_type = "Assign",
                               .result = "success",
                               .initiated_by = licensing_app_initiator,
                               .target_resources = targets};
    struct lic_error err;
    if (db_audit_write(conn, &rec, &err) != 0)
        log_event(LOG_WARN, "audit_failed", "%s: %s", activity, err.message);
    free(targets);
    json_decref(j_targets);
}

/* Another transaction held the user while this one wanted it; this one waited and carries on
 * (semantics §6). Recorded on the user, with the groups whose licenses it was being given. */
static void audit_concurrency(struct db_conn *conn, const struct lic_batch_user *bu,
                              const char *group_id)
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
    json_t *j_targets = json_pack("[{s:s, s:s, s:s, s:[]}]", "id", bu->id, "type", "User",
                                  "userPrincipalName", bu->upn, "modifiedProperties");
    char *details = json_dumps(j_details, JSON_COMPACT);
    char *targets = json_dumps(j_targets, JSON_COMPACT);
    struct audit_record rec = {.activity = "LicenseAssignmentAttributeConcurrencyException",
                               .category = "UserManagement",
                               .operation_type = "Update",
                               .result = "success",
                               .result_reason = "Concurrent license processing of the same user; "
                                                "retried automatically.",
                               .initiated_by = licensing_app_initiator,
                               .target_resources = targets,
                               .additional_details = details};
    struct lic_error err;
    db_audit_write(conn, &rec, &err);
    free(details);
    free(targets);
    json_decref(j_details);
    json_decref(j_targets);
}

/* Loads the batch with its SKU rows locked. Outside a group's job, a user whom a group job has
 * yet to reach goes back to the queue instead (semantics §4.6): that job gives the seats in
 * membership order. Checked after the load, under the SKU locks, so a group license that landed
 * since the claim is seen with its job; list and *n shrink to the users kept. */
static int load(struct db_conn *conn, const char **list, char *contended, int *n,
                const char *group_id, struct lic_batch *b, struct lic_error *err)
{
    char *awaiting = calloc((size_t)*n + 1, 1);
    int rc = -1;
    while (awaiting != NULL) {
        if (db_licensing_load(conn, list, *n, NULL, 0, LIC_LOAD_LOCK_SKUS, b, err) != 0)
            break;
        int waiting = group_id ? 0 : db_work_awaiting_group(conn, list, *n, awaiting, err);
        if (waiting <= 0) {
            rc = waiting;
            break;
        }
        db_licensing_batch_free(b);
        log_event(LOG_INFO, "users_await_group", "%d of %d users back to the queue for a group job",
                  waiting, *n);
        int kept = 0;
        for (int i = 0; i < *n; i++) {
            if (!awaiting[i]) {
                contended[kept] = contended[i];
                list[kept++] = list[i];
            } else if (db_queue_push(conn, QUEUE_USER, list[i],
                                     "waiting for its group's processing", err) != 0)
                goto out;
        }
        *n = kept;
    }
    if (awaiting == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
out:
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

/* Evaluates and saves a batch of users inside the caller's transaction. */
static int process_users(struct db_conn *conn, char (*ids)[GUID_SIZE], int n, const char *group_id,
                         int *failed, struct lic_error *err)
{
    const char **list = calloc((size_t)n + 1, sizeof(*list));
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    for (int i = 0; i < n; i++)
        list[i] = ids[i];
    struct lic_batch b = {0};
    struct lic_result *results = calloc((size_t)n + 1, sizeof(*results));
    char *contended = calloc((size_t)n + 1, 1);
    int rc = -1;
    if (results == NULL || contended == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (db_licensing_lock_users(conn, list, n, contended, err) < 0 ||
        (group_id != NULL && claim_members(conn, list, n, err) != 0) ||
        load(conn, list, contended, &n, group_id, &b, err) != 0)
        goto out;
    for (int i = 0; i < n; i++)
        if (contended[i] && b.users[i].found)
            audit_concurrency(conn, &b.users[i], group_id);
    for (int i = 0; i < n; i++) {
        if (!b.users[i].found)
            continue;
        /* Users evaluated in order share the seat budget (earlier members first, §4.6) and
         * the new primary addresses given in this batch (§4.7). */
        lic_batch_check_smtp(&b, i);
        if (licensing_evaluate_user(&b.catalog, &b.users[i].input, b.seats_free, &results[i]) !=
            0) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            goto out;
        }
        if (results[i].needs_primary_smtp)
            lic_batch_take_smtp(&b, i);
    }
    rc = licensing_save_batch(conn, &b, results, licensing_app_initiator, err);
    /* Members left in Error by this group, for the "Finish" record's counts. */
    for (int i = 0; rc == 0 && failed != NULL && i < n; i++) {
        int in_error = 0;
        for (int k = 0; b.users[i].found && k < b.users[i].input.n_paths; k++)
            in_error |= b.users[i].paths[k].group_id != NULL &&
                        strcmp(b.users[i].paths[k].group_id, group_id) == 0 &&
                        results[i].paths[k].state == LIC_STATE_ERROR;
        *failed += in_error;
    }
out:
    for (int i = 0; results && i < n; i++)
        licensing_result_free(&results[i], b.users ? b.users[i].input.n_paths : 0);
    free(results);
    free(contended);
    db_licensing_batch_free(&b);
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
            continue;
        }
        db_rollback(conn);
        if (claimed == 0)
            continue;
        log_event(LOG_WARN, "user_deferred", "user %s: %s", ids[i], err.message);
        struct lic_error ignored;
        db_work_defer_users(conn, (const char(*)[GUID_SIZE]) & ids[i], 1, err.message, &ignored);
    }
}

/* One unit of work in one transaction: a batch of users, or a slice of one job. Returns 1 when
 * something was done, 0 when the queue is empty, -1 on error. */
static int run_once(struct db_conn *conn, char (*ids)[GUID_SIZE])
{
    struct lic_error err;
    lic_error_clear(&err);
    if (db_begin(conn, &err) != 0)
        return -1;
    int claimed = 0, parked = 0;
    int n = db_work_claim_users(conn, USER_BATCH, ids, &claimed, &parked, &err);
    if (n == 0 && parked > 0) { /* nothing claimed, but the parked items are set aside */
        if (db_commit(conn, &err) != 0)
            goto fail;
        return 1;
    }
    if (n > 0) {
        if (process_users(conn, ids, n, NULL, NULL, &err) != 0 || db_commit(conn, &err) != 0) {
            db_rollback(conn);
            log_event(LOG_WARN, "user_batch_failed", "%d users, one by one now: %s", n,
                      err.message);
            process_users_one_by_one(conn, ids, n);
            return 1;
        }
        /* Counted by the resilience tests: every queued item is claimed exactly once. */
        log_event(LOG_INFO, "user_batch", "claimed %d items for %d users", claimed, n);
        return 1;
    }
    if (n < 0)
        goto fail;
    struct work_job job;
    int found = db_work_claim_job(conn, &job, &err);
    if (found <= 0) {
        db_rollback(conn);
        return found;
    }
    if (strcmp(job.kind, "sku") == 0) {
        if (db_work_requeue_count_violations(conn, job.target, &err) != 0 ||
            db_work_finish(conn, &job, &err) != 0 || db_commit(conn, &err) != 0)
            goto fail_job;
        return 1;
    }
    if (!job.started) {
        if (db_work_start_group(conn, &job, &err) < 0)
            goto fail_job;
        audit_group(conn, "Start applying group based license to users", job.target, job.name,
                    NULL);
    }
    long long last = job.cursor_seq;
    n = db_group_member_page(conn, job.target, job.cursor_seq, GROUP_BATCH, ids, &last, &err);
    if (n < 0)
        goto fail_job;
    if (n > 0) {
        int failed = 0;
        if (process_users(conn, ids, n, job.target, &failed, &err) != 0)
            goto fail_job;
        job.cursor_seq = last;
        job.done += n;
        job.failed += failed;
        if (db_work_save_progress(conn, &job, &err) != 0 || db_commit(conn, &err) != 0)
            goto fail_job;
        return 1;
    }
    /* Every member reflects this generation: finish (semantics §6). */
    char result[200];
    snprintf(result, sizeof(result),
             "[Users successfully assigned licenses: %d, Users for whom license assignment "
             "failed: %d.];",
             job.done - job.failed, job.failed);
    if (db_work_finish(conn, &job, &err) != 0)
        goto fail_job;
    audit_group(conn, "Finish applying group based license to users", job.target, job.name, result);
    if (db_commit(conn, &err) != 0)
        goto fail_job;
    log_event(LOG_INFO, "group_processed", "group %s: %d members, %d failed", job.target, job.done,
              job.failed);
    return 1;
fail_job:
    db_rollback(conn);
    log_event(LOG_WARN, "job_deferred", "%s %s: %s", job.kind, job.target, err.message);
    struct lic_error ignored;
    db_work_defer_job(conn, job.id, err.message, &ignored);
    return -1;
fail:
    db_rollback(conn);
    log_event(LOG_WARN, "worker_batch_failed", "%s", err.message);
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
            if (db_work_sweep(conn, &err) != 0)
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
