/* Users and groups as Graph collections (directory.h). */
#include "api/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct list_kind list_users = {.set = "users",
                                     .props = user_props,
                                     .features = LIST_FILTER | LIST_ORDER | LIST_ORDER_UPN,
                                     .properties = db_user_properties,
                                     .nprops = USER_PROPERTY_COUNT,
                                     .list = db_users_list,
                                     .get = db_users_repr,
                                     .by_ids = db_users_by_ids};
const struct list_kind list_groups = {.set = "groups",
                                      .props = group_props,
                                      .features = LIST_FILTER | LIST_ORDER,
                                      .properties = db_group_properties,
                                      .nprops = GROUP_PROPERTY_COUNT,
                                      .list = db_groups_list,
                                      .get = db_groups_repr,
                                      .by_ids = db_groups_by_ids};

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

/* One page of users or groups (representations rows 0..n-1); key is NULL on the last page, else
 * the last row's sort key. */
static void reply_list_page(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, const struct db_rows *rows,
                            int n, long count, const char *key, const char *id)
{
    char chunks[ODATA_KEY_PARTS - 1][KEY_CHUNK + 1];
    const char *parts[ODATA_KEY_PARTS];
    int k = 0;
    size_t len = key ? strlen(key) : 0;
    for (size_t off = 0; key && k < ODATA_KEY_PARTS - 1 && (off < len || k == 0);
         off += KEY_CHUNK) {
        snprintf(chunks[k], sizeof(chunks[k]), "%.*s", KEY_CHUNK, key + off);
        parts[k] = chunks[k];
        k++;
    }
    parts[k++] = id;
    const char *items[ODATA_TOP_MAX + 1];
    for (int i = 0; i < n && i <= ODATA_TOP_MAX; i++)
        items[i] = db_rows_get(rows, i, REPR_JSON);
    odata_reply_page_texts(app, req, res, set, items, n, count, key ? parts : NULL, k);
}

int directory_reply_ids(const struct api_app *app, const struct api_request *req,
                        struct api_response *res, struct db_conn *conn,
                        const struct list_kind *kind, const char *const *ids, int n,
                        uint64_t select, long count, const char *last_key, struct lic_error *err)
{
    struct db_repr repr = render_repr(kind->properties, kind->nprops, select, 1);
    struct db_rows *rows = NULL;
    if (n > 0 && kind->by_ids(conn, ids, n, &repr, &rows, err) != 0)
        return -1;
    const char *items[ODATA_TOP_MAX + 1];
    int k = 0;
    for (int i = 0; rows && i < rows->nrows && k <= ODATA_TOP_MAX; i++)
        items[k++] = db_rows_get(rows, i, REPR_JSON);
    const char *parts[] = {last_key};
    odata_reply_page_texts(app, req, res, "directoryObjects", items, k, count,
                           last_key ? parts : NULL, 1);
    db_rows_free(rows);
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
    struct db_repr repr = render_repr(kind->properties, kind->nprops, 0, 0);
    int rc = -1;
    if (conn != NULL && kind->get(conn, id, &repr, &rows, &err) == 0) {
        odata_reply_entity_text(app, req, res, status, kind->set, db_rows_get(rows, 0, REPR_JSON));
        rc = 0;
    }
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
    if (list_options_parse(req, kind->props, kind->features, &o, &err) != 0 ||
        list_options_after(&o, key, sizeof(key), &page.after_id, &err) != 0)
        goto out;
    page.filter = o.filter;
    page.order = o.order;
    page.top = o.top;
    page.count = o.count;
    page.after_key = page.after_id ? key : NULL;
    page.repr = render_repr(kind->properties, kind->nprops, o.select, 0);
    long count = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    int more = rows->nrows > o.top;
    reply_list_page(app, req, res, kind->set, rows, n, count,
                    more ? db_rows_get(rows, n - 1, REPR_KEY) : NULL,
                    more ? db_rows_get(rows, n - 1, REPR_ID) : NULL);
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
        list_options_parse(req, kind->props, LIST_FILTER, &o, &err) != 0)
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
    if (odata_parse_select(api_query(req, "$select"), kind->props, &mask, &err) != 0)
        goto out;
    struct db_repr repr = render_repr(kind->properties, kind->nprops, mask, 0);
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->get(conn, req->params.values[0], &repr, &rows, &err) != 0)
        goto out;
    odata_reply_entity_text(app, req, res, 200, kind->set, db_rows_get(rows, 0, REPR_JSON));
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
