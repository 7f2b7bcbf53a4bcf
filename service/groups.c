/* The groups room: create, update and delete a group, and add or remove its members
 * (service/directory.h). */
#include "service/requeue.h"
#include "service/directory.h"

#include <jansson.h>
#include <strings.h>

#include "service/audit.h"
#include "service/transaction.h"

/* Graph's words for what the database refused (groups have no unique key but their id). */
static int refused(int rc, struct lic_error *err)
{
    if (rc > 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "A property value is invalid.");
    return rc;
}

/* The record of one change to one group (j_modified stolen). */
static int audit_group(struct db_conn *conn, const struct audit_actor *by,
                       enum audit_activity activity, const char *id, const char *name,
                       json_t *j_modified, struct lic_error *err)
{
    struct audit_target target = {
        .type = "Group", .id = id, .display_name = name, .j_modified = j_modified};
    struct audit_entry entry = {.activity = activity, .by = by, .targets = &target, .n_targets = 1};
    return audit_write(conn, &entry, err);
}

/* The record of a membership change, filed under the member (as Graph does) with the group's id
 * and name as the modified properties: new values when added, old values when removed. */
static int audit_member(struct db_conn *conn, const struct audit_actor *by, int adding,
                        const char *group_id, const char *group_name, const char *member_id,
                        enum dir_object_type type, struct lic_error *err)
{
    struct db_rows *member = NULL;
    int is_user = type == DIR_OBJECT_USER;
    if ((is_user ? db_users_get(conn, member_id, 0, &member, err)
                 : db_groups_get(conn, member_id, 0, &member, err)) != 0)
        return -1;
    json_t *j_mod = json_array();
    json_array_append_new(j_mod, adding ? audit_modified("Group.ObjectID", NULL, group_id)
                                        : audit_modified("Group.ObjectID", group_id, NULL));
    json_array_append_new(j_mod, adding ? audit_modified("Group.DisplayName", NULL, group_name)
                                        : audit_modified("Group.DisplayName", group_name, NULL));
    struct audit_target target = {
        .type = is_user ? "User" : "Group",
        .id = member_id,
        .display_name = db_rows_get(member, 0, is_user ? UCOL_DISPLAY_NAME : GCOL_DISPLAY_NAME),
        .upn = is_user ? db_rows_get(member, 0, UCOL_UPN) : NULL,
        .j_modified = j_mod};
    struct audit_entry entry = {.activity = adding ? AUDIT_ADD_MEMBER : AUDIT_REMOVE_MEMBER,
                                .by = by,
                                .targets = &target,
                                .n_targets = 1};
    int rc = audit_write(conn, &entry, err);
    db_rows_free(member);
    return rc;
}

/* Adds or removes one member of the group inside the caller's transaction. */
static int member_change(struct db_conn *conn, const struct audit_actor *by, int adding,
                         const char *group_id, const char *group_name, const char *member_id,
                         struct lic_error *err)
{
    enum dir_object_type type = DIR_OBJECT_USER;
    int rc = db_members_lock_group(conn, group_id, err);
    if (rc == 0 && adding && strcasecmp(group_id, member_id) == 0)
        rc = lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                           "A group cannot be a member of itself.");
    if (rc == 0)
        rc = db_directory_object_type(conn, member_id, &type, err);
    if (rc == 0)
        rc = adding ? db_members_add(conn, group_id, member_id, type, err)
                    : db_members_remove(conn, group_id, member_id, err);
    if (rc == DB_REFUSED_DUPLICATE)
        rc = lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                           "One or more added object references already exist for the following "
                           "modified properties: 'members'.");
    else if (rc == DB_REFUSED_ABSENT) /* Graph: the reference to remove is not there */
        rc = lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                           "Resource '%s' does not exist or one of its queried reference-property "
                           "objects are not present.",
                           member_id);
    if (rc == 0)
        rc = audit_member(conn, by, adding, group_id, group_name, member_id, type, err);
    struct user_change change = {.kind = adding ? USER_JOINED_GROUP : USER_LEFT_GROUP,
                                 .user_id = member_id,
                                 .member_type = type,
                                 .group_id = group_id};
    if (rc == 0)
        rc = requeue_after_user_change(conn, &change, err);
    return rc;
}

