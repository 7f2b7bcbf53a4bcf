/* libmicrohttpd glue. The epoll threads read each request, apply the edge rules (limits, route,
 * host, CORS, media type, throttling) and answer cheap things at once; everything else is
 * suspended and handed to a request thread (a "lane") that runs the handler under the request's
 * deadline, then resumed to send the answer. A janitor closes connections that are too slow to
 * send their headers or body. Also: request ids, the access log, and a graceful stop. */
#include "service/base/guid.h"
#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "service/base/log.h"
#include "service/base/metrics.h"
#include "service/base/netaddr.h"
#include "db/db.h"
#include "api/edge.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/throttle.h"

#define MAX_REQUEST_HEADERS 100 /* more is 431; libmicrohttpd's own memory limit comes later */
#define QUEUE_PER_THREAD 64     /* requests waiting per request thread before 503 */
#define JANITOR_PERIOD_MS 200
#define RETRY_AFTER_SECONDS 2 /* on every 503 */
#define THROTTLE_CLIENTS 16384
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

enum lane_id { LANE_MAIN, LANE_HEALTH, LANE_COUNT };

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
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void new_request_id(char out[GUID_SIZE])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (long)i * 131);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 1 */
    snprintf(out, GUID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* ---- what handlers call ---- */

const char *api_query(const struct api_request *req, const char *name)
{
    return req->query ? edge_query_get(req->query, name) : NULL;
}

const char *api_header(const struct api_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

void api_base_url(const struct api_app *app, const struct api_request *req, char *out, size_t size)
{
    (void)app;
    snprintf(out, size, "%s", req->base_url ? req->base_url : "");
}

void api_client_key(const struct api_request *req, char *out, size_t size)
{
    /* Issue 10 plugs in here: the verified token's "app:" + appid/azp, else "sub:" + sub. */
    snprintf(out, size, "%s", req->client_address ? req->client_address : "");
}

void api_reply_json(struct api_response *res, unsigned status, json_t *j_body)
{
    json_decref(res->j_body);
    res->status = status;
    res->j_body = j_body;
}

void api_reply_empty(struct api_response *res, unsigned status)
{
    json_decref(res->j_body);
    res->j_body = NULL;
    res->status = status;
}

void api_reply_text(struct api_response *res, unsigned status, char *text)
{
    free(res->text);
    res->status = status;
    res->text = text;
    res->content_type = "text/plain";
}

void api_add_header(struct api_response *res, const char *name, const char *value)
{
    if (res->header_count >= API_MAX_HEADERS)
        return;
    snprintf(res->header_names[res->header_count], sizeof(res->header_names[0]), "%s", name);
    snprintf(res->header_values[res->header_count], sizeof(res->header_values[0]), "%s", value);
    res->header_count++;
}

/* The request carries its ids; the handler only says what went wrong. */
static const struct api_request *current_request(const struct api_response *res);

void api_reply_error(struct api_response *res, const struct lic_error *err)
{
    const struct api_request *req = current_request(res);
    json_t *j_err = api_render_error(err, req->request_id, req->client_request_id, time(NULL));
    api_reply_json(res, api_error_status(err->kind), j_err);
    if (err->kind == LIC_ERR_UNAVAILABLE) {
        char seconds[16];
        snprintf(seconds, sizeof(seconds), "%d", RETRY_AFTER_SECONDS);
        api_add_header(res, "Retry-After", seconds);
    }
}

json_t *api_parse_body(const struct api_request *req, struct lic_error *err)
{
    return edge_json_object(req->body, req->body_len, err);
}

/* Wraps the response with a back pointer so api_reply_error can find the request ids. */
struct exchange {
    struct api_response res; /* first member: a response pointer is an exchange pointer */
    const struct api_request *req;
};

static const struct api_request *current_request(const struct api_response *res)
{
    return ((const struct exchange *)res)->req;
}

/* ---- preparing and sending answers ---- */

static void add_out_header(struct request_state *st, const char *name, const char *value)
{
    if (st->header_count >= (int)(sizeof(st->header_names) / sizeof(st->header_names[0])))
        return;
    snprintf(st->header_names[st->header_count], sizeof(st->header_names[0]), "%s", name);
    snprintf(st->header_values[st->header_count], sizeof(st->header_values[0]), "%s", value);
    st->header_count++;
}

/* Moves a handler's response into the request's prepared answer (any thread). */
static void prepare(struct request_state *st, struct api_response *res)
{
    free(st->payload);
    st->payload = NULL;
    st->payload_len = 0;
    st->content_type = res->content_type ? res->content_type : "application/json";
    if (res->text != NULL) {
        st->payload = res->text;
        res->text = NULL;
    } else if (res->j_body != NULL) {
        st->payload = json_dumps(res->j_body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (st->payload == NULL) {
            res->status = 500;
            st->payload = strdup("{\"error\":{\"code\":\"InternalServerError\",\"message\":\"The "
                                 "response could not be encoded.\"}}");
        }
    }
    st->payload_len = st->payload ? strlen(st->payload) : 0;
    json_decref(res->j_body);
    res->j_body = NULL;
    st->status = res->status;
    st->header_count = 0;
    for (int i = 0; i < res->header_count; i++)
        add_out_header(st, res->header_names[i], res->header_values[i]);
}

static struct api_request request_of(struct request_state *st)
{
    struct api_request req = {.method = st->method,
                              .method_name = st->method_name,
                              .path = st->path ? st->path : "",
                              .body = st->body ? st->body : "",
                              .body_len = st->len,
                              .params = st->params,
                              .request_id = st->request_id,
                              .client_request_id = st->client_request_id,
                              .connection = st->connection,
                              .query = &st->query,
                              .base_url = st->base_url,
                              .client_address = st->client};
    return req;
}

/* Prepares a Graph error with an explicit status (the edge's own 4xx and 503s). */
static void prepare_error(struct request_state *st, unsigned status, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void prepare_error(struct request_state *st, unsigned status, const char *code,
                          const char *fmt, ...)
{
    struct lic_error err;
    lic_error_clear(&err);
    err.kind = status == 503 ? LIC_ERR_UNAVAILABLE : LIC_ERR_BAD_REQUEST;
    snprintf(err.code, sizeof(err.code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    struct api_request req = request_of(st);
    struct exchange ex = {.req = &req};
    api_reply_error(&ex.res, &err);
    ex.res.status = status;
    prepare(st, &ex.res);
}

/* Sends the prepared answer (epoll thread only). */
static enum MHD_Result send_prepared(struct request_state *st)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(
        st->payload_len, st->payload ? st->payload : (void *)"",
        st->payload ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (response == NULL)
        return MHD_NO;
    st->payload = NULL; /* the response owns it now */
    if (st->payload_len > 0 || st->status >= 400)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, st->content_type);
    MHD_add_response_header(response, "request-id", st->request_id);
    MHD_add_response_header(response, "client-request-id",
                            st->client_request_id ? st->client_request_id : st->request_id);
    int nosniff = 0;
    for (int i = 0; i < st->header_count; i++)
        nosniff |= strcasecmp(st->header_names[i], "X-Content-Type-Options") == 0;
    if (!nosniff) /* every response, unless the handler set it itself */
        MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    if (st->server->origins.any || st->server->origins.count > 0)
        MHD_add_response_header(response, "Vary", "Origin");
    if (st->origin != NULL) {
        MHD_add_response_header(response, "Access-Control-Allow-Origin",
                                st->server->origins.any ? "*" : st->origin);
        MHD_add_response_header(response, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    }
    for (int i = 0; i < st->header_count; i++)
        MHD_add_response_header(response, st->header_names[i], st->header_values[i]);
    st->answered = 1;
    st->phase = REQ_DONE;
    enum MHD_Result rc = MHD_queue_response(st->connection, st->status, response);
    MHD_destroy_response(response);
    return rc;
}

/* ---- connections and the janitor ---- */

static void conn_phase(struct api_server *server, struct conn_state *c, enum conn_phase phase)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&server->conns_lock);
    c->phase = phase;
    c->since_ms = now_ms();
    pthread_mutex_unlock(&server->conns_lock);
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct api_server *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_state *c = calloc(1, sizeof(*c));
        if (c == NULL)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        c->phase = CONN_HEADERS;
        c->since_ms = now_ms();
        pthread_mutex_lock(&server->conns_lock);
        c->next = server->conns;
        if (c->next)
            c->next->prev = c;
        server->conns = c;
        pthread_mutex_unlock(&server->conns_lock);
        *socket_context = c;
        return;
    }
    struct conn_state *c = *socket_context;
    if (c == NULL)
        return;
    /* libmicrohttpd closes the socket only after this returns, so the janitor, which shuts
     * sockets down under the same lock, never touches a number the kernel has reused. */
    pthread_mutex_lock(&server->conns_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        server->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&server->conns_lock);
    if (c->closed_for != NULL)
        log_event(LOG_INFO, "connection_closed", "%s", c->closed_for);
    free(c);
    *socket_context = NULL;
}

/* Closes connections stuck in their headers or body past the configured times: slow or idle
 * clients then hold a connection for a bounded time, whatever they send. libmicrohttpd's own
 * timeout only measures silence, which a byte every few seconds defeats. */
static void *janitor_main(void *arg)
{
    struct api_server *server = arg;
    const struct config *cfg = server->app->cfg;
    while (!atomic_load(&server->stopping)) {
        usleep(JANITOR_PERIOD_MS * 1000);
        long long now = now_ms();
        pthread_mutex_lock(&server->conns_lock);
        for (struct conn_state *c = server->conns; c != NULL; c = c->next) {
            if (c->closed_for != NULL || c->fd == MHD_INVALID_SOCKET)
                continue;
            if (c->phase == CONN_HEADERS && now - c->since_ms > (long long)cfg->header_timeout_ms)
                c->closed_for = "header_timeout";
            else if (c->phase == CONN_BODY && now - c->since_ms > (long long)cfg->body_timeout_ms)
                c->closed_for = "body_timeout";
            else
                continue;
            shutdown(c->fd, SHUT_RDWR); /* the epoll thread sees the hang-up and cleans up */
        }
        pthread_mutex_unlock(&server->conns_lock);
    }
    return NULL;
}

/* ---- lanes ---- */

static void dispatch(struct api_server *server, struct request_state *st);

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
        dispatch(l->server, st);
        st->phase = REQ_DONE;
        struct MHD_Connection *connection = st->connection;
        MHD_resume_connection(connection); /* st may be gone from here on */
    }
    return NULL;
}

static int lane_start(struct api_server *server, struct lane *l, int nthreads)
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
static void lane_stop(struct lane *l)
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
static int lane_push(struct lane *l, struct request_state *st)
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

/* ---- the edge rules ---- */

static int printable_ascii(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || s[n] < 0x20 || s[n] > 0x7e)
            return 0;
    return n > 0;
}

