/* JWT verification with OpenSSL: an allowlist of algorithms, the key the header names, the
 * signature (EVP_DigestVerify, HMAC compared with CRYPTO_memcmp), then the claims. */
#include "service/auth/token.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/auth/base64url.h"
#include "service/auth/jwks.h"
#include "service/base/log.h"

#define MAX_TOKEN_BYTES 16384

struct token_verifier {
    unsigned char *secret; /* owned; NULL: no HS256 */
    size_t secret_len;
    struct jwks *file_keys;   /* owned; NULL: none */
    struct jwks *issuer_keys; /* owned; NULL: none */
    char audience[256];       /* "" : aud is not checked */
};

/* Graph's words for what is wrong with a token. */
#define MSG_MALFORMED "CompactToken parsing failed with error code: 80049217"
#define MSG_ALG "Access token validation failure. The signing algorithm is not accepted."
#define MSG_SIGNATURE "Signature is invalid."
#define MSG_LIFETIME "Access token has expired or is not yet valid."
#define MSG_NO_EXPIRY "Lifetime validation failed, the token is missing an expiration time."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_ISSUER "Access token validation failure. Invalid issuer."
#define MSG_CLAIMS "Access token validation failure."

static int refuse(struct lic_error *err, const char *message)
{
    return lic_error_set(err, LIC_ERR_UNAUTHORIZED, "InvalidAuthenticationToken", "%s", message);
}

struct token_verifier *token_verifier_open(const struct config *cfg, struct lic_error *err)
{
    if (cfg->jwt_secret[0] == '\0' && cfg->jwks_file[0] == '\0' && cfg->oidc_issuer[0] == '\0') {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                      "no way to verify bearer tokens: set LICENSINGD_OIDC_ISSUER (an OpenID "
                      "Connect issuer), LICENSINGD_JWKS_FILE (a JWKS file) or "
                      "LICENSINGD_JWT_SECRET (a shared HS256 secret of %d bytes or more), or "
                      "start with --insecure-no-auth to accept every request",
                      TOKEN_MIN_SECRET_BYTES);
        return NULL;
    }
    struct token_verifier *v = calloc(1, sizeof(*v));
    if (v == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    snprintf(v->audience, sizeof(v->audience), "%s", cfg->jwt_audience);
    if (cfg->jwt_secret[0] != '\0') {
        v->secret_len = strlen(cfg->jwt_secret);
        if (v->secret_len < TOKEN_MIN_SECRET_BYTES) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                          "LICENSINGD_JWT_SECRET: %zu bytes is too short for HS256; use %d or "
                          "more (openssl rand -hex 32)",
                          v->secret_len, TOKEN_MIN_SECRET_BYTES);
            goto fail;
        }
        v->secret = malloc(v->secret_len);
        if (v->secret == NULL) {
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
        memcpy(v->secret, cfg->jwt_secret, v->secret_len);
    }
    if (cfg->jwks_file[0] != '\0' && (v->file_keys = jwks_from_file(cfg->jwks_file, err)) == NULL)
        goto fail;
    if (cfg->oidc_issuer[0] != '\0' &&
        (v->issuer_keys = jwks_from_issuer(cfg->oidc_issuer, TOKEN_JWKS_REFRESH_SECONDS)) == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    return v;
fail:
    token_verifier_close(v);
    return NULL;
}

void token_verifier_close(struct token_verifier *v)
{
    if (v == NULL)
        return;
    if (v->secret != NULL)
        OPENSSL_cleanse(v->secret, v->secret_len);
    free(v->secret);
    jwks_free(v->file_keys);
    jwks_free(v->issuer_keys);
    free(v);
}

struct jwks *token_verifier_issuer_keys(struct token_verifier *v)
{
    return v->issuer_keys;
}

/* ---- signatures ---- */

static int hs256(const unsigned char *secret, size_t secret_len, const char *data, size_t len,
                 unsigned char mac[32])
{
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)data, len, mac,
             &mac_len) == NULL ||
        mac_len != 32)
        return -1;
    return 0;
}

/* JWS carries ECDSA signatures as r || s (RFC 7518 section 3.4); OpenSSL wants DER. */
static unsigned char *es256_der(const unsigned char *raw, size_t raw_len, size_t *der_len)
{
    if (raw_len != 64)
        return NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *der = NULL;
    if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return NULL;
    }
    int n = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (n <= 0)
        return NULL;
    *der_len = (size_t)n;
    return der;
}

