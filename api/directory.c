/* Users and groups as Graph collections (directory.h). */
#include "api/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct list_kind list_users = {.set = "users",
                                     .type = "microsoft.graph.user",
                                     .props = user_props,
                                     .features =
                                         LIST_FILTER | LIST_ORDER | LIST_ORDER_UPN | LIST_SEARCH,
                                     .list = db_users_list,
                                     .render = render_users,
                                     .get = db_users_get,
                                     .by_ids = db_users_by_ids,
                                     .sort_col = UCOL_SORT_KEY,
                                     .id_col = UCOL_ID,
                                     .properties = db_user_properties,
                                     .nprops = USER_PROPERTY_COUNT,
                                     .repr_get = db_users_repr};
const struct list_kind list_groups = {.set = "groups",
                                      .type = "microsoft.graph.group",
                                      .props = group_props,
                                      .features =
                                          LIST_FILTER | LIST_ORDER | LIST_SEARCH | LIST_EXPAND,
                                      .list = db_groups_list,
                                      .render = render_groups,
                                      .get = db_groups_get,
                                      .by_ids = db_groups_by_ids,
                                      .sort_col = GCOL_SORT_KEY,
                                      .id_col = GCOL_ID,
                                      .properties = db_group_properties,
                                      .nprops = GROUP_PROPERTY_COUNT,
                                      .repr_get = db_groups_repr};

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
/* The keyset position of a page's last row as token parts: the key split across the first
 * parts, the id last. Returns the number of parts. */
static int key_parts(const char *key, const char *id, char chunks[][KEY_CHUNK + 1],
                     const char **parts)
{
    int n = 0;
    size_t len = key ? strlen(key) : 0;
    for (size_t off = 0; key && n < ODATA_KEY_PARTS - 1 && (off < len || n == 0);
         off += KEY_CHUNK) {
        snprintf(chunks[n], KEY_CHUNK + 1, "%.*s", KEY_CHUNK, key + off);
        parts[n] = chunks[n];
        n++;
    }
    parts[n++] = id;
    return n;
}

static void reply_list_page(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, json_t *j_items, long count,
                            const char *key, const char *id)
{
    char chunks[ODATA_KEY_PARTS - 1][KEY_CHUNK + 1];
    const char *parts[ODATA_KEY_PARTS];
    int n = key_parts(key, id, chunks, parts);
    odata_reply_page(app, req, res, set, j_items, count, key ? parts : NULL, n);
}

/* The same page from representations (rows 0..n-1, enum repr_col): their JSON spliced as is. */
static void reply_list_texts(const struct api_app *app, const struct api_request *req,
                             struct api_response *res, const char *set, const struct db_rows *rows,
                             int n, long count, const char *key, const char *id)
{
    char chunks[ODATA_KEY_PARTS - 1][KEY_CHUNK + 1];
    const char *parts[ODATA_KEY_PARTS];
    int k = key_parts(key, id, chunks, parts);
    const char *items[ODATA_TOP_MAX + 1];
    for (int i = 0; i < n && i <= ODATA_TOP_MAX; i++)
        items[i] = db_rows_get(rows, i, REPR_JSON);
    odata_reply_page_texts(app, req, res, set, items, n, count, key ? parts : NULL, k);
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

int render_directory_objects(struct db_conn *conn, const char *const *ids, const char *const *types,
                             int n, int all_props, json_t *j_items, struct lic_error *err)
{
    const char **users = calloc((size_t)n + 1, sizeof(*users));
    const char **groups = calloc((size_t)n + 1, sizeof(*groups));
    int nu = 0, ng = 0, rc = -1;
    struct db_rows *u = NULL, *g = NULL;
    json_t *j_users = json_array(), *j_groups = json_array();
    if (users == NULL || groups == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(types[i], "user") == 0)
            users[nu++] = ids[i];
        else
            groups[ng++] = ids[i];
    }
    uint64_t mask = all_props ? UINT64_MAX : 0;
    if ((nu > 0 && db_users_by_ids(conn, users, nu, &u, err) != 0) ||
        (ng > 0 && db_groups_by_ids(conn, groups, ng, &g, err) != 0) ||
        render_users(conn, u, u ? u->nrows : 0, mask, 1, j_users, err) != 0 ||
        render_groups(conn, g, g ? g->nrows : 0, mask, 1, j_groups, err) != 0)
        goto out;
    /* Rendered per type; placed in the order asked for (objects gone meanwhile are skipped). */
    for (int i = 0; i < n; i++) {
        int is_user = strcmp(types[i], "user") == 0;
        json_t *j_set = is_user ? j_users : j_groups;
        const struct db_rows *r = is_user ? u : g;
        int id_col = is_user ? UCOL_ID : GCOL_ID;
        for (size_t k = 0; r && k < json_array_size(j_set); k++)
            if (strcmp(db_rows_get(r, (int)k, id_col), ids[i]) == 0)
                json_array_append(j_items, json_array_get(j_set, k));
    }
    rc = 0;
out:
    json_decref(j_users);
    json_decref(j_groups);
    db_rows_free(u);
    db_rows_free(g);
    free(users);
    free(groups);
    return rc;
}

