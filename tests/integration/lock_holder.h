/* Another transaction holding a lock while the test sends a request: it keeps the lock until the
 * request is answered, or gives up after 20 s. If it gave up, the request waited for the lock. */
#ifndef LICENSINGD_TEST_LOCK_HOLDER_H
#define LICENSINGD_TEST_LOCK_HOLDER_H

#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <time.h>

#include "tests/integration/harness.h"

struct lock_holder {
    PGconn *conn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done;
    int answered, released;
};

static inline void *lock_holder_main(void *arg)
{
    struct lock_holder *h = arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&h->lock);
    while (!h->answered && pthread_cond_timedwait(&h->done, &h->lock, &until) == 0)
        ;
    h->released = !h->answered; /* gave up waiting: the request queued behind the holder */
    pthread_mutex_unlock(&h->lock);
    PQclear(PQexec(h->conn, "ROLLBACK"));
    return NULL;
}

/* Runs sql (a BEGIN and what takes the lock) on a connection of its own; expect is the status of
 * its last statement. */
static inline void lock_holder_start(struct lock_holder *h, const struct th_server *s,
                                     const char *sql, ExecStatusType expect)
{
    *h = (struct lock_holder){.conn = PQconnectdb(s->conninfo)};
    ck_assert_int_eq(PQstatus(h->conn), CONNECTION_OK);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->done, NULL);
    PGresult *res = PQexec(h->conn, sql);
    ck_assert_int_eq(PQresultStatus(res), expect);
    PQclear(res);
    pthread_create(&h->thread, NULL, lock_holder_main, h);
}

/* The request is answered: the holder rolls back. 1 when it had given up waiting first. */
static inline int lock_holder_finish(struct lock_holder *h)
{
    pthread_mutex_lock(&h->lock);
    h->answered = 1;
    int released = h->released;
    pthread_cond_signal(&h->done);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    PQfinish(h->conn);
    return released;
}

#endif
