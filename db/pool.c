/* Connection pool over libpq: lazy connect, reconnection after a server restart, lazy prepare,
 * and bounded waits: every connect and statement waits at most until a deadline, so a frozen or
 * unreachable server costs a request its deadline, never a hang. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/base/log.h"
#include "db/internal.h"

#define PREPARED_SLOTS 512 /* open-addressing set of statement addresses; > statements we have */
#define ACQUIRE_WAIT_MS 10000
#define CONNECT_WAIT_MS 3000
/* A statement the server should have cancelled at statement_timeout gets this much longer before
 * the client gives up on the connection (the server may be frozen, not just slow). */
#define GUARD_GRACE_MS 2000

struct db_conn {
    PGconn *pg;
    const char *conninfo; /* the pool's string, or owned by a standalone connection */
    const char *session;  /* SET statements run after each connect (the pool's), or NULL */
    unsigned guard_ms;    /* longest wait for one statement's answer; 0 = unbounded */
    unsigned connect_ms;  /* longest wait for a connection */
    int standalone;
    int in_use;
    const struct db_stmt *prepared[PREPARED_SLOTS];
    char sqlstate[6];
};

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    char session[160];
    unsigned size;
    struct db_conn *conns;
    unsigned waiting; /* threads in db_acquire waiting for a free connection */
};

/* ---- deadlines ---- */

/* The calling thread's request deadline (CLOCK_MONOTONIC); tv_sec == 0 when none. */
static _Thread_local struct timespec thread_deadline;

void db_set_deadline(const struct timespec *deadline)
{
    if (deadline == NULL)
        memset(&thread_deadline, 0, sizeof(thread_deadline));
    else
        thread_deadline = *deadline;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The absolute time (ms, CLOCK_MONOTONIC) a wait of at most limit_ms (0 = none) may last until,
 * also bounded by the thread's request deadline; -1 when unbounded. */
static long long wait_until(unsigned limit_ms)
{
    long long until = limit_ms > 0 ? now_ms() + limit_ms : -1;
    if (thread_deadline.tv_sec != 0) {
        long long d = (long long)thread_deadline.tv_sec * 1000 + thread_deadline.tv_nsec / 1000000;
        if (until < 0 || d < until)
            until = d;
    }
    return until;
}

static int deadline_passed(void)
{
    long long until = wait_until(0);
    return until >= 0 && now_ms() >= until;
}

/* Waits for fd to become ready for events; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long until)
{
    for (;;) {
        int timeout = -1;
        if (until >= 0) {
            long long left = until - now_ms();
            if (left <= 0)
                return 0;
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, timeout);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static int out_of_time(struct db_conn *conn, struct lic_error *err)
{
    conn->sqlstate[0] = '\0';
    return lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                         "The request ran out of time. Retry later.");
}

/* ---- connecting ---- */

/* Connects without blocking past until; NULL or a bad connection on failure (reason filled). */
static PGconn *open_pg(const char *conninfo, long long until, char *reason, size_t size)
{
    /* Defaults first: with expand_dbname the caller's conninfo (dbname) overrides them. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"3", "licensingd", conninfo, NULL};
    PGconn *pg = PQconnectStartParams(keys, vals, 1);
    if (pg == NULL) {
        snprintf(reason, size, "out of memory");
        return NULL;
    }
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        int ready = wait_fd(PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, until);
        if (ready == 0) {
            snprintf(reason, size, "no answer from the server in time");
            PQfinish(pg);
            return NULL;
        }
        st = PQconnectPoll(pg);
    }
    if (PQstatus(pg) != CONNECTION_OK)
        snprintf(reason, size, "%s", PQerrorMessage(pg));
    return pg;
}

static void forget_prepared(struct db_conn *conn)
{
    memset(conn->prepared, 0, sizeof(conn->prepared));
}

/* Gives up a connection whose state is unknown (a statement that never answered). */
static void abandon(struct db_conn *conn)
{
    if (conn->pg != NULL)
        PQfinish(conn->pg);
    conn->pg = NULL;
    forget_prepared(conn);
}

static int run_session(struct db_conn *conn, struct lic_error *err);

static int ensure_connected(struct db_conn *conn, const char *conninfo, struct lic_error *err)
{
    if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK)
        return 0;
    abandon(conn);
    if (deadline_passed())
        return out_of_time(conn, err);
    char reason[256] = "";
    conn->pg = open_pg(conninfo, wait_until(conn->connect_ms), reason, sizeof(reason));
    if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
        reason[strcspn(reason, "\n")] = '\0';
        log_event(LOG_WARN, "db_connect_failed", "%s", reason);
        abandon(conn);
        return lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                             "The directory database is unavailable. Retry later.");
    }
    return run_session(conn, err);
}

