/* The subscribedSku writes (create, seats and status, delete): each one transaction with its
 * refusals, its requeue decision and its directoryAudit record. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/requeue.h"
#include "service/audit.h"
#include "service/catalog.h"

/* Records activity on one SKU: in the change's transaction (failure NULL; -1 means roll back), or,
 * for a refused change, after its rollback. Consumes j_modified. */
static int record(struct db_conn *conn, const struct audit_actor *by, enum audit_activity activity,
                  const char *sku_id, const char *part_number, json_t *j_modified,
                  const char *failure, struct lic_error *err)
{
    struct audit_target target = {.type = "SubscribedSku",
                                  .id = sku_id ? sku_id : "",
                                  .display_name = part_number,
                                  .j_modified = j_modified};
    struct audit_entry entry = {
        .activity = activity, .by = by, .targets = &target, .n_targets = 1, .failure = failure};
    if (failure != NULL) {
        audit_write_refusal(conn, &entry);
        return 0;
    }
    return audit_write(conn, &entry, err);
}

/* Appends {"prepaidUnits.<name>", old, new} to j_mod; old < 0 writes null. */
static void units_change(json_t *j_mod, enum sku_units u, int old_value, int new_value)
{
    char name[48], old_text[16], new_text[16];
    snprintf(name, sizeof(name), "prepaidUnits.%s", catalog_units_name(u));
    snprintf(old_text, sizeof(old_text), "%d", old_value);
    snprintf(new_text, sizeof(new_text), "%d", new_value);
    json_array_append_new(j_mod, audit_modified(name, old_value < 0 ? NULL : old_text, new_text));
}

/* Ends a write: on failure rolls back, and records the change as refused when it was. */
static int finish(struct db_pool *pool, struct db_conn *conn, const struct audit_actor *by, int rc,
                  int refused, enum audit_activity activity, const char *sku_id,
                  const char *part_number, json_t *j_modified, const struct lic_error *err)
{
    if (rc != 0) {
        db_rollback(conn);
        if (refused)
            record(conn, by, activity, sku_id, part_number, json_incref(j_modified), err->message,
                   NULL);
    }
    json_decref(j_modified);
    db_release(pool, conn);
    return rc;
}

int catalog_sku_create(struct db_pool *pool, const struct audit_actor *by,
                       const struct catalog_new_sku *in, char out_id[GUID_SIZE],
                       struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1, refused = 0, inserted = 0;
    char missing[GUID_SIZE];
    json_t *j_mod = json_pack("[o]", audit_modified("skuPartNumber", NULL, in->sku.part_number));
    for (int u = 0; j_mod != NULL && u < SKU_UNITS_COUNT; u++)
        units_change(j_mod, (enum sku_units)u, -1, in->sku.units[u]);
    const char **ids = calloc((size_t)in->nplans + 1, sizeof(*ids));
    out_id[0] = '\0';
    if (ids == NULL || j_mod == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (db_begin(conn, err) != 0 || db_sku_insert(conn, &in->sku, out_id, &inserted, err) != 0)
        goto out;
    if (!inserted) {
        refused = 1;
        lic_error_set(err, LIC_ERR_CONFLICT, "Request_BadRequest",
                      "A subscribedSku with skuId '%s' already exists.",
                      in->sku.sku_id ? in->sku.sku_id : "");
        goto out;
    }
    /* Plans given with a name are created when missing; one given by id alone must exist. */
    for (int i = 0; i < in->nplans; i++) {
        ids[i] = in->plans[i].id;
        if (in->plans[i].name != NULL &&
            db_catalog_plan_ensure(conn, ids[i], in->plans[i].name, NULL, err) != 0)
            goto out;
    }
    if (db_catalog_plans_missing(conn, ids, in->nplans, missing, err) != 0)
        goto out;
    if (missing[0] != '\0') {
        refused = 1;
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "Service plan '%s' does not exist; give its servicePlanName to create it.",
                      missing);
        goto out;
    }
    if (db_sku_link_plans(conn, out_id, ids, in->nplans, err) != 0 ||
        record(conn, by, AUDIT_ADD_SKU, out_id, in->sku.part_number, json_incref(j_mod), NULL,
               err) != 0)
        goto out;
    rc = db_commit(conn, err);
out:
    free(ids);
    return finish(pool, conn, by, rc, refused, AUDIT_ADD_SKU,
                  in->sku.sku_id ? in->sku.sku_id : out_id, in->sku.part_number, j_mod, err);
}

