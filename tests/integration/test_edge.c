/* The edge, end to end: media types, CORS, Host and proxy headers, path and query tricks, the
 * last 500s, limits answered with 431, the access log, throttling and audit retention. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define ORIGIN "https://app.example"
#define PROXY "127.0.0.9"
#define ADELE "0a1d0000-0000-4000-8000-000000000101"
#define MARKETING "0a1d0000-0000-4000-8000-000000000001"

static struct th_server srv;   /* CORS origin, a trusted proxy, a 1 s sweep */
static struct th_server hosts; /* --allowed-hosts */
static struct th_server rated; /* --rate-limit 5 --rate-burst 10 */

static long status_of(const struct th_server *s, const char *method, const char *path,
                      const char *body, const char *const *headers)
{
    struct th_response r;
    th_request(s, method, path, body, headers, &r);
    long st = r.status;
    th_response_free(&r);
    return st;
}

/* ---- bodies ---- */

START_TEST(text_plain_post_is_415_and_creates_nothing)
{
    long users = th_sql_long(&srv, "SELECT count(*) FROM users");
    const char *body = "{\"accountEnabled\":true,\"displayName\":\"Blind\",\"mailNickname\":\"b\","
                       "\"userPrincipalName\":\"blind@contoso.onmicrosoft.com\","
                       "\"passwordProfile\":{\"password\":\"Secret-123!\"}}";
    /* What an HTML form or a no-preflight fetch() can send from any page: a blind write. */
    const char *types[] = {"Content-Type: text/plain\r\n",
                           "Content-Type: application/x-www-form-urlencoded\r\n",
                           "Content-Type: multipart/form-data; boundary=x\r\n",
                           "Content-Type: application/jsonp\r\n", ""};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char extra[256], out[4096];
        snprintf(extra, sizeof(extra), "%sOrigin: https://evil.example\r\n", types[i]);
        long st =
            ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users", extra, body, out, sizeof(out));
        ck_assert_msg(st == 415, "%s -> %ld", types[i], st);
        ck_assert_ptr_nonnull(strstr(out, "\"code\":\"UnsupportedMediaType\""));
    }
    /* PATCH too, and a charset parameter is fine. */
    ck_assert_int_eq(ec_request(&srv, "127.0.0.1", "PATCH", "/v1.0/users/" ADELE,
                                "Content-Type: text/plain\r\n", "{\"jobTitle\":\"x\"}", NULL, 0),
                     415);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users"), users);
    ck_assert_int_eq(ec_request(&srv, "127.0.0.1", "PATCH", "/v1.0/users/" ADELE,
                                "Content-Type: application/json; charset=utf-8\r\n",
                                "{\"jobTitle\":\"PM\"}", NULL, 0),
                     204);
}
END_TEST

/* ---- CORS ---- */

START_TEST(cors_preflight_from_an_allowed_origin_passes_another_gets_no_cors_headers)
{
    char out[8192], v[512];
    long st = ec_get(&srv, "127.0.0.1", "OPTIONS", "/v1.0/users",
                     "Origin: " ORIGIN "\r\nAccess-Control-Request-Method: POST\r\n"
                     "Access-Control-Request-Headers: authorization, content-type\r\n",
                     out, sizeof(out));
    ck_assert_int_eq(st, 204);
    ck_assert_str_eq(ec_header(out, "Access-Control-Allow-Origin", v, sizeof(v)), ORIGIN);
    ck_assert_ptr_nonnull(
        strstr(ec_header(out, "Access-Control-Allow-Methods", v, sizeof(v)), "POST"));
    ec_header(out, "Access-Control-Allow-Headers", v, sizeof(v));
    const char *need[] = {"Authorization", "Content-Type", "ConsistencyLevel", "client-request-id",
                          "Prefer"};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        ck_assert_msg(strstr(v, need[i]) != NULL, "%s missing from %s", need[i], v);
    ck_assert_str_eq(ec_header(out, "Access-Control-Allow-Credentials", v, sizeof(v)), "");
    ck_assert_str_eq(ec_header(out, "Vary", v, sizeof(v)), "Origin");

    st = ec_get(&srv, "127.0.0.1", "OPTIONS", "/v1.0/users",
                "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n", out,
                sizeof(out));
    ck_assert_int_eq(st, 403);
    ck_assert_ptr_null(strcasestr(out, "Access-Control-"));

    /* Without Origin, OPTIONS says what the path accepts. */
    st = ec_get(&srv, "127.0.0.1", "OPTIONS", "/v1.0/users/" ADELE, "", out, sizeof(out));
    ck_assert_int_eq(st, 204);
    ck_assert_str_eq(ec_header(out, "Allow", v, sizeof(v)), "GET, PATCH, DELETE, HEAD, OPTIONS");
    /* A path under /v1.0/ that names nothing: Graph's 400 naming the segment (issue 13). */
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "OPTIONS", "/v1.0/nothing", "", out, sizeof(out)),
                     400);
}
END_TEST

