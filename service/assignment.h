/* Direct license assignment (semantics §2) and reprocessing of one user, on top of the engine. */
#ifndef LICENSINGD_ASSIGNMENT_H
#define LICENSINGD_ASSIGNMENT_H

#include "service/base/guid.h"
#include "service/base/error.h"

struct db_pool;

struct license_add {
    char sku_id[GUID_SIZE];
    char (*disabled_plans)[GUID_SIZE];
    int n_disabled;
};

struct db_conn;
struct lic_batch;
struct lic_result;

/* initiatedBy of records written for group-based licensing (worker, reprocessing). */
extern const char *const licensing_app_initiator;

/* Saves a batch's outcome (db_licensing_save) and queues the SKUs whose seats it freed, so users
 * waiting in CountViolation get them (semantics §4.6). A seat CHECK failure becomes Graph's seat
 * error. Inside the caller's transaction. */
int licensing_save_batch(struct db_conn *conn, const struct lic_batch *b,
                         const struct lic_result *results, const char *initiator,
                         struct lic_error *err);

/* Applies adds and removes together, all or nothing, in one transaction: 0 on success, -1 with
 * err (400 with Graph's message for licensing violations, 404 for an unknown user). */
int licensing_assign_direct(struct db_pool *pool, const char *user_id,
                            const struct license_add *adds, int n_adds,
                            const char (*removes)[GUID_SIZE], int n_removes, struct lic_error *err);

/* Recomputes one user from its intent (semantics §4); records errors on the user. */
int licensing_reprocess_user(struct db_pool *pool, const char *user_id, struct lic_error *err);

/* What a group change would do (dryRun=true): nothing is changed. */
#define DRY_RUN_SAMPLE 100
#define DRY_RUN_SKUS 32
struct dry_run_report {
    int members;       /* user members evaluated */
    int would_succeed; /* members whose path from this group would be Active */
    int errors[7];     /* members per enum license_error */
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
        int error;
        char message[200];
    } samples[DRY_RUN_SAMPLE];
};

/* Group assignLicense (semantics §3): checks what belongs to the group, stores the intent and
 * queues processing (202); with report != NULL, a dry run that evaluates every member against
 * the change inside a transaction that is rolled back. */
int licensing_assign_group(struct db_pool *pool, const char *group_id,
                           const struct license_add *adds, int n_adds,
                           const char (*removes)[GUID_SIZE], int n_removes,
                           struct dry_run_report *report, struct lic_error *err);

#endif
