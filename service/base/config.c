/* Parsing and validating configuration; pure, so Check tests it without a process. */
#include "service/base/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "service/base/netaddr.h"

enum opt_type { OPT_STRING, OPT_UINT, OPT_SIZE, OPT_LEVEL, OPT_BOOL, OPT_FLAG };

struct option_spec {
    const char *flag; /* --flag; NULL: environment only */
    const char *env;  /* environment variable; NULL: flag only */
    enum opt_type type;
    size_t offset;
    size_t size; /* buffer size for strings */
    unsigned long min, max;
    const char *help;
};

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

static const struct option_spec options[] = {
    {"--database-url", "DATABASE_URL", OPT_STRING, FIELD(database_url), 0, 0,
     "libpq conninfo or postgresql:// URI"},
    {"--listen", "LISTEN_ADDR", OPT_STRING, FIELD(listen_addr), 0, 0,
     "IPv4 or IPv6 address to listen on (default 127.0.0.1)"},
    {"--port", "PORT", OPT_UINT, FIELD(port), 1, 65535, "TCP port (default 8080)"},
    {"--log-level", "LOG_LEVEL", OPT_LEVEL, FIELD(log_level), 0, 0,
     "debug, info, warn or error (default info)"},
    {"--http-threads", "LICENSINGD_HTTP_THREADS", OPT_UINT, FIELD(http_threads), 1, 256,
     "threads running reads, GET and HEAD (default: number of cores)"},
    {"--http-write-threads", "LICENSINGD_HTTP_WRITE_THREADS", OPT_UINT, FIELD(http_write_threads),
     1, 256, "threads running writes, which wait on locks and commits (default: 4 per core, >= 8)"},
    {"--max-body-bytes", "LICENSINGD_MAX_BODY_BYTES", OPT_SIZE, FIELD(max_body_bytes), 1, 1UL << 30,
     "largest accepted request body (default 1048576)"},
    {"--db-pool-size", "LICENSINGD_DB_POOL_SIZE", OPT_UINT, FIELD(db_pool_size), 1, 500,
     "database connections (default: read + write threads + workers + 2)"},
    {"--workers", "LICENSINGD_WORKERS", OPT_UINT, FIELD(workers), 0, 64,
     "reconciliation worker threads, 0 for an API-only replica (default 1)"},
    {"--sweep-seconds", "LICENSINGD_SWEEP_SECONDS", OPT_UINT, FIELD(sweep_seconds), 1, 86400,
     "period of the drift-repair sweep (default 60)"},
    {"--shutdown-seconds", "LICENSINGD_SHUTDOWN_SECONDS", OPT_UINT, FIELD(shutdown_seconds), 0, 60,
     "grace period for in-flight requests at shutdown (default 4)"},
    {"--public-url", "LICENSINGD_PUBLIC_URL", OPT_STRING, FIELD(public_url), 0, 0,
     "base URL used in @odata.nextLink (default: from the Host header)"},
    {"--migrate-on-start", "LICENSINGD_MIGRATE_ON_START", OPT_BOOL, FIELD(migrate_on_start), 0, 0,
     "serve applies pending migrations first: true or false (default true)"},
    {"--notifications-allow-http-loopback", "LICENSINGD_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK",
     OPT_BOOL, FIELD(notify_allow_http_loopback), 0, 0,
     "allow http:// notification URLs on 127.0.0.1, ::1 or localhost (default false)"},
    {"--notify-retry-base-ms", "LICENSINGD_NOTIFY_RETRY_BASE_MS", OPT_UINT,
     FIELD(notify_retry_base_ms), 10, 600000,
     "first retry delay of a failed notification, doubled per attempt (default 1000)"},
    {"--notify-retry-window-seconds", "LICENSINGD_NOTIFY_RETRY_WINDOW_SECONDS", OPT_UINT,
     FIELD(notify_retry_window_s), 1, 7 * 86400,
     "drop a batch failing this long, with a lifecycle 'missed' (default 14400)"},
    {"--notify-poll-ms", "LICENSINGD_NOTIFY_POLL_MS", OPT_UINT, FIELD(notify_poll_ms), 50, 60000,
     "how often an idle subscription looks for changes (default 500)"},
    /* console */
    {"--console-oidc-issuer", "LICENSINGD_CONSOLE_OIDC_ISSUER", OPT_STRING,
     FIELD(console_oidc_issuer), 0, 0, "OpenID Connect issuer the admin console signs in with"},
    {"--console-client-id", "LICENSINGD_CONSOLE_CLIENT_ID", OPT_STRING, FIELD(console_client_id), 0,
     0, "the console's client id at that issuer"},
    {"--console-oidc-scopes", "LICENSINGD_CONSOLE_OIDC_SCOPES", OPT_STRING,
     FIELD(console_oidc_scopes), 0, 0, "scopes the console asks for (default \"openid profile\")"},
    /* end console */
    {"--request-deadline-ms", "LICENSINGD_REQUEST_DEADLINE_MS", OPT_UINT,
     FIELD(request_deadline_ms), 100, 600000,
     "a request's whole time budget; past it 503 + Retry-After (default 30000)"},
    {"--db-statement-timeout-ms", "LICENSINGD_DB_STATEMENT_TIMEOUT_MS", OPT_UINT,
     FIELD(db_statement_timeout_ms), 0, 3600000,
     "PostgreSQL statement_timeout for API requests, 0 = none (default 10000)"},
    {"--db-lock-timeout-ms", "LICENSINGD_DB_LOCK_TIMEOUT_MS", OPT_UINT, FIELD(db_lock_timeout_ms),
     0, 3600000, "PostgreSQL lock_timeout for API requests, 0 = none (default 5000)"},
    {"--connection-limit", "LICENSINGD_CONNECTION_LIMIT", OPT_UINT, FIELD(connection_limit), 16,
     1000000, "open HTTP connections at most (default 10000, capped by the open-file limit)"},
    {"--per-ip-connections", "LICENSINGD_PER_IP_CONNECTIONS", OPT_UINT, FIELD(per_ip_connections),
     0, 1000000, "open connections from one address, 0 = no cap (default 256)"},
    {"--header-timeout-ms", "LICENSINGD_HEADER_TIMEOUT_MS", OPT_UINT, FIELD(header_timeout_ms), 100,
     600000, "time to send the request line and headers, and keep-alive idle (default 10000)"},
    {"--body-timeout-ms", "LICENSINGD_BODY_TIMEOUT_MS", OPT_UINT, FIELD(body_timeout_ms), 100,
     600000, "time to send the request body (default 30000)"},
    {"--rate-limit", "LICENSINGD_RATE_LIMIT", OPT_UINT, FIELD(rate_limit), 0, 1000000,
     "requests per second per client (writes cost 5), 0 = off (default 100)"},
    {"--rate-burst", "LICENSINGD_RATE_BURST", OPT_UINT, FIELD(rate_burst), 0, 1000000,
     "requests a client may burst above its rate, 0 = off (default 200)"},
    {"--cors-origins", "LICENSINGD_CORS_ORIGINS", OPT_STRING, FIELD(cors_origins), 0, 0,
     "browser origins allowed to call, comma-separated, or * (default: none)"},
    {"--trusted-proxies", "LICENSINGD_TRUSTED_PROXIES", OPT_STRING, FIELD(trusted_proxies), 0, 0,
     "proxy addresses/CIDRs whose Forwarded/X-Forwarded-* count (default: none)"},
    {"--allowed-hosts", "LICENSINGD_ALLOWED_HOSTS", OPT_STRING, FIELD(allowed_hosts), 0, 0,
     "Host header values accepted, comma-separated (default: any, never reflected)"},
    {"--audit-retention-days", "LICENSINGD_AUDIT_RETENTION_DAYS", OPT_UINT,
     FIELD(audit_retention_days), 0, 36500,
     "directoryAudit records older than this are purged, 0 = keep (default 30)"},
    /* identity */
    /* No flag: a secret on the command line is visible to every user of the machine. */
    {NULL, "LICENSINGD_JWT_SECRET", OPT_STRING, FIELD(jwt_secret), 0, 0,
     "shared secret for HS256 bearer tokens (32 bytes or more)"},
    {"--jwks-file", "LICENSINGD_JWKS_FILE", OPT_STRING, FIELD(jwks_file), 0, 0,
     "JWKS file with the RS256/ES256 keys tokens are signed with"},
    {"--oidc-issuer", "LICENSINGD_OIDC_ISSUER", OPT_STRING, FIELD(oidc_issuer), 0, 0,
     "OpenID Connect issuer whose keys sign tokens (discovery, then jwks_uri)"},
    {"--jwt-audience", "LICENSINGD_JWT_AUDIENCE", OPT_STRING, FIELD(jwt_audience), 0, 0,
     "the aud every token must carry (default: not checked)"},
    /* No environment variable: turning authentication off must be visible on the command line. */
    {"--insecure-no-auth", NULL, OPT_FLAG, FIELD(insecure_no_auth), 0, 0,
     "accept every request without a token (development only)"},
    {"--tls-cert", "LICENSINGD_TLS_CERT", OPT_STRING, FIELD(tls_cert), 0, 0,
     "PEM certificate chain: serve HTTPS (with --tls-key)"},
    {"--tls-key", "LICENSINGD_TLS_KEY", OPT_STRING, FIELD(tls_key), 0, 0,
     "PEM private key of --tls-cert"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

void config_defaults(struct config *cfg, unsigned cores)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->database_url, sizeof(cfg->database_url), "dbname=licensingd");
    snprintf(cfg->listen_addr, sizeof(cfg->listen_addr), "127.0.0.1");
    cfg->port = 8080;
    cfg->log_level = LOG_INFO;
    cfg->http_threads = cores > 0 ? cores : 1;
    cfg->http_write_threads = cores * 4 > 8 ? cores * 4 : 8;
    cfg->max_body_bytes = 1024 * 1024;
    cfg->db_pool_size = 0; /* derived after loading */
    cfg->workers = 1;
    cfg->sweep_seconds = 60;
    cfg->shutdown_seconds = 4;
    cfg->migrate_on_start = 1;
    cfg->notify_retry_base_ms = 1000;
    cfg->notify_retry_window_s = 4 * 3600;
    cfg->notify_poll_ms = 500;
    snprintf(cfg->console_oidc_scopes, sizeof(cfg->console_oidc_scopes), "openid profile");
    cfg->request_deadline_ms = 30000;
    cfg->db_statement_timeout_ms = 10000;
    cfg->db_lock_timeout_ms = 5000;
    cfg->connection_limit = 10000;
    cfg->per_ip_connections = 256;
    cfg->header_timeout_ms = 10000;
    cfg->body_timeout_ms = 30000;
    cfg->rate_limit = 100;
    cfg->rate_burst = 200;
    cfg->audit_retention_days = 30;
}

