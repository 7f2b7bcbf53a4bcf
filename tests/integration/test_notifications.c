/* Change notifications end to end, with a real receiver in this process: the validation
 * handshake, deliveries with clientState for user, membership and worker-made licensing changes,
 * retries while the receiver is down, no loss across kill -9, drop with a lifecycle 'missed', and
 * expiry. */
#include <check.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/directory_fixtures.h"

static struct th_server srv;
static const char *const env[] = {
    "LICENSINGD_NOTIFICATIONS_ALLOW_HTTP_LOOPBACK=true", "LICENSINGD_NOTIFY_RETRY_BASE_MS=100",
    "LICENSINGD_NOTIFY_RETRY_WINDOW_SECONDS=3", "LICENSINGD_NOTIFY_POLL_MS=100", NULL};

/* ---- the receiver ---- */

enum mode { RECV_OK, RECV_DOWN, RECV_NO_ECHO };
static struct {
    pthread_mutex_t lock;
    struct MHD_Daemon *daemon;
    int port;
    enum mode mode;
    json_t *j_items;     /* every notification received (value[] items), in order */
    json_t *j_lifecycle; /* lifecycle notifications (path /life) */
    int validations;
} rx = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct upload {
    char *data;
    size_t len;
};

static enum MHD_Result on_rx(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *data,
                             size_t *size, void **state)
{
    (void)cls;
    (void)method;
    (void)version;
    struct upload *u = *state;
    if (u == NULL) {
        *state = calloc(1, sizeof(struct upload));
        return MHD_YES;
    }
    if (*size > 0) {
        u->data = realloc(u->data, u->len + *size + 1);
        memcpy(u->data + u->len, data, *size);
        u->len += *size;
        u->data[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&rx.lock);
    enum mode mode = rx.mode;
    const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "validationToken");
    unsigned status = 202;
    const char *reply = "";
    if (token != NULL) {
        rx.validations++;
        status = 200;
        reply = mode == RECV_NO_ECHO ? "not-the-token" : token;
    } else if (mode == RECV_DOWN && strcmp(url, "/life") != 0) {
        status = 503; /* the hook is down; the lifecycle endpoint stays up */
    } else {
        json_t *j = json_loadb(u->data ? u->data : "", u->len, 0, NULL);
        json_t *j_value = json_object_get(j, "value");
        json_array_extend(strcmp(url, "/life") == 0 ? rx.j_lifecycle : rx.j_items, j_value);
        json_decref(j);
    }
    pthread_mutex_unlock(&rx.lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(reply), (void *)reply, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static void on_rx_done(void *cls, struct MHD_Connection *c, void **state,
                       enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct upload *u = *state;
    if (u != NULL)
        free(u->data);
    free(u);
    *state = NULL;
}

static void rx_start(void)
{
    rx.j_items = json_array();
    rx.j_lifecycle = json_array();
    rx.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_rx, NULL,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_rx_done, NULL, MHD_OPTION_END);
    if (rx.daemon == NULL) {
        fprintf(stderr, "cannot start the test receiver\n");
        exit(1);
    }
    rx.port = MHD_get_daemon_info(rx.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void rx_mode(enum mode m)
{
    pthread_mutex_lock(&rx.lock);
    rx.mode = m;
    pthread_mutex_unlock(&rx.lock);
}

/* Waits up to timeout_s for an item matching changeType and resource; returns its index or -1. */
static int rx_wait(const char *change, const char *resource, int timeout_s)
{
    for (int tries = 0; tries < timeout_s * 20; tries++) {
        pthread_mutex_lock(&rx.lock);
        size_t i;
        json_t *j;
        int found = -1;
        json_array_foreach(rx.j_items, i, j)
        {
            if (strcmp(json_string_value(json_object_get(j, "changeType")), change) == 0 &&
                strcmp(json_string_value(json_object_get(j, "resource")), resource) == 0) {
                found = (int)i;
                break;
            }
        }
        pthread_mutex_unlock(&rx.lock);
        if (found >= 0)
            return found;
        usleep(50 * 1000);
    }
    return -1;
}

static json_t *rx_item(int i)
{
    pthread_mutex_lock(&rx.lock);
    json_t *j = json_incref(json_array_get(rx.j_items, (size_t)i));
    pthread_mutex_unlock(&rx.lock);
    return j;
}

/* ---- helpers ---- */

static void iso_in(int seconds, char *out, size_t size)
{
    time_t t = time(NULL) + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static long subscribe(const char *resource, const char *changes, const char *state, int seconds,
                      char id[GUID_SIZE], char *message, size_t msize)
{
    char body[1024], exp[40];
    iso_in(seconds, exp, sizeof(exp));
    snprintf(body, sizeof(body),
             "{\"resource\":\"%s\",\"changeType\":\"%s\",\"clientState\":\"%s\","
             "\"notificationUrl\":\"http://127.0.0.1:%d/hook\","
             "\"lifecycleNotificationUrl\":\"http://127.0.0.1:%d/life\","
             "\"expirationDateTime\":\"%s\"}",
             resource, changes, state, rx.port, rx.port, exp);
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/subscriptions", body, NULL, &r);
    long status = r.status;
    if (id && status == 201)
        snprintf(id, GUID_SIZE, "%s", json_string_value(json_object_get(r.json, "id")));
    if (message)
        snprintf(message, msize, "%s", r.body);
    th_response_free(&r);
    return status;
}

static void patch_user(const char *uid, const char *title)
{
    char path[128], body[128];
    snprintf(path, sizeof(path), "/v1.0/users/%s", uid);
    snprintf(body, sizeof(body), "{\"jobTitle\":\"%s\"}", title);
    struct th_response r;
    th_request(&srv, "PATCH", path, body, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
}

/* ---- tests ---- */

START_TEST(a_subscription_validates_and_a_receiver_that_does_not_echo_is_refused)
{
    rx_mode(RECV_OK);
    int before = rx.validations;
    char id[GUID_SIZE], msg[1024];
    ck_assert_int_eq(subscribe("users", "created", "s1", 3600, id, msg, sizeof(msg)), 201);
    ck_assert_int_ge(rx.validations, before + 2); /* notification and lifecycle URLs */
    struct th_response r;
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/subscriptions/%s", id);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "clientState")), "s1");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "resource")), "users");
    th_response_free(&r);

    rx_mode(RECV_NO_ECHO);
    ck_assert_int_eq(subscribe("users", "created", "s2", 3600, NULL, msg, sizeof(msg)), 400);
    ck_assert_msg(strstr(msg, "validation request failed") != NULL, "%s", msg);
    rx_mode(RECV_OK);

    /* Graph's bounds and the URL policy. */
    ck_assert_int_eq(subscribe("users", "created", "s", 60 * 41761, NULL, msg, sizeof(msg)), 400);
    ck_assert_int_eq(subscribe("users", "removed", "s", 3600, NULL, msg, sizeof(msg)), 400);
    ck_assert_int_eq(subscribe("devices", "created", "s", 3600, NULL, msg, sizeof(msg)), 400);
    const char *bad[] = {
        "{\"resource\":\"users\",\"changeType\":\"created\",\"notificationUrl\":"
        "\"http://example.com/hook\",\"expirationDateTime\":\"2099-01-01T00:00:00Z\"}",
        "{\"resource\":\"users\",\"changeType\":\"created\",\"notificationUrl\":"
        "\"file:///etc/passwd\",\"expirationDateTime\":\"2099-01-01T00:00:00Z\"}",
        NULL};
    for (int i = 0; bad[i]; i++) {
        th_request(&srv, "POST", "/v1.0/subscriptions", bad[i], NULL, &r);
        ck_assert_int_eq(r.status, 400);
        th_response_free(&r);
    }
    /* Never to this service itself. */
    char self[512], exp[40];
    iso_in(3600, exp, sizeof(exp));
    snprintf(self, sizeof(self),
             "{\"resource\":\"users\",\"changeType\":\"created\",\"notificationUrl\":"
             "\"%s/v1.0/users\",\"expirationDateTime\":\"%s\"}",
             srv.base, exp);
    th_request(&srv, "POST", "/v1.0/subscriptions", self, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    th_request(&srv, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    th_response_free(&r);
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    th_response_free(&r);
}
END_TEST

START_TEST(user_membership_and_group_license_changes_arrive_with_client_state)
{
    rx_mode(RECV_OK);
    char sub_users[GUID_SIZE], sub_members[GUID_SIZE], uid[GUID_SIZE], gid[GUID_SIZE];
    ck_assert_int_eq(
        subscribe("users", "created,updated,deleted", "users-secret", 3600, sub_users, NULL, 0),
        201);
    make_group(&srv, "notified", gid);
    char resource[160];
    snprintf(resource, sizeof(resource), "groups/%s/members", gid);
    ck_assert_int_eq(subscribe(resource, "updated", "members-secret", 3600, sub_members, NULL, 0),
                     201);

    make_user(&srv, "nadia@contoso.com", "nadia", ",\"usageLocation\":\"US\"", uid);
    snprintf(resource, sizeof(resource), "Users/%s", uid);
    int i = rx_wait("created", resource, 10);
    ck_assert_msg(i >= 0, "no 'created' notification for the user");
    json_t *j = rx_item(i);
    ck_assert_str_eq(json_string_value(json_object_get(j, "clientState")), "users-secret");
    ck_assert_str_eq(json_string_value(json_object_get(j, "subscriptionId")), sub_users);
    json_t *j_data = json_object_get(j, "resourceData");
    ck_assert_str_eq(json_string_value(json_object_get(j_data, "id")), uid);
    ck_assert_str_eq(json_string_value(json_object_get(j_data, "@odata.type")),
                     "#Microsoft.Graph.User");
    json_decref(j);

    ck_assert_int_eq(add_member(&srv, gid, uid), 204);
    snprintf(resource, sizeof(resource), "Groups/%s", gid);
    i = rx_wait("updated", resource, 10);
    ck_assert_msg(i >= 0, "no membership notification");
    j = rx_item(i);
    ck_assert_str_eq(json_string_value(json_object_get(j, "clientState")), "members-secret");
    json_t *j_delta = json_object_get(json_object_get(j, "resourceData"), "members@delta");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j_delta, 0), "id")), uid);
    json_decref(j);

    /* A group license: the worker licenses the member, and that is a change of the user. */
    pthread_mutex_lock(&rx.lock);
    json_array_clear(rx.j_items);
    pthread_mutex_unlock(&rx.lock);
    th_sql_exec(&srv,
                "INSERT INTO service_plans (id, name) VALUES"
                " ('11111111-2222-4333-8444-555555555555', 'EXCHANGE_S_STANDARD');"
                "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
                " ('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'STANDARDPACK', 10);"
                "INSERT INTO sku_service_plans VALUES ('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',"
                " '11111111-2222-4333-8444-555555555555', 1)");
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", gid);
    struct th_response r;
    th_request(&srv, "POST", path,
               "{\"addLicenses\":[{\"skuId\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\","
               "\"disabledPlans\":[]}],\"removeLicenses\":[]}",
               NULL, &r);
    ck_assert_msg(r.status == 202 || r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    snprintf(resource, sizeof(resource), "Users/%s", uid);
    ck_assert_msg(rx_wait("updated", resource, 20) >= 0, "no notification of the licensed user");
    ck_assert_int_eq(
        th_sql_longf(&srv, "SELECT count(*) FROM user_licenses WHERE user_id = '%s'", uid), 1);
}
END_TEST

START_TEST(a_receiver_down_for_a_while_gets_every_notification_in_order)
{
    th_sql_exec(&srv, "DELETE FROM subscriptions");
    rx_mode(RECV_OK);
    char sub[GUID_SIZE], uid[GUID_SIZE];
    ck_assert_int_eq(subscribe("users", "updated", "down", 3600, sub, NULL, 0), 201);
    make_user(&srv, "dora@contoso.com", "dora", ",\"usageLocation\":\"US\"", uid);
    pthread_mutex_lock(&rx.lock);
    json_array_clear(rx.j_items);
    pthread_mutex_unlock(&rx.lock);
    rx_mode(RECV_DOWN);
    patch_user(uid, "one");
    patch_user(uid, "two");
    patch_user(uid, "three");
    usleep(1200 * 1000); /* several failed attempts, within the 3 s window */
    ck_assert_int_ge(th_sql_longf(&srv, "SELECT attempts FROM subscriptions WHERE id = '%s'", sub),
                     1);
    rx_mode(RECV_OK);
    char resource[128];
    snprintf(resource, sizeof(resource), "Users/%s", uid);
    ck_assert(rx_wait("updated", resource, 10) >= 0);
    usleep(500 * 1000);
    pthread_mutex_lock(&rx.lock);
    size_t got = json_array_size(rx.j_items);
    pthread_mutex_unlock(&rx.lock);
    ck_assert_int_ge(got, 3); /* one per change (at least once) */
}
END_TEST

START_TEST(kill_9_between_change_and_delivery_loses_nothing)
{
    th_sql_exec(&srv, "DELETE FROM subscriptions");
    rx_mode(RECV_OK);
    char sub[GUID_SIZE], uid[GUID_SIZE];
    ck_assert_int_eq(subscribe("users", "created", "crash", 3600, sub, NULL, 0), 201);
    rx_mode(RECV_DOWN);
    make_user(&srv, "kim@contoso.com", "kim", ",\"usageLocation\":\"US\"", uid);
    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, NULL, 0);
    rx_mode(RECV_OK);
    th_server_restart(&srv, env);
    char resource[128];
    snprintf(resource, sizeof(resource), "Users/%s", uid);
    /* The dead sender's lease (60 s) may still hold the subscription: make it due now. */
    th_sql_exec(&srv, "UPDATE subscriptions SET next_attempt_at = now()");
    ck_assert_msg(rx_wait("created", resource, 15) >= 0, "lost across kill -9");
}
END_TEST

START_TEST(a_batch_failing_past_the_window_is_dropped_with_a_lifecycle_missed)
{
    th_sql_exec(&srv, "DELETE FROM subscriptions");
    rx_mode(RECV_OK);
    char sub[GUID_SIZE], u1[GUID_SIZE], u2[GUID_SIZE];
    ck_assert_int_eq(subscribe("users", "created", "late", 3600, sub, NULL, 0), 201);
    rx_mode(RECV_DOWN);
    make_user(&srv, "lost@contoso.com", "lost", ",\"usageLocation\":\"US\"", u1);
    int seen = 0;
    for (int tries = 0; tries < 200 && !seen; tries++) {
        usleep(50 * 1000);
        pthread_mutex_lock(&rx.lock);
        size_t i;
        json_t *j;
        json_array_foreach(rx.j_lifecycle, i, j) seen |=
            strcmp(json_string_value(json_object_get(j, "lifecycleEvent")), "missed") == 0 &&
            strcmp(json_string_value(json_object_get(j, "subscriptionId")), sub) == 0 &&
            strcmp(json_string_value(json_object_get(j, "clientState")), "late") == 0;
        pthread_mutex_unlock(&rx.lock);
    }
    ck_assert_msg(seen, "no lifecycle 'missed' notification");
    ck_assert_int_eq(th_sql_longf(&srv, "SELECT attempts FROM subscriptions WHERE id = '%s'", sub),
                     0);
    rx_mode(RECV_OK);
    make_user(&srv, "found@contoso.com", "found", ",\"usageLocation\":\"US\"", u2);
    char resource[128];
    snprintf(resource, sizeof(resource), "Users/%s", u2);
    ck_assert(rx_wait("created", resource, 10) >= 0);
    snprintf(resource, sizeof(resource), "Users/%s", u1);
    ck_assert_int_eq(rx_wait("created", resource, 1), -1); /* dropped, not delivered late */
}
END_TEST

START_TEST(an_expired_subscription_stops_and_is_removed)
{
    th_sql_exec(&srv, "DELETE FROM subscriptions");
    rx_mode(RECV_OK);
    char sub[GUID_SIZE], uid[GUID_SIZE];
    ck_assert_int_eq(subscribe("users", "created", "short", 2, sub, NULL, 0), 201);
    sleep(3);
    make_user(&srv, "after@contoso.com", "after", ",\"usageLocation\":\"US\"", uid);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/subscriptions/%s", sub);
    long status = 0;
    for (int tries = 0; tries < 60 && status != 404; tries++) {
        struct th_response r;
        th_request(&srv, "GET", path, NULL, NULL, &r);
        status = r.status;
        th_response_free(&r);
        usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 404);
    char resource[128];
    snprintf(resource, sizeof(resource), "Users/%s", uid);
    ck_assert_int_eq(rx_wait("created", resource, 1), -1);
}
END_TEST

int main(void)
{
    rx_start();
    th_server_start(&srv, "notifications", env);
    Suite *s = suite_create("notifications");
    TCase *tc = tcase_create("notifications");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, a_subscription_validates_and_a_receiver_that_does_not_echo_is_refused);
    tcase_add_test(tc, user_membership_and_group_license_changes_arrive_with_client_state);
    tcase_add_test(tc, a_receiver_down_for_a_while_gets_every_notification_in_order);
    tcase_add_test(tc, kill_9_between_change_and_delivery_loses_nothing);
    tcase_add_test(tc, a_batch_failing_past_the_window_is_dropped_with_a_lifecycle_missed);
    tcase_add_test(tc, an_expired_subscription_stops_and_is_removed);
    suite_add_tcase(s, tc);
    /* The receiver lives in this process: run the tests here, not in forks. */
    return th_run_suite(s, CK_NOFORK, &srv, 5000);
}
