/* daemon.h - the pieces of a daemon's main.c that every daemon shares.
 *
 * Each daemon's main (resourced, schedd, execd, jobd, kvsd) ignores SIGPIPE, leaves at once
 * on a SIGTERM or SIGINT that arrives before its loop runs, leaves its loop on the first
 * one once it runs (unless it has its own stop), and exits 75 when it loses its router so
 * that systemd or flux start starts a fresh daemon that says hello again.
 */
#ifndef FX_DAEMON_H
#define FX_DAEMON_H

#include <ev.h>

#include "services/peer.h"

#define FX_DAEMON_EXIT_LOST 75 /* lost the router: restart me */

/* Ignore SIGPIPE; exit 0 at once on SIGTERM or SIGINT (nothing to save before the loop). */
void fx_daemon_startup_signals (void);

/* An ev_signal callback that leaves the loop. */
void fx_daemon_break_cb (struct ev_loop *loop, ev_signal *w, int revents);

/* Watch SIGTERM and SIGINT with cb (w->data = arg) from now on. */
void fx_daemon_stop_signals (struct ev_loop *loop, ev_signal *term, ev_signal *intr,
                             void (*cb) (struct ev_loop *, ev_signal *, int), void *arg);

/* For fx_peer_set_lost (arg: the int exit code to set): says "flux-NAME: lost the router:
 * WHY" on stderr, sets the code to FX_DAEMON_EXIT_LOST and leaves the loop. */
void fx_daemon_lost_cb (struct fx_peer *p, const char *why, void *arg);

#endif
