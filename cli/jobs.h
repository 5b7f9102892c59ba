/* jobs.h - the parts of `flux jobs` (cli/flux-jobs.c and cli/jobs-fields.c).
 *
 * flux-jobs.c    options, the request (job-list.list, or job-list.info per id), output
 * jobs-fields.c  the fields a format may name and their values for one JOB object
 */
#ifndef FX_CLI_JOBS_H
#define FX_CLI_JOBS_H

#include <jansson.h>

#include "services/format.h"

/* The fields, in the order of jobs_fields[]. */
enum jobs_field {
    JF_ID,
    JF_ID_F58,
    JF_ID_DEC,
    JF_ID_HEX,
    JF_ID_DOTHEX,
    JF_USERID,
    JF_USERNAME,
    JF_URGENCY,
    JF_PRIORITY,
    JF_STATE,
    JF_STATE_SINGLE,
    JF_STATUS,
    JF_STATUS_ABBREV,
    JF_NAME,
    JF_QUEUE,
    JF_NTASKS,
    JF_NNODES,
    JF_NCORES,
    JF_NGPUS,
    JF_NODELIST,
    JF_RANKS,
    JF_T_SUBMIT,
    JF_T_RUN,
    JF_T_CLEANUP,
    JF_T_INACTIVE,
    JF_T_SUBMIT_D,
    JF_T_RUN_D,
    JF_T_INACTIVE_D,
    JF_RUNTIME,
    JF_RUNTIME_F,
    JF_RUNTIME_H,
    JF_CONTEXT_TIME,
    JF_CONTEXT_TIME_F,
    JF_DURATION,
    JF_DURATION_F,
    JF_CONTEXT_INFO,
    JF_RESULT,
    JF_RESULT_ABBREV,
    JF_WAITSTATUS,
    JF_RETURNCODE,
    JF_EXC_OCCURRED,
    JF_EXC_TYPE,
    JF_EXC_SEVERITY,
    JF_EXC_NOTE,
    JF_INACTIVE_REASON,
    JF_DEPENDENCIES,
    JF_REASON_PENDING,
    JF_COUNT,
};

extern const struct fx_format_field jobs_fields[JF_COUNT];

/* One job's values: v[field] (owned; NULL prints as ""). */
struct jobs_row {
    char *v[JF_COUNT];
};

/* Fill row from job (a JOB object of doc/job.md), as seen at time now.  Values the object
 * lacks are left empty.  Returns 0, or -1 with errno ENOMEM. */
int jobs_row_fill (struct jobs_row *row, const json_t *job, double now);
void jobs_row_clear (struct jobs_row *row);

/* "1.234s", "2.5m", "1.2h", "3d": seconds with 4 significant digits in a unit that keeps
 * the number small (flux jobs' TIME column). */
void jobs_fsd (char *buf, size_t len, double seconds);

#endif
