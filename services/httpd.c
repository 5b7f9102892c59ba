/* httpd.c - the /metrics HTTP server; see httpd.h.
 *
 * Owns a libmicrohttpd daemon run in external-polling epoll mode: MHD keeps all its sockets
 * in one epoll set, whose fd this file watches with an ev_io, and tells through
 * MHD_get_timeout() when it next needs to run (idle connections to close), which an
 * ev_timer follows.  Each time either fires, MHD_run() does the non-blocking work and the
 * timer is set again.  Requests read the registry through fx_metrics_render().
 *
 * Failure policy: errors in create are returned with errno and a message.  Once serving,
 * a bad request gets an HTTP error answer or a closed connection, never a crash, and MHD's
 * own log lines are dropped, so that a client cannot flood the daemon's log; limits on
 * connections and idle time keep a stuck or hostile client from holding the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ev.h>
#include <microhttpd.h>

#include "services/error.h"
#include "services/metrics.h"
#include "services/httpd.h"

struct fx_httpd {
    struct ev_loop *loop;         /* borrowed: the daemon's loop */
    struct fx_metrics *metrics;   /* borrowed: what GET /metrics renders */
    struct MHD_Daemon *mhd;       /* the HTTP server */
    ev_io io;                     /* MHD's epoll fd is readable */
    ev_timer timer;               /* MHD's next deadline */
    int port;                     /* port bound */
    bool starting;                /* in MHD_start_daemon(): keep its first message */
    char start_msg[FX_ERROR_LEN]; /* that message */
    int start_errno;              /* errno when MHD logged it */
};

/* Answers without a body of our own carry a short text one. */
struct reply {
    unsigned int status;
    const char *body;
};

static const struct reply not_found = {MHD_HTTP_NOT_FOUND, "Not Found\n"};
static const struct reply bad_method = {MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n"};
static const struct reply no_memory = {MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory\n"};

/* Requests */

static enum MHD_Result reply_queue (struct MHD_Connection *conn, unsigned int status,
                                    struct MHD_Response *resp, const char *allow)
{
    enum MHD_Result rc = MHD_NO;

    if (!resp)
        return MHD_NO; /* MHD closes the connection */
    if (MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, FX_HTTPD_CONTENT_TYPE) &&
        (!allow || MHD_add_response_header (resp, MHD_HTTP_HEADER_ALLOW, allow)))
        rc = MHD_queue_response (conn, status, resp);
    MHD_destroy_response (resp);
    return rc;
}

static enum MHD_Result reply_static (struct MHD_Connection *conn, const struct reply *r)
{
    struct MHD_Response *resp;
    const char *allow = r->status == MHD_HTTP_METHOD_NOT_ALLOWED ? "GET, HEAD" : NULL;

    resp = MHD_create_response_from_buffer (strlen (r->body), (void *) r->body,
                                            MHD_RESPMEM_PERSISTENT);
    return reply_queue (conn, r->status, resp, allow);
}

static enum MHD_Result reply_metrics (struct fx_httpd *h, struct MHD_Connection *conn)
{
    struct MHD_Response *resp;
    size_t len;
    char *text;

    if (!(text = fx_metrics_render (h->metrics, &len)))
        return reply_static (conn, &no_memory);
    if (!(resp = MHD_create_response_from_buffer_with_free_callback (len, text, free))) {
        free (text);
        return MHD_NO;
    }
    return reply_queue (conn, MHD_HTTP_OK, resp, NULL);
}

/* MHD calls this once the headers are in.  Answering at once, before any body, means the
 * body is never read ("Expect: 100-continue" gets the answer instead of a 100) and MHD
 * closes the connection after the answer if a body was announced. */
static enum MHD_Result request_cb (void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls)
{
    struct fx_httpd *h = cls;

    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) req_cls;
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_static (conn, &bad_method);
    if (strcmp (url, "/metrics") != 0)
        return reply_static (conn, &not_found);
    return reply_metrics (h, conn);
}

/* While create runs, keep MHD's first message and the errno beside it, which say why it
 * could not start; afterwards drop them all, as the file comment explains. */
static void log_cb (void *cls, const char *fmt, va_list ap) __attribute__ ((format (printf, 2, 0)));

static void log_cb (void *cls, const char *fmt, va_list ap)
{
    struct fx_httpd *h = cls;
    size_t n;

    if (!h->starting || h->start_msg[0] != '\0')
        return;
    h->start_errno = errno;
    vsnprintf (h->start_msg, sizeof (h->start_msg), fmt, ap);
    n = strlen (h->start_msg);
    while (n > 0 && h->start_msg[n - 1] == '\n')
        h->start_msg[--n] = '\0';
}

