/* Unit tests of the Graph contract's pure pieces: path normalisation and the unknown segment. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/metadata.h"
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

/* The EntityType element of name in doc (a copy, caller frees), or NULL. */
static char *entity_xml(const char *doc, const char *name)
{
    char open[128];
    snprintf(open, sizeof(open), "<EntityType Name=\"%s\"", name);
    const char *start = strstr(doc, open);
    const char *end = start ? strstr(start, "</EntityType>") : NULL;
    return end ? strndup(start, (size_t)(end - start)) : NULL;
}

START_TEST(metadata_declares_exactly_the_selectable_properties)
{
    char *doc = metadata_document();
    ck_assert_ptr_nonnull(doc);
    int n = 0;
    const struct metadata_entity *e = metadata_entities(&n);
    ck_assert_int_ge(n, 7);
    for (int i = 0; i < n; i++) {
        const char *dot = strchr(e[i].name, '.');
        char *xml = entity_xml(doc, dot ? dot + 1 : e[i].name);
        ck_assert_msg(xml != NULL, "no EntityType %s", e[i].name);
        int declared = 0;
        for (int k = 0; e[i].select[k] != NULL; k++) {
            int inherited = 0;
            for (int j = 0; e[i].inherited && e[i].inherited[j]; j++)
                inherited |= strcmp(e[i].inherited[j], e[i].select[k]) == 0;
            char prop[128];
            snprintf(prop, sizeof(prop), "<Property Name=\"%s\" Type=\"", e[i].select[k]);
            ck_assert_msg((strstr(xml, prop) != NULL) == !inherited, "%s.%s %s", e[i].name,
                          e[i].select[k],
                          inherited ? "declared again" : "not declared with a type");
            declared += !inherited;
        }
        /* ... and nothing else: every Property element is one of them. */
        int properties = 0;
        for (const char *p = xml; (p = strstr(p, "<Property ")) != NULL; p++)
            properties++;
        ck_assert_msg(properties == declared, "%s declares %d properties, $select knows %d",
                      e[i].name, properties, declared);
        free(xml);
    }
    /* Types follow how a property is stored, and Graph's CSDL where storage does not say. */
    char *user = entity_xml(doc, "user");
    ck_assert_ptr_nonnull(strstr(user, "<Property Name=\"accountEnabled\" Type=\"Edm.Boolean\"/>"));
    ck_assert_ptr_nonnull(strstr(user, "<Property Name=\"businessPhones\" "
                                       "Type=\"Collection(Edm.String)\" Nullable=\"false\"/>"));
    ck_assert_ptr_nonnull(strstr(user, "<Property Name=\"createdDateTime\" "
                                       "Type=\"Edm.DateTimeOffset\"/>"));
    ck_assert_ptr_nonnull(strstr(user, "Type=\"Collection(graph.assignedLicense)\""));
    free(user);
    ck_assert_ptr_nonnull(strstr(doc, "<Schema Namespace=\"microsoft.graph.licensing\""));
    ck_assert_ptr_nonnull(strstr(doc, "<EntitySet Name=\"users\""));
    free(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("router");
    tcase_add_test(tc, router_collapses_duplicate_slashes);
    tcase_add_test(tc, router_names_the_first_unknown_segment);
    tcase_add_test(tc, metadata_declares_exactly_the_selectable_properties);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
