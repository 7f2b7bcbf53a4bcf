/* Statements assembled per request from fixed fragments and $n parameters; result copies. */
#include "db/sql_builder.h"

#include <ctype.h>
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

void sqlb_param(struct sql_builder *b, const char *value)
{
    if (b->failed || b->nparams >= SQLB_MAX_PARAMS) {
        b->failed = 1;
        return;
    }
    b->params[b->nparams] = value;
    b->owned[b->nparams] = NULL;
    b->nparams++;
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

struct db_rows *db_rows_from_result(const PGresult *r)
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
    for (int i = 0; i < rows->nrows; i++) {
        for (int c = 0; c < rows->ncols; c++) {
            if (PQgetisnull(r, i, c))
                continue;
            char *v = strdup(PQgetvalue(r, i, c));
            if (v == NULL) {
                db_rows_free(rows);
                return NULL;
            }
            rows->cells[(size_t)i * (size_t)rows->ncols + (size_t)c] = v;
        }
    }
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
    size_t n = (size_t)rows->nrows * (size_t)rows->ncols;
    for (size_t i = 0; i < n; i++)
        free(rows->cells[i]);
    free(rows->cells);
    free(rows);
}
