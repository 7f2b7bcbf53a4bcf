/* Group license assignment (semantics §3): the request's refusals, stored intent, queued work and
 * audit; the dry run, which evaluates the members without changing anything; and reprocessing. */
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/assignment.h"
#include "service/audit.h"
#include "service/engine/licensing.h"
#include "service/license_request.h"
#include "service/requeue.h"
#include "db/directory.h"
#include "db/group_licenses.h"
#include "db/licensing.h"
#include "db/worker.h"

#define DRY_RUN_BATCH 1000

static int audit_set(struct db_conn *conn, const struct audit_actor *by, const char *group_id,
                     const char *name, const struct license_request *req, struct lic_error *err)
{
    struct audit_target target = {.type = "Group",
                                  .id = group_id,
                                  .display_name = name,
                                  .j_modified = license_request_modified(req)};
    struct audit_entry entry = {
        .activity = AUDIT_SET_GROUP_LICENSE, .by = by, .targets = &target, .n_targets = 1};
    return audit_write(conn, &entry, err);
}

/* Seats already promised to earlier batches of the dry run, by SKU id. */
static void carry_seats(struct dry_run_report *rep, struct lic_batch *b)
{
    for (int s = 0; s < b->catalog.n_skus; s++)
        for (int k = 0; k < rep->n_skus; k++)
            if (strcmp(rep->skus[k].sku_id, b->catalog.skus[s].sku_id) == 0)
                b->seats_free[s] -= rep->skus[k].needed;
}

static void note_sku(struct dry_run_report *rep, const struct lic_batch *b, int s, int before)
{
    for (int k = 0; k < rep->n_skus; k++)
        if (strcmp(rep->skus[k].sku_id, b->catalog.skus[s].sku_id) == 0) {
            rep->skus[k].needed++;
            return;
        }
    if (rep->n_skus >= DRY_RUN_SKUS)
        return;
    int k = rep->n_skus++;
    snprintf(rep->skus[k].sku_id, GUID_SIZE, "%s", b->catalog.skus[s].sku_id);
    snprintf(rep->skus[k].part_number, sizeof(rep->skus[k].part_number), "%s",
             b->catalog.skus[s].part_number);
    rep->skus[k].needed = 1;
    rep->skus[k].available = before;
}

/* Adds what user u's result says about the group's path to the report. */
static void note_user(struct dry_run_report *rep, const struct lic_batch *b, int u,
                      const struct lic_result *r, const char *group_id)
{
    const struct lic_batch_user *bu = &b->users[u];
    rep->members++;
    /* The first seat noted for a SKU: free before it = what is left now + 1. */
    for (int s = 0; s < b->catalog.n_skus; s++)
        if (r->seat_delta[s] > 0)
            note_sku(rep, b, s, b->seats_free[s] + 1);
    for (int i = 0; i < bu->input.n_paths; i++) {
        if (bu->paths[i].group_id == NULL || strcmp(bu->paths[i].group_id, group_id) != 0 ||
            bu->meta[i].state_only)
            continue;
        enum license_error e = r->paths[i].why.error;
        assert((unsigned)e < LIC_ERROR_COUNT);
        if (r->paths[i].state == LIC_STATE_ACTIVE)
            rep->would_succeed++;
        else
            rep->errors[e]++;
        if (e != LIC_ERROR_NONE && rep->n_samples < DRY_RUN_SAMPLE) {
            int k = rep->n_samples++;
            snprintf(rep->samples[k].user_id, GUID_SIZE, "%s", bu->id);
            rep->samples[k].error = e;
            licensing_violation_message(&b->catalog, &r->paths[i].why, rep->samples[k].message,
                                        sizeof(rep->samples[k].message));
        }
    }
}

/* Evaluates one page of members (ids) as they would be; nothing is saved. */
static int dry_run_page(struct db_conn *conn, const char *group_id, const char *const *ids, int n,
                        struct dry_run_report *rep, struct lic_error *err)
{
    struct lic_batch b;
    if (db_licensing_load(conn, ids, n, NULL, 0, LIC_LOAD_SNAPSHOT, &b, err) != 0)
        return -1;
    carry_seats(rep, &b);
    int rc = 0;
    for (int u = 0; u < n && rc == 0; u++) {
        if (!b.users[u].found)
            continue;
        struct lic_result r;
        if (lic_batch_evaluate(&b, u, &r) != 0) {
            rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            break;
        }
        note_user(rep, &b, u, &r, group_id);
        licensing_result_free(&r, b.users[u].input.n_paths);
    }
    lic_batch_free(&b);
    return rc;
}

