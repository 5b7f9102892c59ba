/* log.c - level names, timestamps and the stderr line format (see log.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "services/log.h"

static const char *const level_names[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
#define NLEVELS ((int) (sizeof (level_names) / sizeof (level_names[0])))

const char *fx_log_level_name (int level)
{
    return level >= 0 && level < NLEVELS ? level_names[level] : "unknown";
}

int fx_log_level_parse (const char *s)
{
    char *end;
    long n;

    for (int i = 0; i < NLEVELS; i++) {
        if (strcmp (s, level_names[i]) == 0)
            return i;
    }
    n = strtol (s, &end, 10);
    if (*s && *end == '\0' && n >= 0 && n < NLEVELS)
        return (int) n;
    return -1;
}

void fx_log_stderr (const char *name, int level, uint32_t rank, const char *message)
{
    char line[4096];
    int n;

    n = snprintf (line, sizeof (line), "%s.%s[%u]: %s\n", name, fx_log_level_name (level), rank,
                  message);
    if (n >= (int) sizeof (line)) {
        n = sizeof (line) - 1;
        line[n - 1] = '\n';
    }
    if (write (STDERR_FILENO, line, n) < 0)
        return; /* nowhere left to report it */
}

void fx_log_timestamp (char *buf, size_t len, double t)
{
    time_t sec = (time_t) t;
    long usec = lround ((t - (double) sec) * 1e6);
    struct tm tm;
    char base[32];

    /* Rounding (not truncating) keeps 38.047025 from printing as 38.047024. */
    if (usec >= 1000000) {
        sec++;
        usec -= 1000000;
    }
    if (usec < 0)
        usec = 0;
    gmtime_r (&sec, &tm);
    strftime (base, sizeof (base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, len, "%s.%06ldZ", base, usec);
}

double fx_log_now (void)
{
    struct timeval tv;

    gettimeofday (&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}
