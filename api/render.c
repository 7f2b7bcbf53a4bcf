/* Users and groups as Graph objects (render.h). */
#include "api/render.h"

#include <stdlib.h>
#include <string.h>

const char *const user_props[] = {USER_PROPERTIES(DB_PROPERTY_NAME) NULL};
const char *const group_props[] = {GROUP_PROPERTIES(DB_PROPERTY_NAME) NULL};

_Static_assert(USER_PROPERTY_COUNT <= 64 && GROUP_PROPERTY_COUNT <= 64,
               "a $select mask has one bit per property");

json_t *render_json_or(const char *s, json_t *fallback)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    if (j == NULL)
        return fallback;
    json_decref(fallback);
    return j;
}

struct db_repr render_repr(const struct db_property *props, int nprops, uint64_t select,
                           int with_type)
{
    struct db_repr repr = {select, with_type};
    if (select == 0)
        repr.mask = db_default_mask(props, nprops);
    return repr;
}

typedef int (*repr_by_ids)(struct db_conn *conn, const char *const *ids, int n,
                           const struct db_repr *repr, struct db_rows **rows,
                           struct lic_error *err);

/* The objects of rows 0..n-1 (their id in column id_col), assembled by PostgreSQL in one
 * statement, parsed and appended in the rows' order. */
static int render(struct db_conn *conn, const struct db_rows *rows, int n, int id_col,
                  const struct db_repr *repr, repr_by_ids by_ids, json_t *j_items,
                  struct lic_error *err)
{
    if (n == 0)
        return 0;
    const char **ids = calloc((size_t)n, sizeof(*ids));
    if (ids == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    for (int i = 0; i < n; i++)
        ids[i] = db_rows_get(rows, i, id_col);
    struct db_rows *objects = NULL;
    int rc = by_ids(conn, ids, n, repr, &objects, err);
    for (int i = 0; rc == 0 && i < objects->nrows; i++) {
        json_t *j = json_loads(db_rows_get(objects, i, REPR_JSON), 0, NULL);
        if (j == NULL)
            rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        else
            json_array_append_new(j_items, j);
    }
    db_rows_free(objects);
    free(ids);
    return rc;
}

int render_users(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                 int with_type, json_t *j_items, struct lic_error *err)
{
    struct db_repr repr = render_repr(db_user_properties, USER_PROPERTY_COUNT, mask, with_type);
    return render(conn, rows, n, UCOL_ID, &repr, db_users_repr_by_ids, j_items, err);
}

int render_groups(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err)
{
    struct db_repr repr = render_repr(db_group_properties, GROUP_PROPERTY_COUNT, mask, with_type);
    return render(conn, rows, n, GCOL_ID, &repr, db_groups_repr_by_ids, j_items, err);
}
