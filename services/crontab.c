/* crontab.c - crontab schedules: parsing the five fields into bit sets, matching a local
 * time, and finding the next matching minute.
 *
 * Pure functions over strings and struct tm; nothing here allocates.  Every malformed
 * field is an error that names the field and the text at fault (a caller such as execd's
 * cron service prefixes FILE:LINE).  The next-run search walks forward by month, day, hour
 * and minute (skipping whole months or days that cannot match), normalizing through
 * mktime(), so daylight saving changes are handled by the C library's rules; a schedule of
 * every hour steps by real minutes, so that it runs through a repeated hour as usual.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/crontab.h"

#define NEXT_MAX_STEPS 200000 /* bound of the search; far beyond any schedule's need */
#define NEXT_MAX_YEARS 30

struct field {
    const char *name;
    int min, max;
    const char *const *names; /* names[i] is value min + i, or NULL */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* Day of week allows 7 (Sunday again), folded into 0 after parsing. */
static const struct field fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, day_names},
};

static const struct {
    const char *name;
    const char *fields;
} shortcuts[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* A number or a name at *p; advances *p.  -1 when there is neither. */
static int value_parse (const struct field *f, const char **p, int *v)
{
    const char *s = *p;
    char *end;
    long n;

    if (isdigit ((unsigned char) *s)) {
        errno = 0;
        n = strtol (s, &end, 10);
        if (errno || end - s > 4)
            return -1;
        *v = (int) n;
        *p = end;
        return 0;
    }
    for (int i = 0; f->names && f->names[i]; i++) {
        if (strncasecmp (s, f->names[i], 3) == 0 && !isalpha ((unsigned char) s[3])) {
            *v = f->min + i;
            *p = s + 3;
            return 0;
        }
    }
    return -1;
}

/* One item of a list: "*", "N", "N-M", each with an optional "/STEP", into *bits. */
static int item_parse (const struct field *f, const char *item, uint64_t *bits,
                       struct fx_error *err)
{
    const char *p = item;
    int lo = f->min, hi = f->max, step = 1;

    if (*p == '*')
        p++;
    else {
        if (value_parse (f, &p, &lo) < 0)
            return errprintf (err, "%s: '%s': not a number or name", f->name, item);
        hi = lo;
        if (*p == '-') {
            p++;
            if (value_parse (f, &p, &hi) < 0)
                return errprintf (err, "%s: '%s': bad range", f->name, item);
        } else if (*p == '/')
            hi = f->max; /* "N/S": from N to the end, as cronie reads it */
    }
    if (*p == '/') {
        char *end;
        long n = strtol (++p, &end, 10);
        if (!isdigit ((unsigned char) *p) || n < 1 || n > f->max)
            return errprintf (err, "%s: '%s': bad step", f->name, item);
        step = (int) n;
        p = end;
    }
    if (*p)
        return errprintf (err, "%s: '%s': unexpected '%c'", f->name, item, *p);
    if (lo < f->min || hi > f->max || lo > hi)
        return errprintf (err, "%s: '%s': out of range %d-%d", f->name, item, f->min, f->max);
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ull << v;
    return 0;
}

/* A comma list of items (the field's text, len bytes) into *bits. */
static int field_parse (const struct field *f, const char *text, size_t len, uint64_t *bits,
                        struct fx_error *err)
{
    char buf[FX_CRONTAB_SCHED_MAX], *item, *save = NULL;

    if (len >= sizeof (buf))
        return errprintf (err, "%s: too long", f->name);
    memcpy (buf, text, len);
    buf[len] = '\0';
    *bits = 0;
    if (buf[0] == ',' || buf[len - 1] == ',' || strstr (buf, ",,"))
        return errprintf (err, "%s: '%s': empty list item", f->name, buf);
    for (item = strtok_r (buf, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        if (item_parse (f, item, bits, err) < 0)
            return -1;
    }
    return 0;
}

static int days_in_month (int month)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1];
}

