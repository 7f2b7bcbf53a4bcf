/* Three licensing behaviours the requirements document fixes (issue 12): a direct assignment needs
 * the user's own usage location; the concurrency exception is recorded on the user; and who gets
 * the last seats is decided by membership order, whatever the number of workers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, provisions_mailbox, unavailable_in_countries)"
    " VALUES ('" EXO1 "', 'EXCHANGE_S_STANDARD', true, '{}'),"
    " ('" SPO1 "', 'SHAREPOINTSTANDARD', false, '{}'), ('" TEAMS "', 'TEAMS1', false, '{}');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
    " ('" E1 "', 'STANDARDPACK', 100000);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" EXO1 "', 1), ('" E1 "', '" SPO1 "', 2),"
    " ('" E1 "', '" TEAMS "', 3);";

/* Users and groups are arranged with SQL; memberships go through the API, which queues the
 * member for the worker as an administrator's change does. */
static void make_user(const struct th_server *s, const char *id, const char *upn,
                      const char *location)
{
    th_sql_execf(
        s,
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,"
        " usage_location) VALUES ('%s', '%s', '%s', 'x', true, %s%s%s)",
        id, upn, upn, location ? "'" : "", location ? location : "NULL", location ? "'" : "");
}

static void make_group(const struct th_server *s, const char *id, const char *name)
{
    th_sql_execf(
        s,
        "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
        " VALUES ('%s', '%s', 'g', false, true)",
        id, name);
}

static void add_member(const struct th_server *s, const char *group, const char *user)
{
    char path[160], body[200];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", group);
    snprintf(body, sizeof(body),
             "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}", user);
    struct th_response r;
    th_request(s, "POST", path, body, NULL, &r);
    ck_assert_msg(r.status == 204, "add %s to %s: %ld %s", user, group, r.status, r.body);
    th_response_free(&r);
}

static void assign_to_group(const struct th_server *s, const char *group, const char *sku)
{
    char path[160], body[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", group);
    snprintf(body, sizeof(body), "{\"addLicenses\":[{\"skuId\":\"%s\"}],\"removeLicenses\":[]}",
             sku);
    struct th_response r;
    th_request(s, "POST", path, body, NULL, &r);
    ck_assert_msg(r.status == 202, "assign %s to %s: %ld %s", sku, group, r.status, r.body);
    th_response_free(&r);
}

/* Waits until the group is ProcessingComplete and the queue is drained. */
static void wait_idle(const struct th_server *s, const char *group)
{
    for (int i = 0; i < 1200; i++) {
        if (th_sql_longf(s, "SELECT count(*) FROM work_queue") == 0 &&
            th_sql_longf(s,
                         "SELECT count(*) FROM groups WHERE id = '%s' AND "
                         "license_processing_state = 'ProcessingComplete'",
                         group) == 1)
            return;
        usleep(50000);
    }
    ck_abort_msg("the worker did not finish group %s in 60 s", group);
}

static const char *message_of(const struct th_response *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    return m ? m : "";
}

START_TEST(direct_assignment_needs_the_users_own_usage_location)
{
    const char *u = "51000000-0000-0000-0000-000000000001";
    const char *g = "5a000000-0000-0000-0000-000000000001";
    make_user(&srv, u, "nolocation@contoso.com", NULL);
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/users/51000000-0000-0000-0000-000000000001/assignLicense",
               "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", NULL, &r);
    ck_assert_msg(r.status == 400, "%ld %s", r.status, r.body);
    ck_assert_str_eq(th_error_code(&r), "Request_BadRequest");
    ck_assert_str_eq(message_of(&r),
                     "License assignment cannot be done for user with invalid usage location.");
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", u), 0);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'",
                     u),
        0);
    /* Through a group the organization's country applies (the document's Note). */
    make_group(&srv, g, "No location");
    add_member(&srv, g, u);
    assign_to_group(&srv, g, E1);
    wait_idle(&srv, g);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE user_id = "
                                  "'%s' AND group_id = '%s' AND state = 'Active'",
                                  u, g),
                     1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM users WHERE id = '%s' AND usage_location "
                                  "IS NULL",
                                  u),
                     1); /* licensing never writes usageLocation */
}
END_TEST

