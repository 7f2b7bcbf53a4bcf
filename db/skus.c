/* Subscribed SKUs in PostgreSQL: reading them with their plans, and their row-level writes. */
#include <stdio.h>
#include <string.h>

#include "db/catalog.h"
#include "db/catalog_rows.h"
#include "db/internal.h"

/* ---- reading ---- */

static const struct db_stmt stmt_account = {"catalog_account",
                                            "SELECT id, display_name FROM organization LIMIT 1", 0};

int db_catalog_account(struct db_conn *conn, char id[GUID_SIZE], char *name, size_t name_size,
                       struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_account, NULL, err);
    if (r == NULL)
        return -1;
    snprintf(id, GUID_SIZE, "00000000-0000-0000-0000-000000000000");
    name[0] = '\0';
    if (PQntuples(r) > 0) {
        cell_copy(r, 0, 0, id, GUID_SIZE);
        cell_copy(r, 0, 1, name, name_size);
    }
    PQclear(r);
    return 0;
}

/* A page of SKUs joined with their plans: one row per (SKU, plan), SKUs without plans once. */
#define SKU_SELECT                                                                                 \
    "SELECT s.sku_id, s.sku_part_number, s.display_name, s.applies_to, s.capability_status,"       \
    " s.prepaid_enabled, s.prepaid_suspended, s.prepaid_warning, s.prepaid_locked_out,"            \
    " s.consumed_units, array_to_string(s.subscription_ids, ','), p.id, p.name, p.applies_to"      \
    " FROM page s LEFT JOIN sku_service_plans l ON l.sku_id = s.sku_id"                            \
    " LEFT JOIN service_plans p ON p.id = l.plan_id ORDER BY s.sku_id, l.position"

/* The columns of SKU_SELECT. */
enum sku_col {
    SC_ID,
    SC_PART,
    SC_DISPLAY,
    SC_APPLIES,
    SC_STATUS,
    SC_UNITS, /* SKU_UNITS_COUNT columns, in enum sku_units order */
    SC_CONSUMED = SC_UNITS + SKU_UNITS_COUNT,
    SC_SUBSCRIPTIONS,
    SC_PLAN_ID,
    SC_PLAN_NAME,
    SC_PLAN_APPLIES,
    SC_COUNT
};

static const struct db_stmt stmt_skus_first = {
    "catalog_skus_first", "WITH page AS (SELECT * FROM skus ORDER BY sku_id LIMIT $1) " SKU_SELECT,
    1};

static const struct db_stmt stmt_skus_after = {
    "catalog_skus_after",
    "WITH page AS (SELECT * FROM skus WHERE sku_id > $1 ORDER BY sku_id LIMIT $2) " SKU_SELECT, 2};

static const struct db_stmt stmt_sku_get = {
    "catalog_sku_get", "WITH page AS (SELECT * FROM skus WHERE sku_id = $1) " SKU_SELECT, 1};

void db_sku_free(struct db_sku *s)
{
    free(s->part_number);
    free(s->display_name);
    free(s->subscription_ids);
    for (int i = 0; i < s->nplans; i++)
        free(s->plans[i].name);
    free(s->plans);
    memset(s, 0, sizeof(*s));
}

void db_skus_free(struct db_sku *s, int n)
{
    for (int i = 0; s != NULL && i < n; i++)
        db_sku_free(&s[i]);
    free(s);
}

/* Groups the joined rows into SKUs; returns how many (out has room for every row). */
static int skus_from(const PGresult *r, struct db_sku *out)
{
    int n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (n == 0 || strcmp(out[n - 1].sku_id, PQgetvalue(r, i, SC_ID)) != 0) {
            struct db_sku *s = &out[n++];
            cell_copy(r, i, SC_ID, s->sku_id, sizeof(s->sku_id));
            s->part_number = cell_dup(r, i, SC_PART);
            s->display_name = cell_dup(r, i, SC_DISPLAY);
            cell_copy(r, i, SC_APPLIES, s->applies_to, sizeof(s->applies_to));
            cell_copy(r, i, SC_STATUS, s->capability_status, sizeof(s->capability_status));
            for (int u = 0; u < SKU_UNITS_COUNT; u++)
                s->units[u] = (int)cell_long(r, i, SC_UNITS + u);
            s->consumed = (int)cell_long(r, i, SC_CONSUMED);
            s->subscription_ids = cell_dup(r, i, SC_SUBSCRIPTIONS);
            s->plans = calloc((size_t)cell_run_length(r, i), sizeof(*s->plans));
        }
        struct db_sku *s = &out[n - 1];
        if (!PQgetisnull(r, i, SC_PLAN_ID) && s->plans != NULL) {
            struct db_sku_plan *p = &s->plans[s->nplans++];
            cell_copy(r, i, SC_PLAN_ID, p->id, sizeof(p->id));
            p->name = cell_dup(r, i, SC_PLAN_NAME);
            cell_copy(r, i, SC_PLAN_APPLIES, p->applies_to, sizeof(p->applies_to));
        }
    }
    return n;
}

