/* The change sequence (migrations/010_directory_changes.sql): what changed, in commit-safe order,
 * for delta queries and change notifications. A position is (txid, seq); rows are read strictly
 * after a position and only below the horizon of transactions still running, so a reader that
 * saves its last position never skips a change committed later. */
#ifndef LICENSINGD_DB_CHANGES_H
#define LICENSINGD_DB_CHANGES_H

#include "db/db.h"
#include "service/base/guid.h"

struct db_change_pos {
    unsigned long long txid;
    long long seq;
};

struct db_change {
    struct db_change_pos pos;
    char resource[16]; /* "user", "group", "member", "subscribedSku" */
    char object_id[GUID_SIZE];
    char parent_id[GUID_SIZE]; /* the group of a "member" change, else "" */
    char change_type[8];       /* "created", "updated", "deleted" */
};

/* The position of "now": every change already committed is at or before it. A new delta round or
 * subscription starts here. */
int db_changes_now(struct db_conn *conn, struct db_change_pos *pos, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Up to limit changes of the resources listed (comma-separated, e.g. "group,member"), after pos,
 * in order; parent_id (may be NULL) keeps only "member" changes of that group. *out is malloc'd
 * (caller frees), *n receives the count. */
int db_changes_read(struct db_conn *conn, const char *resources, const char *parent_id,
                    const struct db_change_pos *after, int limit, struct db_change **out, int *n,
                    struct lic_error *err) __attribute__((warn_unused_result));

/* Deletes up to batch rows older than max_age_seconds; returns how many, or -1. */
long db_changes_prune(struct db_conn *conn, long max_age_seconds, int batch, struct lic_error *err)
    __attribute__((warn_unused_result));

/* The oldest position still kept (a token older than it cannot be served), or {0,0}. */
int db_changes_oldest(struct db_conn *conn, struct db_change_pos *pos, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
