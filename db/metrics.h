/* The gauges /metrics reads from the database at scrape time: work queue, license errors, seats. */
#ifndef LICENSINGD_DB_METRICS_H
#define LICENSINGD_DB_METRICS_H

#include "db/db.h"

struct db_metrics_sku {
    char sku_id[40];
    char part_number[128];
    long enabled, consumed;
};

struct db_metrics {
    long queue_depth;        /* work items not finished */
    double queue_oldest_age; /* seconds since the oldest of them was queued (0 when none) */
    char (*error_codes)[48]; /* owned: license error codes present */
    long *error_counts;      /* owned: users' paths per code */
    int n_errors;
    struct db_metrics_sku *skus; /* owned: SKUs with seats bought or consumed */
    int n_skus;
};

/* Three indexed reads; the caller frees with db_metrics_free. */
int db_metrics_read(struct db_conn *conn, struct db_metrics *out, struct lic_error *err)
    __attribute__((warn_unused_result));
void db_metrics_free(struct db_metrics *m);

#endif
