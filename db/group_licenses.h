/* Group license intent (group_licenses) and the group's processing state. */
#ifndef LICENSINGD_DB_GROUP_LICENSES_H
#define LICENSINGD_DB_GROUP_LICENSES_H

#include "service/engine/request.h"
#include "db/db.h"

/* The group's licenses, by SKU id: how many (*out owned: db_group_licenses_free), or -1. */
int db_group_licenses_get(struct db_conn *conn, const char *group_id, struct license_add **out,
                          struct lic_error *err) __attribute__((warn_unused_result));
void db_group_licenses_free(struct license_add *licenses, int n);

/* Stores the change (removes, then adds with their disabled plans), bumps the group's license
 * generation and marks it QueuedForProcessing, inside the caller's transaction. */
int db_group_licenses_apply(struct db_conn *conn, const char *group_id,
                            const struct license_request *change, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Marks the group QueuedForProcessing (reprocessing asked for): 1 done, 0 no such group, -1. */
int db_group_licenses_mark_queued(struct db_conn *conn, const char *group_id, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
