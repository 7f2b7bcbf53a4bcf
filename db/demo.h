/* Demo data compiled into the binary (db/demo/, embedded by tools/embed.c) and its loaders. */
#ifndef LICENSINGD_DB_DEMO_H
#define LICENSINGD_DB_DEMO_H

#include "db/db.h"

/* The files of db/demo/ by base name ("catalog.json"); NULL when there is none. */
const char *db_demo_file(const char *name);

/* Runs db/demo/directory.sql (groups, users, memberships; idempotent) in the caller's
 * transaction. */
int db_demo_load_directory(struct db_conn *conn, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
