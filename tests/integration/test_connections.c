/* Connections end to end: /healthz answers while 1,100 slow and 2,000 idle connections are held,
 * the header deadline then closes them; the per-address cap refuses the excess but not a 64-
 * connection client; a stalled body is closed at the body deadline. "Clients" are loopback
 * addresses 127.0.0.N, each under the per-address cap. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/edge_client.h"
#include "tests/integration/harness.h"

#define HEADER_TIMEOUT_MS 5000
#define BODY_TIMEOUT_MS 2000
#define SLOW 1100
#define IDLE 2000
#define PER_SOURCE 200 /* connections per source address, under the default cap of 256 */

static struct th_server srv;

/* 1 when the server has closed fd (EOF or reset), 0 while it is open; waits up to wait_ms. */
static int closed_by_server(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Opens n connections spread over source addresses 127.0.0.(first..), PER_SOURCE each. */
static int open_many(int *fds, int n, int first)
{
    int opened = 0;
    for (int i = 0; i < n; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%d", first + i / PER_SOURCE);
        fds[i] = ec_connect(&srv, src);
        opened += fds[i] >= 0;
    }
    return opened;
}

struct slowloris {
    int *fds;
    int n;
    atomic_int stop;
};

/* A header line per connection every second: never idle, never done. */
static void *drip(void *arg)
{
    struct slowloris *s = arg;
    while (!atomic_load(&s->stop)) {
        for (int i = 0; i < s->n; i++)
            if (s->fds[i] >= 0)
                send(s->fds[i], "X-Drip: 1\r\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT);
        for (int k = 0; k < 10 && !atomic_load(&s->stop); k++)
            usleep(100000);
    }
    return NULL;
}

START_TEST(healthz_answers_while_slow_and_idle_connections_are_held_then_they_are_closed)
{
    long nofile = ec_raise_nofile();
    ck_assert_msg(nofile > SLOW + IDLE + 200, "open-file limit %ld is too low for this test",
                  nofile);
    int *slow = calloc(SLOW, sizeof(int)), *idle = calloc(IDLE, sizeof(int));
    double t0 = ec_now();
    int slow_open = open_many(slow, SLOW, 10);
    for (int i = 0; i < SLOW; i++)
        if (slow[i] >= 0)
            send(slow[i], "GET /v1.0/users HTTP/1.1\r\nHost: x\r\n", 35, MSG_NOSIGNAL);
    int idle_open = open_many(idle, IDLE, 20);
    double opened_s = ec_now() - t0;
    struct slowloris s = {slow, SLOW, 0};
    pthread_t dripper;
    pthread_create(&dripper, NULL, drip, &s);

    int ok = 0, done = 0, probes = ec_probes(20);
    double worst = 0, *samples = calloc((size_t)probes, sizeof(double));
    for (int i = 0; i < probes && ec_now() - t0 < HEADER_TIMEOUT_MS / 1000.0 - 1; i++) {
        double t = ec_now();
        long st = ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0);
        double took = ec_now() - t;
        ok += st == 200;
        samples[done++] = took;
        if (took > worst)
            worst = took;
        usleep(probes > 20 ? 2000 : 50000);
    }
    int held = 0;
    for (int i = 0; i < SLOW; i++)
        held += slow[i] >= 0 && !closed_by_server(slow[i], 0);
    for (int i = 0; i < IDLE; i++)
        held += idle[i] >= 0 && !closed_by_server(idle[i], 0);
    char timing[128];
    ec_percentiles(samples, done > 0 ? done : 1, timing, sizeof(timing));
    printf("%d slow + %d idle connections opened in %.0f ms, %d held while probing: /healthz "
           "%d/%d ok, %s\n",
           slow_open, idle_open, opened_s * 1000, held, ok, done, timing);
    free(samples);
    ck_assert_int_eq(slow_open, SLOW);
    ck_assert_int_eq(idle_open, IDLE);
    ck_assert_int_ge(held, SLOW + IDLE - 10);
    ck_assert_int_ge(ok, 10);
    ck_assert_int_eq(ok, done);
    ck_assert_double_lt(worst, 2.0);

    /* Past the header deadline the server has closed both kinds, the dripping ones included. */
    double wait_until = t0 + HEADER_TIMEOUT_MS / 1000.0 + 3;
    while (ec_now() < wait_until)
        usleep(100000);
    int slow_closed = 0, idle_closed = 0;
    for (int i = 0; i < SLOW; i++)
        slow_closed += slow[i] >= 0 && closed_by_server(slow[i], 10);
    for (int i = 0; i < IDLE; i++)
        idle_closed += idle[i] >= 0 && closed_by_server(idle[i], 10);
    atomic_store(&s.stop, 1);
    pthread_join(dripper, NULL);
    printf("after the %d ms header deadline: %d/%d slow and %d/%d idle closed by the server\n",
           HEADER_TIMEOUT_MS, slow_closed, SLOW, idle_closed, IDLE);
    ck_assert_int_eq(slow_closed, SLOW);
    ck_assert_int_eq(idle_closed, IDLE);
    for (int i = 0; i < SLOW; i++)
        close(slow[i]);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    free(slow);
    free(idle);
    ck_assert_int_eq(ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0), 200);
}
END_TEST

