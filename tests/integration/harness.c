/* Integration-test harness: spawns build/licensingd against a fresh database and speaks HTTP. */
#include "tests/integration/harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/auth/token.h"

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "harness: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static const char *pgdir(void)
{
    const char *d = getenv("LICENSINGD_TEST_PGDIR");
    if (d == NULL || d[0] == '\0')
        die("LICENSINGD_TEST_PGDIR is not set (run through `make test`)");
    return d;
}

static const char *pguser(void)
{
    return geteuid() == 0 ? "postgres" : getenv("USER") ? getenv("USER") : "postgres";
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        die("cannot find a free port: %s", strerror(errno));
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void admin_exec(const char *sql)
{
    char conninfo[512];
    snprintf(conninfo, sizeof(conninfo), "host=%s/sock dbname=postgres user=%s", pgdir(), pguser());
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot reach the test cluster: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
    struct th_response *r = userp;
    size_t add = size * n, have = r->body ? strlen(r->body) : 0;
    char *grown = realloc(r->body, have + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + have, data, add);
    grown[have + add] = '\0';
    r->body = grown;
    return add;
}

static size_t collect_header(char *data, size_t size, size_t n, void *userp)
{
    struct th_response *r = userp;
    size_t add = size * n, have = strlen(r->headers);
    if (have + add + 1 < sizeof(r->headers)) {
        memcpy(r->headers + have, data, add);
        r->headers[have + add] = '\0';
    }
    return add;
}

/* With LICENSINGD_CAPTURE_DIR set, every JSON answer goes into a file there, one
 * {"method","path","status","body"} per line, for the schema conformance check (tests/compat). */
static void capture(const char *method, const char *path, const struct th_response *r)
{
    const char *dir = getenv("LICENSINGD_CAPTURE_DIR");
    if (dir == NULL || dir[0] == '\0' || !json_is_object(r->json))
        return;
    char file[512];
    snprintf(file, sizeof(file), "%s/%d.jsonl", dir, (int)getpid());
    FILE *f = fopen(file, "a");
    if (f == NULL)
        return;
    json_t *j = json_pack("{s:s, s:s, s:i, s:O}", "method", method, "path", path, "status",
                          (int)r->status, "body", r->json);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (line != NULL)
        fprintf(f, "%s\n", line);
    free(line);
    json_decref(j);
    fclose(f);
}

char *th_token(const char *scopes, const char *roles, long ttl)
{
    time_t now = time(NULL);
    json_t *j_claims =
        json_pack("{s:s, s:s, s:I, s:I}", "iss", "licensingd-tests", "sub",
                  "0b5c7e57-0000-4000-8000-000000000001", "iat",
                  (json_int_t)(ttl < 0 ? now + 2 * ttl : now), "exp", (json_int_t)(now + ttl));
    if (scopes != NULL) {
        json_object_set_new(j_claims, "scp", json_string(scopes));
        json_object_set_new(j_claims, "oid", json_string("0b5c7e57-0000-4000-8000-000000000001"));
        json_object_set_new(j_claims, "upn", json_string("tester@contoso.com"));
    } else {
        json_t *j_roles = json_array();
        for (const char *r = roles ? roles : ""; *r;) {
            size_t n = strcspn(r, " ");
            if (n > 0)
                json_array_append_new(j_roles, json_stringn(r, n));
            r += n + (r[n] == ' ');
        }
        json_object_set_new(j_claims, "roles", j_roles);
        json_object_set_new(j_claims, "appid", json_string("7e575000-0000-4000-8000-000000000002"));
        json_object_set_new(j_claims, "app_displayname", json_string("integration tests"));
    }
    struct lic_error err;
    char *token = token_sign("HS256", NULL, NULL, (const unsigned char *)TH_SECRET,
                             strlen(TH_SECRET), j_claims, &err);
    json_decref(j_claims);
    if (token == NULL)
        die("cannot sign a test token: %s", err.message);
    return token;
}

char *th_bearer(const char *token)
{
    char *header = NULL;
    if (asprintf(&header, "Authorization: Bearer %s", token) < 0)
        die("out of memory");
    return header;
}

/* The default header: a token with every permission, made once per test program (suites may
 * send requests from several threads). */
static char *default_header;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default_header(void)
{
    char roles[1024];
    permissions_format(PERM_ALL, roles, sizeof(roles));
    char *token = th_token(NULL, roles, 7 * 24 * 3600);
    default_header = th_bearer(token);
    free(token);
}

static const char *default_authorization(void)
{
    pthread_once(&default_once, make_default_header);
    return default_header;
}

void th_request(const struct th_server *s, const char *method, const char *path, const char *body,
                const char *const *headers, struct th_response *out)
{
    memset(out, 0, sizeof(*out));
    CURL *curl = curl_easy_init();
    char url[8192];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    struct curl_slist *list = NULL;
    if (body != NULL)
        list = curl_slist_append(list, "Content-Type: application/json");
    int own_authorization = 0;
    for (int i = 0; headers && headers[i]; i++) {
        list = curl_slist_append(list, headers[i]);
        own_authorization |= strncasecmp(headers[i], "Authorization:", 14) == 0;
    }
    if (!own_authorization)
        list = curl_slist_append(list, default_authorization());
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        out->status = -1;
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    }
    if (out->body == NULL)
        out->body = strdup("");
    out->json = json_loads(out->body, JSON_DECODE_ANY, NULL);
    capture(method, path, out);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
}

