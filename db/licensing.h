/* Loading users' licensing situations in batches and saving the engine's outcome in bulk. */
#ifndef LICENSINGD_DB_LICENSING_H
#define LICENSINGD_DB_LICENSING_H

#include "service/engine/licensing.h"
#include "db/db.h"

#define LIC_DIRECT_PATH_ID "00000000-0000-0000-0000-000000000000"

struct lic_path_meta {
    const char *path_id; /* the group id, or LIC_DIRECT_PATH_ID */
    int state_only;      /* rebuilt from state rows: the intent behind it is gone (a removal) */
};

struct lic_batch_user {
    const char *id;
    const char *upn;
    const char *mail;         /* NULL when unset */
    const char *smtp_address; /* "SMTP:<mail or upn>", added when the result asks for it */
    const char *smtp_key;     /* its lower-cased address when the user has no primary one */
    char usage_location[3];
    int found;                   /* the user exists */
    struct lic_user_input input; /* what the engine reads */
    struct lic_path *paths;      /* == input.paths, writable by the caller (validate flags) */
    struct lic_path_meta *meta;  /* per path */
};

struct id_map;

struct lic_batch {
    struct arena *arena;
    char org_country[3];
    struct lic_catalog catalog; /* every SKU and plan the batch involves, by index */
    int *seats_free;            /* per catalog SKU, read under the SKU row locks */
    struct lic_batch_user *users;
    int n_users;
    struct id_map *smtp_given; /* new primary addresses given so far in this batch */
};

/* Locks the users' rows in id order. With contended (n flags), first takes the rows no other
 * transaction holds and flags the others, then waits for those (semantics §6: the caller records
 * the concurrency event on each flagged user). Returns how many were contended, or -1. */
int db_licensing_lock_users(struct db_conn *conn, const char *const *ids, int n, char *contended,
                            struct lic_error *err);

/* Loads the users (in the given order), their paths, the catalog rules involved plus the
 * extra SKUs named (unknown ones get no index). With LIC_LOAD_LOCK_SKUS the SKU rows are locked
 * so seats_free stays true until commit (anything that saves); without, it is a snapshot (dry
 * runs). Call inside a transaction, after db_licensing_lock_users when saving. */
enum { LIC_LOAD_SNAPSHOT = 0, LIC_LOAD_LOCK_SKUS = 1 };
int db_licensing_load(struct db_conn *conn, const char *const *ids, int n,
                      const char *const *extra_skus, int n_extra, unsigned flags,
                      struct lic_batch *out, struct lic_error *err);

/* Catalog index of a SKU or plan id in the batch, or -1. */
int lic_batch_sku_index(const struct lic_batch *batch, const char *sku_id);
int lic_batch_plan_index(const struct lic_batch *batch, const char *plan_id);

/* Writes states, effective licenses (the seats follow by trigger), conversions to direct and
 * generated proxy addresses for every user of the batch, in a few multi-row statements. With
 * audit_initiator (initiatedBy JSON), a "Change user license" record per user whose licenses
 * changed. */
int db_licensing_save(struct db_conn *conn, const struct lic_batch *batch,
                      const struct lic_result *results, const char *audit_initiator,
                      struct lic_error *err);

/* Evaluating users in order: before user u, marks its address taken if an earlier user of the
 * batch got it; after, when u's result needs a primary SMTP address, records that u got it. */
void lic_batch_check_smtp(struct lic_batch *b, int u);
void lic_batch_take_smtp(struct lic_batch *b, int u);

void db_licensing_batch_free(struct lic_batch *batch);

/* Direct intent (user_direct_licenses): add or replace one SKU's disabled plans, or drop it. */
int db_direct_license_put(struct db_conn *conn, const char *user_id, const char *sku_id,
                          const char *const *disabled, int n_disabled, struct lic_error *err);
int db_direct_license_drop(struct db_conn *conn, const char *user_id, const char *sku_id,
                           struct lic_error *err);

/* The group a user inherits a SKU from (1 found, 0 none, -1 error). */
int db_license_inherited_from(struct db_conn *conn, const char *user_id, const char *sku_id,
                              char *group_id, size_t id_size, char *group_name, size_t name_size,
                              struct lic_error *err);

/* The user's licenseDetails as JSON text: [{skuId, skuPartNumber, servicePlans[]}], disabled
 * plans with provisioningStatus "Disabled". Owned by caller (free); NULL with err. */
char *db_license_details_json(struct db_conn *conn, const char *user_id, struct lic_error *err);

#endif
