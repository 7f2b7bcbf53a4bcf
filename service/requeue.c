/* When licensing work is queued (see requeue.h). */
#include "service/requeue.h"

#include "service/engine/batch.h"
#include "db/queue.h"
#include "db/worker.h"

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
