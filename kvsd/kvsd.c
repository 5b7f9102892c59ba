/* kvsd.c - flux-kvsd's context: the router connection, the service table, configuration,
 * metrics and the database connection's state changes.
 *
 * kvsd reads its configuration from the router (config.get) and follows config.update:
 * the purge limits, and kvs.dsn (moving the store to another database without stopping
 * anything: the connection is closed, pending requests fail with EAGAIN, and the new
 * database is used from then on).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "kvsd/kvsd.h"
#include "services/conf.h"
#include "services/fsd.h"
#include "services/httpd.h"
#include "services/notify.h"

void kvsd_respond_error (struct kvsd *kd, const struct fx_msg *req, int errnum, const char *fmt,
                         ...)
{
    char text[FX_ERROR_LEN];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    fx_respond_error (kd->peer, req, errnum, "%s", text);
}

/* A duration key in seconds, or -1 when unset. */
static int conf_duration (const json_t *config, const char *key, double *out, struct fx_error *err)
{
    json_t *v = fx_conf_get (config, key);

    *out = -1;
    if (!v)
        return 0;
    if (json_is_number (v)) {
        *out = json_number_value (v);
        return 0;
    }
    if (fx_fsd_parse (json_string_value (v), out, err) < 0)
        return errprintf (err, "%s: %s", key, err->text);
    return 0;
}

/* Take the values kvsd uses from config; nothing changes when one is bad. */
static int config_apply (struct kvsd *kd, json_t *config, struct fx_error *err)
{
    json_t *num = fx_conf_get (config, "kvs.purge-num-limit");
    json_t *jdsn = fx_conf_get (config, "kvs.dsn");
    const char *dsn = kd->dsn_override ? kd->dsn_override : json_string_value (jdsn);
    double age;

    if (conf_duration (config, "kvs.purge-age-limit", &age, err) < 0)
        return -1;
    if (!dsn)
        return errprintf (err, "no database: set kvs.dsn (a libpq connection string)");
    if (kd->db && !kd->dsn_override && jdsn) {
        json_t *old = fx_conf_get (kd->config, "kvs.dsn");
        if (!old || strcmp (json_string_value (old), dsn) != 0) {
            fx_log (kd->peer, LOG_INFO, "kvs.dsn changed: connecting to the new database");
            db_set_dsn (kd->db, dsn);
        }
    }
    kd->purge_age = age;
    kd->purge_num = num ? json_integer_value (num) : -1;
    if (kd->purge_num > INT32_MAX)
        kd->purge_num = INT32_MAX;
    json_decref (kd->config);
    kd->config = json_incref (config);
    return 0;
}

static void config_update_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_t *in, *config;

    if (!(in = fx_msg_json (ev, NULL)) || !(config = json_object_get (in, "config")))
        return;
    if (config_apply (kd, config, &err) < 0)
        fx_log (p, LOG_ERR, "new configuration ignored: %s", err.text);
    else
        admin_purge_now (kd);
}

static void db_state_cb (struct kvsd *kd, int ready)
{
    struct db_error err = {EAGAIN, ""};

    fx_metric_set (kd->m_connected, ready);
    if (!ready) {
        snprintf (err.text, sizeof (err.text), "%s", db_unavailable (kd->db));
        store_fail_queued (kd, &err);
        return;
    }
    ns_load (kd);
    watch_reload_all (kd);
    if (!kd->notified) {
        fx_log (kd->peer, LOG_INFO, "serving the store (schema level %d)", schema_version ());
        fx_notify_ready ();
        kd->notified = 1;
        admin_purge_now (kd);
    }
}

static double queue_depth (void *arg)
{
    struct kvsd *kd = arg;

    return kd->db ? db_pending (kd->db) + kd->nqueued : 0;
}

