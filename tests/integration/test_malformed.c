/* Malformed requests on every write route of the route table: broken JSON, wrong shapes and
 * types, the wrong media type, bad and missing ids, oversized bodies and too many parameters or
 * headers. Each must be answered 4xx; the process stays up and the database is unchanged
 * (every table's checksum before and after; refusals are audited by design, so directoryAudit
 * is left out). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define ADELE "0a1d0000-0000-4000-8000-000000000101"
#define ALEX "0a1d0000-0000-4000-8000-000000000102"
#define MARKETING "0a1d0000-0000-4000-8000-000000000001"
#define MAX_BODY 65536

static struct th_server srv;
static char sku_key[128], org_id[64];

/* md5 over every row of every table but the audit log and the migration list. */
static char *database_checksum(void)
{
    PGconn *c = th_db(&srv);
    PGresult *t = PQexec(c, "SELECT table_name FROM information_schema.tables"
                            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                            " AND table_name NOT IN ('directory_audits', 'schema_migrations')"
                            " ORDER BY 1");
    ck_assert_int_eq(PQresultStatus(t), PGRES_TUPLES_OK);
    char *sql = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sql, &len);
    fprintf(f, "SELECT md5(''");
    for (int i = 0; i < PQntuples(t); i++)
        fprintf(f,
                " || '%s:' || (SELECT count(*) || md5(coalesce(string_agg(x::text, '|' ORDER BY"
                " x::text), '')) FROM %s x)",
                PQgetvalue(t, i, 0), PQgetvalue(t, i, 0));
    fprintf(f, ")");
    fclose(f);
    PQclear(t);
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    char *sum = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    free(sql);
    return sum;
}

static const char *method_name(unsigned m)
{
    return m == HTTP_POST     ? "POST"
           : m == HTTP_PATCH  ? "PATCH"
           : m == HTTP_DELETE ? "DELETE"
                              : "PUT";
}

/* The pattern with its placeholders replaced: ids[0] for the first, ids[1] for the second. */
static void fill(const char *pattern, const char *first, const char *second, char *out, size_t size)
{
    out[0] = '\0';
    int k = 0;
    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            const char *id = k++ == 0 ? first : second;
            snprintf(out + strlen(out), size - strlen(out), "%s", id);
            p = strchr(p, '}') + 1;
        } else {
            size_t n = strcspn(p, "{");
            snprintf(out + strlen(out), size - strlen(out), "%.*s", (int)n, p);
            p += n;
        }
    }
}

/* A valid id for the first placeholder of a route (the object the route acts on). */
static const char *valid_id(const char *pattern)
{
    if (strncmp(pattern, "/v1.0/subscribedSkus/", 21) == 0)
        return sku_key;
    if (strncmp(pattern, "/v1.0/licensing/servicePlans/", 29) == 0)
        return EXO1;
    if (strncmp(pattern, "/v1.0/organization/", 19) == 0)
        return org_id;
    if (strncmp(pattern, "/v1.0/groups/", 13) == 0)
        return MARKETING;
    return ADELE;
}

static int sent, bad_answers;

static void expect_4xx(const char *method, const char *path, const char *extra, const char *body)
{
    char out[4096];
    long st = ec_request(&srv, "127.0.0.1", method, path, extra, body, out, sizeof(out));
    sent++;
    if (st < 400 || st > 499) {
        bad_answers++;
        fprintf(stderr, "NOT 4xx: %s %s [%.80s] -> %ld %.200s\n", method, path,
                body ? body : "(no body)", st,
                strstr(out, "\r\n\r\n") ? strstr(out, "\r\n\r\n") : out);
    }
    if (sent % 50 == 0) {
        ck_assert_int_eq(kill(srv.pid, 0), 0);
        ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0), 200);
    }
}

