/* JWKS: parsing keys into OpenSSL EVP_PKEYs (OSSL_PARAM + EVP_PKEY_fromdata), and the issuer's
 * cache with its rate-limited refresh. */
#include "service/auth/jwks.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/auth/base64url.h"
#include "service/base/buf.h"
#include "service/base/http_client.h"
#include "service/base/log.h"

#define MIN_RSA_BITS 2048
#define MAX_DOCUMENT (1u << 20)
#define RETRY_UNLOADED_SECONDS 5 /* while an issuer's keys were never fetched */

enum key_type { KEY_RSA, KEY_EC_P256 };

struct key_entry {
    char *kid; /* owned; NULL when the JWK has none */
    enum key_type type;
    char alg[16]; /* the JWK's own "alg", or "" */
    EVP_PKEY *pkey;
};

struct keyring {
    struct key_entry *keys; /* owned */
    size_t n;
};

struct jwks {
    pthread_mutex_t lock;       /* guards ring, loaded, last_on_demand, fetches */
    pthread_mutex_t fetch_lock; /* one fetch at a time */
    struct keyring ring;
    char *issuer;   /* owned; NULL for a file */
    char *jwks_uri; /* owned; from discovery */
    unsigned refresh_seconds;
    int loaded;
    int fetched_on_demand;
    time_t last_on_demand; /* CLOCK_MONOTONIC seconds */
    unsigned fetches;
};

static void ring_free(struct keyring *ring)
{
    for (size_t i = 0; i < ring->n; i++) {
        free(ring->keys[i].kid);
        EVP_PKEY_free(ring->keys[i].pkey);
    }
    free(ring->keys);
    ring->keys = NULL;
    ring->n = 0;
}

/* A base64url member decoded to bytes; NULL when absent or malformed. */
static unsigned char *member_bytes(json_t *j_key, const char *name, size_t *len)
{
    const char *text = json_string_value(json_object_get(j_key, name));
    return text ? base64url_decode(text, strlen(text), len) : NULL;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_key(json_t *j_key)
{
    size_t n_len = 0, e_len = 0;
    unsigned char *n = member_bytes(j_key, "n", &n_len), *e = member_bytes(j_key, "e", &e_len);
    EVP_PKEY *pkey = NULL;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (n == NULL || e == NULL || n_len == 0 || e_len == 0 || bld == NULL)
        goto out;
    bn_n = BN_bin2bn(n, (int)n_len, NULL);
    bn_e = BN_bin2bn(e, (int)e_len, NULL);
    if (bn_n == NULL || bn_e == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        goto out;
    pkey = from_params("RSA", bld);
    if (pkey != NULL && EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *j_key)
{
    const char *crv = json_string_value(json_object_get(j_key, "crv"));
    if (crv == NULL || strcmp(crv, "P-256") != 0)
        return NULL;
    size_t x_len = 0, y_len = 0;
    unsigned char *x = member_bytes(j_key, "x", &x_len), *y = member_bytes(j_key, "y", &y_len);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    unsigned char point[65]; /* uncompressed: 0x04 || x || y */
    if (x == NULL || y == NULL || x_len != 32 || y_len != 32 || bld == NULL)
        goto out;
    point[0] = 0x04;
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
        goto out;
    pkey = from_params("EC", bld);
    if (pkey != NULL) {
        /* A point off the curve is no key. */
        EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (check == NULL || EVP_PKEY_public_check(check) != 1) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
        EVP_PKEY_CTX_free(check);
    }
out:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

/* 1: a usable key in out; 0: skipped. */
static int parse_key(json_t *j_key, struct key_entry *out)
{
    const char *kty = json_string_value(json_object_get(j_key, "kty"));
    const char *use = json_string_value(json_object_get(j_key, "use"));
    const char *alg = json_string_value(json_object_get(j_key, "alg"));
    const char *kid = json_string_value(json_object_get(j_key, "kid"));
    if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
        return 0;
    memset(out, 0, sizeof(*out));
    if (strcmp(kty, "RSA") == 0 && (alg == NULL || strcmp(alg, "RS256") == 0)) {
        out->type = KEY_RSA;
        out->pkey = rsa_key(j_key);
    } else if (strcmp(kty, "EC") == 0 && (alg == NULL || strcmp(alg, "ES256") == 0)) {
        out->type = KEY_EC_P256;
        out->pkey = ec_key(j_key);
    }
    if (out->pkey == NULL)
        return 0;
    snprintf(out->alg, sizeof(out->alg), "%s", alg ? alg : "");
    out->kid = kid ? strdup(kid) : NULL;
    if (kid != NULL && out->kid == NULL) {
        EVP_PKEY_free(out->pkey);
        return 0;
    }
    return 1;
}

static int ring_parse(const char *text, size_t len, struct keyring *ring, struct lic_error *err)
{
    memset(ring, 0, sizeof(*ring));
    json_error_t jerr;
    json_t *j_doc = json_loadb(text, len, 0, &jerr);
    json_t *j_keys = json_object_get(j_doc, "keys");
    if (!json_is_array(j_keys)) {
        json_decref(j_doc);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                             "not a JWKS document (a JSON object with a \"keys\" array)");
    }
    size_t n = json_array_size(j_keys);
    ring->keys = calloc(n ? n : 1, sizeof(*ring->keys));
    if (ring->keys == NULL) {
        json_decref(j_doc);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (parse_key(json_array_get(j_keys, i), &ring->keys[ring->n]))
            ring->n++;
    json_decref(j_doc);
    if (ring->n == 0) {
        ring_free(ring);
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL,
                             "the JWKS has no usable key (RSA of 2048 bits or more, or EC P-256, "
                             "for signatures)");
    }
    return 0;
}

static int fits(const struct key_entry *k, const char *alg)
{
    enum key_type want;
    if (strcmp(alg, "RS256") == 0)
        want = KEY_RSA;
    else if (strcmp(alg, "ES256") == 0)
        want = KEY_EC_P256;
    else
        return 0;
    return k->type == want && (k->alg[0] == '\0' || strcmp(k->alg, alg) == 0);
}

/* Caller holds set->lock. */
static EVP_PKEY *ring_find(const struct keyring *ring, const char *kid, const char *alg)
{
    const struct key_entry *found = NULL;
    for (size_t i = 0; i < ring->n; i++) {
        const struct key_entry *k = &ring->keys[i];
        if (kid != NULL) {
            if (k->kid != NULL && strcmp(k->kid, kid) == 0) {
                found = fits(k, alg) ? k : NULL;
                break;
            }
        } else if (fits(k, alg)) {
            if (found != NULL)
                return NULL; /* no kid and several candidates: which one is not ours to guess */
            found = k;
        }
    }
    if (found == NULL || EVP_PKEY_up_ref(found->pkey) != 1)
        return NULL;
    return found->pkey;
}

static struct jwks *set_new(void)
{
    struct jwks *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return NULL;
    pthread_mutex_init(&set->lock, NULL);
    pthread_mutex_init(&set->fetch_lock, NULL);
    return set;
}

struct jwks *jwks_from_text(const char *text, size_t len, struct lic_error *err)
{
    struct jwks *set = set_new();
    if (set == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (ring_parse(text, len, &set->ring, err) != 0) {
        jwks_free(set);
        return NULL;
    }
    set->loaded = 1;
    return set;
}

struct jwks *jwks_from_file(const char *path, struct lic_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "cannot open %s", path);
        return NULL;
    }
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < MAX_DOCUMENT)
        buf_add_n(&b, chunk, n);
    fclose(f);
    struct jwks *set = NULL;
    if (b.failed || b.len >= MAX_DOCUMENT) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "%s: too large or out of memory", path);
    } else {
        set = jwks_from_text(b.data ? b.data : "", b.len, err);
        if (set == NULL) {
            char why[sizeof(err->message)];
            snprintf(why, sizeof(why), "%s", err->message);
            lic_error_set(err, LIC_ERR_INTERNAL, NULL, "%s: %s", path, why);
        }
    }
    buf_free(&b);
    return set;
}

