/* Unit tests of the edge rules: percent-decoding, query strings, raw-path routing, CORS origins,
 * hosts and proxy headers, media types, log text, address ranges and token buckets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/edge.h"
#include "api/router.h"
#include "api/throttle.h"
#include "db/internal.h"
#include "service/base/netaddr.h"
#include "tests/unit/run_suite.h"

/* ---- percent-decoding ---- */

START_TEST(percent_decode_keeps_escaped_slash_and_refuses_nul)
{
    char out[64];
    ck_assert_int_eq(edge_percent_decode("a%2Fb", 5, 0, out, sizeof(out)), 3);
    ck_assert_str_eq(out, "a/b");
    ck_assert_int_eq(edge_percent_decode("a+b%20c", 7, 1, out, sizeof(out)), 5);
    ck_assert_str_eq(out, "a b c");
    ck_assert_int_eq(edge_percent_decode("a+b", 3, 0, out, sizeof(out)), 3);
    ck_assert_str_eq(out, "a+b");
    ck_assert_int_eq(edge_percent_decode("a%00b", 5, 0, out, sizeof(out)), EDGE_DECODE_NUL);
    ck_assert_int_eq(edge_percent_decode("a%4", 3, 0, out, sizeof(out)), EDGE_DECODE_BAD_ESCAPE);
    ck_assert_int_eq(edge_percent_decode("a%zz", 4, 0, out, sizeof(out)), EDGE_DECODE_BAD_ESCAPE);
    ck_assert_int_eq(edge_percent_decode("abcdef", 6, 0, out, 4), EDGE_DECODE_TOO_LONG);
    ck_assert_int_eq(edge_percent_decode("%C3%A9", 6, 0, out, sizeof(out)), 2);
    ck_assert_str_eq(out, "\xc3\xa9");
}
END_TEST

/* ---- query strings ---- */

START_TEST(query_parse_decodes_names_and_values)
{
    struct edge_query q;
    char bad[64];
    ck_assert_int_eq(edge_query_parse("$top=5&$filter=displayName+eq+%27A%26B%27&flag&&x=", &q, bad,
                                      sizeof(bad)),
                     EDGE_QUERY_OK);
    ck_assert_int_eq(q.count, 4);
    ck_assert_str_eq(edge_query_get(&q, "$TOP"), "5");
    ck_assert_str_eq(edge_query_get(&q, "$filter"), "displayName eq 'A&B'");
    ck_assert_str_eq(edge_query_get(&q, "flag"), "");
    ck_assert_ptr_null(q.values[2]);
    ck_assert_str_eq(edge_query_get(&q, "x"), "");
    ck_assert_ptr_null(edge_query_get(&q, "y"));
    edge_query_free(&q);
    ck_assert_int_eq(edge_query_parse(NULL, &q, bad, sizeof(bad)), EDGE_QUERY_OK);
    ck_assert_int_eq(q.count, 0);
    edge_query_free(&q);
}
END_TEST

START_TEST(query_parse_refuses_nul_bad_escapes_utf8_and_duplicates)
{
    struct edge_query q;
    char bad[64];
    ck_assert_int_eq(edge_query_parse("$filter=a%00b", &q, bad, sizeof(bad)), EDGE_QUERY_NUL);
    ck_assert_str_eq(bad, "$filter");
    ck_assert_int_eq(q.count, 0);
    edge_query_free(&q);
    ck_assert_int_eq(edge_query_parse("a=%G0", &q, bad, sizeof(bad)), EDGE_QUERY_BAD_ESCAPE);
    edge_query_free(&q);
    ck_assert_int_eq(edge_query_parse("a=%FF", &q, bad, sizeof(bad)), EDGE_QUERY_BAD_UTF8);
    edge_query_free(&q);
    ck_assert_int_eq(edge_query_parse("$top=1&$TOP=2", &q, bad, sizeof(bad)), EDGE_QUERY_DUPLICATE);
    ck_assert_str_eq(bad, "$TOP");
    edge_query_free(&q);
}
END_TEST

START_TEST(query_parse_counts_parameters_before_allocating)
{
    char raw[4096] = "";
    for (int i = 0; i < EDGE_MAX_QUERY_PARAMS + 1; i++)
        snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw), "%sp%d=1", i ? "&" : "", i);
    ck_assert_uint_eq(edge_query_count(raw), EDGE_MAX_QUERY_PARAMS + 1);
    struct edge_query q;
    char bad[64];
    ck_assert_int_eq(edge_query_parse(raw, &q, bad, sizeof(bad)), EDGE_QUERY_TOO_MANY);
    edge_query_free(&q);
    *strrchr(raw, '&') = '\0';
    ck_assert_int_eq(edge_query_parse(raw, &q, bad, sizeof(bad)), EDGE_QUERY_OK);
    ck_assert_int_eq(q.count, EDGE_MAX_QUERY_PARAMS);
    edge_query_free(&q);
    ck_assert_uint_eq(edge_query_count("&&a&&b&"), 2);
}
END_TEST

