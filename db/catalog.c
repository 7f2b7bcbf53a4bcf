/* Catalog storage: subscribed SKUs, service plans and rules, and the set-based CSV import. */
#include "db/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/queue.h"

/* ---- small helpers ---- */

static char *dup_value(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static void copy_value(const PGresult *r, int row, int col, char *out, size_t size)
{
    snprintf(out, size, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static long long_value(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : atol(PQgetvalue(r, row, col));
}

static int exec_count(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                      int *changed, struct lic_error *err)
{
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    /* A statement that SELECTs its own count answers with it; others by rows affected. */
    if (changed != NULL)
        *changed = PQntuples(r) > 0 ? long_value(r, 0, 0) > 0 : atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return 0;
}

/* ---- bulk import ---- */

/* Runs a statement answering one row of counts into out[0..n). */
static int exec_counts(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                       long *const *out, int n, struct lic_error *err)
{
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        *out[i] = long_value(r, 0, i);
    PQclear(r);
    return 0;
}

static const char copy_sql[] = "COPY catalog_import_rows (line, sku_id, sku_part, sku_display,"
                               " plan_id, plan_name, plan_display, service) FROM STDIN";

static const struct db_stmt stmt_import_plans = {
    "catalog_import_plans",
    "WITH named AS (SELECT plan_id, plan_name, service, count(*) AS n, min(line) AS first"
    "   FROM catalog_import_rows GROUP BY plan_id, plan_name, service),"
    " name AS (SELECT DISTINCT ON (plan_id) plan_id, plan_name, service FROM named"
    "   ORDER BY plan_id, n DESC, first),"
    " shown AS (SELECT plan_id, plan_display, count(*) AS n, min(line) AS first"
    "   FROM catalog_import_rows GROUP BY plan_id, plan_display),"
    " disp AS (SELECT DISTINCT ON (plan_id) plan_id, plan_display FROM shown"
    "   ORDER BY plan_id, n DESC, first),"
    " up AS (INSERT INTO service_plans AS sp (id, name, display_name, service)"
    "   SELECT name.plan_id, name.plan_name, nullif(disp.plan_display, ''), name.service"
    "     FROM name JOIN disp USING (plan_id)"
    "   ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, display_name = EXCLUDED.display_name,"
    "     service = EXCLUDED.service, updated_at = now()"
    "   WHERE $1 AND ((sp.name, sp.display_name, sp.service)"
    "     IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.display_name, EXCLUDED.service))"
    "   RETURNING (xmax = 0) AS added)"
    " SELECT (SELECT count(*) FROM name), count(*) FILTER (WHERE added),"
    "   count(*) FILTER (WHERE NOT added) FROM up",
    1};

static const struct db_stmt stmt_import_skus = {
    "catalog_import_skus",
    "WITH named AS (SELECT sku_id, sku_part, sku_display, count(*) AS n, min(line) AS first"
    "   FROM catalog_import_rows GROUP BY sku_id, sku_part, sku_display),"
    " pick AS (SELECT DISTINCT ON (sku_id) sku_id, sku_part, sku_display FROM named"
    "   ORDER BY sku_id, n DESC, first),"
    " up AS (INSERT INTO skus AS s (sku_id, sku_part_number, display_name)"
    "   SELECT sku_id, sku_part, nullif(sku_display, '') FROM pick"
    "   ON CONFLICT (sku_id) DO UPDATE SET sku_part_number = EXCLUDED.sku_part_number,"
    "     display_name = EXCLUDED.display_name, updated_at = now()"
    "   WHERE $1 AND ((s.sku_part_number, s.display_name)"
    "     IS DISTINCT FROM (EXCLUDED.sku_part_number, EXCLUDED.display_name))"
    "   RETURNING (xmax = 0) AS added)"
    " SELECT (SELECT count(*) FROM pick), count(*) FILTER (WHERE added),"
    "   count(*) FILTER (WHERE NOT added) FROM up",
    1};

static const struct db_stmt stmt_import_links = {
    "catalog_import_links",
    "WITH want AS (SELECT sku_id, plan_id,"
    "   (row_number() OVER (PARTITION BY sku_id ORDER BY first))::integer AS position"
    "   FROM (SELECT sku_id, plan_id, min(line) AS first FROM catalog_import_rows"
    "         GROUP BY sku_id, plan_id) x),"
    " up AS (INSERT INTO sku_service_plans AS l (sku_id, plan_id, position)"
    "   SELECT sku_id, plan_id, position FROM want"
    "   ON CONFLICT (sku_id, plan_id) DO UPDATE SET position = EXCLUDED.position"
    "   WHERE l.position <> EXCLUDED.position RETURNING (xmax = 0) AS added),"
    " gone AS (DELETE FROM sku_service_plans l"
    "   WHERE l.sku_id IN (SELECT sku_id FROM catalog_import_rows)"
    "     AND NOT EXISTS (SELECT 1 FROM want w WHERE w.sku_id = l.sku_id AND w.plan_id = l.plan_id)"
    "   RETURNING 1)"
    " SELECT (SELECT count(*) FROM want), count(*) FILTER (WHERE added),"
    "   count(*) FILTER (WHERE NOT added), (SELECT count(*) FROM gone) FROM up",
    0};

/* COPY text format: backslash, tab and line breaks escaped; NULL is \N. On allocation failure
 * *buf becomes NULL. */
static void copy_field(char **buf, size_t *len, size_t *cap, const char *v, int last)
{
    size_t need = (v ? strlen(v) * 2 : 2) + 2;
    if (*buf == NULL)
        return;
    if (*len + need >= *cap) {
        size_t cap2 = (*cap + need) * 2;
        char *grown = realloc(*buf, cap2);
        if (grown == NULL) { /* the caller sees buf NULL and fails the COPY */
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = grown;
        *cap = cap2;
    }
    char *o = *buf + *len;
    if (v == NULL) {
        *o++ = '\\';
        *o++ = 'N';
    } else {
        for (; *v; v++) {
            char c = *v;
            if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
                *o++ = '\\';
                c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
            }
            *o++ = c;
        }
    }
    *o++ = last ? '\n' : '\t';
    *len = (size_t)(o - *buf);
}

static int copy_rows(struct db_conn *conn, const struct catalog_row *rows, size_t n,
                     struct lic_error *err)
{
    PGconn *pg = db_pgconn(conn);
    PGresult *r = PQexec(pg, copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
        return lic_error_set(err, LIC_ERR_INTERNAL, "InternalServerError", "COPY failed: %s",
                             PQerrorMessage(pg));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (size_t i = 0; i < n && buf != NULL; i++) {
        char line[24];
        snprintf(line, sizeof(line), "%ld", rows[i].line);
        copy_field(&buf, &len, &cap, line, 0);
        copy_field(&buf, &len, &cap, rows[i].sku_id, 0);
        copy_field(&buf, &len, &cap, rows[i].sku_part, 0);
        copy_field(&buf, &len, &cap, rows[i].sku_display, 0);
        copy_field(&buf, &len, &cap, rows[i].plan_id, 0);
        copy_field(&buf, &len, &cap, rows[i].plan_name, 0);
        copy_field(&buf, &len, &cap, rows[i].plan_display, 0);
        copy_field(&buf, &len, &cap, rows[i].service, 1);
        if (buf != NULL && len > (1 << 15)) {
            ok = ok && PQputCopyData(pg, buf, (int)len) == 1;
            len = 0;
        }
    }
    if (buf != NULL && len > 0)
        ok = ok && PQputCopyData(pg, buf, (int)len) == 1;
    ok = ok && buf != NULL;
    free(buf);
    PQputCopyEnd(pg, ok ? NULL : "client failed");
    while ((r = PQgetResult(pg)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            ok = 0;
        PQclear(r);
    }
    if (!ok)
        return lic_error_set(err, LIC_ERR_INTERNAL, "InternalServerError", "COPY failed: %s",
                             PQerrorMessage(pg));
    return 0;
}

int db_catalog_import(struct db_conn *conn, const struct catalog_row *rows, size_t n,
                      int rename_existing, struct catalog_import_counts *c, struct lic_error *err)
{
    const char *rename[] = {rename_existing ? "true" : "false"};
    memset(c, 0, sizeof(*c));
    if (db_exec_simple(conn,
                       "CREATE TEMP TABLE IF NOT EXISTS catalog_import_rows (line integer,"
                       " sku_id uuid, sku_part text, sku_display text, plan_id uuid,"
                       " plan_name text, plan_display text, service text) ON COMMIT DROP;"
                       " TRUNCATE catalog_import_rows",
                       err) != 0)
        return -1;
    if (copy_rows(conn, rows, n, err) != 0)
        return -1;
    if (db_exec_simple(conn, "ANALYZE catalog_import_rows", err) != 0)
        return -1;
    long *plans[] = {&c->plans, &c->plans_added, &c->plans_updated};
    long *skus[] = {&c->skus, &c->skus_added, &c->skus_updated};
    long *links[] = {&c->links, &c->links_added, &c->links_moved, &c->links_removed};
    /* Plans and SKUs before the links that reference them. */
    if (exec_counts(conn, &stmt_import_plans, rename, plans, 3, err) != 0 ||
        exec_counts(conn, &stmt_import_skus, rename, skus, 3, err) != 0 ||
        exec_counts(conn, &stmt_import_links, NULL, links, 4, err) != 0)
        return -1;
    return 0;
}

/* ---- rules ---- */

static const struct db_stmt stmt_plan_ensure = {
    "catalog_plan_ensure",
    "INSERT INTO service_plans (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", 2};

int db_catalog_plan_ensure(struct db_conn *conn, const char *id, const char *name, int *created,
                           struct lic_error *err)
{
    const char *params[] = {id, name};
    return exec_count(conn, &stmt_plan_ensure, params, created, err);
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
        copy_value(r, i, 0, ids[(*n)++], GUID_SIZE);
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
    return exec_count(conn, &stmt_conflict_add, params, added, err);
}

/* Each replace deletes what is not wanted and inserts what is missing, and reports whether
 * anything moved. */
static const struct db_stmt stmt_conflicts_replace = {
    "catalog_conflicts_replace",
    "WITH want AS (SELECT DISTINCT least($1::uuid, x) AS a, greatest($1::uuid, x) AS b"
    "   FROM unnest($2::uuid[]) x),"
    " gone AS (DELETE FROM service_plan_conflicts c WHERE ($1::uuid IN (c.plan_a, c.plan_b))"
    "   AND NOT EXISTS (SELECT 1 FROM want w WHERE w.a = c.plan_a AND w.b = c.plan_b)"
    "   RETURNING 1),"
    " added AS (INSERT INTO service_plan_conflicts (plan_a, plan_b) SELECT a, b FROM want"
    "   ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM added)",
    2};

static const struct db_stmt stmt_prerequisites_replace = {
    "catalog_prerequisites_replace",
    "WITH want AS (SELECT DISTINCT x AS r FROM unnest($2::uuid[]) x),"
    " gone AS (DELETE FROM service_plan_prerequisites p WHERE p.plan_id = $1"
    "   AND p.requires_plan_id NOT IN (SELECT r FROM want) RETURNING 1),"
    " added AS (INSERT INTO service_plan_prerequisites (plan_id, requires_plan_id)"
    "   SELECT $1, r FROM want ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM added)",
    2};

static const struct db_stmt stmt_countries_replace = {
    "catalog_countries_replace",
    "WITH want AS (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') AS c"
    "   FROM unnest($2::text[]) x)"
    " UPDATE service_plans SET unavailable_in_countries = want.c, updated_at = now() FROM want"
    " WHERE id = $1 AND unavailable_in_countries IS DISTINCT FROM want.c",
    2};

static const struct db_stmt stmt_mailbox_set = {
    "catalog_mailbox_set",
    "UPDATE service_plans SET provisions_mailbox = $2, updated_at = now()"
    " WHERE id = $1 AND provisions_mailbox <> $2",
    2};

static int replace_list(struct db_conn *conn, const struct db_stmt *stmt, const char *plan_id,
                        const char *const *items, int n, int *changed, struct lic_error *err)
{
    char *list = db_array_literal(items, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {plan_id, list};
    int rc = exec_count(conn, stmt, params, changed, err);
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

int db_catalog_mailbox_set(struct db_conn *conn, const char *plan_id, int on, int *changed,
                           struct lic_error *err)
{
    const char *params[] = {plan_id, on ? "true" : "false"};
    return exec_count(conn, &stmt_mailbox_set, params, changed, err);
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
        copy_value(r, 0, 0, missing, GUID_SIZE);
    PQclear(r);
    return 0;
}

/* ---- service plans ---- */

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
    copy_value(r, i, 0, p->id, sizeof(p->id));
    p->name = dup_value(r, i, 1);
    p->display_name = dup_value(r, i, 2);
    p->service = dup_value(r, i, 3);
    copy_value(r, i, 4, p->applies_to, sizeof(p->applies_to));
    p->provisions_mailbox = strcmp(PQgetvalue(r, i, 5), "t") == 0;
    p->conflicts = dup_value(r, i, 6);
    p->requires = dup_value(r, i, 7);
    p->countries = dup_value(r, i, 8);
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
    PGresult *r;
    if (lock) {
        if ((r = db_exec(conn, &stmt_plan_lock, params, err)) == NULL)
            return -1;
        PQclear(r);
    }
    if ((r = db_exec(conn, &stmt_plan_get, params, err)) == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                             "Resource '%s' does not exist or one of its queried "
                             "reference-property objects are not present.",
                             id);
    }
    plan_from(r, 0, out);
    PQclear(r);
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
    return exec_count(conn, &stmt_plan_rename, params, NULL, err);
}

/* ---- subscribed SKUs ---- */

static const struct db_stmt stmt_account = {"catalog_account",
                                            "SELECT id, display_name FROM organization LIMIT 1", 0};

int db_catalog_account(struct db_conn *conn, char id[GUID_SIZE], char *name, size_t name_size,
                       struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_account, NULL, err);
    if (r == NULL)
        return -1;
    snprintf(id, 37, "00000000-0000-0000-0000-000000000000");
    name[0] = '\0';
    if (PQntuples(r) > 0) {
        copy_value(r, 0, 0, id, GUID_SIZE);
        copy_value(r, 0, 1, name, name_size);
    }
    PQclear(r);
    return 0;
}

/* A page of SKUs joined with their plans: one row per (SKU, plan), SKUs without plans once. */
#define SKU_SELECT                                                                                 \
    "SELECT s.sku_id, s.sku_part_number, s.display_name, s.applies_to, s.capability_status,"       \
    " s.prepaid_enabled, s.prepaid_suspended, s.prepaid_warning, s.prepaid_locked_out,"            \
    " s.consumed_units, array_to_string(s.subscription_ids, ','), p.id, p.name, p.applies_to"      \
    " FROM page s LEFT JOIN sku_service_plans l ON l.sku_id = s.sku_id"                            \
    " LEFT JOIN service_plans p ON p.id = l.plan_id ORDER BY s.sku_id, l.position"

static const struct db_stmt stmt_skus_first = {
    "catalog_skus_first", "WITH page AS (SELECT * FROM skus ORDER BY sku_id LIMIT $1) " SKU_SELECT,
    1};

static const struct db_stmt stmt_skus_after = {
    "catalog_skus_after",
    "WITH page AS (SELECT * FROM skus WHERE sku_id > $1 ORDER BY sku_id LIMIT $2) " SKU_SELECT, 2};

static const struct db_stmt stmt_sku_get = {
    "catalog_sku_get", "WITH page AS (SELECT * FROM skus WHERE sku_id = $1) " SKU_SELECT, 1};

void db_sku_free(struct db_sku *s)
{
    free(s->part_number);
    free(s->display_name);
    free(s->subscription_ids);
    for (int i = 0; i < s->nplans; i++)
        free(s->plans[i].name);
    free(s->plans);
    memset(s, 0, sizeof(*s));
}

void db_skus_free(struct db_sku *s, int n)
{
    for (int i = 0; s != NULL && i < n; i++)
        db_sku_free(&s[i]);
    free(s);
}

/* How many rows from row `from` on share column 0 with it (the rows of one SKU or user). */
static int run_length(const PGresult *r, int from)
{
    int n = 1;
    while (from + n < PQntuples(r) &&
           strcmp(PQgetvalue(r, from + n, 0), PQgetvalue(r, from, 0)) == 0)
        n++;
    return n;
}

/* Groups the joined rows into SKUs; returns how many (out has room for every row). */
static int skus_from(const PGresult *r, struct db_sku *out)
{
    int n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (n == 0 || strcmp(out[n - 1].sku_id, PQgetvalue(r, i, 0)) != 0) {
            struct db_sku *s = &out[n++];
            copy_value(r, i, 0, s->sku_id, sizeof(s->sku_id));
            s->part_number = dup_value(r, i, 1);
            s->display_name = dup_value(r, i, 2);
            copy_value(r, i, 3, s->applies_to, sizeof(s->applies_to));
            copy_value(r, i, 4, s->capability_status, sizeof(s->capability_status));
            s->enabled = (int)long_value(r, i, 5);
            s->suspended = (int)long_value(r, i, 6);
            s->warning = (int)long_value(r, i, 7);
            s->locked_out = (int)long_value(r, i, 8);
            s->consumed = (int)long_value(r, i, 9);
            s->subscription_ids = dup_value(r, i, 10);
            s->plans = calloc((size_t)run_length(r, i), sizeof(*s->plans));
        }
        struct db_sku *s = &out[n - 1];
        if (!PQgetisnull(r, i, 11) && s->plans != NULL) {
            struct db_sku_plan *p = &s->plans[s->nplans++];
            copy_value(r, i, 11, p->id, sizeof(p->id));
            p->name = dup_value(r, i, 12);
            copy_value(r, i, 13, p->applies_to, sizeof(p->applies_to));
        }
    }
    return n;
}

int db_skus_list(struct db_conn *conn, const char *after, int limit, struct db_sku **out, int *n,
                 struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *first[] = {lim};
    const char *next[] = {after, lim};
    PGresult *r = after ? db_exec(conn, &stmt_skus_after, next, err)
                        : db_exec(conn, &stmt_skus_first, first, err);
    if (r == NULL)
        return -1;
    *out = calloc((size_t)PQntuples(r) + 1, sizeof(**out));
    *n = *out ? skus_from(r, *out) : 0;
    PQclear(r);
    return *out ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}

static int sku_not_found(const char *sku_id, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                         "Resource '%s' does not exist or one of its queried reference-property "
                         "objects are not present.",
                         sku_id);
}

int db_sku_get(struct db_conn *conn, const char *sku_id, struct db_sku *out, struct lic_error *err)
{
    const char *params[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_get, params, err);
    if (r == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    int n = skus_from(r, out);
    PQclear(r);
    return n == 1 ? 0 : sku_not_found(sku_id, err);
}

static const struct db_stmt stmt_sku_insert = {
    "catalog_sku_insert",
    "INSERT INTO skus (sku_id, sku_part_number, display_name, applies_to, capability_status,"
    " prepaid_enabled, prepaid_suspended, prepaid_warning, prepaid_locked_out, subscription_ids)"
    " VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, coalesce($4, 'User'),"
    " coalesce($5, 'Enabled'), $6, $7, $8, $9, $10::uuid[])"
    " ON CONFLICT (sku_id) DO NOTHING RETURNING sku_id",
    10};

static const struct db_stmt stmt_sku_link = {
    "catalog_sku_link",
    "INSERT INTO sku_service_plans (sku_id, plan_id, position) VALUES ($1, $2, $3)"
    " ON CONFLICT DO NOTHING",
    3};

int db_sku_create(struct db_conn *conn, const struct db_sku_new *sku, char out_id[GUID_SIZE],
                  struct lic_error *err)
{
    char nums[4][16];
    snprintf(nums[0], 16, "%d", sku->enabled);
    snprintf(nums[1], 16, "%d", sku->suspended);
    snprintf(nums[2], 16, "%d", sku->warning);
    snprintf(nums[3], 16, "%d", sku->locked_out);
    char *subs = db_array_literal(sku->subscription_ids, sku->nsubscriptions);
    if (subs == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {
        sku->sku_id, sku->part_number, sku->display_name, sku->applies_to, sku->capability_status,
        nums[0],     nums[1],          nums[2],           nums[3],         subs};
    PGresult *r = db_exec(conn, &stmt_sku_insert, params, err);
    free(subs);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_CONFLICT, "Request_BadRequest",
                             "A subscribedSku with skuId '%s' already exists.",
                             sku->sku_id ? sku->sku_id : "");
    }
    copy_value(r, 0, 0, out_id, GUID_SIZE);
    PQclear(r);
    for (int i = 0; i < sku->nplans; i++) {
        const struct db_sku_new_plan *p = &sku->plans[i];
        if (p->name != NULL && db_catalog_plan_ensure(conn, p->id, p->name, NULL, err) != 0)
            return -1;
        char pos[16];
        snprintf(pos, sizeof(pos), "%d", i + 1);
        const char *link[] = {out_id, p->id, pos};
        r = db_exec(conn, &stmt_sku_link, link, err);
        if (r == NULL) {
            if (strcmp(db_last_sqlstate(conn), "23503") == 0)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "Service plan '%s' does not exist; give its "
                                     "servicePlanName to create it.",
                                     p->id);
            return -1;
        }
        PQclear(r);
    }
    return 0;
}

static const struct db_stmt stmt_sku_lock = {
    "catalog_sku_lock",
    "SELECT prepaid_enabled, consumed_units FROM skus WHERE sku_id = $1 FOR NO KEY UPDATE", 1};

static const struct db_stmt stmt_sku_update = {
    "catalog_sku_update",
    "UPDATE skus SET prepaid_enabled = coalesce($2::integer, prepaid_enabled),"
    " prepaid_suspended = coalesce($3::integer, prepaid_suspended),"
    " prepaid_warning = coalesce($4::integer, prepaid_warning),"
    " prepaid_locked_out = coalesce($5::integer, prepaid_locked_out),"
    " capability_status = coalesce($6, capability_status), updated_at = now() WHERE sku_id = $1",
    6};

static int seats_refused(int enabled, int consumed, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "prepaidUnits.enabled cannot be lowered to %d: %d seats are consumed "
                         "(consumedUnits). Remove licenses from users first.",
                         enabled, consumed);
}

