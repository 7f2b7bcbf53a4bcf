/* Shared by the files of db/ only: prepared statements and result helpers over libpq. */
#ifndef LICENSINGD_DB_INTERNAL_H
#define LICENSINGD_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db/db.h"

/* One SQL statement, prepared once per connection on first use. Define them `static const`
 * in the db/ file that owns them; the address identifies the statement. */
struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL).
 * Returns the result (caller PQclear()s) or NULL with err filled: LIC_ERR_UNAVAILABLE when the
 * connection was lost, LIC_ERR_INTERNAL otherwise; the SQLSTATE is kept for db_last_sqlstate. */
PGresult *db_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                  struct lic_error *err);

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

/* Splits a uuid[] value's text ("{a,b}") into strings allocated in a: how many, 0 for none or
 * NULL, -1 when memory runs out. */
struct arena;
int db_array_parse_uuids(struct arena *a, const char *text, const char ***out);

#endif
