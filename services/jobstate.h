/* jobstate.h - job states and results (RFC 21) by name: the bits of doc/job.md, their
 * names and the abbreviations flux jobs prints, and the STATES lists commands accept.
 */
#ifndef FX_JOBSTATE_H
#define FX_JOBSTATE_H

#include "services/error.h"

enum {
    FX_JOB_NEW = 1,
    FX_JOB_DEPEND = 2,
    FX_JOB_PRIORITY = 4,
    FX_JOB_SCHED = 8,
    FX_JOB_RUN = 16,
    FX_JOB_CLEANUP = 32,
    FX_JOB_INACTIVE = 64,
};
#define FX_JOB_PENDING (FX_JOB_DEPEND | FX_JOB_PRIORITY | FX_JOB_SCHED)
#define FX_JOB_RUNNING (FX_JOB_RUN | FX_JOB_CLEANUP)
#define FX_JOB_ACTIVE  (FX_JOB_NEW | FX_JOB_PENDING | FX_JOB_RUNNING)
#define FX_JOB_ALL     (FX_JOB_ACTIVE | FX_JOB_INACTIVE)

enum {
    FX_JOB_COMPLETED = 1,
    FX_JOB_FAILED = 2,
    FX_JOB_CANCELED = 4,
    FX_JOB_TIMEOUT = 8,
};
#define FX_JOB_RESULTS_ALL 15

/* "SCHED" or "S" for a single state bit; "COMPLETED" or "CD" for a single result bit.
 * NULL for anything else. */
const char *fx_job_statestr (int state, int abbrev);
const char *fx_job_resultstr (int result, int abbrev);

/* The bit of a state or result name or abbreviation, in any case ("sched", "S", "CD",
 * "completed"); 0 when s names none. */
int fx_job_strtostate (const char *s);
int fx_job_strtoresult (const char *s);

/* A comma-separated list of states, results and the groups pending, running, active,
 * inactive and all, as bits, as job-list.list takes them: a job matches when its state is
 * in *states or it is inactive with a result in *results.  So "running,failed" gives
 * states RUNNING and results FAILED; "inactive" gives INACTIVE and no results (any).
 * Returns 0, or -1 with errno EINVAL and "unknown state 'x'" in err. */
int fx_job_parse_states (const char *list, int *states, int *results, struct fx_error *err);

#endif
