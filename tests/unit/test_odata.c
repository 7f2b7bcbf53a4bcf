/* Unit tests of the shared OData options: $top, $select, $skiptoken. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/odata.h"
#include "tests/unit/run_suite.h"

START_TEST(top_defaults_to_100_and_accepts_1_to_999)
{
    struct lic_error err;
    int top = 0;
    ck_assert_int_eq(odata_parse_top(NULL, ODATA_TOP_MAX, &top, &err), 0);
    ck_assert_int_eq(top, 100);
    ck_assert_int_eq(odata_parse_top("1", ODATA_TOP_MAX, &top, &err), 0);
    ck_assert_int_eq(top, 1);
    ck_assert_int_eq(odata_parse_top("999", ODATA_TOP_MAX, &top, &err), 0);
    ck_assert_int_eq(top, 999);
}
END_TEST

START_TEST(top_out_of_range_gives_graph_message)
{
    const char *bad[] = {"1000", "0", "-1", "abc", "", "12x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lic_error err;
        int top;
        ck_assert_int_eq(odata_parse_top(bad[i], ODATA_TOP_MAX, &top, &err), -1);
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    }
    struct lic_error err;
    int top;
    odata_parse_top("1000", ODATA_TOP_MAX, &top, &err);
    ck_assert_str_eq(err.message,
                     "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
}
END_TEST

static const char *const props[] = {"id", "displayName", "mail", NULL};

START_TEST(select_sets_bits_and_rejects_unknown_names)
{
    struct lic_error err;
    uint64_t mask = 99;
    ck_assert_int_eq(odata_parse_select(NULL, props, "microsoft.graph.user", &mask, &err), 0);
    ck_assert_uint_eq(mask, 0);
    ck_assert_int_eq(
        odata_parse_select("displayname, id", props, "microsoft.graph.user", &mask, &err), 0);
    ck_assert_uint_eq(mask, 3);
    ck_assert_int_eq(odata_parse_select("id,password", props, "microsoft.graph.user", &mask, &err),
                     -1);
    ck_assert_str_eq(err.message,
                     "Could not find a property named 'password' on type 'microsoft.graph.user'.");

    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "@odata.type", "#x", "id", "1", "displayName",
                          "d", "mail", "m");
    odata_apply_select(j, props, 1);
    ck_assert_int_eq(json_object_size(j), 2);
    ck_assert_ptr_nonnull(json_object_get(j, "id"));
    ck_assert_ptr_nonnull(json_object_get(j, "@odata.type"));
    json_decref(j);
}
END_TEST

START_TEST(skiptoken_round_trips_keyset_parts)
{
    const char *parts[] = {"Zoë O'Brien; DROP TABLE users", "4f0c-…", ""};
    char token[2048];
    odata_skiptoken_encode(parts, 3, token, sizeof(token));
    ck_assert_uint_eq(
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        strlen(token));
    char out[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    struct lic_error err;
    ck_assert_int_eq(odata_skiptoken_decode(token, out, ODATA_KEY_PARTS, &err), 3);
    ck_assert_str_eq(out[0], parts[0]);
    ck_assert_str_eq(out[1], parts[1]);
    ck_assert_str_eq(out[2], "");
}
END_TEST

START_TEST(skiptoken_rejects_forged_or_damaged_tokens)
{
    const char *bad[] = {"", "x", "abc$", "AAAA", "RFNwdAIAAQAAAD8", "bGsx\x01", "%%%%"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
        struct lic_error err;
        ck_assert_msg(odata_skiptoken_decode(bad[i], out, ODATA_KEY_PARTS, &err) == -1, "%s",
                      bad[i]);
        ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    }
    char huge[20000];
    memset(huge, 'A', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    char out[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    struct lic_error err;
    ck_assert_int_eq(odata_skiptoken_decode(huge, out, ODATA_KEY_PARTS, &err), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("odata");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, top_defaults_to_100_and_accepts_1_to_999);
    tcase_add_test(tc, top_out_of_range_gives_graph_message);
    tcase_add_test(tc, select_sets_bits_and_rejects_unknown_names);
    tcase_add_test(tc, skiptoken_round_trips_keyset_parts);
    tcase_add_test(tc, skiptoken_rejects_forged_or_damaged_tokens);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