/* ---- pool ---- */

struct db_pool *db_pool_open(const char *conninfo, unsigned size)
{
    struct db_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    pool->conns = calloc(size, sizeof(*pool->conns));
    pool->conninfo = strdup(conninfo);
    if (pool->conns == NULL || pool->conninfo == NULL) {
        free(pool->conns);
        free(pool->conninfo);
        free(pool);
        return NULL;
    }
    pool->size = size;
    snprintf(pool->session, sizeof(pool->session), "SET TIME ZONE 'UTC'");
    for (unsigned i = 0; i < size; i++) {
        pool->conns[i].conninfo = pool->conninfo;
        pool->conns[i].session = pool->session;
        pool->conns[i].connect_ms = CONNECT_WAIT_MS;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    return pool;
}

void db_pool_set_timeouts(struct db_pool *pool, unsigned statement_ms, unsigned lock_ms)
{
    snprintf(pool->session, sizeof(pool->session),
             "SET TIME ZONE 'UTC'; SET statement_timeout = %u; SET lock_timeout = %u", statement_ms,
             lock_ms);
    for (unsigned i = 0; i < pool->size; i++)
        pool->conns[i].guard_ms = statement_ms > 0 ? statement_ms + GUARD_GRACE_MS : 0;
}

void db_pool_close(struct db_pool *pool)
{
    if (pool == NULL)
        return;
    for (unsigned i = 0; i < pool->size; i++) {
        if (pool->conns[i].pg != NULL)
            PQfinish(pool->conns[i].pg);
    }
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    free(pool->conns);
    free(pool->conninfo);
    free(pool);
}

struct db_conn *db_acquire(struct db_pool *pool, struct lic_error *err)
{
    long long until = wait_until(ACQUIRE_WAIT_MS);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    long long wait = until - now_ms();
    if (wait < 0)
        wait = 0;
    deadline.tv_sec += (time_t)(wait / 1000);
    deadline.tv_nsec += (long)(wait % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    struct db_conn *conn = NULL;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        /* Prefer a connection that is already open. */
        for (unsigned i = 0; i < pool->size && conn == NULL; i++)
            if (!pool->conns[i].in_use && pool->conns[i].pg != NULL)
                conn = &pool->conns[i];
        for (unsigned i = 0; i < pool->size && conn == NULL; i++)
            if (!pool->conns[i].in_use)
                conn = &pool->conns[i];
        if (conn != NULL)
            break;
        pool->waiting++;
        int waited = pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline);
        pool->waiting--;
        if (waited == ETIMEDOUT) {
            pthread_mutex_unlock(&pool->lock);
            lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                          "All database connections are busy. Retry later.");
            return NULL;
        }
    }
    conn->in_use = 1;
    pthread_mutex_unlock(&pool->lock);

    /* Connecting happens outside the lock: it may take up to the connect wait. */
    if (ensure_connected(conn, conn->conninfo, err) != 0) {
        db_release(pool, conn);
        return NULL;
    }
    conn->sqlstate[0] = '\0';
    return conn;
}

void db_pool_stats(struct db_pool *pool, unsigned *size, unsigned *in_use, unsigned *waiting)
{
    pthread_mutex_lock(&pool->lock);
    *size = pool->size;
    *in_use = 0;
    for (unsigned i = 0; i < pool->size; i++)
        *in_use += pool->conns[i].in_use ? 1u : 0u;
    *waiting = pool->waiting;
    pthread_mutex_unlock(&pool->lock);
}

