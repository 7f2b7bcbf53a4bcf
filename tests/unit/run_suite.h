/* What every unit suite's main() ends with: run the suite, exit status from its failures.
 * Header-only: each suite is its own program and the unit tests link no helper object. */
#ifndef LICENSINGD_TEST_UNIT_RUN_SUITE_H
#define LICENSINGD_TEST_UNIT_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

/* Runs every test of suite (Check's own fork setting); EXIT_SUCCESS when none failed. */
static inline int unit_run_suite(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
