/* Deadlines end to end: an expensive $filter cut at the statement timeout, a row lock answered at
 * the lock timeout, and a frozen PostgreSQL (SIGSTOP) answered with 503 within the deadline while
 * /healthz stays fast, with recovery after SIGCONT. Times are printed; only generous bounds are
 * asserted (tests/bench/edge.sh measures them precisely). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define STATEMENT_MS 300
#define DEADLINE_MS 4000
#define ADELE "0a1d0000-0000-4000-8000-000000000101"
#define ALEX "0a1d0000-0000-4000-8000-000000000102"

static struct th_server srv;

/* GET /healthz; the seconds it took, with its status in *status. */
static double timed_healthz(long *status)
{
    double t = ec_now();
    *status = ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0);
    return ec_now() - t;
}

/* 30 endswith() joined by `or`, with $count: a scan of every user per pattern. */
static char *expensive_filter_path(void)
{
    char filter[4096] = "";
    for (int i = 0; i < 30; i++)
        snprintf(filter + strlen(filter), sizeof(filter) - strlen(filter),
                 "%sendswith(displayName,'zz%d')", i ? " or " : "", i);
    char *enc = th_urlencode(filter);
    size_t len = strlen(enc) + 64;
    char *path = malloc(len);
    snprintf(path, len, "/v1.0/users?$count=true&$filter=%s", enc);
    free(enc);
    return path;
}

struct expensive {
    const char *path;
    int n, unavailable, with_retry_after;
    double slowest;
};

static void *run_expensive(void *arg)
{
    struct expensive *e = arg;
    for (int i = 0; i < e->n; i++) {
        char out[8192], v[32];
        double t = ec_now();
        long st = ec_get(&srv, "127.0.0.1", "GET", e->path, "ConsistencyLevel: eventual\r\n", out,
                         sizeof(out));
        double took = ec_now() - t;
        if (took > e->slowest)
            e->slowest = took;
        if (st == 503 && strstr(out, "\"code\":\"ServiceUnavailable\"") != NULL)
            e->unavailable++;
        if (ec_header(out, "Retry-After", v, sizeof(v))[0] != '\0')
            e->with_retry_after++;
    }
    return NULL;
}

START_TEST(expensive_filter_is_cut_at_the_statement_timeout_while_healthz_stays_fast)
{
    th_sql_exec(&srv, "INSERT INTO users (user_principal_name, display_name, mail_nickname,"
                      " account_enabled) SELECT 'bulk' || i || '@contoso.onmicrosoft.com',"
                      " 'Bulk User ' || i, 'b', true FROM generate_series(1, 60000) i");
    char *path = expensive_filter_path();
    struct expensive e[2] = {{path, 4, 0, 0, 0}, {path, 4, 0, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run_expensive, &e[i]);
    double worst = 0;
    int healthy = 0, probes = ec_probes(20);
    double *samples = calloc((size_t)probes, sizeof(double));
    for (int i = 0; i < probes; i++) {
        long st;
        samples[i] = timed_healthz(&st);
        healthy += st == 200;
        if (samples[i] > worst)
            worst = samples[i];
        usleep(probes > 20 ? 2000 : 50000);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    char timing[128];
    ec_percentiles(samples, probes, timing, sizeof(timing));
    free(samples);
    printf("expensive $filter (60,000 users, statement_timeout %d ms): %d/8 cut with 503, slowest "
           "%.0f ms; meanwhile /healthz %d/%d ok, %s\n",
           STATEMENT_MS, e[0].unavailable + e[1].unavailable,
           1000 * (e[0].slowest > e[1].slowest ? e[0].slowest : e[1].slowest), healthy, probes,
           timing);
    ck_assert_int_eq(e[0].unavailable + e[1].unavailable, 8);
    ck_assert_int_eq(e[0].with_retry_after + e[1].with_retry_after, 8);
    ck_assert_double_lt(e[0].slowest, DEADLINE_MS / 1000.0 + 2);
    ck_assert_int_eq(healthy, probes);
    ck_assert_double_lt(worst, 2.0);
    /* A cheap query on the same data still answers. */
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=5", "", NULL, 0), 200);
    free(path);
}
END_TEST

START_TEST(a_held_row_lock_is_answered_503_at_the_lock_timeout)
{
    PGconn *c = th_db(&srv);
    PGresult *r = PQexec(c, "BEGIN; SELECT 1 FROM skus WHERE sku_id = '" E1 "' FOR UPDATE");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    const char *body = "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}";
    char out[8192], v[32];
    double t = ec_now();
    long st = ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users/" ADELE "/assignLicense",
                         "Content-Type: application/json\r\n", body, out, sizeof(out));
    double took = ec_now() - t;
    printf("assignLicense behind a held SKU lock: %ld after %.0f ms (lock_timeout %d ms)\n", st,
           took * 1000, STATEMENT_MS);
    ck_assert_int_eq(st, 503);
    ck_assert_str_ne(ec_header(out, "Retry-After", v, sizeof(v)), "");
    ck_assert_double_lt(took, DEADLINE_MS / 1000.0);
    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    PQfinish(c);
    st = ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users/" ADELE "/assignLicense",
                    "Content-Type: application/json\r\n", body, out, sizeof(out));
    ck_assert_msg(st == 200, "%ld %s", st, out);
}
END_TEST

