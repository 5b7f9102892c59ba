/* queue.c - the jobs schedd knows and the scheduling pass (doc/sched.md).
 *
 * Pending jobs wait in a skiplist ordered by priority (higher first), submit time and id;
 * running jobs sit in one ordered by expiration (unlimited last).  A hash by id finds a job
 * for sched.cancel, sched.free and sched.prioritize.  A pass starts jobs from the head while
 * they fit; when the head does not, it computes the head's reservation (EASY backfill: the
 * earliest expiration after which the head fits) and then starts later jobs, at most
 * backfill-depth of them examined, that fit now and either end before the reservation or
 * leave the head's reserved share alone.  Nothing here talks to anyone: struct sched_ops
 * tells the daemon which jobs start and which annotations change.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedd/sched.h"

struct sched {
    struct pool *pool;
    const struct sched_ops *ops;
    void *arg;
    struct skiplist *pending; /* priority, t_submit, id */
    struct skiplist *running; /* expiration (unlimited last), id */
    struct job **buckets;     /* id hash */
    size_t nbuckets, njobs;
    int backfill_depth;
    int dirty;
    int stop_valid;   /* the last pass examined every pending job before stop */
    struct job *stop; /* the first one it did not examine (NULL: none was left) */
    uint64_t alloc_total;
    uint64_t gen;           /* counts changes that may move the head's estimate */
    uint64_t est_gen;       /* gen when the head's estimate was made */
    uint64_t est_head;      /* the id of the head it was made for */
    struct counts sim, cap; /* scratch for the reservation */
};

static int pending_cmp (const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->t_submit != y->t_submit)
        return x->t_submit < y->t_submit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double expiry (const struct job *j)
{
    return j->t_expire > 0 ? j->t_expire : INFINITY;
}