int db_sku_update(struct db_conn *conn, const char *sku_id, const struct db_sku_patch *patch,
                  struct lic_error *err)
{
    const char *id[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_lock, id, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return sku_not_found(sku_id, err);
    }
    int enabled = (int)long_value(r, 0, 0), consumed = (int)long_value(r, 0, 1);
    PQclear(r);
    if (patch->enabled >= 0 && patch->enabled < consumed)
        return seats_refused(patch->enabled, consumed, err);

    char nums[4][16];
    const int values[4] = {patch->enabled, patch->suspended, patch->warning, patch->locked_out};
    const char *params[6] = {sku_id, NULL, NULL, NULL, NULL, patch->capability_status};
    for (int i = 0; i < 4; i++) {
        if (values[i] >= 0) {
            snprintf(nums[i], sizeof(nums[i]), "%d", values[i]);
            params[i + 1] = nums[i];
        }
    }
    if ((r = db_exec(conn, &stmt_sku_update, params, err)) == NULL) {
        /* The CHECK is the last line of defence should a seat be taken meanwhile. */
        if (strcmp(db_last_sqlstate(conn), "23514") == 0)
            return seats_refused(patch->enabled, consumed, err);
        return -1;
    }
    PQclear(r);
    /* More seats may let users waiting in CountViolation in (semantics §5). */
    if (patch->enabled > enabled && db_queue_push(conn, QUEUE_SKU, sku_id, "seats added", err) != 0)
        return -1;
    return 0;
}

