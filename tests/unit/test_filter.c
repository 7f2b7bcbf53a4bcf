/* Unit tests of the $filter parser (api/filter.c) and its SQL compiler (db/filter_sql.c),
 * including hostile input: quotes, SQL fragments, deep nesting, huge and invalid UTF-8 text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/filter.h"
#include "db/filter_sql.h"
#include "db/sql_builder.h"
#include "service/base/country.h"
#include "tests/unit/run_suite.h"

static const struct filter_column cols[] = {
    {"id", "t.id", FCOL_UUID, FOP_EQ | FOP_NE},
    {"displayName", "lower(t.name)", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_NULL},
    {"accountEnabled", "t.enabled", FCOL_BOOL, FOP_EQ},
    {"createdDateTime", "t.created", FCOL_TIME, FOP_EQ | FOP_RANGE},
    {NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_lambda lambdas[] = {
    {"assignedLicenses", "skuId", "EXISTS (SELECT 1 FROM l WHERE ", "l.sku", FCOL_UUID, FOP_EQ},
    {"groupTypes", NULL, "EXISTS (SELECT 1 FROM g WHERE ", "lower(g.v)", FCOL_TEXT, FOP_EQ},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_schema schema = {"User", cols, lambdas};

/* Parses and compiles; returns 0 and the SQL in sql (owned) or -1 with err. */
static int compile(const char *text, char **sql, int *nparams, struct lic_error *err)
{
    struct filter_node *n = filter_parse(text, err);
    if (n == NULL)
        return -1;
    struct sql_builder b;
    sqlb_init(&b);
    int rc = filter_sql_compile(n, &schema, &b, err);
    *sql = rc == 0 ? strdup(b.sql) : NULL;
    *nparams = b.nparams;
    sqlb_free(&b);
    filter_free(n);
    return rc;
}

START_TEST(parses_comparisons_functions_lambdas_and_logic)
{
    const char *ok[] = {
        "displayName eq 'Adele'",
        "displayName ne 'x' and not (displayName eq 'y')",
        "startswith(displayName,'a')",
        "startsWith(displayName, 'a') or displayName eq null",
        "id in ('0f1c2d3e-0000-4000-8000-000000000001', 0f1c2d3e-0000-4000-8000-000000000002)",
        "assignedLicenses/any(x:x/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)",
        "groupTypes/any(c:c eq 'Unified')",
        "accountEnabled eq true",
        "createdDateTime ge 2024-05-01T10:00:00Z and createdDateTime le 2024-05-02T00:00:00.5Z",
        "NOT(groupTypes/any(c:c eq 'Unified')) or (displayName eq 'a' and displayName ne 'b')",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct lic_error err;
        char *sql = NULL;
        int np = 0;
        ck_assert_msg(compile(ok[i], &sql, &np, &err) == 0, "%s: %s", ok[i], err.message);
        ck_assert(np > 0);
        free(sql);
    }
}
END_TEST

START_TEST(literals_never_enter_the_sql_text)
{
    /* OData has no backslash escape: the second one ends its string at the backslash. */
    const char *hostile[] = {
        "displayName eq 'x'' OR 1=1; DROP TABLE users; --'",
        "displayName eq '\\'); DELETE FROM users; --'",
        "startswith(displayName,'%_\\')",
        "displayName in ('a'';--', 'b\")')",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct lic_error err;
        char *sql = NULL;
        int np = 0;
        if (compile(hostile[i], &sql, &np, &err) != 0) { /* refused is fine too: 400, not 500 */
            ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
            continue;
        }
        ck_assert_msg(strstr(sql, "DROP") == NULL && strstr(sql, "DELETE") == NULL &&
                          strchr(sql, '\'') == NULL && strchr(sql, ';') == NULL,
                      "literal leaked into %s", sql);
        free(sql);
    }
}
END_TEST

START_TEST(doubled_quote_unescapes_to_one)
{
    struct lic_error err;
    struct filter_node *n = filter_parse("displayName eq 'O''Brien'", &err);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(n->values[0].text, "O'Brien");
    filter_free(n);
}
END_TEST

