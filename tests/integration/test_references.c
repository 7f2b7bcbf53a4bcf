/* The references of license states, licenses and proxy addresses to their user, SKU and group,
 * checked once per statement since migration 017 (they were foreign keys): a row whose parent is
 * missing is refused with 23503, even among valid rows of the same statement; deleting a user or
 * a group cascades to its rows (and the seats come back); a SKU that states still reference
 * cannot be deleted; a referenced key cannot change. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

static struct th_server srv;

#define SKU_A "55555555-0000-4000-8000-00000000000a"
#define PLAN_1 "66666666-0000-4000-8000-000000000001"
#define USER_1 "77777777-0000-4000-8000-000000000001"
#define USER_2 "77777777-0000-4000-8000-000000000002"
#define GHOST "77777777-0000-4000-8000-0000000000ff"
#define GROUP_1 "88888888-0000-4000-8000-000000000001"
#define NIL "00000000-0000-0000-0000-000000000000"

/* The SQLSTATE the statement failed with, "" when it succeeded. */
static void sqlstate_of(const char *sql, char out[6])
{
    PGconn *c = th_db(&srv);
    PGresult *r = PQexec(c, sql);
    const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(out, 6, "%s",
             PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? ""
             : code                                                                        ? code
                                                                                           : "?");
    PQclear(r);
    PQfinish(c);
}

static void expect_sqlstate(const char *sql, const char *want)
{
    char got[6];
    sqlstate_of(sql, got);
    ck_assert_msg(strcmp(got, want) == 0, "%s -> '%s', wanted '%s'", sql, got, want);
}

static long count(const char *sql)
{
    return th_sql_long(&srv, sql);
}

static void make_user(const char *id, const char *name)
{
    th_sql_execf(&srv,
                 "INSERT INTO users (id, user_principal_name, display_name, mail_nickname,"
                 " account_enabled) VALUES ('%s', '%s@refs.test', '%s', '%s', true)",
                 id, name, name, name);
}

/* USER_1 holds SKU_A directly and through GROUP_1, with a proxy address; USER_2 through the
 * group only. */
static void seed(void)
{
    th_sql_exec(&srv, "DELETE FROM users; DELETE FROM groups");
    make_user(USER_1, "ada");
    make_user(USER_2, "bob");
    th_sql_exec(&srv, "INSERT INTO groups (id, display_name, mail_nickname, mail_enabled,"
                      " security_enabled) VALUES ('" GROUP_1 "', 'Refs', 'refs', false, true)");
    th_sql_exec(&srv, "INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id,"
                      " state) VALUES ('" USER_1 "', '" SKU_A "', '" NIL "', NULL, 'Active'),"
                      " ('" USER_1 "', '" SKU_A "', '" GROUP_1 "', '" GROUP_1 "', 'Active'),"
                      " ('" USER_2 "', '" SKU_A "', '" GROUP_1 "', '" GROUP_1 "', 'Active')");
    th_sql_exec(&srv, "INSERT INTO user_licenses (user_id, sku_id) VALUES ('" USER_1 "', '" SKU_A
                      "'), ('" USER_2 "', '" SKU_A "')");
    th_sql_exec(&srv, "INSERT INTO user_proxy_addresses (user_id, position, address, address_key,"
                      " is_primary) VALUES ('" USER_1 "', 0, 'SMTP:ada@refs.test',"
                      " 'ada@refs.test', true)");
}

