/* evtest.c - events for integration tests: subscribe on one rank, publish from another.
 *
 *   evtest sub URI PREFIX COUNT [TIMEOUT]
 *       connect to the router at URI, subscribe to PREFIX, print "subscribed" (so a test
 *       knows it may publish now), then one line "TOPIC SEQ I" per event received (I is the
 *       payload's "i", or -1), until COUNT events arrived (exit 0) or TIMEOUT seconds
 *       (default 10) passed without them (exit 1).
 *   evtest pub URI TOPIC COUNT
 *       publish COUNT events TOPIC with payload {"i": 0..COUNT-1} through event.publish and
 *       print the sequence number rank 0 gave each.
 *
 * Each line is flushed at once: the test reads the output while the helper runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/peer.h"

struct sub {
    long want, got;
    struct ev_loop *loop;
};

static void event_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct sub *s = arg;
    json_t *o = fx_msg_json (msg, NULL);
    json_int_t i = -1;

    (void) p;
    if (o)
        json_unpack (o, "{s?I}", "i", &i);
    printf ("%s %u %lld\n", msg->topic, (unsigned) fx_msg_seq (msg), (long long) i);
    fflush (stdout);
    if (++s->got >= s->want)
        ev_break (s->loop, EVBREAK_ALL);
}

static void timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) w;
    (void) revents;
    ev_break (loop, EVBREAK_ALL);
}

static int subscriber (struct fx_peer *p, const char *prefix, long count, double timeout)
{
    struct sub s = {.want = count, .loop = fx_peer_loop (p)};
    struct fx_error err = {""};
    ev_timer t;

    if (fx_peer_subscribe (p, prefix, event_cb, &s, &err) < 0) {
        fprintf (stderr, "evtest: subscribe %s: %s\n", prefix, err.text);
        return 1;
    }
    printf ("subscribed\n");
    fflush (stdout);
    ev_timer_init (&t, timeout_cb, timeout, 0.);
    ev_timer_start (s.loop, &t);
    ev_run (s.loop, 0);
    ev_timer_stop (s.loop, &t);
    if (s.got < s.want) {
        fprintf (stderr, "evtest: %ld of %ld events within %gs\n", s.got, s.want, timeout);
        return 1;
    }
    return 0;
}

static int publisher (struct fx_peer *p, const char *topic, long count)
{
    struct fx_error err = {""};

    for (long i = 0; i < count; i++) {
        json_t *in = json_pack ("{s:s s:{s:I}}", "topic", topic, "payload", "i", (json_int_t) i);
        json_t *out = NULL;
        json_int_t seq = -1;

        if (fx_rpc_call (p, "event.publish", FX_NODEID_ANY, in, FX_RPC_TIMEOUT, &out, &err) < 0) {
            fprintf (stderr, "evtest: event.publish: %s\n", err.text);
            json_decref (in);
            return 1;
        }
        json_unpack (out, "{s?I}", "seq", &seq);
        printf ("%s %lld %ld\n", topic, (long long) seq, i);
        json_decref (in);
        json_decref (out);
    }
    return 0;
}

int main (int argc, char **argv)
{
    struct fx_error err = {""};
    struct fx_peer *p;
    long count;
    int rc;

    if (argc < 5 || argc > 6 || (strcmp (argv[1], "sub") && strcmp (argv[1], "pub"))
        || (count = strtol (argv[4], NULL, 10)) < 1 || (argc == 6 && strcmp (argv[1], "sub"))) {
        fprintf (stderr, "Usage: evtest sub URI PREFIX COUNT [TIMEOUT]\n"
                         "       evtest pub URI TOPIC COUNT\n");
        return 2;
    }
    if (!(p = fx_peer_create (EV_DEFAULT, argv[2], "evtest", &err))) {
        fprintf (stderr, "evtest: %s\n", err.text);
        return 1;
    }
    if (!strcmp (argv[1], "sub"))
        rc = subscriber (p, argv[3], count, argc == 6 ? strtod (argv[5], NULL) : 10.0);
    else
        rc = publisher (p, argv[3], count);
    fx_peer_destroy (p);
    return rc;
}