/* When the days must match both fields, some month in the set must have such a day. */
static int sched_check (const struct fx_cronsched *s, struct fx_error *err)
{
    if (!s->mday_star && !s->wday_star)
        return 0; /* either day field: a weekday always comes */
    for (int m = 1; m <= 12; m++) {
        for (int d = 1; d <= days_in_month (m); d++) {
            if ((s->month & (1u << m)) && (s->mday & (1u << d)))
                return 0;
        }
    }
    return errprintf (err, "day-of-month: no such day in the months given");
}

/* Split text into its five fields; *rest is what follows the fifth. */
static int fields_split (const char *text, const char *start[5], size_t len[5], const char **rest,
                         struct fx_error *err)
{
    const char *p = text;

    for (int i = 0; i < 5; i++) {
        while (isspace ((unsigned char) *p))
            p++;
        if (!*p)
            return errprintf (err,
                              "expected 5 fields (minute hour day-of-month month "
                              "day-of-week), found %d",
                              i);
        start[i] = p;
        while (*p && !isspace ((unsigned char) *p))
            p++;
        len[i] = (size_t) (p - start[i]);
    }
    *rest = p;
    return 0;
}

static int sched_from_fields (const char *text, struct fx_cronsched *s, const char **rest,
                              struct fx_error *err)
{
    const char *start[5];
    size_t len[5];
    uint64_t bits[5];

    if (fields_split (text, start, len, rest, err) < 0)
        return -1;
    for (int i = 0; i < 5; i++) {
        if (field_parse (&fields[i], start[i], len[i], &bits[i], err) < 0)
            return -1;
    }
    memset (s, 0, sizeof (*s));
    s->minute = bits[0];
    s->hour = (uint32_t) bits[1];
    s->mday = (uint32_t) bits[2];
    s->month = (uint16_t) bits[3];
    s->wday = (uint8_t) ((bits[4] | (bits[4] >> 7)) & 0x7f);
    s->mday_star = start[2][0] == '*';
    s->wday_star = start[4][0] == '*';
    return sched_check (s, err);
}

/* The schedule at the start of text (fields or a shortcut) into s and its normalized text
 * into sched; *rest points after it. */
static int sched_parse (const char *text, struct fx_cronsched *s, char *sched, const char **rest,
                        struct fx_error *err)
{
    const char *p = text, *q;
    size_t n;

    while (isspace ((unsigned char) *p))
        p++;
    if (*p == '@') {
        for (n = 0; p[n] && !isspace ((unsigned char) p[n]); n++)
            ;
        for (size_t i = 0; i < sizeof (shortcuts) / sizeof (shortcuts[0]); i++) {
            if (strlen (shortcuts[i].name) == n && strncasecmp (p, shortcuts[i].name, n) == 0) {
                *rest = p + n;
                snprintf (sched, FX_CRONTAB_SCHED_MAX, "%s", shortcuts[i].name);
                return sched_from_fields (shortcuts[i].fields, s, &q, err);
            }
        }
        return errprintf (err, "unknown shortcut '%.*s'", (int) (n > 32 ? 32 : n), p);
    }
    if (sched_from_fields (p, s, rest, err) < 0)
        return -1;
    for (n = 0, q = p; q < *rest && n < FX_CRONTAB_SCHED_MAX - 1; q++) {
        if (!isspace ((unsigned char) *q))
            sched[n++] = *q;
        else if (n > 0 && sched[n - 1] != ' ')
            sched[n++] = ' ';
    }
    if (q < *rest)
        return errprintf (err, "schedule too long");
    sched[n] = '\0';
    return 0;
}

int fx_crontab_parse_line (const char *line, struct fx_cronsched *s,
                           char schedule[FX_CRONTAB_SCHED_MAX], const char **cmd, size_t *cmdlen,
                           struct fx_error *err)
{
    const char *p = line, *rest, *end;

