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

/* ---- init-organization ---- */

static const struct db_stmt stmt_lock = {
    "dir_org_lock",
    "SELECT id, display_name, country_letter_code, verified_domains::text, " DB_TIME(
        "created_at") " FROM organization FOR UPDATE",
    0};
static const struct db_stmt stmt_create = {
    "dir_org_create",
    "INSERT INTO organization (display_name, country_letter_code, verified_domains)"
    " VALUES ($1, $2, $3::jsonb) ON CONFLICT (singleton) DO NOTHING RETURNING id",
    3};
static const struct db_stmt stmt_set = {
    "dir_org_set",
    "UPDATE organization SET display_name = $2, country_letter_code = $3,"
    " verified_domains = $4::jsonb WHERE id = $1::uuid AND (display_name, country_letter_code,"
    " verified_domains) IS DISTINCT FROM ($2, $3, $4::jsonb)",
    4};

int db_org_lock(struct db_conn *conn, struct db_rows **rows, struct lic_error *err)
{
    return db_rows_exec(conn, &stmt_lock, NULL, rows, err);
}

int db_org_setup(struct db_conn *conn, const char *display_name, const char *country,
                 const char *domains, struct db_rows **before, char id[GUID_SIZE],
                 enum org_setup_outcome *outcome, struct lic_error *err)
{
    *before = NULL;
    if (db_org_lock(conn, before, err) != 0)
        return -1;
    if ((*before)->nrows > 0) {
        snprintf(id, GUID_SIZE, "%s", db_rows_get(*before, 0, OCOL_ID));
        const char *params[] = {id, display_name, country, domains};
        long n = db_exec_command(conn, &stmt_set, params, err);
        if (n < 0)
            return -1;
        *outcome = n > 0 ? ORG_SETUP_UPDATED : ORG_SETUP_UNCHANGED;
        return 0;
    }
    db_rows_free(*before);
    *before = NULL;
    const char *params[] = {display_name, country, domains};
    PGresult *r = db_exec(conn, &stmt_create, params, err);
    if (r == NULL)
        return -1;
    int created = PQntuples(r) == 1;
    if (created)
        snprintf(id, GUID_SIZE, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!created)
        return DB_REFUSED_DUPLICATE; /* another set-up created it since the lock was taken */
    *outcome = ORG_SETUP_CREATED;
    return 0;
}
