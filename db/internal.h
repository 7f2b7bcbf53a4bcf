/* Shared by the files of db/ only: prepared statements and result helpers over libpq. */
#ifndef LICENSINGD_DB_INTERNAL_H
#define LICENSINGD_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db/db.h"
#include "service/base/log.h"

/* One SQL statement, prepared once per connection on first use. Define them `static const`
 * in the db/ file that owns them; the address identifies the statement. */
struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL).
 * Returns the result (caller PQclear()s) or NULL with err filled; the SQLSTATE is kept for
 * db_last_sqlstate. Kinds: LIC_ERR_UNAVAILABLE when the connection was lost, the wait for the
 * answer ran out (statement_timeout 57014, lock_timeout 55P03, the client-side guard, the
 * request deadline) or another transaction conflicted (class 40); LIC_ERR_BAD_REQUEST for the
 * client's values (class 22, 23502, 23514); LIC_ERR_CONFLICT for other integrity violations
 * (class 23); LIC_ERR_INTERNAL otherwise. */
PGresult *db_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                  struct lic_error *err);

/* How a failed statement's SQLSTATE is reported: the error kind the client sees and the level of
 * the log line (client-caused classes 22 and 23 at warn, with the SQLSTATE). */
void db_classify_sqlstate(const char *state, enum lic_error_kind *kind, enum log_level *level);

/* Runs SQL text built at run time (db/sql_builder.c) with text parameters, unprepared; the same
 * waits, error kinds and SQLSTATE bookkeeping as db_exec. */
PGresult *db_exec_params(struct db_conn *conn, const char *sql, int nparams,
                         const char *const *params, struct lic_error *err);

/* Exec, check, clear: runs a statement whose rows are not needed. Returns the number of rows it
 * affected (PQcmdTuples, 0 when none), or -1 with err. */
long db_exec_command(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                     struct lic_error *err) __attribute__((warn_unused_result));

/* Runs a statement text without parameters (DDL, BEGIN/COMMIT); 0 or -1 with err. */
int db_exec_simple(struct db_conn *conn, const char *sql, struct lic_error *err);

/* The underlying libpq connection (LISTEN/NOTIFY, COPY). */
PGconn *db_pgconn(struct db_conn *conn);

/* Array literals for uuid[] and text[] parameters, written into the one buffer (db/arrays.c):
 * begin empties b and opens "{", each add appends one quoted element (NULL -> SQL NULL), end
 * closes it. Out of memory sticks in b->failed. */
struct buf;
void db_array_begin(struct buf *b);
void db_array_add(struct buf *b, const char *item);
void db_array_end(struct buf *b);

/* "{\"a\",\"b\"}" for n items (NULL items are SQL NULLs); malloc'd, NULL when out of memory. */
char *db_array_literal(const char *const *items, int n);

/* Runs stmt with ids as its one parameter ($1::uuid[]); the result (caller PQclear()s) or NULL
 * with err. */
PGresult *db_exec_ids(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids,
                      int n, struct lic_error *err);
/* The same for a statement whose rows nobody reads: 0, or -1 with err. */
int db_exec_ids_command(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids,
                        int n, struct lic_error *err);
/* Fills err with "out of memory" and returns -1. */
int db_out_of_memory(struct lic_error *err);

/* Splits a uuid[] value's text ("{a,b}") into strings allocated in a: how many, 0 for none or
 * NULL, -1 when memory runs out. */
struct arena;
int db_array_parse_uuids(struct arena *a, const char *text, const char ***out);

#endif
