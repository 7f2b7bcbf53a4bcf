/* Groups, membership, organization and directoryAudits end to end. */
#include "tests/integration/directory_fixtures.h"
#include "tests/integration/lock_holder.h"
#include "db/directory.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <time.h>

static struct th_server srv;

START_TEST(create_group_returns_201_with_graph_defaults)
{
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/groups",
               "{\"displayName\":\"Sales\",\"mailEnabled\":false,\"mailNickname\":\"sales\","
               "\"securityEnabled\":true,\"groupTypes\":[\"Unified\"],\"description\":\"d\","
               "\"membershipRule\":null,\"membershipRuleProcessingState\":\"Paused\"}",
               NULL, &r);
    ck_assert_int_eq(r.status, 201);
    json_t *j = r.json;
    ck_assert_str_eq(json_object_iter_key(json_object_iter(j)), "@odata.context");
    ck_assert_str_eq(json_string_value(json_object_get(j, "displayName")), "Sales");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "groupTypes"), 0)),
                     "Unified");
    ck_assert_str_eq(json_string_value(json_object_get(j, "membershipRuleProcessingState")),
                     "Paused");
    ck_assert(json_is_array(json_object_get(j, "assignedLicenses")));
    ck_assert(json_is_null(json_object_get(j, "licenseProcessingState")));
    ck_assert_ptr_null(json_object_get(j, "hasMembersWithLicenseErrors"));
    th_response_free(&r);
}
END_TEST

START_TEST(create_group_validates_required_and_values)
{
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/groups",
                          "{\"displayName\":\"x\",\"mailEnabled\":false,\"mailNickname\":\"x\"}"),
                     400);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/groups",
                          "{\"displayName\":\"x\",\"mailEnabled\":false,\"mailNickname\":\"a b\","
                          "\"securityEnabled\":true}"),
                     400);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/groups",
                          "{\"displayName\":\"x\",\"mailEnabled\":false,\"mailNickname\":\"x\","
                          "\"securityEnabled\":true,\"groupTypes\":[\"Weird\"]}"),
                     400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups/not-a-guid", NULL), 404);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups/00000000-0000-4000-8000-000000000000", NULL),
                     404);
}
END_TEST

START_TEST(patch_group_is_204_and_audited)
{
    char g[GUID_SIZE], path[128];
    make_group(&srv, "Patch Me", g);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"description\":\"now described\"}"), 204);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "description")), "now described");
    th_response_free(&r);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM directory_audits WHERE activity_display_name "
                     "IN ('Add group', 'Update group') AND category = 'GroupManagement' "
                     "AND target_resources @> '[{\"id\":\"%s\"}]'",
                     g),
        2);
}
END_TEST

START_TEST(membership_add_list_remove_with_graph_errors)
{
    char g[GUID_SIZE], u[GUID_SIZE], sub[GUID_SIZE], path[256];
    make_group(&srv, "Members", g);
    make_group(&srv, "Nested", sub);
    make_user(&srv, "member@contoso.com", "Member", "", u);
    ck_assert_int_eq(add_member(&srv, g, u), 204);
    ck_assert_int_eq(add_member(&srv, g, sub), 204);
    struct th_response r;
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", g);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}", u);
    th_request(&srv, "POST", path, body, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_message(&r), "One or more added object references already exist for "
                                        "the following modified properties: 'members'.");
    th_response_free(&r);
    ck_assert_int_eq(add_member(&srv, g, "00000000-0000-4000-8000-000000000000"), 404);
    ck_assert_int_eq(call(&srv, "POST", path, "{\"@odata.id\":\"garbage\"}"), 400);

    snprintf(path, sizeof(path), "/v1.0/groups/%s/members", g);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *v = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(v), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "@odata.type")),
                     "#microsoft.graph.user");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "@odata.type")),
                     "#microsoft.graph.group");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.json, "@odata.context")), "#directoryObjects"));
    th_response_free(&r);

    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$count", g);
    ck_assert_int_eq(call(&srv, "GET", path, NULL), 400);
    th_request(&srv, "GET", path, NULL, EVENTUAL_HEADERS, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "2");
    th_response_free(&r);

    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", g, u);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404); /* Graph: a reference that is not there */
    ck_assert_str_eq(th_error_code(&r), "Request_ResourceNotFound");
    ck_assert_ptr_nonnull(strstr(error_message(&r), u));
    th_response_free(&r);
    snprintf(path, sizeof(path),
             "/v1.0/groups/%s/members/00000000-0000-4000-8000-000000000000/$ref", g);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 404);
}
END_TEST

