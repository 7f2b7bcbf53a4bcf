/* The set-based catalog import: rows COPYed into a temporary table, then a few upserts. */
#include <stdio.h>
#include <string.h>

#include "db/catalog.h"
#include "db/catalog_rows.h"
#include "db/internal.h"
#include "service/base/buf.h"

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

/* Runs a statement answering one row of counts into out[0..n). */
static int exec_counts(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                       long *const *out, int n, struct lic_error *err)
{
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        *out[i] = cell_long(r, 0, i);
    PQclear(r);
    return 0;
}

/* One field in COPY text format: backslash, tab and line breaks escaped; NULL is \N. */
static void copy_field(struct buf *b, const char *v, int last)
{
    if (v == NULL) {
        buf_add(b, "\\N");
    } else {
        const char *run = v;
        for (; *v != '\0'; v++) {
            const char *esc = *v == '\\'   ? "\\\\"
                              : *v == '\t' ? "\\t"
                              : *v == '\n' ? "\\n"
                              : *v == '\r' ? "\\r"
                                           : NULL;
            if (esc == NULL)
                continue;
            buf_add_n(b, run, (size_t)(v - run));
            buf_add(b, esc);
            run = v + 1;
        }
        buf_add(b, run);
    }
    buf_add(b, last ? "\n" : "\t");
}

static int copy_rows(struct db_conn *conn, const struct catalog_row *rows, size_t n,
                     struct lic_error *err)
{
    PGconn *pg = db_pgconn(conn);
    PGresult *r = PQexec(pg, copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "COPY failed: %s", PQerrorMessage(pg));
    struct buf b = {0};
    for (size_t i = 0; i < n && ok && !b.failed; i++) {
        buf_addf(&b, "%ld\t", rows[i].line);
        copy_field(&b, rows[i].sku_id, 0);
        copy_field(&b, rows[i].sku_part, 0);
        copy_field(&b, rows[i].sku_display, 0);
        copy_field(&b, rows[i].plan_id, 0);
        copy_field(&b, rows[i].plan_name, 0);
        copy_field(&b, rows[i].plan_display, 0);
        copy_field(&b, rows[i].service, 1);
        if (!b.failed && b.len > (1 << 15)) { /* send in chunks of about 32 KiB */
            ok = PQputCopyData(pg, b.data, (int)b.len) == 1;
            buf_reset(&b);
        }
    }
    if (ok && !b.failed && b.len > 0)
        ok = PQputCopyData(pg, b.data, (int)b.len) == 1;
    ok = ok && !b.failed;
    buf_free(&b);
    PQputCopyEnd(pg, ok ? NULL : "client failed");
    while ((r = PQgetResult(pg)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            ok = 0;
        PQclear(r);
    }
    if (!ok)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "COPY failed: %s", PQerrorMessage(pg));
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
