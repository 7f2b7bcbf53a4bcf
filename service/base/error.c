/* Filling struct lic_error; rendering it belongs to api/errors.c. */
#include "service/base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *lic_error_default_code(enum lic_error_kind kind)
{
    switch (kind) {
    case LIC_OK:
        return "";
    case LIC_ERR_BAD_REQUEST:
        return "Request_BadRequest";
    case LIC_ERR_FORBIDDEN:
        return "Authorization_RequestDenied";
    case LIC_ERR_NOT_FOUND:
        return "Request_ResourceNotFound";
    case LIC_ERR_METHOD:
        return "Request_BadRequest";
    case LIC_ERR_CONFLICT:
        return "Request_BadRequest";
    case LIC_ERR_TOO_LARGE:
        return "Request_EntityTooLarge";
    case LIC_ERR_UNAVAILABLE:
        return "ServiceUnavailable";
    case LIC_ERR_INTERNAL:
        return "InternalServerError";
    case LIC_ERR_UNAUTHORIZED:
        return "InvalidAuthenticationToken";
    }
    return "InternalServerError";
}

int lic_error_set(struct lic_error *err, enum lic_error_kind kind, const char *code,
                  const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->kind = kind;
    snprintf(err->code, sizeof(err->code), "%s", code ? code : lic_error_default_code(kind));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

void lic_error_clear(struct lic_error *err)
{
    if (err == NULL)
        return;
    err->kind = LIC_OK;
    err->code[0] = '\0';
    err->message[0] = '\0';
}
