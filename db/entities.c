/* Keyset listing and field writes shared by users and groups (db/entities.h). */
#include "service/base/guid.h"
#include "db/entities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_not_found(const char *id, struct lic_error *err)
{
    return lic_error_set(
        err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
        "Resource '%.200s' does not exist or one of its queried reference-property "
        "objects are not present.",
        id);
}

static int rows_from(PGresult *r, struct db_rows **rows, struct lic_error *err)
{
    *rows = db_rows_from_result(r);
    PQclear(r);
    if (*rows == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return 0;
}

int db_rows_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                 struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    return rows_from(r, rows, err);
}

int db_rows_exec_counted(struct db_conn *conn, const struct db_stmt *list,
                         const struct db_stmt *count_stmt, const char *const *params,
                         int want_count, struct db_rows **rows, long *count, struct lic_error *err)
{
    if (db_rows_exec(conn, list, params, rows, err) != 0)
        return -1;
    if (want_count) {
        struct db_rows *c = NULL;
        if (db_rows_exec(conn, count_stmt, params, &c, err) != 0) {
            db_rows_free(*rows);
            *rows = NULL;
            return -1;
        }
        *count = strtol(db_rows_get(c, 0, 0), NULL, 10);
        db_rows_free(c);
    }
    return 0;
}

/* WHERE conditions shared by the page query and its count. */
static int add_filter(struct sql_builder *b, const struct db_entity *e,
                      const struct filter_node *filter, struct lic_error *err)
{
    sqlb_add(b, " WHERE true");
    if (filter == NULL)
        return 0;
    sqlb_add(b, " AND ");
    return filter_sql_compile(filter, e->schema, b, err);
}

int entity_list(struct db_conn *conn, const struct db_entity *e, const struct db_page *page,
                struct db_rows **rows, long *count, struct lic_error *err)
{
    *rows = NULL;
    *count = -1;
    const char *key = e->order_keys[page->order];
    if (page->after_id != NULL && !guid_valid(page->after_id))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "SELECT ");
    sqlb_add(&b, e->columns);
    sqlb_add(&b, ", ");
    sqlb_add(&b, key);
    sqlb_add(&b, " FROM ");
    sqlb_add(&b, e->from);
    int rc = -1;
    if (add_filter(&b, e, page->filter, err) != 0)
        goto out;
    if (page->after_id != NULL) {
        sqlb_add(&b, " AND (");
        sqlb_add(&b, key);
        sqlb_add(&b, ", ");
        sqlb_add(&b, e->id);
        sqlb_add(&b, ") > (");
        sqlb_param(&b, page->after_key ? page->after_key : "");
        sqlb_add(&b, ", ");
        sqlb_param(&b, page->after_id);
        sqlb_add(&b, "::uuid)");
    }
    char limit[64];
    snprintf(limit, sizeof(limit), " LIMIT %d", page->top + 1);
    sqlb_add(&b, " ORDER BY ");
    sqlb_add(&b, key);
    sqlb_add(&b, ", ");
    sqlb_add(&b, e->id);
    sqlb_add(&b, limit);
    PGresult *r = sqlb_exec(conn, &b, err);
    if (r == NULL || rows_from(r, rows, err) != 0)
        goto out;
    if (page->count) {
        sqlb_free(&b);
        sqlb_init(&b);
        sqlb_add(&b, "SELECT count(*) FROM ");
        sqlb_add(&b, e->from);
        if (add_filter(&b, e, page->filter, err) != 0)
            goto out;
        r = sqlb_exec(conn, &b, err);
        if (r == NULL)
            goto out;
        *count = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    rc = 0;
out:
    sqlb_free(&b);
    if (rc != 0) {
        db_rows_free(*rows);
        *rows = NULL;
    }
    return rc;
}

