/* The caller in the audit log: every kind of directoryAudit record a request writes (directory,
 * organization, catalog, licenses; refusals too) names who made it, initiatedBy.user (id from oid,
 * userPrincipalName from upn) for a user's token and initiatedBy.app (appId, displayName) for an
 * application's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/auth/token.h"
#include "tests/integration/harness.h"

#define USER_OID "5ca11e40-0000-4000-8000-000000000001"
#define USER_UPN "auditor@contoso.com"
#define APP_ID "5ca11e40-0000-4000-8000-0000000000a1"
#define APP_NAME "HR provisioning"

static struct th_server srv;
static char *user_auth, *app_auth; /* "Authorization: Bearer ..." */

static char *bearer(json_t *j_claims)
{
    struct lic_error err;
    char *t = token_sign("HS256", NULL, NULL, (const unsigned char *)TH_SECRET, strlen(TH_SECRET),
                         j_claims, &err);
    json_decref(j_claims);
    if (t == NULL) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    char *h = th_bearer(t);
    free(t);
    return h;
}

static void make_tokens(void)
{
    json_int_t exp = (json_int_t)time(NULL) + 3600;
    user_auth = bearer(json_pack("{s:s, s:s, s:s, s:I, s:s}", "sub", "pairwise-sub", "oid",
                                 USER_OID, "upn", USER_UPN, "exp", exp, "scp",
                                 "Directory.ReadWrite.All Organization.ReadWrite.All"));
    app_auth = bearer(json_pack("{s:s, s:s, s:s, s:I, s:[s,s]}", "sub", "sp", "appid", APP_ID,
                                "app_displayname", APP_NAME, "exp", exp, "roles",
                                "Directory.ReadWrite.All", "Organization.ReadWrite.All"));
}

/* Sends a request as auth; asserts the status; the body's "id" into id when given. */
static void send(const char *auth, const char *method, const char *path, const char *body,
                 long want, char *id)
{
    const char *headers[] = {auth, NULL};
    struct th_response r;
    th_request(&srv, method, path, body, headers, &r);
    ck_assert_msg(r.status == want, "%s %s: %ld %s", method, path, r.status, r.body);
    if (id != NULL)
        snprintf(id, GUID_SIZE, "%s", json_string_value(json_object_get(r.json, "id")));
    th_response_free(&r);
}

/* The newest record of activity whose first target is target_id (a new reference). */
static json_t *newest(const char *activity, const char *target_id)
{
    char *filter = NULL;
    ck_assert_int_gt(asprintf(&filter, "activityDisplayName eq '%s'", activity), 0);
    char *encoded = th_urlencode(filter);
    char path[512];
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits?$top=100&$filter=%s", encoded);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    json_t *found = NULL, *j_rec;
    size_t i;
    json_array_foreach(json_object_get(r.json, "value"), i, j_rec)
    {
        json_t *j_target = json_array_get(json_object_get(j_rec, "targetResources"), 0);
        if (strcmp(json_string_value(json_object_get(j_target, "id")), target_id) == 0) {
            found = json_incref(j_rec);
            break;
        }
    }
    ck_assert_msg(found != NULL, "no '%s' record for %s", activity, target_id);
    th_response_free(&r);
    free(filter);
    free(encoded);
    return found;
}

/* The initiatedBy of that record (a new reference). */
static json_t *initiator(const char *activity, const char *target_id)
{
    json_t *j_rec = newest(activity, target_id);
    json_t *j_by = json_incref(json_object_get(j_rec, "initiatedBy"));
    json_decref(j_rec);
    return j_by;
}

static void assert_user(const char *activity, const char *target_id)
{
    json_t *j_by = initiator(activity, target_id);
    json_t *j_user = json_object_get(j_by, "user");
    ck_assert_msg(json_is_object(j_user), "%s: initiatedBy.user is not set", activity);
    ck_assert_str_eq(json_string_value(json_object_get(j_user, "id")), USER_OID);
    ck_assert_str_eq(json_string_value(json_object_get(j_user, "userPrincipalName")), USER_UPN);
    ck_assert_msg(json_is_null(json_object_get(j_by, "app")), "%s: app set too", activity);
    json_decref(j_by);
}

