/* inventory.c - rank 0: the inventory (R), which ranks are online and excluded, and
 * resource.status (doc/resource.md).
 *
 * R comes from resource.path, checked against the hosts list at start; without it every
 * rank's hello adds what that rank has.  A rank is online from its hello until rank 0's
 * monitor request to it ends (its resourced, router or link went away).  A rank whose
 * hello shows less than a configured R promises is drained with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "resourced/resourced.h"
#include "services/conf.h"

static int R_load (struct resourced *rd, const char *path, struct fx_error *err)
{
    struct fx_rlist_node node;
    json_error_t jerr;
    json_t *o;

    if (!(o = json_load_file (path, 0, &jerr)))
        return errprintf (err, "%s: %s", path, jerr.text);
    rd->R = fx_rlist_decode (o, err);
    json_decref (o);
    if (!rd->R)
        return errprintf (err, "%s: %s", path, err->text);
    for (size_t i = 0; fx_rlist_node_at (rd->R, i, &node) == 0; i++) {
        const char *host =
            node.rank < rd->size ? fx_hostlist_nth (rd->hosts, (int) node.rank) : NULL;
        if (!host)
            return errprintf (err, "%s: rank %u is beyond the instance's %u ranks", path, node.rank,
                              rd->size);
        if (node.host && strcmp (node.host, host) != 0)
            return errprintf (err, "%s: rank %u is %s, but the hosts list says %s", path, node.rank,
                              node.host, host);
    }
    rd->R_configured = 1;
    return 0;
}

/* overlay.torpid {"rank", "torpid"}: a rank's parent saw it go silent, or heard it again. */
static void torpid_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct resourced *rd = arg;
    json_t *in = fx_msg_json (ev, NULL);
    json_int_t rank;
    int torpid;

    (void) p;
    if (!rd->torpid || !in || json_unpack (in, "{s:I s:b}", "rank", &rank, "torpid", &torpid) < 0
        || rank < 0 || rank >= (json_int_t) rd->size)
        return;
    if (torpid)
        fx_idset_set (rd->torpid, (unsigned int) rank);
    else
        fx_idset_clear (rd->torpid, (unsigned int) rank);
}

int inventory_start (struct resourced *rd, struct fx_error *err)
{
    json_t *path = fx_conf_get (rd->config, "resource.path");
    json_t *exclude = fx_conf_get (rd->config, "resource.exclude");

    if (!(rd->torpid = fx_idset_create ())
        || fx_peer_subscribe (rd->peer, "overlay.torpid", torpid_cb, rd, err) < 0)
        return err->text[0] ? -1 : errprintf (err, "out of memory");
    if (!(rd->online = fx_idset_create ())
        || !(rd->drains = calloc (rd->size, sizeof (struct drain)))
        || !(rd->monitors = calloc (rd->size, sizeof (struct monitor)))
        || !(rd->hellos = calloc (rd->size, sizeof (struct fx_msg *))))
        return errprintf (err, "out of memory");
    if (path && R_load (rd, json_string_value (path), err) < 0)
        return -1;
    if (!rd->R && !(rd->R = fx_rlist_create ()))
        return errprintf (err, "out of memory");
    if (exclude) {
        if (!(rd->exclude = targets_decode (rd, json_string_value (exclude), err)))
            return errprintf (err, "resource.exclude: %s", err->text);
    } else if (!(rd->exclude = fx_idset_create ()))
        return errprintf (err, "out of memory");
    return 0;
}

void inventory_stop (struct resourced *rd)
{
    for (uint32_t r = 0; r < rd->size; r++) {
        if (rd->monitors)
            fx_rpc_cancel (rd->monitors[r].rpc);
        if (rd->hellos)
            fx_msg_destroy (rd->hellos[r]);
    }
    free (rd->monitors);
    free (rd->hellos);
    fx_rlist_destroy (rd->R);
    fx_idset_destroy (rd->online);
    fx_idset_destroy (rd->torpid);
    fx_idset_destroy (rd->exclude);
    rd->R = NULL; /* a status answer still in flight must not use them */
    rd->online = rd->torpid = rd->exclude = NULL;
}

/* "only 2 of 4 cores (missing 2-3)" when have lacks some of want, else NULL. */
static char *shortfall (const char *what, const struct fx_idset *want, const struct fx_idset *have)
{
    struct fx_idset *missing = fx_idset_difference (want, have);
    char *ids, *text = NULL;

    if (missing && fx_idset_count (missing) > 0 && (ids = fx_idset_encode (missing, 0))) {
        if (asprintf (&text, "only %zu of %zu %s (missing %s)",
                      fx_idset_count (want) - fx_idset_count (missing), fx_idset_count (want), what,
                      ids)
            < 0)
            text = NULL;
        free (ids);
    }
    fx_idset_destroy (missing);
    return text;
}