START_TEST(cors_headers_only_for_allowed_origins_and_nosniff_everywhere)
{
    char out[16384], v[512];
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1",
                            "Origin: " ORIGIN "\r\n", out, sizeof(out)),
                     200);
    ck_assert_str_eq(ec_header(out, "Access-Control-Allow-Origin", v, sizeof(v)), ORIGIN);
    ck_assert_ptr_nonnull(
        strstr(ec_header(out, "Access-Control-Expose-Headers", v, sizeof(v)), "request-id"));
    ck_assert_str_eq(ec_header(out, "X-Content-Type-Options", v, sizeof(v)), "nosniff");
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1",
                            "Origin: https://evil.example\r\n", out, sizeof(out)),
                     200);
    ck_assert_ptr_null(strcasestr(out, "Access-Control-"));
    /* Errors and health answers carry nosniff too. */
    const char *paths[] = {"/healthz", "/readyz", "/v1.0/nope", "/v1.0/users/%00"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        ec_get(&srv, "127.0.0.1", "GET", paths[i], "", out, sizeof(out));
        ck_assert_msg(strcmp(ec_header(out, "X-Content-Type-Options", v, sizeof(v)), "nosniff") ==
                          0,
                      "%s", paths[i]);
    }
}
END_TEST

/* ---- Host and proxies ---- */

START_TEST(forged_host_is_not_reflected_in_links)
{
    char out[16384];
    const char *forged = "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n"
                         "Forwarded: host=evil.example;proto=https\r\n";
    char req[2048];
    char *auth = ec_authorization("127.0.0.1");
    snprintf(
        req, sizeof(req),
        "GET /v1.0/users?$top=1 HTTP/1.1\r\nHost: evil.example\r\n%s%sConnection: close\r\n\r\n",
        auth, forged);
    ck_assert_int_eq(ec_raw(&srv, "127.0.0.1", req, strlen(req), out, sizeof(out)), 200);
    ck_assert_ptr_null(strstr(out, "evil.example"));
    ck_assert_ptr_nonnull(strstr(out, "\"@odata.nextLink\":\"http://127.0.0.1:"));
    /* The group assignment's Location header too. */
    snprintf(req, sizeof(req),
             "POST /v1.0/groups/" MARKETING "/assignLicense HTTP/1.1\r\nHost: evil.example\r\n%s"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             auth, strlen("{\"addLicenses\":[],\"removeLicenses\":[]}"),
             "{\"addLicenses\":[],\"removeLicenses\":[]}");
    long st = ec_raw(&srv, "127.0.0.1", req, strlen(req), out, sizeof(out));
    ck_assert_msg(st == 202 || st == 200, "%ld %s", st, out);
    ck_assert_ptr_null(strstr(out, "evil.example"));
    free(auth);
}
END_TEST

START_TEST(forwarded_headers_count_only_from_a_trusted_proxy)
{
    char out[16384];
    const char *fwd = "X-Forwarded-Host: api.example\r\nX-Forwarded-Proto: https\r\n";
    ck_assert_int_eq(ec_get(&srv, PROXY, "GET", "/v1.0/users?$top=1", fwd, out, sizeof(out)), 200);
    ck_assert_ptr_nonnull(strstr(out, "\"@odata.nextLink\":\"https://api.example/v1.0/users?"));
    ck_assert_int_eq(ec_get(&srv, PROXY, "GET", "/v1.0/users?$top=1",
                            "Forwarded: for=198.51.100.7;proto=https;host=graph.example\r\n", out,
                            sizeof(out)),
                     200);
    ck_assert_ptr_nonnull(strstr(out, "\"@odata.context\":\"https://graph.example/v1.0/$metadata"));
    /* The same headers from anyone else are ignored. */
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1", fwd, out, sizeof(out)),
                     200);
    ck_assert_ptr_null(strstr(out, "api.example"));
}
END_TEST

