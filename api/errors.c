/* Graph error envelope (reference §3): code, message, innerError with date and request ids. */
#include "api/errors.h"

unsigned api_error_status(enum lic_error_kind kind)
{
    switch (kind) {
    case LIC_OK:
        return 200;
    case LIC_ERR_BAD_REQUEST:
        return 400;
    case LIC_ERR_FORBIDDEN:
        return 403;
    case LIC_ERR_NOT_FOUND:
        return 404;
    case LIC_ERR_METHOD:
        return 405;
    case LIC_ERR_CONFLICT:
        return 409;
    case LIC_ERR_TOO_LARGE:
        return 413;
    case LIC_ERR_UNAVAILABLE:
        return 503;
    case LIC_ERR_INTERNAL:
        return 500;
    case LIC_ERR_UNAUTHORIZED:
        return 401;
    }
    return 500;
}

json_t *api_render_error(const struct lic_error *err, const char *request_id,
                         const char *client_request_id, time_t now)
{
    char date[32];
    struct tm tm;
    gmtime_r(&now, &tm);
    /* Graph writes innerError.date without zone or fraction. */
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    const char *code = err->code[0] ? err->code : lic_error_default_code(err->kind);
    json_t *j_message = json_string(err->message);
    if (j_message == NULL) /* a message quoting invalid UTF-8 from the client */
        j_message = json_string("The request could not be processed.");
    return json_pack("{s:{s:s, s:o, s:{s:s, s:s, s:s}}}", "error", "code", code, "message",
                     j_message, "innerError", "date", date, "request-id", request_id,
                     "client-request-id", client_request_id ? client_request_id : request_id);
}
