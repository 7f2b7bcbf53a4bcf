/* The service plan writes (PATCH licensing/servicePlans/{id}: names and rules): one transaction
 * with its refusals and its directoryAudit record. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "service/audit.h"
#include "service/catalog.h"

/* Records activity on one plan: in the change's transaction (failure NULL), or after the rollback
 * of a refused change. Consumes j_modified. */
static int record(struct db_conn *conn, const struct audit_actor *by, const char *id,
                  const char *name, json_t *j_modified, const char *failure, struct lic_error *err)
{
    struct audit_target target = {
        .type = "ServicePlan", .id = id, .display_name = name, .j_modified = j_modified};
    struct audit_entry entry = {.activity = AUDIT_UPDATE_PLAN,
                                .by = by,
                                .targets = &target,
                                .n_targets = 1,
                                .failure = failure};
    if (failure != NULL) {
        audit_write_refusal(conn, &entry);
        return 0;
    }
    return audit_write(conn, &entry, err);
}

/* A stored list ("a,b") as modifiedProperties text: ["a","b"]. owned: caller frees. */
static char *list_text(const char *list)
{
    json_t *j_list = catalog_split_list(list);
    char *text = j_list ? json_dumps(j_list, JSON_COMPACT) : NULL;
    json_decref(j_list);
    return text;
}

static int differs(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a != b : strcmp(a, b) != 0;
}

/* What changed between the plan as it was and as it is, as modifiedProperties. */
static json_t *plan_changes(const struct db_plan *was, const struct db_plan *now)
{
    json_t *j_mod = json_array();
    if (j_mod == NULL)
        return NULL;
    if (differs(was->name, now->name))
        json_array_append_new(j_mod, audit_modified("name", was->name, now->name));
    if (differs(was->display_name, now->display_name))
        json_array_append_new(j_mod,
                              audit_modified("displayName", was->display_name, now->display_name));
    if (was->provisions_mailbox != now->provisions_mailbox)
        json_array_append_new(j_mod, audit_modified("provisionsMailbox",
                                                    was->provisions_mailbox ? "true" : "false",
                                                    now->provisions_mailbox ? "true" : "false"));
    const char *const before[PLAN_LIST_COUNT] = {was->conflicts, was->requires, was->countries};
    const char *const after[PLAN_LIST_COUNT] = {now->conflicts, now->requires, now->countries};
    for (int l = 0; l < PLAN_LIST_COUNT; l++) {
        if (!differs(before[l], after[l]))
            continue;
        char *old_text = list_text(before[l]), *new_text = list_text(after[l]);
        json_array_append_new(
            j_mod, audit_modified(catalog_plan_list_name((enum plan_list)l), old_text, new_text));
        free(old_text);
        free(new_text);
    }
    return j_mod;
}

/* Refuses (400) a list naming a plan that does not exist. */
static int check_references(struct db_conn *conn, const struct catalog_plan_patch *p, int *refused,
                            struct lic_error *err)
{
    char missing[GUID_SIZE];
    for (int l = PLAN_CONFLICTS; l <= PLAN_REQUIRES; l++) {
        if (p->lists[l] == NULL)
            continue;
        if (db_catalog_plans_missing(conn, p->lists[l], p->counts[l], missing, err) != 0)
            return -1;
        if (missing[0] != '\0') {
            *refused = 1;
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "%s names service plan '%s', which does not exist.",
                                 catalog_plan_list_name((enum plan_list)l), missing);
        }
    }
    return 0;
}

static int apply(struct db_conn *conn, const char *id, const struct catalog_plan_patch *p,
                 struct lic_error *err)
{
    int changed = 0;
    const char *const *const *l = p->lists;
    if ((p->name || p->set_display) &&
        db_plan_rename(conn, id, p->name, p->set_display ? p->display_name : NULL, err) != 0)
        return -1;
    if (p->mailbox >= 0 && db_catalog_mailbox_set(conn, id, p->mailbox, &changed, err) != 0)
        return -1;
    if (l[PLAN_CONFLICTS] != NULL &&
        db_catalog_conflicts_replace(conn, id, l[PLAN_CONFLICTS], p->counts[PLAN_CONFLICTS],
                                     &changed, err) != 0)
        return -1;
    if (l[PLAN_REQUIRES] != NULL &&
        db_catalog_prerequisites_replace(conn, id, l[PLAN_REQUIRES], p->counts[PLAN_REQUIRES],
                                         &changed, err) != 0)
        return -1;
    if (l[PLAN_COUNTRIES] != NULL &&
        db_catalog_countries_replace(conn, id, l[PLAN_COUNTRIES], p->counts[PLAN_COUNTRIES],
                                     &changed, err) != 0)
        return -1;
    return 0;
}

int catalog_plan_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                        const struct catalog_plan_patch *p, struct db_plan *out,
                        struct lic_error *err)
{
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1, refused = 0, found = 0, have_out = 0;
    struct db_plan was = {0};
    json_t *j_mod = NULL;
    memset(out, 0, sizeof(*out));
    if (db_begin(conn, err) != 0 || (found = db_plan_get(conn, id, 1, &was, err)) < 0)
        goto out;
    if (found == DB_CATALOG_NONE) {
        catalog_not_found(id, err);
        goto out;
    }
    if (check_references(conn, p, &refused, err) != 0 || apply(conn, id, p, err) != 0)
        goto out;
    if ((found = db_plan_get(conn, id, 0, out, err)) != 0) {
        if (found == DB_CATALOG_NONE)
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "service plan %s vanished", id);
        goto out;
    }
    have_out = 1;
    if ((j_mod = plan_changes(&was, out)) == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (record(conn, by, id, out->name, j_mod, NULL, err) != 0)
        goto out;
    rc = db_commit(conn, err);
out:
    if (rc != 0) {
        db_rollback(conn);
        if (refused)
            record(conn, by, id, was.name, NULL, err->message, NULL);
        if (have_out)
            db_plan_free(out);
    }
    db_plan_free(&was);
    db_release(pool, conn);
    return rc;
}
