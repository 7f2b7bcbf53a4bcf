/* The product catalog in PostgreSQL: subscribed SKUs, service plans, their rules, bulk import. */
#ifndef LICENSINGD_DB_CATALOG_H
#define LICENSINGD_DB_CATALOG_H

#include <stddef.h>

#include "service/base/guid.h"
#include "db/db.h"

/* ---- bulk import (import-catalog, load-demo) ---- */

/* One line of Microsoft's CSV, already validated (GUIDs lower-case). */
struct catalog_row {
    long line;
    const char *sku_id, *sku_part, *sku_display;
    const char *plan_id, *plan_name, *plan_display;
    const char *service; /* may be NULL */
};

struct catalog_import_counts {
    long skus, skus_added, skus_updated;
    long plans, plans_added, plans_updated;
    long links, links_added, links_moved, links_removed;
};

/* Upserts SKUs, plans and SKU plans from rows inside the caller's transaction, in a handful of
 * set-based statements (COPY into a temporary table). When a GUID carries several names, the
 * name on most rows wins, ties going to the earliest line. Seats are never touched; a SKU's plan
 * list becomes exactly the file's. Only changed rows are written. With rename_existing 0, plans
 * and SKUs that exist keep their names (the demo must not undo a full import). */
int db_catalog_import(struct db_conn *conn, const struct catalog_row *rows, size_t n,
                      int rename_existing, struct catalog_import_counts *counts,
                      struct lic_error *err);

/* ---- rules (import --rules, PATCH servicePlans) ---- */

/* Creates plan id with name when missing; *created 1 if it did. */
int db_catalog_plan_ensure(struct db_conn *conn, const char *id, const char *name, int *created,
                           struct lic_error *err);
/* The ids of the plans named name (case-sensitive), up to max; *n receives how many. */
int db_catalog_plans_by_name(struct db_conn *conn, const char *name, char (*ids)[GUID_SIZE],
                             int max, int *n, struct lic_error *err);
/* Adds the symmetric conflict a-b (stored once, smaller id first); *added 1 if new. */
int db_catalog_conflict_add(struct db_conn *conn, const char *a, const char *b, int *added,
                            struct lic_error *err);
/* Replace a plan's conflicts / prerequisites / unavailable countries; *changed 1 if they differ. */
int db_catalog_conflicts_replace(struct db_conn *conn, const char *plan_id, const char *const *ids,
                                 int n, int *changed, struct lic_error *err);
int db_catalog_prerequisites_replace(struct db_conn *conn, const char *plan_id,
                                     const char *const *ids, int n, int *changed,
                                     struct lic_error *err);
int db_catalog_countries_replace(struct db_conn *conn, const char *plan_id,
                                 const char *const *codes, int n, int *changed,
                                 struct lic_error *err);
int db_catalog_mailbox_set(struct db_conn *conn, const char *plan_id, int on, int *changed,
                           struct lic_error *err);
/* The first id of ids that is not a plan (copied to missing), or 0 when all exist. */
int db_catalog_plans_missing(struct db_conn *conn, const char *const *ids, int n,
                             char missing[GUID_SIZE], struct lic_error *err);

/* ---- service plans ---- */

struct db_plan {
    char id[GUID_SIZE];
    char *name, *display_name, *service; /* owned; display_name/service may be NULL */
    char applies_to[16];
    int provisions_mailbox;
    char *conflicts, *requires, *countries; /* owned: comma-separated, "" when none */
};

/* Page of plans ordered by (name, id) after the given key (NULL = first page); up to limit. */
int db_plans_list(struct db_conn *conn, const char *after_name, const char *after_id, int limit,
                  struct db_plan **out, int *n, struct lic_error *err);
/* One plan; LIC_ERR_NOT_FOUND when missing. lock takes FOR UPDATE. */
int db_plan_get(struct db_conn *conn, const char *id, int lock, struct db_plan *out,
                struct lic_error *err);
int db_plan_rename(struct db_conn *conn, const char *id, const char *name, const char *display_name,
                   struct lic_error *err);
void db_plan_free(struct db_plan *p);
void db_plans_free(struct db_plan *p, int n);

/* ---- subscribed SKUs ---- */

struct db_sku_plan {
    char id[GUID_SIZE];
    char *name; /* owned */
    char applies_to[16];
};

struct db_sku {
    char sku_id[GUID_SIZE];
    char *part_number, *display_name; /* owned; display_name may be NULL */
    char applies_to[16], capability_status[16];
    int enabled, suspended, warning, locked_out, consumed;
    char *subscription_ids;    /* owned: comma-separated */
    struct db_sku_plan *plans; /* owned */
    int nplans;
};

/* The organization's id and name for accountId/accountName and the subscribedSku id; the nil
 * GUID and "" before an organization exists. */
int db_catalog_account(struct db_conn *conn, char id[GUID_SIZE], char *name, size_t name_size,
                       struct lic_error *err);

/* Page of SKUs ordered by skuId after `after` (NULL = first page); up to limit. */
int db_skus_list(struct db_conn *conn, const char *after, int limit, struct db_sku **out, int *n,
                 struct lic_error *err);
/* One SKU; LIC_ERR_NOT_FOUND when missing. */
int db_sku_get(struct db_conn *conn, const char *sku_id, struct db_sku *out, struct lic_error *err);
void db_sku_free(struct db_sku *s);
void db_skus_free(struct db_sku *s, int n);

struct db_sku_new_plan {
    const char *id;
    const char *name; /* NULL: the plan must exist */
};

struct db_sku_new {
    const char *sku_id; /* NULL: generated */
    const char *part_number, *display_name, *applies_to, *capability_status;
    int enabled, suspended, warning, locked_out;
    const char *const *subscription_ids;
    int nsubscriptions;
    const struct db_sku_new_plan *plans;
    int nplans;
};

/* Creates a SKU with its plans (unknown plans created when named, else 400); 409 when the skuId
 * exists. The new id goes to out_id. Caller's transaction. */
int db_sku_create(struct db_conn *conn, const struct db_sku_new *sku, char out_id[GUID_SIZE],
                  struct lic_error *err);

struct db_sku_patch {
    int enabled, suspended, warning, locked_out; /* -1: unchanged */
    const char *capability_status;               /* NULL: unchanged */
};

/* Applies the patch; refuses (400) to lower enabled below consumedUnits; queues the SKU for the
 * worker when seats were added. Caller's transaction. */
int db_sku_update(struct db_conn *conn, const char *sku_id, const struct db_sku_patch *patch,
                  struct lic_error *err);

/* Deletes a SKU nobody holds or is assigned (400 otherwise). Caller's transaction. */
int db_sku_delete(struct db_conn *conn, const char *sku_id, struct lic_error *err);

/* Sets seats on a SKU that has none yet (demo data); *changed 1 if it did. */
int db_sku_seed_seats(struct db_conn *conn, const char *sku_id, int enabled, int *changed,
                      struct lic_error *err);

/* ---- licensed users of a SKU ---- */

struct db_license_path {
    char group_id[GUID_SIZE]; /* "" = direct */
    char *group_name;         /* owned; NULL for direct */
    char state[24], error[48];
};

struct db_licensed_user {
    char id[GUID_SIZE];
    char *upn, *display_name; /* owned */
    struct db_license_path *paths;
    int npaths;
};

/* Page of the users holding sku_id (user_licenses), ordered by user id, with their paths. */
int db_sku_licensed_users(struct db_conn *conn, const char *sku_id, const char *after, int limit,
                          struct db_licensed_user **out, int *n, struct lic_error *err);
void db_licensed_users_free(struct db_licensed_user *u, int n);

#endif
