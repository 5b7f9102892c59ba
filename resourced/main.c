/* main.c - flux-resourced: arguments, create, ready, loop, destroy.
 *
 * Every rank runs one.  It says READY (node.c) once it serves: rank 0 after reading the
 * drains from kvsd, other ranks once rank 0 has welcomed them, or after a few seconds
 * without an answer (their hello is then retried in the background).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "resourced/resourced.h"
#include "services/daemon.h"
#include "services/notify.h"

static const char usage[] =
    "Usage: flux-resourced [OPTIONS]\n"
    "  -r, --rank=N           this node's rank (default 0)\n"
    "  -s, --size=N           instance size (default 1)\n"
    "  -u, --uri=URI          local router endpoint (default $FLUX_URI or\n"
    "                         ipc:///run/flux/router)\n"
    "  -c, --config-path=DIR  configuration directory (read through the router)\n"
    "  -H, --hostname=NAME    this rank's host name (default: gethostname)\n"
    "  -A, --hosts=HOSTLIST   every rank's host name (default: bootstrap.hosts)\n"
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

static void parse_args (int argc, char **argv, struct resourced_args *a)
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
                fprintf (stderr, "flux-resourced: invalid --%s '%s'\n", c == 'r' ? "rank" : "size",
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
            break; /* the configuration comes from the router */
        case 'H':
            a->hostname = optarg;
            break;
        case 'A':
            a->hosts = optarg;
            break;
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
    if (optind < argc || a->size == 0 || a->rank >= a->size) {
        fputs (usage, stderr);
        exit (2);
    }
}

int main (int argc, char **argv)
{
    struct resourced_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct resourced *rd;
    ev_signal sigterm_w, sigint_w;
    int rc = 0;

    parse_args (argc, argv, &args);
    fx_daemon_startup_signals ();
    if (!(rd = resourced_create (loop, &args, &err))) {
        fprintf (stderr, "flux-resourced: %s\n", err.text);
        return args.no_router ? FX_DAEMON_EXIT_LOST : 1;
    }
    fx_daemon_stop_signals (loop, &sigterm_w, &sigint_w, fx_daemon_break_cb, NULL);
    fx_peer_set_lost (rd->peer, fx_daemon_lost_cb, &rc);
    ev_run (loop, 0); /* node.c says READY */
    fx_notify_stopping ();
    if (rc == 0)
        fx_log (rd->peer, LOG_INFO, "shutting down");
    resourced_destroy (rd);
    return rc;
}
