/* When licensing work is queued (see requeue.h). */
#include "service/requeue.h"

#include "service/engine/licensing.h"
#include "db/queue.h"
#include "db/worker.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/buf.h"

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

int requeue_awaiting_group(struct db_conn *conn, const char *user_id, struct lic_error *err)
{
    return db_queue_push(conn, QUEUE_USER, user_id, "waiting for its group's processing", err);
}

int requeue_parked(struct db_conn *conn, struct lic_error *err)
{
    return db_work_unpark_users(conn, 0, err);
}

int requeue_stalled_groups(struct db_conn *conn, struct lic_error *err)
{
    if (db_work_unpark_users(conn, 1, err) != 0)
        return -1;
    return db_work_sweep(conn, err);
}

/* Property i given by an update with a value other than the row's (case aside). */
static int changed(const struct user_change *c, int i)
{
    if (!c->fields->set[i])
        return 0;
    const char *old = db_rows_get(c->before, 0, i), *now = c->fields->value[i];
    return old == NULL || now == NULL ? old != now : strcasecmp(old, now) != 0;
}

int requeue_after_user_change(struct db_conn *conn, const struct user_change *c,
                              struct lic_error *err)
{
    assert((unsigned)c->kind < USER_CHANGE_KIND_COUNT);
    struct buf reason = {0};
    int rc = 0;
    switch (c->kind) {
    case USER_CREATED:
        if (c->fields->value[UCOL_USAGE_LOCATION] != NULL || c->proxies_given)
            buf_add(&reason, "user created");
        break;
    case USER_UPDATED:
        if (changed(c, UCOL_USAGE_LOCATION))
            buf_add(&reason, "usageLocation changed; ");
        if (changed(c, UCOL_MAIL))
            buf_add(&reason, "mail changed; ");
        if (c->proxies_given)
            buf_add(&reason, "proxyAddresses changed; ");
        break;
    case USER_JOINED_GROUP:
    case USER_LEFT_GROUP:
        /* Group licenses reach direct user members only: a nested group's members inherit
         * nothing through it. */
        if (c->member_type == DIR_OBJECT_USER)
            buf_addf(&reason, "%s group %.36s",
                     c->kind == USER_JOINED_GROUP ? "added to" : "removed from", c->group_id);
        break;
    case USER_DELETED:
        /* A freed seat may be what an errored assignment waits for. */
        for (int i = 0; rc == 0 && i < c->freed_skus->nrows; i++)
            rc = requeue_sku_seats(conn, db_rows_get(c->freed_skus, i, 0),
                                   "seat freed: user deleted", err);
        break;
    case USER_CHANGE_KIND_COUNT:
        break;
    }
    if (rc == 0 && reason.failed)
        rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    else if (rc == 0 && reason.len > 0)
        rc = db_queue_push(conn, QUEUE_USER, c->user_id, reason.data, err);
    buf_free(&reason);
    return rc;
}

int requeue_members_joined(struct db_conn *conn, const char *group_id,
                           const char *const *member_ids, const enum dir_object_type *types, int n,
                           struct lic_error *err)
{
    const char **users = calloc((size_t)n + 1, sizeof(*users));
    if (users == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    int n_users = 0;
    for (int i = 0; i < n; i++)
        if (types[i] == DIR_OBJECT_USER) /* as requeue_after_user_change: nested groups inherit
                                            nothing */
            users[n_users++] = member_ids[i];
    char reason[64];
    snprintf(reason, sizeof(reason), "added to group %.36s", group_id);
    int rc = db_queue_push_users(conn, users, n_users, reason, err);
    free(users);
    return rc;
}
