/* The worker under pressure (issue: group-based licensing, done-when): two serve processes racing
 * for seats never oversell and never process a work item twice; kill -9 in the middle of a large
 * group resumes and completes with nothing duplicated. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static struct th_server a, b;

#define PLAN "a1a1a1a1-0000-0000-0000-000000000001"

/* POST /groups/{group}/assignLicense adding sku, through replica a: accepted (202). */
static void assign_to_group(const char *group, const char *sku)
{
    struct th_response r;
    char path[128], body[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", group);
    snprintf(body, sizeof(body), "{\"addLicenses\":[{\"skuId\":\"%s\"}],\"removeLicenses\":[]}",
             sku);
    th_request(&a, "POST", path, body, NULL, &r);
    ck_assert_int_eq(r.status, 202);
    th_response_free(&r);
}

static void wait_complete(const char *group, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        if (th_sql_longf(&a, "SELECT count(*) FROM work_queue") == 0 &&
            th_sql_longf(
                &a,
                "SELECT count(*) FROM groups WHERE id = '%s' AND license_processing_state = "
                "'ProcessingComplete'",
                group) == 1)
            return;
        usleep(100000);
    }
    ck_abort_msg("group %s not complete after %d s", group, seconds);
}

/* Sum of the "claimed N items" the worker logs for each user batch (and each group page that
 * took its members' items), over one server's log. */
static long claimed_in_log(const char *path)
{
    FILE *f = fopen(path, "r");
    long total = 0;
    char line[4096];
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "\"claimed ");
        if (p && (strstr(line, "\"user_batch\"") || strstr(line, "\"group_batch\"")))
            total += atol(p + 9);
    }
    if (f)
        fclose(f);
    return total;
}

struct adder {
    int round, from, to;
};

static void *add_members(void *arg)
{
    struct adder *ad = arg;
    PGconn *c = th_db(&a);
    for (int i = ad->from; i < ad->to; i++) {
        char sql[1024];
        /* One membership change per transaction, as the directory API makes them. */
        snprintf(sql, sizeof(sql),
                 "WITH m AS (INSERT INTO group_members (group_id, member_id, member_type)"
                 " VALUES ('b0000000-0000-0000-0000-%012d', "
                 "'c%07d-0000-0000-0000-%012d', 'user') RETURNING member_id)"
                 " INSERT INTO work_queue (kind, target_id, reason) SELECT 'user', member_id, "
                 "'member added' FROM m; NOTIFY licensingd_work",
                 ad->round, ad->round, i);
        PGresult *r = PQexec(c, sql);
        PQclear(r);
    }
    PQfinish(c);
    return NULL;
}

static atomic_int sampling;
static atomic_long max_seen;

static void *sample_seats(void *arg)
{
    const char *sku = arg;
    PGconn *c = th_db(&a);
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT skus.consumed_units FROM skus WHERE sku_id = '%s'", sku);
    while (atomic_load(&sampling)) {
        PGresult *r = PQexec(c, sql);
        long v = PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : 0;
        PQclear(r);
        if (v > atomic_load(&max_seen))
            atomic_store(&max_seen, v);
        usleep(5000);
    }
    PQfinish(c);
    return NULL;
}

START_TEST(two_replicas_racing_for_500_seats_never_oversell)
{
    enum { ROUNDS = 5, MEMBERS = 2000, SEATS = 500, THREADS = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        char sku[40], group[40];
        snprintf(sku, sizeof(sku), "d0000000-0000-0000-0000-%012d", round);
        snprintf(group, sizeof(group), "b0000000-0000-0000-0000-%012d", round);
        th_sql_execf(
            &a,
            "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', 'RACE', %d);"
            "INSERT INTO sku_service_plans VALUES ('%s', '" PLAN "', 1);"
            "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
            " VALUES ('%s', 'Race %d', 'r', false, true);"
            "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
            " account_enabled, usage_location)"
            " SELECT ('c' || lpad('%d', 7, '0') || '-0000-0000-0000-' || lpad(i::text, 12, "
            "'0'))::uuid,"
            " 'r%d-' || i || '@contoso.com', 'Racer', 'r', true, 'US'"
            " FROM generate_series(0, %d) i",
            sku, SEATS, sku, group, round, round, round, MEMBERS - 1);
        assign_to_group(group, sku);

        long before = claimed_in_log(a.log_path) + claimed_in_log(b.log_path);
        atomic_store(&sampling, 1);
        atomic_store(&max_seen, 0);
        pthread_t sampler, adders[THREADS];
        struct adder args[THREADS];
        pthread_create(&sampler, NULL, sample_seats, sku);
        for (int t = 0; t < THREADS; t++) {
            args[t] = (struct adder){round, t * MEMBERS / THREADS, (t + 1) * MEMBERS / THREADS};
            pthread_create(&adders[t], NULL, add_members, &args[t]);
        }
        for (int t = 0; t < THREADS; t++)
            pthread_join(adders[t], NULL);
        wait_complete(group, 240);
        atomic_store(&sampling, 0);
        pthread_join(sampler, NULL);

        ck_assert_int_le(atomic_load(&max_seen), SEATS);
        long consumed =
            th_sql_longf(&a, "SELECT skus.consumed_units FROM skus WHERE sku_id = '%s'", sku);
        ck_assert_int_eq(consumed, SEATS);
        ck_assert_int_eq(
            th_sql_longf(&a,
                         "SELECT count(*) FROM license_assignment_states WHERE sku_id = '%s'"
                         " AND state = 'Active'",
                         sku),
            consumed);
        ck_assert_int_eq(
            th_sql_longf(&a, "SELECT count(*) FROM user_licenses WHERE sku_id = '%s'", sku),
            consumed);
        ck_assert_int_eq(
            th_sql_longf(&a,
                         "SELECT count(*) FROM license_assignment_states WHERE sku_id = '%s'"
                         " AND error = 'CountViolation'",
                         sku),
            MEMBERS - SEATS);
        /* Every queued membership change was claimed once, by one of the two replicas. */
        usleep(300000); /* the last batch's log line follows its commit */
        long claimed = claimed_in_log(a.log_path) + claimed_in_log(b.log_path) - before;
        ck_assert_int_eq(claimed, MEMBERS);
    }
}
END_TEST

