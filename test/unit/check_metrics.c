/* check_metrics.c - unit tests for the metrics registry (metrics.c) and its HTTP server
 * (httpd.c).
 *
 * Registry tests compare the exact rendered text.  Server tests run the real server in a
 * private libev loop on 127.0.0.1 and an ephemeral port, with clients driven by the same
 * loop through non-blocking sockets; a watchdog timer ends a test that would hang.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ev.h>

#include "services/httpd.h"
#include "services/metrics.h"
#include "test/unit/check.h"

#define WATCHDOG_SECONDS 3. /* under Check's default 4 s test timeout */

static const char *const no_labels[] = {NULL};
static const char *const type_label[] = {"type", NULL};
static const char *const two_labels[] = {"state", "rank", NULL};

/* Render m and compare it with expected, whole. */
static void render_is (struct fx_metrics *m, const char *expected)
{
    size_t len = 12345;
    char *text = fx_metrics_render (m, &len);

    ck_assert_ptr_nonnull (text);
    ck_assert_str_eq (text, expected);
    ck_assert_uint_eq (len, strlen (expected));
    free (text);
}

START_TEST (test_empty)
{
    struct fx_metrics *m = fx_metrics_create ();
    char *text;

    ck_assert_ptr_nonnull (m);
    render_is (m, "");
    ck_assert_ptr_nonnull (text = fx_metrics_render (m, NULL)); /* len may be NULL */
    free (text);
    errno = 42;
    fx_metrics_destroy (m);
    fx_metrics_destroy (NULL);
    ck_assert_int_eq (errno, 42);
}
END_TEST

START_TEST (test_counter)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *c;

    c = fx_metrics_register (m, FX_METRIC_COUNTER, "flux_test_total", "Things done.", NULL);
    ck_assert_ptr_nonnull (c);
    render_is (m, "# HELP flux_test_total Things done.\n"
                  "# TYPE flux_test_total counter\n"
                  "flux_test_total 0\n");
    ck_assert_int_eq (fx_metric_inc (c), 0);
    ck_assert_int_eq (fx_metric_add (c, 2.5), 0);
    ck_assert_int_eq (fx_metric_addv (c, 0, no_labels), 0);
    render_is (m, "# HELP flux_test_total Things done.\n"
                  "# TYPE flux_test_total counter\n"
                  "flux_test_total 3.5\n");
    fx_metrics_destroy (m);
}
END_TEST

START_TEST (test_gauge)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *g = fx_metrics_register (m, FX_METRIC_GAUGE, "flux_queue_depth", "", NULL);

    ck_assert_ptr_nonnull (g);
    ck_assert_int_eq (fx_metric_set (g, 10), 0);
    ck_assert_int_eq (fx_metric_add (g, -3), 0);
    ck_assert_int_eq (fx_metric_inc (g), 0);
    render_is (m, "# TYPE flux_queue_depth gauge\n" /* empty help: no HELP line */
                  "flux_queue_depth 8\n");
    ck_assert_int_eq (fx_metric_setv (g, -0.25, NULL), 0);
    render_is (m, "# TYPE flux_queue_depth gauge\n"
                  "flux_queue_depth -0.25\n");
    fx_metrics_destroy (m);
}
END_TEST

START_TEST (test_labels)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *c, *g;
    const char *const values[] = {"free", "3"};

    c = fx_metrics_register (m, FX_METRIC_COUNTER, "flux_msgs_total", "Messages.", type_label);
    g = fx_metrics_register (m, FX_METRIC_GAUGE, "flux_nodes", "Nodes.", two_labels);
    ck_assert (c && g);
    render_is (m, "# HELP flux_msgs_total Messages.\n# TYPE flux_msgs_total counter\n"
                  "# HELP flux_nodes Nodes.\n# TYPE flux_nodes gauge\n");
    ck_assert_int_eq (fx_metric_inc (c, "request"), 0);
    ck_assert_int_eq (fx_metric_add (c, 4, "event"), 0);
    ck_assert_int_eq (fx_metric_inc (c, "request"), 0);
    ck_assert_int_eq (fx_metric_inc (c, ""), 0);
    ck_assert_int_eq (fx_metric_set (g, 2, "down", "0"), 0);
    ck_assert_int_eq (fx_metric_setv (g, 5, values), 0);
    render_is (m, "# HELP flux_msgs_total Messages.\n"
                  "# TYPE flux_msgs_total counter\n"
                  "flux_msgs_total{type=\"request\"} 2\n"
                  "flux_msgs_total{type=\"event\"} 4\n"
                  "flux_msgs_total{type=\"\"} 1\n"
                  "# HELP flux_nodes Nodes.\n"
                  "# TYPE flux_nodes gauge\n"
                  "flux_nodes{state=\"down\",rank=\"0\"} 2\n"
                  "flux_nodes{state=\"free\",rank=\"3\"} 5\n");
    fx_metrics_destroy (m);
}
END_TEST

