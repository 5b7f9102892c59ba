/* acquire.c - rank 0: resource.acquire, the scheduler's view of the inventory (doc/job.md,
 * "Resource acquisition").
 *
 * An acquirer's stream opens with {"resources": R of every rank not excluded, "up": ranks
 * online and not drained}; afterwards it gets transitions only: {"up"} and {"down"}, and
 * {"resources"} for ranks that joined R since (a rank's first hello when R is not
 * configured).  Rather than hooking every place that changes a rank's state, a prepare
 * watcher compares, once per loop iteration and only while someone acquires, the current
 * up set with the last one sent.  Streams end when their requester cancels them
 * (resource.cancel, which a router also sends when the requester has gone) or when its
 * connection drops (router.disconnect).  Several acquirers at once are fine.
 */
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include "resourced/resourced.h"

struct acquirer {
    struct fx_msg *req; /* payload dropped */
    struct acquirer *next;
};

/* Ranks of R that are not excluded; of those, the ones online and not drained. */
static int current (struct resourced *rd, struct fx_idset **ranks, struct fx_idset **up)
{
    struct fx_idset *all = fx_rlist_ranks (rd->R);

    *up = NULL;
    if (!all || !(*ranks = fx_idset_difference (all, rd->exclude)) || !(*up = fx_idset_create ())) {
        fx_idset_destroy (all);
        return -1;
    }
    fx_idset_destroy (all);
    for (unsigned int r = fx_idset_first (*ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (*ranks, r)) {
        if (r < rd->size && fx_idset_test (rd->online, r) && !rd->drains[r].drained
            && fx_idset_set (*up, r) < 0)
            return -1;
    }
    return 0;
}

static int set_ids (json_t *o, const char *key, const struct fx_idset *ids)
{
    char *s;
    int rc;

    if (fx_idset_count (ids) == 0)
        return 0;
    if (!(s = fx_idset_encode (ids, 0)))
        return -1;
    rc = json_object_set_new (o, key, json_string (s));
    free (s);
    return rc;
}

static void send_all (struct resourced *rd, const json_t *o)
{
    for (struct acquirer *a = rd->acquirers; a; a = a->next)
        fx_respond (rd->peer, a->req, o);
}

/* Tell every acquirer what changed since the last call. */
static void update (struct resourced *rd)
{
    struct fx_idset *ranks = NULL, *up = NULL, *added = NULL, *went_up = NULL, *went_down = NULL;
    struct fx_rlist *rl = NULL;
    json_t *o = NULL;

    if (current (rd, &ranks, &up) < 0 || !(added = fx_idset_difference (ranks, rd->acq_ranks))
        || !(went_up = fx_idset_difference (up, rd->acq_up))
        || !(went_down = fx_idset_difference (rd->acq_up, up)) || !(o = json_object ()))
        goto done;
    if (fx_idset_count (added) > 0
        && (!(rl = fx_rlist_copy_ranks (rd->R, added))
            || json_object_set_new (o, "resources", fx_rlist_encode (rl)) < 0))
        goto done;
    if (set_ids (o, "up", went_up) < 0 || set_ids (o, "down", went_down) < 0)
        goto done;
    if (json_object_size (o) > 0)
        send_all (rd, o);
    fx_idset_destroy (rd->acq_ranks);
    fx_idset_destroy (rd->acq_up);
    rd->acq_ranks = ranks;
    rd->acq_up = up;
    ranks = up = NULL;
done:
    json_decref (o);
    fx_rlist_destroy (rl);
    fx_idset_destroy (ranks);
    fx_idset_destroy (up);
    fx_idset_destroy (added);
    fx_idset_destroy (went_up);
    fx_idset_destroy (went_down);
}

static void prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void) loop;
    (void) revents;
    update (w->data);
}

