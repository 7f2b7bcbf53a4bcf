/* The catalog API, end to end: subscribedSkus in Graph's shape with $select and paging, SKU
 * create/patch/delete rules, consumedUnits with several paths, licensedUsers, the service
 * plan rules with their validation, and the directoryAudit records of every change. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

static struct th_server srv;
static char org_id[64];

#define SKU_A "11111111-0000-4000-8000-00000000000a"
#define SKU_B "11111111-0000-4000-8000-00000000000b"
#define PLAN_1 "22222222-0000-4000-8000-000000000001"
#define PLAN_2 "22222222-0000-4000-8000-000000000002"
#define PLAN_3 "22222222-0000-4000-8000-000000000003"
#define USER_1 "33333333-0000-4000-8000-000000000001"
#define USER_2 "33333333-0000-4000-8000-000000000002"
#define GROUP_1 "44444444-0000-4000-8000-000000000001"
#define NIL "00000000-0000-0000-0000-000000000000"

static void request(const char *method, const char *path, const char *body, struct th_response *r)
{
    th_request(&srv, method, path, body, NULL, r);
}

static void expect_status(const char *method, const char *path, const char *body, long status)
{
    struct th_response r;
    request(method, path, body, &r);
    ck_assert_msg(r.status == status, "%s %s %s -> %ld %s", method, path, body ? body : "",
                  r.status, r.body);
    th_response_free(&r);
}

/* Creates a SKU with two plans (created by name) and the given seats; 201 expected. */
static void create_sku(const char *sku_id, const char *part, int seats)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"skuId\":\"%s\",\"skuPartNumber\":\"%s\",\"prepaidUnits\":{\"enabled\":%d},"
             "\"servicePlans\":[{\"servicePlanId\":\"" PLAN_1
             "\",\"servicePlanName\":\"PLAN_ONE\"},"
             "{\"servicePlanId\":\"" PLAN_2 "\",\"servicePlanName\":\"PLAN_TWO\"}]}",
             sku_id, part, seats);
    expect_status("POST", "/v1.0/subscribedSkus", body, 201);
}

static long sku_consumed(const char *sku_id)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/subscribedSkus/%s", sku_id);
    struct th_response r;
    request("GET", path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    long v = (long)json_integer_value(json_object_get(r.json, "consumedUnits"));
    th_response_free(&r);
    return v;
}

START_TEST(created_sku_has_graph_shape)
{
    create_sku(SKU_A, "TEST_PACK_A", 5);
    struct th_response r;
    char path[200];
    snprintf(path, sizeof(path), "/v1.0/subscribedSkus/%s_%s", org_id, SKU_A);
    request("GET", path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j = r.json;
    char id[120];
    snprintf(id, sizeof(id), "%s_%s", org_id, SKU_A);
    ck_assert_str_eq(json_string_value(json_object_get(j, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(j, "skuId")), SKU_A);
    ck_assert_str_eq(json_string_value(json_object_get(j, "skuPartNumber")), "TEST_PACK_A");
    ck_assert_str_eq(json_string_value(json_object_get(j, "accountId")), org_id);
    ck_assert_str_eq(json_string_value(json_object_get(j, "accountName")), "Catalog Test Org");
    ck_assert_str_eq(json_string_value(json_object_get(j, "appliesTo")), "User");
    ck_assert_str_eq(json_string_value(json_object_get(j, "capabilityStatus")), "Enabled");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "consumedUnits")), 0);
    json_t *units = json_object_get(j, "prepaidUnits");
    ck_assert_int_eq(json_integer_value(json_object_get(units, "enabled")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(units, "suspended")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(units, "warning")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(units, "lockedOut")), 0);
    json_t *plans = json_object_get(j, "servicePlans");
    ck_assert_int_eq(json_array_size(plans), 2);
    json_t *p0 = json_array_get(plans, 0);
    ck_assert_str_eq(json_string_value(json_object_get(p0, "servicePlanId")), PLAN_1);
    ck_assert_str_eq(json_string_value(json_object_get(p0, "servicePlanName")), "PLAN_ONE");
    ck_assert_str_eq(json_string_value(json_object_get(p0, "provisioningStatus")), "Success");
    ck_assert_str_eq(json_string_value(json_object_get(p0, "appliesTo")), "User");
    ck_assert(json_is_array(json_object_get(j, "subscriptionIds")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "@odata.context")),
                                 "$metadata#subscribedSkus/$entity"));
    th_response_free(&r);

    /* A bare skuId works too (extension); a foreign organization prefix or junk does not. */
    expect_status("GET", "/v1.0/subscribedSkus/" SKU_A, NULL, 200);
    expect_status("GET", "/v1.0/subscribedSkus/" NIL "_" SKU_A, NULL, 404);
    expect_status("GET", "/v1.0/subscribedSkus/nonsense", NULL, 404);
    expect_status("GET", "/v1.0/subscribedSkus/" SKU_B, NULL, 404);
}
END_TEST

