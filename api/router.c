/* Route matching by path segments; {name} segments capture, others compare case-insensitively. */
#include "api/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    unsigned bit;
    const char *name;
} methods[] = {{HTTP_GET, "GET"},        {HTTP_POST, "POST"},     {HTTP_PATCH, "PATCH"},
               {HTTP_PUT, "PUT"},        {HTTP_DELETE, "DELETE"}, {HTTP_HEAD, "HEAD"},
               {HTTP_OPTIONS, "OPTIONS"}};

unsigned router_method_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i].name, name) == 0)
            return methods[i].bit;
    return 0;
}

void router_allow_header(unsigned mask, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if ((mask & methods[i].bit) == 0)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", methods[i].name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

/* Compares one pattern against path; fills params on success. */
static int match_path(const char *pattern, const char *path, struct route_params *params)
{
    params->count = 0;
    const char *p = pattern, *s = path;
    while (*p == '/' && *s == '/') {
        p++;
        s++;
        size_t plen = strcspn(p, "/");
        size_t slen = strcspn(s, "/");
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || slen >= ROUTE_PARAM_MAX || params->count >= ROUTE_MAX_PARAMS)
                return 0;
            memcpy(params->values[params->count], s, slen);
            params->values[params->count][slen] = '\0';
            params->count++;
        } else if (plen != slen || strncasecmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && *s == '\0';
}

enum route_match router_match(const struct route *table, size_t count, unsigned method,
                              const char *path, const struct route **found,
                              struct route_params *params, unsigned *allowed)
{
    char trimmed[2048];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(trimmed) || path[0] != '/')
        return ROUTE_NO_PATH;
    memcpy(trimmed, path, len + 1);
    while (len > 1 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';

    unsigned want = method == HTTP_HEAD ? HTTP_GET : method;
    *allowed = 0;
    struct route_params scratch;
    for (size_t i = 0; i < count; i++) {
        if (!match_path(table[i].pattern, trimmed, &scratch))
            continue;
        *allowed |= table[i].method;
        if (table[i].method == want) {
            *found = &table[i];
            *params = scratch;
            return ROUTE_FOUND;
        }
    }
    if (*allowed & HTTP_GET)
        *allowed |= HTTP_HEAD;
    return *allowed ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
