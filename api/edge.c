/* The edge rules: every byte a client controls before a handler sees it passes through here. */
#include "api/edge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "service/base/error.h"
#include "service/base/netaddr.h"
#include "service/base/text.h"

/* ---- percent-decoding ---- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long edge_percent_decode(const char *text, size_t len, int plus_is_space, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= len)
                return EDGE_DECODE_BAD_ESCAPE;
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0)
                return EDGE_DECODE_BAD_ESCAPE;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return EDGE_DECODE_NUL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            return EDGE_DECODE_NUL;
        }
        if (o + 1 >= size)
            return EDGE_DECODE_TOO_LONG;
        out[o++] = c;
    }
    if (size == 0)
        return EDGE_DECODE_TOO_LONG;
    out[o] = '\0';
    return (long)o;
}

/* ---- the query string ---- */

size_t edge_query_count(const char *raw)
{
    size_t n = 0;
    for (const char *p = raw; p != NULL && *p;) {
        size_t len = strcspn(p, "&");
        if (len > 0)
            n++;
        p += len;
        if (*p == '&')
            p++;
    }
    return n;
}

void edge_query_free(struct edge_query *q)
{
    free(q->storage);
    memset(q, 0, sizeof(*q));
}

static enum edge_query_result decode_error(long rc)
{
    return rc == EDGE_DECODE_NUL ? EDGE_QUERY_NUL : EDGE_QUERY_BAD_ESCAPE;
}

enum edge_query_result edge_query_parse(const char *raw, struct edge_query *q, char *bad,
                                        size_t bad_size)
{
    memset(q, 0, sizeof(*q));
    if (bad_size > 0)
        bad[0] = '\0';
    if (raw == NULL || raw[0] == '\0')
        return EDGE_QUERY_OK;
    if (edge_query_count(raw) > EDGE_MAX_QUERY_PARAMS)
        return EDGE_QUERY_TOO_MANY;
    /* Decoding never lengthens text: the raw length (plus a NUL per name and value) is enough. */
    size_t cap = strlen(raw) + 2 * EDGE_MAX_QUERY_PARAMS + 2;
    q->storage = malloc(cap);
    if (q->storage == NULL)
        return EDGE_QUERY_NO_MEMORY;
    size_t used = 0;
    enum edge_query_result rc = EDGE_QUERY_OK;
    for (const char *p = raw; *p && rc == EDGE_QUERY_OK;) {
        size_t len = strcspn(p, "&");
        const char *pair = p;
        p += len;
        if (*p == '&')
            p++;
        if (len == 0)
            continue;
        const char *eq = memchr(pair, '=', len);
        size_t name_len = eq ? (size_t)(eq - pair) : len;
        edge_log_text(pair, name_len, bad, bad_size);
        char *name = q->storage + used;
        long n = edge_percent_decode(pair, name_len, 1, name, cap - used);
        if (n < 0) {
            rc = decode_error(n);
            break;
        }
        used += (size_t)n + 1;
        char *value = NULL;
        if (eq != NULL) {
            value = q->storage + used;
            long v = edge_percent_decode(eq + 1, len - name_len - 1, 1, value, cap - used);
            if (v < 0) {
                rc = decode_error(v);
                break;
            }
            used += (size_t)v + 1;
        }
        if (!utf8_is_valid(name) || (value != NULL && !utf8_is_valid(value))) {
            rc = EDGE_QUERY_BAD_UTF8;
        } else if (edge_query_get(q, name) != NULL) {
            rc = EDGE_QUERY_DUPLICATE;
        } else {
            q->names[q->count] = name;
            q->values[q->count] = value;
            q->count++;
        }
    }
    if (rc != EDGE_QUERY_OK) {
        edge_query_free(q);
        return rc;
    }
    if (bad_size > 0)
        bad[0] = '\0';
    return EDGE_QUERY_OK;
}

