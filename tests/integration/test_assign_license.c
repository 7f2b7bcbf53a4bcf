/* Direct assignment end to end (semantics §2, reference §2.1, §3): the seed's scenarios, Graph's
 * synchronous errors, seat accounting under concurrency, proxy addresses and audit. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/harness.h"
#include "tests/integration/lock_holder.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, service, provisions_mailbox, unavailable_in_countries) "
    "VALUES"
    " ('" EXO1 "', 'EXCHANGE_S_STANDARD', 'exchange', true, '{}'),"
    " ('" EXO2 "', 'EXCHANGE_S_ENTERPRISE', 'exchange', true, '{}'),"
    " ('" SPO1 "', 'SHAREPOINTSTANDARD', 'SharePoint', false, '{}'),"
    " ('" SPO2 "', 'SHAREPOINTENTERPRISE', 'SharePoint', false, '{}'),"
    " ('" TEAMS "', 'TEAMS1', 'TeamspaceAPI', false, '{}'),"
    " ('" WAP "', 'WORKPLACE_ANALYTICS', 'WorkplaceAnalytics', false, '{}'),"
    " ('" MCOSTD "', 'MCOSTANDARD', 'MicrosoftCommunicationsOnline', false, '{}'),"
    " ('" AUDIOP "', 'MCOMEETADV', 'MicrosoftCommunicationsOnline', false, '{CN,IN}');"
    "INSERT INTO service_plan_conflicts VALUES ('" EXO1 "', '" EXO2 "'), ('" SPO2 "', '" SPO1 "');"
    "INSERT INTO service_plan_prerequisites VALUES ('" WAP "', '" EXO1 "'), ('" WAP "', '" EXO2
    "'),"
    " ('" AUDIOP "', '" MCOSTD "');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
    " ('" E1 "', 'STANDARDPACK', 100), ('" E3 "', 'ENTERPRISEPACK', 100),"
    " ('" WA "', 'WORKPLACE_ANALYTICS', 100), ('" AUDIO "', 'MCOMEETADV', 100);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" EXO1 "', 1), ('" E1 "', '" SPO1 "', 2),"
    " ('" E1 "', '" TEAMS "', 3), ('" E3 "', '" EXO2 "', 1), ('" E3 "', '" SPO2 "', 2),"
    " ('" E3 "', '" TEAMS "', 3), ('" E3 "', '" MCOSTD "', 4), ('" WA "', '" WAP "', 1),"
    " ('" AUDIO "', '" AUDIOP "', 1);";

/* Creates a user with SQL (the directory API is tested in its own suite) and returns its id. */
static void make_user(const char *upn, const char *location, char id[GUID_SIZE])
{
    th_sql_execf(&srv,
                 "INSERT INTO users (user_principal_name, display_name, mail_nickname,"
                 " account_enabled, usage_location) VALUES ('%s', '%s', 'x', true, %s%s%s)",
                 upn, upn, location ? "'" : "", location ? location : "NULL", location ? "'" : "");
    PGconn *c = th_db(&srv);
    char q[256];
    snprintf(q, sizeof(q), "SELECT id FROM users WHERE user_principal_name = '%s'", upn);
    PGresult *r = PQexec(c, q);
    snprintf(id, 37, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
}

static long assign(const char *who, const char *body, struct th_response *out)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", who);
    th_request(&srv, "POST", path, body, NULL, out);
    return out->status;
}

static const char *message(const struct th_response *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    return m ? m : "";
}

static long consumed(const char *sku)
{
    return th_sql_longf(&srv, "SELECT skus.consumed_units FROM skus WHERE sku_id = '%s'", sku);
}

