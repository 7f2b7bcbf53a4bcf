/* The HTTP front: requests in, Graph JSON out. libmicrohttpd's epoll threads read requests and
 * apply the edge rules (api/edge.c); handlers run on request threads with a deadline, so a slow
 * database never holds up /healthz or the reading of other requests. */
#ifndef LICENSINGD_HTTP_H
#define LICENSINGD_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "service/base/config.h"
#include "service/base/error.h"
#include "api/router.h"

struct db_pool;
struct db_probe;
struct edge_query;
struct MHD_Connection;
struct token_verifier;
struct auth_caller;

/* What every handler can reach; read-only after start-up. */
struct api_app {
    const struct config *cfg;
    struct db_pool *pool;
    struct db_probe *probe;        /* /readyz's own connection; NULL pings through the pool */
    struct token_verifier *tokens; /* NULL: --insecure-no-auth */
};

/* Name/value pairs of a request made in-process ($batch): its headers. */
struct api_pairs {
    int n;
    const char *const *names;
    const char *const *values;
};

struct api_request {
    unsigned method;
    const char *method_name;
    const char *path;
    const char *body; /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    struct route_params params;
    const char *request_id;
    const char *client_request_id; /* NULL when the client sent none */
    struct MHD_Connection *connection;
    const struct edge_query *query;   /* the decoded query string */
    const char *base_url;             /* "https://host" for links (see api_base_url) */
    const char *client_address;       /* the peer, or the client a trusted proxy names */
    const struct auth_caller *caller; /* from the bearer token; NULL: open route or auth off */
    /* A request of a $batch: its own headers instead of the connection's (the batch's
     * Authorization still applies); NULL for a request sent alone. */
    const struct api_pairs *inner_headers;
    struct api_server *server; /* the server that admitted it (for a $batch's requests) */
};

#define API_MAX_HEADERS 8

/* The Content-Type of Graph's JSON answers. */
#define API_ODATA_JSON                                                                             \
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false"

struct api_response {
    unsigned status;
    json_t *j_body;           /* owned: rendered and freed by the HTTP layer */
    char *text;               /* owned: a text/plain body instead of JSON ($count) */
    const char *content_type; /* static string, or NULL for the default */
    int header_count;
    char header_names[API_MAX_HEADERS][32];
    char header_values[API_MAX_HEADERS][512];
};

/* Query string and header lookups (NULL when absent). */
const char *api_query(const struct api_request *req, const char *name);
const char *api_header(const struct api_request *req, const char *name);

/* "http://host:port" for links: LICENSINGD_PUBLIC_URL; else what a trusted proxy says
 * (Forwarded, X-Forwarded-Proto/-Host); else the Host header when LICENSINGD_ALLOWED_HOSTS lists
 * it; else the listening address. A Host the operator did not allow is never reflected. */
void api_base_url(const struct api_app *app, const struct api_request *req, char *out, size_t size);

/* Who is calling, for throttling: today the client address (the peer, or the client a trusted
 * proxy names). With bearer tokens (issue 10) the verified token's appid/azp, else its sub, comes
 * first: the identity middleware records the caller on the request and this function returns
 * it, prefixed "app:" / "sub:" so it cannot collide with an address. */
void api_client_key(const struct api_request *req, char *out, size_t size);

/* Responses: each takes ownership of what it is given. */
void api_reply_json(struct api_response *res, unsigned status, json_t *j_body);
void api_reply_empty(struct api_response *res, unsigned status);
void api_reply_text(struct api_response *res, unsigned status, char *text);
/* A JSON body already serialized (takes text; NULL - out of memory - answers 500). */
void api_reply_json_text(struct api_response *res, unsigned status, char *text);
void api_reply_error(struct api_response *res, const struct lic_error *err);
void api_add_header(struct api_response *res, const char *name, const char *value);

/* The refusal of a path no route matches: Graph's 400 naming the unknown segment under /v1.0/,
 * else 404. */
void api_unknown_path_error(const char *path, struct lic_error *err);

/* For a request run in-process ($batch), what a request sent alone passes after routing: the
 * bearer token (into *caller, and req->caller points at it) and the route's permission, its
 * client's token bucket (each request counts) and a JSON body's media type. 0 to run it; else
 * the status (401, 403, 429, 415) with err, and for 429 the Retry-After value in retry_after. */
unsigned api_admit_inner(struct api_request *req, const struct route *route,
                         struct auth_caller *caller, struct lic_error *err, char *retry_after,
                         size_t size);

/* Runs one request in-process: route's handler, or (route NULL) the refusal err, answered into
 * *out as if sent alone (the caller frees out->j_body and out->text). */
void api_exchange(const struct api_app *app, const struct api_request *req,
                  const struct route *route, const struct lic_error *err, struct api_response *out);

/* Parses the JSON body as an object; on failure fills err (400) and returns NULL. */
json_t *api_parse_body(const struct api_request *req, struct lic_error *err);

struct api_server;

/* Starts listening; NULL with a reason in err when the address cannot be bound. */
struct api_server *api_server_start(const struct api_app *app, struct lic_error *err);

/* Stops accepting, lets in-flight requests finish (up to grace_seconds), then stops. */
void api_server_stop(struct api_server *server, unsigned grace_seconds);

/* The route table (api/routes.c) and its size. */
extern const struct route api_routes[];
extern const size_t api_routes_count;

#endif
