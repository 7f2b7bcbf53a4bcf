/* Loading a batch of users' licensing situations for the engine: the users, their paths and the
 * catalog rules they involve are read in a fixed number of queries whatever the batch size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/arena.h"
#include "service/base/guid.h"
#include "db/internal.h"
#include "db/licensing.h"

/* Every statement here starts from the batch's ids and reaches each table through an index, one
 * probe per id (a LATERAL subquery with OFFSET 0 is never flattened into a hash join): a batch
 * costs the same whatever the table's size. Given "id = ANY($1)" with a couple of thousand ids,
 * the planner scans the whole table once the table is small enough to look cheaper - each batch of
 * a large group then reads every user, and the group costs the square of its size. */
#define BATCH_IDS "unnest($1::uuid[]) AS x(id)"
#define BATCH_IDS_IN_ORDER "unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord)"

static const struct db_stmt stmt_users = {
    "lic_users",
    "SELECT u.id, u.user_principal_name, u.mail, coalesce(u.usage_location, ''),"
    "       p.address IS NOT NULL,"
    "       EXISTS (SELECT 1 FROM user_proxy_addresses o"
    "                WHERE o.address_key = coalesce(p.address_key,"
    "                                               lower(coalesce(u.mail, u.user_principal_name)))"
    "                  AND o.user_id <> u.id)"
    "  FROM " BATCH_IDS_IN_ORDER
    " CROSS JOIN LATERAL (SELECT * FROM users WHERE id = x.id OFFSET 0) u"
    "  LEFT JOIN LATERAL (SELECT address, address_key FROM user_proxy_addresses"
    "                      WHERE user_id = u.id AND is_primary ORDER BY position LIMIT 1) p ON true"
    " ORDER BY x.ord",
    1};
enum { USER_ID, USER_UPN, USER_MAIL, USER_LOCATION, USER_HAS_SMTP, USER_SMTP_TAKEN };

static const struct db_stmt stmt_org = {
    "lic_org", "SELECT coalesce(country_letter_code, '') FROM organization LIMIT 1", 0};

static const struct db_stmt stmt_held = {
    "lic_held",
    "SELECT l.user_id, l.sku_id, l.disabled_plans FROM " BATCH_IDS
    " CROSS JOIN LATERAL (SELECT user_id, sku_id, disabled_plans FROM user_licenses"
    "                     WHERE user_id = x.id OFFSET 0) l",
    1};
enum { HELD_USER, HELD_SKU, HELD_DISABLED };

static const struct db_stmt stmt_direct = {
    "lic_direct",
    "SELECT d.user_id, d.sku_id, d.disabled_plans, extract(epoch FROM d.assigned_at)::bigint"
    "  FROM " BATCH_IDS
    " CROSS JOIN LATERAL (SELECT * FROM user_direct_licenses WHERE user_id = x.id OFFSET 0) d"
    " ORDER BY d.user_id, d.sku_id",
    1};
enum { DIRECT_USER, DIRECT_SKU, DIRECT_DISABLED, DIRECT_ASSIGNED_AT };

static const struct db_stmt stmt_groups = {
    "lic_groups",
    "SELECT gm.member_id, gl.group_id, gl.sku_id, gl.disabled_plans,"
    "       extract(epoch FROM min(gl.assigned_at) OVER (PARTITION BY gl.group_id))::bigint"
    "  FROM " BATCH_IDS
    " CROSS JOIN LATERAL (SELECT member_id, group_id FROM group_members WHERE member_id = x.id"
    "                     OFFSET 0) gm"
    "  JOIN groups g ON g.id = gm.group_id AND g.security_enabled"
    "  JOIN group_licenses gl ON gl.group_id = gm.group_id"
    " ORDER BY gm.member_id, gl.group_id, gl.sku_id",
    1};
enum { GROUP_USER, GROUP_ID, GROUP_SKU, GROUP_DISABLED, GROUP_ASSIGNED_AT };

/* The last column: the group lost all its licenses while the user is still a member (the step
 * before deleting the group, semantics §7). */
static const struct db_stmt stmt_states = {
    "lic_states",
    "SELECT l.user_id, l.sku_id, l.path_id, l.group_id, l.disabled_plans, l.state,"
    "       l.group_id IS NOT NULL"
    "       AND NOT EXISTS (SELECT 1 FROM group_licenses gl WHERE gl.group_id = l.group_id)"
    "       AND EXISTS (SELECT 1 FROM group_members m"
    "                    WHERE m.group_id = l.group_id AND m.member_id = l.user_id)"
    "  FROM " BATCH_IDS
    " CROSS JOIN LATERAL (SELECT * FROM license_assignment_states WHERE user_id = x.id"
    "                     OFFSET 0) l"
    " ORDER BY l.user_id, l.path_id, l.sku_id",
    1};
