/* Change notification subscriptions in the database (migrations/011_subscriptions.sql). */
#ifndef LICENSINGD_DB_SUBSCRIPTIONS_H
#define LICENSINGD_DB_SUBSCRIPTIONS_H

#include "db/changes.h"
#include "db/db.h"

#define SUB_URL_MAX 2048

struct db_subscription {
    char id[GUID_SIZE];
    char resource[160];
    char kinds[32];           /* change-sequence resources, e.g. "group,member" */
    char group_id[GUID_SIZE]; /* "" unless groups/{id}/members */
    char change_type[40];     /* "created,updated,deleted" or a subset */
    char notification_url[SUB_URL_MAX];
    char lifecycle_url[SUB_URL_MAX]; /* "" when none */
    char client_state[256];
    int has_client_state;
    char expiration[40];      /* ISO 8601 with 7 fraction digits, Z */
    char application_id[128]; /* "" when unknown */
    char creator_id[128];
    char tls_version[16];
    struct db_change_pos cursor;
    int attempts;
    double failing_seconds; /* since the first failed attempt in a row; -1 when none */
    int expired;
};

/* Inserts s (expiration as given text, cursor as given); fills s->id. */
int db_subscriptions_insert(struct db_conn *conn, struct db_subscription *s, struct lic_error *err)
    __attribute__((warn_unused_result));
/* 1 found, 0 missing, -1 error. */
int db_subscriptions_get(struct db_conn *conn, const char *id, struct db_subscription *s,
                         struct lic_error *err) __attribute__((warn_unused_result));
/* Every subscription, oldest first; *out malloc'd. */
int db_subscriptions_list(struct db_conn *conn, struct db_subscription **out, int *n,
                          struct lic_error *err) __attribute__((warn_unused_result));
long db_subscriptions_count(struct db_conn *conn, struct lic_error *err);
/* 1 updated, 0 not found, -1 error. */
int db_subscriptions_set_expiration(struct db_conn *conn, const char *id, const char *expiration,
                                    struct lic_error *err) __attribute__((warn_unused_result));
int db_subscriptions_delete(struct db_conn *conn, const char *id, struct lic_error *err)
    __attribute__((warn_unused_result));

/* The sender: leases the subscription due first for lease_seconds (1 leased, 0 none due), so
 * replicas never deliver for the same subscription at once and a dead sender's lease runs out. */
int db_subscriptions_lease_due(struct db_conn *conn, int lease_seconds, struct db_subscription *s,
                               struct lic_error *err) __attribute__((warn_unused_result));
/* Delivered (or dropped) up to pos: the cursor moves, the failure streak ends. */
int db_subscriptions_advance(struct db_conn *conn, const char *id, const struct db_change_pos *pos,
                             int due_in_ms, struct lic_error *err)
    __attribute__((warn_unused_result));
/* A failed attempt: retry after delay_ms. */
int db_subscriptions_failed(struct db_conn *conn, const char *id, long delay_ms,
                            struct lic_error *err) __attribute__((warn_unused_result));
/* Removes expired subscriptions; returns how many, or -1. */
long db_subscriptions_remove_expired(struct db_conn *conn, struct lic_error *err);

/* The tenant (organization) id, "" when none exists yet. */
int db_tenant_id(struct db_conn *conn, char out[GUID_SIZE], struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
