/* Group-based licensing end to end (semantics §3-§9): the worker applies group licenses in the
 * background, records errors on users, and the places admins look report them. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, display_name, provisions_mailbox, "
    "unavailable_in_countries)"
    " VALUES ('" EXO1 "', 'EXCHANGE_S_STANDARD', 'Exchange Online (Plan 1)', true, '{}'),"
    " ('" EXO2 "', 'EXCHANGE_S_ENTERPRISE', 'Exchange Online (Plan 2)', true, '{}'),"
    " ('" SPO1 "', 'SHAREPOINTSTANDARD', NULL, false, '{}'),"
    " ('" SPO2 "', 'SHAREPOINTENTERPRISE', NULL, false, '{}'),"
    " ('" TEAMS "', 'TEAMS1', NULL, false, '{}'),"
    " ('" WAP "', 'WORKPLACE_ANALYTICS', 'Microsoft Workplace Analytics', false, '{}'),"
    " ('" MCOSTD "', 'MCOSTANDARD', NULL, false, '{}'),"
    " ('" AUDIOP "', 'MCOMEETADV', NULL, false, '{CN,IN}'),"
    " ('" INTUNE "', 'INTUNE_A', NULL, false, '{}');"
    "INSERT INTO service_plan_conflicts VALUES ('" EXO1 "', '" EXO2 "'), ('" SPO2 "', '" SPO1 "');"
    "INSERT INTO service_plan_prerequisites VALUES ('" WAP "', '" EXO1 "'), ('" WAP "', '" EXO2
    "'),"
    " ('" AUDIOP "', '" MCOSTD "');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
    " ('" E1 "', 'STANDARDPACK', 100000), ('" E3 "', 'ENTERPRISEPACK', 200000),"
    " ('" EMS "', 'EMS', 1), ('" WA "', 'WORKPLACE_ANALYTICS', 100000),"
    " ('" AUDIO "', 'MCOMEETADV', 100000);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" EXO1 "', 1), ('" E1 "', '" SPO1 "', 2),"
    " ('" E1 "', '" TEAMS "', 3), ('" E3 "', '" EXO2 "', 1), ('" E3 "', '" SPO2 "', 2),"
    " ('" E3 "', '" TEAMS "', 3), ('" E3 "', '" MCOSTD "', 4), ('" WA "', '" WAP "', 1),"
    " ('" AUDIO "', '" AUDIOP "', 1), ('" EMS "', '" INTUNE "', 1);";

/* Users and groups are arranged with SQL: the directory API has its own suite. */
static void make_user(const char *id, const char *upn, const char *location)
{
    th_sql_execf(
        &srv,
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,"
        " usage_location) VALUES ('%s', '%s', '%s', 'x', true, %s%s%s)",
        id, upn, upn, location ? "'" : "", location ? location : "NULL", location ? "'" : "");
}

static void make_group(const char *id, const char *name)
{
    th_sql_execf(
        &srv,
        "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
        " VALUES ('%s', '%s', 'g', false, true)",
        id, name);
}