START_TEST(allowed_hosts_refuse_other_hosts_but_health_answers)
{
    char out[8192];
    char req[2048];
    char *auth = ec_authorization("127.0.0.1");
    snprintf(req, sizeof(req),
             "GET /v1.0/users HTTP/1.1\r\nHost: evil.example\r\n%sConnection: close\r\n\r\n", auth);
    ck_assert_int_eq(ec_raw(&hosts, "127.0.0.1", req, strlen(req), out, sizeof(out)), 400);
    ck_assert_ptr_nonnull(strstr(out, "\"code\":\"Request_BadRequest\""));
    snprintf(req, sizeof(req),
             "GET /v1.0/users?$top=1 HTTP/1.1\r\nHost: api.example:8443\r\n%sConnection: "
             "close\r\n\r\n",
             auth);
    ck_assert_int_eq(ec_raw(&hosts, "127.0.0.1", req, strlen(req), out, sizeof(out)), 200);
    ck_assert_ptr_nonnull(strstr(out, "\"@odata.context\":\"http://api.example:8443/v1.0/"));
    snprintf(req, sizeof(req),
             "GET /healthz HTTP/1.1\r\nHost: 10.1.2.3\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(ec_raw(&hosts, "127.0.0.1", req, strlen(req), out, sizeof(out)), 200);
    free(auth);
}
END_TEST

/* ---- paths ---- */

START_TEST(escaped_slash_and_nul_never_reach_assign_license)
{
    /* Let the worker finish earlier tests' group work: only these requests may change things. */
    for (int i = 0; i < 300 && th_sql_long(&srv, "SELECT count(*) FROM work_queue") > 0; i++)
        usleep(100000);
    usleep(300000);
    long licenses = th_sql_long(&srv, "SELECT count(*) FROM user_licenses");
    long audits = th_sql_long(&srv, "SELECT count(*) FROM directory_audits");
    const char *body = "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}";
    struct {
        const char *path;
        long status;
    } cases[] = {
        {"/v1.0/users/adele.vance@contoso.onmicrosoft.com%2FassignLicense", 405},
        {"/v1.0/users/adele.vance@contoso.onmicrosoft.com%2fassignLicense", 405},
        {"/v1.0/users/" ADELE "%2FassignLicense", 405},
        {"/v1.0/users/x%2F..%2F" ADELE "/assignLicense", 404},
        {"/v1.0/users/" ADELE "%00/assignLicense", 400},
        {"/v1.0/users/" ADELE "/assignLicense%00", 400},
        {"/v1.0/users/" ADELE "/assignLicense%00.json", 400},
        {"/v1.0/users/" ADELE "%00%2FassignLicense", 400},
        {"/v1.0/groups/" MARKETING "%2FassignLicense", 405},
        {"/v1.0/users/%2e%2e/users/" ADELE "/assignLicense", 400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st = ec_request(&srv, "127.0.0.1", "POST", cases[i].path,
                             "Content-Type: application/json\r\n", body, NULL, 0);
        ck_assert_msg(st == cases[i].status, "%s -> %ld", cases[i].path, st);
    }
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM user_licenses"), licenses);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM directory_audits"), audits);
}
END_TEST

