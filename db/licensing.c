/* Licensing data in bulk: a batch of users' paths and the catalog rules they involve are read in
 * a fixed number of queries whatever the batch size, and the outcome is written the same way. */
#include "db/licensing.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/arena.h"
#include "db/internal.h"

/* ---- small helpers: an id -> index map and array literals ---- */

struct id_map {
    const char **keys;
    int *values;
    int cap, count;
};

static unsigned hash_id(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int map_init(struct id_map *m, int expected)
{
    m->cap = 64;
    while (m->cap < expected * 2)
        m->cap *= 2;
    m->keys = calloc((size_t)m->cap, sizeof(*m->keys));
    m->values = calloc((size_t)m->cap, sizeof(*m->values));
    m->count = 0;
    return m->keys && m->values ? 0 : -1;
}

static void map_free(struct id_map *m)
{
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

static int map_get(const struct id_map *m, const char *key)
{
    if (m->cap == 0 || key == NULL)
        return -1;
    for (unsigned i = hash_id(key) & (unsigned)(m->cap - 1);;
         i = (i + 1) & (unsigned)(m->cap - 1)) {
        if (m->keys[i] == NULL)
            return -1;
        if (strcmp(m->keys[i], key) == 0)
            return m->values[i];
    }
}

/* Inserts key (which must outlive the map) with the next index unless present; returns the index.
 */
static int map_add(struct id_map *m, const char *key)
{
    int have = map_get(m, key);
    if (have >= 0)
        return have;
    if ((m->count + 1) * 2 > m->cap) {
        struct id_map bigger;
        if (map_init(&bigger, m->cap) != 0)
            return -1;
        for (int i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            unsigned j = hash_id(m->keys[i]) & (unsigned)(bigger.cap - 1);
            while (bigger.keys[j] != NULL)
                j = (j + 1) & (unsigned)(bigger.cap - 1);
            bigger.keys[j] = m->keys[i];
            bigger.values[j] = m->values[i];
        }
        bigger.count = m->count;
        map_free(m);
        *m = bigger;
    }
    unsigned i = hash_id(key) & (unsigned)(m->cap - 1);
    while (m->keys[i] != NULL)
        i = (i + 1) & (unsigned)(m->cap - 1);
    m->keys[i] = key;
    m->values[i] = m->count;
    return m->count++;
}

/* Splits a PostgreSQL uuid[] text value ("{a,b}") into arena strings. */
static int parse_uuid_array(struct arena *a, const char *text, const char ***out)
{
    *out = NULL;
    if (text == NULL || text[0] != '{')
        return 0;
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    if (strcmp(text, "{}") != 0)
        n++;
    if (n == 0)
        return 0;
    const char **items = arena_alloc(a, (size_t)n * sizeof(*items));
    if (items == NULL)
        return -1;
    int k = 0;
    for (const char *p = text + 1; *p && *p != '}' && k < n;) {
        size_t len = strcspn(p, ",}");
        char *item = arena_alloc(a, len + 1);
        if (item == NULL)
            return -1;
        memcpy(item, p, len);
        items[k++] = item;
        p += len;
        if (*p == ',')
            p++;
    }
    *out = items;
    return k;
}

/* ---- statements ---- */

static const struct db_stmt stmt_lock = {
    "lic_lock_users", "SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", 1};
static const struct db_stmt stmt_lock_skip = {
    "lic_lock_users_skip",
    "SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE SKIP LOCKED", 1};

static const struct db_stmt stmt_users = {
    "lic_users",
    "SELECT u.id, u.user_principal_name, u.mail, coalesce(u.usage_location, ''),"
    "       p.address IS NOT NULL,"
    "       EXISTS (SELECT 1 FROM user_proxy_addresses o"
    "                WHERE o.address_key = coalesce(p.address_key,"
    "                                               lower(coalesce(u.mail, u.user_principal_name)))"
    "                  AND o.user_id <> u.id)"
    "  FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord)"
    "  JOIN users u ON u.id = x.id"
    "  LEFT JOIN LATERAL (SELECT address, address_key FROM user_proxy_addresses"
    "                      WHERE user_id = u.id AND is_primary ORDER BY position LIMIT 1) p ON true"
    " ORDER BY x.ord",
    1};

static const struct db_stmt stmt_org = {
    "lic_org", "SELECT coalesce(country_letter_code, '') FROM organization LIMIT 1", 0};

static const struct db_stmt stmt_held = {
    "lic_held", "SELECT user_id, sku_id FROM user_licenses WHERE user_id = ANY($1::uuid[])", 1};

static const struct db_stmt stmt_direct = {
    "lic_direct",
    "SELECT user_id, sku_id, disabled_plans, extract(epoch FROM assigned_at)::bigint"
    "  FROM user_direct_licenses WHERE user_id = ANY($1::uuid[]) ORDER BY user_id, sku_id",
    1};

static const struct db_stmt stmt_groups = {
    "lic_groups",
    "SELECT gm.member_id, gl.group_id, gl.sku_id, gl.disabled_plans,"
    "       extract(epoch FROM min(gl.assigned_at) OVER (PARTITION BY gl.group_id))::bigint"
    "  FROM group_members gm"
    "  JOIN groups g ON g.id = gm.group_id AND g.security_enabled"
    "  JOIN group_licenses gl ON gl.group_id = gm.group_id"
    " WHERE gm.member_id = ANY($1::uuid[])"
    " ORDER BY gm.member_id, gl.group_id, gl.sku_id",
    1};

static const struct db_stmt stmt_states = {
    "lic_states",
    "SELECT l.user_id, l.sku_id, l.path_id, l.group_id, l.disabled_plans, l.state,"
    "       l.group_id IS NOT NULL"
    "       AND NOT EXISTS (SELECT 1 FROM group_licenses gl WHERE gl.group_id = l.group_id)"
    "       AND EXISTS (SELECT 1 FROM group_members m"
    "                    WHERE m.group_id = l.group_id AND m.member_id = l.user_id)"
    "  FROM license_assignment_states l WHERE l.user_id = ANY($1::uuid[])"
    " ORDER BY l.user_id, l.path_id, l.sku_id",
    1};

static const struct db_stmt stmt_lock_skus = {
    "lic_lock_skus",
    "SELECT sku_id FROM skus WHERE sku_id = ANY($1::uuid[]) ORDER BY sku_id FOR UPDATE", 1};

static const struct db_stmt stmt_skus = {
    "lic_skus",
    "SELECT s.sku_id, s.sku_part_number, s.capability_status IN "
    "('Suspended','LockedOut','Deleted'),"
    "       s.prepaid_enabled - s.consumed_units,"
    "       coalesce((SELECT array_agg(plan_id ORDER BY position, plan_id) FROM sku_service_plans"
    "                  WHERE sku_id = s.sku_id), '{}')"
    "  FROM skus s WHERE s.sku_id = ANY($1::uuid[])",
    1};

static const struct db_stmt stmt_plans = {
    "lic_plans",
    "SELECT p.id, p.name, p.provisions_mailbox, array_to_string(p.unavailable_in_countries, ''),"
    "       coalesce((SELECT array_agg(requires_plan_id ORDER BY requires_plan_id)"
    "                   FROM service_plan_prerequisites WHERE plan_id = p.id), '{}'),"
    "       coalesce((SELECT array_agg(CASE WHEN plan_a = p.id THEN plan_b ELSE plan_a END)"
    "                   FROM service_plan_conflicts WHERE plan_a = p.id OR plan_b = p.id), '{}')"
    "  FROM service_plans p WHERE p.id = ANY($1::uuid[])",
    1};

/* ---- loading ---- */

int db_licensing_lock_users(struct db_conn *conn, const char *const *ids, int n, char *contended,
                            struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {list};
    int count = 0;
    PGresult *r = NULL;
    if (contended != NULL) {
        /* Take what is free; the users another transaction holds are the contended ones. */
        if (db_exec_simple(conn, "SAVEPOINT lic_lock", err) != 0 ||
            (r = db_exec(conn, &stmt_lock_skip, params, err)) == NULL)
            goto out;
        memset(contended, 0, (size_t)n);
        for (int i = 0; i < n; i++) {
            int got = 0;
            for (int k = 0; k < PQntuples(r) && !got; k++)
                got = strcasecmp(ids[i], PQgetvalue(r, k, 0)) == 0;
            contended[i] = !got;
        }
        int all = PQntuples(r) == n;
        PQclear(r);
        r = NULL;
        if (all) {
            free(list);
            return db_exec_simple(conn, "RELEASE SAVEPOINT lic_lock", err);
        }
        /* Wait for them after all, in id order with nothing held, as without contention. */
        if (db_exec_simple(conn, "ROLLBACK TO SAVEPOINT lic_lock", err) != 0)
            goto out;
    }
    if ((r = db_exec(conn, &stmt_lock, params, err)) == NULL)
        goto out;
    /* Users missing from the table were never contended: they are not locked by anyone. */
    for (int i = 0; contended != NULL && i < n; i++) {
        int exists = 0;
        for (int k = 0; k < PQntuples(r) && !exists; k++)
            exists = strcasecmp(ids[i], PQgetvalue(r, k, 0)) == 0;
        contended[i] &= exists;
        count += contended[i];
    }
    PQclear(r);
    free(list);
    return count;
out:
    free(list);
    return -1;
}

struct loader {
    struct lic_batch *b;
    struct id_map users, skus, plans;
    const char **sku_ids;  /* index -> id (arena) */
    const char **plan_ids; /* index -> id (arena) */
    int sku_cap, plan_cap;
};

static int add_id(struct loader *L, struct id_map *m, const char ***ids, int *cap, const char *id)
{
    if (map_get(m, id) >= 0)
        return 0;
    char *copy = arena_strdup(L->b->arena, id);
    if (copy == NULL)
        return -1;
    int idx = map_add(m, copy);
    if (idx < 0)
        return -1;
    if (idx >= *cap) {
        int ncap = *cap ? *cap * 2 : 64;
        const char **grown = realloc(*ids, (size_t)ncap * sizeof(**ids));
        if (grown == NULL)
            return -1;
        *ids = grown;
        *cap = ncap;
    }
    (*ids)[idx] = copy;
    return 0;
}

static PGresult *run_with_ids(struct db_conn *conn, const struct db_stmt *stmt,
                              const char *const *ids, int n, struct lic_error *err)
{
    char *list = db_array_literal(ids, n);
    if (list == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    const char *params[] = {list};
    PGresult *r = db_exec(conn, stmt, params, err);
    free(list);
    return r;
}

/* Plans of the SKUs and the plans they require (so messages can name them). */
static int load_plans(struct loader *L, struct db_conn *conn, struct lic_error *err)
{
    struct lic_batch *b = L->b;
    int loaded = 0;
    PGresult *rounds[2] = {NULL, NULL};
    for (int round = 0; round < 2 && loaded < L->plans.count; round++) {
        int from = loaded, upto = L->plans.count;
        rounds[round] = run_with_ids(conn, &stmt_plans, L->plan_ids + from, upto - from, err);
        if (rounds[round] == NULL)
            goto fail;
        loaded = upto;
        PGresult *r = rounds[round];
        for (int i = 0; i < PQntuples(r); i++) {
            const char **req;
            int n = parse_uuid_array(b->arena, PQgetvalue(r, i, 4), &req);
            for (int k = 0; k < n; k++)
                if (add_id(L, &L->plans, &L->plan_ids, &L->plan_cap, req[k]) != 0)
                    goto oom;
        }
    }
    b->catalog.n_plans = L->plans.count;
    struct lic_plan_rules *plans =
        arena_alloc(b->arena, (size_t)(L->plans.count + 1) * sizeof(*plans));
    if (plans == NULL)
        goto oom;
    for (int i = 0; i < L->plans.count; i++) {
        plans[i].id = L->plan_ids[i];
        plans[i].name = L->plan_ids[i];
    }
    for (int round = 0; round < 2; round++) {
        PGresult *r = rounds[round];
        for (int i = 0; r && i < PQntuples(r); i++) {
            int idx = map_get(&L->plans, PQgetvalue(r, i, 0));
            if (idx < 0)
                continue;
            struct lic_plan_rules *p = &plans[idx];
            p->name = arena_strdup(b->arena, PQgetvalue(r, i, 1));
            p->provisions_mailbox = PQgetvalue(r, i, 2)[0] == 't';
            p->unavailable = arena_strdup(b->arena, PQgetvalue(r, i, 3));
            const char **ids;
            int n = parse_uuid_array(b->arena, PQgetvalue(r, i, 4), &ids);
            int *req = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(int));
            if (n < 0 || req == NULL || p->name == NULL || p->unavailable == NULL)
                goto oom;
            for (int k = 0; k < n; k++) {
                int q = map_get(&L->plans, ids[k]);
                if (q >= 0)
                    req[p->n_requires++] = q;
            }
            p->requires_any = req;
            n = parse_uuid_array(b->arena, PQgetvalue(r, i, 5), &ids);
            int *conf = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(int));
            if (n < 0 || conf == NULL)
                goto oom;
            for (int k = 0; k < n; k++) {
                int q = map_get(&L->plans, ids[k]); /* a plan nobody here holds cannot clash */
                if (q >= 0)
                    conf[p->n_conflicts++] = q;
            }
            p->conflicts = conf;
        }
    }
    b->catalog.plans = plans;
    PQclear(rounds[0]);
    PQclear(rounds[1]);
    return 0;
oom:
    lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
fail:
    PQclear(rounds[0]);
    PQclear(rounds[1]);
    return -1;
}

static int load_catalog(struct loader *L, struct db_conn *conn, unsigned flags,
                        struct lic_error *err)
{
    struct lic_batch *b = L->b;
    PGresult *r;
    if (flags & LIC_LOAD_LOCK_SKUS) {
        r = run_with_ids(conn, &stmt_lock_skus, L->sku_ids, L->skus.count, err);
        if (r == NULL)
            return -1;
        PQclear(r);
    }
    r = run_with_ids(conn, &stmt_skus, L->sku_ids, L->skus.count, err);
    if (r == NULL)
        return -1;
    /* Only SKUs that exist get an index; unknown ids (a client's typo) are dropped here. */
    const char **known_ids = calloc((size_t)PQntuples(r) + 1, sizeof(*known_ids));
    struct lic_sku_rules *skus = arena_alloc(b->arena, (size_t)(PQntuples(r) + 1) * sizeof(*skus));
    int *seats = arena_alloc(b->arena, (size_t)(PQntuples(r) + 1) * sizeof(int));
    const char ***sku_plans = calloc((size_t)PQntuples(r) + 1, sizeof(*sku_plans));
    int *n_sku_plans = calloc((size_t)PQntuples(r) + 1, sizeof(int));
    struct id_map known = {0};
    if (known_ids == NULL || skus == NULL || seats == NULL || sku_plans == NULL ||
        n_sku_plans == NULL || map_init(&known, PQntuples(r)) != 0) {
        map_free(&known);
        free(known_ids);
        free(sku_plans);
        free(n_sku_plans);
        PQclear(r);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *id = arena_strdup(b->arena, PQgetvalue(r, i, 0));
        int idx = id ? map_add(&known, id) : -1;
        if (idx < 0) {
            rc = -1;
            break;
        }
        skus[idx].sku_id = id;
        skus[idx].part_number = arena_strdup(b->arena, PQgetvalue(r, i, 1));
        skus[idx].suspended = PQgetvalue(r, i, 2)[0] == 't';
        seats[idx] = atoi(PQgetvalue(r, i, 3));
        n_sku_plans[idx] = parse_uuid_array(b->arena, PQgetvalue(r, i, 4), &sku_plans[idx]);
        for (int k = 0; k < n_sku_plans[idx] && rc == 0; k++)
            rc = add_id(L, &L->plans, &L->plan_ids, &L->plan_cap, sku_plans[idx][k]);
    }
    int n_skus = known.count;
    PQclear(r);
    map_free(&L->skus);
    L->skus = known;
    free(L->sku_ids);
    L->sku_ids = known_ids;
    for (int i = 0; i < n_skus; i++)
        L->sku_ids[i] = skus[i].sku_id;
    L->sku_cap = n_skus + 1;
    if (rc == 0)
        rc = load_plans(L, conn, err);
    for (int i = 0; i < n_skus && rc == 0; i++) {
        int *plans = arena_alloc(b->arena, (size_t)(n_sku_plans[i] + 1) * sizeof(int));
        if (plans == NULL) {
            rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            break;
        }
        for (int k = 0; k < n_sku_plans[i]; k++) {
            int q = map_get(&L->plans, sku_plans[i][k]);
            if (q >= 0)
                plans[skus[i].n_plans++] = q;
        }
        skus[i].plans = plans;
    }
    free(sku_plans);
    free(n_sku_plans);
    b->catalog.skus = skus;
    b->catalog.n_skus = n_skus;
    b->seats_free = seats;
    return rc;
}

/* Disabled plan ids -> plan indexes of the batch (ids unknown to the catalog are dropped). */
static int disabled_indexes(struct loader *L, const char *text, const int **out)
{
    const char **ids;
    int n = parse_uuid_array(L->b->arena, text, &ids);
    int *idx = arena_alloc(L->b->arena, (size_t)(n > 0 ? n : 1) * sizeof(int));
    if (n < 0 || idx == NULL)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int q = map_get(&L->plans, ids[i]);
        if (q >= 0)
            idx[k++] = q;
    }
    *out = idx;
    return k;
}