/* Membership changes go through the directory API, which queues the member for the worker. */
static void add_member(const char *group, const char *user)
{
    char path[160], body[200];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", group);
    snprintf(body, sizeof(body),
             "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}", user);
    struct th_response r;
    th_request(&srv, "POST", path, body, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
}

static void remove_member(const char *group, const char *user)
{
    char path[200];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", group, user);
    struct th_response r;
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
}

/* A new security group with one new member (usage location US). */
static void group_with_member(const char *group, const char *name, const char *user,
                              const char *upn)
{
    make_group(group, name);
    make_user(user, upn, "US");
    add_member(group, user);
}

static long post(const char *path, const char *body, struct th_response *r)
{
    th_request(&srv, "POST", path, body, NULL, r);
    return r->status;
}

static long group_assign(const char *group, const char *body, struct th_response *r)
{
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", group);
    return post(path, body, r);
}

/* Waits until the group is ProcessingComplete and the queue is drained (the worker's work). */
static void wait_idle(const char *group)
{
    for (int i = 0; i < 1200; i++) {
        long pending = th_sql_longf(&srv, "SELECT count(*) FROM work_queue");
        long done = group ? th_sql_longf(&srv,
                                         "SELECT count(*) FROM groups WHERE id = '%s' AND "
                                         "license_processing_state = 'ProcessingComplete'",
                                         group)
                          : 1;
        if (pending == 0 && done == 1)
            return;
        usleep(100000);
    }
    ck_abort_msg("the worker did not finish in 120 s");
}

/* assignLicense on the group with body (202), then waits for the worker to finish it. */
static void group_assign_and_wait(const char *group, const char *body)
{
    struct th_response r;
    ck_assert_int_eq(group_assign(group, body, &r), 202);
    th_response_free(&r);
    wait_idle(group);
}

static const char *msg_of(const struct th_response *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    return m ? m : "";
}

START_TEST(e1_direct_plus_e3_by_group_conflicts_until_plans_are_disabled)
{
    const char *u = "10000000-0000-0000-0000-000000000001";
    const char *g = "a0000000-0000-0000-0000-000000000001";
    make_user(u, "e1user@contoso.com", "US");
    make_group(g, "Marketing");
    struct th_response r;
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", u);
    ck_assert_int_eq(
        post(path, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    add_member(g, u);
    ck_assert_int_eq(
        group_assign(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", &r),
        202);
    char location[256];
    th_header(&r, "Location", location, sizeof(location));
    ck_assert_ptr_nonnull(strstr(location, g));
    th_response_free(&r);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM groups WHERE id = '%s' AND "
                                  "license_processing_state IN ('QueuedForProcessing', "
                                  "'ProcessingInProgress', 'ProcessingComplete')",
                                  g),
                     1);
    wait_idle(g);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND state = 'Error' AND error = "
                     "'MutuallyExclusiveViolation'",
                     u, g),
        1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(DISTINCT user_id) FROM license_assignment_states "
                                  "WHERE group_id = '%s' AND error <> 'None'",
                                  g),
                     1);

    snprintf(path, sizeof(path), "/v1.0/groups/%s/membersWithLicenseErrors", g);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "value"), 0), "id")),
                     u);
    th_response_free(&r);
    /* $select applies, as its @odata.context says (issue 13). */
    snprintf(path, sizeof(path),
             "/v1.0/groups/%s/membersWithLicenseErrors?$select=id,licenseAssignmentStates", g);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *member = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_ptr_nonnull(json_object_get(member, "licenseAssignmentStates"));
    ck_assert_ptr_null(json_object_get(member, "displayName"));
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/licensing/errors?error=MutuallyExclusiveViolation", NULL, NULL,
               &r);
    ck_assert_int_eq(r.status, 200);
    json_t *first = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "userId")), u);
    ck_assert_str_eq(json_string_value(json_object_get(first, "assignedByGroup")), g);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(first, "message")), "mutually exclusive"));
    th_response_free(&r);
    /* Graph's places: the group filter, $select on the group, the user's states. */
    th_request(&srv, "GET", "/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true", NULL,
               NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "value"), 0), "id")),
                     g);
    th_response_free(&r);
    snprintf(path, sizeof(path),
             "/v1.0/groups/%s?$select=id,hasMembersWithLicenseErrors,licenseProcessingState", g);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_true(json_object_get(r.json, "hasMembersWithLicenseErrors")));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "licenseProcessingState"), "state")),
                     "ProcessingComplete");
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s", u);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *states = json_object_get(r.json, "licenseAssignmentStates");
    ck_assert_int_eq(json_array_size(states), 2);
    int found = 0;
    size_t si;
    json_t *st;
    json_array_foreach(states, si, st)
    {
        const char *by = json_string_value(json_object_get(st, "assignedByGroup"));
        if (by && strcmp(by, g) == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(st, "state")), "Error");
            ck_assert_str_eq(json_string_value(json_object_get(st, "error")),
                             "MutuallyExclusiveViolation");
            found = 1;
        } else {
            ck_assert(json_is_null(json_object_get(st, "assignedByGroup")));
            ck_assert_str_eq(json_string_value(json_object_get(st, "error")), "None");
        }
    }
    ck_assert(found);
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/licensing/overview", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_ge(json_integer_value(json_object_get(r.json, "groupsInError")), 1);
    ck_assert_ptr_nonnull(json_object_get(r.json, "lastCompletedReconciliationDateTime"));
    th_response_free(&r);

    /* The seed's fix: disable the E3 plans that clash with E1 in the group. */
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\",\"disabledPlans\":[\"" EXO2
                             "\",\"" SPO2 "\"]}],\"removeLicenses\":[]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND state = 'Active' AND error = 'None'",
                     u, g),
        1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(DISTINCT user_id) FROM license_assignment_states "
                                  "WHERE group_id = '%s' AND error <> 'None'",
                                  g),
                     0);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'Finish applying group based license to users'"),
        2);
}
END_TEST

