/* What the edge suites (test_edge, test_deadlines, test_connections, test_malformed) share: raw
 * HTTP over a socket bound to a chosen loopback address (bytes curl would not send, several
 * "clients" on one machine), the demo data, a clock, and freezing the test cluster. Header-only:
 * each suite is its own program. */
#ifndef LICENSINGD_TEST_EDGE_CLIENT_H
#define LICENSINGD_TEST_EDGE_CLIENT_H

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/auth/permissions.h"
#include "service/auth/token.h"
#include "tests/integration/harness.h"

static inline double ec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How many /healthz probes a measurement takes: a few in `make test`, hundreds under
 * tests/bench/edge.sh (LICENSINGD_EDGE_PROBES). */
static inline int ec_probes(int fallback)
{
    const char *v = getenv("LICENSINGD_EDGE_PROBES");
    int n = v ? atoi(v) : 0;
    return n > 0 ? n : fallback;
}

static inline int ec_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "p50 a ms, p99 b ms, max c ms" of n samples in seconds (sorted in place). */
static inline void ec_percentiles(double *samples, int n, char *out, size_t size)
{
    qsort(samples, (size_t)n, sizeof(double), ec_cmp_double);
    snprintf(out, size, "p50 %.1f ms, p99 %.1f ms, max %.1f ms", samples[n / 2] * 1000,
             samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * 1000, samples[n - 1] * 1000);
}

/* A TCP connection to the server from source address src ("127.0.0.N"); -1 on failure. */
static inline int ec_connect(const struct th_server *s, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &a.sin_addr);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int ec_send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one response (headers, then Content-Length bytes) within timeout_ms into out; returns
 * the status, 0 when the server closed without answering, -1 on timeout. */
static inline long ec_read_response(int fd, char *out, size_t size, int timeout_ms)
{
    size_t used = 0;
    double until = ec_now() + timeout_ms / 1000.0;
    out[0] = '\0';
    for (;;) {
        char *end = strstr(out, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strcasestr(out, "\r\nContent-Length:");
            size_t want =
                (size_t)(end + 4 - out) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
            if (used >= want || want >= size)
                break;
        }
        int left = (int)((until - ec_now()) * 1000);
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = recv(fd, out + used, size - used - 1, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
        out[used] = '\0';
    }
    long status = 0;
    if (strncmp(out, "HTTP/1.", 7) == 0)
        status = strtol(out + 9, NULL, 10);
    return status;
}

/* Sends raw request bytes from src and reads the answer into out (may be NULL); the status, 0 when
 * the server closed without answering, -1 on timeout or when it cannot connect. */
static inline long ec_raw(const struct th_server *s, const char *src, const char *request,
                          size_t len, char *out, size_t size)
{
    char scratch[16384];
    if (out == NULL) {
        out = scratch;
        size = sizeof(scratch);
    }
    int fd = ec_connect(s, src);
    if (fd < 0)
        return -1;
    long status = ec_send_all(fd, request, len) == 0 ? ec_read_response(fd, out, size, 15000) : -1;
    close(fd);
    return status;
}

/* "Authorization: Bearer ...\r\n" for the client at src: an application token with every
 * permission whose appid names src, so each source address is a client of its own (the throttle
 * keys on the token's client). Owned: caller frees. */
static inline char *ec_authorization(const char *src)
{
    char roles[1024], app[64];
    permissions_format(PERM_ALL, roles, sizeof(roles));
    snprintf(app, sizeof(app), "edge-client-%s", src);
    json_t *j_roles = json_array();
    for (int p = 0; p < PERM_COUNT; p++)
        json_array_append_new(j_roles, json_string(permission_name((enum permission)p)));
    json_t *j_claims = json_pack("{s:s, s:s, s:I, s:o}", "sub", app, "appid", app, "exp",
                                 (json_int_t)time(NULL) + 3600, "roles", j_roles);
    struct lic_error err;
    char *token = token_sign("HS256", NULL, NULL, (const unsigned char *)TH_SECRET,
                             strlen(TH_SECRET), j_claims, &err);
    json_decref(j_claims);
    char *line = NULL;
    if (token == NULL || asprintf(&line, "Authorization: Bearer %s\r\n", token) < 0)
        line = NULL;
    free(token);
    return line;
}

/* "{method} {target} HTTP/1.1" with a Host, extra header lines ("" or "Name: v\r\n...") and, when
 * body is not NULL, a Content-Length and the body. Unless extra names Authorization, the request
 * carries src's token (ec_authorization). Status as ec_raw; out may be NULL. */
static inline long ec_request(const struct th_server *s, const char *src, const char *method,
                              const char *target, const char *extra, const char *body, char *out,
                              size_t size)
{
    char *auth = strcasestr(extra, "Authorization:") ? NULL : ec_authorization(src);
    size_t cap = strlen(target) + strlen(extra) + (body ? strlen(body) : 0) +
                 (auth ? strlen(auth) : 0) + 256;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%sConnection: close\r\n",
                     method, target, s->port, auth ? auth : "", extra);
    free(auth);
    if (body != NULL)
        n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", strlen(body));
    n += snprintf(req + n, cap - (size_t)n, "\r\n%s", body ? body : "");
    long status = ec_raw(s, src, req, (size_t)n, out, size);
    free(req);
    return status;
}