/* A configured R: drain a rank that has less than R says, naming what is missing. */
static void check_promise (struct resourced *rd, uint32_t rank, const struct fx_idset *cores,
                           const struct fx_idset *gpus)
{
    struct fx_rlist_node node;
    char name[300], reason[600];
    char *c, *g;
    struct fx_idset *one;

    if (fx_rlist_find_rank (rd->R, rank, &node) < 0 || rd->drains[rank].drained)
        return;
    c = shortfall ("cores", node.cores, cores);
    g = shortfall ("GPUs", node.gpus, gpus);
    if ((c || g) && (one = fx_idset_create ())) {
        snprintf (reason, sizeof (reason), "%s: %s%s%s", rank_name (rd, rank, name, sizeof (name)),
                  c ? c : "", c && g ? ", " : "", g ? g : "");
        fx_idset_set (one, rank);
        fx_log (rd->peer, LOG_ERR, "draining %s", reason);
        drain_self (rd, one, reason);
        fx_idset_destroy (one);
    }
    free (c);
    free (g);
}

int inventory_hello (struct resourced *rd, uint32_t rank, const char *hostname,
                     const struct fx_idset *cores, const struct fx_idset *gpus,
                     struct fx_error *err)
{
    const char *host = rank < rd->size ? fx_hostlist_nth (rd->hosts, (int) rank) : NULL;
    struct fx_rlist_node node;

    if (!host)
        return errprintf (err, "rank %u is not in this instance", rank);
    if (strcmp (host, hostname) != 0)
        return errprintf (err, "rank %u is %s in the hosts list, not %s", rank, host, hostname);
    if (rd->R_configured)
        check_promise (rd, rank, cores, gpus);
    else if (fx_rlist_find_rank (rd->R, rank, &node) < 0) {
        struct fx_idset *one = fx_idset_create ();
        struct fx_hostlist *h = fx_hostlist_create ();
        int rc = -1;
        if (one && h && fx_idset_set (one, rank) == 0 && fx_hostlist_append (h, host, err) >= 0)
            rc = fx_rlist_add (rd->R, one, h, cores, gpus, err);
        fx_idset_destroy (one);
        fx_hostlist_destroy (h);
        if (rc < 0)
            return -1;
    }
    fx_idset_set (rd->online, rank);
    return 0;
}

/* The monitor of a rank ended: the rank is offline until it says hello again. */
static void monitor_end_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct monitor *m = arg;
    struct resourced *rd = m->rd;
    char name[300];

    (void) rpc;
    if (fx_msg_errnum (rsp) == 0)
        return; /* a monitor is never answered; ignore anything else */
    m->rpc = NULL;
    fx_idset_clear (rd->online, m->rank);
    fx_idset_clear (rd->torpid, m->rank); /* offline, no longer torpid */
    fx_msg_destroy (rd->hellos[m->rank]);
    rd->hellos[m->rank] = NULL;
    fx_log (rd->peer, LOG_INFO, "%s is offline", rank_name (rd, m->rank, name, sizeof (name)));
}

static void monitor_start (struct resourced *rd, uint32_t rank)
{
    struct monitor *m = &rd->monitors[rank];

    fx_rpc_cancel (m->rpc);
    m->rd = rd;
    m->rank = rank;
    if (!(m->rpc = fx_rpc_start (rd->peer, "resource.monitor", rank, FX_MSGFLAG_STREAMING, NULL, 0,
                                 monitor_end_cb, m)))
        fx_idset_clear (rd->online, rank); /* cannot watch it: do not claim it is up */
}

/* resource.hello (streaming, from each rank's resourced): answered once, then kept. */
static void hello_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;
    struct fx_error err = {""};
    struct fx_idset *cores = NULL, *gpus = NULL;
    const char *hostname, *scores, *sgpus;
    char name[300];
    int rank;
    json_t *in;

    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:i s:s s:s s:s}", "rank", &rank, "hostname",
                           &hostname, "cores", &scores, "gpus", &sgpus)
               < 0
        || !(req->flags & FX_MSGFLAG_STREAMING)) {
        fx_respond_error (p, req, EPROTO,
                          "resource.hello: expected a streaming "
                          "{\"rank\", \"hostname\", \"cores\", \"gpus\"}");
        return;
    }
    /* The route's first hop is the sender's rank, stamped by its router. */
    if (rank <= 0 || (uint32_t) rank >= rd->size || req->nroutes < 1
        || req->route[0].rank != (uint32_t) rank) {
        fx_respond_error (p, req, EINVAL, "resource.hello: rank %d is not the sender's", rank);
        return;
    }
    if (!(cores = fx_idset_decode (scores, &err)) || !(gpus = fx_idset_decode (sgpus, &err))
        || inventory_hello (rd, (uint32_t) rank, hostname, cores, gpus, &err) < 0) {
        fx_log (p, LOG_ERR, "refused %s: %s", rank_name (rd, rank, name, sizeof (name)), err.text);
        fx_respond_error (p, req, EINVAL, "%s", err.text);
    } else {
        fx_respond (p, req, NULL);
        fx_msg_destroy (rd->hellos[rank]);
        rd->hellos[rank] = fx_msg_copy (req);
        monitor_start (rd, (uint32_t) rank);
    }
    fx_idset_destroy (cores);
    fx_idset_destroy (gpus);
}

