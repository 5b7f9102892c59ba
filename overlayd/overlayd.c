/* overlayd.c - overlayd's context: create, configure, log, destroy.
 *
 * Ties together the router (router.c), the built-in services (services.c), the log ring
 * buffer (logbuf.c), the MUNGE verification worker and the /metrics endpoint.  The
 * configuration is validated completely before it replaces the old one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overlayd/overlay.h"
#include "overlayd/overlayd.h"
#include "services/conf.h"
#include "services/confschema.h"
#include "services/fsd.h"
#include "services/log.h"
#include "services/peer.h"

#define LOGBUF_ENTRIES 10000
#define DEFAULT_LEASE 30.0

void overlayd_log (struct overlayd *od, int level, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    if (level <= FX_LOG_STDERR_MAX)
        fx_log_stderr ("overlayd", level, od->rank, text);
    if (od->logbuf)
        logbuf_append (od, fx_log_now (), "overlayd", level, od->rank, text);
}

static int conf_bool (const json_t *config, const char *key)
{
    json_t *v = fx_conf_get (config, key);
    return v && json_is_true (v);
}

/* Check config completely, then make it the active one.  config is borrowed. */
int overlayd_config_apply (struct overlayd *od, json_t *config, struct fx_error *err)
{
    double lease = DEFAULT_LEASE;
    json_t *v;

    if ((v = fx_conf_get (config, "router.lease"))) {
        if (json_is_number (v))
            lease = json_number_value (v);
        else if (fx_fsd_parse (json_string_value (v), &lease, err) < 0)
            return -1;
        if (lease < 0.1 || lease > 86400)
            return errprintf (err, "router.lease must be between 0.1s and 1d");
    }
    json_decref (od->config);
    od->config = json_incref (config);
    router_set_lease (od, lease);
    od->allow_guest_user = conf_bool (config, "access.allow-guest-user");
    od->allow_root_owner = conf_bool (config, "access.allow-root-owner");
    return 0;
}

