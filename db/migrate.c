/* Applies the migrations compiled into the binary, once each, under an advisory lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/log.h"
#include "db/internal.h"

/* Any constant works; it only has to be the same for every replica. ("lic" "migr" in ASCII.) */
#define MIGRATION_LOCK_KEY "7586431085263729266"

static const struct db_stmt stmt_lock = {"migrate_lock", "SELECT pg_advisory_lock($1::bigint)", 1};
static const struct db_stmt stmt_unlock = {"migrate_unlock",
                                           "SELECT pg_advisory_unlock($1::bigint)", 1};
static const struct db_stmt stmt_applied = {
    "migrate_applied", "SELECT checksum FROM schema_migrations WHERE version = $1", 1};
static const struct db_stmt stmt_record = {
    "migrate_record", "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", 2};

static const char create_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   " version text PRIMARY KEY,"
                                   " checksum text NOT NULL,"
                                   " applied_at timestamptz NOT NULL DEFAULT now())";

/* FNV-1a, enough to notice a landed migration edited in place. */
static void checksum(const char *text, char out[17])
{
    unsigned long long h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", h);
}

static int apply_one(struct db_conn *conn, const struct db_migration *m, int *ran,
                     struct lic_error *err)
{
    char sum[17];
    checksum(m->sql, sum);
    const char *p_applied[] = {m->name};
    PGresult *r = db_exec(conn, &stmt_applied, p_applied, err);
    if (r == NULL)
        return -1;
    int done = PQntuples(r) > 0;
    if (done && strcmp(PQgetvalue(r, 0, 0), sum) != 0)
        log_event(LOG_WARN, "migration_changed",
                  "%s differs from the version applied; landed migrations must not be edited",
                  m->name);
    PQclear(r);
    if (done)
        return 0;

    if (db_begin(conn, err) != 0)
        return -1;
    const char *p_record[] = {m->name, sum};
    if (db_exec_simple(conn, m->sql, err) != 0) {
        char reason[sizeof(err->message)];
        snprintf(reason, sizeof(reason), "%s", PQerrorMessage(db_pgconn(conn)));
        reason[strcspn(reason, "\n")] = '\0';
        db_rollback(conn);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "migration %s failed: %s", m->name,
                             reason);
    }
    r = db_exec(conn, &stmt_record, p_record, err);
    if (r == NULL) {
        db_rollback(conn);
        return -1;
    }
    PQclear(r);
    if (db_commit(conn, err) != 0)
        return -1;
    log_event(LOG_INFO, "migration_applied", "%s", m->name);
    *ran = 1;
    return 0;
}

int db_migrate(struct db_conn *conn, unsigned *applied, struct lic_error *err)
{
    *applied = 0;
    const char *p_key[] = {MIGRATION_LOCK_KEY};
    PGresult *r = db_exec(conn, &stmt_lock, p_key, err);
    if (r == NULL)
        return -1;
    PQclear(r);

    int rc = db_exec_simple(conn, "SET client_min_messages = warning", err);
    if (rc == 0)
        rc = db_exec_simple(conn, create_table, err);
    for (unsigned i = 0; rc == 0 && i < db_migrations_count; i++) {
        int ran = 0;
        rc = apply_one(conn, &db_migrations[i], &ran, err);
        *applied += (unsigned)ran;
    }

    struct lic_error unlock_err;
    r = db_exec(conn, &stmt_unlock, p_key, &unlock_err);
    if (r != NULL)
        PQclear(r);
    return rc;
}
