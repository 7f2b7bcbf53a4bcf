/* Saving an evaluated batch: Graph's messages rendered here, the rows written by db/, the seats it
 * freed requeued, and a "Change user license" record per user whose licenses changed. */
#include <stdlib.h>
#include <string.h>

#include "service/assignment.h"
#include "service/audit.h"
#include "service/base/arena.h"
#include "service/base/buf.h"
#include "service/engine/licensing.h"
#include "service/requeue.h"
#include "db/licensing.h"

/* messages[u][i]: Graph's message for path i of user u when it has an error (reference §3). */
static const char ***render_messages(struct arena *a, const struct lic_batch *b,
                                     const struct lic_result *results)
{
    const char ***messages = arena_alloc(a, (size_t)(b->n_users + 1) * sizeof(*messages));
    char text[600];
    for (int u = 0; messages && u < b->n_users; u++) {
        const struct lic_batch_user *bu = &b->users[u];
        if (!bu->found)
            continue;
        messages[u] = arena_alloc(a, (size_t)(bu->input.n_paths + 1) * sizeof(**messages));
        if (messages[u] == NULL)
            return NULL;
        for (int i = 0; i < bu->input.n_paths; i++) {
            const struct lic_violation *why = &results[u].paths[i].why;
            if (why->error == LIC_ERROR_NONE)
                continue;
            licensing_violation_message(&b->catalog, why, text, sizeof(text));
            if ((messages[u][i] = arena_strdup(a, text)) == NULL)
                return NULL;
        }
    }
    return messages;
}

/* One record per user of the changes (ordered by user, then SKU), newValue the SKU ids as
 * ["a", "b"]. */
static int add_entries(const struct lic_saved_change *changes, int n, enum audit_activity activity,
                       const char *old_value, const struct audit_actor *by,
                       struct audit_entry *entries, struct audit_target *targets, int *count)
{
    struct buf skus = {0};
    for (int i = 0; i < n;) {
        int k = i;
        buf_reset(&skus);
        buf_add(&skus, "[");
        for (; k < n && strcmp(changes[k].user_id, changes[i].user_id) == 0; k++)
            buf_addf(&skus, "%s\"%s\"", k > i ? ", " : "", changes[k].sku_id);
        buf_add(&skus, "]");
        struct audit_target *t = &targets[*count];
        *t = (struct audit_target){.type = "User", .id = changes[i].user_id};
        t->j_modified = json_pack("[o]", audit_modified("AssignedLicense", old_value, skus.data));
        entries[*count] =
            (struct audit_entry){.activity = activity, .by = by, .targets = t, .n_targets = 1};
        ++*count;
        if (skus.failed || t->j_modified == NULL)
            break;
        i = k;
    }
    int rc = skus.failed ? -1 : 0;
    buf_free(&skus);
    return rc;
}

/* Records what the save changed in user_licenses (semantics §4.8): removals, then additions. */
static int audit_changes(struct db_conn *conn, const struct lic_saved *saved,
                         const struct audit_actor *by, struct lic_error *err)
{
    int n = saved->n_removed + saved->n_assigned; /* at most one record per change */
    if (n == 0)
        return 0;
    struct audit_entry *entries = calloc((size_t)n, sizeof(*entries));
    struct audit_target *targets = calloc((size_t)n, sizeof(*targets));
    int count = 0, rc = -1;
    if (entries != NULL && targets != NULL &&
        add_entries(saved->removed, saved->n_removed, AUDIT_USER_LICENSE_UNASSIGNED, "removed", by,
                    entries, targets, &count) == 0 &&
        add_entries(saved->assigned, saved->n_assigned, AUDIT_USER_LICENSE_ASSIGNED, "", by,
                    entries, targets, &count) == 0)
        rc = 0;
    if (rc == 0)
        rc = audit_write_many(conn, entries, count, err);
    else
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    for (int i = 0; rc != 0 && targets && i < count; i++)
        json_decref(targets[i].j_modified); /* audit_write_many consumed them otherwise */
    free(entries);
    free(targets);
    return rc;
}

/* The seat CHECK, last line of defence: report it as the seat error it is. */
static int seat_refusal(const struct lic_batch *b, const struct lic_result *results,
                        struct lic_error *err)
{
    const char *sku = "?";
    for (int u = 0; u < b->n_users && sku[0] == '?'; u++)
        for (int s = 0; b->users[u].found && s < b->catalog.n_skus; s++)
            if (results[u].seat_delta[s] > 0)
                sku = b->catalog.skus[s].sku_id;
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Subscription with SKU %s does not have any available licenses.", sku);
}

int licensing_save_batch(struct db_conn *conn, const struct lic_batch *b,
                         const struct lic_result *results, const struct audit_actor *by,
                         struct lic_error *err)
{
    struct arena *a = arena_new();
    const char ***messages = a ? render_messages(a, b, results) : NULL;
    struct lic_saved saved = {0};
    int rc = -1;
    if (messages == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    else if (db_licensing_save(conn, b, results, messages, by ? &saved : NULL, err) != 0)
        rc = strcmp(db_last_sqlstate(conn), "23514") == 0 ? seat_refusal(b, results, err) : -1;
    else if (requeue_seats_freed(conn, b, results, err) == 0)
        rc = by ? audit_changes(conn, &saved, by, err) : 0;
    db_licensing_saved_free(&saved);
    arena_free(a);
    return rc;
}
