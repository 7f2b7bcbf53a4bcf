/* The admin console: api/console/ files compiled into the binary (tools/embed.c), served under
 * /admin/ with a strict Content-Security-Policy, and the sign-in settings as /admin/config.json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "api/handlers.h"

/* build/gen/console.c, from api/console/ (Makefile: CONSOLE_FILES). */
extern const struct db_migration api_console_files[];
extern const unsigned api_console_files_count;

static const struct {
    const char *suffix;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},      {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml; charset=utf-8"}, {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
        size_t k = strlen(content_types[i].suffix);
        if (n > k && strcmp(name + n - k, content_types[i].suffix) == 0)
            return content_types[i].type;
    }
    return NULL;
}

/* "https://login.example.com" from "https://login.example.com/tenant/v2.0"; "" when unset. */
static void issuer_origin(const char *issuer, char *out, size_t size)
{
    out[0] = '\0';
    const char *host = strstr(issuer, "://");
    if (issuer[0] == '\0' || host == NULL)
        return;
    size_t len = (size_t)(host + 3 - issuer) + strcspn(host + 3, "/");
    snprintf(out, size, " %.*s", (int)len, issuer);
}

/* Scripts and styles only from files of ours (no inline code); the API and the sign-in issuer are
 * the only places the page may connect to; the page may not be framed. */
static void security_headers(const struct api_app *app, struct api_response *res)
{
    char origin[300], csp[512];
    issuer_origin(app->cfg->console_oidc_issuer, origin, sizeof(origin));
    snprintf(csp, sizeof(csp),
             "default-src 'self'; connect-src 'self'%s; img-src 'self' data:; object-src 'none'; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
             origin);
    api_add_header(res, "Content-Security-Policy", csp);
    api_add_header(res, "X-Content-Type-Options", "nosniff");
    api_add_header(res, "Referrer-Policy", "no-referrer");
}

static void not_found(struct api_response *res, const char *name)
{
    struct lic_error err;
    lic_error_set(&err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                  "Resource not found for the segment '/admin/%.200s'.", name);
    api_reply_error(res, &err);
}

/* Answers one embedded file; "no-cache" with a content hash as ETag, so a browser revalidates
 * (the names carry no version) and an unchanged file costs a 304. */
static void serve_file(const struct api_app *app, const struct api_request *req,
                       struct api_response *res, const char *name)
{
    const char *text = NULL;
    for (unsigned i = 0; i < api_console_files_count; i++)
        if (strcmp(api_console_files[i].name, name) == 0)
            text = api_console_files[i].sql;
    const char *type = content_type(name);
    if (text == NULL || type == NULL) {
        not_found(res, name);
        return;
    }
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)hash);
    security_headers(app, res);
    api_add_header(res, "Cache-Control", "no-cache");
    api_add_header(res, "ETag", etag);
    const char *match = api_header(req, "If-None-Match");
    if (match != NULL && strstr(match, etag) != NULL) {
        api_reply_empty(res, 304);
        return;
    }
    char *body = strdup(text);
    if (body == NULL) {
        struct lic_error err;
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        api_reply_error(res, &err);
        return;
    }
    api_reply_text(res, 200, body);
    res->content_type = type;
}

API_HANDLER(api_console_index)
{
    /* "/admin" and "/admin/" reach the same route; relative links need the slash. */
    size_t n = strlen(req->path);
    if (n == 0 || req->path[n - 1] != '/') {
        api_add_header(res, "Location", "/admin/");
        api_reply_empty(res, 301);
        return;
    }
    serve_file(app, req, res, "index.html");
}

API_HANDLER(api_console_file)
{
    serve_file(app, req, res, req->params.values[0]);
}

API_HANDLER(api_console_config)
{
    (void)req;
    const struct config *cfg = app->cfg;
    json_t *j_oidc = json_null();
    if (cfg->console_oidc_issuer[0] != '\0')
        j_oidc = json_pack("{s:s, s:s, s:s}", "issuer", cfg->console_oidc_issuer, "clientId",
                           cfg->console_client_id, "scopes", cfg->console_oidc_scopes);
    security_headers(app, res);
    api_add_header(res, "Cache-Control", "no-store");
    api_reply_json(res, 200, json_pack("{s:o}", "oidc", j_oidc));
}
