/* The change notification sender (see notify.h). One thread per process; subscriptions are leased
 * in the database, so replicas share the work and never deliver for one subscription at once. */
#include "service/notify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "service/base/http_client.h"
#include "service/base/log.h"
#include "service/base/metrics.h"
#include "service/base/stopper.h"

#define BATCH 100        /* changes read, and at most notifications sent, per POST */
#define LEASE_SECONDS 60 /* a dead sender's subscription is picked up after this */
#define DELIVERY_TIMEOUT_MS 10000

struct notify_sender {
    const struct config *cfg;
    pthread_t thread;
    struct stopper stopper;
};

static int wants(const struct db_subscription *s, const char *type)
{
    size_t n = strlen(type);
    for (const char *p = s->change_type; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncasecmp(p, type, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static json_t *item(const struct db_subscription *s, const char *change_type, const char *resource,
                    json_t *j_data, const char *tenant)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "subscriptionId", s->id,
                          "subscriptionExpirationDateTime", s->expiration, "changeType",
                          change_type, "resource", resource, "resourceData", j_data, "clientState",
                          s->has_client_state ? json_string(s->client_state) : json_null(),
                          "tenantId", tenant);
    return j;
}

json_t *notify_item(const struct db_subscription *s, const struct db_change *c, const char *tenant)
{
    char resource[128];
    if (strcmp(c->resource, "member") == 0) {
        /* Graph reports membership as an update of the group with members@delta. */
        if (!wants(s, "updated"))
            return NULL;
        snprintf(resource, sizeof(resource), "Groups/%s", c->parent_id);
        json_t *j_member = json_pack("{s:s}", "id", c->object_id);
        if (strcmp(c->change_type, "deleted") == 0)
            json_object_set_new(j_member, "@removed", json_object());
        json_t *j_data = json_pack(
            "{s:s, s:s, s:s, s:s, s:[o]}", "@odata.type", "#Microsoft.Graph.Group", "@odata.id",
            resource, "id", c->parent_id, "organizationId", tenant, "members@delta", j_member);
        return item(s, "updated", resource, j_data, tenant);
    }
    if (!wants(s, c->change_type))
        return NULL;
    const char *type = "#Microsoft.Graph.User", *prefix = "Users";
    char id[96];
    snprintf(id, sizeof(id), "%s", c->object_id);
    if (strcmp(c->resource, "group") == 0) {
        type = "#Microsoft.Graph.Group";
        prefix = "Groups";
    } else if (strcmp(c->resource, "subscribedSku") == 0) {
        type = "#Microsoft.Graph.SubscribedSku";
        prefix = "SubscribedSkus";
        snprintf(id, sizeof(id), "%s_%s", tenant, c->object_id);
    }
    snprintf(resource, sizeof(resource), "%s/%s", prefix, id);
    json_t *j_data = json_pack("{s:s, s:s, s:s, s:s}", "@odata.type", type, "@odata.id", resource,
                               "id", id, "organizationId", tenant);
    return item(s, c->change_type, resource, j_data, tenant);
}

json_t *notify_lifecycle_body(const struct db_subscription *s, const char *event,
                              const char *tenant)
{
    return json_pack("{s:[{s:s, s:s, s:o, s:s, s:s, s:s}]}", "value", "subscriptionId", s->id,
                     "subscriptionExpirationDateTime", s->expiration, "clientState",
                     s->has_client_state ? json_string(s->client_state) : json_null(),
                     "lifecycleEvent", event, "resource", s->resource, "tenantId", tenant);
}

long notify_backoff_ms(unsigned base_ms, int attempts)
{
    long delay = base_ms;
    for (int i = 0; i < attempts && delay < 15 * 60 * 1000L; i++)
        delay *= 2;
    return delay < 15 * 60 * 1000L ? delay : 15 * 60 * 1000L;
}

static int post_json(const char *url, json_t *j_body, char *why, size_t why_size)
{
    char *text = json_dumps(j_body, JSON_COMPACT);
    if (text == NULL) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    struct http_result res;
    int rc = http_client_post(url, "application/json", text, DELIVERY_TIMEOUT_MS, &res);
    free(text);
    if (rc != 0)
        snprintf(why, why_size, "%s", res.error);
    else if (res.status < 200 || res.status > 299)
        snprintf(why, why_size, "HTTP %ld", res.status);
    free(res.body);
    return rc == 0 && res.status >= 200 && res.status <= 299 ? 0 : -1;
}

/* One leased subscription: read what changed after its cursor, deliver it, move the cursor. */
static int serve_subscription(struct notify_sender *ns, struct db_conn *conn,
                              struct db_subscription *s, const char *tenant, struct lic_error *err)
{
    struct db_change *changes = NULL;
    int n = 0;
    if (db_changes_read(conn, s->kinds, s->group_id[0] ? s->group_id : NULL, &s->cursor, BATCH,
                        &changes, &n, err) != 0)
        return -1;
    if (n == 0) {
        free(changes);
        return db_subscriptions_advance(conn, s->id, &s->cursor, (int)ns->cfg->notify_poll_ms, err);
    }
    struct db_change_pos last = changes[n - 1].pos;
    json_t *j_value = json_array();
    for (int i = 0; i < n; i++) {
        json_t *j = notify_item(s, &changes[i], tenant);
        if (j != NULL)
            json_array_append_new(j_value, j);
    }
    free(changes);
    size_t count = json_array_size(j_value);
    int rc = 0;
    char why[256] = "";
    json_t *j_body = json_pack("{s:o}", "value", j_value);
    if (count == 0 || post_json(s->notification_url, j_body, why, sizeof(why)) == 0) {
        metrics_add(METRIC_NOTIFY_DELIVERED, (long)count);
        rc = db_subscriptions_advance(conn, s->id, &last, 0, err);
    } else if (s->failing_seconds >= 0 && s->failing_seconds >= ns->cfg->notify_retry_window_s) {
        log_event(LOG_WARN, "notification_dropped",
                  "subscription %s: %zu notifications failing for %.0f s (%s): dropped", s->id,
                  count, s->failing_seconds, why);
        metrics_add(METRIC_NOTIFY_DROPPED, (long)count);
        if (s->lifecycle_url[0]) {
            json_t *j_life = notify_lifecycle_body(s, "missed", tenant);
            char why2[256];
            if (post_json(s->lifecycle_url, j_life, why2, sizeof(why2)) != 0)
                log_event(LOG_WARN, "lifecycle_failed", "subscription %s: %s", s->id, why2);
            json_decref(j_life);
        }
        rc = db_subscriptions_advance(conn, s->id, &last, 0, err);
    } else {
        long delay = notify_backoff_ms(ns->cfg->notify_retry_base_ms, s->attempts);
        log_event(LOG_INFO, "notification_retry", "subscription %s: %s; retry in %ld ms", s->id,
                  why, delay);
        metrics_add(METRIC_NOTIFY_RETRIED, 1);
        rc = db_subscriptions_failed(conn, s->id, delay, err);
    }
    json_decref(j_body);
    return rc;
}

static void *run(void *arg)
{
    struct notify_sender *ns = arg;
    struct db_conn *conn = NULL;
    unsigned backoff = 500;
    time_t last_cleanup = 0;
    while (!stopper_stopping(&ns->stopper)) {
        struct lic_error err;
        lic_error_clear(&err);
        if (conn == NULL && (conn = db_connect(ns->cfg->database_url, &err)) == NULL) {
            (void)stopper_sleep(&ns->stopper, backoff);
            backoff = backoff < 8000 ? backoff * 2 : 8000;
            continue;
        }
        backoff = 500;
        if (time(NULL) - last_cleanup >= (ns->cfg->notify_poll_ms >= 500 ? 10 : 1)) {
            long removed = db_subscriptions_remove_expired(conn, &err);
            if (removed > 0)
                log_event(LOG_INFO, "subscriptions_expired", "%ld removed", removed);
            last_cleanup = time(NULL);
        }
        char tenant[GUID_SIZE];
        struct db_subscription s;
        int got = db_tenant_id(conn, tenant, &err) == 0
                      ? db_subscriptions_lease_due(conn, LEASE_SECONDS, &s, &err)
                      : -1;
        if (got == 1 && !s.expired && serve_subscription(ns, conn, &s, tenant, &err) == 0)
            continue; /* more may be due */
        if (got < 0 || err.kind != LIC_OK) {
            log_event(LOG_WARN, "notify_db_failed", "%s", err.message);
            db_disconnect(conn);
            conn = NULL;
        }
        (void)stopper_sleep(&ns->stopper, ns->cfg->notify_poll_ms);
    }
    if (conn != NULL)
        db_disconnect(conn);
    return NULL;
}

struct notify_sender *notify_start(const struct config *cfg)
{
    struct notify_sender *ns = calloc(1, sizeof(*ns));
    if (ns == NULL)
        return NULL;
    ns->cfg = cfg;
    stopper_init(&ns->stopper);
    if (pthread_create(&ns->thread, NULL, run, ns) != 0) {
        stopper_destroy(&ns->stopper);
        free(ns);
        return NULL;
    }
    return ns;
}

void notify_stop(struct notify_sender *ns)
{
    if (ns == NULL)
        return;
    stopper_stop(&ns->stopper);
    pthread_join(ns->thread, NULL);
    stopper_destroy(&ns->stopper);
    free(ns);
}
