/* jobd.c - flux-jobd's context: the router connection, the configuration, the table of
 * jobs, /metrics, and the services job-ingest, job-manager and job-list.
 *
 * Jobs live in one array sorted by id (ids only grow, so a new job is appended; lookups
 * are binary searches).  At start jobd rebuilds that array from kvsd (restart.c) before it
 * registers its services, so that nothing is served from a half-built state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "jobd/jobd.h"
#include "services/conf.h"
#include "services/httpd.h"

const char *jobd_f58 (uint64_t id, char *buf, size_t len)
{
    if (fx_fluid_encode (buf, len, id, FX_FLUID_F58) < 0)
        snprintf (buf, len, "%ju", (uintmax_t) id);
    return buf;
}

struct job *jobd_lookup (struct jobd *jd, uint64_t id)
{
    size_t lo = 0, hi = jd->njobs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (jd->jobs[mid]->id == id)
            return jd->jobs[mid];
        if (jd->jobs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Insert keeping id order: at the end for a new job, anywhere while restarting. */
int jobd_insert (struct jobd *jd, struct job *job)
{
    size_t i = jd->njobs;

    if (jd->njobs == jd->jobs_alloc) {
        size_t n = jd->jobs_alloc ? jd->jobs_alloc * 2 : 1024;
        struct job **nj = realloc (jd->jobs, n * sizeof (*nj));
        if (!nj)
            return -1;
        jd->jobs = nj;
        jd->jobs_alloc = n;
    }
    while (i > 0 && jd->jobs[i - 1]->id > job->id)
        i--;
    memmove (&jd->jobs[i + 1], &jd->jobs[i], (jd->njobs - i) * sizeof (*jd->jobs));
    jd->jobs[i] = job;
    jd->njobs++;
    if (job->state != JOB_INACTIVE)
        jd->nactive++;
    if (job->id > jd->maxid)
        jd->maxid = job->id;
    return 0;
}

struct job *jobd_request_job (struct jobd *jd, const struct fx_msg *req, json_t *payload)
{
    char buf[FX_FLUID_STRLEN];
    json_int_t id;
    struct job *job;

    if (json_unpack (payload, "{s:I}", "id", &id) < 0 || id < 0) {
        fx_respond_error (jd->peer, req, EPROTO, "missing or invalid job id");
        return NULL;
    }
    if (!(job = jobd_lookup (jd, (uint64_t) id))) {
        fx_respond_error (jd->peer, req, ENOENT, "%s: unknown job",
                          jobd_f58 ((uint64_t) id, buf, sizeof (buf)));
        return NULL;
    }
    if (!(req->rolemask & FX_ROLE_OWNER) && req->userid != job->userid) {
        fx_respond_denied (jd->peer, req, "%s: Operation not permitted",
                           jobd_f58 (job->id, buf, sizeof (buf)));
        return NULL;
    }
    return job;
}

/* kvsd purged these jobs' data (kvs.job-purged {"keys": ["job.0000.0004.b200.0000", ...]}):
 * forget them too, if inactive. */
static void purged_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL), *k;
    size_t i, n = 0;

    (void) p;
    json_array_foreach (json_object_get (payload, "keys"), i, k)
    {
        const char *key = json_string_value (k);
        uint64_t id;
        struct job *job;
        if (!key || strncmp (key, "job.", 4) != 0
            || fx_fluid_decode_type (key + 4, FX_FLUID_DOTHEX, &id, NULL) < 0
            || !(job = jobd_lookup (jd, id)) || job->state != JOB_INACTIVE)
            continue;
        job->events = -1; /* marked; removed below in one pass */
        n++;
    }
    for (size_t j = 0, w = 0; n > 0 && j <= jd->njobs; j++) {
        if (j == jd->njobs) {
            jd->njobs = w;
            break;
        }
        if (jd->jobs[j]->events == -1)
            job_destroy (jd->jobs[j]);
        else
            jd->jobs[w++] = jd->jobs[j];
    }
}

static double count_state (struct jobd *jd, int mask)
{
    double n = 0;

    for (size_t i = 0; i < jd->njobs; i++)
        if (jd->jobs[i]->state & mask)
            n++;
    return n;
}