START_TEST(create_sku_validates_and_applies_nothing_on_error)
{
    /* A plan given by id only must exist. */
    expect_status("POST", "/v1.0/subscribedSkus",
                  "{\"skuId\":\"" SKU_B "\",\"skuPartNumber\":\"B\",\"servicePlans\":"
                  "[{\"servicePlanId\":\"" PLAN_3 "\"}]}",
                  400);
    expect_status("GET", "/v1.0/subscribedSkus/" SKU_B, NULL, 404);
    expect_status("POST", "/v1.0/subscribedSkus", "{\"skuId\":\"" SKU_B "\"}", 400);
    expect_status("POST", "/v1.0/subscribedSkus",
                  "{\"skuPartNumber\":\"B\",\"prepaidUnits\":{\"enabled\":-1}}", 400);
    expect_status("POST", "/v1.0/subscribedSkus", "{\"skuPartNumber\":\"B\",\"bogus\":1}", 400);
    expect_status("POST", "/v1.0/subscribedSkus", "{\"skuPartNumber\":\"B\",\"skuId\":\"x\"}", 400);
    expect_status("POST", "/v1.0/subscribedSkus",
                  "{\"skuPartNumber\":\"B\",\"capabilityStatus\":\"Great\"}", 400);
    expect_status("POST", "/v1.0/subscribedSkus", "[1]", 400);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_part_number = 'B'"), 0);
    /* A known plan by id, and an existing skuId is a conflict. */
    expect_status("POST", "/v1.0/subscribedSkus",
                  "{\"skuId\":\"" SKU_B "\",\"skuPartNumber\":\"TEST_PACK_B\","
                  "\"subscriptionIds\":[\"55555555-0000-4000-8000-000000000001\"],"
                  "\"servicePlans\":[{\"servicePlanId\":\"" PLAN_1 "\"}]}",
                  201);
    expect_status("POST", "/v1.0/subscribedSkus",
                  "{\"skuId\":\"" SKU_B "\",\"skuPartNumber\":\"AGAIN\"}", 409);
}
END_TEST

START_TEST(list_supports_select_and_keyset_paging)
{
    struct th_response r;
    request("GET", "/v1.0/subscribedSkus?$select=skuId,consumedUnits", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "@odata.context")),
                                 "#subscribedSkus(skuId,consumedUnits)"));
    json_t *first = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_int_eq(json_object_size(first), 2);
    ck_assert_ptr_nonnull(json_object_get(first, "consumedUnits"));
    th_response_free(&r);

    request("GET", "/v1.0/subscribedSkus/" SKU_A "?$select=prepaidUnits", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_object_size(r.json), 2); /* + @odata.context */
    th_response_free(&r);

    /* Graph returns subscribedSkus whole, in skuId order here, and supports only $select. */
    request("GET", "/v1.0/subscribedSkus", NULL, &r);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 2);
    ck_assert_ptr_null(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "value"), 0), "skuId")),
                     SKU_A);
    th_response_free(&r);

    expect_status("GET", "/v1.0/subscribedSkus?$select=bogus", NULL, 400);
    expect_status("GET", "/v1.0/subscribedSkus?$top=1", NULL, 400);
    expect_status("GET", "/v1.0/subscribedSkus?$skiptoken=garbage", NULL, 400);
}
END_TEST

