/* libFuzzer target: any bytes as a request target (path and query) and as proxy headers, through
 * the raw-path router, the percent-decoder and the query parser (api/router.c, api/edge.c). The
 * invariants: what a route captures is UTF-8 without NUL, an escaped "/" never creates a
 * segment, parsed query values are UTF-8, and nothing reads or writes out of bounds (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/edge.h"
#include "api/router.h"
#include "service/base/text.h"

static void h(const struct api_app *a, const struct api_request *r, struct api_response *s)
{
    (void)a, (void)r, (void)s;
}

static const struct route table[] = {
    {HTTP_GET, "/v1.0/users/$count", h},
    {HTTP_GET, "/v1.0/users/{id}", h},
    {HTTP_POST, "/v1.0/users/{id}/assignLicense", h},
    {HTTP_DELETE, "/v1.0/groups/{id}/members/{memberId}/$ref", h},
    {HTTP_GET, "/healthz", h},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *q = strchr(text, '?');
    if (q != NULL)
        *q++ = '\0';

    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    enum route_match m =
        router_match(table, sizeof(table) / sizeof(table[0]), HTTP_GET, text, &r, &p, &allowed);
    if (m == ROUTE_FOUND) {
        for (int i = 0; i < p.count; i++)
            if (!utf8_is_valid(p.values[i]) || p.values[i][0] == '\0')
                abort();
        /* The path has exactly as many raw separators as the pattern (trailing ones aside; a
         * run of '/' is one, as Graph reads "/v1.0//users"). */
        size_t raw = 0, pat = 0;
        size_t len = strlen(text);
        while (len > 1 && text[len - 1] == '/')
            len--;
        for (size_t i = 0; i < len; i++)
            raw += text[i] == '/' && (i == 0 || text[i - 1] != '/');
        for (const char *c = r->pattern; *c; c++)
            pat += *c == '/';
        if (raw != pat)
            abort();
    }

    struct edge_query query;
    char bad[128];
    if (edge_query_parse(q, &query, bad, sizeof(bad)) == EDGE_QUERY_OK) {
        if (query.count > EDGE_MAX_QUERY_PARAMS)
            abort();
        for (int i = 0; i < query.count; i++)
            if (!utf8_is_valid(query.names[i]) ||
                (query.values[i] != NULL && !utf8_is_valid(query.values[i])))
                abort();
    }
    edge_query_free(&query);

    struct edge_forward f;
    edge_forward_parse(text, q, text, q, &f);
    if ((f.host[0] && !edge_host_valid(f.host)) || strlen(f.proto) > 5)
        abort();
    char logged[256];
    edge_log_text(text, strlen(text), logged, sizeof(logged));
    for (const char *c = logged; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            abort();
    free(text);
    return 0;
}
