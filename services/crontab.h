/* crontab.h - crontab schedules: five fields (minute hour day-of-month month day-of-week)
 * with `*`, lists, ranges, steps and names, the @hourly-style shortcuts, and the next time a
 * schedule matches, in local time (doc/cron.md).
 *
 * As cron does: when both day fields are restricted (neither begins with `*`), a day matches
 * when either matches; otherwise both must.  Day of week 0 and 7 are Sunday.
 */
#ifndef FX_CRONTAB_H
#define FX_CRONTAB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "services/error.h"

#define FX_CRONTAB_SCHED_MAX 128 /* bytes of a schedule's text, NUL included */

struct fx_cronsched {
    uint64_t minute; /* bit i: minute i (0-59) */
    uint32_t hour;   /* bit i: hour i (0-23) */
    uint32_t mday;   /* bit i: day i of the month (1-31) */
    uint16_t month;  /* bit i: month i (1-12) */
    uint8_t wday;    /* bit i: day i of the week (0-6, Sunday 0) */
    int mday_star;   /* the day-of-month field begins with '*' */
    int wday_star;   /* the day-of-week field begins with '*' */
};

/* Parse one crontab line (NUL-terminated, no newline).  Returns 0 for a blank line or a
 * comment (first non-blank character '#'); 1 for an entry: *s set, schedule holds the
 * schedule's fields joined by single spaces, *cmd and *cmdlen the command (the rest of the
 * line, blanks trimmed at both ends; '%' is not special).  -1 with errno EINVAL and a
 * message (which field, what is wrong) otherwise. */
int fx_crontab_parse_line (const char *line, struct fx_cronsched *s,
                           char schedule[FX_CRONTAB_SCHED_MAX], const char **cmd, size_t *cmdlen,
                           struct fx_error *err);

/* Parse a schedule alone: five fields or a shortcut, nothing after.  0, or -1 as above. */
int fx_cronsched_parse (const char *text, struct fx_cronsched *s, struct fx_error *err);

/* 1 when the local time tm (its minute, hour, mday, mon, wday) matches s, else 0. */
int fx_cronsched_match (const struct fx_cronsched *s, const struct tm *tm);

/* The first minute that matches s after the minute holding `after` (local time, seconds
 * 0).  Minutes that do not exist locally (a daylight saving jump) are skipped.  -1 with
 * errno ENOENT when nothing matches within 30 years. */
time_t fx_cronsched_next (const struct fx_cronsched *s, time_t after);

#endif
