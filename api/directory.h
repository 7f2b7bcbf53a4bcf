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
    const char *set; /* "users": @odata.context */
    const char *const *props;
    unsigned features;                    /* enum list_features */
    const struct db_property *properties; /* the entity's table, props[i] is properties[i].name */
    int nprops;
    /* Pages, one object and objects by id, as representations (enum repr_col). */
    int (*list)(struct db_conn *conn, const struct db_page *page, struct db_rows **rows,
                long *count, struct lic_error *err);
    int (*get)(struct db_conn *conn, const char *id, const struct db_repr *repr,
               struct db_rows **rows, struct lic_error *err);
    int (*by_ids)(struct db_conn *conn, const char *const *ids, int n, const struct db_repr *repr,
                  struct db_rows **rows, struct lic_error *err);
};
extern const struct list_kind list_users, list_groups;

/* A page of "directoryObjects" (each with @odata.type) of one kind with these ids, in this order
 * (objects gone meanwhile left out): answers 200 with the page, @odata.count when count >= 0, and
 * a nextLink holding last_key when it is not NULL. 0, or -1 with err. */
int directory_reply_ids(const struct api_app *app, const struct api_request *req,
                        struct api_response *res, struct db_conn *conn,
                        const struct list_kind *kind, const char *const *ids, int n,
                        uint64_t select, long count, const char *last_key, struct lic_error *err)
    __attribute__((warn_unused_result));

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
