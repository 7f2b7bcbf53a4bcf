/* When licensing work is queued for licensing's own reasons: a group's licenses changed, seats
 * came free, a stalled group, the users waiting for a SKU's seats, and the directory changes that
 * queue a user (requeue_after_user_change): the one place that answers "when is a user
 * requeued?". Each function runs in the transaction
 * of the change that causes it (the work exists exactly when the change commits) and returns 0, or
 * -1 with err (the caller rolls back). */
#ifndef LICENSINGD_REQUEUE_H
#define LICENSINGD_REQUEUE_H

#include "db/directory.h"
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

/* A user a group job has yet to reach was claimed by a user batch anyway (the group license
 * landed after the claim): the user goes back to the queue, where the job takes its item or it
 * waits parked for the job (semantics §4.6). */
int requeue_awaiting_group(struct db_conn *conn, const char *user_id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* A group job finished or failed: the user work parked for it is ready again (what another job
 * still awaits is parked again by the next claim). */
int requeue_parked(struct db_conn *conn, struct lic_error *err) __attribute__((warn_unused_result));

/* Repairs drift (the worker, now and then): a job for every group still queued or in progress
 * that has none, and parked user work made ready when no group job could await it. */
int requeue_stalled_groups(struct db_conn *conn, struct lic_error *err)
    __attribute__((warn_unused_result));

/* A directory change that may change what licensing gives a user. */
enum user_change_kind {
    USER_CREATED,
    USER_UPDATED,
    USER_DELETED,
    USER_JOINED_GROUP, /* a member (user or group) was added to a group */
    USER_LEFT_GROUP,
    USER_CHANGE_KIND_COUNT
};
struct user_change {
    enum user_change_kind kind;
    const char *user_id;              /* the user, or the member that joined or left */
    const struct db_rows *before;     /* updated: the user's row before the change */
    const struct db_fields *fields;   /* created, updated: what the request set */
    int proxies_given;                /* created, updated: proxyAddresses were given */
    enum dir_object_type member_type; /* joined, left */
    const char *group_id;             /* joined, left */
    const struct db_rows *freed_skus; /* deleted: the skuIds whose seats it freed (column 0) */
};
/* The one place that decides what a directory change queues for licensing, in the change's
 * transaction: the user when a property licensing reads changed (semantics: usage location,
 * proxy uniqueness) or its group membership did, and the SKUs whose seats a deletion freed. */
int requeue_after_user_change(struct db_conn *conn, const struct user_change *c,
                              struct lic_error *err) __attribute__((warn_unused_result));

/* Members (users or groups) joined one group in one change: what requeue_after_user_change
 * decides for each (USER_JOINED_GROUP), queued in one statement. */
int requeue_members_joined(struct db_conn *conn, const char *group_id,
                           const char *const *member_ids, const enum dir_object_type *types, int n,
                           struct lic_error *err) __attribute__((warn_unused_result));

#endif
