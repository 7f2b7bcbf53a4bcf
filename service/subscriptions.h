/* Change notification subscriptions, Graph's way: create (with the validation handshake), renew,
 * delete. Delivery is service/notify.c's. */
#ifndef LICENSINGD_SUBSCRIPTIONS_H
#define LICENSINGD_SUBSCRIPTIONS_H

#include "db/subscriptions.h"
#include "service/base/config.h"

#define SUBSCRIPTION_MAX_MINUTES 41760 /* Graph's bound for directory resources (29 days) */
#define SUBSCRIPTIONS_MAX 1000         /* per deployment */

/* What a client asked for (POST /subscriptions); NULL for absent properties. */
struct subscription_request {
    const char *resource;
    const char *change_type;
    const char *notification_url;
    const char *lifecycle_url;
    const char *client_state;
    const char *expiration;
    const char *application_id; /* the caller's client (token), may be NULL */
    const char *creator_id;     /* the caller's user or app id, may be NULL */
};

/* The read permission a subscription's resource needs ("User.Read.All", ...), or NULL when the
 * resource is not one licensingd can notify about. */
const char *subscription_resource_permission(const char *resource);

/* Validates, runs the handshake on the notification (and lifecycle) URL, stores; fills out.
 * 400 with Graph's messages for a bad request or a failed handshake. */
int subscriptions_create(const struct config *cfg, struct db_pool *pool,
                         const struct subscription_request *req, struct db_subscription *out,
                         struct lic_error *err) __attribute__((warn_unused_result));

/* Renews (expirationDateTime is the one property Graph lets clients change). */
int subscriptions_renew(struct db_pool *pool, const char *id, const char *expiration,
                        struct db_subscription *out, struct lic_error *err)
    __attribute__((warn_unused_result));

int subscriptions_delete(struct db_pool *pool, const char *id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Checks a notification URL against the policy: https only unless allow_http_loopback and the host
 * is 127.0.0.1, ::1 or localhost; never this service itself. Pure apart from cfg. */
int subscription_url_allowed(const struct config *cfg, const char *url, const char *property,
                             struct lic_error *err);

/* "2026-12-01T10:00:00Z" (fraction and offset allowed) -> seconds since the epoch; -1 if bad. */
long long subscription_parse_time(const char *text);

#endif