static int is_active_state(const char *state)
{
    return strcmp(state, "Active") == 0 || strcmp(state, "ActiveWithError") == 0;
}

/* Builds each user's paths: direct (one per SKU), groups (one per group), then removals found
 * as state rows whose intent is gone. */
static int build_paths(struct loader *L, PGresult *direct, PGresult *groups, PGresult *states,
                       struct lic_error *err)
{
    struct lic_batch *b = L->b;
    int *count = calloc((size_t)b->n_users + 1, sizeof(int));
    char *matched = calloc((size_t)PQntuples(states) + 1, 1);
    if (count == NULL || matched == NULL)
        goto oom;
    /* Upper bound of paths per user: one per row that mentions the user. */
    PGresult *sets[] = {direct, groups, states};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < PQntuples(sets[s]); i++) {
            int u = map_get(&L->users, PQgetvalue(sets[s], i, 0));
            if (u >= 0)
                count[u]++;
        }
    for (int u = 0; u < b->n_users; u++) {
        struct lic_batch_user *bu = &b->users[u];
        bu->paths = arena_alloc(b->arena, (size_t)(count[u] + 1) * sizeof(*bu->paths));
        bu->meta = arena_alloc(b->arena, (size_t)(count[u] + 1) * sizeof(*bu->meta));
        struct lic_path_sku *ps =
            arena_alloc(b->arena, (size_t)(count[u] + 1) * sizeof(struct lic_path_sku));
        if (bu->paths == NULL || bu->meta == NULL || ps == NULL)
            goto oom;
        /* Stash the SKU slots in the first path's pointer for the fill loop below. */
        bu->paths[0].skus = ps;
        bu->input.paths = bu->paths;
        bu->input.n_paths = 0;
    }
    int *slot_used = calloc((size_t)b->n_users + 1, sizeof(int));
    struct lic_path_sku **slots = calloc((size_t)b->n_users + 1, sizeof(*slots));
    if (slot_used == NULL || slots == NULL) {
        free(slot_used);
        free(slots);
        goto oom;
    }
    for (int u = 0; u < b->n_users; u++)
        slots[u] = (struct lic_path_sku *)b->users[u].paths[0].skus;

    /* The state of (user, sku, path), for incumbency and to spot removals. */
    struct id_map state_keys = {0};
    if (map_init(&state_keys, PQntuples(states)) != 0) {
        free(slot_used);
        free(slots);
        goto oom;
    }
    for (int i = 0; i < PQntuples(states); i++) {
        char *key = arena_alloc(b->arena, 3 * 37);
        if (key != NULL)
            snprintf(key, 3 * 37, "%.36s%.36s%.36s", PQgetvalue(states, i, 0),
                     PQgetvalue(states, i, 1), PQgetvalue(states, i, 2));
        if (key == NULL || map_add(&state_keys, key) != i) {
            map_free(&state_keys);
            free(slot_used);
            free(slots);
            goto oom;
        }
    }
    /* Paths (user, group) active now: a group that swaps its SKUs stays the incumbent (§4.1). */
    struct id_map active_paths = {0};
    if (map_init(&active_paths, PQntuples(states)) != 0) {
        map_free(&state_keys);
        free(slot_used);
        free(slots);
        goto oom;
    }
    for (int i = 0; i < PQntuples(states); i++) {
        if (!is_active_state(PQgetvalue(states, i, 5)))
            continue;
        char *key = arena_alloc(b->arena, 2 * 37);
        if (key != NULL)
            snprintf(key, 2 * 37, "%.36s%.36s", PQgetvalue(states, i, 0), PQgetvalue(states, i, 2));
        if (key == NULL || map_add(&active_paths, key) < 0) {
            map_free(&active_paths);
            map_free(&state_keys);
            free(slot_used);
            free(slots);
            goto oom;
        }
    }
