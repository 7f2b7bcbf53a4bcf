/* Inside db/ only: what users and groups share - a keyset-paged, filtered listing and writes of a
 * whitelisted set of fields - driven by a description of the table. */
#ifndef LICENSINGD_DB_ENTITIES_H
#define LICENSINGD_DB_ENTITIES_H

#include "service/base/guid.h"
#include "db/filter_sql.h"

#define DB_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct db_field_column {
    const char *column; /* column name in the table */
    const char *open;   /* SQL around the parameter: open $n close */
    const char *close;
};

struct db_entity {
    const char *table;         /* "users" */
    const char *from;          /* "users u" */
    const char *columns;       /* select list (without the sort key) */
    const char *id;            /* "u.id" */
    const char *order_keys[2]; /* per enum db_order; NULL = not orderable */
    const struct filter_schema *schema;
    const struct db_field_column *fields; /* per field enum */
    int nfields;
    const char *unique_message; /* 400 text for a unique violation on write */
};

int entity_list(struct db_conn *conn, const struct db_entity *e, const struct db_page *page,
                struct db_rows **rows, long *count, struct lic_error *err);
/* Rows whose id is in ids (any order); sort key column is empty. */
int entity_by_ids(struct db_conn *conn, const struct db_entity *e, const char *const *ids, int n,
                  struct db_rows **rows, struct lic_error *err);
/* INSERT of the set fields, RETURNING id into id. */
int entity_insert(struct db_conn *conn, const struct db_entity *e, const struct db_fields *f,
                  char id[GUID_SIZE], struct lic_error *err);
/* UPDATE of the set fields (and updated_at); 404 when no row has this id. */
int entity_update(struct db_conn *conn, const struct db_entity *e, const char *id,
                  const struct db_fields *f, struct lic_error *err);

/* "{a,b,c}" from uuids, for a $n::uuid[] parameter. Owned by caller. */
char *db_uuid_array(const char *const *ids, int n);

/* A statement that takes one uuid[] parameter; rows copied into *rows. */
int db_rows_for_ids(struct db_conn *conn, const struct db_stmt *stmt, const char *const *ids, int n,
                    struct db_rows **rows, struct lic_error *err);

/* Runs a prepared statement and copies its rows. */
int db_rows_exec(struct db_conn *conn, const struct db_stmt *stmt, const char *const *params,
                 struct db_rows **rows, struct lic_error *err);

/* One page with db_rows_exec(list); with want_count also count_stmt (same parameters, one row,
 * one number) into *count. On failure *rows is NULL. */
int db_rows_exec_counted(struct db_conn *conn, const struct db_stmt *list,
                         const struct db_stmt *count_stmt, const char *const *params,
                         int want_count, struct db_rows **rows, long *count, struct lic_error *err);

int db_not_found(const char *id, struct lic_error *err);

#endif