/* ---- routing on the raw path ---- */

static void h_user(const struct api_app *a, const struct api_request *r, struct api_response *s)
{
    (void)a, (void)r, (void)s;
}
static void h_assign(const struct api_app *a, const struct api_request *r, struct api_response *s)
{
    (void)a, (void)r, (void)s;
}

static const struct route table[] = {
    {HTTP_GET, "/v1.0/users/$count", h_assign},
    {HTTP_GET, "/v1.0/users/{id}", h_user},
    {HTTP_POST, "/v1.0/users/{id}/assignLicense", h_assign},
};
#define NT (sizeof(table) / sizeof(table[0]))

START_TEST(router_escaped_slash_stays_inside_its_segment)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    /* Decoded first, this would have been .../adele/assignLicense: the assignLicense route. */
    ck_assert_int_eq(
        router_match(table, NT, HTTP_POST, "/v1.0/users/adele%2FassignLicense", &r, &p, &allowed),
        ROUTE_NO_METHOD);
    ck_assert_int_eq(
        router_match(table, NT, HTTP_GET, "/v1.0/users/adele%2FassignLicense", &r, &p, &allowed),
        ROUTE_FOUND);
    ck_assert_ptr_eq(r->handler, h_user);
    ck_assert_str_eq(p.values[0], "adele/assignLicense");
    ck_assert_int_eq(
        router_match(table, NT, HTTP_POST, "/v1.0/users/a%40b.com/assignLicense", &r, &p, &allowed),
        ROUTE_FOUND);
    ck_assert_str_eq(p.values[0], "a@b.com");
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, "/v1.0/users/%24count", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_ptr_eq(r->handler, h_assign); /* the literal $count, not an id */
}
END_TEST

START_TEST(router_nul_and_bad_escapes_are_400_invalid_utf8_is_404)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    const char *bad[] = {"/v1.0/users/adele%00/assignLicense", "/v1.0/users/%00", "/v1.0/users/a%2",
                         "/v1.0/users/a%zz", "/v1.0/nope/%00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(router_match(table, NT, HTTP_POST, bad[i], &r, &p, &allowed) ==
                          ROUTE_BAD_PATH,
                      "%s", bad[i]);
    const char *missing[] = {"/v1.0/users/%FF", "/v1.0/users/%C3%28", "/v1.0/users/\xff",
                             "/v1.0/users/%ED%A0%80"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
        ck_assert_msg(router_match(table, NT, HTTP_GET, missing[i], &r, &p, &allowed) ==
                          ROUTE_NO_PATH,
                      "%s", missing[i]);
}
END_TEST

START_TEST(router_long_and_deep_paths_match_nothing)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    char path[4096] = "/v1.0/users/";
    memset(path + strlen(path), 'a', ROUTE_PARAM_MAX);
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, path, &r, &p, &allowed), ROUTE_NO_PATH);
    char deep[512] = "";
    for (int i = 0; i < ROUTE_MAX_SEGMENTS + 2; i++)
        strcat(deep, "/a");
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, deep, &r, &p, &allowed), ROUTE_NO_PATH);
}
END_TEST

/* ---- CORS, hosts, proxies ---- */

START_TEST(cors_allows_listed_origins_only)
{
    struct edge_origins o;
    ck_assert_int_eq(edge_origins_parse("https://app.example, http://localhost:3000", &o), 0);
    ck_assert(edge_origin_allowed(&o, "https://app.example"));
    ck_assert(edge_origin_allowed(&o, "HTTPS://APP.EXAMPLE"));
    ck_assert(edge_origin_allowed(&o, "http://localhost:3000"));
    ck_assert(!edge_origin_allowed(&o, "http://app.example"));
    ck_assert(!edge_origin_allowed(&o, "https://app.example.evil"));
    ck_assert(!edge_origin_allowed(&o, "null"));
    ck_assert(!edge_origin_allowed(&o, NULL));
    ck_assert_int_eq(edge_origins_parse("*", &o), 0);
    ck_assert(o.any);
    ck_assert(edge_origin_allowed(&o, "https://anyone.example"));
    ck_assert(!edge_origin_allowed(&o, "null"));
    ck_assert_int_eq(edge_origins_parse("https://a.example/path", &o), -1);
    ck_assert_int_eq(edge_origins_parse("ftp://a.example", &o), -1);
    ck_assert_int_eq(edge_origins_parse("", &o), 0);
    ck_assert(!edge_origin_allowed(&o, "https://app.example"));
}
END_TEST

