/* Direct license assignment (semantics §2) and reprocessing of one user, on top of the engine. */
#ifndef LICENSINGD_ASSIGNMENT_H
#define LICENSINGD_ASSIGNMENT_H

#include "error.h"

struct db_pool;

#define LIC_ID_SIZE 37

struct license_add {
    char sku_id[LIC_ID_SIZE];
    char (*disabled_plans)[LIC_ID_SIZE];
    int n_disabled;
};

/* Applies adds and removes together, all or nothing, in one transaction: 0 on success, -1 with
 * err (400 with Graph's message for licensing violations, 404 for an unknown user). */
int licensing_assign_direct(struct db_pool *pool, const char *user_id,
                            const struct license_add *adds, int n_adds,
                            const char (*removes)[LIC_ID_SIZE], int n_removes,
                            struct lic_error *err);

/* Recomputes one user from its intent (semantics §4); records errors on the user. */
int licensing_reprocess_user(struct db_pool *pool, const char *user_id, struct lic_error *err);

#endif
