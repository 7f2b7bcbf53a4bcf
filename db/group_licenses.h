/* Group license intent (group_licenses) and its request-time checks (semantics §3). */
#ifndef LICENSINGD_DB_GROUP_LICENSES_H
#define LICENSINGD_DB_GROUP_LICENSES_H

#include "service/base/guid.h"
#include "service/assignment.h"
#include "db/db.h"

struct group_license_change {
    const char *group_id;
    const struct license_add *adds; /* SKU ids (lower-case GUIDs) with their disabled plans */
    int n_adds;
    const char (*removes)[GUID_SIZE];
    int n_removes;
};

/* Checks the change; a violation is a 400 in err (returns -1 with err->kind BAD_REQUEST). */
int db_group_license_check(struct db_conn *conn, const struct group_license_change *change,
                           struct lic_error *err);

/* Stores the intent, bumps the group's license generation, marks it QueuedForProcessing and
 * queues the group's processing, all inside the caller's transaction. */
int db_group_license_apply(struct db_conn *conn, const struct group_license_change *change,
                           struct lic_error *err);

/* Reprocessing asked for (extension): QueuedForProcessing and queued work. 1 done, 0 no group. */
int db_group_license_requeue(struct db_conn *conn, const char *group_id, struct lic_error *err);

#endif