static const struct db_stmt stmt_sku_usage = {
    "catalog_sku_usage",
    "SELECT s.consumed_units,"
    " (SELECT count(*) FROM group_licenses g WHERE g.sku_id = s.sku_id),"
    " (SELECT count(*) FROM user_direct_licenses d WHERE d.sku_id = s.sku_id)"
    " FROM skus s WHERE s.sku_id = $1 FOR UPDATE",
    1};

static const struct db_stmt stmt_sku_delete = {"catalog_sku_delete",
                                               "DELETE FROM skus WHERE sku_id = $1", 1};

int db_sku_delete(struct db_conn *conn, const char *sku_id, struct lic_error *err)
{
    const char *id[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_usage, id, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return sku_not_found(sku_id, err);
    }
    long consumed = long_value(r, 0, 0), groups = long_value(r, 0, 1), users = long_value(r, 0, 2);
    PQclear(r);
    if (consumed > 0 || groups > 0 || users > 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The subscribedSku '%s' is still in use (%ld consumed units, "
                             "assigned to %ld groups and %ld users directly). Remove its "
                             "licenses before deleting it.",
                             sku_id, consumed, groups, users);
    if ((r = db_exec(conn, &stmt_sku_delete, id, err)) == NULL) {
        /* License states left behind by the engine still reference it. */
        if (strcmp(db_last_sqlstate(conn), "23503") == 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "The subscribedSku '%s' still has license assignment states. "
                                 "Remove its licenses before deleting it.",
                                 sku_id);
        return -1;
    }
    PQclear(r);
    return 0;
}

static const struct db_stmt stmt_sku_seed_seats = {
    "catalog_sku_seed_seats",
    "UPDATE skus SET prepaid_enabled = $2, updated_at = now()"
    " WHERE sku_id = $1 AND prepaid_enabled = 0",
    2};

int db_sku_seed_seats(struct db_conn *conn, const char *sku_id, int enabled, int *changed,
                      struct lic_error *err)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", enabled);
    const char *params[] = {sku_id, num};
    return exec_count(conn, &stmt_sku_seed_seats, params, changed, err);
}

