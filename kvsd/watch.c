/* watch.c - kvs.watch: a streaming answer for every change of a key or an eventlog.
 *
 * kvsd is the only writer, so it knows what each commit changed (watch_commit) and needs no
 * polling.  An appended event whose number is the next one a watcher waits for is sent
 * straight from the commit; anything else (a put, an unlink, a gap) makes the watch read its
 * entry again.  Reads travel in the same pipeline as commits, so a read sent after a commit
 * sees it, and a commit sent after a read reaches the watch after the read's answer: the
 * event numbers line up without locking.
 *
 * A watch ends with ENOENT when its key (or a parent, or its namespace) is removed, with
 * ECANCELED on kvs.cancel, with the database's error if a read fails, and silently when its
 * requester disconnects (router.disconnect).  A watch whose read is in flight when it ends
 * is marked dead and freed by the read's callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvsd/kvsd.h"

struct watch {
    struct fx_msg *req;
    struct ns *ns;
    char key[KVS_KEY_MAX + 1];
    int waitcreate;
    int exists;      /* an answer was sent: its disappearance ends the watch */
    int64_t next;    /* eventlog: the number of the next event to send */
    int loading;     /* a read is in flight */
    int reload;      /* read again when it ends */
    int quiet;       /* the pending read may repeat the last answer: drop it then */
    int dead;        /* ended while loading */
    char *last;      /* the last answer sent (not for eventlogs) */
    json_t *pending; /* events to send from the commit being processed */
    struct watch *ns_next, *ns_prev;
    struct watch *all_next, *all_prev; /* in kd->watch_list */
};

static int load (struct kvsd *kd, struct watch *w);

static void watch_free (struct watch *w)
{
    fx_msg_destroy (w->req);
    free (w->last);
    json_decref (w->pending);
    free (w);
}

static void unlink_watch (struct kvsd *kd, struct watch *w)
{
    if (w->ns_prev)
        w->ns_prev->ns_next = w->ns_next;
    else if (w->ns)
        w->ns->watches = w->ns_next;
    if (w->ns_next)
        w->ns_next->ns_prev = w->ns_prev;
    if (w->all_prev)
        w->all_prev->all_next = w->all_next;
    else
        kd->watch_list = w->all_next;
    if (w->all_next)
        w->all_next->all_prev = w->all_prev;
    w->ns = NULL;
    kd->nwatches--;
    fx_metric_set (kd->m_watches, kd->nwatches);
}

/* End w; errnum 0 means silently (the requester is gone). */
static void watch_end (struct kvsd *kd, struct watch *w, int errnum, const char *text)
{
    if (errnum)
        fx_respond_error (kd->peer, w->req, errnum, "%s", text);
    unlink_watch (kd, w);
    if (w->loading)
        w->dead = 1;
    else
        watch_free (w);
}

/* Answer w.  Returns -1 when the answer is too big for a message: the caller ends the
 * stream with EMSGSIZE rather than leave the requester waiting. */
static int watch_send (struct kvsd *kd, struct watch *w, json_t *o)
{
    return fx_respond (kd->peer, w->req, o) < 0 && errno == EMSGSIZE ? -1 : 0;
}

static void watch_too_big (struct kvsd *kd, struct watch *w)
{
    char text[FX_ERROR_LEN];

    snprintf (text, sizeof (text), "%.200s: the value is too big to send", w->key);
    watch_end (kd, w, EMSGSIZE, text);
}

static int send_entry (struct kvsd *kd, struct watch *w, json_t *entry)
{
    json_t *events;
    json_int_t seq = 0, count = 0;
    char *text;

    if ((events = json_object_get (entry, "events"))) {
        json_unpack (entry, "{s:I s:I}", "seq", &seq, "count", &count);
        if ((json_array_size (events) > 0 || !w->exists) && watch_send (kd, w, entry) < 0)
            return -1;
        w->next = seq + (json_int_t) json_array_size (events);
        if (w->next < count)
            w->reload = 1; /* the rest of a long eventlog: another page */
    } else if ((text = json_dumps (entry, JSON_COMPACT))) {
        if (!(w->quiet && w->last && strcmp (w->last, text) == 0)
            && watch_send (kd, w, entry) < 0) {
            free (text);
            return -1;
        }
        free (w->last);
        w->last = text;
    }
    w->exists = 1;
    return 0;
}