START_TEST(no_seat_for_one_sku_assigns_neither_until_seats_are_bought)
{
    const char *g = "a0000000-0000-0000-0000-000000000002";
    const char *users[] = {"20000000-0000-0000-0000-000000000001",
                           "20000000-0000-0000-0000-000000000002",
                           "20000000-0000-0000-0000-000000000003"};
    make_group(g, "Sales");
    for (int i = 0; i < 3; i++) {
        char upn[64];
        snprintf(upn, sizeof(upn), "sales%d@contoso.com", i);
        make_user(users[i], upn, "US");
        add_member(g, users[i]);
    }
    wait_idle(NULL);
    long e3 = th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'");
    struct th_response r;
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"},{\"skuId\":\"" EMS "\"}],"
                             "\"removeLicenses\":[]}");
    /* One EMS seat: the earliest member gets both; the others neither (all or nothing). */
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", users[0]), 2);
    for (int i = 1; i < 3; i++) {
        ck_assert_int_eq(
            th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", users[i]),
            0);
        ck_assert_int_eq(
            th_sql_longf(&srv,
                         "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'"
                         " AND state = 'Error' AND error = 'CountViolation'",
                         users[i]),
            2);
    }
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'"), e3 + 1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" EMS "'"), 1);
    /* Seats bought: users in CountViolation are queued again without a manual reprocess. */
    th_request(&srv, "PATCH", "/v1.0/subscribedSkus/" EMS, "{\"prepaidUnits\":{\"enabled\":10}}",
               NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
    wait_idle(g);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(
            th_sql_longf(&srv,
                         "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'"
                         " AND state = 'Active'",
                         users[i]),
            2);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" EMS "'"), 3);
}
END_TEST

START_TEST(usage_location_rules_and_duplicate_proxy_address)
{
    const char *g = "a0000000-0000-0000-0000-000000000003";
    const char *cn = "30000000-0000-0000-0000-000000000001";
    const char *none = "30000000-0000-0000-0000-000000000002";
    const char *dup = "30000000-0000-0000-0000-000000000003";
    make_group(g, "Conferencing");
    make_user(cn, "cn@contoso.com", "CN");
    make_user(none, "none@contoso.com", NULL);
    make_user(dup, "dup@contoso.com", "US");
    /* Someone else already owns dup's would-be primary address. */
    th_sql_execf(
        &srv,
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled)"
        " VALUES ('30000000-0000-0000-0000-0000000000ff', 'owner@contoso.com', 'Owner', 'o', true);"
        "INSERT INTO user_proxy_addresses VALUES ('30000000-0000-0000-0000-0000000000ff', 0,"
        " 'SMTP:dup@contoso.com', 'dup@contoso.com', true)");
    add_member(g, cn);
    add_member(g, none);
    add_member(g, dup);
    struct th_response r;
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"},{\"skuId\":\"" AUDIO "\"}],"
                             "\"removeLicenses\":[]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " error = 'ProhibitedInUsageLocationViolation'",
                     cn),
        2);
    /* No usage location: the organization's country (US) applies. */
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " state = 'Active'",
                     none),
        2);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " error = 'UniquenessViolation'",
                     dup),
        2);
    /* Fix the address, reprocess the user: cleared. */
    th_sql_execf(&srv, "UPDATE users SET mail = 'dup2@contoso.com' WHERE id = '%s'", dup);
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/reprocessLicenseAssignment", dup);
    ck_assert_int_eq(post(path, "", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " state = 'Active'",
                     dup),
        2);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_proxy_addresses WHERE user_id = '%s' AND "
                     "address = 'SMTP:dup2@contoso.com'",
                     dup),
        1);
}
END_TEST

