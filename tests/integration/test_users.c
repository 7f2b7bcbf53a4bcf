/* Users end to end: create, get by id and UPN, update, delete, proxyAddresses, memberOf, the
 * queue and audit side effects, and Graph's errors. */
#include "tests/integration/directory_fixtures.h"

static struct th_server srv;

START_TEST(create_returns_201_with_default_shape_and_no_password)
{
    struct th_response r;
    th_request(
        &srv, "POST", "/v1.0/users",
        "{\"accountEnabled\":true,\"displayName\":\"Adele Vance\",\"mailNickname\":\"adele\","
        "\"userPrincipalName\":\"adele@contoso.com\",\"usageLocation\":\"US\","
        "\"passwordProfile\":{\"password\":\"Secret-123!\"}}",
        NULL, &r);
    ck_assert_int_eq(r.status, 201);
    const char *keys[] = {"@odata.context",
                          "businessPhones",
                          "displayName",
                          "givenName",
                          "jobTitle",
                          "mail",
                          "mobilePhone",
                          "officeLocation",
                          "preferredLanguage",
                          "surname",
                          "userPrincipalName",
                          "usageLocation",
                          "assignedLicenses",
                          "licenseAssignmentStates",
                          "id"};
    ck_assert_int_eq(json_object_size(r.json), sizeof(keys) / sizeof(keys[0]));
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(r.json, key, v) ck_assert_str_eq(key, keys[i++]); /* id last */
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "@odata.context")),
                                 "$metadata#users/$entity"));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "usageLocation")), "US");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "assignedLicenses")), 0);
    ck_assert_ptr_null(strstr(r.body, "Secret-123!"));
    ck_assert_ptr_null(strstr(r.body, "password"));
    th_response_free(&r);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users WHERE password_hash LIKE "
                                       "'%Secret-123!%'"),
                     0);
}
END_TEST

START_TEST(missing_required_property_is_400)
{
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/users",
               "{\"accountEnabled\":true,\"displayName\":\"No Upn\",\"mailNickname\":\"x\","
               "\"passwordProfile\":{\"password\":\"p\"}}",
               NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(error_message(&r), "userPrincipalName"));
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/users",
                          "{\"accountEnabled\":true,\"displayName\":\"No Pw\",\"mailNickname\":"
                          "\"x\",\"userPrincipalName\":\"nopw@contoso.com\"}"),
                     400);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/users", "[1]"), 400);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/users", "{\"accountEnabled\":\"yes\"}"), 400);
}
END_TEST

START_TEST(duplicate_upn_is_400_with_graph_conflict_message)
{
    char id[GUID_SIZE];
    make_user(&srv, "dup@contoso.com", "Dup One", "", id);
    struct th_response r;
    th_request(
        &srv, "POST", "/v1.0/users",
        "{\"accountEnabled\":true,\"displayName\":\"Dup Two\",\"mailNickname\":\"d\","
        "\"userPrincipalName\":\"DUP@contoso.com\",\"passwordProfile\":{\"password\":\"p\"}}",
        NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(th_error_code(&r), "Request_BadRequest");
    ck_assert_str_eq(error_message(&r),
                     "Another object with the same value for property userPrincipalName already "
                     "exists.");
    th_response_free(&r);
    /* And by PATCH onto another user. */
    char other[GUID_SIZE], path[128];
    make_user(&srv, "dup2@contoso.com", "Dup Three", "", other);
    snprintf(path, sizeof(path), "/v1.0/users/%s", other);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"userPrincipalName\":\"dup@contoso.com\"}"), 400);
}
END_TEST

START_TEST(get_by_id_and_by_upn_agree_and_missing_is_404)
{
    char id[GUID_SIZE], path[128];
    make_user(&srv, "megan@contoso.com", "Megan Bowen", "", id);
    struct th_response a, b;
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    th_request(&srv, "GET", path, NULL, NULL, &a);
    th_request(&srv, "GET", "/v1.0/users/Megan@Contoso.com", NULL, NULL, &b);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(b.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(b.json, "id")), id);
    ck_assert(json_equal(a.json, b.json));
    th_response_free(&a);
    th_response_free(&b);
    th_request(&srv, "GET", "/v1.0/users/nobody@contoso.com", NULL, NULL, &a);
    ck_assert_int_eq(a.status, 404);
    ck_assert_str_eq(th_error_code(&a), "Request_ResourceNotFound");
    th_response_free(&a);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users/00000000-0000-4000-8000-000000000000", NULL),
                     404);
}
END_TEST