START_TEST(one_seat_per_user_whatever_the_paths_and_licensed_users_show_them)
{
    th_sql_exec(&srv, "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
                      " account_enabled) VALUES ('" USER_1 "', 'pat@catalog.test', 'Pat',"
                      " 'pat', true)");
    th_sql_exec(&srv, "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled,"
                      " security_enabled) VALUES ('" GROUP_1 "', 'Licensed', 'licensed', false,"
                      " true)");
    /* Direct and by group: two paths, one seat. */
    th_sql_exec(&srv, "INSERT INTO license_assignment_states (user_id, sku_id, path_id,"
                      " group_id, state) VALUES ('" USER_1 "', '" SKU_A "', '" NIL "', NULL,"
                      " 'Active'), ('" USER_1 "', '" SKU_A "', '" GROUP_1 "', '" GROUP_1 "',"
                      " 'Active')");
    th_sql_exec(&srv,
                "INSERT INTO user_licenses (user_id, sku_id) VALUES ('" USER_1 "', '" SKU_A "')");
    ck_assert_int_eq(sku_consumed(SKU_A), 1);

    struct th_response r;
    request("GET", "/v1.0/subscribedSkus/" SKU_A "/licensedUsers", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *users = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(users), 1);
    json_t *u = json_array_get(users, 0);
    ck_assert_str_eq(json_string_value(json_object_get(u, "id")), USER_1);
    ck_assert_str_eq(json_string_value(json_object_get(u, "userPrincipalName")),
                     "pat@catalog.test");
    json_t *paths = json_object_get(u, "paths");
    ck_assert_int_eq(json_array_size(paths), 2);
    ck_assert(json_is_null(json_object_get(json_array_get(paths, 0), "assignedByGroup")));
    json_t *by_group = json_array_get(paths, 1);
    ck_assert_str_eq(json_string_value(json_object_get(by_group, "assignedByGroup")), GROUP_1);
    ck_assert_str_eq(json_string_value(json_object_get(by_group, "groupDisplayName")), "Licensed");
    ck_assert_str_eq(json_string_value(json_object_get(by_group, "state")), "Active");
    th_response_free(&r);

    /* A second holder: one per page, by user id. */
    th_sql_exec(&srv, "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
                      " account_enabled) VALUES ('" USER_2 "', 'sam@catalog.test', 'Sam',"
                      " 'sam', true)");
    th_sql_exec(&srv,
                "INSERT INTO user_licenses (user_id, sku_id) VALUES ('" USER_2 "', '" SKU_A "')");
    ck_assert_int_eq(sku_consumed(SKU_A), 2);
    request("GET", "/v1.0/subscribedSkus/" SKU_A "/licensedUsers?$top=1", NULL, &r);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 1);
    const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(next);
    struct th_response r2;
    request("GET", strstr(next, "/v1.0/"), NULL, &r2);
    json_t *second = json_array_get(json_object_get(r2.json, "value"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(second, "id")), USER_2);
    ck_assert_int_eq(json_array_size(json_object_get(second, "paths")), 0);
    ck_assert_ptr_null(json_object_get(r2.json, "@odata.nextLink"));
    th_response_free(&r2);
    th_response_free(&r);
    th_sql_exec(&srv, "DELETE FROM user_licenses WHERE user_id = '" USER_2 "'");
    ck_assert_int_eq(sku_consumed(SKU_A), 1);

    request("GET", "/v1.0/subscribedSkus/" SKU_B "/licensedUsers", NULL, &r);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 0);
    th_response_free(&r);
    expect_status("GET", "/v1.0/subscribedSkus/" NIL "/licensedUsers", NULL, 404);
}
END_TEST

START_TEST(seats_cannot_go_below_consumed_and_added_seats_queue_the_sku)
{
    ck_assert_int_eq(sku_consumed(SKU_A), 1);
    struct th_response r;
    request("PATCH", "/v1.0/subscribedSkus/" SKU_A, "{\"prepaidUnits\":{\"enabled\":0}}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(th_error_code(&r), "Request_BadRequest");
    ck_assert_ptr_nonnull(strstr(r.body, "consumed"));
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_long(&srv, "SELECT prepaid_enabled FROM skus WHERE sku_id = '" SKU_A "'"), 5);

    /* Down to exactly consumed is fine; up queues the SKU for users waiting for a seat. */
    expect_status("PATCH", "/v1.0/subscribedSkus/" SKU_A, "{\"prepaidUnits\":{\"enabled\":1}}",
                  204);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM work_queue WHERE kind = 'sku'"), 0);
    char path[200];
    snprintf(path, sizeof(path), "/v1.0/subscribedSkus/%s_%s", org_id, SKU_A);
    expect_status("PATCH", path,
                  "{\"prepaidUnits\":{\"enabled\":4,\"warning\":2},\"capabilityStatus\":"
                  "\"Warning\"}",
                  204);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM work_queue WHERE kind = 'sku' AND"
                                       " target_id = '" SKU_A "' AND reason = 'seats added'"),
                     1);
    request("GET", path, NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "capabilityStatus")), "Warning");
    json_t *units = json_object_get(r.json, "prepaidUnits");
    ck_assert_int_eq(json_integer_value(json_object_get(units, "enabled")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(units, "warning")), 2);
    th_response_free(&r);

    expect_status("PATCH", path, "{\"capabilityStatus\":\"Great\"}", 400);
    expect_status("PATCH", path, "{\"skuPartNumber\":\"X\"}", 400);
    expect_status("PATCH", path, "{\"prepaidUnits\":{\"enabled\":\"many\"}}", 400);
    expect_status("PATCH", path, "{\"prepaidUnits\":{\"seats\":3}}", 400);
    expect_status("PATCH", "/v1.0/subscribedSkus/" NIL, "{\"capabilityStatus\":\"Enabled\"}", 404);
}
END_TEST

