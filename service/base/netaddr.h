/* IP addresses and CIDR ranges (the trusted proxies): parsing and matching; pure. */
#ifndef LICENSINGD_BASE_NETADDR_H
#define LICENSINGD_BASE_NETADDR_H

#include <stddef.h>

#define NET_MAX_RANGES 32

struct net_range {
    int v6;                 /* 0: IPv4 (addr[0..3]), 1: IPv6 */
    unsigned char addr[16]; /* network byte order */
    unsigned prefix;        /* bits that must match */
};

struct net_ranges {
    int count;
    struct net_range items[NET_MAX_RANGES];
};

/* "10.0.0.0/8, 192.168.1.7, ::1, fd00::/8": comma- or space-separated addresses and ranges.
 * 0, or -1 with the offending item copied into bad. An empty list gives no ranges. */
int net_ranges_parse(const char *list, struct net_ranges *out, char *bad, size_t bad_size)
    __attribute__((warn_unused_result));

/* 1 when the textual address (IPv4, IPv6, or IPv4-mapped IPv6) lies in one of the ranges. */
int net_ranges_contain(const struct net_ranges *ranges, const char *address);

/* 1 when text is an IPv4 or IPv6 address (no port, no brackets). */
int net_address_valid(const char *text);

#endif
