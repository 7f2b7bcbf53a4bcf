/* The catalog's bulk loads: the CSV import, the rules import and the demo load, each one
 * transaction with one directoryAudit record per kind of change it made. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/demo.h"
#include "db/directory.h"
#include "service/audit.h"
#include "service/base/country.h"
#include "service/catalog.h"

static const struct audit_actor import_actor = {.app_name = "licensingd import-catalog"};
static const struct audit_actor demo_actor = {.app_name = "licensingd load-demo"};

/* One record for a bulk change that changed something: the source and the counts go to
 * additionalDetails. -1 means roll back. */
static int record(struct db_conn *conn, enum audit_activity activity, const struct audit_actor *by,
                  const char *source, const char *const *keys, const long *values, int n,
                  struct lic_error *err)
{
    long changes = 0;
    for (int i = 0; i < n; i++)
        changes += values[i];
    if (changes == 0)
        return 0;
    json_t *j_details = json_pack("[{s:s, s:s}]", "key", "source", "value", source);
    for (int i = 0; j_details != NULL && i < n; i++) {
        char text[24];
        snprintf(text, sizeof(text), "%ld", values[i]);
        json_array_append_new(j_details, json_pack("{s:s, s:s}", "key", keys[i], "value", text));
    }
    if (j_details == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    struct audit_entry entry = {.activity = activity, .by = by, .j_details = j_details};
    return audit_write(conn, &entry, err);
}

/* ---- CSV ---- */

/* Writes rows and records what changed, inside the caller's transaction. */
static int import_rows(struct db_conn *conn, const struct audit_actor *by, const char *source,
                       const struct catalog_row *rows, size_t n, int rename_existing,
                       struct catalog_import_counts *c, struct lic_error *err)
{
    static const char *const keys[] = {"skusAdded",           "skusUpdated",   "servicePlansAdded",
                                       "servicePlansUpdated", "skuPlansAdded", "skuPlansMoved",
                                       "skuPlansRemoved"};
    if (db_catalog_import(conn, rows, n, rename_existing, c, err) != 0)
        return -1;
    const long values[] = {c->skus_added,  c->skus_updated, c->plans_added,  c->plans_updated,
                           c->links_added, c->links_moved,  c->links_removed};
    return record(conn, AUDIT_IMPORT_CATALOG, by, source, keys, values, 7, err);
}

/* Commits after rc 0, else rolls back; returns rc. */
static int end(struct db_conn *conn, int rc, struct lic_error *err)
{
    if (rc == 0)
        rc = db_commit(conn, err);
    if (rc != 0)
        db_rollback(conn);
    return rc;
}

int catalog_import_csv(struct db_conn *conn, const char *source, const struct catalog_row *rows,
                       size_t n, struct catalog_import_counts *counts, struct lic_error *err)
{
    int rc = db_begin(conn, err);
    if (rc == 0)
        rc = import_rows(conn, &import_actor, source, rows, n, 1, counts, err);
    return end(conn, rc, err);
}

/* ---- rules ---- */

#define MAX_SAME_NAME 8

/* Resolves a plan name: servicePlanIds first, else every plan with that name. */
static int resolve(struct db_conn *conn, json_t *j_ids, const char *name, char (*ids)[GUID_SIZE],
                   int *n, struct lic_error *err)
{
    const char *id = json_string_value(json_object_get(j_ids, name));
    if (id != NULL && guid_normalize(id, ids[0]) == 0) {
        *n = 1;
        return 0;
    }
    if (db_catalog_plans_by_name(conn, name, ids, MAX_SAME_NAME, n, err) != 0)
        return -1;
    if (*n == 0)
        fprintf(stderr, "rules: no service plan named '%s'; its rule is skipped\n", name);
    return 0;
}

static int apply_conflicts(struct db_conn *conn, json_t *j_rules, json_t *j_ids,
                           struct catalog_rules_counts *c, struct lic_error *err)
{
    size_t i;
    json_t *j_pair;
    json_array_foreach(json_object_get(j_rules, "mutuallyExclusive"), i, j_pair)
    {
        const char *a = json_string_value(json_array_get(j_pair, 0));
        const char *b = json_string_value(json_array_get(j_pair, 1));
        char ia[MAX_SAME_NAME][GUID_SIZE], ib[MAX_SAME_NAME][GUID_SIZE];
        int na = 0, nb = 0;
        if (a == NULL || b == NULL || json_array_size(j_pair) != 2) {
            fprintf(stderr, "rules: mutuallyExclusive[%zu] is not a pair of names\n", i);
            c->skipped++;
            continue;
        }
        if (resolve(conn, j_ids, a, ia, &na, err) != 0 ||
            resolve(conn, j_ids, b, ib, &nb, err) != 0)
            return -1;
        if (na == 0 || nb == 0)
            c->skipped++;
        for (int x = 0; x < na; x++)
            for (int y = 0; y < nb; y++) {
                int added = 0;
                if (strcmp(ia[x], ib[y]) == 0)
                    continue;
                if (db_catalog_conflict_add(conn, ia[x], ib[y], &added, err) != 0)
                    return -1;
                c->conflicts_added += added;
            }
    }
    return 0;
}

static int apply_prerequisites(struct db_conn *conn, json_t *j_rules, json_t *j_ids,
                               struct catalog_rules_counts *c, struct lic_error *err)
{
    const char *name;
    json_t *j_list;
    json_object_foreach(json_object_get(j_rules, "requiresAnyOf"), name, j_list)
    {
        char plans[MAX_SAME_NAME][GUID_SIZE], req[64][GUID_SIZE];
        const char *req_ids[64];
        int np = 0, nreq = 0;
        if (resolve(conn, j_ids, name, plans, &np, err) != 0)
            return -1;
        size_t i;
        json_t *j_name;
        json_array_foreach(j_list, i, j_name)
        {
            char found[MAX_SAME_NAME][GUID_SIZE];
            int nf = 0;
            const char *rname = json_string_value(j_name);
            if (rname == NULL)
                continue;
            if (resolve(conn, j_ids, rname, found, &nf, err) != 0)
                return -1;
            for (int k = 0; k < nf && nreq < 64; k++) {
                memcpy(req[nreq], found[k], GUID_SIZE);
                req_ids[nreq] = req[nreq];
                nreq++;
            }
        }
        if (np == 0 || nreq == 0) {
            c->skipped++;
            continue;
        }
        for (int k = 0; k < np; k++) {
            int changed = 0;
            if (db_catalog_prerequisites_replace(conn, plans[k], req_ids, nreq, &changed, err) != 0)
                return -1;
            c->prerequisites_changed += changed;
        }
    }
    return 0;
}

static int apply_countries(struct db_conn *conn, json_t *j_rules, json_t *j_ids,
                           struct catalog_rules_counts *c, struct lic_error *err)
{
    const char *name;
    json_t *j_list;
    json_object_foreach(json_object_get(j_rules, "unavailableIn"), name, j_list)
    {
        char plans[MAX_SAME_NAME][GUID_SIZE];
        const char *codes[300];
        int np = 0, ncodes = 0;
        size_t i;
        json_t *j_code;
        json_array_foreach(j_list, i, j_code)
        {
            const char *code = json_string_value(j_code);
            if (!country_is_valid(code)) {
                fprintf(stderr,
                        "rules: unavailableIn.%s: '%s' is not an ISO 3166-1 alpha-2 "
                        "code; skipped\n",
                        name, code ? code : "?");
                c->skipped++;
            } else if (ncodes < 300) {
                codes[ncodes++] = code;
            }
        }
        if (resolve(conn, j_ids, name, plans, &np, err) != 0)
            return -1;
        if (np == 0)
            c->skipped++;
        for (int k = 0; k < np; k++) {
            int changed = 0;
            if (db_catalog_countries_replace(conn, plans[k], codes, ncodes, &changed, err) != 0)
                return -1;
            c->countries_changed += changed;
        }
    }
    return 0;
}

/* Plans the rules name that the CSV lacks are created from servicePlanIds. */
static int ensure_plans(struct db_conn *conn, json_t *j_ids, struct catalog_rules_counts *c,
                        struct lic_error *err)
{
    const char *name;
    json_t *j_id;
    json_object_foreach(j_ids, name, j_id)
    {
        char id[GUID_SIZE];
        int created = 0;
        if (guid_normalize(json_string_value(j_id), id) != 0) {
            fprintf(stderr, "rules: servicePlanIds.%s is not a GUID; skipped\n", name);
            c->skipped++;
            continue;
        }
        if (db_catalog_plan_ensure(conn, id, name, &created, err) != 0)
            return -1;
        c->plans_added += created;
    }
    return 0;
}

static int apply_mailboxes(struct db_conn *conn, json_t *j_rules, json_t *j_ids,
                           struct catalog_rules_counts *c, struct lic_error *err)
{
    size_t i;
    json_t *j_name;
    json_array_foreach(json_object_get(j_rules, "provisionsMailbox"), i, j_name)
    {
        char plans[MAX_SAME_NAME][GUID_SIZE];
        int np = 0;
        if (!json_is_string(j_name))
            continue;
        if (resolve(conn, j_ids, json_string_value(j_name), plans, &np, err) != 0)
            return -1;
        for (int k = 0; k < np; k++) {
            int changed = 0;
            if (db_catalog_mailbox_set(conn, plans[k], 1, &changed, err) != 0)
                return -1;
            c->mailbox_changed += changed;
        }
    }
    return 0;
}

/* Applies the rules and records what changed, inside the caller's transaction. */
static int apply_rules(struct db_conn *conn, const struct audit_actor *by, const char *source,
                       json_t *j_rules, struct catalog_rules_counts *c, struct lic_error *err)
{
    static const char *const keys[] = {"servicePlansAdded", "conflictsAdded",
                                       "prerequisiteListsChanged", "countryListsChanged",
                                       "mailboxFlagsChanged"};
    memset(c, 0, sizeof(*c));
    json_t *j_ids = json_object_get(j_rules, "servicePlanIds");
    if (ensure_plans(conn, j_ids, c, err) != 0 ||
        apply_conflicts(conn, j_rules, j_ids, c, err) != 0 ||
        apply_prerequisites(conn, j_rules, j_ids, c, err) != 0 ||
        apply_countries(conn, j_rules, j_ids, c, err) != 0 ||
        apply_mailboxes(conn, j_rules, j_ids, c, err) != 0)
        return -1;
    const long values[] = {c->plans_added, c->conflicts_added, c->prerequisites_changed,
                           c->countries_changed, c->mailbox_changed};
    return record(conn, AUDIT_IMPORT_PLAN_RULES, by, source, keys, values, 5, err);
}

int catalog_import_rules(struct db_conn *conn, const char *source, json_t *j_rules,
                         struct catalog_rules_counts *counts, struct lic_error *err)
{
    int rc = db_begin(conn, err);
    if (rc == 0)
        rc = apply_rules(conn, &import_actor, source, j_rules, counts, err);
    return end(conn, rc, err);
}

/* ---- the demo ---- */

#define DEMO_ORG_COUNTRY "US"
#define DEMO_ORG_DOMAIN "contoso.onmicrosoft.com"
#define DEMO_SOURCE "load-demo"

/* The seed's SKUs as CSV-like rows; strings point into j_skus. owned: caller frees. */
static struct catalog_row *rows_from(json_t *j_skus, size_t *n)
{
    size_t cap = 0, i, k;
    json_t *j_sku, *j_plan;
    json_array_foreach(j_skus, i, j_sku) cap +=
        json_array_size(json_object_get(j_sku, "servicePlans"));
    struct catalog_row *rows = calloc(cap + 1, sizeof(*rows));
    *n = 0;
    if (rows == NULL)
        return NULL;
    json_array_foreach(j_skus, i, j_sku)
    {
        json_array_foreach(json_object_get(j_sku, "servicePlans"), k, j_plan)
        {
            struct catalog_row *r = &rows[(*n)++];
            r->line = (long)*n;
            r->sku_id = json_string_value(json_object_get(j_sku, "skuId"));
            r->sku_part = json_string_value(json_object_get(j_sku, "skuPartNumber"));
            r->sku_display = json_string_value(json_object_get(j_sku, "displayName"));
            r->plan_id = json_string_value(json_object_get(j_plan, "servicePlanId"));
            r->plan_name = json_string_value(json_object_get(j_plan, "servicePlanName"));
            r->plan_display = json_string_value(json_object_get(j_plan, "displayName"));
            r->service = catalog_plan_service(r->plan_name);
        }
    }
    return rows;
}

/* Gives each seed SKU its seats unless it has some; each SKU changed gets its own record. */
static int seed_seats(struct db_conn *conn, json_t *j_skus, long *changes, struct lic_error *err)
{
    size_t i;
    json_t *j_sku;
    json_array_foreach(j_skus, i, j_sku)
    {
        int changed = 0;
        const char *id = json_string_value(json_object_get(j_sku, "skuId"));
        int seats = (int)json_integer_value(json_object_get(j_sku, "seats"));
        if (id == NULL || seats <= 0)
            continue;
        if (db_sku_seed_seats(conn, id, seats, &changed, err) != 0)
            return -1;
        if (!changed)
            continue;
        char text[16];
        snprintf(text, sizeof(text), "%d", seats);
        struct audit_target target = {
            .type = "SubscribedSku",
            .id = id,
            .display_name = json_string_value(json_object_get(j_sku, "skuPartNumber")),
            .j_modified = json_pack("[o]", audit_modified("prepaidUnits.enabled", "0", text))};
        struct audit_entry entry = {
            .activity = AUDIT_UPDATE_SKU, .by = &demo_actor, .targets = &target, .n_targets = 1};
        if (audit_write(conn, &entry, err) != 0)
            return -1;
        *changes += 1;
    }
    return 0;
}

static int load_demo(struct db_conn *conn, json_t *j_catalog, long *changes, struct lic_error *err)
{
    int created = 0;
    if (db_org_ensure(conn, CATALOG_DEMO_ORG_NAME, DEMO_ORG_COUNTRY, DEMO_ORG_DOMAIN, &created,
                      err) != 0)
        return -1;
    *changes += created;

    json_t *j_skus = json_object_get(j_catalog, "skus");
    size_t n = 0;
    struct catalog_row *rows = rows_from(j_skus, &n);
    if (rows == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    struct catalog_import_counts c;
    /* Names a full import gave are kept: the demo must not undo it. */
    int rc = import_rows(conn, &demo_actor, DEMO_SOURCE, rows, n, 0, &c, err);
    free(rows);
    if (rc != 0)
        return -1;
    *changes += c.skus_added + c.skus_updated + c.plans_added + c.plans_updated + c.links_added +
                c.links_moved + c.links_removed;
    if (seed_seats(conn, j_skus, changes, err) != 0)
        return -1;

    struct catalog_rules_counts r;
    if (apply_rules(conn, &demo_actor, DEMO_SOURCE, json_object_get(j_catalog, "rules"), &r, err) !=
        0)
        return -1;
    *changes += r.plans_added + r.conflicts_added + r.prerequisites_changed + r.countries_changed +
                r.mailbox_changed;
    return db_demo_load_directory(conn, err);
}

int catalog_load_demo(struct db_conn *conn, json_t *j_catalog, long *changes, struct lic_error *err)
{
    *changes = 0;
    int rc = db_begin(conn, err);
    if (rc == 0)
        rc = load_demo(conn, j_catalog, changes, err);
    return end(conn, rc, err);
}