static int parse_unsigned(const char *text, unsigned long min, unsigned long max,
                          unsigned long *out)
{
    if (text[0] == '\0' || text[0] == '-' || text[0] == '+')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

static int apply(struct config *cfg, const struct option_spec *o, const char *source,
                 const char *value, char *err, size_t err_size)
{
    char *field = (char *)cfg + o->offset;
    unsigned long v;
    switch (o->type) {
    case OPT_STRING:
        if (strlen(value) >= o->size) {
            snprintf(err, err_size, "%s: value is longer than %zu characters", source, o->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_UINT:
        if (parse_unsigned(value, o->min, o->max, &v) != 0) {
            snprintf(err, err_size, "%s: '%s' is not a whole number from %lu to %lu", source, value,
                     o->min, o->max);
            return -1;
        }
        *(unsigned *)field = (unsigned)v;
        return 0;
    case OPT_SIZE:
        if (parse_unsigned(value, o->min, o->max, &v) != 0) {
            snprintf(err, err_size, "%s: '%s' is not a byte count from %lu to %lu", source, value,
                     o->min, o->max);
            return -1;
        }
        *(size_t *)field = (size_t)v;
        return 0;
    case OPT_LEVEL:
        if (log_parse_level(value, (enum log_level *)field) != 0) {
            snprintf(err, err_size, "%s: '%s' is not one of debug, info, warn, error", source,
                     value);
            return -1;
        }
        return 0;
    case OPT_FLAG:
    case OPT_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
            *(int *)field = 1;
        } else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
            *(int *)field = 0;
        } else {
            snprintf(err, err_size, "%s: '%s' is not true or false", source, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

/* Each item of a comma-separated list passes ok(); the first that does not is named in err. */
static int check_list(const char *env, const char *list, int (*ok)(const char *item), char *err,
                      size_t err_size)
{
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n == 0)
            break;
        char item[256];
        snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1), p);
        if (n >= sizeof(item) || !ok(item)) {
            snprintf(err, err_size, "%s: '%s' is not valid", env, item);
            return -1;
        }
        p += n;
    }
    return 0;
}

static int host_ok(const char *h)
{
    return h[0] != '\0' &&
           strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
               strlen(h);
}

/* What follows "http://" or "https://" in url, or NULL when it is neither. */
static const char *after_http_scheme(const char *url)
{
    return strncmp(url, "https://", 8) == 0  ? url + 8
           : strncmp(url, "http://", 7) == 0 ? url + 7
                                             : NULL;
}

/* "*" or scheme://host[:port] with nothing after: what a browser sends in Origin. */
static int origin_ok(const char *o)
{
    if (strcmp(o, "*") == 0)
        return 1;
    const char *host = after_http_scheme(o);
    return host != NULL && host_ok(host);
}

static int validate_edge(const struct config *cfg, char *err, size_t err_size)
{
    if (check_list("LICENSINGD_CORS_ORIGINS", cfg->cors_origins, origin_ok, err, err_size) != 0 ||
        check_list("LICENSINGD_ALLOWED_HOSTS", cfg->allowed_hosts, host_ok, err, err_size) != 0)
        return -1;
    struct net_ranges ranges;
    char bad[128];
    if (net_ranges_parse(cfg->trusted_proxies, &ranges, bad, sizeof(bad)) != 0) {
        snprintf(err, err_size, "LICENSINGD_TRUSTED_PROXIES: '%s' is not an address or CIDR range",
                 bad);
        return -1;
    }
    return 0;
}

/* console: an issuer is an http(s) URL without query or fragment, and needs a client id. */
static int validate_console(struct config *cfg, char *err, size_t err_size)
{
    const char *issuer = cfg->console_oidc_issuer;
    if (issuer[0] == '\0')
        return 0;
    if (after_http_scheme(issuer) == NULL || strpbrk(issuer, "?#\"' <>\\") != NULL) {
        snprintf(err, err_size,
                 "LICENSINGD_CONSOLE_OIDC_ISSUER: '%s' must be an http:// or https:// URL", issuer);
        return -1;
    }
    if (cfg->console_client_id[0] == '\0') {
        snprintf(err, err_size,
                 "LICENSINGD_CONSOLE_CLIENT_ID: must be set with LICENSINGD_CONSOLE_OIDC_ISSUER");
        return -1;
    }
    return 0;
}
/* end console */

static int validate(struct config *cfg, char *err, size_t err_size)
{
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, cfg->listen_addr, addr) != 1 &&
        inet_pton(AF_INET6, cfg->listen_addr, addr) != 1) {
        snprintf(err, err_size, "LISTEN_ADDR: '%s' is not an IPv4 or IPv6 address",
                 cfg->listen_addr);
        return -1;
    }
    if (cfg->database_url[0] == '\0') {
        snprintf(err, err_size, "DATABASE_URL: must not be empty");
        return -1;
    }
    if (cfg->public_url[0] != '\0' && after_http_scheme(cfg->public_url) == NULL) {
        snprintf(err, err_size, "LICENSINGD_PUBLIC_URL: '%s' must start with http:// or https://",
                 cfg->public_url);
        return -1;
    }
    if (validate_edge(cfg, err, err_size) != 0)
        return -1;
    size_t n = strlen(cfg->public_url);
    while (n > 0 && cfg->public_url[n - 1] == '/')
        cfg->public_url[--n] = '\0';
    if (validate_console(cfg, err, err_size) != 0)
        return -1;
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        snprintf(err, err_size, "--tls-cert and --tls-key go together: set both or neither");
        return -1;
    }
    if (cfg->oidc_issuer[0] != '\0' && after_http_scheme(cfg->oidc_issuer) == NULL) {
        snprintf(err, err_size, "LICENSINGD_OIDC_ISSUER: '%s' is not an https:// (or http://) URL",
                 cfg->oidc_issuer);
        return -1;
    }
    if (cfg->db_pool_size == 0)
        cfg->db_pool_size = cfg->http_threads + cfg->http_write_threads + cfg->workers + 2;
    return 0;
}

