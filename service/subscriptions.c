/* Subscriptions: the checks Graph makes, the validation handshake, storage (see subscriptions.h).
 */
#include "service/subscriptions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "service/base/guid.h"
#include "service/base/http_client.h"

#define HANDSHAKE_TIMEOUT_MS 10000

static const struct {
    const char *resource, *kinds, *permission;
} resources[] = {
    {"users", "user", "User.Read.All"},
    {"groups", "group,member", "Group.Read.All"},
    {"subscribedSkus", "subscribedSku", "Organization.Read.All"},
};

/* "users", "/users", "groups/{id}/members" ...: the table index, or 3 for a group's members (the
 * group id copied into group_id), or -1. */
static int classify(const char *resource, char group_id[GUID_SIZE])
{
    if (resource == NULL)
        return -1;
    if (resource[0] == '/')
        resource++;
    for (int i = 0; i < 3; i++)
        if (strcasecmp(resource, resources[i].resource) == 0)
            return i;
    char id[64], tail[16];
    if (strncasecmp(resource, "groups/", 7) == 0 &&
        sscanf(resource + 7, "%63[^/]/%15s", id, tail) == 2 && strcasecmp(tail, "members") == 0 &&
        guid_normalize(id, group_id) == 0)
        return 3;
    return -1;
}

const char *subscription_resource_permission(const char *resource)
{
    char gid[GUID_SIZE];
    int k = classify(resource, gid);
    return k < 0 ? NULL : k == 3 ? "GroupMember.Read.All" : resources[k].permission;
}

long long subscription_parse_time(const char *text)
{
    int y, mo, d, h, mi, s, used = 0;
    if (text == NULL ||
        sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
        used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    const char *p = text + used;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 9) {
            p++;
            digits++;
        }
        if (digits == 0)
            return -1;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 14 || om > 59)
            return -1;
        offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    time_t t = timegm(&tm);
    return (long long)t - offset;
}

static int is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
           strcasecmp(host, "localhost") == 0;
}

int subscription_url_allowed(const struct config *cfg, const char *url, const char *property,
                             struct lic_error *err)
{
    char scheme[8], host[256];
    unsigned port = 0;
    if (url == NULL || strlen(url) >= SUB_URL_MAX ||
        http_client_parse_url(url, scheme, sizeof(scheme), host, sizeof(host), &port) != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid %s: an absolute https URL is required.", property);
    if (strcmp(scheme, "https") != 0 && !(cfg->notify_allow_http_loopback && is_loopback(host)))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid %s: the URL must use https.", property);
    /* Never to this service: the address it listens on, or its public URL. */
    int ours = port == cfg->port &&
               (is_loopback(host) || strcmp(host, cfg->listen_addr) == 0 ||
                strcmp(cfg->listen_addr, "0.0.0.0") == 0 || strcmp(cfg->listen_addr, "::") == 0);
    char pscheme[8], phost[256];
    unsigned pport = 0;
    if (cfg->public_url[0] &&
        http_client_parse_url(cfg->public_url, pscheme, sizeof(pscheme), phost, sizeof(phost),
                              &pport) == 0 &&
        strcasecmp(phost, host) == 0 && pport == port)
        ours = 1;
    if (ours)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid %s: notifications cannot be sent to this service.", property);
    return 0;
}

static int change_types_valid(const char *list)
{
    if (list == NULL || list[0] == '\0' || strlen(list) > 32)
        return 0;
    int seen = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        int bit = n == 7 && strncmp(p, "created", 7) == 0   ? 1
                  : n == 7 && strncmp(p, "updated", 7) == 0 ? 2
                  : n == 7 && strncmp(p, "deleted", 7) == 0 ? 4
                                                            : 0;
        if (bit == 0 || (seen & bit))
            return 0;
        seen |= bit;
        p += n;
        if (*p == ',' && *++p == '\0')
            return 0;
    }
    return 1;
}

/* Graph's handshake: POST url?validationToken=T (text/plain); the endpoint must answer 200 with T
 * as its body within 10 seconds. */
static int handshake(const char *url, struct lic_error *err)
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "no randomness for the handshake");
    char token[64];
    snprintf(token, sizeof(token), "Validation-");
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(token + strlen(token), 3, "%02x", raw[i]);
    size_t len = strlen(url) + strlen(token) + 32;
    char *target = malloc(len);
    if (target == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    snprintf(target, len, "%s%svalidationToken=%s", url, strchr(url, '?') ? "&" : "?", token);
    struct http_result res;
    int rc = http_client_post(target, "text/plain; charset=utf-8", "", HANDSHAKE_TIMEOUT_MS, &res);
    free(target);
    int ok = rc == 0 && res.status == 200 && res.body != NULL && strcmp(res.body, token) == 0;
    free(res.body);
    if (!ok)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Subscription validation request failed. Notification endpoint "
                             "must respond with 200 OK to validation request.");
    return 0;
}

