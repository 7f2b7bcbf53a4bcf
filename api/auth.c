/* Bearer tokens on the way in: the Authorization header, the verifier (service/auth/token.c),
 * and the route table's permission column. */
#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int graph_path(const char *path)
{
    return strncasecmp(path, "/v1.0/", 6) == 0 || strcasecmp(path, "/v1.0") == 0;
}

int api_auth_required(const struct api_app *app, const struct route *route, const char *path)
{
    if (app->tokens == NULL)
        return 0; /* --insecure-no-auth */
    /* Fail closed: a Graph route someone added without a permission still needs a token. */
    return graph_path(path) || (route != NULL && route->needs != NULL);
}

int api_auth_authenticate(const struct api_app *app, const struct api_request *req,
                          struct auth_caller *caller, struct lic_error *err)
{
    const char *header = api_header(req, "Authorization");
    const char *token = NULL;
    if (header != NULL && strncasecmp(header, "Bearer ", 7) == 0) {
        token = header + 7;
        while (*token == ' ')
            token++;
    }
    if (token == NULL || token[0] == '\0')
        return lic_error_set(err, LIC_ERR_UNAUTHORIZED, "InvalidAuthenticationToken",
                             "Access token is empty.");
    return token_verify(app->tokens, token, time(NULL), caller, err);
}

static int denied(struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_FORBIDDEN, "Authorization_RequestDenied",
                         "Insufficient privileges to complete the operation.");
}

static int grants(const struct auth_caller *caller, const char *needs, struct lic_error *err)
{
    char bad[64];
    perm_set set = 0;
    /* The names are ours (route table, service code) and checked by tests; an unknown one
     * refuses everyone rather than no one. */
    if (needs == NULL || (permissions_parse_strict(needs, &set, bad, sizeof(bad)) == 0 &&
                          permissions_satisfy(caller->granted, set)))
        return 0;
    return denied(err);
}

int api_auth_authorize(const struct auth_caller *caller, const struct route *route,
                       struct lic_error *err)
{
    /* A Graph route without a permission is a mistake (tests/openapi_security.sh and the route
     * table's unit test catch it): nobody may call it rather than everybody. */
    if (route->needs == NULL && graph_path(route->pattern))
        return denied(err);
    return grants(caller, route->needs, err);
}

int api_auth_require(const struct api_request *req, const char *needs, struct lic_error *err)
{
    return req->caller == NULL ? 0 : grants(req->caller, needs, err);
}

void api_auth_challenge(const struct lic_error *err, int token_sent, char *out, size_t size)
{
    if (!token_sent)
        snprintf(out, size, "Bearer realm=\"licensingd\"");
    else
        snprintf(out, size,
                 "Bearer realm=\"licensingd\", error=\"invalid_token\", error_description=\"%s\"",
                 err->message);
}

const struct audit_actor *api_auth_actor(const struct auth_caller *caller, struct audit_actor *out)
{
    if (caller == NULL)
        return NULL;
    memset(out, 0, sizeof(*out));
    if (caller->delegated) {
        out->user_id = caller->user_id[0] ? caller->user_id : NULL;
        out->user_upn = caller->user_upn[0] ? caller->user_upn : NULL;
    } else {
        out->app_id = caller->app_id[0] ? caller->app_id : NULL;
        out->app_name = caller->app_name[0] ? caller->app_name : NULL;
    }
    return out;
}
