/* Direct license intent (user_direct_licenses), and where an inherited license comes from. */
#include <stdio.h>
#include <stdlib.h>

#include "db/internal.h"
#include "db/licensing.h"

static const struct db_stmt stmt_direct_put = {
    "lic_direct_put",
    "INSERT INTO user_direct_licenses AS d (user_id, sku_id, disabled_plans)"
    " SELECT u.id, s.sku_id, $3::uuid[] FROM users u, skus s WHERE u.id = $1 AND s.sku_id = $2"
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

int db_direct_license_put(struct db_conn *conn, const char *user_id, const struct license_add *add,
                          struct lic_error *err)
{
    const char **plans = calloc((size_t)add->n_disabled + 1, sizeof(*plans));
    for (int d = 0; plans != NULL && d < add->n_disabled; d++)
        plans[d] = add->disabled_plans[d];
    char *list = plans ? db_array_literal(plans, add->n_disabled) : NULL;
    free(plans);
    if (list == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char *params[] = {user_id, add->sku_id, list};
    long rc = db_exec_command(conn, &stmt_direct_put, params, err);
    free(list);
    return rc < 0 ? -1 : rc > 0;
}

int db_direct_license_drop(struct db_conn *conn, const char *user_id, const char *sku_id,
                           struct lic_error *err)
{
    const char *params[] = {user_id, sku_id};
    long rc = db_exec_command(conn, &stmt_direct_drop, params, err);
    return rc < 0 ? -1 : rc > 0;
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
