/* main.c - flux-schedd: arguments, create, ready, loop, destroy.
 *
 * Rank 0 runs one.  It says READY once it serves: after it has acquired resources and
 * registered the sched service, without waiting for jobd (the hello to jobd is retried in
 * the background until jobd answers).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "schedd/schedd.h"
#include "services/daemon.h"
#include "services/notify.h"

static const char usage[] =
    "Usage: flux-schedd [OPTIONS]\n"
    "  -r, --rank=N           this node's rank (default 0; schedd runs on rank 0 only)\n"
    "  -s, --size=N           instance size (default 1)\n"
    "  -u, --uri=URI          local router endpoint (default $FLUX_URI or\n"
    "                         ipc:///run/flux/router)\n"
    "  -c, --config-path=DIR  configuration directory (read through the router)\n"
    "  -H, --hostname=NAME    this rank's host name (ignored)\n"
    "  -A, --hosts=HOSTLIST   every rank's host name (ignored: R comes from resourced)\n"
    "  -m, --munge-socket=P   munged socket for the router hello\n";

static const struct option longopts[] = {
    {"rank", required_argument, NULL, 'r'},
    {"size", required_argument, NULL, 's'},
    {"uri", required_argument, NULL, 'u'},
    {"config-path", required_argument, NULL, 'c'},
    {"hostname", required_argument, NULL, 'H'},
    {"hosts", required_argument, NULL, 'A'},
    {"munge-socket", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void parse_args (int argc, char **argv, struct schedd_args *a)
{
    char *end;
    int c;

    a->size = 1;
    a->uri = fx_peer_default_uri ();
    while ((c = getopt_long (argc, argv, "r:s:u:c:H:A:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
        case 's': {
            unsigned long v = strtoul (optarg, &end, 10);
            if (!*optarg || *end || v > 0xfffffff0ul) {
                fprintf (stderr, "flux-schedd: invalid --%s '%s'\n", c == 'r' ? "rank" : "size",
                         optarg);
                exit (2);
            }
            *(c == 'r' ? &a->rank : &a->size) = (uint32_t) v;
            break;
        }
        case 'u':
            a->uri = optarg;
            break;
        case 'c':
        case 'H':
        case 'A':
            break; /* the configuration comes from the router, R from resourced */
        case 'm':
            setenv ("FLUX_MUNGE_SOCKET", optarg, 1);
            break;
        case 'h':
            fputs (usage, stdout);
            exit (0);
        default:
            fputs (usage, stderr);
            exit (2);
        }
    }
    if (optind < argc || a->size == 0) {
        fputs (usage, stderr);
        exit (2);
    }
}

int main (int argc, char **argv)
{
    struct schedd_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct schedd *sd;
    ev_signal sigterm_w, sigint_w;
    int rc = 0;

    parse_args (argc, argv, &args);
    fx_daemon_startup_signals ();
    if (!(sd = schedd_create (loop, &args, &err))) {
        fprintf (stderr, "flux-schedd: %s\n", err.text);
        return args.exit_code;
    }
    fx_daemon_stop_signals (loop, &sigterm_w, &sigint_w, fx_daemon_break_cb, NULL);
    fx_peer_set_lost (sd->peer, fx_daemon_lost_cb, &rc);
    fx_notify_ready ();
    ev_run (loop, 0);
    fx_notify_stopping ();
    if (rc == 0)
        fx_log (sd->peer, LOG_INFO, "shutting down");
    schedd_destroy (sd);
    return rc;
}
