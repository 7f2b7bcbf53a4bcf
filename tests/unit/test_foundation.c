/* Unit tests of the pure foundation pieces: configuration, route matching, error rendering. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/errors.h"
#include "api/router.h"
#include "service/base/config.h"
#include "service/base/stopper.h"
#include "tests/unit/run_suite.h"

/* ---- configuration ---- */

static const char *env_keys[8];
static const char *env_vals[8];

static const char *fake_env(const char *name)
{
    for (int i = 0; i < 8 && env_keys[i]; i++)
        if (strcmp(env_keys[i], name) == 0)
            return env_vals[i];
    return NULL;
}

static void set_env(int i, const char *k, const char *v)
{
    env_keys[i] = k;
    env_vals[i] = v;
    if (i + 1 < 8)
        env_keys[i + 1] = NULL;
}

START_TEST(config_defaults_listen_on_loopback_8080)
{
    struct config cfg;
    char err[256] = "";
    config_defaults(&cfg, 2);
    env_keys[0] = NULL;
    ck_assert_int_eq(config_load(&cfg, fake_env, 0, NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(cfg.listen_addr, "127.0.0.1");
    ck_assert_uint_eq(cfg.port, 8080);
    ck_assert_uint_eq(cfg.http_threads, 2);
    ck_assert_uint_eq(cfg.http_write_threads, 8);
    ck_assert_uint_eq(cfg.max_body_bytes, 1048576);
    ck_assert_uint_eq(cfg.db_pool_size, 2 + 8 + 1 + 2);
}
END_TEST

START_TEST(config_environment_then_flags_override)
{
    struct config cfg;
    char err[256] = "";
    config_defaults(&cfg, 4);
    set_env(0, "PORT", "9000");
    set_env(1, "DATABASE_URL", "postgresql://x@/db");
    set_env(2, "LICENSINGD_WORKERS", "0");
    char *argv[] = {"--port", "9100", "--log-level=debug", "--listen=::1"};
    ck_assert_int_eq(config_load(&cfg, fake_env, 4, argv, err, sizeof(err)), 0);
    ck_assert_uint_eq(cfg.port, 9100);
    ck_assert_str_eq(cfg.database_url, "postgresql://x@/db");
    ck_assert_uint_eq(cfg.workers, 0);
    ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
    ck_assert_str_eq(cfg.listen_addr, "::1");
}
END_TEST

START_TEST(config_bad_values_stop_with_one_line)
{
    struct {
        const char *key, *val, *expect;
    } cases[] = {
        {"PORT", "70000", "PORT: '70000' is not a whole number from 1 to 65535"},
        {"PORT", "-1", "PORT: '-1'"},
        {"PORT", "80x", "PORT: '80x'"},
        {"LISTEN_ADDR", "localhost", "LISTEN_ADDR: 'localhost' is not an IPv4 or IPv6 address"},
        {"LOG_LEVEL", "loud", "LOG_LEVEL: 'loud'"},
        {"LICENSINGD_MAX_BODY_BYTES", "0", "LICENSINGD_MAX_BODY_BYTES"},
        {"LICENSINGD_PUBLIC_URL", "ftp://x", "LICENSINGD_PUBLIC_URL"},
        {"DATABASE_URL", "", "DATABASE_URL: must not be empty"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config cfg;
        char err[256] = "";
        config_defaults(&cfg, 1);
        set_env(0, cases[i].key, cases[i].val);
        ck_assert_int_eq(config_load(&cfg, fake_env, 0, NULL, err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, cases[i].expect) != NULL, "case %zu: got '%s'", i, err);
        ck_assert_ptr_null(strchr(err, '\n'));
    }
}
END_TEST

START_TEST(config_unknown_flag_and_missing_value_are_errors)
{
    struct config cfg;
    char err[256] = "";
    config_defaults(&cfg, 1);
    env_keys[0] = NULL;
    char *argv1[] = {"--prot", "1"};
    ck_assert_int_eq(config_load(&cfg, fake_env, 2, argv1, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown option '--prot'"));
    char *argv2[] = {"--port"};
    ck_assert_int_eq(config_load(&cfg, fake_env, 1, argv2, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "--port needs a value"));
}
END_TEST

START_TEST(config_console_issuer_needs_a_url_and_a_client_id)
{
    struct config cfg;
    char err[256] = "";
    config_defaults(&cfg, 1);
    env_keys[0] = NULL;
    ck_assert_int_eq(config_load(&cfg, fake_env, 0, NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(cfg.console_oidc_issuer, "");
    ck_assert_str_eq(cfg.console_oidc_scopes, "openid profile");
    char *bad_url[] = {"--console-oidc-issuer=login.example.com", "--console-client-id=c"};
    ck_assert_int_eq(config_load(&cfg, fake_env, 2, bad_url, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "must be an http:// or https:// URL"));
    config_defaults(&cfg, 1);
    char *no_client[] = {"--console-oidc-issuer=https://login.example.com/t/v2.0"};
    ck_assert_int_eq(config_load(&cfg, fake_env, 1, no_client, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "LICENSINGD_CONSOLE_CLIENT_ID"));
    config_defaults(&cfg, 1);
    set_env(0, "LICENSINGD_CONSOLE_OIDC_ISSUER", "https://login.example.com/t/v2.0/");
    set_env(1, "LICENSINGD_CONSOLE_CLIENT_ID", "console");
    ck_assert_int_eq(config_load(&cfg, fake_env, 0, NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(cfg.console_oidc_issuer, "https://login.example.com/t/v2.0/");
    ck_assert_str_eq(cfg.console_client_id, "console");
}
END_TEST

/* ---- routing ---- */

static void h_a(const struct api_app *a, const struct api_request *r, struct api_response *s)
{
    (void)a, (void)r, (void)s;
}
static void h_b(const struct api_app *a, const struct api_request *r, struct api_response *s)
{
    (void)a, (void)r, (void)s;
}

static const struct route table[] = {
    {HTTP_GET, "/v1.0/users/$count", h_b},
    {HTTP_GET, "/v1.0/users", h_a},
    {HTTP_POST, "/v1.0/users", h_b},
    {HTTP_GET, "/v1.0/users/{id}", h_a},
    {HTTP_PATCH, "/v1.0/users/{id}", h_b},
    {HTTP_DELETE, "/v1.0/groups/{id}/members/{memberId}/$ref", h_a},
};
#define NT (sizeof(table) / sizeof(table[0]))

START_TEST(router_captures_placeholders_in_order)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed;
    ck_assert_int_eq(
        router_match(table, NT, HTTP_DELETE, "/v1.0/groups/g1/members/u-2/$ref", &r, &p, &allowed),
        ROUTE_FOUND);
    ck_assert_int_eq(p.count, 2);
    ck_assert_str_eq(p.values[0], "g1");
    ck_assert_str_eq(p.values[1], "u-2");
}
END_TEST

START_TEST(router_literal_wins_over_placeholder_and_case_is_ignored)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed;
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, "/V1.0/Users/$count", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_ptr_eq(r->handler, h_b);
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, "/v1.0/users/", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_ptr_eq(r->handler, h_a);
    ck_assert_int_eq(router_match(table, NT, HTTP_HEAD, "/v1.0/users/bob@x.com", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_str_eq(p.values[0], "bob@x.com");
}
END_TEST

START_TEST(router_wrong_method_reports_allowed_methods)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    ck_assert_int_eq(router_match(table, NT, HTTP_PUT, "/v1.0/users/abc", &r, &p, &allowed),
                     ROUTE_NO_METHOD);
    char allow[64];
    router_allow_header(allowed, allow, sizeof(allow));
    ck_assert_str_eq(allow, "GET, PATCH, HEAD");
}
END_TEST

START_TEST(router_unknown_paths_do_not_match)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    const char *paths[] = {"/v1.0/nope", "/v1.0/users/a/b", "", "v1.0/users",
                           "/v1.0/groups/g/members/$ref"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        ck_assert_msg(router_match(table, NT, HTTP_GET, paths[i], &r, &p, &allowed) != ROUTE_FOUND,
                      "matched %s", paths[i]);
    ck_assert_uint_eq(router_method_from_name("BREW"), 0);
}
END_TEST

START_TEST(router_overlong_segment_is_not_captured)
{
    char path[2000] = "/v1.0/users/";
    memset(path + strlen(path), 'a', 900);
    path[12 + 900] = '\0';
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, path, &r, &p, &allowed), ROUTE_NO_PATH);
}
END_TEST

/* ---- error envelope ---- */

static void *stop_soon(void *arg)
{
    usleep(50000);
    stopper_stop(arg);
    return NULL;
}

START_TEST(stopper_sleeps_until_the_time_or_the_stop)
{
    struct stopper s;
    stopper_init(&s);
    ck_assert_int_eq(stopper_stopping(&s), 0);
    ck_assert_int_eq(stopper_sleep(&s, 5), 0); /* the time passed, no stop */
    pthread_t t;
    pthread_create(&t, NULL, stop_soon, &s);
    ck_assert_int_eq(stopper_sleep(&s, 600000), 1); /* woken by the stop, not after 10 minutes */
    pthread_join(t, NULL);
    ck_assert_int_eq(stopper_stopping(&s), 1);
    ck_assert_int_eq(stopper_sleep(&s, 600000), 1); /* stopped: no sleep at all */
    stopper_destroy(&s);
}
END_TEST

START_TEST(error_envelope_has_graph_shape)
{
    struct lic_error err;
    lic_error_set(&err, LIC_ERR_NOT_FOUND, NULL, "Resource '%s' does not exist.", "x");
    json_t *j = api_render_error(&err, "rid", "cid", 1644845257);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                     "Request_ResourceNotFound");
    json_t *inner = json_object_get(json_object_get(j, "error"), "innerError");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "date")), "2022-02-14T13:27:37");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "request-id")), "rid");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "client-request-id")), "cid");
    ck_assert_uint_eq(api_error_status(err.kind), 404);
    json_decref(j);
}
END_TEST

