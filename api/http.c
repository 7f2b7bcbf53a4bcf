/* libmicrohttpd glue. The epoll threads read each request, apply the edge rules
 * (api/admission.c) and answer cheap things at once; everything else is suspended and handed to
 * a request thread (api/lanes.c) that runs the handler under the request's deadline, then resumed
 * to send the answer. api/janitor.c closes connections too slow with their headers or body.
 * Here: what handlers call, answers, request ids, the access log, start and a graceful stop. */
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
#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/http_internal.h"
#include "api/throttle.h"

#define THROTTLE_CLIENTS 16384

long long http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Random bytes for request ids, drawn from the kernel a few KiB at a time per thread: one
 * getrandom call per 256 requests instead of one per request. */
#define RANDOM_BATCH 4096

static void random_bytes(unsigned char out[16])
{
    static _Thread_local unsigned char batch[RANDOM_BATCH];
    static _Thread_local size_t left;
    if (left < 16) {
        if (getrandom(batch, sizeof(batch), 0) == (ssize_t)sizeof(batch)) {
            left = sizeof(batch);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            for (size_t i = 0; i < 16; i++)
                out[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (long)i * 131);
            return;
        }
    }
    memcpy(out, batch + sizeof(batch) - left, 16);
    left -= 16;
}

static void new_request_id(char out[GUID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    random_bytes(b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 1 */
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 0x0f];
    }
    *o = '\0';
}

/* ---- what handlers call ---- */

const char *api_query(const struct api_request *req, const char *name)
{
    return req->query ? edge_query_get(req->query, name) : NULL;
}

const char *api_header(const struct api_request *req, const char *name)
{
    if (req->inner_headers != NULL) {
        const struct api_pairs *h = req->inner_headers;
        for (int i = 0; i < h->n; i++)
            if (strcasecmp(h->names[i], name) == 0)
                return h->values[i];
        /* Graph: the batch's own credentials apply to each of its requests. */
        if (strcasecmp(name, "Authorization") != 0)
            return NULL;
    }
    return req->connection ? MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name)
                           : NULL;
}

void api_base_url(const struct api_app *app, const struct api_request *req, char *out, size_t size)
{
    (void)app;
    snprintf(out, size, "%s", req->base_url ? req->base_url : "");
}

void api_client_key(const struct api_request *req, char *out, size_t size)
{
    /* The verified token's client: an application by its appId, a user by its id; requests
     * without a token (open routes, authentication off) by their address. */
    const struct auth_caller *c = req->caller;
    if (c != NULL && !c->delegated && c->app_id[0] != '\0')
        snprintf(out, size, "app:%s", c->app_id);
    else if (c != NULL && c->user_id[0] != '\0')
        snprintf(out, size, "user:%s", c->user_id);
    else if (c != NULL && c->app_id[0] != '\0')
        snprintf(out, size, "app:%s", c->app_id);
    else
        snprintf(out, size, "%s", req->client_address ? req->client_address : "");
}

