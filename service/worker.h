/* The reconciliation worker: threads inside `serve` that drain the durable work queue. */
#ifndef LICENSINGD_WORKER_H
#define LICENSINGD_WORKER_H

#include "service/base/config.h"

struct worker_pool;

/* Starts cfg->workers threads (none when 0). Never fails because the database is down: each
 * thread reconnects with backoff. NULL only when threads cannot be created. */
struct worker_pool *worker_pool_start(const struct config *cfg);

/* Asks the threads to stop after their current batch and joins them. */
void worker_pool_stop(struct worker_pool *pool);

#endif
