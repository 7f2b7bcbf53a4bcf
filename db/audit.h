/* Writing directoryAudit records (reference §1.9); reading them is db/audit.c's list query. */
#ifndef LICENSINGD_DB_AUDIT_H
#define LICENSINGD_DB_AUDIT_H

#include "db/db.h"

struct audit_record {
    const char *activity;         /* activityDisplayName, e.g. "Add user", "Change user license" */
    const char *category;         /* "UserManagement", "GroupManagement", ... */
    const char *operation_type;   /* "Add", "Assign", "Update", "Unassign", "Delete" */
    const char *result;           /* "success" or "failure" */
    const char *result_reason;    /* "" when none */
    const char *initiated_by;     /* JSON text {user, app}; NULL -> {"user":null,"app":null} */
    const char *target_resources; /* JSON text array of targetResource; NULL -> [] */
    const char *additional_details; /* JSON text array of {key, value}; NULL -> [] */
};

/* Inserts one record inside the caller's transaction. */
int db_audit_write(struct db_conn *conn, const struct audit_record *rec, struct lic_error *err);

/* Inserts n records inside the caller's transaction, in one statement and in order. */
int db_audit_write_many(struct db_conn *conn, const struct audit_record *recs, int n,
                        struct lic_error *err) __attribute__((warn_unused_result));

/* Reading (GET /auditLogs/directoryAudits): newest first, keyset on (activityDateTime, id). */
enum audit_col {
    ACOL_ID,
    ACOL_TIME, /* 7 fraction digits, Z */
    ACOL_ACTIVITY,
    ACOL_CATEGORY,
    ACOL_CORRELATION,
    ACOL_LOGGED_BY,
    ACOL_OPERATION,
    ACOL_RESULT,
    ACOL_RESULT_REASON,
    ACOL_INITIATED_BY, /* JSON */
    ACOL_TARGETS,      /* JSON */
    ACOL_DETAILS,      /* JSON */
    ACOL_SORT_KEY,     /* microseconds since the epoch */
    ACOL_COUNT
};

struct filter_node;
struct db_rows;

/* Up to top + 1 rows older than (after_us, after_id) when given (decimal text of at most 18
 * digits, checked by the caller). */
int db_audit_list(struct db_conn *conn, const struct filter_node *filter, int top,
                  const char *after_us, const char *after_id, struct db_rows **rows,
                  struct lic_error *err) __attribute__((warn_unused_result));

/* The record with this id (decimal text of at most 18 digits, checked by the caller): one row,
 * or none. */
int db_audit_get(struct db_conn *conn, const char *id, struct db_rows **rows, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