START_TEST(per_address_cap_refuses_the_excess_but_not_a_64_connection_client)
{
    ec_raise_nofile();
    /* A benchmark client: 64 keep-alive connections, each answered. */
    int bench[64], served = 0;
    for (int i = 0; i < 64; i++) {
        bench[i] = ec_connect(&srv, "127.0.0.40");
        const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        char out[2048];
        if (bench[i] >= 0 && ec_send_all(bench[i], req, sizeof(req) - 1) == 0 &&
            ec_read_response(bench[i], out, sizeof(out), 5000) == 200)
            served++;
    }
    /* One address opening 300: the cap (256) closes the rest at once. */
    int many[300], refused = 0;
    for (int i = 0; i < 300; i++)
        many[i] = ec_connect(&srv, "127.0.0.41");
    for (int i = 0; i < 300; i++)
        refused += many[i] < 0 || closed_by_server(many[i], 20);
    long other = ec_get(&srv, "127.0.0.1", "GET", "/healthz", "", NULL, 0);
    printf("per-address cap: 64-connection client %d/64 served; 300 from one address: %d "
           "refused; another address: %ld\n",
           served, refused, other);
    ck_assert_int_eq(served, 64);
    ck_assert_int_ge(refused, 300 - 256);
    ck_assert_int_le(refused, 300 - 128); /* many are kept: a cap, not a blanket refusal */
    ck_assert_int_eq(other, 200);
    for (int i = 0; i < 64; i++)
        close(bench[i]);
    for (int i = 0; i < 300; i++)
        if (many[i] >= 0)
            close(many[i]);
}
END_TEST

START_TEST(a_stalled_body_is_closed_at_the_body_deadline)
{
    int fd = ec_connect(&srv, "127.0.0.50");
    ck_assert_int_ge(fd, 0);
    char req[2048];
    char *auth = ec_authorization("127.0.0.50");
    int len = snprintf(req, sizeof(req),
                       "POST /v1.0/groups HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                       "application/json\r\nContent-Length: 100\r\n\r\n{\"displ",
                       auth);
    free(auth);
    ck_assert_int_eq(ec_send_all(fd, req, (size_t)len), 0);
    double t = ec_now();
    int closed = closed_by_server(fd, BODY_TIMEOUT_MS + 4000);
    double took = ec_now() - t;
    printf("stalled body: closed after %.0f ms (body deadline %d ms)\n", took * 1000,
           BODY_TIMEOUT_MS);
    ck_assert(closed);
    ck_assert_double_ge(took, BODY_TIMEOUT_MS / 1000.0 - 0.5);
    close(fd);
    long groups = th_sql_long(&srv, "SELECT count(*) FROM groups");
    ck_assert_int_eq(groups, 0);
}
END_TEST

int main(void)
{
    char header[64], body[64];
    snprintf(header, sizeof(header), "LICENSINGD_HEADER_TIMEOUT_MS=%d", HEADER_TIMEOUT_MS);
    snprintf(body, sizeof(body), "LICENSINGD_BODY_TIMEOUT_MS=%d", BODY_TIMEOUT_MS);
    const char *env[] = {header, body, "LOG_LEVEL=warn", NULL};
    ec_raise_nofile(); /* the server inherits it */
    th_server_start(&srv, "connections", env);

    Suite *s = suite_create("connections");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   healthz_answers_while_slow_and_idle_connections_are_held_then_they_are_closed);
    tcase_add_test(tc, per_address_cap_refuses_the_excess_but_not_a_64_connection_client);
    tcase_add_test(tc, a_stalled_body_is_closed_at_the_body_deadline);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 10000);
}