/* ---- fetching an issuer's keys ---- */

/* GETs url into out (owned: caller frees); 0, or -1 with a reason in why. */
static int http_get(const char *url, char **out, char *why, size_t why_size)
{
    struct http_result r;
    *out = NULL;
    if (http_client_get(url, 10000, &r) != 0) {
        snprintf(why, why_size, "GET %.1000s: %s", url, r.error);
        return -1;
    }
    if (r.status != 200) {
        snprintf(why, why_size, "GET %.1000s: HTTP %ld", url, r.status);
        free(r.body);
        return -1;
    }
    *out = r.body;
    return 0;
}

/* Discovery (once it has worked, the jwks_uri is kept), then the keys; 0 and a new ring, or -1
 * (logged). Called under fetch_lock only. */
static int fetch(struct jwks *set, struct keyring *ring)
{
    char why[2048] = "";
    char *body = NULL;
    struct lic_error err;
    int rc = -1;
    if (set->jwks_uri == NULL) {
        char url[1024];
        size_t n = strlen(set->issuer);
        while (n > 0 && set->issuer[n - 1] == '/')
            n--;
        snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)n, set->issuer);
        if (http_get(url, &body, why, sizeof(why)) != 0)
            goto out;
        json_t *j_doc = json_loads(body, 0, NULL);
        const char *iss = json_string_value(json_object_get(j_doc, "issuer"));
        const char *uri = json_string_value(json_object_get(j_doc, "jwks_uri"));
        if (iss == NULL || strcmp(iss, set->issuer) != 0) {
            snprintf(why, sizeof(why), "%.1000s names issuer '%.200s', not the one configured", url,
                     iss ? iss : "");
        } else if (uri == NULL ||
                   (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0)) {
            snprintf(why, sizeof(why), "%.1000s has no http(s) jwks_uri", url);
        } else {
            set->jwks_uri = strdup(uri);
        }
        json_decref(j_doc);
        free(body);
        body = NULL;
        if (set->jwks_uri == NULL)
            goto out;
    }
    if (http_get(set->jwks_uri, &body, why, sizeof(why)) != 0)
        goto out;
    if (ring_parse(body, strlen(body), ring, &err) != 0) {
        snprintf(why, sizeof(why), "%.1000s: %s", set->jwks_uri, err.message);
        goto out;
    }
    log_event(LOG_INFO, "jwks_fetched", "%zu keys from %s", ring->n, set->jwks_uri);
    rc = 0;
