/* OData query options common to every collection (reference §4). */
#include "api/odata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/edge.h"
#include "api/http.h"
#include "service/base/buf.h"

int odata_parse_top(const char *text, int max, int *top, struct lic_error *err)
{
    *top = ODATA_TOP_DEFAULT < max ? ODATA_TOP_DEFAULT : max;
    if (text == NULL)
        return 0;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || v < 1 || v > max)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                             "Invalid page size specified: '%.64s'. Must be between 1 and %d "
                             "inclusive.",
                             text, max);
    *top = (int)v;
    return 0;
}

int odata_parse_select(const char *text, const char *const *allowed, const char *type,
                       uint64_t *mask, struct lic_error *err)
{
    *mask = 0;
    if (text == NULL)
        return 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed > 0) {
            int found = -1;
            for (int i = 0; i < 64 && allowed[i] != NULL; i++) {
                if (strlen(allowed[i]) == trimmed && strncasecmp(allowed[i], p, trimmed) == 0) {
                    found = i;
                    break;
                }
            }
            if (found < 0)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                     "Could not find a property named '%.*s' on type '%s'.",
                                     (int)(trimmed > 128 ? 128 : trimmed), p, type);
            *mask |= (uint64_t)1 << found;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void odata_apply_select(json_t *j_entity, const char *const *allowed, uint64_t mask)
{
    if (mask == 0)
        return;
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(j_entity, tmp, key, value)
    {
        (void)value;
        if (strncmp(key, "@odata.", 7) == 0)
            continue;
        int keep = 0;
        for (int i = 0; i < 64 && allowed[i] != NULL; i++)
            if ((mask & ((uint64_t)1 << i)) && strcmp(allowed[i], key) == 0)
                keep = 1;
        if (!keep)
            json_object_del(j_entity, key);
    }
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Token format: base64url("lk1" 0x1f part 0x1f part ...). The prefix marks tokens we made. */
void odata_skiptoken_encode(const char *const *parts, int n, char *out, size_t size)
{
    char raw[ODATA_KEY_PARTS * (ODATA_KEY_PART_MAX + 1) + 8];
    size_t len = (size_t)snprintf(raw, sizeof(raw), "lk1");
    for (int i = 0; i < n && i < ODATA_KEY_PARTS; i++)
        len += (size_t)snprintf(raw + len, sizeof(raw) - len, "\x1f%.*s", ODATA_KEY_PART_MAX - 1,
                                parts[i]);
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < size; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

int odata_skiptoken_decode(const char *token, char parts[][ODATA_KEY_PART_MAX], int max,
                           struct lic_error *err)
{
    char raw[ODATA_KEY_PARTS * (ODATA_KEY_PART_MAX + 1) + 8];
    size_t len = 0, tlen = strlen(token);
    if (tlen == 0 || tlen % 4 == 1 || tlen > (sizeof(raw) - 1) / 3 * 4)
        goto bad;
    for (size_t i = 0; i < tlen; i += 4) {
        int v[4] = {0, 0, 0, 0}, k;
        for (k = 0; k < 4 && i + (size_t)k < tlen; k++)
            if ((v[k] = b64val(token[i + (size_t)k])) < 0)
                goto bad;
        unsigned w = ((unsigned)v[0] << 18) | ((unsigned)v[1] << 12) | ((unsigned)v[2] << 6) |
                     (unsigned)v[3];
        raw[len++] = (char)(w >> 16);
        if (k > 2)
            raw[len++] = (char)(w >> 8);
        if (k > 3)
            raw[len++] = (char)w;
    }
    raw[len] = '\0';
    if (strlen(raw) != len || strncmp(raw, "lk1", 3) != 0)
        goto bad;
    int n = 0;
    for (char *p = raw + 3; *p == '\x1f' && n < max;) {
        p++;
        size_t plen = strcspn(p, "\x1f");
        if (plen >= ODATA_KEY_PART_MAX)
            goto bad;
        memcpy(parts[n], p, plen);
        parts[n][plen] = '\0';
        n++;
        p += plen;
    }
    return n;
bad:
    lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                  "The $skiptoken is not valid; follow @odata.nextLink as returned.");
    return -1;
}

int odata_wants_count(const struct api_request *req)
{
    const char *count = api_query(req, "$count");
    const char *level = api_header(req, "ConsistencyLevel");
    return count != NULL && strcasecmp(count, "true") == 0 && level != NULL &&
           strcasecmp(level, "eventual") == 0;
}

void odata_context(const struct api_app *app, const struct api_request *req, const char *set,
                   int entity, char *out, size_t size)
{
    char base[300];
    api_base_url(app, req, base, sizeof(base));
    const char *select = api_query(req, "$select");
    int n = snprintf(out, size, "%s/v1.0/$metadata#%s", base, set);
    if (select != NULL && select[0] != '\0' && n > 0 && (size_t)n < size) {
        /* Only names that passed odata_parse_select reach here, so they are safe to echo. */
        n += snprintf(out + n, size - (size_t)n, "(%.400s)", select);
    }
    if (entity && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "/$entity");
}

struct link_builder {
    char *buf;
    size_t len, cap;
    int first;
};

static void append(struct link_builder *b, const char *s, size_t n)
{
    if (b->buf == NULL)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap * 2 + n + 1;
        char *grown = realloc(b->buf, cap);
        if (grown == NULL) {
            free(b->buf);
            b->buf = NULL;
            return;
        }
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void append_escaped(struct link_builder *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~$,:'()/@*", c)) {
            append(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            append(b, e, 3);
        }
    }
}

/* The request path as the client sent it: already percent-encoded, so '%' stays; anything a
 * link must not carry raw is escaped. */
static void append_path(struct link_builder *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *path; path++) {
        unsigned char c = (unsigned char)*path;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~$,:'()/@*%!;=+&", c)) {
            append(b, path, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            append(b, e, 3);
        }
    }
}