static int set_attr (struct overlayd *od, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int set_attr (struct overlayd *od, const char *name, const char *fmt, ...)
{
    char value[1024];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (value, sizeof (value), fmt, ap);
    va_end (ap);
    return json_object_set_new (od->attrs, name, json_string (value));
}

static int metrics_start (struct overlayd *od, struct fx_error *err)
{
    static const char *const type_label[] = {"type", NULL};
    static const char *const reason_label[] = {"reason", NULL};
    static const char *const direction_label[] = {"direction", NULL};
    const struct {
        struct fx_metric **m;
        enum fx_metric_type type;
        const char *name;
        const char *help;
        const char *const *labels;
    } table[] = {
        {&od->m_msgs_in, FX_METRIC_COUNTER, "flux_router_messages_received_total",
         "Messages received by the router", type_label},
        {&od->m_msgs_out, FX_METRIC_COUNTER, "flux_router_messages_sent_total",
         "Messages sent by the router", type_label},
        {&od->m_auth_fail, FX_METRIC_COUNTER, "flux_router_auth_failures_total",
         "Refused hellos and unauthenticated messages", reason_label},
        {&od->m_malformed, FX_METRIC_COUNTER, "flux_router_malformed_messages_total",
         "Messages that failed to decode", NULL},
        {&od->m_dropped, FX_METRIC_COUNTER, "flux_router_connections_dropped_total",
         "Connections dropped by the router", reason_label},
        {&od->m_conns, FX_METRIC_GAUGE, "flux_router_connections", "Authenticated connections",
         NULL},
        {&od->m_link_bytes, FX_METRIC_COUNTER, "flux_overlay_bytes_total",
         "Bytes on overlay links", direction_label},
        {&od->m_link_msgs, FX_METRIC_COUNTER, "flux_overlay_frames_total",
         "Frames on overlay links", direction_label},
    };
    json_t *port = fx_conf_get (od->config, "metrics.overlayd");
    json_t *bind = fx_conf_get (od->config, "metrics.bind");

    if (!(od->metrics = fx_metrics_create ()))
        return errprintf (err, "out of memory");
    for (size_t i = 0; i < sizeof (table) / sizeof (table[0]); i++) {
        *table[i].m = fx_metrics_register (od->metrics, table[i].type, table[i].name,
                                           table[i].help, table[i].labels);
        if (!*table[i].m)
            return errprintf (err, "cannot register %s: %s", table[i].name, strerror (errno));
    }
    if (fx_metric_set_callback (od->m_conns, router_conn_count, od) < 0)
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(od->httpd = fx_httpd_create (od->loop, bind ? json_string_value (bind) : NULL,
                                       port ? json_integer_value (port) : 0, od->metrics, err)))
        return -1;
    set_attr (od, "metrics.overlayd", "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (od->httpd));
    return 0;
}

static int attrs_init (struct overlayd *od)
{
    if (!(od->attrs = json_object ()))
        return -1;
    set_attr (od, "rank", "%u", od->rank);
    set_attr (od, "size", "%u", od->size);
    set_attr (od, "hostname", "%s", od->hostname);
    set_attr (od, "local-uri", "%s", od->uri);
    set_attr (od, "security.owner", "%u", (unsigned) od->owner);
    set_attr (od, "broker.starttime", "%.6f", od->starttime);
    set_attr (od, "version", "%s", FX_VERSION);
    if (od->config_dir)
        set_attr (od, "config.path", "%s", od->config_dir);
    return 0;
}

struct overlayd *overlayd_create (struct ev_loop *loop, const struct overlayd_args *args,
                                  struct fx_error *err)
{
    struct overlayd *od;
    json_t *config;

    if (!(od = calloc (1, sizeof (*od)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    od->sock = -1;
    od->loop = loop;
    od->rank = args->rank;
    od->size = args->size;
    od->owner = getuid ();
    fx_pidns (od->pidns, sizeof (od->pidns));
    od->starttime = fx_log_now ();
    od->lease = DEFAULT_LEASE;
    if (args->hostname)
        snprintf (od->hostname, sizeof (od->hostname), "%s", args->hostname);
    else if (gethostname (od->hostname, sizeof (od->hostname) - 1) < 0)
        snprintf (od->hostname, sizeof (od->hostname), "localhost");
    if (!(od->uri = strdup (args->uri))
        || (args->config_dir && !(od->config_dir = strdup (args->config_dir)))
        || !(od->conns_by_pipe = fx_u32map_create ()) || !(od->conns_by_id = fx_u32map_create ())
        || !(od->services = json_object ()) || !(od->logbuf = logbuf_create (LOGBUF_ENTRIES))) {
        errprintf (err, "out of memory");
        goto error;
    }
    config = od->config_dir ? fx_conf_load (od->config_dir, &fx_conf_schema_system, err)
                            : json_object ();
    if (!config || overlayd_config_apply (od, config, err) < 0) {
        json_decref (config);
        goto error;
    }
    json_decref (config);
    /* The bootstrap configuration may decide this rank and the instance's size. */
    if (!(od->overlay = overlay_create (od, args, err)) || attrs_init (od) < 0)
        goto error;
    if (!(od->auth = fx_auth_worker_create (loop, args->munge_socket))) {
        errprintf (err, "cannot start the authentication worker: %s", strerror (errno));
        goto error;
    }
    if (metrics_start (od, err) < 0 || router_start (od, err) < 0 || overlay_start (od, err) < 0)
        goto error;
    return od;
error:
    overlayd_destroy (od);
    return NULL;
}

void overlayd_destroy (struct overlayd *od)
{
    int saved_errno = errno;

    if (!od)
        return;
    overlay_stop (od);
    router_stop (od);
    fx_httpd_destroy (od->httpd);
    fx_metrics_destroy (od->metrics);
    fx_auth_worker_destroy (od->auth);
    logbuf_destroy (od->logbuf);
    json_decref (od->services);
    fx_u32map_destroy (od->conns_by_id);
    fx_u32map_destroy (od->conns_by_pipe);
    json_decref (od->attrs);
    json_decref (od->config);
    free (od->config_dir);
    free (od->uri);
    free (od);
    errno = saved_errno;
}
