/* The demo organization and directory (make run): idempotent inserts of fixed objects. */
#include "db/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* Generated from db/demo/ by tools/embed.c (build/gen/demo.c). */
extern const struct db_migration db_demo_files[];
extern const unsigned db_demo_files_count;

const char *db_demo_file(const char *name)
{
    for (unsigned i = 0; i < db_demo_files_count; i++)
        if (strcmp(db_demo_files[i].name, name) == 0)
            return db_demo_files[i].sql;
    return NULL;
}

int db_demo_load_directory(struct db_conn *conn, struct lic_error *err)
{
    const char *sql = db_demo_file("directory.sql");
    if (sql == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "directory.sql is not embedded");
    return db_exec_simple(conn, sql, err);
}