static inline long ec_get(const struct th_server *s, const char *src, const char *method,
                          const char *target, const char *extra, char *out, size_t size)
{
    return ec_request(s, src, method, target, extra, NULL, out, size);
}

/* A header of a raw response, copied into v ("" when absent). */
static inline const char *ec_header(const char *response, const char *name, char *v, size_t size)
{
    char key[128];
    snprintf(key, sizeof(key), "\r\n%s:", name);
    const char *h = strcasestr(response, key);
    v[0] = '\0';
    if (h == NULL)
        return v;
    h += strlen(key);
    h += strspn(h, " ");
    size_t n = strcspn(h, "\r\n");
    snprintf(v, size, "%.*s", (int)(n < size ? n : size - 1), h);
    return v;
}

/* Loads the demo organization, catalog and directory into the suite's database. */
static inline void ec_load_demo(const struct th_server *s)
{
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' load-demo >/dev/null 2>>'%s'", s->conninfo,
             bin, s->log_path);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "load-demo failed (%d); see %s\n", rc, s->log_path);
        exit(2);
    }
}

/* As many open files as the hard limit allows (thousands of test connections). */
static inline long ec_raise_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

/* The test cluster's processes: the postmaster and its children. Returns how many (<= max). */
static inline int ec_pg_pids(pid_t *pids, int max)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/data/postmaster.pid", getenv("LICENSINGD_TEST_PGDIR"));
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long pm = 0;
    if (fscanf(f, "%ld", &pm) != 1)
        pm = 0;
    fclose(f);
    if (pm <= 0)
        return 0;
    int n = 0;
    pids[n++] = (pid_t)pm;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && n < max) {
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *st = fopen(path, "r");
        if (st == NULL)
            continue;
        long ppid = 0;
        char comm[256];
        char state;
        if (fscanf(st, "%*d %255s %c %ld", comm, &state, &ppid) == 3 && ppid == pm)
            pids[n++] = (pid_t)pid;
        fclose(st);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

static inline void ec_pg_signal(int sig)
{
    pid_t pids[256];
    int n = ec_pg_pids(pids, 256);
    for (int i = 0; i < n; i++)
        kill(pids[i], sig);
}

/* Freezes the cluster (SIGSTOP), with a watchdog that thaws it after safety_s whatever happens
 * to the test; ec_pg_thaw thaws it and stops the watchdog. */
static inline pid_t ec_pg_freeze(int safety_s)
{
    pid_t watchdog = fork();
    if (watchdog == 0) {
        sleep((unsigned)safety_s);
        ec_pg_signal(SIGCONT);
        _exit(0);
    }
    ec_pg_signal(SIGSTOP);
    return watchdog;
}

static inline void ec_pg_thaw(pid_t watchdog)
{
    ec_pg_signal(SIGCONT);
    kill(watchdog, SIGKILL);
    waitpid(watchdog, NULL, 0);
}

#endif
