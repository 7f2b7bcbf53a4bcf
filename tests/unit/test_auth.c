/* Unit tests of bearer-token verification: Graph's permissions and what includes what,
 * base64url, JWKS keys, and JWT verification (HS256, RS256, ES256) with its refusals. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/http.h"
#include "service/auth/base64url.h"
#include "service/auth/jwks.h"
#include "service/auth/permissions.h"
#include "service/auth/token.h"
#include "tests/unit/run_suite.h"

#define SECRET "0123456789abcdef0123456789abcdef-test"
#define NOW 1700000000L

/* ---- permissions ---- */

static perm_set perms(const char *names)
{
    perm_set set = 0;
    char bad[64];
    ck_assert_int_eq(permissions_parse_strict(names, &set, bad, sizeof(bad)), 0);
    return set;
}

START_TEST(permission_names_round_trip_case_insensitively)
{
    for (int p = 0; p < PERM_COUNT; p++) {
        enum permission back;
        const char *name = permission_name((enum permission)p);
        ck_assert_int_eq(permission_from_name(name, strlen(name), &back), 0);
        ck_assert_int_eq(back, p);
    }
    enum permission p;
    ck_assert_int_eq(permission_from_name("user.read.all", 13, &p), 0);
    ck_assert_int_eq(p, PERM_USER_READ_ALL);
    ck_assert_int_eq(permission_from_name("User.Read", 9, &p), -1);
    ck_assert_str_eq(permission_name(PERM_COUNT), "?");
}
END_TEST

START_TEST(readwrite_includes_read_and_directory_includes_users_and_groups)
{
    ck_assert(permissions_satisfy(perms("User.ReadWrite.All"), perms("User.Read.All")));
    ck_assert(!permissions_satisfy(perms("User.Read.All"), perms("User.ReadWrite.All")));
    ck_assert(permissions_satisfy(perms("Group.Read.All"), perms("GroupMember.Read.All")));
    ck_assert(
        permissions_satisfy(perms("Group.ReadWrite.All"), perms("GroupMember.ReadWrite.All")));
    ck_assert(!permissions_satisfy(perms("GroupMember.ReadWrite.All"), perms("Group.Read.All")));
    perm_set dir_rw = perms("Directory.ReadWrite.All");
    ck_assert(permissions_satisfy(dir_rw, perms("User.ReadWrite.All")));
    ck_assert(permissions_satisfy(dir_rw, perms("Group.ReadWrite.All")));
    ck_assert(permissions_satisfy(dir_rw, perms("GroupMember.Read.All")));
    ck_assert(permissions_satisfy(dir_rw, perms("LicenseAssignment.ReadWrite.All")));
    ck_assert(permissions_satisfy(dir_rw, perms("Organization.Read.All")));
    /* Graph lists only Organization.ReadWrite.All for organization changes; audit logs stand
     * alone. */
    ck_assert(!permissions_satisfy(dir_rw, perms("Organization.ReadWrite.All")));
    ck_assert(!permissions_satisfy(dir_rw, perms("AuditLog.Read.All")));
    ck_assert(!permissions_satisfy(perms("Directory.Read.All"), perms("User.ReadWrite.All")));
    /* Any one of several needs is enough. */
    ck_assert(permissions_satisfy(perms("User.ReadWrite.All"),
                                  perms("LicenseAssignment.ReadWrite.All User.ReadWrite.All")));
    ck_assert(!permissions_satisfy(0, perms("User.Read.All")));
}
END_TEST

START_TEST(scope_lists_skip_other_apis_and_strict_lists_name_the_unknown)
{
    ck_assert_uint_eq(permissions_from_list("openid  profile User.Read.All offline_access"),
                      PERM_BIT(PERM_USER_READ_ALL));
    ck_assert_uint_eq(permissions_from_list(NULL), 0);
    perm_set set = 0;
    char bad[32] = "";
    ck_assert_int_eq(
        permissions_parse_strict("Group.Read.All Users.Read.All", &set, bad, sizeof(bad)), -1);
    ck_assert_str_eq(bad, "Users.Read.All");
    char text[128];
    permissions_format(perms("User.Read.All AuditLog.Read.All"), text, sizeof(text));
    ck_assert_str_eq(text, "User.Read.All AuditLog.Read.All");
}
END_TEST

