/* OData on the directory collections: keyset paging at scale, $select, $top, $count, $orderby,
 * $filter (every supported form, and hostile text that must never reach SQL or answer 500). */
#include <unistd.h>

#include "tests/integration/directory_fixtures.h"

static struct th_server srv;

/* 2,500 users made in SQL (the API is tested elsewhere): "Paging 0000" .. "Paging 2499". */
static void load_paging_users(void)
{
    th_sql_exec(&srv, "INSERT INTO users (user_principal_name, display_name, mail_nickname, "
                      "account_enabled) SELECT 'paging' || i || '@contoso.com', 'Paging ' || "
                      "lpad(i::text, 4, '0'), 'p', true FROM generate_series(0, 2499) i "
                      "WHERE NOT EXISTS (SELECT 1 FROM users WHERE display_name = 'Paging 0000')");
}

START_TEST(paging_2500_users_with_top_999_returns_each_once_in_order)
{
    load_paging_users();
    char *enc = th_urlencode("startswith(displayName,'Paging ')");
    char path[512];
    snprintf(path, sizeof(path), "/v1.0/users?$top=999&$select=id,displayName&$filter=%s", enc);
    free(enc);
    int seen = 0, pages = 0;
    char *next = strdup(path);
    while (next != NULL) {
        struct th_response r;
        th_request(&srv, "GET", next, NULL, NULL, &r);
        free(next);
        next = NULL;
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        json_t *v = json_object_get(r.json, "value");
        for (size_t i = 0; i < json_array_size(v); i++) {
            char want[32];
            snprintf(want, sizeof(want), "Paging %04d", seen);
            ck_assert_str_eq(
                json_string_value(json_object_get(json_array_get(v, i), "displayName")), want);
            seen++;
        }
        pages++;
        const char *link = json_string_value(json_object_get(r.json, "@odata.nextLink"));
        if (link != NULL) {
            ck_assert_ptr_nonnull(strstr(link, "$skiptoken="));
            next = strdup(strstr(link, "/v1.0/"));
        }
        th_response_free(&r);
    }
    ck_assert_int_eq(seen, 2500);
    ck_assert_int_eq(pages, 3);
}
END_TEST

START_TEST(orderby_user_principal_name_pages_in_that_order)
{
    load_paging_users();
    struct th_response r;
    get_filtered(&srv, "/v1.0/users", "startswith(userPrincipalName,'paging1')",
                 "&$orderby=userPrincipalName&$top=3&$select=userPrincipalName", &r);
    ck_assert_int_eq(r.status, 200);
    json_t *v = json_object_get(r.json, "value");
    /* Byte order of the lower-cased name: '0' sorts before '@'. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "userPrincipalName")),
                     "paging1000@contoso.com");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "userPrincipalName")),
                     "paging1001@contoso.com");
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$orderby=jobTitle", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$orderby=displayName%20desc", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups?$orderby=userPrincipalName", NULL), 400);
}
END_TEST

START_TEST(select_returns_exactly_what_was_asked)
{
    char id[GUID_SIZE];
    make_user(&srv, "select@contoso.com", "Select Me", ",\"usageLocation\":\"FR\"", id);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users/select@contoso.com?$select=accountEnabled,usageLocation",
               NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_object_size(r.json), 3); /* + @odata.context */
    ck_assert(json_is_true(json_object_get(r.json, "accountEnabled")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "usageLocation")), "FR");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "@odata.context")),
                                 "#users(accountEnabled,usageLocation)/$entity"));
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users?$select=id&$top=2", NULL, NULL, &r);
    json_t *v = json_object_get(r.json, "value");
    for (size_t i = 0; i < json_array_size(v); i++)
        ck_assert_int_eq(json_object_size(json_array_get(v, i)), 1);
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users?$select=id,password", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups?$select=nope", NULL), 400);
}
END_TEST