static int running_cmp (const void *a, const void *b)
{
    const struct job *x = a, *y = b;

    if (expiry (x) != expiry (y))
        return expiry (x) < expiry (y) ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

struct sched *sched_create (struct pool *pool, const struct sched_ops *ops, void *arg)
{
    struct sched *s = calloc (1, sizeof (*s));

    if (!s)
        return NULL;
    s->pool = pool;
    s->ops = ops;
    s->arg = arg;
    s->backfill_depth = 100;
    s->nbuckets = 1024;
    if (!(s->pending = sl_create (pending_cmp)) || !(s->running = sl_create (running_cmp))
        || !(s->buckets = calloc (s->nbuckets, sizeof (struct job *)))
        || counts_init (pool, &s->sim) < 0 || counts_init (pool, &s->cap) < 0) {
        sched_destroy (s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

static void job_free (struct job *job)
{
    placement_clear (&job->alloc);
    free (job);
}

void sched_destroy (struct sched *s)
{
    if (!s)
        return;
    for (size_t b = 0; s->buckets && b < s->nbuckets; b++) {
        struct job *j, *next;
        for (j = s->buckets[b]; j; j = next) {
            next = j->hnext;
            job_free (j);
        }
    }
    free (s->buckets);
    sl_destroy (s->pending);
    sl_destroy (s->running);
    counts_free (&s->sim);
    counts_free (&s->cap);
    free (s);
}

void sched_set_backfill_depth (struct sched *s, int depth)
{
    s->backfill_depth = depth < 0 ? 0 : depth;
}

struct pool *sched_pool (struct sched *s)
{
    return s->pool;
}

static size_t bucket (const struct sched *s, uint64_t id)
{
    return (size_t) ((id * 0x9e3779b97f4a7c15ull) >> 20) & (s->nbuckets - 1);
}

/* Double the hash table (no change when memory is short: chains just get longer). */
static void grow (struct sched *s)
{
    size_t old = s->nbuckets;
    struct job **ob = s->buckets, **nb = calloc (old * 2, sizeof (*nb));

    if (!nb)
        return;
    s->buckets = nb;
    s->nbuckets = old * 2;
    for (size_t b = 0; b < old; b++) {
        struct job *j, *next;
        for (j = ob[b]; j; j = next) {
            next = j->hnext;
            j->hnext = nb[bucket (s, j->id)];
            nb[bucket (s, j->id)] = j;
        }
    }
    free (ob);
}

struct job *sched_lookup (const struct sched *s, uint64_t id)
{
    for (struct job *j = s->buckets[bucket (s, id)]; j; j = j->hnext) {
        if (j->id == id)
            return j;
    }
    return NULL;
}

static struct job *job_new (struct sched *s, uint64_t id, int64_t priority, uint32_t userid,
                            double t_submit)
{
    struct job *job;

    if (sched_lookup (s, id)) {
        errno = EEXIST;
        return NULL;
    }
    if (!(job = calloc (1, sizeof (*job)))) {
        errno = ENOMEM;
        return NULL;
    }
    job->id = id;
    job->priority = priority;
    job->userid = userid;
    job->t_submit = t_submit;
    return job;
}

static void hash_add (struct sched *s, struct job *job)
{
    if (s->njobs >= s->nbuckets)
        grow (s);
    job->hnext = s->buckets[bucket (s, job->id)];
    s->buckets[bucket (s, job->id)] = job;
    s->njobs++;
}

static void hash_remove (struct sched *s, struct job *job)
{
    struct job **jp = &s->buckets[bucket (s, job->id)];

    while (*jp && *jp != job)
        jp = &(*jp)->hnext;
    if (*jp) {
        *jp = job->hnext;
        s->njobs--;
    }
}

struct job *sched_add_pending (struct sched *s, uint64_t id, int64_t priority, uint32_t userid,
                               double t_submit, const struct sched_req *rq, struct fx_msg *req)
{
    struct job *job = job_new (s, id, priority, userid, t_submit);

    if (!job)
        return NULL;
    job->rq = *rq;
    job->req = req;
    job->state = JOB_PENDING;
    if (sl_insert (s->pending, job) < 0) {
        free (job);
        return NULL;
    }
    hash_add (s, job);
    /* A job behind the last pass's horizon changes nothing that pass decided. */
    if (!s->stop_valid || !s->stop || pending_cmp (job, s->stop) < 0)
        sched_dirty (s);
    return job;
}

struct job *sched_add_running (struct sched *s, uint64_t id, int64_t priority, uint32_t userid,
                               double t_submit, struct placement *a, double t_expire)
{
    struct job *job = job_new (s, id, priority, userid, t_submit);

    if (!job)
        return NULL;
    job->state = JOB_RUNNING;
    job->t_expire = t_expire;
    if (sl_insert (s->running, job) < 0) {
        free (job);
        return NULL;
    }
    job->alloc = *a;
    memset (a, 0, sizeof (*a));
    hash_add (s, job);
    sched_dirty (s);
    return job;
}

void sched_remove (struct sched *s, struct job *job)
{
    if (job->state == JOB_PENDING)
        sl_remove (s->pending, job);
    else {
        sl_remove (s->running, job);
        pool_give (s->pool, &job->alloc);
    }
    hash_remove (s, job);
    if (s->stop == job)
        s->stop_valid = 0;
    job_free (job);
    sched_dirty (s);
}

void sched_prioritize (struct sched *s, struct job *job, int64_t priority)
{
    if (job->priority == priority)
        return;
    if (job->state == JOB_PENDING) {
        sl_remove (s->pending, job);
        job->priority = priority;
        if (sl_insert (s->pending, job) < 0) /* ENOMEM only: cannot be kept */
            abort ();
        sched_dirty (s);
    } else
        job->priority = priority;
}

void sched_foreach (struct sched *s, void (*f) (struct sched *s, struct job *job, void *arg),
                    void *arg)
{
    for (size_t b = 0; b < s->nbuckets; b++) {
        struct job *j, *next;
        for (j = s->buckets[b]; j; j = next) {
            next = j->hnext;
            f (s, j, arg);
        }
    }
}

void sched_dirty (struct sched *s)
{
    s->dirty = 1;
    s->stop_valid = 0;
    s->gen++;
}

int sched_is_dirty (const struct sched *s)
{
    return s->dirty;
}

void sched_stats (const struct sched *s, struct sched_stats *st)
{
    st->pending = sl_count (s->pending);
    st->running = sl_count (s->running);
    st->alloc_total = s->alloc_total;
}

static void annotate (struct sched *s, struct job *job, const char *reason, double t_estimate)
{
    if (job->reason == reason && job->t_estimate == t_estimate)
        return;
    job->reason = reason;
    job->t_estimate = t_estimate;
    if (s->ops->annotate)
        s->ops->annotate (s, job, s->arg);
}

/* Start job on what pl says: 0, or -1 (ENOMEM) leaving it pending, or 1 when the daemon
 * refused it and it is gone. */
static int start (struct sched *s, struct job *job, const struct placement *pl, double now)
{
    if (pool_take (s->pool, pl, &job->alloc) < 0)
        return -1;
    job->t_start = now;
    job->t_expire = job->rq.duration > 0 ? now + job->rq.duration : 0;
    if (sl_insert (s->running, job) < 0) {
        pool_give (s->pool, &job->alloc);
        placement_clear (&job->alloc);
        return -1;
    }
    sl_remove (s->pending, job);
    job->state = JOB_RUNNING;
    s->alloc_total++;
    s->gen++;
    if (s->ops->started && s->ops->started (s, job, s->arg) < 0) {
        sl_remove (s->running, job);
        pool_give (s->pool, &job->alloc);
        hash_remove (s, job);
        job_free (job);
        return 1;
    }
    return 0;
}

/* The earliest time head fits, running jobs ending at their expirations (unlimited ones
 * never): INFINITY when never.  Otherwise s->cap holds, per rank, what is free at that time
 * beyond head's share: what a job still running then may use. */
static double reserve (struct sched *s, const struct job *head, struct placement *pl)
{
    struct pool *p = s->pool;
    long need = (long) head->rq.nslots * head->rq.cores_per_slot;
    struct sl_node *n, *next;

    counts_copy (p, &s->sim, pool_live (p));
    for (n = sl_first_node (s->running); n; n = next) {
        const struct job *job = sl_item (n);
        if (job->t_expire <= 0)
            break; /* the rest never end */
        counts_apply (p, &s->sim, &job->alloc, 1);
        next = sl_next_node (n);
        if (next && ((const struct job *) sl_item (next))->t_expire == job->t_expire)
            continue; /* they end together */
        if (s->sim.free < need || pool_fit (p, &head->rq, &s->sim, NULL, pl) < 0)
            continue;
        counts_copy (p, &s->cap, &s->sim);
        counts_apply (p, &s->cap, pl, -1);
        return job->t_expire;
    }
    return INFINITY;
}

/* Backfill behind head (reservation at T, s->cap the share others may keep past T). */
static struct job *backfill (struct sched *s, struct sl_node *n, double T, double now,
                             struct placement *pl)
{
    const struct counts *live = pool_live (s->pool);
    struct sl_node *next;
    int depth = 0;

    for (; n && depth < s->backfill_depth && live->free > 0; n = next, depth++) {
        struct job *job = sl_item (n);
        int ends_before = isinf (T) || (job->rq.duration > 0 && now + job->rq.duration <= T);
        int rc = -1;
        next = sl_next_node (n);
        if (pool_fit (s->pool, &job->rq, live, ends_before ? NULL : &s->cap, pl) == 0)
            rc = start (s, job, pl, now);
        if (rc == 0 && !ends_before)
            counts_apply (s->pool, &s->cap, &job->alloc, -1);
        else if (rc < 0)
            annotate (s, job, REASON_RESOURCES, 0);
    }
    return n ? sl_item (n) : NULL;
}

void sched_pass (struct sched *s, double now)
{
    const struct counts *live = pool_live (s->pool);
    struct placement pl = {0};
    struct sl_node *n, *next;
    struct job *head;
    double T;

    s->dirty = 0;
    for (n = sl_first_node (s->pending); n && live->free > 0; n = next) {
        next = sl_next_node (n);
        if (pool_fit (s->pool, &((struct job *) sl_item (n))->rq, live, NULL, &pl) < 0
            || start (s, sl_item (n), &pl, now) < 0)
            break; /* the head waits */
    }
    s->stop = n ? sl_item (n) : NULL;
    s->stop_valid = 1;
    if (!n)
        goto done;
    /* The head waits.  With nothing free there is nothing to backfill: the estimate is
     * made again only when the head or what runs has changed. */
    head = sl_item (n);
    if (live->free <= 0 && head->reason && head->id == s->est_head && s->gen == s->est_gen)
        goto done;
    T = reserve (s, head, &pl);
    s->est_head = head->id;
    s->est_gen = s->gen;
    annotate (s, head, REASON_RESOURCES, isinf (T) ? 0 : T);
    if (live->free > 0)
        s->stop = backfill (s, sl_next_node (n), T, now, &pl);
done:
    placement_clear (&pl);
}
