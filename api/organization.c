/* /v1.0/organization: the tenant as a collection of one, and PATCH of its name and country. */
#include <string.h>

#include "service/base/country.h"
#include "service/directory.h"
#include "api/auth.h"
#include "api/body_fields.h"
#include "api/directory.h"

API_HANDLER(api_organization_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = NULL;
    struct db_rows *rows = NULL;
    int rc = -1;
    if ((conn = db_acquire(app->pool, &err)) == NULL || db_org_get(conn, &rows, &err) != 0)
        goto out;
    json_t *j_items = json_array();
    for (int i = 0; i < rows->nrows; i++) {
        const char *country = db_rows_get(rows, i, OCOL_COUNTRY);
        json_t *j_domains = json_loads(db_rows_get(rows, i, OCOL_DOMAINS), 0, NULL);
        json_array_append_new(
            j_items,
            json_pack("{s:s, s:s, s:o, s:o, s:s, s:[], s:[]}", "id", db_rows_get(rows, i, OCOL_ID),
                      "displayName", db_rows_get(rows, i, OCOL_DISPLAY_NAME), "countryLetterCode",
                      country ? json_string(country) : json_null(), "verifiedDomains",
                      j_domains ? j_domains : json_array(), "createdDateTime",
                      db_rows_get(rows, i, OCOL_CREATED), "assignedPlans", "provisionedPlans"));
    }
    odata_reply_page(app, req, res, "organization", j_items, -1, NULL, 0);
    rc = 0;
out:
    db_rows_free(rows);
    directory_finish(app, conn, rc, &err, res);
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
