/* The product catalog's pure pieces (GUIDs, the assignedPlan service of a plan) and the
 * `import-catalog` and `load-demo` commands built on them. */
#ifndef LICENSINGD_CATALOG_H
#define LICENSINGD_CATALOG_H

#include "service/base/guid.h"

#include <stddef.h>

#include "service/base/config.h"
#include "service/base/error.h"

/* The assignedPlan "service" of a plan from its name ("EXCHANGE_S_STANDARD" -> "exchange"), by
 * a table of name prefixes; NULL when no prefix matches. */
const char *catalog_plan_service(const char *plan_name);

/* `licensingd import-catalog FILE.csv` (rules = 0) or `--rules FILE.json` (rules = 1): progress
 * and malformed lines on stderr, the summary on stdout; 0 ok, 1 failure. */
int catalog_import_command(const struct config *cfg, const char *path, int rules);

struct db_conn;
struct json_t;

struct catalog_rules_counts {
    long plans_added, conflicts_added, prerequisites_changed, countries_changed, mailbox_changed;
    long skipped; /* rules naming unknown plans or countries */
};

/* Applies a rules object in the format of seed-catalog.json's "rules" (servicePlanIds,
 * mutuallyExclusive, requiresAnyOf, unavailableIn, and our provisionsMailbox) inside the
 * caller's transaction. Plans are named; a name resolves through servicePlanIds, else to every
 * plan with that name. Conflicts are added; a named plan's prerequisites and countries are
 * replaced. Unknown names are reported on stderr and skipped. */
int catalog_apply_rules(struct db_conn *conn, struct json_t *j_rules,
                        struct catalog_rules_counts *counts, struct lic_error *err);

struct db_conn;

/* Runs work in one transaction on a standalone connection (migrations applied first); on failure
 * nothing is kept and "<what>: failed..." goes to stderr. 0 ok, 1 failure. */
int catalog_run_transaction(const struct config *cfg, const char *what,
                            int (*work)(struct db_conn *conn, void *arg, struct lic_error *err),
                            void *arg);

/* `licensingd load-demo`: 0 ok, 1 failure. */
int catalog_demo_command(const struct config *cfg);

#endif
