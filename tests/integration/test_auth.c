/* Bearer tokens end to end: every route of the route table refuses a missing, expired,
 * not-yet-valid, wrongly signed, alg-none and wrong-audience token (401), refuses a valid token
 * without its permission (403) and serves one with the narrowest permission it names; RS256 and
 * ES256 tokens verify against a JWKS file and against an OpenID Connect issuer served by this
 * test (discovery, then a key rotation fetched once). */
#include <check.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/http.h"
#include "service/auth/base64url.h"
#include "service/auth/jwks.h"
#include "service/auth/permissions.h"
#include "service/auth/token.h"
#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define AUDIENCE "api://licensingd-tests"
#define ADELE "adele.vance@contoso.onmicrosoft.com"
#define MARKETING "0a1d0000-0000-4000-8000-000000000001"
#define NOBODY "0dead000-0000-4000-8000-00000000dead"

static struct th_server srv;   /* HS256 secret + JWKS file, audience checked */
static struct th_server oidc;  /* keys from the test issuer only */
static struct th_server rated; /* throttling on: 1 token/s, burst 10 */
static EVP_PKEY *rsa_a, *ec_b, *rsa_c;
static char jwks_path[64], org_id[GUID_SIZE], plan_id[GUID_SIZE];

/* ---- tokens ---- */

static json_t *claims(long exp_offset, const char *roles)
{
    time_t now = time(NULL);
    json_t *j_roles = json_array();
    for (const char *r = roles; *r;) {
        size_t n = strcspn(r, " ");
        if (n > 0)
            json_array_append_new(j_roles, json_stringn(r, n));
        r += n + (r[n] == ' ');
    }
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "iss", "licensingd-tests", "sub",
                     "5e1f0000-0000-4000-8000-000000000001", "aud", AUDIENCE, "iat",
                     (json_int_t)now, "exp", (json_int_t)(now + exp_offset), "roles", j_roles,
                     "appid", "5e1f0000-0000-4000-8000-000000000002");
}

static char *sign(const char *alg, const char *kid, EVP_PKEY *key, const char *secret,
                  json_t *j_claims)
{
    struct lic_error err;
    char *t = token_sign(alg, kid, key, (const unsigned char *)(secret ? secret : ""),
                         secret ? strlen(secret) : 0, j_claims, &err);
    ck_assert_msg(t != NULL, "%s", err.message);
    json_decref(j_claims);
    return t;
}

static char *all_roles(void)
{
    static char text[1024];
    permissions_format(PERM_ALL, text, sizeof(text));
    return text;
}

/* ---- requests ---- */

/* The route's path with real demo objects for its placeholders (an unknown id for deletes). */
static void concrete_path(const struct route *r, char *out, size_t size)
{
    const char *p = r->pattern;
    size_t used = 0;
    out[0] = '\0';
    while (*p && used + 1 < size) {
        if (*p != '{') {
            out[used++] = *p++;
            out[used] = '\0';
            continue;
        }
        const char *end = strchr(p, '}');
        const char *value = NOBODY;
        if (r->method != HTTP_DELETE && strncmp(p, "{id}", 4) == 0) {
            if (strstr(r->pattern, "/subscribedSkus/"))
                value = E3;
            else if (strstr(r->pattern, "/servicePlans/"))
                value = plan_id;
            else if (strstr(r->pattern, "/users/"))
                value = ADELE;
            else if (strstr(r->pattern, "/groups/"))
                value = MARKETING;
            else if (strstr(r->pattern, "/organization/"))
                value = org_id;
        }
        used += (size_t)snprintf(out + used, size - used, "%s", value);
        p = end + 1;
    }
}

static const char *method_name(unsigned m)
{
    switch (m) {
    case HTTP_GET:
        return "GET";
    case HTTP_POST:
        return "POST";
    case HTTP_PATCH:
        return "PATCH";
    case HTTP_PUT:
        return "PUT";
    case HTTP_DELETE:
        return "DELETE";
    }
    return "GET";
}

