/* main.c - flux-jobd: arguments, create, ready, loop, destroy.
 *
 * Rank 0 runs one.  It says READY once it has rebuilt its jobs from kvsd and serves its
 * three services (job-ingest, job-manager, job-list).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "jobd/jobd.h"
#include "services/daemon.h"
#include "services/notify.h"

static const char usage[] =
    "Usage: flux-jobd [OPTIONS]\n"
    "  -r, --rank=N            this node's rank (must be 0)\n"
    "  -s, --size=N            instance size\n"
    "  -u, --uri=URI           local router endpoint (default $FLUX_URI or\n"
    "                          ipc:///run/flux/router)\n"
    "  -c, --config-path=DIR   configuration directory (read through the router)\n"
    "  -S, --security-config=DIR  signing configuration (default\n"
    "                          " FX_SYSCONFDIR "/flux/security/conf.d)\n"
    "  -m, --munge-socket=PATH munged socket\n";

static const struct option longopts[] = {
    {"rank", required_argument, NULL, 'r'},
    {"size", required_argument, NULL, 's'},
    {"uri", required_argument, NULL, 'u'},
    {"config-path", required_argument, NULL, 'c'},
    {"security-config", required_argument, NULL, 'S'},
    {"munge-socket", required_argument, NULL, 'm'},
    {"hosts", required_argument, NULL, 'A'},
    {"hostname", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void parse_args (int argc, char **argv, struct jobd_args *a)
{
    int c;

    a->uri = fx_peer_default_uri ();
    while ((c = getopt_long (argc, argv, "r:s:u:c:S:m:A:H:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (strtoul (optarg, NULL, 10) != 0) {
                fprintf (stderr, "flux-jobd: runs on rank 0 only\n");
                exit (2);
            }
            break;
        case 's':
        case 'c':
        case 'A':
        case 'H':
            break; /* the configuration comes from the router */
        case 'u':
            a->uri = optarg;
            break;
        case 'S':
            a->security_dir = optarg;
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
    if (optind < argc) {
        fputs (usage, stderr);
        exit (2);
    }
}

/* SIGTERM, SIGINT: end the running jobs (jobd_shutdown), then leave the loop; a second
 * signal leaves at once. */
static void signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    struct jobd *jd = w->data;

    (void) revents;
    if (jd->shutting_down) {
        ev_break (loop, EVBREAK_ALL);
        return;
    }
    fx_notify_stopping ();
    jobd_shutdown (jd);
}

int main (int argc, char **argv)
{
    struct jobd_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct jobd *jd;
    ev_signal sigterm_w, sigint_w;
    int rc = 0;

    parse_args (argc, argv, &args);
    fx_daemon_startup_signals ();
    if (!(jd = jobd_create (loop, &args, &err))) {
        fprintf (stderr, "flux-jobd: %s\n", err.text);
        return args.no_router ? FX_DAEMON_EXIT_LOST : 1;
    }
    fx_daemon_stop_signals (loop, &sigterm_w, &sigint_w, signal_cb, jd);
    fx_peer_set_lost (jd->peer, fx_daemon_lost_cb, &rc);
    fx_notify_ready ();
    ev_run (loop, 0);
    if (rc == 0)
        fx_log (jd->peer, LOG_INFO, "shutting down");
    jobd_destroy (jd);
    return rc;
}