START_TEST(every_graph_route_names_known_permissions_and_only_others_are_open)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        int graph = strncmp(r->pattern, "/v1.0/", 6) == 0;
        ck_assert_msg(graph == (r->needs != NULL), "%s: needs %s", r->pattern,
                      r->needs ? r->needs : "nothing");
        if (!graph)
            continue;
        perm_set set = 0;
        char bad[64] = "";
        ck_assert_msg(permissions_parse_strict(r->needs, &set, bad, sizeof(bad)) == 0 && set != 0,
                      "%s: unknown permission '%s'", r->pattern, bad);
    }
}
END_TEST

START_TEST(a_graph_route_without_a_permission_fails_closed)
{
    static const struct route forgotten = {HTTP_GET, "/v1.0/forgotten", NULL, NULL};
    static const struct route health = {HTTP_GET, "/healthz", NULL, NULL};
    struct api_app app = {.tokens = (struct token_verifier *)&app}; /* only compared to NULL */
    ck_assert_int_eq(api_auth_required(&app, &forgotten, "/v1.0/forgotten"), 1);
    ck_assert_int_eq(api_auth_required(&app, &health, "/healthz"), 0);
    ck_assert_int_eq(api_auth_required(&app, NULL, "/v1.0/nothing/here"), 1);
    struct auth_caller everything = {.granted = PERM_ALL};
    struct lic_error err;
    ck_assert_int_eq(api_auth_authorize(&everything, &forgotten, &err), -1);
    ck_assert_int_eq(err.kind, LIC_ERR_FORBIDDEN);
    ck_assert_int_eq(api_auth_authorize(&everything, &health, &err), 0);
    app.tokens = NULL; /* --insecure-no-auth */
    ck_assert_int_eq(api_auth_required(&app, &forgotten, "/v1.0/forgotten"), 0);
}
END_TEST

/* ---- base64url ---- */

START_TEST(base64url_matches_rfc4648_vectors_and_refuses_other_alphabets)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *coded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *e = base64url_encode((const unsigned char *)plain[i], strlen(plain[i]));
        ck_assert_str_eq(e, coded[i]);
        free(e);
        size_t n = 99;
        unsigned char *d = base64url_decode(coded[i], strlen(coded[i]), &n);
        ck_assert_ptr_nonnull(d);
        ck_assert_uint_eq(n, strlen(plain[i]));
        ck_assert_mem_eq(d, plain[i], n);
        free(d);
    }
    const unsigned char bytes[] = {0xfb, 0xff};
    char *e = base64url_encode(bytes, 2);
    ck_assert_str_eq(e, "-_8");
    free(e);
    size_t n;
    ck_assert_ptr_null(base64url_decode("Zg==", 4, &n));
    ck_assert_ptr_null(base64url_decode("+/8", 3, &n));
    ck_assert_ptr_null(base64url_decode("Zm 9", 4, &n));
    ck_assert_ptr_null(base64url_decode("Zm9vY", 5, &n));
}
END_TEST

/* ---- tokens ---- */

