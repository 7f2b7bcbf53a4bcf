/* POST /v1.0/$batch: Graph's JSON batching. Up to 20 requests, each routed and answered
 * in-process exactly as if it had been sent alone (the same route table and handlers, the
 * batch's credentials), in dependsOn order; a request whose dependency failed is 424. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/auth/token.h"
#include "service/base/buf.h"
#include "api/edge.h"
#include "api/handlers.h"

#define BATCH_MAX 20       /* Graph's limit */
#define BATCH_PAIRS_MAX 64 /* query options or headers of one request */
#define BATCH_URL_MAX 2048

/* One request of the batch, decoded. */
struct step {
    const char *id;
    unsigned method;
    const char *method_name;
    char *path;              /* owned: "/v1.0/...", percent-encoded as sent */
    struct edge_query query; /* owned: edge_query_free */
    const char *hnames[BATCH_PAIRS_MAX], *hvalues[BATCH_PAIRS_MAX];
    struct api_pairs h;
    char *body;                /* owned: the body as JSON text, or NULL */
    struct auth_caller caller; /* from the token, once admitted */
    json_t *j_depends;
    int done;
    unsigned status;
};

static int invalid(struct lic_error *err, const char *why)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest", "Invalid batch payload: %s", why);
}

/* url: relative to the version ("/users?$top=1", "users/x"); "/v1.0/..." is taken too (the
 * official JavaScript client sends it so). The path stays as sent, percent-encoded, for the
 * router to split and decode; the query is parsed as a request's own. */
static int parse_url(struct step *s, const char *url, struct lic_error *err)
{
    if (strlen(url) >= BATCH_URL_MAX || strncasecmp(url, "http:", 5) == 0 ||
        strncasecmp(url, "https:", 6) == 0)
        return invalid(err, "'url' must be relative to the version, e.g. '/users'.");
    while (*url == '/')
        url++;
    if (strncasecmp(url, "v1.0/", 5) == 0)
        url += 5;
    size_t plen = strcspn(url, "?");
    s->path = malloc(plen + 8);
    if (s->path == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    snprintf(s->path, plen + 8, "/v1.0/%.*s", (int)plen, url);
    char bad[128];
    enum edge_query_result qr =
        edge_query_parse(url[plen] == '?' ? url + plen + 1 : NULL, &s->query, bad, sizeof(bad));
    if (qr == EDGE_QUERY_DUPLICATE)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                             "Query option '%s' is specified more than once.", bad);
    if (qr != EDGE_QUERY_OK)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                             "Invalid batch payload: query option '%s' of request id '%.64s' "
                             "cannot be read.",
                             bad, s->id);
    return 0;
}

static int parse_step(json_t *j_req, struct step *s, struct lic_error *err)
{
    const char *url = json_string_value(json_object_get(j_req, "url"));
    s->id = json_string_value(json_object_get(j_req, "id"));
    s->method_name = json_string_value(json_object_get(j_req, "method"));
    if (!json_is_object(j_req) || s->id == NULL || s->id[0] == '\0' || s->method_name == NULL ||
        url == NULL)
        return invalid(err, "each request needs a string 'id', 'method' and 'url'.");
    char upper[16];
    size_t n = strlen(s->method_name);
    for (size_t i = 0; i < n && i < sizeof(upper) - 1; i++)
        upper[i] = (char)(s->method_name[i] & ~32);
    upper[n < sizeof(upper) ? n : sizeof(upper) - 1] = '\0';
    s->method = router_method_from_name(upper);
    if (s->method == 0 || s->method == HTTP_OPTIONS || s->method == HTTP_HEAD)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                             "Invalid method '%.16s' for request id '%.64s'.", s->method_name,
                             s->id);
    if (parse_url(s, url, err) != 0)
        return -1;
    json_t *j_headers = json_object_get(j_req, "headers");
    if (j_headers != NULL && !json_is_object(j_headers))
        return invalid(err, "'headers' must be an object of strings.");
    s->h = (struct api_pairs){.n = 0, .names = s->hnames, .values = s->hvalues};
    const char *name;
    json_t *j_value;
    json_object_foreach(j_headers, name, j_value)
    {
        if (!json_is_string(j_value) || s->h.n >= BATCH_PAIRS_MAX)
            return invalid(err, "'headers' must be an object of strings.");
        s->hnames[s->h.n] = name;
        s->hvalues[s->h.n++] = json_string_value(j_value);
    }
    json_t *j_body = json_object_get(j_req, "body");
    if (j_body != NULL && !json_is_null(j_body)) {
        int typed = 0;
        for (int i = 0; i < s->h.n; i++)
            typed |= strcasecmp(s->hnames[i], "Content-Type") == 0;
        if (!typed) /* Graph's words */
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                                 "Write request id : %.64s does not contain Content-Type header "
                                 "or body.",
                                 s->id);
        s->body = json_dumps(j_body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s->body == NULL)
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    s->j_depends = json_object_get(j_req, "dependsOn");
    if (s->j_depends != NULL && !json_is_array(s->j_depends))
        return invalid(err, "'dependsOn' must be a list of request ids.");
    return 0;
}

