/* The Graph contract around the bodies, as official clients use it: paths, segments, media type,
 * the routes and query options Graph has (issue 13). */
#include "tests/integration/directory_fixtures.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

/* The organization and a small catalog: E1 (three plans) with seats. */
static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, service, provisions_mailbox, unavailable_in_countries) "
    "VALUES ('" EXO1 "', 'EXCHANGE_S_STANDARD', 'exchange', true, '{}'),"
    " ('" SPO1 "', 'SHAREPOINTSTANDARD', 'SharePoint', false, '{}'),"
    " ('" TEAMS "', 'TEAMS1', 'TeamspaceAPI', false, '{}');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
    " ('" E1 "', 'STANDARDPACK', 100), ('" E3 "', 'ENTERPRISEPACK', 100);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" EXO1 "', 1), ('" E1 "', '" SPO1 "', 2),"
    " ('" E1 "', '" TEAMS "', 3), ('" E3 "', '" TEAMS "', 1);";

/* GET path, expecting status; the answer in r (caller frees). */
static void get(const char *path, long status, struct th_response *r)
{
    th_request(&srv, "GET", path, NULL, NULL, r);
    ck_assert_msg(r->status == status, "GET %s: %ld %s", path, r->status, r->body);
}

static json_t *value_of(const struct th_response *r)
{
    return json_object_get(r->json, "value");
}

START_TEST(duplicate_slashes_are_one)
{
    char id[GUID_SIZE];
    make_user(&srv, "slashes@contoso.com", "Slashes", "", id);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0//users//%s", id);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), id);
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "//v1.0//users?$top=1", NULL), 200);
}
END_TEST

START_TEST(unknown_segment_is_400_naming_it)
{
    const char *paths[] = {"/v1.0/nope", "/v1.0/users/x/nope", "/v1.0/groups/g/members/a/nope"};
    const char *names[] = {"nope", "nope", "nope"};
    for (int i = 0; i < 3; i++) {
        struct th_response r;
        th_request(&srv, "GET", paths[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", paths[i], r.status);
        ck_assert_str_eq(th_error_code(&r), "BadRequest");
        char want[128];
        snprintf(want, sizeof(want), "Resource not found for the segment '%s'.", names[i]);
        ck_assert_str_eq(error_message(&r), want);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(json_answers_carry_odata_minimal_media_type)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$top=1", NULL, NULL, &r);
    char type[256];
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_str_eq(type, "application/json;odata.metadata=minimal;odata.streaming=true;"
                           "IEEE754Compatible=false");
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users/nobody@contoso.com", NULL, NULL, &r);
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(type, "application/json");
    th_response_free(&r);
}
END_TEST

START_TEST(organization_by_id_and_select)
{
    struct th_response r, one;
    get("/v1.0/organization?$select=displayName", 200, &r);
    json_t *org = json_array_get(value_of(&r), 0);
    ck_assert_int_eq(json_object_size(org), 1);
    ck_assert_str_eq(json_string_value(json_object_get(org, "displayName")), "Contoso");
    th_response_free(&r);
    get("/v1.0/organization", 200, &r);
    const char *id = json_string_value(json_object_get(json_array_get(value_of(&r), 0), "id"));
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/organization/%s?$select=id,countryLetterCode", id);
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "countryLetterCode")), "US");
    ck_assert_ptr_null(json_object_get(one.json, "displayName"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "#organization(id,countryLetterCode)/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    get("/v1.0/organization/00000000-0000-4000-8000-000000000000", 404, &r);
    th_response_free(&r);
    get("/v1.0/organization?$select=nope", 400, &r);
    ck_assert_str_eq(error_message(&r), "Could not find a property named 'nope' on type "
                                        "'microsoft.graph.organization'.");
    th_response_free(&r);
}
END_TEST

START_TEST(unknown_select_names_the_type)
{
    struct th_response r;
    get("/v1.0/users?$select=id,shoeSize", 400, &r);
    ck_assert_str_eq(error_message(&r),
                     "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
    th_response_free(&r);
    get("/v1.0/groups?$select=shoeSize", 400, &r);
    ck_assert_ptr_nonnull(strstr(error_message(&r), "'microsoft.graph.group'"));
    th_response_free(&r);
}
END_TEST

START_TEST(license_detail_by_id)
{
    char id[GUID_SIZE];
    make_user(&srv, "details@contoso.com", "Details", ",\"usageLocation\":\"US\"", id);
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", id);
    struct th_response r;
    th_request(&srv, "POST", path,
               "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[]}],"
               "\"removeLicenses\":[]}",
               NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails", id);
    get(path, 200, &r);
    const char *did = json_string_value(json_object_get(json_array_get(value_of(&r), 0), "id"));
    ck_assert_ptr_nonnull(did);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails/%s?$select=skuId", id, did);
    struct th_response one;
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "skuId")), E1);
    ck_assert_ptr_null(json_object_get(one.json, "servicePlans"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "/licenseDetails(skuId)/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails/nope", id);
    get(path, 404, &r);
    th_response_free(&r);
}
END_TEST

START_TEST(directory_audit_by_id_and_newest_first_order)
{
    char id[GUID_SIZE];
    make_user(&srv, "audited@contoso.com", "Audited", "", id);
    struct th_response r, one;
    get("/v1.0/auditLogs/directoryAudits?$orderby=activityDateTime%20desc&$top=1", 200, &r);
    json_t *rec = json_array_get(value_of(&r), 0);
    const char *aid = json_string_value(json_object_get(rec, "id"));
    ck_assert_ptr_nonnull(aid);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits/%s", aid);
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "id")), aid);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "activityDisplayName")),
                     json_string_value(json_object_get(rec, "activityDisplayName")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "#auditLogs/directoryAudits/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits/LICD_999999999", 404, &r);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits/garbage", 404, &r);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits?$orderby=category", 400, &r);
    th_response_free(&r);
}
END_TEST

START_TEST(members_with_license_errors_honours_select)
{
    char g[GUID_SIZE];
    make_group(&srv, "Errors select", g);
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/membersWithLicenseErrors?$select=id", g);
    struct th_response r;
    get(path, 200, &r);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.json, "@odata.context")), "(id)"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/membersWithLicenseErrors?$select=bogus", g);
    get(path, 400, &r);
    th_response_free(&r);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "contract", NULL);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, duplicate_slashes_are_one);
    tcase_add_test(tc, unknown_segment_is_400_naming_it);
    tcase_add_test(tc, json_answers_carry_odata_minimal_media_type);
    tcase_add_test(tc, organization_by_id_and_select);
    tcase_add_test(tc, unknown_select_names_the_type);
    tcase_add_test(tc, license_detail_by_id);
    tcase_add_test(tc, directory_audit_by_id_and_newest_first_order);
    tcase_add_test(tc, members_with_license_errors_honours_select);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
