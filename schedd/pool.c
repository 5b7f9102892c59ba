/* pool.c - the resources schedd allocates from: every rank's cores and GPUs, which of them
 * are free, which ranks are up (doc/sched.md).
 *
 * Ranks are indexed by rank.  Each keeps its core and GPU ids in order and a bitmap of the
 * positions in use; the counts (free cores and GPUs per rank, a bitmap of the ranks where
 * something is free) are kept apart so that a fit test reads counts only and visits only
 * ranks with a free core, and so that the reservation can test fits on a copy.  Nothing
 * here talks to anyone; bad input (an R that does not parse) is an error with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedd/sched.h"
#include "services/rlist.h"

struct prank {
    int present, up;
    char *host;
    int ncores, ngpus;
    unsigned int *core_ids, *gpu_ids; /* ascending */
    uint64_t *core_used, *gpu_used;   /* bitmaps by position */
};

struct pool {
    uint32_t size;
    int nwords; /* of a rank bitmap */
    struct prank *r;
    struct counts live; /* what is free now */
    struct counts full; /* everything free, every present rank available */
};

#define BIT_SET(m, i)   ((m)[(i) / 64] |= (1ull << ((i) % 64)))
#define BIT_CLEAR(m, i) ((m)[(i) / 64] &= ~(1ull << ((i) % 64)))
#define BIT_TEST(m, i)  (((m)[(i) / 64] >> ((i) % 64)) & 1)

