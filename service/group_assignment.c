/* Group license assignment (semantics §3): request-level checks, stored intent, queued work;
 * and the dry run, which evaluates the members without changing anything. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "db/directory.h"
#include "db/group_licenses.h"
#include "db/licensing.h"
#include "db/worker.h"
#include "service/assignment.h"
#include "service/engine/licensing.h"
#include "service/base/log.h"

#define DRY_RUN_BATCH 1000

static void audit_set(struct db_conn *conn, const char *group_id, const char *name,
                      const struct license_add *adds, int n_adds, const char (*removes)[GUID_SIZE],
                      int n_removes)
{
    json_t *j_added = json_array(), *j_removed = json_array();
    for (int i = 0; i < n_adds; i++)
        json_array_append_new(j_added, json_string(adds[i].sku_id));
    for (int i = 0; i < n_removes; i++)
        json_array_append_new(j_removed, json_string(removes[i]));
    char *added = json_dumps(j_added, JSON_COMPACT), *removed = json_dumps(j_removed, JSON_COMPACT);
    json_t *j_targets = json_pack(
        "[{s:s, s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}]", "id", group_id, "displayName",
        name, "type", "Group", "modifiedProperties", "displayName", "AddedLicenses", "oldValue",
        "[]", "newValue", added ? added : "[]", "displayName", "RemovedLicenses", "oldValue",
        removed ? removed : "[]", "newValue", "[]");
    char *targets = json_dumps(j_targets, JSON_COMPACT);
    struct audit_record rec = {.activity = "Set group license",
                               .category = "GroupManagement",
                               .operation_type = "Assign",
                               .result = "success",
                               .target_resources = targets};
    struct lic_error err;
    if (db_audit_write(conn, &rec, &err) != 0)
        log_event(LOG_WARN, "audit_failed", "Set group license: %s", err.message);
    free(targets);
    free(added);
    free(removed);
    json_decref(j_targets);
    json_decref(j_added);
    json_decref(j_removed);
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

static int dry_run(struct db_conn *conn, const char *group_id, struct dry_run_report *rep,
                   struct lic_error *err)
{
    memset(rep, 0, sizeof(*rep));
    char(*ids)[GUID_SIZE] = calloc(DRY_RUN_BATCH, GUID_SIZE);
    const char **list = calloc(DRY_RUN_BATCH, sizeof(*list));
    if (ids == NULL || list == NULL) {
        free(ids);
        free(list);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    long long cursor = 0;
    int rc = 0;
    for (;;) {
        int n = db_group_member_page(conn, group_id, cursor, DRY_RUN_BATCH, ids, &cursor, err);
        if (n <= 0) {
            rc = n;
            break;
        }
        for (int i = 0; i < n; i++)
            list[i] = ids[i];
        struct lic_batch b;
        if (db_licensing_load(conn, list, n, NULL, 0, LIC_LOAD_SNAPSHOT, &b, err) != 0) {
            rc = -1;
            break;
        }
        carry_seats(rep, &b);
        for (int u = 0; u < n && rc == 0; u++) {
            struct lic_batch_user *bu = &b.users[u];
            if (!bu->found)
                continue;
            struct lic_result r;
            lic_batch_check_smtp(&b, u);
            if (licensing_evaluate_user(&b.catalog, &bu->input, b.seats_free, &r) != 0) {
                rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
                break;
            }
            if (r.needs_primary_smtp)
                lic_batch_take_smtp(&b, u);
            rep->members++;
            /* The first seat noted for a SKU: free before it = what is left now + 1. */
            for (int s = 0; s < b.catalog.n_skus; s++)
                if (r.seat_delta[s] > 0)
                    note_sku(rep, &b, s, b.seats_free[s] + 1);
            for (int i = 0; i < bu->input.n_paths; i++) {
                if (bu->paths[i].group_id == NULL || strcmp(bu->paths[i].group_id, group_id) != 0 ||
                    bu->meta[i].state_only)
                    continue;
                enum license_error e = r.paths[i].why.error;
                if (r.paths[i].state == LIC_STATE_ACTIVE)
                    rep->would_succeed++;
                else
                    rep->errors[e]++;
                if (e != LIC_ERROR_NONE && rep->n_samples < DRY_RUN_SAMPLE) {
                    int k = rep->n_samples++;
                    snprintf(rep->samples[k].user_id, GUID_SIZE, "%s", bu->id);
                    rep->samples[k].error = (int)e;
                    licensing_violation_message(&b.catalog, &r.paths[i].why,
                                                rep->samples[k].message,
                                                sizeof(rep->samples[k].message));
                }
            }
            licensing_result_free(&r, bu->input.n_paths);
        }
        db_licensing_batch_free(&b);
        if (rc != 0 || n < DRY_RUN_BATCH)
            break;
    }
    free(ids);
    free(list);
    return rc;
}

int licensing_assign_group(struct db_pool *pool, const char *group_id,
                           const struct license_add *adds, int n_adds,
                           const char (*removes)[GUID_SIZE], int n_removes,
                           struct dry_run_report *report, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1;
    struct db_rows *group = NULL; /* freed at out: declared before the first jump there */
    for (int i = 0; i < n_adds; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(adds[i].sku_id, adds[k].sku_id) == 0) {
                lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                              "License %s is listed twice in addLicenses.", adds[i].sku_id);
                goto out;
            }
    for (int i = 0; i < n_adds; i++)
        for (int k = 0; k < n_removes; k++)
            if (strcmp(adds[i].sku_id, removes[k]) == 0) {
                lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                              "License %s is both added and removed in the same request.",
                              adds[i].sku_id);
                goto out;
            }
    struct group_license_change change = {group_id, adds, n_adds, removes, n_removes};
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
    if (db_group_license_check(conn, &change, err) != 0 ||
        db_group_license_apply(conn, &change, err) != 0)
        goto out;
    if (report != NULL) {
        /* Everything above is undone: the dry run only reads the would-be state. */
        rc = dry_run(conn, group_id, report, err);
        goto out;
    }
    audit_set(conn, group_id, name, adds, n_adds, removes, n_removes);
    rc = db_commit(conn, err);
out:
    if (rc != 0 || report != NULL)
        db_rollback(conn);
    db_rows_free(group);
    db_release(pool, conn);
    return rc;
}
