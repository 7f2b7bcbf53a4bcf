/* Users and groups as Graph objects (render.h). */
#include "api/render.h"

#include <stdlib.h>

#include "api/odata.h"

const char *const user_props[] = {USER_PROPERTIES(DB_PROPERTY_NAME) NULL};
const char *const group_props[] = {GROUP_PROPERTIES(DB_PROPERTY_NAME) NULL};

_Static_assert(USER_PROPERTY_COUNT <= 64 && GROUP_PROPERTY_COUNT <= 64,
               "a $select mask has one bit per property");

static json_t *text_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *render_json_or(const char *s, json_t *fallback)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    if (j == NULL)
        return fallback;
    json_decref(fallback);
    return j;
}

static json_t *bool_of(const char *s)
{
    return json_boolean(s != NULL && s[0] == 't');
}

/* The properties shown without $select. */
static uint64_t default_mask(const struct db_property *props, int n)
{
    uint64_t mask = 0;
    for (int i = 0; i < n; i++)
        if (props[i].flags & PROP_DEFAULT)
            mask |= UINT64_C(1) << i;
    return mask;
}

/* A property held by the row, as Graph shows it; NULL for PROP_CUSTOM. */
static json_t *row_value(const struct db_property *p, const char *cell)
{
    switch (p->kind) {
    case PROP_TEXT:
    case PROP_TIME:
        return text_or_null(cell);
    case PROP_BOOL:
        return bool_of(cell);
    case PROP_STRINGS:
        return render_json_or(cell, json_array());
    case PROP_NULL:
        return json_null();
    case PROP_EMPTY:
        return json_array();
    case PROP_CUSTOM:
    case PROP_KIND_COUNT:
        break;
    }
    return NULL;
}

/* What an entity renders itself (PROP_CUSTOM): the value of property prop of the object whose id
 * is given, or NULL to leave the property out. */
typedef json_t *(*custom_value)(const void *ctx, int prop, const struct db_rows *rows, int row,
                                const char *id);

/* One object: its properties in the table's order. */
static json_t *render_object(const struct db_property *props, int nprops,
                             const struct db_rows *rows, int row, int id_col,
                             const char *odata_type, custom_value custom, const void *ctx)
{
    const char *id = db_rows_get(rows, row, id_col);
    json_t *j = json_object();
    if (odata_type != NULL)
        json_object_set_new(j, "@odata.type", json_string(odata_type));
    for (int i = 0; i < nprops; i++) {
        json_t *j_value = props[i].kind == PROP_CUSTOM
                              ? custom(ctx, i, rows, row, id)
                              : row_value(&props[i], db_rows_get(rows, row, i));
        if (j_value != NULL)
            json_object_set_new(j, props[i].name, j_value);
    }
    return j;
}

/* Groups relation rows by owner id: {id: [items]}. */
static void add_to(json_t *j_by, const char *owner, json_t *j_item)
{
    json_t *j_list = json_object_get(j_by, owner);
    if (j_list == NULL) {
        j_list = json_array();
        json_object_set_new(j_by, owner, j_list);
    }
    json_array_append_new(j_list, j_item);
}

static json_t *take(json_t *j_by, const char *owner)
{
    json_t *j = json_object_get(j_by, owner);
    return j ? json_incref(j) : json_array();
}

static const char **ids_of(const struct db_rows *rows, int n, int col)
{
    const char **ids = calloc((size_t)(n > 0 ? n : 1), sizeof(*ids));
    for (int i = 0; ids && i < n; i++)
        ids[i] = db_rows_get(rows, i, col);
    return ids;
}

static json_t *licenses_by_owner(const struct db_rows *lic)
{
    json_t *j_by = json_object();
    for (int i = 0; lic && i < lic->nrows; i++)
        add_to(j_by, db_rows_get(lic, i, LCOL_OWNER),
               json_pack("{s:o, s:s}", "disabledPlans",
                         render_json_or(db_rows_get(lic, i, LCOL_DISABLED_PLANS), json_array()),
                         "skuId", db_rows_get(lic, i, LCOL_SKU)));
    return j_by;
}

/* A page's user relations, by user id. */
struct user_relations_json {
    json_t *j_licenses, *j_states, *j_proxies;
    json_t *j_plans; /* NULL when assignedPlans was not asked for */
};

static json_t *user_custom(const void *ctx, int prop, const struct db_rows *rows, int row,
                           const char *id)
{
    (void)rows;
    (void)row;
    const struct user_relations_json *rel = ctx;
    switch (prop) {
    case UCOL_LICENSES:
        return take(rel->j_licenses, id);
    case UCOL_STATES:
        return take(rel->j_states, id);
    case UCOL_PROXY_ADDRESSES:
        return take(rel->j_proxies, id);
    case UCOL_PLANS:
        return rel->j_plans ? take(rel->j_plans, id) : NULL;
    default:
        return NULL;
    }
}

