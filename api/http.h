/* The HTTP front: requests in, Graph JSON out, on libmicrohttpd's epoll thread pool. */
#ifndef LICENSINGD_HTTP_H
#define LICENSINGD_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "service/base/config.h"
#include "service/base/error.h"
#include "api/router.h"

struct db_pool;
struct MHD_Connection;

/* What every handler can reach; read-only after start-up. */
struct api_app {
    const struct config *cfg;
    struct db_pool *pool;
};

/* Name/value pairs of a request made in-process ($batch): its query options and headers. */
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
    /* A request of a $batch: its own query and headers instead of the connection's (the batch's
     * Authorization and Host still apply); NULL for a request sent alone. */
    const struct api_pairs *inner_query, *inner_headers;
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

/* "http://host:port" for links, from LICENSINGD_PUBLIC_URL or the Host header. */
void api_base_url(const struct api_app *app, const struct api_request *req, char *out, size_t size);

/* Responses: each takes ownership of what it is given. */
void api_reply_json(struct api_response *res, unsigned status, json_t *j_body);
void api_reply_empty(struct api_response *res, unsigned status);
void api_reply_text(struct api_response *res, unsigned status, char *text);
void api_reply_error(struct api_response *res, const struct lic_error *err);
void api_add_header(struct api_response *res, const char *name, const char *value);

/* The refusal of a path no route matches: Graph's 400 naming the unknown segment under /v1.0/,
 * else 404. */
void api_unknown_path_error(const char *path, struct lic_error *err);

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
