/* /v1.0/groups: list, $count, get, create, update (members@odata.bind), delete, and membership. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/queue.h"
#include "api/directory.h"

#define BIND_MAX 20 /* Graph's cap on members@odata.bind per PATCH */

static const struct field_spec group_spec[] = {
    {"displayName", GF_DISPLAY_NAME, FT_STRING, 1, 256},
    {"description", GF_DESCRIPTION, FT_NULLABLE, 0, 1024},
    {"mailNickname", GF_MAIL_NICKNAME, FT_STRING, 1, 64},
    {"mailEnabled", GF_MAIL_ENABLED, FT_BOOL, 1, 0},
    {"securityEnabled", GF_SECURITY_ENABLED, FT_BOOL, 1, 0},
    {"groupTypes", GF_GROUP_TYPES, FT_STRINGS, 0, 64},
    {"membershipRule", GF_MEMBERSHIP_RULE, FT_NULLABLE, 0, 3072},
    {"membershipRuleProcessingState", GF_MEMBERSHIP_RULE_STATE, FT_NULLABLE, 0, 16},
    {NULL, 0, FT_STRING, 0, 0},
};
static const char *const group_extra[] = {"members@odata.bind", "owners@odata.bind", NULL};

static int validate_group(json_t *j_body, const struct parsed_fields *p, int creating,
                          struct lic_error *err)
{
    (void)creating; /* the same rules for POST and PATCH */
    const char *nick = p->f.value[GF_MAIL_NICKNAME];
    if (p->f.set[GF_MAIL_NICKNAME]) {
        for (const char *c = nick; *c; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e ||
                strchr("@()\\[]\";:.<>,", *c))
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "Invalid value specified for property 'mailNickname' of "
                                     "resource 'Group'.");
    }
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
    const char *state = p->f.value[GF_MEMBERSHIP_RULE_STATE];
    if (state != NULL && strcmp(state, "On") != 0 && strcmp(state, "Paused") != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid value specified for property "
                             "'membershipRuleProcessingState' of resource 'Group'.");
    json_t *j_bind = json_object_get(j_body, "members@odata.bind");
    if (j_bind != NULL && (!json_is_array(j_bind) || json_array_size(j_bind) > BIND_MAX))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "members@odata.bind accepts a list of at most %d object "
                             "references.",
                             BIND_MAX);
    return 0;
}

static const struct body_spec group_body = {group_spec, group_extra, "group", validate_group};

void api_groups_list(const struct api_app *app, const struct api_request *req,
                     struct api_response *res)
{
    directory_list(app, req, res, &list_groups);
}

void api_groups_count(const struct api_app *app, const struct api_request *req,
                      struct api_response *res)
{
    directory_count(app, req, res, &list_groups);
}

void api_groups_get(const struct api_app *app, const struct api_request *req,
                    struct api_response *res)
{
    directory_get(app, req, res, &list_groups);
}

/* Adds or removes one member inside the caller's transaction, audits it under the member's
 * name and queues a user member for licensing (semantics: membership drives group licenses). */
static int member_change(struct db_conn *conn, int adding, const char *group_id,
                         const char *group_name, const char *member_id, struct lic_error *err)
{
    char type[8];
    if ((adding ? db_members_add(conn, group_id, member_id, type, err)
                : db_members_remove(conn, group_id, member_id, type, err)) != 0)
        return -1;
    int is_user = strcmp(type, "user") == 0;
    struct db_rows *member = NULL;
    if ((is_user ? db_users_get(conn, member_id, 0, &member, err)
                 : db_groups_get(conn, member_id, 0, &member, err)) != 0)
        return -1;
    json_t *j_mod = json_pack("[{s:s, s:n, s:s}, {s:s, s:n, s:s?}]", "displayName",
                              "Group.ObjectID", "oldValue", "newValue", group_id, "displayName",
                              "Group.DisplayName", "oldValue", "newValue", group_name);
    if (!adding) { /* the membership is what was there before */
        for (size_t i = 0; i < json_array_size(j_mod); i++) {
            json_t *j_p = json_array_get(j_mod, i);
            json_object_set(j_p, "oldValue", json_object_get(j_p, "newValue"));
            json_object_set_new(j_p, "newValue", json_null());
        }
    }
    int rc = audit_change(conn, adding ? "Add member to group" : "Remove member from group",
                          "GroupManagement", adding ? "Add" : "Delete", is_user ? "User" : "Group",
                          member_id,
                          db_rows_get(member, 0, is_user ? UCOL_DISPLAY_NAME : GCOL_DISPLAY_NAME),
                          is_user ? db_rows_get(member, 0, UCOL_UPN) : NULL, j_mod, err);
    db_rows_free(member);
    if (rc == 0 && is_user) {
        char reason[128];
        snprintf(reason, sizeof(reason), "%s group %.36s", adding ? "added to" : "removed from",
                 group_id);
        rc = db_queue_push(conn, QUEUE_USER, member_id, reason, err);
    }
    return rc;
}