static const char *header(struct request_state *st, const char *name)
{
    return MHD_lookup_connection_value(st->connection, MHD_HEADER_KIND, name);
}

static void peer_address(struct request_state *st)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(st->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    st->peer[0] = '\0';
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, st->peer,
                  sizeof(st->peer));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, st->peer,
                  sizeof(st->peer));
}

/* Who is asking and under which name: the client address, and the base URL for links. Returns
 * 0, or -1 when the host is not one the operator allowed (the caller answers 400). */
static int resolve_origin_and_host(struct api_server *server, struct request_state *st)
{
    const struct config *cfg = server->app->cfg;
    peer_address(st);
    snprintf(st->client, sizeof(st->client), "%s", st->peer);
    struct edge_forward fwd = {{0}};
    if (server->proxies.count > 0 && net_ranges_contain(&server->proxies, st->peer)) {
        edge_forward_parse(header(st, "Forwarded"), header(st, "X-Forwarded-Proto"),
                           header(st, "X-Forwarded-Host"), header(st, "X-Forwarded-For"), &fwd);
        if (fwd.client[0] != '\0')
            snprintf(st->client, sizeof(st->client), "%s", fwd.client);
    }
    const char *host = fwd.host[0] != '\0' ? fwd.host : header(st, "Host");
    int allowed = server->hosts.count == 0 || edge_host_allowed(&server->hosts, host);
    if (cfg->public_url[0] != '\0') {
        snprintf(st->base_url, sizeof(st->base_url), "%s", cfg->public_url);
    } else if (fwd.host[0] != '\0') {
        snprintf(st->base_url, sizeof(st->base_url), "%s://%s", fwd.proto[0] ? fwd.proto : "http",
                 fwd.host);
    } else if (server->hosts.count > 0 && allowed) {
        snprintf(st->base_url, sizeof(st->base_url), "%s://%s", fwd.proto[0] ? fwd.proto : "http",
                 host);
    } else {
        const char *a = cfg->listen_addr;
        int v6 = strchr(a, ':') != NULL;
        if (strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0)
            snprintf(st->base_url, sizeof(st->base_url), "http://localhost:%u", cfg->port);
        else
            snprintf(st->base_url, sizeof(st->base_url), "http://%s%s%s:%u", v6 ? "[" : "", a,
                     v6 ? "]" : "", cfg->port);
    }
    const char *origin = header(st, "Origin");
    if (origin != NULL && edge_origin_allowed(&server->origins, origin))
        st->origin = origin;
    return allowed ? 0 : -1;
}