static void rollback_now(struct db_conn *conn);

void db_release(struct db_pool *pool, struct db_conn *conn)
{
    if (conn == NULL)
        return;
    if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK &&
        PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
        rollback_now(conn);
        if (conn->pg != NULL && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
            abandon(conn);
    }
    if (conn->pg != NULL && PQstatus(conn->pg) != CONNECTION_OK)
        abandon(conn);
    pthread_mutex_lock(&pool->lock);
    conn->in_use = 0;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

static struct db_conn *connect_standalone(const char *conninfo, unsigned wait_ms,
                                          struct lic_error *err)
{
    struct db_conn *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    conn->standalone = 1;
    conn->session = "SET TIME ZONE 'UTC'";
    conn->guard_ms = wait_ms;
    conn->connect_ms = wait_ms > 0 ? wait_ms : CONNECT_WAIT_MS;
    conn->conninfo = strdup(conninfo);
    if (conn->conninfo == NULL || ensure_connected(conn, conn->conninfo, err) != 0) {
        db_disconnect(conn);
        return NULL;
    }
    return conn;
}

struct db_conn *db_connect(const char *conninfo, struct lic_error *err)
{
    return connect_standalone(conninfo, 0, err);
}

struct db_conn *db_connect_bounded(const char *conninfo, unsigned wait_ms, struct lic_error *err)
{
    return connect_standalone(conninfo, wait_ms, err);
}

void db_disconnect(struct db_conn *conn)
{
    if (conn == NULL)
        return;
    if (conn->pg != NULL)
        PQfinish(conn->pg);
    free((char *)conn->conninfo);
    free(conn);
}

PGconn *db_pgconn(struct db_conn *conn)
{
    return conn->pg;
}

const char *db_last_sqlstate(const struct db_conn *conn)
{
    return conn->sqlstate;
}

/* ---- statements ---- */

/* Classes 22 (data exception) and 23 (integrity) are the client's values; 57014 is the
 * statement_timeout, 55P03 the lock_timeout (or a NOWAIT probe), class 40 a conflict with another
 * transaction: all three are "retry later". */
void db_classify_sqlstate(const char *state, enum lic_error_kind *kind, enum log_level *level)
{
    *kind = LIC_ERR_INTERNAL;
    *level = LOG_ERROR;
    if (state == NULL || state[0] == '\0')
        return;
    if (strncmp(state, "22", 2) == 0 || strcmp(state, "23502") == 0 ||
        strcmp(state, "23514") == 0) {
        *kind = LIC_ERR_BAD_REQUEST;
        *level = LOG_WARN;
    } else if (strncmp(state, "23", 2) == 0) {
        *kind = LIC_ERR_CONFLICT;
        *level = LOG_WARN;
    } else if (strcmp(state, "57014") == 0) {
        *kind = LIC_ERR_UNAVAILABLE;
        *level = LOG_WARN;
    } else if (strcmp(state, "55P03") == 0) {
        *kind = LIC_ERR_UNAVAILABLE;
        *level = LOG_DEBUG;
    } else if (strncmp(state, "40", 2) == 0) {
        *kind = LIC_ERR_UNAVAILABLE;
        *level = LOG_INFO;
    }
}

static void fail_from(struct db_conn *conn, PGresult *r, const char *what, struct lic_error *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(conn->sqlstate, sizeof(conn->sqlstate), "%s", state ? state : "");
    char reason[512];
    snprintf(reason, sizeof(reason), "%s",
             r          ? PQresultErrorMessage(r)
             : conn->pg ? PQerrorMessage(conn->pg)
                        : "no connection");
    reason[strcspn(reason, "\n")] = '\0';
    if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
        log_event(LOG_WARN, "db_connection_lost", "%s: %s", what, reason);
        lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                      "The directory database is unavailable. Retry later.");
        return;
    }
    enum lic_error_kind kind;
    enum log_level level;
    db_classify_sqlstate(conn->sqlstate, &kind, &level);
    log_event(level, "db_statement_failed", "%s [%s]: %s", what, conn->sqlstate, reason);
    switch (kind) {
    case LIC_ERR_BAD_REQUEST: /* the kind's default code: what it means is the room's to say */
        lic_error_set(err, kind, NULL, "A value in the request is not valid for this property.");
        break;
    case LIC_ERR_CONFLICT:
        lic_error_set(err, kind, NULL,
                      "The change conflicts with the current state of the directory.");
        break;
    case LIC_ERR_UNAVAILABLE:
        lic_error_set(err, kind, "ServiceUnavailable",
                      strcmp(conn->sqlstate, "57014") == 0
                          ? "The request took too long in the directory database and was "
                            "stopped. Retry later, or narrow the query."
                          : "The data is busy with another change. Retry later.");
        break;
    default:
        lic_error_set(err, LIC_ERR_INTERNAL, "InternalServerError",
                      "The request failed inside the directory database.");
    }
}

