/* OData query options shared by every Graph collection: $top, $select, $skiptoken, $count,
 * @odata.context and @odata.nextLink. ($filter lives in its own module.) */
#ifndef LICENSINGD_ODATA_H
#define LICENSINGD_ODATA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "service/base/error.h"

struct api_request;
struct api_response;
struct api_app;

#define ODATA_TOP_DEFAULT 100
#define ODATA_TOP_MAX 999

/* $top: absent -> ODATA_TOP_DEFAULT; otherwise 1..max, else Graph's
 * "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive." (400). */
int odata_parse_top(const char *text, int max, int *top, struct lic_error *err);

/* $select: a comma-separated list of names from allowed (NULL-terminated, at most 64, matched
 * case-insensitively). Sets bit i of *mask for allowed[i]. Absent or empty -> *mask = 0.
 * Unknown name -> 400 Request_BadRequest naming it and type ("microsoft.graph.user"). */
int odata_parse_select(const char *text, const char *const *allowed, const char *type,
                       uint64_t *mask, struct lic_error *err);

/* Keeps only the properties of j_entity whose names are selected in mask (over allowed);
 * annotations ("@odata.*") are kept. Modifies j_entity in place. */
void odata_apply_select(json_t *j_entity, const char *const *allowed, uint64_t mask);

/* $skiptoken: an opaque URL-safe token holding a keyset position of up to ODATA_KEY_PARTS
 * strings. decode returns the number of parts, or -1 (400) when the token is not one of ours. */
#define ODATA_KEY_PARTS 4
#define ODATA_KEY_PART_MAX 512
void odata_skiptoken_encode(const char *const *parts, int n, char *out, size_t size);
int odata_skiptoken_decode(const char *token, char parts[][ODATA_KEY_PART_MAX], int max,
                           struct lic_error *err);

/* $count=true counts only with the ConsistencyLevel: eventual header (Graph ignores it otherwise).
 */
int odata_wants_count(const struct api_request *req);

/* "{base}/v1.0/$metadata#{set}" + "(a,b)" when $select was given + "/$entity" for one object. */
void odata_context(const struct api_app *app, const struct api_request *req, const char *set,
                   int entity, char *out, size_t size);

/* The request's own URL with $skiptoken replaced by token (other options kept, in order).
 * Owned by caller (free). */
char *odata_next_link(const struct api_app *app, const struct api_request *req, const char *token);
/* The same with name=token instead ("$deltatoken"); $skiptoken and $deltatoken are dropped. */
char *odata_link_with(const struct api_app *app, const struct api_request *req, const char *name,
                      const char *token);

/* {"@odata.context", ["@odata.count"], "value", ["@odata.nextLink"]}. Steals j_items.
 * count < 0 omits @odata.count; next_link NULL omits the link. */
json_t *odata_collection(const char *context, json_t *j_items, long count, const char *next_link);

/* Answers 200 with one page of the collection set (steals j_items): @odata.count when
 * count >= 0, and when key is not NULL an @odata.nextLink whose $skiptoken holds the nkey parts
 * of key (the keyset position of the page's last item). */
void odata_reply_page(const struct api_app *app, const struct api_request *req,
                      struct api_response *res, const char *set, json_t *j_items, long count,
                      const char *const *key, int nkey);

/* The same page with each item already serialized JSON (representations PostgreSQL assembled):
 * the items are spliced in as they are, n of them. */
void odata_reply_page_texts(const struct api_app *app, const struct api_request *req,
                            struct api_response *res, const char *set, const char *const *items,
                            int n, long count, const char *const *key, int nkey);

/* One object (serialized JSON, an object) as "{set}/$entity": @odata.context, then its members. */
void odata_reply_entity_text(const struct api_app *app, const struct api_request *req,
                             struct api_response *res, unsigned status, const char *set,
                             const char *object);

#endif
