/* logbuf.c - the rank's log ring buffer behind flux dmesg.
 *
 * Keeps the last `capacity` log entries (from this daemon and every local peer's
 * log.append) and the dmesg requests that follow new entries.  Each entry goes to a
 * follower as one streaming response; a request without "follow" ends with ENODATA after
 * the backlog.  Followers are forgotten when they cancel or their connection goes away.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/overlayd.h"

struct entry {
    double timestamp;
    char *name;
    int level;
    uint32_t rank;
    char *message;
};

struct follower {
    struct fx_msg *req; /* the dmesg request, for its route and matchtag */
    struct follower *next;
};

struct logbuf {
    struct entry *ring;
    size_t capacity;
    size_t start; /* oldest entry */
    size_t count;
    size_t unsent; /* newest entries not yet copied to rank 0 (no parent yet) */
    struct follower *followers;
};

struct logbuf *logbuf_create (size_t capacity)
{
    struct logbuf *lb;

    if (!(lb = calloc (1, sizeof (*lb))) || !(lb->ring = calloc (capacity, sizeof (*lb->ring)))) {
        free (lb);
        return NULL;
    }
    lb->capacity = capacity;
    return lb;
}

static void entry_clear (struct entry *e)
{
    free (e->name);
    free (e->message);
    memset (e, 0, sizeof (*e));
}

void logbuf_clear (struct logbuf *lb)
{
    for (size_t i = 0; i < lb->count; i++)
        entry_clear (&lb->ring[(lb->start + i) % lb->capacity]);
    lb->start = lb->count = lb->unsent = 0;
}

void logbuf_destroy (struct logbuf *lb)
{
    if (lb) {
        logbuf_clear (lb);
        while (lb->followers) {
            struct follower *f = lb->followers;
            lb->followers = f->next;
            fx_msg_destroy (f->req);
            free (f);
        }
        free (lb->ring);
        free (lb);
    }
}

static json_t *entry_json (const struct entry *e)
{
    return json_pack ("{s:f s:s s:i s:i s:s}", "timestamp", e->timestamp, "name", e->name,
                      "level", e->level, "rank", e->rank, "message", e->message);
}

static void send_entry (struct overlayd *od, const struct fx_msg *req, const struct entry *e)
{
    json_t *o = entry_json (e);

    if (o)
        router_respond (od, req, 0, NULL, o);
    json_decref (o);
}

/* Rank 0's buffer holds the whole instance's log: send it a copy. */
static void forward_to_rank0 (struct overlayd *od, const struct entry *e)
{
    json_t *o = entry_json (e);

    if (o)
        router_tell_rank0 (od, "log.append", o);
    json_decref (o);
}

void logbuf_append (struct overlayd *od, double timestamp, const char *name, int level,
                    uint32_t rank, const char *message)
{
    struct logbuf *lb = od->logbuf;
    struct entry *e;

    if (lb->count == lb->capacity) {
        entry_clear (&lb->ring[lb->start]);
        lb->start = (lb->start + 1) % lb->capacity;
        lb->count--;
    }
    e = &lb->ring[(lb->start + lb->count) % lb->capacity];
    e->timestamp = timestamp;
    e->name = strdup (name);
    e->level = level;
    e->rank = rank;
    e->message = strdup (message);
    if (!e->name || !e->message) {
        entry_clear (e);
        return;
    }
    lb->count++;
    for (struct follower *f = lb->followers; f; f = f->next)
        send_entry (od, f->req, e);
    if (od->rank > 0) {
        lb->unsent++;
        logbuf_flush_upstream (od);
    }
}

/* Copy to rank 0 what it has not seen, once this rank is joined (overlay.c calls this
 * again when it joins).  Entries that fell out of the ring meanwhile are lost. */
void logbuf_flush_upstream (struct overlayd *od)
{
    struct logbuf *lb = od->logbuf;
    char why[64];

    if (lb->unsent > lb->count)
        lb->unsent = lb->count;
    if (!overlay_route (od, 0, why, sizeof (why)))
        return;
    while (lb->unsent > 0) {
        forward_to_rank0 (od, &lb->ring[(lb->start + lb->count - lb->unsent) % lb->capacity]);
        lb->unsent--;
    }
}

void logbuf_dmesg (struct overlayd *od, struct fx_msg *msg)
{
    struct logbuf *lb = od->logbuf;
    json_t *in = fx_msg_json (msg, NULL);
    int follow = 0, nobacklog = 0;
    struct follower *f;

    if (!in || json_unpack (in, "{s?b s?b !}", "follow", &follow, "nobacklog", &nobacklog) < 0
        || !(msg->flags & FX_MSGFLAG_STREAMING)) {
        router_respond (od, msg, EPROTO, "log.dmesg: expected a streaming request "
                        "{\"follow\"?: b, \"nobacklog\"?: b}", NULL);
        return;
    }
    for (size_t i = 0; !nobacklog && i < lb->count; i++)
        send_entry (od, msg, &lb->ring[(lb->start + i) % lb->capacity]);
    if (!follow) {
        router_respond (od, msg, ENODATA, NULL, NULL);
        return;
    }
    if (!(f = calloc (1, sizeof (*f))) || !(f->req = fx_msg_copy (msg))) {
        free (f);
        router_respond (od, msg, ENOMEM, "out of memory", NULL);
        return;
    }
    f->next = lb->followers;
    lb->followers = f;
}

/* Forget followers of conn_id (all of them when matchtag is FX_MATCHTAG_NONE). */
void logbuf_cancel (struct overlayd *od, uint32_t conn_id, uint32_t matchtag)
{
    struct follower **fp = &od->logbuf->followers;

    while (*fp) {
        struct follower *f = *fp;
        const struct fx_msg *req = f->req;
        uint32_t from = req->nroutes ? req->route[req->nroutes - 1].peer : 0;
        if (from == conn_id && (matchtag == FX_MATCHTAG_NONE || fx_msg_matchtag (req) == matchtag)) {
            if (matchtag != FX_MATCHTAG_NONE)
                router_respond (od, req, ECANCELED, NULL, NULL);
            *fp = f->next;
            fx_msg_destroy (f->req);
            free (f);
            continue;
        }
        fp = &f->next;
    }
}
