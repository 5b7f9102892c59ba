/* check_fsd.c - unit tests for services/fsd.c (RFC 23 Flux Standard Duration). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/fsd.h"
#include "test/unit/check.h"

static void check_parse (const char *s, double expected)
{
    struct fx_error err = {{0}};
    double v = -1;

    ck_assert_msg (fx_fsd_parse (s, &v, &err) == 0, "%s: %s", s, err.text);
    ck_assert_msg (v == expected, "%s parsed as %.17g, expected %.17g", s, v, expected);
}

static void check_error (const char *s, const char *text)
{
    struct fx_error err = {{0}};
    double v = 42;

    errno = 0;
    ck_assert_msg (fx_fsd_parse (s, &v, &err) < 0, "'%s' parsed", s);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, text);
    ck_assert (v == 42);
}

static void check_format (double seconds, const char *expected)
{
    char buf[FX_FSD_STRLEN];
    double back;

    ck_assert_int_eq (fx_fsd_format (buf, sizeof (buf), seconds), 0);
    ck_assert_str_eq (buf, expected);
    ck_assert_int_eq (fx_fsd_parse (buf, &back, NULL), 0);
    ck_assert (back == seconds);
}

START_TEST (test_parse_units)
{
    check_parse ("0", 0);
    check_parse ("30", 30);
    check_parse ("30s", 30);
    check_parse ("5m", 300);
    check_parse ("1.5h", 5400);
    check_parse ("2d", 172800);
    check_parse ("100ms", 0.1);
    check_parse ("1ms", 0.001);
    check_parse ("0ms", 0);
    check_parse ("0.5d", 43200);
}
END_TEST

START_TEST (test_parse_numbers)
{
    check_parse (".5s", 0.5);
    check_parse ("5.", 5);
    check_parse ("5.m", 300);
    check_parse ("00030s", 30);
    check_parse ("1e3", 1000);
    check_parse ("1E-3s", 0.001);
    check_parse ("1e+2m", 6000);
    check_parse ("2.5e1ms", 0.025);
    check_parse ("1e-400", 0);
    check_parse ("1e308", 1e308);
}
END_TEST

START_TEST (test_parse_inf)
{
    check_parse ("inf", INFINITY);
    check_parse ("infinity", INFINITY);
    check_parse ("INF", INFINITY);
    check_parse ("Infinity", INFINITY);
}
END_TEST

START_TEST (test_parse_errors)
{
    check_error ("", "duration is empty");
    check_error ("-1", "-1: duration is negative");
    check_error ("-0", "-0: duration is negative");
    check_error ("-inf", "-inf: duration is negative");
    check_error ("+1", "+1: duration does not start with a number");
    check_error (" 1", " 1: duration does not start with a number");
    check_error ("abc", "abc: duration does not start with a number");
    check_error ("nan", "nan: duration does not start with a number");
    check_error ("NaN", "NaN: duration does not start with a number");
    check_error ("s", "s: duration does not start with a number");
    check_error (".", ".: duration does not start with a number");
    check_error (".s", ".s: duration does not start with a number");
    check_error ("e5", "e5: duration does not start with a number");
    check_error ("infs", "infs: duration does not start with a number");
    check_error ("1 ", "1 : unknown unit (use ms, s, m, h or d)");
    check_error ("1 s", "1 s: unknown unit (use ms, s, m, h or d)");
    check_error ("1s ", "1s : unknown unit (use ms, s, m, h or d)");
    check_error ("1x", "1x: unknown unit (use ms, s, m, h or d)");
    check_error ("1ss", "1ss: unknown unit (use ms, s, m, h or d)");
    check_error ("1S", "1S: unknown unit (use ms, s, m, h or d)");
    check_error ("1e", "1e: unknown unit (use ms, s, m, h or d)");
    check_error ("1e+", "1e+: unknown unit (use ms, s, m, h or d)");
    check_error ("1e5x", "1e5x: unknown unit (use ms, s, m, h or d)");
    check_error ("0x10", "0x10: unknown unit (use ms, s, m, h or d)");
    check_error ("1.2.3", "1.2.3: unknown unit (use ms, s, m, h or d)");
    check_error ("1,5s", "1,5s: unknown unit (use ms, s, m, h or d)");
    check_error ("1\n", "1?: unknown unit (use ms, s, m, h or d)");
    check_error ("1e400", "1e400: duration is too large");
    check_error ("1e306d", "1e306d: duration is too large");
}
END_TEST

START_TEST (test_parse_null)
{
    struct fx_error err;
    double v;
    char s[100];

    errno = 0;
    ck_assert_int_eq (fx_fsd_parse (NULL, &v, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "duration is NULL");
    ck_assert_int_eq (fx_fsd_parse ("1", NULL, &err), -1);
    ck_assert_int_eq (fx_fsd_parse ("x", &v, NULL), -1);
    memset (s, '1', 80);
    strcpy (s + 80, "q");
    ck_assert_int_eq (fx_fsd_parse (s, &v, &err), -1);
    ck_assert_uint_eq (strlen (err.text), 67 + strlen (": unknown unit (use ms, s, m, h or d)"));
}
END_TEST

START_TEST (test_format)
{
    check_format (0, "0s");
    check_format (-0.0, "0s");
    check_format (1, "1s");
    check_format (30, "30s");
    check_format (59.5, "59.5s");
    check_format (60, "1m");
    check_format (90, "1.5m");
    check_format (100, "100s");
    check_format (300, "5m");
    check_format (3600, "1h");
    check_format (5400, "1.5h");
    check_format (86400, "1d");
    check_format (172800, "2d");
    check_format (0.1, "100ms");
    check_format (0.001, "1ms");
    check_format (0.0005, "0.5ms");
    check_format (0.5, "500ms");
    check_format (1234.5678, "20.57613m");
    check_format (1234.567, "1234.567s");
    check_format (1.0 / 3, "0.3333333333333333s");
    check_format (1e300, "1e+300s");
    check_format (INFINITY, "inf");
}
END_TEST

START_TEST (test_format_errors)
{
    char buf[FX_FSD_STRLEN];

    errno = 0;
    ck_assert_int_eq (fx_fsd_format (buf, sizeof (buf), -1), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_fsd_format (buf, sizeof (buf), NAN), -1);
    ck_assert_int_eq (fx_fsd_format (buf, sizeof (buf), -INFINITY), -1);
    ck_assert_int_eq (fx_fsd_format (NULL, 10, 1), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_fsd_format (buf, 4, 1.5), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_fsd_format (buf, 5, 1.5), 0);
    ck_assert_str_eq (buf, "1.5s");
    ck_assert_int_eq (fx_fsd_format (buf, 3, INFINITY), -1);
    ck_assert_int_eq (fx_fsd_format (buf, 0, 0), -1);
}
END_TEST

static double random_double (void)
{
    uint64_t bits = 0;
    double d;

    for (int i = 0; i < 4; i++)
        bits = bits << 16 | (rand () & 0xffff);
    bits &= ~(UINT64_C (1) << 63); /* non-negative */
    memcpy (&d, &bits, sizeof (d));
    return d;
}

