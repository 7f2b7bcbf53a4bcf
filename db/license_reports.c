/* Read-only licensing reports; each is one indexed statement producing Graph-style JSON. */
#include "db/license_reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/buf.h"
#include "db/internal.h"

/* Two statements, first page and next pages, so the keyset bound is an index condition. */
#define ERRORS_SQL(after)                                                                          \
    "SELECT json_build_object('userId', l.user_id, 'userPrincipalName', u.user_principal_name,"    \
    "        'displayName', u.display_name, 'skuId', l.sku_id, 'skuPartNumber', "                  \
    "s.sku_part_number,"                                                                           \
    "        'assignedByGroup', l.group_id, 'groupDisplayName', g.display_name,"                   \
    "        'state', l.state, 'error', l.error, 'message', l.error_message,"                      \
    "        'lastUpdatedDateTime', to_char(l.updated_at AT TIME ZONE 'UTC',"                      \
    "                                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))::text,"            \
    "       l.user_id, l.sku_id, l.path_id"                                                        \
    "  FROM license_assignment_states l"                                                           \
    "  JOIN users u ON u.id = l.user_id JOIN skus s ON s.sku_id = l.sku_id"                        \
    "  LEFT JOIN groups g ON g.id = l.group_id"                                                    \
    " WHERE l.error <> 'None'"                                                                     \
    "   AND ($1::text IS NULL OR l.error = $1) AND ($2::uuid IS NULL OR l.sku_id = $2)"            \
    "   AND ($3::uuid IS NULL OR l.group_id = $3)" after                                           \
    " ORDER BY l.user_id, l.sku_id, l.path_id LIMIT $4"

static const struct db_stmt stmt_errors_first = {"report_errors_first", ERRORS_SQL(""), 4};
static const struct db_stmt stmt_errors_next = {
    "report_errors_next",
    ERRORS_SQL(" AND (l.user_id, l.sku_id, l.path_id) > ($5::uuid, $6::uuid, $7::uuid)"), 7};

static const struct db_stmt stmt_overview = {
    "report_overview",
    "SELECT json_build_object("
    " 'products', (SELECT coalesce(json_agg(json_build_object("
    "     'skuId', s.sku_id, 'skuPartNumber', s.sku_part_number,"
    "     'seatsBought', s.prepaid_enabled, 'seatsConsumed', s.consumed_units,"
    "     'seatsAvailable', s.prepaid_enabled - s.consumed_units,"
    "     'usersInError', (SELECT count(DISTINCT e.user_id) FROM license_assignment_states e"
    "                       WHERE e.sku_id = s.sku_id AND e.error <> 'None'))"
    "     ORDER BY s.sku_part_number, s.sku_id), '[]') FROM skus s"
    "   WHERE s.prepaid_enabled > 0 OR s.consumed_units > 0),"
    " 'errorsByCode', (SELECT coalesce(json_agg(json_build_object('error', x.error,"
    "     'users', x.users, 'groups', x.groups) ORDER BY x.error), '[]') FROM ("
    "       SELECT error, count(DISTINCT user_id) AS users, count(DISTINCT group_id) AS groups"
    "         FROM license_assignment_states WHERE error <> 'None' GROUP BY error) x),"
    " 'groupsInError', (SELECT count(DISTINCT group_id) FROM license_assignment_states"
    "                    WHERE error <> 'None' AND group_id IS NOT NULL),"
    " 'usersInError', (SELECT count(DISTINCT user_id) FROM license_assignment_states"
    "                   WHERE error <> 'None'),"
    " 'groupsProcessing', (SELECT coalesce(json_agg(json_build_object("
    "     'groupId', g.id, 'displayName', g.display_name, 'state', g.license_processing_state,"
    "     'membersDone', coalesce(w.done, 0),"
    "     'membersTotal', coalesce(w.total, (SELECT count(*) FROM group_members m"
    "                                         WHERE m.group_id = g.id AND m.member_type = 'user')))"
    "     ORDER BY g.display_name, g.id), '[]')"
    "     FROM groups g LEFT JOIN LATERAL (SELECT done, total FROM work_queue"
    "                                       WHERE kind = 'group' AND target_id = g.id"
    "                                       ORDER BY id LIMIT 1) w ON true"
    "    WHERE g.license_processing_state <> 'ProcessingComplete'),"
    " 'lastCompletedReconciliationDateTime', (SELECT to_char(max(activity_at) AT TIME ZONE 'UTC',"
    "     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM directory_audits"
    "   WHERE activity_display_name = 'Finish applying group based license to users'))::text",
    0};

/* Users with an error from a group, by id: first page and next pages. */
static const struct db_stmt stmt_group_errors_first = {
    "report_group_errors_first",
    "SELECT DISTINCT user_id FROM license_assignment_states"
    " WHERE group_id = $1 AND error <> 'None' ORDER BY user_id LIMIT $2",
    2};
static const struct db_stmt stmt_group_errors_next = {
    "report_group_errors_next",
    "SELECT DISTINCT user_id FROM license_assignment_states"
    " WHERE group_id = $1 AND error <> 'None' AND user_id > $3::uuid ORDER BY user_id LIMIT $2",
    3};

/* Joins the first column of every row into "[a,b]"; sets *more when rows == limit + 1. */
static char *json_rows(PGresult *r, int limit, int *more, struct lic_error *err)
{
    int n = PQntuples(r);
    *more = n > limit;
    if (*more)
        n = limit;
    struct buf out = {0};
    buf_add(&out, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_add(&out, ",");
        buf_add_n(&out, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
    }
    buf_add(&out, "]");
    char *text = buf_take(&out);
    if (text == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return text;
}

char *db_license_errors_json(struct db_conn *conn, const struct error_filter *f,
                             const char *const after[3], int limit, int *more,
                             char next_key[3][GUID_SIZE], struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit + 1);
    const char *params[] = {f->error, f->sku_id, f->group_id, lim, after[0], after[1], after[2]};
    PGresult *r = db_exec(conn, after[0] ? &stmt_errors_next : &stmt_errors_first, params, err);
    if (r == NULL)
        return NULL;
    char *out = json_rows(r, limit, more, err);
    if (out != NULL && *more)
        for (int k = 0; k < 3; k++)
            snprintf(next_key[k], GUID_SIZE, "%s", PQgetvalue(r, limit - 1, k + 1));
    PQclear(r);
    return out;
}

char *db_license_overview_json(struct db_conn *conn, struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_overview, NULL, err);
    if (r == NULL)
        return NULL;
    char *out = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (out == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return out;
}

int db_group_error_member_ids(struct db_conn *conn, const char *group_id, const char *after,
                              int limit, char (*ids)[GUID_SIZE], int *more, struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit + 1);
    const char *params[] = {group_id, lim, after};
    PGresult *r =
        db_exec(conn, after ? &stmt_group_errors_next : &stmt_group_errors_first, params, err);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    *more = n > limit;
    if (*more)
        n = limit;
    for (int i = 0; i < n; i++)
        snprintf(ids[i], GUID_SIZE, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return n;
}