void api_groups_create(const struct api_app *app, const struct api_request *req,
                       struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    struct parsed_fields p;
    int rc = -1;
    json_t *j_body = fields_parse_body(req, &group_body, 1, &p, &err);
    if (j_body == NULL)
        goto out;
    char id[GUID_SIZE];
    if (directory_begin(app, &conn, &err) != 0 || db_groups_insert(conn, &p.f, id, &err) != 0 ||
        audit_change(conn, "Add group", "GroupManagement", "Add", "Group", id,
                     p.f.value[GF_DISPLAY_NAME], NULL, NULL, &err) != 0)
        goto out;
    json_t *j_bind = json_object_get(j_body, "members@odata.bind");
    size_t i;
    json_t *j_url;
    json_array_foreach(j_bind, i, j_url)
    {
        char member[GUID_SIZE];
        if (directory_ref_id(json_string_value(j_url), member, &err) != 0 ||
            member_change(conn, 1, id, p.f.value[GF_DISPLAY_NAME], member, &err) != 0)
            goto out;
    }
    if (db_groups_get(conn, id, 0, &rows, &err) != 0 || db_commit(conn, &err) != 0)
        goto out;
    rc = directory_reply_entity(app, req, conn, rows, 0, 201, &list_groups, res, &err);
out:
    json_decref(j_body);
    fields_free(&p);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_groups_update(const struct api_app *app, const struct api_request *req,
                       struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    struct parsed_fields p;
    json_t *j_mod = NULL;
    int rc = -1;
    const char *id = req->params.values[0];
    json_t *j_body = fields_parse_body(req, &group_body, 0, &p, &err);
    if (j_body == NULL)
        goto out;
    if (directory_begin(app, &conn, &err) != 0 || db_groups_get(conn, id, 1, &rows, &err) != 0)
        goto out;
    j_mod = json_array();
    static const int cols[GF_COUNT] = {[GF_DISPLAY_NAME] = GCOL_DISPLAY_NAME,
                                       [GF_DESCRIPTION] = GCOL_DESCRIPTION,
                                       [GF_MAIL_NICKNAME] = GCOL_MAIL_NICKNAME,
                                       [GF_MAIL_ENABLED] = GCOL_MAIL_ENABLED,
                                       [GF_SECURITY_ENABLED] = GCOL_SECURITY_ENABLED,
                                       [GF_GROUP_TYPES] = GCOL_GROUP_TYPES,
                                       [GF_MEMBERSHIP_RULE] = GCOL_MEMBERSHIP_RULE,
                                       [GF_MEMBERSHIP_RULE_STATE] = GCOL_MEMBERSHIP_RULE_STATE};
    int changed = 0;
    for (const struct field_spec *s = group_spec; s->name; s++) {
        if (!p.f.set[s->field])
            continue;
        changed = 1;
        const char *old = db_rows_get(rows, 0, cols[s->field]);
        json_array_append_new(j_mod, json_pack("{s:s, s:s?, s:s?}", "displayName", s->name,
                                               "oldValue", old, "newValue", p.f.value[s->field]));
    }
    const char *name = p.f.set[GF_DISPLAY_NAME] ? p.f.value[GF_DISPLAY_NAME]
                                                : db_rows_get(rows, 0, GCOL_DISPLAY_NAME);
    if (changed) {
        if (db_groups_update(conn, id, &p.f, &err) != 0 ||
            audit_change(conn, "Update group", "GroupManagement", "Update", "Group", id, name, NULL,
                         json_incref(j_mod), &err) != 0)
            goto out;
    }
    /* members@odata.bind: all or nothing, in this transaction. */
    json_t *j_bind = json_object_get(j_body, "members@odata.bind");
    size_t i;
    json_t *j_url;
    json_array_foreach(j_bind, i, j_url)
    {
        char member[GUID_SIZE];
        if (directory_ref_id(json_string_value(j_url), member, &err) != 0 ||
            member_change(conn, 1, id, name, member, &err) != 0)
            goto out;
    }
    rc = directory_commit_empty(conn, res, &err);
out:
    json_decref(j_mod);
    json_decref(j_body);
    fields_free(&p);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_groups_delete(const struct api_app *app, const struct api_request *req,
                       struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    const char *id = req->params.values[0];
    if (directory_begin(app, &conn, &err) != 0 || db_groups_get(conn, id, 1, &rows, &err) != 0 ||
        db_groups_delete(conn, id, &err) != 0 ||
        audit_change(conn, "Delete group", "GroupManagement", "Delete", "Group", id,
                     db_rows_get(rows, 0, GCOL_DISPLAY_NAME), NULL, NULL, &err) != 0)
        goto out;
    rc = directory_commit_empty(conn, res, &err);
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

/* Members: users and groups, each rendered as its own type with @odata.type, in added order. */
static int render_members(struct db_conn *conn, const struct db_rows *ids, int n, uint64_t mask,
                          json_t *j_items, struct lic_error *err)
{
    const char *users[ODATA_TOP_MAX], *groups[ODATA_TOP_MAX];
    int nu = 0, ng = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(db_rows_get(ids, i, MCOL_TYPE), "user") == 0)
            users[nu++] = db_rows_get(ids, i, MCOL_ID);
        else
            groups[ng++] = db_rows_get(ids, i, MCOL_ID);
    }
    struct db_rows *u = NULL, *g = NULL;
    int rc = -1;
    if ((nu > 0 && db_users_by_ids(conn, users, nu, &u, err) != 0) ||
        (ng > 0 && db_groups_by_ids(conn, groups, ng, &g, err) != 0))
        goto out;
    /* Render per type, then place in membership order. */
    json_t *j_users = json_array(), *j_groups = json_array();
    if (render_users(conn, u, u ? u->nrows : 0, mask, 1, j_users, err) != 0 ||
        render_groups(conn, g, g ? g->nrows : 0, mask, 1, j_groups, err) != 0) {
        json_decref(j_users);
        json_decref(j_groups);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *want = db_rows_get(ids, i, MCOL_ID);
        json_t *j_set = strcmp(db_rows_get(ids, i, MCOL_TYPE), "user") == 0 ? j_users : j_groups;
        const struct db_rows *r = j_set == j_users ? u : g;
        for (size_t k = 0; r && k < json_array_size(j_set); k++)
            if (strcmp(db_rows_get(r, (int)k, 0), want) == 0)
                json_array_append(j_items, json_array_get(j_set, k));
    }
    json_decref(j_users);
    json_decref(j_groups);
    rc = 0;
out:
    db_rows_free(u);
    db_rows_free(g);
    return rc;
}

/* A member's properties: user and group names together (each type keeps what it has). */
static const char *const member_props[] = {
    "id", "displayName", "mail", "mailNickname", "userPrincipalName", "description", NULL};

void api_groups_members(const struct api_app *app, const struct api_request *req,
                        struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct list_options o;
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if (list_options_parse(req, member_props, 0, &o, &err) != 0)
        goto out;
    long count = -1;
    const char *after = o.nafter == 1 ? o.after[0] : NULL;
    if ((conn = db_acquire(app->pool, &err)) == NULL ||
        db_members_list(conn, req->params.values[0], o.top, after, &rows, &count, o.count, &err) !=
            0)
        goto out;
    int n = rows->nrows > o.top ? o.top : rows->nrows;
    json_t *j_items = json_array();
    /* With $select, render every property of each type, then keep the selected ones. */
    if (render_members(conn, rows, n, o.select ? UINT64_MAX : 0, j_items, &err) != 0) {
        json_decref(j_items);
        goto out;
    }
    if (o.select) {
        for (size_t k = 0; k < json_array_size(j_items); k++)
            odata_apply_select(json_array_get(j_items, k), member_props, o.select);
    }
    const char *parts[] = {n > 0 ? db_rows_get(rows, n - 1, MCOL_SEQ) : NULL};
    odata_reply_page(app, req, res, "directoryObjects", j_items, count,
                     rows->nrows > o.top ? parts : NULL, 1);
    rc = 0;
out:
    list_options_free(&o);
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_groups_members_count(const struct api_app *app, const struct api_request *req,
                              struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    long count = 0;
    int rc = -1;
    if (count_segment_allowed(req, &err) != 0 || (conn = db_acquire(app->pool, &err)) == NULL ||
        db_members_list(conn, req->params.values[0], 0, NULL, &rows, &count, 1, &err) != 0)
        goto out;
    directory_reply_count(res, count);
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

/* POST members/$ref and DELETE members/{id}/$ref: one member of the group in the path, in one
 * transaction, answered with 204. */
static void membership_reply(const struct api_app *app, const char *id, int adding,
                             const char *member, struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if (directory_begin(app, &conn, &err) != 0 || db_groups_get(conn, id, 0, &rows, &err) != 0 ||
        member_change(conn, adding, id, db_rows_get(rows, 0, GCOL_DISPLAY_NAME), member, &err) != 0)
        goto out;
    rc = directory_commit_empty(conn, res, &err);
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

void api_groups_member_add(const struct api_app *app, const struct api_request *req,
                           struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    char member[GUID_SIZE];
    json_t *j_body = api_parse_body(req, &err);
    if (j_body == NULL || directory_ref_id(json_string_value(json_object_get(j_body, "@odata.id")),
                                           member, &err) != 0)
        api_reply_error(res, &err);
    else
        membership_reply(app, req->params.values[0], 1, member, res);
    json_decref(j_body);
}

void api_groups_member_remove(const struct api_app *app, const struct api_request *req,
                              struct api_response *res)
{
    membership_reply(app, req->params.values[0], 0, req->params.values[1], res);
}
