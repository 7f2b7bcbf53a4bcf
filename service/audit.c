/* The audit room (see audit.h): one table of activities, one builder, one failure policy. */
#include "service/audit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "service/base/log.h"

static const struct {
    const char *name, *category, *operation;
} activities[AUDIT_ACTIVITY_COUNT] = {
    [AUDIT_ADD_USER] = {"Add user", "UserManagement", "Add"},
    [AUDIT_UPDATE_USER] = {"Update user", "UserManagement", "Update"},
    [AUDIT_DELETE_USER] = {"Delete user", "UserManagement", "Delete"},
    [AUDIT_ADD_GROUP] = {"Add group", "GroupManagement", "Add"},
    [AUDIT_UPDATE_GROUP] = {"Update group", "GroupManagement", "Update"},
    [AUDIT_DELETE_GROUP] = {"Delete group", "GroupManagement", "Delete"},
    [AUDIT_ADD_MEMBER] = {"Add member to group", "GroupManagement", "Add"},
    [AUDIT_REMOVE_MEMBER] = {"Remove member from group", "GroupManagement", "Delete"},
    [AUDIT_SET_GROUP_LICENSE] = {"Set group license", "GroupManagement", "Assign"},
    [AUDIT_CHANGE_USER_LICENSE] = {"Change user license", "UserManagement", "Update"},
    [AUDIT_GROUP_LICENSE_START] = {"Start applying group based license to users", "GroupManagement",
                                   "Assign"},
    [AUDIT_GROUP_LICENSE_FINISH] = {"Finish applying group based license to users",
                                    "GroupManagement", "Assign"},
    [AUDIT_LICENSE_CONCURRENCY] = {"LicenseAssignmentAttributeConcurrencyException",
                                   "UserManagement", "Update"},
    [AUDIT_USER_LICENSE_ASSIGNED] = {"Change user license", "UserManagement", "Assign"},
    [AUDIT_USER_LICENSE_UNASSIGNED] = {"Change user license", "UserManagement", "Unassign"},
    [AUDIT_ADD_SKU] = {"Add subscribedSku", "DirectoryManagement", "Add"},
    [AUDIT_UPDATE_SKU] = {"Update subscribedSku", "DirectoryManagement", "Update"},
    [AUDIT_DELETE_SKU] = {"Delete subscribedSku", "DirectoryManagement", "Delete"},
    [AUDIT_UPDATE_PLAN] = {"Update service plan", "DirectoryManagement", "Update"},
    [AUDIT_IMPORT_CATALOG] = {"Import product catalog", "DirectoryManagement", "Update"},
    [AUDIT_IMPORT_PLAN_RULES] = {"Import service plan rules", "DirectoryManagement", "Update"},
    [AUDIT_CREATE_COMPANY] = {"Create company", "DirectoryManagement", "Add"},
    [AUDIT_SET_COMPANY_INFO] = {"Set company information", "DirectoryManagement", "Update"},
};

const char *audit_activity_name(enum audit_activity a)
{
    return (unsigned)a < AUDIT_ACTIVITY_COUNT ? activities[a].name : "?";
}

const struct audit_actor audit_actor_group_licensing = {
    .app_name = "Microsoft Entra ID Group-Based Licensing"};

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *actor_json(const struct audit_actor *by)
{
    json_t *j_user = json_null(), *j_app = json_null();
    if (by != NULL && (by->user_id || by->user_upn)) {
        json_decref(j_user);
        j_user =
            json_pack("{s:o, s:o, s:n, s:n}", "id", text_or_null(by->user_id), "userPrincipalName",
                      text_or_null(by->user_upn), "displayName", "ipAddress");
    }
    if (by != NULL && (by->app_id || by->app_name)) {
        json_decref(j_app);
        j_app = json_pack("{s:o, s:o, s:n, s:n}", "appId", text_or_null(by->app_id), "displayName",
                          text_or_null(by->app_name), "servicePrincipalId", "servicePrincipalName");
    }
    return json_pack("{s:o, s:o}", "user", j_user, "app", j_app);
}

