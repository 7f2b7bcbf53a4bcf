/* A tenant without the demo: `licensingd init-organization` creates and updates the one
 * organization (idempotent, refusing bad countries and domains, audited), then `import-catalog`
 * and a seat count make it work: subscribedSku ids carry the organization's id and a license can
 * be assigned. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "tests/integration/seed_ids.h"

#define MS_CSV "tests/data/ms-product-service-plans.csv"

static struct th_server srv;

struct cli {
    int status;
    char out[4096];
    char err[4096];
};

/* Runs `licensingd ARGS` against the suite's database. */
static void run_cli(const char *args, struct cli *r)
{
    char errpath[64], cmd[4096];
    snprintf(errpath, sizeof(errpath), "/tmp/licensingd-tenant-%d.err", (int)getpid());
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' %s 2>%s", srv.conninfo, bin, args, errpath);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(r->out, 1, sizeof(r->out) - 1, p);
    r->out[n] = '\0';
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    FILE *e = fopen(errpath, "r");
    n = e ? fread(r->err, 1, sizeof(r->err) - 1, e) : 0;
    r->err[n] = '\0';
    if (e != NULL)
        fclose(e);
    unlink(errpath);
}

static void assert_contains(const char *haystack, const char *needle)
{
    ck_assert_msg(strstr(haystack, needle) != NULL, "'%s' not in:\n%s", needle, haystack);
}

/* The one organization as GET /v1.0/organization shows it (a new reference), or NULL. */
static json_t *organization(void)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j_org = json_incref(json_array_get(json_object_get(r.json, "value"), 0));
    th_response_free(&r);
    return j_org;
}

/* directoryAudits records of one activity (a new reference to the value array). */
static json_t *audits(const char *activity)
{
    char *filter = NULL, *encoded;
    ck_assert_int_gt(asprintf(&filter, "activityDisplayName eq '%s'", activity), 0);
    encoded = th_urlencode(filter);
    char path[512];
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$filter=%s", encoded);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body);
    json_t *j_value = json_incref(json_object_get(r.json, "value"));
    th_response_free(&r);
    free(filter);
    free(encoded);
    return j_value;
}

