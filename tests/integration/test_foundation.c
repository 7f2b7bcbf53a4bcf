/* Foundation, end to end: health, readiness through a database outage, Graph error envelopes,
 * request ids, body limit, migrations (idempotent, concurrent) and clean shutdown. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static struct th_server srv;

static int is_uuid(const char *s)
{
    regex_t re;
    regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            REG_EXTENDED | REG_NOSUB);
    int ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void assert_envelope(const struct th_response *r, const char *code, const char *rid)
{
    json_t *e = json_object_get(r->json, "error");
    ck_assert_msg(json_is_object(e), "no error object in %s", r->body);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    ck_assert(json_string_length(json_object_get(e, "message")) > 0);
    json_t *inner = json_object_get(e, "innerError");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "request-id")), rid);
    const char *date = json_string_value(json_object_get(inner, "date"));
    ck_assert_ptr_nonnull(date);
    ck_assert_uint_eq(strlen(date), 19); /* 2022-02-14T13:27:37: no zone, no fraction */
    ck_assert_ptr_nonnull(json_object_get(inner, "client-request-id"));
    char type[128];
    th_header(r, "Content-Type", type, sizeof(type));
    ck_assert_str_eq(type, "application/json");
}

START_TEST(healthz_answers_200_with_generated_request_id)
{
    struct th_response r;
    th_request(&srv, "GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
    char rid[128], cid[128];
    th_header(&r, "request-id", rid, sizeof(rid));
    th_header(&r, "client-request-id", cid, sizeof(cid));
    ck_assert_msg(is_uuid(rid), "request-id '%s'", rid);
    ck_assert_str_eq(cid, rid);
    th_response_free(&r);

    th_request(&srv, "GET", "/healthz", NULL, NULL, &r);
    char rid2[128];
    th_header(&r, "request-id", rid2, sizeof(rid2));
    ck_assert_str_ne(rid, rid2);
    th_response_free(&r);
}
END_TEST

START_TEST(client_request_id_is_echoed_in_header_and_error)
{
    const char *h[] = {"client-request-id: 77e0ed26-aaaa-bbbb-cccc-0123456789ab", NULL};
    struct th_response r;
    th_request(&srv, "GET", "/nope", NULL, h, &r);
    ck_assert_int_eq(r.status, 404);
    char cid[128], rid[128];
    th_header(&r, "client-request-id", cid, sizeof(cid));
    th_header(&r, "request-id", rid, sizeof(rid));
    ck_assert_str_eq(cid, "77e0ed26-aaaa-bbbb-cccc-0123456789ab");
    assert_envelope(&r, "Request_ResourceNotFound", rid);
    json_t *inner = json_object_get(json_object_get(r.json, "error"), "innerError");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "client-request-id")), cid);
    th_response_free(&r);
}
END_TEST