#define STATE_FIND(u_, sku_, path_, out_)                                                          \
    do {                                                                                           \
        char key_[3 * 37];                                                                         \
        snprintf(key_, sizeof(key_), "%.36s%.36s%.36s", b->users[u_].id, sku_, path_);             \
        out_ = map_get(&state_keys, key_);                                                         \
    } while (0)
    int rc = 0;
    for (int i = 0; i < PQntuples(direct) && rc == 0; i++) {
        int u = map_get(&L->users, PQgetvalue(direct, i, 0));
        int sku = map_get(&L->skus, PQgetvalue(direct, i, 1));
        if (u < 0 || sku < 0)
            continue;
        struct lic_batch_user *bu = &b->users[u];
        struct lic_path *p = &bu->paths[bu->input.n_paths];
        struct lic_path_sku *ps = &slots[u][slot_used[u]++];
        ps->sku = sku;
        ps->n_disabled = disabled_indexes(L, PQgetvalue(direct, i, 2), &ps->disabled_plans);
        if (ps->n_disabled < 0) {
            rc = -1;
            break;
        }
        int si;
        STATE_FIND(u, PQgetvalue(direct, i, 1), LIC_DIRECT_PATH_ID, si);
        if (si >= 0) {
            matched[si] = 1;
            p->incumbent = is_active_state(PQgetvalue(states, si, 5));
        }
        p->group_id = NULL;
        p->assigned_at = atoll(PQgetvalue(direct, i, 3));
        p->skus = ps;
        p->n_skus = 1;
        bu->meta[bu->input.n_paths].path_id = LIC_DIRECT_PATH_ID;
        bu->input.n_paths++;
    }
    for (int i = 0; i < PQntuples(groups) && rc == 0; i++) {
        int u = map_get(&L->users, PQgetvalue(groups, i, 0));
        int sku = map_get(&L->skus, PQgetvalue(groups, i, 2));
        if (u < 0 || sku < 0)
            continue;
        struct lic_batch_user *bu = &b->users[u];
        const char *gid = PQgetvalue(groups, i, 1);
        struct lic_path *p = NULL;
        if (bu->input.n_paths > 0 && bu->paths[bu->input.n_paths - 1].group_id &&
            strcmp(bu->paths[bu->input.n_paths - 1].group_id, gid) == 0) {
            p = &bu->paths[bu->input.n_paths - 1]; /* rows come ordered by member, group */
        } else {
            p = &bu->paths[bu->input.n_paths];
            p->group_id = arena_strdup(b->arena, gid);
            p->assigned_at = atoll(PQgetvalue(groups, i, 4));
            p->skus = &slots[u][slot_used[u]];
            p->n_skus = 0;
            bu->meta[bu->input.n_paths].path_id = p->group_id;
            bu->input.n_paths++;
            if (p->group_id == NULL) {
                rc = -1;
                break;
            }
            char key[2 * 37];
            snprintf(key, sizeof(key), "%.36s%.36s", bu->id, gid);
            p->incumbent = map_get(&active_paths, key) >= 0;
        }
        struct lic_path_sku *ps = &slots[u][slot_used[u]++];
        ps->sku = sku;
        ps->n_disabled = disabled_indexes(L, PQgetvalue(groups, i, 3), &ps->disabled_plans);
        if (ps->n_disabled < 0) {
            rc = -1;
            break;
        }
        p->n_skus++;
        int si;
        STATE_FIND(u, PQgetvalue(groups, i, 2), gid, si);
        if (si >= 0) {
            matched[si] = 1;
            p->incumbent |= is_active_state(PQgetvalue(states, si, 5));
            /* What is applied now, should a newly disabled plan be needed elsewhere (§4.4). */
            ps->n_prev_disabled =
                disabled_indexes(L, PQgetvalue(states, si, 4), &ps->prev_disabled);
            if (ps->n_prev_disabled < 0) {
                rc = -1;
                break;
            }
        }
    }
    /* Removals: states whose intent is gone, one path per (user, path id). */
    for (int i = 0; i < PQntuples(states) && rc == 0; i++) {
        if (matched[i])
            continue;
        int u = map_get(&L->users, PQgetvalue(states, i, 0));
        int sku = map_get(&L->skus, PQgetvalue(states, i, 1));
        if (u < 0 || sku < 0)
            continue;
        struct lic_batch_user *bu = &b->users[u];
        const char *path_id = PQgetvalue(states, i, 2);
        struct lic_path *p = NULL;
        int last = bu->input.n_paths - 1;
        if (last >= 0 && bu->meta[last].state_only &&
            strcmp(bu->meta[last].path_id, path_id) == 0) {
            p = &bu->paths[last];
        } else {
            p = &bu->paths[bu->input.n_paths];
            p->group_id =
                PQgetisnull(states, i, 3) ? NULL : arena_strdup(b->arena, PQgetvalue(states, i, 3));
            /* A member whose group lost all its licenses (the step before deleting the group,
             * semantics §7): dependent paths become direct (§4.4); other removals keep them in
             * ActiveWithError. */
            p->removal = PQgetvalue(states, i, 6)[0] == 't' ? LIC_REMOVE_GROUP_DELETED : LIC_REMOVE;
            p->skus = &slots[u][slot_used[u]];
            bu->meta[bu->input.n_paths].path_id = arena_strdup(b->arena, path_id);
            bu->meta[bu->input.n_paths].state_only = 1;
            bu->input.n_paths++;
        }
        struct lic_path_sku *ps = &slots[u][slot_used[u]++];
        ps->sku = sku;
        ps->n_disabled = disabled_indexes(L, PQgetvalue(states, i, 4), &ps->disabled_plans);
        if (ps->n_disabled < 0) {
            rc = -1;
            break;
        }
        p->n_skus++;
        p->incumbent |= is_active_state(PQgetvalue(states, i, 5));
    }
