/* main.c - flux-overlayd: arguments, configuration, create, ready, loop, destroy. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "overlayd/overlayd.h"
#include "services/notify.h"
#include "services/peer.h"

static const char usage[] =
    "Usage: flux-overlayd [OPTIONS]\n"
    "  -r, --rank=N           this node's rank (default 0)\n"
    "  -s, --size=N           instance size (default 1)\n"
    "  -u, --uri=URI          local router endpoint (default $FLUX_URI or\n"
    "                         ipc:///run/flux/router)\n"
    "  -c, --config-path=DIR  configuration directory (conf.d)\n"
    "  -H, --hostname=NAME    host name shown for this rank\n"
    "  -m, --munge-socket=P   munged socket used to verify hellos\n"
    "A test instance's place in the tree (a system instance reads `bootstrap`):\n"
    "  -b, --bind=URI         tcp endpoint for children\n"
    "  -p, --parent-uri=URI   tcp endpoint of the parent\n"
    "  -t, --topo=SHAPE       tree shape: kary:K, flat, binomial (default kary:32)\n"
    "  -C, --cert=PATH        cluster certificate (flux keygen)\n"
    "  -A, --hosts=HOSTLIST   host names of all ranks\n";

static const struct option longopts[] = {
    {"rank", required_argument, NULL, 'r'},      {"size", required_argument, NULL, 's'},
    {"uri", required_argument, NULL, 'u'},       {"config-path", required_argument, NULL, 'c'},
    {"hostname", required_argument, NULL, 'H'},  {"munge-socket", required_argument, NULL, 'm'},
    {"bind", required_argument, NULL, 'b'},      {"parent-uri", required_argument, NULL, 'p'},
    {"topo", required_argument, NULL, 't'},      {"cert", required_argument, NULL, 'C'},
    {"hosts", required_argument, NULL, 'A'},
    {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
};

static int parse_u32 (const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul (s, &end, 10);

    if (!*s || *end || v > 0xfffffff0ul)
        return -1;
    *out = v;
    return 0;
}

static void parse_args (int argc, char **argv, struct overlayd_args *a)
{
    int c;

    a->rank = 0;
    a->size = 1;
    a->uri = fx_peer_default_uri ();
    a->munge_socket = fx_auth_socket ();
    while ((c = getopt_long (argc, argv, "r:s:u:c:H:m:b:p:t:C:A:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
        case 's':
            if (parse_u32 (optarg, c == 'r' ? &a->rank : &a->size) < 0) {
                fprintf (stderr, "flux-overlayd: invalid --%s '%s'\n",
                         c == 'r' ? "rank" : "size", optarg);
                exit (2);
            }
            break;
        case 'u': a->uri = optarg; break;
        case 'c': a->config_dir = optarg; break;
        case 'H': a->hostname = optarg; break;
        case 'm': a->munge_socket = optarg; break;
        case 'b': a->bind_uri = optarg; break;
        case 'p': a->parent_uri = optarg; break;
        case 't': a->topo = optarg; break;
        case 'C': a->cert = optarg; break;
        case 'A': a->hosts = optarg; break;
        case 'h': fputs (usage, stdout); exit (0);
        default: fputs (usage, stderr); exit (2);
        }
    }
    if (optind < argc || a->size == 0 || a->rank >= a->size) {
        fputs (usage, stderr);
        exit (2);
    }
}

static void signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    (void) revents;
    (void) w;
    ev_break (loop, EVBREAK_ALL);
}

int main (int argc, char **argv)
{
    struct overlayd_args args = {0};
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct overlayd *od;
    ev_signal sigterm_w, sigint_w;
    int rc;

    parse_args (argc, argv, &args);
    signal (SIGPIPE, SIG_IGN);
    if (!(od = overlayd_create (loop, &args, &err))) {
        fprintf (stderr, "flux-overlayd: %s\n", err.text);
        return 1;
    }
    ev_signal_init (&sigterm_w, signal_cb, SIGTERM);
    ev_signal_init (&sigint_w, signal_cb, SIGINT);
    ev_signal_start (loop, &sigterm_w);
    ev_signal_start (loop, &sigint_w);
    overlayd_log (od, LOG_INFO, "rank %u of %u on %s serving %s", od->rank, od->size,
                  od->hostname, od->uri);
    /* Rank 0 serves at once; other ranks are ready once they have joined (overlay.c). */
    if (od->rank == 0)
        fx_notify_ready ();
    ev_run (loop, 0);
    fx_notify_stopping ();
    overlayd_log (od, LOG_INFO, "shutting down");
    rc = od->exit_code;
    overlayd_destroy (od);
    return rc;
}
