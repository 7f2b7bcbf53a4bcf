/* The bearer-token gate in front of the route table: who is calling (401 without a valid token)
 * and whether the token grants what the route needs (403). */
#ifndef LICENSINGD_API_AUTH_H
#define LICENSINGD_API_AUTH_H

#include <stddef.h>

#include "api/http.h"
#include "service/audit.h"
#include "service/auth/token.h"

/* 1 when a request for path that matched route (NULL: no route) must carry a token: every path
 * under /v1.0/ (a caller without a token learns nothing about which exist; a Graph route missing
 * its permission fails closed) and every route with a permission. Health checks, metrics and the
 * console's files stay open. */
int api_auth_required(const struct api_app *app, const struct route *route, const char *path);

/* Reads "Authorization: Bearer ..." and verifies it: 0 and the caller, or -1 with the 401. */
int api_auth_authenticate(const struct api_app *app, const struct api_request *req,
                          struct auth_caller *caller, struct lic_error *err)
    __attribute__((warn_unused_result));

/* 0 when the caller's token grants what route needs; -1 with the 403 otherwise. */
int api_auth_authorize(const struct auth_caller *caller, const struct route *route,
                       struct lic_error *err) __attribute__((warn_unused_result));

/* For checks a route's column cannot make (what a request body names): 0 when authentication is
 * off or the caller's token grants one of needs (space-separated names); -1 with the 403. */
int api_auth_require(const struct api_request *req, const char *needs, struct lic_error *err)
    __attribute__((warn_unused_result));

/* The WWW-Authenticate value that goes with a 401 (RFC 6750 section 3). */
void api_auth_challenge(const struct lic_error *err, int token_sent, char *out, size_t size);

/* The caller as the audit log names it (initiatedBy); NULL when nobody is known (authentication
 * off). Points into caller. */
const struct audit_actor *api_auth_actor(const struct auth_caller *caller, struct audit_actor *out);

/* The caller of req as service/ write functions take it (`by`); valid to the end of the block
 * the call is in. */
#define API_ACTOR(req) api_auth_actor((req)->caller, &(struct audit_actor){0})

#endif