out:
    if (rc != 0)
        log_event(LOG_WARN, "jwks_fetch_failed", "%s", why);
    free(body);
    return rc;
}

static time_t monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Fetches and installs a new ring; returns with set->lock NOT held. */
static void refresh(struct jwks *set)
{
    struct keyring fresh;
    pthread_mutex_lock(&set->lock);
    set->fetches++;
    pthread_mutex_unlock(&set->lock);
    if (fetch(set, &fresh) != 0)
        return;
    pthread_mutex_lock(&set->lock);
    struct keyring old = set->ring;
    set->ring = fresh;
    set->loaded = 1;
    pthread_mutex_unlock(&set->lock);
    ring_free(&old); /* keys handed out earlier hold their own references */
}

struct jwks *jwks_from_issuer(const char *issuer, unsigned refresh_seconds)
{
    struct jwks *set = set_new();
    if (set == NULL || (set->issuer = strdup(issuer)) == NULL) {
        jwks_free(set);
        return NULL;
    }
    set->refresh_seconds = refresh_seconds;
    /* The start-up fetch is not one an unknown kid asked for: the first such kid may fetch. */
    pthread_mutex_lock(&set->fetch_lock);
    refresh(set);
    pthread_mutex_unlock(&set->fetch_lock);
    return set;
}

EVP_PKEY *jwks_find(struct jwks *set, const char *kid, const char *alg)
{
    pthread_mutex_lock(&set->lock);
    EVP_PKEY *pkey = ring_find(&set->ring, kid, alg);
    int loaded = set->loaded;
    pthread_mutex_unlock(&set->lock);
    if (pkey != NULL || set->issuer == NULL || (kid == NULL && loaded))
        return pkey;

    /* An unknown kid: the issuer may have rotated its keys. One thread fetches; the others wait
     * for it and look again. Verification of known kids never waits for the network. */
    pthread_mutex_lock(&set->fetch_lock);
    pthread_mutex_lock(&set->lock);
    pkey = ring_find(&set->ring, kid, alg);
    time_t now = monotonic_seconds();
    unsigned interval = set->loaded ? set->refresh_seconds : RETRY_UNLOADED_SECONDS;
    int allowed = !set->fetched_on_demand || now - set->last_on_demand >= (time_t)interval;
    if (pkey == NULL && allowed) {
        set->fetched_on_demand = 1;
        set->last_on_demand = now;
    }
    pthread_mutex_unlock(&set->lock);
    if (pkey == NULL && allowed) {
        refresh(set);
        pthread_mutex_lock(&set->lock);
        pkey = ring_find(&set->ring, kid, alg);
        pthread_mutex_unlock(&set->lock);
    }
    pthread_mutex_unlock(&set->fetch_lock);
    return pkey;
}

const char *jwks_issuer(const struct jwks *set)
{
    return set->issuer;
}

unsigned jwks_fetches(struct jwks *set)
{
    pthread_mutex_lock(&set->lock);
    unsigned n = set->fetches;
    pthread_mutex_unlock(&set->lock);
    return n;
}

void jwks_free(struct jwks *set)
{
    if (set == NULL)
        return;
    ring_free(&set->ring);
    free(set->issuer);
    free(set->jwks_uri);
    pthread_mutex_destroy(&set->lock);
    pthread_mutex_destroy(&set->fetch_lock);
    free(set);
}

/* ---- public JWKs of keys (tests, and documentation of the format) ---- */

static json_t *bn_member(EVP_PKEY *pkey, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
        return NULL;
    int len = pad ? pad : BN_num_bytes(bn);
    unsigned char *bytes = malloc((size_t)len + 1);
    char *text = NULL;
    if (bytes != NULL && BN_bn2binpad(bn, bytes, len) == len)
        text = base64url_encode(bytes, (size_t)len);
    json_t *j = text ? json_string(text) : NULL;
    free(text);
    free(bytes);
    BN_free(bn);
    return j;
}

json_t *jwks_public_jwk(EVP_PKEY *pkey, const char *kid)
{
    if (EVP_PKEY_is_a(pkey, "RSA"))
        return json_pack("{s:s, s:s, s:s, s:s*, s:o*, s:o*}", "kty", "RSA", "use", "sig", "alg",
                         "RS256", "kid", kid, "n", bn_member(pkey, OSSL_PKEY_PARAM_RSA_N, 0), "e",
                         bn_member(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
    char group[64] = "";
    if (EVP_PKEY_is_a(pkey, "EC") &&
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL) == 1 &&
        strcmp(group, "prime256v1") == 0)
        return json_pack("{s:s, s:s, s:s, s:s*, s:s, s:o*, s:o*}", "kty", "EC", "use", "sig", "alg",
                         "ES256", "kid", kid, "crv", "P-256", "x",
                         bn_member(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32), "y",
                         bn_member(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    return NULL;
}