START_TEST(kill_9_mid_group_resumes_and_completes_exactly_once)
{
    enum { MEMBERS = 100000 };
    const char *sku = "e0000000-0000-0000-0000-000000000001";
    const char *group = "e1000000-0000-0000-0000-000000000001";
    th_server_stop(&b, 5000, NULL); /* one replica: the one we kill */
    th_sql_execf(
        &a,
        "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', 'BIG', %d);"
        "INSERT INTO sku_service_plans VALUES ('%s', '" PLAN "', 1);"
        "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
        " VALUES ('%s', 'Everyone', 'e', false, true);"
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,"
        " usage_location) SELECT ('f' || lpad(i::text, 7, '0') || "
        "'-0000-0000-0000-000000000000')::uuid,"
        " 'big' || i || '@contoso.com', 'Big', 'b', true, 'US' FROM generate_series(1, %d) i;"
        "INSERT INTO group_members (group_id, member_id, member_type)"
        " SELECT '%s', id, 'user' FROM users WHERE user_principal_name LIKE 'big%%'",
        sku, 2 * MEMBERS, sku, group, MEMBERS, group);
    assign_to_group(group, sku);
    /* Wait for a few committed batches, then kill without warning. */
    long done = 0;
    for (int i = 0; i < 600 && done < 6000; i++) {
        usleep(50000);
        done = th_sql_longf(
            &a, "SELECT coalesce(max(done), 0) FROM work_queue WHERE target_id = '%s'", group);
    }
    ck_assert_int_ge(done, 6000);
    kill(a.pid, SIGKILL);
    waitpid(a.pid, NULL, 0);
    long mid = th_sql_longf(&a, "SELECT count(*) FROM user_licenses WHERE sku_id = '%s'", sku);
    ck_assert_int_gt(mid, 0);
    ck_assert_int_lt(mid, MEMBERS);
    ck_assert_int_eq(th_sql_longf(&a,
                                  "SELECT count(*) FROM groups WHERE id = '%s' AND "
                                  "license_processing_state = 'ProcessingInProgress'",
                                  group),
                     1);

    th_server_restart(&a, (const char *[]){"LICENSINGD_WORKERS=2", NULL});
    wait_complete(group, 300);
    ck_assert_int_eq(
        th_sql_longf(&a, "SELECT count(*) FROM user_licenses WHERE sku_id = '%s'", sku), MEMBERS);
    ck_assert_int_eq(
        th_sql_longf(&a, "SELECT skus.consumed_units FROM skus WHERE sku_id = '%s'", sku), MEMBERS);
    ck_assert_int_eq(
        th_sql_longf(&a,
                     "SELECT count(*) FROM license_assignment_states WHERE sku_id = '%s' AND"
                     " state = 'Active' AND group_id = '%s'",
                     sku, group),
        MEMBERS);
    ck_assert_int_eq(
        th_sql_longf(&a,
                     "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
                     " 'Start applying group based license to users' AND"
                     " target_resources->0->>'id' = '%s'",
                     group),
        1);
    ck_assert_int_eq(
        th_sql_longf(&a,
                     "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
                     " 'Finish applying group based license to users' AND"
                     " target_resources->0->>'id' = '%s' AND"
                     " target_resources->0->>'displayName' = 'Everyone'",
                     group),
        1);
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_WORKERS=2", NULL};
    th_server_start(&a, "resilience", env);
    th_sql_exec(&a, "INSERT INTO organization (display_name, country_letter_code) VALUES "
                    "('Contoso', 'US');"
                    "INSERT INTO service_plans (id, name) VALUES ('" PLAN "', 'PLAN_A')");
    /* A second replica on the same database, with its own log. */
    b = a;
    size_t len = strlen(a.log_path);
    if (len + 3 > sizeof(b.log_path))
        return EXIT_FAILURE;
    memcpy(b.log_path + len, ".b", 3);
    th_server_restart(&b, env);

    Suite *s = suite_create("worker_resilience");
    TCase *tc = tcase_create("replicas");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, two_replicas_racing_for_500_seats_never_oversell);
    tcase_add_test(tc, kill_9_mid_group_resumes_and_completes_exactly_once);
    suite_add_tcase(s, tc);
    /* The tests stop and restart the servers; only a's exit status counts. */
    int status = th_run_suite(s, CK_NOFORK, &a, 8000);
    if (b.pid)
        th_server_stop(&b, 8000, NULL);
    return status;
}