const char *edge_query_get(const struct edge_query *q, const char *name)
{
    for (int i = 0; i < q->count; i++)
        if (strcasecmp(q->names[i], name) == 0)
            return q->values[i] ? q->values[i] : "";
    return NULL;
}

/* ---- CORS ---- */

static const char host_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";

int edge_host_valid(const char *host)
{
    size_t n = host ? strlen(host) : 0;
    return n > 0 && n <= 255 && strspn(host, host_chars) == n && host[0] != ':' && host[0] != '.' &&
           host[0] != '-';
}

/* The part after "scheme://" of an origin, or NULL when origin is not one. */
static const char *origin_host(const char *origin)
{
    const char *host = strncasecmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncasecmp(origin, "http://", 7) == 0 ? origin + 7
                                                                : NULL;
    return host != NULL && edge_host_valid(host) ? host : NULL;
}

/* Splits a comma- or space-separated list, calling add for each item; -1 when add refuses. */
static int each_item(const char *list, int (*add)(void *cls, const char *item), void *cls)
{
    for (const char *p = list; p != NULL && *p;) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        char item[256];
        if (n >= sizeof(item))
            return -1;
        memcpy(item, p, n);
        item[n] = '\0';
        if (add(cls, item) != 0)
            return -1;
        p += n;
    }
    return 0;
}

static int add_origin(void *cls, const char *item)
{
    struct edge_origins *o = cls;
    if (strcmp(item, "*") == 0) {
        o->any = 1;
        return 0;
    }
    if (origin_host(item) == NULL || o->count >= EDGE_MAX_ORIGINS ||
        strlen(item) >= sizeof(o->items[0]))
        return -1;
    snprintf(o->items[o->count++], sizeof(o->items[0]), "%s", item);
    return 0;
}

int edge_origins_parse(const char *list, struct edge_origins *out)
{
    memset(out, 0, sizeof(*out));
    return each_item(list, add_origin, out);
}

int edge_origin_allowed(const struct edge_origins *origins, const char *origin)
{
    if (origin == NULL || origin_host(origin) == NULL)
        return 0; /* includes "null" (sandboxed frames, file://) */
    if (origins->any)
        return 1;
    for (int i = 0; i < origins->count; i++)
        if (strcasecmp(origins->items[i], origin) == 0)
            return 1;
    return 0;
}

/* ---- Host and proxies ---- */

static int add_host(void *cls, const char *item)
{
    struct edge_hosts *h = cls;
    if (!edge_host_valid(item) || h->count >= EDGE_MAX_HOSTS)
        return -1;
    snprintf(h->items[h->count++], sizeof(h->items[0]), "%s", item);
    return 0;
}

int edge_hosts_parse(const char *list, struct edge_hosts *out)
{
    memset(out, 0, sizeof(*out));
    return each_item(list, add_host, out);
}

/* Length of the name part of a Host value ("[::1]:8080" -> 5, "a.example:443" -> 9). */
static size_t name_length(const char *host)
{
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        return close ? (size_t)(close - host) + 1 : strlen(host);
    }
    const char *colon = strchr(host, ':');
    return colon ? (size_t)(colon - host) : strlen(host);
}

int edge_host_allowed(const struct edge_hosts *hosts, const char *host)
{
    if (!edge_host_valid(host))
        return 0;
    for (int i = 0; i < hosts->count; i++) {
        const char *item = hosts->items[i];
        if (strcasecmp(item, host) == 0)
            return 1;
        size_t n = name_length(item);
        if (item[n] == '\0' && name_length(host) == n && strncasecmp(item, host, n) == 0)
            return 1; /* no port in the item: any port */
    }
    return 0;
}

/* The last comma-separated element of a header value, trimmed, into out. */
static void last_element(const char *value, char *out, size_t size)
{
    out[0] = '\0';
    if (value == NULL)
        return;
    const char *comma = strrchr(value, ',');
    const char *p = comma ? comma + 1 : value;
    p += strspn(p, " \t");
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n >= size)
        return;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]:443", "\"[::1]\"" -> the address, or "". */
