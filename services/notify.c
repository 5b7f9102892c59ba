/* notify.c - systemd readiness and status notification; see notify.h.
 *
 * Owns nothing: each call formats one assignment and hands it to libsystemd's sd_notify(),
 * which sends a datagram to $NOTIFY_SOCKET, or returns at once when it is unset.  The
 * variable is left in place so that later status and stopping messages still reach systemd.
 * Failure policy: best effort, errors ignored and errno kept (see notify.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "services/notify.h"

static void notify (const char *state)
{
    int saved_errno = errno;

    (void) sd_notify (0, state);
    errno = saved_errno;
}

void fx_notify_ready (void)
{
    notify ("READY=1");
}

void fx_notify_stopping (void)
{
    notify ("STOPPING=1");
}

void fx_notify_status (const char *fmt, ...)
{
    char state[sizeof ("STATUS=") - 1 + FX_NOTIFY_STATUS_MAX] = "STATUS=";
    size_t prefix = strlen (state);
    int saved_errno = errno;
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (state + prefix, sizeof (state) - prefix, fmt, ap);
    va_end (ap);
    for (char *p = state + prefix; (p = strchr (p, '\n')); p++)
        *p = ' ';
    errno = saved_errno;
    notify (state);
}