/* Every route of the table, with each {placeholder} replaced by bytes that are not UTF-8. */
START_TEST(invalid_utf8_ids_are_4xx_on_every_route)
{
    const char *ids[] = {"%FF", "%C3%28", "%ED%A0%80", "\xff", "a%E2%82"};
    int tried = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        if (strchr(api_routes[i].pattern, '{') == NULL)
            continue;
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
            char path[512] = "";
            for (const char *p = api_routes[i].pattern; *p;) {
                if (*p == '{') {
                    strcat(path, ids[k]);
                    p = strchr(p, '}') + 1;
                } else {
                    strncat(path, p, 1);
                    p++;
                }
            }
            char method[16];
            snprintf(method, sizeof(method), "%s",
                     api_routes[i].method == HTTP_GET      ? "GET"
                     : api_routes[i].method == HTTP_POST   ? "POST"
                     : api_routes[i].method == HTTP_PATCH  ? "PATCH"
                     : api_routes[i].method == HTTP_DELETE ? "DELETE"
                                                           : "PUT");
            long st = ec_request(&srv, "127.0.0.1", method, path,
                                 "Content-Type: application/json\r\n", "{}", NULL, 0);
            ck_assert_msg(st == 404 || st == 400, "%s %s -> %ld", method, path, st);
            tried++;
        }
    }
    ck_assert_int_ge(tried, 100);
    ck_assert_int_eq(status_of(&srv, "GET", "/healthz", NULL, NULL), 200);
}
END_TEST

START_TEST(datetime_with_129_fraction_digits_is_400)
{
    char frac[200];
    memset(frac, '1', 129);
    frac[129] = '\0';
    char filter[512];
    snprintf(filter, sizeof(filter), "activityDateTime ge 2024-01-01T00:00:00.%sZ", frac);
    char *enc = th_urlencode(filter);
    char path[1024];
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", enc);
    ck_assert_int_eq(status_of(&srv, "GET", path, NULL, NULL), 400);
    free(enc);
    /* Twelve digits are still a date-time. */
    enc = th_urlencode("activityDateTime ge 2024-01-01T00:00:00.123456789012Z");
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", enc);
    ck_assert_int_eq(status_of(&srv, "GET", path, NULL, NULL), 200);
    free(enc);
}
END_TEST

/* ---- limits ---- */

START_TEST(too_many_query_parameters_or_headers_are_431_answered)
{
    const int counts[] = {65, 456, 1000, 3000};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        size_t cap = (size_t)counts[i] * 12 + 64;
        char *path = malloc(cap);
        int n = snprintf(path, cap, "/v1.0/users?");
        for (int k = 0; k < counts[i]; k++)
            n += snprintf(path + n, cap - (size_t)n, "%sp%d=x", k ? "&" : "", k);
        char out[4096];
        long st = ec_get(&srv, "127.0.0.1", "GET", path, "", out, sizeof(out));
        ck_assert_msg(st == 431, "%d parameters -> %ld", counts[i], st);
        ck_assert_ptr_nonnull(strstr(out, "RequestHeaderFieldsTooLarge"));
        free(path);
    }
    /* 64 parameters are fine (and the same name twice is Graph's 400). */
    char path[2048] = "/v1.0/users?$top=1";
    for (int k = 1; k < 64; k++)
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "&p%d=x", k);
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", path, "", NULL, 0), 200);
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users?$top=1&$top=2", "", NULL, 0),
                     400);

    const int headers[] = {150, 2000};
    for (size_t i = 0; i < 2; i++) {
        size_t cap = (size_t)headers[i] * 24 + 64;
        char *extra = malloc(cap);
        int n = 0;
        extra[0] = '\0';
        for (int k = 0; k < headers[i]; k++)
            n += snprintf(extra + n, cap - (size_t)n, "X-Pad-%d: v\r\n", k);
        long st = ec_get(&srv, "127.0.0.1", "GET", "/v1.0/users", extra, NULL, 0);
        ck_assert_msg(st == 431, "%d headers -> %ld", headers[i], st);
        free(extra);
    }
    ck_assert_int_eq(status_of(&srv, "GET", "/healthz", NULL, NULL), 200);
}
END_TEST

