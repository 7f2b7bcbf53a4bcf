/* Delta queries (issue 13): users/delta and groups/delta, an initial round paged to a deltaLink,
 * later rounds with only what changed (updates, deletions, membership, the worker's licensing). */
#include <unistd.h>

#include "db/changes.h"
#include "tests/integration/directory_fixtures.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, service, provisions_mailbox, unavailable_in_countries) "
    "VALUES ('" TEAMS "', 'TEAMS1', 'TeamspaceAPI', false, '{}');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES ('" E1
    "', 'STANDARDPACK', 100);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" TEAMS "', 1);";

/* Follows a round from path to its deltaLink; every item goes into all (an array the caller
 * frees). Returns the deltaLink's path (caller frees) and the number of pages in *pages. */
static char *round_trip(const char *path, json_t *all, int *pages)
{
    char *next = strdup(path);
    *pages = 0;
    for (;;) {
        struct th_response r;
        th_request(&srv, "GET", next, NULL, NULL, &r);
        ck_assert_msg(r.status == 200, "%s: %ld %s", next, r.status, r.body);
        free(next);
        json_array_extend(all, json_object_get(r.json, "value"));
        (*pages)++;
        const char *link = json_string_value(json_object_get(r.json, "@odata.nextLink"));
        const char *delta = json_string_value(json_object_get(r.json, "@odata.deltaLink"));
        ck_assert_msg((link == NULL) != (delta == NULL), "one of nextLink and deltaLink");
        if (link == NULL) {
            ck_assert_ptr_nonnull(strstr(delta, "$deltatoken="));
            char *out = strdup(strstr(delta, "/v1.0/"));
            th_response_free(&r);
            return out;
        }
        ck_assert_ptr_nonnull(strstr(link, "$skiptoken="));
        next = strdup(strstr(link, "/v1.0/"));
        th_response_free(&r);
    }
}

/* A later round from delta, read again until it holds at least want items: a transaction still
 * running (the worker's) holds the readable horizon back for a moment. Returns the items (caller
 * frees) and the round's deltaLink in *next (caller frees). */
static json_t *changes(const char *delta, size_t want, char **next)
{
    json_t *all = NULL;
    *next = NULL;
    for (int i = 0; i < 200; i++) {
        json_decref(all);
        free(*next);
        all = json_array();
        int pages = 0;
        *next = round_trip(delta, all, &pages);
        if (json_array_size(all) >= want)
            break;
        usleep(50000);
    }
    return all;
}

static json_t *find(json_t *items, const char *id)
{
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(items, i), "id")), id) == 0)
            return json_array_get(items, i);
    return NULL;
}

START_TEST(users_round_then_only_what_changed)
{
    th_sql_exec(&srv, "INSERT INTO users (user_principal_name, display_name, mail_nickname,"
                      " account_enabled) SELECT 'delta' || i || '@contoso.com', 'Delta ' || i,"
                      " 'd', true FROM generate_series(1, 150) i");
    char kept[GUID_SIZE], gone[GUID_SIZE], later[GUID_SIZE];
    make_user(&srv, "kept@contoso.com", "Kept", "", kept);
    make_user(&srv, "gone@contoso.com", "Gone", "", gone);
    json_t *all = json_array();
    int pages = 0;
    char *delta = round_trip("/v1.0/users/delta", all, &pages);
    long users = th_sql_long(&srv, "SELECT count(*) FROM users");
    ck_assert_int_eq((long)json_array_size(all), users); /* each once, by id */
    ck_assert_int_ge(pages, 2);
    ck_assert_ptr_nonnull(find(all, kept));
    json_decref(all);

    /* Nothing changed: an empty page and a deltaLink again. */
    all = json_array();
    char *same = round_trip(delta, all, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    free(same);

    char path[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s", kept);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"jobTitle\":\"Changed\"}"), 204);
    snprintf(path, sizeof(path), "/v1.0/users/%s", gone);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    make_user(&srv, "later@contoso.com", "Later", "", later);

    char *next = NULL;
    all = changes(delta, 3, &next);
    ck_assert_int_eq(json_array_size(all), 3);
    ck_assert_str_eq(json_string_value(json_object_get(find(all, kept), "jobTitle")), "Changed");
    json_t *removed = find(all, gone);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(removed, "@removed"), "reason")),
        "deleted");
    ck_assert_int_eq(json_object_size(removed), 2);
    ck_assert_ptr_nonnull(find(all, later));
    json_decref(all);

    /* The new deltaLink has moved past them. */
    all = json_array();
    char *after = round_trip(next, all, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    free(after);
    free(next);
    free(delta);
}
END_TEST