START_TEST(prerequisites_are_checked_in_the_group_and_addon_counts_one_seat)
{
    const char *g = "a0000000-0000-0000-0000-000000000004";
    const char *u = "40000000-0000-0000-0000-000000000001";
    group_with_member(g, "Analysts", u, "analyst@contoso.com");
    struct th_response r;
    ck_assert_int_eq(
        group_assign(g, "{\"addLicenses\":[{\"skuId\":\"" WA "\"}],\"removeLicenses\":[]}", &r),
        400);
    ck_assert_str_eq(msg_of(&r), "License operation failed. Make sure that the group has necessary "
                                 "services before adding or removing a dependent service. The "
                                 "service Microsoft Workplace Analytics requires Exchange Online "
                                 "(Plan 2) or Exchange Online (Plan 1) to be enabled as well.");
    th_response_free(&r);
    /* Disabling the prerequisite inside E3 fails too. */
    ck_assert_int_eq(group_assign(g,
                                  "{\"addLicenses\":[{\"skuId\":\"" WA "\"},{\"skuId\":\"" E3
                                  "\",\"disabledPlans\":[\"" EXO2 "\"]}],\"removeLicenses\":[]}",
                                  &r),
                     400);
    th_response_free(&r);
    long wa = th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" WA "'");
    long e3 = th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'");
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" WA "\"},{\"skuId\":\"" E3 "\"}],"
                             "\"removeLicenses\":[]}");
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" WA "'"), wa + 1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'"), e3 + 1);
    /* Request errors. */
    ck_assert_int_eq(group_assign("a0000000-0000-0000-0000-0000000000ee",
                                  "{\"addLicenses\":[],\"removeLicenses\":[]}", &r),
                     404);
    th_response_free(&r);
    ck_assert_int_eq(group_assign(g, "{\"addLicenses\":[]}", &r), 400);
    th_response_free(&r);
    th_sql_execf(
        &srv, "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, security_enabled)"
              " VALUES ('a0000000-0000-0000-0000-0000000000dd', 'Mail only', 'm', true, false)");
    ck_assert_int_eq(
        group_assign("a0000000-0000-0000-0000-0000000000dd",
                     "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", &r),
        400);
    ck_assert_ptr_nonnull(strstr(msg_of(&r), "security"));
    th_response_free(&r);
}
END_TEST

START_TEST(removal_blocked_by_dependency_then_licenses_removed_convert_to_direct)
{
    const char *g = "a0000000-0000-0000-0000-000000000005";
    const char *u = "50000000-0000-0000-0000-000000000001";
    group_with_member(g, "Phones", u, "phone@contoso.com");
    struct th_response r;
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", u);
    ck_assert_int_eq(
        post(path, "{\"addLicenses\":[{\"skuId\":\"" AUDIO "\"}],\"removeLicenses\":[]}", &r),
        200); /* Audio Conferencing direct, MCOSTANDARD from the group's E3 */
    th_response_free(&r);
    remove_member(g, u);
    wait_idle(NULL);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND state = 'ActiveWithError' AND error = "
                     "'DependencyViolation'",
                     u, g),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", u), 2);

    /* Back in the group; then the group's licenses are removed (the step before deleting it):
     * the dependent path becomes a direct assignment. */
    add_member(g, u);
    wait_idle(NULL);
    group_assign_and_wait(g, "{\"addLicenses\":[],\"removeLicenses\":[\"" E3 "\"]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_direct_licenses WHERE user_id = '%s' AND "
                     "sku_id = '" E3 "'",
                     u),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id IS NULL AND state = 'Active'",
                     u),
        2);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE group_id = '%s'",
                     g),
        0);
    /* Now the group has no licenses, it can be deleted; before, it could not. */
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
}
END_TEST

START_TEST(deleting_a_licensed_group_is_refused)
{
    const char *g = "a0000000-0000-0000-0000-000000000008";
    make_group(g, "Licensed");
    struct th_response r;
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}");
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(msg_of(&r), "remove all licenses"));
    th_response_free(&r);
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT count(*) FROM groups WHERE id = '%s'", g), 1);

    /* No licenses left, but a member still holds what the group gave (its removal is not
     * processed yet): deleting now would drop the state without freeing the seat. */
    const char *g2 = "a0000000-0000-0000-0000-00000000000a";
    const char *u = "a1000000-0000-0000-0000-000000000001";
    make_group(g2, "Draining");
    make_user(u, "draining@contoso.com", "US");
    th_sql_execf(&srv,
                 "INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id, state)"
                 " VALUES ('%s', '" E1 "', '%s', '%s', 'Active')",
                 u, g2, g2);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g2);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(msg_of(&r), "still being removed"));
    th_response_free(&r);
    th_sql_execf(&srv, "DELETE FROM license_assignment_states WHERE user_id = '%s'", u);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
}
END_TEST