const char *const member_props[] = {
    "id", "displayName", "mail", "mailNickname", "userPrincipalName", "description", NULL};

/* $expand on groups: "members" or "members($select=a,b)" (Graph's 20 first members). */
#define EXPAND_MEMBERS_MAX 20
struct expand {
    int members;
    uint64_t select; /* over member_props; 0: each type's default representation */
};

static int parse_expand(const char *text, const struct list_kind *kind, struct expand *x,
                        struct lic_error *err)
{
    memset(x, 0, sizeof(*x));
    if (text == NULL)
        return 0;
    size_t n = strcspn(text, "(");
    if (kind != &list_groups || n != 7 || strncasecmp(text, "members", 7) != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Parsing OData Select and Expand failed: Could not find a navigation "
                             "property named '%.*s' on type '%s' that can be expanded.",
                             (int)(n > 64 ? 64 : n), text, kind->type);
    x->members = 1;
    if (text[n] == '\0')
        return 0;
    size_t len = strlen(text);
    if (strncasecmp(text + n, "($select=", 9) != 0 || text[len - 1] != ')' || len - n - 10 > 512)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Parsing OData Select and Expand failed: only $select is supported "
                             "inside $expand=members(...).");
    char inner[520];
    snprintf(inner, sizeof(inner), "%.*s", (int)(len - n - 10), text + n + 9);
    return odata_parse_select(inner, member_props, "microsoft.graph.directoryObject", &x->select,
                              err);
}

/* Adds "members" (the first EXPAND_MEMBERS_MAX, typed) to each group object of j_items, the
 * groups of rows 0..n-1. */
static int expand_members(struct db_conn *conn, const struct db_rows *rows, int n, json_t *j_items,
                          const struct expand *x, struct lic_error *err)
{
    if (!x->members || n == 0)
        return 0;
    const char **gids = calloc((size_t)n, sizeof(*gids));
    struct db_rows *m = NULL;
    json_t *j_members = json_array();
    int rc = -1;
    if (gids == NULL)
        goto out;
    for (int i = 0; i < n; i++)
        gids[i] = db_rows_get(rows, i, GCOL_ID);
    if (db_members_first(conn, gids, n, EXPAND_MEMBERS_MAX, &m, err) != 0)
        goto out;
    const char **ids = calloc((size_t)m->nrows + 1, sizeof(*ids));
    const char **types = calloc((size_t)m->nrows + 1, sizeof(*types));
    for (int i = 0; ids && types && i < m->nrows; i++) {
        ids[i] = db_rows_get(m, i, ECOL_MEMBER);
        types[i] = db_rows_get(m, i, ECOL_TYPE);
    }
    int ok =
        ids && types &&
        render_directory_objects(conn, ids, types, m->nrows, x->select != 0, j_members, err) == 0;
    free(ids);
    free(types);
    if (!ok)
        goto out;
    /* Each group's list, filled from the rows in member order (by id: an object deleted
     * meanwhile was not rendered). */
    json_t *j_by_id = json_object(), *j_lists = json_object();
    size_t k;
    json_t *j_member;
    json_array_foreach(j_members, k, j_member)
    {
        odata_apply_select(j_member, member_props, x->select);
        json_object_set(j_by_id, json_string_value(json_object_get(j_member, "id")), j_member);
    }
    for (int i = 0; i < n; i++) {
        json_t *j_list = json_array();
        json_object_set(j_lists, gids[i], j_list);
        json_object_set_new(json_array_get(j_items, (size_t)i), "members", j_list);
    }
    for (int r = 0; r < m->nrows; r++) {
        json_t *j_one = json_object_get(j_by_id, db_rows_get(m, r, ECOL_MEMBER));
        json_t *j_list = json_object_get(j_lists, db_rows_get(m, r, ECOL_GROUP));
        if (j_one != NULL && j_list != NULL)
            json_array_append_new(j_list, json_deep_copy(j_one));
    }
    json_decref(j_by_id);
    json_decref(j_lists);
    rc = 0;
out:
    if (rc != 0 && err->kind == LIC_OK)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    json_decref(j_members);
    db_rows_free(m);
    free(gids);
    return rc;
}