START_TEST(select_is_honoured_and_id_always_given)
{
    char id[GUID_SIZE];
    make_user(&srv, "selected@contoso.com", "Selected", "", id);
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users/delta?$select=displayName", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *first = json_array_get(json_object_get(r.json, "value"), 0);
    ck_assert_int_eq(json_object_size(first), 2);
    ck_assert_ptr_nonnull(json_object_get(first, "id"));
    ck_assert_ptr_nonnull(json_object_get(first, "displayName"));
    const char *link = json_string_value(json_object_get(r.json, "@odata.deltaLink"));
    if (link == NULL)
        link = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(strstr(link, "$select=displayName"));
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users/delta?$select=nope", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users/delta?$deltatoken=garbage", NULL), 400);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/groups/delta?$skiptoken=bGsxH2EfYg", NULL), 400);
}
END_TEST

START_TEST(groups_carry_members_delta)
{
    char g[GUID_SIZE], a[GUID_SIZE], b[GUID_SIZE];
    make_group(&srv, "Delta group", g);
    make_user(&srv, "member.a@contoso.com", "Member A", "", a);
    make_user(&srv, "member.b@contoso.com", "Member B", "", b);
    ck_assert_int_eq(add_member(&srv, g, a), 204);
    json_t *all = json_array();
    int pages = 0;
    char *delta = round_trip("/v1.0/groups/delta", all, &pages);
    json_t *members = json_object_get(find(all, g), "members@delta");
    ck_assert_int_eq(json_array_size(members), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(members, 0), "id")), a);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(members, 0), "@odata.type")),
                     "#microsoft.graph.user");
    json_decref(all);

    ck_assert_int_eq(add_member(&srv, g, b), 204);
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", g, a);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);
    char *next = NULL;
    all = changes(delta, 1, &next);
    ck_assert_int_eq(json_array_size(all), 1);
    members = json_object_get(find(all, g), "members@delta");
    for (int i = 0; i < 100 && json_array_size(members) < 2; i++) {
        json_decref(all); /* the removal's transaction may show a moment later */
        free(next);
        usleep(50000);
        all = changes(delta, 1, &next);
        members = json_object_get(find(all, g), "members@delta");
    }
    ck_assert_int_eq(json_array_size(members), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *m = json_array_get(members, i);
        int is_a = strcmp(json_string_value(json_object_get(m, "id")), a) == 0;
        ck_assert_int_eq(json_object_get(m, "@removed") != NULL, is_a);
    }
    json_decref(all);
    /* $select without members: membership changes are not asked for. */
    snprintf(path, sizeof(path), "%s&$select=displayName", next);
    ck_assert_int_eq(add_member(&srv, g, a), 204);
    all = json_array();
    char *again = round_trip(path, all, &pages);
    ck_assert_int_eq(json_array_size(all), 0);
    json_decref(all);
    free(again);
    free(next);
    free(delta);
}
END_TEST

