/* check_log.c - log level names, timestamps and the stderr line format. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "services/error.h"
#include "services/log.h"
#include "test/unit/check.h"

START_TEST (level_names_round_trip)
{
    for (int i = LOG_EMERG; i <= LOG_DEBUG; i++)
        ck_assert_int_eq (fx_log_level_parse (fx_log_level_name (i)), i);
    ck_assert_str_eq (fx_log_level_name (LOG_ERR), "err");
    ck_assert_str_eq (fx_log_level_name (99), "unknown");
    ck_assert_int_eq (fx_log_level_parse ("7"), LOG_DEBUG);
    ck_assert_int_eq (fx_log_level_parse ("8"), -1);
    ck_assert_int_eq (fx_log_level_parse (""), -1);
    ck_assert_int_eq (fx_log_level_parse ("warn"), -1);
}
END_TEST

START_TEST (timestamp_iso8601_utc_microseconds)
{
    char buf[64];

    fx_log_timestamp (buf, sizeof (buf), 1600112318.047025);
    ck_assert_str_eq (buf, "2020-09-14T19:38:38.047025Z");
    fx_log_timestamp (buf, sizeof (buf), 0);
    ck_assert_str_eq (buf, "1970-01-01T00:00:00.000000Z");
}
END_TEST

START_TEST (stderr_line_format)
{
    int fds[2], saved;
    char buf[256] = "";
    ssize_t n;

    ck_assert_int_eq (pipe (fds), 0);
    saved = dup (STDERR_FILENO);
    dup2 (fds[1], STDERR_FILENO);
    fx_log_stderr ("kvsd", LOG_ERR, 3, "database unavailable");
    dup2 (saved, STDERR_FILENO);
    close (fds[1]);
    n = read (fds[0], buf, sizeof (buf) - 1);
    ck_assert_int_gt (n, 0);
    ck_assert_str_eq (buf, "kvsd.err[3]: database unavailable\n");
}
END_TEST

START_TEST (errprintf_returns_minus_one_keeps_errno)
{
    struct fx_error err;

    errno = ENOENT;
    ck_assert_int_eq (errprintf (&err, "%s: %d", "x", 5), -1);
    ck_assert_int_eq (errno, ENOENT);
    ck_assert_str_eq (err.text, "x: 5");
    ck_assert_int_eq (errprintf (NULL, "ignored"), -1);
    fx_error_clear (&err);
    ck_assert_str_eq (err.text, "");
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("log");
    const struct fx_check_case cases[] = {
        {"level_names_round_trip", level_names_round_trip},
        {"timestamp_iso8601_utc_microseconds", timestamp_iso8601_utc_microseconds},
        {"stderr_line_format", stderr_line_format},
        {"errprintf_returns_minus_one_keeps_errno", errprintf_returns_minus_one_keeps_errno},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
