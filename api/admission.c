/* The edge rules applied to one request, before its body is read: limits (431, 413), the bearer
 * token (401), the route on the raw path (400, 404, 405, OPTIONS and CORS preflight), the Host
 * and proxy headers, the route's permission (403), the client's token bucket (429) and the media
 * type of a body (415). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/http_internal.h"
#include "api/throttle.h"
#include "service/base/metrics.h"

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
    const char *scheme = fwd.proto[0] ? fwd.proto : cfg->tls_cert[0] ? "https" : "http";
    int allowed = server->hosts.count == 0 || edge_host_allowed(&server->hosts, host);
    if (cfg->public_url[0] != '\0') {
        snprintf(st->base_url, sizeof(st->base_url), "%s", cfg->public_url);
    } else if (fwd.host[0] != '\0') {
        snprintf(st->base_url, sizeof(st->base_url), "%s://%s", scheme, fwd.host);
    } else if (server->hosts.count > 0 && allowed) {
        snprintf(st->base_url, sizeof(st->base_url), "%s://%s", scheme, host);
    } else {
        const char *a = cfg->listen_addr;
        int v6 = strchr(a, ':') != NULL;
        if (strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0)
            snprintf(st->base_url, sizeof(st->base_url), "%s://localhost:%u", scheme, cfg->port);
        else
            snprintf(st->base_url, sizeof(st->base_url), "%s://%s%s%s:%u", scheme, v6 ? "[" : "", a,
                     v6 ? "]" : "", cfg->port);
    }
    const char *origin = header(st, "Origin");
    if (origin != NULL && edge_origin_allowed(&server->origins, origin))
        st->origin = origin;
    return allowed ? 0 : -1;
}

int http_is_probe(const struct route *route)
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
        http_prepare_error(st, 403, "Forbidden",
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
    http_prepare(st, &res);
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
/* 431 for too many headers or parameters, 413 for a declared body over the limit, 400 for a
 * query string that does not decode; 1 when answered, -1 when out of memory. */