#undef STATE_FIND
    map_free(&state_keys);
    map_free(&active_paths);
    free(slot_used);
    free(slots);
    free(count);
    free(matched);
    if (rc != 0)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return 0;
oom:
    free(count);
    free(matched);
    return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}

static int collect_skus(struct loader *L, PGresult *r, int col)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (add_id(L, &L->skus, &L->sku_ids, &L->sku_cap, PQgetvalue(r, i, col)) != 0)
            return -1;
    return 0;
}

int db_licensing_load(struct db_conn *conn, const char *const *ids, int n,
                      const char *const *extra_skus, int n_extra, unsigned flags,
                      struct lic_batch *out, struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    struct loader L = {.b = out};
    PGresult *users = NULL, *org = NULL, *held = NULL, *direct = NULL, *groups = NULL,
             *states = NULL;
    int rc = -1;
    out->arena = arena_new();
    if (out->arena == NULL || map_init(&L.users, n) != 0 || map_init(&L.skus, 16) != 0 ||
        map_init(&L.plans, 64) != 0)
        goto oom;
    out->users = arena_alloc(out->arena, (size_t)(n > 0 ? n : 1) * sizeof(*out->users));
    if (out->users == NULL)
        goto oom;
    out->n_users = n;
    for (int i = 0; i < n; i++) {
        out->users[i].id = arena_strdup(out->arena, ids[i]);
        if (out->users[i].id == NULL || map_add(&L.users, out->users[i].id) != i) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "duplicate user %s in a batch", ids[i]);
            goto done;
        }
    }

    if ((users = run_with_ids(conn, &stmt_users, ids, n, err)) == NULL ||
        (org = db_exec(conn, &stmt_org, NULL, err)) == NULL ||
        (held = run_with_ids(conn, &stmt_held, ids, n, err)) == NULL ||
        (direct = run_with_ids(conn, &stmt_direct, ids, n, err)) == NULL ||
        (groups = run_with_ids(conn, &stmt_groups, ids, n, err)) == NULL ||
        (states = run_with_ids(conn, &stmt_states, ids, n, err)) == NULL)
        goto done;

    if (PQntuples(org) > 0)
        snprintf(out->org_country, sizeof(out->org_country), "%s", PQgetvalue(org, 0, 0));
    for (int i = 0; i < PQntuples(users); i++) {
        int u = map_get(&L.users, PQgetvalue(users, i, 0));
        if (u < 0)
            continue;
        struct lic_batch_user *bu = &out->users[u];
        bu->found = 1;
        bu->upn = arena_strdup(out->arena, PQgetvalue(users, i, 1));
        bu->mail =
            PQgetisnull(users, i, 2) ? NULL : arena_strdup(out->arena, PQgetvalue(users, i, 2));
        snprintf(bu->usage_location, sizeof(bu->usage_location), "%s", PQgetvalue(users, i, 3));
        if (bu->upn == NULL)
            goto oom;
        size_t len = strlen(bu->mail ? bu->mail : bu->upn) + 6;
        char *smtp = arena_alloc(out->arena, len);
        if (smtp == NULL)
            goto oom;
        snprintf(smtp, len, "SMTP:%s", bu->mail ? bu->mail : bu->upn);
        bu->smtp_address = smtp;
        bu->input.has_primary_smtp = PQgetvalue(users, i, 4)[0] == 't';
        bu->input.smtp_taken = PQgetvalue(users, i, 5)[0] == 't';
        bu->input.usage_location = bu->usage_location[0] ? bu->usage_location : NULL;
        bu->input.org_country = out->org_country[0] ? out->org_country : NULL;
    }
    /* Lower-cased would-be primary addresses, for lic_batch_check_smtp / lic_batch_take_smtp. */
    for (int u = 0; u < n; u++) {
        struct lic_batch_user *bu = &out->users[u];
        if (!bu->found || bu->input.has_primary_smtp)
            continue;
        char *key = arena_strdup(out->arena, bu->smtp_address + 5);
        if (key == NULL)
            goto oom;
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        bu->smtp_key = key;
    }
    out->smtp_given = calloc(1, sizeof(struct id_map));
    if (out->smtp_given == NULL || map_init(out->smtp_given, 16) != 0)
        goto oom;

    if (collect_skus(&L, held, 1) != 0 || collect_skus(&L, direct, 1) != 0 ||
        collect_skus(&L, groups, 2) != 0 || collect_skus(&L, states, 1) != 0)
        goto oom;
    for (int i = 0; i < n_extra; i++)
        if (add_id(&L, &L.skus, &L.sku_ids, &L.sku_cap, extra_skus[i]) != 0)
            goto oom;
    if (load_catalog(&L, conn, flags, err) != 0)
        goto done;

    /* Held SKUs per user. */
    int *n_held = calloc((size_t)n + 1, sizeof(int));
    if (n_held == NULL)
        goto oom;
    for (int i = 0; i < PQntuples(held); i++) {
        int u = map_get(&L.users, PQgetvalue(held, i, 0));
        if (u >= 0)
            n_held[u]++;
    }
    for (int u = 0; u < n; u++) {
        int *h = arena_alloc(out->arena, (size_t)(n_held[u] + 1) * sizeof(int));
        if (h == NULL) {
            free(n_held);
            goto oom;
        }
        out->users[u].input.held_skus = h;
    }
    free(n_held);
    for (int i = 0; i < PQntuples(held); i++) {
        int u = map_get(&L.users, PQgetvalue(held, i, 0));
        int s = map_get(&L.skus, PQgetvalue(held, i, 1));
        if (u >= 0 && s >= 0) {
            struct lic_user_input *in = &out->users[u].input;
            ((int *)in->held_skus)[in->n_held++] = s;
        }
    }
    if (build_paths(&L, direct, groups, states, err) != 0)
        goto done;
    rc = 0;
    goto done;