START_TEST(e1_direct_then_e3_direct_conflicts_naming_both_plans)
{
    char id[GUID_SIZE];
    make_user("adele@contoso.com", "US", id);
    struct th_response r;
    ck_assert_int_eq(assign(id,
                            "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[]}],"
                            "\"removeLicenses\":[]}",
                            &r),
                     200);
    /* 200 with the user: its licenses are already there. */
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "assignedLicenses"), 0), "skuId")),
                     E1);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(r.json, "licenseAssignmentStates"), 0), "state")),
        "Active");
    th_response_free(&r);
    long before = consumed(E3);
    ck_assert_int_eq(assign("adele@contoso.com",
                            "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", &r),
                     400);
    ck_assert_str_eq(th_error_code(&r), "Request_BadRequest");
    ck_assert_msg(strstr(message(&r), "EXCHANGE_S_ENTERPRISE,EXCHANGE_S_STANDARD are mutually "
                                      "exclusive") != NULL,
                  "%s", message(&r));
    th_response_free(&r);
    ck_assert_int_eq(consumed(E3), before);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", id), 1);

    /* The seed's fix: disable the E3 plans that clash with E1. */
    ck_assert_int_eq(assign(id,
                            "{\"addLicenses\":[{\"skuId\":\"" E3 "\",\"disabledPlans\":[\"" EXO2
                            "\",\"" SPO2 "\"]}],\"removeLicenses\":[]}",
                            &r),
                     200);
    th_response_free(&r);
    ck_assert_int_eq(consumed(E3), before + 1);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails", id);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *items = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(items), 2);
    int disabled = 0, success = 0;
    size_t i, k;
    json_t *item, *plan;
    json_array_foreach(items, i, item)
    {
        ck_assert_uint_eq(json_string_length(json_object_get(item, "id")), 43);
        json_array_foreach(json_object_get(item, "servicePlans"), k, plan)
        {
            const char *st = json_string_value(json_object_get(plan, "provisioningStatus"));
            if (strcmp(st, "Disabled") == 0) {
                disabled++;
                const char *pid = json_string_value(json_object_get(plan, "servicePlanId"));
                ck_assert(strcmp(pid, EXO2) == 0 || strcmp(pid, SPO2) == 0);
            } else {
                success++;
            }
        }
    }
    ck_assert_int_eq(disabled, 2);
    ck_assert_int_eq(success, 5);
    th_response_free(&r);
    /* assignedPlans ($select, as in Graph): one per enabled plan, TEAMS1 once for two SKUs. */
    snprintf(path, sizeof(path), "/v1.0/users/%s?$select=id,assignedPlans", id);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *plans = json_object_get(r.json, "assignedPlans");
    ck_assert_int_eq(json_array_size(plans), 4);
    int exchange = 0;
    json_array_foreach(plans, i, plan)
    {
        ck_assert_str_eq(json_string_value(json_object_get(plan, "capabilityStatus")), "Enabled");
        ck_assert_uint_eq(json_string_length(json_object_get(plan, "assignedDateTime")), 20);
        const char *pid = json_string_value(json_object_get(plan, "servicePlanId"));
        ck_assert(strcmp(pid, EXO2) != 0 && strcmp(pid, SPO2) != 0);
        if (strcmp(pid, EXO1) == 0) {
            ck_assert_str_eq(json_string_value(json_object_get(plan, "service")), "exchange");
            exchange = 1;
        }
    }
    ck_assert(exchange);
    ck_assert_ptr_null(json_object_get(r.json, "displayName"));
    th_response_free(&r);
}
END_TEST