START_TEST(member_changes_queue_the_user_and_are_audited)
{
    char g[GUID_SIZE], u[GUID_SIZE], path[256];
    make_group(&srv, "Queueing", g);
    make_user(&srv, "queued-member@contoso.com", "Queued", "", u);
    ck_assert_int_eq(add_member(&srv, g, u), 204);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", g, u);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM work_queue WHERE kind = 'user' AND target_id "
                     "= '%s' AND (reason LIKE 'added to group%%' OR reason LIKE "
                     "'removed from group%%')",
                     u),
        2);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM directory_audits WHERE activity_display_name "
                     "IN ('Add member to group', 'Remove member from group') AND "
                     "target_resources @> '[{\"id\":\"%s\",\"displayName\":\"Queued\","
                     "\"userPrincipalName\":\"queued-member@contoso.com\"}]'",
                     u),
        2);
}
END_TEST

/* {"members@odata.bind": [...]} for the first n ids (owned by caller). */
static char *bind_body(char ids[][GUID_SIZE], int n)
{
    char *body = malloc(8192);
    size_t o = (size_t)snprintf(body, 8192, "{\"members@odata.bind\":[");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(body + o, 8192 - o,
                              "%s\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"",
                              i ? "," : "", ids[i]);
    snprintf(body + o, 8192 - o, "]}");
    return body;
}

START_TEST(members_bind_accepts_20_atomically_and_refuses_21)
{
    char g[GUID_SIZE], path[128], sql[256];
    make_group(&srv, "Bound", g);
    char ids[21][GUID_SIZE];
    for (int i = 0; i < 21; i++) {
        char upn[64];
        snprintf(upn, sizeof(upn), "bind%02d@contoso.com", i);
        make_user(&srv, upn, "Bind", "", ids[i]);
    }
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM group_members WHERE group_id = '%s'", g);
    char *body = bind_body(ids, 21);
    ck_assert_int_eq(call(&srv, "PATCH", path, body), 400);
    free(body);
    ck_assert_int_eq(th_sql_long(&srv, sql), 0);
    /* 19 good ones and a missing one: nothing is applied. */
    char saved[GUID_SIZE];
    memcpy(saved, ids[19], GUID_SIZE);
    memcpy(ids[19], "00000000-0000-4000-8000-000000000000", GUID_SIZE);
    body = bind_body(ids, 20);
    ck_assert_int_eq(call(&srv, "PATCH", path, body), 404);
    free(body);
    ck_assert_int_eq(th_sql_long(&srv, sql), 0);
    memcpy(ids[19], saved, GUID_SIZE);
    body = bind_body(ids, 20);
    ck_assert_int_eq(call(&srv, "PATCH", path, body), 204);
    free(body);
    ck_assert_int_eq(th_sql_long(&srv, sql), 20);
}
END_TEST

/* A bind is refused as adding its members one at a time in order would refuse it first: a member
 * already (400), an unknown id (404), the group itself (400); nothing of a refused bind stays. */
START_TEST(members_bind_refuses_the_first_failing_member_and_applies_nothing)
{
    char g[GUID_SIZE], path[128], sql[256], ids[3][GUID_SIZE];
    make_group(&srv, "Refusals", g);
    make_user(&srv, "refused-a@contoso.com", "RA", "", ids[0]);
    make_user(&srv, "refused-b@contoso.com", "RB", "", ids[1]);
    ck_assert_int_eq(add_member(&srv, g, ids[0]), 204);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM group_members WHERE group_id = '%s'", g);
    const char *unknown = "00000000-0000-4000-8000-000000000000";
    struct {
        const char *a, *b;
        long status;
        const char *message;
    } cases[] = {
        {ids[1], ids[0], 400, "One or more added object references already exist"},
        {ids[0], unknown, 400, "One or more added object references already exist"},
        {unknown, ids[0], 404, "Resource '00000000-0000-4000-8000-000000000000' does not exist"},
        {ids[1], ids[1], 400, "One or more added object references already exist"},
        {ids[1], g, 400, "A group cannot be a member of itself."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char two[2][GUID_SIZE];
        snprintf(two[0], GUID_SIZE, "%s", cases[i].a);
        snprintf(two[1], GUID_SIZE, "%s", cases[i].b);
        char *body = bind_body(two, 2);
        struct th_response r;
        th_request(&srv, "PATCH", path, body, NULL, &r);
        free(body);
        ck_assert_int_eq(r.status, cases[i].status);
        ck_assert_ptr_nonnull(strstr(error_message(&r), cases[i].message));
        th_response_free(&r);
        ck_assert_int_eq(th_sql_long(&srv, sql), 1);
    }
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM work_queue WHERE kind = 'user' AND "
                                  "target_id = '%s'",
                                  ids[1]),
                     0);
}
END_TEST

