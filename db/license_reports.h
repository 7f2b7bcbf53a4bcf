/* Where admins look (seed: "Find license assignment errors"): errors, overview, group errors. */
#ifndef LICENSINGD_DB_LICENSE_REPORTS_H
#define LICENSINGD_DB_LICENSE_REPORTS_H

#include "service/base/guid.h"
#include "db/db.h"

struct error_filter {
    const char *error;    /* an error name, or NULL */
    const char *sku_id;   /* or NULL */
    const char *group_id; /* or NULL */
};

/* One page of license errors as a JSON array text, keyset after (user, sku, path) (NULLs for
 * the first page). *more is set when another page follows; next_key receives its key parts. */
char *db_license_errors_json(struct db_conn *conn, const struct error_filter *f,
                             const char *const after[3], int limit, int *more,
                             char next_key[3][GUID_SIZE], struct lic_error *err);

/* The licenses overview as a JSON object text. */
char *db_license_overview_json(struct db_conn *conn, struct lic_error *err);

/* A page of the ids of users with an error from group_id, after user id (NULL first): how many
 * (ids holds up to limit), *more when another page follows; -1 on error. */
int db_group_error_member_ids(struct db_conn *conn, const char *group_id, const char *after,
                              int limit, char (*ids)[GUID_SIZE], int *more, struct lic_error *err);

#endif
