/* Matching "METHOD /path" against the route table; pure, no HTTP library involved. */
#ifndef LICENSINGD_ROUTER_H
#define LICENSINGD_ROUTER_H

#include <stddef.h>

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_POST = 1 << 1,
    HTTP_PATCH = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_HEAD = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
};

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 512
#define ROUTE_MAX_SEGMENTS 16

struct route_params {
    int count;
    char values[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX]; /* {placeholders}, in pattern order */
};

struct api_request;
struct api_response;
struct api_app;
typedef void (*api_handler)(const struct api_app *app, const struct api_request *req,
                            struct api_response *res);

struct route {
    unsigned method;     /* one enum http_method bit */
    const char *pattern; /* "/v1.0/users/{id}"; literal segments match case-insensitively */
    api_handler handler;
    const char *needs; /* Graph permissions, any one of which (or one that includes it) lets a
                          token call the route, space-separated; NULL: open to everyone */
};

/* Text to enum ("GET" -> HTTP_GET); 0 if unknown. */
unsigned router_method_from_name(const char *name);

/* Writes the methods in mask as an Allow header value ("GET, PATCH"). */
void router_allow_header(unsigned mask, char *out, size_t size);

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD, ROUTE_BAD_PATH };

/* Finds the route for method and path. path is the raw request path, still percent-encoded: it
 * is split at "/" first and each segment decoded alone, so %2F never separates segments. A
 * malformed escape or %00 anywhere is ROUTE_BAD_PATH (400); a segment that is not UTF-8 once
 * decoded matches nothing (ROUTE_NO_PATH, 404). On ROUTE_NO_METHOD, *allowed holds the methods
 * the path does accept. A HEAD request matches GET routes. Trailing slashes are ignored and a run
 * of slashes counts as one ("/v1.0//users", as Graph answers it). */
enum route_match router_match(const struct route *table, size_t count, unsigned method,
                              const char *path, const struct route **found,
                              struct route_params *params, unsigned *allowed);

/* For a path no route matches: the first segment (decoded) no route accepts after the ones
 * before it (the last segment when every one is accepted but the path is too short or too long),
 * as Graph names it in "Resource not found for the segment 'nope'."; "" for a path that has
 * none. */
void router_unknown_segment(const struct route *table, size_t count, const char *path, char *out,
                            size_t size);

#endif
