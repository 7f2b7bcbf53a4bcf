/* GET /v1.0/auditLogs/directoryAudits: newest first, $filter on time and activity, keyset pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "api/directory.h"

static const char *const audit_props[] = {"id",
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

API_HANDLER(api_audit_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    const char *after[2]; /* activityDateTime in microseconds, id */
    if (list_options_parse(req, audit_props, LIST_FILTER, &o, &err) != 0 ||
        list_options_after_numbers(&o, 2, after, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_audit_list(conn, o.filter, o.top, after[0], after[1], &rows, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    json_t *j_items = json_array();
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof(id), "LICD_%s", db_rows_get(rows, i, ACOL_ID));
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", id, "category",
            db_rows_get(rows, i, ACOL_CATEGORY), "correlationId",
            db_rows_get(rows, i, ACOL_CORRELATION), "result", db_rows_get(rows, i, ACOL_RESULT),
            "resultReason", db_rows_get(rows, i, ACOL_RESULT_REASON), "activityDisplayName",
            db_rows_get(rows, i, ACOL_ACTIVITY), "activityDateTime",
            db_rows_get(rows, i, ACOL_TIME), "loggedByService",
            db_rows_get(rows, i, ACOL_LOGGED_BY), "operationType",
            db_rows_get(rows, i, ACOL_OPERATION), "initiatedBy",
            render_json_or(db_rows_get(rows, i, ACOL_INITIATED_BY), json_object()),
            "targetResources", render_json_or(db_rows_get(rows, i, ACOL_TARGETS), json_array()),
            "additionalDetails", render_json_or(db_rows_get(rows, i, ACOL_DETAILS), json_array()));
        odata_apply_select(j, audit_props, o.select);
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
