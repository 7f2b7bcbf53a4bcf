/* The Graph contract around the bodies, as official clients use it: paths, segments, media type,
 * the routes and query options Graph has (issue 13). */
#include "tests/integration/directory_fixtures.h"

static struct th_server srv;

START_TEST(duplicate_slashes_are_one)
{
    char id[GUID_SIZE];
    make_user(&srv, "slashes@contoso.com", "Slashes", "", id);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0//users//%s", id);
    struct th_response r;
    th_request(&srv, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), id);
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "//v1.0//users?$top=1", NULL), 200);
}
END_TEST

START_TEST(unknown_segment_is_400_naming_it)
{
    const char *paths[] = {"/v1.0/nope", "/v1.0/users/x/nope", "/v1.0/groups/g/members/a/nope"};
    const char *names[] = {"nope", "nope", "nope"};
    for (int i = 0; i < 3; i++) {
        struct th_response r;
        th_request(&srv, "GET", paths[i], NULL, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", paths[i], r.status);
        ck_assert_str_eq(th_error_code(&r), "BadRequest");
        char want[128];
        snprintf(want, sizeof(want), "Resource not found for the segment '%s'.", names[i]);
        ck_assert_str_eq(error_message(&r), want);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(json_answers_carry_odata_minimal_media_type)
{
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$top=1", NULL, NULL, &r);
    char type[256];
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_str_eq(type, "application/json;odata.metadata=minimal;odata.streaming=true;"
                           "IEEE754Compatible=false");
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users/nobody@contoso.com", NULL, NULL, &r);
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(type, "application/json");
    th_response_free(&r);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "contract", NULL);
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, duplicate_slashes_are_one);
    tcase_add_test(tc, unknown_segment_is_400_naming_it);
    tcase_add_test(tc, json_answers_carry_odata_minimal_media_type);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
