/* `licensingd import-catalog`: Microsoft's product/service-plan CSV, or a rules JSON file. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/catalog.h"
#include "service/catalog.h"
#include "service/base/country.h"
#include "service/base/csv.h"

/* The CSV's columns, found by header name so a reordered export still imports. */
enum column {
    COL_SKU_DISPLAY,
    COL_SKU_PART,
    COL_SKU_ID,
    COL_PLAN_NAME,
    COL_PLAN_ID,
    COL_PLAN_DISPLAY,
    N_COLUMNS
};
static const char *const column_names[N_COLUMNS] = {
    "Product_Display_Name", "String_Id",       "GUID",
    "Service_Plan_Name",    "Service_Plan_Id", "Service_Plans_Included_Friendly_Names"};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Whole file in memory; owned: caller frees. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap) {
            cap = cap * 2 + 65536;
            char *grown = realloc(data, cap + 1);
            if (grown == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    data[*len] = '\0';
    return data;
}

struct parsed {
    struct catalog_row *rows; /* owned, with the strings below */
    char **strings;
    size_t n, cap, nstrings, skipped;
};

static const char *keep(struct parsed *p, const char *s)
{
    char *copy = strdup(s);
    if (copy != NULL)
        p->strings[p->nstrings++] = copy;
    return copy;
}

static void parsed_free(struct parsed *p)
{
    for (size_t i = 0; i < p->nstrings; i++)
        free(p->strings[i]);
    free(p->strings);
    free(p->rows);
}

/* Parses every record; malformed ones are reported with their line and skipped. */
static int parse_csv(const char *path, const char *data, size_t len, struct parsed *p)
{
    struct csv_reader reader;
    struct csv_record rec;
    char reason[128];
    int col[N_COLUMNS], header_fields = 0, rc;
    csv_reader_init(&reader, data, len);
    while ((rc = csv_next(&reader, &rec, reason, sizeof(reason))) != 1) {
        if (rc == 0) {
            fprintf(stderr, "%s: empty file\n", path);
            csv_reader_free(&reader);
            return -1;
        }
        fprintf(stderr, "%s:%ld: malformed header: %s\n", path, reader.line, reason);
    }
    header_fields = rec.nfields;
    for (int c = 0; c < N_COLUMNS; c++) {
        col[c] = -1;
        for (int f = 0; f < rec.nfields; f++)
            if (strcmp(rec.fields[f], column_names[c]) == 0)
                col[c] = f;
        if (col[c] < 0) {
            fprintf(stderr, "%s:%ld: no column '%s' in the header\n", path, rec.line,
                    column_names[c]);
            csv_reader_free(&reader);
            return -1;
        }
    }
    /* Each record gives at most 6 strings. */
    p->cap = len / 16 + 16;
    p->rows = calloc(p->cap, sizeof(*p->rows));
    p->strings = calloc(p->cap * N_COLUMNS, sizeof(*p->strings));
    if (p->rows == NULL || p->strings == NULL) {
        csv_reader_free(&reader);
        return -1;
    }
    while ((rc = csv_next(&reader, &rec, reason, sizeof(reason))) != 0) {
        char sku_id[GUID_SIZE], plan_id[GUID_SIZE];
        if (rc < 0) {
            snprintf(sku_id, sizeof(sku_id), "%s", "");
        } else if (rec.nfields != header_fields) {
            snprintf(reason, sizeof(reason), "%d fields, the header has %d", rec.nfields,
                     header_fields);
            rc = -1;
        } else if (guid_normalize(rec.fields[col[COL_SKU_ID]], sku_id) != 0) {
            snprintf(reason, sizeof(reason), "GUID '%.40s' is not a GUID",
                     rec.fields[col[COL_SKU_ID]]);
            rc = -1;
        } else if (guid_normalize(rec.fields[col[COL_PLAN_ID]], plan_id) != 0) {
            snprintf(reason, sizeof(reason), "Service_Plan_Id '%.40s' is not a GUID",
                     rec.fields[col[COL_PLAN_ID]]);
            rc = -1;
        } else if (rec.fields[col[COL_SKU_PART]][0] == '\0' ||
                   rec.fields[col[COL_PLAN_NAME]][0] == '\0') {
            snprintf(reason, sizeof(reason), "empty String_Id or Service_Plan_Name");
            rc = -1;
        }
        if (rc < 0 || p->n == p->cap) {
            fprintf(stderr, "%s:%ld: skipped: %s\n", path, rc < 0 ? rec.line : reader.line,
                    rc < 0 ? reason : "too many records");
            p->skipped++;
            continue;
        }
        struct catalog_row *row = &p->rows[p->n++];
        row->line = rec.line;
        row->sku_id = keep(p, sku_id);
        row->sku_part = keep(p, rec.fields[col[COL_SKU_PART]]);
        row->sku_display = keep(p, rec.fields[col[COL_SKU_DISPLAY]]);
        row->plan_id = keep(p, plan_id);
        row->plan_name = keep(p, rec.fields[col[COL_PLAN_NAME]]);
        row->plan_display = keep(p, rec.fields[col[COL_PLAN_DISPLAY]]);
        row->service = catalog_plan_service(row->plan_name);
    }
    csv_reader_free(&reader);
    return 0;
}

static int by_sku_then_part(const void *a, const void *b)
{
    const struct catalog_row *x = *(const struct catalog_row *const *)a;
    const struct catalog_row *y = *(const struct catalog_row *const *)b;
    int c = strcmp(x->sku_id, y->sku_id);
    return c ? c : strcmp(x->sku_part, y->sku_part);
}

static int by_part_then_sku(const void *a, const void *b)
{
    const struct catalog_row *x = *(const struct catalog_row *const *)a;
    const struct catalog_row *y = *(const struct catalog_row *const *)b;
    int c = strcmp(x->sku_part, y->sku_part);
    return c ? c : strcmp(x->sku_id, y->sku_id);
}

/* Tells the operator about names shared across GUIDs: a SKU GUID under several part numbers
 * (the part number on most rows is kept, see db_catalog_import), and a part number under
 * several GUIDs (each GUID is its own SKU: skuId is the identity). */
static void report_duplicate_names(const char *path, const struct parsed *p)
{
    const struct catalog_row **order = malloc(p->n * sizeof(*order) + 1);
    if (order == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        order[i] = &p->rows[i];
    qsort(order, p->n, sizeof(*order), by_sku_then_part);
    for (size_t i = 1; i < p->n; i++)
        if (strcmp(order[i]->sku_id, order[i - 1]->sku_id) == 0 &&
            strcmp(order[i]->sku_part, order[i - 1]->sku_part) != 0)
            fprintf(stderr,
                    "%s: SKU %s appears as %s and as %s; the part number on most rows is kept\n",
                    path, order[i]->sku_id, order[i - 1]->sku_part, order[i]->sku_part);
    qsort(order, p->n, sizeof(*order), by_part_then_sku);
    for (size_t i = 1; i < p->n; i++)
        if (strcmp(order[i]->sku_part, order[i - 1]->sku_part) == 0 &&
            strcmp(order[i]->sku_id, order[i - 1]->sku_id) != 0)
            fprintf(stderr,
                    "%s: part number %s names SKUs %s and %s; both are imported (skuId is the "
                    "identity)\n",
                    path, order[i]->sku_part, order[i - 1]->sku_id, order[i]->sku_id);
    free(order);
}

int catalog_run_transaction(const struct config *cfg, const char *what,
                            int (*work)(struct db_conn *conn, void *arg, struct lic_error *err),
                            void *arg)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_connect(cfg->database_url, &err);
    unsigned applied = 0;
    int rc = conn ? db_migrate(conn, &applied, &err) : -1;
    if (rc == 0)
        rc = db_begin(conn, &err);
    if (rc == 0)
        rc = work(conn, arg, &err);
    if (rc == 0)
        rc = db_commit(conn, &err);
    db_disconnect(conn);
    if (rc != 0) {
        fprintf(stderr, "%s: failed, nothing was changed: %s\n", what, err.message);
        return 1;
    }
    return 0;
}

struct csv_work {
    const struct parsed *parsed;
    struct catalog_import_counts counts;
};

static int write_csv(struct db_conn *conn, void *arg, struct lic_error *err)
{
    struct csv_work *w = arg;
    return db_catalog_import(conn, w->parsed->rows, w->parsed->n, 1, &w->counts, err);
}

static int import_csv(const struct config *cfg, const char *path)
{
    double t0 = now_ms();
    size_t len = 0;
    char *data = read_file(path, &len);
    if (data == NULL) {
        perror(path);
        return 1;
    }
    struct parsed p = {0};
    int rc = parse_csv(path, data, len, &p);
    free(data);
    if (rc != 0) {
        parsed_free(&p);
        return 1;
    }
    report_duplicate_names(path, &p);
    fprintf(stderr, "import-catalog: %zu rows read, %zu skipped (%.0f ms); writing\n", p.n,
            p.skipped, now_ms() - t0);

    struct csv_work w = {.parsed = &p};
    rc = catalog_run_transaction(cfg, "import-catalog", write_csv, &w);
    parsed_free(&p);
    if (rc != 0)
        return 1;
    const struct catalog_import_counts *c = &w.counts;
    long changes = c->skus_added + c->skus_updated + c->plans_added + c->plans_updated +
                   c->links_added + c->links_moved + c->links_removed;
    fprintf(stderr, "import-catalog: done in %.0f ms\n", now_ms() - t0);
    printf("%s: %ld SKUs (%ld added, %ld updated), %ld service plans (%ld added, %ld updated), "
           "%ld SKU plans (%ld added, %ld moved, %ld removed), %zu malformed rows skipped: "
           "%ld changes\n",
           path, c->skus, c->skus_added, c->skus_updated, c->plans, c->plans_added,
           c->plans_updated, c->links, c->links_added, c->links_moved, c->links_removed, p.skipped,
           changes);
    return 0;
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

int catalog_apply_rules(struct db_conn *conn, json_t *j_rules, struct catalog_rules_counts *c,
                        struct lic_error *err)
{
    memset(c, 0, sizeof(*c));
    json_t *j_ids = json_object_get(j_rules, "servicePlanIds");
    const char *name;
    json_t *j_id;
    /* Plans the rules name that the CSV lacks are created from servicePlanIds. */
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
    if (apply_conflicts(conn, j_rules, j_ids, c, err) != 0 ||
        apply_prerequisites(conn, j_rules, j_ids, c, err) != 0 ||
        apply_countries(conn, j_rules, j_ids, c, err) != 0)
        return -1;
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

struct rules_work {
    json_t *j_rules;
    struct catalog_rules_counts counts;
};

static int write_rules(struct db_conn *conn, void *arg, struct lic_error *err)
{
    struct rules_work *w = arg;
    return catalog_apply_rules(conn, w->j_rules, &w->counts, err);
}

static int import_rules(const struct config *cfg, const char *path)
{
    json_error_t jerr;
    json_t *j_root = json_load_file(path, 0, &jerr);
    if (j_root == NULL) {
        fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
        return 1;
    }
    /* seed-catalog.json holds the rules under "rules"; a bare rules object works too. */
    json_t *j_rules = json_object_get(j_root, "rules");
    if (!json_is_object(j_rules))
        j_rules = j_root;
    struct rules_work w = {.j_rules = j_rules};
    int rc = catalog_run_transaction(cfg, "import-catalog", write_rules, &w);
    json_decref(j_root);
    if (rc != 0)
        return 1;
    const struct catalog_rules_counts c = w.counts;
    long changes = c.plans_added + c.conflicts_added + c.prerequisites_changed +
                   c.countries_changed + c.mailbox_changed;
    printf("%s: %ld plans added, %ld conflicts added, %ld prerequisite lists, %ld country "
           "lists and %ld mailbox flags changed, %ld rules skipped: %ld changes\n",
           path, c.plans_added, c.conflicts_added, c.prerequisites_changed, c.countries_changed,
           c.mailbox_changed, c.skipped, changes);
    return 0;
}

int catalog_import_command(const struct config *cfg, const char *path, int rules)
{
    if (path == NULL) {
        fprintf(stderr, "usage: licensingd import-catalog FILE.csv | --rules FILE.json\n");
        return 2;
    }
    return rules ? import_rules(cfg, path) : import_csv(cfg, path);
}
