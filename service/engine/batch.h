/* A batch of users' licensing situations as db/ loads them for the engine: each user's input, the
 * catalog rules involved, the seats free, and what a caller evaluating the users in order shares
 * (the seat budget, the new primary addresses given so far). */
#ifndef LICENSINGD_ENGINE_BATCH_H
#define LICENSINGD_ENGINE_BATCH_H

#include "service/base/map.h"
#include "service/engine/licensing.h"

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