START_TEST(swapping_e1_for_e3_in_one_call_succeeds)
{
    char id[GUID_SIZE];
    make_user("swap@contoso.com", "US", id);
    struct th_response r;
    ck_assert_int_eq(
        assign(id, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    long e1 = consumed(E1), e3 = consumed(E3);
    ck_assert_int_eq(
        assign(id, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[\"" E1 "\"]}",
               &r),
        200);
    th_response_free(&r);
    ck_assert_int_eq(consumed(E1), e1 - 1);
    ck_assert_int_eq(consumed(E3), e3 + 1);
    ck_assert_int_eq(
        th_sql_longf(
            &srv,
            "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s' AND sku_id = "
            "'" E3 "' AND group_id IS NULL AND state = 'Active' AND error = 'None'",
            id),
        1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'",
                     id),
        1);
}
END_TEST

START_TEST(last_seat_taken_answers_400_and_consumes_nothing)
{
    th_sql_exec(&srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES "
                      "('11111111-0000-0000-0000-000000000001', 'ONESEAT', 1)");
    char a[GUID_SIZE], b[GUID_SIZE];
    make_user("first@contoso.com", "US", a);
    make_user("second@contoso.com", "US", b);
    const char *body = "{\"addLicenses\":[{\"skuId\":\"11111111-0000-0000-0000-000000000001\"}],"
                       "\"removeLicenses\":[]}";
    struct th_response r;
    ck_assert_int_eq(assign(a, body, &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(assign(b, body, &r), 400);
    ck_assert_str_eq(message(&r), "Subscription with SKU 11111111-0000-0000-0000-000000000001 does "
                                  "not have any available licenses.");
    th_response_free(&r);
    ck_assert_int_eq(consumed("11111111-0000-0000-0000-000000000001"), 1);
}
END_TEST

START_TEST(suspended_sku_without_seats_is_the_seat_error_not_a_500)
{
    th_sql_exec(&srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled, "
                      "capability_status) VALUES ('11111111-0000-0000-0000-000000000002', "
                      "'SUSPENDED', 0, 'Suspended')");
    char id[GUID_SIZE];
    make_user("suspended@contoso.com", "US", id);
    struct th_response r;
    ck_assert_int_eq(
        assign(id,
               "{\"addLicenses\":[{\"skuId\":\"11111111-0000-0000-0000-000000000002\"}],"
               "\"removeLicenses\":[]}",
               &r),
        400);
    ck_assert_ptr_nonnull(strstr(message(&r), "does not have any available licenses"));
    th_response_free(&r);
    ck_assert_int_eq(consumed("11111111-0000-0000-0000-000000000002"), 0);
}
END_TEST

START_TEST(prohibited_country_and_no_usage_location_are_refused)
{
    char cn[GUID_SIZE], none[GUID_SIZE];
    make_user("li@contoso.com", "CN", cn);
    struct th_response r;
    ck_assert_int_eq(assign(cn,
                            "{\"addLicenses\":[{\"skuId\":\"" E3 "\"},{\"skuId\":\"" AUDIO "\"}],"
                            "\"removeLicenses\":[]}",
                            &r),
                     400);
    ck_assert_msg(strstr(message(&r), "MCOMEETADV is not available in usage location CN") != NULL,
                  "%s", message(&r));
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", cn), 0);

    /* No usage location: a direct assignment needs the user's own, even though the organization
     * has a country (only group paths inherit it, semantics §2). */
    make_user("nolocation@contoso.com", NULL, none);
    ck_assert_int_eq(assign(none,
                            "{\"addLicenses\":[{\"skuId\":\"" E3 "\"},{\"skuId\":\"" AUDIO
                            "\"}],\"removeLicenses\":[]}",
                            &r),
                     400);
    ck_assert_str_eq(message(&r),
                     "License assignment cannot be done for user with invalid usage location.");
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", none), 0);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM users WHERE id = '%s' AND usage_location IS "
                     "NULL",
                     none),
        1); /* licensing never writes usageLocation */
}
END_TEST

START_TEST(no_location_anywhere_is_invalid_usage_location)
{
    char id[GUID_SIZE];
    make_user("nowhere@contoso.com", NULL, id);
    th_sql_exec(&srv, "UPDATE organization SET country_letter_code = NULL");
    struct th_response r;
    long st = assign(id, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r);
    th_sql_exec(&srv, "UPDATE organization SET country_letter_code = 'US'");
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(message(&r),
                     "License assignment cannot be done for user with invalid usage location.");
    th_response_free(&r);
}
END_TEST

START_TEST(request_errors_are_graph_400s_and_404)
{
    char id[GUID_SIZE];
    make_user("errors@contoso.com", "US", id);
    struct {
        const char *body, *expect;
    } cases[] = {
        {"{\"addLicenses\":[]}", "The missing parameters are: removeLicenses."},
        {"{\"removeLicenses\":[]}", "The missing parameters are: addLicenses."},
        {"{\"addLicenses\":[{\"skuId\":\"99999999-9999-9999-9999-999999999999\"}],"
         "\"removeLicenses\":[]}",
         "License 99999999-9999-9999-9999-999999999999 does not correspond to a valid company "
         "License."},
        {"{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[\"" EXO2 "\"]}],"
         "\"removeLicenses\":[]}",
         "is not part of license"},
        {"{\"addLicenses\":[{\"skuId\":\"not-a-guid\"}],\"removeLicenses\":[]}", "skuId GUID"},
        {"{\"addLicenses\":{},\"removeLicenses\":[]}", "an array is expected"},
        {"{\"addLicenses\":[],\"removeLicenses\":[\"" E1 "\"]}", "does not have a corresponding"},
        {"{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[\"" E1 "\"]}",
         "both added and removed"},
        {"not json", "Unable to read JSON"},
        {"[1,2]", "a JSON object is expected"},
        {"{\"addLicenses\":[],\"removeLicenses\":[],\"x'; DROP TABLE users; --\":1}",
         "is not a valid parameter"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct th_response r;
        ck_assert_msg(assign(id, cases[i].body, &r) == 400, "case %zu: %ld %s", i, r.status,
                      r.body);
        ck_assert_msg(strstr(message(&r), cases[i].expect) != NULL, "case %zu: %s", i, message(&r));
        th_response_free(&r);
    }
    struct th_response r;
    ck_assert_int_eq(assign("nobody@contoso.com", "{\"addLicenses\":[],\"removeLicenses\":[]}", &r),
                     404);
    ck_assert_str_eq(th_error_code(&r), "Request_ResourceNotFound");
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", id), 0);
}
END_TEST

START_TEST(group_license_applies_on_reprocess_and_cannot_be_removed_directly)
{
    char id[GUID_SIZE];
    make_user("grace@contoso.com", "US", id);
    th_sql_exec(&srv, "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled, "
                      "security_enabled) VALUES ('aaaaaaaa-0000-0000-0000-000000000001', 'Sales', "
                      "'sales', false, true)");
    th_sql_execf(&srv,
                 "INSERT INTO group_members (group_id, member_id, member_type) VALUES "
                 "('aaaaaaaa-0000-0000-0000-000000000001', '%s', 'user');"
                 "INSERT INTO group_licenses (group_id, sku_id) VALUES "
                 "('aaaaaaaa-0000-0000-0000-000000000001', '" E3 "')",
                 id);
    long before = consumed(E3);
    struct th_response r;
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s/reprocessLicenseAssignment", id);
    th_request(&srv, "POST", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    ck_assert_int_eq(consumed(E3), before + 1);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'"
                     " AND group_id = 'aaaaaaaa-0000-0000-0000-000000000001' AND state = "
                     "'Active'",
                     id),
        1);
    /* The same SKU directly as well: two paths, still one seat (semantics §9). */
    ck_assert_int_eq(
        assign(id, "{\"addLicenses\":[{\"skuId\":\"" E3 "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(consumed(E3), before + 1);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM license_assignment_states WHERE user_id = '%s'",
                     id),
        2);
    ck_assert_int_eq(assign(id, "{\"addLicenses\":[],\"removeLicenses\":[\"" E3 "\"]}", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(consumed(E3), before + 1); /* still licensed through the group */
    ck_assert_int_eq(assign(id, "{\"addLicenses\":[],\"removeLicenses\":[\"" E3 "\"]}", &r), 400);
    ck_assert_msg(strstr(message(&r), "User license is inherited from a group membership and it "
                                      "cannot be removed directly from the user. Group: 'Sales' "
                                      "(aaaaaaaa-0000-0000-0000-000000000001).") != NULL,
                  "%s", message(&r));
    th_response_free(&r);
}
END_TEST

START_TEST(dependency_blocks_removing_the_prerequisite)
{
    char id[GUID_SIZE];
    make_user("dep@contoso.com", "US", id);
    struct th_response r;
    ck_assert_int_eq(
        assign(id, "{\"addLicenses\":[{\"skuId\":\"" AUDIO "\"}],\"removeLicenses\":[]}", &r),
        400); /* Audio Conferencing needs MCOSTANDARD first */
    ck_assert_msg(strstr(message(&r), "MCOMEETADV depends on the service plan(s) MCOSTANDARD") !=
                      NULL,
                  "%s", message(&r));
    th_response_free(&r);
    ck_assert_int_eq(assign(id,
                            "{\"addLicenses\":[{\"skuId\":\"" AUDIO "\"},{\"skuId\":\"" E3 "\"}],"
                            "\"removeLicenses\":[]}",
                            &r),
                     200);
    th_response_free(&r);
    ck_assert_int_eq(assign(id, "{\"addLicenses\":[],\"removeLicenses\":[\"" E3 "\"]}", &r), 400);
    ck_assert_msg(strstr(message(&r), "depends on") != NULL, "%s", message(&r));
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", id), 2);
}
END_TEST

START_TEST(mailbox_plan_adds_primary_smtp_and_duplicate_fails)
{
    char a[GUID_SIZE], b[GUID_SIZE];
    make_user("mbx@contoso.com", "US", a);
    struct th_response r;
    ck_assert_int_eq(
        assign(a, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r), 200);
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_proxy_addresses WHERE user_id = '%s' AND "
                     "address = 'SMTP:mbx@contoso.com' AND is_primary",
                     a),
        1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM users WHERE id = '%s' AND mail = "
                                  "'mbx@contoso.com'",
                                  a),
                     1);
    /* Another user whose address would be the same: UniquenessViolation, nothing applied. */
    make_user("other@contoso.com", "US", b);
    th_sql_execf(&srv, "UPDATE users SET mail = 'mbx@contoso.com' WHERE id = '%s'", b);
    ck_assert_int_eq(
        assign(b, "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}", &r), 400);
    ck_assert_msg(strstr(message(&r), "Proxy address is already being used") != NULL, "%s",
                  message(&r));
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", b), 0);
}
END_TEST

START_TEST(changes_and_failures_are_audited)
{
    long ok = th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name"
                                " = 'Change user license' AND result = 'success'");
    long failed = th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE "
                                    "activity_display_name = 'Change user license' AND result = "
                                    "'failure' AND result_reason LIKE '%available licenses%'");
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(failed, 0);
}
END_TEST