static void load_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct watch *w = arg;
    json_t *entry;
    int rc;

    w->loading = 0;
    if (w->dead) {
        watch_free (w);
        return;
    }
    if (err && err->errnum == EAGAIN && (w->exists || w->waitcreate)) {
        w->reload = 0; /* the database went away: watch_reload_all() reads it once back */
        return;
    }
    if (err && !(err->errnum == ENOENT && !w->exists && w->waitcreate)) {
        watch_end (kd, w, err->errnum, err->text);
        return;
    }
    if (!err) { /* (else not there yet: the commit that creates it wakes us) */
        if (!(entry = json_loads (PQgetvalue (res, 0, 0), 0, NULL))) {
            watch_end (kd, w, EIO, "kvs: unexpected answer from the database");
            return;
        }
        rc = send_entry (kd, w, entry);
        json_decref (entry);
        if (rc < 0) {
            watch_too_big (kd, w);
            return;
        }
    }
    /* A commit (or the next page) arrived while this read was in flight. */
    if (w->reload) {
        w->reload = 0;
        load (kd, w);
    }
}

/* Read w's entry (again).  Returns -1 when the database is unavailable: the caller decides
 * (a new watch ends; an established one is read again after the reconnection). */
static int load (struct kvsd *kd, struct watch *w)
{
    char from[24], limit[16];

    if (w->loading) {
        w->reload = 1;
        return 0;
    }
    snprintf (from, sizeof (from), "%lld", (long long) w->next);
    snprintf (limit, sizeof (limit), "%d", KVS_DEFAULT_LIMIT);
    if (db_query (kd->db, "get", 4, (const char *const[]){w->ns->name, w->key, from, limit},
                  load_cb, w)
        < 0)
        return -1;
    w->loading = 1;
    return 0;
}

/* How op (kind on key, seq for appends) concerns w: queue an event or ask for a read. */
static int affects (struct watch *w, const char *kind, const char *key, json_t *op, json_t *seq,
                    int *quiet)
{
    if (strcmp (key, w->key) == 0) {
        if (strcmp (kind, "append") == 0 && json_is_integer (seq) && !w->loading
            && (w->exists || w->waitcreate) && !w->last
            && json_integer_value (seq) == w->next + (json_int_t) json_array_size (w->pending)) {
            json_array_append (w->pending, json_object_get (op, "event"));
            return 0;
        }
        *quiet = 0;
        return 1;
    }
    if (key_within (w->key, key))
        return 1; /* a parent was replaced or removed */
    /* A directory's child; or a key created under one we wait for, which creates it. */
    return (w->last || (!w->exists && w->waitcreate)) && key_within (key, w->key);
}

void watch_commit (struct kvsd *kd, struct ns *ns, json_t *ops, json_t *seqs)
{
    struct watch *w, *next;
    const char *kind, *key;
    json_t *op;
    size_t i;

    for (w = ns->watches; w; w = next) {
        int need = 0, quiet = 1;
        json_t *events;
        next = w->ns_next;
        if (!(w->pending = json_array ()))
            continue;
        json_array_foreach (ops, i, op)
        {
            if (json_unpack (op, "{s:s s:s}", "op", &kind, "key", &key) == 0)
                need |= affects (w, kind, key, op, json_array_get (seqs, i), &quiet);
        }
        events = w->pending;
        w->pending = NULL;
        if (need) {
            w->quiet = quiet;
            load (kd, w);
        } else if (json_array_size (events) > 0) {
            json_t *o = json_pack ("{s:s s:s s:I s:I s:O}", "key", w->key, "type", "eventlog",
                                   "count", (json_int_t) (w->next + json_array_size (events)),
                                   "seq", (json_int_t) w->next, "events", events);
            if (watch_send (kd, w, o) < 0)
                watch_too_big (kd, w);
            else {
                w->next += json_array_size (events);
                w->exists = 1;
            }
            json_decref (o);
        }
        json_decref (events);
    }
}

void watch_removed (struct kvsd *kd, struct ns *ns, const char *key)
{
    struct watch *w, *next;

    for (w = ns->watches; w; w = next) {
        next = w->ns_next;
        if (key_within (w->key, key) || (w->last && key_within (key, w->key))) {
            w->quiet = 1;
            load (kd, w);
        }
    }
}