/* Bodies no write route accepts. */
static const char *const broken[] = {
    "",
    " ",
    "{",
    "}",
    "[]",
    "null",
    "0",
    "\"text\"",
    "true",
    "{\"a\":}",
    "{\"a\":1,}",
    "{'a':1}",
    "{\"a\":1}{\"b\":2}",
    "\xff\xfe{}",
    "{\"\xff\":1}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\u0000\"}",
    "{\"a\":1e99999}",
    "{\"a\":NaN}",
    "{\"bogus\":1}",
    "{\"bogus\":{\"deep\":[1,2,{\"x\":null}]}}",
    "{\"displayName\":\"x\"",
    "{\"displayName\":\"a\",\"displayName\":\"b\"}",
};

/* Wrong shapes and values, by route (the first placeholder's object). */
struct typed {
    unsigned method;
    const char *pattern;
    const char *const *bodies;
};

static const char *const sku_create[] = {"{\"skuId\":\"not-a-guid\",\"skuPartNumber\":\"X\"}",
                                         "{\"skuId\":null}",
                                         "{\"skuId\":123,\"skuPartNumber\":\"X\"}",
                                         "{\"skuPartNumber\":\"X\",\"servicePlans\":\"x\"}",
                                         "{\"skuId\":\"" E1 "\",\"skuPartNumber\":[]}",
                                         NULL};
static const char *const sku_update[] = {"{\"prepaidUnits\":{\"enabled\":\"x\"}}",
                                         "{\"prepaidUnits\":{\"enabled\":-2}}",
                                         "{\"prepaidUnits\":{\"enabled\":2147483648}}",
                                         "{\"prepaidUnits\":{\"enabled\":1.5}}",
                                         "{\"prepaidUnits\":[]}",
                                         "{\"skuPartNumber\":7}",
                                         "{\"prepaidUnits\":{\"enabled\":1e300}}",
                                         NULL};
static const char *const plan_update[] = {"{\"conflictsWith\":\"x\"}",
                                          "{\"conflictsWith\":[\"nope\"]}",
                                          "{\"requiresAnyOf\":[1]}",
                                          "{\"provisionsMailbox\":\"yes\"}",
                                          "{\"displayName\":5}",
                                          "{\"unavailableInCountries\":[\"ZZZ\"]}",
                                          "{\"conflictsWith\":[\"" EXO1 "\"]}",
                                          NULL};
static const char *const user_create[] = {
    "{\"displayName\":\"x\"}",
    "{\"accountEnabled\":\"yes\",\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"x@contoso.onmicrosoft.com\",\"passwordProfile\":{\"password\":\"P-1a"
    "bcdef!\"}}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"no-at-sign\",\"passwordProfile\":{\"password\":\"P-1abcdef!\"}}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"a@b@contoso.onmicrosoft.com\",\"passwordProfile\":{\"password\":\"P-1a"
    "bcdef!\"}}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"x@contoso.onmicrosoft.com\",\"usageLocation\":\"USA\","
    "\"passwordProfile\":{\"password\":\"P-1abcdef!\"}}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"x@contoso.onmicrosoft.com\"}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"a b\","
    "\"userPrincipalName\":\"x@contoso.onmicrosoft.com\",\"passwordProfile\":{\"password\":\"P-1a"
    "bcdef!\"}}",
    "{\"accountEnabled\":true,\"displayName\":\"x\",\"mailNickname\":\"x\","
    "\"userPrincipalName\":\"adele.vance@contoso.onmicrosoft.com\",\"passwordProfile\":{"
    "\"password\":\"P-1abcdef!\"}}",
    NULL};
static const char *const user_update[] = {
    "{\"usageLocation\":\"ZZ\"}",
    "{\"accountEnabled\":\"no\"}",
    "{\"userPrincipalName\":\"x\"}",
    "{\"displayName\":null}",
    "{\"businessPhones\":\"x\"}",
    "{\"id\":\"0a1d0000-0000-4000-8000-000000000999\"}",
    "{\"proxyAddresses\":[\"no-prefix\"]}",
    "{\"userPrincipalName\":\"alex.wilber@contoso.onmicrosoft.com\"}",
    NULL};