START_TEST (test_escaping)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *g;

    g = fx_metrics_register (m, FX_METRIC_GAUGE, "flux_x", "A \"quoted\" back\\slash\nline.",
                             type_label);
    ck_assert_ptr_nonnull (g);
    ck_assert_int_eq (fx_metric_set (g, 1, "a\\b\"c\nd"), 0);
    ck_assert_int_eq (fx_metric_set (g, 2, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 0);
    render_is (m, "# HELP flux_x A \"quoted\" back\\\\slash\\nline.\n"
                  "# TYPE flux_x gauge\n"
                  "flux_x{type=\"a\\\\b\\\"c\\nd\"} 1\n"
                  "flux_x{type=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"} 2\n");
    fx_metrics_destroy (m);
}
END_TEST

/* Set a gauge to v and compare the number rendered with expected. */
static void number_is (double v, const char *expected)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *g = fx_metrics_register (m, FX_METRIC_GAUGE, "n", NULL, NULL);
    char want[128];

    ck_assert_int_eq (fx_metric_set (g, v), 0);
    snprintf (want, sizeof (want), "# TYPE n gauge\nn %s\n", expected);
    render_is (m, want);
    fx_metrics_destroy (m);
}

START_TEST (test_numbers)
{
    number_is (0, "0");
    number_is (-0.0, "0");
    number_is (1, "1");
    number_is (-42, "-42");
    number_is (1e15, "1000000000000000");
    number_is (1e18, "1000000000000000000");
    number_is (9007199254740993.0, "9007199254740992");
    number_is (0.1, "0.1");
    number_is (1.5, "1.5");
    number_is (-2.75, "-2.75");
    number_is (1.0 / 3, "0.3333333333333333");
    number_is (1e-7, "1e-07");
    number_is (1e300, "1e+300");
    number_is (NAN, "NaN");
    number_is (INFINITY, "+Inf");
    number_is (-INFINITY, "-Inf");
}
END_TEST

START_TEST (test_order)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *b, *a;

    b = fx_metrics_register (m, FX_METRIC_GAUGE, "b", NULL, type_label);
    a = fx_metrics_register (m, FX_METRIC_GAUGE, "a", NULL, NULL);
    ck_assert (a && b);
    ck_assert_int_eq (fx_metric_set (b, 1, "z"), 0);
    ck_assert_int_eq (fx_metric_set (b, 2, "a"), 0);
    ck_assert_int_eq (fx_metric_set (b, 3, "m"), 0);
    ck_assert_int_eq (fx_metric_set (b, 4, "z"), 0);
    render_is (m, "# TYPE b gauge\nb{type=\"z\"} 4\nb{type=\"a\"} 2\nb{type=\"m\"} 3\n"
                  "# TYPE a gauge\na 0\n");
    fx_metrics_destroy (m);
}
END_TEST

START_TEST (test_register_invalid)
{
    struct fx_metrics *m = fx_metrics_create ();
    const char *const bad_labels[][3] = {
        {"__reserved", NULL}, {"a-b", NULL}, {"1a", NULL}, {"x", "x", NULL}, {"a:b", NULL},
    };
    const char *const bad_names[] = {"", "1abc", "a-b", "a b", "caf\xc3\xa9"};
    const char *const nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", NULL};

    for (size_t i = 0; i < sizeof (bad_names) / sizeof (bad_names[0]); i++) {
        errno = 0;
        ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_GAUGE, bad_names[i], "", NULL));
        ck_assert_int_eq (errno, EINVAL);
    }
    for (size_t i = 0; i < sizeof (bad_labels) / sizeof (bad_labels[0]); i++) {
        errno = 0;
        ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_GAUGE, "g", "", bad_labels[i]));
        ck_assert_int_eq (errno, EINVAL);
    }
    ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_GAUGE, "g", "", nine));
    ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_GAUGE, NULL, "", NULL));
    ck_assert_ptr_null (fx_metrics_register (m, (enum fx_metric_type) 7, "g", "", NULL));
    ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_GAUGE, "g", "bad \xff help", NULL));
    ck_assert_ptr_null (fx_metrics_register (NULL, FX_METRIC_GAUGE, "g", "", NULL));
    ck_assert_ptr_nonnull (fx_metrics_register (m, FX_METRIC_GAUGE, "ns:g_1", "", nine + 1));
    errno = 0;
    ck_assert_ptr_null (fx_metrics_register (m, FX_METRIC_COUNTER, "ns:g_1", "", NULL));
    ck_assert_int_eq (errno, EEXIST);
    render_is (m, "# TYPE ns:g_1 gauge\n"); /* the failures left nothing behind */
    fx_metrics_destroy (m);
}
END_TEST

