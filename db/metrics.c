/* Scrape-time gauges for /metrics (see metrics.h). */
#include "db/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static const struct db_stmt stmt_queue = {
    "metrics_queue",
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)"
    "  FROM work_queue",
    0};

/* license_states_errors_idx (error, sku_id, user_id) WHERE error <> 'None' serves this. */
static const struct db_stmt stmt_errors = {
    "metrics_errors",
    "SELECT error, count(*) FROM license_assignment_states WHERE error <> 'None'"
    " GROUP BY error ORDER BY error",
    0};

static const struct db_stmt stmt_skus = {
    "metrics_skus",
    "SELECT sku_id::text, sku_part_number, prepaid_enabled, skus.consumed_units FROM skus"
    " WHERE prepaid_enabled > 0 OR skus.consumed_units > 0 ORDER BY sku_part_number, sku_id",
    0};

int db_metrics_read(struct db_conn *conn, struct db_metrics *out, struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    PGresult *r = db_exec(conn, &stmt_queue, NULL, err);
    if (r == NULL)
        return -1;
    out->queue_depth = atol(PQgetvalue(r, 0, 0));
    out->queue_oldest_age = atof(PQgetvalue(r, 0, 1));
    PQclear(r);

    if ((r = db_exec(conn, &stmt_errors, NULL, err)) == NULL)
        return -1;
    int n = PQntuples(r);
    out->error_codes = calloc((size_t)n + 1, sizeof(*out->error_codes));
    out->error_counts = calloc((size_t)n + 1, sizeof(*out->error_counts));
    if (out->error_codes == NULL || out->error_counts == NULL) {
        PQclear(r);
        db_metrics_free(out);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        snprintf(out->error_codes[i], sizeof(out->error_codes[i]), "%s", PQgetvalue(r, i, 0));
        out->error_counts[i] = atol(PQgetvalue(r, i, 1));
    }
    out->n_errors = n;
    PQclear(r);

    if ((r = db_exec(conn, &stmt_skus, NULL, err)) == NULL) {
        db_metrics_free(out);
        return -1;
    }
    n = PQntuples(r);
    out->skus = calloc((size_t)n + 1, sizeof(*out->skus));
    if (out->skus == NULL) {
        PQclear(r);
        db_metrics_free(out);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        struct db_metrics_sku *s = &out->skus[i];
        snprintf(s->sku_id, sizeof(s->sku_id), "%s", PQgetvalue(r, i, 0));
        snprintf(s->part_number, sizeof(s->part_number), "%s", PQgetvalue(r, i, 1));
        s->enabled = atol(PQgetvalue(r, i, 2));
        s->consumed = atol(PQgetvalue(r, i, 3));
    }
    out->n_skus = n;
    PQclear(r);
    return 0;
}

void db_metrics_free(struct db_metrics *m)
{
    free(m->error_codes);
    free(m->error_counts);
    free(m->skus);
    memset(m, 0, sizeof(*m));
}
