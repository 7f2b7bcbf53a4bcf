/* import-catalog and load-demo, end to end: the real Microsoft CSV (counts, idempotence, seats
 * untouched, the duplicate names), malformed rows with their line numbers, the rules file, the
 * demo loaded twice, and the directoryAudit records of what each load changed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define MS_CSV "tests/data/ms-product-service-plans.csv"

static struct th_server srv;

struct cli {
    int status;
    char out[8192];
    char err[16384];
};

static void read_all(FILE *f, char *buf, size_t size)
{
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
}

/* Runs `licensingd ARGS` against the suite's database. */
static void run_cli(const char *args, struct cli *r)
{
    char errpath[64], cmd[4096];
    snprintf(errpath, sizeof(errpath), "/tmp/licensingd-import-%d.err", (int)getpid());
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' %s 2>%s", srv.conninfo, bin, args, errpath);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    read_all(p, r->out, sizeof(r->out));
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    FILE *e = fopen(errpath, "r");
    read_all(e, r->err, sizeof(r->err));
    if (e != NULL)
        fclose(e);
    unlink(errpath);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void assert_contains(const char *haystack, const char *needle)
{
    ck_assert_msg(strstr(haystack, needle) != NULL, "'%s' not in:\n%s", needle, haystack);
}

START_TEST(full_csv_imports_569_skus_723_plans_and_a_second_import_changes_nothing)
{
    struct cli r;
    run_cli("import-catalog " MS_CSV, &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.out, "569 SKUs (569 added, 0 updated)");
    assert_contains(r.out, "723 service plans (723 added, 0 updated)");
    assert_contains(r.out, "0 malformed rows skipped");
    assert_contains(r.err, "rows read"); /* progress */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus"), 569);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plans"), 723);
    /* 5,457 rows hold 5,448 distinct (SKU, plan) pairs: 9 rows repeat a pair. */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM sku_service_plans"), 5448);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT sum(prepaid_enabled) FROM skus"), 0);

    /* MCOPSTN5 names two GUIDs: both are SKUs, and the operator is told. */
    ck_assert_int_eq(
        th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_part_number = 'MCOPSTN5'"), 2);
    assert_contains(r.err, "part number MCOPSTN5 names SKUs");
    /* A plan GUID under several names takes the name on most rows ("RMS_S_ENTERPRISE)" once). */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plans WHERE id ="
                                       " 'bea4c11e-220a-4e6d-8eb8-8ea15d019f90' AND name ="
                                       " 'RMS_S_ENTERPRISE'"),
                     1);
    /* Trailing spaces and NBSPs are trimmed. */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_part_number IN"
                                       " ('MCOCAP_FACULTY', 'AAD_PREMIUM_USGOV_GCCHIGH')"),
                     2);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_part_number ~ "
                                       "'(^\\s|\\s$|\u00a0$)'"),
                     0);
    /* Services derived from plan names. */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plans WHERE name ="
                                       " 'EXCHANGE_S_ENTERPRISE' AND service = 'exchange'"),
                     1);

    /* Seats bought meanwhile survive a re-import, which changes nothing. */
    th_sql_exec(&srv, "UPDATE skus SET prepaid_enabled = 7 WHERE sku_id ="
                      " '6fd2c87f-b296-42f0-b197-1e91e994b900'");
    run_cli("import-catalog " MS_CSV, &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, ": 0 changes");
    ck_assert_int_eq(th_sql_long(&srv, "SELECT prepaid_enabled FROM skus WHERE sku_id ="
                                       " '6fd2c87f-b296-42f0-b197-1e91e994b900'"),
                     7);
}
END_TEST

START_TEST(imported_catalog_pages_through_subscribed_skus_and_plans)
{
    /* Follows @odata.nextLink to the end: every SKU and plan exactly once, in key order. Graph
     * returns subscribedSkus whole (the 569 in one answer); plans page. */
    const char *starts[] = {"/v1.0/subscribedSkus", "/v1.0/licensing/servicePlans?$top=300"};
    const char *keys[] = {"skuId", "id"};
    const long totals[] = {569, 723};
    const long page_counts[] = {1, 3};
    for (int k = 0; k < 2; k++) {
        long seen = 0, pages = 0;
        char path[4096];
        snprintf(path, sizeof(path), "%s", starts[k]);
        while (path[0]) {
            struct th_response r;
            th_request(&srv, "GET", path, NULL, NULL, &r);
            ck_assert_msg(r.status == 200, "%s -> %ld", path, r.status);
            json_t *value = json_object_get(r.json, "value");
            for (size_t i = 0; i < json_array_size(value); i++)
                ck_assert_ptr_nonnull(json_object_get(json_array_get(value, i), keys[k]));
            seen += (long)json_array_size(value);
            pages++;
            const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
            snprintf(path, sizeof(path), "%s", next ? strstr(next, "/v1.0/") : "");
            th_response_free(&r);
        }
        ck_assert_int_eq(seen, totals[k]);
        ck_assert_int_eq(pages, page_counts[k]);
    }
    /* E3's plans come in the file's order, with their names. */
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/subscribedSkus/6fd2c87f-b296-42f0-b197-1e91e994b900", NULL, NULL,
               &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "skuPartNumber")), "ENTERPRISEPACK");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "servicePlans")),
                     th_sql_long(&srv, "SELECT count(*) FROM sku_service_plans WHERE sku_id ="
                                       " '6fd2c87f-b296-42f0-b197-1e91e994b900'"));
    th_response_free(&r);
}
END_TEST