START_TEST(hosts_match_name_with_any_port_unless_one_is_given)
{
    struct edge_hosts h;
    ck_assert_int_eq(edge_hosts_parse("api.example,localhost:8080,[::1]", &h), 0);
    ck_assert(edge_host_allowed(&h, "api.example"));
    ck_assert(edge_host_allowed(&h, "API.EXAMPLE:443"));
    ck_assert(edge_host_allowed(&h, "localhost:8080"));
    ck_assert(!edge_host_allowed(&h, "localhost:9090"));
    ck_assert(edge_host_allowed(&h, "[::1]:8080"));
    ck_assert(!edge_host_allowed(&h, "api.example.evil"));
    ck_assert(!edge_host_allowed(&h, "evil@api.example"));
    ck_assert(!edge_host_allowed(&h, NULL));
    ck_assert(!edge_host_valid("a b"));
    ck_assert(!edge_host_valid("a/b"));
    ck_assert_int_eq(edge_hosts_parse("bad host/", &h), -1);
}
END_TEST

START_TEST(forwarded_headers_are_read_from_the_right)
{
    struct edge_forward f;
    edge_forward_parse("for=1.2.3.4;proto=http;host=forged.example, "
                       "for=\"[2001:db8::1]:4711\";proto=https;host=\"api.example\"",
                       NULL, NULL, NULL, &f);
    ck_assert_str_eq(f.proto, "https");
    ck_assert_str_eq(f.host, "api.example");
    ck_assert_str_eq(f.client, "2001:db8::1");
    edge_forward_parse(NULL, "http, HTTPS", "x.example, api.example:8443", "9.9.9.9, 10.0.0.7:99",
                       &f);
    ck_assert_str_eq(f.proto, "https");
    ck_assert_str_eq(f.host, "api.example:8443");
    ck_assert_str_eq(f.client, "10.0.0.7");
    edge_forward_parse("for=unknown;proto=gopher;host=\"a b\"", NULL, NULL, NULL, &f);
    ck_assert_str_eq(f.proto, "");
    ck_assert_str_eq(f.host, "");
    ck_assert_str_eq(f.client, "");
}
END_TEST

START_TEST(address_ranges_match_v4_v6_and_mapped)
{
    struct net_ranges r;
    char bad[64];
    ck_assert_int_eq(net_ranges_parse("10.0.0.0/8 192.168.1.7, fd00::/8", &r, bad, sizeof(bad)), 0);
    ck_assert_int_eq(r.count, 3);
    ck_assert(net_ranges_contain(&r, "10.200.3.4"));
    ck_assert(net_ranges_contain(&r, "::ffff:10.1.2.3"));
    ck_assert(net_ranges_contain(&r, "192.168.1.7"));
    ck_assert(!net_ranges_contain(&r, "192.168.1.8"));
    ck_assert(net_ranges_contain(&r, "fd12::1"));
    ck_assert(!net_ranges_contain(&r, "fe80::1"));
    ck_assert(!net_ranges_contain(&r, "not-an-address"));
    ck_assert_int_eq(net_ranges_parse("10.0.0.0/33", &r, bad, sizeof(bad)), -1);
    ck_assert_str_eq(bad, "10.0.0.0/33");
    ck_assert_int_eq(net_ranges_parse("example.com", &r, bad, sizeof(bad)), -1);
    ck_assert_int_eq(net_ranges_parse("", &r, bad, sizeof(bad)), 0);
    ck_assert_int_eq(r.count, 0);
}
END_TEST

/* ---- bodies and logs ---- */

START_TEST(only_json_media_types_are_json)
{
    ck_assert(edge_media_is_json("application/json"));
    ck_assert(edge_media_is_json("Application/JSON; charset=utf-8"));
    ck_assert(edge_media_is_json("application/json;odata.metadata=minimal"));
    ck_assert(!edge_media_is_json("text/plain"));
    ck_assert(!edge_media_is_json("application/jsonp"));
    ck_assert(!edge_media_is_json("application/x-www-form-urlencoded"));
    ck_assert(!edge_media_is_json(NULL));
}
END_TEST

START_TEST(log_text_escapes_and_truncates)
{
    char out[16];
    edge_log_text("/a\xff\n", 4, out, sizeof(out));
    ck_assert_str_eq(out, "/a%FF%0A");
    edge_log_text("0123456789abcdefghij", 20, out, sizeof(out));
    ck_assert_str_eq(out, "0123456789ab...");
}
END_TEST

/* ---- database errors ---- */