enum {
    STATE_USER,
    STATE_SKU,
    STATE_PATH,
    STATE_GROUP,
    STATE_DISABLED,
    STATE_STATE,
    STATE_GROUP_DELETED
};

/* NO KEY UPDATE: not behind the KEY SHARE a foreign key check takes (a group dry run's stored
 * intent, held for the whole dry run). The SKU rows, then every seat shard of them (migration 016),
 * in (sku_id, shard) order: the free seats read next stay true until the commit, and the flag tells
 * the seat triggers this transaction holds shards (they never wait for more then). */
static const struct db_stmt stmt_lock_skus = {
    "lic_lock_skus",
    "SELECT sku_id FROM skus WHERE sku_id = ANY($1::uuid[]) ORDER BY sku_id FOR NO KEY UPDATE", 1};
static const struct db_stmt stmt_lock_shards = {
    "lic_lock_seat_shards",
    "SELECT count(*), set_config('licensingd.seat_shards_held', 'on', true)"
    "  FROM (SELECT 1 FROM sku_seat_shards WHERE sku_id = ANY($1::uuid[])"
    "         ORDER BY sku_id, shard FOR NO KEY UPDATE) s",
    1};

static const struct db_stmt stmt_skus = {
    "lic_skus",
    "SELECT s.sku_id, s.sku_part_number, s.capability_status IN "
    "('Suspended','LockedOut','Deleted'),"
    "       coalesce((SELECT sum(free) FROM sku_seat_shards f WHERE f.sku_id = s.sku_id), 0),"
    "       coalesce((SELECT array_agg(plan_id ORDER BY position, plan_id) FROM sku_service_plans"
    "                  WHERE sku_id = s.sku_id), '{}')"
    "  FROM skus s WHERE s.sku_id = ANY($1::uuid[])",
    1};
enum { SKU_ID, SKU_PART_NUMBER, SKU_SUSPENDED, SKU_SEATS_FREE, SKU_PLANS };

static const struct db_stmt stmt_plans = {
    "lic_plans",
    "SELECT p.id, p.name, p.provisions_mailbox, array_to_string(p.unavailable_in_countries, ''),"
    "       coalesce((SELECT array_agg(requires_plan_id ORDER BY requires_plan_id)"
    "                   FROM service_plan_prerequisites WHERE plan_id = p.id), '{}'),"
    "       coalesce((SELECT array_agg(CASE WHEN plan_a = p.id THEN plan_b ELSE plan_a END)"
    "                   FROM service_plan_conflicts WHERE plan_a = p.id OR plan_b = p.id), '{}'),"
    "       coalesce(p.display_name, p.name)"
    "  FROM service_plans p WHERE p.id = ANY($1::uuid[])",
    1};
enum {
    PLAN_ID,
    PLAN_NAME,
    PLAN_MAILBOX,
    PLAN_UNAVAILABLE,
    PLAN_REQUIRES,
    PLAN_CONFLICTS,
    PLAN_DISPLAY_NAME
};

/* ---- ids seen while loading, by index ---- */

struct id_list {
    struct id_map map;
    const char **ids; /* index -> id (arena) */
    int cap;
};

static int id_list_add(struct arena *a, struct id_list *l, const char *id)
{
    if (id_map_get(&l->map, id) >= 0)
        return 0;
    char *copy = arena_strdup(a, id);
    int idx = copy ? id_map_add(&l->map, copy) : -1;
    if (idx < 0)
        return -1;
    if (idx >= l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        const char **grown = realloc(l->ids, (size_t)cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        l->ids = grown;
        l->cap = cap;
    }
    l->ids[idx] = copy;
    return 0;
}

static void id_list_free(struct id_list *l)
{
    id_map_free(&l->map);
    free(l->ids);
    memset(l, 0, sizeof(*l));
}

struct loader {
    struct lic_batch *b;
    struct id_map users;
    struct id_list skus, plans;
};

/* Ids of a uuid[] text mapped to the loader's plan indexes; ids the batch does not know are
 * dropped (a plan nobody here holds cannot clash). How many, or -1 when memory runs out. */
static int plan_indexes(struct loader *L, const char *text, const int **out)
{
    const char **ids;
    int n = db_array_parse_uuids(L->b->arena, text, &ids);
    int *idx = arena_alloc(L->b->arena, (size_t)(n > 0 ? n : 1) * sizeof(int));
    if (n < 0 || idx == NULL)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int q = id_map_get(&L->plans.map, ids[i]);
        if (q >= 0)
            idx[k++] = q;
    }
    *out = idx;
    return k;
}

