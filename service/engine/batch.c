/* The batch the engine evaluates in order (see batch.h). */
#include "service/engine/batch.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

#include "service/base/arena.h"

int lic_batch_sku_index(const struct lic_batch *batch, const char *sku_id)
{
    for (int i = 0; i < batch->catalog.n_skus; i++)
        if (strcasecmp(batch->catalog.skus[i].sku_id, sku_id) == 0)
            return i;
    return -1;
}

int lic_batch_plan_index(const struct lic_batch *batch, const char *plan_id)
{
    for (int i = 0; i < batch->catalog.n_plans; i++)
        if (strcasecmp(batch->catalog.plans[i].id, plan_id) == 0)
            return i;
    return -1;
}

int lic_batch_direct_path(const struct lic_batch_user *bu, int sku)
{
    for (int i = 0; i < bu->input.n_paths; i++)
        if (bu->paths[i].group_id == NULL && !bu->meta[i].state_only &&
            bu->paths[i].skus[0].sku == sku)
            return i;
    return -1;
}

int lic_batch_evaluate(struct lic_batch *batch, int u, struct lic_result *result)
{
    assert(u >= 0 && u < batch->n_users && batch->users[u].found);
    struct lic_batch_user *bu = &batch->users[u];
    if (bu->smtp_key != NULL && id_map_get(&batch->smtp_given, bu->smtp_key) >= 0)
        bu->input.smtp_taken = 1;
    if (licensing_evaluate_user(&batch->catalog, &bu->input, batch->seats_free, result) != 0)
        return -1;
    if (result->needs_primary_smtp && bu->smtp_key != NULL &&
        id_map_add(&batch->smtp_given, bu->smtp_key) < 0) {
        licensing_result_free(result, bu->input.n_paths);
        return -1;
    }
    return 0;
}

void lic_batch_free(struct lic_batch *batch)
{
    if (batch == NULL)
        return;
    id_map_free(&batch->smtp_given);
    arena_free(batch->arena);
    memset(batch, 0, sizeof(*batch));
}
