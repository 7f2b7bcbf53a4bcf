/* The organization (tenant) row: read, update, and creation for load-demo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/guid.h"
#include "db/entities.h"

static const struct db_stmt stmt_get = {
    "dir_org_get",
    "SELECT id, display_name, country_letter_code, verified_domains::text, " DB_TIME(
        "created_at") " FROM organization",
    0};
static const struct db_stmt stmt_update = {
    "dir_org_update",
    "UPDATE organization SET display_name = coalesce($2, display_name),"
    " country_letter_code = coalesce($3, country_letter_code) WHERE id = $1::uuid",
    3};
static const struct db_stmt stmt_ensure = {
    "dir_org_ensure",
    "INSERT INTO organization (display_name, country_letter_code, verified_domains)"
    " VALUES ($1, $2, jsonb_build_array(jsonb_build_object('capabilities',"
    " 'Email, OfficeCommunicationsOnline', 'isDefault', true, 'isInitial', true, 'name', $3::text,"
    " 'type', 'Managed'))) ON CONFLICT (singleton) DO NOTHING",
    3};

int db_org_get(struct db_conn *conn, struct db_rows **rows, struct lic_error *err)
{
    return db_rows_exec(conn, &stmt_get, NULL, rows, err);
}

int db_org_update(struct db_conn *conn, const char *id, const char *display_name,
                  const char *country, struct lic_error *err)
{
    if (!guid_valid(id))
        return db_not_found(id, err);
    const char *params[] = {id, display_name, country};
    long n = db_exec_command(conn, &stmt_update, params, err);
    if (n < 0)
        return -1;
    return n == 0 ? db_not_found(id, err) : 0;
}

int db_org_ensure(struct db_conn *conn, const char *display_name, const char *country,
                  const char *domain, int *created, struct lic_error *err)
{
    const char *params[] = {display_name, country, domain};
    long n = db_exec_command(conn, &stmt_ensure, params, err);
    if (n < 0)
        return -1;
    if (created != NULL)
        *created = n > 0;
    return 0;
}