/* Calls route r with token (NULL: no Authorization header at all). */
static void call(const struct th_server *s, const struct route *r, const char *token,
                 struct th_response *out)
{
    char path[512];
    concrete_path(r, path, sizeof(path));
    char *auth = token ? th_bearer(token) : strdup("Authorization:");
    const char *headers[] = {auth, "ConsistencyLevel: eventual", NULL};
    int has_body = r->method == HTTP_POST || r->method == HTTP_PATCH;
    th_request(s, method_name(r->method), path, has_body ? "{}" : NULL, headers, out);
    free(auth);
}

static void expect_401(const struct route *r, const char *token, const char *message)
{
    struct th_response res;
    call(&srv, r, token, &res);
    ck_assert_msg(res.status == 401, "%s %s: %ld (%s)", method_name(r->method), r->pattern,
                  res.status, res.body);
    ck_assert_str_eq(th_error_code(&res), "InvalidAuthenticationToken");
    const char *got =
        json_string_value(json_object_get(json_object_get(res.json, "error"), "message"));
    ck_assert_msg(got && strcmp(got, message) == 0, "%s %s: '%s', not '%s'", method_name(r->method),
                  r->pattern, got ? got : "", message);
    char challenge[512];
    th_header(&res, "WWW-Authenticate", challenge, sizeof(challenge));
    ck_assert_msg(strncmp(challenge, "Bearer ", 7) == 0, "%s: WWW-Authenticate '%s'", r->pattern,
                  challenge);
    th_response_free(&res);
}

/* ---- the route walk ---- */

START_TEST(every_route_refuses_missing_and_bad_tokens_with_401)
{
    char *expired = sign("HS256", NULL, NULL, TH_SECRET, claims(-3600, all_roles()));
    json_t *j = claims(7200, all_roles());
    json_object_set_new(j, "nbf", json_integer((json_int_t)time(NULL) + 3600));
    char *early = sign("HS256", NULL, NULL, TH_SECRET, j);
    char *forged =
        sign("HS256", NULL, NULL, "another-secret-0123456789abcdef-xyz", claims(3600, all_roles()));
    j = claims(3600, all_roles());
    json_object_set_new(j, "aud", json_string("api://someone-else"));
    char *stranger = sign("HS256", NULL, NULL, TH_SECRET, j);
    /* alg none: a valid token's claims, an unsigned header, an empty signature. */
    char *good = sign("HS256", NULL, NULL, TH_SECRET, claims(3600, all_roles()));
    const char *none_json = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    char *none_header = base64url_encode((const unsigned char *)none_json, strlen(none_json));
    char *unsigned_token = NULL;
    const char *payload = strchr(good, '.') + 1;
    ck_assert_int_gt(asprintf(&unsigned_token, "%s.%.*s.", none_header,
                              (int)(strchr(payload, '.') - payload), payload),
                     0);
    size_t walked = 0, graph_routes = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        graph_routes += strncmp(r->pattern, "/v1.0/", 6) == 0;
        if (r->needs == NULL)
            continue;
        walked++;
        expect_401(r, NULL, "Access token is empty.");
        expect_401(r, "", "Access token is empty.");
        expect_401(r, expired, "Access token has expired or is not yet valid.");
        expect_401(r, early, "Access token has expired or is not yet valid.");
        expect_401(r, forged, "Signature is invalid.");
        expect_401(r, unsigned_token,
                   "Access token validation failure. The signing algorithm is not accepted.");
        expect_401(r, stranger, "Access token validation failure. Invalid audience.");
        expect_401(r, "not-a-real-token", "CompactToken parsing failed with error code: 80049217");
    }
    /* Every Graph route needs a token; the others (health, metrics, the console's files) are
     * open. */
    ck_assert_uint_eq(walked, graph_routes);
    free(expired);
    free(early);
    free(forged);
    free(stranger);
    free(good);
    free(none_header);
    free(unsigned_token);
}
END_TEST

