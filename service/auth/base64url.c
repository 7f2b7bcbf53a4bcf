/* base64url through EVP_EncodeBlock/EVP_DecodeBlock: only the alphabet and the padding are ours. */
#include "service/auth/base64url.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DECODED (1u << 20) /* tokens and JWKS members are far smaller */

unsigned char *base64url_decode(const char *text, size_t len, size_t *out_len)
{
    if (len % 4 == 1 || len / 4 * 3 > MAX_DECODED)
        return NULL;
    size_t padded = (len + 3) / 4 * 4;
    char *std = malloc(padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    if (std == NULL || out == NULL)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            goto fail;
        std[i] = c;
    }
    memset(std + len, '=', padded - len);
    std[padded] = '\0';
    int n = padded ? EVP_DecodeBlock(out, (const unsigned char *)std, (int)padded) : 0;
    if (n < 0)
        goto fail;
    /* EVP_DecodeBlock counts the bytes the padding stands for; they are not data. */
    *out_len = (size_t)n - (padded - len);
    out[*out_len] = '\0';
    free(std);
    return out;
fail:
    free(std);
    free(out);
    return NULL;
}

char *base64url_encode(const unsigned char *data, size_t len)
{
    if (len > MAX_DECODED)
        return NULL;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}
