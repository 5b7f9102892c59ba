/* check_crontab.c - unit tests for services/crontab.c: the five fields, names, steps,
 * shortcuts, errors, crontab lines, and the next matching minute (day rules, month ends,
 * leap years, daylight saving changes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/crontab.h"
#include "test/unit/check.h"

static void use_tz (const char *tz)
{
    setenv ("TZ", tz, 1);
    tzset ();
}

/* "2024-03-10 02:30" in the current time zone (isdst guessed by mktime). */
static time_t at (const char *s)
{
    struct tm tm = {0};

    ck_assert_msg (
        sscanf (s, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min)
            == 5,
        "bad time %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    return mktime (&tm);
}

static struct fx_cronsched sched (const char *text)
{
    struct fx_error err = {""};
    struct fx_cronsched s;

    ck_assert_msg (fx_cronsched_parse (text, &s, &err) == 0, "%s: %s", text, err.text);
    return s;
}

static void check_next (const char *text, const char *after, const char *expected)
{
    struct fx_cronsched s = sched (text);
    time_t t = fx_cronsched_next (&s, at (after)), want = at (expected);
    char got[64] = "none";
    struct tm tm;

    if (t != (time_t) -1 && localtime_r (&t, &tm))
        strftime (got, sizeof (got), "%Y-%m-%d %H:%M %Z", &tm);
    ck_assert_msg (t == want, "'%s' after %s: got %s, expected %s", text, after, got, expected);
}

static void check_error (const char *text, const char *msg)
{
    struct fx_error err = {""};
    struct fx_cronsched s;

    errno = 0;
    ck_assert_msg (fx_cronsched_parse (text, &s, &err) < 0, "'%s' parsed", text);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_msg (strstr (err.text, msg), "'%s': error '%s' lacks '%s'", text, err.text, msg);
}

START_TEST (test_fields)
{
    struct fx_cronsched s = sched ("*/15 0-6/2 1,15 jan-MAR Mon-fri");

    ck_assert (s.minute == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
    ck_assert_uint_eq (s.hour, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6));
    ck_assert_uint_eq (s.mday, (1u << 1) | (1u << 15));
    ck_assert_uint_eq (s.month, (1u << 1) | (1u << 2) | (1u << 3));
    ck_assert_uint_eq (s.wday, 0x3e);
    ck_assert (!s.mday_star && !s.wday_star);
    s = sched ("* * * * *");
    ck_assert (s.minute == (1ull << 60) - 1);
    ck_assert_uint_eq (s.hour, (1u << 24) - 1);
    ck_assert_uint_eq (s.mday, 0xfffffffeu);
    ck_assert_uint_eq (s.month, 0x1ffe);
    ck_assert_uint_eq (s.wday, 0x7f);
    ck_assert (s.mday_star && s.wday_star);
}
END_TEST

START_TEST (test_steps_and_sunday)
{
    ck_assert (sched ("1-10/3 * * * *").minute
               == ((1ull << 1) | (1ull << 4) | (1ull << 7) | (1ull << 10)));
    ck_assert (sched ("50/5 * * * *").minute == ((1ull << 50) | (1ull << 55)));
    ck_assert_uint_eq (sched ("0 0 * * 7").wday, 1);
    ck_assert_uint_eq (sched ("0 0 * * 0").wday, 1);
    ck_assert_uint_eq (sched ("0 0 * * 5-7").wday, (1u << 5) | (1u << 6) | 1u);
    ck_assert_uint_eq (sched ("0 0 * * sun,SAT").wday, (1u << 6) | 1u);
    ck_assert (sched ("0 0 */2 * 1").mday_star);
    ck_assert (sched ("0 0 1 * */2").wday_star);
}
END_TEST

START_TEST (test_shortcuts)
{
    struct fx_cronsched a = sched ("@hourly"), b = sched ("0 * * * *");

    ck_assert (memcmp (&a, &b, sizeof (a)) == 0);
    a = sched ("@DAILY");
    b = sched ("0 0 * * *");
    ck_assert (memcmp (&a, &b, sizeof (a)) == 0);
    a = sched ("@weekly");
    ck_assert_uint_eq (a.wday, 1);
    a = sched ("@yearly");
    ck_assert_uint_eq (a.month, 2);
    check_error ("@reboot", "unknown shortcut");
}
END_TEST

START_TEST (test_errors)
{
    check_error ("", "expected 5 fields");
    check_error ("* * * *", "found 4");
    check_error ("60 * * * *", "minute: '60': out of range 0-59");
    check_error ("* 24 * * *", "hour");
    check_error ("* * 0 * *", "day-of-month: '0': out of range 1-31");
    check_error ("* * * 13 *", "month");
    check_error ("* * * * 8", "day-of-week");
    check_error ("*/0 * * * *", "bad step");
    check_error ("*/x * * * *", "bad step");
    check_error ("5-1 * * * *", "out of range");
    check_error ("1- * * * *", "bad range");
    check_error ("1,,2 * * * *", "empty list item");
    check_error ("1, * * * *", "empty list item");
    check_error ("* * * foo *", "month: 'foo': not a number or name");
    check_error ("* * * janu *", "month: 'janu': not a number or name");
    check_error ("* * * * fri-sun", "out of range");
    check_error ("x * * * *", "minute");
    check_error ("0 0 30 feb *", "no such day");
    check_error ("0 0 31 4,6 *", "no such day");
    check_error ("* * * * * extra", "unexpected text");
    check_error ("99999999999 * * * *", "minute");
}
END_TEST

START_TEST (test_line)
{
    struct fx_error err = {""};
    char schedule[FX_CRONTAB_SCHED_MAX];
    struct fx_cronsched s;
    const char *cmd;
    size_t len;

    ck_assert_int_eq (fx_crontab_parse_line ("", &s, schedule, &cmd, &len, &err), 0);
    ck_assert_int_eq (fx_crontab_parse_line ("   \t ", &s, schedule, &cmd, &len, &err), 0);
    ck_assert_int_eq (fx_crontab_parse_line ("  # 1 2 3 4 5 x", &s, schedule, &cmd, &len, &err), 0);
    ck_assert_int_eq (
        fx_crontab_parse_line ("30\t*  * * *   bash -c \"a; b\"  ", &s, schedule, &cmd, &len, &err),
        1);
    ck_assert_str_eq (schedule, "30 * * * *");
    ck_assert_int_eq ((int) len, 14);
    ck_assert (strncmp (cmd, "bash -c \"a; b\"", len) == 0);
    ck_assert_int_eq (fx_crontab_parse_line ("@daily flux x", &s, schedule, &cmd, &len, &err), 1);
    ck_assert_str_eq (schedule, "@daily");
    ck_assert (strncmp (cmd, "flux x", len) == 0 && len == 6);
    ck_assert_int_eq (fx_crontab_parse_line ("* * * * *  ", &s, schedule, &cmd, &len, &err), -1);
    ck_assert_str_eq (err.text, "no command after the schedule");
    ck_assert_int_eq (fx_crontab_parse_line ("61 * * * * x", &s, schedule, &cmd, &len, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

START_TEST (test_next_basic)
{
    use_tz ("UTC0");
    check_next ("* * * * *", "2024-05-01 12:00", "2024-05-01 12:01");
    check_next ("30 * * * *", "2024-05-01 12:30", "2024-05-01 13:30");
    check_next ("30 * * * *", "2024-05-01 12:29", "2024-05-01 12:30");
    check_next ("*/5 * * * *", "2024-05-01 23:58", "2024-05-02 00:00");
    check_next ("59 23 31 12 *", "2024-12-31 23:59", "2025-12-31 23:59");
    check_next ("0 0 31 * *", "2024-04-01 00:00", "2024-05-31 00:00");
    check_next ("0 12 * 2 *", "2024-03-01 00:00", "2025-02-01 12:00");
    check_next ("@monthly", "2024-01-31 10:00", "2024-02-01 00:00");
}
END_TEST

START_TEST (test_next_seconds)
{
    struct fx_cronsched s = sched ("* * * * *");
    time_t t;

    use_tz ("UTC0");
    t = at ("2024-05-01 12:00");
    ck_assert (fx_cronsched_next (&s, t + 59) == t + 60);
    ck_assert (fx_cronsched_next (&s, t + 60) == t + 120);
}
END_TEST

START_TEST (test_next_leap)
{
    use_tz ("UTC0");
    check_next ("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00");
    check_next ("0 0 29 feb *", "2027-06-01 00:00", "2028-02-29 00:00");
}
END_TEST

/* Both day fields restricted: either matches.  One of them starting with '*': both must. */
START_TEST (test_next_day_rules)
{
    use_tz ("UTC0");
    /* 2024-01-01 is a Monday; the first Friday is the 5th. */
    check_next ("0 0 13 * 5", "2024-01-01 00:00", "2024-01-05 00:00");
    check_next ("0 0 13 * 5", "2024-01-12 00:00", "2024-01-13 00:00");
    check_next ("0 0 1 * mon", "2024-01-01 00:00", "2024-01-08 00:00");
    /* 1, 11, 21, 31 and a Friday: the first is 2024-03-01. */
    check_next ("0 0 */10 * 5", "2024-01-01 00:00", "2024-03-01 00:00");
    /* any day of the month that is a Sunday (7 is Sunday too) */
    check_next ("0 0 * * 7", "2024-01-01 00:00", "2024-01-07 00:00");
    check_next ("0 0 1-31 * */7", "2024-01-02 00:00", "2024-01-07 00:00");
}
END_TEST

START_TEST (test_next_dst)
{
    use_tz ("America/New_York");
    if (at ("2024-07-01 00:00") - at ("2024-01-01 00:00") != 182 * 86400 - 3600)
        return; /* no time zone data here */
    /* 2024-03-10: 02:00 EST becomes 03:00 EDT, 02:30 does not exist that day. */
    check_next ("30 2 * * *", "2024-03-10 00:00", "2024-03-11 02:30");
    check_next ("*/30 * * * *", "2024-03-10 01:45", "2024-03-10 03:00");
    /* 2024-11-03: 01:00-02:00 happens twice; 01:30 runs once. */
    check_next ("30 1 * * *", "2024-11-03 00:00", "2024-11-03 01:30");
    {
        struct fx_cronsched s = sched ("30 1 * * *");
        time_t first = fx_cronsched_next (&s, at ("2024-11-03 00:00"));
        time_t second = fx_cronsched_next (&s, first);
        ck_assert_msg (second - first == 86400 + 3600, "second run %ld s later",
                       (long) (second - first));
    }
    /* with every hour, runs follow real time through the repeated hour: hourly at 01:00
     * EDT, 01:00 EST, 02:00 EST; every 20 minutes never waits more than 20 minutes */
    {
        struct fx_cronsched s = sched ("0 * * * *");
        time_t t = fx_cronsched_next (&s, at ("2024-11-03 00:30"));
        for (int i = 0; i < 3; i++) {
            time_t n = fx_cronsched_next (&s, t);
            ck_assert_msg (n - t == 3600, "hourly step %d: %ld s", i, (long) (n - t));
            t = n;
        }
        s = sched ("*/20 * * * *");
        t = at ("2024-11-03 00:40");
        for (int i = 0; i < 12; i++) {
            time_t n = fx_cronsched_next (&s, t);
            ck_assert_msg (n - t == 1200, "*/20 step %d: %ld s", i, (long) (n - t));
            t = n;
        }
        check_next ("30 * * * *", "2024-03-10 01:45", "2024-03-10 03:30");
    }
    /* every minute goes through the repeated hour without going back */
    {
        struct fx_cronsched s = sched ("* * * * *");
        time_t t = at ("2024-11-03 00:58");
        for (int i = 0; i < 200; i++) {
            time_t n = fx_cronsched_next (&s, t);
            ck_assert_msg (n == t + 60, "step %d: %ld", i, (long) (n - t));
            t = n;
        }
    }
}
END_TEST

static Suite *crontab_suite (void)
{
    Suite *s = suite_create ("crontab");
    const struct fx_check_case cases[] = {
        {"fields", test_fields},
        {"steps_and_sunday", test_steps_and_sunday},
        {"shortcuts", test_shortcuts},
        {"errors", test_errors},
        {"line", test_line},
        {"next_basic", test_next_basic},
        {"next_seconds", test_next_seconds},
        {"next_leap", test_next_leap},
        {"next_day_rules", test_next_day_rules},
        {"next_dst", test_next_dst},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (crontab_suite ());
}
