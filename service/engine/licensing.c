/* The licensing rules engine: see licensing.h and docs (semantics §4). Plan sets are bitsets over
 * catalog plan indexes; every pass is linear in the user's plans, so a worker can evaluate a
 * million users in seconds. */
#include "service/engine/licensing.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/arena.h"

static const char *const state_names[LIC_STATE_COUNT] = {
    [LIC_STATE_ACTIVE] = "Active",
    [LIC_STATE_ACTIVE_WITH_ERROR] = "ActiveWithError",
    [LIC_STATE_DISABLED] = "Disabled",
    [LIC_STATE_ERROR] = "Error",
};
static const char *const error_names[LIC_ERROR_COUNT] = {
    [LIC_ERROR_NONE] = "None",
    [LIC_ERROR_COUNT_VIOLATION] = "CountViolation",
    [LIC_ERROR_MUTUALLY_EXCLUSIVE] = "MutuallyExclusiveViolation",
    [LIC_ERROR_DEPENDENCY] = "DependencyViolation",
    [LIC_ERROR_USAGE_LOCATION] = "ProhibitedInUsageLocationViolation",
    [LIC_ERROR_UNIQUENESS] = "UniquenessViolation",
    [LIC_ERROR_OTHER] = "Other",
};

const char *license_state_name(enum license_state state)
{
    assert((unsigned)state < LIC_STATE_COUNT);
    return (unsigned)state < LIC_STATE_COUNT ? state_names[state] : "Error";
}

const char *license_error_name(enum license_error error)
{
    assert((unsigned)error < LIC_ERROR_COUNT);
    return (unsigned)error < LIC_ERROR_COUNT ? error_names[error] : "Other";
}

int license_state_parse(const char *text)
{
    for (int i = 0; i < LIC_STATE_COUNT; i++)
        if (strcmp(state_names[i], text) == 0)
            return i;
    return -1;
}

int license_error_parse(const char *text)
{
    for (int i = 0; i < LIC_ERROR_COUNT; i++)
        if (strcmp(error_names[i], text) == 0)
            return i;
    return -1;
}

/* Path classes in evaluation order (§4.1-4.2): held direct paths, then incumbent group paths,
 * then direct paths being validated, then new group paths. */
enum path_class { CLASS_HELD_DIRECT, CLASS_INCUMBENT, CLASS_NEW_DIRECT, CLASS_NEW_GROUP };

struct work {
    const struct lic_catalog *cat;
    const struct lic_user_input *user;
    const int *seats_free;
    const char *location;
    int *order;                   /* path indexes in evaluation order */
    int *reinstated;              /* per path: a removal undone because something depends on it */
    struct lic_violation *forced; /* per path: failed by the dependency pass */
    struct lic_violation *kept;   /* per path: why a removal was undone */
    int *active;                  /* per path: contributes plans in this round */
    uint64_t *accepted;           /* plans whose missing prerequisite only held direct paths need */
    struct lic_path *paths;       /* the user's paths, with SKUs the evaluation may revert */
    struct lic_path_sku *sku_copy; /* storage of those SKUs */
    int *kept_previous;            /* per path: back on its previous disabledPlans */
    int *holder;                   /* per plan: SKU index holding it, -1 none, -2 several */
    uint64_t *held;                /* plan bitset */
    int words;
};

static enum path_class class_of(const struct lic_path *p)
{
    if (p->group_id == NULL)
        return p->validate ? CLASS_NEW_DIRECT : CLASS_HELD_DIRECT;
    return p->incumbent ? CLASS_INCUMBENT : CLASS_NEW_GROUP;
}

static int compare_paths(const void *a, const void *b, void *ctx)
{
    const struct lic_path *paths = ctx;
    int ia = *(const int *)a, ib = *(const int *)b;
    const struct lic_path *pa = &paths[ia], *pb = &paths[ib];
    enum path_class ca = class_of(pa), cb = class_of(pb);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (pa->assigned_at != pb->assigned_at)
        return pa->assigned_at < pb->assigned_at ? -1 : 1;
    if (pa->group_id && pb->group_id) {
        int c = strcmp(pa->group_id, pb->group_id);
        if (c != 0)
            return c;
    }
    return ia < ib ? -1 : (ia > ib);
}

