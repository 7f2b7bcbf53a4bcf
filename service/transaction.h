/* One pooled connection holding one transaction: how every write use case of service/ begins and
 * ends, so a change commits whole or not at all. */
#ifndef LICENSINGD_SERVICE_TRANSACTION_H
#define LICENSINGD_SERVICE_TRANSACTION_H

#include "service/base/error.h"

struct db_pool;
struct db_conn;

/* A connection from the pool with its transaction open, or NULL with err. */
struct db_conn *transaction_begin(struct db_pool *pool, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Commits when rc is 0, else rolls back; returns conn to the pool. Returns 0 when the change was
 * committed, else -1 with err (the caller's, or the failed commit's). */
int transaction_end(struct db_pool *pool, struct db_conn *conn, int rc, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
