/* auth.h - MUNGE credentials for the router hello (DESIGN section 3).
 *
 * A peer proves its uid to the router with a MUNGE credential whose payload is the fixed
 * string FX_AUTH_HELLO.  The router decodes it on a worker thread, since munge_decode() is a
 * blocking round trip to munged and the router's loop must never block; results come back
 * to the loop through an ev_async.  A replayed or expired credential is refused by munged.
 */
#ifndef FX_AUTH_H
#define FX_AUTH_H

#include <ev.h>
#include <sys/types.h>

#include "services/error.h"

#define FX_AUTH_HELLO "flux-router-hello-1"

/* The munged socket to use: $FLUX_MUNGE_SOCKET, or NULL for libmunge's default. */
const char *fx_auth_socket (void);

/* Encode a hello credential (blocking).  Returns a malloc'd string, or NULL with errno and
 * a message naming the socket and munge's error in err. */
char *fx_auth_hello_create (const char *socket, struct fx_error *err);

struct fx_auth_worker;

/* Result of a verification: errnum 0 and the credential's uid/gid, or errnum EPERM with a
 * one-line reason (replayed, expired, bad payload, munged unreachable...). */
typedef void (*fx_auth_f) (int errnum, const char *reason, uid_t uid, gid_t gid, void *arg);

/* Start the worker thread.  Returns NULL with errno. */
struct fx_auth_worker *fx_auth_worker_create (struct ev_loop *loop, const char *socket);

/* Stop the worker; pending verifications are dropped without callbacks. */
void fx_auth_worker_destroy (struct fx_auth_worker *w);

/* Queue cred for verification; cb runs later in the loop thread.  At most FX_AUTH_QUEUE_MAX
 * verifications wait at once: beyond that -1 with EAGAIN.  Returns 0 or -1 with errno. */
#define FX_AUTH_QUEUE_MAX 1024
int fx_auth_verify (struct fx_auth_worker *w, const char *cred, fx_auth_f cb, void *arg);

/* Forget pending verifications whose arg is arg (its connection went away). */
void fx_auth_cancel (struct fx_auth_worker *w, void *arg);

#endif