static int is_health(const struct route *route)
{
    return route != NULL && (route->handler == api_health_live ||
                             route->handler == api_health_ready || route->handler == api_metrics);
}

/* OPTIONS: a CORS preflight from an allowed origin, or the methods a path accepts. */
static void prepare_options(struct request_state *st, unsigned allowed)
{
    char methods[128];
    router_allow_header(allowed | HTTP_OPTIONS, methods, sizeof(methods));
    int preflight =
        header(st, "Origin") != NULL && header(st, "Access-Control-Request-Method") != NULL;
    if (preflight && st->origin == NULL) {
        prepare_error(st, 403, "Forbidden",
                      "Cross-origin requests from this origin are not allowed.");
        return;
    }
    struct api_response res = {.status = 204};
    if (preflight) {
        api_add_header(&res, "Access-Control-Allow-Methods", methods);
        api_add_header(&res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
        api_add_header(&res, "Access-Control-Max-Age", "600");
    } else {
        api_add_header(&res, "Allow", methods);
    }
    prepare(st, &res);
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind, (void)key, (void)value;
    (*(int *)cls)++;
    return MHD_YES;
}

static int has_body(struct request_state *st)
{
    const char *length = header(st, "Content-Length");
    return header(st, "Transfer-Encoding") != NULL ||
           (length != NULL && strtoull(length, NULL, 10) > 0);
}

/* Everything that can be decided from the request line and headers. Returns 0 to go on and read
 * the body, 1 when an answer is prepared (sent at once, the body discarded). */
static int admit(struct api_server *server, struct request_state *st)
{
    const struct config *cfg = server->app->cfg;
    const char *cid = header(st, "client-request-id");
    st->client_request_id = cid != NULL && printable_ascii(cid, 128) ? cid : NULL;
    int host_allowed = resolve_origin_and_host(server, st) == 0;

    int headers = 0;
    MHD_get_connection_values(st->connection, MHD_HEADER_KIND, count_header, &headers);
    if (headers > MAX_REQUEST_HEADERS) {
        prepare_error(st, 431, "RequestHeaderFieldsTooLarge",
                      "The request has %d headers; at most %d are accepted.", headers,
                      MAX_REQUEST_HEADERS);
        return 1;
    }
    /* Refused before anything else, so the body is never read. */
    const char *length = header(st, "Content-Length");
    if (length != NULL && strtoull(length, NULL, 10) > cfg->max_body_bytes) {
        st->too_large = 1;
        prepare_error(st, 413, "Request_EntityTooLarge",
                      "The request body exceeds the limit of %zu bytes.", cfg->max_body_bytes);
        return 1;
    }
    char *q = strchr(st->raw_uri, '?');
    st->path = strndup(st->raw_uri, q ? (size_t)(q - st->raw_uri) : strlen(st->raw_uri));
    if (st->path == NULL)
        return -1;
    char bad[128];
    enum edge_query_result qr = edge_query_parse(q ? q + 1 : NULL, &st->query, bad, sizeof(bad));
    if (qr == EDGE_QUERY_TOO_MANY) {
        prepare_error(st, 431, "RequestHeaderFieldsTooLarge",
                      "The query string has more than %d parameters.", EDGE_MAX_QUERY_PARAMS);
        return 1;
    }
    if (qr != EDGE_QUERY_OK) {
        prepare_error(st, 400, "Request_BadRequest",
                      qr == EDGE_QUERY_DUPLICATE ? "Query option '%s' is specified more than once."
                      : qr == EDGE_QUERY_BAD_UTF8
                          ? "Query option '%s' is not valid UTF-8 once percent-decoded."
                          : "Query option '%s' holds a malformed escape or a NUL byte (%%00).",
                      bad);
        return 1;
    }

    unsigned allowed = 0;
    enum route_match m = router_match(api_routes, api_routes_count, st->method, st->path,
                                      &st->route, &st->params, &allowed);
    char shown[256];
    edge_log_text(st->path, strlen(st->path), shown, sizeof(shown));
    if (m == ROUTE_BAD_PATH) {
        prepare_error(st, 400, "Request_BadRequest",
                      "The request path holds a malformed escape or a NUL byte (%%00): '%s'.",
                      shown);
        return 1;
    }
    if (m == ROUTE_NO_PATH) {
        prepare_error(st, 404, "Request_ResourceNotFound",
                      "Resource not found for the segment '%s'.", shown);
        return 1;
    }
    if (m == ROUTE_NO_METHOD && st->method == HTTP_OPTIONS) {
        prepare_options(st, allowed);
        return 1;
    }
    if (m == ROUTE_NO_METHOD) {
        char allow[128];
        router_allow_header(allowed, allow, sizeof(allow));
        prepare_error(st, 405, "Request_BadRequest",
                      "The HTTP method '%s' is not allowed for the requested resource.",
                      st->method_name);
        add_out_header(st, "Allow", allow);
        return 1;
    }
    if (!host_allowed && !is_health(st->route)) {
        prepare_error(st, 400, "Request_BadRequest",
                      "The Host header names a host this service does not answer for.");
        return 1;
    }
    if (server->throttle != NULL && !is_health(st->route)) {
        char key[THROTTLE_KEY_MAX];
        struct api_request req = request_of(st);
        api_client_key(&req, key, sizeof(key));
        double cost = st->method == HTTP_GET || st->method == HTTP_HEAD ? THROTTLE_READ_COST
                                                                        : THROTTLE_WRITE_COST;
        double wait = 0;
        if (!throttle_take(server->throttle, key, cost, (double)now_ms() / 1000.0, &wait)) {
            unsigned seconds = (unsigned)wait;
            if ((double)seconds < wait)
                seconds++;
            prepare_error(st, 429, "TooManyRequests",
                          "Too many requests from this client. Retry after %u seconds.",
                          seconds ? seconds : 1);
            char value[16];
            snprintf(value, sizeof(value), "%u", seconds ? seconds : 1);
            add_out_header(st, "Retry-After", value);
            return 1;
        }
    }
    if ((st->method == HTTP_POST || st->method == HTTP_PATCH || st->method == HTTP_PUT) &&
        has_body(st) && !edge_media_is_json(header(st, "Content-Type"))) {
        prepare_error(st, 415, "UnsupportedMediaType",
                      "The request body must be JSON: send Content-Type: application/json.");
        return 1;
    }
    return 0;
}

/* Runs the handler on a request thread, under the request's deadline. */
static void dispatch(struct api_server *server, struct request_state *st)
{
    struct api_request req = request_of(st);
    struct exchange ex = {.req = &req};
    ex.res.status = 500;
    if (now_ms() >= st->deadline_ms) {
        prepare_error(st, 503, "ServiceUnavailable",
                      "The service is busy and the request waited past its deadline. Retry "
                      "later.");
        return;
    }
    struct timespec deadline = {.tv_sec = st->deadline_ms / 1000,
                                .tv_nsec = (long)(st->deadline_ms % 1000) * 1000000L};
    db_set_deadline(&deadline);
    st->route->handler(server->app, &req, &ex.res);
    db_set_deadline(NULL);
    prepare(st, &ex.res);
    free(ex.res.text);
}

/* ---- libmicrohttpd callbacks ---- */

static struct request_state *new_request(struct api_server *server,
                                         struct MHD_Connection *connection, const char *uri)
{
    struct request_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &st->started);
    st->deadline_ms = now_ms() + server->app->cfg->request_deadline_ms;
    new_request_id(st->request_id);
    st->server = server;
    st->connection = connection;
    st->raw_uri = strdup(uri);
    st->status = 500;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    st->conn = ci ? ci->socket_context : NULL;
    atomic_fetch_add(&server->in_flight, 1);
    return st;
}

