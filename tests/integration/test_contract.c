/* The Graph contract around the bodies, as official clients use it: paths, segments, media type,
 * the routes and query options Graph has (issue 13). */
#include "tests/integration/directory_fixtures.h"
#include "tests/integration/seed_ids.h"

static struct th_server srv;

/* The organization and a small catalog: E1 (three plans) with seats. */
static const char *catalog_sql =
    "INSERT INTO organization (display_name, country_letter_code) VALUES ('Contoso', 'US');"
    "INSERT INTO service_plans (id, name, service, provisions_mailbox, unavailable_in_countries) "
    "VALUES ('" EXO1 "', 'EXCHANGE_S_STANDARD', 'exchange', true, '{}'),"
    " ('" SPO1 "', 'SHAREPOINTSTANDARD', 'SharePoint', false, '{}'),"
    " ('" TEAMS "', 'TEAMS1', 'TeamspaceAPI', false, '{}');"
    "INSERT INTO skus (sku_id, sku_part_number, prepaid_enabled) VALUES"
    " ('" E1 "', 'STANDARDPACK', 100), ('" E3 "', 'ENTERPRISEPACK', 100);"
    "INSERT INTO sku_service_plans VALUES ('" E1 "', '" EXO1 "', 1), ('" E1 "', '" SPO1 "', 2),"
    " ('" E1 "', '" TEAMS "', 3), ('" E3 "', '" TEAMS "', 1);";

/* GET path, expecting status; the answer in r (caller frees). */
static void get(const char *path, long status, struct th_response *r)
{
    th_request(&srv, "GET", path, NULL, NULL, r);
    ck_assert_msg(r->status == status, "GET %s: %ld %s", path, r->status, r->body);
}

static json_t *value_of(const struct th_response *r)
{
    return json_object_get(r->json, "value");
}

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

START_TEST(organization_by_id_and_select)
{
    struct th_response r, one;
    get("/v1.0/organization?$select=displayName", 200, &r);
    json_t *org = json_array_get(value_of(&r), 0);
    ck_assert_int_eq(json_object_size(org), 1);
    ck_assert_str_eq(json_string_value(json_object_get(org, "displayName")), "Contoso");
    th_response_free(&r);
    get("/v1.0/organization", 200, &r);
    const char *id = json_string_value(json_object_get(json_array_get(value_of(&r), 0), "id"));
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/organization/%s?$select=id,countryLetterCode", id);
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "countryLetterCode")), "US");
    ck_assert_ptr_null(json_object_get(one.json, "displayName"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "#organization(id,countryLetterCode)/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    get("/v1.0/organization/00000000-0000-4000-8000-000000000000", 404, &r);
    th_response_free(&r);
    get("/v1.0/organization?$select=nope", 400, &r);
    ck_assert_str_eq(error_message(&r), "Could not find a property named 'nope' on type "
                                        "'microsoft.graph.organization'.");
    th_response_free(&r);
}
END_TEST

START_TEST(unknown_select_names_the_type)
{
    struct th_response r;
    get("/v1.0/users?$select=id,shoeSize", 400, &r);
    ck_assert_str_eq(error_message(&r),
                     "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
    th_response_free(&r);
    get("/v1.0/groups?$select=shoeSize", 400, &r);
    ck_assert_ptr_nonnull(strstr(error_message(&r), "'microsoft.graph.group'"));
    th_response_free(&r);
}
END_TEST

START_TEST(license_detail_by_id)
{
    char id[GUID_SIZE];
    make_user(&srv, "details@contoso.com", "Details", ",\"usageLocation\":\"US\"", id);
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/users/%s/assignLicense", id);
    struct th_response r;
    th_request(&srv, "POST", path,
               "{\"addLicenses\":[{\"skuId\":\"" E1 "\",\"disabledPlans\":[]}],"
               "\"removeLicenses\":[]}",
               NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails", id);
    get(path, 200, &r);
    const char *did = json_string_value(json_object_get(json_array_get(value_of(&r), 0), "id"));
    ck_assert_ptr_nonnull(did);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails/%s?$select=skuId", id, did);
    struct th_response one;
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "skuId")), E1);
    ck_assert_ptr_null(json_object_get(one.json, "servicePlans"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "/licenseDetails(skuId)/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/licenseDetails/nope", id);
    get(path, 404, &r);
    th_response_free(&r);
}
END_TEST

START_TEST(directory_audit_by_id_and_newest_first_order)
{
    char id[GUID_SIZE];
    make_user(&srv, "audited@contoso.com", "Audited", "", id);
    struct th_response r, one;
    get("/v1.0/auditLogs/directoryAudits?$orderby=activityDateTime%20desc&$top=1", 200, &r);
    json_t *rec = json_array_get(value_of(&r), 0);
    const char *aid = json_string_value(json_object_get(rec, "id"));
    ck_assert_ptr_nonnull(aid);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/auditLogs/directoryAudits/%s", aid);
    get(path, 200, &one);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "id")), aid);
    ck_assert_str_eq(json_string_value(json_object_get(one.json, "activityDisplayName")),
                     json_string_value(json_object_get(rec, "activityDisplayName")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(one.json, "@odata.context")),
                                 "#auditLogs/directoryAudits/$entity"));
    th_response_free(&one);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits/LICD_999999999", 404, &r);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits/garbage", 404, &r);
    th_response_free(&r);
    get("/v1.0/auditLogs/directoryAudits?$orderby=category", 400, &r);
    th_response_free(&r);
    /* Both of Graph's documented forms together (the initiator filter is the console's). */
    get("/v1.0/auditLogs/directoryAudits?$orderby=activityDateTime%20desc&$filter=initiatedBy/"
        "user/id%20eq%20'00000000-0000-4000-8000-0000000000aa'",
        200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 0);
    th_response_free(&r);
}
END_TEST