START_TEST(top_out_of_range_and_skip_and_forged_token_are_400)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$top=1000", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_message(&r),
                     "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$top=0", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$skip=5", NULL), 400);
    /* $search needs ConsistencyLevel: eventual; users expand nothing here. */
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$search=%22displayName:a%22", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$expand=memberOf", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$skiptoken=abc", NULL), 400);
    /* A well-formed token of ours with a non-uuid id part. */
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$skiptoken=bGsxH2EfYg", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups?$top=abc", NULL), 400);
    /* Ours in form, but the key is invalid UTF-8: 400 before it reaches the database. */
    ck_assert_int_eq(
        call(&srv, "GET",
             "/v1.0/users?$skiptoken=bGsxH__-HzAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA",
             NULL),
        400);
}
END_TEST

START_TEST(count_needs_consistency_level)
{
    load_paging_users();
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$count=true&$top=1", NULL, NULL, &r);
    ck_assert_ptr_null(json_object_get(r.json, "@odata.count"));
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users?$count=true&$top=1", NULL, EVENTUAL_HEADERS, &r);
    long total = th_sql_long(&srv, "SELECT count(*) FROM users");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "@odata.count")), total);
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users/$count", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_message(&r), "$count is not currently supported.");
    th_response_free(&r);
    char *enc = th_urlencode("startswith(displayName,'Paging 00')");
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/users/$count?$filter=%s", enc);
    free(enc);
    th_request(&srv, "GET", path, NULL, EVENTUAL_HEADERS, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "100");
    char type[64];
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_ptr_nonnull(strstr(type, "text/plain"));
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/groups/$count", NULL, EVENTUAL_HEADERS, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}
END_TEST

/* GET /users/$count (ConsistencyLevel: eventual), asserting 200. */
static long users_count_answer(void)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users/$count", NULL, EVENTUAL_HEADERS, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    long n = atol(r.body);
    th_response_free(&r);
    return n;
}

/* Without $filter or $search the count is the one migration 015's statement triggers keep: it
 * stays count(*) across creates and deletes in separate sessions and transactions, a rolled-back
 * insert and a TRUNCATE; and it is what the answer reads (a shifted shard shows). */
START_TEST(count_kept_by_triggers_stays_exact)
{
    load_paging_users();
    const char *exact = "SELECT count(*) FROM users";
    ck_assert_int_eq(users_count_answer(), th_sql_long(&srv, exact));
    char a[GUID_SIZE], b[GUID_SIZE];
    make_user(&srv, "count.a@contoso.com", "Count A", "", a);
    make_user(&srv, "count.b@contoso.com", "Count B", "", b);
    th_sql_exec(&srv, "INSERT INTO users (user_principal_name, display_name, mail_nickname, "
                      "account_enabled) SELECT 'count' || i || '@contoso.com', 'Count ' || i, "
                      "'c', true FROM generate_series(1, 30) i");
    th_sql_exec(&srv, "BEGIN; INSERT INTO users (user_principal_name, display_name, "
                      "mail_nickname, account_enabled) SELECT 'gone' || i || '@contoso.com', 'G', "
                      "'g', true FROM generate_series(1, 5) i; ROLLBACK");
    th_sql_exec(&srv, "BEGIN; INSERT INTO users (user_principal_name, display_name, "
                      "mail_nickname, account_enabled) VALUES ('count.c@contoso.com', 'C', 'c', "
                      "true); DELETE FROM users WHERE user_principal_name IN "
                      "('count1@contoso.com', 'count2@contoso.com', 'count3@contoso.com'); "
                      "DELETE FROM users WHERE false; COMMIT");
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s", a);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    long total = th_sql_long(&srv, exact);
    ck_assert_int_eq(users_count_answer(), total);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$count=true&$top=1", NULL, EVENTUAL_HEADERS, &r);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "@odata.count")), total);
    th_response_free(&r);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM user_count"), 16);

    th_sql_exec(&srv, "UPDATE user_count SET n = n + 1000 WHERE shard = 15");
    ck_assert_int_eq(users_count_answer(), total + 1000);
    th_sql_exec(&srv, "UPDATE user_count SET n = n - 1000 WHERE shard = 15");
    ck_assert_int_eq(
        th_sql_long(&srv, "BEGIN; TRUNCATE users CASCADE; SELECT sum(n) FROM user_count"), 0);
    ck_assert_int_eq(users_count_answer(), total); /* the TRUNCATE was rolled back */
}
END_TEST

