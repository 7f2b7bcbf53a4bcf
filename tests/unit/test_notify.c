/* Unit tests of change notifications' pure parts: Graph's notification shapes, the changeType
 * filter, the backoff, expiration parsing and the notification URL policy. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "service/notify.h"
#include "service/subscriptions.h"
#include "tests/unit/run_suite.h"

static struct db_subscription sub(const char *kinds, const char *types)
{
    struct db_subscription s;
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "5e0d2a31-0000-4000-8000-000000000001");
    snprintf(s.kinds, sizeof(s.kinds), "%s", kinds);
    snprintf(s.change_type, sizeof(s.change_type), "%s", types);
    snprintf(s.expiration, sizeof(s.expiration), "2026-12-02T00:00:00.0000000Z");
    snprintf(s.client_state, sizeof(s.client_state), "secret");
    s.has_client_state = 1;
    return s;
}

static struct db_change change(const char *resource, const char *id, const char *parent,
                               const char *type)
{
    struct db_change c;
    memset(&c, 0, sizeof(c));
    snprintf(c.resource, sizeof(c.resource), "%s", resource);
    snprintf(c.object_id, sizeof(c.object_id), "%s", id);
    snprintf(c.parent_id, sizeof(c.parent_id), "%s", parent ? parent : "");
    snprintf(c.change_type, sizeof(c.change_type), "%s", type);
    return c;
}

#define U "9a1a0000-0000-4000-8000-0000000000aa"
#define G "9a1a0000-0000-4000-8000-0000000000bb"
#define T "0f0f0000-0000-4000-8000-0000000000cc"

START_TEST(a_user_change_has_graphs_shape_and_the_client_state)
{
    struct db_subscription s = sub("user", "created,updated");
    struct db_change c = change("user", U, NULL, "updated");
    json_t *j = notify_item(&s, &c, T);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "changeType")), "updated");
    ck_assert_str_eq(json_string_value(json_object_get(j, "resource")), "Users/" U);
    ck_assert_str_eq(json_string_value(json_object_get(j, "clientState")), "secret");
    ck_assert_str_eq(json_string_value(json_object_get(j, "tenantId")), T);
    json_t *d = json_object_get(j, "resourceData");
    ck_assert_str_eq(json_string_value(json_object_get(d, "@odata.type")), "#Microsoft.Graph.User");
    ck_assert_str_eq(json_string_value(json_object_get(d, "id")), U);
    json_decref(j);
    /* Not asked for: no notification. */
    c = change("user", U, NULL, "deleted");
    ck_assert_ptr_null(notify_item(&s, &c, T));
}
END_TEST

START_TEST(membership_is_a_group_update_with_members_delta)
{
    struct db_subscription s = sub("member", "updated");
    struct db_change c = change("member", U, G, "deleted");
    json_t *j = notify_item(&s, &c, T);
    ck_assert_str_eq(json_string_value(json_object_get(j, "changeType")), "updated");
    ck_assert_str_eq(json_string_value(json_object_get(j, "resource")), "Groups/" G);
    json_t *m =
        json_array_get(json_object_get(json_object_get(j, "resourceData"), "members@delta"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "id")), U);
    ck_assert_ptr_nonnull(json_object_get(m, "@removed"));
    json_decref(j);
    s = sub("member", "created");
    ck_assert_ptr_null(notify_item(&s, &c, T));
}
END_TEST

START_TEST(a_sku_is_named_by_the_tenant_and_sku_id)
{
    struct db_subscription s = sub("subscribedSku", "updated");
    struct db_change c = change("subscribedSku", U, NULL, "updated");
    json_t *j = notify_item(&s, &c, T);
    ck_assert_str_eq(json_string_value(json_object_get(j, "resource")), "SubscribedSkus/" T "_" U);
    json_decref(j);
}
END_TEST

START_TEST(backoff_doubles_and_is_capped)
{
    ck_assert_int_eq(notify_backoff_ms(1000, 0), 1000);
    ck_assert_int_eq(notify_backoff_ms(1000, 1), 2000);
    ck_assert_int_eq(notify_backoff_ms(1000, 3), 8000);
    ck_assert_int_eq(notify_backoff_ms(1000, 40), 15 * 60 * 1000);
}
END_TEST

START_TEST(expiration_times_parse_with_fraction_and_offset)
{
    ck_assert_int_eq(subscription_parse_time("1970-01-01T00:01:00Z"), 60);
    ck_assert_int_eq(subscription_parse_time("1970-01-01T01:00:00.1234567+01:00"), 0);
    ck_assert_int_eq(subscription_parse_time("1970-01-01T00:00:00"), -1);
    ck_assert_int_eq(subscription_parse_time("1970-13-01T00:00:00Z"), -1);
    ck_assert_int_eq(subscription_parse_time("1970-01-01T00:00:00Zjunk"), -1);
}
END_TEST

START_TEST(notification_urls_are_https_or_loopback_when_allowed_and_never_this_service)
{
    struct config cfg;
    config_defaults(&cfg, 1);
    struct lic_error err;
    ck_assert_int_eq(subscription_url_allowed(&cfg, "https://hooks.example.com/x", "u", &err), 0);
    ck_assert_int_eq(subscription_url_allowed(&cfg, "http://127.0.0.1:9000/x", "u", &err), -1);
    cfg.notify_allow_http_loopback = 1;
    ck_assert_int_eq(subscription_url_allowed(&cfg, "http://127.0.0.1:9000/x", "u", &err), 0);
    ck_assert_int_eq(subscription_url_allowed(&cfg, "http://[::1]:9000/x", "u", &err), 0);
    ck_assert_int_eq(subscription_url_allowed(&cfg, "http://10.0.0.1:9000/x", "u", &err), -1);
    ck_assert_int_eq(subscription_url_allowed(&cfg, "http://localhost:8080/v1.0", "u", &err), -1);
    ck_assert_int_eq(subscription_url_allowed(&cfg, "ftp://example.com/x", "u", &err), -1);
    snprintf(cfg.public_url, sizeof(cfg.public_url), "https://licensing.contoso.com");
    ck_assert_int_eq(
        subscription_url_allowed(&cfg, "https://licensing.contoso.com/hook", "u", &err), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_add_test(tc, a_user_change_has_graphs_shape_and_the_client_state);
    tcase_add_test(tc, membership_is_a_group_update_with_members_delta);
    tcase_add_test(tc, a_sku_is_named_by_the_tenant_and_sku_id);
    tcase_add_test(tc, backoff_doubles_and_is_capped);
    tcase_add_test(tc, expiration_times_parse_with_fraction_and_offset);
    tcase_add_test(tc, notification_urls_are_https_or_loopback_when_allowed_and_never_this_service);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