/* Called with the request line, before libmicrohttpd parses the query string. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct request_state *st = new_request(cls, connection, uri);
    /* The query string is parsed by api/edge.c from the raw copy. libmicrohttpd's own parsing
     * would take one record per parameter from the connection's small memory pool, and when that
     * ran out (456 parameters or more) it sent no answer at all. Ending the query right after
     * its '?' in the library's request-line buffer (which uri points into, and which the library
     * cuts up itself just after this call) leaves it nothing to parse. */
    char *q = strchr((char *)uri, '?');
    if (q != NULL && st != NULL)
        q[1] = '\0';
    return st;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct api_server *server = cls;
    struct request_state *st = *con_cls;
    if (st == NULL) {
        st = new_request(server, connection, url);
        if (st == NULL)
            return MHD_NO;
        *con_cls = st;
    }
    if (st->phase == REQ_NEW) {
        st->phase = REQ_READING;
        snprintf(st->method_name, sizeof(st->method_name), "%s", method);
        st->method = router_method_from_name(method);
        conn_phase(server, st->conn, CONN_BODY);
        if (st->raw_uri == NULL)
            return MHD_NO;
        int verdict = admit(server, st);
        if (verdict < 0)
            return MHD_NO;
        if (verdict > 0) {
            conn_phase(server, st->conn, CONN_BUSY);
            return send_prepared(st);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->answered || st->too_large)
            return MHD_YES; /* discarded */
        if (st->len + n > server->app->cfg->max_body_bytes) {
            st->too_large = 1;
            free(st->body);
            st->body = NULL;
            st->len = st->cap = 0;
            return MHD_YES;
        }
        if (st->len + n + 1 > st->cap) {
            size_t cap = st->cap ? st->cap : 4096;
            while (cap < st->len + n + 1)
                cap *= 2;
            char *grown = realloc(st->body, cap);
            if (grown == NULL)
                return MHD_NO;
            st->body = grown;
            st->cap = cap;
        }
        memcpy(st->body + st->len, upload_data, n);
        st->len += n;
        st->body[st->len] = '\0';
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;
    if (st->phase == REQ_DONE) /* resumed: the request thread prepared the answer */
        return send_prepared(st);
    if (st->phase == REQ_QUEUED)
        return MHD_YES;
    conn_phase(server, st->conn, CONN_BUSY);
    if (st->too_large) {
        prepare_error(st, 413, "Request_EntityTooLarge",
                      "The request body exceeds the limit of %zu bytes.",
                      server->app->cfg->max_body_bytes);
        return send_prepared(st);
    }
    if (st->route->handler == api_health_live) { /* no database, no queue: always answers */
        dispatch(server, st);
        return send_prepared(st);
    }
    struct lane *lane =
        &server->lanes[st->route->handler == api_health_ready ? LANE_HEALTH : LANE_MAIN];
    st->phase = REQ_QUEUED;
    MHD_suspend_connection(connection);
    if (lane_push(lane, st) != 0) {
        prepare_error(st, 503, "ServiceUnavailable",
                      "The service has too many requests waiting. Retry later.");
        st->phase = REQ_DONE;
        MHD_resume_connection(connection);
    }
    return MHD_YES;
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return NULL;
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
        return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "idle_timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read_error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    }
    return "unknown";
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_server *server = cls;
    struct request_state *st = *con_cls;
    if (st == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long us =
        (now.tv_sec - st->started.tv_sec) * 1000000L + (now.tv_nsec - st->started.tv_nsec) / 1000L;
    unsigned status = st->answered ? st->status : 0;
    if (!st->answered) { /* libmicrohttpd answered (a 4xx of its own), or nobody did */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_HTTP_STATUS);
        status = ci ? ci->http_status : 0;
    }
    const char *note = termination_name(toe);
    if (st->conn != NULL && st->conn->closed_for != NULL)
        note = st->conn->closed_for;
    char path[1024];
    edge_log_text(st->raw_uri ? st->raw_uri : "", st->raw_uri ? strlen(st->raw_uri) : 0, path,
                  sizeof(path));
    char method[sizeof(st->method_name) * 3];
    edge_log_text(st->method_name, strlen(st->method_name), method, sizeof(method));
    log_request(method, path, status, us, st->request_id, st->client[0] ? st->client : NULL, note);
    metrics_observe_request(st->method_name, st->route ? st->route->pattern : NULL, status, us);
    conn_phase(server, st->conn, CONN_HEADERS); /* keep-alive: the next request's headers */
    atomic_fetch_sub(&server->in_flight, 1);
    edge_query_free(&st->query);
    free(st->payload);
    free(st->body);
    free(st->path);
    free(st->raw_uri);
    free(st);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_event(LOG_DEBUG, "http_library", "%s", line);
}

