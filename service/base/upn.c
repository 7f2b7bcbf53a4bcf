/* userPrincipalName rules: the user part is limited to the ASCII set Entra documents, so a
 * Cyrillic 'а' or a dotless 'ı' cannot make a look-alike of an existing account. */
#include "service/base/upn.h"

#include <string.h>
#include <strings.h>

static const char user_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                 "'.-_!#^~";

static const char *const verdict_text[UPN_VERDICT_COUNT] = {
    [UPN_OK] = "",
    [UPN_BAD_SHAPE] = "a UPN is alias@domain, at most 113 characters with at most 64 before '@'.",
    [UPN_BAD_USER_CHAR] = "the alias may hold only the letters A-Z and a-z, digits and ' . - _ ! "
                          "# ^ ~.",
    [UPN_DOT_BEFORE_AT] = "the alias may not end with a period.",
    [UPN_BAD_DOMAIN] = "the domain is not a valid domain name.",
    [UPN_TRAILING_DOT] = "the domain may not end with a period.",
    [UPN_UNVERIFIED_DOMAIN] = "the domain is not one of the organization's verified domains.",
};

const char *upn_verdict_text(enum upn_verdict v)
{
    return (unsigned)v < UPN_VERDICT_COUNT ? verdict_text[v] : "";
}

/* Labels of ASCII letters, digits and inner hyphens, separated by single dots. */
static int domain_ok(const char *d)
{
    size_t label = 0;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63 || p[-1] == '-')
                return 0;
            if (*p == '\0')
                return 1;
            label = 0;
            continue;
        }
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 (*p == '-' && label > 0);
        if (!ok)
            return 0;
        label++;
    }
}

enum upn_verdict upn_check(const char *upn, const char *const *domains, int n)
{
    if (upn == NULL)
        return UPN_BAD_SHAPE;
    size_t len = strlen(upn);
    const char *at = strchr(upn, '@');
    if (len > UPN_MAX_LENGTH || at == NULL || at == upn || at[1] == '\0' || strchr(at + 1, '@'))
        return UPN_BAD_SHAPE;
    size_t user = (size_t)(at - upn);
    if (user > UPN_MAX_USER_LENGTH)
        return UPN_BAD_SHAPE;
    if (strspn(upn, user_chars) < user)
        return UPN_BAD_USER_CHAR;
    if (at[-1] == '.')
        return UPN_DOT_BEFORE_AT;
    const char *domain = at + 1;
    if (domain[strlen(domain) - 1] == '.')
        return UPN_TRAILING_DOT;
    if (!domain_ok(domain))
        return UPN_BAD_DOMAIN;
    if (n == 0)
        return UPN_OK;
    for (int i = 0; i < n; i++)
        if (domains[i] != NULL && strcasecmp(domains[i], domain) == 0)
            return UPN_OK;
    return UPN_UNVERIFIED_DOMAIN;
}