static int index_of(const struct step *steps, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(steps[i].id, id) == 0)
            return i;
    return -1;
}

/* Every dependsOn names another request of the batch, and the dependencies have no cycle. */
static int check_depends(const struct step *steps, int n, struct lic_error *err)
{
    for (int i = 0; i < n; i++) {
        if (index_of(steps, i, steps[i].id) >= 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                                 "Batch request id '%.64s' is used more than once.", steps[i].id);
        size_t k;
        json_t *j_dep;
        json_array_foreach(steps[i].j_depends, k, j_dep)
        {
            const char *dep = json_string_value(j_dep);
            int at = dep ? index_of(steps, n, dep) : -1;
            if (at < 0 || at == i)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                                     "Request id '%.64s' depends on '%.64s', which is not "
                                     "another request of the batch.",
                                     steps[i].id, dep ? dep : "(not a string)");
        }
    }
    return 0;
}

/* The next request to run: the first not run whose dependencies have all run; -1 when none
 * (all done, or a cycle). */
static int next_step(const struct step *steps, int n)
{
    for (int i = 0; i < n; i++) {
        if (steps[i].done)
            continue;
        int ready = 1;
        size_t k;
        json_t *j_dep;
        json_array_foreach(steps[i].j_depends, k, j_dep)
        {
            ready = ready && steps[index_of(steps, n, json_string_value(j_dep))].done;
        }
        if (ready)
            return i;
    }
    return -1;
}

/* A dependency that did not succeed, or NULL. */
static const char *failed_dependency(const struct step *steps, int n, const struct step *s)
{
    size_t k;
    json_t *j_dep;
    json_array_foreach(s->j_depends, k, j_dep)
    {
        const struct step *d = &steps[index_of(steps, n, json_string_value(j_dep))];
        if (d->status >= 400)
            return d->id;
    }
    return NULL;
}

static json_t *base64(const char *text)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    struct buf b = {0};
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char)text[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)text[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)text[i + 2];
        char out[5] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < len ? b64[v >> 6 & 63] : '=',
                       i + 2 < len ? b64[v & 63] : '=', '\0'};
        buf_add(&b, out);
    }
    char *s = buf_take(&b);
    json_t *j = json_string(s ? s : "");
    free(s);
    return j;
}

/* What decides a request before its handler, as for a request sent alone: its dependencies, the
 * route, the client's token bucket and the media type. 0 to run it (*route set); else the status
 * with the refusal answered in *res. */
static unsigned admit_step(struct step *s, const struct step *steps, int n, struct api_request *req,
                           const struct route **route, char retry_after[16],
                           struct api_response *res)
{
    struct lic_error err;
    lic_error_clear(&err);
    unsigned status = 0, allowed = 0;
    const char *dep = failed_dependency(steps, n, s);
    if (dep != NULL) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "FailedDependency",
                      "Request id '%.64s' depends on request '%.64s', which failed.", s->id, dep);
        status = 424;
    } else {
        enum route_match m = router_match(api_routes, api_routes_count, s->method, s->path, route,
                                          &req->params, &allowed);
        if (m == ROUTE_FOUND && (*route)->handler == api_batch)
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "BadRequest",
                          "A batch cannot hold another batch.");
        else if (m == ROUTE_NO_PATH)
            api_unknown_path_error(s->path, &err);
        else if (m == ROUTE_BAD_PATH)
            lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                          "The request path holds a malformed escape or a NUL byte (%%00).");
        else if (m == ROUTE_NO_METHOD)
            lic_error_set(&err, LIC_ERR_METHOD, "Request_BadRequest",
                          "The HTTP method '%s' is not allowed for the requested resource.",
                          s->method_name);
        else
            status = api_admit_inner(req, *route, &s->caller, &err, retry_after, 16);
    }
    if (err.kind == LIC_OK)
        return 0;
    api_exchange(NULL, req, NULL, &err, res);
    return status ? status : res->status;
}

