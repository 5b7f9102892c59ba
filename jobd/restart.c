/* restart.c - rebuild every job from kvsd when jobd starts.
 *
 * One recursive listing of `job` (with values: it brings every jobspec and R in pages of
 * about 4 MiB) finds the jobs; their eventlogs are then read with up to RESTART_WINDOW
 * kvs.get requests in flight and replayed through job_apply(), which has no side effects.
 * Only then are the jobs moved on: pending ones wait for the scheduler, running ones are
 * reattached to their execds, ones half cleaned are finished.  This runs before jobd
 * serves anything.  Failure policy: kvsd unreachable stops jobd (systemd restarts it); a
 * job whose eventlog does not replay is logged and left out, never guessed at.
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

struct loader {
    struct jobd *jd;
    struct job **todo; /* jobs whose eventlog is to be read */
    size_t ntodo, next, inflight, failed;
};

/* "job.0000.0004.b200.0000.NAME" -> id and NAME. */
static int parse_key (const char *key, uint64_t *id, const char **name)
{
    char dothex[FX_FLUID_STRLEN];

    if (strncmp (key, "job.", 4) != 0 || strlen (key) < 4 + 19 + 2 || key[4 + 19] != '.')
        return -1;
    memcpy (dothex, key + 4, 19);
    dothex[19] = '\0';
    if (fx_fluid_decode_type (dothex, FX_FLUID_DOTHEX, id, NULL) < 0)
        return -1;
    *name = key + 4 + 20;
    return 0;
}

static struct job *get_job (struct loader *ld, uint64_t id)
{
    struct job *job = jobd_lookup (ld->jd, id);
    struct job **nt;

    if (job)
        return job;
    if (!(job = job_create (id)) || jobd_insert (ld->jd, job) < 0) {
        job_destroy (job);
        return NULL;
    }
    if (!(nt = realloc (ld->todo, (ld->ntodo + 1) * sizeof (*nt))))
        return NULL;
    ld->todo = nt;
    ld->todo[ld->ntodo++] = job;
    return job;
}

static int scan_entry (struct loader *ld, json_t *e)
{
    const char *key = json_string_value (json_object_get (e, "key")), *name;
    json_t *value = json_object_get (e, "value");
    struct job *job;
    uint64_t id;

    if (!key || parse_key (key, &id, &name) < 0)
        return 0;
    if (strcmp (name, "eventlog") && strcmp (name, "jobspec") && strcmp (name, "R"))
        return 0;
    if (!(job = get_job (ld, id)))
        return -1;
    if (!strcmp (name, "jobspec") && value) {
        json_decref (job->jobspec);
        job->jobspec = json_incref (value);
    } else if (!strcmp (name, "R") && value) {
        json_decref (job->R);
        job->R = json_incref (value);
    }
    return 0;
}

static int scan (struct loader *ld, struct fx_error *err)
{
    char after[1100] = "";
    int more = 1;

    while (more) {
        json_t *in = json_pack ("{s:s s:b s:b s:s}", "key", "job", "recursive", 1, "values", 1,
                                "after", after),
               *out = NULL, *entries, *e;
        size_t i;
        int rc = fx_rpc_call (ld->jd->peer, "kvs.dir", 0, in, RESTART_TIMEOUT, &out, err);

        json_decref (in);
        if (rc < 0)
            return errno == ENOENT ? 0 : -1;
        more = json_is_true (json_object_get (out, "more"));
        entries = json_object_get (out, "entries");
        json_array_foreach (entries, i, e)
        {
            if (scan_entry (ld, e) < 0) {
                json_decref (out);
                return errprintf (err, "out of memory");
            }
        }
        e = json_array_get (entries, json_array_size (entries) - 1);
        if (e)
            snprintf (after, sizeof (after), "%s", json_string_value (json_object_get (e, "key")));
        else
            more = 0;
        json_decref (out);
    }
    return 0;
}

