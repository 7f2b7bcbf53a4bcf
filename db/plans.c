/* Service plans in PostgreSQL: reading them with their rules, and writing names and rules. */
#include <stdio.h>
#include <string.h>

#include "db/catalog.h"
#include "db/catalog_rows.h"
#include "db/internal.h"

/* ---- reading ---- */

#define PLAN_COLUMNS                                                                               \
    "p.id, p.name, p.display_name, p.service, p.applies_to, p.provisions_mailbox,"                 \
    " array_to_string(ARRAY(SELECT CASE WHEN c.plan_a = p.id THEN c.plan_b ELSE c.plan_a END"      \
    "   FROM service_plan_conflicts c WHERE c.plan_a = p.id OR c.plan_b = p.id ORDER BY 1),"       \
    "   ','),"                                                                                     \
    " array_to_string(ARRAY(SELECT r.requires_plan_id FROM service_plan_prerequisites r"           \
    "   WHERE r.plan_id = p.id ORDER BY 1), ','),"                                                 \
    " array_to_string(p.unavailable_in_countries, ',')"

static const struct db_stmt stmt_plans_first = {
    "catalog_plans_first",
    "SELECT " PLAN_COLUMNS " FROM service_plans p ORDER BY p.name, p.id LIMIT $1", 1};

static const struct db_stmt stmt_plans_after = {
    "catalog_plans_after",
    "SELECT " PLAN_COLUMNS " FROM service_plans p WHERE (p.name, p.id) > ($1, $2::uuid)"
    " ORDER BY p.name, p.id LIMIT $3",
    3};

static const struct db_stmt stmt_plan_get = {
    "catalog_plan_get", "SELECT " PLAN_COLUMNS " FROM service_plans p WHERE p.id = $1", 1};

static const struct db_stmt stmt_plan_lock = {
    "catalog_plan_lock", "SELECT id FROM service_plans WHERE id = $1 FOR NO KEY UPDATE", 1};

static void plan_from(const PGresult *r, int i, struct db_plan *p)
{
    memset(p, 0, sizeof(*p));
    cell_copy(r, i, 0, p->id, sizeof(p->id));
    p->name = cell_dup(r, i, 1);
    p->display_name = cell_dup(r, i, 2);
    p->service = cell_dup(r, i, 3);
    cell_copy(r, i, 4, p->applies_to, sizeof(p->applies_to));
    p->provisions_mailbox = strcmp(PQgetvalue(r, i, 5), "t") == 0;
    p->conflicts = cell_dup(r, i, 6);
    p->requires = cell_dup(r, i, 7);
    p->countries = cell_dup(r, i, 8);
}

void db_plan_free(struct db_plan *p)
{
    free(p->name);
    free(p->display_name);
    free(p->service);
    free(p->conflicts);
    free(p->requires);
    free(p->countries);
    memset(p, 0, sizeof(*p));
}

void db_plans_free(struct db_plan *p, int n)
{
    for (int i = 0; p != NULL && i < n; i++)
        db_plan_free(&p[i]);
    free(p);
}

int db_plans_list(struct db_conn *conn, const char *after_name, const char *after_id, int limit,
                  struct db_plan **out, int *n, struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *first[] = {lim};
    const char *after[] = {after_name, after_id, lim};
    PGresult *r = after_name ? db_exec(conn, &stmt_plans_after, after, err)
                             : db_exec(conn, &stmt_plans_first, first, err);
    if (r == NULL)
        return -1;
    *n = PQntuples(r);
    *out = calloc((size_t)*n + 1, sizeof(**out));
    for (int i = 0; *out != NULL && i < *n; i++)
        plan_from(r, i, &(*out)[i]);
    PQclear(r);
    return *out ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}

