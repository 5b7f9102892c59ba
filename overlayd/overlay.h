/* overlay.h - the tree overlay's state, shared by overlay.c, bootstrap.c and health.c.
 *
 * Internal to overlayd.
 */
#ifndef OVERLAYD_OVERLAY_H
#define OVERLAYD_OVERLAY_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "services/cert.h"
#include "services/error.h"
#include "services/hostlist.h"
#include "services/metrics.h"
#include "services/nnio.h"
#include "services/topo.h"
#include "services/u32map.h"

struct overlayd;
struct overlayd_args;
struct conn;

/* Exit statuses: systemd's unit restarts the first and not the second (flux start too). */
#define EXIT_RESTART 75
#define EXIT_NORESTART 42

/* A subtree's state as the guide defines it, seen from its parent. */
enum overlay_state {
    OVERLAY_OFFLINE = 0,  /* not yet seen, or cleanly shut down */
    OVERLAY_FULL = 1,     /* online, no child partial, offline, degraded or lost */
    OVERLAY_PARTIAL = 2,  /* online, some child partial or offline, none degraded or lost */
    OVERLAY_DEGRADED = 3, /* online, some child degraded or lost */
    OVERLAY_LOST = 4,     /* gone missing */
};

struct child {
    uint32_t rank;
    enum overlay_state state; /* its subtree, as it reports or as we saw it go */
    double since;             /* when the state last changed */
    struct conn *conn;        /* the link while it is up */
    int torpid;               /* silent past tbon.torpid_max */
    char error[160];          /* why it went lost or offline, for flux overlay errors */
};

/* A child's hello that arrived before this rank joined its parent. */
struct held_hello {
    struct fx_nn_hdr hdr;
    void *buf;
    size_t len;
};

struct overlay {
    struct fx_topo *topo;
    struct fx_cert cert;
    struct fx_hostlist *hosts; /* rank -> host name, when known */
    char *bind_uri;            /* where children connect (NULL without children) */
    char *parent_uri;          /* where the parent listens (NULL on rank 0) */
    int child_sock, parent_sock;
    ev_io child_w, parent_w;
    struct fx_u32map *child_pipes; /* pipe key -> struct conn of a child */
    struct child *children;
    uint32_t nchildren;
    struct conn *parent;
    struct held_hello *held; /* nchildren * 2 of them */
    uint32_t nheld;
    ev_timer hello_w;
    double hello_start;
    double connect_timeout; /* tbon.connect_timeout: give up on the parent after this */
    double torpid_min;      /* heartbeat when idle this long */
    double torpid_max;      /* a child silent this long is torpid */
    double lost_timeout;    /* a child (or parent) silent this long is lost */
    ev_timer health_w;
    enum overlay_state state; /* this rank's subtree */
    double state_since;
    int reported;             /* state last sent to the parent, -1 = none */
    int stopping;             /* shutting down: a goodbye from the parent is our ack */
    int exiting;              /* overlay_exit was called: ignore the rest */
    int goodbye_acked;
    struct fx_metric *m_reconnects;
    struct fx_metric *m_peers; /* children by state */
};

/* overlay.c */
const char *overlay_host (struct overlay *ov, uint32_t rank);
void overlay_parent_lost (struct overlayd *od, const char *why);
void overlay_exit (struct overlayd *od, int code);
int overlay_disconnect (struct overlayd *od, uint32_t rank, struct fx_error *err);
/* {"size", "topo", "parents": [parent of each rank, -1 for 0], "hosts": hostlist or null} */
json_t *overlay_topology_json (struct overlayd *od);

/* bootstrap.c: topology, endpoints, host names and certificate from the arguments and the
 * bootstrap configuration.  Sets od->rank and od->size when the configuration names them. */
struct overlay *overlay_create (struct overlayd *od, const struct overlayd_args *args,
                                struct fx_error *err);
void overlay_destroy (struct overlay *ov);

/* health.c */
const char *overlay_state_name (enum overlay_state state);
int health_start (struct overlayd *od, struct fx_error *err);
void health_stop (struct overlayd *od);
void health_child_state (struct overlayd *od, struct child *ch, enum overlay_state state,
                         const char *why);
void health_child_heard (struct overlayd *od, struct child *ch);
void health_report (struct overlayd *od, int force);
json_t *health_json (struct overlayd *od);

#endif
