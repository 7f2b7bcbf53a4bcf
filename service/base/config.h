/* Configuration: defaults, then environment, then command-line flags; a bad value stops start-up.
 */
#ifndef LICENSINGD_CONFIG_H
#define LICENSINGD_CONFIG_H

#include <stddef.h>

#include "service/base/log.h"

struct config {
    char database_url[1024];
    char listen_addr[64];
    unsigned port;
    enum log_level log_level;
    unsigned http_threads;       /* threads running reads (GET, HEAD); default: the cores */
    unsigned http_write_threads; /* threads running writes; default: 4 per core, at least 8 */
    size_t max_body_bytes;       /* request bodies above this get 413 */
    unsigned db_pool_size;       /* connections shared by the HTTP threads and workers */
    unsigned workers;            /* reconciliation worker threads; 0 = API-only replica */
    unsigned sweep_seconds;      /* period of the worker's drift-repair sweep */
    unsigned shutdown_seconds;   /* grace period for in-flight requests on SIGTERM */
    char public_url[256];        /* base for @odata.nextLink; empty = from the Host header */
    int migrate_on_start;        /* serve runs migrations first (default 1) */
    /* Change notifications. */
    int notify_allow_http_loopback; /* http:// to 127.0.0.1/::1/localhost (development, tests) */
    unsigned notify_retry_base_ms;  /* first retry delay; doubles per failed attempt */
    unsigned notify_retry_window_s; /* failing this long, a batch is dropped ('missed') */
    unsigned notify_poll_ms;        /* how often an idle subscription looks for changes */
    /* console: the admin console's OpenID Connect sign-in (empty issuer = paste a token) */
    char console_oidc_issuer[256];
    char console_client_id[128];
    char console_oidc_scopes[256];
    /* end console */
    /* The edge (hardening): deadlines, connections, throttling, browsers and proxies. */
    unsigned request_deadline_ms;     /* a request's whole budget, queueing included */
    unsigned db_statement_timeout_ms; /* PostgreSQL statement_timeout per API connection; 0 off */
    unsigned db_lock_timeout_ms;      /* PostgreSQL lock_timeout per API connection; 0 off */
    unsigned connection_limit;        /* open HTTP connections (capped by RLIMIT_NOFILE) */
    unsigned per_ip_connections;      /* open connections from one address; 0 = no cap */
    unsigned header_timeout_ms;       /* request line + headers (and keep-alive idle) */
    unsigned body_timeout_ms;         /* the request body, once the headers are in */
    unsigned rate_limit;              /* tokens per second per client; 0 = no throttling */
    unsigned rate_burst;              /* bucket size; 0 = no throttling */
    char cors_origins[1024];          /* "https://a.example,https://b.example" or "*" */
    char trusted_proxies[1024];       /* addresses/CIDRs whose Forwarded headers count */
    char allowed_hosts[1024];         /* Host values accepted; empty = any (never reflected) */
    unsigned audit_retention_days;    /* directoryAudit records older than this are purged */
    /* identity: bearer tokens and TLS; secrets here never reach a log line */
    char jwt_secret[512];   /* HS256 shared secret */
    char jwks_file[1024];   /* RS256/ES256 keys */
    char oidc_issuer[512];  /* OpenID Connect issuer: discovery, then its jwks_uri */
    char jwt_audience[256]; /* aud every token must carry; "" = not checked */
    int insecure_no_auth;   /* --insecure-no-auth: every request is accepted */
    char tls_cert[1024];    /* PEM certificate (chain) file; "" = plain HTTP */
    char tls_key[1024];     /* PEM private key file */
};

/* Looks up an environment variable; tests pass their own. */
typedef const char *(*config_getenv_fn)(const char *name);

void config_defaults(struct config *cfg, unsigned cores);

/* Applies the environment, then argv[from..argc) flags. Returns 0, or -1 with one line in err.
 * Non-flag arguments are left for the caller: their indexes are not consumed. */
int config_load(struct config *cfg, config_getenv_fn getenv_fn, int argc, char **argv, char *err,
                size_t err_size);

/* Text for --help. */
const char *config_usage(void);

#endif
