/* directoryAudit retention: SQL only; service/retention.c decides when it runs. */
#ifndef LICENSINGD_DB_RETENTION_H
#define LICENSINGD_DB_RETENTION_H

#include "db/db.h"

/* Deletes up to batch of the oldest directoryAudit records older than days; returns how many it
 * deleted, or -1 with err. Uses directory_audits_time_idx (activity_at): no scan of newer rows. */
long db_audit_purge(struct db_conn *conn, unsigned days, unsigned batch, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
