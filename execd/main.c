/* main.c - flux-execd: arguments, create, ready, loop, destroy.
 *
 * Every rank runs one.  It says READY once its `execd` service is registered.  SIGTERM
 * (the instance stopping) kills the running jobs, answers their streams and exits 0
 * (execd.c bounds how long that takes).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/execd.h"
#include "services/daemon.h"
#include "services/notify.h"

static const char usage[] = "Usage: flux-execd [OPTIONS]\n"
                            "  -u, --uri=URI          local router endpoint (default $FLUX_URI or\n"
                            "                         ipc:///run/flux/router)\n"
                            "  -c, --config-path=DIR  configuration directory (read through the "
                            "router)\n"
                            "  -m, --munge-socket=P   munged socket for the router hello\n"
                            "  -r, --rank, -s, --size, -H, --hostname, -A, --hosts: accepted for\n"
                            "                         flux start (the router tells the rank)\n";

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

static void parse_args (int argc, char **argv, struct execd_args *a)
{
    int c;

    a->uri = fx_peer_default_uri ();
    while ((c = getopt_long (argc, argv, "r:s:u:c:H:A:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            a->uri = optarg;
            break;
        case 'm':
            setenv ("FLUX_MUNGE_SOCKET", optarg, 1);
            break;
        case 'r':
        case 's':
        case 'c':
        case 'H':
        case 'A':
            break; /* the router and its configuration say these */
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

static void signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    (void) loop;
    (void) revents;
    execd_stop (w->data);
}

int main (int argc, char **argv)
{
    struct execd_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct execd *ed;
    ev_signal sigterm_w, sigint_w;
    int rc = 0;

    parse_args (argc, argv, &args);
    fx_daemon_startup_signals ();
    if (!(ed = execd_create (loop, &args, &err))) {
        fprintf (stderr, "flux-execd: %s\n", err.text);
        return args.no_router ? FX_DAEMON_EXIT_LOST : 1;
    }
    fx_daemon_stop_signals (loop, &sigterm_w, &sigint_w, signal_cb, ed);
    fx_peer_set_lost (ed->peer, fx_daemon_lost_cb, &rc);
    fx_notify_ready ();
    ev_run (loop, 0);
    fx_notify_stopping ();
    if (rc == 0)
        fx_log (ed->peer, LOG_INFO, "shutting down");
    ev_signal_stop (loop, &sigterm_w);
    ev_signal_stop (loop, &sigint_w);
    execd_destroy (ed);
    return rc;
}
