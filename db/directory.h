/* The directory in the database: users, groups, memberships, the organization. Rows come back as
 * db_rows (text cells, NULL = SQL NULL) whose columns are the enums below; api/ renders them. */
#ifndef LICENSINGD_DB_DIRECTORY_H
#define LICENSINGD_DB_DIRECTORY_H

#include "service/base/guid.h"
#include "db/db.h"

struct filter_node;

struct db_rows {
    int nrows, ncols;
    char **cells; /* owned; row-major */
};
const char *db_rows_get(const struct db_rows *rows, int row, int col);
void db_rows_free(struct db_rows *rows);

/* Booleans come back as "t"/"f"; arrays and objects as JSON text; times as ISO 8601 "...Z". */
enum user_col {
    UCOL_ID,
    UCOL_BUSINESS_PHONES, /* JSON array */
    UCOL_DISPLAY_NAME,
    UCOL_GIVEN_NAME,
    UCOL_JOB_TITLE,
    UCOL_MAIL,
    UCOL_MOBILE_PHONE,
    UCOL_OFFICE_LOCATION,
    UCOL_PREFERRED_LANGUAGE,
    UCOL_SURNAME,
    UCOL_UPN,
    UCOL_MAIL_NICKNAME,
    UCOL_ACCOUNT_ENABLED,
    UCOL_USAGE_LOCATION,
    UCOL_DEPARTMENT,
    UCOL_CREATED,
    UCOL_SORT_KEY, /* the keyset position of the row in the requested order */
    UCOL_COUNT
};

enum group_col {
    GCOL_ID,
    GCOL_DISPLAY_NAME,
    GCOL_DESCRIPTION,
    GCOL_MAIL_NICKNAME,
    GCOL_MAIL_ENABLED,
    GCOL_SECURITY_ENABLED,
    GCOL_MAIL,
    GCOL_GROUP_TYPES, /* JSON array */
    GCOL_MEMBERSHIP_RULE,
    GCOL_MEMBERSHIP_RULE_STATE,
    GCOL_CREATED,
    GCOL_LICENSE_PROCESSING_STATE,
    GCOL_HAS_ERRORS,
    GCOL_SORT_KEY,
    GCOL_COUNT
};

/* Relations of a page of users or groups, loaded with one query each. */
enum license_col { LCOL_OWNER, LCOL_SKU, LCOL_DISABLED_PLANS /* JSON */ };
enum state_col {
    SCOL_USER,
    SCOL_GROUP, /* NULL: direct */
    SCOL_SKU,
    SCOL_DISABLED_PLANS, /* JSON */
    SCOL_STATE,
    SCOL_ERROR,
    SCOL_UPDATED
};
enum proxy_col { PCOL_USER, PCOL_ADDRESS };
/* assignedPlans: one row per user and enabled plan of its effective licenses. */
enum plan_col { APCOL_USER, APCOL_ASSIGNED, APCOL_CAPABILITY, APCOL_SERVICE, APCOL_PLAN };

struct db_user_relations {
    struct db_rows *licenses; /* user_licenses: the effective ones */
    struct db_rows *states;   /* license_assignment_states */
    struct db_rows *proxies;  /* user_proxy_addresses, by position */
    struct db_rows *plans;    /* assignedPlans (loaded only when asked for), enum plan_col */
};
void db_user_relations_free(struct db_user_relations *rel);

enum db_order { DB_ORDER_DISPLAY_NAME, DB_ORDER_UPN };

/* One keyset page. after_key/after_id: the sort key and id of the previous page's last row. */
struct db_page {
    const struct filter_node *filter; /* NULL: everything */
    enum db_order order;
    int top;
    const char *after_key;
    const char *after_id;
    int count; /* also count every match into *count */
};

/* Fields a POST or PATCH sets: values as text ("true"/"false"; arrays as JSON text), set[i]
 * says whether field i was given (a NULL value then clears it). */
enum user_field {
    UF_UPN,
    UF_DISPLAY_NAME,
    UF_MAIL_NICKNAME,
    UF_ACCOUNT_ENABLED,
    UF_GIVEN_NAME,
    UF_SURNAME,
    UF_MAIL,
    UF_JOB_TITLE,
    UF_DEPARTMENT,
    UF_MOBILE_PHONE,
    UF_OFFICE_LOCATION,
    UF_PREFERRED_LANGUAGE,
    UF_BUSINESS_PHONES,
    UF_USAGE_LOCATION,
    UF_COUNT
};
enum group_field {
    GF_DISPLAY_NAME,
    GF_DESCRIPTION,
    GF_MAIL_NICKNAME,
    GF_MAIL_ENABLED,
    GF_SECURITY_ENABLED,
    GF_GROUP_TYPES,
    GF_MEMBERSHIP_RULE,
    GF_MEMBERSHIP_RULE_STATE,
    GF_COUNT
};
struct db_fields {
    const char *value[16];
    unsigned char set[16];
};

