/* Group license intent: checks that belong to the group itself, then the stored intent. */
#include "db/group_licenses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/queue.h"

static const struct db_stmt stmt_missing_sku = {
    "grp_lic_missing_sku",
    "SELECT s FROM unnest($1::uuid[]) AS s"
    " WHERE NOT EXISTS (SELECT 1 FROM skus WHERE sku_id = s) LIMIT 1",
    1};

static const struct db_stmt stmt_foreign_plan = {
    "grp_lic_foreign_plan",
    "SELECT x.s, d FROM unnest($1::uuid[], $2::text[]) AS x(s, ds), unnest(x.ds::uuid[]) AS d"
    " WHERE NOT EXISTS (SELECT 1 FROM sku_service_plans WHERE sku_id = x.s AND plan_id = d)"
    " LIMIT 1",
    2};

static const struct db_stmt stmt_not_assigned = {
    "grp_lic_not_assigned",
    "SELECT s FROM unnest($2::uuid[]) AS s"
    " WHERE NOT EXISTS (SELECT 1 FROM group_licenses WHERE group_id = $1 AND sku_id = s) LIMIT 1",
    2};

/* An enabled add-on plan must find one of its prerequisites enabled in the group's licenses as
 * they would be after the change (semantics §3). */
static const struct db_stmt stmt_prerequisite = {
    "grp_lic_prerequisite",
    "WITH adds AS (SELECT s, ds::uuid[] AS d FROM unnest($2::uuid[], $3::text[]) AS x(s, ds)),"
    " lic AS (SELECT sku_id AS s, disabled_plans AS d FROM group_licenses"
    "          WHERE group_id = $1 AND sku_id <> ALL ($4::uuid[])"
    "            AND sku_id NOT IN (SELECT s FROM adds)"
    "         UNION ALL SELECT s, d FROM adds),"
    " enabled AS (SELECT DISTINCT sp.plan_id FROM lic JOIN sku_service_plans sp ON sp.sku_id = "
    "lic.s"
    "              WHERE sp.plan_id <> ALL (lic.d))"
    " SELECT coalesce(p.display_name, p.name),"
    "        (SELECT string_agg(coalesce(q.display_name, q.name), ' or ' ORDER BY q.name)"
    "           FROM service_plan_prerequisites r JOIN service_plans q ON q.id = r.requires_plan_id"
    "          WHERE r.plan_id = p.id)"
    "   FROM enabled e JOIN service_plans p ON p.id = e.plan_id"
    "  WHERE EXISTS (SELECT 1 FROM service_plan_prerequisites r WHERE r.plan_id = e.plan_id)"
    "    AND NOT EXISTS (SELECT 1 FROM service_plan_prerequisites r"
    "                      JOIN enabled e2 ON e2.plan_id = r.requires_plan_id"
    "                     WHERE r.plan_id = e.plan_id)"
    "  ORDER BY p.name LIMIT 1",
    4};

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

struct arrays {
    char *adds, *disabled, *removes;
};

static int make_arrays(const struct group_license_change *c, struct arrays *a)
{
    memset(a, 0, sizeof(*a));
    const char **skus = calloc((size_t)c->n_adds + 1, sizeof(*skus));
    char **disabled = calloc((size_t)c->n_adds + 1, sizeof(*disabled));
    const char **removes = calloc((size_t)c->n_removes + 1, sizeof(*removes));
    int ok = skus && disabled && removes;
    for (int i = 0; ok && i < c->n_adds; i++) {
        const char **plans = calloc((size_t)c->adds[i].n_disabled + 1, sizeof(*plans));
        ok = plans != NULL;
        for (int k = 0; ok && k < c->adds[i].n_disabled; k++)
            plans[k] = c->adds[i].disabled_plans[k];
        skus[i] = c->adds[i].sku_id;
        /* Each added SKU's disabled plans travel as one element: a uuid[] literal. */
        disabled[i] = ok ? db_array_literal(plans, c->adds[i].n_disabled) : NULL;
        ok = disabled[i] != NULL;
        free(plans);
    }
    for (int i = 0; ok && i < c->n_removes; i++)
        removes[i] = c->removes[i];
    if (ok) {
        a->adds = db_array_literal(skus, c->n_adds);
        a->disabled = db_array_literal((const char *const *)disabled, c->n_adds);
        a->removes = db_array_literal(removes, c->n_removes);
        ok = a->adds && a->disabled && a->removes;
    }
    for (int i = 0; disabled && i < c->n_adds; i++)
        free(disabled[i]);
    free(disabled);
    free(skus);
    free(removes);
    return ok ? 0 : -1;
}