/* A bind adds its members in the order given (seat priority), one "Add member to group" record
 * per member with its name, and queues each user member, not the nested group. */
START_TEST(members_bind_keeps_order_audits_and_queues_each_member)
{
    char g[GUID_SIZE], nested[GUID_SIZE], ids[4][GUID_SIZE], path[128];
    make_group(&srv, "Ordered", g);
    make_group(&srv, "Ordered nested", nested);
    make_user(&srv, "order-c@contoso.com", "OC", "", ids[0]);
    make_user(&srv, "order-a@contoso.com", "OA", "", ids[1]);
    memcpy(ids[2], nested, GUID_SIZE);
    make_user(&srv, "order-b@contoso.com", "OB", "", ids[3]);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    char *body = bind_body(ids, 4);
    ck_assert_int_eq(call(&srv, "PATCH", path, body), 204);
    free(body);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(th_sql_longf(&srv,
                                      "SELECT count(*) FROM group_members WHERE group_id = '%s' "
                                      "AND member_seq < (SELECT member_seq FROM group_members "
                                      "WHERE group_id = '%s' AND member_id = '%s')",
                                      g, g, ids[i]),
                         i);
        ck_assert_int_eq(th_sql_longf(&srv,
                                      "SELECT count(*) FROM directory_audits WHERE "
                                      "activity_display_name = 'Add member to group' AND "
                                      "target_resources @> '[{\"id\":\"%s\",\"type\":\"%s\"}]'"
                                      " AND target_resources::text LIKE '%%%s%%'",
                                      ids[i], i == 2 ? "Group" : "User", g),
                         1);
        ck_assert_int_eq(th_sql_longf(&srv,
                                      "SELECT count(*) FROM work_queue WHERE kind = 'user' AND "
                                      "target_id = '%s' AND reason = 'added to group %s'",
                                      ids[i], g),
                         i == 2 ? 0 : 1);
    }
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT count(*) FROM directory_audits WHERE "
                                        "activity_display_name = 'Add member to group' AND "
                                        "target_resources @> '[{\"displayName\":\"OA\","
                                        "\"userPrincipalName\":\"order-a@contoso.com\"}]'"),
                     1);
}
END_TEST

START_TEST(adding_members_does_not_wait_for_another_add_to_the_group)
{
    char g[GUID_SIZE], u[GUID_SIZE], v[GUID_SIZE], path[128], sql[160];
    make_group(&srv, "Concurrent adds", g);
    make_user(&srv, "concurrent-a@contoso.com", "CA", "", u);
    make_user(&srv, "concurrent-b@contoso.com", "CB", "", v);
    /* Another transaction holding what an add of members holds on the group (a key share lock). */
    struct lock_holder h;
    snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM groups WHERE id = '%s' FOR KEY SHARE", g);
    lock_holder_start(&h, &srv, sql, PGRES_TUPLES_OK);
    char ids[1][GUID_SIZE];
    memcpy(ids[0], u, GUID_SIZE);
    char *body = bind_body(ids, 1);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    long bind_status = call(&srv, "PATCH", path, body);
    free(body);
    long ref_status = add_member(&srv, g, v);
    int released = lock_holder_finish(&h);
    ck_assert_int_eq(bind_status, 204);
    ck_assert_int_eq(ref_status, 204);
    ck_assert_msg(!released, "the adds waited for the other transaction's lock of the group");
}
END_TEST

