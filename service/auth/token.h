/* Bearer tokens: JWT verification (HS256 with the shared secret; RS256 and ES256 with JWKS keys
 * from a file or an OpenID Connect issuer), the caller a valid token names and what it may do;
 * signing, for `licensingd token` and the tests. */
#ifndef LICENSINGD_AUTH_TOKEN_H
#define LICENSINGD_AUTH_TOKEN_H

#include <jansson.h>
#include <openssl/types.h>
#include <time.h>

#include "service/auth/permissions.h"
#include "service/base/config.h"
#include "service/base/error.h"

#define TOKEN_SKEW_SECONDS 60 /* exp and nbf tolerate clocks this far apart */
#define TOKEN_JWKS_REFRESH_SECONDS                                                                 \
    60                            /* an unknown kid fetches an issuer's keys at most this often */
#define TOKEN_MIN_SECRET_BYTES 32 /* HS256: RFC 7518 section 3.2, a key as long as the hash */

/* Who called, from a valid token. Strings are "" when the token lacks the claim. */
struct auth_caller {
    int delegated;      /* 1: a user's token (scp); 0: an application's (roles) */
    char user_id[128];  /* oid, else sub (delegated) */
    char user_upn[256]; /* upn, else preferred_username (delegated) */
    char app_id[128];   /* azp, else appid */
    char app_name[256]; /* app_displayname */
    perm_set granted;   /* scp (or scope) and roles, as the token names them */
};

struct token_verifier;

/* Builds the verifier from LICENSINGD_JWT_SECRET, LICENSINGD_JWKS_FILE, LICENSINGD_OIDC_ISSUER
 * and LICENSINGD_JWT_AUDIENCE. NULL with err (naming what to set) when none of the three key
 * sources is configured or one is unusable. */
struct token_verifier *token_verifier_open(const struct config *cfg, struct lic_error *err);
void token_verifier_close(struct token_verifier *v);

/* Verifies token (the part after "Bearer ") at time now: 0 and the caller, or -1 with a 401
 * InvalidAuthenticationToken in err, worded as Graph words it. */
int token_verify(struct token_verifier *v, const char *token, time_t now, struct auth_caller *out,
                 struct lic_error *err) __attribute__((warn_unused_result));

/* The verifier's OpenID Connect key set, or NULL (for the logs and the tests). */
struct jwks *token_verifier_issuer_keys(struct token_verifier *v);

/* A compact JWT of j_claims signed with alg: "HS256" with secret, "RS256" or "ES256" with pkey
 * (a private key); kid goes into the header when not NULL. Owned: caller frees. NULL with err. */
char *token_sign(const char *alg, const char *kid, EVP_PKEY *pkey, const unsigned char *secret,
                 size_t secret_len, json_t *j_claims, struct lic_error *err);

#endif
