/* The change sequence behind delta queries and notifications: every directory and licensing change
 * is recorded in its own transaction, and a reader never skips a change that commits late. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/changes.h"
#include "tests/integration/directory_fixtures.h"

static struct th_server srv;

static struct db_conn *connect_db(void)
{
    struct lic_error err;
    struct db_conn *c = db_connect(srv.conninfo, &err);
    ck_assert_msg(c != NULL, "connect: %s", err.message);
    return c;
}

static int read_all(struct db_conn *c, const char *resources, struct db_change_pos *pos,
                    struct db_change **out)
{
    struct lic_error err;
    int n = 0;
    ck_assert_msg(db_changes_read(c, resources, NULL, pos, 1000, out, &n, &err) == 0, "%s",
                  err.message);
    if (n > 0)
        *pos = (*out)[n - 1].pos;
    return n;
}

static int has(const struct db_change *ch, int n, const char *resource, const char *id,
               const char *type)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ch[i].resource, resource) == 0 && strcmp(ch[i].object_id, id) == 0 &&
            strcmp(ch[i].change_type, type) == 0)
            return 1;
    return 0;
}

/* Reads until a change (resource, id, type) arrived or 5 s passed, appending everything read to
 * *all (n entries so far); returns the new count. A transaction still running elsewhere (the
 * worker's) may hold the horizon back for a moment. */
static int read_until(struct db_conn *c, const char *resources, struct db_change_pos *pos,
                      struct db_change **all, int n, const char *resource, const char *id,
                      const char *type)
{
    for (int tries = 0; tries < 100 && !has(*all, n, resource, id, type); tries++) {
        struct db_change *more = NULL;
        int got = read_all(c, resources, pos, &more);
        *all = realloc(*all, sizeof(**all) * (size_t)(n + got + 1));
        memcpy(*all + n, more, sizeof(**all) * (size_t)got);
        n += got;
        free(more);
        if (!has(*all, n, resource, id, type))
            usleep(50 * 1000);
    }
    return n;
}

START_TEST(user_group_and_membership_changes_are_recorded)
{
    struct db_conn *c = connect_db();
    struct lic_error err;
    struct db_change_pos pos;
    ck_assert(db_changes_now(c, &pos, &err) == 0);

    char uid[GUID_SIZE], gid[GUID_SIZE];
    make_user(&srv, "chg1@contoso.com", "chg1", "", uid);
    make_group(&srv, "Changes", gid);
    ck_assert_int_eq(add_member(&srv, gid, uid), 204);
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/users/%s", uid);
    ck_assert_int_eq(call(&srv, "PATCH", path, "{\"jobTitle\":\"Tester\"}"), 204);
    ck_assert_int_eq(call(&srv, "DELETE", path, NULL), 204);

    struct db_change *ch = NULL;
    int n = read_until(c, "user,group,member", &pos, &ch, 0, "user", uid, "deleted");
    n = read_until(c, "user,group,member", &pos, &ch, n, "member", uid, "deleted");
    ck_assert(has(ch, n, "user", uid, "created"));
    ck_assert(has(ch, n, "group", gid, "created"));
    ck_assert(has(ch, n, "member", uid, "created"));
    ck_assert(has(ch, n, "user", uid, "updated"));
    ck_assert(has(ch, n, "user", uid, "deleted"));
    /* The cascade that removed the membership is recorded; the deleted user is not also
     * "updated" by the cascade of its own rows after its deletion. */
    ck_assert(has(ch, n, "member", uid, "deleted"));
    for (int i = 1; i < n; i++)
        ck_assert(ch[i - 1].pos.txid < ch[i].pos.txid ||
                  (ch[i - 1].pos.txid == ch[i].pos.txid && ch[i - 1].pos.seq < ch[i].pos.seq));
    free(ch);

    /* Only what the reader asked for, and nothing twice. */
    n = read_all(c, "user,group,member", &pos, &ch);
    ck_assert_int_eq(n, 0);
    free(ch);
    db_disconnect(c);
}
END_TEST

START_TEST(a_change_committing_late_is_not_skipped)
{
    struct db_conn *c = connect_db();
    struct lic_error err;
    struct db_change_pos pos;
    ck_assert(db_changes_now(c, &pos, &err) == 0);

    /* A slow writer takes its transaction id first and stays open... */
    PGconn *slow = th_db(&srv);
    PGresult *q = PQexec(slow, "BEGIN; SELECT pg_current_xact_id();"
                               " INSERT INTO users (user_principal_name, display_name,"
                               " mail_nickname, account_enabled) VALUES ('late@contoso.com',"
                               " 'Late', 'late', true);");
    ck_assert_int_eq(PQresultStatus(q), PGRES_COMMAND_OK);
    PQclear(q);
    /* ...while a faster one commits after it. */
    char uid[GUID_SIZE];
    make_user(&srv, "early@contoso.com", "early", "", uid);

    struct db_change *ch = NULL;
    int n = read_all(c, "user", &pos, &ch);
    /* Neither is handed out while the older transaction may still commit. */
    ck_assert_msg(!has(ch, n, "user", uid, "created"), "read past a running transaction");
    free(ch);

    q = PQexec(slow, "COMMIT");
    PQclear(q);
    long late = th_sql_long(&srv, "SELECT count(*) FROM users WHERE mail_nickname = 'late'");
    ck_assert_int_eq(late, 1);
    ch = NULL;
    n = read_until(c, "user", &pos, &ch, 0, "user", uid, "created");
    ck_assert(has(ch, n, "user", uid, "created"));
    int late_seen = 0;
    for (int i = 0; i < n; i++)
        late_seen += strcmp(ch[i].change_type, "created") == 0 && strcmp(ch[i].object_id, uid);
    ck_assert_int_eq(late_seen, 1);
    free(ch);
    PQfinish(slow);
    db_disconnect(c);
}
END_TEST

START_TEST(old_changes_are_pruned_in_batches)
{
    th_sql_exec(&srv, "INSERT INTO directory_changes (resource, object_id, change_type, changed_at)"
                      " SELECT 'user', gen_random_uuid(), 'updated', now() - interval '40 days'"
                      "   FROM generate_series(1, 25)");
    struct db_conn *c = connect_db();
    struct lic_error err;
    long total = 0, got;
    while ((got = db_changes_prune(c, 30L * 86400, 10, &err)) > 0)
        total += got;
    ck_assert_int_eq(got, 0);
    ck_assert_int_ge(total, 25);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM directory_changes WHERE changed_at"
                                       " < now() - interval '30 days'"),
                     0);
    db_disconnect(c);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "changes", NULL);
    Suite *s = suite_create("changes");
    TCase *tc = tcase_create("changes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, user_group_and_membership_changes_are_recorded);
    tcase_add_test(tc, a_change_committing_late_is_not_skipped);
    tcase_add_test(tc, old_changes_are_pruned_in_batches);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
