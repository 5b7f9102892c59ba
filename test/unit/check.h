/* check.h - shared main() for the Check unit suites.
 *
 * Each test/unit/check_<module>.c defines a suite and ends with
 *     int main (void) { return fx_check_main (my_suite ()); }
 * Tests run in fork mode; with CK_TAP_LOG_FILE_NAME=- (set by test/run-tests.sh) Check
 * writes TAP to stdout.
 */
#ifndef FX_CHECK_H
#define FX_CHECK_H

#include <check.h>
#include <stdlib.h>

/* One test case: a TCase of its own named for the behaviour it checks. */
struct fx_check_case {
    const char *name;
    const TTest *test;
};

/* Optional fixtures for every case: checked ones run in each test's forked process,
 * unchecked ones in the parent (they run even when a test fails or times out). */
struct fx_check_fixtures {
    SFun setup, teardown;
    SFun unchecked_setup, unchecked_teardown;
};

/* Add one TCase per case to s; fx may be NULL. */
static inline void fx_check_add_cases (Suite *s, const struct fx_check_case *cases, size_t n,
                                       const struct fx_check_fixtures *fx)
{
    for (size_t i = 0; i < n; i++) {
        TCase *tc = tcase_create (cases[i].name);
        if (fx && (fx->unchecked_setup || fx->unchecked_teardown))
            tcase_add_unchecked_fixture (tc, fx->unchecked_setup, fx->unchecked_teardown);
        if (fx && (fx->setup || fx->teardown))
            tcase_add_checked_fixture (tc, fx->setup, fx->teardown);
        tcase_add_test (tc, cases[i].test);
        suite_add_tcase (s, tc);
    }
}

static inline int fx_check_main (Suite *s)
{
    SRunner *sr = srunner_create (s);
    int failed;

    srunner_set_fork_status (sr, CK_FORK);
    srunner_run_all (sr, CK_ENV);
    failed = srunner_ntests_failed (sr);
    srunner_free (sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