START_TEST(delete_is_refused_while_seats_are_consumed_or_assigned)
{
    struct th_response r;
    request("DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "in use"));
    th_response_free(&r);

    th_sql_exec(&srv, "DELETE FROM user_licenses; DELETE FROM license_assignment_states");
    ck_assert_int_eq(sku_consumed(SKU_A), 0);
    th_sql_exec(&srv, "INSERT INTO group_licenses (group_id, sku_id) VALUES ('" GROUP_1 "', '" SKU_A
                      "')");
    expect_status("DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, 400);
    th_sql_exec(&srv, "DELETE FROM group_licenses");
    th_sql_exec(&srv, "INSERT INTO user_direct_licenses (user_id, sku_id) VALUES ('" USER_1
                      "', '" SKU_A "')");
    expect_status("DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, 400);
    th_sql_exec(&srv, "DELETE FROM user_direct_licenses");

    expect_status("DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, 204);
    expect_status("GET", "/v1.0/subscribedSkus/" SKU_A, NULL, 404);
    expect_status("DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, 404);
    /* Its plans stay in the catalog. */
    expect_status("GET", "/v1.0/licensing/servicePlans/" PLAN_1, NULL, 200);
}
END_TEST

static json_t *plan(const char *id, struct th_response *r)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/licensing/servicePlans/%s", id);
    request("GET", path, NULL, r);
    ck_assert_int_eq(r->status, 200);
    return r->json;
}

START_TEST(plan_rules_are_replaced_atomically_and_conflicts_are_symmetric)
{
    th_sql_exec(&srv, "INSERT INTO service_plans (id, name) VALUES ('" PLAN_3 "', 'PLAN_THREE')");
    struct th_response r;
    request("PATCH", "/v1.0/licensing/servicePlans/" PLAN_1,
            "{\"displayName\":\"Plan one\",\"provisionsMailbox\":true,"
            "\"conflictsWith\":[\"" PLAN_2 "\"],\"requiresAnyOf\":[\"" PLAN_3 "\"],"
            "\"unavailableInCountries\":[\"US\",\"GB\"]}",
            &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "displayName")), "Plan one");
    ck_assert(json_is_true(json_object_get(r.json, "provisionsMailbox")));
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "unavailableInCountries")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "requiresAnyOf"), 0)),
                     PLAN_3);
    th_response_free(&r);

    /* Stored once, shown on both plans. */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plan_conflicts"), 1);
    json_t *two = plan(PLAN_2, &r);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(two, "conflictsWith"), 0)),
                     PLAN_1);
    th_response_free(&r);
    /* PLAN_2 > PLAN_1: declaring it from the other side changes nothing. */
    expect_status("PATCH", "/v1.0/licensing/servicePlans/" PLAN_2,
                  "{\"conflictsWith\":[\"" PLAN_1 "\"]}", 200);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plan_conflicts"), 1);

    /* Lists not given are kept; an empty list clears. */
    expect_status("PATCH", "/v1.0/licensing/servicePlans/" PLAN_1, "{\"conflictsWith\":[]}", 200);
    json_t *one = plan(PLAN_1, &r);
    ck_assert_int_eq(json_array_size(json_object_get(one, "conflictsWith")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(one, "requiresAnyOf")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(one, "unavailableInCountries")), 2);
    th_response_free(&r);
    json_t *again = plan(PLAN_2, &r);
    ck_assert_int_eq(json_array_size(json_object_get(again, "conflictsWith")), 0);
    th_response_free(&r);
}
END_TEST

