/* The CSV reader behind import-catalog, and the catalog's pure helpers (GUIDs, countries, the
 * service heuristic). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/guid.h"
#include "service/catalog.h"
#include "service/base/country.h"
#include "service/base/csv.h"
#include "tests/unit/run_suite.h"

static struct csv_reader reader;

static void open_text(const char *text)
{
    csv_reader_init(&reader, text, strlen(text));
}

static int next(struct csv_record *rec, char *reason)
{
    return csv_next(&reader, rec, reason, 128);
}

START_TEST(bom_is_skipped_and_crlf_ends_records)
{
    struct csv_record rec;
    char reason[128];
    open_text("\xEF\xBB\xBF"
              "a,b\r\nc,d\r\n");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(rec.nfields, 2);
    ck_assert_str_eq(rec.fields[0], "a");
    ck_assert_int_eq(rec.line, 1);
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_str_eq(rec.fields[1], "d");
    ck_assert_int_eq(rec.line, 2);
    ck_assert_int_eq(next(&rec, reason), 0);
    csv_reader_free(&reader);
}
END_TEST

START_TEST(quoted_fields_keep_commas_quotes_and_line_breaks)
{
    struct csv_record rec;
    char reason[128];
    open_text("\"Office 365 E3, no Teams\",\"say \"\"hi\"\"\",\"two\r\nlines\"\nnext,x,y\n");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(rec.nfields, 3);
    ck_assert_str_eq(rec.fields[0], "Office 365 E3, no Teams");
    ck_assert_str_eq(rec.fields[1], "say \"hi\"");
    ck_assert_str_eq(rec.fields[2], "two\r\nlines");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(rec.line, 3); /* the quoted line break counts */
    ck_assert_str_eq(rec.fields[0], "next");
    csv_reader_free(&reader);
}
END_TEST

START_TEST(spaces_tabs_and_nbsp_are_trimmed_at_both_ends_only)
{
    struct csv_record rec;
    char reason[128];
    open_text("AAD_PREMIUM_USGOV_GCCHIGH ,MCOCAP_FACULTY\xC2\xA0, \tO365_w/o\xC2\xA0Teams\r\n"
              "\" ATP_ENTERPRISE \",\xC2\xA0\xC2\xA0,x\n");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_str_eq(rec.fields[0], "AAD_PREMIUM_USGOV_GCCHIGH");
    ck_assert_str_eq(rec.fields[1], "MCOCAP_FACULTY");
    ck_assert_str_eq(rec.fields[2], "O365_w/o\xC2\xA0Teams"); /* inner NBSP is data */
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_str_eq(rec.fields[0], "ATP_ENTERPRISE");
    ck_assert_str_eq(rec.fields[1], "");
    csv_reader_free(&reader);
}
END_TEST

START_TEST(malformed_records_report_their_line_and_reading_goes_on)
{
    struct csv_record rec;
    char reason[128];
    open_text("ok,1\nbad\"quote,2\n\"closed\"junk,3\nfine,4\n\"never closed,5\n");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(next(&rec, reason), -1);
    ck_assert_ptr_nonnull(strstr(reason, "quote"));
    ck_assert_int_eq(reader.line, 3);
    ck_assert_int_eq(next(&rec, reason), -1);
    ck_assert_ptr_nonnull(strstr(reason, "closing quote"));
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_str_eq(rec.fields[0], "fine");
    ck_assert_int_eq(rec.line, 4);
    ck_assert_int_eq(next(&rec, reason), -1);
    ck_assert_ptr_nonnull(strstr(reason, "unterminated"));
    ck_assert_int_eq(next(&rec, reason), 0);
    csv_reader_free(&reader);
}
END_TEST

