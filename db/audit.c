/* directoryAudit storage. */
#include "db/audit.h"

#include <assert.h>
#include <stdio.h>

#include "service/base/buf.h"
#include "db/entities.h"
#include "db/filter_sql.h"
#include "db/internal.h"

static const struct db_stmt stmt_write = {
    "audit_write",
    "INSERT INTO directory_audits (activity_display_name, category, operation_type, result,"
    " result_reason, initiated_by, target_resources, additional_details)"
    " VALUES ($1, $2, $3, $4, $5, coalesce($6::jsonb, '{\"user\":null,\"app\":null}'),"
    " coalesce($7::jsonb, '[]'), coalesce($8::jsonb, '[]'))",
    8};

int db_audit_write(struct db_conn *conn, const struct audit_record *rec, struct lic_error *err)
{
    const char *params[] = {rec->activity,
                            rec->category,
                            rec->operation_type,
                            rec->result,
                            rec->result_reason ? rec->result_reason : "",
                            rec->initiated_by,
                            rec->target_resources,
                            rec->additional_details};
    PGresult *r = db_exec(conn, &stmt_write, params, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static const struct db_stmt stmt_write_many = {
    "audit_write_many",
    "INSERT INTO directory_audits (activity_display_name, category, operation_type, result,"
    " result_reason, initiated_by, target_resources, additional_details)"
    " SELECT a, c, o, r, rr, coalesce(b::jsonb, '{\"user\":null,\"app\":null}'),"
    "        coalesce(t::jsonb, '[]'), coalesce(d::jsonb, '[]')"
    "   FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    "               $7::text[], $8::text[]) WITH ORDINALITY AS x(a, c, o, r, rr, b, t, d, n)"
    "  ORDER BY n",
    8};

int db_audit_write_many(struct db_conn *conn, const struct audit_record *recs, int n,
                        struct lic_error *err)
{
    struct buf cols[8] = {{0}};
    for (int k = 0; k < 8; k++)
        db_array_begin(&cols[k]);
    for (int i = 0; i < n; i++) {
        const struct audit_record *rec = &recs[i];
        const char *row[8] = {rec->activity,
                              rec->category,
                              rec->operation_type,
                              rec->result,
                              rec->result_reason ? rec->result_reason : "",
                              rec->initiated_by,
                              rec->target_resources,
                              rec->additional_details};
        for (int k = 0; k < 8; k++)
            db_array_add(&cols[k], row[k]);
    }
    const char *params[8];
    int failed = 0;
    for (int k = 0; k < 8; k++) {
        db_array_end(&cols[k]);
        failed |= cols[k].failed;
        params[k] = cols[k].data;
    }
    long rc = failed ? lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory")
                     : db_exec_command(conn, &stmt_write_many, params, err);
    for (int k = 0; k < 8; k++)
        buf_free(&cols[k]);
    return rc < 0 ? -1 : 0;
}

/* Listing: the filter compiler with Graph's directoryAudit filters, and a descending keyset.
 * Initiators and target ids have indexes (migrations/012); a target's name is matched by scan. */
#define INITIATOR(path) "lower(a.initiated_by #>> '{" path "}') COLLATE \"C\""
static const struct filter_column audit_columns[] = {
    {"activityDateTime", "a.activity_at", FCOL_TIME, FOP_EQ | FOP_RANGE},
    {"activityDisplayName", "lower(a.activity_display_name) COLLATE \"C\"", FCOL_TEXT,
     FOP_EQ | FOP_STARTS},
    {"category", "lower(a.category) COLLATE \"C\"", FCOL_TEXT, FOP_EQ},
    {"result", "lower(a.result) COLLATE \"C\"", FCOL_TEXT, FOP_EQ},
    {"correlationId", "a.correlation_id", FCOL_UUID, FOP_EQ},
    {"initiatedBy/user/id", INITIATOR("user,id"), FCOL_TEXT, FOP_EQ},
    {"initiatedBy/user/displayName", INITIATOR("user,displayName"), FCOL_TEXT, FOP_EQ | FOP_STARTS},
    {"initiatedBy/user/userPrincipalName", INITIATOR("user,userPrincipalName"), FCOL_TEXT,
     FOP_EQ | FOP_STARTS},
    {"initiatedBy/app/appId", INITIATOR("app,appId"), FCOL_TEXT, FOP_EQ},
    {"initiatedBy/app/displayName", INITIATOR("app,displayName"), FCOL_TEXT, FOP_EQ | FOP_STARTS},
    {NULL, NULL, FCOL_TEXT, 0},
};
#define AUDIT_TARGETS "EXISTS (SELECT 1 FROM jsonb_array_elements(a.target_resources) t(v) WHERE "
static const struct filter_lambda audit_lambdas[] = {
    {"targetResources", "id", "(", "jsonb_path_query_array(a.target_resources, '$[*].id')",
     FCOL_JSON_MEMBER, FOP_EQ},
    {"targetResources", "displayName", AUDIT_TARGETS, "lower(t.v->>'displayName') COLLATE \"C\"",
     FCOL_TEXT, FOP_EQ | FOP_STARTS},
    {"targetResources", "userPrincipalName", AUDIT_TARGETS,
     "lower(t.v->>'userPrincipalName') COLLATE \"C\"", FCOL_TEXT, FOP_EQ | FOP_STARTS},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_schema audit_schema = {"directoryAudit", audit_columns, audit_lambdas};

/* The columns of enum audit_col. */
#define AUDIT_COLUMNS                                                                              \
    "a.id, to_char(a.activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"0Z\"'),"       \
    " a.activity_display_name, a.category, a.correlation_id, a.logged_by_service,"                 \
    " a.operation_type, a.result, a.result_reason, a.initiated_by::text,"                          \
    " a.target_resources::text, a.additional_details::text,"                                       \
    " (extract(epoch from a.activity_at) * 1000000)::bigint"

static const struct db_stmt stmt_get = {
    "audit_get", "SELECT " AUDIT_COLUMNS " FROM directory_audits a WHERE a.id = $1::bigint", 1};

int db_audit_get(struct db_conn *conn, const char *id, struct db_rows **rows, struct lic_error *err)
{
    const char *params[] = {id};
    return db_rows_exec(conn, &stmt_get, params, rows, err);
}

int db_audit_list(struct db_conn *conn, const struct filter_node *filter, int top,
                  const char *after_us, const char *after_id, struct db_rows **rows,
                  struct lic_error *err)
{
    *rows = NULL;
    assert((after_us == NULL) == (after_id == NULL));
    struct sql_builder b;
    sqlb_init(&b);
    sqlb_add(&b, "SELECT " AUDIT_COLUMNS " FROM directory_audits a WHERE true");
    int rc = -1;
    if (filter != NULL) {
        sqlb_add(&b, " AND ");
        if (filter_sql_compile(filter, &audit_schema, &b, err) != 0)
            goto out;
    }
    if (after_us != NULL) {
        sqlb_add(&b, " AND (a.activity_at, a.id) < (timestamptz 'epoch' + ");
        sqlb_param(&b, after_us);
        sqlb_add(&b, "::bigint * interval '1 microsecond', ");
        sqlb_param(&b, after_id);
        sqlb_add(&b, "::bigint)");
    }
    char limit[64];
    snprintf(limit, sizeof(limit), " ORDER BY a.activity_at DESC, a.id DESC LIMIT %d", top + 1);
    sqlb_add(&b, limit);
    PGresult *r = sqlb_exec(conn, &b, err);
    if (r == NULL)
        goto out;
    if ((*rows = db_rows_from_result(r)) == NULL)
        PQclear(r);
    rc = *rows ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
out:
    sqlb_free(&b);
    return rc;
}
