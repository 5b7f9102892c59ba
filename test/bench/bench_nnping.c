/* bench_nnping.c - the baseline for bench_ping: bare nanomsg REQ/REP round trips over ipc
 * between two processes, with nothing of ours in the path (no codec, no router, no
 * authentication).  What the router adds is bench_ping's figure minus this one.
 *
 *   bench_nnping [COUNT]
 */
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/log.h"

static int cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main (int argc, char **argv)
{
    int count = argc > 1 ? atoi (argv[1]) : 10000;
    char uri[64], buf[64];
    double *rtt = calloc (count, sizeof (double)), start, total;
    pid_t pid;
    int sock;

    snprintf (uri, sizeof (uri), "ipc:///tmp/bench_nnping.%d", (int) getpid ());
    if (!rtt || count < 1)
        return 1;
    if ((pid = fork ()) == 0) {
        int rep = nn_socket (AF_SP, NN_REP);
        if (rep < 0 || nn_bind (rep, uri) < 0)
            _exit (1);
        for (int i = 0; i < count; i++) {
            int n = nn_recv (rep, buf, sizeof (buf), 0);
            if (n < 0 || nn_send (rep, buf, n, 0) < 0)
                _exit (1);
        }
        _exit (0);
    }
    if ((sock = nn_socket (AF_SP, NN_REQ)) < 0 || nn_connect (sock, uri) < 0)
        return 1;
    start = fx_log_now ();
    for (int i = 0; i < count; i++) {
        double t0 = fx_log_now ();
        if (nn_send (sock, "ping", 4, 0) < 0 || nn_recv (sock, buf, sizeof (buf), 0) < 0)
            return 1;
        rtt[i] = (fx_log_now () - t0) * 1e6;
    }
    total = fx_log_now () - start;
    waitpid (pid, NULL, 0);
    unlink (uri + 6);
    qsort (rtt, count, sizeof (double), cmp);
    printf ("baseline: bare nanomsg REQ/REP over ipc, %d calls: median %.1f us, p90 %.1f us, "
            "p99 %.1f us, %.0f calls/s\n",
            count, rtt[count / 2], rtt[count * 9 / 10], rtt[count * 99 / 100], count / total);
    free (rtt);
    return 0;
}