void api_reply_json(struct api_response *res, unsigned status, json_t *j_body)
{
    json_decref(res->j_body);
    res->status = status;
    res->j_body = j_body;
    /* Graph's media type for OData payloads; its error bodies are plain application/json. */
    res->content_type = status < 400 ? API_ODATA_JSON : NULL;
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

void api_reply_json_text(struct api_response *res, unsigned status, char *text)
{
    if (text == NULL) {
        struct lic_error err;
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        api_reply_error(res, &err);
        return;
    }
    json_decref(res->j_body);
    res->j_body = NULL;
    free(res->text);
    res->status = status;
    res->text = text;
    res->content_type = status < 400 ? API_ODATA_JSON : NULL; /* as api_reply_json */
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

static const struct api_request *current_request(const struct api_response *res)
{
    return ((const struct exchange *)res)->req;
}

void api_exchange(const struct api_app *app, const struct api_request *req,
                  const struct route *route, const struct lic_error *err, struct api_response *out)
{
    struct exchange ex = {.req = req};
    ex.res.status = 500;
    if (route != NULL)
        route->handler(app, req, &ex.res);
    else
        api_reply_error(&ex.res, err);
    *out = ex.res;
}

/* Graph answers a path under /v1.0/ that names no resource with 400 and the first segment it
 * could not resolve; anything outside the API is plainly not there (404). */
void api_unknown_path_error(const char *path, struct lic_error *err)
{
    char segment[128], shown[256];
    router_unknown_segment(api_routes, api_routes_count, path, segment, sizeof(segment));
    if (strncasecmp(path, "/v1.0/", 6) == 0 && segment[0] != '\0') {
        edge_log_text(segment, strlen(segment), shown, sizeof(shown));
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Resource not found for the segment '%s'.", shown);
    } else {
        edge_log_text(path, strlen(path), shown, sizeof(shown));
        lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                      "Resource not found for the segment '%s'.", shown);
    }
}

/* ---- preparing and sending answers ---- */

void http_add_out_header(struct request_state *st, const char *name, const char *value)
{
    if (st->header_count >= (int)(sizeof(st->header_names) / sizeof(st->header_names[0])))
        return;
    snprintf(st->header_names[st->header_count], sizeof(st->header_names[0]), "%s", name);
    snprintf(st->header_values[st->header_count], sizeof(st->header_values[0]), "%s", value);
    st->header_count++;
}

/* Moves a handler's response into the request's prepared answer (any thread). */
void http_prepare(struct request_state *st, struct api_response *res)
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
        http_add_out_header(st, res->header_names[i], res->header_values[i]);
}

struct api_request http_request_of(struct request_state *st)
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
                              .client_address = st->client,
                              .caller = st->authenticated ? &st->caller : NULL,
                              .server = st->server};
    return req;
}

void http_prepare_error(struct request_state *st, unsigned status, const char *code,
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
    struct api_request req = http_request_of(st);
    struct exchange ex = {.req = &req};
    api_reply_error(&ex.res, &err);
    ex.res.status = status;
    http_prepare(st, &ex.res);
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

/* ---- libmicrohttpd callbacks ---- */

static struct request_state *new_request(struct api_server *server,
                                         struct MHD_Connection *connection, const char *uri)
{
    struct request_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &st->started);
    st->deadline_ms = http_now_ms() + server->app->cfg->request_deadline_ms;
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

/* First call: the headers are in; apply the edge rules. */
static enum MHD_Result headers_in(struct api_server *server, struct request_state *st,
                                  const char *method)
{
    st->phase = REQ_READING;
    snprintf(st->method_name, sizeof(st->method_name), "%s", method);
    st->method = router_method_from_name(method);
    http_conn_phase(server, st->conn, CONN_BODY);
    if (st->raw_uri == NULL)
        return MHD_NO;
    int verdict = http_admit(server, st);
    if (verdict < 0)
        return MHD_NO;
    if (verdict == 0)
        return MHD_YES; /* read the body */
    http_conn_phase(server, st->conn, CONN_BUSY);
    return send_prepared(st);
}

/* A piece of the body, kept up to the limit (past it, or once answered, discarded). */
static enum MHD_Result body_piece(struct api_server *server, struct request_state *st,
                                  const char *data, size_t n)
{
    if (st->answered || st->too_large)
        return MHD_YES;
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
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
    return MHD_YES;
}

/* The whole request is in: answer /healthz here, queue the rest on a lane (503 when full). */
static enum MHD_Result request_in(struct api_server *server, struct request_state *st)
{
    http_conn_phase(server, st->conn, CONN_BUSY);
    if (st->too_large) {
        http_prepare_error(st, 413, "Request_EntityTooLarge",
                           "The request body exceeds the limit of %zu bytes.",
                           server->app->cfg->max_body_bytes);
        return send_prepared(st);
    }
    if (st->route->handler == api_health_live) { /* no database, no queue: always answers */
        http_dispatch(server, st);
        return send_prepared(st);
    }
    enum lane_id lane_id = st->route->handler == api_health_ready          ? LANE_HEALTH
                           : st->method & (unsigned)(HTTP_GET | HTTP_HEAD) ? LANE_READ
                                                                           : LANE_WRITE;
    struct lane *lane = &server->lanes[lane_id];
    st->phase = REQ_QUEUED;
    MHD_suspend_connection(st->connection);
    if (http_lane_push(lane, st) != 0) {
        http_prepare_error(st, 503, "ServiceUnavailable",
                           "The service has too many requests waiting. Retry later.");
        st->phase = REQ_DONE;
        MHD_resume_connection(st->connection);
    }
    return MHD_YES;
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
    if (st->phase == REQ_NEW)
        return headers_in(server, st, method);
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return body_piece(server, st, upload_data, n);
    }
    if (st->answered || st->phase == REQ_QUEUED)
        return MHD_YES;
    if (st->phase == REQ_DONE) /* resumed: the request thread prepared the answer */
        return send_prepared(st);
    return request_in(server, st);
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
    http_conn_phase(server, st->conn, CONN_HEADERS); /* keep-alive: the next request's headers */
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
        http_lane_stop(&server->lanes[i]);
    if (server->janitor_started) {
        atomic_store(&server->stopping, 1);
        pthread_join(server->janitor, NULL);
    }
    throttle_free(server->throttle);
    pthread_mutex_destroy(&server->conns_lock);
    free(server->tls_cert);
    if (server->tls_key != NULL)
        explicit_bzero(server->tls_key, server->tls_key_len);
    free(server->tls_key);
    free(server);
}

