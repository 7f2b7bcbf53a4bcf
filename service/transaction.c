/* One pooled connection holding one transaction (transaction.h). */
#include "service/transaction.h"

#include <assert.h>

#include "db/db.h"

struct db_conn *transaction_begin(struct db_pool *pool, struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn != NULL && db_begin(conn, err) != 0) {
        db_release(pool, conn);
        conn = NULL;
    }
    return conn;
}

int transaction_end(struct db_pool *pool, struct db_conn *conn, int rc, struct lic_error *err)
{
    assert(conn != NULL);
    if (rc == 0)
        rc = db_commit(conn, err) == 0 ? 0 : -1;
    else
        db_rollback(conn);
    db_release(pool, conn);
    return rc == 0 ? 0 : -1;
}
