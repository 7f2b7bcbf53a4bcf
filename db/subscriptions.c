/* Subscriptions: rows in and out, and the sender's lease (see subscriptions.h). */
#include "db/subscriptions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

#define SUB_COLUMNS                                                                                \
    "id, resource, kinds, coalesce(group_id::text, ''), change_type, notification_url,"            \
    " coalesce(lifecycle_notification_url, ''), coalesce(client_state, ''),"                       \
    " client_state IS NOT NULL,"                                                                   \
    " to_char(expiration AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US0\"Z\"'),"               \
    " coalesce(application_id, ''), coalesce(creator_id, ''), latest_supported_tls,"               \
    " cursor_txid::text, cursor_seq, attempts,"                                                    \
    " coalesce(extract(epoch FROM now() - first_failure_at), -1), expiration <= now()"

static const struct db_stmt stmt_insert = {
    "sub_insert",
    "INSERT INTO subscriptions (resource, kinds, group_id, change_type, notification_url,"
    " lifecycle_notification_url, client_state, expiration, application_id, creator_id,"
    " cursor_txid, cursor_seq)"
    " VALUES ($1, $2, nullif($3, '')::uuid, $4, $5, nullif($6, ''), $7, $8::timestamptz,"
    "         nullif($9, ''), nullif($10, ''), $11::xid8, $12::bigint)"
    " RETURNING id",
    12};
static const struct db_stmt stmt_get = {
    "sub_get", "SELECT " SUB_COLUMNS " FROM subscriptions WHERE id = $1::uuid", 1};
static const struct db_stmt stmt_list = {
    "sub_list", "SELECT " SUB_COLUMNS " FROM subscriptions ORDER BY created_at, id", 0};
static const struct db_stmt stmt_count = {"sub_count", "SELECT count(*) FROM subscriptions", 0};
static const struct db_stmt stmt_set_expiration = {
    "sub_set_expiration",
    "UPDATE subscriptions SET expiration = $2::timestamptz WHERE id = $1::uuid", 2};
static const struct db_stmt stmt_delete = {"sub_delete",
                                           "DELETE FROM subscriptions WHERE id = $1::uuid", 1};
static const struct db_stmt stmt_lease = {
    "sub_lease",
    "UPDATE subscriptions SET next_attempt_at = now() + make_interval(secs => $1::int)"
    " WHERE id = (SELECT id FROM subscriptions WHERE next_attempt_at <= now()"
    "              ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)"
    " RETURNING " SUB_COLUMNS,
    1};
static const struct db_stmt stmt_advance = {
    "sub_advance",
    "UPDATE subscriptions SET cursor_txid = $2::xid8, cursor_seq = $3::bigint, attempts = 0,"
    " first_failure_at = NULL,"
    " next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)"
    " WHERE id = $1::uuid",
    4};
static const struct db_stmt stmt_failed = {
    "sub_failed",
    "UPDATE subscriptions SET attempts = attempts + 1,"
    " first_failure_at = coalesce(first_failure_at, now()),"
    " next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)"
    " WHERE id = $1::uuid",
    2};
static const struct db_stmt stmt_remove_expired = {
    "sub_remove_expired", "DELETE FROM subscriptions WHERE expiration <= now()", 0};
static const struct db_stmt stmt_tenant = {
    "sub_tenant", "SELECT id::text FROM organization ORDER BY created_at LIMIT 1", 0};

static void copy(char *dst, size_t size, const PGresult *r, int row, int col)
{
    snprintf(dst, size, "%s", PQgetvalue(r, row, col));
}

static void from_row(const PGresult *r, int i, struct db_subscription *s)
{
    memset(s, 0, sizeof(*s));
    copy(s->id, sizeof(s->id), r, i, 0);
    copy(s->resource, sizeof(s->resource), r, i, 1);
    copy(s->kinds, sizeof(s->kinds), r, i, 2);
    copy(s->group_id, sizeof(s->group_id), r, i, 3);
    copy(s->change_type, sizeof(s->change_type), r, i, 4);
    copy(s->notification_url, sizeof(s->notification_url), r, i, 5);
    copy(s->lifecycle_url, sizeof(s->lifecycle_url), r, i, 6);
    copy(s->client_state, sizeof(s->client_state), r, i, 7);
    s->has_client_state = PQgetvalue(r, i, 8)[0] == 't';
    copy(s->expiration, sizeof(s->expiration), r, i, 9);
    copy(s->application_id, sizeof(s->application_id), r, i, 10);
    copy(s->creator_id, sizeof(s->creator_id), r, i, 11);
    copy(s->tls_version, sizeof(s->tls_version), r, i, 12);
    s->cursor.txid = strtoull(PQgetvalue(r, i, 13), NULL, 10);
    s->cursor.seq = strtoll(PQgetvalue(r, i, 14), NULL, 10);
    s->attempts = atoi(PQgetvalue(r, i, 15));
    s->failing_seconds = atof(PQgetvalue(r, i, 16));
    s->expired = PQgetvalue(r, i, 17)[0] == 't';
}

