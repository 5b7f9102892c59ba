/* bench_events.c - events per second through the tree, as figures.
 *
 *   bench_events sub URI COUNT   subscribe at a rank's router, print "subscribed", then
 *                                wait for COUNT events and print the rate they arrived at
 *   bench_events pub URI COUNT   publish COUNT events at rank 0, keeping 256 in flight
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/log.h"
#include "services/peer.h"

#define WINDOW 256

struct state {
    long count, got, sent, answered;
    double first, last;
    struct fx_peer *p;
};

static void event_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct state *s = arg;

    (void) p;
    (void) msg;
    if (s->got++ == 0)
        s->first = fx_log_now ();
    s->last = fx_log_now ();
    if (s->got >= s->count)
        ev_break (fx_peer_loop (p), EVBREAK_ALL);
}

static void publish_next (struct state *s);

static void published_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct state *s = arg;

    (void) rpc;
    if (fx_msg_errnum (rsp)) {
        fprintf (stderr, "bench_events: %s\n", fx_msg_errstr (rsp));
        exit (1);
    }
    if (++s->answered >= s->count)
        ev_break (fx_peer_loop (s->p), EVBREAK_ALL);
    publish_next (s);
}

static void publish_next (struct state *s)
{
    while (s->sent < s->count && s->sent - s->answered < WINDOW) {
        json_t *o = json_pack ("{s:s s:{s:I}}", "topic", "bench.event", "payload", "i",
                               (json_int_t) s->sent);
        if (!fx_rpc_start (s->p, "event.publish", 0, 0, o, 30, published_cb, s)) {
            perror ("bench_events: publish");
            exit (1);
        }
        json_decref (o);
        s->sent++;
    }
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct state s = {0};

    if (argc != 4 || (strcmp (argv[1], "sub") && strcmp (argv[1], "pub"))) {
        fprintf (stderr, "Usage: bench_events sub|pub URI COUNT\n");
        return 2;
    }
    s.count = atol (argv[3]);
    if (!(s.p = fx_peer_create (loop, argv[2], "bench-events", &err))) {
        fprintf (stderr, "bench_events: %s\n", err.text);
        return 1;
    }
    if (!strcmp (argv[1], "sub")) {
        if (fx_peer_subscribe (s.p, "bench.", event_cb, &s, &err) < 0) {
            fprintf (stderr, "bench_events: %s\n", err.text);
            return 1;
        }
        printf ("subscribed\n");
        fflush (stdout);
        ev_run (loop, 0);
        printf ("%ld events delivered in %.3f s: %.0f events/s at this rank\n", s.got,
                s.last - s.first, s.got > 1 ? (s.got - 1) / (s.last - s.first) : 0.);
    }
    else {
        double t0 = fx_log_now ();
        publish_next (&s);
        ev_run (loop, 0);
        printf ("%ld events published in %.3f s\n", s.count, fx_log_now () - t0);
    }
    fx_peer_destroy (s.p);
    return 0;
}