START_TEST(sqlstates_map_to_what_the_client_did)
{
    struct {
        const char *state;
        enum lic_error_kind kind;
        enum log_level level;
    } cases[] = {
        {"22021", LIC_ERR_BAD_REQUEST, LOG_WARN},  /* invalid byte sequence */
        {"22008", LIC_ERR_BAD_REQUEST, LOG_WARN},  /* datetime field overflow */
        {"23514", LIC_ERR_BAD_REQUEST, LOG_WARN},  /* check violation */
        {"23505", LIC_ERR_CONFLICT, LOG_WARN},     /* unique violation */
        {"57014", LIC_ERR_UNAVAILABLE, LOG_WARN},  /* statement_timeout */
        {"55P03", LIC_ERR_UNAVAILABLE, LOG_DEBUG}, /* lock_timeout, NOWAIT */
        {"40P01", LIC_ERR_UNAVAILABLE, LOG_INFO},  /* deadlock */
        {"42P01", LIC_ERR_INTERNAL, LOG_ERROR},    /* our bug */
        {"", LIC_ERR_INTERNAL, LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum lic_error_kind kind;
        enum log_level level;
        db_classify_sqlstate(cases[i].state, &kind, &level);
        ck_assert_msg(kind == cases[i].kind && level == cases[i].level, "%s", cases[i].state);
    }
}
END_TEST

/* ---- token buckets ---- */

START_TEST(throttle_refuses_over_the_burst_and_refills_at_the_rate)
{
    struct throttle *t = throttle_new(10, 20, 100);
    double wait = 0;
    int admitted = 0;
    for (int i = 0; i < 30; i++)
        admitted += throttle_take(t, "10.0.0.1", THROTTLE_READ_COST, 100.0, &wait);
    ck_assert_int_eq(admitted, 20);
    ck_assert_double_eq_tol(wait, 0.1, 1e-9);
    /* Another client is unaffected. */
    ck_assert(throttle_take(t, "10.0.0.2", THROTTLE_READ_COST, 100.0, &wait));
    /* Half a second later: five tokens, one write. */
    ck_assert(throttle_take(t, "10.0.0.1", THROTTLE_WRITE_COST, 100.5, &wait));
    ck_assert(!throttle_take(t, "10.0.0.1", THROTTLE_WRITE_COST, 100.5, &wait));
    ck_assert_double_eq_tol(wait, 0.5, 1e-9);
    throttle_free(t);
}
END_TEST

START_TEST(throttle_forgets_idle_clients_when_full)
{
    struct throttle *t = throttle_new(1, 2, 4);
    double wait;
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof(key), "c%d", i);
        ck_assert(throttle_take(t, key, 1, 0.0, &wait));
    }
    ck_assert_int_eq(throttle_clients(t), 4);
    /* All four are below their burst at t=0: a fifth client shares the overflow bucket. */
    ck_assert(throttle_take(t, "c4", 1, 0.0, &wait));
    ck_assert_int_eq(throttle_clients(t), 4);
    /* Ten seconds on everyone has refilled: the table is compacted and c5 gets its own. */
    ck_assert(throttle_take(t, "c5", 1, 10.0, &wait));
    ck_assert_int_eq(throttle_clients(t), 1);
    /* A cost above the burst is capped, so it can pass at all. */
    ck_assert(throttle_take(t, "c6", 100, 10.0, &wait));
    throttle_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("edge");
    TCase *tc = tcase_create("decoding");
    tcase_add_test(tc, percent_decode_keeps_escaped_slash_and_refuses_nul);
    tcase_add_test(tc, query_parse_decodes_names_and_values);
    tcase_add_test(tc, query_parse_refuses_nul_bad_escapes_utf8_and_duplicates);
    tcase_add_test(tc, query_parse_counts_parameters_before_allocating);
    suite_add_tcase(s, tc);
    tc = tcase_create("routing");
    tcase_add_test(tc, router_escaped_slash_stays_inside_its_segment);
    tcase_add_test(tc, router_nul_and_bad_escapes_are_400_invalid_utf8_is_404);
    tcase_add_test(tc, router_long_and_deep_paths_match_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("origins_hosts_proxies");
    tcase_add_test(tc, cors_allows_listed_origins_only);
    tcase_add_test(tc, hosts_match_name_with_any_port_unless_one_is_given);
    tcase_add_test(tc, forwarded_headers_are_read_from_the_right);
    tcase_add_test(tc, address_ranges_match_v4_v6_and_mapped);
    suite_add_tcase(s, tc);
    tc = tcase_create("bodies_logs_throttle");
    tcase_add_test(tc, only_json_media_types_are_json);
    tcase_add_test(tc, sqlstates_map_to_what_the_client_did);
    tcase_add_test(tc, log_text_escapes_and_truncates);
    tcase_add_test(tc, throttle_refuses_over_the_burst_and_refills_at_the_rate);
    tcase_add_test(tc, throttle_forgets_idle_clients_when_full);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
