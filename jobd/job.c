/* job.c - the job state machine: one table of events, applied the same way to live events
 * and to eventlogs replayed at start, and the actions each new state calls for.
 *
 * job_apply() only changes the record (so that a replay has no side effects); job_post()
 * applies, appends the event to the job's eventlog through commit.c, and then moves the
 * job on (job_advance): computing its priority, handing it to the scheduler, starting or
 * killing it, giving its resources back, and cleaning it.  An event that does not fit the
 * state is refused with EINVAL and nothing changes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"

struct job *job_create (uint64_t id)
{
    struct job *job = calloc (1, sizeof (*job));

    if (!job)
        return NULL;
    job->id = id;
    job->state = JOB_NEW;
    job->urgency = URGENCY_DEFAULT;
    job->priority = -1;
    job->waitstatus = -1;
    return job;
}

void job_destroy (struct job *job)
{
    if (!job)
        return;
    free (job->name);
    free (job->queue);
    json_decref (job->jobspec);
    free (job->env);
    json_decref (job->R);
    free (job->ranks);
    free (job->nodelist);
    free (job->exc_type);
    free (job->exc_note);
    json_decref (job->annotations);
    json_decref (job->deps);
    free (job);
}

const char *job_state_abbrev (int state)
{
    static const struct {
        int state;
        const char *abbrev;
    } names[] = {
        {JOB_NEW, "N"}, {JOB_DEPEND, "D"},  {JOB_PRIORITY, "P"}, {JOB_SCHED, "S"},
        {JOB_RUN, "R"}, {JOB_CLEANUP, "C"}, {JOB_INACTIVE, "I"},
    };
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
        if (names[i].state == state)
            return names[i].abbrev;
    return "?";
}

/* Keep jobspec (a reference is taken) in memory with its environment as compact text: as
 * JSON objects an environment of 80 variables costs about 12 KB per job, as text 3 KB. */
int job_keep_jobspec (struct job *job, json_t *jobspec)
{
    json_t *copy = json_deep_copy (jobspec), *sys, *env;

    if (!copy)
        return -1;
    sys = json_object_get (json_object_get (copy, "attributes"), "system");
    if ((env = json_object_get (sys, "environment"))) {
        free (job->env);
        if (!(job->env = json_dumps (env, JSON_COMPACT))) {
            json_decref (copy);
            return -1;
        }
        json_object_del (sys, "environment");
    }
    json_decref (job->jobspec);
    job->jobspec = copy;
    return 0;
}

/* The whole jobspec, environment included (a new reference), or NULL. */
json_t *job_full_jobspec (const struct job *job)
{
    json_t *full, *sys, *env;

    if (!job->jobspec || !(full = json_deep_copy (job->jobspec)))
        return NULL;
    if (job->env && (sys = json_object_get (json_object_get (full, "attributes"), "system"))
        && (!(env = json_loads (job->env, 0, NULL))
            || json_object_set_new (sys, "environment", env) < 0)) {
        json_decref (full);
        return NULL;
    }
    return full;
}

/* Counts and names for listings, from a jobspec (at submission and at restart). */
int job_fill_from_jobspec (struct job *job, const json_t *jobspec)
{
    struct fx_jobspec js;
    const char *name;

    if (fx_jobspec_parse_json ((json_t *) jobspec, &js, NULL) < 0)
        return -1;
    name = js.name ? js.name : "";
    free (job->name);
    job->name = strdup (name);
    free (job->queue);
    job->queue = js.queue ? strdup (js.queue) : NULL;
    job->ntasks = js.ntasks;
    job->nnodes = js.nnodes;
    job->ncores = js.nslots * js.cores_per_slot;
    job->ngpus = js.nslots * js.gpus_per_slot;
    job->duration = js.duration;
    fx_jobspec_clear (&js);
    return job->name ? 0 : -1;
}

/* Replace *dst with a copy of src.  -1 with ENOMEM. */
static int replace_str (char **dst, const char *src)
{
    char *copy = strdup (src);

    if (!copy)
        return -1;
    free (*dst);
    *dst = copy;
    return 0;
}

/* Event handlers: change the record only. */

static int apply_submit (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int urgency = URGENCY_DEFAULT, flags = 0, version = 1;
    json_int_t userid = 0;

    if (json_unpack (ctx, "{s:i s:I s?i s?i}", "urgency", &urgency, "userid", &userid, "flags",
                     &flags, "version", &version)
            < 0
        || urgency < 0 || urgency > URGENCY_EXPEDITE || userid < 0 || userid > UINT32_MAX)
        return errprintf (err, "submit: invalid context");
    job->urgency = urgency;
    job->userid = (uint32_t) userid;
    job->t_submit = t;
    return 0;
}

