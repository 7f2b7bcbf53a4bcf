/* Demo data compiled into the binary (db/demo/, embedded by tools/embed.c) and its loaders. */
#ifndef LICENSINGD_DB_DEMO_H
#define LICENSINGD_DB_DEMO_H

#include "db.h"

/* The files of db/demo/ by base name ("catalog.json"); NULL when there is none. */
const char *db_demo_file(const char *name);

/* Creates the organization when there is none (verified domain as default and initial);
 * *created 1 if it did. Caller's transaction. */
int db_demo_ensure_org(struct db_conn *conn, const char *display_name, const char *country,
                       const char *domain, int *created, struct lic_error *err);

/* Runs db/demo/directory.sql (groups, users, memberships; idempotent) in the caller's
 * transaction. */
int db_demo_load_directory(struct db_conn *conn, struct lic_error *err);

#endif
