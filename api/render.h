/* Users and groups as Graph objects: which representation a request asks for. PostgreSQL
 * assembles the objects themselves (db/entities.c, from the entity's property table in
 * db/directory_schema.h); api/ passes their JSON text through. */
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

/* A mask over names (another list of property names) as a mask over props: the selected names
 * that props has (a name only another type has is left out). */
uint64_t render_mask_by_names(const char *const *names, uint64_t mask, const char *const *props);

/* Parsed JSON text, or fallback when text is NULL or not JSON (the unused one is released). */
json_t *render_json_or(const char *text, json_t *fallback);

#endif