static int failed(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
}

/* Collects the answer to what was just sent, waiting at most until `until`. Returns the first
 * failed result, else the last one; NULL when the wait ran out (the connection is then abandoned
 * and err says so) or the connection broke (err filled). */
static PGresult *collect(struct db_conn *conn, long long until, const char *what,
                         struct lic_error *err)
{
    PGresult *keep = NULL;
    for (;;) {
        while (PQisBusy(conn->pg)) {
            int ready = wait_fd(PQsocket(conn->pg), POLLIN, until);
            if (ready == 0) {
                PQclear(keep);
                log_event(LOG_WARN, "db_statement_abandoned",
                          "%s: no answer from the database in time; connection closed", what);
                abandon(conn);
                conn->sqlstate[0] = '\0';
                lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                              "The directory database did not answer in time. Retry later.");
                return NULL;
            }
            if (ready < 0 || !PQconsumeInput(conn->pg))
                break; /* PQgetResult reports the broken connection without blocking */
        }
        PGresult *r = PQgetResult(conn->pg);
        if (r == NULL)
            break;
        if (keep == NULL) {
            keep = r;
        } else if (failed(keep)) {
            PQclear(r); /* the first failure is the one to report */
        } else {
            PQclear(keep);
            keep = r;
        }
        if (PQstatus(conn->pg) == CONNECTION_BAD)
            break;
    }
    if (keep == NULL || failed(keep)) {
        fail_from(conn, keep, what, err);
        PQclear(keep);
        return NULL;
    }
    return keep;
}

/* Checks a statement may start: a connection, and time left before the deadline. */
static int may_send(struct db_conn *conn, struct lic_error *err)
{
    conn->sqlstate[0] = '\0';
    if (deadline_passed())
        return out_of_time(conn, err);
    if (conn->pg == NULL)
        return lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                             "The directory database is unavailable. Retry later.");
    return 0;
}

static PGresult *sent(struct db_conn *conn, int ok, const char *what, struct lic_error *err)
{
    if (!ok) {
        fail_from(conn, NULL, what, err);
        return NULL;
    }
    return collect(conn, wait_until(conn->guard_ms), what, err);
}

static PGresult *run_text(struct db_conn *conn, const char *sql, const char *what,
                          struct lic_error *err)
{
    if (may_send(conn, err) != 0)
        return NULL;
    return sent(conn, PQsendQuery(conn->pg, sql), what, err);
}

static int run_session(struct db_conn *conn, struct lic_error *err)
{
    if (conn->session == NULL)
        return 0;
    PGresult *r = run_text(conn, conn->session, "session settings", err);
    if (r == NULL) {
        abandon(conn);
        return -1;
    }
    PQclear(r);
    return 0;
}

static size_t slot_of(const struct db_stmt *stmt)
{
    uintptr_t h = (uintptr_t)stmt;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 7) % PREPARED_SLOTS;
}

static int is_prepared(const struct db_conn *conn, const struct db_stmt *stmt)
{
    for (size_t i = slot_of(stmt), n = 0; n < PREPARED_SLOTS; i = (i + 1) % PREPARED_SLOTS, n++) {
        if (conn->prepared[i] == stmt)
            return 1;
        if (conn->prepared[i] == NULL)
            return 0;
    }
    return 0;
}

