/* schedd.c - flux-schedd's context: the router connection, the configuration, /metrics,
 * the `sched` service and the watcher that runs one scheduling pass per loop iteration.
 *
 * Start-up order: connect, read the configuration, acquire resources (resources.c: the
 * pool must be filled before anyone asks whether a job is feasible), register `sched`,
 * then say hello to jobd in the background (jobd.c).  A configuration that cannot be read
 * stops the daemon at start (exit 1), so does a rank other than 0 (exit 42: do not restart)
 * and a router or resourced that does not answer (exit 75: start again later); once
 * serving, nothing a client sends stops it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "schedd/schedd.h"
#include "services/conf.h"
#include "services/httpd.h"

double schedd_now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Before the loop sleeps: one pass over the queue if anything changed since the last. */
static void pass_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct schedd *sd = w->data;

    (void) loop;
    (void) revents;
    if (sched_is_dirty (sd->sched))
        sched_pass (sd->sched, schedd_now ());
}

static int backfill_depth (const json_t *config)
{
    json_t *v = fx_conf_get (config, "sched.backfill-depth");

    if (!v || !json_is_integer (v))
        return BACKFILL_DEPTH;
    return json_integer_value (v) > 1000000 ? 1000000 : (int) json_integer_value (v);
}

/* config.update {"config"}: a reload already validated by the router; take what is ours. */
static void config_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct schedd *sd = arg;
    json_t *in = fx_msg_json (ev, NULL), *config;
    int old, depth;

    if (!in || !(config = json_object_get (in, "config")) || !json_is_object (config))
        return;
    old = backfill_depth (sd->config);
    depth = backfill_depth (config);
    json_decref (sd->config);
    sd->config = json_incref (config);
    sched_set_backfill_depth (sd->sched, depth);
    sched_dirty (sd->sched);
    if (depth != old) /* a reload that changes nothing here says nothing */
        fx_log (p, LOG_INFO, "backfill depth %d", depth);
}

static double jobs_pending (void *arg)
{
    struct sched_stats st;

    sched_stats (arg, &st);
    return (double) st.pending;
}

static double jobs_running (void *arg)
{
    struct sched_stats st;

    sched_stats (arg, &st);
    return (double) st.running;
}

static double cores_state (void *arg, int which)
{
    long t[3];

    pool_core_totals (arg, &t[0], &t[1], &t[2]);
    return (double) t[which];
}

static double cores_free (void *arg)
{
    return cores_state (arg, 0);
}

static double cores_allocated (void *arg)
{
    return cores_state (arg, 1);
}

static double cores_down (void *arg)
{
    return cores_state (arg, 2);
}

static int metrics_register (struct schedd *sd, struct fx_error *err)
{
    static const char *const state_label[] = {"state", NULL};

    if (!(sd->metrics = fx_metrics_create ())
        || !(sd->m_jobs = fx_metrics_register (sd->metrics, FX_METRIC_GAUGE, "flux_sched_jobs",
                                               "Jobs known to the scheduler", state_label))
        || !(sd->m_alloc = fx_metrics_register (sd->metrics, FX_METRIC_COUNTER,
                                                "flux_sched_alloc_total", "Allocations made", NULL))
        || !(sd->m_cores = fx_metrics_register (sd->metrics, FX_METRIC_GAUGE, "flux_sched_cores",
                                                "Cores by state", state_label))
        || fx_metric_set_callback (sd->m_jobs, jobs_pending, sd->sched, "pending") < 0
        || fx_metric_set_callback (sd->m_jobs, jobs_running, sd->sched, "running") < 0
        || fx_metric_set_callback (sd->m_cores, cores_free, sd->pool, "free") < 0
        || fx_metric_set_callback (sd->m_cores, cores_allocated, sd->pool, "allocated") < 0
        || fx_metric_set_callback (sd->m_cores, cores_down, sd->pool, "down") < 0)
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    return 0;
}

static int metrics_start (struct schedd *sd, struct fx_error *err)
{
    json_t *port = fx_conf_get (sd->config, "metrics.schedd");
    json_t *bind = fx_conf_get (sd->config, "metrics.bind");
    char url[300];
    json_t *o;
    int rc;

    if (metrics_register (sd, err) < 0)
        return -1;
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(sd->httpd = fx_httpd_create (sd->loop, bind ? json_string_value (bind) : NULL,
                                       port ? json_integer_value (port) : 0, sd->metrics, err)))
        return -1;
    snprintf (url, sizeof (url), "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (sd->httpd));
    if (!(o = json_pack ("{s:s s:s}", "name", "metrics.schedd", "value", url)))
        return errprintf (err, "out of memory");
    rc = fx_rpc_call (sd->peer, "broker.setattr", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    return rc;
}

static int config_start (struct schedd *sd, struct fx_error *err)
{
    json_t *out = NULL;

    if (fx_rpc_call (sd->peer, "config.get", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, &out, err) < 0)
        return -1;
    sd->config = json_incref (json_object_get (out, "value"));
    json_decref (out);
    if (!sd->config && !(sd->config = json_object ()))
        return errprintf (err, "out of memory");
    return 0;
}

struct schedd *schedd_create (struct ev_loop *loop, struct schedd_args *args, struct fx_error *err)
{
    struct schedd *sd = calloc (1, sizeof (*sd));

    if (!sd) {
        errprintf (err, "out of memory");
        return NULL;
    }
    sd->loop = loop;
    sd->rank = args->rank;
    sd->size = args->size;
    ev_prepare_init (&sd->pass_w, pass_cb);
    sd->pass_w.data = sd;
    sd->exit_code = 75;
    if (!(sd->peer = fx_peer_create (loop, args->uri, "schedd", err)))
        goto error;
    sd->exit_code = 42;
    if (fx_peer_rank (sd->peer) != 0) {
        errprintf (err, "runs on rank 0 only (this is rank %u)", fx_peer_rank (sd->peer));
        goto error;
    }
    sd->exit_code = 1;
    if (config_start (sd, err) < 0)
        goto error;
    if (!(sd->pool = pool_create (fx_peer_size (sd->peer)))
        || !(sd->sched = sched_create (sd->pool, &service_ops, sd))) {
        errprintf (err, "out of memory");
        goto error;
    }
    sched_set_backfill_depth (sd->sched, backfill_depth (sd->config));
    if (metrics_start (sd, err) < 0)
        goto error;
    sd->exit_code = 75;
    if (resources_start (sd, err) < 0)
        goto error;
    sd->exit_code = 1;
    if (fx_peer_subscribe (sd->peer, "router.disconnect", jobd_disconnect_cb, sd, err) < 0
        || fx_peer_subscribe (sd->peer, "config.update", config_cb, sd, err) < 0
        || fx_peer_service_add (sd->peer, "sched", service_handlers, sd, err) < 0)
        goto error;
    ev_prepare_start (loop, &sd->pass_w);
    jobd_start (sd);
    return sd;
error:
    args->exit_code = sd->exit_code;
    schedd_destroy (sd);
    return NULL;
}

void schedd_destroy (struct schedd *sd)
{
    if (!sd)
        return;
    ev_prepare_stop (sd->loop, &sd->pass_w);
    jobd_stop (sd);
    resources_stop (sd);
    if (sd->sched)
        sched_foreach (sd->sched, service_drop_job, sd);
    fx_httpd_destroy (sd->httpd);
    fx_metrics_destroy (sd->metrics);
    fx_peer_destroy (sd->peer);
    sched_destroy (sd->sched);
    pool_destroy (sd->pool);
    json_decref (sd->config);
    free (sd);
}
