/* The rules engine as a rules table (semantics §4): every error type, all-or-nothing groups,
 * incumbency, one seat per SKU, disabled plans, dependencies on removal, locations. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "service/engine/licensing.h"
#include "service/license_request.h"
#include "tests/unit/run_suite.h"

enum { EXO1, EXO2, SPO1, SPO2, TEAMS, WA, MCOSTD, AUDIO, INTUNE, N_PLANS };
enum { E1, E3, EMS, WA_SKU, AUDIO_SKU, SUSPENDED_SKU, N_SKUS };

static const int c_exo1[] = {EXO2}, c_exo2[] = {EXO1}, c_spo1[] = {SPO2}, c_spo2[] = {SPO1};
static const int r_wa[] = {EXO1, EXO2}, r_audio[] = {MCOSTD};

static const struct lic_plan_rules plans[N_PLANS] = {
    [EXO1] = {"9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD", 1, NULL, c_exo1, 1,
              NULL, 0},
    [EXO2] = {"efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE", 1, NULL, c_exo2, 1,
              NULL, 0},
    [SPO1] = {"c7699d2e-19aa-44de-8edf-1736da088ca1", "SHAREPOINTSTANDARD", 0, NULL, c_spo1, 1,
              NULL, 0},
    [SPO2] = {"5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE", 0, NULL, c_spo2, 1,
              NULL, 0},
    [TEAMS] = {"57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", 0, NULL, NULL, 0, NULL, 0},
    [WA] = {"f477b0f0-3bb1-4890-940c-40fcee6ce05f", "WORKPLACE_ANALYTICS", 0, NULL, NULL, 0, r_wa,
            2},
    [MCOSTD] = {"0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MCOSTANDARD", 0, NULL, NULL, 0, NULL, 0},
    [AUDIO] = {"3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40", "MCOMEETADV", 0, "BNCNINPK", NULL, 0,
               r_audio, 1},
    [INTUNE] = {"c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A", 0, NULL, NULL, 0, NULL, 0},
};

static const int p_e1[] = {EXO1, SPO1, TEAMS}, p_e3[] = {EXO2, SPO2, TEAMS, MCOSTD};
static const int p_ems[] = {INTUNE}, p_wa[] = {WA}, p_audio[] = {AUDIO}, p_susp[] = {TEAMS};

static const struct lic_sku_rules skus[N_SKUS] = {
    [E1] = {"18181a46-0d4e-45cd-891e-60aabd171b4e", "STANDARDPACK", p_e1, 3, 0},
    [E3] = {"6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", p_e3, 4, 0},
    [EMS] = {"efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", p_ems, 1, 0},
    [WA_SKU] = {"3d957427-ecdc-4df2-aacd-01cc9d519da8", "WORKPLACE_ANALYTICS", p_wa, 1, 0},
    [AUDIO_SKU] = {"0c266dff-15dd-4b49-8397-2bb16070ed52", "MCOMEETADV", p_audio, 1, 0},
    [SUSPENDED_SKU] = {"00000000-0000-0000-0000-00000000dead", "SUSPENDED", p_susp, 1, 1},
};

static const struct lic_catalog catalog = {plans, N_PLANS, skus, N_SKUS};

static const struct lic_path_sku s_e1 = {E1, NULL, 0}, s_e3 = {E3, NULL, 0}, s_ems = {EMS, NULL, 0};
static const struct lic_path_sku s_wa = {WA_SKU, NULL, 0}, s_audio = {AUDIO_SKU, NULL, 0};
static const int e3_clashing[] = {EXO2, SPO2};
static const struct lic_path_sku s_e3_trimmed = {E3, e3_clashing, 2};

static int seats[N_SKUS];

static void plenty_of_seats(void)
{
    for (int i = 0; i < N_SKUS; i++)
        seats[i] = 100;
}

static struct lic_user_input user_in(const char *location, const struct lic_path *paths, int n)
{
    struct lic_user_input u = {
        .usage_location = location, .org_country = NULL, .paths = paths, .n_paths = n};
    return u;
}

static struct lic_result eval(const struct lic_user_input *u)
{
    struct lic_result r;
    ck_assert_int_eq(licensing_evaluate_user(&catalog, u, seats, &r), 0);
    return r;
}

static const struct lic_effective *effective_of(const struct lic_result *r, int sku)
{
    for (int i = 0; i < r->n_effective; i++)
        if (r->effective[i].sku == sku)
            return &r->effective[i];
    return NULL;
}

START_TEST(names_mirror_graph_strings)
{
    ck_assert_str_eq(license_error_name(LIC_ERROR_COUNT_VIOLATION), "CountViolation");
    ck_assert_str_eq(license_error_name(LIC_ERROR_USAGE_LOCATION),
                     "ProhibitedInUsageLocationViolation");
    ck_assert_str_eq(license_error_name(LIC_ERROR_OTHER), "Other");
    ck_assert_str_eq(license_state_name(LIC_STATE_ACTIVE_WITH_ERROR), "ActiveWithError");
    ck_assert_int_eq(license_error_parse("MutuallyExclusiveViolation"),
                     LIC_ERROR_MUTUALLY_EXCLUSIVE);
    ck_assert_int_eq(license_error_parse("Others"), -1);
    ck_assert_int_eq(license_state_parse("Disabled"), LIC_STATE_DISABLED);
}
END_TEST

static int in_migrations(const char *name)
{
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "'%s'", name);
    for (unsigned m = 0; m < db_migrations_count; m++)
        if (strstr(db_migrations[m].sql, quoted) != NULL)
            return 1;
    return 0;
}

/* license_assignment_states' CHECKs list the names: a new enum entry needs a new migration. */
START_TEST(every_name_round_trips_and_the_schema_allows_it)
{
    for (int e = 0; e < LIC_ERROR_COUNT; e++) {
        ck_assert_int_eq(license_error_parse(license_error_name(e)), e);
        ck_assert_msg(in_migrations(license_error_name(e)), "%s", license_error_name(e));
    }
    for (int st = 0; st < LIC_STATE_COUNT; st++) {
        ck_assert_int_eq(license_state_parse(license_state_name(st)), st);
        ck_assert_msg(in_migrations(license_state_name(st)), "%s", license_state_name(st));
    }
}
END_TEST