static const char *const group_create[] = {
    "{\"displayName\":1}", "{\"displayName\":\"g\",\"mailEnabled\":false,\"mailNickname\":\"g\"}",
    "{\"displayName\":\"g\",\"mailEnabled\":false,\"mailNickname\":\"g\",\"securityEnabled\":true,"
    "\"groupTypes\":\"x\"}",
    "{\"displayName\":\"g\",\"mailEnabled\":\"no\",\"mailNickname\":\"g\",\"securityEnabled\":"
    "true}",
    NULL};
static const char *const group_update[] = {"{\"displayName\":7}", "{\"securityEnabled\":\"x\"}",
                                           "{\"groupTypes\":[1]}", NULL};
static const char *const member_add[] = {
    "{\"@odata.id\":\"x\"}",
    "{\"@odata.id\":123}",
    "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/not-a-guid\"}",
    "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/"
    "0a1d0000-0000-4000-8000-000000000999\"}",
    "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/" ALEX "\"}",
    NULL};
static const char *const org_update[] = {"{\"displayName\":5}", "{\"countryLetterCode\":\"ZZZ\"}",
                                         NULL};
static const char *const assign[] = {
    "{\"addLicenses\":\"x\",\"removeLicenses\":[]}",
    "{\"addLicenses\":[{\"skuId\":\"nope\"}],\"removeLicenses\":[]}",
    "{\"addLicenses\":[],\"removeLicenses\":[\"nope\"]}",
    "{\"addLicenses\":[{\"skuId\":\"0a1d0000-0000-4000-8000-000000000999\"}],"
    "\"removeLicenses\":[]}",
    "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":\"x\"}],\"removeLicenses\":[]}",
    "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[\"nope\"]}],\"removeLicenses\":[]}",
    "{\"removeLicenses\":[]}",
    "{\"addLicenses\":[{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[\"" E1 "\"]}",
    "{\"addLicenses\":[{\"skuId\":\"" E1 "\"},{\"skuId\":\"" E1 "\"}],\"removeLicenses\":[]}",
    "{\"addLicenses\":[null],\"removeLicenses\":[]}",
    NULL};

static const struct typed typed[] = {
    {HTTP_POST, "/v1.0/subscribedSkus", sku_create},
    {HTTP_PATCH, "/v1.0/subscribedSkus/{id}", sku_update},
    {HTTP_PATCH, "/v1.0/licensing/servicePlans/{id}", plan_update},
    {HTTP_POST, "/v1.0/users", user_create},
    {HTTP_PATCH, "/v1.0/users/{id}", user_update},
    {HTTP_POST, "/v1.0/groups", group_create},
    {HTTP_PATCH, "/v1.0/groups/{id}", group_update},
    {HTTP_POST, "/v1.0/groups/{id}/members/$ref", member_add},
    {HTTP_PATCH, "/v1.0/organization/{id}", org_update},
    {HTTP_POST, "/v1.0/users/{id}/assignLicense", assign},
    {HTTP_POST, "/v1.0/groups/{id}/assignLicense", assign},
};

/* Ids no route can act on. */
static const char *const bad_ids[] = {
    "%00",
    "%FF",
    "%C3%28",
    "not-a-guid",
    "00000000-0000-4000-8000-000000000999",
    "x%2Fy",
    "%",
    "%zz",
    "nobody@contoso.onmicrosoft.com",
    "..",
    "a%00b",
};

static int takes_body(const char *pattern, unsigned method)
{
    return (method == HTTP_POST || method == HTTP_PATCH) && strstr(pattern, "reprocess") == NULL;
}