/* Count of users a filter returns (first page), asserting 200. */
static size_t filtered_count(const char *base, const char *filter)
{
    struct th_response r;
    get_filtered(&srv, base, filter, "&$top=999", &r);
    ck_assert_msg(r.status == 200, "%s -> %ld %s", filter, r.status, r.body);
    size_t n = json_array_size(json_object_get(r.json, "value"));
    th_response_free(&r);
    return n;
}

START_TEST(filter_forms_select_the_right_users)
{
    char a[GUID_SIZE], b[GUID_SIZE], c[GUID_SIZE], g[GUID_SIZE];
    make_user(&srv, "f-anna@fabrikam.com", "Fab Anna",
              ",\"usageLocation\":\"NL\",\"mail\":"
              "\"anna@fabrikam.com\",\"proxyAddresses\":[\"SMTP:anna@fabrikam.com\"]",
              a);
    make_user(&srv, "f-bert@fabrikam.com", "Fab Bert", ",\"usageLocation\":\"DE\"", b);
    make_user(&srv, "f-carl@fabrikam.com", "Fab Carl O'Neil", "", c);
    make_group(&srv, "Fab Unified", g);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"groupTypes\":[\"Unified\"]}"), 204);
    /* The worker reconciles the users just created; a license written behind its back before it
     * has would be taken away again (it backs no assignment). */
    for (int i = 0; i < 600 && th_sql_long(&srv, "SELECT count(*) FROM work_queue") > 0; i++)
        usleep(50000);
    th_sql_exec(&srv,
                "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES "
                "('05e9a617-0261-4cee-bb44-138d3ef5d965', 'SPE_E3', 10) ON CONFLICT DO NOTHING");
    th_sql_execf(&srv,
                 "INSERT INTO user_licenses (user_id, sku_id) VALUES ('%s', "
                 "'05e9a617-0261-4cee-bb44-138d3ef5d965')",
                 b);

    ck_assert_int_eq(filtered_count("/v1.0/users", "startswith(displayName,'fab ')"), 3);
    ck_assert_int_eq(filtered_count("/v1.0/users", "displayName eq 'Fab Carl O''Neil'"), 1);
    ck_assert_int_eq(filtered_count("/v1.0/users", "startswith(displayName,'Fab') and "
                                                   "usageLocation eq null"),
                     1);
    ck_assert_int_eq(filtered_count("/v1.0/users", "startswith(displayName,'Fab') and "
                                                   "not (usageLocation eq 'NL')"),
                     2);
    ck_assert_int_eq(filtered_count("/v1.0/users", "startswith(displayName,'Fab') and "
                                                   "usageLocation ne 'NL'"),
                     2);
    ck_assert_int_eq(filtered_count("/v1.0/users", "usageLocation in ('NL', 'DE') and "
                                                   "endswith(userPrincipalName,'@fabrikam.com')"),
                     2);
    ck_assert_int_eq(filtered_count("/v1.0/users", "userPrincipalName eq 'F-ANNA@fabrikam.com' or "
                                                   "userPrincipalName eq 'f-bert@fabrikam.com'"),
                     2);
    ck_assert_int_eq(filtered_count("/v1.0/users", "assignedLicenses/any(x:x/skuId eq "
                                                   "05e9a617-0261-4cee-bb44-138d3ef5d965)"),
                     1);
    ck_assert_int_eq(filtered_count("/v1.0/users", "proxyAddresses/any(p:p eq "
                                                   "'smtp:anna@fabrikam.com')"),
                     1);
    ck_assert_int_eq(filtered_count("/v1.0/users", "mail eq 'anna@fabrikam.com' or "
                                                   "assignedLicenses/any(x:x/skuId eq "
                                                   "05e9a617-0261-4cee-bb44-138d3ef5d965)"),
                     2);
    char filter[256];
    snprintf(filter, sizeof(filter), "id in ('%s', %s)", a, c);
    ck_assert_int_eq(filtered_count("/v1.0/users", filter), 2);
    ck_assert_int_eq(filtered_count("/v1.0/groups", "groupTypes/any(c:c eq 'Unified') and "
                                                    "startswith(displayName,'Fab')"),
                     1);
    ck_assert_int_eq(filtered_count("/v1.0/groups", "assignedLicenses/any(x:x/skuId eq "
                                                    "05e9a617-0261-4cee-bb44-138d3ef5d965)"),
                     0);
}
END_TEST

