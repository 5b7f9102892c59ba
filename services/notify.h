/* notify.h - tell systemd how the daemon is doing (sd_notify).
 *
 * A daemon calls fx_notify_ready() once it serves requests, fx_notify_status() to show a
 * line in "systemctl status", and fx_notify_stopping() when it begins to shut down.  Each
 * does nothing when NOTIFY_SOCKET is unset (not started by systemd with Type=notify).
 * Notification is best effort: a failure is ignored, since the daemon can do nothing about
 * it and systemd reports a unit that never became ready.  errno is kept.
 */
#ifndef FX_NOTIFY_H
#define FX_NOTIFY_H

#define FX_NOTIFY_STATUS_MAX 256 /* bytes of status text kept, NUL included */

/* Send READY=1. */
void fx_notify_ready (void);

/* Send STATUS= with the formatted text, cut to FX_NOTIFY_STATUS_MAX - 1 bytes; a newline in it
 * becomes a space, so that the text cannot carry other assignments. */
void fx_notify_status (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Send STOPPING=1. */
void fx_notify_stopping (void);

#endif