static int set_idset (json_t *o, const char *key, const struct fx_idset *set)
{
    char *s = fx_idset_encode (set, 0);
    int rc = s ? json_object_set_new (o, key, json_string (s)) : -1;

    free (s);
    return rc;
}

/* The STATUS object of doc/resource.md; allocated comes from the scheduler. */
static json_t *status_json (struct resourced *rd, const struct fx_idset *allocated)
{
    json_t *o = json_object (), *drains = json_object ();
    struct fx_idset *drained = fx_idset_create (), *empty = fx_idset_create ();
    struct fx_idset *draining = fx_idset_create ();
    char *hosts = fx_hostlist_encode (rd->hosts), rank[16];

    for (uint32_t r = 0; drained && draining && drains && r < rd->size; r++) {
        struct drain *d = &rd->drains[r];
        if (!d->drained)
            continue;
        fx_idset_set (fx_idset_test (allocated, r) ? draining : drained, r);
        snprintf (rank, sizeof (rank), "%u", r);
        json_object_set_new (drains, rank,
                             json_pack ("{s:f s:s}", "timestamp", d->timestamp, "reason",
                                        d->reason ? d->reason : ""));
    }
    if (!o || !drains || !drained || !empty || !hosts
        || json_object_set_new (o, "size", json_integer (rd->size)) < 0
        || json_object_set_new (o, "hosts", json_string (hosts)) < 0
        || json_object_set_new (o, "R", fx_rlist_encode (rd->R)) < 0
        || set_idset (o, "online", rd->online) < 0 || set_idset (o, "exclude", rd->exclude) < 0
        || set_idset (o, "torpid", rd->torpid) < 0 || set_idset (o, "drained", drained) < 0
        || set_idset (o, "draining", draining) < 0
        || set_idset (o, "allocated", allocated ? allocated : empty) < 0
        || json_object_set (o, "drains", drains) < 0) {
        json_decref (o);
        o = NULL;
    }
    json_decref (drains);
    fx_idset_destroy (drained);
    fx_idset_destroy (draining);
    fx_idset_destroy (empty);
    free (hosts);
    return o;
}

struct status_req {
    struct resourced *rd;
    struct fx_msg *req;
};

/* The scheduler's answer (or its absence: nothing is allocated then): answer the status. */
static void allocated_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct status_req *sr = arg;
    struct fx_idset *allocated = NULL;
    const char *ids;
    json_t *in, *o, *allocated_R = NULL;

    (void) rpc;
    if (!sr->rd->R) /* shutting down: the peer fails what is in flight */
        goto done;
    if (fx_msg_errnum (rsp) == 0 && (in = fx_msg_json (rsp, NULL))
        && json_unpack (in, "{s:s s?o}", "allocated", &ids, "R", &allocated_R) == 0)
        allocated = fx_idset_decode (ids, NULL);
    if ((o = status_json (sr->rd, allocated)) && allocated_R && allocated
        && json_object_set (o, "allocated_R", allocated_R) < 0) {
        json_decref (o);
        o = NULL;
    }
    if (!o)
        fx_respond_error (sr->rd->peer, sr->req, ENOMEM, "resource.status: out of memory");
    else
        fx_respond (sr->rd->peer, sr->req, o);
    json_decref (o);
    fx_idset_destroy (allocated);
done:
    fx_msg_destroy (sr->req);
    free (sr);
}

/* resource.status: asks schedd (sched.resource-status) which ranks are allocated first. */
static void status_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct status_req *sr = calloc (1, sizeof (*sr));

    if (sr)
        sr->rd = arg;
    if (!sr || !(sr->req = fx_msg_copy (req))
        || !fx_rpc_start (p, "sched.resource-status", 0, 0, NULL, 2.0, allocated_cb, sr)) {
        if (sr)
            fx_msg_destroy (sr->req);
        free (sr);
        fx_respond_error (p, req, ENOMEM, "resource.status: out of memory");
    }
}

const struct fx_handler inventory_handlers[] = {
    {"resource.hello", hello_cb, FX_ROLE_OWNER},
    {"resource.status", status_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