/* ---- the catalog ---- */

static int plan_row(struct loader *L, PGresult *r, int i, struct lic_plan_rules *p)
{
    struct arena *a = L->b->arena;
    p->name = arena_strdup(a, PQgetvalue(r, i, PLAN_NAME));
    p->display_name = arena_strdup(a, PQgetvalue(r, i, PLAN_DISPLAY_NAME));
    p->provisions_mailbox = PQgetvalue(r, i, PLAN_MAILBOX)[0] == 't';
    p->unavailable = arena_strdup(a, PQgetvalue(r, i, PLAN_UNAVAILABLE));
    p->n_requires = plan_indexes(L, PQgetvalue(r, i, PLAN_REQUIRES), &p->requires_any);
    p->n_conflicts = plan_indexes(L, PQgetvalue(r, i, PLAN_CONFLICTS), &p->conflicts);
    if (p->name == NULL || p->display_name == NULL || p->unavailable == NULL || p->n_requires < 0 ||
        p->n_conflicts < 0)
        return -1;
    return 0;
}

/* The plans of the SKUs, then the plans those require (so messages can name them). */
static int load_plans(struct loader *L, struct db_conn *conn, struct lic_error *err)
{
    struct lic_batch *b = L->b;
    PGresult *rounds[2] = {NULL, NULL};
    int rc = -1;
    for (int round = 0, loaded = 0; round < 2 && loaded < L->plans.map.count; round++) {
        int upto = L->plans.map.count;
        rounds[round] = db_exec_ids(conn, &stmt_plans, L->plans.ids + loaded, upto - loaded, err);
        if (rounds[round] == NULL)
            goto out;
        loaded = upto;
        for (int i = 0; i < PQntuples(rounds[round]); i++) {
            const char **req;
            int n =
                db_array_parse_uuids(b->arena, PQgetvalue(rounds[round], i, PLAN_REQUIRES), &req);
            for (int k = 0; k < n; k++)
                if (id_list_add(b->arena, &L->plans, req[k]) != 0)
                    n = -1;
            if (n < 0)
                goto oom;
        }
    }
    struct lic_plan_rules *plans =
        arena_alloc(b->arena, (size_t)(L->plans.map.count + 1) * sizeof(*plans));
    if (plans == NULL)
        goto oom;
    for (int i = 0; i < L->plans.map.count; i++) {
        plans[i].id = L->plans.ids[i];
        plans[i].name = L->plans.ids[i];
        plans[i].display_name = L->plans.ids[i];
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; rounds[round] && i < PQntuples(rounds[round]); i++) {
            int idx = id_map_get(&L->plans.map, PQgetvalue(rounds[round], i, PLAN_ID));
            if (idx >= 0 && plan_row(L, rounds[round], i, &plans[idx]) != 0)
                goto oom;
        }
    b->catalog.plans = plans;
    b->catalog.n_plans = L->plans.map.count;
    rc = 0;
    goto out;
oom:
    db_out_of_memory(err);
out:
    PQclear(rounds[0]);
    PQclear(rounds[1]);
    return rc;
}

/* The SKUs named so far: only those that exist get an index (an unknown id, a client's typo, is
 * dropped here), with their plans. */
/* A SKU with fewer free seats than this plus the batch's users is locked before its seats are
 * read (LIC_LOAD_LOCK_SKUS_WHEN_SHORT), unless every user of the batch holds it already (none can
 * take a seat of it). */
#define SEAT_MARGIN 256

/* Some user of the batch does not hold this SKU (could take one of its seats). */
static int may_take_seat(const struct loader *L, PGresult *held, const char *sku)
{
    int holders = 0;
    for (int i = 0; i < PQntuples(held); i++)
        holders += strcmp(PQgetvalue(held, i, HELD_SKU), sku) == 0;
    return holders < L->b->n_users;
}

