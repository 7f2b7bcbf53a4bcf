/* A group assignLicense?dryRun=true over a large group holds no lock that delays a direct
 * assignment of the same SKU: both run at once and the direct one answers first. (The dry run's
 * stored intent takes a foreign-key KEY SHARE on the SKU row for its whole length; seat writers
 * lock SKU rows FOR NO KEY UPDATE, which that does not block.) */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define ADELE "0a1d0000-0000-4000-8000-000000000101"
#define BIG "b1900000-0000-4000-8000-000000000001"
#define MEMBERS 80000

static struct th_server srv;

struct timed {
    long status;
    double started, took;
};

static void *dry_run(void *arg)
{
    struct timed *t = arg;
    t->started = ec_now();
    t->status =
        ec_request(&srv, "127.0.0.1", "POST", "/v1.0/groups/" BIG "/assignLicense?dryRun=true",
                   "Content-Type: application/json\r\n",
                   "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", NULL, 0);
    t->took = ec_now() - t->started;
    return NULL;
}

START_TEST(a_dry_run_over_a_large_group_does_not_delay_a_direct_assignment)
{
    th_sql_exec(
        &srv, "UPDATE skus SET prepaid_enabled = 1000000 WHERE sku_id = '" E3 "';"
              "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
              " VALUES ('" BIG "', 'Big', 'big', false, true);"
              "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
              " account_enabled, usage_location)"
              " SELECT ('b2000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,"
              " 'big' || i || '@contoso.onmicrosoft.com', 'Big ' || i, 'b', true, 'US'"
              " FROM generate_series(1, 80000) i;"
              "INSERT INTO group_members (group_id, member_id, member_type)"
              " SELECT '" BIG "', ('b2000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,"
              " 'user' FROM generate_series(1, 80000) i");
    struct timed dry = {0};
    pthread_t t;
    pthread_create(&t, NULL, dry_run, &dry);
    usleep(500000);
    double s = ec_now();
    long direct =
        ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users/" ADELE "/assignLicense",
                   "Content-Type: application/json\r\n",
                   "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", NULL, 0);
    double direct_took = ec_now() - s;
    double direct_done = ec_now();
    pthread_join(t, NULL);
    printf("dry run over %d members: %ld in %.0f ms; direct assignment of the same SKU started "
           "500 ms in: %ld in %.0f ms, %s the dry run ended\n",
           MEMBERS, dry.status, dry.took * 1000, direct, direct_took * 1000,
           direct_done < dry.started + dry.took ? "before" : "after");
    fflush(stdout);
    ck_assert_int_eq(dry.status, 200);
    ck_assert_int_eq(direct, 200);
    ck_assert(direct_done < dry.started + dry.took);
}
END_TEST

int main(void)
{
    /* A long lock timeout: a blocked assignment would wait (and be slow), not fail fast. */
    const char *env[] = {"LICENSINGD_DB_LOCK_TIMEOUT_MS=60000", NULL};
    th_server_start(&srv, "dry_run", env);
    ec_load_demo(&srv);
    Suite *s = suite_create("dry_run");
    TCase *tc = tcase_create("locks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_dry_run_over_a_large_group_does_not_delay_a_direct_assignment);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 10000);
}