START_TEST(syntax_errors_are_400_bad_request)
{
    const char *bad[] = {"",
                         "displayName eq",
                         "displayName eq 'open",
                         "(displayName eq 'a'",
                         "displayName eq 'a')",
                         "eq 'a'",
                         "displayName eq 'a' and",
                         "startswith(displayName)",
                         "displayName eq 'a' 'b'",
                         "displayName eq 12abc!",
                         "ü eq 'a'",
                         "displayName eq 6`"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lic_error err;
        struct filter_node *n = filter_parse(bad[i], &err);
        ck_assert_msg(n == NULL, "accepted '%s'", bad[i]);
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    }
}
END_TEST

START_TEST(unsupported_clauses_name_the_clause)
{
    struct {
        const char *text, *named;
    } cases[] = {
        {"jobTitle eq 'x'", "jobTitle"},
        {"displayName has 'x'", "has"},
        {"contains(displayName,'x')", "contains"},
        {"assignedLicenses/all(x:x/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)", "all"},
        {"endswith(displayName,'x')", "endswith"},
        {"accountEnabled gt true", "gt"},
        {"displayName eq 5", "displayName"},
        {"id eq 'not-a-guid'", "id"},
        {"createdDateTime ge 2024-02-30T00:00:00Z", "createdDateTime"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lic_error err;
        char *sql = NULL;
        int np;
        ck_assert_msg(compile(cases[i].text, &sql, &np, &err) == -1, "accepted %s", cases[i].text);
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
        ck_assert_msg(strstr(err.message, cases[i].named) != NULL, "%s -> %s", cases[i].text,
                      err.message);
    }
}
END_TEST

START_TEST(nesting_10000_deep_is_refused_without_recursing)
{
    size_t depth = 10000;
    char *text = malloc(depth * 2 + 32);
    size_t o = 0;
    for (size_t i = 0; i < depth; i++)
        text[o++] = '(';
    strcpy(text + o, "displayName eq 'a'");
    o += strlen("displayName eq 'a'");
    for (size_t i = 0; i < depth; i++)
        text[o++] = ')';
    text[o] = '\0';
    struct lic_error err;
    /* Over the length limit too; a shorter deep one hits the depth limit. */
    ck_assert_ptr_null(filter_parse(text, &err));
    text[FILTER_MAX_LENGTH / 2] = '\0';
    ck_assert_ptr_null(filter_parse(text + FILTER_MAX_LENGTH / 2 - 200, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "deep"));
    const char *nots = "not not not not not not not not not not not not not not not not not not "
                       "not not not not not not not not not not not not not not not not not not "
                       "displayName eq 'a'";
    ck_assert_ptr_null(filter_parse(nots, &err));
    free(text);
}
END_TEST

START_TEST(one_megabyte_input_is_refused)
{
    size_t len = 1 << 20;
    char *text = malloc(len + 1);
    memset(text, 'a', len);
    text[len] = '\0';
    struct lic_error err;
    ck_assert_ptr_null(filter_parse(text, &err));
    ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    free(text);
}
END_TEST

START_TEST(invalid_utf8_is_refused)
{
    const char *bad[] = {"displayName eq '\xff'", "displayName eq '\xc0\xaf'",
                         "displayName eq '\xed\xa0\x80'", "displayName eq '\xe2\x82'"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lic_error err;
        ck_assert_ptr_null(filter_parse(bad[i], &err));
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    }
    struct lic_error err;
    struct filter_node *n = filter_parse("displayName eq 'Zoë 日本'", &err);
    ck_assert_ptr_nonnull(n);
    filter_free(n);
}
END_TEST

START_TEST(long_and_chain_is_limited)
{
    char text[FILTER_MAX_LENGTH];
    size_t o = 0;
    for (int i = 0; i < 200 && o + 40 < sizeof(text); i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "%sdisplayName eq 'a'", i ? " and " : "");
    struct lic_error err;
    ck_assert_ptr_null(filter_parse(text, &err));
    ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
}
END_TEST

/* directoryAudit-like schema: nested property paths and a jsonb membership lambda. */
static const struct filter_column path_cols[] = {
    {"initiatedBy/user/userPrincipalName", "lower(a.upn)", FCOL_TEXT, FOP_EQ | FOP_STARTS},
    {NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_lambda path_lambdas[] = {
    {"targetResources", "id", "(", "a.target_ids", FCOL_JSON_MEMBER, FOP_EQ},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_schema path_schema = {"directoryAudit", path_cols, path_lambdas};

static int compile_paths(const char *text, char **sql, struct lic_error *err)
{
    struct filter_node *n = filter_parse(text, err);
    if (n == NULL)
        return -1;
    struct sql_builder b;
    sqlb_init(&b);
    int rc = filter_sql_compile(n, &path_schema, &b, err);
    *sql = rc == 0 ? strdup(b.sql) : NULL;
    sqlb_free(&b);
    filter_free(n);
    return rc;
}

START_TEST(property_paths_and_json_membership_compile)
{
    struct lic_error err;
    char *sql = NULL;
    ck_assert_int_eq(compile_paths("initiatedBy/user/userPrincipalName eq 'Ann@x.com'", &sql, &err),
                     0);
    ck_assert_str_eq(sql, "(lower(a.upn) = lower($1))");
    free(sql);
    ck_assert_int_eq(
        compile_paths("startswith(initiatedBy/user/userPrincipalName,'ann')", &sql, &err), 0);
    ck_assert_ptr_nonnull(strstr(sql, "lower(a.upn) LIKE lower($1)"));
    free(sql);
    ck_assert_int_eq(compile_paths("targetResources/any(t:t/id eq "
                                   "'0A1D0000-0000-4000-8000-000000000001')",
                                   &sql, &err),
                     0);
    ck_assert_str_eq(sql, "((a.target_ids @> jsonb_build_array(lower($1))))");
    free(sql);
    const char *refused[] = {"initiatedBy/user eq 'x'", "targetResources/any(t:t/id ne 'x')",
                             "initiatedBy/user/ eq 'x'", "initiatedBy/user/all(x:x eq 'a')",
                             "startswith(targetResources/any(t:t/id eq 'x'),'a')"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_msg(compile_paths(refused[i], &sql, &err) == -1, "accepted %s", refused[i]);
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    }
}
END_TEST

START_TEST(usage_location_codes_are_iso_3166)
{
    ck_assert(country_is_valid("US"));
    ck_assert(country_is_valid("GB"));
    ck_assert(country_is_valid("NL"));
    ck_assert(country_is_valid("ZW"));
    ck_assert(country_is_valid("AD"));
    ck_assert(!country_is_valid("UK"));
    ck_assert(!country_is_valid("us"));
    ck_assert(!country_is_valid("USA"));
    ck_assert(!country_is_valid(""));
    ck_assert(!country_is_valid("XX"));
}
END_TEST

/* Pages without $filter or $search run prepared: one statement per distinct text (and number of
 * parameters), the same one each time the text repeats, none once the set is full. */
START_TEST(repeated_texts_share_one_prepared_statement)
{
    const struct db_stmt *a = sqlb_prepared_stmt("SELECT $1 LIMIT 1000", 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->sql, "SELECT $1 LIMIT 1000");
    ck_assert_int_eq(a->nparams, 1);
    ck_assert_ptr_eq(sqlb_prepared_stmt("SELECT $1 LIMIT 1000", 1), a);
    const struct db_stmt *b = sqlb_prepared_stmt("SELECT $1 LIMIT 101", 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(b, a);
    ck_assert_str_ne(b->name, a->name);
    char sql[64];
    for (int i = 2; i < SQLB_PREPARED_MAX; i++) {
        snprintf(sql, sizeof(sql), "SELECT %d", i);
        ck_assert_ptr_nonnull(sqlb_prepared_stmt(sql, 0));
    }
    ck_assert_ptr_null(sqlb_prepared_stmt("SELECT 'one too many'", 0));
    ck_assert_ptr_eq(sqlb_prepared_stmt("SELECT $1 LIMIT 1000", 1), a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("parse_compile");
    tcase_add_test(tc, parses_comparisons_functions_lambdas_and_logic);
    tcase_add_test(tc, literals_never_enter_the_sql_text);
    tcase_add_test(tc, doubled_quote_unescapes_to_one);
    tcase_add_test(tc, syntax_errors_are_400_bad_request);
    tcase_add_test(tc, unsupported_clauses_name_the_clause);
    tcase_add_test(tc, nesting_10000_deep_is_refused_without_recursing);
    tcase_add_test(tc, one_megabyte_input_is_refused);
    tcase_add_test(tc, invalid_utf8_is_refused);
    tcase_add_test(tc, long_and_chain_is_limited);
    tcase_add_test(tc, property_paths_and_json_membership_compile);
    tcase_add_test(tc, usage_location_codes_are_iso_3166);
    tcase_add_test(tc, repeated_texts_share_one_prepared_statement);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