START_TEST(plan_rule_validation_errors_are_400_and_change_nothing)
{
    const char *path = "/v1.0/licensing/servicePlans/" PLAN_1;
    expect_status("PATCH", path, "{\"conflictsWith\":[\"" PLAN_1 "\"]}", 400);
    expect_status("PATCH", path, "{\"requiresAnyOf\":[\"" PLAN_1 "\"]}", 400);
    expect_status("PATCH", path, "{\"unavailableInCountries\":[\"UK\"]}", 400);
    expect_status("PATCH", path, "{\"unavailableInCountries\":[\"us\"]}", 400);
    expect_status("PATCH", path, "{\"unavailableInCountries\":\"US\"}", 400);
    expect_status("PATCH", path, "{\"conflictsWith\":[\"nope\"]}", 400);
    expect_status("PATCH", path, "{\"provisionsMailbox\":\"yes\"}", 400);
    expect_status("PATCH", path, "{\"id\":\"" PLAN_2 "\"}", 400);
    /* An unknown plan id fails the whole request: the mailbox flag stays as it was. */
    struct th_response r;
    request("PATCH", path, "{\"provisionsMailbox\":false,\"conflictsWith\":[\"" NIL "\"]}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, NIL));
    th_response_free(&r);
    json_t *one = plan(PLAN_1, &r);
    ck_assert(json_is_true(json_object_get(one, "provisionsMailbox")));
    th_response_free(&r);
    expect_status("PATCH", "/v1.0/licensing/servicePlans/" NIL, "{\"name\":\"X\"}", 404);
    expect_status("GET", "/v1.0/licensing/servicePlans/" NIL, NULL, 404);
    expect_status("GET", "/v1.0/licensing/servicePlans/junk", NULL, 404);
}
END_TEST

START_TEST(plans_list_is_keyset_paged_by_name)
{
    struct th_response r;
    request("GET", "/v1.0/licensing/servicePlans?$top=2&$select=id,name", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *value = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(value), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(value, 0), "name")),
                     "PLAN_ONE");
    ck_assert_int_eq(json_object_size(json_array_get(value, 0)), 2);
    const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(next);
    struct th_response r2;
    request("GET", strstr(next, "/v1.0/"), NULL, &r2);
    ck_assert_int_eq(r2.status, 200);
    value = json_object_get(r2.json, "value");
    ck_assert_int_eq(json_array_size(value), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(value, 0), "name")),
                     "PLAN_TWO");
    ck_assert_ptr_null(json_object_get(r2.json, "@odata.nextLink"));
    th_response_free(&r2);
    th_response_free(&r);
}
END_TEST

/* The directoryAudits named activity (the API's $filter), newest first; r owns the list. */
static json_t *audits(const char *activity, struct th_response *r)
{
    char filter[160], path[512];
    snprintf(filter, sizeof(filter), "activityDisplayName eq '%s'", activity);
    char *enc = th_urlencode(filter);
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", enc);
    free(enc);
    request("GET", path, NULL, r);
    ck_assert_msg(r->status == 200, "%s", r->body);
    return json_object_get(r->json, "value");
}

static json_t *first_target(json_t *j_record)
{
    return json_array_get(json_object_get(j_record, "targetResources"), 0);
}

/* The modifiedProperties entry name of the record's target, or NULL. */
static json_t *change(json_t *j_record, const char *name)
{
    size_t i;
    json_t *j_mod;
    json_array_foreach(json_object_get(first_target(j_record), "modifiedProperties"), i, j_mod)
    {
        if (strcmp(json_string_value(json_object_get(j_mod, "displayName")), name) == 0)
            return j_mod;
    }
    return NULL;
}

/* A record of list on target_id with this result whose change name went from old_value to
 * new_value (name NULL: any record), or whose resultReason holds reason (reason NULL: any). */
static json_t *find(json_t *list, const char *target_id, const char *result, const char *name,
                    const char *old_value, const char *new_value, const char *reason)
{
    size_t i;
    json_t *j_rec;
    json_array_foreach(list, i, j_rec)
    {
        json_t *j_mod = name ? change(j_rec, name) : NULL;
        const char *old_text = json_string_value(json_object_get(j_mod, "oldValue"));
        if (strcmp(json_string_value(json_object_get(first_target(j_rec), "id")), target_id) != 0 ||
            strcmp(json_string_value(json_object_get(j_rec, "result")), result) != 0 ||
            (reason && !strstr(json_string_value(json_object_get(j_rec, "resultReason")), reason)))
            continue;
        if (name == NULL)
            return j_rec;
        if (j_mod != NULL &&
            (old_value ? old_text && strcmp(old_text, old_value) == 0
                       : json_is_null(json_object_get(j_mod, "oldValue"))) &&
            strcmp(json_string_value(json_object_get(j_mod, "newValue")), new_value) == 0)
            return j_rec;
    }
    return NULL;
}