START_TEST(every_write_route_answers_malformed_requests_4xx_and_changes_nothing)
{
    char *before = database_checksum();
    const char *json = "Content-Type: application/json\r\n";
    int routes = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        if (r->method == HTTP_GET)
            continue;
        routes++;
        const char *method = method_name(r->method);
        char path[2048];
        fill(r->pattern, valid_id(r->pattern), "0a1d0000-0000-4000-8000-000000000999", path,
             sizeof(path));
        if (takes_body(r->pattern, r->method)) {
            for (size_t b = 0; b < sizeof(broken) / sizeof(broken[0]); b++)
                expect_4xx(method, path, json, broken[b]);
            /* The wrong media type, whatever the body. */
            const char *types[] = {"Content-Type: text/plain\r\n", "",
                                   "Content-Type: application/xml\r\n",
                                   "Content-Type: application/x-www-form-urlencoded\r\n"};
            for (size_t t = 0; t < 4; t++)
                expect_4xx(method, path, types[t], "{\"displayName\":\"x\"}");
            /* Bigger than the body limit. */
            char *big = malloc(MAX_BODY + 100);
            memset(big, ' ', MAX_BODY + 99);
            big[0] = '{';
            big[MAX_BODY + 98] = '}';
            big[MAX_BODY + 99] = '\0';
            expect_4xx(method, path, json, big);
            free(big);
        }
        for (size_t t = 0; t < sizeof(typed) / sizeof(typed[0]); t++)
            if (typed[t].method == r->method && strcmp(typed[t].pattern, r->pattern) == 0)
                for (int b = 0; typed[t].bodies[b] != NULL; b++)
                    expect_4xx(method, path, json, typed[t].bodies[b]);
        /* Ids that name nothing, or are not ids at all. */
        if (strchr(r->pattern, '{') != NULL) {
            for (size_t k = 0; k < sizeof(bad_ids) / sizeof(bad_ids[0]); k++) {
                char bad[2048];
                fill(r->pattern, bad_ids[k], bad_ids[k], bad, sizeof(bad));
                expect_4xx(method, bad, json, "{}");
            }
            char longer[1200];
            memset(longer, 'a', 1000);
            longer[1000] = '\0';
            char bad[2048];
            fill(r->pattern, longer, longer, bad, sizeof(bad));
            expect_4xx(method, bad, json, "{}");
        }
        /* Too many parameters, too many headers. */
        char many[4096];
        snprintf(many, sizeof(many), "%s?", path);
        for (int k = 0; k < 100; k++)
            snprintf(many + strlen(many), sizeof(many) - strlen(many), "&p%d=1", k);
        expect_4xx(method, many, json, "{}");
        char *headers = malloc(8192);
        headers[0] = '\0';
        for (int k = 0; k < 150; k++)
            snprintf(headers + strlen(headers), 8192 - strlen(headers), "X-P%d: v\r\n", k);
        strcat(headers, json);
        expect_4xx(method, path, headers, "{}");
        free(headers);
        /* A NUL smuggled into the query. */
        char nul[2100];
        snprintf(nul, sizeof(nul), "%s?dryRun=true%%00", path);
        expect_4xx(method, nul, json, "{}");
    }
    printf("malformed requests: %d sent over %d write routes, %d not answered 4xx\n", sent, routes,
           bad_answers);
    ck_assert_int_ge(routes, 17);
    ck_assert_int_ge(sent, 500);
    ck_assert_int_eq(bad_answers, 0);
    ck_assert_int_eq(kill(srv.pid, 0), 0);
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0), 200);
    char *after = database_checksum();
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

/* The key of the first subscribedSku ("{organizationId}_{skuId}") and the organization's id. */
static void read_ids(void)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/subscribedSkus?$top=1&$select=id", NULL, NULL, &r);
    snprintf(sku_key, sizeof(sku_key), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(r.json, "value"), 0), "id")));
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    snprintf(org_id, sizeof(org_id), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(r.json, "value"), 0), "id")));
    th_response_free(&r);
}

int main(void)
{
    char body[64];
    snprintf(body, sizeof(body), "LICENSINGD_MAX_BODY_BYTES=%d", MAX_BODY);
    const char *env[] = {body, NULL};
    th_server_start(&srv, "malformed", env);
    ec_load_demo(&srv);
    /* Let the worker finish what loading queued, so only requests could change the data. */
    for (int i = 0; i < 300 && th_sql_long(&srv, "SELECT count(*) FROM work_queue") > 0; i++)
        usleep(100000);
    read_ids();

    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("write_routes");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, every_write_route_answers_malformed_requests_4xx_and_changes_nothing);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
