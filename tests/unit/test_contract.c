/* Unit tests of the Graph contract's pure pieces: path normalisation and the unknown segment. */
#include <check.h>
#include <string.h>

#include "api/router.h"
#include "tests/unit/run_suite.h"

static void h_list(const struct api_app *a, const struct api_request *q, struct api_response *s)
{
    (void)a, (void)q, (void)s;
}

static const struct route table[] = {
    {HTTP_GET, "/v1.0/users", h_list},
    {HTTP_GET, "/v1.0/users/{id}", h_list},
    {HTTP_GET, "/v1.0/users/{id}/memberOf", h_list},
    {HTTP_GET, "/v1.0/groups/{id}/members/{memberId}/$ref", h_list},
};
#define NT (sizeof(table) / sizeof(table[0]))

START_TEST(router_collapses_duplicate_slashes)
{
    const struct route *r = NULL;
    struct route_params p;
    unsigned allowed = 0;
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, "/v1.0//users", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_str_eq(r->pattern, "/v1.0/users");
    ck_assert_int_eq(router_match(table, NT, HTTP_GET, "//v1.0///users//abc//", &r, &p, &allowed),
                     ROUTE_FOUND);
    ck_assert_str_eq(p.values[0], "abc");
}
END_TEST

START_TEST(router_names_the_first_unknown_segment)
{
    char seg[64];
    router_unknown_segment(table, NT, "/v1.0/nope", seg, sizeof(seg));
    ck_assert_str_eq(seg, "nope");
    router_unknown_segment(table, NT, "/v1.0/users/abc/nope/more", seg, sizeof(seg));
    ck_assert_str_eq(seg, "nope");
    router_unknown_segment(table, NT, "/v1.0//users/abc/memberOf/x", seg, sizeof(seg));
    ck_assert_str_eq(seg, "x");
    router_unknown_segment(table, NT, "/v1.0/groups/g", seg, sizeof(seg));
    ck_assert_str_eq(seg, "g"); /* every segment known, the path too short */
    router_unknown_segment(table, NT, "/", seg, sizeof(seg));
    ck_assert_str_eq(seg, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("router");
    tcase_add_test(tc, router_collapses_duplicate_slashes);
    tcase_add_test(tc, router_names_the_first_unknown_segment);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