char *odata_next_link(const struct api_app *app, const struct api_request *req, const char *token)
{
    return odata_link_with(app, req, "$skiptoken", token);
}

char *odata_link_with(const struct api_app *app, const struct api_request *req, const char *name,
                      const char *token)
{
    struct link_builder b = {.buf = malloc(256), .len = 0, .cap = 256, .first = 1};
    if (b.buf == NULL)
        return NULL;
    b.buf[0] = '\0';
    char base[300];
    api_base_url(app, req, base, sizeof(base));
    append(&b, base, strlen(base));
    append_path(&b, req->path);
    for (int i = 0; req->query != NULL && i < req->query->count; i++) {
        if (strcasecmp(req->query->names[i], "$skiptoken") == 0 ||
            strcasecmp(req->query->names[i], "$deltatoken") == 0)
            continue;
        append(&b, b.first ? "?" : "&", 1);
        b.first = 0;
        append_escaped(&b, req->query->names[i]);
        if (req->query->values[i] != NULL) {
            append(&b, "=", 1);
            append_escaped(&b, req->query->values[i]);
        }
    }
    append(&b, b.first ? "?" : "&", 1);
    append(&b, name, strlen(name));
    append(&b, "=", 1);
    append_escaped(&b, token);
    return b.buf;
}

json_t *odata_collection(const char *context, json_t *j_items, long count, const char *next_link)
{
    json_t *j = json_pack("{s:s}", "@odata.context", context);
    if (count >= 0)
        json_object_set_new(j, "@odata.count", json_integer(count));
    json_object_set_new(j, "value", j_items);
    if (next_link != NULL)
        json_object_set_new(j, "@odata.nextLink", json_string(next_link));
    return j;
}

/* A page's @odata.context into context, and its @odata.nextLink (owned; NULL on the last page). */
static char *page_links(const struct api_app *app, const struct api_request *req, const char *set,
                        const char *const *key, int nkey, char *context, size_t size)
{
    char *next = NULL;
    if (key != NULL) {
        char token[ODATA_KEY_PARTS * ODATA_KEY_PART_MAX * 2];
        odata_skiptoken_encode(key, nkey, token, sizeof(token));
        next = odata_next_link(app, req, token);
    }
    odata_context(app, req, set, 0, context, size);
    return next;
}

void odata_reply_page(const struct api_app *app, const struct api_request *req,
                      struct api_response *res, const char *set, json_t *j_items, long count,
                      const char *const *key, int nkey)
{
    char context[1024];
    char *next = page_links(app, req, set, key, nkey, context, sizeof(context));
    api_reply_json(res, 200, odata_collection(context, j_items, count, next));
    free(next);
}

/* s as a JSON string literal (jansson escapes it and checks its UTF-8; "" if it is not UTF-8). */
static void add_json_string(struct buf *b, const char *s)
{
    json_t *j = json_string(s);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    buf_add(b, text ? text : "\"\"");
    free(text);
    json_decref(j);
}

void odata_reply_page_texts(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, const char *const *items,
                            int n, long count, const char *const *key, int nkey)
{
    char context[1024];
    char *next = page_links(app, req, set, key, nkey, context, sizeof(context));
    struct buf b = {0};
    size_t size = 256;
    for (int i = 0; i < n; i++)
        size += strlen(items[i]) + 1;
    (void)buf_reserve(&b, size);
    buf_add(&b, "{\"@odata.context\":");
    add_json_string(&b, context);
    if (count >= 0)
        buf_addf(&b, ",\"@odata.count\":%ld", count);
    buf_add(&b, ",\"value\":[");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            buf_add(&b, ",");
        buf_add(&b, items[i]);
    }
    buf_add(&b, "]");
    if (next != NULL) {
        buf_add(&b, ",\"@odata.nextLink\":");
        add_json_string(&b, next);
    }
    buf_add(&b, "}");
    free(next);
    api_reply_json_text(res, 200, buf_take(&b));
}

void odata_reply_entity_text(const struct api_app *app, const struct api_request *req,
                             struct api_response *res, unsigned status, const char *set,
                             const char *object)
{
    char context[1024];
    odata_context(app, req, set, 1, context, sizeof(context));
    struct buf b = {0};
    (void)buf_reserve(&b, strlen(object) + strlen(context) + 32);
    buf_add(&b, "{\"@odata.context\":");
    add_json_string(&b, context);
    /* The object's own members follow the context: "{" and any space before them skipped. */
    const char *members = object + strspn(object, "{ \t\r\n");
    buf_add(&b, members[0] == '}' ? "" : ",");
    buf_add(&b, members);
    api_reply_json_text(res, status, buf_take(&b));
}
