/* The users room: create, update and delete a user, and the one rule of what a directory change
 * queues for licensing (service/directory.h). */
#include "service/directory.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <strings.h>

#include "service/requeue.h"
#include "service/audit.h"
#include "service/base/buf.h"
#include "service/base/upn.h"
#include "service/transaction.h"

/* Graph's words for what the database refused. */
static int refused(int rc, struct lic_error *err)
{
    if (rc == DB_REFUSED_DUPLICATE) /* the only unique key users have */
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Another object with the same value for property userPrincipalName "
                             "already exists.");
    if (rc > 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "A property value is invalid.");
    return rc;
}

static int set_proxies(struct db_conn *conn, const char *id, const struct user_proxies *proxies,
                       struct lic_error *err)
{
    if (!proxies->given)
        return 0;
    return db_users_set_proxies(conn, id, proxies->addresses, proxies->n, err);
}

/* One targetResource "User" (j_modified stolen). */
static struct audit_target user_target(const char *id, const char *name, const char *upn,
                                       json_t *j_modified)
{
    return (struct audit_target){
        .type = "User", .id = id, .display_name = name, .upn = upn, .j_modified = j_modified};
}

/* The record of one change to one user, in the change's transaction. */
static int audit_user(struct db_conn *conn, const struct audit_actor *by,
                      enum audit_activity activity, struct audit_target target,
                      struct lic_error *err)
{
    struct audit_entry entry = {.activity = activity, .by = by, .targets = &target, .n_targets = 1};
    return audit_write(conn, &entry, err);
}

/* The UPN rules (service/base/upn.h) against the organization's verified domains; a deployment
 * with no organization yet checks the form only. */
static int check_upn(struct db_conn *conn, const struct db_fields *f, struct lic_error *err)
{
    if (!f->set[UCOL_UPN])
        return 0;
    struct db_rows *org = NULL;
    if (db_org_get(conn, &org, err) != 0)
        return -1;
    json_t *j_domains =
        org->nrows > 0 ? json_loads(db_rows_get(org, 0, OCOL_DOMAINS), 0, NULL) : NULL;
    const char *names[16];
    int n = 0;
    for (size_t i = 0; i < json_array_size(j_domains) && n < 16; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(j_domains, i), "name"));
        if (name != NULL)
            names[n++] = name;
    }
    enum upn_verdict v = upn_check(f->value[UCOL_UPN], names, n);
    json_decref(j_domains);
    db_rows_free(org);
    if (v == UPN_OK)
        return 0;
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Invalid value specified for property 'userPrincipalName' of resource "
                         "'User': %s",
                         upn_verdict_text(v));
}

int users_create(struct db_pool *pool, const struct audit_actor *by, const struct db_fields *f,
                 const struct user_proxies *proxies, char id[GUID_SIZE], struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct user_change change = {
        .kind = USER_CREATED, .user_id = id, .fields = f, .proxies_given = proxies->given};
    int rc = check_upn(conn, f, err);
    if (rc == 0)
        rc = refused(db_users_insert(conn, f, id, err), err);
    if (rc == 0)
        rc = set_proxies(conn, id, proxies, err);
    if (rc == 0)
        rc =
            audit_user(conn, by, AUDIT_ADD_USER,
                       user_target(id, f->value[UCOL_DISPLAY_NAME], f->value[UCOL_UPN], NULL), err);
    if (rc == 0)
        rc = requeue_after_user_change(conn, &change, err);
    return transaction_end(pool, conn, rc, err);
}

/* modifiedProperties of a PATCH: each property it sets, old value from the row. */
static json_t *modified_properties(const struct db_rows *before, const struct db_fields *f,
                                   const struct user_proxies *proxies)
{
    json_t *j_mod = json_array();
    for (int i = 0; i < USER_PROPERTY_COUNT; i++)
        if (f->set[i])
            json_array_append_new(j_mod, audit_modified(db_user_properties[i].name,
                                                        db_rows_get(before, 0, i), f->value[i]));
    if (proxies->given) {
        json_t *j_list = json_array();
        for (int i = 0; i < proxies->n; i++)
            json_array_append_new(j_list, json_string(proxies->addresses[i]));
        char *text = json_dumps(j_list, JSON_COMPACT);
        json_array_append_new(j_mod, audit_modified("proxyAddresses", NULL, text));
        free(text);
        json_decref(j_list);
    }
    return j_mod;
}

/* The request's value of property i when it sets it, else the row's. */
static const char *after(const struct db_rows *before, const struct db_fields *f, int i)
{
    return f->set[i] ? f->value[i] : db_rows_get(before, 0, i);
}

int users_update(struct db_pool *pool, const struct audit_actor *by, const char *id_or_upn,
                 const struct db_fields *f, const struct user_proxies *proxies,
                 struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *before = NULL;
    int rc = db_users_get(conn, id_or_upn, 1, &before, err);
    if (rc == 0) {
        const char *id = db_rows_get(before, 0, UCOL_ID);
        struct user_change change = {.kind = USER_UPDATED,
                                     .user_id = id,
                                     .before = before,
                                     .fields = f,
                                     .proxies_given = proxies->given};
        json_t *j_mod = modified_properties(before, f, proxies);
        rc = check_upn(conn, f, err);
        if (rc == 0)
            rc = refused(db_users_update(conn, id, f, err), err);
        if (rc == 0)
            rc = set_proxies(conn, id, proxies, err);
        if (rc == 0)
            rc = audit_user(conn, by, AUDIT_UPDATE_USER,
                            user_target(id, after(before, f, UCOL_DISPLAY_NAME),
                                        after(before, f, UCOL_UPN), json_incref(j_mod)),
                            err);
        if (rc == 0)
            rc = requeue_after_user_change(conn, &change, err);
        json_decref(j_mod);
    }
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(before);
    return rc;
}

int users_delete(struct db_pool *pool, const struct audit_actor *by, const char *id_or_upn,
                 struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *row = NULL, *freed = NULL;
    int rc = db_users_get(conn, id_or_upn, 1, &row, err);
    if (rc == 0) {
        const char *id = db_rows_get(row, 0, UCOL_ID);
        rc = db_users_delete(conn, id, &freed, err);
        if (rc == 0)
            rc = audit_user(conn, by, AUDIT_DELETE_USER,
                            user_target(id, db_rows_get(row, 0, UCOL_DISPLAY_NAME),
                                        db_rows_get(row, 0, UCOL_UPN), NULL),
                            err);
        struct user_change change = {.kind = USER_DELETED, .user_id = id, .freed_skus = freed};
        if (rc == 0)
            rc = requeue_after_user_change(conn, &change, err);
    }
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(row);
    db_rows_free(freed);
    return rc;
}
