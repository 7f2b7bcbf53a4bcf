/* Unit tests of the userPrincipalName rules (service/base/upn.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/upn.h"
#include "tests/unit/run_suite.h"

static const char *const domains[] = {"contoso.com", "contoso.onmicrosoft.com"};

START_TEST(upn_accepts_entra_alias_characters_on_a_verified_domain)
{
    const char *good[] = {"adele.vance@contoso.com", "ADELE@CONTOSO.COM",
                          "o'neil_x-y!z#a^b~c@contoso.onmicrosoft.com", "a@contoso.com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(upn_check(good[i], domains, 2) == UPN_OK, "%s", good[i]);
}
END_TEST

START_TEST(upn_refuses_look_alike_letters_in_the_alias)
{
    /* Cyrillic а (U+0430), dotless ı (U+0131), fullwidth a, a space, a plus. */
    const char *bad[] = {"\xd0\xb0"
                         "dele@contoso.com",
                         "al\xc4\xb1"
                         "ce@contoso.com",
                         "\xef\xbd\x81"
                         "dele@contoso.com",
                         "a b@contoso.com",
                         "a+b@contoso.com",
                         "a\"b@contoso.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(upn_check(bad[i], domains, 2) == UPN_BAD_USER_CHAR, "%s", bad[i]);
}
END_TEST

START_TEST(upn_refuses_trailing_dots_and_bad_shapes)
{
    ck_assert_int_eq(upn_check("adele@contoso.com.", domains, 2), UPN_TRAILING_DOT);
    ck_assert_int_eq(upn_check("adele.@contoso.com", domains, 2), UPN_DOT_BEFORE_AT);
    ck_assert_int_eq(upn_check("adele", domains, 2), UPN_BAD_SHAPE);
    ck_assert_int_eq(upn_check("@contoso.com", domains, 2), UPN_BAD_SHAPE);
    ck_assert_int_eq(upn_check("a@b@contoso.com", domains, 2), UPN_BAD_SHAPE);
    ck_assert_int_eq(upn_check("adele@", domains, 2), UPN_BAD_SHAPE);
    ck_assert_int_eq(upn_check(NULL, domains, 2), UPN_BAD_SHAPE);
    char long_alias[80];
    memset(long_alias, 'a', 65);
    strcpy(long_alias + 65, "@contoso.com");
    ck_assert_int_eq(upn_check(long_alias, domains, 2), UPN_BAD_SHAPE);
    ck_assert_int_eq(upn_check("a@contoso..com", NULL, 0), UPN_BAD_DOMAIN);
    ck_assert_int_eq(upn_check("a@-contoso.com", NULL, 0), UPN_BAD_DOMAIN);
    ck_assert_int_eq(upn_check("a@contos\xd0\xbe.com", NULL, 0), UPN_BAD_DOMAIN);
}
END_TEST

START_TEST(upn_domain_must_be_verified_when_the_organization_has_domains)
{
    ck_assert_int_eq(upn_check("adele@fabrikam.com", domains, 2), UPN_UNVERIFIED_DOMAIN);
    ck_assert_int_eq(upn_check("adele@sub.contoso.com", domains, 2), UPN_UNVERIFIED_DOMAIN);
    ck_assert_int_eq(upn_check("adele@fabrikam.com", NULL, 0), UPN_OK);
    ck_assert_str_eq(upn_verdict_text(UPN_OK), "");
    for (int v = 1; v < UPN_VERDICT_COUNT; v++)
        ck_assert(strlen(upn_verdict_text((enum upn_verdict)v)) > 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("upn");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, upn_accepts_entra_alias_characters_on_a_verified_domain);
    tcase_add_test(tc, upn_refuses_look_alike_letters_in_the_alias);
    tcase_add_test(tc, upn_refuses_trailing_dots_and_bad_shapes);
    tcase_add_test(tc, upn_domain_must_be_verified_when_the_organization_has_domains);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
