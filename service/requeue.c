/* When licensing work is queued (see requeue.h). */
#include "service/requeue.h"

#include <stdio.h>

#include "service/base/buf.h"
#include "service/engine/batch.h"
#include "db/queue.h"
#include "db/worker.h"

int requeue_user_changed(struct db_conn *conn, const char *user_id,
                         const struct requeue_user_change *change, struct lic_error *err)
{
    if (change->created)
        return change->usage_location_changed || change->proxies_changed
                   ? db_queue_push(conn, QUEUE_USER, user_id, "user created", err)
                   : 0;
    struct buf reason = {0};
    if (change->usage_location_changed)
        buf_add(&reason, "usageLocation changed; ");
    if (change->mail_changed)
        buf_add(&reason, "mail changed; ");
    if (change->proxies_changed)
        buf_add(&reason, "proxyAddresses changed; ");
    int rc = 0;
    if (reason.failed)
        rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    else if (reason.len > 0)
        rc = db_queue_push(conn, QUEUE_USER, user_id, reason.data, err);
    buf_free(&reason);
    return rc;
}

int requeue_member_changed(struct db_conn *conn, const char *group_id, const char *user_id,
                           int added, struct lic_error *err)
{
    char reason[128];
    snprintf(reason, sizeof(reason), "%s group %.36s", added ? "added to" : "removed from",
             group_id);
    return db_queue_push(conn, QUEUE_USER, user_id, reason, err);
}

int requeue_group(struct db_conn *conn, const char *group_id, const char *reason,
                  struct lic_error *err)
{
    return db_queue_push(conn, QUEUE_GROUP, group_id, reason, err);
}

int requeue_sku_seats(struct db_conn *conn, const char *sku_id, const char *reason,
                      struct lic_error *err)
{
    return db_queue_push(conn, QUEUE_SKU, sku_id, reason, err);
}

int requeue_seats_freed(struct db_conn *conn, const struct lic_batch *b,
                        const struct lic_result *results, struct lic_error *err)
{
    for (int s = 0; s < b->catalog.n_skus; s++) {
        int freed = 0;
        for (int u = 0; u < b->n_users && !freed; u++)
            freed = b->users[u].found && results[u].seat_delta[s] < 0;
        if (freed && requeue_sku_seats(conn, b->catalog.skus[s].sku_id, "seats freed", err) != 0)
            return -1;
    }
    return 0;
}

int requeue_sku_waiters(struct db_conn *conn, const char *sku_id, struct lic_error *err)
{
    return db_work_requeue_count_violations(conn, sku_id, err);
}

int requeue_stalled_groups(struct db_conn *conn, struct lic_error *err)
{
    return db_work_sweep(conn, err);
}