static void client_address(const char *text, char *out, size_t size)
{
    char buf[80];
    size_t n = strlen(text);
    if (n >= sizeof(buf)) {
        out[0] = '\0';
        return;
    }
    memcpy(buf, text, n + 1);
    char *p = buf;
    if (p[0] == '"' && n >= 2 && p[n - 1] == '"') {
        p[n - 1] = '\0';
        p++;
    }
    if (p[0] == '[') {
        char *close = strchr(p, ']');
        if (close != NULL)
            *close = '\0';
        p++;
    } else if (strchr(p, ':') == strrchr(p, ':') && strchr(p, ':') != NULL) {
        *strchr(p, ':') = '\0'; /* IPv4 with a port */
    }
    if (net_address_valid(p) && strlen(p) < size)
        memcpy(out, p, strlen(p) + 1);
    else
        out[0] = '\0';
}

static void set_proto(struct edge_forward *out, const char *proto)
{
    if (strcasecmp(proto, "http") == 0 || strcasecmp(proto, "https") == 0) {
        snprintf(out->proto, sizeof(out->proto), "%s", proto);
        for (char *c = out->proto; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    }
}

static void set_host(struct edge_forward *out, const char *host)
{
    if (edge_host_valid(host)) /* at most 255 characters */
        memcpy(out->host, host, strlen(host) + 1);
}

/* One RFC 7239 element: "for=...;proto=https;host=a.example" (values may be quoted). */
static void forwarded_element(const char *element, struct edge_forward *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", element);
    for (char *save = NULL, *pair = strtok_r(buf, ";", &save); pair != NULL;
         pair = strtok_r(NULL, ";", &save)) {
        pair += strspn(pair, " \t");
        char *eq = strchr(pair, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char *value = eq + 1;
        size_t n = strlen(value);
        while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
            value[--n] = '\0';
        if (strcasecmp(pair, "for") == 0) {
            client_address(value, out->client, sizeof(out->client));
            continue;
        }
        if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
            value[n - 1] = '\0';
            value++;
        }
        if (strcasecmp(pair, "proto") == 0)
            set_proto(out, value);
        else if (strcasecmp(pair, "host") == 0)
            set_host(out, value);
    }
}

void edge_forward_parse(const char *forwarded, const char *x_proto, const char *x_host,
                        const char *x_for, struct edge_forward *out)
{
    memset(out, 0, sizeof(*out));
    char item[512];
    if (forwarded != NULL && forwarded[0] != '\0') {
        last_element(forwarded, item, sizeof(item));
        forwarded_element(item, out);
        return;
    }
    last_element(x_proto, item, sizeof(item));
    set_proto(out, item);
    last_element(x_host, item, sizeof(item));
    set_host(out, item);
    last_element(x_for, item, sizeof(item));
    client_address(item, out->client, sizeof(out->client));
}

/* ---- bodies and logs ---- */

json_t *edge_json_object(const char *body, size_t len, struct lic_error *err)
{
    if (len == 0) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "The request body is empty; a JSON object is expected.");
        return NULL;
    }
    json_error_t jerr;
    json_t *j_body = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j_body == NULL) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Unable to read JSON request payload: %s at line %d, column %d.", jerr.text,
                      jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(j_body)) {
        json_decref(j_body);
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Unable to read JSON request payload: a JSON object is expected.");
        return NULL;
    }
    return j_body;
}

int edge_media_is_json(const char *content_type)
{
    if (content_type == NULL)
        return 0;
    const char *p = content_type + strspn(content_type, " \t");
    static const char json[] = "application/json";
    if (strncasecmp(p, json, sizeof(json) - 1) != 0)
        return 0;
    p += sizeof(json) - 1;
    p += strspn(p, " \t");
    return *p == '\0' || *p == ';';
}

void edge_log_text(const char *text, size_t len, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    if (size == 0)
        return;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        size_t need = c >= 0x20 && c < 0x7f ? 1 : 3;
        if (o + need + 4 > size) {
            if (o + 4 <= size) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}