/* The SKU rows, read after locking them when flags ask for it: always (LIC_LOAD_LOCK_SKUS), or
 * when one of them is short of seats (LIC_LOAD_LOCK_SKUS_WHEN_SHORT: read, and read again after
 * the lock if one is). */
static PGresult *read_skus(struct loader *L, struct db_conn *conn, unsigned flags, PGresult *held,
                           struct lic_error *err)
{
    const char *const *ids = L->skus.ids;
    int n = L->skus.map.count;
    if ((flags & LIC_LOAD_LOCK_SKUS) && (db_exec_ids_command(conn, &stmt_lock_skus, ids, n, err) ||
                                         db_exec_ids_command(conn, &stmt_lock_shards, ids, n, err)))
        return NULL;
    PGresult *r = db_exec_ids(conn, &stmt_skus, ids, n, err);
    if (r == NULL || (flags & LIC_LOAD_LOCK_SKUS) || !(flags & LIC_LOAD_LOCK_SKUS_WHEN_SHORT))
        return r;
    int short_of_seats = 0;
    for (int i = 0; i < PQntuples(r) && !short_of_seats; i++)
        short_of_seats = atoi(PQgetvalue(r, i, SKU_SEATS_FREE)) < SEAT_MARGIN + L->b->n_users &&
                         may_take_seat(L, held, PQgetvalue(r, i, SKU_ID));
    if (!short_of_seats)
        return r;
    PQclear(r);
    return read_skus(L, conn, LIC_LOAD_LOCK_SKUS, held, err);
}

static int load_catalog(struct loader *L, struct db_conn *conn, unsigned flags, PGresult *held,
                        struct lic_error *err)
{
    struct lic_batch *b = L->b;
    PGresult *r = read_skus(L, conn, flags, held, err);
    if (r == NULL)
        return -1;
    int n = PQntuples(r);
    struct lic_sku_rules *skus = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(*skus));
    int *seats = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(int));
    const char ***plan_ids = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(*plan_ids));
    int *n_plan_ids = arena_alloc(b->arena, (size_t)(n + 1) * sizeof(int));
    struct id_list known = {0};
    int rc = skus && seats && plan_ids && n_plan_ids ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = id_list_add(b->arena, &known, PQgetvalue(r, i, SKU_ID));
        int k = known.map.count - 1; /* ids are unique: each row adds one */
        if (rc != 0)
            break;
        skus[k].sku_id = known.ids[k];
        skus[k].part_number = arena_strdup(b->arena, PQgetvalue(r, i, SKU_PART_NUMBER));
        skus[k].suspended = PQgetvalue(r, i, SKU_SUSPENDED)[0] == 't';
        seats[k] = atoi(PQgetvalue(r, i, SKU_SEATS_FREE));
        n_plan_ids[k] = db_array_parse_uuids(b->arena, PQgetvalue(r, i, SKU_PLANS), &plan_ids[k]);
        rc = skus[k].part_number && n_plan_ids[k] >= 0 ? 0 : -1;
        for (int p = 0; p < n_plan_ids[k] && rc == 0; p++)
            rc = id_list_add(b->arena, &L->plans, plan_ids[k][p]);
    }
    PQclear(r);
    id_list_free(&L->skus);
    L->skus = known;
    if (rc != 0)
        return db_out_of_memory(err);
    if (load_plans(L, conn, err) != 0)
        return -1;
    for (int i = 0; i < L->skus.map.count; i++) {
        int *plans = arena_alloc(b->arena, (size_t)(n_plan_ids[i] + 1) * sizeof(int));
        if (plans == NULL)
            return db_out_of_memory(err);
        for (int k = 0; k < n_plan_ids[i]; k++) {
            int q = id_map_get(&L->plans.map, plan_ids[i][k]);
            if (q >= 0)
                plans[skus[i].n_plans++] = q;
        }
        skus[i].plans = plans;
    }
    b->catalog.skus = skus;
    b->catalog.n_skus = L->skus.map.count;
    b->seats_free = seats;
    return 0;
}

/* ---- the users ---- */

