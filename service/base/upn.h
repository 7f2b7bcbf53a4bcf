/* userPrincipalName rules as Entra applies them: pure, so Check tests them and any room can call
 * them before touching the database. */
#ifndef LICENSINGD_BASE_UPN_H
#define LICENSINGD_BASE_UPN_H

#define UPN_MAX_LENGTH 113     /* whole UPN */
#define UPN_MAX_USER_LENGTH 64 /* the part before '@' */

enum upn_verdict {
    UPN_OK,
    UPN_BAD_SHAPE,         /* not exactly one '@' with text on both sides, or too long */
    UPN_BAD_USER_CHAR,     /* outside A-Z a-z 0-9 ' . - _ ! # ^ ~ (so no look-alike letters) */
    UPN_DOT_BEFORE_AT,     /* "name.@domain" */
    UPN_BAD_DOMAIN,        /* not an ASCII host name (labels of letters, digits, '-') */
    UPN_TRAILING_DOT,      /* "name@contoso.com." */
    UPN_UNVERIFIED_DOMAIN, /* not one of the organization's verified domains */
    UPN_VERDICT_COUNT
};

/* Checks upn; domains (n of them, case-insensitive) are the organization's verified domains. With
 * n == 0 the domain is checked for form only (a deployment with no organization yet). */
enum upn_verdict upn_check(const char *upn, const char *const *domains, int n);

/* The sentence for a verdict, to follow "Invalid value specified for property
 * 'userPrincipalName' of resource 'User': " ; "" for UPN_OK. */
const char *upn_verdict_text(enum upn_verdict v);

#endif
