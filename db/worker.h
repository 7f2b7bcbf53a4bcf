/* The reconciliation worker's queries: claiming work, group progress, error counts, LISTEN. */
#ifndef LICENSINGD_DB_WORKER_H
#define LICENSINGD_DB_WORKER_H

#include "service/base/guid.h"
#include "db/db.h"
#include "db/queue.h"

struct work_job {
    long long id;
    enum queue_kind kind; /* QUEUE_GROUP or QUEUE_SKU */
    char target[GUID_SIZE];
    long long cursor_seq; /* group: last member_seq done */
    int done, failed, total;
    long long generation;
    int started;
    char name[256]; /* the group's displayName, for the audit records */
};

/* Claims (deletes, inside the caller's transaction) up to max queued user items that no other
 * worker holds; those a group job has yet to reach are parked for it instead (*parked); distinct
 * ids in queue order (the order seats are handed out in). Returns how many users (*claimed: how
 * many queue items), or -1. */
int db_work_claim_users(struct db_conn *conn, int max, char (*ids)[GUID_SIZE], int *claimed,
                        int *parked, struct lic_error *err) __attribute__((warn_unused_result));

/* A group job's page claims the items queued for its members (its evaluation covers them), but
 * none another worker holds. How many, or -1. */
int db_work_claim_members(struct db_conn *conn, const char *const *ids, int n,
                          struct lic_error *err) __attribute__((warn_unused_result));

/* Which of the users a group job has yet to reach (awaiting[i] = 1): their seats are given in
 * that job's membership order. How many, or -1. */
int db_work_awaiting_group(struct db_conn *conn, const char *const *ids, int n, char *awaiting,
                           struct lic_error *err) __attribute__((warn_unused_result));

/* Makes parked user items ready again: all of them, or with unless_a_job_awaits only when no
 * group job that could await them is queued. 0 or -1. */
int db_work_unpark_users(struct db_conn *conn, int unless_a_job_awaits, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Claims one user's queued items (inside the caller's transaction): how many, or -1. */
int db_work_claim_user(struct db_conn *conn, const char *user_id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Puts failing work back with a growing delay (2^attempts s, at most 5 min) and its error. */
int db_work_defer_users(struct db_conn *conn, const char (*ids)[GUID_SIZE], int n,
                        const char *reason, struct lic_error *err)
    __attribute__((warn_unused_result));
int db_work_defer_job(struct db_conn *conn, long long id, const char *reason, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Locks the oldest ready group or SKU job no other worker holds: 1 found, 0 none, -1 error. */
int db_work_claim_job(struct db_conn *conn, struct work_job *job, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Marks a group ProcessingInProgress and records the job's generation and member count. */
int db_work_start_group(struct db_conn *conn, struct work_job *job, struct lic_error *err)
    __attribute__((warn_unused_result));

/* The next page of a group's user members after member_seq cursor, in membership order. */
int db_group_member_page(struct db_conn *conn, const char *group_id, long long after_seq, int limit,
                         char (*ids)[GUID_SIZE], long long *last_seq, struct lic_error *err)
    __attribute__((warn_unused_result));

int db_work_save_progress(struct db_conn *conn, const struct work_job *job, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Deletes the job; for a group, sets ProcessingComplete when no newer change arrived meanwhile. */
int db_work_finish(struct db_conn *conn, const struct work_job *job, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Seats were added: queue every user in CountViolation for the SKU again. */
int db_work_requeue_count_violations(struct db_conn *conn, const char *sku_id,
                                     struct lic_error *err) __attribute__((warn_unused_result));

/* Repairs drift: requeues groups not ProcessingComplete that have no job queued. */
int db_work_sweep(struct db_conn *conn, struct lic_error *err) __attribute__((warn_unused_result));

/* LISTEN licensingd_work on conn, then waits up to timeout_ms for a notification: 1 woken,
 * 0 timed out, -1 connection lost. */
int db_work_listen(struct db_conn *conn, struct lic_error *err) __attribute__((warn_unused_result));
int db_work_wait(struct db_conn *conn, int timeout_ms);

#endif