START_TEST(licensed_group_cannot_be_deleted_plain_group_can)
{
    char g[GUID_SIZE], u[GUID_SIZE], path[128];
    make_group(&srv, "Licensed", g);
    make_user(&srv, "licensed-member@contoso.com", "LM", "", u);
    ck_assert_int_eq(add_member(&srv, g, u), 204);
    th_sql_exec(&srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES "
                      "('c7df2760-2c81-4ef7-b578-5b5392b571df', 'ENTERPRISEPREMIUM', 5) "
                      "ON CONFLICT DO NOTHING");
    th_sql_execf(&srv,
                 "INSERT INTO group_licenses (group_id, sku_id) VALUES ('%s', "
                 "'c7df2760-2c81-4ef7-b578-5b5392b571df')",
                 g);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    struct th_response r;
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(th_error_code(&r), "Request_BadRequest");
    ck_assert_str_eq(
        error_message(&r),
        "You must remove all licenses assigned to the group before you can delete it.");
    th_response_free(&r);
    /* assignedLicenses shows the group's licenses. */
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "assignedLicenses"), 0), "skuId")),
                     "c7df2760-2c81-4ef7-b578-5b5392b571df");
    th_response_free(&r);
    th_sql_execf(&srv, "DELETE FROM group_licenses WHERE group_id = '%s'", g);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM group_members WHERE group_id = '%s'", g), 0);
    ck_assert_int_eq(call(&srv, "GET", path, NULL), 404);
}
END_TEST

START_TEST(has_members_with_license_errors_filters_and_shows_only_when_selected)
{
    char g[GUID_SIZE];
    make_group(&srv, "Erroring", g);
    /* A member with an error from this group (as the worker records it). */
    th_sql_execf(&srv,
                 "INSERT INTO skus (sku_id, sku_part_number) VALUES "
                 "('e0e0e0e0-0000-0000-0000-000000000001', 'ERRSKU') ON CONFLICT DO NOTHING;"
                 "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
                 " account_enabled) VALUES ('e0e0e0e0-0000-0000-0000-0000000000aa',"
                 " 'erroring@contoso.com', 'Erroring', 'e', true);"
                 "INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id, state,"
                 " error) VALUES ('e0e0e0e0-0000-0000-0000-0000000000aa',"
                 " 'e0e0e0e0-0000-0000-0000-000000000001', '%s', '%s', 'Error', 'CountViolation')",
                 g, g);
    struct th_response r;
    get_filtered(&srv, "/v1.0/groups", "hasMembersWithLicenseErrors eq true",
                 "&$select=id,hasMembersWithLicenseErrors", &r);
    ck_assert_int_eq(r.status, 200);
    json_t *v = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(v), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "id")), g);
    ck_assert(json_is_true(json_object_get(json_array_get(v, 0), "hasMembersWithLicenseErrors")));
    ck_assert_int_eq(json_object_size(json_array_get(v, 0)), 2);
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/groups", "hasMembersWithLicenseErrors eq false", "", &r);
    v = json_object_get(r.json, "value");
    for (size_t i = 0; i < json_array_size(v); i++) {
        ck_assert_str_ne(json_string_value(json_object_get(json_array_get(v, i), "id")), g);
        ck_assert_ptr_null(json_object_get(json_array_get(v, i), "hasMembersWithLicenseErrors"));
    }
    th_response_free(&r);
}
END_TEST

START_TEST(organization_is_empty_until_created_then_patchable)
{
    struct th_response r;
    th_sql_exec(&srv, "DELETE FROM organization");
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 0);
    th_response_free(&r);
    th_sql_exec(&srv, "INSERT INTO organization (display_name, country_letter_code, "
                      "verified_domains) VALUES ('Contoso', 'NL', '[{\"name\":\"contoso.com\","
                      "\"isDefault\":true,\"isInitial\":true,\"type\":\"Managed\","
                      "\"capabilities\":\"Email, OfficeCommunicationsOnline\"}]')");
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    json_t *org = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(org, "displayName")), "Contoso");
    ck_assert_str_eq(json_string_value(json_object_get(org, "countryLetterCode")), "NL");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(org, "verifiedDomains"), 0), "name")),
                     "contoso.com");
    ck_assert_ptr_nonnull(json_object_get(org, "createdDateTime"));
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/organization/%s",
             json_string_value(json_object_get(org, "id")));
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"countryLetterCode\":\"UK\"}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"id\":\"x\"}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path,
                          "{\"countryLetterCode\":\"DE\",\"displayName\":"
                          "\"Contoso GmbH\"}"),
                     204);
    ck_assert_int_eq(th_sql_long(&srv,
                                 "SELECT count(*) FROM organization WHERE "
                                 "country_letter_code = 'DE' AND display_name = 'Contoso GmbH'"),
                     1);
    ck_assert_int_eq(call(&srv, "PATCH", "/v1.0/organization/00000000-0000-4000-8000-000000000000",
                          "{\"displayName\":\"x\"}"),
                     404);
}
END_TEST

