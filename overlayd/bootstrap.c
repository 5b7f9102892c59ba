/* bootstrap.c - where this rank sits in the tree, and how it reaches its neighbours.
 *
 * Two sources, the same result.  A system instance reads the `bootstrap` group: `hosts`
 * lists the instance's host names in rank order (hostlists expand in place), so a broker's
 * rank is the position of its own host name; each entry may give `bind`, `connect` and
 * `parent`; `default_bind` and `default_connect` fill in the rest with %h (host) and %p
 * (default_port).  A test instance started by `flux start` passes the same facts as
 * arguments (--rank, --size, --bind, --parent-uri, --hosts, --cert).  The tree shape comes
 * from `parent` entries when any is given, else `tbon.topo` (default kary:32: flat up to 33
 * nodes, two levels up to 1,057, three up to ~34,000, so the rank-0 router never serves more
 * than 32 links).
 *
 * Failure policy: anything wrong is a start-up error naming the key or the host.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "overlayd/conn.h"
#include "overlayd/overlay.h"
#include "overlayd/overlayd.h"
#include "services/conf.h"
#include "services/fsd.h"

#define DEFAULT_TOPO "kary:32"

static const char *conf_string (const json_t *conf, const char *key)
{
    json_t *v = fx_conf_get (conf, key);
    return v && json_is_string (v) ? json_string_value (v) : NULL;
}

static int conf_duration (const json_t *conf, const char *key, double dflt, double *out,
                          struct fx_error *err)
{
    json_t *v = fx_conf_get (conf, key);
    struct fx_error e;

    *out = dflt;
    if (!v)
        return 0;
    if (json_is_number (v))
        *out = json_number_value (v);
    else if (fx_fsd_parse (json_string_value (v), out, &e) < 0)
        return errprintf (err, "%s: %s", key, e.text);
    return 0;
}

/* Replace %h and %p in pattern. */
static char *expand (const char *pattern, const char *host, long port)
{
    char buf[1024];
    size_t n = 0;

    for (const char *p = pattern; *p && n < sizeof (buf) - 1; p++) {
        if (p[0] == '%' && p[1] == 'h') {
            n += snprintf (buf + n, sizeof (buf) - n, "%s", host);
            p++;
        }
        else if (p[0] == '%' && p[1] == 'p') {
            n += snprintf (buf + n, sizeof (buf) - n, "%ld", port);
            p++;
        }
        else
            buf[n++] = *p;
        if (n >= sizeof (buf))
            n = sizeof (buf) - 1;
    }
    buf[n] = '\0';
    return strdup (buf);
}

/* The bootstrap hosts entry (an object) that names rank's host, or NULL. */
static json_t *host_entry (const json_t *hosts, struct fx_hostlist *all, uint32_t rank)
{
    const char *want = fx_hostlist_nth (all, rank);
    size_t i;
    json_t *e;

    json_array_foreach (hosts, i, e) {
        struct fx_hostlist *hl = fx_hostlist_decode (conf_string (e, "host"), NULL);
        int found = hl && fx_hostlist_find (hl, want) >= 0;
        fx_hostlist_destroy (hl);
        if (found)
            return e;
    }
    return NULL;
}

/* Explicit `parent` entries: every rank of an entry gets that host's rank as parent. */
static struct fx_topo *custom_topo (const json_t *hosts, struct fx_hostlist *all,
                                    struct fx_error *err)
{
    uint32_t size = fx_hostlist_count (all);
    uint32_t *parents = calloc (size, sizeof (uint32_t));
    struct fx_topo *topo = NULL;
    size_t i;
    json_t *e;

