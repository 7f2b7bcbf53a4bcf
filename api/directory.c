/* Users and groups as Graph collections (directory.h). */
#include "api/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct list_kind list_users = {.set = "users",
                                     .type = "microsoft.graph.user",
                                     .props = user_props,
                                     .features = LIST_FILTER | LIST_ORDER | LIST_ORDER_UPN,
                                     .list = db_users_list,
                                     .render = render_users,
                                     .get = db_users_get,
                                     .by_ids = db_users_by_ids,
                                     .sort_col = UCOL_SORT_KEY,
                                     .id_col = UCOL_ID};
const struct list_kind list_groups = {.set = "groups",
                                      .type = "microsoft.graph.group",
                                      .props = group_props,
                                      .features = LIST_FILTER | LIST_ORDER,
                                      .list = db_groups_list,
                                      .render = render_groups,
                                      .get = db_groups_get,
                                      .by_ids = db_groups_by_ids,
                                      .sort_col = GCOL_SORT_KEY,
                                      .id_col = GCOL_ID};

void directory_finish(const struct api_app *app, struct db_conn *conn, int rc,
                      const struct lic_error *err, struct api_response *res)
{
    if (conn != NULL)
        db_release(app->pool, conn);
    if (rc != 0)
        api_reply_error(res, err);
}

void directory_reply_written(struct api_response *res, int rc, const struct lic_error *err)
{
    if (rc != 0)
        api_reply_error(res, err);
    else
        api_reply_empty(res, 204);
}

/* A sort key can be longer than one token part (256 characters of lower()ed UTF-8), so it is
 * split across the first parts; the id is the last part. */
#define KEY_CHUNK (ODATA_KEY_PART_MAX - 2)

/* One page of users or groups; key is NULL on the last page, else the last row's sort key. */
static void reply_list_page(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, json_t *j_items, long count,
                            const char *key, const char *id)
{
    char chunks[ODATA_KEY_PARTS - 1][KEY_CHUNK + 1];
    const char *parts[ODATA_KEY_PARTS];
    int n = 0;
    size_t len = key ? strlen(key) : 0;
    for (size_t off = 0; key && n < ODATA_KEY_PARTS - 1 && (off < len || n == 0);
         off += KEY_CHUNK) {
        snprintf(chunks[n], sizeof(chunks[n]), "%.*s", KEY_CHUNK, key + off);
        parts[n] = chunks[n];
        n++;
    }
    parts[n++] = id;
    odata_reply_page(app, req, res, set, j_items, count, key ? parts : NULL, n);
}

int render_ids_in_order(struct db_conn *conn, const struct list_kind *kind, const char *const *ids,
                        int n, uint64_t mask, int with_type, json_t *j_items, struct lic_error *err)
{
    if (n == 0)
        return 0;
    struct db_rows *rows = NULL;
    json_t *j_all = json_array();
    int rc = -1;
    if (kind->by_ids(conn, ids, n, &rows, err) != 0 ||
        kind->render(conn, rows, rows->nrows, mask, with_type, j_all, err) != 0)
        goto out;
    /* by_ids answers in any order: place each in the page's order. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rows->nrows; k++)
            if (strcmp(db_rows_get(rows, k, kind->id_col), ids[i]) == 0)
                json_array_append(j_items, json_array_get(j_all, (size_t)k));
    rc = 0;
out:
    json_decref(j_all);
    db_rows_free(rows);
    return rc;
}

/* One object (rows has it at row 0) as "{set}/$entity". */
static int reply_entity(const struct api_app *app, const struct api_request *req,
                        struct db_conn *conn, const struct db_rows *rows, uint64_t mask,
                        unsigned status, const struct list_kind *kind, struct api_response *res,
                        struct lic_error *err)
{
    json_t *j_items = json_array();
    if (kind->render(conn, rows, 1, mask, 0, j_items, err) != 0) {
        json_decref(j_items);
        return -1;
    }
    char context[1024];
    odata_context(app, req, kind->set, 1, context, sizeof(context));
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    json_object_update(j, json_array_get(j_items, 0));
    json_decref(j_items);
    api_reply_json(res, status, j);
    return 0;
}

void directory_reply_object(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const struct list_kind *kind, const char *id,
                            unsigned status)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_rows *rows = NULL;
    struct db_conn *conn = db_acquire(app->pool, &err);
    int rc = -1;
    if (conn != NULL && kind->get(conn, id, 0, &rows, &err) == 0)
        rc = reply_entity(app, req, conn, rows, 0, status, kind, res, &err);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_user_reply(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const char *user_id, unsigned status)
{
    directory_reply_object(app, req, res, &list_users, user_id, status);
}

void api_group_reply(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const char *group_id, unsigned status)
{
    directory_reply_object(app, req, res, &list_groups, group_id, status);
}

void directory_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    char key[ODATA_KEY_PARTS * ODATA_KEY_PART_MAX];
    struct db_page page = {.after_id = NULL};
    if (list_options_parse(req, kind->props, kind->type, kind->features, &o, &err) != 0 ||
        list_options_after(&o, key, sizeof(key), &page.after_id, &err) != 0)
        goto out;
    page.filter = o.filter;
    page.order = o.order;
    page.top = o.top;
    page.count = o.count;
    page.after_key = page.after_id ? key : NULL;
    long count = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    json_t *j_items = json_array();
    if (kind->render(conn, rows, n, o.select, 0, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    int more = rows->nrows > o.top;
    reply_list_page(app, req, res, kind->set, j_items, count,
                    more ? db_rows_get(rows, n - 1, kind->sort_col) : NULL,
                    more ? db_rows_get(rows, n - 1, kind->id_col) : NULL);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void directory_reply_count(struct api_response *res, long count)
{
    char *text = NULL;
    if (asprintf(&text, "%ld", count) < 0)
        text = NULL;
    api_reply_text(res, 200, text);
}

void directory_count(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o = {.filter = NULL}; /* freeable when the segment is refused */
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if (list_options_count_allowed(req, &err) != 0 ||
        list_options_parse(req, kind->props, kind->type, LIST_FILTER, &o, &err) != 0)
        goto out;
    struct db_page page = {.filter = o.filter, .top = 0, .count = 1};
    long count = 0;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    directory_reply_count(res, count);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void directory_get(const struct api_app *app, const struct api_request *req,
                   struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    uint64_t mask = 0;
    int rc = -1;
    if (odata_parse_select(api_query(req, "$select"), kind->props, kind->type, &mask, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        kind->get(conn, req->params.values[0], 0, &rows, &err) != 0)
        goto out;
    rc = reply_entity(app, req, conn, rows, mask, 200, kind, res, &err);
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