/* Runs one request as if alone and returns its entry of "responses". */
static json_t *run_step(const struct api_app *app, const struct api_request *outer, struct step *s,
                        const struct step *steps, int n)
{
    struct api_request req = {.method = s->method,
                              .method_name = s->method_name,
                              .path = s->path,
                              .body = s->body ? s->body : "",
                              .body_len = s->body ? strlen(s->body) : 0,
                              .request_id = outer->request_id,
                              .client_request_id = outer->client_request_id,
                              .connection = outer->connection,
                              .query = &s->query,
                              .base_url = outer->base_url,
                              .client_address = outer->client_address,
                              .inner_headers = &s->h,
                              .server = outer->server};
    struct api_response res;
    const struct route *route = NULL;
    char retry_after[16] = "";
    unsigned status = admit_step(s, steps, n, &req, &route, retry_after, &res);
    if (status == 0)
        api_exchange(app, &req, route, NULL, &res);
    else
        res.status = status; /* the refusal's own status (424, 429, 415) */
    if (retry_after[0] != '\0')
        api_add_header(&res, "Retry-After", retry_after);
    s->status = res.status;
    json_t *j_headers = json_object();
    const char *type = res.content_type ? res.content_type : "application/json";
    if (res.j_body != NULL || res.text != NULL)
        json_object_set_new(j_headers, "Content-Type", json_string(type));
    for (int i = 0; i < res.header_count; i++)
        json_object_set_new(j_headers, res.header_names[i], json_string(res.header_values[i]));
    json_t *j =
        json_pack("{s:s, s:i, s:o}", "id", s->id, "status", (int)res.status, "headers", j_headers);
    /* JSON serialized already (api_reply_json_text) goes back in as JSON. */
    json_t *j_text = res.j_body == NULL && res.text != NULL && res.content_type != NULL &&
                             strncmp(res.content_type, "application/json", 16) == 0
                         ? json_loads(res.text, JSON_DECODE_ANY, NULL)
                         : NULL;
    if (res.j_body != NULL)
        json_object_set_new(j, "body", res.j_body); /* steals */
    else if (j_text != NULL)
        json_object_set_new(j, "body", j_text);
    else if (res.text != NULL) /* not JSON: base64, as Graph sends it */
        json_object_set_new(j, "body", base64(res.text));
    free(res.text);
    return j;
}

static void steps_free(struct step *steps, int n)
{
    for (int i = 0; i < n; i++) {
        free(steps[i].path);
        edge_query_free(&steps[i].query);
        free(steps[i].body);
    }
    free(steps);
}

API_HANDLER(api_batch)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct step *steps = NULL;
    int n = 0;
    json_t *j_body = api_parse_body(req, &err);
    json_t *j_requests = json_object_get(j_body, "requests");
    if (j_body == NULL)
        goto fail;
    if (!json_is_array(j_requests) || json_array_size(j_requests) == 0) {
        invalid(&err, "'requests' must be a list of 1 to 20 requests.");
        goto fail;
    }
    if (json_array_size(j_requests) > BATCH_MAX) { /* Graph's words */
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Number of requests inside batch exceeds the limit.");
        goto fail;
    }
    n = (int)json_array_size(j_requests);
    if ((steps = calloc((size_t)n, sizeof(*steps))) == NULL) {
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (parse_step(json_array_get(j_requests, (size_t)i), &steps[i], &err) != 0)
            goto fail;
    if (check_depends(steps, n, &err) != 0)
        goto fail;
    /* The order first, so that a cycle refuses the batch before any request runs. */
    int order[BATCH_MAX], ordered = 0;
    for (int i; (i = next_step(steps, n)) >= 0; steps[i].done = 1)
        order[ordered++] = i;
    if (ordered < n) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "The dependsOn of the batch's requests form a cycle.");
        goto fail;
    }
    json_t *j_responses = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(j_responses, run_step(app, req, &steps[order[k]], steps, n));
    api_reply_json(res, 200, json_pack("{s:o}", "responses", j_responses));
    goto done;
fail:
    api_reply_error(res, &err);
done:
    steps_free(steps, n);
    json_decref(j_body);
}
