/* Users and groups as Graph objects (render.h). */
#include "api/render.h"

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

uint64_t render_mask_by_names(const char *const *names, uint64_t mask, const char *const *props)
{
    uint64_t out = 0;
    for (int i = 0; i < 64 && names[i] != NULL; i++) {
        if (!(mask & (UINT64_C(1) << i)))
            continue;
        for (int k = 0; k < 64 && props[k] != NULL; k++)
            if (strcmp(names[i], props[k]) == 0)
                out |= UINT64_C(1) << k;
    }
    return out;
}
