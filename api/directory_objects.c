/* /v1.0/directoryObjects: one object by id whatever its type, and getByIds (users and groups). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/guid.h"
#include "api/directory.h"

#define GET_BY_IDS_MAX 1000 /* Graph's limit for one getByIds call */

API_HANDLER(api_directory_object_get)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    enum dir_object_type type;
    uint64_t mask = 0;
    int rc = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        db_directory_object_type(conn, req->params.values[0], &type, &err) != 0)
        goto out;
    const struct list_kind *kind = type == DIR_OBJECT_USER ? &list_users : &list_groups;
    if (odata_parse_select(api_query(req, "$select"), kind->props, kind->type, &mask, &err) != 0 ||
        kind->get(conn, req->params.values[0], 0, &rows, &err) != 0)
        goto out;
    json_t *j_items = json_array();
    if (kind->render(conn, rows, 1, mask, 1, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    char context[1024];
    odata_context(app, req, "directoryObjects", 1, context, sizeof(context));
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    json_object_update(j, json_array_get(j_items, 0));
    json_decref(j_items);
    api_reply_json(res, 200, j);
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

/* The body of getByIds: ids (GUIDs, at most GET_BY_IDS_MAX) and the types wanted ("user",
 * "group"; others name types this service has none of). */
struct by_ids {
    const char *ids[GET_BY_IDS_MAX];
    int n;
    int users, groups; /* wanted */
};

static int parse_by_ids(json_t *j_body, struct by_ids *q, struct lic_error *err)
{
    json_t *j_ids = json_object_get(j_body, "ids"), *j_types = json_object_get(j_body, "types");
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strcmp(key, "ids") != 0 && strcmp(key, "types") != 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%.64s' does not exist on the getByIds action.", key);
    }
    if (!json_is_array(j_ids) || json_array_size(j_ids) == 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The 'ids' parameter is required: a list of object ids.");
    if (json_array_size(j_ids) > GET_BY_IDS_MAX)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Too many identifiers: at most %d ids in one request.",
                             GET_BY_IDS_MAX);
    if (j_types != NULL && !json_is_array(j_types))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "The 'types' parameter must be a list of type names.");
    q->n = 0;
    size_t i;
    json_array_foreach(j_ids, i, j_value)
    {
        const char *id = json_string_value(j_value);
        if (id == NULL || !guid_valid(id))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Invalid object identifier '%.64s'.", id ? id : "(not a string)");
        q->ids[q->n++] = id;
    }
    q->users = q->groups = j_types == NULL || json_array_size(j_types) == 0;
    json_array_foreach(j_types, i, j_value)
    {
        const char *t = json_string_value(j_value);
        if (t == NULL)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "The 'types' parameter must be a list of type names.");
        if (strncmp(t, "microsoft.graph.", 16) == 0)
            t += 16;
        q->users |= strcasecmp(t, "user") == 0;
        q->groups |= strcasecmp(t, "group") == 0;
    }
    return 0;
}

API_HANDLER(api_directory_objects_get_by_ids)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    struct by_ids *q = calloc(1, sizeof(*q));
    const char **ids = calloc(GET_BY_IDS_MAX, sizeof(*ids));
    const char **types = calloc(GET_BY_IDS_MAX, sizeof(*types));
    int rc = -1;
    json_t *j_body = api_parse_body(req, &err);
    if (q == NULL || ids == NULL || types == NULL) {
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (j_body == NULL || parse_by_ids(j_body, q, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_directory_objects_types(conn, q->ids, q->n, &rows, &err) != 0)
        goto out;
    /* In the order asked for, each once, of the types wanted. */
    int n = 0;
    for (int i = 0; i < q->n; i++) {
        for (int k = 0; k < rows->nrows; k++) {
            const char *type = db_rows_get(rows, k, 1);
            int wanted = strcmp(type, "user") == 0 ? q->users : q->groups;
            if (wanted && strcasecmp(db_rows_get(rows, k, 0), q->ids[i]) == 0) {
                int seen = 0;
                for (int j = 0; j < n && !seen; j++)
                    seen = ids[j] == db_rows_get(rows, k, 0);
                if (!seen) {
                    ids[n] = db_rows_get(rows, k, 0);
                    types[n++] = type;
                }
            }
        }
    }
    json_t *j_items = json_array();
    if (render_directory_objects(conn, ids, types, n, 0, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    odata_reply_page(app, req, res, "directoryObjects", j_items, -1, NULL, 0);
    rc = 0;
out:
    json_decref(j_body);
    free(q);
    free(ids);
    free(types);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
