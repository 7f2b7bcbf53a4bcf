/* Integration-test harness: a fresh database, a real build/licensingd process, HTTP via libcurl. */
#ifndef LICENSINGD_TEST_HARNESS_H
#define LICENSINGD_TEST_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sys/types.h>

#include "service/base/guid.h"

struct th_server {
    pid_t pid;
    int port;
    char dbname[64];
    char conninfo[512];
    char log_path[256];
    char base[64]; /* http://127.0.0.1:PORT */
};

struct th_response {
    long status;
    char *body;         /* owned, NUL-terminated */
    json_t *json;       /* owned; NULL when the body is not JSON */
    char headers[8192]; /* raw header block */
};

/* Every server the harness starts verifies HS256 tokens with this secret (a suite may pass
 * "LICENSINGD_JWT_SECRET=" in extra_env to start one without it). */
#define TH_SECRET "integration-tests-secret-0123456789abcdef"

/* Every request carries "Authorization: Bearer <a token with every permission as application
 * roles>" unless its headers name Authorization themselves: "Authorization:" (nothing after the
 * colon) sends none, "Authorization: Bearer ..." another one. */

/* An HS256 token signed with TH_SECRET: delegated scopes (names space-separated) when scopes is
 * not NULL, else application roles; valid from now for ttl seconds (negative: already expired).
 * Owned: caller frees. */
char *th_token(const char *scopes, const char *roles, long ttl);

/* "Authorization: Bearer <token>" for a headers array; owned: caller frees. */
char *th_bearer(const char *token);

/* Creates database licensingd_<suite>_<pid> in the test cluster (LICENSINGD_TEST_PGDIR) and starts
 * $LICENSINGD_BIN serve on a free port with extra_env ("NAME=value", NULL-terminated, may be
 * NULL); waits until /healthz answers. Aborts the test program on failure. */
void th_server_start(struct th_server *s, const char *suite, const char *const *extra_env);

/* Starts the binary again on the same database (after th_server_stop). */
void th_server_restart(struct th_server *s, const char *const *extra_env);

/* SIGTERM, then waits up to timeout_ms; returns the exit status (or -1 if it had to be killed)
 * and the milliseconds it took in *elapsed_ms (may be NULL). */
int th_server_stop(struct th_server *s, int timeout_ms, long *elapsed_ms);

/* Sends one request; headers is NULL-terminated "Name: value" (may be NULL). */
void th_request(const struct th_server *s, const char *method, const char *path, const char *body,
                const char *const *headers, struct th_response *out);
void th_response_free(struct th_response *r);

/* A response header's value copied into out ("" if absent). Case-insensitive name. */
const char *th_header(const struct th_response *r, const char *name, char *out, size_t size);

/* The Graph error code of an error response, or "". */
const char *th_error_code(const struct th_response *r);

/* A direct connection to the suite's database, for arranging and checking state. */
PGconn *th_db(const struct th_server *s);
/* Runs SQL (no parameters, test-owned text) and returns the first column of the first row as a
 * long (0 when no rows). Aborts on error. */
long th_sql_long(const struct th_server *s, const char *sql);
void th_sql_exec(const struct th_server *s, const char *sql);
/* The same with the SQL built by printf from test-owned values. */
long th_sql_longf(const struct th_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void th_sql_execf(const struct th_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs every test of suite with fork_status (CK_FORK_GETENV, Check's default, or CK_NOFORK for
 * tests that stop and restart the server themselves), then stops srv if it is still running,
 * waiting up to stop_timeout_ms. Returns the program's exit status: EXIT_SUCCESS only when every
 * test passed and licensingd exited 0. */
int th_run_suite(Suite *suite, enum fork_status fork_status, struct th_server *srv,
                 int stop_timeout_ms);

/* Stops and starts the test cluster itself (readiness during an outage). */
void th_pg_stop(void);
void th_pg_start(void);

/* Percent-encodes text for use in a query string; owned by caller (free). */
char *th_urlencode(const char *text);

#endif