static int admit_limits(const struct config *cfg, struct request_state *st)
{
    int headers = 0;
    MHD_get_connection_values(st->connection, MHD_HEADER_KIND, count_header, &headers);
    if (headers > MAX_REQUEST_HEADERS) {
        http_prepare_error(st, 431, "RequestHeaderFieldsTooLarge",
                           "The request has %d headers; at most %d are accepted.", headers,
                           MAX_REQUEST_HEADERS);
        return 1;
    }
    /* Refused before anything else, so the body is never read. */
    const char *length = header(st, "Content-Length");
    if (length != NULL && strtoull(length, NULL, 10) > cfg->max_body_bytes) {
        st->too_large = 1;
        http_prepare_error(st, 413, "Request_EntityTooLarge",
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
        http_prepare_error(st, 431, "RequestHeaderFieldsTooLarge",
                           "The query string has more than %d parameters.", EDGE_MAX_QUERY_PARAMS);
        return 1;
    }
    if (qr != EDGE_QUERY_OK) {
        http_prepare_error(st, 400, "Request_BadRequest",
                           qr == EDGE_QUERY_DUPLICATE
                               ? "Query option '%s' is specified more than once."
                           : qr == EDGE_QUERY_BAD_UTF8
                               ? "Query option '%s' is not valid UTF-8 once percent-decoded."
                               : "Query option '%s' holds a malformed escape or a NUL byte (%%00).",
                           bad);
        return 1;
    }
    return 0;
}

/* The route on the raw path: 400, 404, 405, or OPTIONS answered; 1 when answered. */
static int admit_route(struct request_state *st)
{
    unsigned allowed = 0;
    enum route_match m = router_match(api_routes, api_routes_count, st->method, st->path,
                                      &st->route, &st->params, &allowed);
    if (m == ROUTE_FOUND)
        return 0;
    char shown[256];
    edge_log_text(st->path, strlen(st->path), shown, sizeof(shown));
    if (m == ROUTE_BAD_PATH) {
        http_prepare_error(st, 400, "Request_BadRequest",
                           "The request path holds a malformed escape or a NUL byte (%%00): '%s'.",
                           shown);
    } else if (m == ROUTE_NO_PATH) {
        struct lic_error err;
        api_unknown_path_error(st->path, &err);
        http_prepare_error(st, api_error_status(err.kind), err.code, "%s", err.message);
    } else if (st->method == HTTP_OPTIONS) {
        prepare_options(st, allowed);
    } else {
        char allow[128];
        router_allow_header(allowed, allow, sizeof(allow));
        http_prepare_error(st, 405, "Request_BadRequest",
                           "The HTTP method '%s' is not allowed for the requested resource.",
                           st->method_name);
        http_add_out_header(st, "Allow", allow);
    }
    return 1;
}

/* Takes cost from key's bucket; 0 when it had enough, else 1 with the 429 prepared. */
static int take_or_429(struct api_server *server, struct request_state *st, const char *key,
                       double cost)
{
    double wait = 0;
    if (throttle_take(server->throttle, key, cost, (double)http_now_ms() / 1000.0, &wait))
        return 0;
    metrics_add(METRIC_THROTTLED, 1);
    unsigned seconds = (unsigned)wait;
    if ((double)seconds < wait || seconds == 0)
        seconds++;
    http_prepare_error(st, 429, "TooManyRequests",
                       "Too many requests from this client. Retry after %u seconds.", seconds);
    char value[16];
    snprintf(value, sizeof(value), "%u", seconds);
    http_add_out_header(st, "Retry-After", value);
    return 1;
}

/* The bearer token comes before anything says whether a path exists (api/auth.c): a 401 with
 * the challenge when one is needed and missing or bad. Failures cost the address a write from
 * its bucket, so guessing tokens is throttled like writing. 1 when answered. */
static int admit_token(struct api_server *server, struct request_state *st)
{
    if (st->method == HTTP_OPTIONS)
        return 0; /* CORS preflights carry no credentials; they answer nothing but headers */
    const struct route *route = NULL;
    struct route_params params;
    unsigned allowed = 0;
    enum route_match m =
        router_match(api_routes, api_routes_count, st->method, st->path, &route, &params, &allowed);
    if (!api_auth_required(server->app, m == ROUTE_FOUND ? route : NULL, st->path))
        return 0;
    struct api_request req = http_request_of(st);
    struct lic_error err;
    lic_error_clear(&err);
    if (api_auth_authenticate(server->app, &req, &st->caller, &err) == 0) {
        st->authenticated = 1;
        return 0;
    }
    char key[THROTTLE_KEY_MAX];
    snprintf(key, sizeof(key), "%s", st->client);
    if (server->throttle != NULL && take_or_429(server, st, key, THROTTLE_WRITE_COST))
        return 1;
    char challenge[512];
    api_auth_challenge(&err, header(st, "Authorization") != NULL, challenge, sizeof(challenge));
    http_prepare_error(st, 401, err.code, "%s", err.message);
    http_add_out_header(st, "WWW-Authenticate", challenge);
    return 1;
}

/* The route's permission (api/routes.c) against the token's: 403; 1 when answered. */
static int admit_permission(struct request_state *st)
{
    struct lic_error err;
    lic_error_clear(&err);
    if (!st->authenticated || api_auth_authorize(&st->caller, st->route, &err) == 0)
        return 0;
    http_prepare_error(st, 403, err.code, "%s", err.message);
    return 1;
}

/* The client's token bucket: 429 with Retry-After when it is empty; 1 when answered. */
static int admit_rate(struct api_server *server, struct request_state *st)
{
    if (server->throttle == NULL || http_is_probe(st->route))
        return 0;
    char key[THROTTLE_KEY_MAX];
    struct api_request req = http_request_of(st);
    api_client_key(&req, key, sizeof(key));
    double cost = st->method == HTTP_GET || st->method == HTTP_HEAD ? THROTTLE_READ_COST
                                                                    : THROTTLE_WRITE_COST;
    return take_or_429(server, st, key, cost);
}

int http_admit(struct api_server *server, struct request_state *st)
{
    const char *cid = header(st, "client-request-id");
    st->client_request_id = cid != NULL && printable_ascii(cid, 128) ? cid : NULL;
    int host_allowed = resolve_origin_and_host(server, st) == 0;
    int rc = admit_limits(server->app->cfg, st);
    if (rc == 0)
        rc = admit_token(server, st);
    if (rc == 0)
        rc = admit_route(st);
    if (rc != 0)
        return rc;
    if (!host_allowed && !http_is_probe(st->route)) {
        http_prepare_error(st, 400, "Request_BadRequest",
                           "The Host header names a host this service does not answer for.");
        return 1;
    }
    if (admit_permission(st) != 0 || admit_rate(server, st) != 0)
        return 1;
    if ((st->method == HTTP_POST || st->method == HTTP_PATCH || st->method == HTTP_PUT) &&
        has_body(st) && !edge_media_is_json(header(st, "Content-Type"))) {
        http_prepare_error(st, 415, "UnsupportedMediaType",
                           "The request body must be JSON: send Content-Type: application/json.");
        return 1;
    }
    return 0;
}

/* ---- a request of a $batch, run in-process ---- */

unsigned api_admit_inner(struct api_request *req, const struct route *route,
                         struct auth_caller *caller, struct lic_error *err, char *retry_after,
                         size_t size)
{
    struct api_server *server = req->server;
    retry_after[0] = '\0';
    if (server == NULL)
        return 0;
    /* The same gate as alone: the token (the batch's Authorization unless the request names its
     * own), then the route's permission. */
    if (api_auth_required(server->app, route, req->path)) {
        if (api_auth_authenticate(server->app, req, caller, err) != 0)
            return 401;
        req->caller = caller;
        if (api_auth_authorize(caller, route, err) != 0)
            return 403;
    }
    if (server->throttle != NULL && !http_is_probe(route)) {
        char key[THROTTLE_KEY_MAX];
        api_client_key(req, key, sizeof(key));
        double cost = req->method == HTTP_GET || req->method == HTTP_HEAD ? THROTTLE_READ_COST
                                                                          : THROTTLE_WRITE_COST;
        double wait = 0;
        if (!throttle_take(server->throttle, key, cost, (double)http_now_ms() / 1000.0, &wait)) {
            unsigned seconds = (unsigned)wait;
            if ((double)seconds < wait || seconds == 0)
                seconds++;
            snprintf(retry_after, size, "%u", seconds);
            lic_error_set(err, LIC_ERR_BAD_REQUEST, "TooManyRequests",
                          "Too many requests from this client. Retry after %u seconds.", seconds);
            return 429;
        }
    }
    if ((req->method == HTTP_POST || req->method == HTTP_PATCH || req->method == HTTP_PUT) &&
        req->body_len > 0 && !edge_media_is_json(api_header(req, "Content-Type"))) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "UnsupportedMediaType",
                      "The request body must be JSON: send Content-Type: application/json.");
        return 415;
    }
    return 0;
}
