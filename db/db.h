/* The database layer's public face: a connection pool with transactions; no SQL or PGresult here.
 */
#ifndef LICENSINGD_DB_H
#define LICENSINGD_DB_H

#include <time.h>

#include "service/base/error.h"

struct db_pool;
struct db_conn;

/* Creates a pool of size connections; connects lazily, so it succeeds while PostgreSQL is down. */
struct db_pool *db_pool_open(const char *conninfo, unsigned size);
void db_pool_close(struct db_pool *pool);

/* Every connection of the pool runs with these PostgreSQL statement_timeout and lock_timeout
 * (milliseconds, 0 = none); a statement then waits at most statement_ms plus a grace for its
 * answer before the connection is given up (a frozen server). Call before the first acquire. */
void db_pool_set_timeouts(struct db_pool *pool, unsigned statement_ms, unsigned lock_ms);

/* The calling thread's request deadline (CLOCK_MONOTONIC; NULL clears it): waits for a
 * connection and for answers end there, and no statement starts after it (LIC_ERR_UNAVAILABLE).
 * A rollback still runs. */
void db_set_deadline(const struct timespec *deadline);

/* Borrows a healthy connection, reconnecting if needed. NULL with err (LIC_ERR_UNAVAILABLE)
 * when the database cannot be reached or no connection frees up in time. */
struct db_conn *db_acquire(struct db_pool *pool, struct lic_error *err);

/* Returns a connection; one left inside a transaction is rolled back first, and one that cannot
 * be cleaned is closed so it is never handed out dirty. */
void db_release(struct db_pool *pool, struct db_conn *conn);

/* For /metrics: the pool's size, connections lent out, and threads waiting for one. */
void db_pool_stats(struct db_pool *pool, unsigned *size, unsigned *in_use, unsigned *waiting);

int db_begin(struct db_conn *conn, struct lic_error *err);
int db_commit(struct db_conn *conn, struct lic_error *err);
void db_rollback(struct db_conn *conn);

/* A standalone connection (migrate, import); NULL with err on failure. */
struct db_conn *db_connect(const char *conninfo, struct lic_error *err);
void db_disconnect(struct db_conn *conn);

/* A standalone connection that waits at most wait_ms to connect and for each answer (the
 * readiness probe). */
struct db_conn *db_connect_bounded(const char *conninfo, unsigned wait_ms, struct lic_error *err);

/* SQLSTATE of the last failed statement on this connection ("" if none), e.g. "23514". */
const char *db_last_sqlstate(const struct db_conn *conn);

/* Readiness: a round trip to the server. */
int db_ping(struct db_conn *conn, struct lic_error *err);

/* Migrations compiled into the binary (see migrations/ and tools/embed.c). */
struct db_migration {
    const char *name; /* file name, e.g. "001_init.sql"; its number orders it */
    const char *sql;
};
extern const struct db_migration db_migrations[];
extern const unsigned db_migrations_count;

/* Applies pending migrations in order, each in its own transaction, under an advisory lock so
 * replicas starting together apply each exactly once. *applied receives how many ran. */
int db_migrate(struct db_conn *conn, unsigned *applied, struct lic_error *err);

#endif