int db_subscriptions_insert(struct db_conn *conn, struct db_subscription *s, struct lic_error *err)
{
    char txid[24], seq[24];
    snprintf(txid, sizeof(txid), "%llu", s->cursor.txid);
    snprintf(seq, sizeof(seq), "%lld", s->cursor.seq);
    const char *params[] = {s->resource,
                            s->kinds,
                            s->group_id,
                            s->change_type,
                            s->notification_url,
                            s->lifecycle_url,
                            s->has_client_state ? s->client_state : NULL,
                            s->expiration,
                            s->application_id,
                            s->creator_id,
                            txid,
                            seq};
    PGresult *r = db_exec(conn, &stmt_insert, params, err);
    if (r == NULL)
        return -1;
    copy(s->id, sizeof(s->id), r, 0, 0);
    PQclear(r);
    return 0;
}

int db_subscriptions_get(struct db_conn *conn, const char *id, struct db_subscription *s,
                         struct lic_error *err)
{
    const char *params[] = {id};
    PGresult *r = db_exec(conn, &stmt_get, params, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        from_row(r, 0, s);
    PQclear(r);
    return found;
}

int db_subscriptions_list(struct db_conn *conn, struct db_subscription **out, int *n,
                          struct lic_error *err)
{
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(conn, &stmt_list, NULL, err);
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    *out = calloc((size_t)rows + 1, sizeof(**out));
    if (*out == NULL) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++)
        from_row(r, i, &(*out)[i]);
    *n = rows;
    PQclear(r);
    return 0;
}

long db_subscriptions_count(struct db_conn *conn, struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_count, NULL, err);
    if (r == NULL)
        return -1;
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

int db_subscriptions_set_expiration(struct db_conn *conn, const char *id, const char *expiration,
                                    struct lic_error *err)
{
    const char *params[] = {id, expiration};
    long n = db_exec_command(conn, &stmt_set_expiration, params, err);
    return n < 0 ? -1 : n > 0;
}

int db_subscriptions_delete(struct db_conn *conn, const char *id, struct lic_error *err)
{
    const char *params[] = {id};
    long n = db_exec_command(conn, &stmt_delete, params, err);
    return n < 0 ? -1 : n > 0;
}

int db_subscriptions_lease_due(struct db_conn *conn, int lease_seconds, struct db_subscription *s,
                               struct lic_error *err)
{
    char lease[16];
    snprintf(lease, sizeof(lease), "%d", lease_seconds);
    const char *params[] = {lease};
    PGresult *r = db_exec(conn, &stmt_lease, params, err);
    if (r == NULL)
        return -1;
    int got = PQntuples(r) == 1;
    if (got)
        from_row(r, 0, s);
    PQclear(r);
    return got;
}

int db_subscriptions_advance(struct db_conn *conn, const char *id, const struct db_change_pos *pos,
                             int due_in_ms, struct lic_error *err)
{
    char txid[24], seq[24], due[16];
    snprintf(txid, sizeof(txid), "%llu", pos->txid);
    snprintf(seq, sizeof(seq), "%lld", pos->seq);
    snprintf(due, sizeof(due), "%d", due_in_ms);
    const char *params[] = {id, txid, seq, due};
    return db_exec_command(conn, &stmt_advance, params, err) < 0 ? -1 : 0;
}

int db_subscriptions_failed(struct db_conn *conn, const char *id, long delay_ms,
                            struct lic_error *err)
{
    char delay[24];
    snprintf(delay, sizeof(delay), "%ld", delay_ms);
    const char *params[] = {id, delay};
    return db_exec_command(conn, &stmt_failed, params, err) < 0 ? -1 : 0;
}

long db_subscriptions_remove_expired(struct db_conn *conn, struct lic_error *err)
{
    return db_exec_command(conn, &stmt_remove_expired, NULL, err);
}

int db_tenant_id(struct db_conn *conn, char out[GUID_SIZE], struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_tenant, NULL, err);
    if (r == NULL)
        return -1;
    snprintf(out, GUID_SIZE, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return 0;
}