/* Loop integration */

static void mhd_run (struct fx_httpd *h)
{
    MHD_UNSIGNED_LONG_LONG ms;

    MHD_run (h->mhd);
    ev_timer_stop (h->loop, &h->timer);
    if (MHD_get_timeout (h->mhd, &ms) == MHD_YES) {
        ev_timer_set (&h->timer, (double) ms / 1000., 0.);
        ev_timer_start (h->loop, &h->timer);
    }
}

static void io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    mhd_run (w->data);
}

static void timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    mhd_run (w->data);
}

/* Start-up */

/* Fill sa from a numeric address; return its length, or 0 if addr is not one. */
static socklen_t addr_parse (const char *addr, int port, struct sockaddr_storage *sa)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *) sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) sa;

    memset (sa, 0, sizeof (*sa));
    if (inet_pton (AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons ((uint16_t) port);
        return sizeof (*in4);
    }
    if (inet_pton (AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons ((uint16_t) port);
        return sizeof (*in6);
    }
    return 0;
}

static int mhd_start (struct fx_httpd *h, const char *addr, int port,
                      const struct sockaddr_storage *sa, struct fx_error *err)
{
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

    if (sa->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->starting = true;
    h->mhd = MHD_start_daemon (flags, 0, NULL, NULL, request_cb, h, MHD_OPTION_EXTERNAL_LOGGER,
                               log_cb, h, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) sa,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned int) FX_HTTPD_MAX_CONNECTIONS,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) FX_HTTPD_TIMEOUT,
                               MHD_OPTION_END);
    h->starting = false;
    if (h->mhd)
        return 0;
    /* MHD does not promise errno: the one beside its message (from bind, in practice) is
     * the best there is, and its message names port 0 since it never saw ours. */
    if (h->start_errno != 0) {
        errno = h->start_errno;
        return errprintf (err, "cannot listen on %s port %d: %s", addr, port, strerror (errno));
    }
    errno = EIO;
    return errprintf (err, "libmicrohttpd failed to start: %s",
                      h->start_msg[0] ? h->start_msg : "no reason given");
}

static int loop_attach (struct fx_httpd *h, struct fx_error *err)
{
    const union MHD_DaemonInfo *epoll_info, *port_info;

    epoll_info = MHD_get_daemon_info (h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    port_info = MHD_get_daemon_info (h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (!epoll_info || !port_info) {
        errno = ENOTSUP;
        return errprintf (err, "libmicrohttpd has no epoll support");
    }
    h->port = port_info->port;
    ev_io_init (&h->io, io_cb, epoll_info->epoll_fd, EV_READ);
    h->io.data = h;
    ev_io_start (h->loop, &h->io);
    ev_init (&h->timer, timer_cb);
    h->timer.data = h;
    mhd_run (h); /* sets the timer */
    return 0;
}

struct fx_httpd *fx_httpd_create (struct ev_loop *loop, const char *bind_addr, int port,
                                  struct fx_metrics *m, struct fx_error *err)
{
    struct sockaddr_storage sa;
    struct fx_httpd *h;

    if (!bind_addr)
        bind_addr = "127.0.0.1";
    if (!loop || !m || port < 0 || port > 65535) {
        errno = EINVAL;
        errprintf (err, "invalid httpd argument");
        return NULL;
    }
    if (addr_parse (bind_addr, port, &sa) == 0) {
        errno = EINVAL;
        errprintf (err, "%s: not a numeric IPv4 or IPv6 address", bind_addr);
        return NULL;
    }
    if (!(h = calloc (1, sizeof (*h)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    h->loop = loop;
    h->metrics = m;
    if (mhd_start (h, bind_addr, port, &sa, err) < 0 || loop_attach (h, err) < 0) {
        fx_httpd_destroy (h);
        return NULL;
    }
    return h;
}

void fx_httpd_destroy (struct fx_httpd *h)
{
    int saved_errno = errno;

    if (h) {
        if (h->mhd) {
            ev_io_stop (h->loop, &h->io);
            ev_timer_stop (h->loop, &h->timer);
            MHD_stop_daemon (h->mhd);
        }
        free (h);
    }
    errno = saved_errno;
}

int fx_httpd_port (struct fx_httpd *h)
{
    if (!h) {
        errno = EINVAL;
        return -1;
    }
    return h->port;
}