static void user_relations_json(const struct db_user_relations *rel,
                                struct user_relations_json *out)
{
    out->j_licenses = licenses_by_owner(rel->licenses);
    out->j_states = json_object();
    for (int i = 0; i < rel->states->nrows; i++) {
        const struct db_rows *s = rel->states;
        add_to(out->j_states, db_rows_get(s, i, SCOL_USER),
               json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "assignedByGroup",
                         text_or_null(db_rows_get(s, i, SCOL_GROUP)), "disabledPlans",
                         render_json_or(db_rows_get(s, i, SCOL_DISABLED_PLANS), json_array()),
                         "error", db_rows_get(s, i, SCOL_ERROR), "lastUpdatedDateTime",
                         db_rows_get(s, i, SCOL_UPDATED), "skuId", db_rows_get(s, i, SCOL_SKU),
                         "state", db_rows_get(s, i, SCOL_STATE)));
    }
    out->j_plans = rel->plans ? json_object() : NULL;
    for (int i = 0; rel->plans && i < rel->plans->nrows; i++) {
        const struct db_rows *p = rel->plans;
        add_to(out->j_plans, db_rows_get(p, i, APCOL_USER),
               json_pack("{s:s, s:s, s:o, s:s}", "assignedDateTime",
                         db_rows_get(p, i, APCOL_ASSIGNED), "capabilityStatus",
                         db_rows_get(p, i, APCOL_CAPABILITY), "service",
                         text_or_null(db_rows_get(p, i, APCOL_SERVICE)), "servicePlanId",
                         db_rows_get(p, i, APCOL_PLAN)));
    }
    out->j_proxies = json_object();
    for (int i = 0; i < rel->proxies->nrows; i++)
        add_to(out->j_proxies, db_rows_get(rel->proxies, i, PCOL_USER),
               json_string(db_rows_get(rel->proxies, i, PCOL_ADDRESS)));
}

int render_users(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                 int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    const char **ids = ids_of(rows, n, UCOL_ID);
    struct db_user_relations rel;
    int with_plans = (mask & (UINT64_C(1) << UCOL_PLANS)) != 0; /* $select only, as in Graph */
    if (ids == NULL || db_users_relations(conn, ids, n, with_plans, &rel, err) != 0) {
        free(ids);
        return -1;
    }
    free(ids);
    struct user_relations_json j_rel;
    user_relations_json(&rel, &j_rel);
    if (mask == 0)
        mask = default_mask(db_user_properties, USER_PROPERTY_COUNT);
    for (int i = 0; i < n; i++) {
        json_t *j = render_object(db_user_properties, USER_PROPERTY_COUNT, rows, i, UCOL_ID,
                                  with_type ? "#microsoft.graph.user" : NULL, user_custom, &j_rel);
        odata_apply_select(j, user_props, mask);
        json_array_append_new(j_items, j);
    }
    json_decref(j_rel.j_licenses);
    json_decref(j_rel.j_states);
    json_decref(j_rel.j_plans);
    json_decref(j_rel.j_proxies);
    db_user_relations_free(&rel);
    return 0;
}

static json_t *group_custom(const void *ctx, int prop, const struct db_rows *rows, int row,
                            const char *id)
{
    const char *state = NULL;
    switch (prop) {
    case GCOL_LICENSES:
        return take((json_t *)ctx, id);
    case GCOL_LICENSE_PROCESSING_STATE:
        state = db_rows_get(rows, row, GCOL_LICENSE_PROCESSING_STATE);
        return state ? json_pack("{s:s}", "state", state) : json_null();
    default:
        return NULL;
    }
}

int render_groups(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    const char **ids = ids_of(rows, n, GCOL_ID);
    struct db_rows *lic = NULL;
    if (ids == NULL || db_groups_licenses(conn, ids, n, &lic, err) != 0) {
        free(ids);
        return -1;
    }
    free(ids);
    json_t *j_lic = licenses_by_owner(lic);
    if (mask == 0)
        mask = default_mask(db_group_properties, GROUP_PROPERTY_COUNT);
    for (int i = 0; i < n; i++) {
        json_t *j = render_object(db_group_properties, GROUP_PROPERTY_COUNT, rows, i, GCOL_ID,
                                  with_type ? "#microsoft.graph.group" : NULL, group_custom, j_lic);
        odata_apply_select(j, group_props, mask);
        json_array_append_new(j_items, j);
    }
    json_decref(j_lic);
    db_rows_free(lic);
    return 0;
}