static int apply_depend (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    (void) ctx;
    (void) err;
    job->t_depend = t;
    json_decref (job->deps);
    job->deps = NULL;
    return 0;
}

static int dep_index (const struct job *job, const char *desc)
{
    for (size_t i = 0; i < json_array_size (job->deps); i++)
        if (!strcmp (json_string_value (json_array_get (job->deps, i)), desc))
            return (int) i;
    return -1;
}

static int apply_dependency_add (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    const char *desc = json_string_value (json_object_get (ctx, "description"));

    (void) t;
    if (!desc)
        return errprintf (err, "dependency-add: missing description");
    if (dep_index (job, desc) >= 0)
        return 0;
    if (!job->deps && !(job->deps = json_array ()))
        return errprintf (err, "out of memory");
    return json_array_append_new (job->deps, json_string (desc));
}

static int apply_dependency_remove (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    const char *desc = json_string_value (json_object_get (ctx, "description"));
    int i;

    (void) t;
    if (!desc)
        return errprintf (err, "dependency-remove: missing description");
    if ((i = dep_index (job, desc)) >= 0)
        json_array_remove (job->deps, (size_t) i);
    return 0;
}

static int apply_priority (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    json_int_t priority;

    (void) t;
    if (json_unpack (ctx, "{s:I}", "priority", &priority) < 0 || priority < 0
        || priority > PRIORITY_MAX)
        return errprintf (err, "priority: invalid context");
    job->priority = priority;
    if (job->state == JOB_PRIORITY)
        job->state = JOB_SCHED;
    return 0;
}

static int apply_urgency (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int urgency;

    (void) t;
    if (json_unpack (ctx, "{s:i}", "urgency", &urgency) < 0 || urgency < 0
        || urgency > URGENCY_EXPEDITE)
        return errprintf (err, "urgency: invalid context");
    job->urgency = urgency;
    return 0;
}

/* What listings show of a job, carried in the events so that a restart needs only the
 * eventlogs (validate: from the jobspec; alloc: from R).  Absent keys leave fields as
 * they are. */
static int apply_summary (struct job *job, json_t *ctx)
{
    const char *name = NULL, *queue = NULL, *ranks = NULL, *nodelist = NULL;

    if (!ctx)
        return 0;
    if (json_unpack (ctx, "{s?s s?s s?i s?i s?i s?i s?F s?s s?s}", "name", &name, "queue", &queue,
                     "ntasks", &job->ntasks, "nnodes", &job->nnodes, "ncores", &job->ncores,
                     "ngpus", &job->ngpus, "duration", &job->duration, "ranks", &ranks, "nodelist",
                     &nodelist)
        < 0)
        return -1;
    if ((name && replace_str (&job->name, name) < 0)
        || (queue && replace_str (&job->queue, queue) < 0)
        || (ranks && replace_str (&job->ranks, ranks) < 0)
        || (nodelist && replace_str (&job->nodelist, nodelist) < 0))
        return -1;
    return 0;
}

static int apply_validate (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    (void) t;
    if (apply_summary (job, ctx) < 0)
        return errprintf (err, "validate: invalid context");
    return 0;
}

static int apply_alloc (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    if (apply_summary (job, ctx) < 0)
        return errprintf (err, "alloc: invalid context");
    job->t_run = t;
    job->has_alloc = 1;
    json_decref (job->annotations);
    job->annotations = NULL;
    return 0;
}

static int apply_start (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    (void) t;
    (void) ctx;
    (void) err;
    job->started = 1;
    return 0;
}

static int apply_finish (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int status;

    if (json_unpack (ctx, "{s:i}", "status", &status) < 0)
        return errprintf (err, "finish: invalid context");
    job->waitstatus = status;
    job->finished = 1;
    if (job->state == JOB_RUN) {
        job->state = JOB_CLEANUP;
        job->t_cleanup = t;
    }
    return 0;
}

static int apply_free (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    (void) t;
    (void) ctx;
    (void) err;
    job->freed = 1;
    job->has_alloc = 0;
    return 0;
}

static int apply_exception (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    const char *type, *note = "";
    int severity;

    if (json_unpack (ctx, "{s:s s:i s?s}", "type", &type, "severity", &severity, "note", &note) < 0
        || severity < 0 || severity > 7)
        return errprintf (err, "exception: invalid context");
    if (severity > 0)
        return 0;
    if (!job->exc_type) {
        job->exc_type = strdup (type);
        job->exc_note = strdup (note);
        job->exc_severity = severity;
    }
    if (job->state != JOB_CLEANUP) {
        job->state = JOB_CLEANUP;
        job->t_cleanup = t;
    }
    return 0;
}