START_TEST(every_route_needs_its_permission_and_its_narrowest_is_enough)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        if (r->needs == NULL)
            continue;
        perm_set needs = 0;
        char bad[64];
        ck_assert_int_eq(permissions_parse_strict(r->needs, &needs, bad, sizeof(bad)), 0);

        /* Everything that does not include what the route needs: still 403. */
        perm_set others = 0;
        for (int p = 0; p < PERM_COUNT; p++)
            if (!permissions_satisfy(PERM_BIT(p), needs))
                others |= PERM_BIT(p);
        char names[1024];
        permissions_format(others, names, sizeof(names));
        char *t = sign("HS256", NULL, NULL, TH_SECRET, claims(3600, names));
        struct th_response res;
        call(&srv, r, t, &res);
        ck_assert_msg(res.status == 403, "%s %s with %s: %ld", method_name(r->method), r->pattern,
                      names, res.status);
        ck_assert_str_eq(th_error_code(&res), "Authorization_RequestDenied");
        ck_assert_str_eq(
            json_string_value(json_object_get(json_object_get(res.json, "error"), "message")),
            "Insufficient privileges to complete the operation.");
        th_response_free(&res);
        free(t);

        /* Each permission the table names, alone, as an application role and as a user's
         * delegated scope: past the gate (the handler answers; never 401, 403 or a 5xx). */
        for (int p = 0; p < PERM_COUNT; p++) {
            if ((needs & PERM_BIT(p)) == 0)
                continue;
            const char *name = permission_name((enum permission)p);
            for (int delegated = 0; delegated < 2; delegated++) {
                json_t *j = claims(3600, delegated ? "" : name);
                if (delegated)
                    json_object_set_new(j, "scp", json_string(name));
                t = sign("HS256", NULL, NULL, TH_SECRET, j);
                call(&srv, r, t, &res);
                ck_assert_msg(res.status != 401 && res.status != 403 && res.status < 500,
                              "%s %s with %s: %ld %s", method_name(r->method), r->pattern, name,
                              res.status, res.body);
                if (r->method == HTTP_GET && strchr(r->pattern, '{') == NULL)
                    ck_assert_msg(res.status == 200, "%s with %s: %ld", r->pattern, name,
                                  res.status);
                th_response_free(&res);
                free(t);
            }
        }
    }
}
END_TEST

START_TEST(health_and_metrics_stay_open_and_unknown_paths_need_a_token_first)
{
    const char *open_paths[] = {"/healthz", "/readyz", "/metrics"};
    const char *none[] = {"Authorization:", NULL};
    for (int i = 0; i < 3; i++) {
        struct th_response res;
        th_request(&srv, "GET", open_paths[i], NULL, none, &res);
        ck_assert_msg(res.status == 200, "%s: %ld", open_paths[i], res.status);
        th_response_free(&res);
    }
    struct th_response res;
    th_request(&srv, "GET", "/v1.0/nope", NULL, none, &res);
    ck_assert_int_eq(res.status, 401);
    th_response_free(&res);
    th_request(&srv, "PUT", "/v1.0/users", NULL, none, &res);
    ck_assert_int_eq(res.status, 401);
    th_response_free(&res);
    char *t = sign("HS256", NULL, NULL, TH_SECRET, claims(3600, "User.Read.All"));
    char *auth = th_bearer(t);
    const char *with[] = {auth, NULL};
    th_request(&srv, "GET", "/v1.0/nope", NULL, with, &res);
    ck_assert_int_eq(res.status, 400); /* Graph: "Resource not found for the segment 'nope'." */
    th_response_free(&res);
    th_request(&srv, "PUT", "/v1.0/users", NULL, with, &res);
    ck_assert_int_eq(res.status, 405);
    th_response_free(&res);
    /* A token sent with another scheme is no token. */
    const char *basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    th_request(&srv, "GET", "/v1.0/users", NULL, basic, &res);
    ck_assert_int_eq(res.status, 401);
    th_response_free(&res);
    free(auth);
    free(t);
}
END_TEST