START_TEST(group_license_is_active_and_takes_one_seat)
{
    plenty_of_seats();
    struct lic_path g = {.group_id = "g1", .skus = &s_e3, .n_skus = 1};
    struct lic_user_input u = user_in("US", &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_NONE);
    ck_assert_int_eq(r.n_effective, 1);
    ck_assert_int_eq(r.effective[0].n_disabled, 0);
    ck_assert_int_eq(r.seat_delta[E3], 1);
    ck_assert_int_eq(seats[E3], 99);
    ck_assert_int_eq(r.needs_primary_smtp, 1); /* Exchange plan, no SMTP: address yet */
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(e1_direct_then_e3_by_group_conflicts_and_takes_nothing)
{
    plenty_of_seats();
    int held[] = {E1};
    struct lic_path p[] = {{.group_id = NULL, .incumbent = 1, .skus = &s_e1, .n_skus = 1},
                           {.group_id = "g1", .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 1;
    u.has_primary_smtp = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[1].why.error, LIC_ERROR_MUTUALLY_EXCLUSIVE);
    ck_assert_int_eq(r.paths[1].why.plan, EXO2);
    ck_assert_int_eq(r.paths[1].why.other_plan, EXO1);
    ck_assert_int_eq(r.n_effective, 1);
    ck_assert_int_eq(r.effective[0].sku, E1);
    ck_assert_int_eq(r.seat_delta[E3], 0);
    ck_assert_int_eq(seats[E3], 100);
    char msg[256];
    licensing_violation_message(&catalog, &r.paths[1].why, msg, sizeof(msg));
    ck_assert_str_eq(msg, "License assignment failed because service plans "
                          "EXCHANGE_S_ENTERPRISE,EXCHANGE_S_STANDARD are mutually exclusive");
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(disabling_the_clashing_e3_plans_avoids_the_conflict)
{
    plenty_of_seats();
    int held[] = {E1};
    struct lic_path p[] = {{.group_id = NULL, .incumbent = 1, .skus = &s_e1, .n_skus = 1},
                           {.group_id = "g1", .skus = &s_e3_trimmed, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    const struct lic_effective *e3 = effective_of(&r, E3);
    ck_assert_ptr_nonnull(e3);
    ck_assert_int_eq(e3->n_disabled, 2);
    ck_assert_int_eq(e3->disabled_plans[0], EXO2);
    ck_assert_int_eq(e3->disabled_plans[1], SPO2);
    ck_assert_int_eq(r.seat_delta[E3], 1);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(group_is_all_or_nothing_when_one_sku_has_no_seats)
{
    plenty_of_seats();
    seats[EMS] = 0;
    struct lic_path_sku both[] = {s_e3, s_ems};
    struct lic_path g = {.group_id = "g1", .skus = both, .n_skus = 2};
    struct lic_user_input u = user_in("US", &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_COUNT_VIOLATION);
    ck_assert_int_eq(r.paths[0].why.sku, EMS);
    ck_assert_int_eq(r.paths[0].sku_states[0], LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].sku_states[1], LIC_STATE_ERROR);
    ck_assert_int_eq(r.n_effective, 0);
    ck_assert_int_eq(seats[E3], 100); /* E3 was free but is not given either */
    ck_assert_int_eq(r.seat_delta[E3], 0);
    char msg[256];
    licensing_violation_message(&catalog, &r.paths[0].why, msg, sizeof(msg));
    ck_assert_str_eq(msg, "Subscription with SKU efccb6f7-5641-4e0e-bd10-b4976e1bf68e does not "
                          "have any available licenses.");
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(incumbent_group_wins_a_conflict_over_an_older_new_group)
{
    plenty_of_seats();
    int held[] = {E1};
    /* g-new was assigned earlier but is new for this user; g-old already gives E1. */
    struct lic_path p[] = {
        {.group_id = "g-new", .assigned_at = 1, .skus = &s_e3, .n_skus = 1},
        {.group_id = "g-old", .assigned_at = 5, .incumbent = 1, .skus = &s_e1, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_MUTUALLY_EXCLUSIVE);
    licensing_result_free(&r, 2);

    /* Both new: the group licensed first wins, then the lower group id. */
    struct lic_path q[] = {{.group_id = "b", .assigned_at = 7, .skus = &s_e3, .n_skus = 1},
                           {.group_id = "a", .assigned_at = 7, .skus = &s_e1, .n_skus = 1}};
    u = user_in("US", q, 2);
    r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(same_sku_by_two_paths_takes_one_seat_and_never_conflicts)
{
    plenty_of_seats();
    seats[E3] = 1;
    struct lic_path p[] = {{.group_id = NULL, .validate = 1, .skus = &s_e3, .n_skus = 1},
                           {.group_id = "g1", .skus = &s_e3, .n_skus = 1},
                           {.group_id = "g2", .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 3);
    struct lic_result r = eval(&u);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r.paths[i].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.n_effective, 1);
    ck_assert_int_eq(r.seat_delta[E3], 1);
    ck_assert_int_eq(seats[E3], 0);
    licensing_result_free(&r, 3);
}
END_TEST

START_TEST(user_already_holding_a_sku_needs_no_new_seat)
{
    plenty_of_seats();
    seats[E3] = 0;
    int held[] = {E3};
    struct lic_path p[] = {{.group_id = NULL, .incumbent = 1, .skus = &s_e3, .n_skus = 1},
                           {.group_id = "all-users", .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.seat_delta[E3], 0);
    ck_assert_int_eq(seats[E3], 0);
    licensing_result_free(&r, 2);

    /* §9: removing the direct path leaves the license, still one seat. */
    p[0].removal = LIC_REMOVE;
    p[1].incumbent = 1;
    r = eval(&u);
    ck_assert_int_eq(r.paths[0].removed, 1);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.n_effective, 1);
    ck_assert_int_eq(r.seat_delta[E3], 0);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(prohibited_location_and_inherited_country)
{
    plenty_of_seats();
    struct lic_path_sku audio_and_e3[] = {s_e3, s_audio};
    struct lic_path g = {.group_id = "g1", .skus = audio_and_e3, .n_skus = 2};
    struct lic_user_input u = user_in("CN", &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_USAGE_LOCATION);
    ck_assert_int_eq(r.paths[0].why.plan, AUDIO);
    ck_assert_str_eq(r.paths[0].why.country, "CN");
    ck_assert_int_eq(r.n_effective, 0);
    licensing_result_free(&r, 1);

    /* No usage location: the organization's country is used (§4.3). */
    u = user_in(NULL, &g, 1);
    u.org_country = "US";
    r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    licensing_result_free(&r, 1);
    u.org_country = "IN";
    r = eval(&u);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_USAGE_LOCATION);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(no_location_anywhere_cannot_be_licensed)
{
    plenty_of_seats();
    struct lic_path g = {.group_id = "g1", .skus = &s_ems, .n_skus = 1};
    struct lic_user_input u = user_in(NULL, &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_USAGE_LOCATION);
    char msg[256];
    licensing_violation_message(&catalog, &r.paths[0].why, msg, sizeof(msg));
    ck_assert_str_eq(msg,
                     "License assignment cannot be done for user with invalid usage location.");
    ck_assert_int_eq(seats[EMS], 100);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(taken_proxy_address_fails_mailbox_plans_only)
{
    plenty_of_seats();
    struct lic_path g = {.group_id = "g1", .skus = &s_e3, .n_skus = 1};
    struct lic_user_input u = user_in("US", &g, 1);
    u.smtp_taken = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_UNIQUENESS);
    licensing_result_free(&r, 1);
    struct lic_path g2 = {.group_id = "g2", .skus = &s_ems, .n_skus = 1};
    u = user_in("US", &g2, 1);
    u.smtp_taken = 1;
    r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.needs_primary_smtp, 0);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(dependency_blocks_a_removal_and_group_deletion_converts)
{
    plenty_of_seats();
    int held[] = {AUDIO_SKU, E3};
    struct lic_path p[] = {
        {.group_id = NULL, .incumbent = 1, .skus = &s_audio, .n_skus = 1},
        {.group_id = "g1", .incumbent = 1, .removal = LIC_REMOVE, .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 2;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].removed, 0);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE_WITH_ERROR);
    ck_assert_int_eq(r.paths[1].why.error, LIC_ERROR_DEPENDENCY);
    ck_assert_int_eq(r.paths[1].why.plan, AUDIO);
    ck_assert_ptr_nonnull(effective_of(&r, E3));
    ck_assert_int_eq(r.seat_delta[E3], 0);
    char msg[256];
    licensing_violation_message(&catalog, &r.paths[1].why, msg, sizeof(msg));
    ck_assert_str_eq(msg, "License assignment failed because service plan MCOMEETADV depends on "
                          "the service plan(s) MCOSTANDARD.");
    licensing_result_free(&r, 2);

    p[1].removal = LIC_REMOVE_GROUP_DELETED;
    r = eval(&u);
    ck_assert_int_eq(r.paths[1].convert_to_direct, 1);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(removal_without_dependents_frees_the_seat)
{
    plenty_of_seats();
    int held[] = {E3};
    struct lic_path g = {
        .group_id = "g1", .incumbent = 1, .removal = LIC_REMOVE, .skus = &s_e3, .n_skus = 1};
    struct lic_user_input u = user_in("US", &g, 1);
    u.held_skus = held;
    u.n_held = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].removed, 1);
    ck_assert_int_eq(r.n_effective, 0);
    ck_assert_int_eq(r.seat_delta[E3], -1);
    ck_assert_int_eq(seats[E3], 101);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(direct_add_without_prerequisite_fails_and_with_it_succeeds)
{
    plenty_of_seats();
    struct lic_path p[] = {{.group_id = NULL, .validate = 1, .skus = &s_wa, .n_skus = 1},
                           {.group_id = NULL, .validate = 1, .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_DEPENDENCY);
    ck_assert_int_eq(r.paths[0].why.sku, WA_SKU);
    ck_assert_int_eq(seats[WA_SKU], 100);
    char msg[256];
    licensing_violation_message(&catalog, &r.paths[0].why, msg, sizeof(msg));
    ck_assert_str_eq(msg, "License assignment failed because service plan WORKPLACE_ANALYTICS "
                          "depends on the service plan(s) EXCHANGE_S_STANDARD, "
                          "EXCHANGE_S_ENTERPRISE.");
    licensing_result_free(&r, 1);

    /* Listed before its prerequisite in the same request: still satisfied. */
    u = user_in("US", p, 2);
    r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.n_effective, 2);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(swapping_e1_for_e3_in_one_call_passes_no_conflict)
{
    plenty_of_seats();
    int held[] = {E1};
    struct lic_path p[] = {
        {.group_id = NULL, .incumbent = 1, .removal = LIC_REMOVE, .skus = &s_e1, .n_skus = 1},
        {.group_id = NULL, .validate = 1, .skus = &s_e3, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 1;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].removed, 1);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.seat_delta[E1], -1);
    ck_assert_int_eq(r.seat_delta[E3], 1);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(suspended_sku_paths_are_disabled)
{
    plenty_of_seats();
    struct lic_path_sku s = {SUSPENDED_SKU, NULL, 0};
    struct lic_path g = {.group_id = "g1", .skus = &s, .n_skus = 1};
    struct lic_user_input u = user_in("US", &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].sku_states[0], LIC_STATE_DISABLED);
    ck_assert_int_eq(r.effective[0].n_disabled, 1); /* held, but no plan works */
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(suspended_sku_still_needs_a_free_seat)
{
    plenty_of_seats();
    seats[SUSPENDED_SKU] = 0;
    struct lic_path_sku s = {SUSPENDED_SKU, NULL, 0};
    struct lic_path g = {.group_id = "g1", .skus = &s, .n_skus = 1};
    struct lic_user_input u = user_in("US", &g, 1);
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[0].why.error, LIC_ERROR_COUNT_VIOLATION);
    ck_assert_int_eq(r.n_effective, 0);
    ck_assert_int_eq(seats[SUSPENDED_SKU], 0);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(disabling_a_prerequisite_another_direct_license_needs_is_refused)
{
    plenty_of_seats();
    int held[] = {AUDIO_SKU, E3};
    static const int no_mcostd[] = {MCOSTD};
    struct lic_path_sku e3_without = {E3, no_mcostd, 1};
    /* Audio Conferencing (direct) needs MCOSTANDARD, which only the direct E3 gives; the
     * request re-adds E3 with MCOSTANDARD disabled. */
    struct lic_path p[] = {
        {.group_id = NULL, .incumbent = 1, .skus = &s_audio, .n_skus = 1},
        {.group_id = NULL, .incumbent = 1, .validate = 1, .skus = &e3_without, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 2;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ERROR);
    ck_assert_int_eq(r.paths[1].why.error, LIC_ERROR_DEPENDENCY);
    ck_assert_int_eq(r.paths[1].why.plan, AUDIO);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    licensing_result_free(&r, 2);
}
END_TEST

START_TEST(group_newly_disabling_a_needed_prerequisite_keeps_its_previous_plans)
{
    plenty_of_seats();
    int held[] = {AUDIO_SKU, E3};
    static const int no_mcostd[] = {MCOSTD};
    static const int none[] = {0};
    /* Audio Conferencing (direct) needs MCOSTANDARD, which only the group's E3 gives; the group
     * now disables MCOSTANDARD. */
    struct lic_path_sku e3_now = {E3, no_mcostd, 1, none, 0};
    struct lic_path p[] = {{.group_id = NULL, .incumbent = 1, .skus = &s_audio, .n_skus = 1},
                           {.group_id = "g1", .incumbent = 1, .skus = &e3_now, .n_skus = 1}};
    struct lic_user_input u = user_in("US", p, 2);
    u.held_skus = held;
    u.n_held = 2;
    struct lic_result r = eval(&u);
    ck_assert_int_eq(r.paths[1].state, LIC_STATE_ACTIVE_WITH_ERROR);
    ck_assert_int_eq(r.paths[1].why.error, LIC_ERROR_DEPENDENCY);
    ck_assert_int_eq(r.paths[1].why.plan, AUDIO);
    ck_assert_int_eq(r.paths[1].kept_previous, 1);
    const struct lic_effective *e3 = effective_of(&r, E3);
    ck_assert_ptr_nonnull(e3);
    ck_assert_int_eq(e3->n_disabled, 0); /* MCOSTANDARD stays enabled */
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_ptr_eq(p[1].skus, &e3_now); /* the caller's input is untouched */
    ck_assert_int_eq(e3_now.n_disabled, 1);
    licensing_result_free(&r, 2);

    /* Without the add-on, the new disabledPlans apply. */
    struct lic_path only_group = p[1];
    int held_e3[] = {E3};
    struct lic_user_input u2 = user_in("US", &only_group, 1);
    u2.held_skus = held_e3;
    u2.n_held = 1;
    r = eval(&u2);
    ck_assert_int_eq(r.paths[0].state, LIC_STATE_ACTIVE);
    ck_assert_int_eq(r.paths[0].kept_previous, 0);
    ck_assert_int_eq(effective_of(&r, E3)->n_disabled, 1);
    licensing_result_free(&r, 1);
}
END_TEST

START_TEST(evaluation_is_idempotent_and_order_independent)
{
    plenty_of_seats();
    struct lic_path_sku e3_ems[] = {s_e3, s_ems};
    struct lic_path p[] = {{.group_id = "g2", .assigned_at = 2, .skus = &s_e1, .n_skus = 1},
                           {.group_id = "g1", .assigned_at = 1, .skus = e3_ems, .n_skus = 2},
                           {.group_id = NULL, .incumbent = 1, .skus = &s_audio, .n_skus = 1}};
    int held0[] = {AUDIO_SKU};
    struct lic_user_input u = user_in("US", p, 3);
    u.held_skus = held0;
    u.n_held = 1;
    struct lic_result r1 = eval(&u);
    ck_assert_int_eq(r1.paths[1].state, LIC_STATE_ACTIVE); /* g1 first: E3+EMS */
    ck_assert_int_eq(r1.paths[0].state, LIC_STATE_ERROR);  /* then E1 clashes */

    /* Reversed input order: same outcome. */
    struct lic_path rev[] = {p[2], p[1], p[0]};
    int save[N_SKUS];
    memcpy(save, seats, sizeof(seats));
    plenty_of_seats();
    struct lic_user_input ur = u;
    ur.paths = rev;
    struct lic_result r2 = eval(&ur);
    ck_assert_int_eq(r2.paths[1].state, r1.paths[1].state);
    ck_assert_int_eq(r2.paths[2].state, r1.paths[0].state);
    ck_assert_int_eq(r2.n_effective, r1.n_effective);
    memcpy(seats, save, sizeof(seats));

    /* Feed the outcome back: nothing changes, no seat moves. */
    int held1[N_SKUS], n = 0;
    for (int i = 0; i < r1.n_effective; i++)
        held1[n++] = r1.effective[i].sku;
    for (int i = 0; i < 3; i++)
        p[i].incumbent = r1.paths[i].state == LIC_STATE_ACTIVE;
    u.held_skus = held1;
    u.n_held = n;
    struct lic_result r3 = eval(&u);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r3.paths[i].state, r1.paths[i].state);
    for (int s = 0; s < N_SKUS; s++)
        ck_assert_int_eq(r3.seat_delta[s], 0);
    licensing_result_free(&r1, 3);
    licensing_result_free(&r2, 3);
    licensing_result_free(&r3, 3);
}
END_TEST

START_TEST(shared_seat_budget_goes_to_earlier_users_first)
{
    plenty_of_seats();
    seats[EMS] = 2;
    struct lic_path g = {.group_id = "g1", .skus = &s_ems, .n_skus = 1};
    enum license_error got[3];
    for (int i = 0; i < 3; i++) {
        struct lic_user_input u = user_in("US", &g, 1);
        struct lic_result r = eval(&u);
        got[i] = r.paths[0].why.error;
        licensing_result_free(&r, 1);
    }
    ck_assert_int_eq(got[0], LIC_ERROR_NONE);
    ck_assert_int_eq(got[1], LIC_ERROR_NONE);
    ck_assert_int_eq(got[2], LIC_ERROR_COUNT_VIOLATION);
    ck_assert_int_eq(seats[EMS], 0);
}
END_TEST

/* ---- request refusals (service/license_request.c) over the rules table's catalog ---- */

static struct lic_batch catalog_batch(void)
{
    struct lic_batch b = {.catalog = catalog};
    return b;
}

static struct license_add add_of(int sku, char (*disabled)[GUID_SIZE], int n_disabled)
{
    struct license_add a = {.disabled_plans = disabled, .n_disabled = n_disabled};
    snprintf(a.sku_id, sizeof(a.sku_id), "%s", skus[sku].sku_id);
    return a;
}

START_TEST(a_sku_listed_twice_or_added_and_removed_is_refused)
{
    struct lic_error err;
    struct license_add adds[] = {add_of(E1, NULL, 0), add_of(E1, NULL, 0)};
    struct license_request twice = {adds, 2, NULL, 0};
    ck_assert_int_eq(license_request_check(&twice, &err), -1);
    ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
    ck_assert_str_eq(err.message, "License 18181a46-0d4e-45cd-891e-60aabd171b4e is listed twice "
                                  "in addLicenses.");
    char removes[1][GUID_SIZE] = {"18181A46-0D4E-45CD-891E-60AABD171B4E"};
    struct license_request both = {adds, 1, (const char(*)[GUID_SIZE])removes, 1};
    ck_assert_int_eq(license_request_check(&both, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "is both added and removed in the same request."));
    struct license_request fine = {adds, 1, NULL, 0};
    ck_assert_int_eq(license_request_check(&fine, &err), 0);
}
END_TEST

START_TEST(unknown_skus_and_foreign_disabled_plans_are_refused)
{
    struct lic_batch b = catalog_batch();
    struct lic_error err;
    struct license_add unknown = {"99999999-9999-9999-9999-999999999999", NULL, 0};
    struct license_request r1 = {&unknown, 1, NULL, 0};
    ck_assert_int_eq(license_request_check_catalog(&r1, &b, &err), -1);
    ck_assert_str_eq(err.message, "License 99999999-9999-9999-9999-999999999999 does not "
                                  "correspond to a valid company License.");
    char foreign[1][GUID_SIZE];
    snprintf(foreign[0], GUID_SIZE, "%s", plans[EXO2].id);
    struct license_add e1 = add_of(E1, foreign, 1);
    struct license_request r2 = {&e1, 1, NULL, 0};
    ck_assert_int_eq(license_request_check_catalog(&r2, &b, &err), -1);
    ck_assert_str_eq(err.message, "Service plan efb87545-963c-4e0d-99df-69c6916d9eb0 in "
                                  "disabledPlans is not part of license "
                                  "18181a46-0d4e-45cd-891e-60aabd171b4e.");
    snprintf(foreign[0], GUID_SIZE, "%s", plans[EXO1].id);
    ck_assert_int_eq(license_request_check_catalog(&r2, &b, &err), 0);
}
END_TEST

START_TEST(direct_removals_are_refused_with_the_reason)
{
    struct lic_error err;
    license_request_refuse_removal(skus[E3].sku_id, 1, "a0000000-0000-0000-0000-000000000001",
                                   "Sales", &err);
    ck_assert_str_eq(err.message, "User license is inherited from a group membership and it cannot "
                                  "be removed directly from the user. Group: 'Sales' "
                                  "(a0000000-0000-0000-0000-000000000001).");
    license_request_refuse_removal("99999999-9999-9999-9999-999999999999", 0, NULL, NULL, &err);
    ck_assert_ptr_nonnull(strstr(err.message, "does not correspond to a valid company License."));
    license_request_refuse_removal(skus[E3].sku_id, 1, NULL, NULL, &err);
    ck_assert_str_eq(err.message, "User does not have a corresponding license "
                                  "6fd2c87f-b296-42f0-b197-1e91e994b900.");
    ck_assert_int_eq(err.kind, LIC_ERR_BAD_REQUEST);
}
END_TEST

START_TEST(group_removal_of_a_sku_it_does_not_have_is_refused)
{
    struct lic_batch b = catalog_batch();
    struct lic_error err;
    struct license_add current[] = {add_of(E3, NULL, 0)};
    char removes[1][GUID_SIZE];
    snprintf(removes[0], GUID_SIZE, "%s", skus[EMS].sku_id);
    struct license_request r = {NULL, 0, (const char(*)[GUID_SIZE])removes, 1};
    ck_assert_int_eq(license_request_check_group(&r, &b, current, 1, &err), -1);
    ck_assert_str_eq(err.message, "License efccb6f7-5641-4e0e-bd10-b4976e1bf68e is not assigned to "
                                  "the group and cannot be removed.");
    snprintf(removes[0], GUID_SIZE, "%s", skus[E3].sku_id);
    ck_assert_int_eq(license_request_check_group(&r, &b, current, 1, &err), 0);
}
END_TEST

START_TEST(group_left_without_a_prerequisite_is_refused_naming_them_by_name)
{
    struct lic_batch b = catalog_batch();
    struct lic_error err;
    /* Workplace Analytics alone: neither Exchange plan; they are named by plan name order. */
    struct license_add wa = add_of(WA_SKU, NULL, 0);
    struct license_request alone = {&wa, 1, NULL, 0};
    ck_assert_int_eq(license_request_check_group(&alone, &b, NULL, 0, &err), -1);
    ck_assert_str_eq(err.message,
                     "License operation failed. Make sure that the group has necessary "
                     "services before adding or removing a dependent service. The "
                     "service WORKPLACE_ANALYTICS requires EXCHANGE_S_ENTERPRISE or "
                     "EXCHANGE_S_STANDARD to be enabled as well.");
    /* With E3 the group has it; removing E3 in the same request leaves it without again. */
    struct license_add current[] = {add_of(E3, NULL, 0)};
    ck_assert_int_eq(license_request_check_group(&alone, &b, current, 1, &err), 0);
    char removes[1][GUID_SIZE];
    snprintf(removes[0], GUID_SIZE, "%s", skus[E3].sku_id);
    struct license_request swap = {&wa, 1, (const char(*)[GUID_SIZE])removes, 1};
    ck_assert_int_eq(license_request_check_group(&swap, &b, current, 1, &err), -1);
    /* E3 re-added with its Exchange plan disabled counts as it would be. */
    char exo[1][GUID_SIZE];
    snprintf(exo[0], GUID_SIZE, "%s", plans[EXO2].id);
    struct license_add both[] = {wa, add_of(E3, exo, 1)};
    struct license_request readd = {both, 2, NULL, 0};
    ck_assert_int_eq(license_request_check_group(&readd, &b, current, 1, &err), -1);
}
END_TEST

/* Two users who would get the same new primary address: only the first in batch order does. */
START_TEST(batch_users_share_new_primary_addresses)
{
    plenty_of_seats();
    struct lic_path_sku ps = {E1, NULL, 0};
    struct lic_path paths[2] = {{.group_id = "g", .skus = &ps, .n_skus = 1},
                                {.group_id = "g", .skus = &ps, .n_skus = 1}};
    struct lic_path_meta meta[2] = {{"g", 0}, {"g", 0}};
    struct lic_batch_user users[2];
    for (int u = 0; u < 2; u++)
        users[u] = (struct lic_batch_user){
            .id = u ? "u2" : "u1",
            .found = 1,
            .smtp_key = "same@contoso.com",
            .input = {.usage_location = "US", .paths = &paths[u], .n_paths = 1},
            .paths = &paths[u],
            .meta = &meta[u]};
    struct lic_batch b = {.catalog = catalog, .seats_free = seats, .users = users, .n_users = 2};
    struct lic_result r1, r2;
    ck_assert_int_eq(lic_batch_evaluate(&b, 0, &r1), 0);
    ck_assert_int_eq(r1.needs_primary_smtp, 1);
    ck_assert_int_eq(lic_batch_evaluate(&b, 1, &r2), 0);
    ck_assert_int_eq(r2.paths[0].why.error, LIC_ERROR_UNIQUENESS);
    licensing_result_free(&r1, 1);
    licensing_result_free(&r2, 1);
    id_map_free(&b.smtp_given);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("licensing");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, names_mirror_graph_strings);
    tcase_add_test(tc, every_name_round_trips_and_the_schema_allows_it);
    tcase_add_test(tc, group_license_is_active_and_takes_one_seat);
    tcase_add_test(tc, e1_direct_then_e3_by_group_conflicts_and_takes_nothing);
    tcase_add_test(tc, disabling_the_clashing_e3_plans_avoids_the_conflict);
    tcase_add_test(tc, group_is_all_or_nothing_when_one_sku_has_no_seats);
    tcase_add_test(tc, incumbent_group_wins_a_conflict_over_an_older_new_group);
    tcase_add_test(tc, same_sku_by_two_paths_takes_one_seat_and_never_conflicts);
    tcase_add_test(tc, user_already_holding_a_sku_needs_no_new_seat);
    tcase_add_test(tc, prohibited_location_and_inherited_country);
    tcase_add_test(tc, no_location_anywhere_cannot_be_licensed);
    tcase_add_test(tc, taken_proxy_address_fails_mailbox_plans_only);
    tcase_add_test(tc, dependency_blocks_a_removal_and_group_deletion_converts);
    tcase_add_test(tc, removal_without_dependents_frees_the_seat);
    tcase_add_test(tc, direct_add_without_prerequisite_fails_and_with_it_succeeds);
    tcase_add_test(tc, swapping_e1_for_e3_in_one_call_passes_no_conflict);
    tcase_add_test(tc, suspended_sku_paths_are_disabled);
    tcase_add_test(tc, suspended_sku_still_needs_a_free_seat);
    tcase_add_test(tc, disabling_a_prerequisite_another_direct_license_needs_is_refused);
    tcase_add_test(tc, group_newly_disabling_a_needed_prerequisite_keeps_its_previous_plans);
    tcase_add_test(tc, evaluation_is_idempotent_and_order_independent);
    tcase_add_test(tc, shared_seat_budget_goes_to_earlier_users_first);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("requests");
    tcase_add_test(tr, a_sku_listed_twice_or_added_and_removed_is_refused);
    tcase_add_test(tr, unknown_skus_and_foreign_disabled_plans_are_refused);
    tcase_add_test(tr, direct_removals_are_refused_with_the_reason);
    tcase_add_test(tr, group_removal_of_a_sku_it_does_not_have_is_refused);
    tcase_add_test(tr, group_left_without_a_prerequisite_is_refused_naming_them_by_name);
    tcase_add_test(tr, batch_users_share_new_primary_addresses);
    suite_add_tcase(s, tr);
    return unit_run_suite(s);
}