char *audit_actor_json(const struct audit_actor *by)
{
    json_t *j = actor_json(by);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

json_t *audit_modified(const char *name, const char *old_value, const char *new_value)
{
    return json_pack("{s:s, s:o, s:o}", "displayName", name, "oldValue", text_or_null(old_value),
                     "newValue", text_or_null(new_value));
}

static void release(struct audit_entry *e)
{
    for (int i = 0; i < e->n_targets; i++) {
        json_decref(e->targets[i].j_modified);
        e->targets[i].j_modified = NULL;
    }
    json_decref(e->j_details);
    e->j_details = NULL;
}

/* One entry as the texts db/ stores (owned: rendered_free). */
struct rendered {
    char *by, *targets, *details;
};

static void rendered_free(struct rendered *r)
{
    free(r->by);
    free(r->targets);
    free(r->details);
    memset(r, 0, sizeof(*r));
}

static int render(const struct audit_entry *e, struct rendered *out, struct audit_record *rec)
{
    assert((unsigned)e->activity < AUDIT_ACTIVITY_COUNT);
    memset(out, 0, sizeof(*out));
    json_t *j_targets = json_array();
    for (int i = 0; j_targets && i < e->n_targets; i++) {
        const struct audit_target *t = &e->targets[i];
        json_t *j_mod = t->j_modified ? json_incref(t->j_modified) : json_array();
        json_array_append_new(
            j_targets, json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", t->id, "type", t->type,
                                 "displayName", text_or_null(t->display_name), "userPrincipalName",
                                 text_or_null(t->upn), "modifiedProperties", j_mod));
    }
    out->by = audit_actor_json(e->by);
    out->targets = j_targets ? json_dumps(j_targets, JSON_COMPACT) : NULL;
    out->details = e->j_details ? json_dumps(e->j_details, JSON_COMPACT) : NULL;
    json_decref(j_targets);
    if (out->by == NULL || out->targets == NULL || (e->j_details && out->details == NULL)) {
        rendered_free(out);
        return -1;
    }
    *rec = (struct audit_record){.activity = activities[e->activity].name,
                                 .category = activities[e->activity].category,
                                 .operation_type = activities[e->activity].operation,
                                 .result = e->failure ? "failure" : "success",
                                 .result_reason = e->failure  ? e->failure
                                                  : e->reason ? e->reason
                                                              : "",
                                 .initiated_by = out->by,
                                 .target_resources = out->targets,
                                 .additional_details = out->details};
    return 0;
}

int audit_write(struct db_conn *conn, struct audit_entry *e, struct lic_error *err)
{
    return audit_write_many(conn, e, 1, err);
}

int audit_write_many(struct db_conn *conn, struct audit_entry *entries, int n,
                     struct lic_error *err)
{
    struct rendered *texts = calloc((size_t)n + 1, sizeof(*texts));
    struct audit_record *recs = calloc((size_t)n + 1, sizeof(*recs));
    int rc = texts && recs ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++)
        rc = render(&entries[i], &texts[i], &recs[i]);
    if (rc != 0)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    else if (n == 1)
        rc = db_audit_write(conn, &recs[0], err);
    else if (n > 1)
        rc = db_audit_write_many(conn, recs, n, err);
    for (int i = 0; texts && i < n; i++)
        rendered_free(&texts[i]);
    for (int i = 0; i < n; i++)
        release(&entries[i]);
    free(texts);
    free(recs);
    return rc;
}

void audit_write_refusal(struct db_conn *conn, struct audit_entry *e)
{
    struct lic_error err;
    lic_error_clear(&err);
    enum audit_activity a = e->activity;
    if (audit_write(conn, e, &err) != 0)
        log_event(LOG_WARN, "audit_failed", "%s: %s", audit_activity_name(a), err.message);
}
