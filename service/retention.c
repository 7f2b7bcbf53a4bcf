/* Audit retention: small batches with pauses, so a backlog of millions of old records (a group
 * assignment writes one per member) drains without starving the API or the worker. */
#include "service/retention.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "db/retention.h"
#include "service/base/log.h"

#define PURGE_BATCH 1000
#define PAUSE_MS 50       /* between batches */
#define FIRST_RUN_MS 1000 /* after start */

struct retention {
    const struct config *cfg;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

/* Sleeps ms or until asked to stop; 1 when stopping. */
static int pause_for(struct retention *r, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
        ;
    int stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

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
        if (n < PURGE_BATCH || pause_for(r, PAUSE_MS))
            return total;
    }
}

static void *retention_main(void *arg)
{
    struct retention *r = arg;
    struct db_conn *conn = NULL;
    unsigned wait = FIRST_RUN_MS;
    while (!pause_for(r, wait)) {
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
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
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
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    if (r->started)
        pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