START_TEST(hostile_filters_answer_400_or_correct_empty_never_500)
{
    const char *hostile[] = {
        "displayName eq 'x'' OR ''1''=''1'",
        "displayName eq 'x' OR 1=1",
        "displayName eq 'x'; DROP TABLE users; --'",
        "displayName eq 'a'')); DELETE FROM users; --'",
        "startswith(displayName,'%')",
        "startswith(displayName,'_')",
        "displayName eq '\\'",
        "id eq 'x'' or 1=1 --'",
        "id eq 00000000-0000-0000-0000-00000000000g",
        "createdDateTime ge 2024-13-45T99:99:99Z",
        "assignedLicenses/any(x:x/skuId eq 'not-a-guid')",
        "accountEnabled eq 'true'",
        "displayName eq 'a' and (",
        "(((((((((((((((((((((((((((((((((((((displayName eq "
        "'a')))))))))))))))))))))))))))))))))))",
        "displayName/**/eq/**/'a'",
        "pg_sleep(10) eq 'a'",
        "displayName eq $$a$$",
        "displayName eq E'\\x41'",
    };
    long before = th_sql_long(&srv, "SELECT count(*) FROM users");
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct th_response r;
        get_filtered(&srv, "/v1.0/users", hostile[i], "", &r);
        ck_assert_msg(r.status == 400 || r.status == 200, "%s -> %ld %s", hostile[i], r.status,
                      r.body);
        if (r.status == 200)
            ck_assert_msg(json_array_size(json_object_get(r.json, "value")) == 0, "%s matched",
                          hostile[i]);
        else
            ck_assert(strcmp(th_error_code(&r), "BadRequest") == 0 ||
                      strcmp(th_error_code(&r), "Request_UnsupportedQuery") == 0);
        th_response_free(&r);
    }
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users"), before);
    /* Invalid UTF-8 and a long input. */
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$filter=displayName%20eq%20'%ff'", NULL), 400);
    char *big = malloc(20000);
    strcpy(big, "/v1.0/users?$filter=displayName%20eq%20'");
    size_t o = strlen(big);
    memset(big + o, 'a', 10000);
    strcpy(big + o + 10000, "'");
    ck_assert_int_eq(call(&srv, "GET", big, NULL), 400);
    free(big);
}
END_TEST

START_TEST(unsupported_filters_are_request_unsupported_query_naming_the_clause)
{
    struct th_response r;
    get_filtered(&srv, "/v1.0/users", "officeLocation eq 'x'", "", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(th_error_code(&r), "Request_UnsupportedQuery");
    ck_assert_ptr_nonnull(strstr(error_message(&r), "officeLocation"));
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/groups", "contains(displayName,'x')", "", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(error_message(&r), "contains"));
    th_response_free(&r);
    get_filtered(&srv, "/v1.0/users", "hasMembersWithLicenseErrors eq true", "", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(error_message(&r), "hasMembersWithLicenseErrors"));
    th_response_free(&r);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "odata", NULL);
    Suite *s = suite_create("odata_directory");
    TCase *tc = tcase_create("odata");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, paging_2500_users_with_top_999_returns_each_once_in_order);
    tcase_add_test(tc, orderby_user_principal_name_pages_in_that_order);
    tcase_add_test(tc, select_returns_exactly_what_was_asked);
    tcase_add_test(tc, top_out_of_range_and_skip_and_forged_token_are_400);
    tcase_add_test(tc, count_needs_consistency_level);
    tcase_add_test(tc, count_kept_by_triggers_stays_exact);
    tcase_add_test(tc, filter_forms_select_the_right_users);
    tcase_add_test(tc, hostile_filters_answer_400_or_correct_empty_never_500);
    tcase_add_test(tc, unsupported_filters_are_request_unsupported_query_naming_the_clause);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
