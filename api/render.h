/* Users and groups as Graph objects: rows of db/ rendered property by property from the entity's
 * table (db/directory_schema.h), relations loaded with one query per page. */
#ifndef LICENSINGD_API_RENDER_H
#define LICENSINGD_API_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "db/directory.h"

/* $select names, in the tables' order (bit i of a mask selects name i); NULL-terminated. */
extern const char *const user_props[];
extern const char *const group_props[];

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
