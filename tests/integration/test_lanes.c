/* Reads and writes run on threads of their own (api/lanes.c): a write that waits on a row lock
 * holds a write thread, never the thread a read needs. The server runs with one thread of each, so
 * with one shared pool the read below would wait for the write's lock to be released. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"

#define ADELE "0a1d0000-0000-4000-8000-000000000101"
#define ALEX "0a1d0000-0000-4000-8000-000000000102"

static struct th_server srv;

struct pending_write {
    atomic_int done;
    long status;
};

static void *patch_adele(void *arg)
{
    struct pending_write *w = arg;
    w->status =
        ec_request(&srv, "127.0.0.1", "PATCH", "/v1.0/users/" ADELE,
                   "Content-Type: application/json\r\n", "{\"jobTitle\":\"Lanes\"}", NULL, 0);
    atomic_store(&w->done, 1);
    return NULL;
}

/* Backends of the suite's database waiting for a lock. */
static long lock_waiters(void)
{
    return th_sql_longf(&srv,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
                        " AND wait_event_type = 'Lock'",
                        srv.dbname);
}

START_TEST(a_write_waiting_on_a_lock_does_not_hold_up_reads)
{
    PGconn *c = th_db(&srv);
    PGresult *r = PQexec(c, "BEGIN; SELECT 1 FROM users WHERE id = '" ADELE "' FOR UPDATE");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);

    struct pending_write w = {0};
    pthread_t t;
    pthread_create(&t, NULL, patch_adele, &w);
    /* The write is on its thread, waiting for the row. */
    for (int i = 0; i < 600 && lock_waiters() == 0; i++)
        usleep(50000);
    ck_assert_int_eq(lock_waiters(), 1);

    char out[16384];
    long read = ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users/" ALEX, "", out, sizeof(out));
    ck_assert_msg(read == 200, "%ld %s", read, out);
    ck_assert_ptr_nonnull(strstr(out, ALEX));
    long listed = ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=2", "", NULL, 0);
    ck_assert_int_eq(listed, 200);
    /* Both reads were answered while the write still waited. */
    ck_assert_int_eq(atomic_load(&w.done), 0);

    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    PQfinish(c);
    pthread_join(t, NULL);
    ck_assert_int_eq(w.status, 204);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users WHERE id = '" ADELE
                                       "' AND job_title = 'Lanes'"),
                     1);
}
END_TEST

int main(void)
{
    /* The write waits for the test's lock far longer than the reads take. */
    const char *env[] = {"LICENSINGD_HTTP_THREADS=1",
                         "LICENSINGD_HTTP_WRITE_THREADS=1",
                         "LICENSINGD_DB_LOCK_TIMEOUT_MS=120000",
                         "LICENSINGD_DB_STATEMENT_TIMEOUT_MS=120000",
                         "LICENSINGD_REQUEST_DEADLINE_MS=150000",
                         NULL};
    th_server_start(&srv, "lanes", env);
    ec_load_demo(&srv);

    Suite *s = suite_create("lanes");
    TCase *tc = tcase_create("lanes");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_write_waiting_on_a_lock_does_not_hold_up_reads);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 10000);
}
