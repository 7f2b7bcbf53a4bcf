/* Keyset listing and field writes shared by users and groups (db/entities.h). */
#include "service/base/guid.h"
#include "db/entities.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/buf.h"

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
    if ((*rows = db_rows_from_result(r)) == NULL) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
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

uint64_t db_default_mask(const struct db_property *props, int n)
{
    uint64_t mask = 0;
    for (int i = 0; i < n; i++)
        if (props[i].flags & PROP_DEFAULT)
            mask |= UINT64_C(1) << i;
    return mask;
}

/* The expression of property i in the representation: its JSON value, or a value row_to_json
 * renders as that (text, boolean, an array). */
static void add_repr_value(struct sql_builder *b, const struct db_entity *e, int i)
{
    switch (e->props[i].kind) {
    case PROP_TEXT:
    case PROP_TIME:
    case PROP_BOOL:
        sqlb_add(b, e->reads[i]);
        return;
    case PROP_STRINGS: /* read as JSON text */
        sqlb_add(b, "(");
        sqlb_add(b, e->reads[i]);
        sqlb_add(b, ")::json");
        return;
    case PROP_NULL:
        sqlb_add(b, "NULL");
        return;
    case PROP_EMPTY:
        sqlb_add(b, "'[]'::json");
        return;
    case PROP_CUSTOM:
    case PROP_KIND_COUNT:
        break;
    }
    assert(e->custom[i] != NULL);
    sqlb_add(b, e->custom[i]);
}

/* The FROM item and, beside it, the object's properties as the columns of a lateral row named
 * repr_ (row_to_json(repr_) is the object: its column names are the property names, fixed
 * identifiers, never request text). row_to_json costs less than json_build_object, and its
 * output is compact. */
static void add_repr_from(struct sql_builder *b, const struct db_entity *e, const struct db_repr *r)
{
    sqlb_add(b, e->from);
    sqlb_add(b, " CROSS JOIN LATERAL (SELECT ");
    int first = 1;
    if (r->with_type) {
        sqlb_add(b, "'");
        sqlb_add(b, e->odata_type);
        sqlb_add(b, "'::text AS \"@odata.type\"");
        first = 0;
    }
    for (int i = 0; i < e->nprops; i++) {
        if (!(r->mask & (UINT64_C(1) << i)))
            continue;
        assert(strchr(e->props[i].name, '"') == NULL);
        sqlb_add(b, first ? "" : ", ");
        add_repr_value(b, e, i);
        sqlb_add(b, " AS \"");
        sqlb_add(b, e->props[i].name);
        sqlb_add(b, "\"");
        first = 0;
    }
    sqlb_add(b, ") repr_");
}

/* WHERE conditions shared by the page query and its count. */
static int add_filter(struct sql_builder *b, const struct db_entity *e, const struct db_page *page,
                      struct lic_error *err)
{
    sqlb_add(b, " WHERE true");
    if (page->search != NULL && page->search->n > 0 &&
        (sqlb_add(b, " AND "), filter_sql_search(page->search, e->schema, b, err)) != 0)
        return -1;
    if (page->filter == NULL)
        return 0;
    sqlb_add(b, " AND ");
    return filter_sql_compile(page->filter, e->schema, b, err);
}