    if (!parents) {
        errprintf (err, "out of memory");
        return NULL;
    }
    json_array_foreach (hosts, i, e) {
        const char *parent = conf_string (e, "parent");
        struct fx_hostlist *hl = fx_hostlist_decode (conf_string (e, "host"), NULL);
        int prank = parent ? fx_hostlist_find (all, parent) : 0;
        if (prank < 0) {
            errprintf (err, "bootstrap.hosts: parent %s is not one of the hosts", parent);
            fx_hostlist_destroy (hl);
            goto out;
        }
        for (int j = 0; hl && j < fx_hostlist_count (hl); j++) {
            int r = fx_hostlist_find (all, fx_hostlist_nth (hl, j));
            if (r > 0)
                parents[r] = prank;
        }
        fx_hostlist_destroy (hl);
    }
    topo = fx_topo_create_parents (size, parents, err);
out:
    free (parents);
    return topo;
}

static int any_parent (const json_t *hosts)
{
    size_t i;
    json_t *e;

    json_array_foreach (hosts, i, e) {
        if (conf_string (e, "parent"))
            return 1;
    }
    return 0;
}

/* The system instance: rank, size, hosts and endpoints from the bootstrap group. */
static int from_bootstrap (struct overlayd *od, struct overlay *ov, const json_t *boot,
                           struct fx_error *err)
{
    const json_t *hosts = json_object_get (boot, "hosts");
    json_t *port = json_object_get (boot, "default_port");
    const char *dbind = conf_string (boot, "default_bind");
    struct fx_error e = {""};
    size_t i;
    json_t *entry;
    int rank;

    if (!(ov->hosts = fx_hostlist_create ()))
        return errprintf (err, "out of memory");
    json_array_foreach (hosts, i, entry) {
        if (fx_hostlist_append (ov->hosts, conf_string (entry, "host"), &e) < 0)
            return errprintf (err, "bootstrap.hosts[%zu].host: %s", i, e.text);
    }
    if ((rank = fx_hostlist_find (ov->hosts, od->hostname)) < 0)
        return errprintf (err, "this host (%s) is not in bootstrap.hosts", od->hostname);
    od->rank = rank;
    od->size = fx_hostlist_count (ov->hosts);
    if (any_parent (hosts)) {
        if (!(ov->topo = custom_topo (hosts, ov->hosts, err)))
            return -1;
    }
    entry = host_entry (hosts, ov->hosts, od->rank);
    const char *bind = conf_string (entry, "bind") ? conf_string (entry, "bind") : dbind;
    /* The parent's connect URI needs the topology: see parent_uri (). */
    if (bind)
        ov->bind_uri = expand (bind, od->hostname, port ? json_integer_value (port) : 0);
    return 0;
}

/* The URI of this rank's parent, from its bootstrap entry or default_connect. */
static int parent_uri (struct overlayd *od, struct overlay *ov, const json_t *boot,
                       struct fx_error *err)
{
    const json_t *hosts = json_object_get (boot, "hosts");
    json_t *port = json_object_get (boot, "default_port");
    uint32_t prank = fx_topo_parent (ov->topo, od->rank);
    const char *phost = fx_hostlist_nth (ov->hosts, prank);
    json_t *entry = host_entry (hosts, ov->hosts, prank);
    const char *connect = conf_string (entry, "connect");

    if (!connect)
        connect = conf_string (boot, "default_connect");
    if (!connect)
        return errprintf (err, "bootstrap: no connect URI for %s (set default_connect)", phost);
    ov->parent_uri = expand (connect, phost, port ? json_integer_value (port) : 0);
    return ov->parent_uri ? 0 : errprintf (err, "out of memory");
}

static int load_cert (struct overlay *ov, const char *path, struct fx_error *err)
{
    if (!path)
        return errprintf (err, "instances of more than one rank need a certificate "
                               "(bootstrap.curve_cert; make one with flux keygen)");
    return fx_cert_load (&ov->cert, path, err);
}

