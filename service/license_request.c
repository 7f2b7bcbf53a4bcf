/* The refusals of a license request, one wording each (see license_request.h). */
#include "service/license_request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/audit.h"
#include "service/base/buf.h"
#include "service/engine/licensing.h"

/* A refusal: the client's mistake, as Graph words it. */
#define refuse(err, ...) lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", __VA_ARGS__)

static int unknown_sku(const char *sku_id, struct lic_error *err)
{
    return refuse(err, "License %s does not correspond to a valid company License.", sku_id);
}

static int removed(const struct license_request *req, const char *sku_id)
{
    for (int i = 0; i < req->n_removes; i++)
        if (strcasecmp(req->removes[i], sku_id) == 0)
            return 1;
    return 0;
}

static int added(const struct license_request *req, const char *sku_id)
{
    for (int i = 0; i < req->n_adds; i++)
        if (strcasecmp(req->adds[i].sku_id, sku_id) == 0)
            return 1;
    return 0;
}

int license_request_check_usage_location(const struct license_request *req,
                                         const struct lic_batch *b, struct lic_error *err)
{
    if (req->n_adds == 0 || b->users[0].usage_location[0] != '\0')
        return 0;
    /* The engine's wording of a usage location error without a country. */
    struct lic_violation v = {
        .error = LIC_ERROR_USAGE_LOCATION, .sku = -1, .plan = -1, .other_plan = -1};
    char message[200];
    licensing_violation_message(&b->catalog, &v, message, sizeof(message));
    return refuse(err, "%s", message);
}

int license_request_check(const struct license_request *req, struct lic_error *err)
{
    for (int i = 0; i < req->n_adds; i++) {
        const char *sku = req->adds[i].sku_id;
        for (int k = 0; k < i; k++)
            if (strcasecmp(req->adds[k].sku_id, sku) == 0)
                return refuse(err, "License %s is listed twice in addLicenses.", sku);
        if (removed(req, sku))
            return refuse(err, "License %s is both added and removed in the same request.", sku);
    }
    return 0;
}

static int plan_in_sku(const struct lic_batch *b, int sku, const char *plan_id)
{
    int p = lic_batch_plan_index(b, plan_id);
    const struct lic_sku_rules *rules = &b->catalog.skus[sku];
    for (int k = 0; p >= 0 && k < rules->n_plans; k++)
        if (rules->plans[k] == p)
            return 1;
    return 0;
}

int license_request_check_catalog(const struct license_request *req, const struct lic_batch *b,
                                  struct lic_error *err)
{
    for (int i = 0; i < req->n_adds; i++)
        if (lic_batch_sku_index(b, req->adds[i].sku_id) < 0)
            return unknown_sku(req->adds[i].sku_id, err);
    for (int i = 0; i < req->n_adds; i++) {
        const struct license_add *add = &req->adds[i];
        int sku = lic_batch_sku_index(b, add->sku_id);
        for (int d = 0; d < add->n_disabled; d++)
            if (!plan_in_sku(b, sku, add->disabled_plans[d]))
                return refuse(err, "Service plan %s in disabledPlans is not part of license %s.",
                              add->disabled_plans[d], add->sku_id);
    }
    return 0;
}

int license_request_refuse_removal(const char *sku_id, int known_sku, const char *group_id,
                                   const char *group_name, struct lic_error *err)
{
    if (group_id != NULL)
        /* Graph's text, plus the group: its users ask which group to look at. */
        return refuse(err,
                      "User license is inherited from a group membership and it cannot be "
                      "removed directly from the user. Group: '%s' (%s).",
                      group_name ? group_name : "", group_id);
    if (!known_sku)
        return unknown_sku(sku_id, err);
    return refuse(err, "User does not have a corresponding license %s.", sku_id);
}

/* Marks the plans a license enables: its SKU's plans but the disabled ones. */
static void enable_plans(const struct lic_batch *b, const struct license_add *l, char *enabled)
{
    int s = lic_batch_sku_index(b, l->sku_id);
    if (s < 0)
        return;
    const struct lic_sku_rules *sku = &b->catalog.skus[s];
    for (int k = 0; k < sku->n_plans; k++) {
        int plan = sku->plans[k], disabled = 0;
        for (int d = 0; d < l->n_disabled && !disabled; d++)
            disabled = strcasecmp(b->catalog.plans[plan].id, l->disabled_plans[d]) == 0;
        if (!disabled)
            enabled[plan] = 1;
    }
}

static int by_name(const void *x, const void *y, void *ctx)
{
    const struct lic_catalog *cat = ctx;
    return strcmp(cat->plans[*(const int *)x].name, cat->plans[*(const int *)y].name);
}

