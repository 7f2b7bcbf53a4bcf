/* The groups room: create, update and delete a group, and add or remove its members
 * (service/directory.h). */
#include "service/requeue.h"
#include "service/directory.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/audit.h"
#include "service/base/guid.h"
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

/* The record of a member removed, filed under the member (as Graph does) with the group's id
 * and name as the modified properties' old values. */
static int audit_member_removed(struct db_conn *conn, const struct audit_actor *by,
                                const char *group_id, const char *group_name, const char *member_id,
                                enum dir_object_type type, struct lic_error *err)
{
    struct db_rows *member = NULL;
    int is_user = type == DIR_OBJECT_USER;
    if ((is_user ? db_users_get(conn, member_id, 0, &member, err)
                 : db_groups_get(conn, member_id, 0, &member, err)) != 0)
        return -1;
    json_t *j_mod = json_array();
    json_array_append_new(j_mod, audit_modified("Group.ObjectID", group_id, NULL));
    json_array_append_new(j_mod, audit_modified("Group.DisplayName", group_name, NULL));
    struct audit_target target = {
        .type = is_user ? "User" : "Group",
        .id = member_id,
        .display_name = db_rows_get(member, 0, is_user ? UCOL_DISPLAY_NAME : GCOL_DISPLAY_NAME),
        .upn = is_user ? db_rows_get(member, 0, UCOL_UPN) : NULL,
        .j_modified = j_mod};
    struct audit_entry entry = {
        .activity = AUDIT_REMOVE_MEMBER, .by = by, .targets = &target, .n_targets = 1};
    int rc = audit_write(conn, &entry, err);
    db_rows_free(member);
    return rc;
}

/* Removes one member of the group inside the caller's transaction. */
static int member_remove(struct db_conn *conn, const struct audit_actor *by, const char *group_id,
                         const char *group_name, const char *member_id, struct lic_error *err)
{
    enum dir_object_type type = DIR_OBJECT_USER;
    int rc = db_members_lock_group(conn, group_id, err);
    if (rc == 0)
        rc = db_directory_object_type(conn, member_id, &type, err);
    if (rc == 0)
        rc = db_members_remove(conn, group_id, member_id, err);
    if (rc == DB_REFUSED_ABSENT) /* Graph: the reference to remove is not there */
        rc = lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                           "Resource '%s' does not exist or one of its queried reference-property "
                           "objects are not present.",
                           member_id);
    if (rc == 0)
        rc = audit_member_removed(conn, by, group_id, group_name, member_id, type, err);
    struct user_change change = {
        .kind = USER_LEFT_GROUP, .user_id = member_id, .member_type = type, .group_id = group_id};
    if (rc == 0)
        rc = requeue_after_user_change(conn, &change, err);
    return rc;
}

/* Graph's refusal of an added member that is one already. */
static int already_member(struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "One or more added object references already exist for the following "
                         "modified properties: 'members'.");
}

/* The row of objects (db_directory_objects_named) with this id, or -1. */
static int named_row(const struct db_rows *objects, const char *id)
{
    for (int k = 0; k < objects->nrows; k++)
        if (strcasecmp(db_rows_get(objects, k, 0), id) == 0)
            return k;
    return -1;
}

/* "Add member to group" records, one per member, written in one statement. */
static int audit_members_added(struct db_conn *conn, const struct audit_actor *by,
                               const char *group_id, const char *group_name,
                               const struct db_rows *objects, const int *row, int n,
                               struct lic_error *err)
{
    struct audit_target *targets = calloc((size_t)n + 1, sizeof(*targets));
    struct audit_entry *entries = calloc((size_t)n + 1, sizeof(*entries));
    if (targets == NULL || entries == NULL) {
        free(targets);
        free(entries);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int is_user = strcmp(db_rows_get(objects, row[i], 1), "user") == 0;
        json_t *j_mod = json_array();
        json_array_append_new(j_mod, audit_modified("Group.ObjectID", NULL, group_id));
        json_array_append_new(j_mod, audit_modified("Group.DisplayName", NULL, group_name));
        targets[i] = (struct audit_target){.type = is_user ? "User" : "Group",
                                           .id = db_rows_get(objects, row[i], 0),
                                           .display_name = db_rows_get(objects, row[i], 2),
                                           .upn = is_user ? db_rows_get(objects, row[i], 3) : NULL,
                                           .j_modified = j_mod};
        entries[i] = (struct audit_entry){
            .activity = AUDIT_ADD_MEMBER, .by = by, .targets = &targets[i], .n_targets = 1};
    }
    int rc = audit_write_many(conn, entries, n, err);
    free(targets);
    free(entries);
    return rc;
}

