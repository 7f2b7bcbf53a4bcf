/* Inside db/ only: what users and groups share - a keyset-paged, filtered listing and writes of a
 * whitelisted set of fields - driven by a description of the table. */
#ifndef LICENSINGD_DB_ENTITIES_H
#define LICENSINGD_DB_ENTITIES_H

#include <stdatomic.h>

#include "service/base/guid.h"
#include "db/filter_sql.h"
#include "db/internal.h"

struct db_entity {
    const char *table;   /* "users" */
    const char *from;    /* "users u" */
    const char *columns; /* select list: each property's read expression and ", " */
    const char *id;      /* "u.id" */
    const char *order_keys[DB_ORDER_COUNT]; /* NULL = not orderable */
    const struct filter_schema *schema;
    const struct db_property *props; /* the entity's table (directory_schema.h) */
    int nprops;
    /* The representation (struct db_repr): each property's read expression, and the JSON
     * expression of each PROP_CUSTOM one (its relations, as subqueries on the row). */
    const char *const *reads;
    const char *const *custom;
    const char *odata_type; /* "#microsoft.graph.user" */
    /* Counts every row without scanning them (a count kept by triggers), or NULL: count(*). */
    const struct db_stmt *count_all;
};

/* Pages, filtered and keyset-ordered: representations (enum repr_col) when page->repr asks for
 * properties or the type, else the columns of the entity's table and the sort key. */
int entity_list(struct db_conn *conn, const struct db_entity *e, const struct db_page *page,
                struct db_rows **rows, long *count, struct lic_error *err) DB_MUST_CHECK;
/* Representations of the rows with these ids, in the order of ids (missing ones left out); the
 * sort key column is "". */
int entity_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids, int n,
                  const struct db_repr *repr, struct db_rows **rows,
                  struct lic_error *err) DB_MUST_CHECK;

/* Rows (the columns of the entity's table, sort key "") whose id is in ids, in any order. */
int entity_rows_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids,
                       int n, struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;

/* One object's representation found by a key: where is the condition on $1 (fixed SQL). The
 * default representation runs as a statement prepared once per connection (a GET by id is the
 * most frequent request: no planning, one round trip); any other is planned per request. */
struct repr_lookup {
    const char *name;  /* of the prepared statement */
    const char *where; /* "u.id = $1::uuid" */
    struct db_stmt stmt;
    _Atomic(const struct db_stmt *) ready; /* &stmt once its SQL is built */
};
/* 0 with one row in *rows, or -1 with err (404 when no row matches key). */
int entity_repr(struct db_conn *conn, const struct db_entity *e, struct repr_lookup *lookup,
                const char *key, const struct db_repr *repr, struct db_rows **rows,
                struct lic_error *err) DB_MUST_CHECK;
/* INSERT of the set fields, RETURNING id into id: 0, -1, or an enum db_refusal (a unique key or
 * a CHECK refused the row). */
int entity_insert(struct db_conn *conn, const struct db_entity *e, const struct db_fields *f,
                  char id[GUID_SIZE], struct lic_error *err) DB_MUST_CHECK;
/* UPDATE of the set fields (and updated_at): the same, and 404 when no row has this id. */
int entity_update(struct db_conn *conn, const struct db_entity *e, const char *id,
                  const struct db_fields *f, struct lic_error *err) DB_MUST_CHECK;

/* "{a,b,c}" from uuids, for a $n::uuid[] parameter. Owned by caller. */
char *db_uuid_array(const char *const *ids, int n);

/* A statement that takes one uuid[] parameter; rows copied into *rows. */
int db_rows_for_ids(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids, int n,
                    struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;

/* Runs a prepared statement and copies its rows. */
int db_rows_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                 struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;

/* One page with db_rows_exec(list); with want_count also count_stmt (same parameters, one row,
 * one number) into *count. On failure *rows is NULL. */
int db_rows_exec_counted(struct db_conn *conn, const struct db_stmt *list,
                         const struct db_stmt *count_stmt, const char *const *params,
                         int want_count, struct db_rows **rows, long *count,
                         struct lic_error *err) DB_MUST_CHECK;

/* The row with this id is not there: Graph's 404 (what happened to the data, not a refusal). */
int db_not_found(const char *id, struct lic_error *err);

#endif
