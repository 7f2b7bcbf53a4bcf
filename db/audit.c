/* directoryAudit storage. */
#include "audit.h"

#include "internal.h"

static const struct db_stmt stmt_write = {
    "audit_write",
    "INSERT INTO directory_audits (activity_display_name, category, operation_type, result,"
    " result_reason, initiated_by, target_resources, additional_details)"
    " VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{\"user\":null,\"app\":null}'),"
    " coalesce($7::jsonb, '[]'), coalesce($8::jsonb, '[]'))",
    8};

int db_audit_write(struct db_conn *conn, const struct audit_record *rec, struct lic_error *err)
{
    const char *params[] = {rec->activity,         rec->category,
                            rec->operation_type,   rec->result,
                            rec->result_reason ? rec->result_reason : "",
                            rec->initiated_by,     rec->target_resources,
                            rec->additional_details};
    PGresult *r = db_exec(conn, &stmt_write, params, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}
