/* Shared by the files of the HTTP front (api/http.c, admission.c, lanes.c, janitor.c) only: the
 * request and connection state, and what each file offers the others. */
#ifndef LICENSINGD_API_HTTP_INTERNAL_H
#define LICENSINGD_API_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "service/auth/token.h"
#include "service/base/guid.h"
#include "service/base/netaddr.h"
#include "api/edge.h"
#include "api/http.h"
#include "api/router.h"

#define MAX_REQUEST_HEADERS 100 /* more is 431; libmicrohttpd's own memory limit comes later */
#define QUEUE_PER_THREAD 64     /* requests waiting per request thread before 503 */
#define RETRY_AFTER_SECONDS 2   /* on every 503 */
#define CORS_ALLOW_HEADERS                                                                         \
    "Authorization, Content-Type, ConsistencyLevel, client-request-id, Prefer"
#define CORS_EXPOSE_HEADERS "request-id, client-request-id, Location, Retry-After"

/* ---- connections: what the janitor watches ---- */

enum conn_phase { CONN_HEADERS, CONN_BODY, CONN_BUSY };

struct conn_state {
    struct conn_state *prev, *next;
    MHD_socket fd;
    enum conn_phase phase;
    long long since_ms;     /* when the phase began */
    const char *closed_for; /* set when the janitor shut the connection */
};

/* ---- requests ---- */

enum request_phase { REQ_NEW, REQ_READING, REQ_QUEUED, REQ_DONE };

/* One per request, from the request line to the completion callback. */
struct request_state {
    struct request_state *next_queued;
    struct api_server *server;
    struct MHD_Connection *connection;
    struct conn_state *conn;
    struct timespec started;
    long long deadline_ms;
    enum request_phase phase;
    char *raw_uri; /* owned: the request target as sent */
    char *path;    /* owned: raw_uri up to '?' */
    struct edge_query query;
    char *body;
    size_t len, cap;
    int too_large;
    unsigned method;
    char method_name[16];
    const struct route *route;
    struct route_params params;
    const char *client_request_id;
    const char *origin; /* an allowed Origin, echoed in CORS headers; NULL otherwise */
    char request_id[GUID_SIZE];
    char peer[64];   /* the socket's address */
    char client[64]; /* the peer, or the client a trusted proxy names */
    char base_url[300];
    struct auth_caller caller; /* from the bearer token, when authenticated */
    int authenticated;
    /* The answer, prepared on whichever thread made it, sent from the epoll thread. */
    int answered;
    unsigned status;
    char *payload; /* owned */
    size_t payload_len;
    const char *content_type;
    int header_count;
    char header_names[API_MAX_HEADERS + 4][32];
    char header_values[API_MAX_HEADERS + 4][512];
};

/* Reads and writes queue apart: a write waits on row locks and on its commit's flush, so writes
 * want more threads than the cores, and a write that waits must not hold up the reads. */
enum lane_id { LANE_READ, LANE_WRITE, LANE_HEALTH, LANE_COUNT };

/* A queue of suspended requests and the threads that run them. */
struct lane {
    struct api_server *server;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct request_state *head, *tail;
    int queued, max_queued, stop;
    int nthreads;
    pthread_t *threads;
};

struct api_server {
    struct MHD_Daemon *daemon;
    const struct api_app *app;
    atomic_int in_flight;
    struct edge_origins origins;
    struct edge_hosts hosts;
    struct net_ranges proxies;
    struct throttle *throttle; /* NULL when throttling is off */
    pthread_mutex_t conns_lock;
    struct conn_state *conns;
    pthread_t janitor;
    int janitor_started;
    atomic_int stopping;
    struct lane lanes[LANE_COUNT];
    char *tls_cert; /* owned: PEM text libmicrohttpd reads while it runs */
    char *tls_key;  /* owned; wiped before it is freed */
    size_t tls_key_len;
};

/* Wraps the response with a back pointer so api_reply_error can find the request ids. */
struct exchange {
    struct api_response res; /* first member: a response pointer is an exchange pointer */
    const struct api_request *req;
};

/* api/http.c: time, and answers prepared on any thread. */
long long http_now_ms(void);
struct api_request http_request_of(struct request_state *st);
void http_add_out_header(struct request_state *st, const char *name, const char *value);
/* Moves a handler's response into the request's prepared answer. */
void http_prepare(struct request_state *st, struct api_response *res);
/* Prepares a Graph error with an explicit status (the edge's own 4xx and 503s). */
void http_prepare_error(struct request_state *st, unsigned status, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* api/admission.c: everything decided from the request line and headers. 0 to go on and read the
 * body, 1 when an answer is prepared, -1 when out of memory. */
int http_admit(struct api_server *server, struct request_state *st);
/* /healthz, /readyz, /metrics: never throttled, answered whatever the Host. */
int http_is_probe(const struct route *route);

/* api/lanes.c: the request threads. */
int http_lane_start(struct api_server *server, struct lane *l, int nthreads);
void http_lane_stop(struct lane *l);
/* Queues st (its connection suspended); -1 when the lane is full. */
int http_lane_push(struct lane *l, struct request_state *st);
/* Runs the handler under the request's deadline (a lane thread; /healthz on the epoll thread). */
void http_dispatch(struct api_server *server, struct request_state *st);

/* api/janitor.c: the connections and their header and body deadlines. */
void http_conn_phase(struct api_server *server, struct conn_state *c, enum conn_phase phase);
void http_on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
void *http_janitor_main(void *arg);

#endif