static void mark_prepared(struct db_conn *conn, const struct db_stmt *stmt)
{
    for (size_t i = slot_of(stmt), n = 0; n < PREPARED_SLOTS; i = (i + 1) % PREPARED_SLOTS, n++) {
        if (conn->prepared[i] == NULL) {
            conn->prepared[i] = stmt;
            return;
        }
    }
}

static PGresult *exec_once(struct db_conn *conn, const struct db_stmt *stmt,
                           const char *const *params, struct lic_error *err)
{
    if (may_send(conn, err) != 0)
        return NULL;
    if (!is_prepared(conn, stmt)) {
        PGresult *p =
            sent(conn, PQsendPrepare(conn->pg, stmt->name, stmt->sql, stmt->nparams, NULL),
                 stmt->name, err);
        if (p == NULL)
            return NULL;
        PQclear(p);
        mark_prepared(conn, stmt);
        if (may_send(conn, err) != 0)
            return NULL;
    }
    return sent(conn,
                PQsendQueryPrepared(conn->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0),
                stmt->name, err);
}

/* A server restart kills idle connections silently; outside a transaction nothing is lost by
 * reconnecting once and running the statement again. */
static int may_retry(struct db_conn *conn, int outside_tx, struct lic_error *err)
{
    if (!outside_tx || conn->pg == NULL || PQstatus(conn->pg) == CONNECTION_OK)
        return 0;
    if (ensure_connected(conn, conn->conninfo, err) != 0)
        return 0;
    lic_error_clear(err);
    return 1;
}

PGresult *db_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                  struct lic_error *err)
{
    int outside_tx = conn->pg != NULL && PQtransactionStatus(conn->pg) == PQTRANS_IDLE;
    PGresult *r = exec_once(conn, stmt, params, err);
    if (r == NULL && may_retry(conn, outside_tx, err))
        r = exec_once(conn, stmt, params, err);
    return r;
}

PGresult *db_exec_params(struct db_conn *conn, const char *sql, int nparams,
                         const char *const *params, struct lic_error *err)
{
    if (may_send(conn, err) != 0)
        return NULL;
    return sent(conn, PQsendQueryParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0),
                "dynamic query", err);
}

long db_exec_command(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                     struct lic_error *err)
{
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    long n = atol(PQcmdTuples(r));
    PQclear(r);
    return n;
}

int db_exec_simple(struct db_conn *conn, const char *sql, struct lic_error *err)
{
    PGresult *r = run_text(conn, sql, "simple query", err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

int db_begin(struct db_conn *conn, struct lic_error *err)
{
    return db_exec_simple(conn, "BEGIN", err);
}

int db_commit(struct db_conn *conn, struct lic_error *err)
{
    PGresult *r = run_text(conn, "COMMIT", "commit", err);
    if (r == NULL)
        return -1;
    int ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
    if (!ok) {
        /* An aborted transaction "commits" as ROLLBACK. */
        log_event(LOG_WARN, "db_statement_failed", "commit: the transaction had failed");
        lic_error_set(err, LIC_ERR_INTERNAL, "InternalServerError",
                      "The request failed inside the directory database.");
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* A rollback is owed even past the request deadline: only the statement guard bounds it, and a
 * connection that cannot roll back is closed. */
static void rollback_now(struct db_conn *conn)
{
    struct lic_error err;
    struct timespec saved = thread_deadline;
    memset(&thread_deadline, 0, sizeof(thread_deadline));
    PGresult *r = run_text(conn, "ROLLBACK", "rollback", &err);
    thread_deadline = saved;
    if (r == NULL)
        abandon(conn);
    PQclear(r);
}

void db_rollback(struct db_conn *conn)
{
    if (conn->pg != NULL && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        rollback_now(conn);
}

int db_ping(struct db_conn *conn, struct lic_error *err)
{
    static const struct db_stmt ping = {"health_ping", "SELECT 1", 0};
    PGresult *r = db_exec(conn, &ping, NULL, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}
