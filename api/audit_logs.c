/* GET /v1.0/auditLogs/directoryAudits: newest first, $filter on time and activity, keyset pages;
 * and one record by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "api/metadata.h"
#include "api/directory.h"

const char *const api_audit_props[] = {"id",
                                       "category",
                                       "correlationId",
                                       "result",
                                       "resultReason",
                                       "activityDisplayName",
                                       "activityDateTime",
                                       "loggedByService",
                                       "operationType",
                                       "initiatedBy",
                                       "targetResources",
                                       "additionalDetails",
                                       NULL};

static json_t *audit_json(const struct db_rows *rows, int i)
{
    char id[64];
    snprintf(id, sizeof(id), "LICD_%s", db_rows_get(rows, i, ACOL_ID));
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", id, "category",
        db_rows_get(rows, i, ACOL_CATEGORY), "correlationId",
        db_rows_get(rows, i, ACOL_CORRELATION), "result", db_rows_get(rows, i, ACOL_RESULT),
        "resultReason", db_rows_get(rows, i, ACOL_RESULT_REASON), "activityDisplayName",
        db_rows_get(rows, i, ACOL_ACTIVITY), "activityDateTime", db_rows_get(rows, i, ACOL_TIME),
        "loggedByService", db_rows_get(rows, i, ACOL_LOGGED_BY), "operationType",
        db_rows_get(rows, i, ACOL_OPERATION), "initiatedBy",
        render_json_or(db_rows_get(rows, i, ACOL_INITIATED_BY), json_object()), "targetResources",
        render_json_or(db_rows_get(rows, i, ACOL_TARGETS), json_array()), "additionalDetails",
        render_json_or(db_rows_get(rows, i, ACOL_DETAILS), json_array()));
}

#define AUDIT_TYPE "microsoft.graph.directoryAudit"

API_HANDLER(api_audit_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    const char *after[2]; /* activityDateTime in microseconds, id */
    if (list_options_parse(req, api_audit_props, AUDIT_TYPE, LIST_FILTER | LIST_ORDER_NEWEST, &o,
                           &err) != 0 ||
        list_options_after_numbers(&o, 2, after, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_audit_list(conn, o.filter, o.top, after[0], after[1], &rows, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    json_t *j_items = json_array();
    for (int i = 0; i < n; i++) {
        json_t *j = audit_json(rows, i);
        odata_apply_select(j, api_audit_props, o.select);
        json_array_append_new(j_items, j);
    }
    const char *parts[] = {n > 0 ? db_rows_get(rows, n - 1, ACOL_SORT_KEY) : NULL,
                           n > 0 ? db_rows_get(rows, n - 1, ACOL_ID) : NULL};
    odata_reply_page(app, req, res, "auditLogs/directoryAudits", j_items, -1,
                     rows->nrows > o.top ? parts : NULL, 2);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

/* GET /auditLogs/directoryAudits/{id}: ids are "LICD_" and the record's number. */
API_HANDLER(api_audit_get)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    uint64_t mask = 0;
    int rc = -1;
    const char *key = req->params.values[0];
    const char *number = strncmp(key, "LICD_", 5) == 0 ? key + 5 : "";
    size_t digits = strspn(number, "0123456789");
    if (odata_parse_select(api_query(req, "$select"), api_audit_props, AUDIT_TYPE, &mask, &err) !=
        0)
        goto out;
    if (digits == 0 || digits > 18 || number[digits] != '\0' ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_audit_get(conn, number, &rows, &err) != 0 || rows->nrows == 0) {
        if (err.kind == LIC_OK)
            lic_error_set(&err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                          "Resource '%.100s' does not exist or one of its queried "
                          "reference-property objects are not present.",
                          key);
        goto out;
    }
    char context[1024];
    odata_context(app, req, "auditLogs/directoryAudits", 1, context, sizeof(context));
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    json_t *j_audit = audit_json(rows, 0);
    odata_apply_select(j_audit, api_audit_props, mask);
    json_object_update(j, j_audit);
    json_decref(j_audit);
    api_reply_json(res, 200, j);
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
