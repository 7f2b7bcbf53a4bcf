/* The product catalog in PostgreSQL: subscribed SKUs, service plans, their rules, bulk import.
 * SQL and row mapping only: what a change may do, and what it answers, is service/catalog.h's. */
#ifndef LICENSINGD_DB_CATALOG_H
#define LICENSINGD_DB_CATALOG_H

#include <stddef.h>

#include "service/base/guid.h"
#include "db/db.h"

#define CATALOG_DB_WUR __attribute__((warn_unused_result))

/* Lookups of one row answer 0 when it exists, DB_CATALOG_NONE when it does not, -1 with err. */
#define DB_CATALOG_NONE 1

/* ---- bulk import (db/catalog_import.c) ---- */

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
                      struct lic_error *err) CATALOG_DB_WUR;

/* ---- service plans and their rules (db/plans.c) ---- */

struct db_plan {
    char id[GUID_SIZE];
    char *name, *display_name, *service; /* owned; display_name/service may be NULL */
    char applies_to[16];
    int provisions_mailbox;
    char *conflicts, *requires, *countries; /* owned: comma-separated, "" when none */
};

/* Page of plans ordered by (name, id) after the given key (NULL = first page); up to limit. */
int db_plans_list(struct db_conn *conn, const char *after_name, const char *after_id, int limit,
                  struct db_plan **out, int *n, struct lic_error *err) CATALOG_DB_WUR;
/* One plan (DB_CATALOG_NONE when missing). lock takes FOR NO KEY UPDATE. */
int db_plan_get(struct db_conn *conn, const char *id, int lock, struct db_plan *out,
                struct lic_error *err) CATALOG_DB_WUR;
void db_plan_free(struct db_plan *p);
void db_plans_free(struct db_plan *p, int n);

/* name NULL keeps the name; display_name NULL keeps it, "" clears it. */
int db_plan_rename(struct db_conn *conn, const char *id, const char *name, const char *display_name,
                   struct lic_error *err) CATALOG_DB_WUR;
/* Creates plan id with name when missing; *created 1 if it did (created may be NULL). */
int db_catalog_plan_ensure(struct db_conn *conn, const char *id, const char *name, int *created,
                           struct lic_error *err) CATALOG_DB_WUR;
/* The ids of the plans named name (case-sensitive), up to max; *n receives how many. */
int db_catalog_plans_by_name(struct db_conn *conn, const char *name, char (*ids)[GUID_SIZE],
                             int max, int *n, struct lic_error *err) CATALOG_DB_WUR;
/* The first id of ids that is not a plan (copied to missing), or "" when all exist. */
int db_catalog_plans_missing(struct db_conn *conn, const char *const *ids, int n,
                             char missing[GUID_SIZE], struct lic_error *err) CATALOG_DB_WUR;
/* Adds the symmetric conflict a-b (stored once, smaller id first); *added 1 if new. */
int db_catalog_conflict_add(struct db_conn *conn, const char *a, const char *b, int *added,
                            struct lic_error *err) CATALOG_DB_WUR;
/* Replace a plan's conflicts / prerequisites / unavailable countries; *changed 1 if they differ. */
int db_catalog_conflicts_replace(struct db_conn *conn, const char *plan_id, const char *const *ids,
                                 int n, int *changed, struct lic_error *err) CATALOG_DB_WUR;
int db_catalog_prerequisites_replace(struct db_conn *conn, const char *plan_id,
                                     const char *const *ids, int n, int *changed,
                                     struct lic_error *err) CATALOG_DB_WUR;
int db_catalog_countries_replace(struct db_conn *conn, const char *plan_id,
                                 const char *const *codes, int n, int *changed,
                                 struct lic_error *err) CATALOG_DB_WUR;
int db_catalog_mailbox_set(struct db_conn *conn, const char *plan_id, int on, int *changed,
                           struct lic_error *err) CATALOG_DB_WUR;

/* ---- subscribed SKUs (db/skus.c) ---- */

/* prepaidUnits, in the order of its columns (Graph names: catalog_units_name). */
enum sku_units {
    SKU_UNITS_ENABLED,
    SKU_UNITS_SUSPENDED,
    SKU_UNITS_WARNING,
    SKU_UNITS_LOCKED_OUT,
    SKU_UNITS_COUNT
};

