/* What the catalog handlers (api/skus.c, api/plans.c) share: request plumbing, GUID lists and the
 * one-entity reply. They read through db/catalog.h and write through one service/catalog.h call. */
#ifndef LICENSINGD_API_CATALOG_H
#define LICENSINGD_API_CATALOG_H

#include <jansson.h>
#include <stdint.h>

#include "service/base/guid.h"
#include "api/handlers.h"

#define API_CATALOG_MAX_LIST 1000 /* ids or codes in one request body list */

/* 400 Request_BadRequest with fmt naming what; returns -1. */
int api_catalog_bad(struct lic_error *err, const char *fmt, const char *what);

/* Borrows a connection for a read, or answers 503 and returns NULL. */
struct db_conn *api_catalog_acquire(const struct api_app *app, struct api_response *res);

/* Ends a read: releases conn (if any) and answers err if set. */
void api_catalog_finish(const struct api_app *app, struct db_conn *conn, struct api_response *res,
                        const struct lic_error *err);

/* A JSON array of at most API_CATALOG_MAX_LIST GUID strings, normalized. */
struct api_guid_list {
    char (*ids)[GUID_SIZE]; /* owned */
    const char **ptrs;      /* owned: ptrs[i] = ids[i], for db/ and service/ */
    int n;
};
int api_catalog_parse_guids(json_t *j_list, const char *what, struct api_guid_list *out,
                            struct lic_error *err) __attribute__((warn_unused_result));
void api_catalog_guids_free(struct api_guid_list *l);

/* Answers one entity with its @odata.context, keeping the $select-ed properties. Steals j. */
void api_catalog_reply_entity(const struct api_app *app, const struct api_request *req,
                              struct api_response *res, unsigned status, const char *set, json_t *j,
                              const char *const *properties, uint64_t mask);

#endif
