/* Process metrics (see metrics.h): a small fixed table of request series under one mutex. */
#include "service/base/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define SERIES_MAX 512
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,   0.25,   0.5,   1,    2.5,   10};
#define BUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

struct series {
    char method[8];
    const char *route; /* static: a route table pattern, or "unmatched" */
    unsigned status;
    unsigned long count;
};
struct latency {
    char method[8];
    const char *route;
    unsigned long buckets[BUCKETS]; /* not cumulative; summed when rendered */
    unsigned long count;
    double sum;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series series[SERIES_MAX];
static int n_series;
static struct latency latencies[SERIES_MAX];
static int n_latencies;
static unsigned long dropped_series;
static atomic_long counters[METRIC_COUNTER_COUNT];

static const struct {
    const char *name, *help;
} counter_info[METRIC_COUNTER_COUNT] = {
    [METRIC_USERS_RECONCILED] = {"licensingd_users_reconciled_total",
                                 "Users evaluated and saved by group-based licensing."},
    [METRIC_THROTTLED] = {"licensingd_throttled_requests_total", "Requests answered 429."},
    [METRIC_NOTIFY_DELIVERED] = {"licensingd_notifications_delivered_total",
                                 "Change notifications accepted by their receiver."},
    [METRIC_NOTIFY_RETRIED] = {"licensingd_notifications_retried_total",
                               "Notification deliveries that failed and were rescheduled."},
    [METRIC_NOTIFY_DROPPED] = {"licensingd_notifications_dropped_total",
                               "Notifications given up after the retry window."},
};

static int same(const char *method, const char *route, const char *m2, const char *r2)
{
    return route == r2 && strcmp(method, m2) == 0;
}

void metrics_observe_request(const char *method, const char *route, unsigned status, long micros)
{
    char m[8];
    snprintf(m, sizeof(m), "%s", method ? method : "?");
    if (route == NULL)
        route = "unmatched";
    double seconds = (double)micros / 1e6;
    pthread_mutex_lock(&lock);
    int i;
    for (i = 0; i < n_series; i++)
        if (series[i].status == status && same(m, route, series[i].method, series[i].route))
            break;
    if (i == n_series && n_series < SERIES_MAX) {
        snprintf(series[i].method, sizeof(series[i].method), "%s", m);
        series[i].route = route;
        series[i].status = status;
        n_series++;
    }
    if (i < n_series)
        series[i].count++;
    else
        dropped_series++;
    for (i = 0; i < n_latencies; i++)
        if (same(m, route, latencies[i].method, latencies[i].route))
            break;
    if (i == n_latencies && n_latencies < SERIES_MAX) {
        snprintf(latencies[i].method, sizeof(latencies[i].method), "%s", m);
        latencies[i].route = route;
        n_latencies++;
    }
    if (i < n_latencies) {
        struct latency *l = &latencies[i];
        size_t b = 0;
        while (b < BUCKETS && seconds > bucket_le[b])
            b++;
        if (b < BUCKETS)
            l->buckets[b]++;
        l->count++;
        l->sum += seconds;
    }
    pthread_mutex_unlock(&lock);
}

void metrics_add(enum metrics_counter counter, long n)
{
    if ((unsigned)counter < METRIC_COUNTER_COUNT)
        atomic_fetch_add(&counters[counter], n);
}

static void add_escaped(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_addf(out, "\\%c", *s);
        else if (*s == '\n')
            buf_add(out, "\\n");
        else
            buf_add_n(out, s, 1);
    }
}

void metrics_sample(struct buf *out, const char *name, const char *const *labels, double value)
{
    buf_add(out, name);
    if (labels != NULL && labels[0] != NULL) {
        buf_add(out, "{");
        for (int i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
            buf_addf(out, "%s%s=\"", i ? "," : "", labels[i]);
            add_escaped(out, labels[i + 1]);
            buf_add(out, "\"");
        }
        buf_add(out, "}");
    }
    buf_addf(out, " %.17g\n", value);
}

void metrics_render(struct buf *out)
{
    buf_add(out, "# HELP licensingd_http_requests_total HTTP requests by route template and "
                 "status.\n# TYPE licensingd_http_requests_total counter\n");
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_series; i++) {
        char status[8];
        snprintf(status, sizeof(status), "%u", series[i].status);
        const char *labels[] = {"method", series[i].method, "route", series[i].route,
                                "status", status,           NULL};
        metrics_sample(out, "licensingd_http_requests_total", labels, (double)series[i].count);
    }
    buf_add(out, "# HELP licensingd_http_request_duration_seconds Time from the first byte of a "
                 "request to its completion.\n"
                 "# TYPE licensingd_http_request_duration_seconds histogram\n");
    for (int i = 0; i < n_latencies; i++) {
        const struct latency *l = &latencies[i];
        unsigned long cumulative = 0;
        for (size_t b = 0; b <= BUCKETS; b++) {
            char le[16];
            if (b < BUCKETS) {
                cumulative += l->buckets[b];
                snprintf(le, sizeof(le), "%g", bucket_le[b]);
            } else {
                snprintf(le, sizeof(le), "+Inf");
            }
            const char *labels[] = {"method", l->method, "route", l->route, "le", le, NULL};
            metrics_sample(out, "licensingd_http_request_duration_seconds_bucket", labels,
                           (double)(b < BUCKETS ? cumulative : l->count));
        }
        const char *labels[] = {"method", l->method, "route", l->route, NULL};
        metrics_sample(out, "licensingd_http_request_duration_seconds_sum", labels, l->sum);
        metrics_sample(out, "licensingd_http_request_duration_seconds_count", labels,
                       (double)l->count);
    }
    unsigned long dropped = dropped_series;
    pthread_mutex_unlock(&lock);
    buf_add(out, "# HELP licensingd_metrics_series_dropped_total Request observations that found "
                 "no free series slot.\n# TYPE licensingd_metrics_series_dropped_total counter\n");
    metrics_sample(out, "licensingd_metrics_series_dropped_total", NULL, (double)dropped);
    for (int c = 0; c < METRIC_COUNTER_COUNT; c++) {
        buf_addf(out, "# HELP %s %s\n# TYPE %s counter\n", counter_info[c].name,
                 counter_info[c].help, counter_info[c].name);
        metrics_sample(out, counter_info[c].name, NULL, (double)atomic_load(&counters[c]));
    }
}
