/* When licensing work is queued for licensing's own reasons: a group's licenses changed, seats
 * came free, a stalled group, the users waiting for a SKU's seats. (Directory changes that queue
 * a user: users_requeue_after_change, service/directory.h.) Each function runs in the transaction
 * of the change that causes it (the work exists exactly when the change commits) and returns 0, or
 * -1 with err (the caller rolls back). */
#ifndef LICENSINGD_REQUEUE_H
#define LICENSINGD_REQUEUE_H

#include "service/base/error.h"

struct db_conn;
struct lic_batch;
struct lic_result;

/* A group's licenses changed, or reprocessing was asked for: all its members, as one job. */
int requeue_group(struct db_conn *conn, const char *group_id, const char *reason,
                  struct lic_error *err) __attribute__((warn_unused_result));

/* Seats of a SKU came free (a user deleted, seats added): the users waiting in CountViolation
 * for it are evaluated again, through one SKU job (semantics §4.6). */
int requeue_sku_seats(struct db_conn *conn, const char *sku_id, const char *reason,
                      struct lic_error *err) __attribute__((warn_unused_result));

/* After a batch was saved: a SKU job for every SKU whose seats it freed. */
int requeue_seats_freed(struct db_conn *conn, const struct lic_batch *batch,
                        const struct lic_result *results, struct lic_error *err)
    __attribute__((warn_unused_result));

/* The SKU job runs: queues each user in CountViolation for the SKU, earlier members first. */
int requeue_sku_waiters(struct db_conn *conn, const char *sku_id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Repairs drift (the worker, now and then): a job for every group still queued or in progress
 * that has none. */
int requeue_stalled_groups(struct db_conn *conn, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
