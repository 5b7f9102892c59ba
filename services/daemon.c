/* daemon.c - the pieces of a daemon's main.c that every daemon shares; see daemon.h. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "services/daemon.h"

static void startup_signal (int signum)
{
    (void) signum;
    _exit (0);
}

void fx_daemon_startup_signals (void)
{
    signal (SIGPIPE, SIG_IGN);
    signal (SIGTERM, startup_signal);
    signal (SIGINT, startup_signal);
}

void fx_daemon_break_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    (void) w;
    (void) revents;
    ev_break (loop, EVBREAK_ALL);
}

void fx_daemon_stop_signals (struct ev_loop *loop, ev_signal *term, ev_signal *intr,
                             void (*cb) (struct ev_loop *, ev_signal *, int), void *arg)
{
    ev_signal_init (term, cb, SIGTERM);
    ev_signal_init (intr, cb, SIGINT);
    term->data = intr->data = arg;
    ev_signal_start (loop, term);
    ev_signal_start (loop, intr);
}

void fx_daemon_lost_cb (struct fx_peer *p, const char *why, void *arg)
{
    int *rc = arg;

    fprintf (stderr, "flux-%s: lost the router: %s\n", fx_peer_name (p), why);
    *rc = FX_DAEMON_EXIT_LOST;
    ev_break (fx_peer_loop (p), EVBREAK_ALL);
}