static void assert_app(const char *activity, const char *target_id)
{
    json_t *j_by = initiator(activity, target_id);
    json_t *j_app = json_object_get(j_by, "app");
    ck_assert_msg(json_is_object(j_app), "%s: initiatedBy.app is not set", activity);
    ck_assert_str_eq(json_string_value(json_object_get(j_app, "appId")), APP_ID);
    ck_assert_str_eq(json_string_value(json_object_get(j_app, "displayName")), APP_NAME);
    ck_assert_msg(json_is_null(json_object_get(j_by, "user")), "%s: user set too", activity);
    json_decref(j_by);
}

START_TEST(directory_records_name_the_user_or_the_application_that_called)
{
    char uid[GUID_SIZE], gid[GUID_SIZE], path[256], body[256];
    send(user_auth, "POST", "/v1.0/users",
         "{\"accountEnabled\":true,\"displayName\":\"Audited\",\"mailNickname\":\"audited\","
         "\"userPrincipalName\":\"audited@contoso.com\",\"passwordProfile\":{\"password\":"
         "\"Audit-Pass-1!\"}}",
         201, uid);
    assert_user("Add user", uid);
    snprintf(path, sizeof(path), "/v1.0/users/%s", uid);
    send(app_auth, "PATCH", path, "{\"jobTitle\":\"Auditor\"}", 204, NULL);
    assert_app("Update user", uid);

    send(app_auth, "POST", "/v1.0/groups",
         "{\"displayName\":\"Audited group\",\"mailEnabled\":false,\"mailNickname\":\"audited\","
         "\"securityEnabled\":true}",
         201, gid);
    assert_app("Add group", gid);
    snprintf(path, sizeof(path), "/v1.0/groups/%s", gid);
    send(user_auth, "PATCH", path, "{\"description\":\"Audited\"}", 204, NULL);
    assert_user("Update group", gid);

    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", gid);
    snprintf(body, sizeof(body),
             "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}", uid);
    send(user_auth, "POST", path, body, 204, NULL);
    assert_user("Add member to group", uid);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/%s/$ref", gid, uid);
    send(app_auth, "DELETE", path, NULL, 204, NULL);
    assert_app("Remove member from group", uid);

    snprintf(path, sizeof(path), "/v1.0/groups/%s", gid);
    send(user_auth, "DELETE", path, NULL, 204, NULL);
    assert_user("Delete group", gid);
    snprintf(path, sizeof(path), "/v1.0/users/%s", uid);
    send(app_auth, "DELETE", path, NULL, 204, NULL);
    assert_app("Delete user", uid);
}
END_TEST

START_TEST(organization_changes_are_audited_with_their_caller)
{
    char org[GUID_SIZE];
    snprintf(org, sizeof(org), "%s", "");
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/organization", NULL, NULL, &r);
    snprintf(org, sizeof(org), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(r.json, "value"), 0), "id")));
    th_response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/organization/%s", org);
    send(user_auth, "PATCH", path, "{\"displayName\":\"Contoso Audited\"}", 204, NULL);
    assert_user("Set company information", org);
}
END_TEST

#define SKU "5ca11e40-0000-4000-8000-00000000c001"
#define PLAN "5ca11e40-0000-4000-8000-00000000c0a1"

START_TEST(catalog_seat_and_plan_changes_and_refusals_name_their_caller)
{
    send(user_auth, "POST", "/v1.0/subscribedSkus",
         "{\"skuId\":\"" SKU "\",\"skuPartNumber\":\"AUDITED\",\"prepaidUnits\":{\"enabled\":2},"
         "\"servicePlans\":[{\"servicePlanId\":\"" PLAN
         "\",\"servicePlanName\":\"AUDITED_PLAN\"}]}",
         201, NULL);
    assert_user("Add subscribedSku", SKU);
    send(app_auth, "PATCH", "/v1.0/subscribedSkus/" SKU, "{\"prepaidUnits\":{\"enabled\":5}}", 204,
         NULL);
    assert_app("Update subscribedSku", SKU);
    send(user_auth, "PATCH", "/v1.0/licensing/servicePlans/" PLAN,
         "{\"displayName\":\"Audited plan\"}", 200, NULL);
    assert_user("Update service plan", PLAN);
    send(app_auth, "DELETE", "/v1.0/subscribedSkus/" SKU, NULL, 204, NULL);
    assert_app("Delete subscribedSku", SKU);
    /* A refused change is recorded with its caller too. */
    send(app_auth, "PATCH", "/v1.0/licensing/servicePlans/" PLAN,
         "{\"conflictsWith\":[\"5ca11e40-0000-4000-8000-00000000dead\"]}", 400, NULL);
    json_t *j_rec = newest("Update service plan", PLAN);
    ck_assert_str_eq(json_string_value(json_object_get(j_rec, "result")), "failure");
    json_decref(j_rec);
    assert_app("Update service plan", PLAN);
}
END_TEST