START_TEST(changed_csv_updates_names_and_plan_lists)
{
    const char *path = "/tmp/licensingd-import-changed.csv";
    write_file(path, "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
                     "Service_Plans_Included_Friendly_Names\r\n"
                     "Changed Pack,CHANGED_PACK,aaaaaaaa-0000-4000-8000-000000000001,PLAN_ONE,"
                     "aaaaaaaa-0000-4000-8000-0000000000a1,Plan one\r\n"
                     "Changed Pack,CHANGED_PACK,aaaaaaaa-0000-4000-8000-000000000001,PLAN_TWO,"
                     "aaaaaaaa-0000-4000-8000-0000000000a2,Plan two\r\n");
    struct cli r;
    run_cli("import-catalog /tmp/licensingd-import-changed.csv", &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "1 SKUs (1 added");
    write_file(path, "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
                     "Service_Plans_Included_Friendly_Names\n"
                     "Changed Pack 2,CHANGED_PACK_2,aaaaaaaa-0000-4000-8000-000000000001,"
                     "PLAN_TWO,aaaaaaaa-0000-4000-8000-0000000000a2,Plan two\n");
    run_cli("import-catalog /tmp/licensingd-import-changed.csv", &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "1 SKUs (0 added, 1 updated)");
    assert_contains(r.out, "1 removed");
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM sku_service_plans WHERE sku_id ="
                                       " 'aaaaaaaa-0000-4000-8000-000000000001'"),
                     1);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_part_number ="
                                       " 'CHANGED_PACK_2'"),
                     1);
    unlink(path);
}
END_TEST

START_TEST(malformed_rows_are_reported_with_line_numbers_and_the_rest_imports)
{
    const char *path = "/tmp/licensingd-import-bad.csv";
    write_file(path,
               "\xEF\xBB\xBF"
               "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
               "Service_Plans_Included_Friendly_Names\r\n"
               "Good Pack,GOOD_PACK,bbbbbbbb-0000-4000-8000-000000000001,GOOD_PLAN,"
               "bbbbbbbb-0000-4000-8000-0000000000b1,Good plan\r\n"
               "Bad Guid,BAD_GUID,not-a-guid,GOOD_PLAN,bbbbbbbb-0000-4000-8000-0000000000b1,x\r\n"
               "Short,SHORT,bbbbbbbb-0000-4000-8000-000000000002\r\n"
               "\"Quoted, with comma\",QUOTED_PACK,bbbbbbbb-0000-4000-8000-000000000003,"
               "GOOD_PLAN,bbbbbbbb-0000-4000-8000-0000000000b1,\"Good, plan\"\r\n"
               "Bad quote,BAD\"QUOTE,bbbbbbbb-0000-4000-8000-000000000004,P,"
               "bbbbbbbb-0000-4000-8000-0000000000b1,x\r\n");
    struct cli r;
    run_cli("import-catalog /tmp/licensingd-import-bad.csv", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.err, "licensingd-import-bad.csv:3: skipped: GUID 'not-a-guid'");
    assert_contains(r.err, "licensingd-import-bad.csv:4: skipped: 3 fields");
    assert_contains(r.err, "licensingd-import-bad.csv:6: skipped: quote");
    assert_contains(r.out, "2 SKUs (2 added");
    assert_contains(r.out, "3 malformed rows skipped");
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE display_name ="
                                       " 'Quoted, with comma'"),
                     1);
    unlink(path);
}
END_TEST

START_TEST(unreadable_file_or_missing_columns_fail_without_changes)
{
    struct cli r;
    run_cli("import-catalog /nonexistent/file.csv", &r);
    ck_assert_int_eq(r.status, 1);
    const char *path = "/tmp/licensingd-import-header.csv";
    write_file(path, "Product_Display_Name,GUID\nx,cccccccc-0000-4000-8000-000000000001\n");
    run_cli("import-catalog /tmp/licensingd-import-header.csv", &r);
    ck_assert_int_eq(r.status, 1);
    assert_contains(r.err, "no column 'String_Id'");
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE sku_id ="
                                       " 'cccccccc-0000-4000-8000-000000000001'"),
                     0);
    run_cli("import-catalog", &r);
    ck_assert_int_eq(r.status, 2);
    run_cli("import-catalog a.csv b.csv", &r);
    ck_assert_int_eq(r.status, 2);
    unlink(path);
}
END_TEST