oom:
    lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
done:
    PQclear(users);
    PQclear(org);
    PQclear(held);
    PQclear(direct);
    PQclear(groups);
    PQclear(states);
    map_free(&L.users);
    map_free(&L.skus);
    map_free(&L.plans);
    free(L.sku_ids);
    free(L.plan_ids);
    if (rc != 0)
        db_licensing_batch_free(out);
    return rc;
}

int lic_batch_sku_index(const struct lic_batch *batch, const char *sku_id)
{
    for (int i = 0; i < batch->catalog.n_skus; i++)
        if (strcasecmp(batch->catalog.skus[i].sku_id, sku_id) == 0)
            return i;
    return -1;
}

int lic_batch_plan_index(const struct lic_batch *batch, const char *plan_id)
{
    for (int i = 0; i < batch->catalog.n_plans; i++)
        if (strcasecmp(batch->catalog.plans[i].id, plan_id) == 0)
            return i;
    return -1;
}

/* Two users of one batch who would both get the same new primary address: the database cannot
 * see the first one's yet, so the batch remembers what it gave (§4.7). */
void lic_batch_check_smtp(struct lic_batch *b, int u)
{
    const struct lic_batch_user *bu = &b->users[u];
    if (bu->smtp_key != NULL && b->smtp_given != NULL && map_get(b->smtp_given, bu->smtp_key) >= 0)
        b->users[u].input.smtp_taken = 1;
}

