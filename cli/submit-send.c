/* submit-send.c - sign jobspecs and send them to jobd's job-ingest.submit.
 *
 * Every jobspec is signed first (fx_sign_wrap: a blocking round trip to munged, which a
 * command may make), then the requests go out on the loop with at most SUBMIT_INFLIGHT in
 * flight, each answered {"id"} once jobd has committed the job.  Requests go to nodeid ANY:
 * job-ingest lives on rank 0 and the routers take the request there.  A failed request is
 * reported and counted, the others carry on; a lost router ends the command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/submit.h"
#include "services/sign.h"

struct batch;

struct item {
    struct batch *b;
    size_t index;
};

struct batch {
    struct submit *s;
    char **J;           /* signed requests, n of them */
    struct item *items; /* n of them */
    uint64_t *ids;      /* results (0 = failed) */
    char **errors;      /* a message per failed job, NULL otherwise */
    size_t n, next, inflight, done;
};

static void lost_cb (struct fx_peer *p, const char *why, void *arg)
{
    (void) p;
    submit_die (arg, "lost the connection to the router: %s", why);
}

void submit_connect (struct submit *s)
{
    struct fx_error err = {""};

    if (!(s->p = fx_peer_create (EV_DEFAULT, NULL, s->prog, &err)))
        submit_die (s, "%s", err.text);
    fx_peer_set_lost (s->p, lost_cb, s);
}

static void record_error (struct batch *b, size_t i, const char *msg)
{
    if (!(b->errors[i] = strdup (msg)))
        submit_die (b->s, "out of memory");
}

static void start_more (struct batch *b);

static void submit_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct item *it = arg;
    struct batch *b = it->b;
    struct fx_error err = {""};
    json_int_t id = 0;
    json_t *o;

    (void) rpc;
    if (fx_msg_errnum (rsp)) {
        const char *why = fx_msg_errstr (rsp);
        record_error (b, it->index, why ? why : strerror ((int) fx_msg_errnum (rsp)));
    } else if (!(o = fx_msg_json (rsp, &err)) || json_unpack (o, "{s:I}", "id", &id) < 0 || id <= 0)
        record_error (b, it->index, "job-ingest.submit: malformed answer");
    else
        b->ids[it->index] = (uint64_t) id;
    b->inflight--;
    b->done++;
    start_more (b);
    if (b->done == b->n)
        ev_break (fx_peer_loop (b->s->p), EVBREAK_ALL);
}

static void start_more (struct batch *b)
{
    while (b->inflight < SUBMIT_INFLIGHT && b->next < b->n) {
        size_t i = b->next++;
        json_t *in = json_pack ("{s:s}", "J", b->J[i]);
        if (!in
            || (b->s->urgency >= 0
                && json_object_set_new (in, "urgency", json_integer (b->s->urgency)) < 0))
            submit_die (b->s, "out of memory");
        b->items[i] = (struct item){b, i};
        if (fx_rpc_start (b->s->p, "job-ingest.submit", FX_NODEID_ANY, 0, in, SUBMIT_TIMEOUT,
                          submit_cb, &b->items[i]))
            b->inflight++;
        else {
            record_error (b, i, strerror (errno));
            b->done++;
        }
        json_decref (in);
    }
}

static void sign_all (struct batch *b, json_t *const jobspecs[])
{
    struct fx_error err = {""};

    for (size_t i = 0; i < b->n; i++) {
        char *text = json_dumps (jobspecs[i], JSON_COMPACT);
        if (!text)
            submit_die (b->s, "out of memory");
        if (!(b->J[i] = fx_sign_wrap (text, strlen (text), NULL, &err)))
            submit_die (b->s, "signing the job request: %s", err.text);
        free (text);
    }
}

static void report (struct batch *b, const long *labels)
{
    for (size_t i = 0; i < b->n; i++) {
        if (!b->errors[i])
            continue;
        if (labels)
            fprintf (stderr, "%s: cc=%ld: %s\n", b->s->prog, labels[i], b->errors[i]);
        else
            fprintf (stderr, "%s: %s\n", b->s->prog, b->errors[i]);
    }
}

size_t submit_send (struct submit *s, json_t *const jobspecs[], const long *labels, size_t n,
                    uint64_t *ids)
{
    struct batch b = {.s = s, .n = n, .ids = ids};
    size_t failed = 0;

    if (!(b.J = calloc (n, sizeof (char *))) || !(b.items = calloc (n, sizeof (struct item)))
        || !(b.errors = calloc (n, sizeof (char *))))
        submit_die (s, "out of memory");
    memset (ids, 0, n * sizeof (*ids));
    sign_all (&b, jobspecs);
    if (!s->p)
        submit_connect (s);
    start_more (&b);
    if (b.done < b.n)
        ev_run (fx_peer_loop (s->p), 0);
    fflush (stdout);
    report (&b, labels);
    for (size_t i = 0; i < n; i++) {
        failed += b.errors[i] != NULL;
        free (b.errors[i]);
        free (b.J[i]);
    }
    free (b.errors);
    free (b.items);
    free (b.J);
    return failed;
}
