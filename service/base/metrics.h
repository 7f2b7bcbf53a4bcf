/* Process metrics for GET /metrics (Prometheus text format): requests by route template and status,
 * a latency histogram per route, and counters other rooms bump. Thread-safe; fixed memory. */
#ifndef LICENSINGD_BASE_METRICS_H
#define LICENSINGD_BASE_METRICS_H

#include "service/base/buf.h"

enum metrics_counter {
    METRIC_USERS_RECONCILED, /* users evaluated and saved by group-based licensing */
    METRIC_THROTTLED,        /* requests answered 429 */
    METRIC_NOTIFY_DELIVERED, /* change notifications accepted by a receiver */
    METRIC_NOTIFY_RETRIED,   /* delivery attempts that failed and were rescheduled */
    METRIC_NOTIFY_DROPPED,   /* notifications given up after the retry window */
    METRIC_COUNTER_COUNT
};

/* One finished request: route is the route table's pattern ("/v1.0/users/{id}"), or NULL when no
 * route matched (counted as "unmatched", so client-chosen paths never become label values). */
void metrics_observe_request(const char *method, const char *route, unsigned status, long micros);

void metrics_add(enum metrics_counter counter, long n);

/* Appends every process metric in the text exposition format (version 0.0.4). */
void metrics_render(struct buf *out);

/* Appends one sample line, escaping label values as the format requires; labels is a
 * NULL-terminated list of name, value pairs (may be NULL). */
void metrics_sample(struct buf *out, const char *name, const char *const *labels, double value);

#endif
