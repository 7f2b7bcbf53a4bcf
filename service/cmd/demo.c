/* `licensingd load-demo`: the demo organization, the seed catalog with seats and rules, and a
 * small directory, all from db/demo/ compiled into the binary; loading twice changes nothing. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/catalog.h"
#include "db/demo.h"
#include "db/directory.h"
#include "service/catalog.h"

#define DEMO_ORG_NAME "Contoso"
#define DEMO_ORG_COUNTRY "US"
#define DEMO_ORG_DOMAIN "contoso.onmicrosoft.com"

/* The seed's SKUs as CSV-like rows; strings point into j_catalog. owned: caller frees. */
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

struct demo_work {
    json_t *j_catalog;
    long changes;
};

static int load(struct db_conn *conn, void *arg, struct lic_error *err)
{
    json_t *j_catalog = ((struct demo_work *)arg)->j_catalog;
    long *changes = &((struct demo_work *)arg)->changes;
    int created = 0;
    if (db_org_ensure(conn, DEMO_ORG_NAME, DEMO_ORG_COUNTRY, DEMO_ORG_DOMAIN, &created, err) != 0)
        return -1;
    *changes += created;

    json_t *j_skus = json_object_get(j_catalog, "skus");
    size_t n = 0;
    struct catalog_row *rows = rows_from(j_skus, &n);
    if (rows == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    struct catalog_import_counts c;
    int rc = db_catalog_import(conn, rows, n, 0, &c, err);
    free(rows);
    if (rc != 0)
        return -1;
    *changes += c.skus_added + c.skus_updated + c.plans_added + c.plans_updated + c.links_added +
                c.links_moved + c.links_removed;

    size_t i;
    json_t *j_sku;
    json_array_foreach(j_skus, i, j_sku)
    {
        int changed = 0;
        const char *id = json_string_value(json_object_get(j_sku, "skuId"));
        int seats = (int)json_integer_value(json_object_get(j_sku, "seats"));
        if (id != NULL && seats > 0 && db_sku_seed_seats(conn, id, seats, &changed, err) != 0)
            return -1;
        *changes += changed;
    }

    struct catalog_rules_counts rc_counts;
    if (catalog_apply_rules(conn, json_object_get(j_catalog, "rules"), &rc_counts, err) != 0)
        return -1;
    *changes += rc_counts.plans_added + rc_counts.conflicts_added +
                rc_counts.prerequisites_changed + rc_counts.countries_changed +
                rc_counts.mailbox_changed;
    return db_demo_load_directory(conn, err);
}

int catalog_demo_command(const struct config *cfg)
{
    const char *text = db_demo_file("catalog.json");
    json_error_t jerr;
    json_t *j_catalog = text ? json_loads(text, 0, &jerr) : NULL;
    if (j_catalog == NULL) {
        fprintf(stderr, "load-demo: the embedded catalog.json does not load\n");
        return 1;
    }
    size_t nskus = json_array_size(json_object_get(j_catalog, "skus"));
    struct demo_work w = {.j_catalog = j_catalog};
    int rc = catalog_run_transaction(cfg, "load-demo", load, &w);
    json_decref(j_catalog);
    if (rc != 0)
        return 1;
    printf("load-demo: organization %s, %zu SKUs with seats, rules and a directory of 3 groups "
           "and 6 users: %ld catalog changes\n",
           DEMO_ORG_NAME, nskus, w.changes);
    return 0;
}
