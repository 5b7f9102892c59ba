/* fuzz_crontab.c - parse arbitrary bytes as a crontab line.  An entry must have a
 * non-empty command inside the input, a schedule that parses again on its own to the same
 * sets, and a next run that matches it (in UTC, from a time taken from the input); an error
 * must have a one-line message.  Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/crontab.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_entry (const struct fx_cronsched *s, const char *schedule, time_t after)
{
    struct fx_cronsched again;
    struct tm tm;
    time_t t;

    if (fx_cronsched_parse (schedule, &again, NULL) < 0 || memcmp (s, &again, sizeof (*s)) != 0)
        abort ();
    if ((t = fx_cronsched_next (s, after)) == (time_t) -1)
        return; /* possible: a weekday-and-date rule that does not come within the bound */
    if (t <= after || t % 60 != 0 || !gmtime_r (&t, &tm) || !fx_cronsched_match (s, &tm))
        abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char schedule[FX_CRONTAB_SCHED_MAX];
    struct fx_error err = {""};
    struct fx_cronsched s;
    uint32_t when = 0;
    const char *cmd;
    size_t len;
    char *line;
    int rc;

    setenv ("TZ", "UTC0", 1);
    if (size >= 4) {
        memcpy (&when, data, 4);
        data += 4;
        size -= 4;
    }
    if (!(line = malloc (size + 1)))
        return 0;
    memcpy (line, data, size);
    line[size] = '\0';
    rc = fx_crontab_parse_line (line, &s, schedule, &cmd, &len, &err);
    if (rc == 1) {
        if (len == 0 || cmd < line || cmd + len > line + strlen (line))
            abort ();
        check_entry (&s, schedule, (time_t) when);
    } else if (rc < 0 && (err.text[0] == '\0' || strchr (err.text, '\n')))
        abort ();
    free (line);
    return 0;
}