START_TEST(a_subscription_needs_permission_to_read_what_it_watches)
{
    char expires[32], body[512];
    time_t later = time(NULL) + 3600;
    strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", gmtime(&later));
    snprintf(body, sizeof(body),
             "{\"resource\":\"users\",\"changeType\":\"created\",\"notificationUrl\":"
             "\"https://127.0.0.1:1/hook\",\"expirationDateTime\":\"%s\"}",
             expires);
    const char *roles[] = {"Organization.Read.All", "User.Read.All"};
    long want[] = {403, 400 /* past the gate: the validation handshake fails */};
    for (int i = 0; i < 2; i++) {
        char *t = sign("HS256", NULL, NULL, TH_SECRET, claims(3600, roles[i]));
        char *auth = th_bearer(t);
        const char *headers[] = {auth, NULL};
        struct th_response res;
        th_request(&srv, "POST", "/v1.0/subscriptions", body, headers, &res);
        ck_assert_msg(res.status == want[i], "%s: %ld %s", roles[i], res.status, res.body);
        th_response_free(&res);
        free(auth);
        free(t);
    }
}
END_TEST

/* GET /v1.0/users with token on server s: the status. */
static long users_status(const struct th_server *s, const char *token)
{
    char *auth = th_bearer(token);
    const char *headers[] = {auth, NULL};
    struct th_response res;
    th_request(s, "GET", "/v1.0/users?$top=1", NULL, headers, &res);
    long status = res.status;
    th_response_free(&res);
    free(auth);
    return status;
}

START_TEST(rs256_and_es256_tokens_verify_against_the_jwks_file)
{
    char *t = sign("RS256", "file-rsa", rsa_a, NULL, claims(3600, "User.Read.All"));
    ck_assert_int_eq(users_status(&srv, t), 200);
    free(t);
    t = sign("ES256", "file-ec", ec_b, NULL, claims(3600, "User.Read.All"));
    ck_assert_int_eq(users_status(&srv, t), 200);
    free(t);
    /* Another key under a known kid; a kid the file lacks; the EC key's kid on an RS256 token. */
    t = sign("RS256", "file-rsa", rsa_c, NULL, claims(3600, "User.Read.All"));
    ck_assert_int_eq(users_status(&srv, t), 401);
    free(t);
    t = sign("RS256", "file-other", rsa_a, NULL, claims(3600, "User.Read.All"));
    ck_assert_int_eq(users_status(&srv, t), 401);
    free(t);
    t = sign("RS256", "file-ec", rsa_a, NULL, claims(3600, "User.Read.All"));
    ck_assert_int_eq(users_status(&srv, t), 401);
    free(t);
    /* The RSA key's public half as an HS256 secret: HS256 only ever uses the shared secret. */
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(rsa_a, &der);
    struct lic_error err;
    json_t *j = claims(3600, "User.Read.All");
    t = token_sign("HS256", "file-rsa", NULL, der, (size_t)der_len, j, &err);
    json_decref(j);
    OPENSSL_free(der);
    ck_assert_int_eq(users_status(&srv, t), 401);
    free(t);
}
END_TEST

