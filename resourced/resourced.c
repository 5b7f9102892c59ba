/* resourced.c - flux-resourced's context: the router connection, the configuration, every
 * rank's host name, this node's cores and GPUs, /metrics and the `resource` service.
 *
 * Every rank runs one (node.c); rank 0's is also the authority over the inventory and its
 * states (inventory.c, drain.c).  A bad configuration (an R file that does not parse, an
 * exclusion naming unknown hosts) stops the daemon at start with the file and the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "resourced/resourced.h"
#include "services/conf.h"
#include "services/httpd.h"
#include "services/rlocal.h"

const char *rank_name (struct resourced *rd, unsigned int rank, char *buf, size_t len)
{
    const char *host = rank < rd->size ? fx_hostlist_nth (rd->hosts, (int) rank) : NULL;

    snprintf (buf, len, "rank %u (%s)", rank, host ? host : "?");
    return buf;
}

struct fx_idset *targets_decode (struct resourced *rd, const char *targets, struct fx_error *err)
{
    struct fx_error ierr = {""};
    struct fx_idset *ids;
    struct fx_hostlist *hl;
    const char *host;

    if (!*targets) {
        errprintf (err, "no targets given");
        return NULL;
    }
    if ((ids = fx_idset_decode (targets, &ierr))) {
        unsigned int last = fx_idset_last (ids);
        if (last != FX_IDSET_INVALID_ID && last >= rd->size) {
            errprintf (err, "rank %u is not in this instance (size %u)", last, rd->size);
            fx_idset_destroy (ids);
            return NULL;
        }
        return ids;
    }
    if (!(hl = fx_hostlist_decode (targets, err)))
        return NULL;
    if (!(ids = fx_idset_create ())) {
        fx_hostlist_destroy (hl);
        errprintf (err, "out of memory");
        return NULL;
    }
    for (int i = 0; (host = fx_hostlist_nth (hl, i)); i++) {
        int rank = fx_hostlist_find (rd->hosts, host);
        if (rank < 0) {
            errprintf (err, "unknown host %s", host);
            fx_idset_destroy (ids);
            ids = NULL;
            break;
        }
        fx_idset_set (ids, (unsigned int) rank);
    }
    fx_hostlist_destroy (hl);
    return ids;
}

/* Every rank's host: --hosts (a test instance), else bootstrap.hosts, else this host for a
 * one-rank instance. */
static int hosts_init (struct resourced *rd, const struct resourced_args *args,
                       struct fx_error *err)
{
    json_t *entries = fx_conf_get (rd->config, "bootstrap.hosts"), *e;
    size_t i;

    if (args->hosts)
        rd->hosts = fx_hostlist_decode (args->hosts, err);
    else if ((rd->hosts = fx_hostlist_create ()) && entries) {
        json_array_foreach (entries, i, e)
        {
            const char *h = json_string_value (json_object_get (e, "host"));
            if (h && fx_hostlist_append (rd->hosts, h, err) < 0)
                return -1;
        }
    } else if (rd->hosts)
        fx_hostlist_append (rd->hosts, rd->hostname, NULL);
    if (!rd->hosts)
        return -1;
    if (fx_hostlist_count (rd->hosts) < (int) rd->size)
        return errprintf (err, "%d hosts for %u ranks", fx_hostlist_count (rd->hosts), rd->size);
    if (fx_hostlist_count (rd->hosts) > (int) rd->size) {
        /* A test instance may name more hosts than it runs ranks: keep the first size. */
        struct fx_hostlist *first = fx_hostlist_create ();
        for (uint32_t r = 0; first && r < rd->size; r++)
            fx_hostlist_append (first, fx_hostlist_nth (rd->hosts, (int) r), NULL);
        fx_hostlist_destroy (rd->hosts);
        if (!(rd->hosts = first))
            return errprintf (err, "out of memory");
    }
    return 0;
}

static double nodes_online (void *arg)
{
    struct resourced *rd = arg;

    return rd->online ? (double) fx_idset_count (rd->online) : 0;
}