    while (isspace ((unsigned char) *p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    if (sched_parse (p, s, schedule, &rest, err) < 0) {
        errno = EINVAL;
        return -1;
    }
    while (isspace ((unsigned char) *rest))
        rest++;
    end = rest + strlen (rest);
    while (end > rest && isspace ((unsigned char) end[-1]))
        end--;
    if (end == rest) {
        errno = EINVAL;
        return errprintf (err, "no command after the schedule");
    }
    *cmd = rest;
    *cmdlen = (size_t) (end - rest);
    return 1;
}

int fx_cronsched_parse (const char *text, struct fx_cronsched *s, struct fx_error *err)
{
    char sched[FX_CRONTAB_SCHED_MAX];
    const char *rest;

    if (sched_parse (text, s, sched, &rest, err) < 0) {
        errno = EINVAL;
        return -1;
    }
    while (isspace ((unsigned char) *rest))
        rest++;
    if (*rest) {
        errno = EINVAL;
        return errprintf (err, "unexpected text after the schedule");
    }
    return 0;
}

static int day_matches (const struct fx_cronsched *s, const struct tm *tm)
{
    int md = (s->mday >> tm->tm_mday) & 1, wd = (s->wday >> tm->tm_wday) & 1;

    if (s->mday_star || s->wday_star)
        return md && wd;
    return md || wd;
}

int fx_cronsched_match (const struct fx_cronsched *s, const struct tm *tm)
{
    return ((s->month >> (tm->tm_mon + 1)) & 1) && day_matches (s, tm)
           && ((s->hour >> tm->tm_hour) & 1) && ((s->minute >> tm->tm_min) & 1);
}

/* Move tm to the next candidate: the next month, day, hour or minute, whichever field
 * does not match first. */
static void advance (const struct fx_cronsched *s, struct tm *tm)
{
    if (!((s->month >> (tm->tm_mon + 1)) & 1)) {
        tm->tm_mon++;
        tm->tm_mday = 1;
        tm->tm_hour = tm->tm_min = 0;
    } else if (!day_matches (s, tm)) {
        tm->tm_mday++;
        tm->tm_hour = tm->tm_min = 0;
    } else if (!((s->hour >> tm->tm_hour) & 1)) {
        tm->tm_hour++;
        tm->tm_min = 0;
    } else
        tm->tm_min++;
    tm->tm_sec = 0;
    tm->tm_isdst = -1;
}

/* With every hour, the hour never decides: within a matching day the next candidate is the
 * next real minute (through a repeated hour too, as the minute field asks).  Given hours run
 * once per local time: a repeated hour is skipped. */
static int real_minutes (const struct fx_cronsched *s, const struct tm *tm)
{
    return s->hour == 0xffffffu && ((s->month >> (tm->tm_mon + 1)) & 1) && day_matches (s, tm);
}

time_t fx_cronsched_next (const struct fx_cronsched *s, time_t after)
{
    time_t t = after - (after % 60 + 60) % 60 + 60, limit = after + NEXT_MAX_YEARS * 366 * 86400l;
    time_t next;
    struct tm tm;

    if (!localtime_r (&t, &tm))
        goto none;
    for (int i = 0; i < NEXT_MAX_STEPS && t <= limit; i++) {
        if (fx_cronsched_match (s, &tm))
            return t;
        if (real_minutes (s, &tm)) {
            next = t + 60;
            if (!localtime_r (&next, &tm))
                goto none;
            t = next;
            continue;
        }
        advance (s, &tm);
        next = mktime (&tm);
        if (next == (time_t) -1)
            goto none;
        if (next <= t) { /* an hour that repeats: go on from the next real minute */
            next = t + 60;
            if (!localtime_r (&next, &tm))
                goto none;
        }
        t = next;
    }
none:
    errno = ENOENT;
    return (time_t) -1;
}