static EVP_PKEY *rsa_key, *rsa_other, *ec_key;
static char jwks_path[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void keys_setup(void)
{
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ck_assert(rsa_key && rsa_other && ec_key);
    json_t *j_set = json_pack("{s:[o,o]}", "keys", jwks_public_jwk(rsa_key, "rsa-1"),
                              jwks_public_jwk(ec_key, "ec-1"));
    char *text = json_dumps(j_set, 0);
    snprintf(jwks_path, sizeof(jwks_path), "/tmp/licensingd-jwks-%d.json", (int)getpid());
    write_file(jwks_path, text);
    free(text);
    json_decref(j_set);
}

static void keys_teardown(void)
{
    unlink(jwks_path);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(rsa_other);
    EVP_PKEY_free(ec_key);
}

static struct token_verifier *verifier(const char *secret, const char *jwks, const char *audience)
{
    struct config cfg;
    config_defaults(&cfg, 1);
    snprintf(cfg.jwt_secret, sizeof(cfg.jwt_secret), "%s", secret ? secret : "");
    snprintf(cfg.jwks_file, sizeof(cfg.jwks_file), "%s", jwks ? jwks : "");
    snprintf(cfg.jwt_audience, sizeof(cfg.jwt_audience), "%s", audience ? audience : "");
    struct lic_error err;
    struct token_verifier *v = token_verifier_open(&cfg, &err);
    ck_assert_msg(v != NULL, "%s", err.message);
    return v;
}

static json_t *claims(long exp_offset)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s}", "sub", "sub-1", "oid",
                     "0b5c0000-0000-4000-8000-000000000001", "preferred_username",
                     "admin@contoso.com", "exp", (json_int_t)(NOW + exp_offset), "scp",
                     "openid User.Read.All");
}

static char *sign(const char *alg, const char *kid, EVP_PKEY *key, json_t *j_claims)
{
    struct lic_error err;
    char *t =
        token_sign(alg, kid, key, (const unsigned char *)SECRET, strlen(SECRET), j_claims, &err);
    ck_assert_msg(t != NULL, "%s", err.message);
    json_decref(j_claims);
    return t;
}

/* The message of a refused token ("" when it verified). */
static const char *verdict(struct token_verifier *v, const char *token)
{
    static struct lic_error err;
    struct auth_caller caller;
    lic_error_clear(&err);
    if (token_verify(v, token, NOW, &caller, &err) == 0)
        return "";
    ck_assert_int_eq(err.kind, LIC_ERR_UNAUTHORIZED);
    ck_assert_str_eq(err.code, "InvalidAuthenticationToken");
    return err.message;
}

START_TEST(hs256_signature_matches_the_jwt_io_example)
{
    /* jwt.io's example token, signed with "your-256-bit-secret". */
    json_t *j =
        json_pack("{s:s, s:s, s:i}", "sub", "1234567890", "name", "John Doe", "iat", 1516239022);
    struct lic_error err;
    char *t =
        token_sign("HS256", NULL, NULL, (const unsigned char *)"your-256-bit-secret", 19, j, &err);
    ck_assert_str_eq(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
                        "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_"
                        "adQssw5c");
    free(t);
    json_decref(j);
}
END_TEST

START_TEST(valid_tokens_name_the_caller_and_what_it_may_do)
{
    struct token_verifier *v = verifier(SECRET, jwks_path, NULL);
    const char *algs[] = {"HS256", "RS256", "ES256"};
    EVP_PKEY *keys[] = {NULL, rsa_key, ec_key};
    const char *kids[] = {NULL, "rsa-1", "ec-1"};
    for (int i = 0; i < 3; i++) {
        char *t = sign(algs[i], kids[i], keys[i], claims(3600));
        struct auth_caller c;
        struct lic_error err;
        ck_assert_msg(token_verify(v, t, NOW, &c, &err) == 0, "%s: %s", algs[i], err.message);
        ck_assert_int_eq(c.delegated, 1);
        ck_assert_str_eq(c.user_id, "0b5c0000-0000-4000-8000-000000000001");
        ck_assert_str_eq(c.user_upn, "admin@contoso.com");
        ck_assert_uint_eq(c.granted, PERM_BIT(PERM_USER_READ_ALL));
        free(t);
    }
    /* An application's token: roles, appid, its display name. */
    json_t *j_app = json_pack("{s:s, s:s, s:s, s:I, s:[s,s]}", "sub", "sp-1", "appid", "app-1",
                              "app_displayname", "HR sync", "exp", (json_int_t)(NOW + 60), "roles",
                              "Group.ReadWrite.All", "Mail.Send");
    char *t = sign("RS256", "rsa-1", rsa_key, j_app);
    struct auth_caller c;
    struct lic_error err;
    ck_assert_int_eq(token_verify(v, t, NOW, &c, &err), 0);
    ck_assert_int_eq(c.delegated, 0);
    ck_assert_str_eq(c.app_id, "app-1");
    ck_assert_str_eq(c.app_name, "HR sync");
    ck_assert_str_eq(c.user_id, "");
    ck_assert_uint_eq(c.granted, PERM_BIT(PERM_GROUP_READWRITE_ALL));
    free(t);
    token_verifier_close(v);
}
END_TEST