/* Check that call failed with EINVAL. */
#define assert_einval(call)                                                                        \
    do {                                                                                           \
        errno = 0;                                                                                 \
        ck_assert_int_eq ((call), -1);                                                             \
        ck_assert_int_eq (errno, EINVAL);                                                          \
    } while (0)

START_TEST (test_update_invalid)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *c, *g;
    char long_value[FX_METRICS_MAX_VALUE_LEN + 2];
    const char *const null_value[] = {NULL, "0"};

    c = fx_metrics_register (m, FX_METRIC_COUNTER, "c", NULL, type_label);
    g = fx_metrics_register (m, FX_METRIC_GAUGE, "g", NULL, two_labels);
    memset (long_value, 'x', sizeof (long_value) - 1);
    long_value[sizeof (long_value) - 1] = '\0';
    assert_einval (fx_metric_add (c, -1, "a"));
    assert_einval (fx_metric_add (c, NAN, "a"));
    assert_einval (fx_metric_set (c, 1, "a"));
    assert_einval (fx_metric_inc (c));
    assert_einval (fx_metric_inc (c, "a", "b"));
    assert_einval (fx_metric_inc (g, "a"));
    assert_einval (fx_metric_inc (g, "a", "b", "c"));
    assert_einval (fx_metric_setv (g, 1, null_value));
    assert_einval (fx_metric_inc (c, long_value));
    assert_einval (fx_metric_inc (c, "bad \xc3"));
    assert_einval (fx_metric_inc (c, "overlong \xc0\xaf"));
    assert_einval (fx_metric_inc (c, "surrogate \xed\xa0\x80"));
    assert_einval (fx_metric_inc (NULL));
    assert_einval (fx_metric_addv (NULL, 1, NULL));
    long_value[1] = '\0';
    ck_assert_int_eq (fx_metric_inc (c, long_value), 0);
    render_is (m, "# TYPE c counter\nc{type=\"x\"} 1\n# TYPE g gauge\n");
    fx_metrics_destroy (m);
}
END_TEST

START_TEST (test_series_cap)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *c = fx_metrics_register (m, FX_METRIC_COUNTER, "c", NULL, type_label);
    char value[32];
    size_t len, lines = 0;
    char *text;

    for (int i = 0; i < FX_METRICS_MAX_SERIES; i++) {
        snprintf (value, sizeof (value), "%d", i);
        ck_assert_int_eq (fx_metric_inc (c, value), 0);
    }
    errno = 0;
    ck_assert_int_eq (fx_metric_inc (c, "one-too-many"), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_metric_add (c, 2, "9999"), 0); /* existing series still work */
    ck_assert_ptr_nonnull (text = fx_metrics_render (m, &len));
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    ck_assert_uint_eq (lines, FX_METRICS_MAX_SERIES + 1);
    ck_assert_ptr_nonnull (strstr (text, "# TYPE c counter\nc{type=\"0\"} 1\nc{type=\"1\"} 1\n"));
    ck_assert_ptr_nonnull (strstr (text, "c{type=\"9998\"} 1\nc{type=\"9999\"} 3\n"));
    ck_assert_ptr_null (strstr (text, "one-too-many"));
    free (text);
    fx_metrics_destroy (m);
}
END_TEST

static double count_cb (void *arg)
{
    int *calls = arg;
    return ++*calls;
}

