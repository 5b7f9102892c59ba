/* main.c - flux-kvsd: arguments, configuration, create, ready, loop, destroy.
 *
 * kvsd says READY to systemd once its database connection is set up (kvsd.c), not before:
 * the daemons started after it can rely on the store.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "kvsd/kvsd.h"
#include "services/auth.h"
#include "services/daemon.h"
#include "services/notify.h"

static const char usage[] =
    "Usage: flux-kvsd [OPTIONS]\n"
    "  -r, --rank=N           this node's rank (kvsd runs on rank 0 only)\n"
    "  -s, --size=N           instance size\n"
    "  -u, --uri=URI          local router endpoint (default $FLUX_URI or\n"
    "                         ipc:///run/flux/router)\n"
    "  -c, --config-path=DIR  configuration directory (conf.d); read through the router\n"
    "  -H, --hostname=NAME    host name (unused: accepted like every daemon)\n"
    "  -m, --munge-socket=P   munged socket for the router hello\n"
    "  -A, --hosts=HOSTLIST   host names of all ranks (unused)\n"
    "  -d, --dsn=CONNINFO     database to use instead of kvs.dsn (test instances)\n";

static const struct option longopts[] = {
    {"rank", required_argument, NULL, 'r'},     {"size", required_argument, NULL, 's'},
    {"uri", required_argument, NULL, 'u'},      {"config-path", required_argument, NULL, 'c'},
    {"hostname", required_argument, NULL, 'H'}, {"munge-socket", required_argument, NULL, 'm'},
    {"hosts", required_argument, NULL, 'A'},    {"dsn", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
};

static void parse_args (int argc, char **argv, struct kvsd_args *a)
{
    int c;

    a->uri = fx_peer_default_uri ();
    while ((c = getopt_long (argc, argv, "r:s:u:c:H:m:A:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            a->rank = (uint32_t) strtoul (optarg, NULL, 10);
            break;
        case 's':
            a->size = (uint32_t) strtoul (optarg, NULL, 10);
            break;
        case 'u':
            a->uri = optarg;
            break;
        case 'c':
            a->config_dir = optarg;
            break;
        case 'H':
        case 'A':
            break;
        case 'm':
            setenv ("FLUX_MUNGE_SOCKET", optarg, 1);
            break;
        case 'd':
            a->dsn = optarg;
            break;
        case 'h':
            fputs (usage, stdout);
            exit (0);
        default:
            fputs (usage, stderr);
            exit (2);
        }
    }
    if (optind < argc) {
        fputs (usage, stderr);
        exit (2);
    }
    if (a->rank != 0) {
        fprintf (stderr, "flux-kvsd: runs on rank 0 only (got --rank=%u)\n", a->rank);
        exit (42); /* a configuration mistake: systemd must not restart it */
    }
}

int main (int argc, char **argv)
{
    struct kvsd_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct kvsd *kd;
    ev_signal sigterm_w, sigint_w;

    parse_args (argc, argv, &args);
    fx_daemon_startup_signals ();
    if (!(kd = kvsd_create (loop, &args, &err))) {
        fprintf (stderr, "flux-kvsd: %s\n", err.text);
        return 1;
    }
    fx_daemon_stop_signals (loop, &sigterm_w, &sigint_w, fx_daemon_break_cb, NULL);
    ev_run (loop, 0);
    fx_notify_stopping ();
    fx_log (kd->peer, LOG_INFO, "shutting down");
    kvsd_destroy (kd);
    return 0;
}
