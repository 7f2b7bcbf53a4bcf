/* The admin console's files over HTTP: the /admin redirect, content types, the security headers
 * (a CSP that allows no inline script, nosniff), ETag revalidation, Graph 404s, the sign-in
 * settings of /admin/config.json with and without an OpenID Connect issuer; and the audit-log
 * filters its audit page uses (target, initiator). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

static struct th_server srv;

static void assert_header(const struct th_response *r, const char *name, const char *want)
{
    char got[512];
    th_header(r, name, got, sizeof(got));
    ck_assert_msg(strcmp(got, want) == 0, "%s: '%s', expected '%s'", name, got, want);
}

START_TEST(admin_without_slash_redirects_to_admin_slash)
{
    struct th_response r;
    th_request(&srv, "GET", "/admin", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 301);
    assert_header(&r, "Location", "/admin/");
    th_response_free(&r);
}
END_TEST

START_TEST(admin_index_is_html_under_a_policy_without_inline_script)
{
    struct th_response r;
    th_request(&srv, "GET", "/admin/", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_header(&r, "X-Content-Type-Options", "nosniff");
    assert_header(&r, "Cache-Control", "no-cache");
    char csp[512];
    th_header(&r, "Content-Security-Policy", csp, sizeof(csp));
    ck_assert_msg(strncmp(csp, "default-src 'self';", 19) == 0, "CSP '%s'", csp);
    ck_assert_ptr_null(strstr(csp, "unsafe-inline"));
    ck_assert_ptr_null(strstr(csp, "unsafe-eval"));
    ck_assert_ptr_nonnull(strstr(csp, "frame-ancestors 'none'"));
    ck_assert_ptr_nonnull(strstr(r.body, "<script type=\"module\" src=\"app.js\"></script>"));
    /* every script of the page is a file: no <script> without src */
    for (const char *p = strstr(r.body, "<script"); p; p = strstr(p + 1, "<script"))
        ck_assert_msg(strncmp(p, "<script type=\"module\" src=", 26) == 0, "inline script at %.40s",
                      p);
    th_response_free(&r);
}
END_TEST