START_TEST(rules_file_loads_conflicts_prerequisites_countries_once)
{
    struct cli r;
    run_cli("import-catalog " MS_CSV, &r);
    run_cli("import-catalog --rules db/demo/catalog.json", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.out, "4 plans added"); /* servicePlansNotInCsv */
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plan_conflicts"), 98);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plan_prerequisites p"
                                       " JOIN service_plans s ON s.id = p.plan_id"
                                       " WHERE s.name = 'WORKPLACE_ANALYTICS'"),
                     2);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plans WHERE name ="
                                       " 'MCOMEETADV' AND unavailable_in_countries ="
                                       " '{BN,CN,IN,PK}'"),
                     1);
    run_cli("import-catalog --rules db/demo/catalog.json", &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, ": 0 changes");
}
END_TEST

START_TEST(load_demo_is_idempotent)
{
    struct cli r;
    run_cli("load-demo", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    run_cli("load-demo", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    assert_contains(r.out, ": 0 catalog changes");
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM organization WHERE"
                                       " country_letter_code = 'US' AND"
                                       " jsonb_array_length(verified_domains) = 1"),
                     1);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM skus WHERE prepaid_enabled > 0"), 23);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM groups WHERE security_enabled AND"
                                       " display_name IN ('Marketing', 'Sales', 'All users')"),
                     3);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users"), 6);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users WHERE usage_location IS NULL"),
                     1);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM users WHERE user_principal_name"
                                       " NOT LIKE '%@contoso.onmicrosoft.com'"),
                     0);
    /* The E1-direct + E3-by-group example: Exchange and SharePoint Plan 1 vs Plan 2. */
    ck_assert_int_eq(th_sql_long(&srv,
                                 "SELECT count(*) FROM service_plan_conflicts c"
                                 " JOIN service_plans a ON a.id = c.plan_a"
                                 " JOIN service_plans b ON b.id = c.plan_b"
                                 " WHERE ARRAY[a.name, b.name] <@ ARRAY['EXCHANGE_S_STANDARD',"
                                 " 'EXCHANGE_S_ENTERPRISE', 'SHAREPOINTSTANDARD',"
                                 " 'SHAREPOINTENTERPRISE'] AND left(a.name, 4) ="
                                 " left(b.name, 4)"),
                     2);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plan_prerequisites p"
                                       " JOIN service_plans a ON a.id = p.plan_id"
                                       " JOIN service_plans b ON b.id = p.requires_plan_id"
                                       " WHERE a.name = 'MCOMEETADV' AND b.name = 'MCOSTANDARD'"),
                     1);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM service_plans WHERE"
                                       " provisions_mailbox AND name IN ('EXCHANGE_S_STANDARD',"
                                       " 'EXCHANGE_S_ENTERPRISE')"),
                     2);
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM group_members"), 10);
    /* The demo kept the names the full import gave: importing again changes nothing. */
    run_cli("import-catalog --log-level warn " MS_CSV, &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, ": 0 changes");
}
END_TEST