/* Users. Lists return up to top + 1 rows (the extra one says another page exists). */
int db_users_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                  long *count, struct lic_error *err);
/* By id or userPrincipalName; 404 when missing. for_update locks the row. */
int db_users_get(struct db_conn *conn, const char *id_or_upn, int for_update, struct db_rows **rows,
                 struct lic_error *err);
int db_users_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                    struct lic_error *err);
int db_users_relations(struct db_conn *conn, const char *const *ids, int n, int with_plans,
                       struct db_user_relations *rel, struct lic_error *err);
/* 400 with Graph's message when the userPrincipalName is taken. */
int db_users_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                    struct lic_error *err);
int db_users_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                    struct lic_error *err);
/* Replaces the user's proxyAddresses (as given, in order). */
int db_users_set_proxies(struct db_conn *conn, const char *id, const char *const *addresses, int n,
                         struct lic_error *err);
/* Deletes the user, its licenses (freeing seats), states and memberships. *freed_skus receives
 * the skuIds whose seats were freed (caller frees with db_rows_free; column 0). */
int db_users_delete(struct db_conn *conn, const char *id, struct db_rows **freed_skus,
                    struct lic_error *err);
/* The groups the user is a direct member of (column 0: group id), keyset on group id. */
int db_users_member_of(struct db_conn *conn, const char *user_id, int top, const char *after_id,
                       struct db_rows **rows, long *count, int want_count, struct lic_error *err);

/* Groups. */
int db_groups_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                   long *count, struct lic_error *err);
int db_groups_get(struct db_conn *conn, const char *id, int for_update, struct db_rows **rows,
                  struct lic_error *err);
int db_groups_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                     struct lic_error *err);
/* group_licenses of these groups (enum license_col). */
int db_groups_licenses(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                       struct lic_error *err);
int db_groups_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                     struct lic_error *err);
int db_groups_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                     struct lic_error *err);
/* Refused (400, semantics §7) while the group holds licenses; removes its memberships. */
int db_groups_delete(struct db_conn *conn, const char *id, struct lic_error *err);

/* Membership. member_type receives "user" or "group". */
enum member_col { MCOL_ID, MCOL_TYPE, MCOL_SEQ };
int db_members_add(struct db_conn *conn, const char *group_id, const char *member_id,
                   char member_type[8], struct lic_error *err);
int db_members_remove(struct db_conn *conn, const char *group_id, const char *member_id,
                      char member_type[8], struct lic_error *err);
/* Members in the order they were added; after_seq is the previous page's last MCOL_SEQ. */
int db_members_list(struct db_conn *conn, const char *group_id, int top, const char *after_seq,
                    struct db_rows **rows, long *count, int want_count, struct lic_error *err);

/* Organization (the tenant). */
enum org_col { OCOL_ID, OCOL_DISPLAY_NAME, OCOL_COUNTRY, OCOL_DOMAINS /* JSON */, OCOL_CREATED };
int db_org_get(struct db_conn *conn, struct db_rows **rows, struct lic_error *err);
/* NULL leaves a field as is; 404 when id is not the organization's. */
int db_org_update(struct db_conn *conn, const char *id, const char *display_name,
                  const char *country, struct lic_error *err);
/* Creates the organization with one verified (default, initial) domain unless one exists. */
int db_org_ensure(struct db_conn *conn, const char *display_name, const char *country,
                  const char *domain, int *created, struct lic_error *err);
/* init-organization, in the caller's transaction: creates the organization, or sets its name,
 * country and verified domains (domains: the verifiedDomains JSON array) under a row lock. The
 * row as it was in before (OCOL_*; NULL when created, caller frees), the id in id. */
enum org_setup_outcome { ORG_SETUP_CREATED, ORG_SETUP_UPDATED, ORG_SETUP_UNCHANGED };
int db_org_setup(struct db_conn *conn, const char *display_name, const char *country,
                 const char *domains, struct db_rows **before, char id[GUID_SIZE],
                 enum org_setup_outcome *outcome, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
