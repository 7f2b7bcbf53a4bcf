/* Licensing data: batches of users loaded for the engine and its outcome saved in bulk
 * (db/license_batch_load.c, db/license_batch_save.c), direct intent (db/license_intent.c) and
 * licenseDetails (db/license_details.c). Rows only: decisions, messages and audit are service/'s.
 */
#ifndef LICENSINGD_DB_LICENSING_H
#define LICENSINGD_DB_LICENSING_H

#include <stddef.h>

#include "service/base/guid.h"
#include "service/engine/licensing.h"
#include "service/engine/request.h"
#include "db/db.h"

/* Opens the transaction of one user's change (a direct assignment, a reprocess). Its statements
 * (the batch statements, given a one-element array) run on their generic plans: planned anew on
 * every execution, as PostgreSQL does for a custom plan, they cost more to plan than to run. */
int db_licensing_begin_one_user(struct db_conn *conn, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Locks the users' rows in id order. With contended (n flags), first takes the rows no other
 * transaction holds and flags the others, then waits for those (semantics §6: the caller records
 * the concurrency event on each flagged user). Returns how many were contended, or -1. */
int db_licensing_lock_users(struct db_conn *conn, const char *const *ids, int n, char *contended,
                            struct lic_error *err) __attribute__((warn_unused_result));

/* Loads the users (in the given order), their paths, the catalog rules involved plus the
 * extra SKUs named (unknown ones get no index). With LIC_LOAD_LOCK_SKUS the SKU rows are locked
 * so seats_free stays true until commit (anything that saves); without, it is a snapshot (dry
 * runs). LIC_LOAD_LOCK_SKUS_WHEN_SHORT locks them only when a SKU has few free seats left (fewer
 * than a margin plus the batch's users): with seats to spare, no concurrent transaction can make
 * this one's count of them wrong in a way that matters (the seat CHECK still refuses a seat that
 * is not there), and concurrent saves queue on the SKU row only from their first license write to
 * their commit instead of for the whole transaction. Call inside a transaction, after
 * db_licensing_lock_users when saving. Free the batch with lic_batch_free (on failure it is
 * freed already). */
enum {
    LIC_LOAD_SNAPSHOT = 0,
    LIC_LOAD_LOCK_SKUS = 1,
    LIC_LOAD_LOCK_SKUS_WHEN_SHORT = 2,
};
int db_licensing_load(struct db_conn *conn, const char *const *ids, int n,
                      const char *const *extra_skus, int n_extra, unsigned flags,
                      struct lic_batch *out, struct lic_error *err)
    __attribute__((warn_unused_result));

/* A (user, SKU) pair whose effective license a save changed. */
struct lic_saved_change {
    char user_id[GUID_SIZE];
    char sku_id[GUID_SIZE];
};

/* What a save changed in user_licenses, ordered by user then SKU (owned: db_licensing_saved_free).
 */
struct lic_saved {
    struct lic_saved_change *assigned; /* added, or its disabled plans changed */
    int n_assigned;
    struct lic_saved_change *removed;
    int n_removed;
};

/* Writes states, effective licenses (the seats follow by trigger), conversions to direct and
 * generated proxy addresses for every user of the batch, in a few multi-row statements.
 * messages[u][i] is the error message of path i of user u (NULL entries, or messages NULL: none).
 * With saved, reports what changed in user_licenses. 0, or -1 with err (db_last_sqlstate says
 * why: "23514" is the seat CHECK). */
int db_licensing_save(struct db_conn *conn, const struct lic_batch *batch,
                      const struct lic_result *results, const char **const *messages,
                      struct lic_saved *saved, struct lic_error *err)
    __attribute__((warn_unused_result));
void db_licensing_saved_free(struct lic_saved *saved);

/* Direct intent (user_direct_licenses): add or replace one SKU's disabled plans (1; 0 when the
 * user or the SKU does not exist: nothing written), or drop it (1; 0 when the user had no direct
 * assignment of it). -1 with err. */
int db_direct_license_put(struct db_conn *conn, const char *user_id, const struct license_add *add,
                          struct lic_error *err) __attribute__((warn_unused_result));
int db_direct_license_drop(struct db_conn *conn, const char *user_id, const char *sku_id,
                           struct lic_error *err) __attribute__((warn_unused_result));

/* The group a user inherits a SKU from (1 found, 0 none, -1 error). */
int db_license_inherited_from(struct db_conn *conn, const char *user_id, const char *sku_id,
                              char *group_id, size_t id_size, char *group_name, size_t name_size,
                              struct lic_error *err) __attribute__((warn_unused_result));

/* The user's licenseDetails as JSON text: [{skuId, skuPartNumber, servicePlans[]}], disabled
 * plans with provisioningStatus "Disabled". Owned by caller (free); NULL with err. */
char *db_license_details_json(struct db_conn *conn, const char *user_id, struct lic_error *err);

#endif