/* ---- licensed users ---- */

#define LICENSED_SELECT                                                                            \
    "SELECT u.id, u.user_principal_name, u.display_name, st.group_id, g.display_name,"             \
    " st.state, st.error FROM page JOIN users u ON u.id = page.user_id"                            \
    " LEFT JOIN license_assignment_states st ON st.user_id = u.id AND st.sku_id = $1"              \
    " LEFT JOIN groups g ON g.id = st.group_id ORDER BY u.id, st.path_id"

static const struct db_stmt stmt_licensed_first = {
    "catalog_licensed_first",
    "WITH page AS (SELECT user_id FROM user_licenses WHERE sku_id = $1"
    " ORDER BY user_id LIMIT $2) " LICENSED_SELECT,
    2};

static const struct db_stmt stmt_licensed_after = {
    "catalog_licensed_after",
    "WITH page AS (SELECT user_id FROM user_licenses WHERE sku_id = $1 AND user_id > $3"
    " ORDER BY user_id LIMIT $2) " LICENSED_SELECT,
    3};

void db_licensed_users_free(struct db_licensed_user *u, int n)
{
    for (int i = 0; u != NULL && i < n; i++) {
        free(u[i].upn);
        free(u[i].display_name);
        for (int j = 0; j < u[i].npaths; j++)
            free(u[i].paths[j].group_name);
        free(u[i].paths);
    }
    free(u);
}

