/* libmicrohttpd glue: body accumulation with a limit, dispatch through the route table, the
 * request-id headers, the access log, and a graceful stop. */
#include "service/base/guid.h"
#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "service/base/log.h"
#include "service/base/metrics.h"
#include "api/errors.h"

struct api_server {
    struct MHD_Daemon *daemon;
    const struct api_app *app;
    atomic_int in_flight;
};

/* One per request, from the first call of the access handler to the completion callback. */
struct request_state {
    struct timespec started;
    char *body;
    size_t len, cap;
    int too_large;
    unsigned status;
    char request_id[GUID_SIZE];
    char method[16];
    char *path;        /* owned */
    const char *route; /* the matched route's pattern (static), NULL when none */
    struct api_server *server;
};

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
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static const char *pair(const struct api_pairs *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcasecmp(p->names[i], name) == 0)
            return p->values[i];
    return NULL;
}

const char *api_query(const struct api_request *req, const char *name)
{
    if (req->inner_query != NULL)
        return pair(req->inner_query, name);
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(const struct api_request *req, const char *name)
{
    if (req->inner_headers != NULL) {
        const char *value = pair(req->inner_headers, name);
        /* Graph: the batch's own credentials (and host) apply to each of its requests. */
        if (value != NULL ||
            (strcasecmp(name, "Authorization") != 0 && strcasecmp(name, "Host") != 0))
            return value;
    }
    return req->connection ? MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name)
                           : NULL;
}

void api_base_url(const struct api_app *app, const struct api_request *req, char *out, size_t size)
{
    if (app->cfg->public_url[0] != '\0') {
        snprintf(out, size, "%s", app->cfg->public_url);
        return;
    }
    const char *host = api_header(req, "Host");
    /* Only a plausible host name goes into links we hand back. */
    if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
            strlen(host)) {
        snprintf(out, size, "http://%s:%u", app->cfg->listen_addr, app->cfg->port);
        return;
    }
    snprintf(out, size, "http://%s", host);
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
}

json_t *api_parse_body(const struct api_request *req, struct lic_error *err)
{
    if (req->body_len == 0) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "The request body is empty; a JSON object is expected.");
        return NULL;
    }
    json_error_t jerr;
    json_t *j_body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j_body == NULL) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Unable to read JSON request payload: %s at line %d, column %d.", jerr.text,
                      jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(j_body)) {
        json_decref(j_body);
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Unable to read JSON request payload: a JSON object is expected.");
        return NULL;
    }
    return j_body;
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

static int printable_ascii(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || s[n] < 0x20 || s[n] > 0x7e)
            return 0;
    return n > 0;
}

