/* The organization room: PATCH of the tenant's name and country (service/directory.h). Nothing is
 * requeued: the country is only the fallback usage location the engine reads whenever it next
 * processes a user. No directoryAudit record is written for it. */
#include "service/directory.h"

#include "service/transaction.h"

int organization_update(struct db_pool *pool, const char *id, const char *display_name,
                        const char *country, struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    int rc = db_org_update(conn, id, display_name, country, err);
    return transaction_end(pool, conn, rc, err);
}
