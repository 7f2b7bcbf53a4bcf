/* Group license intent: the stored licenses of a group and their changes. */
#include "db/group_licenses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/arena.h"
#include "service/base/buf.h"
#include "db/internal.h"

static const struct db_stmt stmt_get = {
    "grp_lic_get",
    "SELECT sku_id, disabled_plans FROM group_licenses WHERE group_id = $1 ORDER BY sku_id", 1};

static const struct db_stmt stmt_put = {
    "grp_lic_put",
    "INSERT INTO group_licenses AS g (group_id, sku_id, disabled_plans)"
    " SELECT $1, s, ds::uuid[] FROM unnest($2::uuid[], $3::text[]) AS x(s, ds)"
    " ON CONFLICT (group_id, sku_id) DO UPDATE SET disabled_plans = EXCLUDED.disabled_plans",
    3};

static const struct db_stmt stmt_drop = {
    "grp_lic_drop", "DELETE FROM group_licenses WHERE group_id = $1 AND sku_id = ANY ($2::uuid[])",
    2};

static const struct db_stmt stmt_mark = {
    "grp_lic_mark",
    "UPDATE groups SET license_generation = license_generation + 1,"
    "       license_processing_state = 'QueuedForProcessing', updated_at = now() WHERE id = $1",
    1};

static const struct db_stmt stmt_mark_queued = {
    "grp_lic_mark_queued",
    "UPDATE groups SET license_processing_state = 'QueuedForProcessing' WHERE id = $1", 1};

static int copy_row(struct arena *a, PGresult *r, int i, struct license_add *l)
{
    snprintf(l->sku_id, sizeof(l->sku_id), "%s", PQgetvalue(r, i, 0));
    const char **plans;
    int n = db_array_parse_uuids(a, PQgetvalue(r, i, 1), &plans);
    if (n < 0)
        return -1;
    l->disabled_plans = calloc((size_t)n + 1, GUID_SIZE);
    if (l->disabled_plans == NULL)
        return -1;
    for (l->n_disabled = 0; l->n_disabled < n; l->n_disabled++)
        snprintf(l->disabled_plans[l->n_disabled], GUID_SIZE, "%s", plans[l->n_disabled]);
    return 0;
}

int db_group_licenses_get(struct db_conn *conn, const char *group_id, struct license_add **out,
                          struct lic_error *err)
{
    *out = NULL;
    const char *params[] = {group_id};
    PGresult *r = db_exec(conn, &stmt_get, params, err);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    struct arena *a = arena_new();
    struct license_add *licenses = calloc((size_t)n + 1, sizeof(*licenses));
    int rc = a && licenses ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++)
        rc = copy_row(a, r, i, &licenses[i]);
    arena_free(a);
    PQclear(r);
    if (rc != 0) {
        db_group_licenses_free(licenses, n);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    *out = licenses;
    return n;
}

void db_group_licenses_free(struct license_add *licenses, int n)
{
    for (int i = 0; licenses && i < n; i++)
        free(licenses[i].disabled_plans);
    free(licenses);
}

/* The change as array parameters: added SKUs, their disabled plans (one uuid[] literal per SKU,
 * as text[]) and removed SKUs. All three NULL when memory ran out. */
struct arrays {
    char *adds, *disabled, *removes;
};

static int make_arrays(const struct license_request *c, struct arrays *a)
{
    struct buf adds = {0}, disabled = {0}, removes = {0}, plans = {0};
    db_array_begin(&adds);
    db_array_begin(&disabled);
    db_array_begin(&removes);
    for (int i = 0; i < c->n_adds; i++) {
        db_array_add(&adds, c->adds[i].sku_id);
        db_array_begin(&plans);
        for (int k = 0; k < c->adds[i].n_disabled; k++)
            db_array_add(&plans, c->adds[i].disabled_plans[k]);
        db_array_end(&plans);
        db_array_add(&disabled, plans.failed ? NULL : plans.data);
        disabled.failed |= plans.failed;
    }
    for (int i = 0; i < c->n_removes; i++)
        db_array_add(&removes, c->removes[i]);
    db_array_end(&adds);
    db_array_end(&disabled);
    db_array_end(&removes);
    buf_free(&plans);
    a->adds = buf_take(&adds);
    a->disabled = buf_take(&disabled);
    a->removes = buf_take(&removes);
    return a->adds && a->disabled && a->removes ? 0 : -1;
}

static void free_arrays(struct arrays *a)
{
    free(a->adds);
    free(a->disabled);
    free(a->removes);
}

int db_group_licenses_apply(struct db_conn *conn, const char *group_id,
                            const struct license_request *change, struct lic_error *err)
{
    struct arrays a;
    if (make_arrays(change, &a) != 0) {
        free_arrays(&a);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    const char *p_drop[] = {group_id, a.removes};
    const char *p_put[] = {group_id, a.adds, a.disabled};
    const char *p_mark[] = {group_id};
    int rc = db_exec_command(conn, &stmt_drop, p_drop, err) >= 0 &&
                     db_exec_command(conn, &stmt_put, p_put, err) >= 0 &&
                     db_exec_command(conn, &stmt_mark, p_mark, err) >= 0
                 ? 0
                 : -1;
    free_arrays(&a);
    return rc;
}

int db_group_licenses_mark_queued(struct db_conn *conn, const char *group_id, struct lic_error *err)
{
    const char *params[] = {group_id};
    long n = db_exec_command(conn, &stmt_mark_queued, params, err);
    return n < 0 ? -1 : n > 0;
}