static void free_arrays(struct arrays *a)
{
    free(a->adds);
    free(a->disabled);
    free(a->removes);
}

/* Runs one refusal check: a row means the change is refused, with err set from fmt and the
 * row's columns a and b. 0 when there is no row, -1 when refused or on a database error. */
static int refused(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                   const char *fmt, int a, int b, struct lic_error *err)
{
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", fmt, PQgetvalue(r, 0, a),
                      PQgetvalue(r, 0, b));
    PQclear(r);
    return found ? -1 : 0;
}

int db_group_license_check(struct db_conn *conn, const struct group_license_change *c,
                           struct lic_error *err)
{
    struct arrays a;
    if (make_arrays(c, &a) != 0) {
        free_arrays(&a);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    const char *p_missing[] = {a.adds};
    const char *p_foreign[] = {a.adds, a.disabled};
    const char *p_assigned[] = {c->group_id, a.removes};
    const char *p_pre[] = {c->group_id, a.adds, a.disabled, a.removes};
    int rc = -1;
    if (refused(conn, &stmt_missing_sku, p_missing,
                "License %s does not correspond to a valid company License.", 0, 0, err) == 0 &&
        refused(conn, &stmt_foreign_plan, p_foreign,
                "Service plan %s in disabledPlans is not part of license %s.", 1, 0, err) == 0 &&
        refused(conn, &stmt_not_assigned, p_assigned,
                "License %s is not assigned to the group and cannot be removed.", 0, 0, err) == 0 &&
        refused(conn, &stmt_prerequisite, p_pre,
                "License operation failed. Make sure that the group has necessary services "
                "before adding or removing a dependent service. The service %s requires %s "
                "to be enabled as well.",
                0, 1, err) == 0)
        rc = 0;
    free_arrays(&a);
    return rc;
}

int db_group_license_apply(struct db_conn *conn, const struct group_license_change *c,
                           struct lic_error *err)
{
    struct arrays a;
    int rc = -1;
    PGresult *r = NULL;
    if (make_arrays(c, &a) != 0) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    const char *p_drop[] = {c->group_id, a.removes};
    const char *p_put[] = {c->group_id, a.adds, a.disabled};
    const char *p_mark[] = {c->group_id};
    if ((r = db_exec(conn, &stmt_drop, p_drop, err)) == NULL)
        goto out;
    PQclear(r);
    if ((r = db_exec(conn, &stmt_put, p_put, err)) == NULL)
        goto out;
    PQclear(r);
    if ((r = db_exec(conn, &stmt_mark, p_mark, err)) == NULL)
        goto out;
    rc = db_queue_push(conn, QUEUE_GROUP, c->group_id, "group licenses changed", err);
out:
    PQclear(r);
    free_arrays(&a);
    return rc;
}

static const struct db_stmt stmt_requeue = {
    "grp_lic_requeue",
    "UPDATE groups SET license_processing_state = 'QueuedForProcessing' WHERE id = $1"
    " RETURNING id",
    1};

int db_group_license_requeue(struct db_conn *conn, const char *group_id, struct lic_error *err)
{
    const char *params[] = {group_id};
    PGresult *r = db_exec(conn, &stmt_requeue, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    if (!found)
        return 0;
    return db_queue_push(conn, QUEUE_GROUP, group_id, "reprocessing requested", err) == 0 ? 1 : -1;
}