int db_skus_list(struct db_conn *conn, const char *after, int limit, struct db_sku **out, int *n,
                 struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *first[] = {lim};
    const char *next[] = {after, lim};
    PGresult *r = after ? db_exec(conn, &stmt_skus_after, next, err)
                        : db_exec(conn, &stmt_skus_first, first, err);
    if (r == NULL)
        return -1;
    *out = calloc((size_t)PQntuples(r) + 1, sizeof(**out));
    *n = *out ? skus_from(r, *out) : 0;
    PQclear(r);
    return *out ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}

int db_sku_get(struct db_conn *conn, const char *sku_id, struct db_sku *out, struct lic_error *err)
{
    const char *params[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_get, params, err);
    if (r == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    int n = skus_from(r, out);
    PQclear(r);
    return n == 1 ? 0 : DB_CATALOG_NONE;
}

/* ---- writing ---- */

/* The numbers as text parameters; units < 0 become SQL NULL (unchanged). */
static void units_params(const int units[SKU_UNITS_COUNT], char text[SKU_UNITS_COUNT][16],
                         const char *params[SKU_UNITS_COUNT])
{
    for (int i = 0; i < SKU_UNITS_COUNT; i++) {
        params[i] = NULL;
        if (units[i] >= 0) {
            snprintf(text[i], sizeof(text[i]), "%d", units[i]);
            params[i] = text[i];
        }
    }
}

static const struct db_stmt stmt_sku_insert = {
    "catalog_sku_insert",
    "INSERT INTO skus (sku_id, sku_part_number, display_name, applies_to, capability_status,"
    " prepaid_enabled, prepaid_suspended, prepaid_warning, prepaid_locked_out, subscription_ids)"
    " VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, coalesce($4, 'User'),"
    " coalesce($5, 'Enabled'), $6, $7, $8, $9, $10::uuid[])"
    " ON CONFLICT (sku_id) DO NOTHING RETURNING sku_id",
    10};

int db_sku_insert(struct db_conn *conn, const struct db_sku_new *sku, char out_id[GUID_SIZE],
                  int *inserted, struct lic_error *err)
{
    char nums[SKU_UNITS_COUNT][16];
    const char *units[SKU_UNITS_COUNT];
    units_params(sku->units, nums, units);
    char *subs = db_array_literal(sku->subscription_ids, sku->nsubscriptions);
    if (subs == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {sku->sku_id,
                            sku->part_number,
                            sku->display_name,
                            sku->applies_to,
                            sku->capability_status,
                            units[SKU_UNITS_ENABLED],
                            units[SKU_UNITS_SUSPENDED],
                            units[SKU_UNITS_WARNING],
                            units[SKU_UNITS_LOCKED_OUT],
                            subs};
    PGresult *r = db_exec(conn, &stmt_sku_insert, params, err);
    free(subs);
    if (r == NULL)
        return -1;
    *inserted = PQntuples(r) > 0;
    out_id[0] = '\0';
    if (*inserted)
        cell_copy(r, 0, 0, out_id, GUID_SIZE);
    PQclear(r);
    return 0;
}

static const struct db_stmt stmt_sku_link_plans = {
    "catalog_sku_link_plans",
    "INSERT INTO sku_service_plans (sku_id, plan_id, position)"
    " SELECT $1, x, i FROM unnest($2::uuid[]) WITH ORDINALITY AS u(x, i) ON CONFLICT DO NOTHING",
    2};

int db_sku_link_plans(struct db_conn *conn, const char *sku_id, const char *const *ids, int n,
                      struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {sku_id, list};
    long rc = db_exec_command(conn, &stmt_sku_link_plans, params, err);
    free(list);
    return rc < 0 ? -1 : 0;
}

static const struct db_stmt stmt_sku_lock = {
    "catalog_sku_lock",
    "SELECT sku_part_number, capability_status, prepaid_enabled, prepaid_suspended,"
    " prepaid_warning, prepaid_locked_out, skus.consumed_units FROM skus WHERE sku_id = $1"
    " FOR NO KEY UPDATE",
    1};

int db_sku_lock(struct db_conn *conn, const char *sku_id, struct db_sku_state *out,
                struct lic_error *err)
{
    const char *params[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_lock, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        cell_copy(r, 0, 0, out->part_number, sizeof(out->part_number));
        cell_copy(r, 0, 1, out->capability_status, sizeof(out->capability_status));
        for (int u = 0; u < SKU_UNITS_COUNT; u++)
            out->units[u] = (int)cell_long(r, 0, 2 + u);
        out->consumed = (int)cell_long(r, 0, 2 + SKU_UNITS_COUNT);
    }
    PQclear(r);
    return found ? 0 : DB_CATALOG_NONE;
}

static const struct db_stmt stmt_sku_update = {
    "catalog_sku_update",
    "UPDATE skus SET prepaid_enabled = coalesce($2::integer, prepaid_enabled),"
    " prepaid_suspended = coalesce($3::integer, prepaid_suspended),"
    " prepaid_warning = coalesce($4::integer, prepaid_warning),"
    " prepaid_locked_out = coalesce($5::integer, prepaid_locked_out),"
    " capability_status = coalesce($6, capability_status), updated_at = now() WHERE sku_id = $1",
    6};

int db_sku_update(struct db_conn *conn, const char *sku_id, const struct db_sku_patch *patch,
                  struct lic_error *err)
{
    char nums[SKU_UNITS_COUNT][16];
    const char *units[SKU_UNITS_COUNT];
    units_params(patch->units, nums, units);
    const char *params[] = {sku_id,
                            units[SKU_UNITS_ENABLED],
                            units[SKU_UNITS_SUSPENDED],
                            units[SKU_UNITS_WARNING],
                            units[SKU_UNITS_LOCKED_OUT],
                            patch->capability_status};
    return db_exec_command(conn, &stmt_sku_update, params, err) < 0 ? -1 : 0;
}

static const struct db_stmt stmt_sku_usage = {
    "catalog_sku_usage",
    "SELECT s.sku_part_number, s.consumed_units,"
    " (SELECT count(*) FROM group_licenses g WHERE g.sku_id = s.sku_id),"
    " (SELECT count(*) FROM user_direct_licenses d WHERE d.sku_id = s.sku_id)"
    " FROM skus s WHERE s.sku_id = $1 FOR UPDATE",
    1};

int db_sku_usage(struct db_conn *conn, const char *sku_id, struct db_sku_usage *out,
                 struct lic_error *err)
{
    const char *params[] = {sku_id};
    PGresult *r = db_exec(conn, &stmt_sku_usage, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        cell_copy(r, 0, 0, out->part_number, sizeof(out->part_number));
        out->consumed = cell_long(r, 0, 1);
        out->groups = cell_long(r, 0, 2);
        out->users = cell_long(r, 0, 3);
    }
    PQclear(r);
    return found ? 0 : DB_CATALOG_NONE;
}

static const struct db_stmt stmt_sku_delete = {"catalog_sku_delete",
                                               "DELETE FROM skus WHERE sku_id = $1", 1};

int db_sku_delete(struct db_conn *conn, const char *sku_id, struct lic_error *err)
{
    const char *params[] = {sku_id};
    return db_exec_command(conn, &stmt_sku_delete, params, err) < 0 ? -1 : 0;
}

static const struct db_stmt stmt_sku_seed_seats = {
    "catalog_sku_seed_seats",
    "UPDATE skus SET prepaid_enabled = $2, updated_at = now()"
    " WHERE sku_id = $1 AND prepaid_enabled = 0",
    2};

int db_sku_seed_seats(struct db_conn *conn, const char *sku_id, int enabled, int *changed,
                      struct lic_error *err)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", enabled);
    const char *params[] = {sku_id, num};
    long n = db_exec_command(conn, &stmt_sku_seed_seats, params, err);
    if (n < 0)
        return -1;
    *changed = n > 0;
    return 0;
}