START_TEST(console_files_carry_their_content_types)
{
    const char *cases[][2] = {{"/admin/app.js", "text/javascript; charset=utf-8"},
                              {"/admin/page-editor.js", "text/javascript; charset=utf-8"},
                              {"/admin/style.css", "text/css; charset=utf-8"},
                              {"/admin/icon.svg", "image/svg+xml; charset=utf-8"},
                              {"/admin/index.html", "text/html; charset=utf-8"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct th_response r;
        th_request(&srv, "GET", cases[i][0], NULL, NULL, &r);
        ck_assert_msg(r.status == 200, "%s: %ld", cases[i][0], r.status);
        assert_header(&r, "Content-Type", cases[i][1]);
        assert_header(&r, "X-Content-Type-Options", "nosniff");
        ck_assert(strlen(r.body) > 0);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(unchanged_file_revalidates_with_304)
{
    struct th_response r;
    th_request(&srv, "GET", "/admin/app.js", NULL, NULL, &r);
    char etag[64], header[128];
    th_header(&r, "ETag", etag, sizeof(etag));
    ck_assert_msg(strlen(etag) == 18 && etag[0] == '"', "ETag '%s'", etag);
    th_response_free(&r);

    snprintf(header, sizeof(header), "If-None-Match: %s", etag);
    const char *h304[] = {header, NULL};
    th_request(&srv, "GET", "/admin/app.js", NULL, h304, &r);
    ck_assert_int_eq(r.status, 304);
    ck_assert_str_eq(r.body, "");
    th_response_free(&r);

    const char *h200[] = {"If-None-Match: \"0000000000000000\"", NULL};
    th_request(&srv, "GET", "/admin/app.js", NULL, h200, &r);
    ck_assert_int_eq(r.status, 200);
    th_response_free(&r);
}
END_TEST

START_TEST(unknown_console_file_is_graph_404)
{
    const char *paths[] = {"/admin/nope.js", "/admin/..%2fMakefile", "/admin/app.js.map",
                           "/admin/api.js/x"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct th_response r;
        th_request(&srv, "GET", paths[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 404, "%s: %ld", paths[i], r.status);
        ck_assert_str_eq(th_error_code(&r), "Request_ResourceNotFound");
        th_response_free(&r);
    }
}
END_TEST

START_TEST(console_files_are_read_only)
{
    struct th_response r;
    th_request(&srv, "POST", "/admin/app.js", "{}", NULL, &r);
    ck_assert_int_eq(r.status, 405);
    th_response_free(&r);
}
END_TEST

START_TEST(config_without_issuer_offers_no_oidc)
{
    struct th_response r;
    th_request(&srv, "GET", "/admin/config.json", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_null(json_object_get(r.json, "oidc")));
    char csp[512];
    th_header(&r, "Content-Security-Policy", csp, sizeof(csp));
    ck_assert_ptr_nonnull(strstr(csp, "connect-src 'self';"));
    th_response_free(&r);
}
END_TEST

START_TEST(config_with_issuer_offers_oidc_and_lets_the_page_reach_it)
{
    struct th_server oidc;
    const char *env[] = {"LICENSINGD_CONSOLE_OIDC_ISSUER=https://login.example.com/tenant/v2.0",
                         "LICENSINGD_CONSOLE_CLIENT_ID=licensingd-console", NULL};
    th_server_start(&oidc, "console_oidc", env);
    struct th_response r;
    th_request(&oidc, "GET", "/admin/config.json", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j_oidc = json_object_get(r.json, "oidc");
    ck_assert_str_eq(json_string_value(json_object_get(j_oidc, "issuer")),
                     "https://login.example.com/tenant/v2.0");
    ck_assert_str_eq(json_string_value(json_object_get(j_oidc, "clientId")), "licensingd-console");
    ck_assert_str_eq(json_string_value(json_object_get(j_oidc, "scopes")), "openid profile");
    th_response_free(&r);
    th_request(&oidc, "GET", "/admin/", NULL, NULL, &r);
    char csp[512];
    th_header(&r, "Content-Security-Policy", csp, sizeof(csp));
    ck_assert_msg(strstr(csp, "connect-src 'self' https://login.example.com;") != NULL, "CSP '%s'",
                  csp);
    th_response_free(&r);
    ck_assert_int_eq(th_server_stop(&oidc, 5000, NULL), 0);
}
END_TEST

/* The audit page's filters: target id (indexed membership), target name, initiator. */
START_TEST(audit_log_filters_by_target_and_initiator)
{
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/groups",
               "{\"displayName\":\"Audited Group\",\"mailEnabled\":false,"
               "\"mailNickname\":\"audited\",\"securityEnabled\":true}",
               NULL, &r);
    ck_assert_int_eq(r.status, 201);
    char id[GUID_SIZE], upper[GUID_SIZE], path[512];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r.json, "id")));
    th_response_free(&r);
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
    th_sql_exec(&srv, "INSERT INTO directory_audits (activity_display_name, category,"
                      " operation_type, result, initiated_by, target_resources) VALUES"
                      " ('Update user', 'UserManagement', 'Update', 'success',"
                      " '{\"user\":{\"id\":\"u1\",\"userPrincipalName\":\"Ann@contoso.com\"},"
                      "\"app\":null}', '[{\"id\":\"someone\",\"type\":\"User\"}]')");

    const char *cases[][2] = {
        {"targetResources/any(t:t/id eq '%s')", "Add group"},
        {"targetResources/any(t:t/id eq '%s')", "Add group"}, /* upper-case id */
        {"targetResources/any(t:startswith(t/displayName,'audited g'))", "Add group"},
        {"initiatedBy/user/userPrincipalName eq 'ann@contoso.com'", "Update user"},
        {"startswith(initiatedBy/user/userPrincipalName,'ANN')", "Update user"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char filter[256];
        snprintf(filter, sizeof(filter), cases[i][0], i == 1 ? upper : id);
        char *encoded = th_urlencode(filter);
        snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", encoded);
        free(encoded);
        th_request(&srv, "GET", path, NULL, NULL, &r);
        ck_assert_msg(r.status == 200, "%s: %ld %s", filter, r.status, r.body);
        json_t *j_value = json_object_get(r.json, "value");
        ck_assert_msg(json_array_size(j_value) == 1, "%s: %s", filter, r.body);
        ck_assert_str_eq(
            json_string_value(json_object_get(json_array_get(j_value, 0), "activityDisplayName")),
            cases[i][1]);
        th_response_free(&r);
    }
    const char *refused[] = {"targetResources/any(t:t/id ne 'x')",
                             "initiatedBy/user/jobTitle eq 'x'", "initiatedBy eq 'x'"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char *encoded = th_urlencode(refused[i]);
        snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", encoded);
        free(encoded);
        th_request(&srv, "GET", path, NULL, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", refused[i], r.status);
        ck_assert_str_eq(th_error_code(&r), "Request_UnsupportedQuery");
        th_response_free(&r);
    }
}
END_TEST

int main(void)
{
    th_server_start(&srv, "console", NULL);
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, admin_without_slash_redirects_to_admin_slash);
    tcase_add_test(tc, admin_index_is_html_under_a_policy_without_inline_script);
    tcase_add_test(tc, console_files_carry_their_content_types);
    tcase_add_test(tc, unchanged_file_revalidates_with_304);
    tcase_add_test(tc, unknown_console_file_is_graph_404);
    tcase_add_test(tc, console_files_are_read_only);
    tcase_add_test(tc, config_without_issuer_offers_no_oidc);
    tcase_add_test(tc, config_with_issuer_offers_oidc_and_lets_the_page_reach_it);
    suite_add_tcase(s, tc);
    tc = tcase_create("audit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, audit_log_filters_by_target_and_initiator);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