static int user_row(struct lic_batch *b, PGresult *r, int i, struct lic_batch_user *bu)
{
    bu->found = 1;
    bu->upn = arena_strdup(b->arena, PQgetvalue(r, i, USER_UPN));
    bu->mail =
        PQgetisnull(r, i, USER_MAIL) ? NULL : arena_strdup(b->arena, PQgetvalue(r, i, USER_MAIL));
    snprintf(bu->usage_location, sizeof(bu->usage_location), "%s", PQgetvalue(r, i, USER_LOCATION));
    if (bu->upn == NULL)
        return -1;
    const char *address = bu->mail ? bu->mail : bu->upn;
    size_t len = strlen(address) + sizeof("SMTP:");
    char *smtp = arena_alloc(b->arena, len);
    if (smtp == NULL)
        return -1;
    snprintf(smtp, len, "SMTP:%s", address);
    bu->smtp_address = smtp;
    bu->input.has_primary_smtp = PQgetvalue(r, i, USER_HAS_SMTP)[0] == 't';
    bu->input.smtp_taken = PQgetvalue(r, i, USER_SMTP_TAKEN)[0] == 't';
    bu->input.usage_location = bu->usage_location[0] ? bu->usage_location : NULL;
    bu->input.org_country = b->org_country[0] ? b->org_country : NULL;
    if (!bu->input.has_primary_smtp) {
        /* The lower-cased would-be primary address, for lic_batch_evaluate. */
        char *key = arena_strdup(b->arena, address);
        if (key == NULL)
            return -1;
        for (char *c = key; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        bu->smtp_key = key;
    }
    return 0;
}

static int load_users(struct loader *L, PGresult *users, PGresult *org)
{
    struct lic_batch *b = L->b;
    if (PQntuples(org) > 0)
        snprintf(b->org_country, sizeof(b->org_country), "%s", PQgetvalue(org, 0, 0));
    for (int i = 0; i < PQntuples(users); i++) {
        int u = id_map_get(&L->users, PQgetvalue(users, i, USER_ID));
        if (u >= 0 && user_row(b, users, i, &b->users[u]) != 0)
            return -1;
    }
    return 0;
}

/* The SKUs each user holds now (consumes a seat of). */
static int load_held(struct loader *L, PGresult *held)
{
    struct lic_batch *b = L->b;
    int *count = calloc((size_t)b->n_users + 1, sizeof(int));
    if (count == NULL)
        return -1;
    for (int i = 0; i < PQntuples(held); i++) {
        int u = id_map_get(&L->users, PQgetvalue(held, i, HELD_USER));
        if (u >= 0)
            count[u]++;
    }
    int rc = 0;
    for (int u = 0; u < b->n_users && rc == 0; u++) {
        size_t n = (size_t)(count[u] + 1);
        b->users[u].input.held_skus = arena_alloc(b->arena, n * sizeof(int));
        b->users[u].held_disabled = arena_alloc(b->arena, n * sizeof(char *));
        rc = b->users[u].input.held_skus && b->users[u].held_disabled ? 0 : -1;
    }
    free(count);
    for (int i = 0; i < PQntuples(held) && rc == 0; i++) {
        int u = id_map_get(&L->users, PQgetvalue(held, i, HELD_USER));
        int s = id_map_get(&L->skus.map, PQgetvalue(held, i, HELD_SKU));
        if (u >= 0 && s >= 0) {
            struct lic_batch_user *bu = &b->users[u];
            bu->held_disabled[bu->input.n_held] =
                arena_strdup(b->arena, PQgetvalue(held, i, HELD_DISABLED));
            rc = bu->held_disabled[bu->input.n_held] ? 0 : -1;
            ((int *)bu->input.held_skus)[bu->input.n_held++] = s;
        }
    }
    return rc;
}

static int collect_skus(struct loader *L, PGresult *r, int col)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (id_list_add(L->b->arena, &L->skus, PQgetvalue(r, i, col)) != 0)
            return -1;
    return 0;
}

/* ---- the paths ---- */

#define KEY_SIZE (3 * (GUID_SIZE - 1) + 1) /* up to three ids side by side */

struct path_builder {
    struct loader *L;
    PGresult *states;
    struct id_map state_keys;    /* user, SKU, path -> the state row (its index) */
    struct id_map active_paths;  /* user, path -> present when a state of the path is active */
    char *matched;               /* per state row: a wanted path claimed it */
    int *slot_used;              /* per user: SKU slots given out */
    struct lic_path_sku **slots; /* per user: one SKU slot per row that mentions the user */
};

static int is_active(PGresult *states, int i)
{
    int state = license_state_parse(PQgetvalue(states, i, STATE_STATE));
    return state == LIC_STATE_ACTIVE || state == LIC_STATE_ACTIVE_WITH_ERROR;
}