/* resource.acquire {} (streaming, owner). */
static void acquire_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;
    struct fx_rlist *rl = NULL;
    struct acquirer *a = NULL;
    json_t *in, *o = NULL;

    if (!(in = fx_msg_json (req, NULL)) || json_object_size (in) != 0
        || !(req->flags & FX_MSGFLAG_STREAMING)) {
        fx_respond_error (p, req, EPROTO, "resource.acquire: expected a streaming {}");
        return;
    }
    if (rd->rank != 0) {
        fx_respond_error (p, req, EINVAL, "resource.acquire: ask rank 0");
        return;
    }
    update (rd); /* the others hear of changes before this one's state is taken */
    if (!(a = calloc (1, sizeof (*a))) || !(a->req = fx_msg_copy (req))
        || fx_msg_set_payload (a->req, NULL) < 0
        || !(rl = fx_rlist_copy_ranks (rd->R, rd->acq_ranks)) || !(o = json_object ())
        || json_object_set_new (o, "resources", fx_rlist_encode (rl)) < 0
        || json_object_set_new (o, "up", json_string ("")) < 0
        || set_ids (o, "up", rd->acq_up) < 0) {
        fx_respond_error (p, req, ENOMEM, "resource.acquire: out of memory");
        if (a)
            fx_msg_destroy (a->req);
        free (a);
        goto done;
    }
    fx_respond (p, req, o);
    a->next = rd->acquirers;
    rd->acquirers = a;
    ev_prepare_start (rd->loop, &rd->acquire_w);
done:
    json_decref (o);
    fx_rlist_destroy (rl);
}

/* Drop the acquirers for which match says yes. */
static void drop (struct resourced *rd, int (*match) (const struct fx_msg *, const void *),
                  const void *arg, int errnum)
{
    struct acquirer **ap = &rd->acquirers, *a;

    while ((a = *ap)) {
        if (!match (a->req, arg)) {
            ap = &a->next;
            continue;
        }
        *ap = a->next;
        if (errnum)
            fx_respond_error (rd->peer, a->req, errnum, "resource.acquire: canceled");
        fx_msg_destroy (a->req);
        free (a);
    }
    if (!rd->acquirers)
        ev_prepare_stop (rd->loop, &rd->acquire_w);
}

/* A cancel names the stream by matchtag; the routers stamp the sender's route. */
static int same_stream (const struct fx_msg *req, const void *arg)
{
    const struct fx_msg *cancel = arg;
    json_int_t matchtag;

    if (json_unpack (((struct fx_msg *) cancel)->json, "{s:I}", "matchtag", &matchtag) < 0
        || fx_msg_matchtag (req) != (uint32_t) matchtag || req->nroutes != cancel->nroutes)
        return 0;
    for (int i = 0; i < req->nroutes; i++) {
        if (req->route[i].rank != cancel->route[i].rank
            || req->route[i].peer != cancel->route[i].peer)
            return 0;
    }
    return 1;
}

/* resource.cancel {"matchtag"}: an acquirer's (other streams of ours need nothing). */
static void cancel_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;

    (void) p;
    if (rd->rank == 0 && fx_msg_json (req, NULL))
        drop (rd, same_stream, req, ECANCELED);
}

struct conn {
    json_int_t peer, rank;
};

static int same_conn (const struct fx_msg *req, const void *arg)
{
    const struct conn *c = arg;

    return req->nroutes > 0 && req->route[0].rank == (uint32_t) c->rank
           && req->route[0].peer == (uint32_t) c->peer;
}

/* router.disconnect {"peer","rank"}: an acquirer's connection has gone. */
static void disconnect_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct conn c;
    json_t *in;

    (void) p;
    if ((in = fx_msg_json (ev, NULL))
        && json_unpack (in, "{s:I s:I}", "peer", &c.peer, "rank", &c.rank) == 0)
        drop (arg, same_conn, &c, 0);
}

int acquire_start (struct resourced *rd, struct fx_error *err)
{
    ev_prepare_init (&rd->acquire_w, prepare_cb);
    rd->acquire_w.data = rd;
    if (!(rd->acq_up = fx_idset_create ()) || !(rd->acq_ranks = fx_idset_create ()))
        return errprintf (err, "out of memory");
    return fx_peer_subscribe (rd->peer, "router.disconnect", disconnect_cb, rd, err);
}

static int any (const struct fx_msg *req, const void *arg)
{
    (void) req;
    (void) arg;
    return 1;
}

void acquire_stop (struct resourced *rd)
{
    if (rd->acq_up)
        drop (rd, any, NULL, 0);
    fx_idset_destroy (rd->acq_up);
    fx_idset_destroy (rd->acq_ranks);
    rd->acq_up = rd->acq_ranks = NULL;
}

const struct fx_handler acquire_handlers[] = {
    {"resource.acquire", acquire_cb, FX_ROLE_OWNER},
    {"resource.cancel", cancel_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