START_TEST(members_with_license_errors_honours_select)
{
    char g[GUID_SIZE];
    make_group(&srv, "Errors select", g);
    char path[256];
    snprintf(path, sizeof(path), "/v1.0/groups/%s/membersWithLicenseErrors?$select=id", g);
    struct th_response r;
    get(path, 200, &r);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.json, "@odata.context")), "(id)"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/membersWithLicenseErrors?$select=bogus", g);
    get(path, 400, &r);
    th_response_free(&r);
}
END_TEST

/* Nested: outer contains inner and ann; inner contains bob. */
struct nest {
    char outer[GUID_SIZE], inner[GUID_SIZE], ann[GUID_SIZE], bob[GUID_SIZE];
};

static void make_nest(const char *tag, struct nest *n)
{
    char name[64], upn[96];
    snprintf(name, sizeof(name), "Outer %s", tag);
    make_group(&srv, name, n->outer);
    snprintf(name, sizeof(name), "Inner %s", tag);
    make_group(&srv, name, n->inner);
    snprintf(upn, sizeof(upn), "ann.%s@contoso.com", tag);
    make_user(&srv, upn, "Ann", "", n->ann);
    snprintf(upn, sizeof(upn), "bob.%s@contoso.com", tag);
    make_user(&srv, upn, "Bob", "", n->bob);
    ck_assert_int_eq(add_member(&srv, n->outer, n->inner), 204);
    ck_assert_int_eq(add_member(&srv, n->outer, n->ann), 204);
    ck_assert_int_eq(add_member(&srv, n->inner, n->bob), 204);
}

static int has_id(json_t *items, const char *id)
{
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(items, i), "id")), id) == 0)
            return 1;
    return 0;
}

START_TEST(directory_object_by_id_is_typed)
{
    struct nest n;
    make_nest("dobj", &n);
    char path[160];
    struct th_response r;
    snprintf(path, sizeof(path), "/v1.0/directoryObjects/%s", n.ann);
    get(path, 200, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "@odata.type")),
                     "#microsoft.graph.user");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), n.ann);
    ck_assert_ptr_nonnull(json_object_get(r.json, "userPrincipalName"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "@odata.context")),
                                 "#directoryObjects/$entity"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/directoryObjects/%s?$select=displayName", n.inner);
    get(path, 200, &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "@odata.type")),
                     "#microsoft.graph.group");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "displayName")), "Inner dobj");
    ck_assert_ptr_null(json_object_get(r.json, "mailNickname"));
    th_response_free(&r);
    get("/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000", 404, &r);
    th_response_free(&r);
}
END_TEST