static char *make_key(struct arena *a, const char *x, const char *y, const char *z)
{
    char *key = arena_alloc(a, KEY_SIZE);
    if (key != NULL)
        snprintf(key, KEY_SIZE, "%.36s%.36s%.36s", x, y, z ? z : "");
    return key;
}

/* The state of (user, sku, path), for incumbency and to spot removals; and the (user, group)
 * paths active now: a group that swaps its SKUs stays the incumbent (semantics §4.1). */
static int index_states(struct path_builder *pb)
{
    struct arena *a = pb->L->b->arena;
    PGresult *st = pb->states;
    int n = PQntuples(st);
    if (id_map_init(&pb->state_keys, n) != 0 || id_map_init(&pb->active_paths, n) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char *key = make_key(a, PQgetvalue(st, i, STATE_USER), PQgetvalue(st, i, STATE_SKU),
                             PQgetvalue(st, i, STATE_PATH));
        if (key == NULL || id_map_add(&pb->state_keys, key) != i)
            return -1;
        if (!is_active(st, i))
            continue;
        key = make_key(a, PQgetvalue(st, i, STATE_USER), PQgetvalue(st, i, STATE_PATH), NULL);
        if (key == NULL || id_map_add(&pb->active_paths, key) < 0)
            return -1;
    }
    return 0;
}

static int find_state(const struct path_builder *pb, const char *user, const char *sku,
                      const char *path)
{
    char key[KEY_SIZE];
    snprintf(key, sizeof(key), "%.36s%.36s%.36s", user, sku, path);
    return id_map_get(&pb->state_keys, key);
}

/* Room for each user's paths and SKU slots: at most one of each per row that mentions the user. */
static int alloc_paths(struct path_builder *pb, PGresult *const *sets, int n_sets)
{
    struct lic_batch *b = pb->L->b;
    int *count = calloc((size_t)b->n_users + 1, sizeof(int));
    pb->slot_used = calloc((size_t)b->n_users + 1, sizeof(int));
    pb->slots = calloc((size_t)b->n_users + 1, sizeof(*pb->slots));
    pb->matched = calloc((size_t)PQntuples(pb->states) + 1, 1);
    int rc = count && pb->slot_used && pb->slots && pb->matched ? 0 : -1;
    for (int s = 0; s < n_sets && rc == 0; s++)
        for (int i = 0; i < PQntuples(sets[s]); i++) {
            int u = id_map_get(&pb->L->users, PQgetvalue(sets[s], i, 0));
            if (u >= 0)
                count[u]++;
        }
    for (int u = 0; u < b->n_users && rc == 0; u++) {
        struct lic_batch_user *bu = &b->users[u];
        size_t n = (size_t)(count[u] + 1);
        bu->paths = arena_alloc(b->arena, n * sizeof(*bu->paths));
        bu->meta = arena_alloc(b->arena, n * sizeof(*bu->meta));
        pb->slots[u] = arena_alloc(b->arena, n * sizeof(**pb->slots));
        bu->input.paths = bu->paths;
        bu->input.n_paths = 0;
        rc = bu->paths && bu->meta && pb->slots[u] ? 0 : -1;
    }
    free(count);
    return rc;
}

/* The next SKU slot of user u, for a path of the SKU's rows. */
static struct lic_path_sku *take_slot(struct path_builder *pb, int u, int sku, const char *disabled)
{
    struct lic_path_sku *ps = &pb->slots[u][pb->slot_used[u]++];
    ps->sku = sku;
    ps->n_disabled = plan_indexes(pb->L, disabled, &ps->disabled_plans);
    return ps->n_disabled < 0 ? NULL : ps;
}

/* A new path for user u, its SKUs to follow in the next slots. */
static struct lic_path *open_path(struct path_builder *pb, int u, const char *path_id,
                                  int state_only)
{
    struct lic_batch_user *bu = &pb->L->b->users[u];
    struct lic_path *p = &bu->paths[bu->input.n_paths];
    p->skus = &pb->slots[u][pb->slot_used[u]];
    bu->meta[bu->input.n_paths].path_id = path_id;
    bu->meta[bu->input.n_paths].state_only = state_only;
    bu->input.n_paths++;
    return p;
}

