/* The directory in the database: users, groups, memberships, the organization. Rows come back as
 * db_rows (text cells, NULL = SQL NULL) whose columns are the enums below; api/ renders them. */
#ifndef LICENSINGD_DB_DIRECTORY_H
#define LICENSINGD_DB_DIRECTORY_H

#include <stdint.h>

#include "service/base/guid.h"
#include "db/db.h"
#include "db/directory_schema.h"

struct filter_node;

struct db_rows {
    int nrows, ncols;
    const char **cells; /* owned array, row-major; the texts live in result */
    void *result;       /* owned: the PGresult the cells point into */
};
const char *db_rows_get(const struct db_rows *rows, int row, int col);
void db_rows_free(struct db_rows *rows);

/* A row of users or groups: one cell per property of the entity's table (directory_schema.h), in
 * its order, then the row's keyset position. Booleans come back as "t"/"f"; arrays as JSON text;
 * times as ISO 8601 "...Z"; properties without a column as NULL. */
enum user_col { USER_PROPERTIES(DB_PROPERTY_UCOL) UCOL_SORT_KEY, UCOL_COUNT };
enum group_col { GROUP_PROPERTIES(DB_PROPERTY_GCOL) GCOL_SORT_KEY, GCOL_COUNT };
#define USER_PROPERTY_COUNT UCOL_SORT_KEY
#define GROUP_PROPERTY_COUNT GCOL_SORT_KEY

/* The tables themselves, indexed by enum user_col / enum group_col. */
extern const struct db_property db_user_properties[USER_PROPERTY_COUNT];
extern const struct db_property db_group_properties[GROUP_PROPERTY_COUNT];

/* A user's or group's Graph representation, assembled by PostgreSQL in the statement that finds
 * the object (relations included): the properties whose bits are set in mask, in the table's
 * order, "@odata.type" first with with_type. A mask of 0 is an object with no property. */
struct db_repr {
    uint64_t mask;
    int with_type;
};

/* Rows of representations: the object as JSON text, its keyset sort key (lists; "" otherwise)
 * and its id. */
enum repr_col { REPR_JSON, REPR_KEY, REPR_ID, REPR_COUNT };

/* The properties shown without $select (flag PROP_DEFAULT) as a mask. */
uint64_t db_default_mask(const struct db_property *props, int n);

enum db_order { DB_ORDER_DISPLAY_NAME, DB_ORDER_UPN, DB_ORDER_COUNT };

/* $search: "property:term" clauses, each true when a word of the property starts with term
 * (case-insensitive), joined left to right by AND or OR. Properties are the entity's text
 * filter columns, checked by the caller. */
#define DB_SEARCH_MAX 8
struct db_search_term {
    const char *property;
    const char *term;
    int or_previous; /* joined to the clauses before it by OR (else AND) */
};
struct db_search {
    int n;
    struct db_search_term terms[DB_SEARCH_MAX];
};

/* One keyset page. after_key/after_id: the sort key and id of the previous page's last row. */
struct db_page {
    const struct filter_node *filter; /* NULL: everything */
    const struct db_search *search;   /* NULL or n == 0: no $search */
    enum db_order order;
    int top;
    const char *after_key;
    const char *after_id;
    int count; /* also count every match into *count */
    struct db_repr repr;
};

/* Fields a POST or PATCH sets, indexed by enum user_col / enum group_col: values as text
 * ("true"/"false"; arrays as JSON text), set[i] says whether property i was given (a NULL value
 * then clears it). Only properties with a column can be set. */
#define DB_FIELDS_MAX 32
struct db_fields {
    const char *value[DB_FIELDS_MAX];
    unsigned char set[DB_FIELDS_MAX];
};
_Static_assert(USER_PROPERTY_COUNT <= DB_FIELDS_MAX && GROUP_PROPERTY_COUNT <= DB_FIELDS_MAX,
               "struct db_fields holds every property of an entity");

/* What a directory write reports besides 0 (done) and -1 (failed, err filled): the database
 * refused the change for a reason the client caused. err is not filled: service/ words it. */
enum db_refusal {
    DB_REFUSED_NONE,
    DB_REFUSED_DUPLICATE, /* a unique key already holds the value */
    DB_REFUSED_INVALID,   /* a CHECK constraint or a malformed value */
    DB_REFUSED_ABSENT,    /* the row the change needs is not there */
    DB_REFUSED_COUNT
};

#define DB_MUST_CHECK __attribute__((warn_unused_result))

/* Users. Lists return up to top + 1 rows (the extra one says another page exists): the
 * representations of page->repr, or the columns when it asks for none; a keyset position
 * (after_id, after_key) has been checked by the caller. */
