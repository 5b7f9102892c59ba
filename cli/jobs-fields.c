/* jobs-fields.c - what `flux jobs` can print about a job: the field table a format names
 * and each field's value computed from one JOB object of job-list (doc/job.md).
 *
 * The names follow the original command's ("id.f58", "status_abbrev", "contextual_time");
 * a conversion the original writes after '!' is part of the name here ("runtime!F" is a
 * duration as "1.5m", "!H" as H:MM:SS, "t_submit!d" a local date and time).  A JOB object
 * may carry "state" and "result" as bits or as names; both are read.
 *
 * Failure policy: a value the object lacks, or has with the wrong type, prints empty; only
 * ENOMEM fails.
 */
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cli/jobs.h"
#include "services/fluid.h"
#include "services/jobrpc.h"
#include "services/jobstate.h"

const struct fx_format_field jobs_fields[JF_COUNT] = {
    [JF_ID] = {"id", "JOBID", 0},
    [JF_ID_F58] = {"id.f58", "JOBID", 0},
    [JF_ID_DEC] = {"id.dec", "JOBID", 0},
    [JF_ID_HEX] = {"id.hex", "JOBID", 0},
    [JF_ID_DOTHEX] = {"id.dothex", "JOBID", 0},
    [JF_USERID] = {"userid", "UID", 1},
    [JF_USERNAME] = {"username", "USER", 0},
    [JF_URGENCY] = {"urgency", "URG", 1},
    [JF_PRIORITY] = {"priority", "PRI", 1},
    [JF_STATE] = {"state", "STATE", 0},
    [JF_STATE_SINGLE] = {"state_single", "S", 0},
    [JF_STATUS] = {"status", "STATUS", 0},
    [JF_STATUS_ABBREV] = {"status_abbrev", "ST", 0},
    [JF_NAME] = {"name", "NAME", 0},
    [JF_QUEUE] = {"queue", "QUEUE", 0},
    [JF_NTASKS] = {"ntasks", "NTASKS", 1},
    [JF_NNODES] = {"nnodes", "NNODES", 1},
    [JF_NCORES] = {"ncores", "NCORES", 1},
    [JF_NGPUS] = {"ngpus", "NGPUS", 1},
    [JF_NODELIST] = {"nodelist", "NODELIST", 0},
    [JF_RANKS] = {"ranks", "RANKS", 0},
    [JF_T_SUBMIT] = {"t_submit", "T_SUBMIT", 1},
    [JF_T_RUN] = {"t_run", "T_RUN", 1},
    [JF_T_CLEANUP] = {"t_cleanup", "T_CLEANUP", 1},
    [JF_T_INACTIVE] = {"t_inactive", "T_INACTIVE", 1},
    [JF_T_SUBMIT_D] = {"t_submit!d", "T_SUBMIT", 0},
    [JF_T_RUN_D] = {"t_run!d", "T_RUN", 0},
    [JF_T_INACTIVE_D] = {"t_inactive!d", "T_INACTIVE", 0},
    [JF_RUNTIME] = {"runtime", "RUNTIME", 1},
    [JF_RUNTIME_F] = {"runtime!F", "RUNTIME", 1},
    [JF_RUNTIME_H] = {"runtime!H", "RUNTIME", 1},
    [JF_CONTEXT_TIME] = {"contextual_time", "TIME", 1},
    [JF_CONTEXT_TIME_F] = {"contextual_time!F", "TIME", 1},
    [JF_DURATION] = {"duration", "DURATION", 1},
    [JF_DURATION_F] = {"duration!F", "DURATION", 1},
    [JF_CONTEXT_INFO] = {"contextual_info", "INFO", 0},
    [JF_RESULT] = {"result", "RESULT", 0},
    [JF_RESULT_ABBREV] = {"result_abbrev", "RS", 0},
    [JF_WAITSTATUS] = {"waitstatus", "WSTATUS", 1},
    [JF_RETURNCODE] = {"returncode", "RC", 1},
    [JF_EXC_OCCURRED] = {"exception.occurred", "EXCEPTION-OCCURRED", 0},
    [JF_EXC_TYPE] = {"exception.type", "EXCEPTION-TYPE", 0},
    [JF_EXC_SEVERITY] = {"exception.severity", "EXCEPTION-SEVERITY", 1},
    [JF_EXC_NOTE] = {"exception.note", "EXCEPTION-NOTE", 0},
    [JF_INACTIVE_REASON] = {"inactive_reason", "INACTIVE-REASON", 0},
    [JF_DEPENDENCIES] = {"dependencies", "DEPENDENCIES", 0},
    [JF_REASON_PENDING] = {"sched.reason_pending", "REASON", 0},
};

