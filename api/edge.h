/* The edge rules, pure so Check and the fuzzers reach them without a server: percent-decoding,
 * the query string, CORS origins, Host and proxy headers, media types, log-safe text.
 * api/http.c applies them to each request. */
#ifndef LICENSINGD_API_EDGE_H
#define LICENSINGD_API_EDGE_H

#include <jansson.h>
#include <stddef.h>

#include "service/base/error.h"

/* ---- percent-decoding ---- */

enum edge_decode_error {
    EDGE_DECODE_BAD_ESCAPE = -1, /* '%' not followed by two hex digits */
    EDGE_DECODE_NUL = -2,        /* %00: would cut the text short further in */
    EDGE_DECODE_TOO_LONG = -3,   /* does not fit in out */
};

/* Decodes text[0..len) into out (NUL-terminated, size bytes with the NUL); with plus_is_space a
 * '+' is a space (query strings). Returns the decoded length or an enum edge_decode_error. */
long edge_percent_decode(const char *text, size_t len, int plus_is_space, char *out, size_t size);

/* ---- the query string ---- */

#define EDGE_MAX_QUERY_PARAMS 64

enum edge_query_result {
    EDGE_QUERY_OK,
    EDGE_QUERY_TOO_MANY,   /* more than EDGE_MAX_QUERY_PARAMS: 431 */
    EDGE_QUERY_BAD_ESCAPE, /* 400 */
    EDGE_QUERY_NUL,        /* 400 */
    EDGE_QUERY_BAD_UTF8,   /* 400 */
    EDGE_QUERY_DUPLICATE,  /* the same name twice: 400, as Graph answers */
    EDGE_QUERY_NO_MEMORY,
    EDGE_QUERY_RESULT_COUNT
};

struct edge_query {
    int count;
    char *names[EDGE_MAX_QUERY_PARAMS];  /* decoded, point into storage */
    char *values[EDGE_MAX_QUERY_PARAMS]; /* decoded; NULL for "name" without '=' */
    char *storage;                       /* owned: edge_query_free */
};

/* How many name=value pairs raw (the text after '?') holds, empty ones not counted; cheap enough
 * to run before anything is allocated. */
size_t edge_query_count(const char *raw);

/* Parses raw (without the '?'; NULL or "" = no parameters). On failure the offending name is
 * copied into bad (log-safe) and q holds nothing; q is for edge_query_free either way. */
enum edge_query_result edge_query_parse(const char *raw, struct edge_query *q, char *bad,
                                        size_t bad_size);
void edge_query_free(struct edge_query *q);

/* The value of name (ASCII case-insensitive, as libmicrohttpd looked it up); NULL if absent,
 * "" for a name without '='. */
const char *edge_query_get(const struct edge_query *q, const char *name);

/* ---- CORS ---- */

#define EDGE_MAX_ORIGINS 16

struct edge_origins {
    int any; /* "*": every origin, answered with "*" and never with credentials */
    int count;
    char items[EDGE_MAX_ORIGINS][128];
};

/* "https://a.example, http://localhost:3000" or "*"; -1 when an item is not an origin. */
int edge_origins_parse(const char *list, struct edge_origins *out)
    __attribute__((warn_unused_result));

/* 1 when a browser page from origin may call (scheme and host compared case-insensitively). */
int edge_origin_allowed(const struct edge_origins *origins, const char *origin);

/* ---- Host and proxies ---- */

#define EDGE_MAX_HOSTS 16

struct edge_hosts {
    int count;
    char items[EDGE_MAX_HOSTS][256];
};

/* 1 when host is a plausible Host header value: a name or address, an optional port, nothing
 * else (no userinfo, path or spaces) and at most 255 characters. */
int edge_host_valid(const char *host);

int edge_hosts_parse(const char *list, struct edge_hosts *out) __attribute__((warn_unused_result));

/* 1 when host is listed: an item without a port matches the name with any port. */
int edge_host_allowed(const struct edge_hosts *hosts, const char *host);

/* What the nearest proxy says about the client's request; "" for what it does not say or says
 * in a form we do not accept. */
struct edge_forward {
    char proto[8];   /* "http" or "https" */
    char host[256];  /* passes edge_host_valid */
    char client[64]; /* an IP address */
};

/* Reads RFC 7239 Forwarded, else X-Forwarded-Proto / X-Forwarded-Host / X-Forwarded-For (any may
 * be NULL). Lists are read from the right: the last element is the one the proxy in front of us
 * wrote; earlier ones came from further away and may be the client's own inventions. */
void edge_forward_parse(const char *forwarded, const char *x_proto, const char *x_host,
                        const char *x_for, struct edge_forward *out);

/* ---- bodies and logs ---- */

/* A request body as a JSON object (duplicate keys refused): owned (json_decref), or NULL with a
 * 400 in err for an empty body, broken JSON or another JSON type. */
json_t *edge_json_object(const char *body, size_t len, struct lic_error *err);

/* 1 when a Content-Type value is JSON: application/json, parameters allowed
 * ("application/json; charset=utf-8", "application/json;odata.metadata=minimal"). */
int edge_media_is_json(const char *content_type);

/* Copies text[0..len) into out for a log line: bytes outside printable ASCII become %XX, and a
 * text that does not fit ends with "...". */
void edge_log_text(const char *text, size_t len, char *out, size_t size);

#endif
