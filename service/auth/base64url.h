/* base64url without padding (RFC 7515 section 2), through OpenSSL's base64 after swapping the
 * alphabet. */
#ifndef LICENSINGD_AUTH_BASE64URL_H
#define LICENSINGD_AUTH_BASE64URL_H

#include <stddef.h>

/* Decodes len characters of text; NULL when they are not base64url (padding, whitespace and the
 * '+' '/' alphabet are refused too) or memory ran out. Owned: caller frees; *out_len its size.
 * The result is also NUL-terminated, so decoded JSON can be read as text. */
unsigned char *base64url_decode(const char *text, size_t len, size_t *out_len);

/* Encodes; owned: caller frees. NULL when memory ran out. */
char *base64url_encode(const unsigned char *data, size_t len);

#endif
