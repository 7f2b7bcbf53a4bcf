/* Direct assignment: validate the request against the catalog, change the intent, evaluate the
 * user with the engine, refuse on any violation of a path this request touched, else save. */
#include "service/assignment.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/audit.h"
#include "db/licensing.h"
#include "db/queue.h"
#include "db/worker.h"
#include "service/engine/licensing.h"
#include "service/base/log.h"

const char *const licensing_app_initiator =
    "{\"user\":null,\"app\":{\"appId\":null,\"displayName\":\"Microsoft Entra ID Group-Based "
    "Licensing\",\"servicePrincipalId\":null,\"servicePrincipalName\":null}}";

int licensing_save_batch(struct db_conn *conn, const struct lic_batch *b,
                         const struct lic_result *results, const char *initiator,
                         struct lic_error *err)
{
    if (db_licensing_save(conn, b, results, initiator, err) != 0) {
        if (strcmp(db_last_sqlstate(conn), "23514") != 0)
            return -1;
        /* The seat CHECK, last line of defence: report it as the seat error it is. */
        const char *sku = "?";
        for (int u = 0; u < b->n_users && sku[0] == '?'; u++)
            for (int s = 0; b->users[u].found && s < b->catalog.n_skus; s++)
                if (results[u].seat_delta[s] > 0)
                    sku = b->catalog.skus[s].sku_id;
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Subscription with SKU %s does not have any available licenses.", sku);
    }
    for (int s = 0; s < b->catalog.n_skus; s++) {
        int freed = 0;
        for (int u = 0; u < b->n_users && !freed; u++)
            freed = b->users[u].found && results[u].seat_delta[s] < 0;
        if (freed &&
            db_queue_push(conn, QUEUE_SKU, b->catalog.skus[s].sku_id, "seats freed", err) != 0)
            return -1;
    }
    return 0;
}

static int sku_listed(const char *sku, const char (*list)[GUID_SIZE], int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(list[i], sku) == 0)
            return 1;
    return 0;
}

static int added(const char *sku, const struct license_add *adds, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(adds[i].sku_id, sku) == 0)
            return 1;
    return 0;
}

/* Request-level checks that need the catalog (reference §3). */
static int validate_request(struct db_conn *conn, const struct lic_batch *b, const char *user_id,
                            const struct license_add *adds, int n_adds,
                            const char (*removes)[GUID_SIZE], int n_removes, struct lic_error *err)
{
    const struct lic_batch_user *bu = &b->users[0];
    /* Only group-based licensing falls back to the organization's country (semantics §2). */
    if (n_adds > 0 && bu->usage_location[0] == '\0')
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "License assignment cannot be done for user with invalid usage "
                             "location.");
    for (int i = 0; i < n_adds; i++) {
        int s = lic_batch_sku_index(b, adds[i].sku_id);
        if (s < 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "License %s does not correspond to a valid company License.",
                                 adds[i].sku_id);
        if (sku_listed(adds[i].sku_id, removes, n_removes))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "License %s is both added and removed in the same request.",
                                 adds[i].sku_id);
        for (int k = 0; k < i; k++)
            if (strcasecmp(adds[k].sku_id, adds[i].sku_id) == 0)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "License %s is listed twice in addLicenses.", adds[i].sku_id);
        const struct lic_sku_rules *sku = &b->catalog.skus[s];
        for (int d = 0; d < adds[i].n_disabled; d++) {
            int p = lic_batch_plan_index(b, adds[i].disabled_plans[d]);
            int in_sku = 0;
            for (int k = 0; p >= 0 && k < sku->n_plans; k++)
                in_sku |= sku->plans[k] == p;
            if (!in_sku)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "Service plan %s in disabledPlans is not part of license "
                                     "%s.",
                                     adds[i].disabled_plans[d], adds[i].sku_id);
        }
    }
    for (int i = 0; i < n_removes; i++) {
        int direct = 0;
        for (int p = 0; p < bu->input.n_paths; p++)
            if (bu->paths[p].group_id == NULL && !bu->meta[p].state_only &&
                strcasecmp(b->catalog.skus[bu->paths[p].skus[0].sku].sku_id, removes[i]) == 0)
                direct = 1;
        if (direct)
            continue;
        char gid[GUID_SIZE] = "", gname[256] = "";
        int inherited = db_license_inherited_from(conn, user_id, removes[i], gid, sizeof(gid),
                                                  gname, sizeof(gname), err);
        if (inherited < 0)
            return -1;
        if (inherited)
            /* Graph's text, plus the group: its users ask which group to look at. */
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "User license is inherited from a group membership and it "
                                 "cannot be removed directly from the user. Group: '%s' (%s).",
                                 gname, gid);
        if (lic_batch_sku_index(b, removes[i]) < 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "License %s does not correspond to a valid company License.",
                                 removes[i]);
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "User does not have a corresponding license %s.", removes[i]);
    }
    return 0;
}

