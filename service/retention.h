/* Audit retention inside `serve`: a background thread purges directoryAudit records older than
 * --audit-retention-days (Entra keeps directory audits 30 days). */
#ifndef LICENSINGD_RETENTION_H
#define LICENSINGD_RETENTION_H

#include "service/base/config.h"

struct retention;

/* Starts the thread (none when audit_retention_days is 0: the pointer is still valid). It purges
 * soon after start, then every sweep_seconds, in batches with a pause between them. NULL only
 * when the thread cannot be created. */
struct retention *retention_start(const struct config *cfg);
void retention_stop(struct retention *r);

#endif
