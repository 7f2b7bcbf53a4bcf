/* The users holding a SKU (GET subscribedSkus/{id}/licensedUsers), with each license path. */
#include <stdio.h>
#include <string.h>

#include "db/catalog.h"
#include "db/catalog_rows.h"
#include "db/internal.h"

#define LICENSED_SELECT                                                                            \
    "SELECT u.id, u.user_principal_name, u.display_name, st.group_id, g.display_name,"             \
    " st.state, st.error FROM page JOIN users u ON u.id = page.user_id"                            \
    " LEFT JOIN license_assignment_states st ON st.user_id = u.id AND st.sku_id = $1"              \
    " LEFT JOIN groups g ON g.id = st.group_id ORDER BY u.id, st.path_id"

static const struct db_stmt stmt_licensed_first = {
    "catalog_licensed_first",
    "WITH page AS (SELECT user_id FROM user_licenses WHERE sku_id = $1"
    " ORDER BY user_id LIMIT $2) " LICENSED_SELECT,
    2};

static const struct db_stmt stmt_licensed_after = {
    "catalog_licensed_after",
    "WITH page AS (SELECT user_id FROM user_licenses WHERE sku_id = $1 AND user_id > $3"
    " ORDER BY user_id LIMIT $2) " LICENSED_SELECT,
    3};

void db_licensed_users_free(struct db_licensed_user *u, int n)
{
    for (int i = 0; u != NULL && i < n; i++) {
        free(u[i].upn);
        free(u[i].display_name);
        for (int j = 0; j < u[i].npaths; j++)
            free(u[i].paths[j].group_name);
        free(u[i].paths);
    }
    free(u);
}

int db_sku_licensed_users(struct db_conn *conn, const char *sku_id, const char *after, int limit,
                          struct db_licensed_user **out, int *n, struct lic_error *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {sku_id, lim, after};
    PGresult *r = db_exec(conn, after ? &stmt_licensed_after : &stmt_licensed_first, params, err);
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    *n = 0;
    *out = calloc((size_t)rows + 1, sizeof(**out));
    for (int i = 0; *out != NULL && i < rows; i++) {
        struct db_licensed_user *u = &(*out)[*n > 0 ? *n - 1 : 0];
        if (*n == 0 || strcmp(u->id, PQgetvalue(r, i, 0)) != 0) {
            u = &(*out)[(*n)++];
            cell_copy(r, i, 0, u->id, sizeof(u->id));
            u->upn = cell_dup(r, i, 1);
            u->display_name = cell_dup(r, i, 2);
            u->paths = calloc((size_t)cell_run_length(r, i), sizeof(*u->paths));
        }
        if (PQgetisnull(r, i, 5) || u->paths == NULL)
            continue;
        struct db_license_path *p = &u->paths[u->npaths++];
        cell_copy(r, i, 3, p->group_id, sizeof(p->group_id));
        p->group_name = cell_dup(r, i, 4);
        cell_copy(r, i, 5, p->state, sizeof(p->state));
        cell_copy(r, i, 6, p->error, sizeof(p->error));
    }
    PQclear(r);
    return *out ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
}
