/* libFuzzer target: bearer token parsing and verification (service/auth/token.c). Any bytes as the
 * token must give 0 or a 401 error, never a crash, a leak or undefined behaviour; a verifier with
 * an HS256 secret (and the JWKS file named by FUZZ_JWKS_FILE, when set, for RS256/ES256). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/auth/token.h"

static struct token_verifier *verifier;
static struct config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    config_defaults(&cfg, 1);
    snprintf(cfg.jwt_secret, sizeof(cfg.jwt_secret), "fuzzing-secret-fuzzing-secret-0123456789");
    const char *jwks = getenv("FUZZ_JWKS_FILE");
    if (jwks != NULL)
        snprintf(cfg.jwks_file, sizeof(cfg.jwks_file), "%s", jwks);
    struct lic_error err;
    verifier = token_verifier_open(&cfg, &err);
    if (verifier == NULL) {
        fprintf(stderr, "fuzz_token: %s\n", err.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token = malloc(size + 1);
    if (token == NULL)
        return 0;
    memcpy(token, data, size);
    token[size] = '\0';
    struct auth_caller caller;
    struct lic_error err;
    if (token_verify(verifier, token, 1700000000, &caller, &err) != 0 && err.message[0] == '\0')
        abort(); /* a refusal always says why */
    free(token);
    return 0;
}