/* ---- start and stop ---- */

static int parse_edge(struct api_server *server, struct lic_error *err)
{
    const struct config *cfg = server->app->cfg;
    char bad[128];
    if (edge_origins_parse(cfg->cors_origins, &server->origins) != 0 ||
        edge_hosts_parse(cfg->allowed_hosts, &server->hosts) != 0 ||
        net_ranges_parse(cfg->trusted_proxies, &server->proxies, bad, sizeof(bad)) != 0)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                             "bad CORS origins, allowed hosts or trusted proxies");
    if (server->hosts.count > 0 && cfg->public_url[0] != '\0') {
        /* The public URL's own host is always one we answer for. */
        const char *h = strstr(cfg->public_url, "://");
        char host[256];
        snprintf(host, sizeof(host), "%s", h ? h + 3 : cfg->public_url);
        host[strcspn(host, "/")] = '\0';
        if (server->hosts.count < EDGE_MAX_HOSTS && edge_host_valid(host))
            snprintf(server->hosts.items[server->hosts.count++], sizeof(server->hosts.items[0]),
                     "%s", host);
    }
    if (cfg->rate_limit > 0 && cfg->rate_burst > 0) {
        server->throttle =
            throttle_new((double)cfg->rate_limit, (double)cfg->rate_burst, THROTTLE_CLIENTS);
        if (server->throttle == NULL)
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* The connection limit the process can keep: the open-file limit is raised as far as the system
 * allows, and some descriptors stay for the database and logs. */
static unsigned connection_limit(const struct config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cfg->connection_limit;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t reserve = 64 + 2 * (rlim_t)cfg->db_pool_size;
    rlim_t room = rl.rlim_cur > reserve + 16 ? rl.rlim_cur - reserve : 16;
    if ((rlim_t)cfg->connection_limit <= room)
        return cfg->connection_limit;
    log_event(LOG_WARN, "connection_limit_lowered",
              "%u connections asked, %lu fit the open-file limit of %lu", cfg->connection_limit,
              (unsigned long)room, (unsigned long)rl.rlim_cur);
    return (unsigned)room;
}

static void free_server(struct api_server *server)
{
    for (int i = 0; i < LANE_COUNT; i++)
        lane_stop(&server->lanes[i]);
    if (server->janitor_started) {
        atomic_store(&server->stopping, 1);
        pthread_join(server->janitor, NULL);
    }
    throttle_free(server->throttle);
    pthread_mutex_destroy(&server->conns_lock);
    free(server);
}

struct api_server *api_server_start(const struct api_app *app, struct lic_error *err)
{
    const struct config *cfg = app->cfg;
    struct api_server *server = calloc(1, sizeof(*server));
    if (server == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    server->app = app;
    pthread_mutex_init(&server->conns_lock, NULL);
    if (parse_edge(server, err) != 0 ||
        lane_start(server, &server->lanes[LANE_MAIN], (int)cfg->http_threads) != 0 ||
        lane_start(server, &server->lanes[LANE_HEALTH], 1) != 0) {
        if (err->kind == LIC_OK)
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "cannot start the request threads");
        free_server(server);
        return NULL;
    }

    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, cfg->listen_addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen_addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        free_server(server);
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "bad listen address %s", cfg->listen_addr);
        return NULL;
    }

    /* Reading requests never blocks (handlers run on the lanes): two epoll threads suffice. */
    unsigned epoll_threads = cfg->http_threads < 2 ? cfg->http_threads : 2;
    unsigned idle_seconds = (cfg->header_timeout_ms + 999) / 1000;
    server->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, server, MHD_OPTION_THREAD_POOL_SIZE,
        epoll_threads, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, server, MHD_OPTION_NOTIFY_CONNECTION, on_connection, server,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, server, MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(cfg), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->per_ip_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_END);
    if (server->daemon == NULL) {
        free_server(server);
        lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                      "cannot listen on %s:%u (address in use or not available)", cfg->listen_addr,
                      cfg->port);
        return NULL;
    }
    if (pthread_create(&server->janitor, NULL, janitor_main, server) == 0)
        server->janitor_started = 1;
    return server;
}

void api_server_stop(struct api_server *server, unsigned grace_seconds)
{
    if (server == NULL)
        return;
    /* Stop accepting; the listening socket may still be in use by the pool's threads, so it is
     * closed only after MHD_stop_daemon (libmicrohttpd's rule for threaded modes). */
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    /* In-flight requests finish on their threads; wait for them, bounded by the grace period. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&server->in_flight) > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= (time_t)grace_seconds)
            break;
        usleep(10000);
    }
    int left = atomic_load(&server->in_flight);
    if (left > 0)
        log_event(LOG_WARN, "shutdown_requests_abandoned", "%d requests still running", left);
    /* A suspended connection must be resumed before the daemon stops: the lanes finish what
     * they hold (each bounded by its deadline) before their threads are joined. */
    for (int i = 0; i < LANE_COUNT; i++)
        lane_stop(&server->lanes[i]);
    atomic_store(&server->stopping, 1);
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    free_server(server);
}
