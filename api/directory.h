/* What the directory handlers (users, groups, members, organization, audit) share: query options,
 * Graph rendering of user and group rows, body field parsing and audit records. */
#ifndef LICENSINGD_API_DIRECTORY_H
#define LICENSINGD_API_DIRECTORY_H

#include <stdint.h>

#include "service/base/guid.h"
#include "db/directory.h"
#include "api/filter.h"
#include "api/handlers.h"
#include "api/odata.h"

extern const char *const user_props[];  /* $select names for users */
extern const char *const group_props[]; /* $select names for groups */

struct list_options {
    int top;
    uint64_t select;
    struct filter_node *filter; /* owned */
    enum db_order order;
    char after[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    int nafter; /* parts decoded from $skiptoken, 0 on the first page */
    int count;  /* $count=true with ConsistencyLevel: eventual */
};

enum list_features { LIST_FILTER = 1, LIST_ORDER_UPN = 2, LIST_ORDER = 4 };

/* Parses $top, $select (over props), $filter, $orderby, $skiptoken, $count; rejects $skip.
 * o is for list_options_free whatever this returns. */
int list_options_parse(const struct api_request *req, const char *const *props, unsigned features,
                       struct list_options *o, struct lic_error *err);
void list_options_free(struct list_options *o);

/* Users/groups rows -> Graph objects (relations loaded with one query each), appended to
 * j_items; mask 0 = the default property set. With type, each item carries @odata.type. */
int render_users(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                 int with_type, json_t *j_items, struct lic_error *err);
int render_groups(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err);

/* A keyset-paged collection of users or groups, served the same way for both. */
struct list_kind {
    const char *set; /* "users": @odata.context */
    const char *const *props;
    unsigned features;
    int (*list)(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                long *count, struct lic_error *err);
    int (*render)(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err);
    int (*get)(struct db_conn *conn, const char *id, int for_update, struct db_rows **rows,
               struct lic_error *err);
    int (*by_ids)(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                  struct lic_error *err);
    int sort_col, id_col;
};
extern const struct list_kind list_users, list_groups;

/* The objects with these ids, rendered in the given order (missing ones skipped), relations
 * loaded once for the whole page. */
int render_ids_in_order(struct db_conn *conn, const struct list_kind *kind, const char *const *ids,
                        int n, uint64_t mask, int with_type, json_t *j_items,
                        struct lic_error *err);

/* Answers with one object's default representation as "{set}/$entity" (licensing actions). */
void directory_reply_object(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const struct list_kind *kind, const char *id,
                            unsigned status);

/* GET /{set} with every option, and GET /{set}/$count. */
void directory_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const struct list_kind *kind);
void directory_count(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const struct list_kind *kind);

/* GET /{set}/{id} with $select. */
void directory_get(const struct api_app *app, const struct api_request *req,
                   struct api_response *res, const struct list_kind *kind);

/* Parsed JSON text, or fallback when text is NULL or not JSON (the unused one is released). */
json_t *directory_json_or(const char *text, json_t *fallback);

/* One object (rows has it at row 0) as "{set}/$entity". */
int directory_reply_entity(const struct api_app *app, const struct api_request *req,
                           struct db_conn *conn, const struct db_rows *rows, uint64_t mask,
                           unsigned status, const struct list_kind *kind, struct api_response *res,
                           struct lic_error *err);

/* A text/plain number ($count segments). */
void directory_reply_count(struct api_response *res, long count);

/* Splits a decoded token back into key and id (0, or -1 with a 400). */
int list_after(const struct list_options *o, char *key, size_t size, const char **id,
               struct lic_error *err);

/* Body fields of a POST/PATCH, checked against a table. */
enum field_type { FT_STRING, FT_NULLABLE, FT_BOOL, FT_STRINGS };
struct field_spec {
    const char *name; /* JSON property */
    int field;        /* enum user_field / group_field */
    enum field_type type;
    int required; /* on create */
    int max_chars;
};
struct parsed_fields {
    struct db_fields f;
    char *owned[16]; /* JSON texts of arrays */
};
/* What POST and PATCH of one object type accept: its fields, the properties its handler reads
 * itself (extra, NULL-terminated; any other unknown property is 400), its name in messages and
 * the checks across fields. */
struct body_spec {
    const struct field_spec *fields;
    const char *const *extra;
    const char *type_name; /* "user" */
    int (*validate)(json_t *j_body, const struct parsed_fields *p, int creating,
                    struct lic_error *err);
};
/* The request body, its fields parsed into out and validated: owned (json_decref), or NULL with
 * err. out is for fields_free either way. */
json_t *fields_parse_body(const struct api_request *req, const struct body_spec *spec, int creating,
                          struct parsed_fields *out, struct lic_error *err);
void fields_free(struct parsed_fields *p);

/* A directoryAudit for a change to one object; modified is a JSON array of
 * {displayName, oldValue, newValue} (stolen; may be NULL). */
int audit_change(struct db_conn *conn, const char *activity, const char *category,
                 const char *operation, const char *target_type, const char *id,
                 const char *display_name, const char *upn, json_t *j_modified,
                 struct lic_error *err);

/* Acquires *conn and opens the request's one transaction; directory_finish releases *conn
 * (rolled back on failure) whatever this returns. */
int directory_begin(const struct api_app *app, struct db_conn **conn, struct lic_error *err);
/* Commits and answers 204 No Content. */
int directory_commit_empty(struct db_conn *conn, struct api_response *res, struct lic_error *err);

/* Runs at the end of a handler: rolls back and replies with err when rc != 0. */
void directory_finish(const struct api_app *app, struct db_conn *conn, int rc,
                      const struct lic_error *err, struct api_response *res);

/* The object id in an @odata.id / @odata.bind URL (".../directoryObjects/{id}"), or 400. */
int directory_ref_id(const char *url, char id[GUID_SIZE], struct lic_error *err);

/* The "$count" segment: needs ConsistencyLevel: eventual. */
int count_segment_allowed(const struct api_request *req, struct lic_error *err);

#endif