int db_users_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                  long *count, struct lic_error *err) DB_MUST_CHECK;
/* By id or userPrincipalName; 404 when missing. for_update locks the row. */
int db_users_get(struct db_conn *conn, const char *id_or_upn, int for_update, struct db_rows **rows,
                 struct lic_error *err) DB_MUST_CHECK;
/* The representation of the user with this id or userPrincipalName (404 when missing). */
int db_users_repr(struct db_conn *conn, const char *id_or_upn, const struct db_repr *repr,
                  struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* The users with these ids (columns), in any order. */
int db_users_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                    struct lic_error *err) DB_MUST_CHECK;
/* Representations of the users with these ids, in the order of ids (missing ones left out). */
int db_users_repr_by_ids(struct db_conn *conn, const char *const *ids, int n,
                         const struct db_repr *repr, struct db_rows **rows,
                         struct lic_error *err) DB_MUST_CHECK;
/* 0 with the new id, -1, DB_REFUSED_DUPLICATE (the userPrincipalName is taken) or
 * DB_REFUSED_INVALID. */
int db_users_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                    struct lic_error *err) DB_MUST_CHECK;
/* 0, -1 (404 when no user has this id), DB_REFUSED_DUPLICATE or DB_REFUSED_INVALID. */
int db_users_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                    struct lic_error *err) DB_MUST_CHECK;
/* Replaces the user's proxyAddresses (as given, in order). */
int db_users_set_proxies(struct db_conn *conn, const char *id, const char *const *addresses, int n,
                         struct lic_error *err) DB_MUST_CHECK;
/* Deletes the user, its licenses (freeing seats), states and memberships. *freed_skus receives
 * the skuIds whose seats were freed (caller frees with db_rows_free; column 0). */
int db_users_delete(struct db_conn *conn, const char *id, struct db_rows **freed_skus,
                    struct lic_error *err) DB_MUST_CHECK;
/* The groups the user is a direct member of (column 0: group id), keyset on group id (after_id
 * a valid id or NULL). */
int db_users_member_of(struct db_conn *conn, const char *user_id, int top, const char *after_id,
                       struct db_rows **rows, long *count, int want_count,
                       struct lic_error *err) DB_MUST_CHECK;

/* Every user (or group) in id order after after_id (a valid id, or NULL from the start), up to
 * limit rows: the initial round of a delta query. */