void watch_reload_all (struct kvsd *kd)
{
    struct watch *w, *next;

    for (w = kd->watch_list; w; w = next) {
        next = w->all_next;
        w->quiet = 1;
        load (kd, w);
    }
}

void watch_ns_gone (struct kvsd *kd, struct ns *ns)
{
    char text[FX_ERROR_LEN];

    snprintf (text, sizeof (text), "%s: namespace removed", ns->name);
    while (ns->watches)
        watch_end (kd, ns->watches, ENOENT, text);
}

void watch_destroy_all (struct kvsd *kd)
{
    while (kd->watch_list)
        watch_end (kd, kd->watch_list, ENOSYS, "kvs: shutting down");
}

static int user_watches (struct kvsd *kd, uint32_t userid)
{
    int n = 0;

    for (struct watch *w = kd->watch_list; w; w = w->all_next)
        n += w->req->userid == userid;
    return n;
}

static void watch_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_error_t jerr;
    const char *name = "primary", *key;
    int from = 0, waitcreate = 0;
    struct watch *w;
    struct ns *ns;
    json_t *in;

    (void) p;
    if (!(req->flags & FX_MSGFLAG_STREAMING)) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.watch: the request must be streaming");
        return;
    }
    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s?s s:s s?i s?b}", "namespace", &name, "key",
                           &key, "from", &from, "waitcreate", &waitcreate)
               < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.watch: %s", err.text[0] ? err.text : jerr.text);
        return;
    }
    if (!(ns = ns_access (kd, req, name)))
        return;
    if (!(req->rolemask & FX_ROLE_OWNER) && user_watches (kd, req->userid) >= KVS_GUEST_WATCHES) {
        kvsd_respond_error (kd, req, EUSERS,
                            "kvs.watch: uid %u has %d watches, the most a guest may",
                            (unsigned) req->userid, KVS_GUEST_WATCHES);
        return;
    }
    if (!(w = calloc (1, sizeof (*w))) || !(w->req = fx_msg_copy (req))) {
        free (w);
        kvsd_respond_error (kd, req, ENOMEM, "kvs: out of memory");
        return;
    }
    if (key_normalize (key, w->key, sizeof (w->key), &err) < 0 || from < 0) {
        kvsd_respond_error (kd, req, EINVAL, "%s", err.text[0] ? err.text : "bad from");
        watch_free (w);
        return;
    }
    fx_msg_set_payload (w->req, NULL); /* only its routes and matchtag are needed */
    w->ns = ns;
    w->waitcreate = waitcreate;
    w->next = from;
    if ((w->ns_next = ns->watches))
        w->ns_next->ns_prev = w;
    ns->watches = w;
    if ((w->all_next = kd->watch_list))
        w->all_next->all_prev = w;
    kd->watch_list = w;
    kd->nwatches++;
    fx_metric_set (kd->m_watches, kd->nwatches);
    if (load (kd, w) < 0)
        watch_end (kd, w, EAGAIN, db_unavailable (kd->db));
}

/* The route stack, stamped by the routers, names the requester's connection; a cancel from
 * its router (the requester gone, see doc/protocol.md) carries the same stack. */
/* kvs.cancel {"matchtag"} (noresponse): only the watch's own requester can cancel it. */
static void cancel_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    json_int_t matchtag;
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, NULL)) || json_unpack (in, "{s:I}", "matchtag", &matchtag) < 0)
        return;
    for (struct watch *w = kd->watch_list; w; w = w->all_next) {
        if (fx_msg_matchtag (w->req) == matchtag && fx_msg_same_sender (w->req, req)) {
            watch_end (kd, w, ECANCELED, "kvs.watch: canceled");
            return;
        }
    }
}

/* router.disconnect {"peer", "rank"}: the requester's connection is gone. */
void watch_disconnect (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct kvsd *kd = arg;
    json_int_t peer, rank;
    struct watch *w, *next;
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (ev, NULL))
        || json_unpack (in, "{s:I s:I}", "peer", &peer, "rank", &rank) < 0)
        return;
    for (w = kd->watch_list; w; w = next) {
        next = w->all_next;
        if (w->req->nroutes > 0 && w->req->route[0].rank == rank && w->req->route[0].peer == peer)
            watch_end (kd, w, 0, NULL);
    }
}

const struct fx_handler watch_handlers[] = {
    {"kvs.watch", watch_cb, FX_ROLE_ALL},
    {"kvs.cancel", cancel_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
