/* sched.h - flux-schedd's scheduling core: the resource pool, the queue and the scheduling
 * pass with EASY backfill (doc/sched.md).
 *
 * pool.c       the ranks schedd may allocate from: their cores and GPUs, which are free,
 *              which ranks are up; fit tests on counts, taking and giving back, R
 * skiplist.c   an ordered list (the pending queue, the running jobs by expiration)
 * queue.c      the jobs: pending in priority order, running by expiration; the pass
 *
 * Nothing here talks to the router: the daemon (schedd.h) feeds requests in and is told,
 * through struct sched_ops, which jobs start and which annotations change.  The unit test
 * (test/unit/check_sched.c) drives these functions directly.
 */
#ifndef SCHED_H
#define SCHED_H

#include <jansson.h>
#include <stdint.h>

#include "services/error.h"
#include "services/idset.h"

/* What a job asks for (from its jobspec, doc/job.md "Jobspec"). */
struct sched_req {
    int nnodes;         /* node shapes: number of nodes; 0 in slot shapes */
    int slots_per_node; /* node shapes */
    int nslots;         /* slots in all */
    int cores_per_slot; /* >= 1 */
    int gpus_per_slot;  /* >= 0 */
    int exclusive;      /* node shapes: whole nodes */
    double duration;    /* seconds, 0 = unlimited */
};

/* Free cores and GPUs per rank, and the ranks where something can be allocated (up, with a
 * free core): the pool's live state, or a copy the reservation works on. */
struct counts {
    int *fc, *fg;    /* free cores, free GPUs, by rank */
    uint64_t *avail; /* bitmap by rank */
    long free;       /* free cores on available ranks */
};

/* What a placement takes on one rank (counts), and what an allocation took (positions in the
 * rank's core and GPU lists). */
struct take {
    uint32_t rank;
    int nslots, ncores, ngpus;
    int *cores, *gpus; /* positions, ncores and ngpus of them (allocations only) */
};

struct placement {
    int n, max;
    struct take *t;
};

/* pool.c */
struct pool;

/* A pool for ranks 0..size-1, none of them present yet.  NULL with ENOMEM. */
struct pool *pool_create (uint32_t size);
void pool_destroy (struct pool *p);
uint32_t pool_size (const struct pool *p);

/* Add rank with its host (may be NULL), cores and GPUs; it starts down.  -1 with EINVAL
 * (rank beyond the size, already present, no core) or ENOMEM. */
int pool_add_rank (struct pool *p, uint32_t rank, const char *host, const struct fx_idset *cores,
                   const struct fx_idset *gpus);
/* Add every rank of R (RFC 20), skipping ranks already present.  -1 with a message. */
int pool_add_R (struct pool *p, const json_t *R, struct fx_error *err);
int pool_has_rank (const struct pool *p, uint32_t rank);
/* Mark a present rank up (allocatable) or down; a rank not present is ignored. */
void pool_set_up (struct pool *p, uint32_t rank, int up);

/* Totals for metrics: free cores on up ranks, allocated cores, free cores on down ranks. */
void pool_core_totals (const struct pool *p, long *free, long *allocated, long *down);
/* Ranks where some core or GPU is allocated (caller destroys).  NULL with ENOMEM. */
struct fx_idset *pool_allocated_ranks (const struct pool *p);
/* Every core and GPU in use, as R (a new reference), or NULL with ENOMEM. */
json_t *pool_allocated_R (const struct pool *p);
const struct counts *pool_live (const struct pool *p);

/* Working copies of the counts. */
int counts_init (const struct pool *p, struct counts *c);
void counts_free (struct counts *c);
void counts_copy (const struct pool *p, struct counts *dst, const struct counts *src);
/* Add (sign 1) or remove (sign -1) what an allocation holds; a rank becomes available in c
 * only when it is up in the pool. */
void counts_apply (const struct pool *p, struct counts *c, const struct placement *a, int sign);

/* Find where rq fits in c (limited per rank by limit when not NULL): slots never split
 * across ranks; node shapes take nnodes distinct ranks with slots_per_node slots each
 * (exclusive: whole idle nodes); slot shapes pack slots onto ranks in rank order.  Fills pl
 * (counts only) and returns 0, or -1 when it does not fit (ENOSPC) or ENOMEM. */
int pool_fit (const struct pool *p, const struct sched_req *rq, const struct counts *c,
              const struct counts *limit, struct placement *pl);
/* Could rq ever fit, every present rank up and idle?  0, or -1 with EINVAL and a message
 * ("unsatisfiable: requested 8 nodes, instance has 4"). */