/* Reads a whole PEM file; NULL with a reason in err. Owned: caller frees. */
static char *read_pem(const char *path, size_t *len, struct lic_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t used = 0, cap = 0, n;
    char chunk[4096];
    if (f == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "cannot read %s", path);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && used < (1u << 20)) {
        if (used + n + 1 > cap) {
            cap = (used + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (grown == NULL)
                break;
            text = grown;
        }
        memcpy(text + used, chunk, n);
        used += n;
        text[used] = '\0';
    }
    fclose(f);
    if (text == NULL || strstr(text, "-----BEGIN ") == NULL) {
        free(text);
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "%s is not a PEM file", path);
        return NULL;
    }
    *len = used;
    return text;
}

/* HTTPS through libmicrohttpd's GnuTLS: the certificate and key are read once, before serving. */
static int load_tls(struct api_server *server, struct MHD_OptionItem tls[3], struct lic_error *err)
{
    const struct config *cfg = server->app->cfg;
    tls[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (cfg->tls_cert[0] == '\0')
        return 0;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                             "--tls-cert: this libmicrohttpd was built without TLS");
    size_t cert_len = 0;
    if ((server->tls_cert = read_pem(cfg->tls_cert, &cert_len, err)) == NULL ||
        (server->tls_key = read_pem(cfg->tls_key, &server->tls_key_len, err)) == NULL)
        return -1;
    tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert};
    tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key};
    tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return 0;
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
    struct MHD_OptionItem tls[3];
    if (load_tls(server, tls, err) != 0) {
        free_server(server);
        return NULL;
    }
    if (parse_edge(server, err) != 0 ||
        http_lane_start(server, &server->lanes[LANE_READ], (int)cfg->http_threads) != 0 ||
        http_lane_start(server, &server->lanes[LANE_WRITE], (int)cfg->http_write_threads) != 0 ||
        http_lane_start(server, &server->lanes[LANE_HEALTH], 1) != 0) {
        if (err->kind == LIC_OK)
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "cannot start the request threads");
        free_server(server);
        return NULL;
    }

    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (server->tls_cert != NULL)
        flags |= MHD_USE_TLS;
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
        on_completed, server, MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, server,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, server, MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(cfg), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->per_ip_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (server->daemon == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                      server->tls_cert ? "cannot listen on %s:%u (address in use or not "
                                         "available, or the TLS certificate and key do not fit)"
                                       : "cannot listen on %s:%u (address in use or not available)",
                      cfg->listen_addr, cfg->port);
        free_server(server);
        return NULL;
    }
    if (pthread_create(&server->janitor, NULL, http_janitor_main, server) == 0)
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
        http_lane_stop(&server->lanes[i]);
    atomic_store(&server->stopping, 1);
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    free_server(server);
}
