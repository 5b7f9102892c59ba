/* jobstate.c - job states and results by name (jobstate.h): two tables and the lookups
 * over them.  Nothing here fails but a name that is not in the tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/jobstate.h"

struct name {
    int bit;
    const char *name;
    const char *abbrev;
};

static const struct name states[] = {
    {FX_JOB_NEW, "NEW", "N"},           {FX_JOB_DEPEND, "DEPEND", "D"},
    {FX_JOB_PRIORITY, "PRIORITY", "P"}, {FX_JOB_SCHED, "SCHED", "S"},
    {FX_JOB_RUN, "RUN", "R"},           {FX_JOB_CLEANUP, "CLEANUP", "C"},
    {FX_JOB_INACTIVE, "INACTIVE", "I"}, {0, NULL, NULL},
};

static const struct name results[] = {
    {FX_JOB_COMPLETED, "COMPLETED", "CD"},
    {FX_JOB_FAILED, "FAILED", "F"},
    {FX_JOB_CANCELED, "CANCELED", "CA"},
    {FX_JOB_TIMEOUT, "TIMEOUT", "TO"},
    {0, NULL, NULL},
};

/* Groups of states a list may name. */
static const struct name groups[] = {
    {FX_JOB_PENDING, "pending", NULL}, {FX_JOB_RUNNING, "running", NULL},
    {FX_JOB_ACTIVE, "active", NULL},   {FX_JOB_INACTIVE, "inactive", NULL},
    {FX_JOB_ALL, "all", NULL},         {0, NULL, NULL},
};

static const char *bitstr (const struct name *t, int bit, int abbrev)
{
    for (; t->name; t++) {
        if (t->bit == bit)
            return abbrev ? t->abbrev : t->name;
    }
    return NULL;
}

static int strtobit (const struct name *t, const char *s)
{
    for (; t->name; t++) {
        if (!strcasecmp (s, t->name) || (t->abbrev && !strcasecmp (s, t->abbrev)))
            return t->bit;
    }
    return 0;
}

const char *fx_job_statestr (int state, int abbrev)
{
    return bitstr (states, state, abbrev);
}

const char *fx_job_resultstr (int result, int abbrev)
{
    return bitstr (results, result, abbrev);
}

int fx_job_strtostate (const char *s)
{
    return strtobit (states, s);
}

int fx_job_strtoresult (const char *s)
{
    return strtobit (results, s);
}

int fx_job_parse_states (const char *list, int *statesp, int *resultsp, struct fx_error *err)
{
    char *copy = strdup (list), *save = NULL, *tok;
    int s = 0, r = 0, bit, inactive = 0;

    if (!copy)
        return errprintf (err, "out of memory");
    for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
        if ((bit = strtobit (groups, tok)) || (bit = strtobit (states, tok))) {
            s |= bit;
            inactive |= bit & FX_JOB_INACTIVE;
        } else if ((bit = strtobit (results, tok))) {
            r |= bit;
        } else {
            errprintf (err, "unknown state '%s'", tok);
            free (copy);
            errno = EINVAL;
            return -1;
        }
    }
    free (copy);
    if (s == 0 && r == 0) {
        errno = EINVAL;
        return errprintf (err, "no states in '%s'", list);
    }
    *statesp = s;
    *resultsp = inactive ? 0 : r; /* "inactive" already asks for every result */
    return 0;
}