START_TEST(lifetime_is_checked_with_sixty_seconds_of_skew)
{
    struct token_verifier *v = verifier(SECRET, NULL, NULL);
    char *t;
    t = sign("HS256", NULL, NULL, claims(-59));
    ck_assert_str_eq(verdict(v, t), "");
    free(t);
    t = sign("HS256", NULL, NULL, claims(-61));
    ck_assert_str_eq(verdict(v, t), "Access token has expired or is not yet valid.");
    free(t);
    json_t *j = claims(3600);
    json_object_set_new(j, "nbf", json_integer(NOW + 61));
    t = sign("HS256", NULL, NULL, j);
    ck_assert_str_eq(verdict(v, t), "Access token has expired or is not yet valid.");
    free(t);
    j = claims(3600);
    json_object_set_new(j, "nbf", json_integer(NOW + 59));
    t = sign("HS256", NULL, NULL, j);
    ck_assert_str_eq(verdict(v, t), "");
    free(t);
    j = claims(0);
    json_object_del(j, "exp");
    t = sign("HS256", NULL, NULL, j);
    ck_assert_str_eq(verdict(v, t),
                     "Lifetime validation failed, the token is missing an expiration time.");
    free(t);
    token_verifier_close(v);
}
END_TEST

START_TEST(audience_must_match_when_configured)
{
    struct token_verifier *v = verifier(SECRET, NULL, "api://licensingd");
    json_t *j = claims(3600);
    char *t = sign("HS256", NULL, NULL, json_incref(j));
    ck_assert_str_eq(verdict(v, t), "Access token validation failure. Invalid audience.");
    free(t);
    json_object_set_new(j, "aud", json_string("api://other"));
    t = sign("HS256", NULL, NULL, json_incref(j));
    ck_assert_str_eq(verdict(v, t), "Access token validation failure. Invalid audience.");
    free(t);
    json_object_set_new(j, "aud", json_pack("[s,s]", "api://other", "api://licensingd"));
    t = sign("HS256", NULL, NULL, json_incref(j));
    ck_assert_str_eq(verdict(v, t), "");
    free(t);
    json_decref(j);
    token_verifier_close(v);
}
END_TEST

/* header.payload with a signature of our choosing. */
static char *forge(const char *header, const char *payload_from, const char *signature)
{
    char *h = base64url_encode((const unsigned char *)header, strlen(header));
    const char *dot = strchr(payload_from, '.');
    size_t plen = (size_t)(strchr(dot + 1, '.') - dot - 1);
    char *out = NULL;
    ck_assert_int_gt(asprintf(&out, "%s.%.*s.%s", h, (int)plen, dot + 1, signature), 0);
    free(h);
    return out;
}

