/* GET /metrics: Prometheus text format. Open like the health probes (it carries counts and SKU
 * part numbers, no personal data); operators who publish the port restrict it at their proxy. */
#include <stdlib.h>

#include "api/handlers.h"
#include "db/metrics.h"
#include "service/base/metrics.h"

static void gauge(struct buf *b, const char *name, const char *help, const char *type)
{
    buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void database_metrics(const struct api_app *app, struct buf *b)
{
    unsigned size, in_use, waiting;
    db_pool_stats(app->pool, &size, &in_use, &waiting);
    gauge(b, "licensingd_db_pool_connections", "Connections of the HTTP pool.", "gauge");
    metrics_sample(b, "licensingd_db_pool_connections", NULL, size);
    gauge(b, "licensingd_db_pool_in_use", "Pool connections lent out now.", "gauge");
    metrics_sample(b, "licensingd_db_pool_in_use", NULL, in_use);
    gauge(b, "licensingd_db_pool_waiting", "Requests waiting for a pool connection now.", "gauge");
    metrics_sample(b, "licensingd_db_pool_waiting", NULL, waiting);

    struct lic_error err;
    lic_error_clear(&err);
    struct db_metrics m;
    struct db_conn *conn = db_acquire(app->pool, &err);
    int ok = conn != NULL && db_metrics_read(conn, &m, &err) == 0;
    db_release(app->pool, conn);
    gauge(b, "licensingd_database_up", "1 when the scrape could read the database.", "gauge");
    metrics_sample(b, "licensingd_database_up", NULL, ok);
    if (!ok)
        return;
    gauge(b, "licensingd_queue_depth", "Reconciliation work items not finished.", "gauge");
    metrics_sample(b, "licensingd_queue_depth", NULL, (double)m.queue_depth);
    gauge(b, "licensingd_queue_oldest_age_seconds",
          "Age of the oldest unfinished work item (0 when the queue is empty).", "gauge");
    metrics_sample(b, "licensingd_queue_oldest_age_seconds", NULL, m.queue_oldest_age);
    gauge(b, "licensingd_license_errors", "License assignment paths in error, by error code.",
          "gauge");
    for (int i = 0; i < m.n_errors; i++) {
        const char *labels[] = {"code", m.error_codes[i], NULL};
        metrics_sample(b, "licensingd_license_errors", labels, (double)m.error_counts[i]);
    }
    gauge(b, "licensingd_sku_seats_enabled", "prepaidUnits.enabled per SKU (SKUs with seats).",
          "gauge");
    for (int i = 0; i < m.n_skus; i++) {
        const char *labels[] = {"sku_id", m.skus[i].sku_id, "sku_part_number",
                                m.skus[i].part_number, NULL};
        metrics_sample(b, "licensingd_sku_seats_enabled", labels, (double)m.skus[i].enabled);
    }
    gauge(b, "licensingd_sku_seats_consumed", "consumedUnits per SKU (SKUs with seats).", "gauge");
    for (int i = 0; i < m.n_skus; i++) {
        const char *labels[] = {"sku_id", m.skus[i].sku_id, "sku_part_number",
                                m.skus[i].part_number, NULL};
        metrics_sample(b, "licensingd_sku_seats_consumed", labels, (double)m.skus[i].consumed);
    }
    db_metrics_free(&m);
}

API_HANDLER(api_metrics)
{
    (void)req;
    struct buf b = {0};
    metrics_render(&b);
    database_metrics(app, &b);
    char *text = buf_take(&b);
    if (text == NULL) {
        struct lic_error err;
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        api_reply_error(res, &err);
        return;
    }
    api_reply_text(res, 200, text);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
