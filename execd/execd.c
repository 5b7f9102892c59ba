/* execd.c - flux-execd's context: the router connection, the exec configuration, /metrics,
 * the `execd` service, and stopping.
 *
 * A bad exec configuration stops the daemon at start with the reason; a bad one received
 * later (config.update) is logged and the old one kept.  Stopping (SIGTERM) kills every
 * running job, answers its stream with an exception and its finish, and ends the loop once
 * nothing is left, or after EXECD_STOP_MAX seconds whatever is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/execd.h"
#include "services/conf.h"
#include "services/fsd.h"
#include "services/httpd.h"

static int conf_signal (const json_t *config, const char *key, int dflt, int *sig,
                        struct fx_error *err)
{
    json_t *v = fx_conf_get (config, key);

    *sig = dflt;
    if (!v)
        return 0;
    if (!json_is_string (v) || (*sig = kill_signal_parse (json_string_value (v))) < 0)
        return errprintf (err, "%s: unknown signal", key);
    return 0;
}

int exec_conf_parse (const json_t *config, struct exec_conf *conf, struct fx_error *err)
{
    json_t *timeout = fx_conf_get (config, "exec.kill-timeout");
    json_t *count = fx_conf_get (config, "exec.max-kill-count");
    struct exec_conf c = {SIGTERM, SIGKILL, 5.0, 8};
    struct fx_error ferr = {""};

    if (conf_signal (config, "exec.term-signal", SIGTERM, &c.term_signal, err) < 0
        || conf_signal (config, "exec.kill-signal", SIGKILL, &c.kill_signal, err) < 0)
        return -1;
    if (json_is_number (timeout))
        c.kill_timeout = json_number_value (timeout);
    else if (json_is_string (timeout)
             && fx_fsd_parse (json_string_value (timeout), &c.kill_timeout, &ferr) < 0)
        return errprintf (err, "exec.kill-timeout: %s", ferr.text);
    if (c.kill_timeout <= 0 || c.kill_timeout > 86400.)
        return errprintf (err, "exec.kill-timeout: must be more than 0 and at most 1d");
    if (json_is_integer (count))
        c.max_kill_count = (int) json_integer_value (count);
    if (c.max_kill_count < 1 || c.max_kill_count > 1000)
        return errprintf (err, "exec.max-kill-count: must be 1..1000");
    *conf = c;
    return 0;
}

/* config.update {"config"}: take the new exec settings (the router has validated them). */
static void config_update_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct execd *ed = arg;
    struct fx_error err = {""};
    struct exec_conf c;
    json_t *in, *config;

    if (!(in = fx_msg_json (ev, NULL)) || !(config = json_object_get (in, "config")))
        return;
    if (exec_conf_parse (config, &c, &err) < 0) {
        fx_log (p, LOG_ERR, "configuration not applied: %s", err.text);
        return;
    }
    ed->conf = c;
    json_decref (ed->config);
    ed->config = json_incref (config);
    cron_reload (ed);
}

static double jobs_running (void *arg)
{
    struct execd *ed = arg;

    return (double) fx_strmap_count (ed->jobs);
}