struct race_arg {
    const char *user;
    const char *body;
    long status;
};

static void *race_one(void *p)
{
    struct race_arg *a = p;
    struct th_response r;
    a->status = assign(a->user, a->body, &r);
    th_response_free(&r);
    return NULL;
}

START_TEST(fifty_parallel_assignments_for_ten_seats_sell_exactly_ten)
{
    enum { USERS = 50, SEATS = 10, ROUNDS = 10 };
    static char ids[USERS][GUID_SIZE];
    for (int u = 0; u < USERS; u++) {
        char upn[64];
        snprintf(upn, sizeof(upn), "racer%02d@contoso.com", u);
        make_user(upn, "US", ids[u]);
    }
    for (int round = 0; round < ROUNDS; round++) {
        char sku[GUID_SIZE], body[160];
        snprintf(sku, sizeof(sku), "22222222-0000-0000-0000-%012d", round);
        th_sql_execf(&srv,
                     "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', "
                     "'RACE%d', %d)",
                     sku, round, SEATS);
        snprintf(body, sizeof(body), "{\"addLicenses\":[{\"skuId\":\"%s\"}],\"removeLicenses\":[]}",
                 sku);
        pthread_t t[USERS];
        struct race_arg args[USERS];
        for (int u = 0; u < USERS; u++) {
            args[u] = (struct race_arg){ids[u], body, 0};
            pthread_create(&t[u], NULL, race_one, &args[u]);
        }
        int ok = 0, refused = 0;
        for (int u = 0; u < USERS; u++) {
            pthread_join(t[u], NULL);
            ok += args[u].status == 200;
            refused += args[u].status == 400;
        }
        ck_assert_int_eq(ok, SEATS);
        ck_assert_int_eq(refused, USERS - SEATS);
        ck_assert_int_eq(consumed(sku), SEATS);
        ck_assert_int_eq(
            th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE sku_id = '%s'", sku),
            SEATS);
    }
}
END_TEST