void lic_batch_take_smtp(struct lic_batch *b, int u)
{
    const struct lic_batch_user *bu = &b->users[u];
    if (bu->smtp_key != NULL && b->smtp_given != NULL)
        map_add(b->smtp_given, bu->smtp_key);
}

void db_licensing_batch_free(struct lic_batch *batch)
{
    if (batch == NULL)
        return;
    if (batch->smtp_given != NULL) {
        map_free(batch->smtp_given);
        free(batch->smtp_given);
    }
    arena_free(batch->arena);
    memset(batch, 0, sizeof(*batch));
}

/* ---- saving ---- */

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

/* Seats freed first, then taken: the seat CHECK is evaluated per statement. */
/* With $4 (the initiator, JSON) each user whose licenses changed gets a "Change user license"
 * record (semantics §4.8); direct assignment passes NULL and writes its own. */
#define LICENSE_AUDIT(op, value)                                                                   \
    " INSERT INTO directory_audits (activity_display_name, category, operation_type, result,"      \
    "                               initiated_by, target_resources)"                               \
    " SELECT 'Change user license', 'UserManagement', '" op "', 'success', $4::jsonb,"             \
    "        jsonb_build_array(jsonb_build_object('id', c.user_id, 'type', 'User',"                \
    "          'modifiedProperties', jsonb_build_array(jsonb_build_object("                        \
    "            'displayName', 'AssignedLicense', 'oldValue', " value ","                         \
    "            'newValue', jsonb_agg(c.sku_id ORDER BY c.sku_id)::text))))"                      \
    "   FROM changed c WHERE $4::jsonb IS NOT NULL GROUP BY c.user_id"

