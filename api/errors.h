/* Rendering struct lic_error as Graph's error envelope; the only place error JSON is written. */
#ifndef LICENSINGD_API_ERRORS_H
#define LICENSINGD_API_ERRORS_H

#include <jansson.h>
#include <time.h>

#include "service/base/error.h"

/* HTTP status for an error kind. */
unsigned api_error_status(enum lic_error_kind kind);

/* {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
 * client_request_id may be NULL (rendered as the request id, as Graph does). Owned by caller. */
json_t *api_render_error(const struct lic_error *err, const char *request_id,
                         const char *client_request_id, time_t now);

#endif