int entity_list(struct db_conn *conn, const struct db_entity *e, const struct db_page *page,
                struct db_rows **rows, long *count, struct lic_error *err)
{
    *rows = NULL;
    *count = -1;
    const char *key = e->order_keys[page->order];
    assert(key != NULL && (page->after_id == NULL || guid_valid(page->after_id)));
    struct sql_builder b;
    sqlb_init(&b);
    /* Representations (enum repr_col), or the columns of the entity's table and the sort key. */
    int as_repr = page->repr.mask != 0 || page->repr.with_type;
    if (as_repr) {
        sqlb_add(&b, "SELECT row_to_json(repr_), ");
        sqlb_add(&b, key);
        sqlb_add(&b, ", ");
        sqlb_add(&b, e->id);
        sqlb_add(&b, " FROM ");
        add_repr_from(&b, e, &page->repr);
    } else {
        sqlb_add(&b, "SELECT ");
        sqlb_add(&b, e->columns);
        sqlb_add(&b, key);
        sqlb_add(&b, " FROM ");
        sqlb_add(&b, e->from);
    }
    int rc = -1;
    if (add_filter(&b, e, page, err) != 0)
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
    /* Without $filter or $search the text repeats from page to page: prepared once. */
    int plain = page->filter == NULL && (page->search == NULL || page->search->n == 0);
    PGresult *r = plain ? sqlb_exec_prepared(conn, &b, err) : sqlb_exec(conn, &b, err);
    if (r == NULL || rows_from(r, rows, err) != 0)
        goto out;
    if (page->count && e->count_all != NULL && plain) {
        r = db_exec(conn, e->count_all, NULL, err);
        if (r == NULL)
            goto out;
        *count = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    } else if (page->count) {
        sqlb_free(&b);
        sqlb_init(&b);
        sqlb_add(&b, "SELECT count(*) FROM ");
        sqlb_add(&b, e->from);
        if (add_filter(&b, e, page, err) != 0)
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
    struct buf b = {0};
    buf_add(&b, "{");
    for (int i = 0; i < n; i++) {
        if (!guid_valid(ids[i]))
            continue; /* only ids we produced reach here; anything else cannot match */
        buf_add(&b, b.len > 1 ? "," : "");
        buf_add(&b, ids[i]);
    }
    buf_add(&b, "}");
    return buf_take(&b);
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

/* "SELECT <repr>, '', <id> FROM " */
static void add_repr_select(struct sql_builder *b, const struct db_entity *e)
{
    sqlb_add(b, "SELECT row_to_json(repr_), '', ");
    sqlb_add(b, e->id);
    sqlb_add(b, " FROM ");
}

int entity_rows_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids,
                       int n, struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "SELECT ");
    sqlb_add(&b, e->columns);
    sqlb_add(&b, "'' FROM ");
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

int entity_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids, int n,
                  const struct db_repr *repr, struct db_rows **rows, struct lic_error *err)
{
    *rows = NULL;
    struct sql_builder b;
    sqlb_init(&b);
    add_repr_select(&b, e);
    add_repr_from(&b, e, repr);
    sqlb_add(&b, " JOIN unnest(");
    sqlb_param_owned(&b, db_uuid_array(ids, n));
    sqlb_add(&b, "::uuid[]) WITH ORDINALITY AS wanted(id, n) ON wanted.id = ");
    sqlb_add(&b, e->id);
    sqlb_add(&b, " ORDER BY wanted.n");
    PGresult *r = sqlb_exec(conn, &b, err);
    int rc = r == NULL ? -1 : rows_from(r, rows, err);
    sqlb_free(&b);
    return rc;
}

static pthread_mutex_t lookup_lock = PTHREAD_MUTEX_INITIALIZER;

/* The lookup's prepared statement (the default representation), built on first use; NULL when
 * memory ran out (the caller plans the query itself then). */
static const struct db_stmt *lookup_stmt(const struct db_entity *e, struct repr_lookup *l)
{
    const struct db_stmt *ready = atomic_load_explicit(&l->ready, memory_order_acquire);
    if (ready != NULL)
        return ready;
    pthread_mutex_lock(&lookup_lock);
    if (atomic_load_explicit(&l->ready, memory_order_relaxed) == NULL) {
        struct sql_builder b;
        sqlb_init(&b);
        struct db_repr repr = {db_default_mask(e->props, e->nprops), 0};
        add_repr_select(&b, e);
        add_repr_from(&b, e, &repr);
        sqlb_add(&b, " WHERE ");
        sqlb_add(&b, l->where);
        if (!b.failed) {
            /* Lives as long as the process: the statement is prepared by its address. */
            l->stmt = (struct db_stmt){l->name, b.sql, 1};
            b.sql = NULL;
            atomic_store_explicit(&l->ready, &l->stmt, memory_order_release);
        }
        sqlb_free(&b);
    }
    ready = atomic_load_explicit(&l->ready, memory_order_relaxed);
    pthread_mutex_unlock(&lookup_lock);
    return ready;
}