/* The LicenseAssignmentAttributeConcurrencyException records whose target is user. */
static long concurrency_records_on(const char *user)
{
    return th_sql_longf(&srv,
                        "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
                        " 'LicenseAssignmentAttributeConcurrencyException' AND"
                        " target_resources @> '[{\"id\": \"%s\", \"type\": \"User\"}]'",
                        user);
}

START_TEST(concurrency_exception_is_recorded_on_each_user)
{
    const char *g = "5a000000-0000-0000-0000-000000000002";
    const char *held[] = {"52000000-0000-0000-0000-000000000001",
                          "52000000-0000-0000-0000-000000000002"};
    const char *free_user = "52000000-0000-0000-0000-000000000003";
    make_group(&srv, g, "Contended");
    make_user(&srv, held[0], "held1@contoso.com", "US");
    make_user(&srv, held[1], "held2@contoso.com", "US");
    make_user(&srv, free_user, "free@contoso.com", "US");
    add_member(&srv, g, held[0]);
    add_member(&srv, g, held[1]);
    add_member(&srv, g, free_user);
    for (int i = 0; i < 600 && th_sql_long(&srv, "SELECT count(*) FROM work_queue") > 0; i++)
        usleep(50000);
    long before = th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE "
                                    "activity_display_name = "
                                    "'LicenseAssignmentAttributeConcurrencyException'");
    /* Another transaction holds two of the members while the group is processed. */
    PGconn *holder = th_db(&srv);
    char sql[256];
    snprintf(sql, sizeof(sql), "BEGIN; SELECT id FROM users WHERE id IN ('%s', '%s') FOR UPDATE",
             held[0], held[1]);
    PQclear(PQexec(holder, sql));
    assign_to_group(&srv, g, E1);
    usleep(1500000);
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    wait_idle(&srv, g);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE group_id ="
                                  " '%s' AND state = 'Active'",
                                  g),
                     3);
    /* One record per affected user, the user as its target, the group in the details. */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE "
                                       "activity_display_name = "
                                       "'LicenseAssignmentAttributeConcurrencyException'"),
                     before + 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(concurrency_records_on(held[i]), 1);
        ck_assert_int_eq(th_sql_longf(&srv,
                                      "SELECT count(*) FROM directory_audits WHERE "
                                      "activity_display_name = "
                                      "'LicenseAssignmentAttributeConcurrencyException' AND "
                                      "target_resources->0->>'id' = '%s' AND "
                                      "target_resources->0->>'userPrincipalName' = "
                                      "'held%d@contoso.com' AND additional_details::text LIKE "
                                      "'%%%s%%'",
                                      held[i], i + 1, g),
                         1);
    }
    ck_assert_int_eq(concurrency_records_on(free_user), 0);
    /* Found where an administrator looks: the audit log filtered on the user. */
    char path[400];
    snprintf(path, sizeof(path),
             "/v1.0/auditLogs/directoryAudits?$filter=targetResources/any(t:t/id%%20eq%%20'%s')",
             held[0]);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    json_t *j_value = json_object_get(r.json, "value");
    int found = 0;
    size_t i;
    json_t *j_rec;
    json_array_foreach(j_value, i, j_rec)
    {
        const char *activity = json_string_value(json_object_get(j_rec, "activityDisplayName"));
        found +=
            activity && strcmp(activity, "LicenseAssignmentAttributeConcurrencyException") == 0;
        /* Every record the filter returns names the user among its targets. */
        int names_user = 0;
        size_t k;
        json_t *j_target;
        json_array_foreach(json_object_get(j_rec, "targetResources"), k, j_target)
        {
            const char *id = json_string_value(json_object_get(j_target, "id"));
            names_user |= id && strcmp(id, held[0]) == 0;
        }
        ck_assert(names_user);
    }
    ck_assert_int_eq(found, 1);
    th_response_free(&r);
    /* Only eq and in, on quoted ids: the rest is Graph's 400, never a 500. */
    const char *bad[] = {"targetResources/any(t:t/id%20ne%20'x')",
                         "targetResources/any(t:startswith(t/id,'x'))",
                         "targetResources/any(t:t/id%20eq%20true)"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", bad[k]);
        th_request(&srv, "GET", path, NULL, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: %ld %s", bad[k], r.status, r.body);
        th_response_free(&r);
    }
}
END_TEST