/* One object (rows has it at row 0) as "{set}/$entity". */
static int reply_entity(const struct api_app *app, const struct api_request *req,
                        struct db_conn *conn, const struct db_rows *rows, uint64_t mask,
                        const struct expand *x, unsigned status, const struct list_kind *kind,
                        struct api_response *res, struct lic_error *err)
{
    json_t *j_items = json_array();
    if (kind->render(conn, rows, 1, mask, 0, j_items, err) != 0 ||
        (x != NULL && expand_members(conn, rows, 1, j_items, x, err) != 0)) {
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
    /* The default representation, in the one prepared statement of a GET. */
    struct db_repr repr = render_repr(kind->properties, kind->nprops, 0, 0);
    if (conn != NULL && kind->repr_get(conn, id, &repr, &rows, &err) == 0) {
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
    struct expand x;
    if (list_options_parse(req, kind->props, kind->type, kind->features, &o, &err) != 0 ||
        parse_expand(o.expand, kind, &x, &err) != 0 ||
        list_options_after(&o, key, sizeof(key), &page.after_id, &err) != 0)
        goto out;
    page.filter = o.filter;
    page.search = &o.search;
    page.order = o.order;
    page.top = o.top;
    page.count = o.count;
    page.after_key = page.after_id ? key : NULL;
    /* Nothing to expand: PostgreSQL assembles the page's objects in the page's own statement. */
    if (!x.members)
        page.repr = render_repr(kind->properties, kind->nprops, o.select, 0);
    long count = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        kind->list(conn, &page, &rows, &count, &err) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    int more = rows->nrows > o.top;
    if (!x.members) {
        reply_list_texts(app, req, res, kind->set, rows, n, count,
                         more ? db_rows_get(rows, n - 1, REPR_KEY) : NULL,
                         more ? db_rows_get(rows, n - 1, REPR_ID) : NULL);
        rc = 0;
        goto out;
    }
    json_t *j_items = json_array();
    if (kind->render(conn, rows, n, o.select, 0, j_items, &err) != 0 ||
        expand_members(conn, rows, n, j_items, &x, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
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
        list_options_parse(req, kind->props, kind->type, LIST_FILTER | LIST_SEARCH, &o, &err) != 0)
        goto out;
    struct db_page page = {.filter = o.filter, .search = &o.search, .top = 0, .count = 1};
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
    struct expand x;
    int rc = -1;
    if (odata_parse_select(api_query(req, "$select"), kind->props, kind->type, &mask, &err) != 0 ||
        parse_expand(api_query(req, "$expand"), kind, &x, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL)
        goto out;
    if (!x.members) {
        /* One statement (prepared for the default representation), its JSON passed through. */
        struct db_repr repr = render_repr(kind->properties, kind->nprops, mask, 0);
        if (kind->repr_get(conn, req->params.values[0], &repr, &rows, &err) == 0) {
            odata_reply_entity_text(app, req, res, 200, kind->set, db_rows_get(rows, 0, REPR_JSON));
            rc = 0;
        }
        goto out;
    }
    if (kind->get(conn, req->params.values[0], 0, &rows, &err) != 0)
        goto out;
    rc = reply_entity(app, req, conn, rows, mask, &x, 200, kind, res, &err);
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}