/* Direct paths: one per SKU. */
static int add_direct_paths(struct path_builder *pb, PGresult *direct)
{
    for (int i = 0; i < PQntuples(direct); i++) {
        int u = id_map_get(&pb->L->users, PQgetvalue(direct, i, DIRECT_USER));
        int sku = id_map_get(&pb->L->skus.map, PQgetvalue(direct, i, DIRECT_SKU));
        if (u < 0 || sku < 0)
            continue;
        struct lic_path *p = open_path(pb, u, LIC_DIRECT_PATH_ID, 0);
        if (take_slot(pb, u, sku, PQgetvalue(direct, i, DIRECT_DISABLED)) == NULL)
            return -1;
        p->assigned_at = atoll(PQgetvalue(direct, i, DIRECT_ASSIGNED_AT));
        p->n_skus = 1;
        int si = find_state(pb, PQgetvalue(direct, i, DIRECT_USER),
                            PQgetvalue(direct, i, DIRECT_SKU), LIC_DIRECT_PATH_ID);
        if (si >= 0) {
            pb->matched[si] = 1;
            p->incumbent = is_active(pb->states, si);
        }
    }
    return 0;
}

/* Group paths: one per (user, group), its SKUs from consecutive rows (ordered by member, group). */
static int add_group_paths(struct path_builder *pb, PGresult *groups)
{
    struct lic_batch *b = pb->L->b;
    for (int i = 0; i < PQntuples(groups); i++) {
        const char *user = PQgetvalue(groups, i, GROUP_USER);
        const char *gid = PQgetvalue(groups, i, GROUP_ID);
        int u = id_map_get(&pb->L->users, user);
        int sku = id_map_get(&pb->L->skus.map, PQgetvalue(groups, i, GROUP_SKU));
        if (u < 0 || sku < 0)
            continue;
        struct lic_batch_user *bu = &b->users[u];
        int last = bu->input.n_paths - 1;
        struct lic_path *p = &bu->paths[last >= 0 ? last : 0];
        if (last < 0 || p->group_id == NULL || strcmp(p->group_id, gid) != 0) {
            const char *group_id = arena_strdup(b->arena, gid);
            char key[KEY_SIZE];
            if (group_id == NULL)
                return -1;
            p = open_path(pb, u, group_id, 0);
            p->group_id = group_id;
            p->assigned_at = atoll(PQgetvalue(groups, i, GROUP_ASSIGNED_AT));
            snprintf(key, sizeof(key), "%.36s%.36s", user, gid);
            p->incumbent = id_map_get(&pb->active_paths, key) >= 0;
        }
        struct lic_path_sku *ps = take_slot(pb, u, sku, PQgetvalue(groups, i, GROUP_DISABLED));
        if (ps == NULL)
            return -1;
        p->n_skus++;
        int si = find_state(pb, user, PQgetvalue(groups, i, GROUP_SKU), gid);
        if (si < 0)
            continue;
        pb->matched[si] = 1;
        p->incumbent |= is_active(pb->states, si);
        /* What is applied now, should a newly disabled plan be needed elsewhere (§4.4). */
        ps->n_prev_disabled =
            plan_indexes(pb->L, PQgetvalue(pb->states, si, STATE_DISABLED), &ps->prev_disabled);
        if (ps->n_prev_disabled < 0)
            return -1;
    }
    return 0;
}

/* Removals: states whose intent is gone, one path per (user, path id). */
static int add_removals(struct path_builder *pb)
{
    struct lic_batch *b = pb->L->b;
    PGresult *st = pb->states;
    for (int i = 0; i < PQntuples(st); i++) {
        if (pb->matched[i])
            continue;
        int u = id_map_get(&pb->L->users, PQgetvalue(st, i, STATE_USER));
        int sku = id_map_get(&pb->L->skus.map, PQgetvalue(st, i, STATE_SKU));
        if (u < 0 || sku < 0)
            continue;
        struct lic_batch_user *bu = &b->users[u];
        const char *path_id = PQgetvalue(st, i, STATE_PATH);
        int last = bu->input.n_paths - 1;
        struct lic_path *p = NULL;
        if (last >= 0 && bu->meta[last].state_only &&
            strcmp(bu->meta[last].path_id, path_id) == 0) {
            p = &bu->paths[last];
        } else {
            const char *copy = arena_strdup(b->arena, path_id);
            if (copy == NULL)
                return -1;
            p = open_path(pb, u, copy, 1);
            if (!PQgetisnull(st, i, STATE_GROUP) &&
                (p->group_id = arena_strdup(b->arena, PQgetvalue(st, i, STATE_GROUP))) == NULL)
                return -1;
            /* A member whose group lost all its licenses: dependent paths become direct (§4.4);
             * other removals keep them in ActiveWithError. */
            p->removal = PQgetvalue(st, i, STATE_GROUP_DELETED)[0] == 't' ? LIC_REMOVE_GROUP_DELETED
                                                                          : LIC_REMOVE;
        }
        if (take_slot(pb, u, sku, PQgetvalue(st, i, STATE_DISABLED)) == NULL)
            return -1;
        p->n_skus++;
        p->incumbent |= is_active(st, i);
    }
    return 0;
}