START_TEST(every_request_is_in_the_access_log_escaped)
{
    char out[4096], rid[64];
    char req[2048];
    char *auth = ec_authorization("127.0.0.1");
    int len = snprintf(req, sizeof(req),
                       "GET /v1.0/us\xff\xfe/\x01zz HTTP/1.1\r\nHost: x\r\n%sConnection: "
                       "close\r\n\r\n",
                       auth);
    free(auth);
    long st = ec_raw(&srv, "127.0.0.1", req, (size_t)len, out, sizeof(out));
    ck_assert_int_eq(st, 404);
    ec_header(out, "request-id", rid, sizeof(rid));
    ck_assert_uint_eq(strlen(rid), 36);
    usleep(200000);
    FILE *f = fopen(srv.log_path, "r");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    int found = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, rid) != NULL) {
            found = 1;
            ck_assert_msg(strstr(line, "\"path\":\"/v1.0/us%FF%FE/%01zz\"") != NULL, "%s", line);
            ck_assert_ptr_nonnull(strstr(line, "\"status\":404"));
            ck_assert_ptr_nonnull(strstr(line, "\"client\":\"127.0.0.1\""));
        }
    fclose(f);
    ck_assert_msg(found, "request %s not in %s", rid, srv.log_path);
}
END_TEST

/* ---- look-alike accounts ---- */

START_TEST(upns_with_look_alike_letters_trailing_dots_or_unverified_domains_are_400)
{
    long users = th_sql_long(&srv, "SELECT count(*) FROM users");
    const char *json = "Content-Type: application/json\r\n";
    const char *bad[] = {"\xd0\xb0"
                         "dele.vance@contoso.onmicrosoft.com", /* Cyrillic a */
                         "al\xc4\xb1"
                         "ce@contoso.onmicrosoft.com", /* dotless i */
                         "alice@contoso.onmicrosoft.com.", "alice.@contoso.onmicrosoft.com",
                         "alice@fabrikam.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[512], out[4096];
        snprintf(body, sizeof(body),
                 "{\"accountEnabled\":true,\"displayName\":\"A\",\"mailNickname\":\"a\","
                 "\"userPrincipalName\":\"%s\",\"passwordProfile\":{\"password\":\"P-1abc!x\"}}",
                 bad[i]);
        long st =
            ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users", json, body, out, sizeof(out));
        ck_assert_msg(st == 400 && strstr(out, "userPrincipalName") != NULL, "%s -> %ld", bad[i],
                      st);
    }
    ck_assert_int_eq(ec_request(&srv, "127.0.0.1", "PATCH", "/v1.0/users/" ADELE, json,
                                "{\"userPrincipalName\":\"adele@fabrikam.com\"}", NULL, 0),
                     400);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users"), users);
    ck_assert_int_eq(
        ec_request(&srv, "127.0.0.1", "POST", "/v1.0/users", json,
                   "{\"accountEnabled\":true,\"displayName\":\"A\",\"mailNickname\":\"a\","
                   "\"userPrincipalName\":\"o'neil_a-b@CONTOSO.onmicrosoft.com\","
                   "\"passwordProfile\":{\"password\":\"P-1abc!x\"}}",
                   NULL, 0),
        201);
}
END_TEST

/* ---- throttling ---- */

START_TEST(a_client_over_its_rate_gets_429_while_another_is_served)
{
    char out[8192], v[64];
    int ok = 0, throttled = 0;
    for (int i = 0; i < 25; i++) {
        long st = ec_get(&rated, "127.0.0.2", "GET", "/v1.0/users?$top=1", "", out, sizeof(out));
        if (st == 200)
            ok++;
        if (st == 429) {
            throttled++;
            long after = strtol(ec_header(out, "Retry-After", v, sizeof(v)), NULL, 10);
            ck_assert_int_ge(after, 1);
            ck_assert_ptr_nonnull(strstr(out, "\"code\":\"TooManyRequests\""));
            ck_assert_ptr_nonnull(strstr(out, "\"innerError\""));
        }
    }
    printf("rate 5/s burst 10: client A %d served, %d throttled of 25\n", ok, throttled);
    ck_assert_int_ge(ok, 10);
    ck_assert_int_ge(throttled, 5);
    /* Another client, at the same moment. */
    ck_assert_int_eq(ec_get(&rated, "127.0.0.3", "GET", "/v1.0/users?$top=1", "", NULL, 0), 200);
    /* Probes are never throttled. */
    ck_assert_int_eq(ec_get(&rated, "127.0.0.2", "GET", "/healthz", "", NULL, 0), 200);
    /* Operators see it: the throttled counter of /metrics moved by at least as much. */
    ck_assert_int_eq(ec_get(&rated, "127.0.0.5", "GET", "/metrics", "", out, sizeof(out)), 200);
    const char *counter = strstr(out, "\nlicensingd_throttled_requests_total ");
    ck_assert_ptr_nonnull(counter);
    ck_assert_int_ge(strtol(counter + strlen("\nlicensingd_throttled_requests_total "), NULL, 10),
                     throttled);
    /* Writes cost five: two fit the burst of ten, the third does not. */
    const char *json = "Content-Type: application/json\r\n";
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(
            ec_request(&rated, "127.0.0.4", "POST", "/v1.0/groups", json, "{}", NULL, 0), 400);
    ck_assert_int_eq(ec_request(&rated, "127.0.0.4", "POST", "/v1.0/groups", json, "{}", NULL, 0),
                     429);
}
END_TEST