static int verify_with_key(EVP_PKEY *pkey, const char *alg, const char *data, size_t len,
                           const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    size_t der_len = 0;
    if (strcmp(alg, "ES256") == 0) {
        if ((der = es256_der(sig, sig_len, &der_len)) == NULL)
            return 0;
        sig = der;
        sig_len = der_len;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

/* ---- claims ---- */

/* Copies a string claim; -1 when it is there but not a string or too long. */
static int claim_text(json_t *j_claims, const char *name, const char *fallback, char *out,
                      size_t size)
{
    out[0] = '\0';
    json_t *j = json_object_get(j_claims, name);
    if (j == NULL && fallback != NULL)
        j = json_object_get(j_claims, fallback);
    if (j == NULL)
        return 0;
    const char *text = json_string_value(j);
    if (text == NULL || strlen(text) >= size)
        return -1;
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

static int has_audience(json_t *j_aud, const char *audience)
{
    if (json_is_string(j_aud))
        return strcmp(json_string_value(j_aud), audience) == 0;
    size_t i;
    json_t *j_item;
    json_array_foreach(j_aud, i, j_item)
    {
        if (json_is_string(j_item) && strcmp(json_string_value(j_item), audience) == 0)
            return 1;
    }
    return 0;
}

static int read_caller(json_t *j_claims, struct auth_caller *out)
{
    memset(out, 0, sizeof(*out));
    json_t *j_scp = json_object_get(j_claims, "scp");
    if (j_scp == NULL)
        j_scp = json_object_get(j_claims, "scope"); /* RFC 9068, Keycloak */
    json_t *j_roles = json_object_get(j_claims, "roles");
    if ((j_scp != NULL && !json_is_string(j_scp)) || (j_roles != NULL && !json_is_array(j_roles)))
        return -1;
    out->delegated = j_scp != NULL;
    out->granted = permissions_from_list(json_string_value(j_scp));
    size_t i;
    json_t *j_role;
    json_array_foreach(j_roles, i, j_role)
    {
        const char *role = json_string_value(j_role);
        enum permission p;
        if (role != NULL && permission_from_name(role, strlen(role), &p) == 0)
            out->granted |= PERM_BIT(p);
    }
    if (claim_text(j_claims, "azp", "appid", out->app_id, sizeof(out->app_id)) != 0 ||
        claim_text(j_claims, "app_displayname", NULL, out->app_name, sizeof(out->app_name)) != 0)
        return -1;
    if (!out->delegated)
        return 0;
    return claim_text(j_claims, "oid", "sub", out->user_id, sizeof(out->user_id)) != 0 ||
                   claim_text(j_claims, "upn", "preferred_username", out->user_upn,
                              sizeof(out->user_upn)) != 0
               ? -1
               : 0;
}

static int check_claims(const struct token_verifier *v, json_t *j_claims, time_t now,
                        const char *issuer, struct auth_caller *out, struct lic_error *err)
{
    json_t *j_exp = json_object_get(j_claims, "exp"), *j_nbf = json_object_get(j_claims, "nbf");
    if (!json_is_number(j_exp))
        return refuse(err, MSG_NO_EXPIRY);
    if ((double)now > json_number_value(j_exp) + TOKEN_SKEW_SECONDS)
        return refuse(err, MSG_LIFETIME);
    if (j_nbf != NULL &&
        (!json_is_number(j_nbf) || (double)now + TOKEN_SKEW_SECONDS < json_number_value(j_nbf)))
        return refuse(err, MSG_LIFETIME);
    if (issuer != NULL) {
        const char *iss = json_string_value(json_object_get(j_claims, "iss"));
        if (iss == NULL || strcmp(iss, issuer) != 0)
            return refuse(err, MSG_ISSUER);
    }
    if (v->audience[0] != '\0' && !has_audience(json_object_get(j_claims, "aud"), v->audience))
        return refuse(err, MSG_AUDIENCE);
    if (read_caller(j_claims, out) != 0)
        return refuse(err, MSG_CLAIMS);
    return 0;
}

static json_t *decode_object(const char *part, size_t len)
{
    size_t n = 0;
    unsigned char *text = base64url_decode(part, len, &n);
    json_t *j = text ? json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(text);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

int token_verify(struct token_verifier *v, const char *token, time_t now, struct auth_caller *out,
                 struct lic_error *err)
{
    int rc = -1;
    json_t *j_header = NULL, *j_claims = NULL;
    unsigned char *sig = NULL;
    EVP_PKEY *pkey = NULL;
    size_t len = strnlen(token, MAX_TOKEN_BYTES + 1);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (len > MAX_TOKEN_BYTES || dot1 == NULL || dot2 == NULL ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
        refuse(err, MSG_MALFORMED);
        goto out;
    }
    size_t signed_len = (size_t)(dot2 - token), sig_len = 0;
    j_header = decode_object(token, (size_t)(dot1 - token));
    j_claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    sig = base64url_decode(dot2 + 1, len - signed_len - 1, &sig_len);
    if (j_header == NULL || j_claims == NULL || sig == NULL) {
        refuse(err, MSG_MALFORMED);
        goto out;
    }

    /* The header only picks among keys we configured: "none", HS256 without our secret, a key
     * of another type, or extensions we do not implement ("crit") are refused. */
    const char *alg = json_string_value(json_object_get(j_header, "alg"));
    json_t *j_kid = json_object_get(j_header, "kid");
    if (alg == NULL || json_object_get(j_header, "crit") != NULL ||
        (j_kid != NULL && !json_is_string(j_kid))) {
        refuse(err, MSG_ALG);
        goto out;
    }
    const char *kid = json_string_value(j_kid), *issuer = NULL;
    if (strcmp(alg, "HS256") == 0) {
        unsigned char mac[32];
        if (v->secret == NULL) {
            refuse(err, MSG_ALG);
            goto out;
        }
        if (hs256(v->secret, v->secret_len, token, signed_len, mac) != 0 || sig_len != 32 ||
            CRYPTO_memcmp(mac, sig, 32) != 0) {
            refuse(err, MSG_SIGNATURE);
            goto out;
        }
    } else if (strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0) {
        if (v->file_keys != NULL)
            pkey = jwks_find(v->file_keys, kid, alg);
        if (pkey == NULL && v->issuer_keys != NULL) {
            pkey = jwks_find(v->issuer_keys, kid, alg);
            issuer = jwks_issuer(v->issuer_keys);
        }
        if (pkey == NULL || !verify_with_key(pkey, alg, token, signed_len, sig, sig_len)) {
            refuse(err, MSG_SIGNATURE);
            goto out;
        }
    } else {
        refuse(err, MSG_ALG);
        goto out;
    }
    rc = check_claims(v, j_claims, now, issuer, out, err);
out:
    EVP_PKEY_free(pkey);
    free(sig);
    json_decref(j_header);
    json_decref(j_claims);
    return rc;
}

/* ---- signing ---- */

static unsigned char *sign_with_key(EVP_PKEY *pkey, const char *alg, const char *data, size_t len,
                                    size_t *sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL, *raw = NULL;
    size_t n = 0;
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)data, len) != 1 ||
        (sig = OPENSSL_malloc(n)) == NULL ||
        EVP_DigestSign(ctx, sig, &n, (const unsigned char *)data, len) != 1)
        goto fail;
    EVP_MD_CTX_free(ctx);
    ctx = NULL;
    if (strcmp(alg, "RS256") == 0) {
        *sig_len = n;
        return sig;
    }
    const unsigned char *p = sig;
    ECDSA_SIG *ec = d2i_ECDSA_SIG(NULL, &p, (long)n);
    const BIGNUM *r = NULL, *s = NULL;
    if (ec != NULL)
        ECDSA_SIG_get0(ec, &r, &s);
    raw = OPENSSL_malloc(64);
    int ok = ec != NULL && raw != NULL && BN_bn2binpad(r, raw, 32) == 32 &&
             BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(ec);
    OPENSSL_free(sig);
    if (!ok) {
        OPENSSL_free(raw);
        return NULL;
    }
    *sig_len = 64;
    return raw;
fail:
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(sig);
    return NULL;
}

char *token_sign(const char *alg, const char *kid, EVP_PKEY *pkey, const unsigned char *secret,
                 size_t secret_len, json_t *j_claims, struct lic_error *err)
{
    char *result = NULL, *header_text = NULL, *claims_text = NULL, *h64 = NULL, *c64 = NULL,
         *s64 = NULL, *signing = NULL;
    unsigned char mac[32], *sig = NULL;
    size_t sig_len = 0;
    json_t *j_header = json_pack("{s:s, s:s, s:s*}", "alg", alg, "typ", "JWT", "kid", kid);
    header_text = j_header ? json_dumps(j_header, JSON_COMPACT) : NULL;
    claims_text = json_dumps(j_claims, JSON_COMPACT);
    if (header_text == NULL || claims_text == NULL ||
        (h64 = base64url_encode((unsigned char *)header_text, strlen(header_text))) == NULL ||
        (c64 = base64url_encode((unsigned char *)claims_text, strlen(claims_text))) == NULL ||
        asprintf(&signing, "%s.%s", h64, c64) < 0) {
        signing = NULL;
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (strcmp(alg, "HS256") == 0 && secret != NULL) {
        if (hs256(secret, secret_len, signing, strlen(signing), mac) == 0)
            s64 = base64url_encode(mac, sizeof(mac));
    } else if ((strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0) && pkey != NULL) {
        if ((sig = sign_with_key(pkey, alg, signing, strlen(signing), &sig_len)) != NULL)
            s64 = base64url_encode(sig, sig_len);
    } else {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "cannot sign with %s and the key given", alg);
        goto out;
    }
    if (s64 == NULL || asprintf(&result, "%s.%s", signing, s64) < 0) {
        result = NULL;
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "signing with %s failed", alg);
    }
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    OPENSSL_free(sig);
    json_decref(j_header);
    free(header_text);
    free(claims_text);
    free(h64);
    free(c64);
    free(s64);
    free(signing);
    return result;
}