/* One transaction per thread, straight into user_licenses (the seats follow by trigger): the seat
 * shards of migration 016 are the only thing between them and overselling. */
struct seat_taker {
    const char *conninfo, *sku;
    char users[3][GUID_SIZE];
    int n_users;
    int taken, refused; /* licenses written; 1 when refused by the seat CHECK (23514) */
};

static void *take_seats(void *p)
{
    struct seat_taker *t = p;
    PGconn *c = PQconnectdb(t->conninfo);
    char sql[512];
    int o =
        snprintf(sql, sizeof(sql), "BEGIN; INSERT INTO user_licenses (user_id, sku_id) VALUES ");
    for (int i = 0; i < t->n_users; i++)
        o += snprintf(sql + o, sizeof(sql) - (size_t)o, "%s('%s', '%s')", i ? ", " : "",
                      t->users[i], t->sku);
    snprintf(sql + o, sizeof(sql) - (size_t)o, "; SELECT pg_sleep(0.02); COMMIT");
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        t->taken = t->n_users;
    else
        t->refused = strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514") == 0;
    PQclear(r);
    PQfinish(c);
    return NULL;
}

START_TEST(parallel_transactions_never_oversell_a_sku_split_over_shards)
{
    /* 40 seats spread over the 16 shards (2 or 3 each); 60 transactions at once, some taking
     * three seats in one statement (more than a shard holds: a rebalance). */
    enum { TAKERS = 60, SEATS = 40 };
    const char *sku = "33333333-0000-0000-0000-000000000001";
    th_sql_execf(&srv,
                 "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', "
                 "'SHARDED', %d);"
                 "INSERT INTO users (user_principal_name, display_name, mail_nickname,"
                 " account_enabled) SELECT 'shard' || i || '@contoso.com', 'S', 's', true"
                 "  FROM generate_series(1, %d) i",
                 sku, SEATS, TAKERS * 3);
    PGconn *c = th_db(&srv);
    PGresult *ids = PQexec(c, "SELECT id FROM users WHERE user_principal_name LIKE 'shard%' "
                              "ORDER BY id");
    static struct seat_taker takers[TAKERS];
    pthread_t t[TAKERS];
    for (int k = 0, row = 0; k < TAKERS; k++) {
        takers[k] = (struct seat_taker){.conninfo = srv.conninfo, .sku = sku};
        takers[k].n_users = k % 4 == 0 ? 3 : 1;
        for (int i = 0; i < takers[k].n_users; i++)
            snprintf(takers[k].users[i], GUID_SIZE, "%s", PQgetvalue(ids, row++, 0));
    }
    PQclear(ids);
    PQfinish(c);
    for (int k = 0; k < TAKERS; k++)
        pthread_create(&t[k], NULL, take_seats, &takers[k]);
    int taken = 0, failed = 0;
    for (int k = 0; k < TAKERS; k++) {
        pthread_join(t[k], NULL);
        taken += takers[k].taken;
        failed += takers[k].taken == 0;
        ck_assert_msg(takers[k].taken > 0 || takers[k].refused,
                      "a transaction failed with something else than the seat CHECK");
    }
    long held = th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE sku_id = '%s'", sku);
    ck_assert_int_eq(held, taken);
    ck_assert_int_le(taken, SEATS);
    ck_assert_int_eq(consumed(sku), taken);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT sum(free) FROM sku_seat_shards WHERE sku_id = '%s'", sku),
        SEATS - taken);
    /* Refused only when the seats were gone: fewer than three left for a three-seat one. */
    ck_assert_msg(failed > 0 && SEATS - taken < 3, "seats left unsold: %d", SEATS - taken);
    /* Each refusal came when no seat was left for it, and what is left is still sellable. */
    int left = SEATS - taken;
    for (int k = 0; k < left; k++) {
        th_sql_execf(&srv,
                     "INSERT INTO user_licenses (user_id, sku_id) SELECT id, '%s' FROM users"
                     " WHERE user_principal_name LIKE 'shard%%' AND id NOT IN"
                     " (SELECT user_id FROM user_licenses WHERE sku_id = '%s') ORDER BY id LIMIT 1",
                     sku, sku);
    }
    ck_assert_int_eq(consumed(sku), SEATS);
}
END_TEST