void th_response_free(struct th_response *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

const char *th_header(const struct th_response *r, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - line);
            if (vlen >= size)
                vlen = size - 1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
        }
        line = end ? end + 2 : NULL;
    }
    return out;
}

const char *th_error_code(const struct th_response *r)
{
    const char *code =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
    return code ? code : "";
}

static void spawn(struct th_server *s, const char *const *extra_env)
{
    const char *bin = getenv("LICENSINGD_BIN");
    if (bin == NULL)
        bin = "build/licensingd";
    s->port = free_port();
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        char port[16];
        snprintf(port, sizeof(port), "%d", s->port);
        setenv("DATABASE_URL", s->conninfo, 1);
        setenv("PORT", port, 1);
        setenv("LISTEN_ADDR", "127.0.0.1", 1);
        if (getenv("LOG_LEVEL") == NULL)
            setenv("LOG_LEVEL", "info", 1);
        /* Suites drive the server as fast as they can; throttling is tested on its own. */
        setenv("LICENSINGD_RATE_LIMIT", "0", 1);
        setenv("LICENSINGD_JWT_SECRET", TH_SECRET, 1);
        for (int i = 0; extra_env && extra_env[i]; i++)
            putenv((char *)extra_env[i]);
        execl(bin, bin, "serve", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 300; i++) { /* up to 30 s: migrations run first */
        struct th_response r;
        th_request(s, "GET", "/healthz", NULL, NULL, &r);
        long st = r.status;
        th_response_free(&r);
        if (st == 200)
            return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            die("licensingd exited during start-up; see %s", s->log_path);
        usleep(100000);
    }
    die("licensingd did not answer /healthz; see %s", s->log_path);
}

void th_server_start(struct th_server *s, const char *suite, const char *const *extra_env)
{
    memset(s, 0, sizeof(*s));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(s->dbname, sizeof(s->dbname), "licensingd_%s_%d", suite, (int)getpid());
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", s->dbname);
    admin_exec(sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", s->dbname);
    admin_exec(sql);
    snprintf(s->conninfo, sizeof(s->conninfo), "host=%s/sock dbname=%s user=%s", pgdir(), s->dbname,
             pguser());
    snprintf(s->log_path, sizeof(s->log_path), "%s/%s.log", pgdir(), s->dbname);
    spawn(s, extra_env);
}

void th_server_restart(struct th_server *s, const char *const *extra_env)
{
    spawn(s, extra_env);
}

int th_server_stop(struct th_server *s, int timeout_ms, long *elapsed_ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    kill(s->pid, SIGTERM);
    int status = 0;
    for (int waited = 0;; waited += 10) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid)
            break;
        if (waited >= timeout_ms) {
            fprintf(stderr, "harness: licensingd still running %d ms after SIGTERM; see %s\n",
                    timeout_ms, s->log_path);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            s->pid = 0;
            return -1;
        }
        usleep(10000);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (elapsed_ms)
        *elapsed_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    s->pid = 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "harness: licensingd died of signal %d; see %s\n", WTERMSIG(status),
                s->log_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

PGconn *th_db(const struct th_server *s)
{
    PGconn *c = PQconnectdb(s->conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot connect to %s: %s", s->dbname, PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

long th_sql_long(const struct th_server *s, const char *sql)
{
    PGconn *c = th_db(s);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die("%s: %s", sql, PQerrorMessage(c));
    long v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    PQfinish(c);
    return v;
}

void th_sql_exec(const struct th_server *s, const char *sql)
{
    PGconn *c = th_db(s);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* Formats the SQL, then th_sql_long (want_value) or th_sql_exec. */
static long run_sqlf(const struct th_server *s, int want_value, const char *fmt, va_list ap)
{
    char *sql = NULL;
    if (vasprintf(&sql, fmt, ap) < 0)
        die("out of memory formatting %s", fmt);
    long v = 0;
    if (want_value)
        v = th_sql_long(s, sql);
    else
        th_sql_exec(s, sql);
    free(sql);
    return v;
}

long th_sql_longf(const struct th_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    long v = run_sqlf(s, 1, fmt, ap);
    va_end(ap);
    return v;
}

void th_sql_execf(const struct th_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_sqlf(s, 0, fmt, ap);
    va_end(ap);
}

int th_run_suite(Suite *suite, enum fork_status fork_status, struct th_server *srv,
                 int stop_timeout_ms)
{
    SRunner *sr = srunner_create(suite);
    srunner_set_fork_status(sr, fork_status);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (srv->pid != 0) {
        int code = th_server_stop(srv, stop_timeout_ms, NULL);
        if (code != 0) {
            fprintf(stderr, "licensingd exited with %d; see %s\n", code, srv->log_path);
            failed++;
        }
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void cluster(const char *verb)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "db/cluster.sh %s '%s' >/dev/null", verb, pgdir());
    if (system(cmd) != 0)
        die("%s failed", cmd);
}

void th_pg_stop(void)
{
    cluster("stop");
}

void th_pg_start(void)
{
    cluster("start");
}

char *th_urlencode(const char *text)
{
    CURL *curl = curl_easy_init();
    char *e = curl_easy_escape(curl, text, 0);
    char *copy = strdup(e);
    curl_free(e);
    curl_easy_cleanup(curl);
    return copy;
}
