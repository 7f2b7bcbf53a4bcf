/* The error every layer fills and api/errors.c renders: a kind (how bad), a Graph code, a reason.
 */
#ifndef LICENSINGD_ERROR_H
#define LICENSINGD_ERROR_H

#include <stddef.h>

enum lic_error_kind {
    LIC_OK = 0,
    LIC_ERR_BAD_REQUEST,  /* the client's mistake: 400 */
    LIC_ERR_FORBIDDEN,    /* 403 */
    LIC_ERR_NOT_FOUND,    /* 404 */
    LIC_ERR_METHOD,       /* 405 */
    LIC_ERR_CONFLICT,     /* 409 */
    LIC_ERR_TOO_LARGE,    /* 413 */
    LIC_ERR_UNAVAILABLE,  /* the database is unreachable: 503 */
    LIC_ERR_INTERNAL,     /* a bug or an unexpected database failure: 500 */
    LIC_ERR_UNAUTHORIZED, /* no valid bearer token: 401 */
};

struct lic_error {
    enum lic_error_kind kind;
    char code[64];     /* Graph error code, e.g. "Request_BadRequest" */
    char message[768]; /* human text, safe to show to the client */
};

/* Fills err (if not NULL) and returns -1 so callers can `return lic_error_set(...)`. */
int lic_error_set(struct lic_error *err, enum lic_error_kind kind, const char *code,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void lic_error_clear(struct lic_error *err);

/* The Graph code that goes with a kind when the caller has no better one. */
const char *lic_error_default_code(enum lic_error_kind kind);

#endif