int db_sku_licensed_users(struct db_conn *conn, const char *sku_id, const char *after, int limit,
                          struct db_licensed_user **out, int *n, struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {sku_id, lim, after};
    PGresult *r = db_exec(conn, after ? &stmt_licensed_after : &stmt_licensed_first, params, err);
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    *n = 0;
    *out = calloc((size_t)rows + 1, sizeof(**out));
    for (int i = 0; *out != NULL && i < rows; i++) {
        struct db_licensed_user *u = &(*out)[*n > 0 ? *n - 1 : 0];
        if (*n == 0 || strcmp(u->id, PQgetvalue(r, i, 0)) != 0) {
            u = &(*out)[(*n)++];
            copy_value(r, i, 0, u->id, sizeof(u->id));
            u->upn = dup_value(r, i, 1);
            u->display_name = dup_value(r, i, 2);
            u->paths = calloc((size_t)run_length(r, i), sizeof(*u->paths));
        }
        if (PQgetisnull(r, i, 5) || u->paths == NULL)
            continue;
        struct db_license_path *p = &u->paths[u->npaths++];
        copy_value(r, i, 3, p->group_id, sizeof(p->group_id));
        p->group_name = dup_value(r, i, 4);
        copy_value(r, i, 5, p->state, sizeof(p->state));
        copy_value(r, i, 6, p->error, sizeof(p->error));
    }
    PQclear(r);
    return *out ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}
