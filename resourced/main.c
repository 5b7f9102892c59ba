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

/* The router went away (restarted, or this connection was dropped): exit 75, as overlayd
 * does when it loses its parent, so that systemd (or flux start) starts a fresh daemon
 * that says hello again. */
static void lost_cb (struct fx_peer *p, const char *why, void *arg)
{
    int *rc = arg;

    fprintf (stderr, "flux-resourced: lost the router: %s\n", why);
    *rc = 75;
    ev_break (fx_peer_loop (p), EVBREAK_ALL);
}

/* SIGTERM or SIGINT before the loop runs (a stop that comes while the daemon starts, as
 * when an instance stops right after restarting it): nothing to save yet, leave at once. */
static void startup_signal (int signum)
{
    (void) signum;
    _exit (0);
}

static void signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    (void) revents;
    (void) w;
    ev_break (loop, EVBREAK_ALL);
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
    signal (SIGPIPE, SIG_IGN);
    signal (SIGTERM, startup_signal);
    signal (SIGINT, startup_signal);
    if (!(rd = resourced_create (loop, &args, &err))) {
        fprintf (stderr, "flux-resourced: %s\n", err.text);
        return args.no_router ? 75 : 1;
    }
    ev_signal_init (&sigterm_w, signal_cb, SIGTERM);
    ev_signal_init (&sigint_w, signal_cb, SIGINT);
    ev_signal_start (loop, &sigterm_w);
    ev_signal_start (loop, &sigint_w);
    fx_peer_set_lost (rd->peer, lost_cb, &rc);
    ev_run (loop, 0); /* node.c says READY */
    fx_notify_stopping ();
    if (rc == 0)
        fx_log (rd->peer, LOG_INFO, "shutting down");
    resourced_destroy (rd);
    return rc;
}