static int metrics_start (struct kvsd *kd, struct fx_error *err)
{
    static const char *const result_label[] = {"result", NULL};
    static const char *const reason_label[] = {"reason", NULL};
    const struct {
        struct fx_metric **m;
        enum fx_metric_type type;
        const char *name;
        const char *help;
        const char *const *labels;
    } table[] = {
        {&kd->m_commits, FX_METRIC_COUNTER, "flux_kvs_commits_total",
         "Client transactions answered", result_label},
        {&kd->m_batches, FX_METRIC_COUNTER, "flux_kvs_db_transactions_total",
         "Database transactions carrying commits", NULL},
        {&kd->m_write_errors, FX_METRIC_COUNTER, "flux_kvs_write_errors_total",
         "Database transactions that failed to write", reason_label},
        {&kd->m_connected, FX_METRIC_GAUGE, "flux_kvs_db_connected",
         "1 when the database connection is ready", NULL},
        {&kd->m_writable, FX_METRIC_GAUGE, "flux_kvs_writable",
         "0 after a failed write until a write succeeds", NULL},
        {&kd->m_watches, FX_METRIC_GAUGE, "flux_kvs_watches", "Active watches", NULL},
        {&kd->m_queue, FX_METRIC_GAUGE, "flux_kvs_db_queue",
         "Queries in flight plus commits waiting", NULL},
        {&kd->m_reconnects, FX_METRIC_COUNTER, "flux_kvs_db_reconnects_total",
         "Attempts to reconnect to the database", NULL},
        {&kd->m_namespaces, FX_METRIC_GAUGE, "flux_kvs_namespaces", "Namespaces", NULL},
    };
    json_t *port = fx_conf_get (kd->config, "metrics.kvsd");
    json_t *bind = fx_conf_get (kd->config, "metrics.bind");
    char url[300];
    json_t *o;
    int rc;

    if (!(kd->metrics = fx_metrics_create ()))
        return errprintf (err, "out of memory");
    for (size_t i = 0; i < sizeof (table) / sizeof (table[0]); i++) {
        if (!(*table[i].m = fx_metrics_register (kd->metrics, table[i].type, table[i].name,
                                                 table[i].help, table[i].labels)))
            return errprintf (err, "cannot register %s: %s", table[i].name, strerror (errno));
    }
    fx_metric_set (kd->m_writable, 1);
    fx_metric_set_callback (kd->m_queue, queue_depth, kd);
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(kd->httpd = fx_httpd_create (kd->loop, bind ? json_string_value (bind) : NULL,
                                       port ? json_integer_value (port) : 0, kd->metrics, err)))
        return -1;
    snprintf (url, sizeof (url), "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (kd->httpd));
    if (!(o = json_pack ("{s:s s:s}", "name", "metrics.kvsd", "value", url)))
        return errprintf (err, "out of memory");
    rc = fx_rpc_call (kd->peer, "broker.setattr", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    return rc;
}

struct kvsd *kvsd_create (struct ev_loop *loop, const struct kvsd_args *args, struct fx_error *err)
{
    struct kvsd *kd = calloc (1, sizeof (*kd));
    json_t *config = NULL;
    const char *dsn;

    if (!kd) {
        errprintf (err, "out of memory");
        return NULL;
    }
    kd->loop = loop;
    kd->owner = getuid ();
    kd->writable = 1;
    kd->queued_tail = &kd->queued;
    if (args->dsn && !(kd->dsn_override = strdup (args->dsn))) {
        errprintf (err, "out of memory");
        goto error;
    }
    if (!(kd->peer = fx_peer_create (loop, args->uri, "kvsd", err)))
        goto error;
    if (fx_rpc_call (kd->peer, "config.get", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, &config, err) < 0)
        goto error;
    if (config_apply (kd, json_object_get (config, "value"), err) < 0)
        goto error;
    json_decref (config);
    config = NULL;
    if (metrics_start (kd, err) < 0 || ns_init (kd) < 0)
        goto error;
    if (!(kd->handlers = fx_handler_table_join (
              (const struct fx_handler *const[]){store_handlers, watch_handlers, admin_handlers},
              3))
        || fx_peer_service_add (kd->peer, "kvs", kd->handlers, kd, err) < 0
        || fx_peer_subscribe (kd->peer, "router.disconnect", watch_disconnect, kd, err) < 0
        || fx_peer_subscribe (kd->peer, "config.update", config_update_cb, kd, err) < 0)
        goto error;
    dsn = args->dsn ? args->dsn : json_string_value (fx_conf_get (kd->config, "kvs.dsn"));
    if (!(kd->db = db_create (kd, dsn, db_state_cb))) {
        errprintf (err, "out of memory");
        goto error;
    }
    admin_purge_start (kd);
    return kd;
error:
    json_decref (config);
    kvsd_destroy (kd);
    return NULL;
}

void kvsd_destroy (struct kvsd *kd)
{
    struct db_error err = {ENOSYS, "kvs: shutting down"};

    if (!kd)
        return;
    ev_timer_stop (kd->loop, &kd->purge_timer);
    store_fail_queued (kd, &err);
    watch_destroy_all (kd);
    db_destroy (kd->db);
    ns_destroy_all (kd);
    fx_httpd_destroy (kd->httpd);
    fx_metrics_destroy (kd->metrics);
    fx_peer_destroy (kd->peer);
    free (kd->handlers);
    free (kd->dsn_override);
    json_decref (kd->config);
    free (kd);
}