static const struct db_stmt stmt_drop_licenses = {
    "lic_drop_licenses",
    "WITH changed AS (DELETE FROM user_licenses l WHERE l.user_id = ANY($1::uuid[])"
    "   AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::uuid[]) AS x(u, s)"
    "                    WHERE x.u = l.user_id AND x.s = l.sku_id)"
    " RETURNING l.user_id, l.sku_id)" LICENSE_AUDIT("Unassign", "'removed'"),
    4};

static const struct db_stmt stmt_put_licenses = {
    "lic_put_licenses",
    "WITH changed AS (INSERT INTO user_licenses AS l (user_id, sku_id, disabled_plans)"
    " SELECT u, s, d::uuid[] FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS x(u, s, d)"
    " ON CONFLICT (user_id, sku_id) DO UPDATE SET disabled_plans = EXCLUDED.disabled_plans"
    "  WHERE l.disabled_plans IS DISTINCT FROM EXCLUDED.disabled_plans"
    " RETURNING l.user_id, l.sku_id)" LICENSE_AUDIT("Assign", "''"),
    4};

/* §4.7: the primary SMTP address, and mail when it is empty. */
static const struct db_stmt stmt_add_smtp = {
    "lic_add_smtp",
    "WITH x AS (SELECT u, a FROM unnest($1::uuid[], $2::text[]) AS x(u, a)),"
    " ins AS (INSERT INTO user_proxy_addresses (user_id, position, address, address_key, "
    "is_primary)"
    "         SELECT x.u, coalesce((SELECT max(position) + 1 FROM user_proxy_addresses"
    "                                WHERE user_id = x.u), 0),"
    "                x.a, lower(substr(x.a, 6)), true FROM x)"
    " UPDATE users SET mail = substr(x.a, 6), updated_at = now()"
    "   FROM x WHERE users.id = x.u AND users.mail IS NULL",
    2};

struct columns {
    struct db_text c[8];
    int n;
    int rows;
    const char *tail; /* one more, scalar parameter after the columns (may be NULL) */
};

static void cols_begin(struct columns *k, int n)
{
    memset(k, 0, sizeof(*k));
    k->n = n;
    for (int i = 0; i < n; i++)
        db_text_begin(&k->c[i]);
}

static void cols_row(struct columns *k, const char *const *values)
{
    for (int i = 0; i < k->n; i++)
        db_text_add_elem(&k->c[i], values[i]);
    k->rows++;
}

static void cols_end(struct columns *k)
{
    for (int i = 0; i < k->n; i++)
        db_text_add(&k->c[i], "}");
}

static void cols_free(struct columns *k)
{
    for (int i = 0; i < k->n; i++)
        free(k->c[i].buf);
    memset(k, 0, sizeof(*k));
}

