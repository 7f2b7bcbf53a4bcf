/* Direct assignment: check the request, change the intent, evaluate the user with the engine,
 * refuse on any violation of a path this request touched, else save. Also reprocessing a user. */
#include "service/assignment.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/audit.h"
#include "service/engine/licensing.h"
#include "service/license_request.h"
#include "db/licensing.h"

/* Direct removals: each SKU removed must be one the user had directly (dropped[i]: the intent
 * change dropped a direct assignment of it). */
static int check_removals(struct db_conn *conn, const struct lic_batch *b,
                          const struct license_request *req, const char *dropped,
                          struct lic_error *err)
{
    const struct lic_batch_user *bu = &b->users[0];
    for (int i = 0; i < req->n_removes; i++) {
        if (dropped[i])
            continue;
        int sku = lic_batch_sku_index(b, req->removes[i]);
        char gid[GUID_SIZE] = "", gname[256] = "";
        int inherited = db_license_inherited_from(conn, bu->id, req->removes[i], gid, sizeof(gid),
                                                  gname, sizeof(gname), err);
        if (inherited < 0)
            return -1;
        return license_request_refuse_removal(req->removes[i], sku >= 0, inherited ? gid : NULL,
                                              gname, err);
    }
    return 0;
}

/* "Change user license" (reference §1.9) of a direct change, or of its refusal (failure != NULL:
 * written outside the rolled-back change). */
static int audit_change(struct db_conn *conn, const struct audit_actor *by,
                        const struct lic_batch_user *bu, const struct license_request *req,
                        const char *failure, struct lic_error *err)
{
    struct audit_target target = {
        .type = "User", .id = bu->id, .upn = bu->upn, .j_modified = license_request_modified(req)};
    struct audit_entry entry = {
        .activity = AUDIT_CHANGE_USER_LICENSE, .by = by, .targets = &target, .n_targets = 1};
    int rc = 0;
    if (failure != NULL) {
        entry.failure = failure;
        entry.j_details =
            json_pack("[{s:s, s:s}]", "key", "Licensing Error Message", "value", failure);
        audit_write_refusal(conn, &entry);
    } else {
        rc = audit_write(conn, &entry, err);
    }
    return rc;
}

/* The first violation among the paths this request touched, as Graph's 400. */
static int refusal(const struct lic_batch *b, const struct lic_result *r, struct lic_error *err)
{
    const struct lic_batch_user *bu = &b->users[0];
    char msg[600];
    for (int i = 0; i < bu->input.n_paths; i++) {
        const struct lic_path *p = &bu->paths[i];
        const struct lic_path_result *pr = &r->paths[i];
        int touched = p->validate || (p->group_id == NULL && bu->meta[i].state_only);
        int blocked = p->validate ? pr->state == LIC_STATE_ERROR
                                  : (touched && !pr->removed && pr->why.error != LIC_ERROR_NONE);
        if (!touched || !blocked)
            continue;
        licensing_violation_message(&b->catalog, &pr->why, msg, sizeof(msg));
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", "%s", msg);
    }
    return 0;
}

/* Evaluates the batch's one user; with req (a direct change), the paths it adds are checked
 * like group paths and any violation of a touched path refuses the change. */
static int evaluate_and_save(struct db_conn *conn, struct lic_batch *b,
                             const struct license_request *req, const struct audit_actor *by,
                             struct lic_error *err)
{
    struct lic_batch_user *bu = &b->users[0];
    for (int i = 0; req && i < req->n_adds; i++) {
        int p = lic_batch_direct_path(bu, lic_batch_sku_index(b, req->adds[i].sku_id));
        if (p >= 0)
            bu->paths[p].validate = 1;
    }
    struct lic_result r;
    if (lic_batch_evaluate(b, 0, &r) != 0)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    int rc = req ? refusal(b, &r, err) : 0;
    if (rc == 0)
        rc = licensing_save_batch(conn, b, &r, by, err);
    licensing_result_free(&r, bu->input.n_paths);
    return rc;
}

static int not_found(const char *user_id, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                         "Resource '%s' does not exist or one of its queried "
                         "reference-property objects are not present.",
                         user_id);
}

/* Opens the transaction with the user locked and loaded into b; 404 when the user does not
 * exist. */
static int begin_user(struct db_conn *conn, const char *user_id, unsigned flags,
                      struct lic_batch *b, struct lic_error *err)
{
    const char *ids[] = {user_id};
    if (db_licensing_begin_one_user(conn, err) != 0 ||
        db_licensing_lock_users(conn, ids, 1, NULL, err) != 0 ||
        db_licensing_load(conn, ids, 1, NULL, 0, flags, b, err) != 0)
        return -1;
    return b->users[0].found ? 0 : not_found(user_id, err);
}