START_TEST (test_callback)
{
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_metric *g = fx_metrics_register (m, FX_METRIC_GAUGE, "conns", NULL, type_label);
    struct fx_metric *c = fx_metrics_register (m, FX_METRIC_COUNTER, "c", NULL, NULL);
    int calls = 0;

    ck_assert_int_eq (fx_metric_set (g, 7, "stored"), 0);
    ck_assert_int_eq (fx_metric_set_callback (g, count_cb, &calls, "live"), 0);
    ck_assert_int_eq (calls, 0); /* evaluated at render time only */
    render_is (m, "# TYPE conns gauge\nconns{type=\"stored\"} 7\nconns{type=\"live\"} 1\n"
                  "# TYPE c counter\nc 0\n");
    render_is (m, "# TYPE conns gauge\nconns{type=\"stored\"} 7\nconns{type=\"live\"} 2\n"
                  "# TYPE c counter\nc 0\n");
    assert_einval (fx_metric_set (g, 1, "live"));
    assert_einval (fx_metric_add (g, 1, "live"));
    assert_einval (fx_metric_set_callback (c, count_cb, &calls));
    ck_assert_int_eq (fx_metric_set_callback (g, NULL, NULL, "live"), 0);
    ck_assert_int_eq (fx_metric_set (g, 5, "live"), 0);
    render_is (m, "# TYPE conns gauge\nconns{type=\"stored\"} 7\nconns{type=\"live\"} 5\n"
                  "# TYPE c counter\nc 0\n");
    ck_assert_int_eq (calls, 2);
    fx_metrics_destroy (m);
}
END_TEST

/* HTTP server tests */

struct client;

struct harness {
    struct ev_loop *loop;
    struct fx_metrics *m;
    struct fx_httpd *h;
    ev_timer watchdog; /* ends a test that would hang */
    bool timed_out;    /* the watchdog fired */
    int waiting;       /* clients the loop runs for */
};

struct client {
    struct harness *hs; /* the test it belongs to */
    ev_io io;           /* its socket */
    const char *req;    /* request to send */
    size_t reqlen;      /* bytes in req */
    size_t sent;        /* bytes of req sent */
    char resp[65536];   /* response read so far, NUL-terminated */
    size_t len;         /* bytes in resp */
    bool counted;       /* the loop waits for this one to finish */
    bool done;          /* the server closed the connection (or it failed) */
};

static void watchdog_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct harness *hs = w->data;

    (void) revents;
    hs->timed_out = true;
    ev_break (loop, EVBREAK_ALL);
}

static void harness_init (struct harness *hs)
{
    struct fx_error err = {{0}};
    struct fx_metric *c;

    memset (hs, 0, sizeof (*hs));
    ck_assert_ptr_nonnull (hs->loop = ev_loop_new (EVFLAG_AUTO));
    ck_assert_ptr_nonnull (hs->m = fx_metrics_create ());
    c = fx_metrics_register (hs->m, FX_METRIC_COUNTER, "flux_requests_total", "Requests.",
                             type_label);
    ck_assert_int_eq (fx_metric_inc (c, "get"), 0);
    hs->h = fx_httpd_create (hs->loop, "127.0.0.1", 0, hs->m, &err);
    ck_assert_msg (hs->h != NULL, "fx_httpd_create: %s", err.text);
    ck_assert_int_gt (fx_httpd_port (hs->h), 0);
    ev_timer_init (&hs->watchdog, watchdog_cb, WATCHDOG_SECONDS, 0.);
    hs->watchdog.data = hs;
    ev_timer_start (hs->loop, &hs->watchdog);
}

static void harness_fini (struct harness *hs)
{
    fx_httpd_destroy (hs->h);
    fx_metrics_destroy (hs->m);
    ev_loop_destroy (hs->loop);
}

static void client_finish (struct client *c)
{
    ev_io_stop (c->hs->loop, &c->io);
    close (c->io.fd);
    c->done = true;
    if (c->counted && --c->hs->waiting == 0)
        ev_break (c->hs->loop, EVBREAK_ALL);
}

/* Send what the socket takes; once all is sent, or the server stopped reading (it may
 * answer a bad request and close before taking it all), read the answer. */
static void client_write (struct client *c)
{
    ssize_t n = send (c->io.fd, c->req + c->sent, c->reqlen - c->sent, MSG_NOSIGNAL);

    if (n < 0 && errno != EAGAIN)
        c->sent = c->reqlen;
    if (n > 0)
        c->sent += (size_t) n;
    if (c->sent == c->reqlen) {
        ev_io_stop (c->hs->loop, &c->io);
        ev_io_set (&c->io, c->io.fd, EV_READ);
        ev_io_start (c->hs->loop, &c->io);
    }
}

static void client_read (struct client *c)
{
    ssize_t n = recv (c->io.fd, c->resp + c->len, sizeof (c->resp) - 1 - c->len, 0);

    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0 || (c->len += (size_t) n) == sizeof (c->resp) - 1) {
        client_finish (c);
        return;
    }
    c->resp[c->len] = '\0';
}

