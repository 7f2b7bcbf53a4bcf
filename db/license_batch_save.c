/* Saving the engine's outcome for a batch: states, effective licenses (seats follow by trigger),
 * conversions to direct and generated addresses, in a few multi-row statements whatever the
 * batch size. Rows only: the messages come rendered from service/, the audit is service/'s. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/buf.h"
#include "db/internal.h"
#include "db/licensing.h"

static const struct db_stmt stmt_save_states = {
    "lic_save_states",
    "INSERT INTO license_assignment_states AS l"
    "       (user_id, sku_id, path_id, group_id, disabled_plans, state, error, error_message)"
    " SELECT u, s, p, g, d::uuid[], st, e, nullif(m, '')"
    "   FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],"
    "               $7::text[], $8::text[]) AS x(u, s, p, g, d, st, e, m)"
    " ON CONFLICT (user_id, sku_id, path_id) DO UPDATE"
    "    SET disabled_plans = EXCLUDED.disabled_plans, state = EXCLUDED.state,"
    "        error = EXCLUDED.error, error_message = EXCLUDED.error_message, updated_at = now()"
    "  WHERE (l.disabled_plans, l.state, l.error, l.error_message) IS DISTINCT FROM"
    "        (EXCLUDED.disabled_plans, EXCLUDED.state, EXCLUDED.error, EXCLUDED.error_message)",
    8};

static const struct db_stmt stmt_drop_states = {
    "lic_drop_states",
    "DELETE FROM license_assignment_states l"
    " USING unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(u, s, p)"
    " WHERE l.user_id = x.u AND l.sku_id = x.s AND l.path_id = x.p",
    3};

/* §4.4: the path becomes a direct assignment. A direct assignment of the SKU that exists already
 * keeps only the plans disabled in both, so the user keeps every plan it had. */
static const struct db_stmt stmt_to_direct = {
    "lic_to_direct",
    "INSERT INTO user_direct_licenses AS d (user_id, sku_id, disabled_plans)"
    " SELECT u, s, ds::uuid[] FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(u, s, ds)"
    " ON CONFLICT (user_id, sku_id) DO UPDATE SET disabled_plans ="
    "   ARRAY(SELECT unnest(d.disabled_plans) INTERSECT SELECT unnest(EXCLUDED.disabled_plans))",
    3};

/* Seats freed first, then taken: the seat CHECK is evaluated per statement. Both report the
 * (user, SKU) pairs they changed, for the caller's audit records (semantics §4.8). The licenses
 * dropped are those the batch loaded as held (its users are locked) that the outcome no longer
 * has: named one by one, so a batch that frees nothing runs no statement at all. */
static const struct db_stmt stmt_drop_licenses = {
    "lic_drop_licenses",
    "WITH changed AS (DELETE FROM user_licenses l USING unnest($1::uuid[], $2::uuid[]) AS x(u, s)"
    "                  WHERE l.user_id = x.u AND l.sku_id = x.s"
    " RETURNING l.user_id, l.sku_id)"
    " SELECT user_id, sku_id FROM changed ORDER BY user_id, sku_id",
    2};

static const struct db_stmt stmt_put_licenses = {
    "lic_put_licenses",
    "WITH changed AS (INSERT INTO user_licenses AS l (user_id, sku_id, disabled_plans)"
    " SELECT u, s, d::uuid[] FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(u, s, d)"
    " ON CONFLICT (user_id, sku_id) DO UPDATE SET disabled_plans = EXCLUDED.disabled_plans"
    "  WHERE l.disabled_plans IS DISTINCT FROM EXCLUDED.disabled_plans"
    " RETURNING l.user_id, l.sku_id)"
    " SELECT user_id, sku_id FROM changed ORDER BY user_id, sku_id",
    3};

/* §4.7: the primary SMTP address, and mail when it is empty. Each user is reached through an
 * index, one probe per id, whatever the size of the tables: the position by the primary key
 * (user_id, position), the users row by its id and then by the ctid that probe found (the batch
 * holds the users FOR UPDATE, so the row does not move). Joined on the id instead, the planner
 * hashed a sequential scan of every user for each batch once the batch looked large beside the
 * table (61 ms a batch of 2,000 at 100,000 users, growing with the table). */
static const struct db_stmt stmt_add_smtp = {
    "lic_add_smtp",
    "WITH x AS (SELECT u, a FROM unnest($1::uuid[], $2::text[]) AS x(u, a)),"
    " ins AS (INSERT INTO user_proxy_addresses (user_id, position, address, address_key, "
    "is_primary)"
    "         SELECT x.u, coalesce((SELECT p.position + 1 FROM user_proxy_addresses p"
    "                                WHERE p.user_id = x.u ORDER BY p.position DESC LIMIT 1), 0),"
    "                x.a, lower(substr(x.a, 6)), true FROM x)"
    " UPDATE users SET mail = substr(y.a, 6), updated_at = now()"
    "   FROM (SELECT x.a, t.loc FROM x CROSS JOIN LATERAL"
    "          (SELECT ctid AS loc FROM users WHERE id = x.u AND mail IS NULL OFFSET 0) t) y"
    "  WHERE users.ctid = y.loc",
    2};