static double m_pending (void *arg)
{
    return count_state (arg, JOB_PENDING);
}
static double m_running (void *arg)
{
    return count_state (arg, JOB_RUNNING);
}
static double m_inactive (void *arg)
{
    struct jobd *jd = arg;
    return (double) (jd->njobs - jd->nactive);
}

static int metrics_start (struct jobd *jd, struct fx_error *err)
{
    static const char *const state_label[] = {"state", NULL};
    static const char *const result_label[] = {"result", NULL};
    static const char *const event_label[] = {"event", NULL};
    json_t *port = fx_conf_get (jd->config, "metrics.jobd");
    json_t *bind = fx_conf_get (jd->config, "metrics.bind");
    char url[300];
    json_t *o;
    int rc;

    if (!(jd->metrics = fx_metrics_create ())
        || !(jd->m_jobs = fx_metrics_register (jd->metrics, FX_METRIC_GAUGE, "flux_jobs",
                                               "Jobs by state", state_label))
        || !(jd->m_submits =
                 fx_metrics_register (jd->metrics, FX_METRIC_COUNTER, "flux_job_submits_total",
                                      "Submissions by result", result_label))
        || !(jd->m_events =
                 fx_metrics_register (jd->metrics, FX_METRIC_COUNTER, "flux_job_events_total",
                                      "Job events posted", event_label)))
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    fx_metric_set_callbackl (jd->m_jobs, m_pending, jd, "pending", (const char *) NULL);
    fx_metric_set_callbackl (jd->m_jobs, m_running, jd, "running", (const char *) NULL);
    fx_metric_set_callbackl (jd->m_jobs, m_inactive, jd, "inactive", (const char *) NULL);
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(jd->httpd = fx_httpd_create (jd->loop, bind ? json_string_value (bind) : NULL,
                                       port ? json_integer_value (port) : 0, jd->metrics, err)))
        return -1;
    snprintf (url, sizeof (url), "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (jd->httpd));
    if (!(o = json_pack ("{s:s s:s}", "name", "metrics.jobd", "value", url)))
        return errprintf (err, "out of memory");
    rc = fx_rpc_call (jd->peer, "broker.setattr", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    return rc;
}

/* sign.max-ttl from the security configuration, when there is one to read. */
static int64_t sign_max_ttl (const struct jobd_args *args, struct fx_error *err)
{
    char dir[4096];
    json_t *conf, *ttl;
    int64_t v = FX_SIGN_MAX_TTL_DEFAULT;

    if (args->security_dir)
        snprintf (dir, sizeof (dir), "%s", args->security_dir);
    else
        snprintf (dir, sizeof (dir), "%s/flux/security/conf.d", FX_SYSCONFDIR);
    if (!(conf = fx_conf_load (dir, &fx_conf_schema_security, err)))
        return errno == ENOENT && !args->security_dir ? v : -1;
    if ((ttl = fx_conf_get (conf, "sign.max-ttl")))
        v = json_integer_value (ttl);
    json_decref (conf);
    return v;
}

static int fluid_start (struct jobd *jd, struct fx_error *err)
{
    uint64_t ts = jd->maxid ? fx_fluid_timestamp (jd->maxid) + 1 : 0;

    if (fx_fluid_init (&jd->gen, 0, ts) < 0)
        return errprintf (err, "cannot start the job id generator: %s", strerror (errno));
    return 0;
}

/* config.update {"config"}: keep the new configuration (the router has validated it).  What
 * jobd reads per request (access.guest-job-details) follows at once. */
static void config_update_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct jobd *jd = arg;
    json_t *in, *config;

    (void) p;
    if (!(in = fx_msg_json (ev, NULL)) || !json_is_object (config = json_object_get (in, "config")))
        return;
    json_decref (jd->config);
    jd->config = json_incref (config);
}

struct jobd *jobd_create (struct ev_loop *loop, struct jobd_args *args, struct fx_error *err)
{
    struct jobd *jd = calloc (1, sizeof (*jd));
    json_t *config = NULL;
    int64_t ttl;