START_TEST(get_by_ids_answers_in_order_and_by_type)
{
    struct nest n;
    make_nest("byids", &n);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"ids\":[\"%s\",\"%s\",\"00000000-0000-4000-8000-000000000000\",\"%s\"]}", n.bob,
             n.outer, n.ann);
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/directoryObjects/getByIds", body, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    json_t *v = value_of(&r);
    ck_assert_int_eq(json_array_size(v), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "id")), n.bob);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "@odata.type")),
                     "#microsoft.graph.group");
    th_response_free(&r);
    snprintf(body, sizeof(body), "{\"ids\":[\"%s\",\"%s\"],\"types\":[\"group\"]}", n.bob, n.outer);
    th_request(&srv, "POST", "/v1.0/directoryObjects/getByIds", body, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(value_of(&r)), 1);
    ck_assert(has_id(value_of(&r), n.outer));
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/directoryObjects/getByIds", "{\"ids\":\"x\"}"), 400);
    ck_assert_int_eq(call(&srv, "POST", "/v1.0/directoryObjects/getByIds", "{\"ids\":[\"x\"]}"),
                     400);
}
END_TEST

START_TEST(member_of_count_and_type_casts)
{
    struct nest n;
    make_nest("casts", &n);
    char path[200];
    struct th_response r;
    snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf/$count", n.ann);
    ck_assert_int_eq(call(&srv, "GET", path, NULL), 400); /* needs ConsistencyLevel */
    th_request(&srv, "GET", path, NULL, EVENTUAL_HEADERS, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "1");
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf/microsoft.graph.group", n.ann);
    get(path, 200, &r);
    ck_assert(has_id(value_of(&r), n.outer));
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.json, "@odata.context")), "#groups"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf/microsoft.graph.group/$count", n.ann);
    th_request(&srv, "GET", path, NULL, EVENTUAL_HEADERS, &r);
    ck_assert_str_eq(r.body, "1");
    th_response_free(&r);
    /* outer holds a user and a group: each cast keeps its own type. */
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/microsoft.graph.user", n.outer);
    get(path, 200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 1);
    ck_assert(has_id(value_of(&r), n.ann));
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.json, "@odata.context")), "#users"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/microsoft.graph.group", n.outer);
    get(path, 200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 1);
    ck_assert(has_id(value_of(&r), n.inner));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/members/microsoft.graph.user/$count", n.outer);
    th_request(&srv, "GET", path, NULL, EVENTUAL_HEADERS, &r);
    ck_assert_str_eq(r.body, "1");
    th_response_free(&r);
    snprintf(path, sizeof(path),
             "/v1.0/groups/%s/members/microsoft.graph.user?$select=userPrincipalName", n.outer);
    get(path, 200, &r);
    ck_assert_ptr_nonnull(json_object_get(json_array_get(value_of(&r), 0), "userPrincipalName"));
    ck_assert_ptr_null(json_object_get(json_array_get(value_of(&r), 0), "displayName"));
    th_response_free(&r);
}
END_TEST

START_TEST(transitive_membership_goes_through_nested_groups)
{
    struct nest n;
    make_nest("trans", &n);
    ck_assert_int_eq(add_member(&srv, n.inner, n.outer), 204); /* a cycle ends too */
    char path[200];
    struct th_response r;
    snprintf(path, sizeof(path), "/v1.0/users/%s/transitiveMemberOf", n.bob);
    get(path, 200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 2);
    ck_assert(has_id(value_of(&r), n.inner));
    ck_assert(has_id(value_of(&r), n.outer));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s/memberOf", n.bob);
    get(path, 200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 1);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s/transitiveMembers?$top=2", n.outer);
    get(path, 200, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 2);
    const char *next = json_string_value(json_object_get(r.json, "@odata.nextLink"));
    ck_assert_ptr_nonnull(next);
    struct th_response r2;
    get(strstr(next, "/v1.0/"), 200, &r2);
    json_t *all = json_array();
    json_array_extend(all, value_of(&r));
    json_array_extend(all, value_of(&r2));
    ck_assert_int_eq(json_array_size(all), 3); /* inner, ann, bob; not outer itself */
    ck_assert(has_id(all, n.inner) && has_id(all, n.ann) && has_id(all, n.bob));
    json_decref(all);
    th_response_free(&r2);
    th_response_free(&r);
}
END_TEST