/* Runs stmt with the columns as array parameters (skipped when there are no rows). */
static int cols_exec(struct db_conn *conn, const struct db_stmt *stmt, struct columns *k,
                     struct lic_error *err)
{
    const char *params[9];
    for (int i = 0; i < k->n; i++) {
        if (k->c[i].failed)
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        params[i] = k->c[i].buf;
    }
    params[k->n] = k->tail;
    if (k->rows == 0)
        return 0;
    PGresult *r = db_exec(conn, stmt, params, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

/* "{id,id}" of plan indexes. */
static const char *plans_text(const struct lic_batch *b, const int *plans, int n, struct db_text *t)
{
    db_text_begin(t);
    for (int i = 0; i < n; i++)
        db_text_add_elem(t, b->catalog.plans[plans[i]].id);
    db_text_add(t, "}");
    return t->failed ? "{}" : t->buf;
}

static int has_direct_path(const struct lic_batch_user *bu, int sku)
{
    for (int i = 0; i < bu->input.n_paths; i++)
        if (bu->paths[i].group_id == NULL && !bu->meta[i].state_only &&
            bu->paths[i].skus[0].sku == sku)
            return 1;
    return 0;
}

int db_licensing_save(struct db_conn *conn, const struct lic_batch *b,
                      const struct lic_result *results, const char *audit_initiator,
                      struct lic_error *err)
{
    /* drop_lic: batch users, then the (user, sku) pairs kept; the other sets are row-shaped. */
    struct columns put_states, drop_states, to_direct, put_lic, smtp, drop_lic;
    cols_begin(&put_states, 8);
    cols_begin(&drop_states, 3);
    cols_begin(&to_direct, 3);
    cols_begin(&put_lic, 3);
    cols_begin(&smtp, 2);
    cols_begin(&drop_lic, 3);
    put_lic.tail = audit_initiator;
    drop_lic.tail = audit_initiator;
    struct db_text scratch = {0};
    char message[600];
    for (int u = 0; u < b->n_users; u++) {
        const struct lic_batch_user *bu = &b->users[u];
        const struct lic_result *r = &results[u];
        if (!bu->found)
            continue;
        db_text_add_elem(&drop_lic.c[0], bu->id);
        drop_lic.rows++;
        for (int i = 0; i < bu->input.n_paths; i++) {
            const struct lic_path *p = &bu->paths[i];
            const struct lic_path_result *pr = &r->paths[i];
            for (int j = 0; j < p->n_skus; j++) {
                const char *sku = b->catalog.skus[p->skus[j].sku].sku_id;
                /* A path kept on its previous plans records those, not the new intent. */
                const struct lic_path_sku *ps = &p->skus[j];
                int previous = pr->kept_previous && ps->prev_disabled != NULL;
                const char *dis =
                    plans_text(b, previous ? ps->prev_disabled : ps->disabled_plans,
                               previous ? ps->n_prev_disabled : ps->n_disabled, &scratch);
                if (pr->removed || pr->convert_to_direct) {
                    const char *row[] = {bu->id, sku, bu->meta[i].path_id};
                    cols_row(&drop_states, row);
                }
                if (pr->removed)
                    continue;
                if (pr->convert_to_direct) {
                    const char *row[] = {bu->id, sku, dis};
                    cols_row(&to_direct, row);
                    /* With a direct path of its own, that path writes the direct state row. */
                    if (!has_direct_path(bu, p->skus[j].sku)) {
                        const char *st[] = {bu->id, sku, LIC_DIRECT_PATH_ID, NULL, dis, "Active",
                                            "None", ""};
                        cols_row(&put_states, st);
                    }
                    continue;
                }
                licensing_violation_message(&b->catalog, &pr->why, message, sizeof(message));
                const char *st[] = {bu->id,
                                    sku,
                                    bu->meta[i].path_id,
                                    p->group_id,
                                    dis,
                                    license_state_name(pr->sku_states[j]),
                                    license_error_name(pr->why.error),
                                    message};
                cols_row(&put_states, st);
            }
        }
        for (int e = 0; e < r->n_effective; e++) {
            const struct lic_effective *eff = &r->effective[e];
            const char *sku = b->catalog.skus[eff->sku].sku_id;
            const char *row[] = {bu->id, sku,
                                 plans_text(b, eff->disabled_plans, eff->n_disabled, &scratch)};
            cols_row(&put_lic, row);
            db_text_add_elem(&drop_lic.c[1], bu->id);
            db_text_add_elem(&drop_lic.c[2], sku);
        }
        if (r->needs_primary_smtp) {
            const char *row[] = {bu->id, bu->smtp_address};
            cols_row(&smtp, row);
        }
    }
    free(scratch.buf);
    struct columns *all[] = {&drop_states, &put_states, &to_direct, &drop_lic, &put_lic, &smtp};
    const struct db_stmt *stmts[] = {&stmt_drop_states,   &stmt_save_states,  &stmt_to_direct,
                                     &stmt_drop_licenses, &stmt_put_licenses, &stmt_add_smtp};
    int rc = 0;
    for (int i = 0; i < 6; i++) {
        cols_end(all[i]);
        if (rc == 0)
            rc = cols_exec(conn, stmts[i], all[i], err);
        cols_free(all[i]);
    }
    return rc;
}

/* ---- direct intent ---- */

static const struct db_stmt stmt_direct_put = {
    "lic_direct_put",
    "INSERT INTO user_direct_licenses AS d (user_id, sku_id, disabled_plans)"
    " VALUES ($1, $2, $3::uuid[])"
    " ON CONFLICT (user_id, sku_id) DO UPDATE SET disabled_plans = EXCLUDED.disabled_plans",
    3};

static const struct db_stmt stmt_direct_drop = {
    "lic_direct_drop", "DELETE FROM user_direct_licenses WHERE user_id = $1 AND sku_id = $2", 2};

static const struct db_stmt stmt_inherited_from = {
    "lic_inherited_from",
    "SELECT g.id, g.display_name FROM license_assignment_states l JOIN groups g ON g.id = "
    "l.group_id"
    " WHERE l.user_id = $1 AND l.sku_id = $2 ORDER BY g.display_name, g.id LIMIT 1",
    2};

int db_direct_license_put(struct db_conn *conn, const char *user_id, const char *sku_id,
                          const char *const *disabled, int n_disabled, struct lic_error *err)
{
    char *list = db_array_literal(disabled, n_disabled);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {user_id, sku_id, list};
    PGresult *r = db_exec(conn, &stmt_direct_put, params, err);
    free(list);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

int db_direct_license_drop(struct db_conn *conn, const char *user_id, const char *sku_id,
                           struct lic_error *err)
{
    const char *params[] = {user_id, sku_id};
    PGresult *r = db_exec(conn, &stmt_direct_drop, params, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

int db_license_inherited_from(struct db_conn *conn, const char *user_id, const char *sku_id,
                              char *group_id, size_t id_size, char *group_name, size_t name_size,
                              struct lic_error *err)
{
    const char *params[] = {user_id, sku_id};
    PGresult *r = db_exec(conn, &stmt_inherited_from, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        snprintf(group_id, id_size, "%s", PQgetvalue(r, 0, 0));
        snprintf(group_name, name_size, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return found;
}

static const struct db_stmt stmt_details = {
    "lic_details",
    "SELECT coalesce(json_agg(json_build_object("
    "  'skuId', l.sku_id, 'skuPartNumber', s.sku_part_number,"
    "  'servicePlans', (SELECT coalesce(json_agg(json_build_object("
    "       'servicePlanId', p.id, 'servicePlanName', p.name,"
    "       'provisioningStatus', CASE WHEN p.id = ANY (l.disabled_plans) THEN 'Disabled'"
    "                                  ELSE 'Success' END,"
    "       'appliesTo', p.applies_to) ORDER BY sp.position, p.id), '[]')"
    "     FROM sku_service_plans sp JOIN service_plans p ON p.id = sp.plan_id"
    "    WHERE sp.sku_id = l.sku_id)) ORDER BY s.sku_part_number, l.sku_id), '[]')::text"
    "  FROM user_licenses l JOIN skus s ON s.sku_id = l.sku_id WHERE l.user_id = $1",
    1};

char *db_license_details_json(struct db_conn *conn, const char *user_id, struct lic_error *err)
{
    const char *params[] = {user_id};
    PGresult *r = db_exec(conn, &stmt_details, params, err);
    if (r == NULL)
        return NULL;
    char *text = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "[]");
    PQclear(r);
    if (text == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return text;
}