static int metrics_start (struct resourced *rd, struct fx_error *err)
{
    static const char *const state_label[] = {"state", NULL};
    json_t *port = fx_conf_get (rd->config, "metrics.resourced");
    json_t *bind = fx_conf_get (rd->config, "metrics.bind");
    char name[64], url[300];
    json_t *o;
    int rc;

    if (!(rd->metrics = fx_metrics_create ())
        || !(rd->m_nodes = fx_metrics_register (rd->metrics, FX_METRIC_GAUGE, "flux_resource_nodes",
                                                "Nodes by state (rank 0)", state_label)))
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    if (rd->rank == 0)
        fx_metric_set_callback (rd->m_nodes, nodes_online, rd, "online");
    if (port && json_integer_value (port) < 0)
        return 0;
    if (!(rd->httpd = fx_httpd_create (rd->loop, bind ? json_string_value (bind) : NULL,
                                       port ? json_integer_value (port) : 0, rd->metrics, err)))
        return -1;
    snprintf (name, sizeof (name), "metrics.resourced");
    snprintf (url, sizeof (url), "http://%s:%d/metrics",
              bind ? json_string_value (bind) : "127.0.0.1", fx_httpd_port (rd->httpd));
    if (rd->rank != 0)
        return 0; /* attributes are per router: rank 0's is the one people look for */
    if (!(o = json_pack ("{s:s s:s}", "name", name, "value", url)))
        return errprintf (err, "out of memory");
    rc = fx_rpc_call (rd->peer, "broker.setattr", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    return rc;
}

struct resourced *resourced_create (struct ev_loop *loop, struct resourced_args *args,
                                    struct fx_error *err)
{
    struct resourced *rd = calloc (1, sizeof (*rd));
    json_t *config = NULL;

    if (!rd) {
        errprintf (err, "out of memory");
        return NULL;
    }
    rd->loop = loop;
    rd->rank = args->rank;
    rd->size = args->size;
    if (args->hostname)
        snprintf (rd->hostname, sizeof (rd->hostname), "%s", args->hostname);
    else if (gethostname (rd->hostname, sizeof (rd->hostname) - 1) < 0)
        snprintf (rd->hostname, sizeof (rd->hostname), "localhost");
    if (!(rd->peer = fx_peer_create (loop, args->uri, "resourced", err))) {
        rd->no_router = 1;
        goto error;
    }
    if (fx_rpc_call (rd->peer, "config.get", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, &config, err) < 0)
        goto error;
    rd->config = json_incref (json_object_get (config, "value"));
    json_decref (config);
    if (hosts_init (rd, args, err) < 0 || !(rd->cores = fx_local_cores (err))
        || !(rd->gpus = fx_local_gpus (err)) || metrics_start (rd, err) < 0)
        goto error;
    if (rd->rank == 0
        && (inventory_start (rd, err) < 0 || drain_replay (rd, err) < 0
            || acquire_start (rd, err) < 0))
        goto error;
    /* acquire_handlers first: its resource.cancel also covers node.c's streams. */
    if (!(rd->handlers = fx_handler_table_join (
              (const struct fx_handler *const[]){acquire_handlers, node_handlers,
                                                 inventory_handlers, drain_handlers},
              4))
        || fx_peer_service_add (rd->peer, "resource", rd->handlers, rd, err) < 0)
        goto error;
    node_start (rd);
    return rd;
error:
    args->no_router = rd->no_router;
    resourced_destroy (rd);
    return NULL;
}

void resourced_destroy (struct resourced *rd)
{
    if (!rd)
        return;
    node_stop (rd);
    acquire_stop (rd);
    inventory_stop (rd);
    drain_free (rd);
    fx_httpd_destroy (rd->httpd);
    fx_metrics_destroy (rd->metrics);
    fx_peer_destroy (rd->peer);
    free (rd->handlers);
    fx_idset_destroy (rd->cores);
    fx_idset_destroy (rd->gpus);
    fx_hostlist_destroy (rd->hosts);
    json_decref (rd->config);
    free (rd);
}
