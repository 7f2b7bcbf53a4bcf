/* /v1.0/organization: the tenant as a collection of one, and PATCH of its name and country. */
#include <string.h>
#include <strings.h>

#include "service/base/country.h"
#include "service/directory.h"
#include "api/auth.h"
#include "api/metadata.h"
#include "api/body_fields.h"
#include "api/directory.h"

const char *const api_org_props[] = {"id",
                                     "displayName",
                                     "countryLetterCode",
                                     "verifiedDomains",
                                     "createdDateTime",
                                     "assignedPlans",
                                     "provisionedPlans",
                                     NULL};

static json_t *org_json(const struct db_rows *rows, int i)
{
    const char *country = db_rows_get(rows, i, OCOL_COUNTRY);
    json_t *j_domains = json_loads(db_rows_get(rows, i, OCOL_DOMAINS), 0, NULL);
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:[], s:[]}", "id", db_rows_get(rows, i, OCOL_ID),
                     "displayName", db_rows_get(rows, i, OCOL_DISPLAY_NAME), "countryLetterCode",
                     country ? json_string(country) : json_null(), "verifiedDomains",
                     j_domains ? j_domains : json_array(), "createdDateTime",
                     db_rows_get(rows, i, OCOL_CREATED), "assignedPlans", "provisionedPlans");
}

/* The organization with $select: the collection of one, or (one != NULL) the entity with that id.
 */
static void reply_org(const struct api_app *app, const struct api_request *req,
                      struct api_response *res, const char *one)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    uint64_t mask = 0;
    int rc = -1;
    if (odata_parse_select(api_query(req, "$select"), api_org_props, "microsoft.graph.organization",
                           &mask, &err) != 0 ||
        (conn = db_acquire(app->pool, &err)) == NULL || db_org_get(conn, &rows, &err) != 0)
        goto out;
    json_t *j_items = json_array();
    for (int i = 0; i < rows->nrows; i++) {
        if (one != NULL && strcasecmp(one, db_rows_get(rows, i, OCOL_ID)) != 0)
            continue;
        json_t *j = org_json(rows, i);
        odata_apply_select(j, api_org_props, mask);
        json_array_append_new(j_items, j);
    }
    if (one == NULL) {
        odata_reply_page(app, req, res, "organization", j_items, -1, NULL, 0);
    } else if (json_array_size(j_items) == 0) {
        json_decref(j_items);
        lic_error_set(&err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                      "Resource '%.100s' does not exist or one of its queried reference-property "
                      "objects are not present.",
                      one);
        goto out;
    } else {
        char context[1024];
        odata_context(app, req, "organization", 1, context, sizeof(context));
        json_t *j = json_pack("{s:s}", "@odata.context", context);
        json_object_update(j, json_array_get(j_items, 0));
        json_decref(j_items);
        api_reply_json(res, 200, j);
    }
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
}

API_HANDLER(api_organization_list)
{
    reply_org(app, req, res, NULL);
}

API_HANDLER(api_organization_get)
{
    reply_org(app, req, res, req->params.values[0]);
}

/* The body's displayName and countryLetterCode (NULL when absent); 0, or -1 with a 400. */
static int parse_update(json_t *j_body, const char **name, const char **country,
                        struct lic_error *err)
{
    *name = *country = NULL;
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strcmp(key, "displayName") == 0) {
            *name = json_string_value(j_value);
            if (*name == NULL || (*name)[0] == '\0' || strlen(*name) > 256)
                return body_invalid_value("displayName", "Organization", err);
        } else if (strcmp(key, "countryLetterCode") == 0) {
            *country = json_string_value(j_value);
            if (!country_is_valid(*country))
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "Invalid value specified for property 'countryLetterCode' of "
                                     "resource 'Organization': an ISO 3166 alpha-2 code is "
                                     "expected.");
        } else {
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%.100s' does not exist or is read-only on type "
                                 "'microsoft.graph.organization'.",
                                 key);
        }
    }
    return 0;
}

API_HANDLER(api_organization_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    const char *name, *country;
    int rc = -1;
    json_t *j_body = api_parse_body(req, &err);
    if (j_body != NULL && parse_update(j_body, &name, &country, &err) == 0)
        rc = organization_update(app->pool, API_ACTOR(req), req->params.values[0], name, country,
                                 &err);
    directory_reply_written(res, rc, &err);
    json_decref(j_body);
}