#define LIC_SKU "5ca11e40-0000-4000-8000-00000000c002"
#define LIC_PLAN "5ca11e40-0000-4000-8000-00000000c0a2"

START_TEST(license_changes_and_refusals_name_their_caller)
{
    send(app_auth, "POST", "/v1.0/subscribedSkus",
         "{\"skuId\":\"" LIC_SKU "\",\"skuPartNumber\":\"AUDITED_LIC\",\"prepaidUnits\":{"
         "\"enabled\":3},\"servicePlans\":[{\"servicePlanId\":\"" LIC_PLAN
         "\",\"servicePlanName\":\"AUDITED_LIC_PLAN\"}]}",
         201, NULL);
    char uid[GUID_SIZE], gid[GUID_SIZE], path[256];
    send(app_auth, "POST", "/v1.0/users",
         "{\"accountEnabled\":true,\"displayName\":\"Licensed\",\"mailNickname\":\"licensed\","
         "\"userPrincipalName\":\"licensed@contoso.com\",\"usageLocation\":\"US\","
         "\"passwordProfile\":{\"password\":\"Audit-Pass-1!\"}}",
         201, uid);
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", uid);
    send(user_auth, "POST", path,
         "{\"addLicenses\":[{\"skuId\":\"" LIC_SKU "\"}],\"removeLicenses\":[]}", 200, NULL);
    assert_user("Change user license", uid);
    /* Refused (a SKU the user does not have directly): recorded, with the caller. */
    send(app_auth, "POST", path,
         "{\"addLicenses\":[],\"removeLicenses\":[\"5ca11e40-0000-4000-8000-00000000beef\"]}", 400,
         NULL);
    json_t *j_rec = newest("Change user license", uid);
    ck_assert_str_eq(json_string_value(json_object_get(j_rec, "result")), "failure");
    json_decref(j_rec);
    assert_app("Change user license", uid);

    send(app_auth, "POST", "/v1.0/groups",
         "{\"displayName\":\"Licensed group\",\"mailEnabled\":false,\"mailNickname\":"
         "\"licensedgroup\",\"securityEnabled\":true}",
         201, gid);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/assignLicense", gid);
    send(app_auth, "POST", path,
         "{\"addLicenses\":[{\"skuId\":\"" LIC_SKU "\"}],\"removeLicenses\":[]}", 202, NULL);
    assert_app("Set group license", gid);
}
END_TEST

int main(void)
{
    make_tokens();
    th_server_start(&srv, "audit_caller", NULL);
    char cmd[1024];
    const char *bin = getenv("LICENSINGD_BIN") ? getenv("LICENSINGD_BIN") : "build/licensingd";
    snprintf(cmd, sizeof(cmd),
             "DATABASE_URL='%s' '%s' init-organization --name Contoso --country US --domain "
             "contoso.com >/dev/null",
             srv.conninfo, bin);
    if (system(cmd) != 0) {
        fprintf(stderr, "init-organization failed\n");
        return 2;
    }
    Suite *s = suite_create("audit_caller");
    TCase *tc = tcase_create("records");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, directory_records_name_the_user_or_the_application_that_called);
    tcase_add_test(tc, organization_changes_are_audited_with_their_caller);
    tcase_add_test(tc, catalog_seat_and_plan_changes_and_refusals_name_their_caller);
    tcase_add_test(tc, license_changes_and_refusals_name_their_caller);
    suite_add_tcase(s, tc);
    int rc = th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
    free(user_auth);
    free(app_auth);
    return rc;
}