START_TEST(bulk_loads_write_one_audit_record_per_kind_of_change)
{
    const char *csv = "/tmp/licensingd-import-audited.csv", *rules = "/tmp/licensingd-rules.json";
    const char *by_import = "initiated_by->'app'->>'displayName' = 'licensingd import-catalog'";
    write_file(csv, "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
                    "Service_Plans_Included_Friendly_Names\n"
                    "Audited Pack,AUDITED_PACK,dddddddd-0000-4000-8000-000000000001,AUDITED_ONE,"
                    "dddddddd-0000-4000-8000-0000000000d1,Audited one\n"
                    "Audited Pack,AUDITED_PACK,dddddddd-0000-4000-8000-000000000001,AUDITED_TWO,"
                    "dddddddd-0000-4000-8000-0000000000d2,Audited two\n");
    write_file(rules, "{\"mutuallyExclusive\":[[\"AUDITED_ONE\",\"AUDITED_TWO\"]]}");
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
             " 'Import product catalog' AND category = 'DirectoryManagement' AND %s AND"
             " additional_details @> '[{\"key\":\"source\",\"value\":\"%s\"},"
             " {\"key\":\"skusAdded\",\"value\":\"1\"}, {\"key\":\"servicePlansAdded\","
             " \"value\":\"2\"}]'",
             by_import, csv);
    struct cli r;
    for (int i = 0; i < 2; i++) { /* the second import changes nothing and records nothing */
        run_cli("import-catalog /tmp/licensingd-import-audited.csv", &r);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        ck_assert_int_eq(th_sql_long(&srv, sql), 1);
    }
    snprintf(
        sql, sizeof(sql),
        "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
        " 'Import service plan rules' AND %s AND additional_details @>"
        " '[{\"key\":\"source\",\"value\":\"%s\"}, {\"key\":\"conflictsAdded\",\"value\":\"1\"}]'",
        by_import, rules);
    for (int i = 0; i < 2; i++) {
        run_cli("import-catalog --rules /tmp/licensingd-rules.json", &r);
        ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
        ck_assert_int_eq(th_sql_long(&srv, sql), 1);
    }
    unlink(csv);
    unlink(rules);

    /* The demo (loaded by the test before): one record per kind of change it made; loading it
     * again records nothing. */
    const char *demo_sql = "SELECT count(*) FROM directory_audits WHERE"
                           " initiated_by->'app'->>'displayName' = 'licensingd load-demo'";
    long demo = th_sql_long(&srv, demo_sql);
    /* One per SKU given seats, with the seats it was given: the 23 with seats but E3, whose seats
     * the first test bought. */
    const char *seeded = "FROM directory_audits a JOIN skus s ON s.sku_id::text ="
                         " a.target_resources->0->>'id' WHERE a.activity_display_name ="
                         " 'Update subscribedSku' AND a.initiated_by->'app'->>'displayName' ="
                         " 'licensingd load-demo'";
    snprintf(sql, sizeof(sql), "SELECT count(*) %s", seeded);
    ck_assert_int_eq(th_sql_long(&srv, sql), 22);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) %s AND a.target_resources->0->'modifiedProperties' @>"
             " jsonb_build_array(jsonb_build_object('displayName', 'prepaidUnits.enabled',"
             " 'oldValue', '0', 'newValue', s.prepaid_enabled::text))",
             seeded);
    ck_assert_int_eq(th_sql_long(&srv, sql), 22);
    /* Its catalog and rules were all imported before it ran: the seats were its only change. */
    ck_assert_int_eq(demo, 22);
    run_cli("load-demo", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_int_eq(th_sql_long(&srv, demo_sql), demo);

    /* With one of E3's plans and the Exchange conflict lost, the demo puts both back: one catalog
     * record and one rules record. */
    th_sql_exec(&srv, "DELETE FROM sku_service_plans WHERE sku_id ="
                      " '6fd2c87f-b296-42f0-b197-1e91e994b900' AND position = 1;"
                      " DELETE FROM service_plan_conflicts c USING service_plans a, service_plans b"
                      " WHERE a.id = c.plan_a AND b.id = c.plan_b AND"
                      " ARRAY[a.name, b.name] <@ ARRAY['EXCHANGE_S_STANDARD',"
                      " 'EXCHANGE_S_ENTERPRISE']");
    run_cli("load-demo", &r);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_int_eq(th_sql_long(&srv, demo_sql), demo + 2);
    ck_assert_int_eq(
        th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
                          " 'Import product catalog' AND initiated_by->'app'->>'displayName' ="
                          " 'licensingd load-demo' AND additional_details @>"
                          " '[{\"key\":\"source\",\"value\":\"load-demo\"},"
                          " {\"key\":\"skuPlansAdded\",\"value\":\"1\"}]'"),
        1);
    ck_assert_int_eq(
        th_sql_long(&srv, "SELECT count(*) FROM directory_audits WHERE activity_display_name ="
                          " 'Import service plan rules' AND initiated_by->'app'->>'displayName' ="
                          " 'licensingd load-demo' AND additional_details @>"
                          " '[{\"key\":\"conflictsAdded\",\"value\":\"1\"}]'"),
        1);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "import", NULL);
    Suite *s = suite_create("import");
    TCase *tc = tcase_create("csv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, full_csv_imports_569_skus_723_plans_and_a_second_import_changes_nothing);
    tcase_add_test(tc, imported_catalog_pages_through_subscribed_skus_and_plans);
    tcase_add_test(tc, changed_csv_updates_names_and_plan_lists);
    tcase_add_test(tc, malformed_rows_are_reported_with_line_numbers_and_the_rest_imports);
    tcase_add_test(tc, unreadable_file_or_missing_columns_fail_without_changes);
    tcase_add_test(tc, rules_file_loads_conflicts_prerequisites_countries_once);
    tcase_add_test(tc, load_demo_is_idempotent);
    tcase_add_test(tc, bulk_loads_write_one_audit_record_per_kind_of_change);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