START_TEST(error_envelope_survives_invalid_utf8_message)
{
    struct lic_error err;
    lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", "bad \xff\xfe");
    json_t *j = api_render_error(&err, "rid", NULL, 0);
    ck_assert_ptr_nonnull(j);
    json_t *inner = json_object_get(json_object_get(j, "error"), "innerError");
    ck_assert_str_eq(json_string_value(json_object_get(inner, "client-request-id")), "rid");
    ck_assert_uint_eq(api_error_status(LIC_ERR_UNAVAILABLE), 503);
    ck_assert_uint_eq(api_error_status(LIC_ERR_TOO_LARGE), 413);
    json_decref(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("foundation");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, config_defaults_listen_on_loopback_8080);
    tcase_add_test(tc, config_environment_then_flags_override);
    tcase_add_test(tc, config_bad_values_stop_with_one_line);
    tcase_add_test(tc, config_unknown_flag_and_missing_value_are_errors);
    tcase_add_test(tc, config_console_issuer_needs_a_url_and_a_client_id);
    suite_add_tcase(s, tc);
    tc = tcase_create("router");
    tcase_add_test(tc, router_captures_placeholders_in_order);
    tcase_add_test(tc, router_literal_wins_over_placeholder_and_case_is_ignored);
    tcase_add_test(tc, router_wrong_method_reports_allowed_methods);
    tcase_add_test(tc, router_unknown_paths_do_not_match);
    tcase_add_test(tc, router_overlong_segment_is_not_captured);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, error_envelope_has_graph_shape);
    tcase_add_test(tc, stopper_sleeps_until_the_time_or_the_stop);
    tcase_add_test(tc, error_envelope_survives_invalid_utf8_message);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