START_TEST(a_large_group_continues_its_members_on_the_next_page)
{
    char g[GUID_SIZE];
    make_group(&srv, "Large delta group", g);
    th_sql_execf(&srv,
                 "INSERT INTO users (user_principal_name, display_name, mail_nickname,"
                 " account_enabled) SELECT 'large' || i || '@contoso.com', 'Large ' || i, 'l',"
                 " true FROM generate_series(1, 1500) i;"
                 "INSERT INTO group_members (group_id, member_id, member_type) SELECT '%s', id,"
                 " 'user' FROM users WHERE user_principal_name LIKE 'large%%'",
                 g);
    json_t *all = json_array();
    int pages = 0;
    char *delta = round_trip("/v1.0/groups/delta?$select=displayName,members", all, &pages);
    long members = 0;
    int seen = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *item = json_array_get(all, i);
        if (strcmp(json_string_value(json_object_get(item, "id")), g) == 0) {
            seen++;
            members += (long)json_array_size(json_object_get(item, "members@delta"));
        }
    }
    ck_assert_int_ge(seen, 2); /* repeated on the next page with the rest */
    ck_assert_int_eq(members, 1500);
    json_decref(all);
    free(delta);
}
END_TEST

START_TEST(licensing_by_the_worker_is_a_change)
{
    char g[GUID_SIZE], u[GUID_SIZE];
    make_group(&srv, "Licensed delta", g);
    make_user(&srv, "licensed.delta@contoso.com", "Licensed", ",\"usageLocation\":\"US\"", u);
    ck_assert_int_eq(add_member(&srv, g, u), 204);
    json_t *all = json_array();
    int pages = 0;
    char *delta = round_trip("/v1.0/users/delta?$select=assignedLicenses", all, &pages);
    json_decref(all);
    char path[160];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", g);
    struct th_response r;
    th_request(&srv, "POST", path,
               "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[]}],"
               "\"removeLicenses\":[]}",
               NULL, &r);
    ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
    th_response_free(&r);
    for (int i = 0; i < 1200; i++) {
        if (th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", u) == 1 &&
            th_sql_long(&srv, "SELECT count(*) FROM work_queue") == 0)
            break;
        usleep(100000);
    }
    char *next = NULL;
    all = changes(delta, 1, &next);
    json_t *licenses = json_object_get(find(all, u), "assignedLicenses");
    ck_assert_int_eq(json_array_size(licenses), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(licenses, 0), "skuId")), E1);
    json_decref(all);
    free(next);
    free(delta);
}
END_TEST

START_TEST(changes_come_in_transaction_order_whatever_their_digits)
{
    /* Transactions 999 and 1000 (long past): compared as text, 1000 would come first, and a
     * reader whose page ended there would never read 999's change. */
    th_sql_exec(&srv, "INSERT INTO directory_changes (txid, resource, object_id, change_type)"
                      " VALUES ('1000', 'user', '00000000-0000-4000-8000-00000000e003', 'updated'),"
                      " ('999', 'user', '00000000-0000-4000-8000-00000000e002', 'updated')");
    struct lic_error err;
    struct db_conn *c = db_connect(srv.conninfo, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    struct db_change_pos pos = {.txid = 998, .seq = 0};
    struct db_change *ch = NULL;
    int n = 0;
    ck_assert_int_eq(db_changes_read(c, "user", NULL, &pos, 1, &ch, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(ch[0].pos.txid, 999);
    pos = ch[0].pos;
    free(ch);
    ck_assert_int_eq(db_changes_read(c, "user,group", NULL, &pos, 1, &ch, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(ch[0].pos.txid, 1000);
    free(ch);
    db_disconnect(c);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "delta", NULL);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("delta");
    TCase *tc = tcase_create("delta");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, users_round_then_only_what_changed);
    tcase_add_test(tc, select_is_honoured_and_id_always_given);
    tcase_add_test(tc, groups_carry_members_delta);
    tcase_add_test(tc, a_large_group_continues_its_members_on_the_next_page);
    tcase_add_test(tc, licensing_by_the_worker_is_a_change);
    tcase_add_test(tc, changes_come_in_transaction_order_whatever_their_digits);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
