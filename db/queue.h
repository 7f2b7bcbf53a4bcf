/* The durable work queue: reconciliation work queued in the transaction of the change causing it.
 * Which changes queue what is service/requeue.h's decision; this is the table. */
#ifndef LICENSINGD_DB_QUEUE_H
#define LICENSINGD_DB_QUEUE_H

#include "db/db.h"

/* What a work item is about (work_queue.kind: "user", "group", "sku"). */
enum queue_kind { QUEUE_USER, QUEUE_GROUP, QUEUE_SKU, QUEUE_KIND_COUNT };

const char *db_queue_kind_name(enum queue_kind kind);
int db_queue_kind_parse(const char *text); /* -1 when unknown */

/* Queues work on target_id (a user, group or skuId) inside the caller's transaction and
 * notifies the workers (LISTEN licensingd_work), which wake when the transaction commits. */
int db_queue_push(struct db_conn *conn, enum queue_kind kind, const char *target_id,
                  const char *reason, struct lic_error *err) __attribute__((warn_unused_result));

/* Queues one user item per id (in the order given), same reason, in one statement. */
int db_queue_push_users(struct db_conn *conn, const char *const *user_ids, int n,
                        const char *reason, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