START_TEST(init_organization_refuses_bad_input_without_creating_anything)
{
    struct cli r;
    static const struct {
        const char *args, *says;
    } bad[] = {
        {"--name Fabrikam --country UK --domain fabrikam.com", "--country"},
        {"--name Fabrikam --country gb --domain fabrikam.com", "--country"},
        {"--name Fabrikam --country GB --domain fabrikam", "--domain"},
        {"--name Fabrikam --country GB --domain -fabrikam.com", "--domain"},
        {"--name Fabrikam --country GB --domain 'fab rikam.com'", "--domain"},
        {"--name Fabrikam --country GB --domain fabrikam.123", "--domain"},
        {"--name Fabrikam --country GB --domain a.com --domain A.com", "twice"},
        {"--name Fabrikam --country GB", "--domain"},
        {"--country GB --domain fabrikam.com", "--name"},
        {"--name Fabrikam --country GB --domain fabrikam.com --bogus 1", "unknown option"},
        {"--name", "needs a value"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char args[512];
        snprintf(args, sizeof(args), "init-organization %s", bad[i].args);
        run_cli(args, &r);
        ck_assert_msg(r.status == 2, "%s: exit %d", args, r.status);
        assert_contains(r.err, bad[i].says);
    }
    ck_assert_int_eq(th_sql_long(&srv, "SELECT count(*) FROM organization"), 0);
}
END_TEST

START_TEST(init_organization_then_import_catalog_gives_a_working_tenant)
{
    /* Nothing yet: an empty collection. */
    json_t *j_org = organization();
    ck_assert_ptr_null(j_org);

    struct cli r;
    run_cli("init-organization --name Fabrikam --country GB --domain Fabrikam.com --domain "
            "mail.fabrikam.com",
            &r);
    ck_assert_msg(r.status == 0, "%d: %s", r.status, r.err);
    assert_contains(r.out, "created");
    j_org = organization();
    ck_assert_ptr_nonnull(j_org);
    const char *org_id = json_string_value(json_object_get(j_org, "id"));
    ck_assert_ptr_nonnull(org_id);
    char id[GUID_SIZE];
    snprintf(id, sizeof(id), "%s", org_id);
    assert_contains(r.out, id);
    ck_assert_str_eq(json_string_value(json_object_get(j_org, "displayName")), "Fabrikam");
    ck_assert_str_eq(json_string_value(json_object_get(j_org, "countryLetterCode")), "GB");
    json_t *j_domains = json_object_get(j_org, "verifiedDomains");
    ck_assert_int_eq(json_array_size(j_domains), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j_domains, 0), "name")),
                     "fabrikam.com");
    ck_assert(json_is_true(json_object_get(json_array_get(j_domains, 0), "isDefault")));
    ck_assert(json_is_false(json_object_get(json_array_get(j_domains, 1), "isDefault")));
    json_decref(j_org);

    /* Again with the same values: nothing changes, no second record. */
    run_cli("init-organization --name Fabrikam --country GB --domain fabrikam.com --domain "
            "mail.fabrikam.com",
            &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "unchanged");
    json_t *j_created = audits("Create company");
    ck_assert_int_eq(json_array_size(j_created), 1);
    json_t *j_app =
        json_object_get(json_object_get(json_array_get(j_created, 0), "initiatedBy"), "app");
    ck_assert_str_eq(json_string_value(json_object_get(j_app, "displayName")),
                     "licensingd init-organization");
    json_decref(j_created);
    json_t *j_set = audits("Set company information");
    ck_assert_int_eq(json_array_size(j_set), 0);
    json_decref(j_set);

    /* A new name and domain list: updated in place (same id), one record with the change. */
    run_cli("init-organization --name 'Fabrikam Ltd' --country GB --domain fabrikam.com", &r);
    ck_assert_int_eq(r.status, 0);
    assert_contains(r.out, "updated");
    assert_contains(r.out, id);
    j_org = organization();
    ck_assert_str_eq(json_string_value(json_object_get(j_org, "displayName")), "Fabrikam Ltd");
    ck_assert_int_eq(json_array_size(json_object_get(j_org, "verifiedDomains")), 1);
    json_decref(j_org);
    j_set = audits("Set company information");
    ck_assert_int_eq(json_array_size(j_set), 1);
    json_t *j_mod = json_object_get(
        json_array_get(json_object_get(json_array_get(j_set, 0), "targetResources"), 0),
        "modifiedProperties");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j_mod, 0), "oldValue")),
                     "Fabrikam");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j_mod, 0), "newValue")),
                     "Fabrikam Ltd");
    json_decref(j_set);

    /* The catalog, then seats: subscribedSku ids are {organizationId}_{skuId}. */
    run_cli("import-catalog --log-level warn " MS_CSV, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    struct th_response res;
    th_request(&srv, "PATCH", "/v1.0/subscribedSkus/" E3, "{\"prepaidUnits\":{\"enabled\":5}}",
               NULL, &res);
    ck_assert_msg(res.status == 204, "%ld %s", res.status, res.body);
    th_response_free(&res);
    char sku_path[256];
    snprintf(sku_path, sizeof(sku_path), "/v1.0/subscribedSkus/%s_%s", id, E3);
    th_request(&srv, "GET", sku_path, NULL, NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    char want[128];
    snprintf(want, sizeof(want), "%s_%s", id, E3);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "id")), want);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "accountId")), id);
    th_response_free(&res);

    /* A user gets E3: the tenant works without the demo. */
    th_request(&srv, "POST", "/v1.0/users",
               "{\"accountEnabled\":true,\"displayName\":\"Ana\",\"mailNickname\":\"ana\","
               "\"userPrincipalName\":\"ana@fabrikam.com\",\"usageLocation\":\"GB\","
               "\"passwordProfile\":{\"password\":\"Tenant-Pass-1!\"}}",
               NULL, &res);
    ck_assert_int_eq(res.status, 201);
    th_response_free(&res);
    th_request(&srv, "POST", "/v1.0/users/ana@fabrikam.com/assignLicense",
               "{\"addLicenses\":[{\"skuId\":\"" E3 "\",\"disabledPlans\":[]}],"
               "\"removeLicenses\":[]}",
               NULL, &res);
    ck_assert_msg(res.status == 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    th_request(&srv, "GET", sku_path, NULL, NULL, &res);
    ck_assert_int_eq(json_integer_value(json_object_get(res.json, "consumedUnits")), 1);
    th_response_free(&res);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "tenant", NULL);
    Suite *s = suite_create("tenant");
    TCase *tc = tcase_create("init_organization");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, init_organization_refuses_bad_input_without_creating_anything);
    tcase_add_test(tc, init_organization_then_import_catalog_gives_a_working_tenant);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