static int timers (struct overlay *ov, const json_t *conf, struct fx_error *err)
{
    if (conf_duration (conf, "tbon.torpid_min", 5.0, &ov->torpid_min, err) < 0
        || conf_duration (conf, "tbon.torpid_max", 30.0, &ov->torpid_max, err) < 0
        || conf_duration (conf, "tbon.lost_timeout", 60.0, &ov->lost_timeout, err) < 0
        || conf_duration (conf, "tbon.connect_timeout", 0, &ov->connect_timeout, err) < 0)
        return -1;
    if (fx_conf_get (conf, "tbon.tcp_user_timeout"))
        fprintf (stderr, "overlayd: tbon.tcp_user_timeout is not implemented (nanomsg hides "
                         "its sockets); tbon.lost_timeout detects dead links\n");
    if (ov->torpid_min <= 0 || ov->torpid_max < ov->torpid_min
        || ov->lost_timeout < ov->torpid_max)
        return errprintf (err, "tbon: need 0 < torpid_min <= torpid_max <= lost_timeout");
    return 0;
}

static int children (struct overlayd *od, struct overlay *ov, struct fx_error *err)
{
    const uint32_t *kids;

    ov->nchildren = fx_topo_children (ov->topo, od->rank, &kids);
    if (ov->nchildren == 0)
        return 0;
    if (!(ov->children = calloc (ov->nchildren, sizeof (struct child)))
        || !(ov->held = calloc (ov->nchildren * 2, sizeof (struct held_hello)))
        || !(ov->child_pipes = fx_u32map_create ()))
        return errprintf (err, "out of memory");
    for (uint32_t i = 0; i < ov->nchildren; i++) {
        ov->children[i].rank = kids[i];
        ov->children[i].state = OVERLAY_OFFLINE;
        ov->children[i].since = ev_now (od->loop);
    }
    if (!ov->bind_uri)
        return errprintf (err, "rank %u has children but no bind URI (bootstrap.default_bind)",
                          od->rank);
    return 0;
}

struct overlay *overlay_create (struct overlayd *od, const struct overlayd_args *args,
                                struct fx_error *err)
{
    const json_t *boot = json_object_get (od->config, "bootstrap");
    const char *topo = conf_string (od->config, "tbon.topo");
    struct overlay *ov;

    if (!(ov = calloc (1, sizeof (*ov)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    ov->child_sock = ov->parent_sock = -1;
    ov->reported = -1;
    ov->state_since = ev_now (od->loop);
    if (boot && json_object_get (boot, "hosts")) {
        if (from_bootstrap (od, ov, boot, err) < 0)
            goto error;
    }
    else {
        if (args->hosts && !(ov->hosts = fx_hostlist_decode (args->hosts, err)))
            goto error;
        ov->bind_uri = args->bind_uri ? strdup (args->bind_uri) : NULL;
        ov->parent_uri = args->parent_uri ? strdup (args->parent_uri) : NULL;
    }
    if (!ov->topo && !(ov->topo = fx_topo_create (topo ? topo : args->topo ? args->topo
                                                                           : DEFAULT_TOPO,
                                                  od->size, err)))
        goto error;
    if (od->rank > 0 && !ov->parent_uri && (!boot || parent_uri (od, ov, boot, err) < 0)) {
        if (!boot)
            errprintf (err, "rank %u needs its parent's URI (--parent-uri)", od->rank);
        goto error;
    }
    if (timers (ov, od->config, err) < 0 || children (od, ov, err) < 0)
        goto error;
    if (od->size > 1
        && load_cert (ov, boot && conf_string (boot, "curve_cert") ? conf_string (boot, "curve_cert")
                                                                  : args->cert,
                      err)
               < 0)
        goto error;
    return ov;
error:
    overlay_destroy (ov);
    return NULL;
}

void overlay_destroy (struct overlay *ov)
{
    if (!ov)
        return;
    if (ov->child_sock >= 0)
        nn_close (ov->child_sock);
    if (ov->parent_sock >= 0)
        nn_close (ov->parent_sock);
    fx_u32map_destroy (ov->child_pipes);
    for (uint32_t i = 0; i < ov->nheld; i++)
        free (ov->held[i].buf);
    free (ov->held);
    free (ov->children);
    fx_topo_destroy (ov->topo);
    fx_hostlist_destroy (ov->hosts);
    fx_cert_clear (&ov->cert);
    free (ov->bind_uri);
    free (ov->parent_uri);
    free (ov);
}
