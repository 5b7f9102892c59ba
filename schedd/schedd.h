/* schedd.h - flux-schedd's context and the interfaces between its files (doc/sched.md,
 * doc/job.md "Scheduler protocol" and "Resource acquisition").
 *
 * main.c        arguments, create, loop, destroy
 * schedd.c      the context: peer, configuration, metrics, the scheduling pass's watcher
 * resources.c   resource.acquire from resourced: R, up and down ranks into the pool
 * jobd.c        the link to jobd: hello (jobs holding resources), ready, jobd going away
 * service.c     the sched service: alloc, cancel, prioritize, free, feasibility, status
 * pool.c, skiplist.c, queue.c   the scheduling core (sched.h), which talks to no one
 */
#ifndef SCHEDD_H
#define SCHEDD_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "schedd/sched.h"
#include "services/error.h"
#include "services/metrics.h"
#include "services/peer.h"

#define RETRY_MIN       0.1  /* seconds before the first retry of a hello or acquire */
#define RETRY_MAX       2.0  /* doubling up to this */
#define ACQUIRE_AT_MOST 30.0 /* start-up: give up when resourced has not answered */
#define BACKFILL_DEPTH  100  /* default sched.backfill-depth */

enum jobd_state {
    JOBD_IDLE,  /* waiting to say hello (retry timer) */
    JOBD_PING,  /* learning jobd's connection (job-manager.ping) */
    JOBD_HELLO, /* job-manager.sched-hello in flight */
    JOBD_READY, /* job-manager.sched-ready in flight */
    JOBD_UP,    /* jobd sends sched.alloc */
};

struct schedd {
    struct ev_loop *loop;
    struct fx_peer *peer;
    json_t *config;
    uint32_t rank, size;
    struct pool *pool;
    struct sched *sched;
    ev_prepare pass_w; /* runs the scheduling pass once per loop iteration */

    /* resources.c */
    struct fx_rpc *acquire;
    int acquired;         /* a first response arrived (ever) */
    int acquire_first;    /* the next response opens a stream */
    int acquire_failures; /* since the last response: only the first is logged */
    ev_timer acquire_timer;
    double acquire_retry;

    /* jobd.c */
    enum jobd_state jobd;
    struct fx_rpc *jobd_rpc;
    uint32_t jobd_rank, jobd_peer; /* jobd's connection (from its ping answer) */
    ev_timer hello_timer;
    double hello_retry;
    int hello_failures; /* since the last success: only the first is logged */

    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_jobs, *m_alloc, *m_cores;
    int exit_code; /* why start-up failed: 75 try again later, 42 never, 1 otherwise */
};

struct schedd_args {
    uint32_t rank;
    uint32_t size;
    const char *uri;
    int exit_code; /* out, when schedd_create fails: 75 (the router or resourced is not
                    * there yet: start again later), 42 (not rank 0: stay down), 1 */
};

/* schedd.c */
struct schedd *schedd_create (struct ev_loop *loop, struct schedd_args *args, struct fx_error *err);
void schedd_destroy (struct schedd *sd);
double schedd_now (void);

/* resources.c */
/* Acquire resources from resourced, waiting (start-up, blocking) for the first answer. */
int resources_start (struct schedd *sd, struct fx_error *err);
void resources_stop (struct schedd *sd);

/* jobd.c */
void jobd_start (struct schedd *sd);
void jobd_stop (struct schedd *sd);
/* jobd went away (its connection dropped, the hello failed): forget its jobs, hello again. */
void jobd_lost (struct schedd *sd, const char *why);
void jobd_disconnect_cb (struct fx_peer *p, struct fx_msg *ev, void *arg);

/* service.c */
extern const struct fx_handler service_handlers[];
extern const struct sched_ops service_ops;
/* Forget one job without answering it (jobd is gone). */
void service_drop_job (struct sched *s, struct job *job, void *arg);
/* The request of a jobspec, or -1 with a message. */
int service_request (json_t *jobspec, struct sched_req *rq, struct fx_error *err);

#endif