START_TEST(concurrent_processing_of_one_user_is_retried_and_audited)
{
    const char *g = "a0000000-0000-0000-0000-000000000009";
    const char *u = "90000000-0000-0000-0000-000000000001";
    make_group(g, "Contended");
    make_user(u, "contended@contoso.com", "US");
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}");
    long before =
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'LicenseAssignmentAttributeConcurrencyException'");
    /* Another transaction holds the user while the worker wants it. */
    PGconn *holder = th_db(&srv);
    char sql[256];
    snprintf(sql, sizeof(sql), "BEGIN; SELECT id FROM users WHERE id = '%s' FOR UPDATE", u);
    PQclear(PQexec(holder, sql));
    th_sql_execf(
        &srv,
        "INSERT INTO group_members (group_id, member_id, member_type) VALUES ('%s', '%s', 'user');"
        "INSERT INTO work_queue (kind, target_id, reason) VALUES ('user', '%s', 'test');"
        "NOTIFY licensingd_work",
        g, u, u);
    usleep(1500000);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", u), 0);
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    wait_idle(g);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", u), 1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'LicenseAssignmentAttributeConcurrencyException'"),
        before + 1);
}
END_TEST

START_TEST(migration_from_direct_to_group_keeps_one_seat_per_user)
{
    const char *g = "a0000000-0000-0000-0000-000000000006";
    make_group(g, "All users");
    /* 1,000 users with E3 assigned directly (states and seats as direct assignment leaves them). */
    th_sql_execf(
        &srv,
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,"
        " usage_location) SELECT ('60000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,"
        " 'mig' || i || '@contoso.com', 'Mig ' || i, 'm', true, 'US' FROM generate_series(1, "
        "1000) i;"
        "INSERT INTO user_direct_licenses (user_id, sku_id) SELECT id, '" E3 "' FROM users"
        " WHERE user_principal_name LIKE 'mig%%';"
        "INSERT INTO work_queue (kind, target_id, reason) SELECT 'user', id, 'test' FROM users"
        " WHERE user_principal_name LIKE 'mig%%'; NOTIFY licensingd_work");
    wait_idle(NULL);
    long base = th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'");
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses l JOIN users u ON u.id = l.user_id"
                           " WHERE u.user_principal_name LIKE 'mig%%'"),
        1000);
    th_sql_execf(
        &srv,
        "INSERT INTO group_members (group_id, member_id, member_type) SELECT '%s', id, 'user'"
        " FROM users WHERE user_principal_name LIKE 'mig%%'",
        g);
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM (SELECT user_id FROM license_assignment_states"
                           " WHERE sku_id = '" E3 "' AND state = 'Active' AND user_id::text LIKE "
                           "'60000000%%' GROUP BY user_id HAVING count(*) = 2) x"),
        1000);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'"), base);
    /* Remove the direct paths: every user stays licensed by the group. */
    th_sql_execf(
        &srv,
        "DELETE FROM user_direct_licenses WHERE user_id::text LIKE '60000000%%';"
        "INSERT INTO work_queue (kind, target_id, reason) SELECT 'user', id, 'test' FROM users"
        " WHERE user_principal_name LIKE 'mig%%'; NOTIFY licensingd_work");
    wait_idle(NULL);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id::text LIKE"
                     " '60000000%%' AND group_id = '%s' AND state = 'Active'",
                     g),
        1000);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE user_id::text LIKE"
                           " '60000000%%' AND group_id IS NULL"),
        0);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '" E3 "'"), base);
}
END_TEST

START_TEST(dry_run_reports_without_changing_anything)
{
    const char *g = "a0000000-0000-0000-0000-000000000007";
    make_group(g, "Dry");
    for (int i = 0; i < 5; i++) {
        char id[40], upn[40];
        snprintf(id, sizeof(id), "70000000-0000-0000-0000-%012d", i);
        snprintf(upn, sizeof(upn), "dry%d@contoso.com", i);
        make_user(id, upn, i == 4 ? "CN" : "US");
        add_member(g, id);
    }
    wait_idle(NULL);
    th_sql_execf(
        &srv,
        "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
        " ('77777777-0000-0000-0000-000000000001', 'TWOSEATS', 2);"
        "INSERT INTO sku_service_plans VALUES ('77777777-0000-0000-0000-000000000001', '" AUDIOP
        "', 1), ('77777777-0000-0000-0000-000000000001', '" MCOSTD "', 2)");
    long audits = th_sql_longf(&srv, "SELECT count(*) FROM directory_audits");
    struct th_response r;
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense?dryRun=true", g);
    ck_assert_int_eq(post(path,
                          "{\"addLicenses\":[{\"skuId\":\"77777777-0000-0000-0000-000000000001\"}],"
                          "\"removeLicenses\":[]}",
                          &r),
                     200);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "members")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "membersLicensed")), 2);
    json_t *errs = json_object_get(r.json, "membersWithErrors");
    ck_assert_int_eq(json_integer_value(json_object_get(errs, "CountViolation")), 2);
    ck_assert_int_eq(
        json_integer_value(json_object_get(errs, "ProhibitedInUsageLocationViolation")), 1);
    json_t *seat = json_array_get(json_object_get(r.json, "seats"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(seat, "seatsNeeded")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(seat, "seatsAvailable")), 2);
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM group_licenses WHERE group_id = '%s'", g), 0);
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = "
                                        "'77777777-0000-0000-0000-000000000001'"),
                     0);
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT count(*) FROM directory_audits"), audits);
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT count(*) FROM work_queue"), 0);
}
END_TEST