START_TEST(expand_members_on_a_group_and_the_list)
{
    struct nest n;
    make_nest("expand", &n);
    char path[200];
    struct th_response r;
    snprintf(path, sizeof(path), "/v1.0/groups/%s?$expand=members", n.outer);
    get(path, 200, &r);
    json_t *m = json_object_get(r.json, "members");
    ck_assert_int_eq(json_array_size(m), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "@odata.type")),
                     "#microsoft.graph.group");
    ck_assert(has_id(m, n.ann));
    th_response_free(&r);
    get("/v1.0/groups?$filter=startswith(displayName,'Inner%20expand')&$expand=members($select="
        "id,displayName)&$select=id",
        200, &r);
    json_t *g = json_array_get(value_of(&r), 0);
    m = json_object_get(g, "members");
    ck_assert_int_eq(json_array_size(m), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "id")), n.bob);
    ck_assert_ptr_null(json_object_get(json_array_get(m, 0), "userPrincipalName"));
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/groups/%s?$expand=owners", n.outer);
    get(path, 400, &r);
    th_response_free(&r);
    snprintf(path, sizeof(path), "/v1.0/users/%s?$expand=members", n.ann);
    get(path, 400, &r);
    th_response_free(&r);
}
END_TEST

START_TEST(search_with_eventual_consistency)
{
    char id[GUID_SIZE], other[GUID_SIZE];
    make_user(&srv, "adele.search@contoso.com", "Adele Searchable", "", id);
    make_user(&srv, "alex.search@contoso.com", "Alex Wilber", "", other);
    const char *h[] = {"ConsistencyLevel: eventual", NULL};
    struct th_response r;
    th_request(&srv, "GET", "/v1.0/users?$search=%22displayName:adele%22", NULL, h, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(json_array_size(value_of(&r)), 1);
    ck_assert(has_id(value_of(&r), id));
    th_response_free(&r);
    /* A word's start anywhere in the name; OR joins clauses; $count counts the matches. */
    th_request(&srv, "GET",
               "/v1.0/users?$search=%22displayName:searchable%22%20OR%20%22displayName:wilber%22"
               "&$count=true",
               NULL, h, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_array_size(value_of(&r)), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "@odata.count")), 2);
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users?$search=%22displayName:dele%22", NULL, h, &r);
    ck_assert_int_eq(json_array_size(value_of(&r)), 0); /* not a word's start */
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/users?$search=%22displayName:100%25%22", NULL, h, &r);
    ck_assert_int_eq(r.status, 200); /* LIKE's wildcards are plain text */
    ck_assert_int_eq(json_array_size(value_of(&r)), 0);
    th_response_free(&r);
    ck_assert_int_eq(call(&srv, "GET", "/v1.0/users?$search=%22displayName:adele%22", NULL), 400);
    th_request(&srv, "GET", "/v1.0/users?$search=adele", NULL, h, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
    th_request(&srv, "GET", "/v1.0/groups?$search=%22shoeSize:9%22", NULL, h, &r);
    ck_assert_int_eq(r.status, 400);
    th_response_free(&r);
}
END_TEST

START_TEST(metadata_document_is_served_as_xml)
{
    struct th_response r;
    get("/v1.0/$metadata", 200, &r);
    char type[128];
    th_header(&r, "Content-Type", type, sizeof(type));
    ck_assert_str_eq(type, "application/xml");
    ck_assert_ptr_nonnull(strstr(r.body, "<edmx:Edmx Version=\"4.0\""));
    ck_assert_ptr_nonnull(
        strstr(r.body, "<EntityType Name=\"user\" BaseType=\"graph.directoryObject\""));
    /* For the conformance check (tests/compat/conformance.sh): compared with Graph's CSDL. */
    const char *dir = getenv("LICENSINGD_CAPTURE_DIR");
    if (dir != NULL && dir[0] != '\0') {
        char file[512];
        snprintf(file, sizeof(file), "%s/metadata.xml", dir);
        FILE *f = fopen(file, "w");
        ck_assert_ptr_nonnull(f);
        fputs(r.body, f);
        fclose(f);
    }
    th_response_free(&r);
    /* Every @odata.context points at it. */
    get("/v1.0/users?$top=1", 200, &r);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "@odata.context")),
                                 "/v1.0/$metadata#users"));
    th_response_free(&r);
}
END_TEST

static json_t *response_of(json_t *batch, const char *id)
{
    json_t *list = json_object_get(batch, "responses");
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "id")), id) == 0)
            return json_array_get(list, i);
    return NULL;
}

static long status_of(json_t *batch, const char *id)
{
    return (long)json_integer_value(json_object_get(response_of(batch, id), "status"));
}