static int check_expiration(const char *text, struct lic_error *err)
{
    long long t = subscription_parse_time(text);
    long long now = (long long)time(NULL);
    if (t < 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid expirationDateTime: an ISO 8601 date and time is required.");
    if (t <= now)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Subscription expiration must be in the future.");
    if (t > now + SUBSCRIPTION_MAX_MINUTES * 60LL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Subscription expiration can only be %d minutes in the future.",
                             SUBSCRIPTION_MAX_MINUTES);
    return 0;
}

int subscriptions_create(const struct config *cfg, struct db_pool *pool,
                         const struct subscription_request *req, struct db_subscription *out,
                         struct lic_error *err)
{
    memset(out, 0, sizeof(*out));
    int kind = classify(req->resource, out->group_id);
    if (kind < 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid resource '%s': licensingd notifies about users, groups, "
                             "groups/{id}/members and subscribedSkus.",
                             req->resource ? req->resource : "");
    if (!change_types_valid(req->change_type))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid changeType: a comma-separated list of created, updated and "
                             "deleted is required.");
    if (req->client_state != NULL && strlen(req->client_state) > 128)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "InvalidRequest",
                             "Invalid clientState: at most 128 characters.");
    if (subscription_url_allowed(cfg, req->notification_url, "notificationUrl", err) != 0 ||
        (req->lifecycle_url != NULL &&
         subscription_url_allowed(cfg, req->lifecycle_url, "lifecycleNotificationUrl", err) != 0) ||
        check_expiration(req->expiration, err) != 0)
        return -1;

    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = -1;
    long count = db_subscriptions_count(conn, err);
    if (count < 0)
        goto out;
    if (count >= SUBSCRIPTIONS_MAX) {
        lic_error_set(err, LIC_ERR_FORBIDDEN, "ExtensionError",
                      "Operation: Create; Exception: [Status Code: Forbidden; Reason: "
                      "Subscription limit of %d reached]",
                      SUBSCRIPTIONS_MAX);
        goto out;
    }
    /* Changes from the moment the subscription is valid on; none before. */
    if (db_changes_now(conn, &out->cursor, err) != 0)
        goto out;
    db_release(pool, conn);
    conn = NULL; /* no connection held across the (up to 10 s) handshakes */
    if (handshake(req->notification_url, err) != 0 ||
        (req->lifecycle_url && handshake(req->lifecycle_url, err) != 0))
        return -1;

    const char *r = req->resource[0] == '/' ? req->resource + 1 : req->resource;
    snprintf(out->resource, sizeof(out->resource), "%s", r);
    snprintf(out->kinds, sizeof(out->kinds), "%s", kind == 3 ? "member" : resources[kind].kinds);
    snprintf(out->change_type, sizeof(out->change_type), "%s", req->change_type);
    snprintf(out->notification_url, sizeof(out->notification_url), "%s", req->notification_url);
    snprintf(out->lifecycle_url, sizeof(out->lifecycle_url), "%s",
             req->lifecycle_url ? req->lifecycle_url : "");
    out->has_client_state = req->client_state != NULL;
    snprintf(out->client_state, sizeof(out->client_state), "%s",
             req->client_state ? req->client_state : "");
    snprintf(out->expiration, sizeof(out->expiration), "%s", req->expiration);
    snprintf(out->application_id, sizeof(out->application_id), "%s",
             req->application_id ? req->application_id : "");
    snprintf(out->creator_id, sizeof(out->creator_id), "%s",
             req->creator_id ? req->creator_id : "");
    if ((conn = db_acquire(pool, err)) == NULL || db_subscriptions_insert(conn, out, err) != 0 ||
        db_subscriptions_get(conn, out->id, out, err) != 1)
        goto out;
    rc = 0;
out:
    db_release(pool, conn);
    return rc;
}

int subscriptions_renew(struct db_pool *pool, const char *id, const char *expiration,
                        struct db_subscription *out, struct lic_error *err)
{
    char gid[GUID_SIZE];
    if (guid_normalize(id, gid) != 0)
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "ResourceNotFound",
                             "The object was not found.");
    if (check_expiration(expiration, err) != 0)
        return -1;
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = db_subscriptions_set_expiration(conn, gid, expiration, err);
    if (rc == 1)
        rc = db_subscriptions_get(conn, gid, out, err);
    db_release(pool, conn);
    if (rc == 0)
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "ResourceNotFound",
                             "The object was not found.");
    return rc == 1 ? 0 : -1;
}

int subscriptions_delete(struct db_pool *pool, const char *id, struct lic_error *err)
{
    char gid[GUID_SIZE];
    if (guid_normalize(id, gid) != 0)
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "ResourceNotFound",
                             "The object was not found.");
    struct db_conn *conn = db_acquire(pool, err);
    if (conn == NULL)
        return -1;
    int rc = db_subscriptions_delete(conn, gid, err);
    db_release(pool, conn);
    if (rc == 0)
        return lic_error_set(err, LIC_ERR_NOT_FOUND, "ResourceNotFound",
                             "The object was not found.");
    return rc == 1 ? 0 : -1;
}
