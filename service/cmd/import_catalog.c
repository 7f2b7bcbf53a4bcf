/* `licensingd import-catalog`: Microsoft's product/service-plan CSV, or a rules JSON file. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/base/buf.h"
#include "service/base/csv.h"
#include "service/catalog.h"

/* The CSV's columns, found by header name so a reordered export still imports. */
enum column {
    COL_SKU_DISPLAY,
    COL_SKU_PART,
    COL_SKU_ID,
    COL_PLAN_NAME,
    COL_PLAN_ID,
    COL_PLAN_DISPLAY,
    COL_COUNT
};
static const char *const column_names[COL_COUNT] = {
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
    struct buf b = {0};
    size_t got;
    do {
        if (buf_reserve(&b, 65536) != 0)
            break;
        got = fread(b.data + b.len, 1, 65536, f);
        b.len += got;
        b.data[b.len] = '\0';
    } while (got > 0);
    fclose(f);
    *len = b.len;
    return buf_take(&b);
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

/* Reads the header and finds each column in it; -1 (reported) when one is missing. */
static int read_header(const char *path, struct csv_reader *reader, int col[COL_COUNT],
                       int *header_fields)
{
    struct csv_record rec;
    char reason[128];
    int rc;
    while ((rc = csv_next(reader, &rec, reason, sizeof(reason))) != 1) {
        if (rc == 0) {
            fprintf(stderr, "%s: empty file\n", path);
            return -1;
        }
        fprintf(stderr, "%s:%ld: malformed header: %s\n", path, reader->line, reason);
    }
    *header_fields = rec.nfields;
    for (int c = 0; c < COL_COUNT; c++) {
        col[c] = -1;
        for (int f = 0; f < rec.nfields; f++)
            if (strcmp(rec.fields[f], column_names[c]) == 0)
                col[c] = f;
        if (col[c] < 0) {
            fprintf(stderr, "%s:%ld: no column '%s' in the header\n", path, rec.line,
                    column_names[c]);
            return -1;
        }
    }
    return 0;
}

/* Parses every record; malformed ones are reported with their line and skipped. */
static int parse_csv(const char *path, const char *data, size_t len, struct parsed *p)
{
    struct csv_reader reader;
    struct csv_record rec;
    char reason[128];
    int col[COL_COUNT], header_fields = 0, rc;
    csv_reader_init(&reader, data, len);
    if (read_header(path, &reader, col, &header_fields) != 0) {
        csv_reader_free(&reader);
        return -1;
    }
    /* Each record gives at most 6 strings. */
    p->cap = len / 16 + 16;
    p->rows = calloc(p->cap, sizeof(*p->rows));
    p->strings = calloc(p->cap * COL_COUNT, sizeof(*p->strings));
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

struct db_conn *catalog_command_connect(const struct config *cfg, const char *what)
{
    struct lic_error err;
    lic_error_clear(&err);
    unsigned applied = 0;
    struct db_conn *conn = db_connect(cfg->database_url, &err);
    if (conn != NULL && db_migrate(conn, &applied, &err) == 0)
        return conn;
    db_disconnect(conn);
    fprintf(stderr, "%s: failed, nothing was changed: %s\n", what, err.message);
    return NULL;
}

/* Runs one of the catalog's bulk writes on a standalone connection; 0 ok, 1 failure (reported). */
static int run(const struct config *cfg, const char *path, const void *input, void *counts,
               int (*write)(struct db_conn *conn, const char *path, const void *input, void *counts,
                            struct lic_error *err))
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = catalog_command_connect(cfg, "import-catalog");
    if (conn == NULL)
        return 1;
    int rc = write(conn, path, input, counts, &err);
    db_disconnect(conn);
    if (rc != 0)
        fprintf(stderr, "import-catalog: failed, nothing was changed: %s\n", err.message);
    return rc != 0;
}

static int write_csv(struct db_conn *conn, const char *path, const void *input, void *counts,
                     struct lic_error *err)
{
    const struct parsed *p = input;
    return catalog_import_csv(conn, path, p->rows, p->n, counts, err);
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

    struct catalog_import_counts counts;
    rc = run(cfg, path, &p, &counts, write_csv);
    parsed_free(&p);
    if (rc != 0)
        return 1;
    const struct catalog_import_counts *c = &counts;
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

static int write_rules(struct db_conn *conn, const char *path, const void *input, void *counts,
                       struct lic_error *err)
{
    return catalog_import_rules(conn, path, (json_t *)input, counts, err);
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
    struct catalog_rules_counts c;
    int rc = run(cfg, path, j_rules, &c, write_rules);
    json_decref(j_root);
    if (rc != 0)
        return 1;
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
