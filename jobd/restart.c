/* restart.c - rebuild every job from kvsd when jobd starts.
 *
 * kvs.job-eventlogs brings every job's eventlog, a page of 1,000 jobs per query, and each
 * is replayed through job_apply(), which has no side effects.  The events carry what
 * listings show (validate: name and counts; alloc: ranks and nodes), so an inactive job
 * needs nothing else; active jobs then get their jobspec (and R once allocated) with up
 * to RESTART_WINDOW kvs.get requests in flight.  Only then are the jobs moved on: pending
 * ones wait for the scheduler, running ones are reattached to their execds, ones half
 * cleaned are finished.  This runs before jobd serves anything.  Failure policy: kvsd
 * unreachable stops jobd (systemd restarts it); a job whose eventlog does not replay is
 * logged and left out, never guessed at.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"
#include "services/rlist.h"

#define RESTART_WINDOW  64
#define RESTART_TIMEOUT 60.0
#define RESTART_PAGE    1000

/* A value to read for a job: its jobspec or its R. */
struct fetch {
    struct job *job;
    const char *name; /* "jobspec" or "R" */
};

struct loader {
    struct jobd *jd;
    struct fetch *todo;
    size_t ntodo, next, inflight, failed;
};

static int replay (struct jobd *jd, struct job *job, json_t *events, struct fx_error *err)
{
    size_t i;
    json_t *ev;

    json_array_foreach (events, i, ev)
    {
        const char *name = NULL;
        double t = 0;
        json_t *ctx = NULL;
        if (json_unpack (ev, "{s:s s:F s?o}", "name", &name, "timestamp", &t, "context", &ctx) < 0
            || job_apply (jd, job, name, t, ctx, err) < 0)
            return -1;
    }
    return 0;
}

/* One eventlog of the scan: "job.0000.0004.b200.0000.eventlog". */
static int scan_entry (struct loader *ld, json_t *e)
{
    const char *key = json_string_value (json_object_get (e, "key"));
    struct fx_error err = {""};
    char dothex[FX_FLUID_STRLEN], id58[FX_FLUID_STRLEN];
    struct job *job;
    uint64_t id;

    if (!key || strlen (key) != 4 + 19 + 9)
        return 0;
    memcpy (dothex, key + 4, 19);
    dothex[19] = '\0';
    if (fx_fluid_decode_type (dothex, FX_FLUID_DOTHEX, &id, NULL) < 0)
        return 0;
    if (!(job = job_create (id)) || jobd_insert (ld->jd, job) < 0) {
        job_destroy (job);
        return -1;
    }
    if (replay (ld->jd, job, json_object_get (e, "events"), &err) < 0) {
        fx_log (ld->jd->peer, LOG_ERR, "%s: eventlog not replayed: %s",
                jobd_f58 (id, id58, sizeof (id58)), err.text);
        job->events = -1; /* left out by settle() */
        ld->failed++;
    }
    return 0;
}

static int scan (struct loader *ld, struct fx_error *err)
{
    char after[128] = "";
    int more = 1;

    while (more) {
        json_t *in = json_pack ("{s:s s:i}", "after", after, "limit", RESTART_PAGE), *out = NULL,
               *entries, *e;
        size_t i;
        int rc = fx_rpc_call (ld->jd->peer, "kvs.job-eventlogs", 0, in, RESTART_TIMEOUT, &out, err);

        json_decref (in);
        if (rc < 0)
            return -1;
        more = json_is_true (json_object_get (out, "more"));
        entries = json_object_get (out, "entries");
        json_array_foreach (entries, i, e)
        {
            if (scan_entry (ld, e) < 0) {
                json_decref (out);
                return errprintf (err, "out of memory");
            }
        }
        if ((e = json_array_get (entries, json_array_size (entries) - 1)))
            snprintf (after, sizeof (after), "%s", json_string_value (json_object_get (e, "key")));
        else
            more = 0;
        json_decref (out);
    }
    return 0;
}

static int want (struct loader *ld, struct job *job, const char *name)
{
    struct fetch *nt = realloc (ld->todo, (ld->ntodo + 1) * sizeof (*nt));

    if (!nt)
        return -1;
    ld->todo = nt;
    ld->todo[ld->ntodo++] = (struct fetch){job, name};
    return 0;
}

/* Active jobs need their jobspec (and R once allocated); inactive ones written before the
 * events carried listing fields need them too. */
static int plan (struct loader *ld)
{
    for (size_t i = 0; i < ld->jd->njobs; i++) {
        struct job *job = ld->jd->jobs[i];
        int active = job->state != JOB_INACTIVE;
        if (job->events <= 0)
            continue;
        if ((active || !job->name) && want (ld, job, "jobspec") < 0)
            return -1;
        if (((active && job->has_alloc) || (!active && job->t_run > 0 && !job->ranks))
            && want (ld, job, "R") < 0)
            return -1;
    }
    return 0;
}

static void request_next (struct loader *ld);

struct getreq {
    struct loader *ld;
    struct fetch f;
};

static void get_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct getreq *gr = arg;
    struct loader *ld = gr->ld;
    json_t *payload, *value;

    (void) rpc;
    ld->inflight--;
    if (fx_msg_errnum (rsp) == 0 && (payload = fx_msg_json (rsp, NULL))
        && (value = json_object_get (payload, "value"))) {
        json_t **dst = !strcmp (gr->f.name, "R") ? &gr->f.job->R : &gr->f.job->jobspec;
        json_decref (*dst);
        *dst = json_incref (value);
    }
    free (gr);
    request_next (ld);
}

