/* The catalog room: subscribedSkus, seats, service plans and their rules, the catalog import and
 * the demo load. Every write here owns its transaction, its refusals (Graph errors), its requeue
 * decisions and its directoryAudit record (service/audit.h); api/ and the commands call one
 * function per change, and read through db/catalog.h directly. */
#ifndef LICENSINGD_CATALOG_H
#define LICENSINGD_CATALOG_H

#include <stddef.h>

#include "service/base/config.h"
#include "service/base/error.h"
#include "service/base/guid.h"
#include "db/catalog.h"

#define CATALOG_WUR __attribute__((warn_unused_result))

struct db_pool;
struct audit_actor;
struct db_conn;
struct json_t;

/* ---- names (service/catalog.c) ---- */

/* prepaidUnits members as Graph names them ("lockedOut"); NULL past the end. */
const char *catalog_units_name(enum sku_units u);

/* subscribedSku.capabilityStatus. */
enum sku_capability {
    SKU_CAPABILITY_ENABLED,
    SKU_CAPABILITY_WARNING,
    SKU_CAPABILITY_SUSPENDED,
    SKU_CAPABILITY_DELETED,
    SKU_CAPABILITY_LOCKED_OUT,
    SKU_CAPABILITY_COUNT
};
const char *catalog_capability_name(enum sku_capability c);

/* subscribedSku.appliesTo. */
enum sku_target { SKU_TARGET_USER, SKU_TARGET_COMPANY, SKU_TARGET_COUNT };
const char *catalog_target_name(enum sku_target t);

/* The rule lists of a service plan, as the API names them. */
enum plan_list { PLAN_CONFLICTS, PLAN_REQUIRES, PLAN_COUNTRIES, PLAN_LIST_COUNT };
const char *catalog_plan_list_name(enum plan_list l);

/* The assignedPlan "service" of a plan from its name ("EXCHANGE_S_STANDARD" -> "exchange"), by
 * a table of name prefixes; NULL when no prefix matches. */
const char *catalog_plan_service(const char *plan_name);

/* A comma-separated list as stored by db/ ("a,b"; "" or NULL: none) as a JSON array of strings
 * (owned: caller json_decref()s; NULL when out of memory). */
struct json_t *catalog_split_list(const char *text);

/* Graph's 404 for a SKU or service plan id (or any text that named none); returns -1. */
int catalog_not_found(const char *id, struct lic_error *err);

/* ---- subscribedSkus (service/skus.c) ---- */

struct catalog_new_plan {
    const char *id;
    const char *name; /* NULL: the plan must exist */
};

struct catalog_new_sku {
    struct db_sku_new sku;
    const struct catalog_new_plan *plans;
    int nplans;
};

/* Each write takes `by`, the caller its audit record names (NULL: nobody known). */

/* POST subscribedSkus: the SKU with its plans, unknown plans created when named. 409 when the
 * skuId exists, 400 when an unnamed plan does not. The new skuId goes to out_id. */
int catalog_sku_create(struct db_pool *pool, const struct audit_actor *by,
                       const struct catalog_new_sku *sku, char out_id[GUID_SIZE],
                       struct lic_error *err) CATALOG_WUR;

/* PATCH subscribedSkus/{id}: 404 when missing, 400 when prepaidUnits.enabled would go below
 * consumedUnits; added seats queue the SKU so users waiting for one get it. */
int catalog_sku_update(struct db_pool *pool, const struct audit_actor *by, const char *sku_id,
                       const struct db_sku_patch *patch, struct lic_error *err) CATALOG_WUR;

/* DELETE subscribedSkus/{id}: 404 when missing, 400 while anyone holds or is assigned it. */
int catalog_sku_delete(struct db_pool *pool, const struct audit_actor *by, const char *sku_id,
                       struct lic_error *err) CATALOG_WUR;

/* ---- service plans (service/plans.c) ---- */

/* A PATCH of a service plan, its syntax already checked (GUIDs, country codes, no self-reference).
 */
struct catalog_plan_patch {
    const char *name;         /* NULL: unchanged */
    const char *display_name; /* with set_display: "" clears it */
    int set_display;
    int mailbox;                               /* -1: unchanged */
    const char *const *lists[PLAN_LIST_COUNT]; /* NULL: unchanged; else counts[] items */
    int counts[PLAN_LIST_COUNT];
};

/* PATCH licensing/servicePlans/{id}: 404 when missing, 400 when a list names a plan that does not
 * exist (nothing changes then). The plan as it now is goes to out (db_plan_free). */
int catalog_plan_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                        const struct catalog_plan_patch *patch, struct db_plan *out,
                        struct lic_error *err) CATALOG_WUR;

/* ---- bulk loads (service/catalog_import.c) ---- */

/* `import-catalog FILE.csv`: db_catalog_import in one transaction. */
int catalog_import_csv(struct db_conn *conn, const char *source, const struct catalog_row *rows,
                       size_t n, struct catalog_import_counts *counts,
                       struct lic_error *err) CATALOG_WUR;

struct catalog_rules_counts {
    long plans_added, conflicts_added, prerequisites_changed, countries_changed, mailbox_changed;
    long skipped; /* rules naming unknown plans or countries */
};

/* `import-catalog --rules FILE.json`: a rules object in the format of seed-catalog.json's
 * "rules" (servicePlanIds, mutuallyExclusive, requiresAnyOf, unavailableIn, and our
 * provisionsMailbox) in one transaction. Plans are named; a name resolves through
 * servicePlanIds, else to every plan with that name. Conflicts are added; a named plan's
 * prerequisites and countries are replaced. Unknown names are reported on stderr and skipped. */
int catalog_import_rules(struct db_conn *conn, const char *source, struct json_t *j_rules,
                         struct catalog_rules_counts *counts, struct lic_error *err) CATALOG_WUR;

#define CATALOG_DEMO_ORG_NAME "Contoso"

/* `load-demo`: the demo organization, the seed catalog (j_catalog: db/demo/catalog.json) with its
 * seats and rules, and the demo directory, in one transaction; *changes counts catalog changes
 * (0 when loaded before). */
int catalog_load_demo(struct db_conn *conn, struct json_t *j_catalog, long *changes,
                      struct lic_error *err) CATALOG_WUR;

/* ---- the commands (service/cmd/import_catalog.c, service/cmd/demo.c) ---- */

/* A standalone connection with migrations applied; NULL with "<what>: ..." on stderr. */
struct db_conn *catalog_command_connect(const struct config *cfg, const char *what) CATALOG_WUR;

/* `licensingd import-catalog FILE.csv` (rules = 0) or `--rules FILE.json` (rules = 1): progress
 * and malformed lines on stderr, the summary on stdout; 0 ok, 1 failure. */
int catalog_import_command(const struct config *cfg, const char *path, int rules);

/* `licensingd load-demo`: 0 ok, 1 failure. */
int catalog_demo_command(const struct config *cfg);

#undef CATALOG_WUR

#endif