int pool_feasible (const struct pool *p, const struct sched_req *rq, struct fx_error *err);

/* Take what pl says from the live counts, lowest free cores and GPUs first, into a (an
 * allocation the caller releases with placement_clear).  -1 with ENOMEM (nothing taken). */
int pool_take (struct pool *p, const struct placement *pl, struct placement *a);
/* Give an allocation back (it stays filled: clear it afterwards). */
void pool_give (struct pool *p, const struct placement *a);
/* An allocation from the R of a job that holds resources (jobd's hello): cores and GPUs of
 * ranks the pool does not have are ignored.  Marks them taken.  -1 with a message. */
int pool_take_R (struct pool *p, const json_t *R, struct placement *a, struct fx_error *err);
/* R version 1 of an allocation, with starttime, expiration (0 = unlimited) and nslots. */
json_t *pool_R (const struct pool *p, const struct placement *a, double starttime,
                double expiration, int nslots);

void placement_clear (struct placement *pl);

/* skiplist.c */
typedef int (*sl_cmp_f) (const void *a, const void *b);
struct skiplist;
struct sl_node;

struct skiplist *sl_create (sl_cmp_f cmp);
void sl_destroy (struct skiplist *sl);
/* Insert item (a key equal to one present is an error: EEXIST).  -1 with errno. */
int sl_insert (struct skiplist *sl, void *item);
/* Remove item (found by its key); -1 with ENOENT when absent. */
int sl_remove (struct skiplist *sl, void *item);
void *sl_first (const struct skiplist *sl);
/* Walk in order: the first node, the next one (NULL at the end), a node's item.  A node
 * stays valid until its item is removed. */
struct sl_node *sl_first_node (const struct skiplist *sl);
struct sl_node *sl_next_node (const struct sl_node *n);
void *sl_item (const struct sl_node *n);
size_t sl_count (const struct skiplist *sl);

/* queue.c */
struct fx_msg;

enum job_state { JOB_PENDING, JOB_RUNNING };

struct job {
    uint64_t id;
    int64_t priority;
    uint32_t userid;
    double t_submit;
    struct sched_req rq;
    enum job_state state;
    double t_start, t_expire; /* running: t_expire 0 = unlimited */
    struct placement alloc;   /* running: what it holds */
    struct fx_msg *req;       /* the daemon's: the sched.alloc request to answer */
    const char *reason;       /* annotation last given (static string), NULL if none */
    double t_estimate;        /* annotation last given, 0 = none */
    struct job *hnext;        /* id hash chain */
};

struct sched;

struct sched_ops {
    /* job is now running: job->alloc, t_start, t_expire are set.  Returning -1 (the daemon
     * could not answer it) makes the scheduler forget the job and free what it took. */
    int (*started) (struct sched *s, struct job *job, void *arg);
    /* job's reason or t_estimate changed. */
    void (*annotate) (struct sched *s, struct job *job, void *arg);
};

struct sched_stats {
    size_t pending, running;
    uint64_t alloc_total;
};

struct sched *sched_create (struct pool *pool, const struct sched_ops *ops, void *arg);
void sched_destroy (struct sched *s);
void sched_set_backfill_depth (struct sched *s, int depth);
struct pool *sched_pool (struct sched *s);

/* A pending job (sched.alloc).  NULL with EEXIST (id known) or ENOMEM. */
struct job *sched_add_pending (struct sched *s, uint64_t id, int64_t priority, uint32_t userid,
                               double t_submit, const struct sched_req *rq, struct fx_msg *req);
/* A running job learned from jobd's hello: takes over a (filled by pool_take_R). */
struct job *sched_add_running (struct sched *s, uint64_t id, int64_t priority, uint32_t userid,
                               double t_submit, struct placement *a, double t_expire);
struct job *sched_lookup (const struct sched *s, uint64_t id);
/* Forget job: a running one gives its resources back.  The caller has dealt with job->req
 * (it is not freed here). */
void sched_remove (struct sched *s, struct job *job);
void sched_prioritize (struct sched *s, struct job *job, int64_t priority);
/* Visit every job (f may not add or remove jobs other than the one it is given). */
void sched_foreach (struct sched *s, void (*f) (struct sched *s, struct job *job, void *arg),
                    void *arg);

/* Something changed (a job, a free, a rank up or down): run a pass soon. */
void sched_dirty (struct sched *s);
int sched_is_dirty (const struct sched *s);
/* One scheduling pass at time now. */
void sched_pass (struct sched *s, double now);
void sched_stats (const struct sched *s, struct sched_stats *st);

#define REASON_RESOURCES "insufficient resources"

#endif
