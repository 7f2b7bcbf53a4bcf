/* Route matching on the raw path: split at "/", decode each segment alone; {name} segments
 * capture, others compare case-insensitively. */
#include "api/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/edge.h"
#include "service/base/text.h"

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

/* The path split at '/' and each segment percent-decoded on its own, so an escaped "/" (%2F)
 * stays inside its segment and can never create or skip one. */
struct segments {
    int count;
    int too_long[ROUTE_MAX_SEGMENTS]; /* longer than a parameter can hold: matches nothing */
    char text[ROUTE_MAX_SEGMENTS][ROUTE_PARAM_MAX];
};

/* ROUTE_FOUND when split, ROUTE_BAD_PATH for a malformed escape or %00, ROUTE_NO_PATH for
 * anything no route can match (too many segments, invalid UTF-8). */
static enum route_match split_path(const char *path, struct segments *segs)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/')
        return ROUTE_NO_PATH;
    while (len > 1 && path[len - 1] == '/')
        len--; /* trailing slashes are ignored */
    /* A malformed escape or %00 anywhere is the client's error, whatever else is wrong. */
    char *whole = malloc(len + 1);
    long checked = whole ? edge_percent_decode(path, len, 0, whole, len + 1) : 0;
    free(whole);
    if (checked < 0)
        return ROUTE_BAD_PATH;
    segs->count = 0;
    if (len == 1)
        return ROUTE_FOUND; /* "/" alone: no segments */
    for (size_t i = 1; i <= len;) {
        size_t n = 0;
        while (i + n < len && path[i + n] != '/')
            n++;
        if (n == 0 && i < len) { /* "//": Graph's clients build "/v1.0//users"; one separator */
            i++;
            continue;
        }
        if (segs->count >= ROUTE_MAX_SEGMENTS)
            return ROUTE_NO_PATH;
        int k = segs->count++;
        char *decoded = malloc(n + 1);
        if (decoded == NULL)
            return ROUTE_NO_PATH;
        long rc = edge_percent_decode(path + i, n, 0, decoded, n + 1);
        int ok = rc >= 0 && utf8_is_valid(decoded);
        segs->too_long[k] = rc >= ROUTE_PARAM_MAX;
        if (ok && !segs->too_long[k])
            memcpy(segs->text[k], decoded, (size_t)rc + 1);
        else
            segs->text[k][0] = '\0';
        free(decoded);
        if (!ok)
            return ROUTE_NO_PATH;
        i += n + 1;
    }
    return ROUTE_FOUND;
}

/* Compares one pattern against the decoded segments; fills params on success. */
static int match_path(const char *pattern, const struct segments *segs, struct route_params *params)
{
    params->count = 0;
    const char *p = pattern;
    int k = 0;
    while (*p == '/') {
        p++;
        size_t plen = strcspn(p, "/");
        if (k >= segs->count || segs->too_long[k])
            return 0;
        const char *s = segs->text[k];
        size_t slen = strlen(s);
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || params->count >= ROUTE_MAX_PARAMS)
                return 0;
            memcpy(params->values[params->count], s, slen + 1);
            params->count++;
        } else if (plen != slen || strncasecmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        k++;
    }
    return *p == '\0' && k == segs->count;
}

enum route_match router_match(const struct route *table, size_t count, unsigned method,
                              const char *path, const struct route **found,
                              struct route_params *params, unsigned *allowed)
{
    *allowed = 0;
    struct segments *segs = malloc(sizeof(*segs));
    if (segs == NULL)
        return ROUTE_NO_PATH;
    enum route_match m = split_path(path, segs);
    if (m != ROUTE_FOUND) {
        free(segs);
        return m;
    }
    unsigned want = method == HTTP_HEAD ? HTTP_GET : method;
    struct route_params scratch;
    for (size_t i = 0; i < count; i++) {
        if (!match_path(table[i].pattern, segs, &scratch))
            continue;
        *allowed |= table[i].method;
        if (table[i].method == want) {
            *found = &table[i];
            *params = scratch;
            free(segs);
            return ROUTE_FOUND;
        }
    }
    free(segs);
    if (*allowed & HTTP_GET)
        *allowed |= HTTP_HEAD;
    return *allowed ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}

/* 1 when the first k segments of pattern accept segs' first k (a {placeholder} accepts any
 * non-empty segment). */
static int prefix_matches(const char *pattern, const struct segments *segs, int k)
{
    const char *p = pattern;
    for (int i = 0; i < k; i++) {
        if (*p != '/' || segs->too_long[i])
            return 0;
        p++;
        size_t plen = strcspn(p, "/"), slen = strlen(segs->text[i]);
        int placeholder = plen > 2 && p[0] == '{' && p[plen - 1] == '}';
        if (slen == 0 ||
            (!placeholder && (plen != slen || strncasecmp(p, segs->text[i], plen) != 0)))
            return 0;
        p += plen;
    }
    return 1;
}

void router_unknown_segment(const struct route *table, size_t count, const char *path, char *out,
                            size_t size)
{
    out[0] = '\0';
    struct segments *segs = malloc(sizeof(*segs));
    if (segs == NULL || split_path(path, segs) != ROUTE_FOUND) {
        free(segs);
        return;
    }
    for (int k = 1; k <= segs->count; k++) {
        int known = 0;
        for (size_t i = 0; i < count && !known; i++)
            known = prefix_matches(table[i].pattern, segs, k);
        if (!known || k == segs->count) {
            snprintf(out, size, "%s", segs->text[k - 1]);
            break;
        }
    }
    free(segs);
}