START_TEST(forged_and_confused_tokens_are_refused)
{
    struct token_verifier *v = verifier(SECRET, jwks_path, NULL);
    char *good = sign("RS256", "rsa-1", rsa_key, claims(3600));
    char *t;

    /* alg none, with and without a signature */
    t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", good, "");
    ck_assert_str_eq(verdict(v, t),
                     "Access token validation failure. The signing algorithm is not accepted.");
    free(t);
    t = forge("{\"alg\":\"HS512\"}", good, "AAAA");
    ck_assert_str_eq(verdict(v, t),
                     "Access token validation failure. The signing algorithm is not accepted.");
    free(t);
    t = forge("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp\"]}", good, "AAAA");
    ck_assert_str_eq(verdict(v, t),
                     "Access token validation failure. The signing algorithm is not accepted.");
    free(t);

    /* The payload changed under the signature. */
    t = strdup(good);
    char *payload = strchr(t, '.') + 1;
    payload[3] = payload[3] == 'A' ? 'B' : 'A';
    ck_assert_str_ne(verdict(v, t), "");
    free(t);

    /* Signed by another key under the same kid; a kid nobody has; an EC signature under an RSA
     * kid. */
    t = sign("RS256", "rsa-1", rsa_other, claims(3600));
    ck_assert_str_eq(verdict(v, t), "Signature is invalid.");
    free(t);
    t = sign("RS256", "rsa-9", rsa_key, claims(3600));
    ck_assert_str_eq(verdict(v, t), "Signature is invalid.");
    free(t);
    t = sign("ES256", "rsa-1", ec_key, claims(3600));
    ck_assert_str_eq(verdict(v, t), "Signature is invalid.");
    free(t);

    /* An HS256 token made with the RSA public key as its secret: only the configured secret
     * signs HS256. */
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(rsa_key, &der);
    struct lic_error err;
    json_t *j = claims(3600);
    t = token_sign("HS256", "rsa-1", NULL, der, (size_t)der_len, j, &err);
    json_decref(j);
    OPENSSL_free(der);
    ck_assert_str_eq(verdict(v, t), "Signature is invalid.");
    free(t);
    token_verifier_close(v);

    /* Without a secret, HS256 is not an accepted algorithm at all. */
    v = verifier(NULL, jwks_path, NULL);
    t = sign("HS256", NULL, NULL, claims(3600));
    ck_assert_str_eq(verdict(v, t),
                     "Access token validation failure. The signing algorithm is not accepted.");
    free(t);
    token_verifier_close(v);
    free(good);
}
END_TEST

