/* The request threads ("lanes"): suspended requests wait in a bounded queue; a thread runs the
 * handler under the request's deadline, prepares the answer and resumes the connection. /readyz
 * has a lane of its own so a database that hangs the main lane cannot hang readiness. */
#include <stdlib.h>

#include "db/db.h"
#include "api/http_internal.h"

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        while (l->head == NULL && !l->stop)
            pthread_cond_wait(&l->ready, &l->lock);
        struct request_state *st = l->head;
        if (st == NULL) {
            pthread_mutex_unlock(&l->lock);
            break;
        }
        l->head = st->next_queued;
        if (l->head == NULL)
            l->tail = NULL;
        l->queued--;
        pthread_mutex_unlock(&l->lock);
        http_dispatch(l->server, st);
        st->phase = REQ_DONE;
        struct MHD_Connection *connection = st->connection;
        MHD_resume_connection(connection); /* st may be gone from here on */
    }
    return NULL;
}

int http_lane_start(struct api_server *server, struct lane *l, int nthreads)
{
    l->server = server;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->ready, NULL);
    l->max_queued = nthreads * QUEUE_PER_THREAD;
    l->threads = calloc((size_t)nthreads, sizeof(*l->threads));
    if (l->threads == NULL)
        return -1;
    for (; l->nthreads < nthreads; l->nthreads++)
        if (pthread_create(&l->threads[l->nthreads], NULL, lane_main, l) != 0)
            return -1;
    return 0;
}

/* Lets the threads finish what is queued, then joins them. */
void http_lane_stop(struct lane *l)
{
    if (l->threads == NULL)
        return;
    pthread_mutex_lock(&l->lock);
    l->stop = 1;
    pthread_cond_broadcast(&l->ready);
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < l->nthreads; i++)
        pthread_join(l->threads[i], NULL);
    free(l->threads);
    l->threads = NULL;
    pthread_cond_destroy(&l->ready);
    pthread_mutex_destroy(&l->lock);
}

/* Queues st; -1 when the lane is full (the caller answers 503). */
int http_lane_push(struct lane *l, struct request_state *st)
{
    pthread_mutex_lock(&l->lock);
    if (l->queued >= l->max_queued || l->stop) {
        pthread_mutex_unlock(&l->lock);
        return -1;
    }
    st->next_queued = NULL;
    if (l->tail)
        l->tail->next_queued = st;
    else
        l->head = st;
    l->tail = st;
    l->queued++;
    pthread_cond_signal(&l->ready);
    pthread_mutex_unlock(&l->lock);
    return 0;
}

/* Runs the handler on a request thread, under the request's deadline. */
void http_dispatch(struct api_server *server, struct request_state *st)
{
    struct api_request req = http_request_of(st);
    struct exchange ex = {.req = &req};
    ex.res.status = 500;
    if (http_now_ms() >= st->deadline_ms) {
        http_prepare_error(st, 503, "ServiceUnavailable",
                           "The service is busy and the request waited past its deadline. Retry "
                           "later.");
        return;
    }
    struct timespec deadline = {.tv_sec = st->deadline_ms / 1000,
                                .tv_nsec = (long)(st->deadline_ms % 1000) * 1000000L};
    db_set_deadline(&deadline);
    st->route->handler(server->app, &req, &ex.res);
    db_set_deadline(NULL);
    http_prepare(st, &ex.res);
    free(ex.res.text);
}
