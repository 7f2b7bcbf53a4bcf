/* The refusals of a license request (assignLicense on a user or a group), written once with one
 * wording each (Graph's, reference §3) and shared by direct and group assignment. Every check
 * returns 0, or -1 with err: a 400 Request_BadRequest. */
#ifndef LICENSINGD_LICENSE_REQUEST_H
#define LICENSINGD_LICENSE_REQUEST_H

#include <jansson.h>

#include "service/base/error.h"
#include "service/engine/request.h"

struct lic_batch;

/* What needs no catalog: a SKU listed twice in addLicenses, or both added and removed. */
int license_request_check(const struct license_request *req, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Against the catalog loaded in b (the request's SKUs named as extra SKUs): an added SKU the
 * company does not have, a disabled plan that is not part of its SKU. */
int license_request_check_catalog(const struct license_request *req, const struct lic_batch *b,
                                  struct lic_error *err) __attribute__((warn_unused_result));

/* A direct assignment adding licenses to a user (b's one user) without a usage location of
 * their own: only group paths inherit the organization's country (semantics §2). */
int license_request_check_usage_location(const struct license_request *req,
                                         const struct lic_batch *b, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Direct removal of a SKU the user has no direct assignment of: inherited from the group
 * (group_id and group_name, or NULL when none), unknown to the company, or not held. Always -1. */
int license_request_refuse_removal(const char *sku_id, int known_sku, const char *group_id,
                                   const char *group_name, struct lic_error *err);

/* A group's request against its licenses now (current, n_current; their SKUs in b's catalog):
 * a removed SKU the group does not have; an enabled add-on plan left without any of its
 * prerequisites by the licenses the group would have (semantics §3). */
int license_request_check_group(const struct license_request *req, const struct lic_batch *b,
                                const struct license_add *current, int n_current,
                                struct lic_error *err) __attribute__((warn_unused_result));

/* The SKU ids the request names (adds, then removes), then those of more (n_more): what to load
 * the catalog for. *n receives how many; owned by the caller (free), NULL when memory runs out. */
const char **license_request_sku_ids(const struct license_request *req,
                                     const struct license_add *more, int n_more, int *n);

/* The request as an audit record's modifiedProperties: AddedLicenses and RemovedLicenses, their
 * values the SKU ids as JSON text (reference §1.9). NULL when memory runs out. */
json_t *license_request_modified(const struct license_request *req);

#endif