/* ---- audit retention ---- */

START_TEST(audit_records_past_retention_are_purged_in_the_background)
{
    th_sql_exec(&srv, "INSERT INTO directory_audits (activity_at, activity_display_name, category,"
                      " operation_type, result)"
                      " SELECT now() - interval '40 days' - i * interval '1 second', 'Old', 'Test',"
                      " 'Add', 'success' FROM generate_series(1, 2500) i;"
                      "INSERT INTO directory_audits (activity_at, activity_display_name, category,"
                      " operation_type, result)"
                      " SELECT now() - interval '29 days', 'Recent', 'Test', 'Add', 'success'"
                      " FROM generate_series(1, 5) i");
    long old = 1;
    for (int i = 0; i < 150 && old > 0; i++) {
        usleep(100000);
        old = th_sql_long(
            &srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name = 'Old'");
    }
    ck_assert_int_eq(old, 0);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM directory_audits"
                                       " WHERE activity_display_name = 'Recent'"),
                     5);
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_CORS_ORIGINS=" ORIGIN, "LICENSINGD_TRUSTED_PROXIES=" PROXY,
                         "LICENSINGD_SWEEP_SECONDS=1", NULL};
    th_server_start(&srv, "edge", env);
    ec_load_demo(&srv);
    const char *hosts_env[] = {"LICENSINGD_ALLOWED_HOSTS=api.example,127.0.0.1", NULL};
    th_server_start(&hosts, "edge_hosts", hosts_env);
    const char *rated_env[] = {"LICENSINGD_RATE_LIMIT=5", "LICENSINGD_RATE_BURST=10", NULL};
    th_server_start(&rated, "edge_rated", rated_env);

    Suite *s = suite_create("edge");
    TCase *tc = tcase_create("browsers_and_hosts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, text_plain_post_is_415_and_creates_nothing);
    tcase_add_test(tc, cors_preflight_from_an_allowed_origin_passes_another_gets_no_cors_headers);
    tcase_add_test(tc, cors_headers_only_for_allowed_origins_and_nosniff_everywhere);
    tcase_add_test(tc, forged_host_is_not_reflected_in_links);
    tcase_add_test(tc, forwarded_headers_count_only_from_a_trusted_proxy);
    tcase_add_test(tc, allowed_hosts_refuse_other_hosts_but_health_answers);
    suite_add_tcase(s, tc);
    tc = tcase_create("paths_and_limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, escaped_slash_and_nul_never_reach_assign_license);
    tcase_add_test(tc, invalid_utf8_ids_are_4xx_on_every_route);
    tcase_add_test(tc, datetime_with_129_fraction_digits_is_400);
    tcase_add_test(tc, too_many_query_parameters_or_headers_are_431_answered);
    tcase_add_test(tc, every_request_is_in_the_access_log_escaped);
    tcase_add_test(tc, upns_with_look_alike_letters_trailing_dots_or_unverified_domains_are_400);
    suite_add_tcase(s, tc);
    tc = tcase_create("throttling_and_retention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_client_over_its_rate_gets_429_while_another_is_served);
    tcase_add_test(tc, audit_records_past_retention_are_purged_in_the_background);
    suite_add_tcase(s, tc);

    int rc = th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
    if (th_server_stop(&hosts, 5000, NULL) != 0 || th_server_stop(&rated, 5000, NULL) != 0)
        rc = EXIT_FAILURE;
    return rc;
}