static json_t *sku_list(const struct license_add *adds, int n_adds,
                        const char (*removes)[GUID_SIZE], int n_removes)
{
    json_t *j = json_array();
    for (int i = 0; i < n_adds; i++)
        json_array_append_new(j, json_string(adds[i].sku_id));
    for (int i = 0; i < n_removes; i++)
        json_array_append_new(j, json_string(removes[i]));
    return j;
}

/* "Change user license" (reference §1.9), success or failure. */
static void audit_change(struct db_conn *conn, const struct lic_batch_user *bu,
                         const struct license_add *adds, int n_adds,
                         const char (*removes)[GUID_SIZE], int n_removes, const char *failure)
{
    json_t *j_added = sku_list(adds, n_adds, NULL, 0);
    json_t *j_removed = sku_list(NULL, 0, removes, n_removes);
    char *added_text = json_dumps(j_added, JSON_COMPACT);
    char *removed_text = json_dumps(j_removed, JSON_COMPACT);
    json_t *j_targets = json_pack(
        "[{s:s, s:s, s:s?, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}]", "id", bu->id, "type", "User",
        "userPrincipalName", bu->upn, "modifiedProperties", "displayName", "AddedLicenses",
        "oldValue", "[]", "newValue", added_text ? added_text : "[]", "displayName",
        "RemovedLicenses", "oldValue", removed_text ? removed_text : "[]", "newValue", "[]");
    json_t *j_details = json_pack("[{s:s, s:s?}]", "key", "Licensing Error Message", "value",
                                  failure ? failure : "");
    char *targets = json_dumps(j_targets, JSON_COMPACT);
    char *details = json_dumps(j_details, JSON_COMPACT);
    struct audit_record rec = {.activity = "Change user license",
                               .category = "UserManagement",
                               .operation_type = "Update",
                               .result = failure ? "failure" : "success",
                               .result_reason = failure ? failure : "",
                               .target_resources = targets,
                               .additional_details = failure ? details : NULL};
    struct lic_error ignored;
    if (db_audit_write(conn, &rec, &ignored) != 0)
        log_event(LOG_WARN, "audit_failed", "Change user license for %s: %s", bu->id,
                  ignored.message);
    free(targets);
    free(details);
    free(added_text);
    free(removed_text);
    json_decref(j_targets);
    json_decref(j_details);
    json_decref(j_added);
    json_decref(j_removed);
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

static int evaluate_and_save(struct db_conn *conn, struct lic_batch *b,
                             const struct license_add *adds, int n_adds, int check,
                             const char *initiator, struct lic_error *err)
{
    struct lic_batch_user *bu = &b->users[0];
    for (int i = 0; i < bu->input.n_paths; i++)
        if (bu->paths[i].group_id == NULL && !bu->meta[i].state_only &&
            added(b->catalog.skus[bu->paths[i].skus[0].sku].sku_id, adds, n_adds))
            bu->paths[i].validate = 1;
    struct lic_result r;
    if (licensing_evaluate_user(&b->catalog, &bu->input, b->seats_free, &r) != 0)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    int rc = check ? refusal(b, &r, err) : 0;
    if (rc == 0)
        rc = licensing_save_batch(conn, b, &r, initiator, err);
    licensing_result_free(&r, bu->input.n_paths);
    return rc;
}

/* Opens the transaction with the user locked and loaded into b with the catalog rows of skus;
 * 404 when the user does not exist. */
static int begin_user(struct db_conn *conn, const char *user_id, const char *const *skus,
                      int n_skus, struct lic_batch *b, struct lic_error *err)
{
    const char *ids[] = {user_id};
    if (db_begin(conn, err) != 0 || db_licensing_lock_users(conn, ids, 1, NULL, err) != 0 ||
        db_licensing_load(conn, ids, 1, skus, n_skus, LIC_LOAD_LOCK_SKUS, b, err) != 0)
        return -1;
    if (!b->users[0].found)
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                             "Resource '%s' does not exist or one of its queried "
                             "reference-property objects are not present.",
                             user_id);
    return 0;
}

