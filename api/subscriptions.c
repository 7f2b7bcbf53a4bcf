/* /v1.0/subscriptions: Graph's change notification subscriptions (list, create, get, renew,
 * delete). The checks and the handshake are service/subscriptions.c's. */
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/handlers.h"
#include "api/odata.h"
#include "service/base/guid.h"
#include "service/subscriptions.h"

static json_t *text_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *render(const struct db_subscription *s)
{
    return json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:b, s:s, s:o, s:n, s:n, s:n, s:n}",
                     "id", s->id, "resource", s->resource, "applicationId",
                     text_or_null(s->application_id), "changeType", s->change_type, "clientState",
                     s->has_client_state ? json_string(s->client_state) : json_null(),
                     "notificationUrl", s->notification_url, "expirationDateTime", s->expiration,
                     "creatorId", text_or_null(s->creator_id), "includeResourceData", 0,
                     "latestSupportedTlsVersion", s->tls_version, "lifecycleNotificationUrl",
                     text_or_null(s->lifecycle_url), "notificationUrlAppId",
                     "encryptionCertificate", "encryptionCertificateId",
                     "notificationQueryOptions");
}

static void reply_entity(const struct api_app *app, const struct api_request *req,
                         struct api_response *res, const struct db_subscription *s, unsigned status)
{
    char context[512];
    odata_context(app, req, "subscriptions", 1, context, sizeof(context));
    json_t *j = render(s);
    json_object_set_new(j, "@odata.context", json_string(context));
    api_reply_json(res, status, j);
}

static const char *text(json_t *j_body, const char *name, struct lic_error *err, int *bad)
{
    json_t *j = json_object_get(j_body, name);
    if (j == NULL || json_is_null(j))
        return NULL;
    if (!json_is_string(j)) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                      "Invalid value for property '%s': a string is expected.", name);
        *bad = 1;
        return NULL;
    }
    return json_string_value(j);
}

API_HANDLER(api_subscriptions_list)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct db_conn *conn = db_acquire(app->pool, &err);
    struct db_subscription *subs = NULL;
    int n = 0;
    int rc = conn ? db_subscriptions_list(conn, &subs, &n, &err) : -1;
    db_release(app->pool, conn);
    if (rc != 0) {
        api_reply_error(res, &err);
        return;
    }
    json_t *j_value = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(j_value, render(&subs[i]));
    free(subs);
    char context[512];
    odata_context(app, req, "subscriptions", 0, context, sizeof(context));
    api_reply_json(res, 200, json_pack("{s:s, s:o}", "@odata.context", context, "value", j_value));
}

API_HANDLER(api_subscriptions_create)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    if (j_body == NULL) {
        api_reply_error(res, &err);
        return;
    }
    int bad = 0;
    struct subscription_request r = {
        .resource = text(j_body, "resource", &err, &bad),
        .change_type = text(j_body, "changeType", &err, &bad),
        .notification_url = text(j_body, "notificationUrl", &err, &bad),
        .lifecycle_url = text(j_body, "lifecycleNotificationUrl", &err, &bad),
        .client_state = text(j_body, "clientState", &err, &bad),
        .expiration = text(j_body, "expirationDateTime", &err, &bad),
    };
    static const char *const required[] = {"resource", "changeType", "notificationUrl",
                                           "expirationDateTime"};
    for (size_t i = 0; !bad && i < sizeof(required) / sizeof(required[0]); i++)
        if (json_object_get(j_body, required[i]) == NULL) {
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                          "The property '%s' is required.", required[i]);
            bad = 1;
        }
    /* What the route's column cannot say: reading the resource subscribed to is needed. */
    const char *needs = bad ? NULL : subscription_resource_permission(r.resource);
    if (needs != NULL && api_auth_require(req, needs, &err) != 0)
        bad = 1;
    struct db_subscription s;
    if (bad || subscriptions_create(app->cfg, app->pool, &r, &s, &err) != 0)
        api_reply_error(res, &err);
    else
        reply_entity(app, req, res, &s, 201);
    json_decref(j_body);
}

API_HANDLER(api_subscriptions_get)
{
    struct lic_error err;
    lic_error_clear(&err);
    char id[GUID_SIZE];
    struct db_subscription s;
    int rc = 0;
    if (guid_normalize(req->params.values[0], id) == 0) {
        struct db_conn *conn = db_acquire(app->pool, &err);
        rc = conn ? db_subscriptions_get(conn, id, &s, &err) : -1;
        db_release(app->pool, conn);
    }
    if (rc == 1) {
        reply_entity(app, req, res, &s, 200);
        return;
    }
    if (rc == 0)
        lic_error_set(&err, LIC_ERR_NOT_FOUND, "ResourceNotFound", "The object was not found.");
    api_reply_error(res, &err);
}

API_HANDLER(api_subscriptions_update)
{
    struct lic_error err;
    lic_error_clear(&err);
    json_t *j_body = api_parse_body(req, &err);
    int bad = 0;
    const char *expiration = j_body ? text(j_body, "expirationDateTime", &err, &bad) : NULL;
    const char *key;
    json_t *j_value;
    if (j_body != NULL && !bad)
        json_object_foreach(j_body, key, j_value) if (strcmp(key, "expirationDateTime") != 0)
        {
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                          "Only expirationDateTime can be updated; '%s' cannot.", key);
            bad = 1;
            break;
        }
    if (j_body != NULL && !bad && expiration == NULL) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                      "The property 'expirationDateTime' is required.");
        bad = 1;
    }
    struct db_subscription s;
    if (j_body == NULL || bad ||
        subscriptions_renew(app->pool, req->params.values[0], expiration, &s, &err) != 0)
        api_reply_error(res, &err);
    else
        reply_entity(app, req, res, &s, 200);
    json_decref(j_body);
}

API_HANDLER(api_subscriptions_delete)
{
    struct lic_error err;
    lic_error_clear(&err);
    if (subscriptions_delete(app->pool, req->params.values[0], &err) != 0)
        api_reply_error(res, &err);
    else
        api_reply_empty(res, 204);
}