int counts_init (const struct pool *p, struct counts *c)
{
    memset (c, 0, sizeof (*c));
    if (!(c->fc = calloc (p->size, sizeof (int))) || !(c->fg = calloc (p->size, sizeof (int)))
        || !(c->avail = calloc ((size_t) p->nwords, sizeof (uint64_t)))) {
        counts_free (c);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void counts_free (struct counts *c)
{
    free (c->fc);
    free (c->fg);
    free (c->avail);
    memset (c, 0, sizeof (*c));
}

void counts_copy (const struct pool *p, struct counts *dst, const struct counts *src)
{
    memcpy (dst->fc, src->fc, p->size * sizeof (int));
    memcpy (dst->fg, src->fg, p->size * sizeof (int));
    memcpy (dst->avail, src->avail, (size_t) p->nwords * sizeof (uint64_t));
    dst->free = src->free;
}

/* Rank r's availability in c after its counts changed. */
static void avail_update (const struct pool *p, struct counts *c, uint32_t r)
{
    if (p->r[r].up && c->fc[r] > 0)
        BIT_SET (c->avail, r);
    else
        BIT_CLEAR (c->avail, r);
}

void counts_apply (const struct pool *p, struct counts *c, const struct placement *a, int sign)
{
    for (int i = 0; i < a->n; i++) {
        uint32_t r = a->t[i].rank;
        c->fc[r] += sign * a->t[i].ncores;
        c->fg[r] += sign * a->t[i].ngpus;
        if (p->r[r].up)
            c->free += sign * a->t[i].ncores;
        avail_update (p, c, r);
    }
}

struct pool *pool_create (uint32_t size)
{
    struct pool *p = calloc (1, sizeof (*p));

    if (!p)
        return NULL;
    p->size = size;
    p->nwords = (int) ((size + 63) / 64);
    if (!(p->r = calloc (size ? size : 1, sizeof (struct prank))) || counts_init (p, &p->live) < 0
        || counts_init (p, &p->full) < 0) {
        pool_destroy (p);
        errno = ENOMEM;
        return NULL;
    }
    return p;
}

void pool_destroy (struct pool *p)
{
    if (!p)
        return;
    for (uint32_t r = 0; p->r && r < p->size; r++) {
        free (p->r[r].host);
        free (p->r[r].core_ids);
        free (p->r[r].gpu_ids);
        free (p->r[r].core_used);
        free (p->r[r].gpu_used);
    }
    free (p->r);
    counts_free (&p->live);
    counts_free (&p->full);
    free (p);
}

uint32_t pool_size (const struct pool *p)
{
    return p->size;
}

const struct counts *pool_live (const struct pool *p)
{
    return &p->live;
}

int pool_has_rank (const struct pool *p, uint32_t rank)
{
    return rank < p->size && p->r[rank].present;
}

static unsigned int *ids_array (const struct fx_idset *set, int *n)
{
    unsigned int *a = malloc ((fx_idset_count (set) + 1) * sizeof (*a));
    int k = 0;

    if (!a)
        return NULL;
    for (unsigned int id = fx_idset_first (set); id != FX_IDSET_INVALID_ID;
         id = fx_idset_next (set, id))
        a[k++] = id;
    *n = k;
    return a;
}

int pool_add_rank (struct pool *p, uint32_t rank, const char *host, const struct fx_idset *cores,
                   const struct fx_idset *gpus)
{
    struct prank *pr;

    if (rank >= p->size || p->r[rank].present || fx_idset_count (cores) == 0) {
        errno = EINVAL;
        return -1;
    }
    pr = &p->r[rank];
    if (!(pr->core_ids = ids_array (cores, &pr->ncores))
        || !(pr->gpu_ids = ids_array (gpus, &pr->ngpus))
        || !(pr->core_used = calloc ((size_t) pr->ncores / 64 + 1, sizeof (uint64_t)))
        || !(pr->gpu_used = calloc ((size_t) pr->ngpus / 64 + 1, sizeof (uint64_t)))
        || (host && !(pr->host = strdup (host)))) {
        free (pr->core_ids);
        free (pr->gpu_ids);
        free (pr->core_used);
        free (pr->gpu_used);
        memset (pr, 0, sizeof (*pr));
        errno = ENOMEM;
        return -1;
    }
    pr->present = 1;
    p->live.fc[rank] = p->full.fc[rank] = pr->ncores;
    p->live.fg[rank] = p->full.fg[rank] = pr->ngpus;
    BIT_SET (p->full.avail, rank);
    p->full.free += pr->ncores;
    return 0;
}

int pool_add_R (struct pool *p, const json_t *R, struct fx_error *err)
{
    struct fx_rlist *rl = fx_rlist_decode (R, err);
    struct fx_rlist_node node;

    if (!rl)
        return -1;
    for (size_t i = 0; fx_rlist_node_at (rl, i, &node) == 0; i++) {
        if (node.rank >= p->size || p->r[node.rank].present || fx_idset_count (node.cores) == 0)
            continue; /* beyond the instance, known, or nothing a slot can use */
        if (pool_add_rank (p, node.rank, node.host, node.cores, node.gpus) < 0) {
            fx_rlist_destroy (rl);
            return errprintf (err, "out of memory");
        }
    }
    fx_rlist_destroy (rl);
    return 0;
}

void pool_set_up (struct pool *p, uint32_t rank, int up)
{
    if (rank >= p->size || !p->r[rank].present || p->r[rank].up == !!up)
        return;
    p->r[rank].up = !!up;
    p->live.free += (up ? 1 : -1) * p->live.fc[rank];
    avail_update (p, &p->live, rank);
}

void pool_core_totals (const struct pool *p, long *free, long *allocated, long *down)
{
    *free = *allocated = *down = 0;
    for (uint32_t r = 0; r < p->size; r++) {
        if (!p->r[r].present)
            continue;
        *allocated += p->r[r].ncores - p->live.fc[r];
        if (p->r[r].up)
            *free += p->live.fc[r];
        else
            *down += p->live.fc[r];
    }
}

struct fx_idset *pool_allocated_ranks (const struct pool *p)
{
    struct fx_idset *ids = fx_idset_create ();

    for (uint32_t r = 0; ids && r < p->size; r++) {
        if (p->r[r].present && (p->live.fc[r] < p->r[r].ncores || p->live.fg[r] < p->r[r].ngpus)
            && fx_idset_set (ids, r) < 0) {
            fx_idset_destroy (ids);
            return NULL;
        }
    }
    return ids;
}

void placement_clear (struct placement *pl)
{
    for (int i = 0; i < pl->n; i++) {
        free (pl->t[i].cores);
        free (pl->t[i].gpus);
    }
    free (pl->t);
    memset (pl, 0, sizeof (*pl));
}

static int push (struct placement *pl, uint32_t rank, int nslots, int ncores, int ngpus)
{
    if (pl->n == pl->max) {
        int max = pl->max ? pl->max * 2 : 8;
        struct take *t = realloc (pl->t, (size_t) max * sizeof (*t));
        if (!t)
            return -1;
        pl->t = t;
        pl->max = max;
    }
    pl->t[pl->n++] = (struct take){rank, nslots, ncores, ngpus, NULL, NULL};
    return 0;
}

static int lesser (const int *a, const int *limit, uint32_t r)
{
    return limit && limit[r] < a[r] ? limit[r] : a[r];
}

/* Slot shapes: pack slots onto available ranks in rank order. */
static int fit_slots (const struct pool *p, const struct sched_req *rq, const struct counts *c,
                      const struct counts *limit, struct placement *pl)
{
    int left = rq->nslots;

    for (int w = 0; w < p->nwords; w++) {
        for (uint64_t bits = c->avail[w]; bits; bits &= bits - 1) {
            uint32_t r = (uint32_t) (w * 64 + __builtin_ctzll (bits));
            int k = lesser (c->fc, limit ? limit->fc : NULL, r) / rq->cores_per_slot;
            if (rq->gpus_per_slot > 0) {
                int g = lesser (c->fg, limit ? limit->fg : NULL, r) / rq->gpus_per_slot;
                k = g < k ? g : k;
            }
            k = k < left ? k : left;
            if (k <= 0)
                continue;
            if (push (pl, r, k, k * rq->cores_per_slot, k * rq->gpus_per_slot) < 0)
                return -1;
            if ((left -= k) == 0)
                return 0;
        }
    }
    errno = ENOSPC;
    return -1;
}

/* Node shapes: nnodes distinct ranks, each with slots_per_node slots (exclusive: idle). */
static int fit_nodes (const struct pool *p, const struct sched_req *rq, const struct counts *c,
                      const struct counts *limit, struct placement *pl)
{
    long need_c = (long) rq->slots_per_node * rq->cores_per_slot;
    long need_g = (long) rq->slots_per_node * rq->gpus_per_slot;
    int left = rq->nnodes;

    for (int w = 0; w < p->nwords; w++) {
        for (uint64_t bits = c->avail[w]; bits; bits &= bits - 1) {
            uint32_t r = (uint32_t) (w * 64 + __builtin_ctzll (bits));
            const struct prank *pr = &p->r[r];
            int fc = lesser (c->fc, limit ? limit->fc : NULL, r);
            int fg = lesser (c->fg, limit ? limit->fg : NULL, r);
            int rc;
            if (fc < need_c || fg < need_g)
                continue;
            if (rq->exclusive) {
                if (fc < pr->ncores || fg < pr->ngpus)
                    continue;
                rc = push (pl, r, rq->slots_per_node, pr->ncores, pr->ngpus);
            } else
                rc = push (pl, r, rq->slots_per_node, (int) need_c, (int) need_g);
            if (rc < 0)
                return -1;
            if (--left == 0)
                return 0;
        }
    }
    errno = ENOSPC;
    return -1;
}

int pool_fit (const struct pool *p, const struct sched_req *rq, const struct counts *c,
              const struct counts *limit, struct placement *pl)
{
    pl->n = 0;
    if (rq->nslots <= 0 || rq->cores_per_slot <= 0 || rq->gpus_per_slot < 0
        || (rq->nnodes > 0 && rq->slots_per_node <= 0)) {
        errno = EINVAL;
        return -1;
    }
    if (c->free < (long) rq->nslots * rq->cores_per_slot) {
        errno = ENOSPC; /* not enough free cores anywhere */
        return -1;
    }
    if (rq->nnodes > 0)
        return fit_nodes (p, rq, c, limit, pl);
    return fit_slots (p, rq, c, limit, pl);
}

/* How many ranks could hold a node of rq, and how many slots of rq the instance holds. */
static void capacity (const struct pool *p, const struct sched_req *rq, int *nodes, long *slots)
{
    long need_c = (long) rq->slots_per_node * rq->cores_per_slot;
    long need_g = (long) rq->slots_per_node * rq->gpus_per_slot;

    *nodes = 0;
    *slots = 0;
    for (uint32_t r = 0; r < p->size; r++) {
        const struct prank *pr = &p->r[r];
        long k;
        if (!pr->present)
            continue;
        if (pr->ncores >= need_c && pr->ngpus >= need_g)
            (*nodes)++;
        k = pr->ncores / rq->cores_per_slot;
        if (rq->gpus_per_slot > 0 && pr->ngpus / rq->gpus_per_slot < k)
            k = pr->ngpus / rq->gpus_per_slot;
        *slots += k;
    }
}

int pool_feasible (const struct pool *p, const struct sched_req *rq, struct fx_error *err)
{
    struct placement pl = {0};
    char gpus[64] = "";
    long slots;
    int nodes, npresent = 0, rc;

    rc = pool_fit (p, rq, &p->full, NULL, &pl);
    placement_clear (&pl);
    if (rc == 0)
        return 0;
    if (errno != ENOSPC)
        return errprintf (err, "unsatisfiable: %s", strerror (errno));
    errno = EINVAL;
    for (uint32_t r = 0; r < p->size; r++)
        npresent += p->r[r].present;
    capacity (p, rq, &nodes, &slots);
    if (rq->gpus_per_slot > 0)
        snprintf (gpus, sizeof (gpus), " and %d GPUs",
                  rq->gpus_per_slot * (rq->slots_per_node ?: 1));
    if (rq->nnodes > npresent)
        return errprintf (err, "unsatisfiable: requested %d nodes, instance has %d", rq->nnodes,
                          npresent);
    if (rq->nnodes > 0)
        return errprintf (err,
                          "unsatisfiable: requested %d nodes of %d cores%s, instance has %d such "
                          "nodes",
                          rq->nnodes, rq->slots_per_node * rq->cores_per_slot, gpus, nodes);
    return errprintf (err,
                      "unsatisfiable: requested %d slots of %d cores%s, instance has room for %ld",
                      rq->nslots, rq->cores_per_slot, gpus, slots);
}

/* The first n free positions of a bitmap of size total, marked used, into pos. */
static void pick (uint64_t *used, int total, int n, int *pos)
{
    int k = 0;

    for (int i = 0; i < total && k < n; i++) {
        if (!BIT_TEST (used, i)) {
            BIT_SET (used, i);
            pos[k++] = i;
        }
    }
}

int pool_take (struct pool *p, const struct placement *pl, struct placement *a)
{
    memset (a, 0, sizeof (*a));
    for (int i = 0; i < pl->n; i++) {
        const struct take *t = &pl->t[i];
        if (push (a, t->rank, t->nslots, t->ncores, t->ngpus) < 0
            || !(a->t[i].cores = malloc ((size_t) t->ncores * sizeof (int) + 1))
            || !(a->t[i].gpus = malloc ((size_t) t->ngpus * sizeof (int) + 1))) {
            placement_clear (a);
            errno = ENOMEM;
            return -1;
        }
    }
    for (int i = 0; i < a->n; i++) {
        struct prank *pr = &p->r[a->t[i].rank];
        pick (pr->core_used, pr->ncores, a->t[i].ncores, a->t[i].cores);
        pick (pr->gpu_used, pr->ngpus, a->t[i].ngpus, a->t[i].gpus);
    }
    counts_apply (p, &p->live, a, -1);
    return 0;
}

void pool_give (struct pool *p, const struct placement *a)
{
    for (int i = 0; i < a->n; i++) {
        struct prank *pr = &p->r[a->t[i].rank];
        for (int k = 0; k < a->t[i].ncores; k++)
            BIT_CLEAR (pr->core_used, a->t[i].cores[k]);
        for (int k = 0; k < a->t[i].ngpus; k++)
            BIT_CLEAR (pr->gpu_used, a->t[i].gpus[k]);
    }
    counts_apply (p, &p->live, a, 1);
}

/* Positions of the ids of set that rank has and that are free, marked used. */
static int claim (const unsigned int *ids, int total, uint64_t *used, const struct fx_idset *set,
                  int **pos)
{
    int n = 0;

    if (!(*pos = malloc ((fx_idset_count (set) + 1) * sizeof (int))))
        return -1;
    for (unsigned int id = fx_idset_first (set); id != FX_IDSET_INVALID_ID;
         id = fx_idset_next (set, id)) {
        int lo = 0, hi = total - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            if (ids[mid] == id) {
                if (!BIT_TEST (used, mid)) {
                    BIT_SET (used, mid);
                    (*pos)[n++] = mid;
                }
                break;
            }
            if (ids[mid] < id)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
    }
    return n;
}

int pool_take_R (struct pool *p, const json_t *R, struct placement *a, struct fx_error *err)
{
    struct fx_rlist *rl = fx_rlist_decode (R, err);
    struct fx_rlist_node node;

    memset (a, 0, sizeof (*a));
    if (!rl)
        return -1;
    for (size_t i = 0; fx_rlist_node_at (rl, i, &node) == 0; i++) {
        struct prank *pr;
        struct take *t;
        if (!pool_has_rank (p, node.rank))
            continue;
        pr = &p->r[node.rank];
        if (push (a, node.rank, 0, 0, 0) < 0)
            goto nomem;
        t = &a->t[a->n - 1];
        if ((t->ncores = claim (pr->core_ids, pr->ncores, pr->core_used, node.cores, &t->cores)) < 0
            || (t->ngpus = claim (pr->gpu_ids, pr->ngpus, pr->gpu_used, node.gpus, &t->gpus)) < 0)
            goto nomem;
    }
    fx_rlist_destroy (rl);
    counts_apply (p, &p->live, a, -1);
    return 0;
nomem:
    /* Free what was claimed so that nothing stays marked. */
    for (int i = 0; i < a->n; i++) {
        if (a->t[i].ncores < 0)
            a->t[i].ncores = 0;
        if (a->t[i].ngpus < 0)
            a->t[i].ngpus = 0;
    }
    for (int i = 0; i < a->n; i++) {
        struct prank *pr = &p->r[a->t[i].rank];
        for (int k = 0; a->t[i].cores && k < a->t[i].ncores; k++)
            BIT_CLEAR (pr->core_used, a->t[i].cores[k]);
        for (int k = 0; a->t[i].gpus && k < a->t[i].ngpus; k++)
            BIT_CLEAR (pr->gpu_used, a->t[i].gpus[k]);
    }
    placement_clear (a);
    fx_rlist_destroy (rl);
    return errprintf (err, "out of memory");
}

static struct fx_idset *positions_idset (const unsigned int *ids, const int *pos, int n)
{
    struct fx_idset *set = fx_idset_create ();

    for (int i = 0; set && i < n; i++) {
        if (fx_idset_set (set, ids[pos[i]]) < 0) {
            fx_idset_destroy (set);
            return NULL;
        }
    }
    return set;
}

/* Add one rank of an allocation to rl. */
static int R_add_rank (const struct pool *p, struct fx_rlist *rl, const struct take *t)
{
    const struct prank *pr = &p->r[t->rank];
    struct fx_idset *one = fx_idset_create ();
    struct fx_idset *cores = positions_idset (pr->core_ids, t->cores, t->ncores);
    struct fx_idset *gpus = positions_idset (pr->gpu_ids, t->gpus, t->ngpus);
    struct fx_hostlist *hl = pr->host ? fx_hostlist_create () : NULL;
    int rc = -1;

    if (one && cores && gpus && (!pr->host || hl) && fx_idset_set (one, t->rank) == 0
        && (!hl || fx_hostlist_append (hl, pr->host, NULL) >= 0))
        rc = fx_rlist_add (rl, one, hl, cores, gpus, NULL);
    fx_idset_destroy (one);
    fx_idset_destroy (cores);
    fx_idset_destroy (gpus);
    fx_hostlist_destroy (hl);
    return rc;
}

/* Every core and GPU in use, as R (flux resource list counts them).  NULL with ENOMEM. */
json_t *pool_allocated_R (const struct pool *p)
{
    struct fx_rlist *rl = fx_rlist_create ();
    json_t *R = NULL;
    int *cores = NULL, *gpus = NULL;

    for (uint32_t r = 0; rl && r < p->size; r++) {
        const struct prank *pr = &p->r[r];
        struct take t = {.rank = r};
        if (!pr->present || (p->live.fc[r] == pr->ncores && p->live.fg[r] == pr->ngpus))
            continue;
        if (!(cores = calloc ((size_t) pr->ncores + 1, sizeof (int)))
            || !(gpus = calloc ((size_t) pr->ngpus + 1, sizeof (int))))
            goto done;
        for (int i = 0; i < pr->ncores; i++)
            if (BIT_TEST (pr->core_used, i))
                cores[t.ncores++] = i;
        for (int i = 0; i < pr->ngpus; i++)
            if (BIT_TEST (pr->gpu_used, i))
                gpus[t.ngpus++] = i;
        t.cores = cores;
        t.gpus = gpus;
        if (R_add_rank (p, rl, &t) < 0)
            goto done;
        free (cores);
        free (gpus);
        cores = gpus = NULL;
    }
    R = rl ? fx_rlist_encode (rl) : NULL;
done:
    free (cores);
    free (gpus);
    fx_rlist_destroy (rl);
    return R;
}

json_t *pool_R (const struct pool *p, const struct placement *a, double starttime,
                double expiration, int nslots)
{
    struct fx_rlist *rl = fx_rlist_create ();
    json_t *R = NULL, *exec;

    for (int i = 0; rl && i < a->n; i++) {
        if (R_add_rank (p, rl, &a->t[i]) < 0)
            goto done;
    }
    if (rl && (R = fx_rlist_encode (rl)) && (exec = json_object_get (R, "execution"))
        && (json_object_set_new (exec, "starttime", json_real (starttime)) < 0
            || json_object_set_new (exec, "expiration", json_real (expiration)) < 0
            || json_object_set_new (exec, "nslots", json_integer (nslots)) < 0)) {
        json_decref (R);
        R = NULL;
    }
done:
    fx_rlist_destroy (rl);
    return R;
}