/* prolog-start, prolog-finish, epilog-start, epilog-finish {"description","status"?}: how
 * many starts lack their finish (hold.c acts on it). */
static int perilog_status (json_t *ctx, const char *name, int *status, struct fx_error *err)
{
    const char *desc;

    if (json_unpack (ctx, "{s:s s?i}", "description", &desc, "status", status) < 0)
        return errprintf (err, "%s: invalid context", name);
    return 0;
}

static int apply_prolog_start (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int status = 0;

    (void) t;
    if (perilog_status (ctx, "prolog-start", &status, err) < 0)
        return -1;
    job->prolog_active++;
    job->prolog_asked = 1;
    return 0;
}

static int apply_prolog_finish (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int status = -1;

    (void) t;
    if (perilog_status (ctx, "prolog-finish", &status, err) < 0 || status == -1)
        return errprintf (err, "prolog-finish: invalid context");
    if (job->prolog_active > 0)
        job->prolog_active--;
    if (status != 0)
        job->prolog_failed = 1;
    else if (job->state == JOB_RUN && job->prolog_active == 0 && !job->prolog_failed)
        job->prolog_released = 1;
    return 0;
}

static int apply_epilog_start (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int status = 0;

    (void) t;
    if (perilog_status (ctx, "epilog-start", &status, err) < 0)
        return -1;
    job->epilog_active++;
    job->epilog_asked = 1;
    return 0;
}

static int apply_epilog_finish (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    int status = -1;

    (void) t;
    if (perilog_status (ctx, "epilog-finish", &status, err) < 0 || status == -1)
        return errprintf (err, "epilog-finish: invalid context");
    if (job->epilog_active > 0)
        job->epilog_active--;
    return 0;
}

static int apply_clean (struct job *job, double t, json_t *ctx, struct fx_error *err)
{
    (void) ctx;
    (void) err;
    job->t_inactive = t;
    if (job->exc_type)
        job->result = !strcmp (job->exc_type, "cancel")    ? RESULT_CANCELED
                      : !strcmp (job->exc_type, "timeout") ? RESULT_TIMEOUT
                                                           : RESULT_FAILED;
    else
        job->result = job->waitstatus == 0 ? RESULT_COMPLETED : RESULT_FAILED;
    return 0;
}

typedef int (*apply_f) (struct job *job, double t, json_t *ctx, struct fx_error *err);

static const struct rule {
    const char *name;
    int from; /* states the event may arrive in */
    int to;   /* the state it leads to, 0 = the handler decides */
    apply_f apply;
} rules[] = {
    {"submit", JOB_NEW, 0, apply_submit},
    {"validate", JOB_NEW, JOB_DEPEND, apply_validate},
    {"dependency-add", JOB_DEPEND, 0, apply_dependency_add},
    {"dependency-remove", JOB_DEPEND, 0, apply_dependency_remove},
    {"depend", JOB_DEPEND, JOB_PRIORITY, apply_depend},
    {"priority", JOB_PRIORITY | JOB_SCHED | JOB_RUN | JOB_CLEANUP, 0, apply_priority},
    {"urgency", JOB_ACTIVE, 0, apply_urgency},
    {"alloc", JOB_SCHED, JOB_RUN, apply_alloc},
    {"start", JOB_RUN | JOB_CLEANUP, 0, apply_start},
    {"prolog-start", JOB_RUN, 0, apply_prolog_start},
    {"prolog-finish", JOB_RUN | JOB_CLEANUP, 0, apply_prolog_finish},
    {"finish", JOB_RUN | JOB_CLEANUP, 0, apply_finish},
    {"epilog-start", JOB_CLEANUP, 0, apply_epilog_start},
    {"epilog-finish", JOB_CLEANUP, 0, apply_epilog_finish},
    {"release", JOB_CLEANUP, 0, NULL},
    {"free", JOB_CLEANUP, 0, apply_free},
    {"exception", JOB_ACTIVE, 0, apply_exception},
    {"clean", JOB_CLEANUP, JOB_INACTIVE, apply_clean},
    {"memo", JOB_ACTIVE | JOB_INACTIVE, 0, NULL},
};

