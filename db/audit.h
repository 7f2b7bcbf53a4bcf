/* Writing directoryAudit records (reference §1.9); reading them is db/audit.c's list query. */
#ifndef LICENSINGD_DB_AUDIT_H
#define LICENSINGD_DB_AUDIT_H

#include "db.h"

struct audit_record {
    const char *activity;        /* activityDisplayName, e.g. "Add user", "Change user license" */
    const char *category;        /* "UserManagement", "GroupManagement", ... */
    const char *operation_type;  /* "Add", "Assign", "Update", "Unassign", "Delete" */
    const char *result;          /* "success" or "failure" */
    const char *result_reason;   /* "" when none */
    const char *initiated_by;    /* JSON text {user, app}; NULL -> {"user":null,"app":null} */
    const char *target_resources;   /* JSON text array of targetResource; NULL -> [] */
    const char *additional_details; /* JSON text array of {key, value}; NULL -> [] */
};

/* Inserts one record inside the caller's transaction. */
int db_audit_write(struct db_conn *conn, const struct audit_record *rec, struct lic_error *err);

#endif