START_TEST(batch_answers_each_request_as_if_alone)
{
    char g[GUID_SIZE], u[GUID_SIZE];
    make_group(&srv, "Batch group", g);
    make_user(&srv, "batch.user@contoso.com", "Batch User", "", u);
    char body[4096];
    snprintf(body, sizeof(body),
             "{\"requests\":["
             "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users?$top=1&$select=id\"},"
             "{\"id\":\"2\",\"method\":\"POST\",\"url\":\"/groups/%s/members/$ref\","
             "\"headers\":{\"Content-Type\":\"application/json\"},"
             "\"body\":{\"@odata.id\":\"https://graph.microsoft.com/v1.0/directoryObjects/%s\"}},"
             "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"groups/%s/members/$count\","
             "\"headers\":{\"ConsistencyLevel\":\"eventual\"},\"dependsOn\":[\"2\"]},"
             "{\"id\":\"4\",\"method\":\"GET\",\"url\":\"/nope\"},"
             "{\"id\":\"5\",\"method\":\"GET\",\"url\":\"/users/nobody@contoso.com\"},"
             "{\"id\":\"6\",\"method\":\"DELETE\",\"url\":\"/groups/%s\",\"dependsOn\":[\"5\"]}"
             "]}",
             g, u, g, g);
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/$batch", body, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "responses")), 6);
    ck_assert_int_eq(status_of(r.json, "1"), 200);
    json_t *one = response_of(r.json, "1");
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(one, "body"), "value")), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(one, "headers"), "Content-Type")),
        "application/json;odata.metadata=minimal;odata.streaming=true;"
        "IEEE754Compatible=false");
    ck_assert_int_eq(status_of(r.json, "2"), 204);
    ck_assert_int_eq(status_of(r.json, "3"), 200);
    /* text/plain comes base64-encoded: "1" */
    ck_assert_str_eq(json_string_value(json_object_get(response_of(r.json, "3"), "body")), "MQ==");
    ck_assert_int_eq(status_of(r.json, "4"), 400);
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_object_get(json_object_get(response_of(r.json, "4"), "body"), "error"),
            "message")),
        "Resource not found for the segment 'nope'.");
    ck_assert_int_eq(status_of(r.json, "5"), 404);
    ck_assert_int_eq(status_of(r.json, "6"), 424); /* its dependency failed: not run */
    th_response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/v1.0/groups/%s", g);
    ck_assert_int_eq(call(&srv, "GET", path, NULL), 200);
}
END_TEST

START_TEST(batch_limit_and_malformed_batches_are_400)
{
    char body[8192] = "{\"requests\":[";
    for (int i = 0; i < 21; i++)
        snprintf(body + strlen(body), sizeof(body) - strlen(body),
                 "%s{\"id\":\"%d\",\"method\":\"GET\",\"url\":\"/users\"}", i ? "," : "", i);
    strcat(body, "]}");
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/$batch", body, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_message(&r), "Number of requests inside batch exceeds the limit.");
    th_response_free(&r);
    th_request(&srv, "POST", "/v1.0/$batch",
               "{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/groups\","
               "\"body\":{\"displayName\":\"x\"}}]}",
               NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(error_message(&r),
                     "Write request id : 1 does not contain Content-Type header or body.");
    th_response_free(&r);
    const char *bad[] = {
        "not json",
        "{}",
        "{\"requests\":[]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"BREW\",\"url\":\"/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"https://x/v1.0/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"},"
        "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/"
        "users\",\"dependsOn\":[\"9\"]}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"DELETE\",\"url\":\"/users/x\","
        "\"dependsOn\":[\"2\"]},{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/users\","
        "\"dependsOn\":[\"1\"]}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/$batch\","
        "\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{\"requests\":[]}}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        th_request(&srv, "POST", "/v1.0/$batch", bad[i], NULL, &r);
        long status = r.status;
        if (i == sizeof(bad) / sizeof(bad[0]) - 1) /* a nested batch: refused inside */
            status = status_of(r.json, "1");
        ck_assert_msg(status == 400, "%s -> %ld %s", bad[i], r.status, r.body);
        th_response_free(&r);
    }
}
END_TEST

START_TEST(each_request_of_a_batch_is_authorized_as_if_alone)
{
    char *token = th_token("User.Read.All", NULL, 600);
    char *bearer = th_bearer(token);
    const char *reader[] = {bearer, NULL};
    struct th_response r;
    th_request(&srv, "POST", "/v1.0/$batch",
               "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users?$top=1\"},"
               "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/auditLogs/directoryAudits\"},"
               "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/users?$top=1\","
               "\"headers\":{\"Authorization\":\"Bearer forged\"}}]}",
               reader, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_int_eq(status_of(r.json, "1"), 200);
    ck_assert_int_eq(status_of(r.json, "2"), 403); /* AuditLog.Read.All is not granted */
    ck_assert_int_eq(status_of(r.json, "3"), 401); /* a request's own header wins */
    th_response_free(&r);
    /* The batch itself needs a token. */
    const char *none[] = {"Authorization: Bearer not-a-token", NULL};
    th_request(&srv, "POST", "/v1.0/$batch",
               "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"}]}", none, &r);
    ck_assert_int_eq(r.status, 401);
    th_response_free(&r);
    free(bearer);
    free(token);
}
END_TEST