static int seats_refused(int enabled, int consumed, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "prepaidUnits.enabled cannot be lowered to %d: %d seats are consumed "
                         "(consumedUnits). Remove licenses from users first.",
                         enabled, consumed);
}

/* The patch as modifiedProperties against the SKU as it was. */
static json_t *update_changes(const struct db_sku_state *was, const struct db_sku_patch *patch)
{
    json_t *j_mod = json_array();
    for (int u = 0; j_mod != NULL && u < SKU_UNITS_COUNT; u++)
        if (patch->units[u] >= 0 && patch->units[u] != was->units[u])
            units_change(j_mod, (enum sku_units)u, was->units[u], patch->units[u]);
    if (j_mod != NULL && patch->capability_status != NULL &&
        strcmp(patch->capability_status, was->capability_status) != 0)
        json_array_append_new(j_mod, audit_modified("capabilityStatus", was->capability_status,
                                                    patch->capability_status));
    return j_mod;
}

int catalog_sku_update(struct db_pool *pool, const struct audit_actor *by, const char *sku_id,
                       const struct db_sku_patch *patch, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1, refused = 0, found = 0;
    struct db_sku_state was = {0};
    json_t *j_mod = NULL;
    int enabled = patch->units[SKU_UNITS_ENABLED];
    if (db_begin(conn, err) != 0 || (found = db_sku_lock(conn, sku_id, &was, err)) < 0)
        goto out;
    if (found == DB_CATALOG_NONE) {
        catalog_not_found(sku_id, err);
        goto out;
    }
    if ((j_mod = update_changes(&was, patch)) == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (enabled >= 0 && enabled < was.consumed) {
        refused = 1;
        seats_refused(enabled, was.consumed, err);
        goto out;
    }
    if (db_sku_update(conn, sku_id, patch, err) != 0) {
        /* The CHECK is the last line of defence should a seat be taken meanwhile. */
        if (strcmp(db_last_sqlstate(conn), "23514") == 0) {
            refused = 1;
            seats_refused(enabled, was.consumed, err);
        }
        goto out;
    }
    /* More seats may let users waiting in CountViolation in (semantics §5). */
    if (enabled > was.units[SKU_UNITS_ENABLED] &&
        requeue_sku_seats(conn, sku_id, "seats added", err) != 0)
        goto out;
    if (record(conn, by, AUDIT_UPDATE_SKU, sku_id, was.part_number, json_incref(j_mod), NULL,
               err) != 0)
        goto out;
    rc = db_commit(conn, err);
out:
    return finish(pool, conn, by, rc, refused, AUDIT_UPDATE_SKU, sku_id, was.part_number, j_mod,
                  err);
}

int catalog_sku_delete(struct db_pool *pool, const struct audit_actor *by, const char *sku_id,
                       struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1, refused = 0, found = 0;
    struct db_sku_usage use = {0};
    if (db_begin(conn, err) != 0 || (found = db_sku_usage(conn, sku_id, &use, err)) < 0)
        goto out;
    if (found == DB_CATALOG_NONE) {
        catalog_not_found(sku_id, err);
        goto out;
    }
    if (use.consumed > 0 || use.groups > 0 || use.users > 0) {
        refused = 1;
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "The subscribedSku '%s' is still in use (%ld consumed units, assigned to %ld "
                      "groups and %ld users directly). Remove its licenses before deleting it.",
                      sku_id, use.consumed, use.groups, use.users);
        goto out;
    }
    if (db_sku_delete(conn, sku_id, err) != 0) {
        /* License states left behind by the engine still reference it. */
        if (strcmp(db_last_sqlstate(conn), "23503") == 0) {
            refused = 1;
            lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                          "The subscribedSku '%s' still has license assignment states. Remove "
                          "its licenses before deleting it.",
                          sku_id);
        }
        goto out;
    }
    if (record(conn, by, AUDIT_DELETE_SKU, sku_id, use.part_number, NULL, NULL, err) != 0)
        goto out;
    rc = db_commit(conn, err);
out:
    return finish(pool, conn, by, rc, refused, AUDIT_DELETE_SKU, sku_id, use.part_number, NULL,
                  err);
}
