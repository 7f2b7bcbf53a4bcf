/* Shared by the catalog files of db/ only: reading cells of a PGresult into catalog structs. */
#ifndef LICENSINGD_DB_CATALOG_ROWS_H
#define LICENSINGD_DB_CATALOG_ROWS_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cell as a new string (owned: caller frees); NULL for SQL NULL. */
static inline char *cell_dup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* The cell into out (truncated to size); "" for SQL NULL. */
static inline void cell_copy(const PGresult *r, int row, int col, char *out, size_t size)
{
    snprintf(out, size, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

/* The cell as a number; 0 for SQL NULL. */
static inline long cell_long(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : atol(PQgetvalue(r, row, col));
}

/* How many rows from row `from` on share column 0 with it (the rows of one SKU or user). */
static inline int cell_run_length(const PGresult *r, int from)
{
    int n = 1;
    while (from + n < PQntuples(r) &&
           strcmp(PQgetvalue(r, from + n, 0), PQgetvalue(r, from, 0)) == 0)
        n++;
    return n;
}

#endif