    if (!jd) {
        errprintf (err, "out of memory");
        return NULL;
    }
    jd->loop = loop;
    if (!(jd->uri = strdup (args->uri ? args->uri : fx_peer_default_uri ()))
        || commands_create (jd) < 0) {
        errprintf (err, "out of memory");
        goto error;
    }
    if ((ttl = sign_max_ttl (args, err)) < 0)
        goto error;
    if (!(jd->peer = fx_peer_create (loop, args->uri, "jobd", err))) {
        args->no_router = 1;
        goto error;
    }
    if (fx_rpc_call (jd->peer, "config.get", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, &config, err) < 0)
        goto error;
    jd->config = json_incref (json_object_get (config, "value"));
    json_decref (config);
    if (!(jd->commit = commit_create (jd))
        || !(jd->signer = fx_signer_create (loop, 2, ttl, NULL))) {
        errprintf (err, "out of memory");
        goto error;
    }
    if (metrics_start (jd, err) < 0 || plugins_load (jd, err) < 0 || queue_load (jd, err) < 0
        || fx_peer_subscribe (jd->peer, "kvs.job-purged", purged_cb, jd, err) < 0
        || fx_peer_subscribe (jd->peer, "config.update", config_update_cb, jd, err) < 0
        || restart_load (jd, err) < 0 || fluid_start (jd, err) < 0)
        goto error;
    if (!(jd->handlers = fx_handler_table_join (
              (const struct fx_handler *const[]){ingest_handlers, sched_handlers, urgency_handlers,
                                                 queue_handlers, list_handlers},
              5))
        || fx_peer_service_add (jd->peer, "job-ingest", jd->handlers, jd, err) < 0
        || fx_peer_service_add (jd->peer, "job-manager", jd->handlers, jd, err) < 0
        || fx_peer_service_add (jd->peer, "job-list", jd->handlers, jd, err) < 0)
        goto error;
    return jd;
error:
    jobd_destroy (jd);
    return NULL;
}

#define SHUTDOWN_TIMEOUT 20.0 /* seconds: execd's own kill escalation fits within */

static void shutdown_done_cb (struct jobd *jd, int rc, const char *errstr, void *arg)
{
    (void) rc;
    (void) errstr;
    (void) arg;
    ev_break (jd->loop, EVBREAK_ALL);
}

static void shutdown_timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct jobd *jd = w->data;

    (void) revents;
    fx_log (jd->peer, LOG_WARNING, "stopping with %zu jobs still running", jd->nrunning);
    ev_break (loop, EVBREAK_ALL);
}

void jobd_shutdown_check (struct jobd *jd)
{
    if (!jd->shutting_down || jd->nrunning > 0 || ev_is_active (&jd->shutdown_w) == 0)
        return;
    ev_timer_stop (jd->loop, &jd->shutdown_w);
    if (commit_barrier (jd, shutdown_done_cb, NULL) < 0)
        ev_break (jd->loop, EVBREAK_ALL);
}

void jobd_shutdown (struct jobd *jd)
{
    jd->shutting_down = 1;
    ev_timer_init (&jd->shutdown_w, shutdown_timeout_cb, SHUTDOWN_TIMEOUT, 0);
    jd->shutdown_w.data = jd;
    ev_timer_start (jd->loop, &jd->shutdown_w);
    if (jd->nrunning > 0)
        fx_log (jd->peer, LOG_INFO, "stopping: ending %zu running jobs", jd->nrunning);
    for (size_t i = 0; i < jd->njobs; i++)
        if (jd->jobs[i]->state == JOB_RUN)
            job_raise (jd, jd->jobs[i], "shutdown", 0, 0, "the instance is stopping");
    jobd_shutdown_check (jd);
}

void jobd_destroy (struct jobd *jd)
{
    if (!jd)
        return;
    jd->stopping = 1;
    ev_timer_stop (jd->loop, &jd->shutdown_w);
    /* Streams first, while the peer works; then the peer, whose last answers find every
     * callback argument alive (and jd->stopping set); then the rest. */
    sched_stop (jd);
    list_free (jd);
    for (size_t i = 0; i < jd->njobs; i++)
        exec_job_done (jd, jd->jobs[i]);
    commands_destroy (jd); /* before the plugins that started them go */
    fx_signer_destroy (jd->signer);
    fx_peer_destroy (jd->peer);
    queue_free (jd);
    commit_destroy (jd->commit);
    for (size_t i = 0; i < jd->njobs; i++)
        job_destroy (jd->jobs[i]);
    free (jd->jobs);
    plugins_unload (jd);
    fx_httpd_destroy (jd->httpd);
    fx_metrics_destroy (jd->metrics);
    free (jd->handlers);
    json_decref (jd->config);
    free (jd->uri);
    free (jd);
}
