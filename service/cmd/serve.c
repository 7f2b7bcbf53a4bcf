/* Start-up, signal handling and orderly shutdown of `licensingd serve`. */
#include "service/cmd/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/http.h"
#include "db/db.h"
#include "db/probe.h"
#include "service/auth/token.h"
#include "service/base/http_client.h"
#include "service/base/log.h"
#include "service/notify.h"
#include "service/retention.h"
#include "service/worker.h"

int server_migrate(const struct config *cfg)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_connect(cfg->database_url, &err);
    if (conn == NULL) {
        log_event(LOG_ERROR, "migrate_failed", "cannot connect to the database: %s", err.message);
        return 1;
    }
    unsigned applied = 0;
    int rc = db_migrate(conn, &applied, &err);
    db_disconnect(conn);
    if (rc != 0) {
        log_event(LOG_ERROR, "migrate_failed", "%s", err.message);
        return 1;
    }
    log_event(LOG_INFO, "migrate_done", "%u applied, %u known", applied, db_migrations_count);
    return 0;
}

/* The token verifier, or NULL with *failed = 0 under --insecure-no-auth. What is configured is
 * logged; the secret itself never is. */
static struct token_verifier *open_tokens(const struct config *cfg, int *failed)
{
    *failed = 0;
    if (cfg->insecure_no_auth) {
        log_event(LOG_WARN, "auth_disabled",
                  "--insecure-no-auth: every request is accepted without a token; never expose "
                  "this server to anyone you do not trust");
        return NULL;
    }
    struct lic_error err;
    lic_error_clear(&err);
    struct token_verifier *v = token_verifier_open(cfg, &err);
    if (v == NULL) {
        log_event(LOG_ERROR, "start_failed", "%s", err.message);
        *failed = 1;
        return NULL;
    }
    log_event(LOG_INFO, "auth_enabled", "bearer tokens: %s%s%s%s%s%s%s",
              cfg->jwt_secret[0] ? "HS256 (shared secret) " : "",
              cfg->jwks_file[0] ? "JWKS file " : "", cfg->jwks_file,
              cfg->oidc_issuer[0] ? " OIDC issuer " : "", cfg->oidc_issuer,
              cfg->jwt_audience[0] ? " audience " : "", cfg->jwt_audience);
    return v;
}

/* /readyz waits at most this long to connect and for a ping's answer. */
#define READY_WAIT_MS 1000

int server_run(const struct config *cfg)
{
    /* Block the stop signals in every thread we start; the main thread waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (http_client_global_init() != 0) {
        log_event(LOG_ERROR, "start_failed", "cannot initialise libcurl");
        return 1;
    }

    int failed = 0;
    struct token_verifier *tokens = open_tokens(cfg, &failed);
    if (failed || (cfg->migrate_on_start && server_migrate(cfg) != 0)) {
        token_verifier_close(tokens);
        return 1;
    }

    struct db_pool *pool = db_pool_open(cfg->database_url, cfg->db_pool_size);
    if (pool == NULL) {
        log_event(LOG_ERROR, "start_failed", "cannot allocate the connection pool");
        token_verifier_close(tokens);
        return 1;
    }
    db_pool_set_timeouts(pool, cfg->db_statement_timeout_ms, cfg->db_lock_timeout_ms);
    struct db_probe *probe = db_probe_open(cfg->database_url, READY_WAIT_MS);
    if (probe == NULL) {
        log_event(LOG_ERROR, "start_failed", "cannot allocate the readiness probe");
        db_pool_close(pool);
        token_verifier_close(tokens);
        return 1;
    }
    struct api_app app = {.cfg = cfg, .pool = pool, .probe = probe, .tokens = tokens};
    struct lic_error err;
    lic_error_clear(&err);
    struct api_server *server = api_server_start(&app, &err);
    struct worker_pool *workers = NULL;
    if (server == NULL) {
        log_event(LOG_ERROR, "start_failed", "%s", err.message);
        goto fail;
    }
    workers = worker_pool_start(cfg);
    if (workers == NULL) {
        log_event(LOG_ERROR, "start_failed", "cannot start the reconciliation workers");
        api_server_stop(server, 0);
        goto fail;
    }
    struct notify_sender *notifications = notify_start(cfg);
    if (notifications == NULL) {
        log_event(LOG_ERROR, "start_failed", "cannot start the notification sender");
        worker_pool_stop(workers);
        api_server_stop(server, 0);
        goto fail;
    }
    struct retention *retention = retention_start(cfg);
    if (retention == NULL)
        log_event(LOG_WARN, "retention_not_started", "cannot start the audit retention thread");
    log_event(
        LOG_INFO, "started",
        "listening on %s://%s:%u with %u read and %u write threads, %u connections, %u workers",
        cfg->tls_cert[0] ? "https" : "http", cfg->listen_addr, cfg->port, cfg->http_threads,
        cfg->http_write_threads, cfg->db_pool_size, cfg->workers);

    int sig = 0;
    sigwait(&stop, &sig);
    log_event(LOG_INFO, "stopping", "signal %d: finishing in-flight requests", sig);
    api_server_stop(server, cfg->shutdown_seconds);
    notify_stop(notifications);
    worker_pool_stop(workers);
    retention_stop(retention);
    db_probe_close(probe);
    db_pool_close(pool);
    token_verifier_close(tokens);
    log_event(LOG_INFO, "stopped", NULL);
    return 0;
fail:
    db_probe_close(probe);
    db_pool_close(pool);
    token_verifier_close(tokens);
    return 1;
}