/* Each user's paths: direct (one per SKU), groups (one per group), then removals. */
static int build_paths(struct loader *L, PGresult *direct, PGresult *groups, PGresult *states)
{
    struct path_builder pb = {.L = L, .states = states};
    PGresult *const sets[] = {direct, groups, states};
    int rc = alloc_paths(&pb, sets, 3) == 0 && index_states(&pb) == 0 &&
                     add_direct_paths(&pb, direct) == 0 && add_group_paths(&pb, groups) == 0 &&
                     add_removals(&pb) == 0
                 ? 0
                 : -1;
    id_map_free(&pb.state_keys);
    id_map_free(&pb.active_paths);
    free(pb.matched);
    free(pb.slot_used);
    free(pb.slots);
    return rc;
}

/* ---- the batch ---- */

static int start_batch(struct loader *L, const char *const *ids, int n, struct lic_error *err)
{
    struct lic_batch *b = L->b;
    b->arena = arena_new();
    if (b->arena == NULL || id_map_init(&L->users, n) != 0 || id_map_init(&b->smtp_given, 16) != 0)
        return db_out_of_memory(err);
    b->users = arena_alloc(b->arena, (size_t)(n > 0 ? n : 1) * sizeof(*b->users));
    if (b->users == NULL)
        return db_out_of_memory(err);
    b->n_users = n;
    for (int i = 0; i < n; i++) {
        b->users[i].id = arena_strdup(b->arena, ids[i]);
        if (b->users[i].id == NULL)
            return db_out_of_memory(err);
        if (id_map_add(&L->users, b->users[i].id) != i)
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "duplicate user %s in a batch",
                                 ids[i]);
    }
    return 0;
}

int db_licensing_load(struct db_conn *conn, const char *const *ids, int n,
                      const char *const *extra_skus, int n_extra, unsigned flags,
                      struct lic_batch *out, struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    struct loader L = {.b = out};
    enum { USERS, ORG, HELD, DIRECT, GROUPS, STATES, N_RESULTS };
    PGresult *r[N_RESULTS] = {NULL};
    int rc = -1;
    if (start_batch(&L, ids, n, err) != 0)
        goto out;
    if ((r[USERS] = db_exec_ids(conn, &stmt_users, ids, n, err)) == NULL ||
        (r[ORG] = db_exec(conn, &stmt_org, NULL, err)) == NULL ||
        (r[HELD] = db_exec_ids(conn, &stmt_held, ids, n, err)) == NULL ||
        (r[DIRECT] = db_exec_ids(conn, &stmt_direct, ids, n, err)) == NULL ||
        (r[GROUPS] = db_exec_ids(conn, &stmt_groups, ids, n, err)) == NULL ||
        (r[STATES] = db_exec_ids(conn, &stmt_states, ids, n, err)) == NULL)
        goto out;
    if (load_users(&L, r[USERS], r[ORG]) != 0 || collect_skus(&L, r[HELD], HELD_SKU) != 0 ||
        collect_skus(&L, r[DIRECT], DIRECT_SKU) != 0 ||
        collect_skus(&L, r[GROUPS], GROUP_SKU) != 0 ||
        collect_skus(&L, r[STATES], STATE_SKU) != 0) {
        db_out_of_memory(err);
        goto out;
    }
    for (int i = 0; i < n_extra; i++)
        if (id_list_add(out->arena, &L.skus, extra_skus[i]) != 0) {
            db_out_of_memory(err);
            goto out;
        }
    if (load_catalog(&L, conn, flags, r[HELD], err) != 0)
        goto out;
    if (load_held(&L, r[HELD]) != 0 || build_paths(&L, r[DIRECT], r[GROUPS], r[STATES]) != 0) {
        db_out_of_memory(err);
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < N_RESULTS; i++)
        PQclear(r[i]);
    id_map_free(&L.users);
    id_list_free(&L.skus);
    id_list_free(&L.plans);
    if (rc != 0)
        lic_batch_free(out);
    return rc;
}
