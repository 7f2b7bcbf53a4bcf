/* GET /metrics: Prometheus text that a real parser reads, with counters and gauges that follow the
 * traffic and the database. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static struct th_server srv;

static char *scrape(void)
{
    struct th_response r;
    th_request(&srv, "GET", "/metrics", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char type[128];
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_msg(strncmp(type, "text/plain; version=0.0.4", 25) == 0, "Content-Type %s", type);
    char *body = strdup(r.body);
    th_response_free(&r);
    return body;
}

/* The value of the sample whose name and labels are exactly `series` ("name{a=\"b\"}"), or -1. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return atof(line + n + 1);
    return -1;
}

START_TEST(metrics_parse_with_a_prometheus_text_parser)
{
    char *body = scrape();
    char path[] = "/tmp/licensingd-metrics-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "node tests/contract/prom_check.mjs %s", path);
    int rc = system(cmd);
    unlink(path);
    ck_assert_msg(rc == 0, "the parser refused:\n%s", body);
    free(body);
}
END_TEST

START_TEST(request_counters_follow_the_traffic_by_route_template)
{
    const char *series = "licensingd_http_requests_total{method=\"GET\",route=\"/v1.0/users/"
                         "{id}\",status=\"404\"}";
    char *before = scrape();
    double was = sample(before, series);
    free(before);
    for (int i = 0; i < 3; i++) {
        struct th_response r;
        th_request(&srv, "GET", "/v1.0/users/00000000-0000-0000-0000-00000000000f", NULL, NULL, &r);
        ck_assert_int_eq(r.status, 404);
        th_response_free(&r);
        th_request(&srv, "GET", "/no/such/path-secret", NULL, NULL, &r);
        th_response_free(&r);
    }
    char *after = scrape();
    ck_assert_double_eq(sample(after, series), (was < 0 ? 0 : was) + 3);
    ck_assert_double_ge(sample(after, "licensingd_http_requests_total{method=\"GET\",route="
                                      "\"unmatched\",status=\"404\"}"),
                        3);
    /* Client-chosen paths never become label values. */
    ck_assert_ptr_null(strstr(after, "path-secret"));
    ck_assert_double_ge(sample(after, "licensingd_http_request_duration_seconds_count{method="
                                      "\"GET\",route=\"/v1.0/users/{id}\"}"),
                        3);
    ck_assert_double_ge(sample(after, "licensingd_db_pool_connections"), 1);
    ck_assert_double_eq(sample(after, "licensingd_database_up"), 1);
    free(after);
}
END_TEST

START_TEST(seat_queue_and_error_gauges_follow_the_database)
{
    th_sql_exec(&srv, "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled)"
                      " VALUES ('7a3ca9a9-0000-4000-8000-00000000aaaa', 'METRICS_TEST', 25)");
    th_sql_exec(&srv, "INSERT INTO work_queue (kind, target_id, reason, enqueued_at, run_after)"
                      " VALUES ('sweep', gen_random_uuid(), 'metrics test',"
                      "         now() - interval '100 seconds', now() + interval '1 hour')");
    char *text = scrape();
    ck_assert_double_eq(sample(text, "licensingd_sku_seats_enabled{sku_id=\"7a3ca9a9-0000-4000-"
                                     "8000-00000000aaaa\",sku_part_number=\"METRICS_TEST\"}"),
                        25);
    ck_assert_double_eq(sample(text, "licensingd_sku_seats_consumed{sku_id=\"7a3ca9a9-0000-4000-"
                                     "8000-00000000aaaa\",sku_part_number=\"METRICS_TEST\"}"),
                        0);
    ck_assert_double_ge(sample(text, "licensingd_queue_depth"), 1);
    ck_assert_double_ge(sample(text, "licensingd_queue_oldest_age_seconds"), 100);
    free(text);
    th_sql_exec(&srv, "UPDATE skus SET prepaid_enabled = 40 WHERE sku_part_number = "
                      "'METRICS_TEST'");
    th_sql_exec(&srv, "DELETE FROM work_queue WHERE reason = 'metrics test'");
    text = scrape();
    ck_assert_double_eq(sample(text, "licensingd_sku_seats_enabled{sku_id=\"7a3ca9a9-0000-4000-"
                                     "8000-00000000aaaa\",sku_part_number=\"METRICS_TEST\"}"),
                        40);
    free(text);
}
END_TEST

START_TEST(users_reconciled_counts_the_workers_saves)
{
    char *before = scrape();
    double was = sample(before, "licensingd_users_reconciled_total");
    free(before);
    th_sql_exec(&srv,
                "INSERT INTO organization (display_name, country_letter_code)"
                " SELECT 'Contoso', 'US' WHERE NOT EXISTS (SELECT 1 FROM organization);"
                "INSERT INTO service_plans (id, name) VALUES"
                " ('11111111-2222-4333-8444-555555555555', 'EXCHANGE_S_STANDARD');"
                "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
                " ('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'STANDARDPACK', 10);"
                "INSERT INTO sku_service_plans VALUES ('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',"
                " '11111111-2222-4333-8444-555555555555', 1)");
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/users",
               "{\"accountEnabled\":true,\"displayName\":\"Mia\",\"mailNickname\":\"mia\","
               "\"userPrincipalName\":\"mia@contoso.com\",\"usageLocation\":\"US\","
               "\"passwordProfile\":{\"password\":\"P-1!aaaa\"}}",
               NULL, &r);
    ck_assert_int_eq(r.status, 201);
    char uid[GUID_SIZE];
    snprintf(uid, sizeof(uid), "%s", json_string_value(json_object_get(r.json, "id")));
    th_response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", uid);
    th_request(&srv, "POST", path,
               "{\"addLicenses\":[{\"skuId\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\","
               "\"disabledPlans\":[]}],\"removeLicenses\":[]}",
               NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    /* The direct assignment queues nothing; reprocessing the user goes through the worker. */
    snprintf(path, sizeof(path), "/v1.0/users/%s/reprocessLicenseAssignment", uid);
    th_request(&srv, "POST", path, NULL, NULL, &r);
    th_response_free(&r);
    double now = -1;
    for (int tries = 0; tries < 100 && now < (was < 0 ? 0 : was) + 1; tries++) {
        usleep(100 * 1000);
        char *text = scrape();
        now = sample(text, "licensingd_users_reconciled_total");
        free(text);
    }
    ck_assert_double_ge(now, (was < 0 ? 0 : was) + 1);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "metrics", NULL);
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, metrics_parse_with_a_prometheus_text_parser);
    tcase_add_test(tc, request_counters_follow_the_traffic_by_route_template);
    tcase_add_test(tc, seat_queue_and_error_gauges_follow_the_database);
    tcase_add_test(tc, users_reconciled_counts_the_workers_saves);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
