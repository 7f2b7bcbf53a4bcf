/* Token-signing public keys (JWKS, RFC 7517): from a file, or from an OpenID Connect issuer
 * (discovery document -> jwks_uri, fetched with libcurl, cached, fetched again when a token names
 * a key the cache lacks, at most once per refresh interval). Thread-safe. */
#ifndef LICENSINGD_AUTH_JWKS_H
#define LICENSINGD_AUTH_JWKS_H

#include <jansson.h>
#include <openssl/types.h>

#include "service/base/error.h"

struct jwks;

/* Parses a JWKS document; keys licensingd cannot use (not RSA or EC P-256, "use" other than
 * "sig", RSA under 2048 bits) are skipped; none usable is an error. NULL with err on failure. */
struct jwks *jwks_from_text(const char *text, size_t len, struct lic_error *err);

/* The same, read from a file once. */
struct jwks *jwks_from_file(const char *path, struct lic_error *err);

/* Keys of an OpenID Connect issuer ("https://login.microsoftonline.com/{tenant}/v2.0"): its
 * discovery document must name the same issuer. A first fetch that fails is logged and retried
 * on demand; refresh_seconds bounds how often an unknown kid makes it fetch again. */
struct jwks *jwks_from_issuer(const char *issuer, unsigned refresh_seconds);

/* The key named kid (NULL: the one key of the set that fits alg) that can verify alg ("RS256":
 * RSA; "ES256": EC P-256; a key's own "alg", when it has one, must be alg). Owned: caller
 * EVP_PKEY_free. NULL when there is none. */
EVP_PKEY *jwks_find(struct jwks *set, const char *kid, const char *alg);

/* The issuer the keys belong to; NULL for a file. */
const char *jwks_issuer(const struct jwks *set);

/* How many times the issuer's key set was fetched (for the logs and the tests). */
unsigned jwks_fetches(struct jwks *set);

void jwks_free(struct jwks *set);

/* The public JWK of a key ({"kty","kid","alg","use", n/e or crv/x/y}); owned by the caller.
 * NULL for a key type licensingd does not verify. */
json_t *jwks_public_jwk(EVP_PKEY *pkey, const char *kid);

#endif
