/* Shared by the files of db/ only: prepared statements and result helpers over libpq. */
#ifndef LICENSINGD_DB_INTERNAL_H
#define LICENSINGD_DB_INTERNAL_H

#include <libpq-fe.h>

#include "db.h"

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

/* Runs a statement text without parameters (DDL, BEGIN/COMMIT); 0 or -1 with err. */
int db_exec_simple(struct db_conn *conn, const char *sql, struct lic_error *err);


/* The underlying libpq connection (LISTEN/NOTIFY, COPY). */
PGconn *db_pgconn(struct db_conn *conn);

#endif