/* members@odata.bind: all or nothing, in the caller's transaction. */
static int bind_members(struct db_conn *conn, const struct audit_actor *by, const char *group_id,
                        const char *group_name, const struct group_bind *bind,
                        struct lic_error *err)
{
    for (int i = 0; i < bind->n; i++)
        if (member_change(conn, by, 1, group_id, group_name, bind->ids[i], err) != 0)
            return -1;
    return 0;
}

int groups_create(struct db_pool *pool, const struct audit_actor *by, const struct db_fields *f,
                  const struct group_bind *bind, char id[GUID_SIZE], struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    const char *name = f->value[GCOL_DISPLAY_NAME];
    int rc = refused(db_groups_insert(conn, f, id, err), err);
    if (rc == 0)
        rc = audit_group(conn, by, AUDIT_ADD_GROUP, id, name, NULL, err);
    if (rc == 0)
        rc = bind_members(conn, by, id, name, bind, err);
    return transaction_end(pool, conn, rc, err);
}

int groups_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                  const struct db_fields *f, const struct group_bind *bind, struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *before = NULL;
    int rc = db_groups_get(conn, id, 1, &before, err);
    if (rc == 0) {
        const char *group_id = db_rows_get(before, 0, GCOL_ID);
        const char *name = f->set[GCOL_DISPLAY_NAME] ? f->value[GCOL_DISPLAY_NAME]
                                                     : db_rows_get(before, 0, GCOL_DISPLAY_NAME);
        json_t *j_mod = json_array();
        for (int i = 0; i < GROUP_PROPERTY_COUNT; i++)
            if (f->set[i])
                json_array_append_new(j_mod,
                                      audit_modified(db_group_properties[i].name,
                                                     db_rows_get(before, 0, i), f->value[i]));
        /* A PATCH with members@odata.bind alone changes no property: no "Update group". */
        if (json_array_size(j_mod) > 0) {
            rc = refused(db_groups_update(conn, group_id, f, err), err);
            if (rc == 0)
                rc = audit_group(conn, by, AUDIT_UPDATE_GROUP, group_id, name, json_incref(j_mod),
                                 err);
        }
        json_decref(j_mod);
        if (rc == 0)
            rc = bind_members(conn, by, group_id, name, bind, err);
    }
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(before);
    return rc;
}

int groups_delete(struct db_pool *pool, const struct audit_actor *by, const char *id,
                  struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *row = NULL;
    int licensed = 0, draining = 0;
    int rc = db_groups_get(conn, id, 1, &row, err);
    const char *group_id = rc == 0 ? db_rows_get(row, 0, GCOL_ID) : NULL;
    if (rc == 0)
        rc = db_groups_license_hold(conn, group_id, &licensed, &draining, err);
    /* semantics §7: a licensed group cannot be deleted; its licenses go first. Deleting while
     * members still hold states from it would drop those states without freeing their seats. */
    if (rc == 0 && licensed)
        rc = lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                           "You must remove all licenses assigned to the group before you can "
                           "delete it.");
    else if (rc == 0 && draining)
        rc = lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                           "The group's licenses are still being removed from its members; "
                           "delete it when its licenseProcessingState is ProcessingComplete.");
    if (rc == 0)
        rc = db_groups_delete(conn, group_id, err);
    if (rc == 0)
        rc = audit_group(conn, by, AUDIT_DELETE_GROUP, group_id,
                         db_rows_get(row, 0, GCOL_DISPLAY_NAME), NULL, err);
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(row);
    return rc;
}

/* One member of the group, in one transaction. */
static int membership(struct db_pool *pool, const struct audit_actor *by, int adding,
                      const char *group_id, const char *member_id, struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *group = NULL;
    int rc = db_groups_get(conn, group_id, 0, &group, err);
    if (rc == 0)
        rc = member_change(conn, by, adding, db_rows_get(group, 0, GCOL_ID),
                           db_rows_get(group, 0, GCOL_DISPLAY_NAME), member_id, err);
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(group);
    return rc;
}

int groups_add_member(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                      const char *member_id, struct lic_error *err)
{
    return membership(pool, by, 1, group_id, member_id, err);
}

int groups_remove_member(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                         const char *member_id, struct lic_error *err)
{
    return membership(pool, by, 0, group_id, member_id, err);
}
