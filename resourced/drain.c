/* drain.c - rank 0: drained ranks and their reasons, durable in kvsd's resource.eventlog.
 *
 * A drain or undrain is appended to the eventlog first and applied in memory, and
 * answered, only once kvsd has committed it: what `flux resource drain` reports is what
 * a full restart finds again (drain_replay reads the log at start).  Events:
 * drain {"idset", "nodelist", "reason"?, "overwrite": 0|1|2} and undrain {"idset",
 * "nodelist"}, as the original's resource.eventlog has them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "resourced/resourced.h"

/* The modes of resource.drain, and the eventlog's overwrite values. */
enum { MODE_FAIL, MODE_UPDATE, MODE_OVERWRITE, MODE_KEEP };
static const char *const mode_names[] = {"fail", "update", "overwrite", "keep", NULL};

struct change {
    struct resourced *rd;
    struct fx_msg *req; /* NULL when rank 0 drains on its own */
    int drain;          /* 1 drain, 0 undrain */
    struct fx_idset *ranks;
    char *reason;
    int mode;
    double timestamp;
};

static void change_destroy (struct change *c)
{
    if (c) {
        fx_msg_destroy (c->req);
        fx_idset_destroy (c->ranks);
        free (c->reason);
        free (c);
    }
}

/* Apply one drain or undrain to memory (from the log or a committed request). */
static void apply (struct resourced *rd, int drain, const struct fx_idset *ranks,
                   const char *reason, int mode, double timestamp)
{
    for (unsigned int r = fx_idset_first (ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (ranks, r)) {
        struct drain *d;
        if (r >= rd->size)
            continue;
        d = &rd->drains[r];
        if (!drain) {
            d->drained = 0;
            free (d->reason);
            d->reason = NULL;
            continue;
        }
        if (d->drained && mode == MODE_KEEP)
            continue;
        if (!d->drained || mode == MODE_OVERWRITE)
            d->timestamp = timestamp;
        d->drained = 1;
        free (d->reason);
        d->reason = reason && *reason ? strdup (reason) : NULL;
    }
}

static double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void committed_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct change *c = arg;
    const char *errstr = fx_msg_errstr (rsp);
    char *ids;
    json_t *o;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        if (c->req)
            fx_respond_error (c->rd->peer, c->req, fx_msg_errnum (rsp), "%s",
                              errstr ? errstr : "the resource eventlog cannot be written");
        else
            fx_log (c->rd->peer, LOG_ERR, "cannot record a drain: %s", errstr ? errstr : "?");
        change_destroy (c);
        return;
    }
    apply (c->rd, c->drain, c->ranks, c->reason, c->mode, c->timestamp);
    if (c->req && (ids = fx_idset_encode (c->ranks, 0))) {
        o = json_pack ("{s:s}", "ranks", ids);
        fx_respond (c->rd->peer, c->req, o);
        json_decref (o);
        free (ids);
    }
    change_destroy (c);
}

/* The hosts of ranks, as a hostlist string. */
static char *nodelist (struct resourced *rd, const struct fx_idset *ranks)
{
    struct fx_hostlist *hl = fx_hostlist_create ();
    char *s = NULL;

    for (unsigned int r = fx_idset_first (ranks); hl && r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (ranks, r))
        fx_hostlist_append (hl, fx_hostlist_nth (rd->hosts, (int) r), NULL);
    if (hl)
        s = fx_hostlist_encode (hl);
    fx_hostlist_destroy (hl);
    return s;
}

/* Append c to the eventlog; committed_cb applies and answers.  Takes c. */
static void record (struct change *c)
{
    struct resourced *rd = c->rd;
    char *ids = fx_idset_encode (c->ranks, 0), *hosts = nodelist (rd, c->ranks);
    json_t *ctx = NULL, *o = NULL;

    c->timestamp = now ();
    if (ids && hosts)
        ctx = json_pack ("{s:s s:s}", "idset", ids, "nodelist", hosts);
    if (ctx && c->drain) {
        if (c->reason)
            json_object_set_new (ctx, "reason", json_string (c->reason));
        json_object_set_new (ctx, "overwrite",
                             json_integer (c->mode == MODE_UPDATE      ? 1
                                           : c->mode == MODE_OVERWRITE ? 2
                                                                       : 0));
    }
    if (ctx)
        o = json_pack ("{s:[{s:s s:s s:{s:f s:s s:O}}]}", "ops", "op", "append", "key",
                       RESOURCE_EVENTLOG, "event", "timestamp", c->timestamp, "name",
                       c->drain ? "drain" : "undrain", "context", ctx);
    if (!o || !fx_rpc_start (rd->peer, "kvs.commit", 0, 0, o, 15.0, committed_cb, c)) {
        if (c->req)
            fx_respond_error (rd->peer, c->req, ENOMEM, "resource: cannot record the change");
        change_destroy (c);
    }
    json_decref (o);
    json_decref (ctx);
    free (ids);
    free (hosts);
}

static struct change *change_create (struct resourced *rd, const struct fx_msg *req, int drain,
                                     const struct fx_idset *ranks, const char *reason, int mode)
{
    struct change *c = calloc (1, sizeof (*c));

    if (!c || !(c->ranks = fx_idset_copy (ranks)) || (req && !(c->req = fx_msg_copy (req)))
        || (reason && *reason && !(c->reason = strdup (reason)))) {
        change_destroy (c);
        return NULL;
    }
    c->rd = rd;
    c->drain = drain;
    c->mode = mode;
    return c;
}