START_TEST(reprocessing_a_group_and_error_report_paging)
{
    struct th_response r;
    ck_assert_int_eq(post("/v1.0/groups/a0000000-0000-0000-0000-000000000002/"
                          "reprocessLicenseAssignment",
                          "", &r),
                     202);
    th_response_free(&r);
    wait_idle("a0000000-0000-0000-0000-000000000002");
    ck_assert_int_eq(post("/v1.0/groups/a0000000-0000-0000-0000-0000000000ee/"
                          "reprocessLicenseAssignment",
                          "", &r),
                     404);
    th_response_free(&r);
    /* Page through every error one at a time: each exactly once. */
    long total =
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE error <> 'None'");
    ck_assert_int_gt(total, 1);
    char path[1024] = "/v1.0/licensing/errors?$top=1";
    long seen = 0;
    for (int i = 0; i < 1000; i++) {
        th_request(&srv, "GET", path, NULL, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        seen += (long)json_array_size(json_object_get(r.json, "value"));
        const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
        if (next == NULL) {
            th_response_free(&r);
            break;
        }
        snprintf(path, sizeof(path), "%s", strstr(next, "/v1.0/"));
        th_response_free(&r);
    }
    ck_assert_int_eq(seen, total);
    const char *bad[] = {"/v1.0/licensing/errors?error=Nope", "/v1.0/licensing/errors?skuId=x'--",
                         "/v1.0/licensing/errors?$skiptoken=abc", "/v1.0/licensing/errors?$top=0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        th_request(&srv, "GET", bad[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 400, "%s -> %ld", bad[i], r.status);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(direct_change_clears_group_errors_at_once_and_worker_changes_are_audited)
{
    const char *g = "a0000000-0000-0000-0000-00000000000b";
    const char *u = "b1000000-0000-0000-0000-000000000001";
    make_group(g, "Errors clear");
    make_user(u, "clear@contoso.com", "US");
    struct th_response r;
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", u);
    ck_assert_int_eq(
        post(path, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    add_member(g, u);
    long audits =
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'Change user license' AND initiated_by->'app' IS NOT NULL"
                           " AND jsonb_typeof(initiated_by->'app') = 'object'");
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(DISTINCT user_id) FROM license_assignment_states "
                                  "WHERE group_id = '%s' AND error <> 'None'",
                                  g),
                     1);
    /* Removing E1 directly lets the group's E3 in, in the same request; the group's flag
     * follows without waiting for the worker. */
    ck_assert_int_eq(post(path, "{\"addLicenses\":[],\"removeLicenses\":[\"" E1 "\"]}", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(DISTINCT user_id) FROM license_assignment_states "
                                  "WHERE group_id = '%s' AND error <> 'None'",
                                  g),
                     0);
    ck_assert_int_eq(
        th_sql_longf(
            &srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s' AND sku_id = '" E3 "'",
            u),
        1);
    /* The worker's own license changes are audited per user, initiated by the licensing app. */
    th_sql_execf(
        &srv,
        "INSERT INTO users (id, user_principal_name, display_name, mail_nickname, account_enabled,"
        " usage_location) VALUES ('b1000000-0000-0000-0000-000000000002', 'clear2@contoso.com',"
        " 'c', 'c', true, 'US')");
    add_member(g, "b1000000-0000-0000-0000-000000000002");
    wait_idle(g);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'Change user license' AND jsonb_typeof(initiated_by->'app') = 'object'"
                           " AND target_resources->0->>'id' = "
                           "'b1000000-0000-0000-0000-000000000002'"),
        1);
    ck_assert_int_ge(
        th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = "
                           "'Change user license' AND initiated_by->'app' IS NOT NULL"
                           " AND jsonb_typeof(initiated_by->'app') = 'object'"),
        audits + 1);
}
END_TEST

