/* A user's licenseDetails, read in one statement. */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/licensing.h"

static const struct db_stmt stmt_details = {
    "lic_details",
    "SELECT coalesce(json_agg(json_build_object("
    "  'skuId', l.sku_id, 'skuPartNumber', s.sku_part_number,"
    "  'servicePlans', (SELECT coalesce(json_agg(json_build_object("
    "       'servicePlanId', p.id, 'servicePlanName', p.name,"
    "       'provisioningStatus', CASE WHEN p.id = ANY (l.disabled_plans) THEN 'Disabled'"
    "                                  ELSE 'Success' END,"
    "       'appliesTo', p.applies_to) ORDER BY sp.position, p.id), '[]')"
    "     FROM sku_service_plans sp JOIN service_plans p ON p.id = sp.plan_id"
    "    WHERE sp.sku_id = l.sku_id)) ORDER BY s.sku_part_number, l.sku_id), '[]')::text"
    "  FROM user_licenses l JOIN skus s ON s.sku_id = l.sku_id WHERE l.user_id = $1",
    1};

char *db_license_details_json(struct db_conn *conn, const char *user_id, struct lic_error *err)
{
    const char *params[] = {user_id};
    PGresult *r = db_exec(conn, &stmt_details, params, err);
    if (r == NULL)
        return NULL;
    char *text = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "[]");
    PQclear(r);
    if (text == NULL)
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    return text;
}
