/* bench_submit.c - submission latency (needs FLUX_URI, e.g. under `cli/flux start`).
 *
 *   bench_submit [N]
 *
 * Submits N (default 1000) held jobs one after another, each signed and then sent as one
 * job-ingest.submit, and prints the median and p99 of the time from sending the request to
 * its answer (what a user waits for after the signing), and of signing plus answer.  Held
 * jobs never run, so nothing else competes.  The queue is left as it was: the jobs stay
 * held in the instance that runs the benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/jobspec.h"
#include "services/peer.h"
#include "services/sign.h"

static double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static void report (const char *what, double *v, int n)
{
    qsort (v, (size_t) n, sizeof (*v), cmp_double);
    printf ("%s: median %.0f us, p99 %.0f us\n", what, v[n / 2] * 1e6, v[(n * 99) / 100] * 1e6);
}

int main (int argc, char **argv)
{
    int n = argc > 1 ? atoi (argv[1]) : 1000;
    char *args[] = {"true", NULL};
    struct fx_jobspec_opts opts = {.ntasks = 1, .argc = 1, .argv = args, .test_run_duration = -1};
    struct fx_error err = {""};
    struct fx_peer *p;
    json_t *jobspec;
    char *text;
    double *rpc, *total;

    if (n < 10 || !(rpc = calloc ((size_t) n, sizeof (*rpc)))
        || !(total = calloc ((size_t) n, sizeof (*total)))) {
        fprintf (stderr, "usage: bench_submit [N >= 10]\n");
        return 2;
    }
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "bench_submit", &err))
        || !(jobspec = fx_jobspec_build (&opts, &err))
        || !(text = json_dumps (jobspec, JSON_COMPACT))) {
        fprintf (stderr, "bench_submit: %s\n", err.text);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        double t0 = now (), t1;
        char *J = fx_sign_wrap (text, strlen (text), NULL, &err);
        json_t *in;
        if (!J || !(in = json_pack ("{s:s s:i}", "J", J, "urgency", 0))) {
            fprintf (stderr, "bench_submit: signing: %s\n", err.text);
            return 1;
        }
        t1 = now ();
        if (fx_rpc_call (p, "job-ingest.submit", FX_NODEID_ANY, in, 10.0, NULL, &err) < 0) {
            fprintf (stderr, "bench_submit: submit: %s\n", err.text);
            return 1;
        }
        rpc[i] = now () - t1;
        total[i] = now () - t0;
        json_decref (in);
        free (J);
    }
    printf ("%d held jobs submitted one at a time\n", n);
    report ("submit request to answer", rpc, n);
    report ("signing + submit", total, n);
    free (text);
    json_decref (jobspec);
    fx_peer_destroy (p);
    free (rpc);
    free (total);
    return 0;
}
