/* Inside db/ only: statements whose shape depends on the request ($filter, $orderby, keyset),
 * assembled from fixed fragments with every value passed as a $n parameter, and a libpq-free copy
 * of their rows for the layers above. */
#ifndef LICENSINGD_DB_SQL_BUILDER_H
#define LICENSINGD_DB_SQL_BUILDER_H

#include "db/directory.h"
#include "db/internal.h"

#define SQLB_MAX_PARAMS 512

struct sql_builder {
    char *sql; /* owned */
    size_t len, cap;
    const char *params[SQLB_MAX_PARAMS]; /* borrowed, or owned when listed in owned[] */
    char *owned[SQLB_MAX_PARAMS];
    int nparams;
    int failed;       /* out of memory or too many parameters */
    char sqlstate[6]; /* of the last failed sqlb_exec, "" if none */
};

void sqlb_init(struct sql_builder *b);
void sqlb_free(struct sql_builder *b);

/* Appends fixed SQL text (never request text). */
void sqlb_add(struct sql_builder *b, const char *sql);

/* Adds a parameter and appends "$n"; value is borrowed (must outlive the execution). */
void sqlb_param(struct sql_builder *b, const char *value);

/* Adds a parameter without appending anything: for fixed SQL that names it already ($n, n the
 * number of parameters so far plus one). */
void sqlb_bind(struct sql_builder *b, const char *value);

/* Same as sqlb_param, taking ownership of a malloc'd value. */
void sqlb_param_owned(struct sql_builder *b, char *value);

/* Runs the built text with PQexecParams; NULL with err on failure. */
PGresult *sqlb_exec(struct db_conn *conn, struct sql_builder *b, struct lic_error *err);

/* Statements whose text repeats (a page without $filter or $search: its text depends only on the
 * order, $select, $top and whether it continues a page) are prepared once per connection and run
 * by name, so PostgreSQL plans them once, not at every page. The statement for a text, from a
 * process-wide set of SQLB_PREPARED_MAX; NULL when the set is full (or out of memory). */
#define SQLB_PREPARED_MAX 32
const struct db_stmt *sqlb_prepared_stmt(const char *sql, int nparams);

/* sqlb_exec through sqlb_prepared_stmt; unnamed when the set is full. Only for texts without
 * request-dependent structure: each distinct text keeps a slot for the life of the process. */
PGresult *sqlb_exec_prepared(struct db_conn *conn, struct sql_builder *b, struct lic_error *err);

/* The result as db_rows, which take it over (db_rows_free clears it); NULL on out of memory, the
 * result then still the caller's. */
struct db_rows *db_rows_from_result(PGresult *r);

#endif
