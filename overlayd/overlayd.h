/* overlayd.h - the context shared by overlayd's files.
 *
 * overlayd is the node's local router (router.c: connections, hello, routing, flow
 * control, leases), its built-in services (services.c: broker, service, event, config, log,
 * attr), the log ring buffer (logbuf.c) and, in a later issue, the tree overlay.
 */
#ifndef OVERLAYD_H
#define OVERLAYD_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "services/auth.h"
#include "services/error.h"
#include "services/httpd.h"
#include "services/metrics.h"
#include "services/msg.h"
#include "services/u32map.h"

struct conn;
struct logbuf;
struct overlay;

struct overlayd_args {
    uint32_t rank;
    uint32_t size;
    const char *uri;        /* ipc:// endpoint of the local router */
    const char *config_dir; /* conf.d directory, or NULL for an empty configuration */
    const char *hostname;   /* for display; NULL = gethostname() */
    const char *munge_socket;
    /* A test instance's place in the tree (a system instance reads `bootstrap`). */
    const char *bind_uri;   /* tcp endpoint children connect to */
    const char *parent_uri; /* tcp endpoint of the parent */
    const char *topo;       /* tree shape, e.g. kary:2 */
    const char *cert;       /* cluster certificate path */
    const char *hosts;      /* host names of all ranks (a hostlist) */
};

struct overlayd {
    char pidns[64]; /* our pid namespace: peers' pids are checked only within it */
    struct ev_loop *loop;
    uint32_t rank, size;
    uid_t owner;
    char *uri;
    char *config_dir;
    char hostname[256];
    double starttime;
    json_t *config;          /* merged configuration (fx_conf), owned */
    json_t *attrs;           /* name -> string */
    int allow_guest_user;    /* from access.allow-guest-user */
    int allow_root_owner;    /* from access.allow-root-owner */
    double lease;            /* router.lease, seconds */
    int sock;                /* nanomsg raw REP socket */
    ev_io rcv_w;
    ev_timer lease_w;
    struct fx_u32map *conns_by_pipe; /* pipe key -> struct conn */
    struct fx_u32map *conns_by_id;   /* connection id -> struct conn */
    uint32_t next_conn_id;
    json_t *services;        /* service name -> connection id */
    uint32_t event_seq;
    struct fx_auth_worker *auth;
    struct logbuf *logbuf;
    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_msgs_in;     /* by type */
    struct fx_metric *m_msgs_out;    /* by type */
    struct fx_metric *m_auth_fail;   /* by reason */
    struct fx_metric *m_malformed;
    struct fx_metric *m_dropped;     /* connections dropped, by reason */
    struct fx_metric *m_conns;
    struct fx_metric *m_link_bytes;  /* overlay link bytes, by direction */
    struct fx_metric *m_link_msgs;   /* overlay link frames, by direction */
    double last_malformed_log;       /* throttles the malformed-message log line */
    struct overlay *overlay;         /* links to the parent and children (overlay.c) */
    int exit_code;                   /* set when the daemon must stop (parent lost...) */
};

/* overlayd.c */
struct overlayd *overlayd_create (struct ev_loop *loop, const struct overlayd_args *args,
                                  struct fx_error *err);
void overlayd_destroy (struct overlayd *od);
void overlayd_log (struct overlayd *od, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int overlayd_config_apply (struct overlayd *od, json_t *config, struct fx_error *err);

/* router.c */
/* Why a connection is dropped (the metric label and log text are in router.c). */
enum drop_reason { DROP_QUIET, DROP_LEASE, DROP_SLOW, DROP_REHELLO, DROP_GONE };
int router_start (struct overlayd *od, struct fx_error *err);
void router_stop (struct overlayd *od);
void router_set_lease (struct overlayd *od, double lease);
/* Handle a message from connection c (any kind). */
void router_dispatch (struct overlayd *od, struct conn *c, struct fx_msg *msg);
/* Send msg (borrowed) to a connection, behind its flow control; a connection that stopped
 * reading is dropped.  Returns -1 with errno (ENOENT: no such connection). */
int router_send (struct overlayd *od, struct conn *c, const struct fx_msg *msg);
int router_send_conn (struct overlayd *od, uint32_t id, const struct fx_msg *msg);
void router_conn_failed (struct overlayd *od, struct conn *c, enum drop_reason reason);
/* Drop local connection id if the process its hello named has died; returns 1 if so. */
int router_drop_if_gone (struct overlayd *od, uint32_t id);
/* Route a response back along its route stack (pops this router's hop). */
void router_respond (struct overlayd *od, const struct fx_msg *req, int errnum,
                     const char *errstr, const json_t *payload);
/* Publish an event (rank 0): stamp the next sequence, deliver everywhere. */
int router_publish (struct overlayd *od, const char *topic, const json_t *payload,
                    uint32_t userid, int private_);
/* Deliver an event to this rank's subscribers only (router.disconnect). */
void router_notify_local (struct overlayd *od, const char *topic, const json_t *payload);
/* Deliver an event to local subscribers and to the children. */
void router_deliver_event (struct overlayd *od, const struct fx_msg *ev);
int router_subscribe (struct overlayd *od, uint32_t conn_id, const char *prefix);
int router_unsubscribe (struct overlayd *od, uint32_t conn_id, const char *prefix);
double router_conn_count (void *arg);
const char *router_conn_name (struct overlayd *od, uint32_t id);

/* overlay.c: the tree overlay (links to the parent and the children). */
int overlay_start (struct overlayd *od, struct fx_error *err);
void overlay_stop (struct overlayd *od);
/* Send a request of our own toward rank `to` (log forwarding). */
void router_forward (struct overlayd *od, struct fx_msg *msg, uint32_t to);
/* Send rank 0 a request of this daemon's own, as the owner, that wants no response. */
void router_tell_rank0 (struct overlayd *od, const char *topic, const json_t *payload);
/* The connection toward rank `to`, or NULL with a one-line reason in why. */
struct conn *overlay_route (struct overlayd *od, uint32_t to, char *why, size_t len);
void overlay_forward_event (struct overlayd *od, const struct fx_msg *ev);
void overlay_event (struct overlayd *od, struct fx_msg *ev);
void overlay_control (struct overlayd *od, struct conn *c, struct fx_msg *msg);
void overlay_link_failed (struct overlayd *od, struct conn *c, const char *why);

/* services.c: the built-in services answered by the router itself. */
int services_is_builtin (const char *topic);
void services_dispatch (struct overlayd *od, struct fx_msg *msg);
void services_conn_gone (struct overlayd *od, uint32_t conn_id);

/* logbuf.c */
struct logbuf *logbuf_create (size_t capacity);
void logbuf_destroy (struct logbuf *lb);
/* Append an entry and send it to followers. */
void logbuf_append (struct overlayd *od, double timestamp, const char *name, int level,
                    uint32_t rank, const char *message);
void logbuf_dmesg (struct overlayd *od, struct fx_msg *msg);
void logbuf_cancel (struct overlayd *od, uint32_t conn_id, uint32_t matchtag);
void logbuf_clear (struct logbuf *lb);
void logbuf_flush_upstream (struct overlayd *od);

#endif
