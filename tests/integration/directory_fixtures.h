/* Directory test fixtures shared by test_users.c, test_groups.c and test_odata.c: create objects
 * through the API and read answers briefly. Header-only: each suite is its own program. */
#ifndef LICENSINGD_TEST_DIRECTORY_FIXTURES_H
#define LICENSINGD_TEST_DIRECTORY_FIXTURES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define EVENTUAL_HEADERS ((const char *const[]){"ConsistencyLevel: eventual", NULL})

/* Sends a request and returns its status, discarding the body. */
static inline long call(const struct th_server *s, const char *method, const char *path,
                        const char *body)
{
    struct th_response r;
    th_request(s, method, path, body, NULL, &r);
    long status = r.status;
    th_response_free(&r);
    return status;
}

/* POST /v1.0/users with the required properties plus extra ("" or ",\"k\":v"); id out. */
static inline void make_user(const struct th_server *s, const char *upn, const char *name,
                             const char *extra, char id[GUID_SIZE])
{
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"accountEnabled\":true,\"displayName\":\"%s\",\"mailNickname\":\"n\","
             "\"userPrincipalName\":\"%s\",\"passwordProfile\":{\"password\":\"Secret-123!\"}%s}",
             name, upn, extra);
    struct th_response r;
    th_request(s, "POST", "/v1.0/users", body, NULL, &r);
    ck_assert_msg(r.status == 201, "create %s: %ld %s", upn, r.status, r.body);
    snprintf(id, 37, "%s", json_string_value(json_object_get(r.json, "id")));
    th_response_free(&r);
}

static inline void make_group(const struct th_server *s, const char *name, char id[GUID_SIZE])
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"displayName\":\"%s\",\"mailEnabled\":false,\"mailNickname\":\"g\","
             "\"securityEnabled\":true}",
             name);
    struct th_response r;
    th_request(s, "POST", "/v1.0/groups", body, NULL, &r);
    ck_assert_msg(r.status == 201, "create group %s: %ld %s", name, r.status, r.body);
    snprintf(id, 37, "%s", json_string_value(json_object_get(r.json, "id")));
    th_response_free(&r);
}

/* POST /groups/{g}/members/$ref for object id; returns the status. */
static inline long add_member(const struct th_server *s, const char *group, const char *object)
{
    char path[256], body[256];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/$ref", group);
    snprintf(body, sizeof(body),
             "{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}", object);
    return call(s, "POST", path, body);
}

/* GET base?$filter=<encoded filter>&rest. */
static inline void get_filtered(const struct th_server *s, const char *base, const char *filter,
                                const char *rest, struct th_response *r)
{
    char *enc = th_urlencode(filter);
    size_t len = strlen(base) + strlen(enc) + strlen(rest) + 32;
    char *path = malloc(len);
    snprintf(path, len, "%s?$filter=%s%s", base, enc, rest);
    th_request(s, "GET", path, NULL, NULL, r);
    free(path);
    free(enc);
}

static inline const char *error_message(const struct th_response *r)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

#endif