static void request_next (struct loader *ld);

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

struct getreq {
    struct loader *ld;
    struct job *job;
};

static void get_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct getreq *gr = arg;
    struct loader *ld = gr->ld;
    struct fx_error err = {""};
    char id[FX_FLUID_STRLEN];
    json_t *payload;
    json_int_t count = 0;

    (void) rpc;
    ld->inflight--;
    if (fx_msg_errnum (rsp) != 0 || !(payload = fx_msg_json (rsp, &err))
        || replay (ld->jd, gr->job, json_object_get (payload, "events"), &err) < 0) {
        fx_log (ld->jd->peer, LOG_ERR, "%s: eventlog not replayed: %s",
                jobd_f58 (gr->job->id, id, sizeof (id)),
                fx_msg_errnum (rsp) ? fx_msg_errstr (rsp) : err.text);
        gr->job->events = -1; /* left out */
        ld->failed++;
    } else if (json_unpack (payload, "{s:I}", "count", &count) == 0 && gr->job->events < count) {
        ld->todo[--ld->next] = gr->job; /* more than one page: read the rest */
    }
    free (gr);
    request_next (ld);
}

static void request_next (struct loader *ld)
{
    char key[64], dothex[FX_FLUID_STRLEN];

    while (ld->inflight < RESTART_WINDOW && ld->next < ld->ntodo) {
        struct job *job = ld->todo[ld->next++];
        struct getreq *gr = malloc (sizeof (*gr));
        json_t *in;
        fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX);
        snprintf (key, sizeof (key), "job.%s.eventlog", dothex);
        if (!gr || !(in = json_pack ("{s:s s:i}", "key", key, "from", job->events))) {
            free (gr);
            ld->failed++;
            continue;
        }
        *gr = (struct getreq){ld, job};
        if (fx_rpc_start (ld->jd->peer, "kvs.get", 0, 0, in, RESTART_TIMEOUT, get_cb, gr))
            ld->inflight++;
        else {
            free (gr);
            ld->failed++;
        }
        json_decref (in);
    }
}

/* Drop jobs that did not replay, and fill in what listings need. */
static void settle (struct jobd *jd)
{
    size_t n = 0;

    jd->nactive = jd->nrunning = 0;
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        if (job->events <= 0 || !job->jobspec || job_fill_from_jobspec (job, job->jobspec) < 0
            || (job->state != JOB_INACTIVE && job_keep_jobspec (job, job->jobspec) < 0)) {
            job_destroy (job);
            continue;
        }
        if (job->R) {
            struct fx_rlist *rl = fx_rlist_decode (job->R, NULL);
            struct fx_idset *ranks = rl ? fx_rlist_ranks (rl) : NULL;
            job->ranks = ranks ? fx_idset_encode (ranks, 0) : NULL;
            job->nodelist = rl ? fx_rlist_nodelist (rl) : NULL;
            job->nnodes = rl ? (int) fx_rlist_nnodes (rl) : job->nnodes;
            fx_idset_destroy (ranks);
            fx_rlist_destroy (rl);
        }
        if (job->state != JOB_INACTIVE)
            jd->nactive++;
        if (job->state & JOB_RUNNING)
            jd->nrunning++;
        if (job->state == JOB_DEPEND && job->deps)
            jd->ndepend++;
        if (job->state == JOB_INACTIVE) { /* keep only what listings show */
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
        if (job->state == JOB_PRIORITY)
            job_post (jd, job, "priority",
                      json_pack ("{s:I}", "priority", (json_int_t) plugins_priority (jd, job)));
        else if (job->state == JOB_RUN
                 || (job->state == JOB_CLEANUP && job->has_alloc && !job->finished
                     && job->t_run > 0))
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

    if (load_maxid (jd, err) < 0)
        return -1;
    if (scan (&ld, err) < 0) {
        free (ld.todo);
        return -1;
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