static void request_next (struct loader *ld)
{
    char key[64], dothex[FX_FLUID_STRLEN];

    while (ld->inflight < RESTART_WINDOW && ld->next < ld->ntodo) {
        struct fetch *f = &ld->todo[ld->next++];
        struct getreq *gr = malloc (sizeof (*gr));
        json_t *in;
        fx_fluid_encode (dothex, sizeof (dothex), f->job->id, FX_FLUID_DOTHEX);
        snprintf (key, sizeof (key), "job.%s.%s", dothex, f->name);
        if (!gr || !(in = json_pack ("{s:s}", "key", key))) {
            free (gr);
            ld->failed++;
            continue;
        }
        *gr = (struct getreq){ld, *f};
        if (fx_rpc_start (ld->jd->peer, "kvs.get", 0, 0, in, RESTART_TIMEOUT, get_cb, gr))
            ld->inflight++;
        else {
            free (gr);
            ld->failed++;
        }
        json_decref (in);
    }
}

/* Listing fields from R, for jobs whose alloc event did not carry them. */
static void fill_from_R (struct job *job)
{
    struct fx_rlist *rl = fx_rlist_decode (job->R, NULL);
    struct fx_idset *ranks = rl ? fx_rlist_ranks (rl) : NULL;

    if (ranks && !job->ranks) {
        job->ranks = fx_idset_encode (ranks, 0);
        job->nodelist = fx_rlist_nodelist (rl);
        job->nnodes = (int) fx_rlist_nnodes (rl);
    }
    fx_idset_destroy (ranks);
    fx_rlist_destroy (rl);
}

/* Drop jobs that did not replay (or whose jobspec an active job needs is missing), fill in
 * what listings need, keep only listing fields of inactive jobs. */
static void settle (struct jobd *jd)
{
    size_t n = 0;

    jd->nactive = jd->nrunning = 0;
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        int active = job->state != JOB_INACTIVE;
        if (job->events <= 0 || (active && !job->jobspec)
            || (job->jobspec && job_fill_from_jobspec (job, job->jobspec) < 0)
            || (active && job_keep_jobspec (job, job->jobspec) < 0)) {
            job_destroy (job);
            continue;
        }
        if (job->R)
            fill_from_R (job);
        if (active)
            jd->nactive++;
        if (job->state & JOB_RUNNING)
            jd->nrunning++;
        if (job->state == JOB_DEPEND && job->deps)
            jd->ndepend++;
        if (!active) {
            json_decref (job->jobspec);
            job->jobspec = NULL;
            json_decref (job->R);
            job->R = NULL;
        }
        jd->jobs[n++] = job;
    }
    jd->njobs = n;
}

/* Move every active job on from where its eventlog left it. */
static void resume (struct jobd *jd)
{
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        if (job->prolog_active > 0 || job->epilog_active > 0
            || (job->state == JOB_RUN && job->prolog_failed))
            hold_job_resume (jd, job); /* a prolog or epilog interrupted (hold.c) */
        else if (job->state == JOB_RUN && !job->started && !job->prolog_asked)
            hold_job_run (jd, job); /* allocated, prolog not yet asked for */
        else if (job->state == JOB_PRIORITY)
            job_post (jd, job, "priority",
                      json_pack ("{s:I}", "priority", (json_int_t) plugins_priority (jd, job)));
        else if (job->state == JOB_RUN
                 || (job->state == JOB_CLEANUP && job->has_alloc && !job->finished && job->t_run > 0
                     && (!job->prolog_asked || job->prolog_released)))
            exec_start (jd, job, job->started); /* execd treats a known job as a reattach */
        else if (job->state == JOB_CLEANUP)
            job_cleanup_progress (jd, job);
    }
    depend_job_changed (jd, NULL);
}

/* The largest id ever issued, kept because purged jobs take their ids with them. */
static int load_maxid (struct jobd *jd, struct fx_error *err)
{
    json_t *in = json_pack ("{s:s}", "key", "job-manager.maxid"), *out = NULL;
    json_int_t v = 0;
    int rc = fx_rpc_call (jd->peer, "kvs.get", 0, in, RESTART_TIMEOUT, &out, err);

    json_decref (in);
    if (rc < 0)
        return errno == ENOENT ? 0 : -1;
    json_unpack (out, "{s:I}", "value", &v);
    if (v > 0 && (uint64_t) v > jd->maxid)
        jd->maxid = (uint64_t) v;
    json_decref (out);
    return 0;
}

int restart_load (struct jobd *jd, struct fx_error *err)
{
    struct loader ld = {.jd = jd};
    double t0 = ev_time ();

    if (load_maxid (jd, err) < 0 || scan (&ld, err) < 0 || plan (&ld) < 0) {
        free (ld.todo);
        return err->text[0] ? -1 : errprintf (err, "out of memory");
    }
    request_next (&ld);
    while (ld.inflight > 0 || ld.next < ld.ntodo) {
        ev_run (jd->loop, EVRUN_ONCE);
        request_next (&ld);
    }
    free (ld.todo);
    settle (jd);
    if (jd->njobs > 0)
        fx_log (jd->peer, LOG_INFO, "%zu jobs restored (%zu active) in %.2fs%s", jd->njobs,
                jd->nactive, ev_time () - t0, ld.failed ? ", some left out (see above)" : "");
    resume (jd);
    return 0;
}