START_TEST(usage_location_must_be_iso_3166_alpha_2)
{
    char id[GUID_SIZE], path[128];
    make_user(&srv, "loc@contoso.com", "Loc", "", id);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":\"UK\"}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":\"us\"}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":\"GB\"}"), 204);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users WHERE usage_location = 'GB'"
                                       " AND user_principal_name = 'loc@contoso.com'"),
                     1);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":null}"), 204);
}
END_TEST

START_TEST(patch_is_204_and_queues_licensing_relevant_changes_only)
{
    char id[GUID_SIZE], path[128], sql[256];
    make_user(&srv, "queue@contoso.com", "Queue Me", "", id);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM work_queue WHERE kind = 'user' AND "
             "target_id = '%s'",
             id);
    long before = th_sql_long(&srv, sql);
    ck_assert_int_eq(
        call(&srv, "PATCH", path, "{\"jobTitle\":\"Engineer\",\"department\":\"R&D\"}"), 204);
    ck_assert_int_eq(th_sql_long(&srv, sql), before);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":\"NL\"}"), 204);
    ck_assert_int_eq(th_sql_long(&srv, sql), before + 1);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"mail\":\"q@contoso.com\"}"), 204);
    ck_assert_int_eq(th_sql_long(&srv, sql), before + 2);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users/queue@contoso.com?$select=jobTitle,department,mail", NULL,
               NULL, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "jobTitle")), "Engineer");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "department")), "R&D");
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"id\":\"x\"}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"nonsense\":1}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", "/v1.0/users/none@contoso.com", "{\"jobTitle\":\"x\"}"),
                     404);
}
END_TEST

START_TEST(proxy_addresses_are_stored_with_key_and_primary_flag)
{
    char id[GUID_SIZE], path[128];
    make_user(&srv, "proxy@contoso.com", "Proxy",
              ",\"proxyAddresses\":[\"SMTP:Proxy@Contoso.com\",\"smtp:alias@contoso.com\"]", id);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM user_proxy_addresses WHERE user_id = '%s' AND "
                     "((address_key = 'proxy@contoso.com' AND is_primary) OR "
                     "(address_key = 'alias@contoso.com' AND NOT is_primary))",
                     id),
        2);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"proxyAddresses\":[\"no-prefix\"]}"), 400);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"proxyAddresses\":[\"SMTP:new@contoso.com\"]}"),
                     204);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_proxy_addresses WHERE user_id = '%s'", id),
        1);
    ck_assert_int_eq(th_sql_longf(&srv,
                                  "SELECT count(*) FROM work_queue WHERE target_id = '%s' AND "
                                  "reason LIKE '%%proxyAddresses%%'",
                                  id),
                     1);
}
END_TEST

START_TEST(delete_frees_the_seat_and_memberships_and_is_audited)
{
    char id[GUID_SIZE], group[GUID_SIZE], path[128];
    make_user(&srv, "leaver@contoso.com", "Leaver", "", id);
    make_group(&srv, "Leavers", group);
    ck_assert_int_eq(add_member(&srv, group, id), 204);
    th_sql_exec(&srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES "
                      "('6fd2c87f-b296-42f0-b197-1e91e994b900', 'ENTERPRISEPACK', 5)");
    th_sql_execf(&srv,
                 "INSERT INTO user_licenses (user_id, sku_id) VALUES ('%s', "
                 "'6fd2c87f-b296-42f0-b197-1e91e994b900')",
                 id);
    const char *seats = "SELECT skus.consumed_units FROM skus WHERE sku_id = "
                        "'6fd2c87f-b296-42f0-b197-1e91e994b900'";
    ck_assert_int_eq(th_sql_long(&srv, seats), 1);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    ck_assert_int_eq(th_sql_long(&srv, seats), 0);
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM group_members WHERE member_id = '%s'", id), 0);
    ck_assert_int_eq(call(&srv, "GET", path, NULL), 404);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 404);
    ck_assert_int_eq(
        th_sql_longf(&srv,
                     "SELECT count(*) FROM directory_audits WHERE activity_display_name "
                     "= 'Delete user' AND target_resources @> '[{\"id\":\"%s\"}]'",
                     id),
        1);
}
END_TEST