START_TEST(a_frozen_database_gives_503_within_the_deadline_and_recovers)
{
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1", "", NULL, 0), 200);
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/readyz", "", NULL, 0), 200);
    pid_t watchdog = ec_pg_freeze(40);

    double t = ec_now();
    long users = ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1", "", NULL, 0);
    double users_s = ec_now() - t;
    t = ec_now();
    const char *body = "{\"displayName\":\"Frozen\",\"mailEnabled\":false,\"mailNickname\":\"f\","
                       "\"securityEnabled\":true}";
    long write = ec_request(&srv, "127.0.0.1", "POST", "/v1.0/groups",
                            "Content-Type: application/json\r\n", body, NULL, 0);
    double write_s = ec_now() - t;
    t = ec_now();
    long ready = ec_get(&srv, "127.0.0.1", "GET", "/readyz", "", NULL, 0);
    double ready_s = ec_now() - t;
    long health;
    double health_s = timed_healthz(&health);

    ec_pg_thaw(watchdog);
    t = ec_now();
    long after = 0;
    while (after != 200 && ec_now() - t < 20) {
        after = ec_get(&srv, "127.0.0.1", "GET", "/readyz", "", NULL, 0);
        if (after != 200)
            usleep(100000);
    }
    double recovered_s = ec_now() - t;
    long users_after = ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1", "", NULL, 0);
    printf("frozen PostgreSQL: GET users %ld in %.0f ms, POST groups %ld in %.0f ms, /readyz %ld "
           "in %.0f ms, /healthz %ld in %.0f ms; after SIGCONT /readyz 200 in %.0f ms, users %ld\n",
           users, users_s * 1000, write, write_s * 1000, ready, ready_s * 1000, health,
           health_s * 1000, recovered_s * 1000, users_after);
    ck_assert_int_eq(users, 503);
    ck_assert_int_eq(write, 503);
    ck_assert_double_lt(users_s, DEADLINE_MS / 1000.0 + 2);
    ck_assert_double_lt(write_s, DEADLINE_MS / 1000.0 + 2);
    ck_assert_int_eq(ready, 503);
    ck_assert_double_lt(ready_s, 3.0);
    ck_assert_int_eq(health, 200);
    ck_assert_double_lt(health_s, 2.0);
    ck_assert_int_eq(after, 200);
    ck_assert_int_eq(users_after, 200);
}
END_TEST

int main(void)
{
    char stmt[64], lock[64], deadline[64];
    snprintf(stmt, sizeof(stmt), "LICENSINGD_DB_STATEMENT_TIMEOUT_MS=%d", STATEMENT_MS);
    snprintf(lock, sizeof(lock), "LICENSINGD_DB_LOCK_TIMEOUT_MS=%d", STATEMENT_MS);
    snprintf(deadline, sizeof(deadline), "LICENSINGD_REQUEST_DEADLINE_MS=%d", DEADLINE_MS);
    const char *env[] = {stmt, lock, deadline, NULL};
    th_server_start(&srv, "deadlines", env);
    ec_load_demo(&srv);

    Suite *s = suite_create("deadlines");
    TCase *tc = tcase_create("database");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, expensive_filter_is_cut_at_the_statement_timeout_while_healthz_stays_fast);
    tcase_add_test(tc, a_held_row_lock_is_answered_503_at_the_lock_timeout);
    tcase_add_test(tc, a_frozen_database_gives_503_within_the_deadline_and_recovers);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 10000);
}
