/* Statements assembled per request from fixed fragments and $n parameters; result copies. */
#include "db/sql_builder.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/log.h"
#include "service/base/text.h"

void sqlb_init(struct sql_builder *b)
{
    memset(b, 0, sizeof(*b));
    b->cap = 1024;
    b->sql = malloc(b->cap);
    if (b->sql == NULL)
        b->failed = 1;
    else
        b->sql[0] = '\0';
}

void sqlb_free(struct sql_builder *b)
{
    for (int i = 0; i < b->nparams; i++)
        free(b->owned[i]);
    free(b->sql);
    b->sql = NULL;
}

void sqlb_add(struct sql_builder *b, const char *sql)
{
    if (b->failed)
        return;
    size_t n = strlen(sql);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *grown = realloc(b->sql, cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->sql = grown;
        b->cap = cap;
    }
    memcpy(b->sql + b->len, sql, n + 1);
    b->len += n;
}

void sqlb_bind(struct sql_builder *b, const char *value)
{
    if (b->failed || b->nparams >= SQLB_MAX_PARAMS) {
        b->failed = 1;
        return;
    }
    b->params[b->nparams] = value;
    b->owned[b->nparams] = NULL;
    b->nparams++;
}

void sqlb_param(struct sql_builder *b, const char *value)
{
    sqlb_bind(b, value);
    if (b->failed)
        return;
    char ref[16];
    snprintf(ref, sizeof(ref), "$%d", b->nparams);
    sqlb_add(b, ref);
}

void sqlb_param_owned(struct sql_builder *b, char *value)
{
    if (value == NULL || b->failed || b->nparams >= SQLB_MAX_PARAMS) {
        free(value);
        b->failed = 1;
        return;
    }
    sqlb_param(b, value);
    b->owned[b->nparams - 1] = value;
}

PGresult *sqlb_exec(struct db_conn *conn, struct sql_builder *b, struct lic_error *err)
{
    if (b->failed) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                      "The query is too complex.");
        return NULL;
    }
    PGresult *r = db_exec_params(conn, b->sql, b->nparams, b->params, err);
    snprintf(b->sqlstate, sizeof(b->sqlstate), "%s", r == NULL ? db_last_sqlstate(conn) : "");
    return r;
}

static pthread_mutex_t prepared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_stmt prepared[SQLB_PREPARED_MAX]; /* names and texts live as long as the process */
static int nprepared;

const struct db_stmt *sqlb_prepared_stmt(const char *sql, int nparams)
{
    const struct db_stmt *found = NULL;
    pthread_mutex_lock(&prepared_lock);
    for (int i = 0; i < nprepared && found == NULL; i++)
        if (prepared[i].nparams == nparams && strcmp(prepared[i].sql, sql) == 0)
            found = &prepared[i];
    if (found == NULL && nprepared < SQLB_PREPARED_MAX) {
        char name[32];
        snprintf(name, sizeof(name), "sqlb_prepared_%d", nprepared);
        char *n = strdup(name), *text = strdup(sql);
        if (n != NULL && text != NULL) {
            prepared[nprepared] = (struct db_stmt){n, text, nparams};
            found = &prepared[nprepared++];
        } else {
            free(n);
            free(text);
        }
    }
    pthread_mutex_unlock(&prepared_lock);
    return found;
}

PGresult *sqlb_exec_prepared(struct db_conn *conn, struct sql_builder *b, struct lic_error *err)
{
    const struct db_stmt *stmt = b->failed ? NULL : sqlb_prepared_stmt(b->sql, b->nparams);
    if (stmt == NULL)
        return sqlb_exec(conn, b, err);
    PGresult *r = db_exec(conn, stmt, b->params, err);
    snprintf(b->sqlstate, sizeof(b->sqlstate), "%s", r == NULL ? db_last_sqlstate(conn) : "");
    return r;
}

struct db_rows *db_rows_from_result(PGresult *r)
{
    struct db_rows *rows = calloc(1, sizeof(*rows));
    if (rows == NULL)
        return NULL;
    rows->nrows = PQntuples(r);
    rows->ncols = PQnfields(r);
    size_t n = (size_t)rows->nrows * (size_t)rows->ncols;
    rows->cells = calloc(n ? n : 1, sizeof(char *));
    if (rows->cells == NULL) {
        free(rows);
        return NULL;
    }
    /* The cells point into the result, which the rows now own: one allocation per result, not
     * one per cell (a page of 999 users is a few thousand cells). */
    for (int i = 0; i < rows->nrows; i++)
        for (int c = 0; c < rows->ncols; c++)
            if (!PQgetisnull(r, i, c))
                rows->cells[(size_t)i * (size_t)rows->ncols + (size_t)c] = PQgetvalue(r, i, c);
    rows->result = r;
    return rows;
}

const char *db_rows_get(const struct db_rows *rows, int row, int col)
{
    if (rows == NULL || row < 0 || row >= rows->nrows || col < 0 || col >= rows->ncols)
        return NULL;
    return rows->cells[(size_t)row * (size_t)rows->ncols + (size_t)col];
}

void db_rows_free(struct db_rows *rows)
{
    if (rows == NULL)
        return;
    PQclear(rows->result);
    free(rows->cells);
    free(rows);
}
