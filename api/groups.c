/* /v1.0/groups: list, $count, get, create, update (members@odata.bind), delete, and membership. */
#include <stdlib.h>
#include <string.h>

#include "service/directory.h"
#include "api/auth.h"
#include "api/body_fields.h"
#include "api/directory.h"

static const char *const group_extra[] = {"members@odata.bind", "owners@odata.bind", NULL};

static int validate_group(json_t *j_body, const struct parsed_fields *p, int creating,
                          struct lic_error *err)
{
    (void)creating; /* the same rules for POST and PATCH */
    const char *nick = p->f.value[GCOL_MAIL_NICKNAME];
    for (const char *c = p->f.set[GCOL_MAIL_NICKNAME] ? nick : ""; *c; c++)
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e || strchr("@()\\[]\";:.<>,", *c))
            return body_invalid_value("mailNickname", "Group", err);
    json_t *j_types = json_object_get(j_body, "groupTypes");
    size_t i;
    json_t *j_t;
    json_array_foreach(j_types, i, j_t)
    {
        const char *t = json_string_value(j_t);
        if (strcmp(t, "Unified") != 0 && strcmp(t, "DynamicMembership") != 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Invalid value specified for property 'groupTypes' of resource "
                                 "'Group': '%.64s'.",
                                 t);
    }
    const char *state = p->f.value[GCOL_MEMBERSHIP_RULE_STATE];
    if (state != NULL && strcmp(state, "On") != 0 && strcmp(state, "Paused") != 0)
        return body_invalid_value("membershipRuleProcessingState", "Group", err);
    json_t *j_bind = json_object_get(j_body, "members@odata.bind");
    if (j_bind != NULL && (!json_is_array(j_bind) || json_array_size(j_bind) > GROUP_BIND_MAX))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "members@odata.bind accepts a list of at most %d object "
                             "references.",
                             GROUP_BIND_MAX);
    return 0;
}

static const struct body_spec group_body = {db_group_properties, GROUP_PROPERTY_COUNT, group_extra,
                                            "group", validate_group};

/* The ids of members@odata.bind (validated to be a short list), or 400 for a URL that is not an
 * object reference. */
static int bind_of(json_t *j_body, struct group_bind *bind, struct lic_error *err)
{
    bind->n = 0;
    size_t i;
    json_t *j_url;
    json_array_foreach(json_object_get(j_body, "members@odata.bind"), i, j_url)
    {
        if (body_ref_id(json_string_value(j_url), bind->ids[bind->n], err) != 0)
            return -1;
        bind->n++;
    }
    return 0;
}

API_HANDLER(api_groups_list)
{
    directory_list(app, req, res, &list_groups);
}

API_HANDLER(api_groups_count)
{
    directory_count(app, req, res, &list_groups);
}

API_HANDLER(api_groups_get)
{
    directory_get(app, req, res, &list_groups);
}

API_HANDLER(api_groups_create)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct parsed_fields p;
    struct group_bind bind;
    char id[GUID_SIZE];
    json_t *j_body = body_fields_parse(req, &group_body, 1, &p, &err);
    if (j_body != NULL && bind_of(j_body, &bind, &err) == 0 &&
        groups_create(app->pool, API_ACTOR(req), &p.f, &bind, id, &err) == 0)
        directory_reply_object(app, req, res, &list_groups, id, 201);
    else
        api_reply_error(res, &err);
    json_decref(j_body);
    body_fields_free(&p);
}

API_HANDLER(api_groups_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct parsed_fields p;
    struct group_bind bind;
    int rc = -1;
    json_t *j_body = body_fields_parse(req, &group_body, 0, &p, &err);
    if (j_body != NULL && bind_of(j_body, &bind, &err) == 0)
        rc = groups_update(app->pool, API_ACTOR(req), req->params.values[0], &p.f, &bind, &err);
    directory_reply_written(res, rc, &err);
    json_decref(j_body);
    body_fields_free(&p);
}

API_HANDLER(api_groups_delete)
{
    struct lic_error err;
    lic_error_clear(&err);
    int rc = groups_delete(app->pool, API_ACTOR(req), req->params.values[0], &err);
    directory_reply_written(res, rc, &err);
}