/* `licensingd token ARGS` with env before it; its stdout (the token) in out, its exit status. */
static int token_cli(const char *env, const char *args, char *out, size_t size)
{
    char cmd[1024];
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    snprintf(cmd, sizeof(cmd), "env -u LICENSINGD_JWT_SECRET %s '%s' token %s 2>/dev/null", env,
             bin, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(the_token_command_makes_tokens_the_server_accepts)
{
    char token[4096];
    const char *env = "LICENSINGD_JWT_SECRET=" TH_SECRET " LICENSINGD_JWT_AUDIENCE=" AUDIENCE;
    ck_assert_int_eq(token_cli(env, "--roles User.Read.All", token, sizeof(token)), 0);
    ck_assert_int_eq(users_status(&srv, token), 200);
    ck_assert_int_eq(token_cli(env, "--scopes 'User.Read.All' --upn a@contoso.com --ttl 60", token,
                               sizeof(token)),
                     0);
    ck_assert_int_eq(users_status(&srv, token), 200);
    /* Only what it grants: a token for groups cannot read users. */
    ck_assert_int_eq(token_cli(env, "--scopes GroupMember.Read.All", token, sizeof(token)), 0);
    ck_assert_int_eq(users_status(&srv, token), 403);
    /* Refusals: no secret, an unknown permission, both kinds at once, a bad ttl. */
    ck_assert_int_eq(token_cli("", "--roles User.Read.All", token, sizeof(token)), 2);
    ck_assert_int_eq(token_cli(env, "--roles User.Read", token, sizeof(token)), 2);
    ck_assert_int_eq(
        token_cli(env, "--roles User.Read.All --scopes User.Read.All", token, sizeof(token)), 2);
    ck_assert_int_eq(token_cli(env, "--roles User.Read.All --ttl 0", token, sizeof(token)), 2);
}
END_TEST

/* GET /v1.0/users on rated with the Authorization line auth: the status. */
static long rated_status(const char *auth)
{
    const char *headers[] = {auth, NULL};
    struct th_response res;
    th_request(&rated, "GET", "/v1.0/users?$top=1", NULL, headers, &res);
    long status = res.status;
    th_response_free(&res);
    return status;
}

START_TEST(the_throttle_keys_on_the_tokens_client_and_bad_tokens_cost_their_address)
{
    /* Two applications from one address: each has its own bucket of 10 reads. */
    char *t_a = sign("HS256", NULL, NULL, TH_SECRET, claims(3600, "User.Read.All"));
    json_t *j_b = claims(3600, "User.Read.All");
    json_object_set_new(j_b, "appid", json_string("5e1f0000-0000-4000-8000-0000000000b2"));
    char *t_b = sign("HS256", NULL, NULL, TH_SECRET, j_b);
    char *a = th_bearer(t_a), *b = th_bearer(t_b);
    int served = 0;
    for (int i = 0; i < 15; i++)
        served += rated_status(a) == 200;
    ck_assert_int_le(served, 12); /* the burst, and at most a refill or two */
    ck_assert_int_eq(rated_status(a), 429);
    ck_assert_int_eq(rated_status(b), 200);
    /* Wrong tokens cost the address a write (5) each: two fit its burst of ten, then 429. */
    long first = rated_status("Authorization: Bearer not-a-real-token");
    long second = rated_status("Authorization: Bearer not-a-real-token");
    long third = rated_status("Authorization: Bearer not-a-real-token");
    ck_assert_int_eq(first, 401);
    ck_assert_int_eq(second, 401);
    ck_assert_int_eq(third, 429);
    free(a);
    free(b);
    free(t_a);
    free(t_b);
}
END_TEST

/* ---- the test issuer: discovery and a JWKS that can rotate ---- */

struct issuer_state {
    int keyset;    /* 0: {a}, 1: {b} */
    int fetches;   /* GETs of the JWKS */
    unsigned port; /* set by the issuer once it listens */
};
/* The issuer runs in a process of its own (no thread in the test program, whose tests fork);
 * this memory is shared by it, the suite and the forked tests. */
static struct issuer_state *issuer;
static pid_t issuer_pid;
static char issuer_url[64], discovery[256], keysets[2][4096];

static enum MHD_Result serve_issuer(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **state)
{
    (void)cls, (void)method, (void)version, (void)data, (void)size, (void)state;
    const char *body = NULL;
    if (strcmp(url, "/.well-known/openid-configuration") == 0) {
        body = discovery;
    } else if (strcmp(url, "/keys") == 0) {
        __atomic_fetch_add(&issuer->fetches, 1, __ATOMIC_SEQ_CST);
        body = keysets[__atomic_load_n(&issuer->keyset, __ATOMIC_SEQ_CST)];
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, (void *)(body ? body : ""), MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, body ? 200 : 404, r);
    MHD_destroy_response(r);
    return rc;
}

static void start_issuer(void)
{
    issuer = mmap(NULL, sizeof(*issuer), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (issuer == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    memset(issuer, 0, sizeof(*issuer));
    issuer_pid = fork();
    if (issuer_pid == 0) {
        struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                                serve_issuer, NULL, MHD_OPTION_END);
        if (d == NULL)
            _exit(2);
        unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
        snprintf(issuer_url, sizeof(issuer_url), "http://127.0.0.1:%u", port);
        snprintf(discovery, sizeof(discovery), "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/keys\"}",
                 issuer_url, issuer_url);
        json_t *j_a = json_pack("{s:[o]}", "keys", jwks_public_jwk(rsa_a, "kid-a"));
        json_t *j_b = json_pack("{s:[o]}", "keys", jwks_public_jwk(ec_b, "kid-b"));
        char *a = json_dumps(j_a, 0), *b = json_dumps(j_b, 0);
        snprintf(keysets[0], sizeof(keysets[0]), "%s", a);
        snprintf(keysets[1], sizeof(keysets[1]), "%s", b);
        free(a);
        free(b);
        json_decref(j_a);
        json_decref(j_b);
        __atomic_store_n(&issuer->port, port, __ATOMIC_SEQ_CST);
        for (;;)
            pause(); /* until the suite ends it */
    }
    for (int i = 0; i < 1000 && __atomic_load_n(&issuer->port, __ATOMIC_SEQ_CST) == 0; i++)
        usleep(10000);
    unsigned port = __atomic_load_n(&issuer->port, __ATOMIC_SEQ_CST);
    if (issuer_pid < 0 || port == 0) {
        fprintf(stderr, "cannot start the test issuer\n");
        exit(2);
    }
    snprintf(issuer_url, sizeof(issuer_url), "http://127.0.0.1:%u", port);
}

static char *issuer_token(const char *alg, const char *kid, EVP_PKEY *key, const char *iss)
{
    json_t *j = claims(3600, "User.Read.All");
    json_object_set_new(j, "iss", json_string(iss));
    return sign(alg, kid, key, NULL, j);
}

START_TEST(oidc_issuer_keys_are_discovered_and_a_rotation_is_fetched_once)
{
    /* The server fetched the keys once at start. */
    ck_assert_int_eq(__atomic_load_n(&issuer->fetches, __ATOMIC_SEQ_CST), 1);
    char *t = issuer_token("RS256", "kid-a", rsa_a, issuer_url);
    ck_assert_int_eq(users_status(&oidc, t), 200);
    free(t);
    /* The right key, but another issuer's token. */
    t = issuer_token("RS256", "kid-a", rsa_a, "https://login.example.com/other");
    ck_assert_int_eq(users_status(&oidc, t), 401);
    free(t);
    /* No shared secret on this server: HS256 is refused. */
    t = th_token(NULL, "User.Read.All", 3600);
    ck_assert_int_eq(users_status(&oidc, t), 401);
    free(t);
    ck_assert_int_eq(__atomic_load_n(&issuer->fetches, __ATOMIC_SEQ_CST), 1);

    /* The issuer rotates to an EC key: the first token naming it makes the server fetch again. */
    __atomic_store_n(&issuer->keyset, 1, __ATOMIC_SEQ_CST);
    t = issuer_token("ES256", "kid-b", ec_b, issuer_url);
    ck_assert_int_eq(users_status(&oidc, t), 200);
    ck_assert_int_eq(users_status(&oidc, t), 200);
    free(t);
    ck_assert_int_eq(__atomic_load_n(&issuer->fetches, __ATOMIC_SEQ_CST), 2);
    /* A kid nobody published: refused, and no third fetch within the minute. */
    t = issuer_token("RS256", "kid-c", rsa_c, issuer_url);
    ck_assert_int_eq(users_status(&oidc, t), 401);
    ck_assert_int_eq(users_status(&oidc, t), 401);
    free(t);
    ck_assert_int_eq(__atomic_load_n(&issuer->fetches, __ATOMIC_SEQ_CST), 2);
    /* The retired key no longer verifies. */
    t = issuer_token("RS256", "kid-a", rsa_a, issuer_url);
    ck_assert_int_eq(users_status(&oidc, t), 401);
    free(t);
}
END_TEST

/* ---- set-up ---- */

static void load_demo(const struct th_server *s)
{
    char cmd[1024];
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' load-demo >/dev/null 2>&1", s->conninfo,
             bin);
    if (system(cmd) != 0) {
        fprintf(stderr, "load-demo failed\n");
        exit(2);
    }
}

static void write_jwks_file(void)
{
    snprintf(jwks_path, sizeof(jwks_path), "/tmp/licensingd-auth-jwks-%d.json", (int)getpid());
    json_t *j_set = json_pack("{s:[o,o]}", "keys", jwks_public_jwk(rsa_a, "file-rsa"),
                              jwks_public_jwk(ec_b, "file-ec"));
    FILE *f = fopen(jwks_path, "w");
    json_dumpf(j_set, f, 0);
    fclose(f);
    json_decref(j_set);
}

int main(void)
{
    rsa_a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa_c = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec_b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    write_jwks_file();
    char jwks_env[128];
    snprintf(jwks_env, sizeof(jwks_env), "LICENSINGD_JWKS_FILE=%s", jwks_path);
    const char *env[] = {jwks_env, "LICENSINGD_JWT_AUDIENCE=" AUDIENCE, NULL};
    th_server_start(&srv, "auth", env);
    load_demo(&srv);
    snprintf(org_id, sizeof(org_id), "%s", "");
    PGconn *db = th_db(&srv);
    PGresult *r = PQexec(db, "SELECT (SELECT id::text FROM organization),"
                             " (SELECT id::text FROM service_plans ORDER BY id LIMIT 1)");
    snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(r, 0, 0));
    snprintf(plan_id, sizeof(plan_id), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    PQfinish(db);

    start_issuer();
    char issuer_env[128];
    snprintf(issuer_env, sizeof(issuer_env), "LICENSINGD_OIDC_ISSUER=%s", issuer_url);
    const char *oidc_env[] = {issuer_env, "LICENSINGD_JWT_SECRET=", "LICENSINGD_WORKERS=0", NULL};
    th_server_start(&oidc, "auth_oidc", oidc_env);

    const char *rated_env[] = {"LICENSINGD_RATE_LIMIT=1", "LICENSINGD_RATE_BURST=10",
                               "LICENSINGD_JWT_AUDIENCE=" AUDIENCE, NULL};
    th_server_start(&rated, "auth_rated", rated_env);

    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("routes");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_route_refuses_missing_and_bad_tokens_with_401);
    tcase_add_test(tc, every_route_needs_its_permission_and_its_narrowest_is_enough);
    tcase_add_test(tc, health_and_metrics_stay_open_and_unknown_paths_need_a_token_first);
    tcase_add_test(tc, a_subscription_needs_permission_to_read_what_it_watches);
    tcase_add_test(tc, rs256_and_es256_tokens_verify_against_the_jwks_file);
    tcase_add_test(tc, the_token_command_makes_tokens_the_server_accepts);
    tcase_add_test(tc, the_throttle_keys_on_the_tokens_client_and_bad_tokens_cost_their_address);
    tcase_add_test(tc, oidc_issuer_keys_are_discovered_and_a_rotation_is_fetched_once);
    suite_add_tcase(s, tc);
    int rc = th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
    if (th_server_stop(&oidc, 5000, NULL) != 0 || th_server_stop(&rated, 5000, NULL) != 0)
        rc = EXIT_FAILURE;
    kill(issuer_pid, SIGTERM);
    waitpid(issuer_pid, NULL, 0);
    unlink(jwks_path);
    EVP_PKEY_free(rsa_a);
    EVP_PKEY_free(rsa_c);
    EVP_PKEY_free(ec_b);
    return rc;
}