START_TEST(org_ensure_creates_the_organization_once_for_load_demo)
{
    th_sql_exec(&srv, "DELETE FROM organization");
    struct lic_error err;
    struct db_conn *conn = db_connect(srv.conninfo, &err);
    ck_assert_ptr_nonnull(conn);
    ck_assert_int_eq(db_org_ensure(conn, "Contoso Demo", "US", "contoso.com", NULL, &err), 0);
    ck_assert_int_eq(db_org_ensure(conn, "Other Name", "NL", "other.com", NULL, &err), 0);
    db_disconnect(conn);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    json_t *v = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(v), 1);
    json_t *org = json_array_get(v, 0);
    ck_assert_str_eq(json_string_value(json_object_get(org, "displayName")), "Contoso Demo");
    ck_assert_str_eq(json_string_value(json_object_get(org, "countryLetterCode")), "US");
    json_t *domain = json_array_get(json_object_get(org, "verifiedDomains"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(domain, "name")), "contoso.com");
    ck_assert(json_is_true(json_object_get(domain, "isDefault")));
    th_response_free(&r);
}
END_TEST

START_TEST(directory_audits_list_newest_first_with_filters_and_paging)
{
    char g[GUID_SIZE];
    make_group(&srv, "Audit A", g);
    make_group(&srv, "Audit B", g);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/auditLogs/directoryAudits?$top=1", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *first = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "activityDisplayName")), "Add group");
    const char *when = json_string_value(json_object_get(first, "activityDateTime"));
    ck_assert_int_eq(strlen(when), 28); /* 2018-01-09T21:20:02.7215374Z */
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(first, "targetResources"), 0), "displayName")),
        "Audit B");
    const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(next);
    struct th_response r2;
    th_request(&srv, "GET", strstr(next, "/v1.0/"), NULL, NULL, &r2);
    json_t *second = json_array_get(json_object_get(r2.json, "value"), 0);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(json_object_get(second, "targetResources"), 0), "displayName")),
        "Audit A");
    ck_assert(strcmp(json_string_value(json_object_get(second, "activityDateTime")), when) <= 0);
    th_response_free(&r2);
    th_response_free(&r);

    get_filtered(&srv, "/v1.0/auditLogs/directoryAudits",
                 "activityDisplayName eq 'Add group' and activityDateTime ge 2000-01-01T00:00:00Z",
                 "", &r);
    ck_assert_int_eq(r.status, 200);
    long adds = th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE "
                                  "activity_display_name = 'Add group'");
    ck_assert_int_eq((long)json_array_size(json_object_get(r.json, "value")), adds);
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/auditLogs/directoryAudits", "startswith(activityDisplayName,'Add')",
                 "", &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/auditLogs/directoryAudits",
                 "activityDateTime le 1999-01-01T00:00:00Z", "", &r);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "value")), 0);
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/auditLogs/directoryAudits", "loggedByService eq 'x'", "", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(th_error_code(&r), "Request_UnsupportedQuery");
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/auditLogs/directoryAudits?$skiptoken=bGsxHzEf", NULL),
                     400);
}
END_TEST

int main(void)
{
    /* An API-only replica: the work this suite checks is queued stays in the queue. */
    const char *env[] = {"LICENSINGD_WORKERS=0", NULL};
    th_server_start(&srv, "groups", env);
    Suite *s = suite_create("groups");
    TCase *tc = tcase_create("groups");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, create_group_returns_201_with_graph_defaults);
    tcase_add_test(tc, create_group_validates_required_and_values);
    tcase_add_test(tc, patch_group_is_204_and_audited);
    tcase_add_test(tc, membership_add_list_remove_with_graph_errors);
    tcase_add_test(tc, member_changes_queue_the_user_and_are_audited);
    tcase_add_test(tc, members_bind_accepts_20_atomically_and_refuses_21);
    tcase_add_test(tc, members_bind_refuses_the_first_failing_member_and_applies_nothing);
    tcase_add_test(tc, members_bind_keeps_order_audits_and_queues_each_member);
    tcase_add_test(tc, adding_members_does_not_wait_for_another_add_to_the_group);
    tcase_add_test(tc, licensed_group_cannot_be_deleted_plain_group_can);
    tcase_add_test(tc, has_members_with_license_errors_filters_and_shows_only_when_selected);
    tcase_add_test(tc, organization_is_empty_until_created_then_patchable);
    tcase_add_test(tc, org_ensure_creates_the_organization_once_for_load_demo);
    tcase_add_test(tc, directory_audits_list_newest_first_with_filters_and_paging);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