int licensing_assign_direct(struct db_pool *pool, const char *user_id,
                            const struct license_add *adds, int n_adds,
                            const char (*removes)[GUID_SIZE], int n_removes, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    struct lic_batch b1 = {0}, b2 = {0};
    const char *ids[] = {user_id};
    const char **extra = calloc((size_t)(n_adds + n_removes + 1), sizeof(*extra));
    int rc = -1, refused = 0;
    if (extra == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n_adds; i++)
        extra[i] = adds[i].sku_id;
    for (int i = 0; i < n_removes; i++)
        extra[n_adds + i] = removes[i];
    if (begin_user(conn, user_id, extra, n_adds + n_removes, &b1, err) != 0)
        goto out;
    if (validate_request(conn, &b1, user_id, adds, n_adds, removes, n_removes, err) != 0) {
        refused = err->kind == LIC_ERR_BAD_REQUEST;
        goto out;
    }
    /* Change the intent, then evaluate the user as it would be: adds and removes together. */
    for (int i = 0; i < n_adds; i++) {
        const char **dis = calloc((size_t)adds[i].n_disabled + 1, sizeof(*dis));
        if (dis == NULL) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            goto out;
        }
        for (int d = 0; d < adds[i].n_disabled; d++)
            dis[d] = adds[i].disabled_plans[d];
        int put =
            db_direct_license_put(conn, user_id, adds[i].sku_id, dis, adds[i].n_disabled, err);
        free(dis);
        if (put != 0)
            goto out;
    }
    for (int i = 0; i < n_removes; i++)
        if (db_direct_license_drop(conn, user_id, removes[i], err) != 0)
            goto out;
    if (db_licensing_load(conn, ids, 1, NULL, 0, LIC_LOAD_LOCK_SKUS, &b2, err) != 0)
        goto out;
    if (evaluate_and_save(conn, &b2, adds, n_adds, 1, NULL, err) != 0) {
        refused = err->kind == LIC_ERR_BAD_REQUEST;
        goto out;
    }
    audit_change(conn, &b2.users[0], adds, n_adds, removes, n_removes, NULL);
    rc = db_commit(conn, err);
out:
    if (rc != 0) {
        db_rollback(conn);
        if (refused && b1.n_users > 0 && b1.users[0].found) {
            /* Failures are audited too, outside the rolled-back transaction. */
            audit_change(conn, &b1.users[0], adds, n_adds, removes, n_removes, err->message);
        }
    }
    db_licensing_batch_free(&b1);
    db_licensing_batch_free(&b2);
    free(extra);
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
    if (begin_user(conn, user_id, NULL, 0, &b, err) != 0)
        goto out;
    if (evaluate_and_save(conn, &b, NULL, 0, 0, licensing_app_initiator, err) != 0)
        goto out;
    rc = db_commit(conn, err);
out:
    if (rc != 0)
        db_rollback(conn);
    db_licensing_batch_free(&b);
    db_release(pool, conn);
    return rc;
}