static int metrics_start (struct execd *ed, struct fx_error *err)
{
    static const char *const stream_label[] = {"stream", NULL};
    json_t *port = fx_conf_get (ed->config, "metrics.execd");
    json_t *bind = fx_conf_get (ed->config, "metrics.bind");
    char url[300];
    json_t *o;
    int rc;

    if (!(ed->metrics = fx_metrics_create ())
        || !(ed->m_running =
                 fx_metrics_register (ed->metrics, FX_METRIC_GAUGE, "flux_execd_jobs_running",
                                      "Jobs running on this rank", NULL))
        || !(ed->m_tasks = fx_metrics_register (ed->metrics, FX_METRIC_COUNTER,
                                                "flux_execd_tasks_started_total",
                                                "Tasks started on this rank", NULL))
        || !(ed->m_bytes = fx_metrics_register (ed->metrics, FX_METRIC_COUNTER,
                                                "flux_execd_output_bytes_total",
                                                "Bytes of task output read", stream_label))
        || fx_metric_set_callback (ed->m_running, jobs_running, ed) < 0)
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    fx_metric_add (ed->m_bytes, 0, "stdout");
    fx_metric_add (ed->m_bytes, 0, "stderr");
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(ed->httpd =
              fx_httpd_create (ed->loop, bind ? json_string_value (bind) : NULL,
                               port ? (int) json_integer_value (port) : 0, ed->metrics, err)))
        return -1;
    if (ed->rank != 0)
        return 0; /* attributes are per router: rank 0's is the one people look for */
    snprintf (url, sizeof (url), "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (ed->httpd));
    if (!(o = json_pack ("{s:s s:s}", "name", "metrics.execd", "value", url)))
        return errprintf (err, "out of memory");
    rc = fx_rpc_call (ed->peer, "broker.setattr", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    return rc;
}

static int config_load (struct execd *ed, struct fx_error *err)
{
    json_t *out = NULL;

    if (fx_rpc_call (ed->peer, "config.get", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, &out, err) < 0)
        return -1;
    ed->config = json_incref (json_object_get (out, "value"));
    json_decref (out);
    if (!ed->config && !(ed->config = json_object ()))
        return errprintf (err, "out of memory");
    return exec_conf_parse (ed->config, &ed->conf, err);
}

/* What every task needs whatever the job: /dev/null for stdin, a read buffer, the signal
 * mask tasks start with. */
static int spawn_init (struct execd *ed, struct fx_error *err)
{
    if ((ed->devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return errprintf (err, "/dev/null: %s", strerror (errno));
    if (!(ed->buf = malloc (EXECD_CHUNK_MAX + 4)) || !(ed->jobs = fx_strmap_create ())
        || !(ed->results_map = fx_strmap_create ())
        || !(ed->results = calloc (EXECD_RESULTS_MAX, sizeof (*ed->results))))
        return errprintf (err, "out of memory");
    sigprocmask (SIG_SETMASK, NULL, &ed->sigmask);
    return 0;
}

struct execd *execd_create (struct ev_loop *loop, struct execd_args *args, struct fx_error *err)
{
    struct execd *ed = calloc (1, sizeof (*ed));

    if (!ed) {
        errprintf (err, "out of memory");
        return NULL;
    }
    ed->loop = loop;
    ed->uri = args->uri;
    ed->devnull = -1;
    if (!(ed->peer = fx_peer_create (loop, args->uri, "execd", err))) {
        args->no_router = 1;
        goto error;
    }
    ed->rank = fx_peer_rank (ed->peer);
    ed->size = fx_peer_size (ed->peer);
    if (config_load (ed, err) < 0 || spawn_init (ed, err) < 0 || metrics_start (ed, err) < 0)
        goto error;
    if (output_init (ed) < 0) {
        errprintf (err, "out of memory");
        goto error;
    }
    if (fx_peer_subscribe (ed->peer, "router.disconnect", job_disconnect, ed, err) < 0
        || fx_peer_subscribe (ed->peer, "config.update", config_update_cb, ed, err) < 0
        || !(ed->handlers = fx_handler_table_join (
                 (const struct fx_handler *const[]){job_handlers, run_handlers}, 2))
        || fx_peer_service_add (ed->peer, "execd", ed->handlers, ed, err) < 0
        || cron_create (ed, err) < 0)
        goto error;
    return ed;
error:
    execd_destroy (ed);
    return NULL;
}

void execd_destroy (struct execd *ed)
{
    if (!ed)
        return;
    ev_timer_stop (ed->loop, &ed->stop_timer);
    output_destroy (ed); /* no commit callback may see a freed job */
    job_destroy_all (ed);
    cron_destroy (ed);
    run_destroy_all (ed);
    fx_httpd_destroy (ed->httpd);
    fx_metrics_destroy (ed->metrics);
    fx_peer_destroy (ed->peer);
    fx_strmap_destroy (ed->jobs);
    fx_strmap_destroy (ed->results_map);
    free (ed->results);
    free (ed->buf);
    if (ed->devnull >= 0)
        close (ed->devnull);
    json_decref (ed->config);
    free (ed->handlers);
    free (ed);
}

void execd_check_stopped (struct execd *ed)
{
    if (ed->stopping && !ed->job_list && ed->out.inflight == 0)
        ev_break (ed->loop, EVBREAK_ALL);
}

/* The stop timer: first the grace period is over (kill what is left), then the end. */
static void stop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct execd *ed = w->data;

    (void) revents;
    if (ev_now (loop) - ed->stop_started < EXECD_STOP_MAX - 0.01) {
        for (struct job *job = ed->job_list, *next; job; job = next) {
            next = job->next;
            kill_send (job, SIGKILL);
        }
        ev_timer_set (w, EXECD_STOP_MAX - EXECD_STOP_GRACE, 0.);
        ev_timer_start (loop, w);
        return;
    }
    fx_log (ed->peer, LOG_ERR, "stopping with %zu jobs not finished", fx_strmap_count (ed->jobs));
    ev_break (loop, EVBREAK_ALL);
}

void execd_stop (struct execd *ed)
{
    if (ed->stopping++) {
        ev_break (ed->loop, EVBREAK_ALL); /* a second signal: leave now */
        return;
    }
    ed->stop_started = ev_now (ed->loop);
    for (struct job *job = ed->job_list, *next; job; job = next) {
        next = job->next;
        job_exception (job, 0, "exec", "flux-execd on rank %u stopped", ed->rank);
        kill_send (job, ed->conf.term_signal); /* may free the job */
    }
    ev_timer_init (&ed->stop_timer, stop_timer_cb, EXECD_STOP_GRACE, 0.);
    ed->stop_timer.data = ed;
    ev_timer_start (ed->loop, &ed->stop_timer);
    execd_check_stopped (ed);
}
