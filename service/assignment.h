/* The licensing room: direct license assignment (semantics §2), group license assignment (§3),
 * reprocessing of a user or a group, and the saving of an evaluated batch, on top of the engine.
 */
#ifndef LICENSINGD_ASSIGNMENT_H
#define LICENSINGD_ASSIGNMENT_H

#include "service/base/error.h"
#include "service/base/guid.h"
#include "service/engine/licensing.h"
#include "service/engine/request.h"

struct db_pool;
struct db_conn;
struct lic_batch;
struct lic_result;
struct audit_actor;

/* Saves a batch's outcome (db_licensing_save) with Graph's messages, requeues the SKUs whose
 * seats it freed (service/requeue.h) and, with by, writes a "Change user license" record per
 * user whose licenses changed. A seat CHECK failure becomes Graph's seat error. Inside the
 * caller's transaction: -1 means roll back. */
int licensing_save_batch(struct db_conn *conn, const struct lic_batch *b,
                         const struct lic_result *results, const struct audit_actor *by,
                         struct lic_error *err) __attribute__((warn_unused_result));

/* by: the caller the "Change user license" / "Set group license" record names (NULL: nobody
 * known). Reprocessing's records name Graph's group-based licensing principal, as Graph's do. */

/* Applies adds and removes together, all or nothing, in one transaction: 0 on success, -1 with
 * err (400 with Graph's message for refusals and licensing violations, 404 for an unknown user).
 */
int licensing_assign_direct(struct db_pool *pool, const struct audit_actor *by, const char *user_id,
                            const struct license_request *req, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Recomputes one user from its intent (semantics §4); records errors on the user. */
int licensing_reprocess_user(struct db_pool *pool, const char *user_id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Reprocessing a group (extension): QueuedForProcessing and its members queued; 404 when there
 * is no such group. */
int licensing_reprocess_group(struct db_pool *pool, const char *group_id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* What a group change would do (dryRun=true): nothing is changed. */
#define DRY_RUN_SAMPLE 100
#define DRY_RUN_SKUS 32
struct dry_run_report {
    int members;                 /* user members evaluated */
    int would_succeed;           /* members whose path from this group would be Active */
    int errors[LIC_ERROR_COUNT]; /* members per enum license_error */
    int n_skus;
    struct {
        char sku_id[GUID_SIZE];
        char part_number[64];
        int needed;    /* seats the change would take */
        int available; /* free seats now */
    } skus[DRY_RUN_SKUS];
    int n_samples;
    struct {
        char user_id[GUID_SIZE];
        enum license_error error;
        char message[200];
    } samples[DRY_RUN_SAMPLE];
};

/* Group assignLicense (semantics §3): checks the request against the group's licenses, stores
 * the intent and queues processing (202); with report != NULL, a dry run that evaluates every
 * member against the change inside a transaction that is rolled back. */
int licensing_assign_group(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                           const struct license_request *req, struct dry_run_report *report,
                           struct lic_error *err) __attribute__((warn_unused_result));

#endif
