/* What a directory change queues for licensing (service/directory.h, users_requeue_after_change):
 * the user when a property licensing reads changes or its membership does, nothing for a nested
 * group, and the SKU whose seat a deleted user frees. */
#include "tests/integration/directory_fixtures.h"

static struct th_server srv;

/* Queued work items on target with a reason starting with prefix. */
static long queued(const char *target, const char *prefix)
{
    return th_sql_longf(&srv,
                        "SELECT count(*) FROM work_queue WHERE target_id = '%s' AND reason LIKE "
                        "'%s%%'",
                        target, prefix);
}

START_TEST(created_user_is_queued_only_with_a_usage_location_or_proxy_addresses)
{
    char plain[GUID_SIZE], located[GUID_SIZE], proxied[GUID_SIZE];
    make_user(&srv, "plain@contoso.com", "Plain", "", plain);
    make_user(&srv, "located@contoso.com", "Located", ",\"usageLocation\":\"NL\"", located);
    make_user(&srv, "proxied@contoso.com", "Proxied",
              ",\"proxyAddresses\":[\"SMTP:proxied@contoso.com\"]", proxied);
    ck_assert_int_eq(queued(plain, ""), 0);
    ck_assert_int_eq(queued(located, "user created"), 1);
    ck_assert_int_eq(queued(proxied, "user created"), 1);
}
END_TEST

START_TEST(update_queues_for_usage_location_mail_and_proxies_but_not_a_case_change)
{
    char id[GUID_SIZE], path[128];
    make_user(&srv, "mover@contoso.com", "Mover", ",\"mail\":\"mover@contoso.com\"", id);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"mail\":\"MOVER@contoso.com\"}"), 204);
    ck_assert_int_eq(queued(id, ""), 0);
    ck_assert_int_eq(call(&srv, "PATCH", path,
                          "{\"usageLocation\":\"DE\",\"mail\":\"m2@contoso.com\","
                          "\"proxyAddresses\":[\"SMTP:m2@contoso.com\"]}"),
                     204);
    ck_assert_int_eq(queued(id, "usageLocation changed; mail changed; proxyAddresses changed; "),
                     1);
    /* The same usage location again is no change. */
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"usageLocation\":\"DE\"}"), 204);
    ck_assert_int_eq(queued(id, ""), 1);
}
END_TEST

START_TEST(membership_queues_user_members_not_nested_groups)
{
    char outer[GUID_SIZE], inner[GUID_SIZE], user[GUID_SIZE], path[256];
    make_group(&srv, "Outer", outer);
    make_group(&srv, "Inner", inner);
    make_user(&srv, "nested@contoso.com", "Nested", "", user);
    ck_assert_int_eq(add_member(&srv, outer, inner), 204);
    ck_assert_int_eq(add_member(&srv, outer, user), 204);
    ck_assert_int_eq(queued(inner, ""), 0);
    ck_assert_int_eq(queued(user, "added to group"), 1);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", outer, inner);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    ck_assert_int_eq(queued(inner, ""), 0);
}
END_TEST

START_TEST(deleted_user_queues_the_sku_whose_seat_it_freed)
{
    const char *sku = "18181a46-0d4e-45cd-891e-60aabd171b4e";
    char id[GUID_SIZE], path[128];
    make_user(&srv, "seat-holder@contoso.com", "Seat Holder", "", id);
    th_sql_execf(&srv,
                 "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('%s', "
                 "'STANDARDPACK', 1); INSERT INTO user_licenses (user_id, sku_id) VALUES ('%s', "
                 "'%s')",
                 sku, id, sku);
    ck_assert_int_eq(queued(sku, ""), 0);
    snprintf(path, sizeof(path), "/v1.0/users/%s", id);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    ck_assert_int_eq(queued(sku, "seat freed: user deleted"), 1);
}
END_TEST

int main(void)
{
    /* An API-only replica: what is queued stays in the queue to be counted. */
    const char *env[] = {"LICENSINGD_WORKERS=0", NULL};
    th_server_start(&srv, "directory_requeue", env);
    Suite *s = suite_create("directory_requeue");
    TCase *tc = tcase_create("directory_requeue");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, created_user_is_queued_only_with_a_usage_location_or_proxy_addresses);
    tcase_add_test(tc, update_queues_for_usage_location_mail_and_proxies_but_not_a_case_change);
    tcase_add_test(tc, membership_queues_user_members_not_nested_groups);
    tcase_add_test(tc, deleted_user_queues_the_sku_whose_seat_it_freed);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