static void client_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct client *c = w->data;

    (void) loop;
    if (revents & EV_WRITE)
        client_write (c);
    else
        client_read (c);
}

/* Connect c to the server without blocking and start sending req; counted clients keep
 * harness_run() going until the server closes their connection. */
static void client_start (struct harness *hs, struct client *c, const char *req, size_t len,
                          bool counted)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    int fd;

    memset (c, 0, sizeof (*c));
    c->hs = hs;
    c->req = req;
    c->reqlen = len;
    c->counted = counted;
    sin.sin_port = htons ((uint16_t) fx_httpd_port (hs->h));
    sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge (fd, 0);
    if (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) < 0)
        ck_assert_int_eq (errno, EINPROGRESS);
    ev_io_init (&c->io, client_cb, fd, EV_WRITE);
    c->io.data = c;
    ev_io_start (hs->loop, &c->io);
    if (counted)
        hs->waiting++;
}

static void harness_run (struct harness *hs)
{
    ev_run (hs->loop, 0);
    ck_assert_msg (!hs->timed_out, "timed out waiting for the server");
}

/* Send req as a counted client and run the loop until the server answers it. */
static void request (struct harness *hs, struct client *c, const char *req)
{
    client_start (hs, c, req, strlen (req), true);
    harness_run (hs);
    ck_assert (c->done);
}

static const char *body_of (struct client *c)
{
    const char *p = strstr (c->resp, "\r\n\r\n");

    ck_assert_ptr_nonnull (p);
    return p + 4;
}

