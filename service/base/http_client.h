/* Outgoing HTTP through libcurl (change notifications, validation handshakes): no redirects, TLS
 * 1.2 or later with certificate checks, bounded time and response size. */
#ifndef LICENSINGD_BASE_HTTP_CLIENT_H
#define LICENSINGD_BASE_HTTP_CLIENT_H

#include <stddef.h>

struct http_result {
    long status;     /* 0 when no HTTP answer came (refused, timeout, TLS failure) */
    char *body;      /* owned (free); at most HTTP_CLIENT_MAX_BODY bytes, NUL-terminated */
    char error[256]; /* why there was no answer, for logs */
};

#define HTTP_CLIENT_MAX_BODY 65536

/* Once per process, before threads start. */
int http_client_global_init(void);

/* POSTs body with content_type to url (may carry a query string); 0 when an HTTP answer came
 * (any status), -1 otherwise (out->error says why). The caller frees out->body. */
int http_client_post(const char *url, const char *content_type, const char *body, long timeout_ms,
                     struct http_result *out);

/* GETs url (an OpenID Connect discovery document, a JWKS); as http_client_post. */
int http_client_get(const char *url, long timeout_ms, struct http_result *out);

/* Splits an absolute http(s) URL: scheme ("http"/"https") and host (brackets removed) and port
 * (the scheme's default when absent). 0, or -1 when it is not one. */
int http_client_parse_url(const char *url, char *scheme, size_t scheme_size, char *host,
                          size_t host_size, unsigned *port);

#endif
