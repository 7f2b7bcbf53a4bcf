/* The licensing rules engine (semantics §1, §2, §4, §9): one user's paths in, states, errors,
 * effective licenses and seat changes out. Pure: no I/O, no globals, deterministic, idempotent.
 * Direct assignment and the group worker both call licensing_evaluate_user unchanged. */
#ifndef LICENSINGD_LICENSING_H
#define LICENSINGD_LICENSING_H

#include <stddef.h>

#include "service/base/map.h"

enum license_state {
    LIC_STATE_ACTIVE,
    LIC_STATE_ACTIVE_WITH_ERROR,
    LIC_STATE_DISABLED,
    LIC_STATE_ERROR,
    LIC_STATE_COUNT
};

enum license_error {
    LIC_ERROR_NONE,
    LIC_ERROR_COUNT_VIOLATION,
    LIC_ERROR_MUTUALLY_EXCLUSIVE,
    LIC_ERROR_DEPENDENCY,
    LIC_ERROR_USAGE_LOCATION,
    LIC_ERROR_UNIQUENESS,
    LIC_ERROR_OTHER,
    LIC_ERROR_COUNT
};

/* Graph's strings, one table each: "Active", ..., "CountViolation", ... and back (-1 when
 * unknown). The CHECK constraints of license_assignment_states list the same names (a unit test
 * holds them together: a new entry needs a new migration). */
const char *license_state_name(enum license_state state);
const char *license_error_name(enum license_error error);
int license_state_parse(const char *text);
int license_error_parse(const char *text);

/* ---- the catalog rules involved, with plans and SKUs referred to by index ---- */

struct lic_plan_rules {
    const char *id;          /* GUID text, used in messages */
    const char *name;        /* e.g. "EXCHANGE_S_STANDARD" */
    int provisions_mailbox;  /* giving it triggers the proxy-address calculation (§4.7) */
    const char *unavailable; /* concatenated ISO alpha-2 codes ("CNINPK"), or NULL */
    const int *conflicts;    /* plan indexes it cannot be held with (listed in both plans) */
    int n_conflicts;
    const int *requires_any; /* plan indexes, one of which must be enabled too */
    int n_requires;
    const char *display_name; /* e.g. "Exchange Online (Plan 1)" (name when it has none) */
};

struct lic_sku_rules {
    const char *sku_id;
    const char *part_number;
    const int *plans; /* plan indexes */
    int n_plans;
    int suspended; /* capability Suspended/LockedOut/Deleted: its paths are Disabled */
};

struct lic_catalog {
    const struct lic_plan_rules *plans;
    int n_plans;
    const struct lic_sku_rules *skus;
    int n_skus;
};

/* ---- one user's situation ---- */

enum lic_removal {
    LIC_KEEP,                 /* the path stays wanted */
    LIC_REMOVE,               /* left the group, group or direct license removed */
    LIC_REMOVE_GROUP_DELETED, /* the group itself is being deleted (§4.4: convert, not error) */
};

struct lic_path_sku {
    int sku;                   /* catalog SKU index */
    const int *disabled_plans; /* plan indexes */
    int n_disabled;
    /* The disabled plans applied now (from the path's state), for an incumbent path whose
     * disabledPlans changed: NULL when there is no previous application. */
    const int *prev_disabled;
    int n_prev_disabled;
};

struct lic_path {
    const char *group_id;  /* NULL for the direct path */
    long long assigned_at; /* when the group license was assigned (orders group paths) */
    int incumbent;         /* Active (or ActiveWithError) for this user before this evaluation */
    int validate;          /* a direct path added or changed now: check it like a group path */
    enum lic_removal removal;
    const struct lic_path_sku *skus;
    int n_skus;
};

struct lic_user_input {
    const char *usage_location; /* ISO alpha-2 or NULL */
    const char *org_country;    /* the organization's countryLetterCode or NULL */
    int has_primary_smtp;       /* the user has an "SMTP:" proxy address */
    int smtp_taken;       /* its primary (or would-be primary) SMTP address is another user's */
    const int *held_skus; /* SKUs the user holds now (consumes a seat of) */
    int n_held;
    const struct lic_path *paths;
    int n_paths;
};

/* ---- the outcome ---- */

struct lic_violation {
    enum license_error error;
    int sku;         /* the SKU that failed, or -1 */
    int plan;        /* the plan at fault (conflicting, dependent, prohibited, mailbox), or -1 */
    int other_plan;  /* the plan it conflicts with, or -1 */
    char country[3]; /* for usage location errors ("" when the user has none) */
};