START_TEST(create_and_update_write_audit_records)
{
    char id[GUID_SIZE], path[128];
    make_user(&srv, "audited@contoso.com", "Audited", "", id);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"displayName\":\"Audited Two\"}"), 204);
    ck_assert_int_eq(
        th_sql_longf(
            &srv,
            "SELECT count(*) FROM directory_audits WHERE category = 'UserManagement' AND "
            "target_resources @> '[{\"id\":\"%s\",\"type\":\"User\","
            "\"userPrincipalName\":\"audited@contoso.com\"}]' AND activity_display_name IN "
            "('Add user', 'Update user')",
            id),
        2);
    ck_assert_int_eq(
        th_sql_longf(
            &srv,
            "SELECT count(*) FROM directory_audits WHERE activity_display_name = 'Update user' "
            "AND target_resources -> 0 -> 'modifiedProperties' @> '[{\"displayName\":"
            "\"displayName\",\"oldValue\":\"Audited\",\"newValue\":\"Audited Two\"}]'"),
        1);
}
END_TEST

START_TEST(member_of_lists_groups_with_odata_type)
{
    char id[GUID_SIZE], g1[GUID_SIZE], g2[GUID_SIZE];
    make_user(&srv, "joiner@contoso.com", "Joiner", "", id);
    make_group(&srv, "Joined A", g1);
    make_group(&srv, "Joined B", g2);
    ck_assert_int_eq(add_member(&srv, g1, id), 204);
    ck_assert_int_eq(add_member(&srv, g2, id), 204);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users/joiner@contoso.com/memberOf?$top=1", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *value = json_object_get(r.json, "value");
    ck_assert_int_eq(json_array_size(value), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(value, 0), "@odata.type")),
                     "#microsoft.graph.group");
    const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(next);
    struct th_response r2;
    th_request(&srv, "GET", strstr(next, "/v1.0/"), NULL, NULL, &r2);
    ck_assert_int_eq(json_array_size(json_object_get(r2.json, "value")), 1);
    ck_assert_ptr_null(json_object_get(r2.json, "@odata.nextLink"));
    ck_assert_str_ne(json_string_value(json_object_get(json_array_get(value, 0), "id")),
                     json_string_value(json_object_get(
                         json_array_get(json_object_get(r2.json, "value"), 0), "id")));
    th_response_free(&r);
    th_response_free(&r2);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users/ghost@contoso.com/memberOf", NULL), 404);
}
END_TEST

int main(void)
{
    /* An API-only replica: the work this suite checks is queued stays in the queue. */
    const char *env[] = {"LICENSINGD_WORKERS=0", NULL};
    th_server_start(&srv, "users", env);
    Suite *s = suite_create("users");
    TCase *tc = tcase_create("users");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, create_returns_201_with_default_shape_and_no_password);
    tcase_add_test(tc, missing_required_property_is_400);
    tcase_add_test(tc, duplicate_upn_is_400_with_graph_conflict_message);
    tcase_add_test(tc, get_by_id_and_by_upn_agree_and_missing_is_404);
    tcase_add_test(tc, usage_location_must_be_iso_3166_alpha_2);
    tcase_add_test(tc, patch_is_204_and_queues_licensing_relevant_changes_only);
    tcase_add_test(tc, proxy_addresses_are_stored_with_key_and_primary_flag);
    tcase_add_test(tc, delete_frees_the_seat_and_memberships_and_is_audited);
    tcase_add_test(tc, create_and_update_write_audit_records);
    tcase_add_test(tc, member_of_lists_groups_with_odata_type);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