/* Stores the new intent: adds (with their disabled plans; one of an unknown SKU writes nothing
 * and is refused by the catalog check) and removes (dropped[i]: the user had it directly). */
static int change_intent(struct db_conn *conn, const char *user_id,
                         const struct license_request *req, char *dropped, struct lic_error *err)
{
    for (int i = 0; i < req->n_adds; i++)
        if (db_direct_license_put(conn, user_id, &req->adds[i], err) < 0)
            return -1;
    for (int i = 0; i < req->n_removes; i++)
        if ((dropped[i] = (char)db_direct_license_drop(conn, user_id, req->removes[i], err)) < 0)
            return -1;
    return 0;
}

/* Another transaction held seat shards this one needed while it held some itself (migration 016):
 * nothing was written; the next attempt locks every shard of its SKUs first, in order. */
static int retry_with_shards_locked(struct db_conn *conn, unsigned *flags)
{
    if (*flags == LIC_LOAD_LOCK_SKUS || strcmp(db_last_sqlstate(conn), "40001") != 0)
        return 0;
    db_rollback(conn);
    *flags = LIC_LOAD_LOCK_SKUS;
    return 1;
}

/* One attempt of a direct change, in its transaction (left open: the caller commits or rolls
 * back). The intent is changed first and the user loaded once, as it would be: the refusals are
 * checked on that load in the order they always were (404, request, catalog, usage location,
 * removals), and any of them rolls the change back. *refused: the client's mistake, audited. */
static int assign_once(struct db_conn *conn, const struct audit_actor *by, const char *user_id,
                       const struct license_request *req, const char *const *skus, int n_skus,
                       unsigned flags, struct lic_batch *b, int *refused, struct lic_error *err)
{
    const char *ids[] = {user_id};
    char *dropped = calloc((size_t)req->n_removes + 1, 1);
    int rc = -1;
    if (dropped == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (db_licensing_begin_one_user(conn, err) != 0 ||
        db_licensing_lock_users(conn, ids, 1, NULL, err) != 0 ||
        change_intent(conn, user_id, req, dropped, err) != 0 ||
        db_licensing_load(conn, ids, 1, skus, n_skus, flags, b, err) != 0)
        goto out;
    if (!b->users[0].found) {
        not_found(user_id, err);
        goto out;
    }
    if (license_request_check(req, err) != 0 || license_request_check_catalog(req, b, err) != 0 ||
        license_request_check_usage_location(req, b, err) != 0 ||
        check_removals(conn, b, req, dropped, err) != 0) {
        *refused = err->kind == LIC_ERR_BAD_REQUEST;
        goto out;
    }
    if (audit_change(conn, by, &b->users[0], req, NULL, err) != 0)
        goto out;
    /* The save last: its license writes take a seat shard until the commit (all of the SKU's
     * shards, locked at the load, when seats are few). */
    if (evaluate_and_save(conn, b, req, NULL, err) != 0) {
        *refused = err->kind == LIC_ERR_BAD_REQUEST;
        goto out;
    }
    rc = 0;
out:
    free(dropped);
    return rc;
}

int licensing_assign_direct(struct db_pool *pool, const struct audit_actor *by, const char *user_id,
                            const struct license_request *req, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    struct lic_batch b = {0};
    int n_skus, rc = -1, refused = 0;
    unsigned flags = LIC_LOAD_LOCK_SKUS_WHEN_SHORT;
    const char **skus = license_request_sku_ids(req, NULL, 0, &n_skus);
    if (skus == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    do {
        lic_batch_free(&b);
        refused = 0;
        rc = assign_once(conn, by, user_id, req, skus, n_skus, flags, &b, &refused, err);
        if (rc == 0)
            rc = db_commit(conn, err);
    } while (rc != 0 && !refused && retry_with_shards_locked(conn, &flags));
out:
    if (rc != 0) {
        db_rollback(conn);
        if (refused) /* refusals are audited too, outside the rolled-back transaction */
            audit_change(conn, by, &b.users[0], req, err->message, NULL);
    }
    lic_batch_free(&b);
    free(skus);
    db_release(pool, conn);
    return rc;
}

int licensing_reprocess_user(struct db_pool *pool, const char *user_id, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    struct lic_batch b = {0};
    int rc = -1;
    unsigned flags = LIC_LOAD_LOCK_SKUS_WHEN_SHORT;
    do {
        lic_batch_free(&b);
        rc = -1;
        if (begin_user(conn, user_id, flags, &b, err) == 0 &&
            evaluate_and_save(conn, &b, NULL, &audit_actor_group_licensing, err) == 0)
            rc = db_commit(conn, err);
    } while (rc != 0 && retry_with_shards_locked(conn, &flags));
    if (rc != 0)
        db_rollback(conn);
    lic_batch_free(&b);
    db_release(pool, conn);
    return rc;
}