static const char *label(const struct lic_plan_rules *p)
{
    return p->display_name ? p->display_name : p->name;
}

/* "The service A requires B or C to be enabled as well." for plan p, prerequisites by name. */
static int refuse_prerequisite(const struct lic_catalog *cat, int p, struct lic_error *err)
{
    const struct lic_plan_rules *rules = &cat->plans[p];
    int *order = calloc((size_t)rules->n_requires + 1, sizeof(int));
    if (order == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    memcpy(order, rules->requires_any, (size_t)rules->n_requires * sizeof(int));
    qsort_r(order, (size_t)rules->n_requires, sizeof(int), by_name, (void *)cat);
    struct buf names = {0};
    for (int q = 0; q < rules->n_requires; q++)
        buf_addf(&names, "%s%s", q ? " or " : "", label(&cat->plans[order[q]]));
    free(order);
    int rc = names.failed ? lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory")
                          : refuse(err,
                                   "License operation failed. Make sure that the group has "
                                   "necessary services before adding or removing a dependent "
                                   "service. The service %s requires %s to be enabled as well.",
                                   label(rules), names.data ? names.data : "");
    buf_free(&names);
    return rc;
}

/* With the group's licenses as they would be after the change, the first plan by name that is
 * enabled, has prerequisites, and finds none of them enabled; -1 when there is none. */
static int unmet_prerequisite(const struct license_request *req, const struct lic_batch *b,
                              const struct license_add *current, int n_current, char *enabled)
{
    const struct lic_catalog *cat = &b->catalog;
    for (int i = 0; i < n_current; i++)
        if (!removed(req, current[i].sku_id) && !added(req, current[i].sku_id))
            enable_plans(b, &current[i], enabled);
    for (int i = 0; i < req->n_adds; i++)
        enable_plans(b, &req->adds[i], enabled);
    int worst = -1;
    for (int p = 0; p < cat->n_plans; p++) {
        const struct lic_plan_rules *rules = &cat->plans[p];
        if (!enabled[p] || rules->n_requires == 0)
            continue;
        int met = 0;
        for (int q = 0; q < rules->n_requires && !met; q++)
            met = enabled[rules->requires_any[q]];
        if (!met && (worst < 0 || strcmp(rules->name, cat->plans[worst].name) < 0))
            worst = p;
    }
    return worst;
}

int license_request_check_group(const struct license_request *req, const struct lic_batch *b,
                                const struct license_add *current, int n_current,
                                struct lic_error *err)
{
    for (int i = 0; i < req->n_removes; i++) {
        int assigned = 0;
        for (int k = 0; k < n_current && !assigned; k++)
            assigned = strcasecmp(current[k].sku_id, req->removes[i]) == 0;
        if (!assigned)
            return refuse(err, "License %s is not assigned to the group and cannot be removed.",
                          req->removes[i]);
    }
    char *enabled = calloc((size_t)b->catalog.n_plans + 1, 1);
    if (enabled == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    int p = unmet_prerequisite(req, b, current, n_current, enabled);
    free(enabled);
    return p >= 0 ? refuse_prerequisite(&b->catalog, p, err) : 0;
}

const char **license_request_sku_ids(const struct license_request *req,
                                     const struct license_add *more, int n_more, int *n)
{
    *n = req->n_adds + req->n_removes + n_more;
    const char **ids = calloc((size_t)*n + 1, sizeof(*ids));
    for (int i = 0; ids && i < req->n_adds; i++)
        ids[i] = req->adds[i].sku_id;
    for (int i = 0; ids && i < req->n_removes; i++)
        ids[req->n_adds + i] = req->removes[i];
    for (int i = 0; ids && i < n_more; i++)
        ids[req->n_adds + req->n_removes + i] = more[i].sku_id;
    return ids;
}

static char *sku_list(const struct license_request *req, int adds)
{
    json_t *j = json_array();
    for (int i = 0; adds && i < req->n_adds; i++)
        json_array_append_new(j, json_string(req->adds[i].sku_id));
    for (int i = 0; !adds && i < req->n_removes; i++)
        json_array_append_new(j, json_string(req->removes[i]));
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

json_t *license_request_modified(const struct license_request *req)
{
    char *added = sku_list(req, 1), *removed = sku_list(req, 0);
    json_t *j = added && removed ? json_pack("[o, o]", audit_modified("AddedLicenses", "[]", added),
                                             audit_modified("RemovedLicenses", removed, "[]"))
                                 : NULL;
    free(added);
    free(removed);
    return j;
}
