/* Extensions where admins look for license problems: every error, and the overview. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/license_reports.h"
#include "service/base/buf.h"
#include "service/base/guid.h"
#include "service/engine/licensing.h"
#include "api/handlers.h"
#include "api/odata.h"

/* "error must be one of CountViolation, ..., Other." from the one name table. */
static void error_names_refusal(struct lic_error *err)
{
    struct buf names = {0};
    for (int e = LIC_ERROR_NONE + 1; e < LIC_ERROR_COUNT; e++)
        buf_addf(&names, "%s%s", e > LIC_ERROR_NONE + 1 ? ", " : "", license_error_name(e));
    lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest", "error must be one of %s.",
                  names.failed || names.data == NULL ? "the license error names" : names.data);
    buf_free(&names);
}

API_HANDLER(api_license_errors)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct error_filter f = {api_query(req, "error"), api_query(req, "skuId"),
                             api_query(req, "groupId")};
    int top;
    char key[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    const char *after[3] = {NULL, NULL, NULL};
    const char *token = api_query(req, "$skiptoken");
    if (odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, &top, &err) != 0)
        goto fail;
    if (f.error && license_error_parse(f.error) <= LIC_ERROR_NONE) {
        error_names_refusal(&err);
        goto fail;
    }
    if ((f.sku_id && !guid_valid(f.sku_id)) || (f.group_id && !guid_valid(f.group_id))) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "skuId and groupId must be GUIDs.");
        goto fail;
    }
    if (token != NULL) {
        if (odata_skiptoken_decode(token, key, 3, &err) != 3 || !guid_valid(key[0]) ||
            !guid_valid(key[1]) || !guid_valid(key[2])) {
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                          "The $skiptoken is not valid; follow @odata.nextLink as returned.");
            goto fail;
        }
        for (int k = 0; k < 3; k++)
            after[k] = key[k];
    }
    struct db_conn *conn = db_acquire(app->pool, &err);
    int more = 0;
    char next[3][GUID_SIZE];
    char *text = conn ? db_license_errors_json(conn, &f, after, top, &more, next, &err) : NULL;
    db_release(app->pool, conn);
    json_t *j_items = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (j_items == NULL)
        goto fail;
    const char *parts[] = {next[0], next[1], next[2]};
    odata_reply_page(app, req, res, "licensing/errors", j_items, -1, more ? parts : NULL, 3);
    return;
fail:
    if (err.kind == LIC_OK)
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "The license errors could not be read.");
    api_reply_error(res, &err);
}

API_HANDLER(api_license_overview)
{
    (void)req;
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_acquire(app->pool, &err);
    char *text = conn ? db_license_overview_json(conn, &err) : NULL;
    db_release(app->pool, conn);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (j == NULL) {
        if (err.kind == LIC_OK)
            lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "The overview could not be read.");
        api_reply_error(res, &err);
        return;
    }
    char context[512];
    odata_context(app, req, "licensing/overview", 1, context, sizeof(context));
    json_object_set_new(j, "@odata.context", json_string(context));
    api_reply_json(res, 200, j);
}
