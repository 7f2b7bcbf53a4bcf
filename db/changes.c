/* Reading and pruning the change sequence (see changes.h). */
#include "db/changes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static const struct db_stmt stmt_now = {"changes_now",
                                        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", 0};

/* directory_changes_read_idx (resource, txid, seq) serves each resource's range: one ordered index
 * scan per resource, each stopping at the limit, merged in (txid, seq) order; a page reads about
 * as many rows as it returns, however long the sequence. */
static const struct db_stmt stmt_read = {
    "changes_read",
    "SELECT c.txid::text, c.seq, c.resource, c.object_id, coalesce(c.parent_id::text, ''),"
    "       c.change_type"
    "  FROM unnest(string_to_array($1, ',')) r(resource)"
    "  CROSS JOIN LATERAL (SELECT * FROM directory_changes d"
    "        WHERE d.resource = r.resource"
    "          AND (d.txid, d.seq) > ($2::xid8, $3::bigint)"
    "          AND d.txid < pg_snapshot_xmin(pg_current_snapshot())"
    "          AND ($4::uuid IS NULL OR d.resource <> 'member' OR d.parent_id = $4::uuid)"
    "        ORDER BY d.txid, d.seq LIMIT $5) c"
    /* Qualified: a bare "txid" would name the text column of the select list (text order). */
    " ORDER BY c.txid, c.seq LIMIT $5",
    5};

static const struct db_stmt stmt_prune = {
    "changes_prune",
    "DELETE FROM directory_changes WHERE seq IN (SELECT seq FROM directory_changes"
    " WHERE changed_at < now() - make_interval(secs => $1::double precision)"
    " ORDER BY changed_at LIMIT $2)",
    2};

static const struct db_stmt stmt_oldest = {
    "changes_oldest",
    "SELECT txid::text, seq FROM directory_changes ORDER BY changed_at, seq LIMIT 1", 0};

int db_changes_now(struct db_conn *conn, struct db_change_pos *pos, struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_now, NULL, err);
    if (r == NULL)
        return -1;
    pos->txid = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    pos->seq = 0;
    PQclear(r);
    return 0;
}

int db_changes_read(struct db_conn *conn, const char *resources, const char *parent_id,
                    const struct db_change_pos *after, int limit, struct db_change **out, int *n,
                    struct lic_error *err)
{
    char txid[24], seq[24], lim[16];
    snprintf(txid, sizeof(txid), "%llu", after->txid);
    snprintf(seq, sizeof(seq), "%lld", after->seq);
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {resources, txid, seq, parent_id, lim};
    *out = NULL;
    *n = 0;
    PGresult *r = db_exec(conn, &stmt_read, params, err);
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    *out = calloc((size_t)rows + 1, sizeof(**out));
    if (*out == NULL) {
        PQclear(r);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        struct db_change *c = &(*out)[i];
        c->pos.txid = strtoull(PQgetvalue(r, i, 0), NULL, 10);
        c->pos.seq = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        snprintf(c->resource, sizeof(c->resource), "%s", PQgetvalue(r, i, 2));
        snprintf(c->object_id, sizeof(c->object_id), "%s", PQgetvalue(r, i, 3));
        snprintf(c->parent_id, sizeof(c->parent_id), "%s", PQgetvalue(r, i, 4));
        snprintf(c->change_type, sizeof(c->change_type), "%s", PQgetvalue(r, i, 5));
    }
    *n = rows;
    PQclear(r);
    return 0;
}

long db_changes_prune(struct db_conn *conn, long max_age_seconds, int batch, struct lic_error *err)
{
    char age[24], lim[16];
    snprintf(age, sizeof(age), "%ld", max_age_seconds);
    snprintf(lim, sizeof(lim), "%d", batch);
    const char *params[] = {age, lim};
    return db_exec_command(conn, &stmt_prune, params, err);
}

int db_changes_oldest(struct db_conn *conn, struct db_change_pos *pos, struct lic_error *err)
{
    PGresult *r = db_exec(conn, &stmt_oldest, NULL, err);
    if (r == NULL)
        return -1;
    memset(pos, 0, sizeof(*pos));
    if (PQntuples(r) > 0) {
        pos->txid = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
        pos->seq = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    PQclear(r);
    return 0;
}