START_TEST(rows_whose_user_sku_or_group_is_missing_are_refused)
{
    seed();
    /* One bad row among good ones: the whole statement is refused. */
    expect_sqlstate("INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id,"
                    " state) VALUES ('" USER_2 "', '" SKU_A "', '" NIL "', NULL, 'Active'),"
                    " ('" GHOST "', '" SKU_A "', '" NIL "', NULL, 'Active')",
                    "23503");
    expect_sqlstate("INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id,"
                    " state) VALUES ('" USER_2 "', '" GHOST "', '" NIL "', NULL, 'Active')",
                    "23503");
    expect_sqlstate("INSERT INTO license_assignment_states (user_id, sku_id, path_id, group_id,"
                    " state) VALUES ('" USER_2 "', '" SKU_A "', '" GHOST "', '" GHOST "',"
                    " 'Active')",
                    "23503");
    expect_sqlstate("INSERT INTO user_licenses (user_id, sku_id) VALUES ('" GHOST "', '" SKU_A "')",
                    "23503");
    expect_sqlstate(
        "INSERT INTO user_licenses (user_id, sku_id) VALUES ('" USER_1 "', '" GHOST "')", "23503");
    expect_sqlstate("INSERT INTO user_proxy_addresses (user_id, position, address, address_key,"
                    " is_primary) VALUES ('" GHOST "', 0, 'SMTP:x@refs.test', 'x@refs.test',"
                    " true)",
                    "23503");
    /* An update that moves a row onto a missing parent, too. */
    expect_sqlstate("UPDATE user_licenses SET user_id = '" GHOST "' WHERE user_id = '" USER_2 "'",
                    "23503");
    expect_sqlstate("UPDATE license_assignment_states SET group_id = '" GHOST "', path_id = '" GHOST
                    "' WHERE user_id = '" USER_2 "'",
                    "23503");
    ck_assert_int_eq(count("SELECT count(*) FROM license_assignment_states"), 3);
    ck_assert_int_eq(count("SELECT count(*) FROM user_licenses"), 2);
    ck_assert_int_eq(count("SELECT s.consumed_units FROM skus s WHERE s.sku_id = '" SKU_A "'"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM user_proxy_addresses"), 1);
    /* The upserts a batch runs update rows in place: no check refuses them. */
    expect_sqlstate("INSERT INTO license_assignment_states AS l (user_id, sku_id, path_id,"
                    " group_id, state) VALUES ('" USER_2 "', '" SKU_A "', '" GROUP_1 "', '" GROUP_1
                    "', 'Error') ON CONFLICT (user_id, sku_id, path_id) DO UPDATE"
                    " SET state = EXCLUDED.state",
                    "");
    /* Referenced keys do not change. */
    expect_sqlstate("UPDATE users SET id = '" GHOST "' WHERE id = '" USER_2 "'", "23503");
    expect_sqlstate("UPDATE skus SET sku_id = '" GHOST "' WHERE sku_id = '" SKU_A "'", "23503");
    expect_sqlstate("UPDATE groups SET id = '" GHOST "' WHERE id = '" GROUP_1 "'", "23503");
}
END_TEST

START_TEST(deleting_a_user_or_a_group_cascades_and_frees_the_seats)
{
    seed();
    struct th_response r;
    th_request(&srv, "DELETE", "/v1.0/users/" USER_1, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
    ck_assert_int_eq(count("SELECT count(*) FROM users WHERE id = '" USER_1 "'"), 0);
    ck_assert_int_eq(
        count("SELECT count(*) FROM license_assignment_states WHERE user_id = '" USER_1 "'"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM user_licenses WHERE user_id = '" USER_1 "'"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM user_proxy_addresses"), 0);
    ck_assert_int_eq(count("SELECT s.consumed_units FROM skus s WHERE s.sku_id = '" SKU_A "'"), 1);
    /* The other user's rows stay. */
    ck_assert_int_eq(
        count("SELECT count(*) FROM license_assignment_states WHERE user_id = '" USER_2 "'"), 1);

    /* A group's states go with it (its members keep their other paths: none here). */
    th_sql_exec(&srv, "DELETE FROM groups WHERE id = '" GROUP_1 "'");
    ck_assert_int_eq(count("SELECT count(*) FROM license_assignment_states"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM user_licenses"), 1);

    /* Several users in one statement. */
    seed();
    th_sql_exec(&srv, "DELETE FROM users");
    ck_assert_int_eq(count("SELECT count(*) FROM license_assignment_states"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM user_licenses"), 0);
    ck_assert_int_eq(count("SELECT s.consumed_units FROM skus s WHERE s.sku_id = '" SKU_A "'"), 0);
}
END_TEST

START_TEST(a_sku_that_states_reference_is_not_deleted)
{
    seed();
    th_sql_exec(&srv, "DELETE FROM user_licenses");
    th_sql_exec(&srv, "DELETE FROM license_assignment_states WHERE group_id IS NOT NULL");
    struct th_response r;
    th_request(&srv, "DELETE", "/v1.0/subscribedSkus/" SKU_A, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "license assignment states"));
    th_response_free(&r);
    ck_assert_int_eq(count("SELECT count(*) FROM skus WHERE sku_id = '" SKU_A "'"), 1);
    /* A license alone holds it as well. */
    th_sql_exec(&srv, "DELETE FROM license_assignment_states");
    th_sql_exec(&srv,
                "INSERT INTO user_licenses (user_id, sku_id) VALUES ('" USER_1 "', '" SKU_A "')");
    expect_sqlstate("DELETE FROM skus WHERE sku_id = '" SKU_A "'", "23503");
    th_sql_exec(&srv, "DELETE FROM user_licenses");
    expect_sqlstate("DELETE FROM skus WHERE sku_id = '" SKU_A "'", "");
}
END_TEST

int main(void)
{
    const char *env[] = {"LICENSINGD_WORKERS=0", NULL};
    th_server_start(&srv, "references", env);
    th_sql_exec(&srv, "INSERT INTO service_plans (id, name) VALUES ('" PLAN_1 "', 'PLAN_ONE');"
                      "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled)"
                      " VALUES ('" SKU_A "', 'REFS_SKU', 10);"
                      "INSERT INTO sku_service_plans VALUES ('" SKU_A "', '" PLAN_1 "', 1)");
    Suite *s = suite_create("references");
    TCase *tc = tcase_create("references"); /* in this order: the last deletes the SKU */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rows_whose_user_sku_or_group_is_missing_are_refused);
    tcase_add_test(tc, deleting_a_user_or_a_group_cascades_and_frees_the_seats);
    tcase_add_test(tc, a_sku_that_states_reference_is_not_deleted);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
