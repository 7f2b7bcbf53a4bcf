/* directoryAudit retention: the oldest records past the cut-off, one small batch per statement so
 * no purge holds locks or bloats a transaction. */
#include "db/retention.h"

#include <stdio.h>

#include "db/internal.h"

static const struct db_stmt stmt_purge = {
    "audit_purge",
    "DELETE FROM directory_audits WHERE id IN ("
    " SELECT id FROM directory_audits"
    "  WHERE activity_at < now() - make_interval(days => $1::int)"
    "  ORDER BY activity_at LIMIT $2::int)",
    2};

long db_audit_purge(struct db_conn *conn, unsigned days, unsigned batch, struct lic_error *err)
{
    char d[16], n[16];
    snprintf(d, sizeof(d), "%u", days);
    snprintf(n, sizeof(n), "%u", batch);
    const char *params[] = {d, n};
    return db_exec_command(conn, &stmt_purge, params, err);
}
