/* IP addresses and CIDR ranges: inet_pton does the parsing, this file the prefix arithmetic. */
#include "service/base/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the IPv4 address it maps. */
static int parse_address(const char *text, int *v6, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) {
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof(mapped)) == 0) {
        memmove(out, out + 12, 4);
        memset(out + 4, 0, 12);
        *v6 = 0;
        return 0;
    }
    *v6 = 1;
    return 0;
}

int net_address_valid(const char *text)
{
    int v6;
    unsigned char a[16];
    return parse_address(text, &v6, a) == 0;
}

static int parse_range(const char *item, struct net_range *r)
{
    char text[64];
    size_t n = strlen(item);
    if (n >= sizeof(text))
        return -1;
    memcpy(text, item, n + 1);
    char *slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    if (parse_address(text, &r->v6, r->addr) != 0)
        return -1;
    unsigned max = r->v6 ? 128 : 32;
    r->prefix = max;
    if (slash != NULL) {
        char *end = NULL;
        const char *digits = slash + 1;
        if (digits[0] < '0' || digits[0] > '9')
            return -1;
        unsigned long p = strtoul(digits, &end, 10);
        if (*end != '\0' || p > max)
            return -1;
        r->prefix = (unsigned)p;
    }
    return 0;
}

int net_ranges_parse(const char *list, struct net_ranges *out, char *bad, size_t bad_size)
{
    out->count = 0;
    const char *p = list;
    while (*p) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        char item[128];
        snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1), p);
        if (n >= sizeof(item) || out->count >= NET_MAX_RANGES ||
            parse_range(item, &out->items[out->count]) != 0) {
            snprintf(bad, bad_size, "%s", item);
            return -1;
        }
        out->count++;
        p += n;
    }
    return 0;
}

static int in_range(const struct net_range *r, int v6, const unsigned char a[16])
{
    if (r->v6 != v6)
        return 0;
    unsigned full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr, a, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->addr[full] & mask) == (a[full] & mask);
}

int net_ranges_contain(const struct net_ranges *ranges, const char *address)
{
    int v6;
    unsigned char a[16];
    if (address == NULL || parse_address(address, &v6, a) != 0)
        return 0;
    for (int i = 0; i < ranges->count; i++)
        if (in_range(&ranges->items[i], v6, a))
            return 1;
    return 0;
}