START_TEST(blank_lines_empty_fields_and_missing_final_newline)
{
    struct csv_record rec;
    char reason[128];
    open_text("\r\n\na,,\r\n\nlast,one");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(rec.line, 3);
    ck_assert_int_eq(rec.nfields, 3);
    ck_assert_str_eq(rec.fields[1], "");
    ck_assert_str_eq(rec.fields[2], "");
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_int_eq(rec.line, 5);
    ck_assert_str_eq(rec.fields[1], "one");
    ck_assert_int_eq(next(&rec, reason), 0);
    csv_reader_free(&reader);
}
END_TEST

START_TEST(too_many_fields_is_malformed)
{
    struct csv_record rec;
    char reason[128];
    open_text("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\nok\n");
    ck_assert_int_eq(next(&rec, reason), -1);
    ck_assert_int_eq(next(&rec, reason), 1);
    ck_assert_str_eq(rec.fields[0], "ok");
    csv_reader_free(&reader);
}
END_TEST

START_TEST(guids_are_checked_and_lower_cased)
{
    char out[GUID_SIZE];
    ck_assert_int_eq(guid_normalize("6FD2C87F-B296-42F0-B197-1E91E994B900", out), 0);
    ck_assert_str_eq(out, "6fd2c87f-b296-42f0-b197-1e91e994b900");
    ck_assert_int_eq(guid_normalize("6fd2c87f-b296-42f0-b197-1e91e994b90", out), -1);
    ck_assert_int_eq(guid_normalize("6fd2c87fxb296-42f0-b197-1e91e994b900", out), -1);
    ck_assert_int_eq(guid_normalize("6fd2c87f-b296-42f0-b197-1e91e994b90g", out), -1);
    ck_assert_int_eq(guid_normalize(NULL, out), -1);
}
END_TEST

START_TEST(countries_are_official_upper_case_alpha2_codes)
{
    ck_assert(country_is_valid("US"));
    ck_assert(country_is_valid("GB"));
    ck_assert(country_is_valid("AX"));
    ck_assert(country_is_valid("ZW"));
    ck_assert(!country_is_valid("UK"));
    ck_assert(!country_is_valid("us"));
    ck_assert(!country_is_valid("USA"));
    ck_assert(!country_is_valid("XX"));
    ck_assert(!country_is_valid(""));
    ck_assert(!country_is_valid(NULL));
}
END_TEST

START_TEST(plan_service_comes_from_the_name_prefix)
{
    ck_assert_str_eq(catalog_plan_service("EXCHANGE_S_STANDARD"), "exchange");
    ck_assert_str_eq(catalog_plan_service("SHAREPOINTENTERPRISE"), "SharePoint");
    ck_assert_str_eq(catalog_plan_service("SHAREPOINT_PROJECT"), "ProjectOnline");
    ck_assert_str_eq(catalog_plan_service("MCOSTANDARD"), "MicrosoftCommunicationsOnline");
    ck_assert_str_eq(catalog_plan_service("TEAMS1"), "TeamsForBusiness");
    ck_assert_str_eq(catalog_plan_service("Deskless"), "Deskless");
    ck_assert_ptr_null(catalog_plan_service("MESH_AVATARS_FOR_TEAMS"));
    ck_assert_ptr_null(catalog_plan_service(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, bom_is_skipped_and_crlf_ends_records);
    tcase_add_test(tc, quoted_fields_keep_commas_quotes_and_line_breaks);
    tcase_add_test(tc, spaces_tabs_and_nbsp_are_trimmed_at_both_ends_only);
    tcase_add_test(tc, malformed_records_report_their_line_and_reading_goes_on);
    tcase_add_test(tc, blank_lines_empty_fields_and_missing_final_newline);
    tcase_add_test(tc, too_many_fields_is_malformed);
    suite_add_tcase(s, tc);
    tc = tcase_create("catalog_helpers");
    tcase_add_test(tc, guids_are_checked_and_lower_cased);
    tcase_add_test(tc, countries_are_official_upper_case_alpha2_codes);
    tcase_add_test(tc, plan_service_comes_from_the_name_prefix);
    suite_add_tcase(s, tc);
    return unit_run_suite(s);
}