char *db_uuid_array(const char *const *ids, int n)
{
    char *out = malloc((size_t)n * 37 + 3);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (int i = 0; i < n; i++) {
        if (!guid_valid(ids[i]))
            continue; /* only ids we produced reach here; anything else cannot match */
        if (o > 1)
            out[o++] = ',';
        memcpy(out + o, ids[i], 36);
        o += 36;
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

int db_rows_for_ids(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids, int n,
                    struct db_rows **rows, struct lic_error *err)
{
    char *array = db_uuid_array(ids, n);
    if (array == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {array};
    int rc = db_rows_exec(conn, stmt, params, rows, err);
    free(array);
    return rc;
}

int entity_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids, int n,
                  struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "SELECT ");
    sqlb_add(&b, e->columns);
    sqlb_add(&b, ", '' FROM ");
    sqlb_add(&b, e->from);
    sqlb_add(&b, " WHERE ");
    sqlb_add(&b, e->id);
    sqlb_add(&b, " = ANY(");
    sqlb_param_owned(&b, db_uuid_array(ids, n));
    sqlb_add(&b, "::uuid[])");
    PGresult *r = sqlb_exec(conn, &b, err);
    int rc = r == NULL ? -1 : rows_from(r, rows, err);
    sqlb_free(&b);
    return rc;
}

/* A failed write: a unique violation is the client's conflict, anything else stays as it is. */
static int write_failed(const struct db_entity *e, const struct sql_builder *b,
                        struct lic_error *err)
{
    if (strcmp(b->sqlstate, "23505") == 0 && e->unique_message != NULL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", "%s",
                             e->unique_message);
    if (strcmp(b->sqlstate, "23514") == 0 || strncmp(b->sqlstate, "22", 2) == 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "A property value is invalid.");
    return -1;
}

/* Runs a built INSERT/UPDATE; NULL with err (unique violations as the client's 400). */
static PGresult *exec_write(struct db_conn *conn, const struct db_entity *e, struct sql_builder *b,
                            struct lic_error *err)
{
    PGresult *r = sqlb_exec(conn, b, err);
    if (r == NULL)
        write_failed(e, b, err);
    sqlb_free(b);
    return r;
}

static void add_value(struct sql_builder *b, const struct db_field_column *c, const char *value)
{
    sqlb_add(b, c->open);
    sqlb_param(b, value);
    sqlb_add(b, c->close);
}

int entity_insert(struct db_conn *conn, const struct db_entity *e, const struct db_fields *f,
                  char id[GUID_SIZE], struct lic_error *err)
{
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "INSERT INTO ");
    sqlb_add(&b, e->table);
    sqlb_add(&b, " (");
    int first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!f->set[i])
            continue;
        sqlb_add(&b, first ? "" : ", ");
        sqlb_add(&b, e->fields[i].column);
        first = 0;
    }
    sqlb_add(&b, ") VALUES (");
    first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!f->set[i])
            continue;
        sqlb_add(&b, first ? "" : ", ");
        add_value(&b, &e->fields[i], f->value[i]);
        first = 0;
    }
    sqlb_add(&b, ") RETURNING id");
    PGresult *r = exec_write(conn, e, &b, err);
    if (r == NULL)
        return -1;
    snprintf(id, 37, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int entity_update(struct db_conn *conn, const struct db_entity *e, const char *id,
                  const struct db_fields *f, struct lic_error *err)
{
    if (!guid_valid(id))
        return db_not_found(id, err);
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "UPDATE ");
    sqlb_add(&b, e->table);
    sqlb_add(&b, " SET updated_at = now()");
    for (int i = 0; i < e->nfields; i++) {
        if (!f->set[i])
            continue;
        sqlb_add(&b, ", ");
        sqlb_add(&b, e->fields[i].column);
        sqlb_add(&b, " = ");
        add_value(&b, &e->fields[i], f->value[i]);
    }
    sqlb_add(&b, " WHERE id = ");
    sqlb_param(&b, id);
    sqlb_add(&b, "::uuid");
    PGresult *r = exec_write(conn, e, &b, err);
    if (r == NULL)
        return -1;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n == 0 ? db_not_found(id, err) : 0;
}