START_TEST(a_group_swapping_its_skus_stays_the_incumbent)
{
    const char *ga = "a0000000-0000-0000-0000-00000000000c";
    const char *gb = "a0000000-0000-0000-0000-00000000000d";
    const char *u = "c1000000-0000-0000-0000-000000000001";
    th_sql_execf(
        &srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
              " ('c3c3c3c3-0000-0000-0000-000000000001', 'E3COPY', 100);"
              "INSERT INTO sku_service_plans VALUES ('c3c3c3c3-0000-0000-0000-000000000001', '" EXO2
              "', 1), ('c3c3c3c3-0000-0000-0000-000000000001', '" TEAMS "', 2)");
    make_group(ga, "Swap A");
    make_group(gb, "Swap B");
    make_user(u, "swap@contoso.com", "US");
    add_member(ga, u);
    add_member(gb, u);
    struct th_response r;
    group_assign_and_wait(gb, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    group_assign_and_wait(ga, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND error = 'MutuallyExclusiveViolation'",
                     u, ga),
        1);
    /* B swaps E3 for another SKU with the same clashing plan: B keeps the user, A stays out. */
    group_assign_and_wait(gb, "{\"addLicenses\":[{\"skuId\":"
                              "\"c3c3c3c3-0000-0000-0000-000000000001\"}],"
                              "\"removeLicenses\":[\"" E3 "\"]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND state = 'Active'",
                     u, gb),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " group_id = '%s' AND state = 'Error'",
                     u, ga),
        1);
    /* The same SKU twice in one request is the client's mistake, not a 500. */
    ck_assert_int_eq(group_assign(gb,
                                  "{\"addLicenses\":[{\"skuId\":\"" EMS "\"},{\"skuId\":\"" EMS
                                  "\"}],\"removeLicenses\":[]}",
                                  &r),
                     400);
    ck_assert_ptr_nonnull(strstr(msg_of(&r), "listed twice"));
    th_response_free(&r);
}
END_TEST

START_TEST(conversion_to_direct_merges_with_an_existing_direct_assignment)
{
    const char *g = "a0000000-0000-0000-0000-00000000000e";
    const char *u = "d1000000-0000-0000-0000-000000000001";
    group_with_member(g, "Merge", u, "merge@contoso.com");
    struct th_response r;
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    /* Directly: E3 without MCOSTANDARD (the group's E3 gives it) and Audio Conferencing. */
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", u);
    ck_assert_int_eq(post(path,
                          "{\"addLicenses\":[{\"skuId\":\"" E3 "\",\"disabledPlans\":[\"" MCOSTD
                          "\"]},{\"skuId\":\"" AUDIO "\"}],\"removeLicenses\":[]}",
                          &r),
                     200);
    th_response_free(&r);
    /* The group's licenses go: Audio Conferencing would lose MCOSTANDARD, so the group's E3
     * becomes direct, merged with the direct E3 that already exists. */
    group_assign_and_wait(g, "{\"addLicenses\":[],\"removeLicenses\":[\"" E3 "\"]}");
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_direct_licenses WHERE user_id = '%s' AND "
                     "sku_id = '" E3 "' AND disabled_plans = '{}'",
                     u),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_licenses WHERE user_id = '%s' AND sku_id = '" E3
                     "' AND disabled_plans = '{}'",
                     u),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'",
                     u),
        2);
    /* Reprocessing changes nothing: MCOSTANDARD stays, Audio Conferencing stays Active. */
    snprintf(path, sizeof(path), "/v1.0/users/%s/reprocessLicenseAssignment", u);
    ck_assert_int_eq(post(path, "", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND"
                     " state = 'Active' AND error = 'None'",
                     u),
        2);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_licenses WHERE user_id = '%s' AND sku_id = '" E3
                     "' AND disabled_plans = '{}'",
                     u),
        1);
}
END_TEST

