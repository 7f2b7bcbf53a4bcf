/* Readiness probe: a dedicated, bounded connection; callers that arrive while a check runs share
 * its verdict, so a flood of /readyz costs the database one ping at a time. */
#include "db/probe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"

struct db_probe {
    pthread_mutex_t lock;
    char *conninfo;
    unsigned wait_ms;
    pthread_cond_t done;
    int running;          /* a check is in progress (only its caller touches conn) */
    unsigned long checks; /* completed checks */
    struct db_conn *conn;
    struct lic_error last; /* the verdict of the last completed check */
};

struct db_probe *db_probe_open(const char *conninfo, unsigned wait_ms)
{
    struct db_probe *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->conninfo = strdup(conninfo);
    if (p->conninfo == NULL) {
        free(p);
        return NULL;
    }
    p->wait_ms = wait_ms;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

void db_probe_close(struct db_probe *p)
{
    if (p == NULL)
        return;
    db_disconnect(p->conn);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->conninfo);
    free(p);
}

static void check(struct db_probe *p, struct lic_error *verdict)
{
    lic_error_clear(verdict);
    if (p->conn != NULL && db_ping(p->conn, verdict) == 0)
        return;
    /* No connection, or it failed: start afresh (a restarted server drops idle connections). */
    db_disconnect(p->conn);
    lic_error_clear(verdict);
    p->conn = db_connect_bounded(p->conninfo, p->wait_ms, verdict);
    if (p->conn != NULL && db_ping(p->conn, verdict) != 0) {
        db_disconnect(p->conn);
        p->conn = NULL;
    }
}

int db_probe_check(struct db_probe *p, struct lic_error *err)
{
    struct lic_error verdict;
    pthread_mutex_lock(&p->lock);
    if (p->running) {
        unsigned long seen = p->checks;
        while (p->checks == seen)
            pthread_cond_wait(&p->done, &p->lock);
        verdict = p->last;
    } else {
        p->running = 1;
        pthread_mutex_unlock(&p->lock);
        /* One budget for the ping and a reconnect together: a frozen server costs wait_ms. */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += p->wait_ms / 1000;
        until.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        db_set_deadline(&until);
        check(p, &verdict);
        db_set_deadline(NULL);
        pthread_mutex_lock(&p->lock);
        p->last = verdict;
        p->running = 0;
        p->checks++;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    if (verdict.kind == LIC_OK)
        return 0;
    if (err != NULL) {
        *err = verdict;
        err->kind = LIC_ERR_UNAVAILABLE;
    }
    return -1;
}
