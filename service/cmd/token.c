/* `licensingd token --scopes "..." | --roles "..." [--ttl S] [--sub ID] [--upn UPN] [--name N]`:
 * an HS256 token signed with LICENSINGD_JWT_SECRET, for development and scripts. */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/auth/token.h"
#include "service/base/guid.h"
#include "service/cmd/identity.h"

#define MAX_TTL (31L * 24 * 3600)

struct token_args {
    const char *scopes, *roles, *sub, *upn, *name;
    long ttl;
};

static void random_guid(char out[GUID_SIZE])
{
    unsigned char b[16] = {0};
    if (RAND_bytes(b, sizeof(b)) != 1)
        memset(b, 0x5a, sizeof(b)); /* only ever a display id, never a secret */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, GUID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* Takes the command's options out of argv; the rest (config options) are compacted in place. */
static int parse(int *argc, char **argv, struct token_args *a)
{
    int kept = 0;
    for (int i = 0; i < *argc; i++) {
        const char **slot = NULL;
        int ttl = 0;
        if (strcmp(argv[i], "--scopes") == 0)
            slot = &a->scopes;
        else if (strcmp(argv[i], "--roles") == 0)
            slot = &a->roles;
        else if (strcmp(argv[i], "--sub") == 0)
            slot = &a->sub;
        else if (strcmp(argv[i], "--upn") == 0)
            slot = &a->upn;
        else if (strcmp(argv[i], "--name") == 0)
            slot = &a->name;
        else if (strcmp(argv[i], "--ttl") == 0)
            ttl = 1;
        if (slot == NULL && !ttl) {
            argv[kept++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc) {
            fprintf(stderr, "licensingd token: %s needs a value\n", argv[i]);
            return -1;
        }
        const char *value = argv[++i];
        if (ttl) {
            char *end = NULL;
            errno = 0;
            a->ttl = strtol(value, &end, 10);
            if (errno != 0 || *end != '\0' || a->ttl < 1 || a->ttl > MAX_TTL) {
                fprintf(stderr,
                        "licensingd token: --ttl: '%s' is not a number of seconds from 1 "
                        "to %ld\n",
                        value, MAX_TTL);
                return -1;
            }
        } else {
            *slot = value;
        }
    }
    *argc = kept;
    if ((a->scopes == NULL) == (a->roles == NULL)) {
        fprintf(stderr, "licensingd token: give --scopes \"...\" (a user's delegated permissions) "
                        "or --roles \"...\" (an application's), not both\n");
        return -1;
    }
    return 0;
}

static void list_known(void)
{
    fprintf(stderr, "known permissions:");
    for (int p = 0; p < PERM_COUNT; p++)
        fprintf(stderr, " %s", permission_name((enum permission)p));
    fprintf(stderr, "\n");
}

int token_command(int argc, char **argv, config_getenv_fn getenv_fn)
{
    struct token_args a = {.ttl = 3600};
    if (parse(&argc, argv, &a) != 0)
        return 2;
    struct config cfg;
    config_defaults(&cfg, 1);
    char err_text[512];
    if (config_load(&cfg, getenv_fn, argc, argv, err_text, sizeof(err_text)) != 0) {
        fprintf(stderr, "licensingd token: %s\n", err_text);
        return 2;
    }
    size_t secret_len = strlen(cfg.jwt_secret);
    if (secret_len < TOKEN_MIN_SECRET_BYTES) {
        fprintf(stderr,
                "licensingd token: set LICENSINGD_JWT_SECRET (%d bytes or more) to the secret "
                "`licensingd serve` verifies HS256 tokens with\n",
                TOKEN_MIN_SECRET_BYTES);
        return 2;
    }
    const char *names = a.scopes ? a.scopes : a.roles;
    perm_set granted = 0;
    char bad[128];
    if (permissions_parse_strict(names, &granted, bad, sizeof(bad)) != 0 || granted == 0) {
        fprintf(stderr, "licensingd token: '%s' is not a permission licensingd knows\n",
                granted == 0 && bad[0] == '\0' ? names : bad);
        list_known();
        return 2;
    }

    char id[GUID_SIZE];
    random_guid(id);
    const char *sub = a.sub ? a.sub : id;
    time_t now = time(NULL);
    json_t *j_claims =
        json_pack("{s:s, s:s, s:I, s:I, s:I}", "iss", "licensingd", "sub", sub, "iat",
                  (json_int_t)now, "nbf", (json_int_t)now, "exp", (json_int_t)(now + a.ttl));
    if (cfg.jwt_audience[0] != '\0')
        json_object_set_new(j_claims, "aud", json_string(cfg.jwt_audience));
    char canonical[1024];
    permissions_format(granted, canonical, sizeof(canonical));
    if (a.scopes != NULL) {
        json_object_set_new(j_claims, "oid", json_string(sub));
        json_object_set_new(j_claims, "scp", json_string(canonical));
        if (a.upn != NULL)
            json_object_set_new(j_claims, "upn", json_string(a.upn));
    } else {
        json_t *j_roles = json_array();
        for (int p = 0; p < PERM_COUNT; p++)
            if (granted & PERM_BIT(p))
                json_array_append_new(j_roles, json_string(permission_name((enum permission)p)));
        json_object_set_new(j_claims, "roles", j_roles);
        json_object_set_new(j_claims, "appid", json_string(sub));
        json_object_set_new(j_claims, "app_displayname",
                            json_string(a.name ? a.name : "licensingd token"));
    }
    struct lic_error err;
    char *token = token_sign("HS256", NULL, NULL, (const unsigned char *)cfg.jwt_secret, secret_len,
                             j_claims, &err);
    json_decref(j_claims);
    if (token == NULL) {
        fprintf(stderr, "licensingd token: %s\n", err.message);
        return 1;
    }
    printf("%s\n", token);
    free(token);
    return 0;
}