struct db_sku_plan {
    char id[GUID_SIZE];
    char *name; /* owned */
    char applies_to[16];
};

struct db_sku {
    char sku_id[GUID_SIZE];
    char *part_number, *display_name; /* owned; display_name may be NULL */
    char applies_to[16], capability_status[16];
    int units[SKU_UNITS_COUNT];
    int consumed;
    char *subscription_ids;    /* owned: comma-separated */
    struct db_sku_plan *plans; /* owned */
    int nplans;
};

/* The organization's id and name for accountId/accountName and the subscribedSku id; the nil
 * GUID and "" before an organization exists. */
int db_catalog_account(struct db_conn *conn, char id[GUID_SIZE], char *name, size_t name_size,
                       struct lic_error *err) CATALOG_DB_WUR;

/* Page of SKUs ordered by skuId after `after` (NULL = first page); up to limit. */
int db_skus_list(struct db_conn *conn, const char *after, int limit, struct db_sku **out, int *n,
                 struct lic_error *err) CATALOG_DB_WUR;
/* One SKU with its plans (DB_CATALOG_NONE when missing). */
int db_sku_get(struct db_conn *conn, const char *sku_id, struct db_sku *out,
               struct lic_error *err) CATALOG_DB_WUR;
void db_sku_free(struct db_sku *s);
void db_skus_free(struct db_sku *s, int n);

struct db_sku_new {
    const char *sku_id;                                                      /* NULL: generated */
    const char *part_number, *display_name, *applies_to, *capability_status; /* NULL: default */
    int units[SKU_UNITS_COUNT];
    const char *const *subscription_ids;
    int nsubscriptions;
};

/* Inserts the SKU unless its skuId exists (*inserted 0 then); the id goes to out_id. */
int db_sku_insert(struct db_conn *conn, const struct db_sku_new *sku, char out_id[GUID_SIZE],
                  int *inserted, struct lic_error *err) CATALOG_DB_WUR;
/* Links the plans ids (which must exist) to the SKU, in this order. */
int db_sku_link_plans(struct db_conn *conn, const char *sku_id, const char *const *ids, int n,
                      struct lic_error *err) CATALOG_DB_WUR;

/* What a SKU change starts from, the row locked (FOR NO KEY UPDATE) until the transaction ends. */
struct db_sku_state {
    char part_number[256];
    char capability_status[16];
    int units[SKU_UNITS_COUNT];
    int consumed;
};
/* DB_CATALOG_NONE when missing. */
int db_sku_lock(struct db_conn *conn, const char *sku_id, struct db_sku_state *out,
                struct lic_error *err) CATALOG_DB_WUR;

struct db_sku_patch {
    int units[SKU_UNITS_COUNT];    /* -1: unchanged */
    const char *capability_status; /* NULL: unchanged */
};
/* Fails with SQLSTATE 23514 (db_last_sqlstate) when enabled would go below consumedUnits. */
int db_sku_update(struct db_conn *conn, const char *sku_id, const struct db_sku_patch *patch,
                  struct lic_error *err) CATALOG_DB_WUR;

/* Who still holds or is assigned a SKU, its row locked (FOR UPDATE). */
struct db_sku_usage {
    char part_number[256];
    long consumed, groups, users;
};
/* DB_CATALOG_NONE when missing. */
int db_sku_usage(struct db_conn *conn, const char *sku_id, struct db_sku_usage *out,
                 struct lic_error *err) CATALOG_DB_WUR;
/* Fails with SQLSTATE 23503 while license states still reference the SKU. */
int db_sku_delete(struct db_conn *conn, const char *sku_id, struct lic_error *err) CATALOG_DB_WUR;

/* Sets seats on a SKU that has none yet (demo data); *changed 1 if it did. */
int db_sku_seed_seats(struct db_conn *conn, const char *sku_id, int enabled, int *changed,
                      struct lic_error *err) CATALOG_DB_WUR;

/* ---- licensed users of a SKU (db/licensed_users.c) ---- */

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
                          struct db_licensed_user **out, int *n,
                          struct lic_error *err) CATALOG_DB_WUR;
void db_licensed_users_free(struct db_licensed_user *u, int n);

#undef CATALOG_DB_WUR

#endif