struct lic_path_result {
    enum license_state state; /* Active, ActiveWithError or Error; Disabled is per SKU below */
    struct lic_violation why; /* error NONE when healthy */
    int removed;              /* the removal went through: drop the path */
    int convert_to_direct;    /* §4.4: a deleted group's path becomes a direct assignment */
    int kept_previous;        /* newly disabled plans another license needs stay enabled (§4.4):
                                 the path keeps its previous disabledPlans, ActiveWithError */
    enum license_state *sku_states; /* per SKU of the path (Disabled for suspended SKUs) */
};

struct lic_effective {
    int sku;
    int *disabled_plans; /* plan indexes of the SKU not enabled by any active path */
    int n_disabled;
};

struct lic_result {
    struct lic_path_result *paths; /* same order as the input paths */
    struct lic_effective *effective;
    int n_effective;
    int *seat_delta;        /* per catalog SKU: +1 takes a seat, -1 frees one, 0 */
    int needs_primary_smtp; /* a mailbox plan is enabled and the user has no SMTP: address */
};

/* Evaluates one user. seats_free[s] is the number of free seats of catalog SKU s not counting
 * this user; it is decremented for each seat this user takes and incremented for each it frees,
 * so a caller evaluating many users in order shares one array (earlier users get seats first).
 * Returns 0, or -1 when memory runs out (result untouched). Free with licensing_result_free. */
int licensing_evaluate_user(const struct lic_catalog *catalog, const struct lic_user_input *user,
                            int *seats_free, struct lic_result *result);

void licensing_result_free(struct lic_result *result, int n_paths);

/* Graph's message for a violation (reference §3), e.g. "License assignment failed because
 * service plans A,B are mutually exclusive". */
void licensing_violation_message(const struct lic_catalog *catalog, const struct lic_violation *v,
                                 char *out, size_t size);

/* ---- A batch of users' licensing situations as db/ loads them for the engine: each user's
 * input, the catalog rules involved, the seats free, and what a caller evaluating the users in
 * order shares (the seat budget, the new primary addresses given so far). ---- */

/* path_id of the direct path (license_assignment_states keys a path by group id or this). */
#define LIC_DIRECT_PATH_ID "00000000-0000-0000-0000-000000000000"

struct lic_path_meta {
    const char *path_id; /* the group id, or LIC_DIRECT_PATH_ID */
    int state_only;      /* rebuilt from state rows: the intent behind it is gone (a removal) */
};

struct lic_batch_user {
    const char *id;
    const char *upn;
    const char *mail;         /* NULL when unset */
    const char *smtp_address; /* "SMTP:<mail or upn>", added when the result asks for it */
    const char *smtp_key;     /* its lower-cased address when the user has no primary one */
    char usage_location[3];
    int found;                   /* the user exists */
    struct lic_user_input input; /* what the engine reads */
    struct lic_path *paths;      /* == input.paths, writable by the caller (validate flags) */
    struct lic_path_meta *meta;  /* per path */
    /* Per held SKU (input.held_skus): its disabledPlans as stored, uuid[] text "{a,b}"; a license
     * the outcome keeps as it is needs no write. */
    const char **held_disabled;
};

struct lic_batch {
    struct arena *arena; /* owns everything the batch points to */
    char org_country[3];
    struct lic_catalog catalog; /* every SKU and plan the batch involves, by index */
    int *seats_free;            /* per catalog SKU, read under the SKU row locks */
    struct lic_batch_user *users;
    int n_users;
    struct id_map smtp_given; /* new primary addresses given so far in this batch */
};

/* Catalog index of a SKU or plan id in the batch (any case), or -1. */
int lic_batch_sku_index(const struct lic_batch *batch, const char *sku_id);
int lic_batch_plan_index(const struct lic_batch *batch, const char *plan_id);

/* Path index of the user's direct assignment of catalog SKU sku (a wanted one, not a removal
 * rebuilt from state rows), or -1. */
int lic_batch_direct_path(const struct lic_batch_user *bu, int sku);

/* Evaluates user u of the batch in order: users share the seat budget (earlier users get seats
 * first, semantics §4.6) and the new primary addresses given so far (§4.7: the database cannot
 * see an earlier user's address yet). 0, or -1 when memory runs out. Free the result with
 * licensing_result_free(result, users[u].input.n_paths). */
int lic_batch_evaluate(struct lic_batch *batch, int u, struct lic_result *result)
    __attribute__((warn_unused_result));

/* Frees what the batch owns and empties it (a zeroed batch is fine). */
void lic_batch_free(struct lic_batch *batch);

#endif
