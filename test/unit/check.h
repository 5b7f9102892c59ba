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
