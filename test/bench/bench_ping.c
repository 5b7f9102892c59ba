/* bench_ping.c - round trips to the local router's broker.ping, as figures.
 *
 *   bench_ping [COUNT [RANK]]   (needs FLUX_URI, e.g. under `cli/flux start`)
 *
 * Prints the median, 90th and 99th percentile round-trip times and the rate of
 * back-to-back calls from one client.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "services/log.h"
#include "services/peer.h"

static int cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    int count = argc > 1 ? atoi (argv[1]) : 10000;
    uint32_t nodeid = argc > 2 ? (uint32_t) atoi (argv[2]) : FX_NODEID_ANY;
    double *rtt = calloc (count, sizeof (double)), t0, start;
    struct fx_peer *p;

    if (!rtt || count < 1 || !(p = fx_peer_create (loop, NULL, "bench-ping", &err))) {
        fprintf (stderr, "bench_ping: %s\n", err.text);
        return 1;
    }
    start = fx_log_now ();
    for (int i = 0; i < count; i++) {
        t0 = fx_log_now ();
        if (fx_rpc_call (p, "broker.ping", nodeid, NULL, 5.0, NULL, &err) < 0) {
            fprintf (stderr, "bench_ping: %s\n", err.text);
            return 1;
        }
        rtt[i] = (fx_log_now () - t0) * 1e6;
    }
    double total = fx_log_now () - start;
    qsort (rtt, count, sizeof (double), cmp);
    printf ("ping round trip to %s, %d calls: median %.1f us, p90 %.1f us, "
            "p99 %.1f us, %.0f calls/s\n",
            argc > 2 ? argv[2] : "the local router", count, rtt[count / 2], rtt[count * 9 / 10], rtt[count * 99 / 100], count / total);
    fx_peer_destroy (p);
    free (rtt);
    return 0;
}
