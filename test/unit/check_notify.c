/* check_notify.c - unit tests for systemd notification (notify.c).
 *
 * Each test plays systemd: it binds an AF_UNIX datagram socket in a private temporary
 * directory, points NOTIFY_SOCKET at it and reads what the call sent.  sd_notify() has
 * queued the datagram by the time it returns, so a non-blocking read sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "services/notify.h"
#include "test/unit/check.h"

struct fake_systemd {
    char dir[64];            /* private temporary directory */
    struct sockaddr_un addr; /* the socket's path in it */
    int fd;                  /* the bound datagram socket */
};

static void fake_start (struct fake_systemd *sd)
{
    memset (sd, 0, sizeof (*sd));
    snprintf (sd->dir, sizeof (sd->dir), "/tmp/check_notify.XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (sd->dir));
    sd->addr.sun_family = AF_UNIX;
    snprintf (sd->addr.sun_path, sizeof (sd->addr.sun_path), "%s/notify", sd->dir);
    sd->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge (sd->fd, 0);
    ck_assert_int_eq (bind (sd->fd, (struct sockaddr *) &sd->addr, sizeof (sd->addr)), 0);
    ck_assert_int_eq (setenv ("NOTIFY_SOCKET", sd->addr.sun_path, 1), 0);
}

static void fake_stop (struct fake_systemd *sd)
{
    close (sd->fd);
    unlink (sd->addr.sun_path);
    rmdir (sd->dir);
}

/* Check that the next datagram is expected and that no other one follows it. */
static void received (struct fake_systemd *sd, const char *expected)
{
    char buf[1024];
    ssize_t n = recv (sd->fd, buf, sizeof (buf) - 1, MSG_DONTWAIT);

    ck_assert_msg (n >= 0, "nothing received: %s", strerror (errno));
    buf[n] = '\0';
    ck_assert_str_eq (buf, expected);
    ck_assert_int_eq (recv (sd->fd, buf, sizeof (buf), MSG_DONTWAIT), -1);
    ck_assert_int_eq (errno, EAGAIN);
}

START_TEST (test_ready)
{
    struct fake_systemd sd;

    fake_start (&sd);
    errno = 42;
    fx_notify_ready ();
    ck_assert_int_eq (errno, 42);
    received (&sd, "READY=1");
    ck_assert_str_eq (getenv ("NOTIFY_SOCKET"), sd.addr.sun_path); /* left for later calls */
    fake_stop (&sd);
}
END_TEST

START_TEST (test_status)
{
    struct fake_systemd sd;
    char long_text[1000];
    char want[sizeof ("STATUS=") + FX_NOTIFY_STATUS_MAX];

    fake_start (&sd);
    fx_notify_status ("%d jobs running", 3);
    received (&sd, "STATUS=3 jobs running");
    fx_notify_status ("evil\nREADY=1");
    received (&sd, "STATUS=evil READY=1");
    memset (long_text, 'x', sizeof (long_text) - 1);
    long_text[sizeof (long_text) - 1] = '\0';
    fx_notify_status ("%s", long_text);
    snprintf (want, sizeof (want), "STATUS=%.*s", FX_NOTIFY_STATUS_MAX - 1, long_text);
    received (&sd, want);
    fake_stop (&sd);
}
END_TEST

START_TEST (test_stopping)
{
    struct fake_systemd sd;

    fake_start (&sd);
    fx_notify_stopping ();
    received (&sd, "STOPPING=1");
    fake_stop (&sd);
}
END_TEST

/* Without NOTIFY_SOCKET, or with one nobody listens on, the calls return quietly. */
START_TEST (test_no_systemd)
{
    ck_assert_int_eq (unsetenv ("NOTIFY_SOCKET"), 0);
    errno = 42;
    fx_notify_ready ();
    fx_notify_status ("idle");
    fx_notify_stopping ();
    ck_assert_int_eq (errno, 42);
    ck_assert_int_eq (setenv ("NOTIFY_SOCKET", "/nonexistent/notify", 1), 0);
    fx_notify_ready ();
    fx_notify_status ("idle");
    ck_assert_int_eq (errno, 42);
}
END_TEST

static Suite *suite (void)
{
    const struct fx_check_case cases[] = {
        {"ready", test_ready},
        {"status", test_status},
        {"stopping", test_stopping},
        {"no_systemd", test_no_systemd},
    };
    Suite *s = suite_create ("notify");

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