static int dry_run(struct db_conn *conn, const char *group_id, struct dry_run_report *rep,
                   struct lic_error *err)
{
    memset(rep, 0, sizeof(*rep));
    char(*ids)[GUID_SIZE] = calloc(DRY_RUN_BATCH, GUID_SIZE);
    const char **list = calloc(DRY_RUN_BATCH, sizeof(*list));
    int rc = ids && list ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    for (long long cursor = 0; rc == 0;) {
        int n = db_group_member_page(conn, group_id, cursor, DRY_RUN_BATCH, ids, &cursor, err);
        if (n <= 0) {
            rc = n;
            break;
        }
        for (int i = 0; i < n; i++)
            list[i] = ids[i];
        rc = dry_run_page(conn, group_id, list, n, rep, err);
        if (n < DRY_RUN_BATCH)
            break;
    }
    free(ids);
    free(list);
    return rc;
}

/* The request's refusals that need the group's licenses and the catalog. */
static int check_against_group(struct db_conn *conn, const char *group_id,
                               const struct license_request *req, struct lic_error *err)
{
    struct license_add *current = NULL;
    int n_current = db_group_licenses_get(conn, group_id, &current, err);
    if (n_current < 0)
        return -1;
    int n_skus;
    const char **skus = license_request_sku_ids(req, current, n_current, &n_skus);
    struct lic_batch b = {0};
    int rc = -1;
    if (skus == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (db_licensing_load(conn, NULL, 0, skus, n_skus, LIC_LOAD_SNAPSHOT, &b, err) == 0 &&
        license_request_check_catalog(req, &b, err) == 0 &&
        license_request_check_group(req, &b, current, n_current, err) == 0)
        rc = 0;
out:
    lic_batch_free(&b);
    free(skus);
    db_group_licenses_free(current, n_current);
    return rc;
}

int licensing_assign_group(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                           const struct license_request *req, struct dry_run_report *report,
                           struct lic_error *err)
{
    if (license_request_check(req, err) != 0)
        return -1;
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1;
    struct db_rows *group = NULL; /* freed at out: declared before the first jump there */
    /* The directory's lookup, locking the row: group license changes are serialized. */
    if (db_begin(conn, err) != 0 || db_groups_get(conn, group_id, 1, &group, err) != 0)
        goto out;
    const char *name = db_rows_get(group, 0, GCOL_DISPLAY_NAME);
    if (strcmp(db_rows_get(group, 0, GCOL_SECURITY_ENABLED), "t") != 0) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "Licenses can only be assigned to security groups or to Microsoft 365 "
                      "groups with securityEnabled set to true.");
        goto out;
    }
    if (check_against_group(conn, group_id, req, err) != 0 ||
        db_group_licenses_apply(conn, group_id, req, err) != 0)
        goto out;
    if (report != NULL) {
        /* Everything above is undone: the dry run only reads the would-be state. */
        rc = dry_run(conn, group_id, report, err);
        goto out;
    }
    if (requeue_group(conn, group_id, "group licenses changed", err) == 0 &&
        audit_set(conn, by, group_id, name, req, err) == 0)
        rc = db_commit(conn, err);
out:
    if (rc != 0 || report != NULL)
        db_rollback(conn);
    db_rows_free(group);
    db_release(pool, conn);
    return rc;
}

int licensing_reprocess_group(struct db_pool *pool, const char *group_id, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int found = db_begin(conn, err) == 0 ? db_group_licenses_mark_queued(conn, group_id, err) : -1;
    int rc = -1;
    if (found == 0)
        lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                      "Resource '%s' does not exist or one of its queried reference-property "
                      "objects are not present.",
                      group_id);
    else if (found > 0 && requeue_group(conn, group_id, "reprocessing requested", err) == 0)
        rc = db_commit(conn, err);
    if (rc != 0)
        db_rollback(conn);
    db_release(pool, conn);
    return rc;
}