/* Sum of the "claimed N items" lines of one kind (user_batch, group_batch) in the server's log. */
static long claimed_in_log(const struct th_server *s, const char *kind)
{
    FILE *f = fopen(s->log_path, "r");
    long total = 0;
    char line[4096], tag[64];
    snprintf(tag, sizeof(tag), "\"%s\"", kind);
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "\"claimed ");
        if (p && strstr(line, tag))
            total += atol(p + 9);
    }
    if (f)
        fclose(f);
    return total;
}

START_TEST(member_work_waits_for_the_group_job_which_takes_it)
{
    enum { MEMBERS = 20 };
    const char *g = "5a000000-0000-0000-0000-000000000003";
    char ids[MEMBERS][GUID_SIZE];
    make_group(&srv, g, "Waiting");
    for (int i = 0; i < MEMBERS; i++) {
        char upn[64];
        snprintf(ids[i], GUID_SIZE, "53000000-0000-0000-0000-%012d", i);
        snprintf(upn, sizeof(upn), "waiting%d@contoso.com", i);
        make_user(&srv, ids[i], upn, "US");
        th_sql_execf(&srv,
                     "INSERT INTO group_members (group_id, member_id, member_type) VALUES ('%s',"
                     " '%s', 'user')",
                     g, ids[i]);
    }
    /* The group's job is held on its first member; meanwhile every member's own work arrives. */
    PGconn *holder = th_db(&srv);
    char sql[256];
    snprintf(sql, sizeof(sql), "BEGIN; SELECT id FROM users WHERE id = '%s' FOR UPDATE", ids[0]);
    PQclear(PQexec(holder, sql));
    assign_to_group(&srv, g, E1);
    long users_before = claimed_in_log(&srv, "user_batch");
    long group_before = claimed_in_log(&srv, "group_batch");
    th_sql_execf(&srv,
                 "INSERT INTO work_queue (kind, target_id, reason) SELECT 'user', member_id, "
                 "'test' FROM group_members WHERE group_id = '%s' ORDER BY member_seq;"
                 "NOTIFY licensingd_work",
                 g);
    /* The workers set it aside for the job (parked), instead of racing the job for seats. */
    long parked = 0;
    for (int i = 0; i < 200 && parked < MEMBERS; i++) {
        usleep(50000);
        parked = th_sql_longf(&srv,
                              "SELECT count(*) FROM work_queue WHERE kind = 'user' AND run_after"
                              " = 'infinity' AND target_id IN (SELECT member_id FROM "
                              "group_members WHERE group_id = '%s')",
                              g);
    }
    ck_assert_int_eq(parked, MEMBERS);
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    wait_idle(&srv, g);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE group_id ="
                                  " '%s' AND state = 'Active'",
                                  g),
                     MEMBERS);
    /* The job's evaluation covered the members' work: it took their items, nothing ran twice. */
    usleep(300000); /* a batch's log line follows its commit */
    ck_assert_int_eq(claimed_in_log(&srv, "group_batch") - group_before, MEMBERS);
    ck_assert_int_eq(claimed_in_log(&srv, "user_batch") - users_before, 0);
}
END_TEST

START_TEST(parked_work_no_group_job_awaits_is_released_by_the_sweep)
{
    /* Work parked for a job that is gone (finished elsewhere, or failing) runs after all. */
    const char *u = "54000000-0000-0000-0000-000000000001";
    make_user(&srv, u, "parked@contoso.com", "US");
    th_sql_execf(&srv,
                 "INSERT INTO work_queue (kind, target_id, reason, run_after) VALUES ('user', '%s',"
                 " 'test', 'infinity')",
                 u);
    long left = 1;
    for (int i = 0; i < 200 && left > 0; i++) {
        usleep(50000);
        left = th_sql_longf(&srv, "SELECT count(*) FROM work_queue WHERE target_id = '%s'", u);
    }
    ck_assert_int_eq(left, 0);
}
END_TEST

/* One trial: members 1..30 join a group one by one (their worker items may still be queued),
 * then a 10-seat product is assigned to the group at once. User ids run against membership
 * order, so only membership order can pick the first ten. Returns how many of the first ten
 * members hold a seat (10 when the order held). */