START_TEST(malformed_tokens_get_graphs_parsing_message)
{
    struct token_verifier *v = verifier(SECRET, NULL, NULL);
    const char *bad[] = {"not-a-real-token", "a.b",         "a.b.c.d", "e30.e30.!!",
                         "!!.e30.AAAA",      "W10.e30.AAAA" /* header is an array */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_str_eq(verdict(v, bad[i]),
                         "CompactToken parsing failed with error code: 80049217");
    json_t *j = claims(3600);
    json_object_set_new(j, "scp", json_integer(1));
    char *t = sign("HS256", NULL, NULL, j);
    ck_assert_str_eq(verdict(v, t), "Access token validation failure.");
    free(t);
    token_verifier_close(v);
}
END_TEST

START_TEST(jwks_skips_keys_it_cannot_use)
{
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    json_t *j_weak = jwks_public_jwk(weak, "weak");
    json_t *j_enc = jwks_public_jwk(rsa_key, "enc");
    json_object_set_new(j_enc, "use", json_string("enc"));
    json_t *j_off = jwks_public_jwk(ec_key, "off-curve");
    json_object_set_new(j_off, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    json_t *j_set = json_pack("{s:[o,o,o]}", "keys", j_weak, j_enc, j_off);
    char *text = json_dumps(j_set, 0);
    struct lic_error err;
    ck_assert_ptr_null(jwks_from_text(text, strlen(text), &err));
    ck_assert_ptr_nonnull(strstr(err.message, "no usable key"));
    free(text);
    ck_assert_ptr_null(jwks_from_text("{\"keys\":3}", 10, &err));

    /* One key without a kid is found without one; of two, neither is guessed. */
    json_t *j_one = jwks_public_jwk(ec_key, NULL);
    json_t *j_two = json_pack("{s:[O,o]}", "keys", j_one, jwks_public_jwk(rsa_key, NULL));
    json_t *j_single = json_pack("{s:[o]}", "keys", j_one);
    text = json_dumps(j_single, 0);
    struct jwks *set = jwks_from_text(text, strlen(text), &err);
    free(text);
    ck_assert_ptr_nonnull(set);
    EVP_PKEY *k = jwks_find(set, NULL, "ES256");
    ck_assert_ptr_nonnull(k);
    EVP_PKEY_free(k);
    ck_assert_ptr_null(jwks_find(set, NULL, "RS256"));
    jwks_free(set);
    json_array_append_new(json_object_get(j_two, "keys"), jwks_public_jwk(ec_key, NULL));
    text = json_dumps(j_two, 0);
    set = jwks_from_text(text, strlen(text), &err);
    free(text);
    ck_assert_ptr_null(jwks_find(set, NULL, "ES256"));
    jwks_free(set);
    json_decref(j_two);
    json_decref(j_single);
    json_decref(j_set);
    EVP_PKEY_free(weak);
}
END_TEST

START_TEST(verifier_needs_a_key_source_and_a_long_secret)
{
    struct config cfg;
    config_defaults(&cfg, 1);
    struct lic_error err;
    ck_assert_ptr_null(token_verifier_open(&cfg, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "LICENSINGD_JWT_SECRET"));
    ck_assert_ptr_nonnull(strstr(err.message, "LICENSINGD_OIDC_ISSUER"));
    ck_assert_ptr_nonnull(strstr(err.message, "--insecure-no-auth"));
    snprintf(cfg.jwt_secret, sizeof(cfg.jwt_secret), "short");
    ck_assert_ptr_null(token_verifier_open(&cfg, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "too short"));
    ck_assert_ptr_null(strstr(err.message, "short\"")); /* the secret is not repeated */
    cfg.jwt_secret[0] = '\0';
    snprintf(cfg.jwks_file, sizeof(cfg.jwks_file), "/nonexistent/jwks.json");
    ck_assert_ptr_null(token_verifier_open(&cfg, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/jwks.json"));
}
END_TEST

START_TEST(config_reads_identity_settings)
{
    struct config cfg;
    char err[256] = "";
    config_defaults(&cfg, 1);
    char *argv[] = {"--insecure-no-auth", "--port", "9000", "--tls-cert", "c.pem"};
    ck_assert_int_eq(config_load(&cfg, NULL, 3, argv, err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.insecure_no_auth, 1);
    ck_assert_uint_eq(cfg.port, 9000);
    config_defaults(&cfg, 1);
    ck_assert_int_eq(config_load(&cfg, NULL, 5, argv, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "--tls-key"));
    /* A secret only comes from the environment. */
    char *secret_flag[] = {"--jwt-secret", "x"};
    config_defaults(&cfg, 1);
    ck_assert_int_eq(config_load(&cfg, NULL, 2, secret_flag, err, sizeof(err)), -1);
    char *issuer[] = {"--oidc-issuer", "login.example.com"};
    config_defaults(&cfg, 1);
    ck_assert_int_eq(config_load(&cfg, NULL, 2, issuer, err, sizeof(err)), -1);
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("permissions");
    tcase_add_test(tc, permission_names_round_trip_case_insensitively);
    tcase_add_test(tc, readwrite_includes_read_and_directory_includes_users_and_groups);
    tcase_add_test(tc, scope_lists_skip_other_apis_and_strict_lists_name_the_unknown);
    tcase_add_test(tc, every_graph_route_names_known_permissions_and_only_others_are_open);
    tcase_add_test(tc, a_graph_route_without_a_permission_fails_closed);
    tcase_add_test(tc, base64url_matches_rfc4648_vectors_and_refuses_other_alphabets);
    tcase_add_test(tc, config_reads_identity_settings);
    suite_add_tcase(s, tc);
    tc = tcase_create("tokens");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
    tcase_add_test(tc, hs256_signature_matches_the_jwt_io_example);
    tcase_add_test(tc, valid_tokens_name_the_caller_and_what_it_may_do);
    tcase_add_test(tc, lifetime_is_checked_with_sixty_seconds_of_skew);
    tcase_add_test(tc, audience_must_match_when_configured);
    tcase_add_test(tc, forged_and_confused_tokens_are_refused);
    tcase_add_test(tc, malformed_tokens_get_graphs_parsing_message);
    tcase_add_test(tc, jwks_skips_keys_it_cannot_use);
    tcase_add_test(tc, verifier_needs_a_key_source_and_a_long_secret);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_run_suite(auth_suite());
}