/* One page of a group's members: direct ones in the order added, or (transitive) every object
 * reached through nested groups, by id; type ("user", "group") is a Graph type cast. */
static void members_page(const struct api_app *app, const struct api_request *req,
                         struct api_response *res, const char *type, int transitive)
{
    struct lic_error err;
    lic_error_clear(&err);
    const struct list_kind *cast = type == NULL                ? NULL
                                   : strcmp(type, "user") == 0 ? &list_users
                                                               : &list_groups;
    const char *const *props = cast ? cast->props : member_props;
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    const char **ids = NULL, **types = NULL;
    int rc = -1;
    long count = -1;
    const char *after = NULL;
    if (list_options_parse(req, props, cast ? cast->type : "microsoft.graph.directoryObject", 0, &o,
                           &err) != 0 ||
        (transitive ? list_options_after_id(&o, &after, &err)
                    : list_options_after_numbers(&o, 1, &after, &err)) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        (transitive ? db_members_transitive(conn, req->params.values[0], o.top, after, &rows, &err)
                    : db_members_list(conn, req->params.values[0], type, o.top, after, &rows,
                                      &count, o.count, &err)) != 0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    ids = calloc((size_t)n + 1, sizeof(*ids));
    types = calloc((size_t)n + 1, sizeof(*types));
    if (ids == NULL || types == NULL) {
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        ids[i] = db_rows_get(rows, i, MCOL_ID);
        types[i] = db_rows_get(rows, i, MCOL_TYPE);
    }
    json_t *j_items = json_array();
    /* With $select, render every property of each type, then keep the selected ones. */
    if (render_directory_objects(conn, ids, types, n, o.select != 0, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    for (size_t k = 0; o.select && k < json_array_size(j_items); k++)
        odata_apply_select(json_array_get(j_items, k), props, o.select);
    const char *parts[] = {n > 0 ? db_rows_get(rows, n - 1, transitive ? MCOL_ID : MCOL_SEQ)
                                 : NULL};
    odata_reply_page(app, req, res, cast ? cast->set : "directoryObjects", j_items, count,
                     rows->nrows > o.top ? parts : NULL, 1);
    rc = 0;
out:
    free(ids);
    free(types);
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

static void members_count(const struct api_app *app, const struct api_request *req,
                          struct api_response *res, const char *type)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    long count = 0;
    int rc = -1;
    if (list_options_count_allowed(req, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL ||
        db_members_list(conn, req->params.values[0], type, 0, NULL, &rows, &count, 1, &err) != 0)
        goto out;
    directory_reply_count(res, count);
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

API_HANDLER(api_groups_members)
{
    members_page(app, req, res, NULL, 0);
}

API_HANDLER(api_groups_members_count)
{
    members_count(app, req, res, NULL);
}

/* /members/microsoft.graph.user and /microsoft.graph.group: Graph's type casts. */
API_HANDLER(api_groups_members_users)
{
    members_page(app, req, res, "user", 0);
}

API_HANDLER(api_groups_members_users_count)
{
    members_count(app, req, res, "user");
}

API_HANDLER(api_groups_members_groups)
{
    members_page(app, req, res, "group", 0);
}

API_HANDLER(api_groups_members_groups_count)
{
    members_count(app, req, res, "group");
}

API_HANDLER(api_groups_transitive_members)
{
    members_page(app, req, res, NULL, 1);
}

/* POST members/$ref: the member in the body's @odata.id. */
API_HANDLER(api_groups_member_add)
{
    struct lic_error err;
    lic_error_clear(&err);
    char member[GUID_SIZE];
    int rc = -1;
    json_t *j_body = api_parse_body(req, &err);
    if (j_body != NULL &&
        body_ref_id(json_string_value(json_object_get(j_body, "@odata.id")), member, &err) == 0)
        rc = groups_add_member(app->pool, API_ACTOR(req), req->params.values[0], member, &err);
    directory_reply_written(res, rc, &err);
    json_decref(j_body);
}

/* DELETE members/{id}/$ref. */
API_HANDLER(api_groups_member_remove)
{
    struct lic_error err;
    lic_error_clear(&err);
    int rc = groups_remove_member(app->pool, API_ACTOR(req), req->params.values[0],
                                  req->params.values[1], &err);
    directory_reply_written(res, rc, &err);
}