static int seat_order_trial(const struct th_server *s, int trial)
{
    enum { MEMBERS = 30, SEATS = 10 };
    char sku[GUID_SIZE], group[GUID_SIZE], ids[MEMBERS][GUID_SIZE];
    snprintf(sku, sizeof(sku), "5c000000-0000-0000-0000-%012d", trial);
    snprintf(group, sizeof(group), "5b000000-0000-0000-0000-%012d", trial);
    th_sql_execf(s,
                 "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', "
                 "'ORDER%d', %d);"
                 "INSERT INTO sku_service_plans VALUES ('%s', '" TEAMS "', 1)",
                 sku, trial, SEATS, sku);
    make_group(s, group, "Order");
    for (int i = 0; i < MEMBERS; i++) {
        char upn[64];
        snprintf(ids[i], GUID_SIZE, "5d%06u-0000-0000-0000-%012u", (unsigned)trial % 1000000u,
                 (unsigned)(MEMBERS - i));
        snprintf(upn, sizeof(upn), "order%d.%d@contoso.com", trial, i);
        make_user(s, ids[i], upn, "US");
    }
    for (int i = 0; i < MEMBERS; i++)
        add_member(s, group, ids[i]);
    assign_to_group(s, group, sku);
    wait_idle(s, group);
    ck_assert_int_eq(
        th_sql_longf(s, "SELECT skus.consumed_units FROM skus WHERE sku_id = '%s'", sku), SEATS);
    int first_ok = 0;
    for (int i = 0; i < MEMBERS; i++) {
        long active = th_sql_longf(s,
                                   "SELECT count(*) FROM license_assignment_states WHERE user_id"
                                   " = '%s' AND sku_id = '%s' AND state = 'Active'",
                                   ids[i], sku);
        long short_of_seats = th_sql_longf(s,
                                           "SELECT count(*) FROM license_assignment_states WHERE "
                                           "user_id = '%s' AND sku_id = '%s' AND state = 'Error' "
                                           "AND error = 'CountViolation'",
                                           ids[i], sku);
        ck_assert_int_eq(active + short_of_seats, 1);
        if (i < SEATS)
            first_ok += (int)active;
    }
    return first_ok;
}

/* Trials against a fresh server with workers worker threads (replicas processes of them). */
static void seat_order_with(const char *name, const char *workers, int replicas, int trials)
{
    struct th_server s[2];
    const char *env[] = {workers, NULL};
    th_server_start(&s[0], name, env);
    th_sql_exec(&s[0], catalog_sql);
    for (int i = 1; i < replicas; i++) {
        s[i] = s[0];
        snprintf(s[i].log_path + strlen(s[i].log_path),
                 sizeof(s[i].log_path) - strlen(s[i].log_path), ".%d", i);
        th_server_restart(&s[i], env);
    }
    int failed = 0;
    for (int t = 0; t < trials; t++) {
        int got = seat_order_trial(&s[0], t);
        if (got != 10)
            fprintf(stderr, "%s, trial %d: %d of the first 10 members got a seat\n", name, t, got);
        failed += got != 10;
    }
    for (int i = 0; i < replicas; i++)
        ck_assert_int_eq(th_server_stop(&s[i], 8000, NULL), 0);
    ck_assert_msg(failed == 0, "%s: seat order broken in %d of %d trials", name, failed, trials);
}

START_TEST(last_seats_go_to_the_earliest_members_with_two_workers)
{
    seat_order_with("order2", "LICENSINGD_WORKERS=2", 1, 10);
}
END_TEST

START_TEST(last_seats_go_to_the_earliest_members_with_four_workers)
{
    seat_order_with("order4", "LICENSINGD_WORKERS=4", 1, 10);
}
END_TEST

START_TEST(last_seats_go_to_the_earliest_members_with_two_replicas)
{
    seat_order_with("order2x2", "LICENSINGD_WORKERS=2", 2, 10);
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_WORKERS=2", "LICENSINGD_SWEEP_SECONDS=1", NULL};
    th_server_start(&srv, "semantics", env);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("semantics");
    TCase *tc = tcase_create("issue12");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, direct_assignment_needs_the_users_own_usage_location);
    tcase_add_test(tc, concurrency_exception_is_recorded_on_each_user);
    tcase_add_test(tc, member_work_waits_for_the_group_job_which_takes_it);
    tcase_add_test(tc, parked_work_no_group_job_awaits_is_released_by_the_sweep);
    tcase_add_test(tc, last_seats_go_to_the_earliest_members_with_two_workers);
    tcase_add_test(tc, last_seats_go_to_the_earliest_members_with_four_workers);
    tcase_add_test(tc, last_seats_go_to_the_earliest_members_with_two_replicas);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 8000);
}