/* Adds members to the group (the caller holds at least a key share lock of its row) inside the
 * caller's transaction: all or nothing, in a fixed number of statements whatever their number.
 * The refusal is the one adding them one at a time in this order would meet first: for each
 * member, itself the group (400), unknown (404), a member already (400). */
static int add_members(struct db_conn *conn, const struct audit_actor *by, const char *group_id,
                       const char *group_name, const char *const *ids, int n, struct lic_error *err)
{
    if (n == 0)
        return 0;
    struct db_rows *objects = NULL;
    int *row = calloc((size_t)n + 1, sizeof(*row));
    enum dir_object_type *types = calloc((size_t)n + 1, sizeof(*types));
    char *added = calloc((size_t)n + 1, 1);
    int rc =
        row && types && added ? 0 : lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    const char **valid = rc == 0 ? calloc((size_t)n + 1, sizeof(*valid)) : NULL;
    int n_valid = 0;
    for (int i = 0; valid != NULL && i < n; i++)
        if (guid_valid(ids[i]))
            valid[n_valid++] = ids[i];
    if (rc == 0 && valid == NULL)
        rc = lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    if (rc == 0)
        rc = db_directory_objects_named(conn, valid, n_valid, &objects, err);
    free(valid);
    /* Members before the first one refused by itself are added (the duplicates among them are
     * refused first); first = n when none is. */
    int first = n;
    for (int i = 0; rc == 0 && i < n && first == n; i++) {
        row[i] = guid_valid(ids[i]) ? named_row(objects, ids[i]) : -1;
        if (strcasecmp(group_id, ids[i]) == 0 || row[i] < 0)
            first = i;
        else
            types[i] = strcmp(db_rows_get(objects, row[i], 1), "user") == 0 ? DIR_OBJECT_USER
                                                                            : DIR_OBJECT_GROUP;
    }
    if (rc == 0 && first > 0)
        rc = db_members_add_many(conn, group_id, ids, types, first, added, err);
    for (int i = 0; rc == 0 && i < first; i++)
        if (!added[i])
            rc = already_member(err);
    if (rc == 0 && first < n)
        rc = strcasecmp(group_id, ids[first]) == 0
                 ? lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "A group cannot be a member of itself.")
                 : lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                                 "Resource '%.200s' does not exist or one of its queried "
                                 "reference-property objects are not present.",
                                 ids[first]);
    if (rc == 0)
        rc = audit_members_added(conn, by, group_id, group_name, objects, row, n, err);
    if (rc == 0)
        rc = requeue_members_joined(conn, group_id, ids, types, n, err);
    db_rows_free(objects);
    free(row);
    free(types);
    free(added);
    return rc;
}

/* members@odata.bind: all or nothing, in the caller's transaction. */
static int bind_members(struct db_conn *conn, const struct audit_actor *by, const char *group_id,
                        const char *group_name, const struct group_bind *bind,
                        struct lic_error *err)
{
    const char *ids[GROUP_BIND_MAX];
    for (int i = 0; i < bind->n; i++)
        ids[i] = bind->ids[i];
    return add_members(conn, by, group_id, group_name, ids, bind->n, err);
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
    int changes = 0;
    for (int i = 0; i < GROUP_PROPERTY_COUNT; i++)
        changes |= f->set[i];
    /* Binding members alone changes nothing of the row: concurrent binds do not queue on it. */
    int rc = db_groups_get(conn, id, changes ? 1 : DB_GROUP_KEY_SHARE, &before, err);
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
    int rc = db_groups_get(conn, group_id, adding ? DB_GROUP_KEY_SHARE : 0, &group, err);
    if (rc == 0 && adding)
        rc = add_members(conn, by, db_rows_get(group, 0, GCOL_ID),
                         db_rows_get(group, 0, GCOL_DISPLAY_NAME), &member_id, 1, err);
    else if (rc == 0)
        rc = member_remove(conn, by, db_rows_get(group, 0, GCOL_ID),
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