START_TEST(each_request_of_a_batch_counts_against_the_throttle)
{
    /* A server of its own with a small bucket: 12 tokens, a write costs 5, a read 1. */
    struct th_server small;
    const char *env[] = {"LICENSINGD_RATE_LIMIT=1", "LICENSINGD_RATE_BURST=12", NULL};
    th_server_start(&small, "contract_throttle", env);
    char body[4096] = "{\"requests\":[";
    for (int i = 0; i < 20; i++)
        snprintf(body + strlen(body), sizeof(body) - strlen(body),
                 "%s{\"id\":\"%d\",\"method\":\"GET\",\"url\":\"/users?$top=1\"}", i ? "," : "",
                 i + 1);
    strcat(body, "]}");
    struct th_response r;
    th_request(&small, "POST", "/v1.0/$batch", body, NULL, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    int ok = 0, throttled = 0;
    for (int i = 1; i <= 20; i++) {
        char id[12];
        snprintf(id, sizeof(id), "%d", i);
        long st = status_of(r.json, id);
        ok += st == 200;
        if (st == 429) {
            throttled++;
            json_t *h = json_object_get(response_of(r.json, id), "headers");
            ck_assert_ptr_nonnull(json_string_value(json_object_get(h, "Retry-After")));
            ck_assert_str_eq(
                json_string_value(json_object_get(
                    json_object_get(json_object_get(response_of(r.json, id), "body"), "error"),
                    "code")),
                "TooManyRequests");
        }
    }
    /* The batch itself took 5 of the 12; its reads took the rest, one each (a token or so may
     * have come back meanwhile). */
    ck_assert_msg(ok >= 7 && ok <= 9 && ok + throttled == 20, "%d served, %d throttled", ok,
                  throttled);
    th_response_free(&r);
    /* A body that is not JSON inside a batch is 415, as alone. */
    th_request(&small, "POST", "/v1.0/$batch",
               "{\"requests\":[{\"id\":\"1\",\"method\":\"POST\",\"url\":\"/groups\","
               "\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"x\"}]}",
               NULL, &r);
    if (r.status == 200) /* the bucket may still be empty: then 429 is the answer */
        ck_assert(status_of(r.json, "1") == 415 || status_of(r.json, "1") == 429);
    else
        ck_assert_int_eq(r.status, 429);
    th_response_free(&r);
    th_server_stop(&small, 5000, NULL);
}
END_TEST

int main(void)
{
    th_server_start(&srv, "contract", NULL);
    th_sql_exec(&srv, catalog_sql);
    Suite *s = suite_create("contract");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, duplicate_slashes_are_one);
    tcase_add_test(tc, unknown_segment_is_400_naming_it);
    tcase_add_test(tc, json_answers_carry_odata_minimal_media_type);
    tcase_add_test(tc, organization_by_id_and_select);
    tcase_add_test(tc, unknown_select_names_the_type);
    tcase_add_test(tc, license_detail_by_id);
    tcase_add_test(tc, directory_audit_by_id_and_newest_first_order);
    tcase_add_test(tc, members_with_license_errors_honours_select);
    tcase_add_test(tc, directory_object_by_id_is_typed);
    tcase_add_test(tc, get_by_ids_answers_in_order_and_by_type);
    tcase_add_test(tc, member_of_count_and_type_casts);
    tcase_add_test(tc, transitive_membership_goes_through_nested_groups);
    tcase_add_test(tc, expand_members_on_a_group_and_the_list);
    tcase_add_test(tc, search_with_eventual_consistency);
    tcase_add_test(tc, metadata_document_is_served_as_xml);
    tcase_add_test(tc, batch_answers_each_request_as_if_alone);
    tcase_add_test(tc, batch_limit_and_malformed_batches_are_400);
    tcase_add_test(tc, each_request_of_a_batch_is_authorized_as_if_alone);
    tcase_add_test(tc, each_request_of_a_batch_counts_against_the_throttle);
    suite_add_tcase(s, tc);
    return th_run_suite(s, CK_FORK_GETENV, &srv, 5000);
}