int config_load(struct config *cfg, config_getenv_fn getenv_fn, int argc, char **argv, char *err,
                size_t err_size)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *value = getenv_fn && options[i].env ? getenv_fn(options[i].env) : NULL;
        if (value != NULL && apply(cfg, &options[i], options[i].env, value, err, err_size) != 0)
            return -1;
    }
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0)
            continue;
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct option_spec *o = NULL;
        for (size_t i = 0; i < N_OPTIONS; i++) {
            if (options[i].flag != NULL && strlen(options[i].flag) == name_len &&
                strncmp(options[i].flag, arg, name_len) == 0) {
                o = &options[i];
                break;
            }
        }
        if (o == NULL) {
            snprintf(err, err_size, "unknown option '%.*s' (see --help)", (int)name_len, arg);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (value == NULL && o->type == OPT_FLAG)
            value = "true"; /* a flag stands alone; --flag=false is still accepted */
        if (value == NULL) {
            if (a + 1 >= argc) {
                snprintf(err, err_size, "%s needs a value", o->flag);
                return -1;
            }
            value = argv[++a];
        }
        if (apply(cfg, o, o->flag, value, err, err_size) != 0)
            return -1;
    }
    return validate(cfg, err, err_size);
}

const char *config_usage(void)
{
    static char text[8192];
    if (text[0] != '\0')
        return text;
    size_t used = 0;
    used += (size_t)snprintf(text + used, sizeof(text) - used, "Options (flag, environment):\n");
    for (size_t i = 0; i < N_OPTIONS && used < sizeof(text); i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "  %-20s %-28s %s\n",
                                 options[i].flag ? options[i].flag : "",
                                 options[i].env ? options[i].env : "", options[i].help);
    return text;
}
