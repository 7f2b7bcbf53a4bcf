/* Users and groups as Graph objects: PostgreSQL assembles each object from the entity's property
 * table (db/directory_schema.h, db/entities.c); api/ passes the JSON text through (the lists and
 * GET of the hot paths) or parses it where an answer is built with jansson. */
#ifndef LICENSINGD_API_RENDER_H
#define LICENSINGD_API_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "db/directory.h"

/* $select names, in the tables' order (bit i of a mask selects name i); NULL-terminated. */
extern const char *const user_props[];
extern const char *const group_props[];

/* The representation for a $select mask over the entity's names (0: the default properties). */
struct db_repr render_repr(const struct db_property *props, int nprops, uint64_t select,
                           int with_type);

/* Rows 0..n-1 -> Graph objects appended to j_items; mask 0 = the default property set. With
 * with_type, each item carries @odata.type. 0, or -1 with err. */
int render_users(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                 int with_type, json_t *j_items, struct lic_error *err)
    __attribute__((warn_unused_result));
int render_groups(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Parsed JSON text, or fallback when text is NULL or not JSON (the unused one is released). */
json_t *render_json_or(const char *text, json_t *fallback);

#endif