START_TEST(unknown_path_is_graph_404)
{
    const char *paths[] = {"/nope", "/", "/healthz/extra", "/%ff%fe"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct th_response r;
        th_request(&srv, "GET", paths[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 404, "%s -> %ld", paths[i], r.status);
        char rid[128];
        th_header(&r, "request-id", rid, sizeof(rid));
        assert_envelope(&r, "Request_ResourceNotFound", rid);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct th_response r;
    th_request(&srv, "DELETE", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    char allow[128], rid[128];
    th_header(&r, "Allow", allow, sizeof(allow));
    ck_assert_str_eq(allow, "GET, HEAD");
    th_header(&r, "request-id", rid, sizeof(rid));
    assert_envelope(&r, "Request_BadRequest", rid);
    th_response_free(&r);
}
END_TEST

START_TEST(oversized_body_is_413_envelope)
{
    char *big = malloc(4096 + 1);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    struct th_response r;
    th_request(&srv, "POST", "/healthz", big, NULL, &r);
    ck_assert_int_eq(r.status, 413);
    char rid[128];
    th_header(&r, "request-id", rid, sizeof(rid));
    assert_envelope(&r, "Request_EntityTooLarge", rid);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
               "2048 bytes"));
    th_response_free(&r);

    /* Under the limit, the same path answers normally (405: POST is not a healthz method). */
    big[1000] = '\0';
    th_request(&srv, "POST", "/healthz", big, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    th_response_free(&r);

    /* Chunked upload: no Content-Length, so the limit is enforced while reading (on a route that
     * takes a body: a path that refuses POST answers 405 before reading anything). */
    big[1000] = 'x';
    const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
    th_request(&srv, "POST", "/v1.0/users", big, chunked, &r);
    ck_assert_int_eq(r.status, 413);
    th_response_free(&r);
    free(big);

    /* The server still serves after refusing. */
    th_request(&srv, "GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}
END_TEST

START_TEST(readyz_follows_the_database_without_restart)
{
    struct th_response r;
    th_request(&srv, "GET", "/readyz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);

    th_pg_stop();
    th_request(&srv, "GET", "/readyz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 503);
    char rid[128];
    th_header(&r, "request-id", rid, sizeof(rid));
    assert_envelope(&r, "ServiceUnavailable", rid);
    th_response_free(&r);
    th_request(&srv, "GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200); /* the process is up even when the database is not */
    th_response_free(&r);

    th_pg_start();
    th_request(&srv, "GET", "/readyz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}
END_TEST

static int run_binary(const char *const *env, const char *arg1, char *out, size_t size)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        const char *bin = getenv("LICENSINGD_BIN");
        execl(bin, bin, arg1, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t n;
    while (used + 1 < size && (n = read(fds[0], out + used, size - used - 1)) > 0)
        used += (size_t)n;
    out[used] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *fingerprint_sql =
    "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
    " SELECT table_name || '.' || column_name || ':' || data_type AS x"
    "   FROM information_schema.columns WHERE table_schema = 'public'"
    " UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    " UNION ALL SELECT version FROM schema_migrations) s";

static char *fingerprint(void)
{
    PGconn *c = th_db(&srv);
    PGresult *res = PQexec(c, fingerprint_sql);
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    char *fp = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);
    return fp;
}

START_TEST(migrating_twice_changes_nothing)
{
    char env_db[600];
    snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s", srv.conninfo);
    const char *env[] = {env_db, NULL};
    long before = th_sql_long(&srv, "SELECT count(*) FROM schema_migrations");
    ck_assert_int_gt(before, 0);
    char *fp1 = fingerprint();
    char out[4096];
    ck_assert_int_eq(run_binary(env, "migrate", out, sizeof(out)), 0);
    ck_assert_msg(strstr(out, "\"0 applied") != NULL, "%s", out);
    ck_assert_int_eq(run_binary(env, "migrate", out, sizeof(out)), 0);
    char *fp2 = fingerprint();
    ck_assert_str_eq(fp1, fp2);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM schema_migrations"), before);
    free(fp1);
    free(fp2);
}
END_TEST

START_TEST(replicas_migrating_together_apply_each_migration_once)
{
    th_sql_exec(&srv, "DROP DATABASE IF EXISTS licensingd_race");
    th_sql_exec(&srv, "CREATE DATABASE licensingd_race");
    /* In a conninfo string a repeated keyword overrides the earlier one. */
    char env_db[700];
    snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s dbname=licensingd_race", srv.conninfo);
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            putenv(env_db);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 2);
            const char *bin = getenv("LICENSINGD_BIN");
            execl(bin, bin, "migrate", (char *)NULL);
            _exit(127);
        }
    }
    for (int i = 0; i < 4; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    PGconn *c = PQconnectdb(env_db + strlen("DATABASE_URL="));
    PGresult *res = PQexec(c, "SELECT count(*), count(DISTINCT version) FROM schema_migrations");
    ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    ck_assert_int_eq(atoi(PQgetvalue(res, 0, 0)),
                     (int)th_sql_long(&srv, "SELECT count(*) FROM schema_migrations"));
    PQclear(res);
    PQfinish(c);
}
END_TEST

START_TEST(bad_setting_stops_startup_with_one_line)
{
    const char *env[] = {"PORT=eighty", NULL};
    char out[1024];
    ck_assert_int_eq(run_binary(env, "serve", out, sizeof(out)), 2);
    ck_assert_str_eq(out, "licensingd: PORT: 'eighty' is not a whole number from 1 to 65535\n");
    ck_assert_int_eq(run_binary(NULL, "--version", out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "licensingd "));
    ck_assert_int_eq(run_binary(NULL, "--help", out, sizeof(out)), 0);
    ck_assert_ptr_nonnull(strstr(out, "DATABASE_URL"));
    ck_assert_int_eq(run_binary(NULL, "frobnicate", out, sizeof(out)), 2);
}
END_TEST

START_TEST(sigterm_exits_zero_within_five_seconds)
{
    struct th_server s2 = srv;
    th_server_restart(&s2, NULL);
    struct th_response r;
    th_request(&s2, "GET", "/readyz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    long ms = 0;
    int code = th_server_stop(&s2, 5000, &ms);
    ck_assert_int_eq(code, 0);
    ck_assert_int_lt(ms, 5000);
    /* The port is released: nothing answers any more. */
    th_request(&s2, "GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, -1);
    th_response_free(&r);
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_MAX_BODY_BYTES=2048", NULL};
    th_server_start(&srv, "foundation", env);

    Suite *s = suite_create("foundation_http");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, healthz_answers_200_with_generated_request_id);
    tcase_add_test(tc, client_request_id_is_echoed_in_header_and_error);
    tcase_add_test(tc, unknown_path_is_graph_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, oversized_body_is_413_envelope);
    tcase_add_test(tc, readyz_follows_the_database_without_restart);
    suite_add_tcase(s, tc);
    tc = tcase_create("process");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, migrating_twice_changes_nothing);
    tcase_add_test(tc, replicas_migrating_together_apply_each_migration_once);
    tcase_add_test(tc, bad_setting_stops_startup_with_one_line);
    tcase_add_test(tc, sigterm_exits_zero_within_five_seconds);
    suite_add_tcase(s, tc);

    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