START_TEST(a_new_primary_address_goes_to_the_first_member_who_gets_a_mailbox)
{
    const char *g = "a0000000-0000-0000-0000-00000000000f";
    const char *cn = "e1000000-0000-0000-0000-000000000001";
    const char *us = "e1000000-0000-0000-0000-000000000002";
    const char *us2 = "e1000000-0000-0000-0000-000000000003";
    make_group(g, "Shared mail");
    make_user(cn, "shared.cn@contoso.com", "CN");
    make_user(us, "shared.us@contoso.com", "US");
    make_user(us2, "shared.us2@contoso.com", "US");
    th_sql_execf(&srv,
                 "UPDATE users SET mail = 'shared@contoso.com' WHERE id IN ('%s', '%s', '%s')", cn,
                 us, us2);
    add_member(g, cn);
    add_member(g, us);
    add_member(g, us2);
    wait_idle(NULL);
    /* One batch: the CN member gets no mailbox (Audio Conferencing is not allowed there), so the
     * address goes to the next member; the third finds it taken. */
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"},{\"skuId\":\"" AUDIO
                             "\"}],\"removeLicenses\":[]}");
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE user_id = "
                                  "'%s' AND error = 'ProhibitedInUsageLocationViolation'",
                                  cn),
                     2);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM user_proxy_addresses WHERE user_id = '%s'"
                                  " AND address = 'SMTP:shared@contoso.com'",
                                  us),
                     1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE user_id = "
                                  "'%s' AND error = 'UniquenessViolation'",
                                  us2),
                     2);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM user_proxy_addresses WHERE address_key ="
                                  " 'shared@contoso.com'"),
                     1);
}
END_TEST

START_TEST(group_disabling_a_plan_a_members_addon_needs_keeps_it_for_that_member)
{
    const char *g = "a0000000-0000-0000-0000-000000000010";
    const char *u = "f1000000-0000-0000-0000-000000000001";
    group_with_member(g, "Calling", u, "calling@contoso.com");
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}");
    struct th_response r;
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", u);
    ck_assert_int_eq(
        post(path, "{\"addLicenses\":[{\"skuId\":\"" AUDIO "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    /* The group now disables MCOSTANDARD, which the member's Audio Conferencing needs. */
    group_assign_and_wait(g, "{\"addLicenses\":[{\"skuId\":\"" E3 "\",\"disabledPlans\":[\"" MCOSTD
                             "\"]}],\"removeLicenses\":[]}");
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE user_id = "
                                  "'%s' AND group_id = '%s' AND state = 'ActiveWithError' AND error"
                                  " = 'DependencyViolation' AND disabled_plans = '{}'",
                                  u, g),
                     1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM user_licenses WHERE user_id = '%s' AND "
                                  "sku_id = '" E3 "' AND disabled_plans = '{}'",
                                  u),
                     1);
    /* Without the add-on, the group's new plans apply to the member too. */
    ck_assert_int_eq(post(path, "{\"addLicenses\":[],\"removeLicenses\":[\"" AUDIO "\"]}", &r),
                     200);
    th_response_free(&r);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM license_assignment_states WHERE user_id = "
                                  "'%s' AND group_id = '%s' AND state = 'Active' AND "
                                  "disabled_plans = '{" MCOSTD "}'",
                                  u, g),
                     1);
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_WORKERS=2", NULL};
    th_server_start(&srv, "groups", env);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("group_licensing");
    TCase *tc = tcase_create("seed");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, e1_direct_plus_e3_by_group_conflicts_until_plans_are_disabled);
    tcase_add_test(tc, no_seat_for_one_sku_assigns_neither_until_seats_are_bought);
    tcase_add_test(tc, usage_location_rules_and_duplicate_proxy_address);
    tcase_add_test(tc, prerequisites_are_checked_in_the_group_and_addon_counts_one_seat);
    tcase_add_test(tc, removal_blocked_by_dependency_then_licenses_removed_convert_to_direct);
    tcase_add_test(tc, deleting_a_licensed_group_is_refused);
    tcase_add_test(tc, concurrent_processing_of_one_user_is_retried_and_audited);
    tcase_add_test(tc, direct_change_clears_group_errors_at_once_and_worker_changes_are_audited);
    tcase_add_test(tc, a_group_swapping_its_skus_stays_the_incumbent);
    tcase_add_test(tc, conversion_to_direct_merges_with_an_existing_direct_assignment);
    tcase_add_test(tc, a_new_primary_address_goes_to_the_first_member_who_gets_a_mailbox);
    tcase_add_test(tc, group_disabling_a_plan_a_members_addon_needs_keeps_it_for_that_member);
    tcase_add_test(tc, migration_from_direct_to_group_keeps_one_seat_per_user);
    tcase_add_test(tc, dry_run_reports_without_changing_anything);
    tcase_add_test(tc, reprocessing_a_group_and_error_report_paging);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 8000);
}