static enum MHD_Result respond(struct MHD_Connection *connection, struct request_state *st,
                               const struct api_request *req, struct api_response *res)
{
    char *payload = NULL;
    size_t len = 0;
    const char *type = res->content_type ? res->content_type : "application/json";
    if (res->text != NULL) {
        payload = res->text;
        res->text = NULL;
        len = strlen(payload);
    } else if (res->j_body != NULL) {
        payload = json_dumps(res->j_body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (payload == NULL) {
            res->status = 500;
            payload = strdup("{\"error\":{\"code\":\"InternalServerError\",\"message\":\"The "
                             "response could not be encoded.\"}}");
        }
        len = payload ? strlen(payload) : 0;
    }
    json_decref(res->j_body);
    res->j_body = NULL;

    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, payload ? payload : (void *)"",
                                        payload ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (response == NULL) {
        free(payload);
        return MHD_NO;
    }
    if (len > 0 || res->status >= 400)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(response, "request-id", st->request_id);
    MHD_add_response_header(response, "client-request-id",
                            req && req->client_request_id ? req->client_request_id
                                                          : st->request_id);
    for (int i = 0; i < res->header_count; i++)
        MHD_add_response_header(response, res->header_names[i], res->header_values[i]);
    st->status = res->status;
    enum MHD_Result rc = MHD_queue_response(connection, res->status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result reply_error_now(struct MHD_Connection *connection, struct request_state *st,
                                       const char *client_request_id, const struct lic_error *err,
                                       const char *allow)
{
    struct api_request req = {.request_id = st->request_id,
                              .client_request_id = client_request_id,
                              .connection = connection};
    struct exchange ex = {.req = &req};
    api_reply_error(&ex.res, err);
    if (allow != NULL)
        api_add_header(&ex.res, "Allow", allow);
    return respond(connection, st, &req, &ex.res);
}

/* Graph answers a path under /v1.0/ that names no resource with 400 and the first segment it
 * could not resolve; anything outside the API is plainly not there (404). */
void api_unknown_path_error(const char *path, struct lic_error *err)
{
    char segment[128];
    router_unknown_segment(api_routes, api_routes_count, path, segment, sizeof(segment));
    if (strncasecmp(path, "/v1.0/", 6) == 0 && segment[0] != '\0' &&
        printable_ascii(segment, sizeof(segment)))
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Resource not found for the segment '%s'.", segment);
    else
        lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                      "Resource not found for the segment '%.200s'.", path);
}

static enum MHD_Result dispatch(struct api_server *server, struct MHD_Connection *connection,
                                struct request_state *st, const char *url)
{
    const char *client_id =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "client-request-id");
    if (client_id != NULL && !printable_ascii(client_id, 128))
        client_id = NULL;

    struct lic_error err;
    if (st->too_large) {
        lic_error_set(&err, LIC_ERR_TOO_LARGE, "Request_EntityTooLarge",
                      "The request body exceeds the limit of %zu bytes.",
                      server->app->cfg->max_body_bytes);
        return reply_error_now(connection, st, client_id, &err, NULL);
    }

    unsigned method = router_method_from_name(st->method);
    const struct route *route = NULL;
    struct api_request req = {.method = method,
                              .method_name = st->method,
                              .path = url,
                              .body = st->body ? st->body : "",
                              .body_len = st->len,
                              .request_id = st->request_id,
                              .client_request_id = client_id,
                              .connection = connection};
    unsigned allowed = 0;
    enum route_match m =
        router_match(api_routes, api_routes_count, method, url, &route, &req.params, &allowed);
    if (m == ROUTE_NO_PATH) {
        api_unknown_path_error(url, &err);
        return reply_error_now(connection, st, client_id, &err, NULL);
    }
    if (m == ROUTE_NO_METHOD) {
        char allow[128];
        router_allow_header(allowed, allow, sizeof(allow));
        lic_error_set(&err, LIC_ERR_METHOD, "Request_BadRequest",
                      "The HTTP method '%s' is not allowed for the requested resource.",
                      st->method);
        return reply_error_now(connection, st, client_id, &err, allow);
    }

    struct exchange ex = {.req = &req};
    ex.res.status = 500;
    st->route = route->pattern;
    route->handler(server->app, &req, &ex.res);
    enum MHD_Result rc = respond(connection, st, &req, &ex.res);
    free(ex.res.text);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct api_server *server = cls;
    struct request_state *st = *con_cls;
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &st->started);
        new_request_id(st->request_id);
        snprintf(st->method, sizeof(st->method), "%s", method);
        st->path = strdup(url);
        st->server = server;
        st->status = 500;
        atomic_fetch_add(&server->in_flight, 1);
        *con_cls = st;
        const char *length =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
        if (length != NULL && strtoull(length, NULL, 10) > server->app->cfg->max_body_bytes) {
            /* Refuse before reading the body; libmicrohttpd closes the connection after. */
            st->too_large = 1;
            return dispatch(server, connection, st, url);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->too_large)
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
        memcpy(st->body + st->len, upload_data, n);
        st->len += n;
        st->body[st->len] = '\0';
        return MHD_YES;
    }
    if (st->too_large && st->status != 500)
        return MHD_YES; /* already answered at the first call */
    return dispatch(server, connection, st, url);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    struct request_state *st = *con_cls;
    if (st == NULL)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long us =
        (now.tv_sec - st->started.tv_sec) * 1000000L + (now.tv_nsec - st->started.tv_nsec) / 1000L;
    log_request(st->method, st->path, st->status, us, st->request_id);
    metrics_observe_request(st->method, st->route, st->status, us);
    atomic_fetch_sub(&st->server->in_flight, 1);
    free(st->body);
    free(st->path);
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

struct api_server *api_server_start(const struct api_app *app, struct lic_error *err)
{
    struct api_server *server = calloc(1, sizeof(*server));
    if (server == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    server->app = app;

    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, app->cfg->listen_addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)app->cfg->port);
    } else if (inet_pton(AF_INET6, app->cfg->listen_addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)app->cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        free(server);
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "bad listen address %s", app->cfg->listen_addr);
        return NULL;
    }

    server->daemon = MHD_start_daemon(
        flags, (uint16_t)app->cfg->port, NULL, NULL, on_request, server,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg->http_threads, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (server->daemon == NULL) {
        free(server);
        lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                      "cannot listen on %s:%u (address in use or not available)",
                      app->cfg->listen_addr, app->cfg->port);
        return NULL;
    }
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
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    free(server);
}