int db_plan_get(struct db_conn *conn, const char *id, int lock, struct db_plan *out,
                struct lic_error *err)
{
    const char *params[] = {id};
    if (lock && db_exec_command(conn, &stmt_plan_lock, params, err) < 0)
        return -1;
    PGresult *r = db_exec(conn, &stmt_plan_get, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        plan_from(r, 0, out);
    PQclear(r);
    return found ? 0 : DB_CATALOG_NONE;
}

/* ---- writing ---- */

/* Statements that write report what they changed as rows affected (db_exec_command): those that
 * replace a list answer one row per row deleted or inserted. */
static int exec_changed(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                        int *changed, struct lic_error *err)
{
    long n = db_exec_command(conn, stmt, params, err);
    if (n < 0)
        return -1;
    if (changed != NULL)
        *changed = n > 0;
    return 0;
}

static const struct db_stmt stmt_plan_rename = {
    "catalog_plan_rename",
    "UPDATE service_plans SET name = coalesce($2, name),"
    " display_name = CASE WHEN $3::boolean THEN $4 ELSE display_name END, updated_at = now()"
    " WHERE id = $1",
    4};

int db_plan_rename(struct db_conn *conn, const char *id, const char *name, const char *display_name,
                   struct lic_error *err)
{
    const char *params[] = {id, name, display_name ? "true" : "false",
                            display_name && display_name[0] ? display_name : NULL};
    return exec_changed(conn, &stmt_plan_rename, params, NULL, err);
}

static const struct db_stmt stmt_plan_ensure = {
    "catalog_plan_ensure",
    "INSERT INTO service_plans (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", 2};

int db_catalog_plan_ensure(struct db_conn *conn, const char *id, const char *name, int *created,
                           struct lic_error *err)
{
    const char *params[] = {id, name};
    return exec_changed(conn, &stmt_plan_ensure, params, created, err);
}

static const struct db_stmt stmt_plans_by_name = {
    "catalog_plans_by_name", "SELECT id FROM service_plans WHERE name = $1 ORDER BY id", 1};

int db_catalog_plans_by_name(struct db_conn *conn, const char *name, char (*ids)[GUID_SIZE],
                             int max, int *n, struct lic_error *err)
{
    const char *params[] = {name};
    PGresult *r = db_exec(conn, &stmt_plans_by_name, params, err);
    if (r == NULL)
        return -1;
    *n = 0;
    for (int i = 0; i < PQntuples(r) && *n < max; i++)
        cell_copy(r, i, 0, ids[(*n)++], GUID_SIZE);
    PQclear(r);
    return 0;
}

static const struct db_stmt stmt_plans_missing = {
    "catalog_plans_missing",
    "SELECT x FROM unnest($1::uuid[]) WITH ORDINALITY AS u(x, i)"
    " WHERE NOT EXISTS (SELECT 1 FROM service_plans p WHERE p.id = u.x) ORDER BY i LIMIT 1",
    1};

int db_catalog_plans_missing(struct db_conn *conn, const char *const *ids, int n,
                             char missing[GUID_SIZE], struct lic_error *err)
{
    missing[0] = '\0';
    if (n == 0)
        return 0;
    char *list = db_array_literal(ids, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {list};
    PGresult *r = db_exec(conn, &stmt_plans_missing, params, err);
    free(list);
    if (r == NULL)
        return -1;
    if (PQntuples(r) > 0)
        cell_copy(r, 0, 0, missing, GUID_SIZE);
    PQclear(r);
    return 0;
}

static const struct db_stmt stmt_conflict_add = {
    "catalog_conflict_add",
    "INSERT INTO service_plan_conflicts (plan_a, plan_b)"
    " VALUES (least($1::uuid, $2::uuid), greatest($1::uuid, $2::uuid)) ON CONFLICT DO NOTHING",
    2};

int db_catalog_conflict_add(struct db_conn *conn, const char *a, const char *b, int *added,
                            struct lic_error *err)
{
    const char *params[] = {a, b};
    return exec_changed(conn, &stmt_conflict_add, params, added, err);
}

/* Each replace deletes what is not wanted and inserts what is missing. */
static const struct db_stmt stmt_conflicts_replace = {
    "catalog_conflicts_replace",
    "WITH want AS (SELECT DISTINCT least($1::uuid, x) AS a, greatest($1::uuid, x) AS b"
    "   FROM unnest($2::uuid[]) x),"
    " gone AS (DELETE FROM service_plan_conflicts c WHERE ($1::uuid IN (c.plan_a, c.plan_b))"
    "   AND NOT EXISTS (SELECT 1 FROM want w WHERE w.a = c.plan_a AND w.b = c.plan_b)"
    "   RETURNING 1),"
    " added AS (INSERT INTO service_plan_conflicts (plan_a, plan_b) SELECT a, b FROM want"
    "   ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT 1 FROM gone UNION ALL SELECT 1 FROM added",
    2};

static const struct db_stmt stmt_prerequisites_replace = {
    "catalog_prerequisites_replace",
    "WITH want AS (SELECT DISTINCT x AS r FROM unnest($2::uuid[]) x),"
    " gone AS (DELETE FROM service_plan_prerequisites p WHERE p.plan_id = $1"
    "   AND p.requires_plan_id NOT IN (SELECT r FROM want) RETURNING 1),"
    " added AS (INSERT INTO service_plan_prerequisites (plan_id, requires_plan_id)"
    "   SELECT $1, r FROM want ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT 1 FROM gone UNION ALL SELECT 1 FROM added",
    2};

static const struct db_stmt stmt_countries_replace = {
    "catalog_countries_replace",
    "WITH want AS (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') AS c"
    "   FROM unnest($2::text[]) x)"
    " UPDATE service_plans SET unavailable_in_countries = want.c, updated_at = now() FROM want"
    " WHERE id = $1 AND unavailable_in_countries IS DISTINCT FROM want.c",
    2};

static int replace_list(struct db_conn *conn, const struct db_stmt *stmt, const char *plan_id,
                        const char *const *items, int n, int *changed, struct lic_error *err)
{
    char *list = db_array_literal(items, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {plan_id, list};
    int rc = exec_changed(conn, stmt, params, changed, err);
    free(list);
    return rc;
}

int db_catalog_conflicts_replace(struct db_conn *conn, const char *plan_id, const char *const *ids,
                                 int n, int *changed, struct lic_error *err)
{
    return replace_list(conn, &stmt_conflicts_replace, plan_id, ids, n, changed, err);
}

int db_catalog_prerequisites_replace(struct db_conn *conn, const char *plan_id,
                                     const char *const *ids, int n, int *changed,
                                     struct lic_error *err)
{
    return replace_list(conn, &stmt_prerequisites_replace, plan_id, ids, n, changed, err);
}

int db_catalog_countries_replace(struct db_conn *conn, const char *plan_id,
                                 const char *const *codes, int n, int *changed,
                                 struct lic_error *err)
{
    return replace_list(conn, &stmt_countries_replace, plan_id, codes, n, changed, err);
}

static const struct db_stmt stmt_mailbox_set = {
    "catalog_mailbox_set",
    "UPDATE service_plans SET provisions_mailbox = $2, updated_at = now()"
    " WHERE id = $1 AND provisions_mailbox <> $2",
    2};

int db_catalog_mailbox_set(struct db_conn *conn, const char *plan_id, int on, int *changed,
                           struct lic_error *err)
{
    const char *params[] = {plan_id, on ? "true" : "false"};
    return exec_changed(conn, &stmt_mailbox_set, params, changed, err);
}