START_TEST (test_round_trip)
{
    /* Any finite non-negative double, and "human" values, format and parse back exactly. */
    srand (23);
    for (int i = 0; i < 20000; i++) {
        double d = i % 2 ? random_double () : (rand () % 100000) / pow (10, rand () % 5);
        char buf[FX_FSD_STRLEN];
        double back;
        if (isnan (d) || isinf (d))
            continue;
        if (fx_fsd_format (buf, sizeof (buf), d) < 0 || fx_fsd_parse (buf, &back, NULL) < 0 ||
            back != d)
            ck_abort_msg ("%.17g did not round trip (%s)", d, buf);
    }
}
END_TEST

START_TEST (test_subnormal)
{
    check_format (5e-324, "5e-324s");
    check_format (2.2250738585072014e-308, "2.2250738585072014e-308s");
}
END_TEST

static Suite *fsd_suite (void)
{
    Suite *s = suite_create ("fsd");
    const struct fx_check_case cases[] = {
        {"parse_units", test_parse_units},     {"parse_numbers", test_parse_numbers},
        {"parse_inf", test_parse_inf},         {"parse_errors", test_parse_errors},
        {"parse_null", test_parse_null},       {"format", test_format},
        {"format_errors", test_format_errors}, {"round_trip", test_round_trip},
        {"subnormal", test_subnormal},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (fsd_suite ());
}