void drain_self (struct resourced *rd, const struct fx_idset *ranks, const char *reason)
{
    struct change *c = change_create (rd, NULL, 1, ranks, reason, MODE_KEEP);

    if (c)
        record (c);
}

/* Check targets for drain or undrain; NULL after answering the error. */
static struct fx_idset *check_targets (struct resourced *rd, const struct fx_msg *req,
                                       const char *targets, int drain, int mode)
{
    struct fx_error err = {""};
    struct fx_idset *ranks = targets_decode (rd, targets, &err);
    char name[300];

    if (!ranks) {
        fx_respond_error (rd->peer, req, EINVAL, "%s", err.text);
        return NULL;
    }
    for (unsigned int r = fx_idset_first (ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (ranks, r)) {
        const char *why = NULL;
        int errnum = EINVAL;
        if (drain && fx_idset_test (rd->exclude, r))
            why = "is excluded";
        else if (drain && mode == MODE_FAIL && rd->drains[r].drained) {
            why = "is already drained (-f to change its reason, -u to leave it)";
            errnum = EEXIST;
        } else if (!drain && !rd->drains[r].drained)
            why = "is not drained";
        if (why) {
            fx_respond_error (rd->peer, req, errnum, "%s %s",
                              rank_name (rd, r, name, sizeof (name)), why);
            fx_idset_destroy (ranks);
            return NULL;
        }
    }
    return ranks;
}

static void drain_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;
    const char *targets, *reason = NULL, *smode = "fail";
    struct fx_idset *ranks;
    struct change *c;
    json_t *in;
    int mode;

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:s s?s s?s}", "targets", &targets, "reason",
                           &reason, "mode", &smode)
               < 0) {
        fx_respond_error (p, req, EPROTO,
                          "resource.drain: expected {\"targets\", \"reason\"?, \"mode\"?}");
        return;
    }
    for (mode = 0; mode_names[mode] && strcmp (mode_names[mode], smode) != 0; mode++)
        ;
    if (!mode_names[mode]) {
        fx_respond_error (p, req, EINVAL, "resource.drain: unknown mode '%.32s'", smode);
        return;
    }
    if (!(ranks = check_targets (rd, req, targets, 1, mode)))
        return;
    if (!(c = change_create (rd, req, 1, ranks, reason, mode)))
        fx_respond_error (p, req, ENOMEM, "resource.drain: out of memory");
    else
        record (c);
    fx_idset_destroy (ranks);
}

static void undrain_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;
    struct fx_idset *ranks;
    const char *targets;
    struct change *c;
    json_t *in;

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:s}", "targets", &targets) < 0) {
        fx_respond_error (p, req, EPROTO, "resource.undrain: expected {\"targets\"}");
        return;
    }
    if (!(ranks = check_targets (rd, req, targets, 0, MODE_FAIL)))
        return;
    if (!(c = change_create (rd, req, 0, ranks, NULL, MODE_FAIL)))
        fx_respond_error (p, req, ENOMEM, "resource.undrain: out of memory");
    else
        record (c);
    fx_idset_destroy (ranks);
}

/* Apply one event of the log; an event that does not parse is skipped with a log line. */
static void replay_event (struct resourced *rd, json_t *ev)
{
    const char *name, *ids, *reason = NULL;
    double timestamp;
    int overwrite = 0;
    struct fx_idset *ranks;

    if (json_unpack (ev, "{s:F s:s s:{s:s s?s s?i}}", "timestamp", &timestamp, "name", &name,
                     "context", "idset", &ids, "reason", &reason, "overwrite", &overwrite)
            < 0
        || !(ranks = fx_idset_decode (ids, NULL))) {
        fx_log (rd->peer, LOG_ERR, "%s: an event that does not parse is skipped",
                RESOURCE_EVENTLOG);
        return;
    }
    if (strcmp (name, "drain") == 0)
        apply (rd, 1, ranks, reason, overwrite == 2 ? MODE_OVERWRITE : MODE_UPDATE, timestamp);
    else if (strcmp (name, "undrain") == 0)
        apply (rd, 0, ranks, NULL, MODE_FAIL, timestamp);
    fx_idset_destroy (ranks);
}

int drain_replay (struct resourced *rd, struct fx_error *err)
{
    json_int_t from = 0, count = 0;
    json_t *in, *out, *events, *ev;
    size_t i;

    do {
        in = json_pack ("{s:s s:I}", "key", RESOURCE_EVENTLOG, "from", from);
        if (fx_rpc_call (rd->peer, "kvs.get", 0, in, 15.0, &out, err) < 0) {
            json_decref (in);
            if (errno == ENOENT)
                return 0; /* nothing was ever drained */
            return errprintf (err, "reading %s: %s", RESOURCE_EVENTLOG, err->text);
        }
        json_decref (in);
        if (json_unpack (out, "{s:o s:I}", "events", &events, "count", &count) < 0) {
            json_decref (out);
            return errprintf (err, "%s is not an eventlog", RESOURCE_EVENTLOG);
        }
        json_array_foreach (events, i, ev) replay_event (rd, ev);
        from += (json_int_t) json_array_size (events);
        json_decref (out);
    } while (from < count && json_array_size (events) > 0);
    return 0;
}

void drain_free (struct resourced *rd)
{
    for (uint32_t r = 0; rd->drains && r < rd->size; r++)
        free (rd->drains[r].reason);
    free (rd->drains);
}

const struct fx_handler drain_handlers[] = {
    {"resource.drain", drain_cb, FX_ROLE_OWNER},
    {"resource.undrain", undrain_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
