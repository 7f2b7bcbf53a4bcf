/* The audit room: every directoryAudit record licensingd writes is built here, by one function,
 * with one failure policy. Graph's shape: docs/graph-licensing-reference.md (directoryAudit).
 *
 * Failure policy: a record is written in the transaction of the change it describes, and when it
 * cannot be written the change fails with it (no change is ever committed without its record):
 * audit_write returns -1 and the caller rolls back. The only records written outside a change
 * are those of refused changes (audit_write_refusal): the refusal already stands, so a failure
 * to record it is logged at warn and does not change the answer the client gets. */
#ifndef LICENSINGD_AUDIT_H
#define LICENSINGD_AUDIT_H

#include <jansson.h>

#include "service/base/error.h"

struct db_conn;

/* activityDisplayName, category and operationType come from one table (audit.c). */
enum audit_activity {
    AUDIT_ADD_USER,
    AUDIT_UPDATE_USER,
    AUDIT_DELETE_USER,
    AUDIT_ADD_GROUP,
    AUDIT_UPDATE_GROUP,
    AUDIT_DELETE_GROUP,
    AUDIT_ADD_MEMBER,
    AUDIT_REMOVE_MEMBER,
    AUDIT_SET_GROUP_LICENSE,
    AUDIT_CHANGE_USER_LICENSE,
    AUDIT_GROUP_LICENSE_START,  /* "Start applying group based license to users" */
    AUDIT_GROUP_LICENSE_FINISH, /* "Finish applying group based license to users" */
    AUDIT_LICENSE_CONCURRENCY,  /* LicenseAssignmentAttributeConcurrencyException */
    /* licensing (service/license_save.c) */
    AUDIT_USER_LICENSE_ASSIGNED,   /* "Change user license" (Assign): the worker gave licenses */
    AUDIT_USER_LICENSE_UNASSIGNED, /* "Change user license" (Unassign): the worker took them */
    /* catalog (service/skus.c, service/plans.c, service/catalog_import.c) */
    AUDIT_ADD_SKU,
    AUDIT_UPDATE_SKU, /* prepaidUnits (seats) and capabilityStatus */
    AUDIT_DELETE_SKU,
    AUDIT_UPDATE_PLAN,       /* a service plan's names and rules */
    AUDIT_IMPORT_CATALOG,    /* import-catalog FILE.csv, load-demo */
    AUDIT_IMPORT_PLAN_RULES, /* import-catalog --rules, load-demo */
    /* organization (service/organization.c) */
    AUDIT_CREATE_COMPANY,   /* init-organization on an empty deployment */
    AUDIT_SET_COMPANY_INFO, /* the organization's name, country or domains changed */
    AUDIT_ACTIVITY_COUNT
};

const char *audit_activity_name(enum audit_activity a);

/* Who made the change (initiatedBy): a user, an application, or nobody known (both NULL). */
struct audit_actor {
    const char *user_id;  /* initiatedBy.user.id */
    const char *user_upn; /* initiatedBy.user.userPrincipalName */
    const char *app_id;   /* initiatedBy.app.appId */
    const char *app_name; /* initiatedBy.app.displayName */
};

/* The actor of group-based licensing work (worker, reprocessing): Graph's service principal. */
extern const struct audit_actor audit_actor_group_licensing;

/* One targetResource. */
struct audit_target {
    const char *type; /* "User", "Group", ... */
    const char *id;
    const char *display_name; /* NULL -> null */
    const char *upn;          /* NULL -> null */
    json_t *j_modified;       /* stolen: [{displayName, oldValue, newValue}]; NULL -> [] */
};

struct audit_entry {
    enum audit_activity activity;
    const struct audit_actor *by; /* NULL: nobody known */
    struct audit_target *targets;
    int n_targets;
    const char *failure; /* NULL: result "success"; else "failure" with this resultReason */
    json_t *j_details;   /* stolen: additionalDetails [{key, value}]; NULL -> [] */
    const char *reason;  /* resultReason of a success (NULL -> "") */
};

/* A modifiedProperties entry (values as Graph writes them: JSON text in strings). */
json_t *audit_modified(const char *name, const char *old_value, const char *new_value);

/* Writes the record in the caller's transaction; 0, or -1 with err (the caller rolls back).
 * Always consumes the entry's stolen references. */
int audit_write(struct db_conn *conn, struct audit_entry *entry, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Writes n records in the caller's transaction in one statement (the worker's per-user records);
 * same policy as audit_write. Always consumes the entries' stolen references. */
int audit_write_many(struct db_conn *conn, struct audit_entry *entries, int n,
                     struct lic_error *err) __attribute__((warn_unused_result));

/* Records a refused change in its own statement (outside any rolled-back transaction); a failure
 * is logged at warn. */
void audit_write_refusal(struct db_conn *conn, struct audit_entry *entry);

/* initiatedBy as JSON text for records written in bulk by SQL (caller frees). */
char *audit_actor_json(const struct audit_actor *by);

#endif
