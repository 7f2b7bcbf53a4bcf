/* Users and groups as Graph collections, served the same way for both: list, $count and get read
 * db/ directly (no write passes here: those call service/directory.h), then render. */
#ifndef LICENSINGD_API_DIRECTORY_H
#define LICENSINGD_API_DIRECTORY_H

#include <stdint.h>

#include "db/directory.h"
#include "api/handlers.h"
#include "api/list_options.h"
#include "api/odata.h"
#include "api/render.h"

/* A keyset-paged collection of users or groups. */
struct list_kind {
    const char *set;  /* "users": @odata.context */
    const char *type; /* "microsoft.graph.user" */
    const char *const *props;
    unsigned features; /* enum list_features */
    int (*list)(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                long *count, struct lic_error *err);
    int (*render)(struct db_conn *conn, const struct db_rows *rows, int n, uint64_t mask,
                  int with_type, json_t *j_items, struct lic_error *err);
    int (*get)(struct db_conn *conn, const char *id, int for_update, struct db_rows **rows,
               struct lic_error *err);
    int (*by_ids)(struct db_conn *conn, const char *const *ids, int n, struct db_rows **rows,
                  struct lic_error *err);
    int sort_col, id_col;
    /* The representation assembled by PostgreSQL (one statement: no render pass), used by GET
     * and the list pages when nothing is expanded. */
    const struct db_property *properties; /* the entity's table: props[i] is properties[i].name */
    int nprops;
    int (*repr_get)(struct db_conn *conn, const char *id, const struct db_repr *repr,
                    struct db_rows **rows, struct lic_error *err);
};
extern const struct list_kind list_users, list_groups;

/* The objects with these ids, rendered in the given order (missing ones skipped), relations
 * loaded once for the whole page. */
int render_ids_in_order(struct db_conn *conn, const struct list_kind *kind, const char *const *ids,
                        int n, uint64_t mask, int with_type, json_t *j_items,
                        struct lic_error *err);

/* Users and groups (types[i] "user" or "group") with @odata.type, in the order of ids (objects
 * gone meanwhile are skipped), relations loaded once; all_props renders every property (for a
 * $select over several types applied after), else each type's default representation. */
int render_directory_objects(struct db_conn *conn, const char *const *ids, const char *const *types,
                             int n, int all_props, json_t *j_items, struct lic_error *err)
    __attribute__((warn_unused_result));

/* A directoryObject's properties for $select across users and groups (each keeps what it has). */
extern const char *const member_props[];

/* GET /{set} with every option, GET /{set}/$count, and GET /{set}/{id} with $select. */
void directory_list(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const struct list_kind *kind);
void directory_count(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const struct list_kind *kind);
void directory_get(const struct api_app *app, const struct api_request *req,
                   struct api_response *res, const struct list_kind *kind);

/* Answers with one object's default representation as "{set}/$entity" (after a write). */
void directory_reply_object(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const struct list_kind *kind, const char *id,
                            unsigned status);

/* A text/plain number ($count segments). */
void directory_reply_count(struct api_response *res, long count);

/* Runs at the end of a read handler: releases conn (may be NULL) and replies with err when
 * rc != 0. */
void directory_finish(const struct api_app *app, struct db_conn *conn, int rc,
                      const struct lic_error *err, struct api_response *res);

/* Answers a write: err when rc != 0, else 204 No Content. */
void directory_reply_written(struct api_response *res, int rc, const struct lic_error *err);

#endif
