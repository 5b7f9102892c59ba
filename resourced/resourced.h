/* resourced.h - flux-resourced's context and the interfaces between its files
 * (doc/resource.md).
 *
 * main.c        arguments, create, loop, destroy
 * resourced.c   the context: peer, configuration, hosts, this node's hardware, the service
 * node.c        every rank: hello to rank 0 (kept open, so a restarted rank 0 is noticed),
 *               and the monitor request rank 0 keeps open here
 * inventory.c   rank 0: R, which ranks are online and excluded, resource.status
 * drain.c       rank 0: drains, kept in kvsd's resource.eventlog
 * acquire.c     rank 0: resource.acquire, the scheduler's stream of up and down ranks
 */
#ifndef RESOURCED_H
#define RESOURCED_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "services/error.h"
#include "services/hostlist.h"
#include "services/idset.h"
#include "services/metrics.h"
#include "services/peer.h"
#include "services/rlist.h"

#define RESOURCE_EVENTLOG "resource.eventlog"
#define HELLO_RETRY_MIN   0.02 /* seconds before the first retry of a hello; doubles */
#define HELLO_RETRY_MAX   2.0  /* ... up to this */
#define READY_AT_MOST     3.0  /* a rank is ready once welcomed, or after this anyway */

/* A rank's drain, when drained. */
struct drain {
    int drained;
    double timestamp;
    char *reason; /* may be NULL */
};

/* Rank 0's monitor of one rank. */
struct monitor {
    struct resourced *rd;
    uint32_t rank;
    struct fx_rpc *rpc;
};

struct resourced {
    struct ev_loop *loop;
    struct fx_peer *peer;
    json_t *config;
    uint32_t rank, size;
    char hostname[256];
    struct fx_hostlist *hosts; /* every rank's host, in rank order */
    struct fx_idset *cores;    /* this node's */
    struct fx_idset *gpus;
    struct fx_handler *handlers;

    /* every rank: the hello stream to rank 0 and the monitor request from it */
    struct fx_rpc *hello;
    ev_timer hello_timer;
    double hello_retry; /* the next retry's delay */
    ev_timer ready_timer;
    int ready; /* systemd (flux start) was told */
    struct fx_msg *monitor_req;

    /* rank 0 */
    struct fx_rlist *R; /* the ranks known so far (all of them when configured) */
    int R_configured;   /* from resource.path: hellos are checked against it */
    struct fx_idset *online;
    struct fx_idset *torpid; /* from the overlay's overlay.torpid events */
    struct fx_idset *exclude;
    struct drain *drains;                /* size of them */
    struct monitor *monitors;            /* size of them */
    struct fx_msg **hellos;              /* size of them: each rank's open hello */
    struct acquirer *acquirers;          /* resource.acquire streams */
    struct fx_idset *acq_ranks, *acq_up; /* what they were told last */
    ev_prepare acquire_w;                /* sends them what changed, once per loop iteration */

    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_nodes;
    int no_router; /* the router could not be reached at start */
};

struct resourced_args {
    uint32_t rank;
    uint32_t size;
    const char *uri;
    const char *hostname;
    const char *hosts;
    int no_router; /* out: resourced_create failed to reach the router */
};

/* resourced.c */
/* Returns NULL with a message; args->no_router is set when the router could not be reached
 * (a temporary failure: exit 75 so that the daemon is started again). */
struct resourced *resourced_create (struct ev_loop *loop, struct resourced_args *args,
                                    struct fx_error *err);
void resourced_destroy (struct resourced *rd);
/* "rank 4 (fluke7)" */
const char *rank_name (struct resourced *rd, unsigned int rank, char *buf, size_t len);
/* Ranks named by targets: an idset of ranks or a hostlist of hosts.  NULL with a message. */
struct fx_idset *targets_decode (struct resourced *rd, const char *targets, struct fx_error *err);

/* node.c */
extern const struct fx_handler node_handlers[];
void node_start (struct resourced *rd);
void node_stop (struct resourced *rd);

/* inventory.c */
extern const struct fx_handler inventory_handlers[];
int inventory_start (struct resourced *rd, struct fx_error *err);
void inventory_stop (struct resourced *rd);
/* A rank announced itself with what it has (rank 0 calls it for itself). */
int inventory_hello (struct resourced *rd, uint32_t rank, const char *hostname,
                     const struct fx_idset *cores, const struct fx_idset *gpus,
                     struct fx_error *err);

/* drain.c */
extern const struct fx_handler drain_handlers[];
/* Read resource.eventlog from kvsd and apply its drains (start-up, blocking). */
int drain_replay (struct resourced *rd, struct fx_error *err);
/* Drain ranks with reason on rank 0's own initiative (a node short of what R promises). */
void drain_self (struct resourced *rd, const struct fx_idset *ranks, const char *reason);
void drain_free (struct resourced *rd);

/* acquire.c */
extern const struct fx_handler acquire_handlers[];
int acquire_start (struct resourced *rd, struct fx_error *err);
void acquire_stop (struct resourced *rd);

#endif