int entity_repr(struct db_conn *conn, const struct db_entity *e, struct repr_lookup *lookup,
                const char *key, const struct db_repr *repr, struct db_rows **rows,
                struct lic_error *err)
{
    *rows = NULL;
    const struct db_stmt *stmt = NULL;
    if (!repr->with_type && repr->mask == db_default_mask(e->props, e->nprops))
        stmt = lookup_stmt(e, lookup);
    int rc;
    if (stmt != NULL) {
        const char *params[] = {key};
        rc = db_rows_exec(conn, stmt, params, rows, err);
    } else {
        struct sql_builder b;
        sqlb_init(&b);
        add_repr_select(&b, e);
        add_repr_from(&b, e, repr);
        sqlb_add(&b, " WHERE ");
        sqlb_add(&b, lookup->where);
        sqlb_bind(&b, key); /* the where clause's $1 */
        PGresult *r = sqlb_exec(conn, &b, err);
        rc = r == NULL ? -1 : rows_from(r, rows, err);
        sqlb_free(&b);
    }
    if (rc == 0 && (*rows)->nrows == 0) {
        db_rows_free(*rows);
        *rows = NULL;
        return db_not_found(key, err);
    }
    return rc;
}

/* Runs a built INSERT/UPDATE: 0 with *r, -1 with err, or the refusal a constraint made. */
static int exec_write(struct db_conn *conn, struct sql_builder *b, PGresult **r,
                      struct lic_error *err)
{
    *r = sqlb_exec(conn, b, err);
    int rc = 0;
    if (*r == NULL && strcmp(b->sqlstate, "23505") == 0)
        rc = DB_REFUSED_DUPLICATE;
    else if (*r == NULL &&
             (strcmp(b->sqlstate, "23514") == 0 || strncmp(b->sqlstate, "22", 2) == 0))
        rc = DB_REFUSED_INVALID;
    else if (*r == NULL)
        rc = -1;
    sqlb_free(b);
    return rc;
}

/* The property's value as a SQL expression around its parameter. */
static void add_value(struct sql_builder *b, const struct db_property *p, const char *value)
{
    if (p->kind == PROP_STRINGS)
        sqlb_add(b, "ARRAY(SELECT json_array_elements_text(");
    sqlb_param(b, value);
    if (p->kind == PROP_STRINGS)
        sqlb_add(b, "::json))");
    else if (p->kind == PROP_BOOL)
        sqlb_add(b, "::boolean");
}

/* The properties a write sets: only those with a column can be. */
static int is_set(const struct db_entity *e, const struct db_fields *f, int i)
{
    assert(!f->set[i] || e->props[i].column != NULL);
    return f->set[i] && e->props[i].column != NULL;
}

int entity_insert(struct db_conn *conn, const struct db_entity *e, const struct db_fields *f,
                  char id[GUID_SIZE], struct lic_error *err)
{
    assert(e->nprops <= DB_FIELDS_MAX);
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "INSERT INTO ");
    sqlb_add(&b, e->table);
    sqlb_add(&b, " (");
    int first = 1;
    for (int i = 0; i < e->nprops; i++) {
        if (!is_set(e, f, i))
            continue;
        sqlb_add(&b, first ? "" : ", ");
        sqlb_add(&b, e->props[i].column);
        first = 0;
    }
    sqlb_add(&b, ") VALUES (");
    first = 1;
    for (int i = 0; i < e->nprops; i++) {
        if (!is_set(e, f, i))
            continue;
        sqlb_add(&b, first ? "" : ", ");
        add_value(&b, &e->props[i], f->value[i]);
        first = 0;
    }
    sqlb_add(&b, ") RETURNING id");
    PGresult *r;
    int rc = exec_write(conn, &b, &r, err);
    if (rc != 0)
        return rc;
    snprintf(id, GUID_SIZE, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int entity_update(struct db_conn *conn, const struct db_entity *e, const char *id,
                  const struct db_fields *f, struct lic_error *err)
{
    assert(e->nprops <= DB_FIELDS_MAX);
    if (!guid_valid(id))
        return db_not_found(id, err);
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "UPDATE ");
    sqlb_add(&b, e->table);
    sqlb_add(&b, " SET updated_at = now()");
    for (int i = 0; i < e->nprops; i++) {
        if (!is_set(e, f, i))
            continue;
        sqlb_add(&b, ", ");
        sqlb_add(&b, e->props[i].column);
        sqlb_add(&b, " = ");
        add_value(&b, &e->props[i], f->value[i]);
    }
    sqlb_add(&b, " WHERE id = ");
    sqlb_param(&b, id);
    sqlb_add(&b, "::uuid");
    PGresult *r;
    int rc = exec_write(conn, &b, &r, err);
    if (rc != 0)
        return rc;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n == 0 ? db_not_found(id, err) : 0;
}