void jobs_fsd (char *buf, size_t len, double t)
{
    if (!(t >= 1e-3))
        snprintf (buf, len, "0s");
    else if (t < 10.)
        snprintf (buf, len, "%.3fs", t);
    else if (t < 60.)
        snprintf (buf, len, "%.4gs", t);
    else if (t < 3600.)
        snprintf (buf, len, "%.4gm", t / 60.);
    else if (t < 86400.)
        snprintf (buf, len, "%.4gh", t / 3600.);
    else
        snprintf (buf, len, "%.4gd", t / 86400.);
}

static void hms (char *buf, size_t len, double t)
{
    long s = lround (t);

    snprintf (buf, len, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
}

static void date (char *buf, size_t len, double t)
{
    time_t sec = (time_t) t;
    struct tm tm;

    if (!localtime_r (&sec, &tm) || !strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf (buf, len, "%.6f", t);
}

/* A JOB's member as a number (0 when missing). */
static double num (const json_t *job, const char *key)
{
    return json_number_value (json_object_get (job, key));
}

static const char *str (const json_t *job, const char *key)
{
    return json_string_value (json_object_get (job, key));
}

/* A state or result given as a bit or as a name. */
static int bits (const json_t *job, const char *key, int (*lookup) (const char *))
{
    const json_t *v = json_object_get (job, key);

    if (json_is_integer (v))
        return (int) json_integer_value (v);
    return json_is_string (v) ? lookup (json_string_value (v)) : 0;
}

/* Set v[field] to a copy of s (NULL: leave it empty). */
static int set (struct jobs_row *row, int field, const char *s)
{
    if (!s)
        return 0;
    return (row->v[field] = strdup (s)) ? 0 : -1;
}

static int setf (struct jobs_row *row, int field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int setf (struct jobs_row *row, int field, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start (ap, fmt);
    rc = vasprintf (&row->v[field], fmt, ap);
    va_end (ap);
    if (rc < 0) {
        row->v[field] = NULL;
        return -1;
    }
    return 0;
}

/* An integer member as text, or nothing when it is missing. */
static int set_int (struct jobs_row *row, int field, const json_t *job, const char *key)
{
    const json_t *v = json_object_get (job, key);

    if (!json_is_integer (v))
        return 0;
    return setf (row, field, "%lld", (long long) json_integer_value (v));
}

static int set_ids (struct jobs_row *row, uint64_t id)
{
    static const struct {
        int field;
        enum fx_fluid_type type;
    } enc[] = {
        {JF_ID, FX_FLUID_F58},     {JF_ID_F58, FX_FLUID_F58},       {JF_ID_DEC, FX_FLUID_DEC},
        {JF_ID_HEX, FX_FLUID_HEX}, {JF_ID_DOTHEX, FX_FLUID_DOTHEX},
    };
    char buf[FX_FLUID_STRLEN];

    for (size_t i = 0; i < sizeof (enc) / sizeof (enc[0]); i++) {
        if (fx_fluid_encode (buf, sizeof (buf), id, enc[i].type) < 0
            || set (row, enc[i].field, buf) < 0)
            return -1;
    }
    return 0;
}

static int set_user (struct jobs_row *row, const json_t *job)
{
    const json_t *v = json_object_get (job, "userid");
    struct passwd *pw;

    if (!json_is_integer (v))
        return 0;
    if (set_int (row, JF_USERID, job, "userid") < 0)
        return -1;
    pw = getpwuid ((uid_t) json_integer_value (v));
    return set (row, JF_USERNAME, pw ? pw->pw_name : row->v[JF_USERID]);
}

static int set_state (struct jobs_row *row, int state, int result)
{
    const char *status = state == FX_JOB_INACTIVE && result ? fx_job_resultstr (result, 0)
                                                            : fx_job_statestr (state, 0);
    const char *abbrev = state == FX_JOB_INACTIVE && result ? fx_job_resultstr (result, 1)
                                                            : fx_job_statestr (state, 1);

    if (set (row, JF_STATE, fx_job_statestr (state, 0)) < 0
        || set (row, JF_STATE_SINGLE, fx_job_statestr (state, 1)) < 0
        || set (row, JF_STATUS, status) < 0 || set (row, JF_STATUS_ABBREV, abbrev) < 0
        || set (row, JF_RESULT, fx_job_resultstr (result, 0)) < 0
        || set (row, JF_RESULT_ABBREV, fx_job_resultstr (result, 1)) < 0)
        return -1;
    return 0;
}

/* A time since the epoch in its three forms (plain, "!d"), when the job has it. */
static int set_time (struct jobs_row *row, int field, int dfield, const json_t *job,
                     const char *key)
{
    char buf[64];
    double t = num (job, key);

    if (t <= 0)
        return 0;
    if (setf (row, field, "%.6f", t) < 0)
        return -1;
    if (dfield < 0)
        return 0;
    date (buf, sizeof (buf), t);
    return set (row, dfield, buf);
}

/* A duration in seconds as plain seconds, "!F" and (when hfield >= 0) "!H"; nothing when
 * it is not positive. */
static int set_duration (struct jobs_row *row, int field, int ffield, int hfield, double t)
{
    char buf[64];

    if (!(t > 0))
        return 0;
    if (setf (row, field, "%.3f", t) < 0)
        return -1;
    jobs_fsd (buf, sizeof (buf), t);
    if (set (row, ffield, buf) < 0)
        return -1;
    if (hfield < 0)
        return 0;
    hms (buf, sizeof (buf), t);
    return set (row, hfield, buf);
}

/* The run time: t_run to t_cleanup (or now while running); 0 when it never ran. */
static double runtime (const json_t *job, int state, double now)
{
    double t_run = num (job, "t_run"), t_end = num (job, "t_cleanup");

    if (t_run <= 0)
        return 0;
    if (t_end <= 0)
        t_end = state & FX_JOB_INACTIVE ? num (job, "t_inactive") : now;
    return t_end > t_run ? t_end - t_run : 0;
}

static int set_times (struct jobs_row *row, const json_t *job, int state, double now)
{
    double rt = runtime (job, state, now);
    double ctx = state & FX_JOB_PENDING ? now - num (job, "t_submit") : rt;

    if (set_time (row, JF_T_SUBMIT, JF_T_SUBMIT_D, job, "t_submit") < 0
        || set_time (row, JF_T_RUN, JF_T_RUN_D, job, "t_run") < 0
        || set_time (row, JF_T_CLEANUP, -1, job, "t_cleanup") < 0
        || set_time (row, JF_T_INACTIVE, JF_T_INACTIVE_D, job, "t_inactive") < 0
        || set_duration (row, JF_RUNTIME, JF_RUNTIME_F, JF_RUNTIME_H, rt) < 0
        || set_duration (row, JF_CONTEXT_TIME, JF_CONTEXT_TIME_F, -1, ctx) < 0
        || set_duration (row, JF_DURATION, JF_DURATION_F, -1, num (job, "duration")) < 0)
        return -1;
    return 0;
}

/* The dependencies, comma-separated: strings, or {"scheme","value"} as scheme:value. */
static int set_deps (struct jobs_row *row, const json_t *job)
{
    const json_t *deps = json_object_get (job, "dependencies"), *d;
    char *s = NULL;
    size_t size = 0, i;
    FILE *f;

    if (!json_is_array (deps) || json_array_size (deps) == 0)
        return 0;
    if (!(f = open_memstream (&s, &size)))
        return -1;
    json_array_foreach (deps, i, d)
    {
        const char *scheme = str (d, "scheme"), *value = str (d, "value");
        fputs (i ? "," : "", f);
        if (json_is_string (d))
            fputs (json_string_value (d), f);
        else if (scheme && value)
            fprintf (f, "%s:%s", scheme, value);
    }
    if (fclose (f) != 0) {
        free (s);
        return -1;
    }
    row->v[JF_DEPENDENCIES] = s;
    return 0;
}

static int set_exception (struct jobs_row *row, const json_t *job)
{
    const json_t *exc = json_object_get (job, "exception");

    if (!json_is_object (exc))
        return set (row, JF_EXC_OCCURRED, "False");
    if (set (row, JF_EXC_OCCURRED, "True") < 0 || set (row, JF_EXC_TYPE, str (exc, "type")) < 0
        || set_int (row, JF_EXC_SEVERITY, exc, "severity") < 0
        || set (row, JF_EXC_NOTE, str (exc, "note")) < 0)
        return -1;
    return 0;
}

/* waitstatus as the shell would give it: the exit code, or 128 + the signal. */
static int set_returncode (struct jobs_row *row, const json_t *job)
{
    const json_t *v = json_object_get (job, "waitstatus");
    int ws;

    if (!json_is_integer (v))
        return 0;
    ws = (int) json_integer_value (v);
    if (set_int (row, JF_WAITSTATUS, job, "waitstatus") < 0)
        return -1;
    if (WIFSIGNALED (ws))
        return setf (row, JF_RETURNCODE, "%d", 128 + WTERMSIG (ws));
    return setf (row, JF_RETURNCODE, "%d", WEXITSTATUS (ws));
}

/* Why an inactive job ended: "Exit 0", "Killed by signal 9", "Canceled: NOTE",
 * "Timeout", "Exception: TYPE: NOTE". */
static int set_inactive_reason (struct jobs_row *row, const json_t *job, int state)
{
    const json_t *exc = json_object_get (job, "exception"),
                 *ws = json_object_get (job, "waitstatus");
    const char *type = str (exc, "type"), *note = str (exc, "note");
    int w;

    if (!(state & FX_JOB_INACTIVE))
        return 0;
    if (type && num (exc, "severity") == 0) {
        if (!strcmp (type, "cancel"))
            return setf (row, JF_INACTIVE_REASON, "Canceled%s%s", note && *note ? ": " : "",
                         note && *note ? note : "");
        if (!strcmp (type, "timeout"))
            return set (row, JF_INACTIVE_REASON, "Timeout");
        return setf (row, JF_INACTIVE_REASON, "Exception: %s%s%s", type, note && *note ? ": " : "",
                     note && *note ? note : "");
    }
    if (!json_is_integer (ws))
        return 0;
    w = (int) json_integer_value (ws);
    if (WIFSIGNALED (w))
        return setf (row, JF_INACTIVE_REASON, "Killed by signal %d", WTERMSIG (w));
    return setf (row, JF_INACTIVE_REASON, "Exit %d", WEXITSTATUS (w));
}

/* INFO: why a pending job waits, else where it ran. */
static int set_info (struct jobs_row *row, const json_t *job, int state, double now)
{
    const json_t *sched = json_object_get (json_object_get (job, "annotations"), "sched");
    const char *reason = str (sched, "reason_pending");
    double eta = num (sched, "t_estimate");
    char buf[64];

    if (set (row, JF_REASON_PENDING, reason) < 0)
        return -1;
    if (state == FX_JOB_DEPEND)
        return row->v[JF_DEPENDENCIES]
                   ? setf (row, JF_CONTEXT_INFO, "depends:%s", row->v[JF_DEPENDENCIES])
                   : set (row, JF_CONTEXT_INFO, "depend");
    if (state == FX_JOB_PRIORITY)
        return set (row, JF_CONTEXT_INFO, "priority-wait");
    if (state == FX_JOB_SCHED) {
        if (json_integer_value (json_object_get (job, "urgency")) == 0)
            return set (row, JF_CONTEXT_INFO, "held");
        if (eta > 0) {
            jobs_fsd (buf, sizeof (buf), eta > now ? eta - now : 0);
            return setf (row, JF_CONTEXT_INFO, "eta:%s", eta > now ? buf : "now");
        }
        return set (row, JF_CONTEXT_INFO, reason);
    }
    return set (row, JF_CONTEXT_INFO, str (job, "nodelist"));
}

/* Counts: nnodes 0 (not yet known) prints empty. */
static int set_counts (struct jobs_row *row, const json_t *job)
{
    if (set_int (row, JF_NTASKS, job, "ntasks") < 0 || set_int (row, JF_NCORES, job, "ncores") < 0
        || set_int (row, JF_NGPUS, job, "ngpus") < 0)
        return -1;
    if (json_integer_value (json_object_get (job, "nnodes")) > 0)
        return set_int (row, JF_NNODES, job, "nnodes");
    return 0;
}

int jobs_row_fill (struct jobs_row *row, const json_t *job, double now)
{
    int state = bits (job, "state", fx_job_strtostate);
    int result = bits (job, "result", fx_job_strtoresult);

    memset (row, 0, sizeof (*row));
    if (set_ids (row, fx_job_id (job)) < 0 || set_user (row, job) < 0
        || set_int (row, JF_URGENCY, job, "urgency") < 0
        || set_int (row, JF_PRIORITY, job, "priority") < 0 || set_state (row, state, result) < 0
        || set (row, JF_NAME, str (job, "name")) < 0 || set (row, JF_QUEUE, str (job, "queue")) < 0
        || set_counts (row, job) < 0 || set (row, JF_NODELIST, str (job, "nodelist")) < 0
        || set (row, JF_RANKS, str (job, "ranks")) < 0 || set_times (row, job, state, now) < 0
        || set_deps (row, job) < 0 || set_exception (row, job) < 0 || set_returncode (row, job) < 0
        || set_inactive_reason (row, job, state) < 0 || set_info (row, job, state, now) < 0) {
        jobs_row_clear (row);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void jobs_row_clear (struct jobs_row *row)
{
    for (int i = 0; i < JF_COUNT; i++) {
        free (row->v[i]);
        row->v[i] = NULL;
    }
}