START_TEST(assignments_of_one_sku_do_not_wait_for_each_other)
{
    char holder_user[GUID_SIZE], user[GUID_SIZE], sql[256];
    make_user("seat-holder@contoso.com", "US", holder_user);
    make_user("seat-taker@contoso.com", "US", user);
    const char *sku = "33333333-0000-0000-0000-000000000002";
    th_sql_execf(&srv,
                 "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', "
                 "'PLENTY', 10000)",
                 sku);
    /* Another transaction holding a seat of the SKU (a license written, not yet committed). */
    struct lock_holder h;
    snprintf(sql, sizeof(sql),
             "BEGIN; INSERT INTO user_licenses (user_id, sku_id) VALUES ('%s', '%s')", holder_user,
             sku);
    lock_holder_start(&h, &srv, sql, PGRES_COMMAND_OK);
    char body[160];
    snprintf(body, sizeof(body), "{\"addLicenses\":[{\"skuId\":\"%s\"}],\"removeLicenses\":[]}",
             sku);
    struct th_response r;
    long status = assign(user, body, &r);
    th_response_free(&r);
    int released = lock_holder_finish(&h);
    ck_assert_int_eq(status, 200);
    ck_assert_msg(!released, "the assignment waited for the other transaction's seat");
    ck_assert_int_eq(consumed(sku), 1);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "assign", NULL);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("assign_license");
    TCase *tc = tcase_create("direct");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, e1_direct_then_e3_direct_conflicts_naming_both_plans);
    tcase_add_test(tc, parallel_transactions_never_oversell_a_sku_split_over_shards);
    tcase_add_test(tc, assignments_of_one_sku_do_not_wait_for_each_other);
    tcase_add_test(tc, swapping_e1_for_e3_in_one_call_succeeds);
    tcase_add_test(tc, last_seat_taken_answers_400_and_consumes_nothing);
    tcase_add_test(tc, suspended_sku_without_seats_is_the_seat_error_not_a_500);
    tcase_add_test(tc, prohibited_country_and_no_usage_location_are_refused);
    tcase_add_test(tc, no_location_anywhere_is_invalid_usage_location);
    tcase_add_test(tc, request_errors_are_graph_400s_and_404);
    tcase_add_test(tc, group_license_applies_on_reprocess_and_cannot_be_removed_directly);
    tcase_add_test(tc, dependency_blocks_removing_the_prerequisite);
    tcase_add_test(tc, mailbox_plan_adds_primary_smtp_and_duplicate_fails);
    tcase_add_test(tc, changes_and_failures_are_audited);
    tcase_add_test(tc, fifty_parallel_assignments_for_ten_seats_sell_exactly_ten);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
