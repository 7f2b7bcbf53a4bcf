/* Connection pool over libpq: lazy connect, reconnection after a server restart, lazy prepare. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/base/log.h"
#include "db/internal.h"

#define PREPARED_SLOTS 512 /* open-addressing set of statement addresses; > statements we have */
#define ACQUIRE_WAIT_SECONDS 10

struct db_conn {
    PGconn *pg;
    const char *conninfo; /* the pool's string, or owned by a standalone connection */
    int standalone;
    int in_use;
    const struct db_stmt *prepared[PREPARED_SLOTS];
    char sqlstate[6];
};

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    unsigned size;
    struct db_conn *conns;
    unsigned waiting; /* threads in db_acquire waiting for a free connection */
};

static PGconn *open_pg(const char *conninfo)
{
    /* Defaults first: with expand_dbname the caller's conninfo (dbname) overrides them. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"3", "licensingd", conninfo, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (pg != NULL && PQstatus(pg) == CONNECTION_OK) {
        PGresult *r = PQexec(pg, "SET TIME ZONE 'UTC'");
        PQclear(r);
    }
    return pg;
}

static void forget_prepared(struct db_conn *conn)
{
    memset(conn->prepared, 0, sizeof(conn->prepared));
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

static int ensure_connected(struct db_conn *conn, const char *conninfo, struct lic_error *err)
{
    if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK)
        return 0;
    if (conn->pg != NULL)
        PQfinish(conn->pg);
    forget_prepared(conn);
    conn->pg = open_pg(conninfo);
    if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
        char reason[256];
        snprintf(reason, sizeof(reason), "%s",
                 conn->pg ? PQerrorMessage(conn->pg) : "out of memory");
        reason[strcspn(reason, "\n")] = '\0';
        log_event(LOG_WARN, "db_connect_failed", "%s", reason);
        if (conn->pg != NULL)
            PQfinish(conn->pg);
        conn->pg = NULL;
        return lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                             "The directory database is unavailable. Retry later.");
    }
    return 0;
}

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
    for (unsigned i = 0; i < size; i++)
        pool->conns[i].conninfo = pool->conninfo;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    return pool;
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
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ACQUIRE_WAIT_SECONDS;

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

    /* Connecting happens outside the lock: it may take up to connect_timeout. */
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

void db_release(struct db_pool *pool, struct db_conn *conn)
{
    if (conn == NULL)
        return;
    if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK &&
        PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
        PGresult *r = PQexec(conn->pg, "ROLLBACK");
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok || PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
            PQfinish(conn->pg);
            conn->pg = NULL;
        }
    }
    if (conn->pg != NULL && PQstatus(conn->pg) != CONNECTION_OK) {
        PQfinish(conn->pg);
        conn->pg = NULL;
    }
    pthread_mutex_lock(&pool->lock);
    conn->in_use = 0;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

struct db_conn *db_connect(const char *conninfo, struct lic_error *err)
{
    struct db_conn *conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    conn->standalone = 1;
    conn->conninfo = strdup(conninfo);
    if (conn->conninfo == NULL || ensure_connected(conn, conn->conninfo, err) != 0) {
        free((char *)conn->conninfo);
        free(conn);
        return NULL;
    }
    return conn;
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

static void fail_from(struct db_conn *conn, PGresult *r, const char *what, struct lic_error *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(conn->sqlstate, sizeof(conn->sqlstate), "%s", state ? state : "");
    char reason[512];
    snprintf(reason, sizeof(reason), "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(conn->pg));
    reason[strcspn(reason, "\n")] = '\0';
    if (PQstatus(conn->pg) != CONNECTION_OK) {
        log_event(LOG_WARN, "db_connection_lost", "%s: %s", what, reason);
        lic_error_set(err, LIC_ERR_UNAVAILABLE, "ServiceUnavailable",
                      "The directory database is unavailable. Retry later.");
        return;
    }
    /* Constraint and serialization failures are expected by callers; log them quietly. */
    log_event(state && (state[0] == '2' || state[0] == '4' || strcmp(state, "55P03") == 0)
                  ? LOG_DEBUG
                  : LOG_ERROR,
              "db_statement_failed", "%s [%s]: %s", what, conn->sqlstate, reason);
    lic_error_set(err, LIC_ERR_INTERNAL, "InternalServerError",
                  "The request failed inside the directory database.");
}

static PGresult *exec_once(struct db_conn *conn, const struct db_stmt *stmt,
                           const char *const *params, struct lic_error *err)
{
    if (!is_prepared(conn, stmt)) {
        PGresult *p = PQprepare(conn->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
        if (PQresultStatus(p) != PGRES_COMMAND_OK) {
            fail_from(conn, p, stmt->name, err);
            PQclear(p);
            return NULL;
        }
        PQclear(p);
        mark_prepared(conn, stmt);
    }
    PGresult *r = PQexecPrepared(conn->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail_from(conn, r, stmt->name, err);
        PQclear(r);
        return NULL;
    }
    return r;
}

PGresult *db_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                  struct lic_error *err)
{
    conn->sqlstate[0] = '\0';
    int outside_tx = PQtransactionStatus(conn->pg) == PQTRANS_IDLE;
    PGresult *r = exec_once(conn, stmt, params, err);
    /* A server restart kills idle connections silently; outside a transaction nothing is lost
     * by reconnecting once and running the statement again. */
    if (r == NULL && outside_tx && PQstatus(conn->pg) != CONNECTION_OK &&
        ensure_connected(conn, conn->conninfo, err) == 0) {
        lic_error_clear(err);
        r = exec_once(conn, stmt, params, err);
    }
    return r;
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
    conn->sqlstate[0] = '\0';
    PGresult *r = PQexec(conn->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail_from(conn, r, "simple query", err);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

int db_begin(struct db_conn *conn, struct lic_error *err)
{
    return db_exec_simple(conn, "BEGIN", err);
}

int db_commit(struct db_conn *conn, struct lic_error *err)
{
    conn->sqlstate[0] = '\0';
    PGresult *r = PQexec(conn->pg, "COMMIT");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    if (!ok) {
        /* An aborted transaction "commits" as ROLLBACK; a deferred constraint fails here. */
        fail_from(conn, r, "commit", err);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

void db_rollback(struct db_conn *conn)
{
    if (conn->pg != NULL && PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
        PGresult *r = PQexec(conn->pg, "ROLLBACK");
        PQclear(r);
    }
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