/* Return the value of header name (up to its line end) in buf, or "" if absent. */
static const char *header_of (struct client *c, const char *name, char *buf, size_t size)
{
    size_t n = strlen (name);

    for (const char *p = strstr (c->resp, "\r\n"); p && p < body_of (c);
         p = strstr (p + 2, "\r\n")) {
        if (strncasecmp (p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n + strspn (p + 3 + n, " ");
            snprintf (buf, size, "%.*s", (int) strcspn (v, "\r\n"), v);
            return buf;
        }
    }
    return "";
}

/* Check the status line, whatever HTTP/1.x version the server answers with. */
static void status_is (struct client *c, const char *status)
{
    size_t n = strlen (status);

    ck_assert_msg (strncmp (c->resp, "HTTP/1.", 7) == 0 && c->resp[8] == ' ' &&
                       strncmp (c->resp + 9, status, n) == 0 && c->resp[9 + n] == '\r',
                   "got \"%.40s\", want \"HTTP/1.x %s\"", c->resp, status);
}

START_TEST (test_http_metrics)
{
    struct harness hs;
    struct client c;
    char value[128];
    char *expected;

    harness_init (&hs);
    request (&hs, &c, "GET /metrics HTTP/1.0\r\n\r\n");
    status_is (&c, "200 OK");
    ck_assert_str_eq (header_of (&c, "Content-Type", value, sizeof (value)),
                      "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_ptr_nonnull (expected = fx_metrics_render (hs.m, NULL));
    ck_assert_str_eq (body_of (&c), expected);
    free (expected);
    request (&hs, &c, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    status_is (&c, "200 OK");
    ck_assert_str_eq (body_of (&c), "");
    harness_fini (&hs);
}
END_TEST

START_TEST (test_http_not_found)
{
    struct harness hs;
    struct client c;

    harness_init (&hs);
    request (&hs, &c, "GET /other HTTP/1.0\r\n\r\n");
    status_is (&c, "404 Not Found");
    request (&hs, &c, "GET /metrics/x HTTP/1.0\r\n\r\n");
    status_is (&c, "404 Not Found");
    harness_fini (&hs);
}
END_TEST

START_TEST (test_http_bad_method)
{
    struct harness hs;
    struct client c;
    char value[64];

    harness_init (&hs);
    request (&hs, &c, "POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
    status_is (&c, "405 Method Not Allowed");
    ck_assert_str_eq (header_of (&c, "Allow", value, sizeof (value)), "GET, HEAD");
    request (&hs, &c, "DELETE /metrics HTTP/1.0\r\n\r\n");
    status_is (&c, "405 Method Not Allowed");
    harness_fini (&hs);
}
END_TEST

START_TEST (test_http_garbage)
{
    static const char *const garbage[] = {
        "\x01\x02\x03 garbage\r\n\r\n",
        "GET\r\n\r\n",
        "GET /metrics HTTP/9.9\r\n\r\n",
        "GET /metrics HTTP/1.0\r\nBad header line\r\n\r\n",
        "GET /metrics HTTP/1.0\r\nContent-Length: -1\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /metrics?x=%zz&&==&a HTTP/1.1\r\nConnection: close\r\n\r\n",
    };
    static char huge[200000];
    struct harness hs;
    struct client c;

    harness_init (&hs);
    for (size_t i = 0; i < sizeof (garbage) / sizeof (garbage[0]); i++) {
        request (&hs, &c, garbage[i]);
        request (&hs, &c, "GET /metrics HTTP/1.0\r\n\r\n");
        status_is (&c, "200 OK");
    }
    /* A header, then a path, past MHD's memory limit per connection. */
    memcpy (huge, "GET /metrics HTTP/1.0\r\nX: ", 26);
    memset (huge + 26, 'x', sizeof (huge) - 27);
    request (&hs, &c, huge);
    status_is (&c, "431 Request Header Fields Too Large");
    memcpy (huge, "GET /", 5);
    memset (huge + 5, 'a', sizeof (huge) - 6);
    request (&hs, &c, huge);
    status_is (&c, "414 URI Too Long");
    request (&hs, &c, "GET /metrics HTTP/1.0\r\n\r\n");
    status_is (&c, "200 OK");
    harness_fini (&hs);
}
END_TEST

/* A client that sends half a request and waits must not hold up others. */
START_TEST (test_http_stuck_client)
{
    struct harness hs;
    struct client stuck, c;

    harness_init (&hs);
    client_start (&hs, &stuck, "GET /metr", 9, false);
    request (&hs, &c, "GET /metrics HTTP/1.0\r\n\r\n");
    status_is (&c, "200 OK");
    ck_assert (!stuck.done);
    client_finish (&stuck);
    request (&hs, &c, "GET /metrics HTTP/1.0\r\n\r\n");
    status_is (&c, "200 OK");
    harness_fini (&hs);
}
END_TEST

START_TEST (test_http_create_errors)
{
    struct ev_loop *loop = ev_loop_new (EVFLAG_AUTO);
    struct fx_metrics *m = fx_metrics_create ();
    struct fx_error err = {{0}};
    struct fx_httpd *h, *h6;

    errno = 0;
    ck_assert_ptr_null (fx_httpd_create (loop, "localhost", 0, m, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_str_eq (err.text, "localhost: not a numeric IPv4 or IPv6 address");
    ck_assert_ptr_null (fx_httpd_create (loop, NULL, 65536, m, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_httpd_create (loop, NULL, 0, NULL, NULL));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_nonnull (h = fx_httpd_create (loop, NULL, 0, m, &err));
    errno = 0;
    ck_assert_ptr_null (fx_httpd_create (loop, "127.0.0.1", fx_httpd_port (h), m, &err));
    ck_assert_int_eq (errno, EADDRINUSE);
    ck_assert_ptr_nonnull (strstr (err.text, "127.0.0.1 port"));
    h6 = fx_httpd_create (loop, "0.0.0.0", 0, m, &err);
    ck_assert_msg (h6 != NULL, "0.0.0.0: %s", err.text);
    ck_assert_int_ne (fx_httpd_port (h6), fx_httpd_port (h));
    fx_httpd_destroy (h6);
    errno = 42;
    fx_httpd_destroy (h);
    fx_httpd_destroy (NULL);
    ck_assert_int_eq (errno, 42);
    fx_metrics_destroy (m);
    ev_loop_destroy (loop);
}
END_TEST

static Suite *suite (void)
{
    const struct fx_check_case cases[] = {
        {"empty", test_empty},
        {"counter", test_counter},
        {"gauge", test_gauge},
        {"labels", test_labels},
        {"escaping", test_escaping},
        {"numbers", test_numbers},
        {"order", test_order},
        {"register_invalid", test_register_invalid},
        {"update_invalid", test_update_invalid},
        {"series_cap", test_series_cap},
        {"callback", test_callback},
        {"http_metrics", test_http_metrics},
        {"http_not_found", test_http_not_found},
        {"http_bad_method", test_http_bad_method},
        {"http_garbage", test_http_garbage},
        {"http_stuck_client", test_http_stuck_client},
        {"http_create_errors", test_http_create_errors},
    };
    Suite *s = suite_create ("metrics");

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
