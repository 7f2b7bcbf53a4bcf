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

/* Copies path into out (as large as path) with each run of '/' made one: Graph's clients build
 * "/v1.0//users" from a base URL ending in '/', and Graph answers it as "/v1.0/users". */
static void collapse_slashes(const char *path, char *out)
{
    size_t o = 0;
    for (size_t i = 0; path[i]; i++)
        if (path[i] != '/' || o == 0 || out[o - 1] != '/')
            out[o++] = path[i];
    out[o] = '\0';
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
    collapse_slashes(path, trimmed);
    len = strlen(trimmed);
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

/* 1 when the first k segments of pattern accept the first k segments of path (both start with
 * '/'; a {placeholder} accepts any non-empty segment). */
static int prefix_matches(const char *pattern, const char *path, int k)
{
    const char *p = pattern, *s = path;
    for (int i = 0; i < k; i++) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        int placeholder = plen > 2 && p[0] == '{' && p[plen - 1] == '}';
        if (slen == 0 || (!placeholder && (plen != slen || strncasecmp(p, s, plen) != 0)))
            return 0;
        p += plen;
        s += slen;
    }
    return 1;
}

void router_unknown_segment(const struct route *table, size_t count, const char *path, char *out,
                            size_t size)
{
    char clean[2048];
    out[0] = '\0';
    if (strlen(path) >= sizeof(clean) || path[0] != '/')
        return;
    collapse_slashes(path, clean);
    size_t len = strlen(clean);
    while (len > 1 && clean[len - 1] == '/')
        clean[--len] = '\0';
    const char *seg = clean;
    for (int k = 1; seg[0] == '/' && seg[1] != '\0'; k++) {
        int known = 0;
        for (size_t i = 0; i < count && !known; i++)
            known = prefix_matches(table[i].pattern, clean, k);
        size_t n = strcspn(seg + 1, "/");
        if (!known || seg[1 + n] == '\0') {
            snprintf(out, size, "%.*s", (int)n, seg + 1);
            return;
        }
        seg += 1 + n;
    }
}
