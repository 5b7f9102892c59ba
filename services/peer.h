/* peer.h - a connection to the local router: hello, RPC, services, events, logging.
 *
 * Every daemon and every command is a peer of its node's router (DESIGN section 2).  A peer
 * is driven by the caller's libev loop.  Requests get responses matched by matchtag; a
 * request may be streaming (many responses, ended by an error response, ENODATA being the
 * normal end).  Services register a handler table; requests are dispatched by exact topic
 * and denied unless the sender's role is listed.
 */
#ifndef FX_PEER_H
#define FX_PEER_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "services/error.h"
#include "services/msg.h"

#define FX_RPC_TIMEOUT 5.0 /* seconds: default for commands */

struct fx_peer;
struct fx_rpc;

typedef void (*fx_msg_f) (struct fx_peer *p, struct fx_msg *msg, void *arg);
typedef void (*fx_rpc_f) (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg);
typedef void (*fx_lost_f) (struct fx_peer *p, const char *why, void *arg);

/* One row of a service's handler table; the table ends with a row whose topic is NULL. */
struct fx_handler {
    const char *topic; /* exact topic, e.g. "kvs.commit" */
    fx_msg_f cb;
    uint32_t roles; /* FX_ROLE_* allowed; a request from any other role gets EPERM */
};

/* The URI to connect to: $FLUX_URI, else the system instance's ipc:///run/flux/router. */
const char *fx_peer_default_uri (void);

/* This process's pid namespace ("pid:[4026531836]", as /proc/self/ns/pid names it) in buf,
 * or "" when it cannot be read.  The router trusts a peer's pid only within its own. */
void fx_pidns (char *buf, size_t len);

/* Connect to the router at uri (NULL = default), say hello with a MUNGE credential and wait
 * (at most FX_RPC_TIMEOUT) for the router's answer.  name appears in logs.  Blocking: call
 * it at start-up only.  Returns NULL with errno and a one-line message in err. */
struct fx_peer *fx_peer_create (struct ev_loop *loop, const char *uri, const char *name,
                                struct fx_error *err);

/* Say goodbye, fail pending RPCs, close.  NULL is fine. */
void fx_peer_destroy (struct fx_peer *p);

/* Called once if the router drops this peer or goes away (why is a short reason).  The
 * callback must not destroy the peer (stop the loop instead). */
void fx_peer_set_lost (struct fx_peer *p, fx_lost_f cb, void *arg);

/* What the router told us in its hello answer. */
uint32_t fx_peer_rank (const struct fx_peer *p);
uint32_t fx_peer_size (const struct fx_peer *p);
uint32_t fx_peer_id (const struct fx_peer *p);
uint32_t fx_peer_userid (const struct fx_peer *p);
uint32_t fx_peer_rolemask (const struct fx_peer *p);
const char *fx_peer_name (const struct fx_peer *p);
struct ev_loop *fx_peer_loop (const struct fx_peer *p);

/* Send msg (borrowed).  Never blocks: when the socket is full the message is queued.
 * Returns -1 with errno on encoding errors or when the peer is closed (ENOTCONN). */
int fx_peer_send (struct fx_peer *p, const struct fx_msg *msg);

/* Start an RPC.  payload is borrowed (NULL = empty).  flags: FX_MSGFLAG_STREAMING,
 * FX_MSGFLAG_NORESPONSE (then cb is not called and NULL is returned on success: check
 * errno).  timeout <= 0 means none; for streaming RPCs it applies to the first response.
 * cb gets each response; after the final one (any response of a plain RPC, the error
 * response of a streaming one, or a synthesized ETIMEDOUT/ENOTCONN error) the RPC is
 * destroyed by the library.  Returns NULL with errno on failure. */
struct fx_rpc *fx_rpc_start (struct fx_peer *p, const char *topic, uint32_t nodeid, int flags,
                             const json_t *payload, double timeout, fx_rpc_f cb, void *arg);

/* Stop an RPC: no more callbacks.  A streaming RPC's service is sent SERVICE.cancel
 * {"matchtag":N} so it can free its state.  NULL is fine. */
void fx_rpc_cancel (struct fx_rpc *rpc);

uint32_t fx_rpc_matchtag (const struct fx_rpc *rpc);

/* Blocking RPC for commands: runs the loop until the response or the timeout.  On success
 * *out (if not NULL) gets a new reference to the response payload.  On error returns -1
 * with errno and err holding the service's message or a description of the failure. */
int fx_rpc_call (struct fx_peer *p, const char *topic, uint32_t nodeid, const json_t *payload,
                 double timeout, json_t **out, struct fx_error *err);

/* One handler table made of n tables (each ending with a NULL topic), for a daemon whose
 * files each bring their own.  The caller frees it.  NULL with ENOMEM. */
struct fx_handler *fx_handler_table_join (const struct fx_handler *const parts[], size_t n);

/* Register service name (the part of topics before the first dot) with the router and
 * dispatch its requests through table.  Every service also answers NAME.ping.  Blocking:
 * start-up only.  Returns -1 with errno and err (EEXIST when another peer has the name). */
int fx_peer_service_add (struct fx_peer *p, const char *name, const struct fx_handler *table,
                         void *arg, struct fx_error *err);

/* Respond to req (borrowed) with payload (borrowed, may be NULL).  Nothing is sent when req
 * has FX_MSGFLAG_NORESPONSE.  Returns -1 with errno on failure. */
int fx_respond (struct fx_peer *p, const struct fx_msg *req, const json_t *payload);

/* Respond with an error: errnum and a formatted one-line message (fmt may be NULL). */
int fx_respond_error (struct fx_peer *p, const struct fx_msg *req, int errnum, const char *fmt,
                      ...) __attribute__ ((format (printf, 4, 5)));

/* Refuse req with EPERM and the formatted reason, and log the refusal with the requester's
 * uid ("denied TOPIC to uid N: reason", LOG_NOTICE). */
int fx_respond_denied (struct fx_peer *p, const struct fx_msg *req, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Subscribe to events whose topic starts with prefix.  Blocking (start-up, commands). */
int fx_peer_subscribe (struct fx_peer *p, const char *prefix, fx_msg_f cb, void *arg,
                       struct fx_error *err);

/* Run the loop for `seconds` (commands only: handlers keep running meanwhile). */
void fx_loop_sleep (struct ev_loop *loop, double seconds);

/* Log at level (LOG_ERR ... LOG_DEBUG from syslog.h): "name.level[rank]: message" on stderr
 * and to the rank's ring buffer (flux dmesg). */
void fx_log (struct fx_peer *p, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
