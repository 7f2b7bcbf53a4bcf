/* Audit retention: small batches with pauses, so a backlog of millions of old records (a group
 * assignment writes one per member) drains without starving the API or the worker. */
#include "service/retention.h"

#include <pthread.h>
#include <stdlib.h>

#include "db/retention.h"
#include "service/base/log.h"
#include "service/base/stopper.h"

#define PURGE_BATCH 1000
#define PAUSE_MS 50       /* between batches */
#define FIRST_RUN_MS 1000 /* after start */

struct retention {
    const struct config *cfg;
    pthread_t thread;
    int started;
    struct stopper stopper;
};

/* One purge: batches until a short one; returns the records deleted, -1 when the database
 * failed (the connection is then dropped for the next round). */
static long purge(struct retention *r, struct db_conn **conn)
{
    struct lic_error err;
    if (*conn == NULL && (*conn = db_connect(r->cfg->database_url, &err)) == NULL)
        return -1;
    long total = 0;
    for (;;) {
        long n = db_audit_purge(*conn, r->cfg->audit_retention_days, PURGE_BATCH, &err);
        if (n < 0) {
            log_event(LOG_WARN, "audit_purge_failed", "%s", err.message);
            db_disconnect(*conn);
            *conn = NULL;
            return -1;
        }
        total += n;
        if (n < PURGE_BATCH || stopper_sleep(&r->stopper, PAUSE_MS))
            return total;
    }
}

static void *retention_main(void *arg)
{
    struct retention *r = arg;
    struct db_conn *conn = NULL;
    unsigned wait = FIRST_RUN_MS;
    while (!stopper_sleep(&r->stopper, wait)) {
        long n = purge(r, &conn);
        if (n > 0)
            log_event(LOG_INFO, "audit_purged", "%ld directoryAudit records older than %u days", n,
                      r->cfg->audit_retention_days);
        wait = r->cfg->sweep_seconds * 1000;
    }
    db_disconnect(conn);
    return NULL;
}

struct retention *retention_start(const struct config *cfg)
{
    struct retention *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->cfg = cfg;
    stopper_init(&r->stopper);
    if (cfg->audit_retention_days == 0)
        return r;
    if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
        retention_stop(r);
        return NULL;
    }
    r->started = 1;
    return r;
}

void retention_stop(struct retention *r)
{
    if (r == NULL)
        return;
    stopper_stop(&r->stopper);
    if (r->started)
        pthread_join(r->thread, NULL);
    stopper_destroy(&r->stopper);
    free(r);
}