int db_users_page_by_id(struct db_conn *conn, const char *after_id, int limit,
                        struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
int db_groups_page_by_id(struct db_conn *conn, const char *after_id, int limit,
                         struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;

/* Groups. Ordered by displayName only (the caller refuses any other order). */
int db_groups_list(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                   long *count, struct lic_error *err) DB_MUST_CHECK;
/* for_update: 0 reads, 1 locks the row FOR UPDATE, DB_GROUP_KEY_SHARE only keeps it from being
 * deleted (what adding members needs: adds to one group do not wait for each other). */
enum { DB_GROUP_KEY_SHARE = 2 };
int db_groups_get(struct db_conn *conn, const char *id, int for_update, struct db_rows **rows,
                  struct lic_error *err) DB_MUST_CHECK;
int db_groups_repr(struct db_conn *conn, const char *id, const struct db_repr *repr,
                   struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
int db_groups_by_ids(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                     struct lic_error *err) DB_MUST_CHECK;
int db_groups_repr_by_ids(struct db_conn *conn, const char *const *ids, int n,
                          const struct db_repr *repr, struct db_rows **rows,
                          struct lic_error *err) DB_MUST_CHECK;
/* 0 with the new id, -1 or DB_REFUSED_INVALID. */
int db_groups_insert(struct db_conn *conn, const struct db_fields *f, char id[GUID_SIZE],
                     struct lic_error *err) DB_MUST_CHECK;
/* 0, -1 (404 when no group has this id) or DB_REFUSED_INVALID. */
int db_groups_update(struct db_conn *conn, const char *id, const struct db_fields *f,
                     struct lic_error *err) DB_MUST_CHECK;
/* What still ties the group to licensing: licenses assigned to it, and members' states from it
 * (a removal not yet processed). */
int db_groups_license_hold(struct db_conn *conn, const char *id, int *licensed, int *draining,
                           struct lic_error *err) DB_MUST_CHECK;
/* Deletes the group and every membership it is part of (as group or as member); 404 when
 * missing. */
int db_groups_delete(struct db_conn *conn, const char *id, struct lic_error *err) DB_MUST_CHECK;

/* Directory objects that can be members. */
enum dir_object_type { DIR_OBJECT_USER, DIR_OBJECT_GROUP, DIR_OBJECT_TYPE_COUNT };
/* "user", "group": the stored group_members.member_type. */
const char *dir_object_type_name(enum dir_object_type t);
/* The users and groups among ids (any order): column 0 the id, column 1 "user" or "group". */
int db_directory_objects_types(struct db_conn *conn, const char *const *ids, int n,
                               struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* The users and groups among ids (any order) with what a membership record names: column 0 the
 * id, 1 "user" or "group", 2 the displayName, 3 the userPrincipalName (NULL for a group). */
int db_directory_objects_named(struct db_conn *conn, const char *const *ids, int n,
                               struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* The type of the user or group with this id; 404 when neither exists. */
int db_directory_object_type(struct db_conn *conn, const char *id, enum dir_object_type *type,
                             struct lic_error *err) DB_MUST_CHECK;

/* Membership. */
enum member_col { MCOL_ID, MCOL_TYPE, MCOL_SEQ, MCOL_COUNT };
/* Locks the group (FOR UPDATE) before a member is removed; 404 when missing. */
int db_members_lock_group(struct db_conn *conn, const char *group_id,
                          struct lic_error *err) DB_MUST_CHECK;
/* Adds the members (valid ids of existing objects, of the given types) in the order given, in one
 * statement; added[i] = 0 for a member that was one already (or is given twice). 0 or -1. */
int db_members_add_many(struct db_conn *conn, const char *group_id, const char *const *ids,
                        const enum dir_object_type *types, int n, char *added,
                        struct lic_error *err) DB_MUST_CHECK;
/* 0, -1, or DB_REFUSED_ABSENT when member_id is not a member. */
int db_members_remove(struct db_conn *conn, const char *group_id, const char *member_id,
                      struct lic_error *err) DB_MUST_CHECK;
/* Members in the order they were added; after_seq (a decimal checked by the caller, or NULL) is
 * the previous page's last MCOL_SEQ; type (NULL: every type) keeps one type of member (a Graph
 * type cast). 404 when the group is missing. */
int db_members_list(struct db_conn *conn, const char *group_id, const char *type, int top,
                    const char *after_seq, struct db_rows **rows, long *count, int want_count,
                    struct lic_error *err) DB_MUST_CHECK;
/* The first limit members of each of these groups (for $expand=members), by group:
 * enum expand_col. */
enum expand_col { ECOL_GROUP, ECOL_MEMBER, ECOL_TYPE, ECOL_COUNT };
int db_members_first(struct db_conn *conn, const char *const *group_ids, int n, int limit,
                     struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* Transitive membership through nested groups (each object once, cycles harmless), keyset on
 * the object id (after_id a valid id or NULL), up to top + 1 rows. Members: enum member_col
 * (MCOL_SEQ empty); memberOf: column 0 the group id. 404 when the group or user is missing. */
int db_members_transitive(struct db_conn *conn, const char *group_id, int top, const char *after_id,
                          struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
int db_users_transitive_member_of(struct db_conn *conn, const char *user_id, int top,
                                  const char *after_id, struct db_rows **rows,
                                  struct lic_error *err) DB_MUST_CHECK;

/* Organization (the tenant). */
enum org_col {
    OCOL_ID,
    OCOL_DISPLAY_NAME,
    OCOL_COUNTRY,
    OCOL_DOMAINS, /* JSON */
    OCOL_CREATED,
    OCOL_COUNT
};
int db_org_get(struct db_conn *conn, struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* NULL leaves a field as is; 404 when id is not the organization's. */
int db_org_update(struct db_conn *conn, const char *id, const char *display_name,
                  const char *country, struct lic_error *err) DB_MUST_CHECK;
/* Creates the organization with one verified (default, initial) domain unless one exists. */
int db_org_ensure(struct db_conn *conn, const char *display_name, const char *country,
                  const char *domain, int *created, struct lic_error *err) DB_MUST_CHECK;
/* The organization's row (OCOL_*; none before one exists), locked until the transaction ends. */
int db_org_lock(struct db_conn *conn, struct db_rows **rows, struct lic_error *err) DB_MUST_CHECK;
/* init-organization, in the caller's transaction: creates the organization, or sets its name,
 * country and verified domains (domains: the verifiedDomains JSON array) under a row lock. The
 * row as it was in before (OCOL_*; NULL when created, caller frees), the id in id. 0, -1, or
 * DB_REFUSED_DUPLICATE when another set-up created the organization at the same moment. */
enum org_setup_outcome { ORG_SETUP_CREATED, ORG_SETUP_UPDATED, ORG_SETUP_UNCHANGED };
int db_org_setup(struct db_conn *conn, const char *display_name, const char *country,
                 const char *domains, struct db_rows **before, char id[GUID_SIZE],
                 enum org_setup_outcome *outcome, struct lic_error *err) DB_MUST_CHECK;

#endif