int job_apply (struct jobd *jd, struct job *job, const char *name, double timestamp,
               json_t *context, struct fx_error *err)
{
    int old = job->state;

    for (size_t i = 0; i < sizeof (rules) / sizeof (rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (strcmp (r->name, name) != 0)
            continue;
        if (!(job->state & r->from)) {
            errno = EINVAL;
            return errprintf (err, "event %s in state %s", name, job_state_abbrev (job->state));
        }
        if (r->apply && r->apply (job, timestamp, context, err) < 0) {
            errno = EINVAL;
            return -1;
        }
        if (r->to)
            job->state = r->to;
        job->events++;
        if (old != JOB_INACTIVE && job->state == JOB_INACTIVE && jd->nactive > 0)
            jd->nactive--;
        if (!(old & JOB_RUNNING) && (job->state & JOB_RUNNING))
            jd->nrunning++;
        if ((old & JOB_RUNNING) && !(job->state & JOB_RUNNING) && jd->nrunning > 0)
            jd->nrunning--;
        return 0;
    }
    if (!strncmp (name, "debug.", 6) || !strcmp (name, "flux-restart"))
        return 0; /* informational */
    errno = EINVAL;
    return errprintf (err, "unknown event %s", name);
}

static void job_advance (struct jobd *jd, struct job *job, int old);

int job_post (struct jobd *jd, struct job *job, const char *name, json_t *context)
{
    struct fx_error err = {""};
    double now = ev_time ();
    int old = job->state;
    char id[FX_FLUID_STRLEN];

    if (job_apply (jd, job, name, now, context, &err) < 0) {
        fx_log (jd->peer, LOG_ERR, "%s: %s", jobd_f58 (job->id, id, sizeof (id)), err.text);
        json_decref (context);
        return -1;
    }
    commit_append (jd, job->id, name, now, context);
    json_decref (context);
    fx_metric_inc (jd->m_events, name);
    if (old != JOB_CLEANUP && job->state == JOB_CLEANUP && !strcmp (name, "exception"))
        plugins_notify (jd, job, FX_JOBTAP_EXCEPTION); /* e.g. kill a running prolog */
    job_advance (jd, job, old);
    return 0;
}

void job_raise (struct jobd *jd, struct job *job, const char *type, int severity, uint32_t userid,
                const char *fmt, ...)
{
    char note[512] = "";
    va_list ap;
    json_t *ctx;

    if (job->state == JOB_INACTIVE)
        return;
    if (fmt) {
        va_start (ap, fmt);
        vsnprintf (note, sizeof (note), fmt, ap);
        va_end (ap);
    }
    if (!(ctx = json_pack ("{s:s s:i s:s s:I}", "type", type, "severity", severity, "note", note,
                           "userid", (json_int_t) userid)))
        return;
    job_post (jd, job, "exception", ctx);
}

/* CLEANUP: wait for the scheduler's answer, for the job's processes and for its prolog,
 * run the epilog (hold.c), then give the resources back and clean. */
void job_cleanup_progress (struct jobd *jd, struct job *job)
{
    if (job->state != JOB_CLEANUP || job->alloc_pending)
        return;
    if (job->start_pending || job->exec) {
        exec_kill (jd, job, 15);
        return;
    }
    if (job->prolog_active > 0)
        return; /* being ended: its prolog-finish comes back here */
    if (job->has_alloc && !job->freed) {
        if (hold_job_epilog (jd, job))
            return;
        sched_job_free (jd, job);
        job_post (jd, job, "release", json_pack ("{s:s s:b}", "ranks", "all", "final", 1));
        job_post (jd, job, "free", NULL);
    }
    job_post (jd, job, "clean", NULL);
}

static void job_inactive (struct jobd *jd, struct job *job)
{
    json_decref (job->jobspec);
    job->jobspec = NULL;
    free (job->env);
    job->env = NULL;
    json_decref (job->R);
    job->R = NULL;
    json_decref (job->annotations);
    job->annotations = NULL;
    depend_job_changed (jd, job);
    queue_check_waiters (jd);
    jobd_shutdown_check (jd);
}

/* The job just went from state old to its current state (or stayed): act on it. */
static void job_advance (struct jobd *jd, struct job *job, int old)
{
    list_job_changed (jd, job);
    if (job->state == old)
        return;
    switch (job->state) {
    case JOB_DEPEND:
        for (size_t i = 0; i < json_array_size (job->deps); i++)
            job_post (jd, job, "dependency-add",
                      json_pack ("{s:O}", "description", json_array_get (job->deps, i)));
        if (json_array_size (job->deps) == 0)
            job_post (jd, job, "depend", NULL);
        break;
    case JOB_PRIORITY:
        job_post (jd, job, "priority",
                  json_pack ("{s:I}", "priority", (json_int_t) plugins_priority (jd, job)));
        break;
    case JOB_SCHED:
        sched_job_ready (jd, job);
        break;
    case JOB_RUN:
        depend_job_changed (jd, job); /* "after" dependencies */
        break;
    case JOB_CLEANUP:
        if (old & JOB_PENDING)
            sched_job_cancel (jd, job);
        job_cleanup_progress (jd, job);
        queue_check_waiters (jd);
        break;
    case JOB_INACTIVE:
        job_inactive (jd, job);
        break;
    default:
        break;
    }
}