START_TEST(sku_seat_and_plan_changes_and_refusals_are_audited)
{
    struct th_response r;
    json_t *list = audits("Add subscribedSku", &r);
    json_t *j_rec = find(list, SKU_A, "success", "prepaidUnits.enabled", NULL, "5", NULL);
    ck_assert_msg(j_rec != NULL, "%s", r.body);
    ck_assert_str_eq(json_string_value(json_object_get(j_rec, "category")), "DirectoryManagement");
    ck_assert_str_eq(json_string_value(json_object_get(j_rec, "operationType")), "Add");
    ck_assert_str_eq(json_string_value(json_object_get(first_target(j_rec), "type")),
                     "SubscribedSku");
    ck_assert_str_eq(json_string_value(json_object_get(first_target(j_rec), "displayName")),
                     "TEST_PACK_A");
    /* The refused second POST of SKU_B is recorded as a failure with Graph's reason. */
    ck_assert_ptr_nonnull(find(list, SKU_B, "success", NULL, NULL, NULL, NULL));
    ck_assert_ptr_nonnull(find(list, SKU_B, "failure", NULL, NULL, NULL, "already exists"));
    th_response_free(&r);

    /* Seats: old and new prepaidUnits.enabled, the refused lowering too, and the status. */
    list = audits("Update subscribedSku", &r);
    ck_assert_ptr_nonnull(find(list, SKU_A, "success", "prepaidUnits.enabled", "5", "1", NULL));
    ck_assert_ptr_nonnull(find(list, SKU_A, "success", "prepaidUnits.enabled", "1", "4", NULL));
    ck_assert_ptr_nonnull(
        find(list, SKU_A, "success", "capabilityStatus", "Enabled", "Warning", NULL));
    ck_assert_ptr_nonnull(
        find(list, SKU_A, "failure", "prepaidUnits.enabled", "5", "0", "seats are consumed"));
    th_response_free(&r);

    list = audits("Delete subscribedSku", &r);
    ck_assert_int_eq(json_array_size(list), 4); /* three refusals, then the delete (newest) */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "result")),
                     "success");
    ck_assert_ptr_nonnull(find(list, SKU_A, "failure", NULL, NULL, NULL, "still in use"));
    th_response_free(&r);

    list = audits("Update service plan", &r);
    ck_assert_ptr_nonnull(
        find(list, PLAN_1, "success", "provisionsMailbox", "false", "true", NULL));
    ck_assert_ptr_nonnull(
        find(list, PLAN_1, "success", "unavailableInCountries", "[]", "[\"GB\",\"US\"]", NULL));
    ck_assert_ptr_nonnull(
        find(list, PLAN_1, "success", "conflictsWith", "[\"" PLAN_2 "\"]", "[]", NULL));
    ck_assert_ptr_nonnull(find(list, PLAN_1, "failure", NULL, NULL, NULL, "does not exist"));
    th_response_free(&r);
}
END_TEST

int main(void)
{
    /* An API-only replica: the queued work this suite checks stays in the queue. */
    const char *env[] = {"LICENSINGD_WORKERS=0", NULL};
    th_server_start(&srv, "catalog", env);
    th_sql_exec(&srv, "INSERT INTO organization (display_name, country_letter_code)"
                      " VALUES ('Catalog Test Org', 'US')");
    PGconn *c = th_db(&srv);
    PGresult *res = PQexec(c, "SELECT id FROM organization");
    snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);

    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("skus"); /* tests build on each other, in this order */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, created_sku_has_graph_shape);
    tcase_add_test(tc, create_sku_validates_and_applies_nothing_on_error);
    tcase_add_test(tc, list_supports_select_and_keyset_paging);
    tcase_add_test(tc, one_seat_per_user_whatever_the_paths_and_licensed_users_show_them);
    tcase_add_test(tc, seats_cannot_go_below_consumed_and_added_seats_queue_the_sku);
    tcase_add_test(tc, delete_is_refused_while_seats_are_consumed_or_assigned);
    tcase_add_test(tc, plan_rules_are_replaced_atomically_and_conflicts_are_symmetric);
    tcase_add_test(tc, plan_rule_validation_errors_are_400_and_change_nothing);
    tcase_add_test(tc, plans_list_is_keyset_paged_by_name);
    tcase_add_test(tc, sku_seat_and_plan_changes_and_refusals_are_audited);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
