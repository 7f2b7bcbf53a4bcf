/* Array literals ("{...}") for uuid[] and text[] parameters: the one way lists reach SQL. Every
 * element is quoted and escaped, so no value can change the literal's shape. */
#include <stdlib.h>
#include <string.h>

#include "service/base/arena.h"
#include "service/base/buf.h"
#include "db/internal.h"

void db_array_begin(struct buf *b)
{
    buf_reset(b);
    buf_add(b, "{");
}

void db_array_add(struct buf *b, const char *item)
{
    if (b->len > 1)
        buf_add_n(b, ",", 1);
    if (item == NULL) {
        buf_add(b, "NULL");
        return;
    }
    buf_add_n(b, "\"", 1);
    for (const char *p = item; *p;) {
        size_t plain = strcspn(p, "\"\\");
        buf_add_n(b, p, plain);
        p += plain;
        if (*p) {
            char escaped[2] = {'\\', *p++};
            buf_add_n(b, escaped, 2);
        }
    }
    buf_add_n(b, "\"", 1);
}

void db_array_end(struct buf *b)
{
    buf_add_n(b, "}", 1);
}

char *db_array_literal(const char *const *items, int n)
{
    struct buf b = {0};
    db_array_begin(&b);
    for (int i = 0; i < n; i++)
        db_array_add(&b, items[i]);
    db_array_end(&b);
    return buf_take(&b);
}

int db_array_parse_uuids(struct arena *a, const char *text, const char ***out)
{
    *out = NULL;
    if (text == NULL || text[0] != '{' || strcmp(text, "{}") == 0)
        return 0;
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    const char **items = arena_alloc(a, (size_t)n * sizeof(*items));
    if (items == NULL)
        return -1;
    int k = 0;
    for (const char *p = text + 1; *p && *p != '}' && k < n;) {
        size_t len = strcspn(p, ",}");
        char *item = arena_alloc(a, len + 1);
        if (item == NULL)
            return -1;
        memcpy(item, p, len);
        items[k++] = item;
        p += len;
        if (*p == ',')
            p++;
    }
    *out = items;
    return k;
}

int db_out_of_memory(struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}

PGresult *db_exec_ids(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids,
                      int n, struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL) {
        db_out_of_memory(err);
        return NULL;
    }
    const char *params[] = {list};
    PGresult *r = db_exec(conn, stmt, params, err);
    free(list);
    return r;
}

int db_exec_ids_command(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids,
                        int n, struct lic_error *err)
{
    PGresult *r = db_exec_ids(conn, stmt, ids, n, err);
    PQclear(r);
    return r != NULL ? 0 : -1;
}
