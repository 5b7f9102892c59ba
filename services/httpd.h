/* httpd.h - serve a metrics registry on GET /metrics, driven by the daemon's libev loop.
 *
 * The server runs inside the caller's loop (no threads): it never blocks it, holds at most
 * FX_HTTPD_MAX_CONNECTIONS connections and closes one idle for FX_HTTPD_TIMEOUT seconds.
 * GET or HEAD /metrics answers 200 with the rendered registry as
 * FX_HTTPD_CONTENT_TYPE; another path answers 404; another method 405.
 */
#ifndef FX_HTTPD_H
#define FX_HTTPD_H

#include <ev.h>

#include "services/error.h"
#include "services/metrics.h"

#define FX_HTTPD_MAX_CONNECTIONS 64
#define FX_HTTPD_TIMEOUT         10 /* seconds */
#define FX_HTTPD_CONTENT_TYPE    "text/plain; version=0.0.4; charset=utf-8"

struct fx_httpd;

/* Listen on bind_addr:port (bind_addr a numeric IPv4 or IPv6 address, NULL for 127.0.0.1;
 * port 0 for one the kernel picks) and serve m from loop.  m and loop are borrowed and must
 * outlive the server.  Returns a server the caller owns, or NULL with errno EINVAL (bad
 * address, port or argument), the bind error (EADDRINUSE, EACCES, ...) or ENOMEM, and a
 * message in err. */
struct fx_httpd *fx_httpd_create (struct ev_loop *loop, const char *bind_addr, int port,
                                  struct fx_metrics *m, struct fx_error *err);

/* Stop serving, close every connection and free h (NULL is accepted; errno is kept). */
void fx_httpd_destroy (struct fx_httpd *h);

/* The port h listens on, which tells a port-0 caller where it landed. */
int fx_httpd_port (struct fx_httpd *h);

#endif