#define MAX_COLUMNS 8

/* Rows of one statement, column by column: each column is one array parameter. */
struct columns {
    struct buf c[MAX_COLUMNS];
    int n;
    int rows;
};

static void cols_begin(struct columns *k, int n)
{
    assert(n <= MAX_COLUMNS);
    memset(k, 0, sizeof(*k));
    k->n = n;
    for (int i = 0; i < n; i++)
        db_array_begin(&k->c[i]);
}

static void cols_row(struct columns *k, const char *const *values)
{
    for (int i = 0; i < k->n; i++)
        db_array_add(&k->c[i], values[i]);
    k->rows++;
}

static void cols_free(struct columns *k)
{
    for (int i = 0; i < k->n; i++)
        buf_free(&k->c[i]);
    memset(k, 0, sizeof(*k));
}

/* Runs stmt with the columns as array parameters (nothing when there are no rows); the result,
 * or NULL: with err set on failure, without when skipped. */
static PGresult *cols_exec(struct db_conn *conn, const struct db_stmt *stmt, struct columns *k,
                           int *failed, struct lic_error *err)
{
    const char *params[MAX_COLUMNS];
    for (int i = 0; i < k->n; i++) {
        db_array_end(&k->c[i]);
        if (k->c[i].failed) {
            *failed = 1;
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        params[i] = k->c[i].data;
    }
    if (k->rows == 0)
        return NULL;
    PGresult *r = db_exec(conn, stmt, params, err);
    *failed = r == NULL;
    return r;
}

/* "{id,id}" of plan indexes, in scratch. */
static const char *plans_text(const struct lic_batch *b, const int *plans, int n, struct buf *t)
{
    db_array_begin(t);
    for (int i = 0; i < n; i++)
        db_array_add(t, b->catalog.plans[plans[i]].id);
    db_array_end(t);
    return t->failed ? "{}" : t->data;
}

enum { DROP_STATES, PUT_STATES, TO_DIRECT, DROP_LICENSES, PUT_LICENSES, ADD_SMTP, N_SETS };

static const struct db_stmt *const set_stmts[N_SETS] = {
    [DROP_STATES] = &stmt_drop_states,   [PUT_STATES] = &stmt_save_states,
    [TO_DIRECT] = &stmt_to_direct,       [DROP_LICENSES] = &stmt_drop_licenses,
    [PUT_LICENSES] = &stmt_put_licenses, [ADD_SMTP] = &stmt_add_smtp,
};
static const int set_columns[N_SETS] = {[DROP_STATES] = 3,   [PUT_STATES] = 8,   [TO_DIRECT] = 3,
                                        [DROP_LICENSES] = 2, [PUT_LICENSES] = 3, [ADD_SMTP] = 2};

struct saver {
    const struct lic_batch *b;
    const struct lic_result *results;
    const char **const *messages;
    struct columns sets[N_SETS];
    struct buf scratch;
};

/* The rows for SKU j of path i of user u: its state, or its removal or conversion to direct. */
static void path_sku_rows(struct saver *sv, int u, int i, int j)
{
    const struct lic_batch *b = sv->b;
    const struct lic_batch_user *bu = &b->users[u];
    const struct lic_path *p = &bu->paths[i];
    const struct lic_path_sku *ps = &p->skus[j];
    const struct lic_path_result *pr = &sv->results[u].paths[i];
    const char *sku = b->catalog.skus[ps->sku].sku_id;
    /* A path kept on its previous plans records those, not the new intent. */
    int previous = pr->kept_previous && ps->prev_disabled != NULL;
    const char *dis = plans_text(b, previous ? ps->prev_disabled : ps->disabled_plans,
                                 previous ? ps->n_prev_disabled : ps->n_disabled, &sv->scratch);
    if (pr->removed || pr->convert_to_direct) {
        const char *row[] = {bu->id, sku, bu->meta[i].path_id};
        cols_row(&sv->sets[DROP_STATES], row);
    }
    if (pr->removed)
        return;
    if (pr->convert_to_direct) {
        const char *row[] = {bu->id, sku, dis};
        cols_row(&sv->sets[TO_DIRECT], row);
        /* With a direct path of its own, that path writes the direct state row. */
        if (lic_batch_direct_path(bu, ps->sku) < 0) {
            const char *st[] = {bu->id,
                                sku,
                                LIC_DIRECT_PATH_ID,
                                NULL,
                                dis,
                                license_state_name(LIC_STATE_ACTIVE),
                                license_error_name(LIC_ERROR_NONE),
                                ""};
            cols_row(&sv->sets[PUT_STATES], st);
        }
        return;
    }
    const char *message = sv->messages && sv->messages[u] ? sv->messages[u][i] : NULL;
    const char *st[] = {bu->id,
                        sku,
                        bu->meta[i].path_id,
                        p->group_id,
                        dis,
                        license_state_name(pr->sku_states[j]),
                        license_error_name(pr->why.error),
                        message ? message : ""};
    cols_row(&sv->sets[PUT_STATES], st);
}

/* The user holds the SKU already with these disabled plans: writing it again would change
 * nothing (the upsert would skip it, after probing the key and checking the foreign keys). */
static int held_as_is(const struct lic_batch_user *bu, int sku, const char *disabled)
{
    for (int h = 0; h < bu->input.n_held; h++)
        if (bu->input.held_skus[h] == sku)
            return bu->held_disabled != NULL && bu->held_disabled[h] != NULL &&
                   strcmp(bu->held_disabled[h], disabled) == 0;
    return 0;
}

static void user_rows(struct saver *sv, int u)
{
    const struct lic_batch *b = sv->b;
    const struct lic_batch_user *bu = &b->users[u];
    const struct lic_result *r = &sv->results[u];
    for (int i = 0; i < bu->input.n_paths; i++)
        for (int j = 0; j < bu->paths[i].n_skus; j++)
            path_sku_rows(sv, u, i, j);
    for (int e = 0; e < r->n_effective; e++) {
        const struct lic_effective *eff = &r->effective[e];
        const char *row[] = {bu->id, b->catalog.skus[eff->sku].sku_id,
                             plans_text(b, eff->disabled_plans, eff->n_disabled, &sv->scratch)};
        if (!held_as_is(bu, eff->sku, row[2]))
            cols_row(&sv->sets[PUT_LICENSES], row);
    }
    for (int h = 0; h < bu->input.n_held; h++) {
        int kept = 0;
        for (int e = 0; e < r->n_effective && !kept; e++)
            kept = r->effective[e].sku == bu->input.held_skus[h];
        if (!kept) {
            const char *row[] = {bu->id, b->catalog.skus[bu->input.held_skus[h]].sku_id};
            cols_row(&sv->sets[DROP_LICENSES], row);
        }
    }
    if (r->needs_primary_smtp) {
        const char *row[] = {bu->id, bu->smtp_address};
        cols_row(&sv->sets[ADD_SMTP], row);
    }
}

/* The (user, SKU) pairs a statement reports, appended to *list. */
static int take_changes(PGresult *r, struct lic_saved_change **list, int *n)
{
    int rows = r ? PQntuples(r) : 0;
    if (rows == 0)
        return 0;
    struct lic_saved_change *grown = realloc(*list, (size_t)(*n + rows) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    *list = grown;
    for (int i = 0; i < rows; i++, (*n)++) {
        snprintf(grown[*n].user_id, GUID_SIZE, "%s", PQgetvalue(r, i, 0));
        snprintf(grown[*n].sku_id, GUID_SIZE, "%s", PQgetvalue(r, i, 1));
    }
    return 0;
}

int db_licensing_save(struct db_conn *conn, const struct lic_batch *b,
                      const struct lic_result *results, const char **const *messages,
                      struct lic_saved *saved, struct lic_error *err)
{
    struct saver sv = {.b = b, .results = results, .messages = messages};
    if (saved != NULL)
        memset(saved, 0, sizeof(*saved));
    for (int s = 0; s < N_SETS; s++)
        cols_begin(&sv.sets[s], set_columns[s]);
    for (int u = 0; u < b->n_users; u++)
        if (b->users[u].found)
            user_rows(&sv, u);
    buf_free(&sv.scratch);
    int rc = 0;
    for (int s = 0; s < N_SETS; s++) {
        int failed = 0;
        PGresult *r = rc == 0 ? cols_exec(conn, set_stmts[s], &sv.sets[s], &failed, err) : NULL;
        if (failed)
            rc = -1;
        if (rc == 0 && saved != NULL &&
            ((s == DROP_LICENSES && take_changes(r, &saved->removed, &saved->n_removed) != 0) ||
             (s == PUT_LICENSES && take_changes(r, &saved->assigned, &saved->n_assigned) != 0)))
            rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        PQclear(r);
        cols_free(&sv.sets[s]);
    }
    if (rc != 0)
        db_licensing_saved_free(saved);
    return rc;
}

void db_licensing_saved_free(struct lic_saved *saved)
{
    if (saved == NULL)
        return;
    free(saved->assigned);
    free(saved->removed);
    memset(saved, 0, sizeof(*saved));
}
