/* The catalog handlers' shared plumbing (see api/catalog.h). */
#include "api/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "api/odata.h"

int api_catalog_bad(struct lic_error *err, const char *fmt, const char *what)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", fmt, what);
}

struct db_conn *api_catalog_acquire(const struct api_app *app, struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_acquire(app->pool, &err);
    if (conn == NULL)
        api_reply_error(res, &err);
    return conn;
}

void api_catalog_finish(const struct api_app *app, struct db_conn *conn, struct api_response *res,
                        const struct lic_error *err)
{
    if (conn != NULL)
        db_release(app->pool, conn);
    if (err->kind != LIC_OK)
        api_reply_error(res, err);
}

int api_catalog_parse_guids(json_t *j_list, const char *what, struct api_guid_list *out,
                            struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_array(j_list) || json_array_size(j_list) > API_CATALOG_MAX_LIST)
        return api_catalog_bad(err, "'%s' must be an array of at most 1000 GUIDs.", what);
    out->ids = calloc(json_array_size(j_list) + 1, sizeof(*out->ids));
    out->ptrs = calloc(json_array_size(j_list) + 1, sizeof(*out->ptrs));
    if (out->ids == NULL || out->ptrs == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    size_t i;
    json_t *j_id;
    json_array_foreach(j_list, i, j_id)
    {
        if (guid_normalize(json_string_value(j_id), out->ids[out->n]) != 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "'%s' holds '%.64s', which is not a GUID.", what,
                                 json_is_string(j_id) ? json_string_value(j_id) : "(not text)");
        out->ptrs[out->n] = out->ids[out->n];
        out->n++;
    }
    return 0;
}

void api_catalog_guids_free(struct api_guid_list *l)
{
    free(l->ids);
    free(l->ptrs);
    memset(l, 0, sizeof(*l));
}

void api_catalog_reply_entity(const struct api_app *app, const struct api_request *req,
                              struct api_response *res, unsigned status, const char *set, json_t *j,
                              const char *const *properties, uint64_t mask)
{
    odata_apply_select(j, properties, mask);
    char context[600];
    odata_context(app, req, set, 1, context, sizeof(context));
    json_object_set_new(j, "@odata.context", json_string(context));
    api_reply_json(res, status, j);
}