static int has_bit(const uint64_t *set, int i)
{
    return (set[i >> 6] >> (i & 63)) & 1;
}

static void set_bit(uint64_t *set, int i)
{
    set[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int plan_disabled(const struct lic_path_sku *ps, int plan)
{
    for (int i = 0; i < ps->n_disabled; i++)
        if (ps->disabled_plans[i] == plan)
            return 1;
    return 0;
}

static int holds_sku_before(const struct lic_user_input *u, int sku)
{
    for (int i = 0; i < u->n_held; i++)
        if (u->held_skus[i] == sku)
            return 1;
    return 0;
}

static int country_listed(const char *list, const char *country)
{
    for (const char *c = list; c && c[0] && c[1]; c += 2)
        if (c[0] == country[0] && c[1] == country[1])
            return 1;
    return 0;
}

static struct lic_violation violation(enum license_error e, int sku, int plan, int other)
{
    struct lic_violation v = {.error = e, .sku = sku, .plan = plan, .other_plan = other};
    return v;
}

/* Does plan q, held now, come from a SKU other than sku? (A SKU never conflicts with itself.) */
static int held_elsewhere(const struct work *w, int q, int sku)
{
    return has_bit(w->held, q) && w->holder[q] != sku;
}

static int sku_taken_by_earlier_path(const struct work *w, int upto_pos, int sku)
{
    for (int k = 0; k < upto_pos; k++) {
        int i = w->order[k];
        if (!w->active[i])
            continue;
        const struct lic_path *p = &w->paths[i];
        for (int j = 0; j < p->n_skus; j++)
            if (p->skus[j].sku == sku)
                return 1;
    }
    return 0;
}

/* Checks one path against what earlier paths hold (§4.3). Returns the first violation. */
static struct lic_violation check_path(const struct work *w, int pos, const struct lic_path *p)
{
    const struct lic_catalog *cat = w->cat;
    int held_direct = class_of(p) == CLASS_HELD_DIRECT;
    for (int j = 0; j < p->n_skus; j++) {
        const struct lic_path_sku *ps = &p->skus[j];
        const struct lic_sku_rules *sku = &cat->skus[ps->sku];
        /* A suspended SKU gives no plan, so no plan rule applies; it still takes a seat. */
        if (!held_direct && !sku->suspended) {
            for (int k = 0; k < sku->n_plans; k++) {
                int plan = sku->plans[k];
                if (plan_disabled(ps, plan))
                    continue;
                if (w->location == NULL)
                    return violation(LIC_ERROR_USAGE_LOCATION, ps->sku, plan, -1);
                if (country_listed(cat->plans[plan].unavailable, w->location)) {
                    struct lic_violation v = violation(LIC_ERROR_USAGE_LOCATION, ps->sku, plan, -1);
                    memcpy(v.country, w->location, 2);
                    return v;
                }
            }
            for (int k = 0; k < sku->n_plans; k++) {
                int plan = sku->plans[k];
                if (plan_disabled(ps, plan))
                    continue;
                const struct lic_plan_rules *rules = &cat->plans[plan];
                for (int c = 0; c < rules->n_conflicts; c++) {
                    int q = rules->conflicts[c];
                    if (held_elsewhere(w, q, ps->sku))
                        return violation(LIC_ERROR_MUTUALLY_EXCLUSIVE, ps->sku, plan, q);
                    /* Another SKU of this same path holding q also conflicts. */
                    for (int jj = 0; jj < j; jj++) {
                        const struct lic_path_sku *other = &p->skus[jj];
                        if (other->sku == ps->sku || plan_disabled(other, q))
                            continue;
                        const struct lic_sku_rules *os = &cat->skus[other->sku];
                        for (int m = 0; m < os->n_plans; m++)
                            if (os->plans[m] == q)
                                return violation(LIC_ERROR_MUTUALLY_EXCLUSIVE, ps->sku, plan, q);
                    }
                }
            }
            if (w->user->smtp_taken) {
                for (int k = 0; k < sku->n_plans; k++) {
                    int plan = sku->plans[k];
                    if (!plan_disabled(ps, plan) && cat->plans[plan].provisions_mailbox)
                        return violation(LIC_ERROR_UNIQUENESS, ps->sku, plan, -1);
                }
            }
        }
        /* One seat per user per SKU, however many paths give it (§4.6). */
        if (!holds_sku_before(w->user, ps->sku) && !sku_taken_by_earlier_path(w, pos, ps->sku) &&
            w->seats_free[ps->sku] <= 0)
            return violation(LIC_ERROR_COUNT_VIOLATION, ps->sku, -1, -1);
    }
    return violation(LIC_ERROR_NONE, -1, -1, -1);
}

static void hold_path(struct work *w, const struct lic_path *p)
{
    for (int j = 0; j < p->n_skus; j++) {
        const struct lic_path_sku *ps = &p->skus[j];
        const struct lic_sku_rules *sku = &w->cat->skus[ps->sku];
        if (sku->suspended)
            continue;
        for (int k = 0; k < sku->n_plans; k++) {
            int plan = sku->plans[k];
            if (plan_disabled(ps, plan))
                continue;
            if (!has_bit(w->held, plan)) {
                set_bit(w->held, plan);
                w->holder[plan] = ps->sku;
            } else if (w->holder[plan] != ps->sku) {
                w->holder[plan] = -2;
            }
        }
    }
}

static int sku_enables(const struct lic_catalog *cat, const struct lic_path_sku *ps, int plan)
{
    const struct lic_sku_rules *sku = &cat->skus[ps->sku];
    if (sku->suspended || plan_disabled(ps, plan))
        return 0;
    for (int k = 0; k < sku->n_plans; k++)
        if (sku->plans[k] == plan)
            return 1;
    return 0;
}

static int path_enables(const struct work *w, const struct lic_path *p, int plan)
{
    for (int j = 0; j < p->n_skus; j++)
        if (sku_enables(w->cat, &p->skus[j], plan))
            return 1;
    return 0;
}

static int wanted(const struct work *w, int i)
{
    return w->paths[i].removal == LIC_KEEP || w->reinstated[i];
}

/* One round: every wanted path in order, checked against the ones before it. */
static void evaluate_round(struct work *w, struct lic_result *res)
{
    memset(w->held, 0, (size_t)w->words * sizeof(uint64_t));
    for (int pos = 0; pos < w->user->n_paths; pos++) {
        int i = w->order[pos];
        const struct lic_path *p = &w->paths[i];
        struct lic_path_result *pr = &res->paths[i];
        w->active[i] = 0;
        pr->removed = !wanted(w, i);
        pr->convert_to_direct = 0;
        pr->kept_previous = w->kept_previous[i];
        pr->why = violation(LIC_ERROR_NONE, -1, -1, -1);
        if (pr->removed) {
            pr->state = LIC_STATE_ACTIVE;
            continue;
        }
        if (w->forced[i].error != LIC_ERROR_NONE) {
            pr->state = LIC_STATE_ERROR;
            pr->why = w->forced[i];
            continue;
        }
        struct lic_violation v = check_path(w, pos, p);
        if (v.error != LIC_ERROR_NONE) {
            pr->state = LIC_STATE_ERROR;
            pr->why = v;
            continue;
        }
        pr->state = LIC_STATE_ACTIVE;
        w->active[i] = 1;
        hold_path(w, p);
        if (w->kept_previous[i]) {
            pr->state = LIC_STATE_ACTIVE_WITH_ERROR;
            pr->why = w->kept[i];
        }
        if (w->reinstated[i]) {
            if (p->removal == LIC_REMOVE_GROUP_DELETED) {
                pr->convert_to_direct = 1;
            } else {
                pr->state = LIC_STATE_ACTIVE_WITH_ERROR;
                pr->why = w->kept[i];
            }
        }
    }
}

/* Finds a held plan whose prerequisites are all missing (§3, §4.4). */
static int unsatisfied_plan(const struct work *w, int *path_out)
{
    for (int pos = 0; pos < w->user->n_paths; pos++) {
        int i = w->order[pos];
        if (!w->active[i])
            continue;
        const struct lic_path *p = &w->paths[i];
        for (int j = 0; j < p->n_skus; j++) {
            const struct lic_sku_rules *sku = &w->cat->skus[p->skus[j].sku];
            if (sku->suspended)
                continue;
            for (int k = 0; k < sku->n_plans; k++) {
                int plan = sku->plans[k];
                const struct lic_plan_rules *r = &w->cat->plans[plan];
                if (r->n_requires == 0 || plan_disabled(&p->skus[j], plan) ||
                    has_bit(w->accepted, plan))
                    continue;
                int ok = 0;
                for (int q = 0; q < r->n_requires && !ok; q++)
                    ok = has_bit(w->held, r->requires_any[q]);
                if (!ok) {
                    *path_out = i;
                    return plan;
                }
            }
        }
    }
    return -1;
}

/* Step 1 for an unsatisfied plan: undo a removal of an incumbent path that provided one of its
 * prerequisites. 1 when one was undone. */
static int reinstate_provider(struct work *w, int plan)
{
    const struct lic_plan_rules *r = &w->cat->plans[plan];
    for (int pos = 0; pos < w->user->n_paths; pos++) {
        int i = w->order[pos];
        if (wanted(w, i) || !w->paths[i].incumbent)
            continue;
        for (int q = 0; q < r->n_requires; q++) {
            if (path_enables(w, &w->paths[i], r->requires_any[q])) {
                w->reinstated[i] = 1;
                w->kept[i] = violation(LIC_ERROR_DEPENDENCY, -1, plan, r->requires_any[q]);
                return 1;
            }
        }
    }
    return 0;
}

/* Does the path newly disable (against its previous plans) one of the plan's prerequisites? */
static int newly_disables_prerequisite(const struct work *w, const struct lic_path *p,
                                       const struct lic_plan_rules *r)
{
    for (int j = 0; j < p->n_skus; j++) {
        const struct lic_path_sku *ps = &p->skus[j];
        if (ps->prev_disabled == NULL)
            continue;
        struct lic_path_sku prev = *ps;
        prev.disabled_plans = ps->prev_disabled;
        prev.n_disabled = ps->n_prev_disabled;
        for (int q = 0; q < r->n_requires; q++)
            if (plan_disabled(ps, r->requires_any[q]) &&
                sku_enables(w->cat, &prev, r->requires_any[q]))
                return 1;
    }
    return 0;
}

/* Step 2: a path that newly disables a prerequisite keeps its previous plans instead, like a
 * removal that another license depends on (§4.4). 1 when one was put back. */
static int keep_previous_plans(struct work *w, int plan)
{
    const struct lic_plan_rules *r = &w->cat->plans[plan];
    for (int pos = 0; pos < w->user->n_paths; pos++) {
        int i = w->order[pos];
        struct lic_path *p = &w->paths[i];
        if (!w->active[i] || !p->incumbent || w->kept_previous[i] || p->group_id == NULL ||
            !newly_disables_prerequisite(w, p, r))
            continue;
        for (int j = 0; j < p->n_skus; j++) {
            struct lic_path_sku *ps = (struct lic_path_sku *)&p->skus[j];
            if (ps->prev_disabled != NULL) {
                ps->disabled_plans = ps->prev_disabled;
                ps->n_disabled = ps->n_prev_disabled;
            }
        }
        w->kept_previous[i] = 1;
        w->kept[i] = violation(LIC_ERROR_DEPENDENCY, -1, plan, r->requires_any[0]);
        return 1;
    }
    return 0;
}

/* Step 3: the path to fail for the plan: the newest checked path enabling it; when only held
 * direct paths need it, a direct path changed now that no longer enables a prerequisite its SKU
 * has (disabledPlans: that change is what breaks them, §2). -1 when there is none. */
static int dependency_victim(const struct work *w, int plan)
{
    const struct lic_plan_rules *r = &w->cat->plans[plan];
    for (int pos = w->user->n_paths - 1; pos >= 0; pos--) {
        int i = w->order[pos];
        if (w->active[i] && class_of(&w->paths[i]) != CLASS_HELD_DIRECT && !w->reinstated[i] &&
            path_enables(w, &w->paths[i], plan))
            return i;
    }
    for (int pos = w->user->n_paths - 1; pos >= 0; pos--) {
        int i = w->order[pos];
        const struct lic_path *p = &w->paths[i];
        if (!w->active[i] || class_of(p) != CLASS_NEW_DIRECT)
            continue;
        for (int q = 0; q < r->n_requires; q++)
            for (int j = 0; j < p->n_skus; j++)
                if (plan_disabled(&p->skus[j], r->requires_any[q]))
                    return i;
    }
    return -1;
}

/* Resolves missing prerequisites: undo a removal that provided one, else keep a path on its
 * previous plans, else fail the newest path that needs it. Each step changes one path (or
 * accepts one plan), so this ends within 2 * paths + plans rounds. */
static void settle_dependencies(struct work *w, struct lic_result *res)
{
    for (int round = 0; round <= 2 * w->user->n_paths + w->cat->n_plans + 1; round++) {
        evaluate_round(w, res);
        int needer = -1;
        int plan = unsatisfied_plan(w, &needer);
        if (plan < 0)
            return;
        if (reinstate_provider(w, plan) || keep_previous_plans(w, plan))
            continue;
        int victim = dependency_victim(w, plan);
        if (victim < 0) {
            /* Held direct paths stay as they were made; look at the next unsatisfied plan. */
            set_bit(w->accepted, plan);
            continue;
        }
        const struct lic_plan_rules *r = &w->cat->plans[plan];
        const struct lic_path *vp = &w->paths[victim];
        int sku = -1;
        for (int j = 0; j < vp->n_skus && sku < 0; j++)
            if (sku_enables(w->cat, &vp->skus[j], plan))
                sku = vp->skus[j].sku;
        if (sku < 0)
            sku = vp->skus[0].sku;
        w->forced[victim] =
            violation(LIC_ERROR_DEPENDENCY, sku, plan, r->n_requires ? r->requires_any[0] : -1);
    }
}

static int build_effective(struct work *w, struct lic_result *res, int *seats_free)
{
    const struct lic_catalog *cat = w->cat;
    const struct lic_user_input *u = w->user;
    int total = 0;
    for (int i = 0; i < u->n_paths; i++)
        total += w->paths[i].n_skus;
    res->effective = calloc((size_t)(total ? total : 1), sizeof(*res->effective));
    if (res->effective == NULL)
        return -1;
    for (int pos = 0; pos < u->n_paths; pos++) {
        int i = w->order[pos];
        if (!w->active[i])
            continue;
        const struct lic_path *p = &w->paths[i];
        for (int j = 0; j < p->n_skus; j++) {
            int s = p->skus[j].sku;
            int seen = 0;
            for (int e = 0; e < res->n_effective; e++)
                seen |= res->effective[e].sku == s;
            if (seen)
                continue;
            /* A plan is enabled if any active path enables it: disabled = the intersection. */
            const struct lic_sku_rules *sku = &cat->skus[s];
            struct lic_effective *eff = &res->effective[res->n_effective++];
            eff->sku = s;
            eff->disabled_plans = calloc((size_t)(sku->n_plans ? sku->n_plans : 1), sizeof(int));
            if (eff->disabled_plans == NULL)
                return -1;
            for (int k = 0; k < sku->n_plans; k++) {
                int plan = sku->plans[k];
                int enabled = 0;
                for (int qq = pos; qq < u->n_paths && !enabled; qq++) {
                    int ii = w->order[qq];
                    if (!w->active[ii])
                        continue;
                    for (int jj = 0; jj < w->paths[ii].n_skus && !enabled; jj++)
                        enabled = w->paths[ii].skus[jj].sku == s &&
                                  !plan_disabled(&w->paths[ii].skus[jj], plan);
                }
                if (!enabled || sku->suspended)
                    eff->disabled_plans[eff->n_disabled++] = plan;
                else if (cat->plans[plan].provisions_mailbox && !u->has_primary_smtp)
                    res->needs_primary_smtp = 1;
            }
        }
    }
    /* Seats: take for SKUs newly held, free for SKUs no longer held. */
    for (int e = 0; e < res->n_effective; e++) {
        int s = res->effective[e].sku;
        if (!holds_sku_before(u, s)) {
            res->seat_delta[s] = 1;
            seats_free[s]--;
        }
    }
    for (int h = 0; h < u->n_held; h++) {
        int s = u->held_skus[h], still = 0;
        for (int e = 0; e < res->n_effective; e++)
            still |= res->effective[e].sku == s;
        if (!still && res->seat_delta[s] == 0) {
            res->seat_delta[s] = -1;
            seats_free[s]++;
        }
    }
    return 0;
}

void licensing_result_free(struct lic_result *result, int n_paths)
{
    if (result == NULL)
        return;
    if (result->paths != NULL)
        for (int i = 0; i < n_paths; i++)
            free(result->paths[i].sku_states);
    for (int e = 0; result->effective && e < result->n_effective; e++)
        free(result->effective[e].disabled_plans);
    free(result->paths);
    free(result->effective);
    free(result->seat_delta);
    memset(result, 0, sizeof(*result));
}

static void work_free(struct work *w)
{
    free(w->order);
    free(w->reinstated);
    free(w->active);
    free(w->forced);
    free(w->kept);
    free(w->held);
    free(w->accepted);
    free(w->kept_previous);
    free(w->paths);
    free(w->sku_copy);
    free(w->holder);
}

/* The evaluation's scratch, with a private copy of the paths: dependency settling may put a path
 * back on its previous disabledPlans, and the caller's input stays as given. 0, or -1. */
static int work_init(struct work *w, const struct lic_catalog *catalog,
                     const struct lic_user_input *user, const int *seats_free)
{
    *w = (struct work){.cat = catalog, .user = user, .seats_free = seats_free};
    w->location = user->usage_location && user->usage_location[0] ? user->usage_location
                  : user->org_country && user->org_country[0]     ? user->org_country
                                                                  : NULL;
    size_t n = (size_t)(user->n_paths ? user->n_paths : 1);
    int total_skus = 0;
    for (int i = 0; i < user->n_paths; i++)
        total_skus += user->paths[i].n_skus;
    w->words = catalog->n_plans / 64 + 1;
    w->order = calloc(n, sizeof(int));
    w->reinstated = calloc(n, sizeof(int));
    w->active = calloc(n, sizeof(int));
    w->forced = calloc(n, sizeof(*w->forced));
    w->kept = calloc(n, sizeof(*w->kept));
    w->kept_previous = calloc(n, sizeof(int));
    w->paths = calloc(n, sizeof(*w->paths));
    w->sku_copy = calloc((size_t)(total_skus ? total_skus : 1), sizeof(*w->sku_copy));
    w->held = calloc((size_t)w->words, sizeof(uint64_t));
    w->accepted = calloc((size_t)w->words, sizeof(uint64_t));
    w->holder = malloc((size_t)(catalog->n_plans ? catalog->n_plans : 1) * sizeof(int));
    if (!w->order || !w->reinstated || !w->active || !w->forced || !w->kept || !w->held ||
        !w->accepted || !w->kept_previous || !w->paths || !w->sku_copy || !w->holder)
        return -1;
    for (int i = 0, k = 0; i < user->n_paths; i++) {
        w->paths[i] = user->paths[i];
        memcpy(&w->sku_copy[k], user->paths[i].skus,
               (size_t)user->paths[i].n_skus * sizeof(*w->sku_copy));
        w->paths[i].skus = &w->sku_copy[k];
        k += user->paths[i].n_skus;
        w->order[i] = i;
        w->forced[i] = violation(LIC_ERROR_NONE, -1, -1, -1);
    }
    qsort_r(w->order, (size_t)user->n_paths, sizeof(int), compare_paths, (void *)user->paths);
    return 0;
}

int licensing_evaluate_user(const struct lic_catalog *catalog, const struct lic_user_input *user,
                            int *seats_free, struct lic_result *result)
{
    struct lic_result res;
    memset(&res, 0, sizeof(res));
    struct work w;
    size_t n = (size_t)(user->n_paths ? user->n_paths : 1);
    res.paths = calloc(n, sizeof(*res.paths));
    res.seat_delta = calloc((size_t)(catalog->n_skus ? catalog->n_skus : 1), sizeof(int));
    int rc = -1;
    if (work_init(&w, catalog, user, seats_free) != 0 || !res.paths || !res.seat_delta)
        goto out;
    settle_dependencies(&w, &res);
    for (int i = 0; i < user->n_paths; i++) {
        res.paths[i].sku_states =
            calloc((size_t)(user->paths[i].n_skus ? user->paths[i].n_skus : 1),
                   sizeof(*res.paths[i].sku_states));
        if (res.paths[i].sku_states == NULL)
            goto out;
    }
    /* Seats move last: nothing after this can fail, so a failure leaves seats_free untouched. */
    if (build_effective(&w, &res, seats_free) != 0)
        goto out;
    for (int i = 0; i < user->n_paths; i++) {
        const struct lic_path *p = &user->paths[i];
        struct lic_path_result *pr = &res.paths[i];
        for (int j = 0; j < p->n_skus; j++)
            pr->sku_states[j] =
                pr->state == LIC_STATE_ACTIVE && catalog->skus[p->skus[j].sku].suspended
                    ? LIC_STATE_DISABLED
                    : pr->state;
    }
    *result = res;
    rc = 0;
out:
    if (rc != 0)
        licensing_result_free(&res, user->n_paths);
    work_free(&w);
    return rc;
}

static const char *plan_label(const struct lic_catalog *cat, int plan)
{
    if (plan < 0 || plan >= cat->n_plans)
        return "?";
    return cat->plans[plan].name ? cat->plans[plan].name : cat->plans[plan].id;
}

void licensing_violation_message(const struct lic_catalog *cat, const struct lic_violation *v,
                                 char *out, size_t size)
{
    switch (v->error) {
    case LIC_ERROR_NONE:
        snprintf(out, size, "%s", "");
        return;
    case LIC_ERROR_COUNT_VIOLATION:
        snprintf(out, size, "Subscription with SKU %s does not have any available licenses.",
                 v->sku >= 0 ? cat->skus[v->sku].sku_id : "?");
        return;
    case LIC_ERROR_MUTUALLY_EXCLUSIVE:
        snprintf(out, size,
                 "License assignment failed because service plans %s,%s are mutually exclusive",
                 plan_label(cat, v->plan), plan_label(cat, v->other_plan));
        return;
    case LIC_ERROR_DEPENDENCY: {
        if (v->plan < 0) {
            snprintf(out, size,
                     "License assignment failed because another service depends on "
                     "a service plan of this license.");
            return;
        }
        const struct lic_plan_rules *r = &cat->plans[v->plan];
        size_t used = (size_t)snprintf(out, size,
                                       "License assignment failed because service plan %s "
                                       "depends on the service plan(s) ",
                                       plan_label(cat, v->plan));
        for (int q = 0; q < r->n_requires && used < size; q++)
            used += (size_t)snprintf(out + used, size - used, "%s%s", q ? ", " : "",
                                     plan_label(cat, r->requires_any[q]));
        if (used < size)
            snprintf(out + used, size - used, ".");
        return;
    }
    case LIC_ERROR_USAGE_LOCATION:
        if (v->country[0] == '\0')
            snprintf(out, size,
                     "License assignment cannot be done for user with invalid usage location.");
        else
            snprintf(out, size,
                     "License assignment failed because service plan %s is not available in "
                     "usage location %s.",
                     plan_label(cat, v->plan), v->country);
        return;
    case LIC_ERROR_UNIQUENESS:
        snprintf(out, size, "Proxy address is already being used by another object.");
        return;
    case LIC_ERROR_OTHER:
    case LIC_ERROR_COUNT:
        break;
    }
    snprintf(out, size, "License assignment failed.");
}

/* ---- The batch evaluated in order ---- */

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

int lic_batch_direct_path(const struct lic_batch_user *bu, int sku)
{
    for (int i = 0; i < bu->input.n_paths; i++)
        if (bu->paths[i].group_id == NULL && !bu->meta[i].state_only &&
            bu->paths[i].skus[0].sku == sku)
            return i;
    return -1;
}

int lic_batch_evaluate(struct lic_batch *batch, int u, struct lic_result *result)
{
    assert(u >= 0 && u < batch->n_users && batch->users[u].found);
    struct lic_batch_user *bu = &batch->users[u];
    if (bu->smtp_key != NULL && id_map_get(&batch->smtp_given, bu->smtp_key) >= 0)
        bu->input.smtp_taken = 1;
    if (licensing_evaluate_user(&batch->catalog, &bu->input, batch->seats_free, result) != 0)
        return -1;
    if (result->needs_primary_smtp && bu->smtp_key != NULL &&
        id_map_add(&batch->smtp_given, bu->smtp_key) < 0) {
        licensing_result_free(result, bu->input.n_paths);
        return -1;
    }
    return 0;
}

void lic_batch_free(struct lic_batch *batch)
{
    if (batch == NULL)
        return;
    id_map_free(&batch->smtp_given);
    arena_free(batch->arena);
    memset(batch, 0, sizeof(*batch));
}
