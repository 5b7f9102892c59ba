/* topo.c - tree overlay shapes as flat per-rank arrays.
 *
 * Every shape, whether from a uri or from explicit parents, becomes a parent array; one
 * build pass then derives the rest without recursion: the children of each rank (a counting
 * sort by parent, so each rank's children come out in increasing order), a breadth-first
 * order from rank 0 (which gives the levels and, when it misses a rank, proves a cycle),
 * subtree sizes summed in reverse breadth-first order, and pre-order numbers handed from each
 * parent to its children in turn.  A rank's subtree is then the pre-order interval
 * [pre, pre + descendants], which makes fx_topo_in_subtree O(1) and fx_topo_next_hop a binary
 * search among the children.  The module talks to nothing.  Functions return NULL with errno
 * set (EINVAL with a one-line reason in a struct fx_error, or ENOMEM); a failed create
 * leaves nothing allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/topo.h"

#define UNREACHED  UINT32_MAX       /* level of a rank the breadth-first walk has not met */
#define ON_WALK    (UINT32_MAX - 1) /* level of a rank met while looking for a cycle */
#define CYCLE_SHOW 8                /* ranks of a cycle named in the error before "..." */

struct fx_topo {
    uint32_t size;
    uint32_t maxlevel;
    char uri[FX_TOPO_URI_MAX]; /* canonical */
    uint32_t *parent;          /* parent[0] is 0 and never read */
    uint32_t *first;           /* size + 1: children of r are kids[first[r] .. first[r + 1]) */
    uint32_t *kids;            /* size - 1 ranks (one slot allocated at least) */
    uint32_t *level;
    uint32_t *desc; /* ranks below */
    uint32_t *pre;  /* pre-order number, children visited in increasing order */
};

void fx_topo_destroy (struct fx_topo *t)
{
    if (t) {
        int saved_errno = errno;
        free (t->parent);
        free (t->first);
        free (t->kids);
        free (t->level);
        free (t->desc);
        free (t->pre);
        free (t);
        errno = saved_errno;
    }
}

/* A topology with every array allocated and uninitialised, or NULL + ENOMEM. */
static struct fx_topo *alloc_topo (uint32_t size)
{
    struct fx_topo *t;
    size_t n = size;

    if (!(t = calloc (1, sizeof (*t))))
        return NULL;
    t->size = size;
    t->parent = malloc (n * sizeof (uint32_t));
    t->first = malloc ((n + 2) * sizeof (uint32_t)); /* one spare slot for the counting sort */
    t->kids = malloc (n * sizeof (uint32_t));
    t->level = malloc (n * sizeof (uint32_t));
    t->desc = malloc (n * sizeof (uint32_t));
    t->pre = malloc (n * sizeof (uint32_t));
    if (!t->parent || !t->first || !t->kids || !t->level || !t->desc || !t->pre) {
        fx_topo_destroy (t);
        errno = ENOMEM;
        return NULL;
    }
    t->parent[0] = 0;
    return t;
}

/* Children lists by counting sort: counts land at first[p + 2], the prefix sum leaves the
 * start of p's list at first[p + 1], and filling advances that to the end of p's list,
 * which is the start of p + 1's. */
static void build_children (struct fx_topo *t)
{
    uint32_t n = t->size;

    memset (t->first, 0, ((size_t) n + 2) * sizeof (uint32_t));
    for (uint32_t i = 1; i < n; i++)
        t->first[t->parent[i] + 2]++;
    for (size_t k = 1; k < (size_t) n + 2; k++)
        t->first[k] += t->first[k - 1];
    for (uint32_t i = 1; i < n; i++)
        t->kids[t->first[t->parent[i] + 1]++] = i;
}

/* Name a cycle among the ranks the breadth-first walk missed.  A missed rank's parent is
 * missed too, so following parents from one never reaches 0 and must loop. */
static void report_cycle (struct fx_topo *t, struct fx_error *err)
{
    uint32_t r = 0, on_cycle, start, len = 0;
    char text[FX_ERROR_LEN];
    size_t off = 0;

    while (t->level[r] != UNREACHED)
        r++;
    while (t->level[r] != ON_WALK) {
        t->level[r] = ON_WALK;
        r = t->parent[r];
    }
    on_cycle = start = r; /* begin the list at the cycle's smallest rank */
    do {
        r = t->parent[r];
        if (r < start)
            start = r;
    } while (r != on_cycle);
    r = start;
    do {
        if (len < CYCLE_SHOW)
            off += (size_t) snprintf (text + off, sizeof (text) - off, "%s%u", len ? ", " : "", r);
        len++;
        r = t->parent[r];
    } while (r != start);
    if (len > CYCLE_SHOW)
        snprintf (text + off, sizeof (text) - off, ", ... (%u ranks)", len);
    errprintf (err, "ranks %s form a cycle", text);
}

/* Derive children, levels, subtree sizes and pre-order numbers from t->parent, whose
 * entries are already known to be ranks other than their own.  Return 0, or -1 with errno
 * EINVAL when the parents hold a cycle or ENOMEM. */
static int build (struct fx_topo *t, struct fx_error *err)
{
    uint32_t n = t->size, head = 0, tail = 1;
    uint32_t *order; /* breadth-first */

    if (!(order = malloc ((size_t) n * sizeof (uint32_t)))) {
        errno = ENOMEM;
        return -1;
    }
    build_children (t);
    for (uint32_t i = 0; i < n; i++)
        t->level[i] = UNREACHED;
    t->level[0] = 0;
    t->maxlevel = 0;
    order[0] = 0;
    while (head < tail) {
        uint32_t r = order[head++];
        for (uint32_t k = t->first[r]; k < t->first[r + 1]; k++) {
            uint32_t c = t->kids[k];
            t->level[c] = t->level[r] + 1;
            if (t->level[c] > t->maxlevel)
                t->maxlevel = t->level[c];
            order[tail++] = c;
        }
    }
    if (tail < n) {
        report_cycle (t, err);
        free (order);
        errno = EINVAL;
        return -1;
    }
    memset (t->desc, 0, (size_t) n * sizeof (uint32_t));
    for (uint32_t k = n - 1; k > 0; k--)
        t->desc[t->parent[order[k]]] += t->desc[order[k]] + 1;
    t->pre[0] = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = order[k];
        uint32_t next = t->pre[r] + 1;
        for (uint32_t j = t->first[r]; j < t->first[r + 1]; j++) {
            t->pre[t->kids[j]] = next;
            next += t->desc[t->kids[j]] + 1;
        }
    }
    free (order);
    return 0;
}

/* uri as it may appear in an error: at most 64 characters, control bytes as '?'. */
static const char *printable (const char *uri, char *buf, size_t len)
{
    size_t i = 0;

    for (; i < 64 && i + 4 < len && uri[i]; i++)
        buf[i] = (uri[i] < 0x20 || uri[i] == 0x7f) ? '?' : uri[i];
    if (uri[i])
        buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
    buf[i] = '\0';
    return buf;
}

/* K from the text after "kary:": decimal 0..FX_TOPO_KARY_MAX, no sign or leading zero. */
static int parse_arity (const char *s, uint32_t *k)
{
    uint32_t v = 0;
    size_t n = strlen (s);

    if (n == 0 || n > 7 || (s[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint32_t) (s[i] - '0');
    }
    if (v > FX_TOPO_KARY_MAX)
        return -1;
    *k = v;
    return 0;
}

static bool size_ok (uint32_t size)
{
    return size >= 1 && size <= FX_TOPO_SIZE_MAX;
}

struct fx_topo *fx_topo_create (const char *uri, uint32_t size, struct fx_error *err)
{
    struct fx_topo *t;
    char name[72];
    uint32_t k = 0;
    bool binomial = false;

    if (!uri) {
        errprintf (err, "no topology uri given");
        errno = EINVAL;
        return NULL;
    }
    if (!strcmp (uri, "binomial"))
        binomial = true;
    else if (!strncmp (uri, "kary:", 5)) {
        if (parse_arity (uri + 5, &k) < 0) {
            errprintf (err, "topology %s: K must be a decimal number 0-%u",
                       printable (uri, name, sizeof (name)), FX_TOPO_KARY_MAX);
            errno = EINVAL;
            return NULL;
        }
    } else if (strcmp (uri, "flat") != 0) {
        errprintf (err, "topology %s: unknown (expected kary:K, flat or binomial)",
                   printable (uri, name, sizeof (name)));
        errno = EINVAL;
        return NULL;
    }
    if (!size_ok (size)) {
        errprintf (err, "topology %s: size %u is not in 1-%u", uri, size, FX_TOPO_SIZE_MAX);
        errno = EINVAL;
        return NULL;
    }
    if (!(t = alloc_topo (size)))
        return NULL;
    for (uint32_t i = 1; i < size; i++) {
        if (binomial)
            t->parent[i] = i & ~(UINT32_C (0x80000000) >> __builtin_clz (i));
        else
            t->parent[i] = k == 0 ? 0 : (i - 1) / k;
    }
    if (binomial)
        snprintf (t->uri, sizeof (t->uri), "binomial");
    else
        snprintf (t->uri, sizeof (t->uri), "kary:%u", k);
    if (build (t, err) < 0) { /* a cycle is impossible here: only ENOMEM */
        fx_topo_destroy (t);
        return NULL;
    }
    return t;
}

struct fx_topo *fx_topo_create_parents (uint32_t size, const uint32_t *parents,
                                        struct fx_error *err)
{
    struct fx_topo *t;

    if (!size_ok (size)) {
        errprintf (err, "size %u is not in 1-%u", size, FX_TOPO_SIZE_MAX);
        errno = EINVAL;
        return NULL;
    }
    if (!parents && size > 1) {
        errprintf (err, "no parents given for %u ranks", size);
        errno = EINVAL;
        return NULL;
    }
    for (uint32_t i = 1; i < size; i++) {
        if (parents[i] >= size) {
            errprintf (err, "rank %u: parent %u is not a rank of this instance (size %u)", i,
                       parents[i], size);
            errno = EINVAL;
            return NULL;
        }
        if (parents[i] == i) {
            errprintf (err, "rank %u is its own parent", i);
            errno = EINVAL;
            return NULL;
        }
    }
    if (!(t = alloc_topo (size)))
        return NULL;
    if (size > 1)
        memcpy (t->parent + 1, parents + 1, ((size_t) size - 1) * sizeof (uint32_t));
    snprintf (t->uri, sizeof (t->uri), "custom");
    if (build (t, err) < 0) {
        fx_topo_destroy (t);
        return NULL;
    }
    return t;
}

uint32_t fx_topo_size (const struct fx_topo *t)
{
    return t ? t->size : 0;
}

static bool valid (const struct fx_topo *t, uint32_t rank)
{
    return t && rank < t->size;
}

int64_t fx_topo_parent (const struct fx_topo *t, uint32_t rank)
{
    if (!valid (t, rank) || rank == 0)
        return -1;
    return t->parent[rank];
}

uint32_t fx_topo_children (const struct fx_topo *t, uint32_t rank, const uint32_t **children)
{
    if (!valid (t, rank)) {
        if (children)
            *children = NULL;
        return 0;
    }
    if (children)
        *children = t->kids + t->first[rank];
    return t->first[rank + 1] - t->first[rank];
}

uint32_t fx_topo_level (const struct fx_topo *t, uint32_t rank)
{
    return valid (t, rank) ? t->level[rank] : 0;
}

uint32_t fx_topo_maxlevel (const struct fx_topo *t)
{
    return t ? t->maxlevel : 0;
}

uint32_t fx_topo_descendants (const struct fx_topo *t, uint32_t rank)
{
    return valid (t, rank) ? t->desc[rank] : 0;
}

bool fx_topo_in_subtree (const struct fx_topo *t, uint32_t root, uint32_t rank)
{
    if (!valid (t, root) || !valid (t, rank))
        return false;
    return t->pre[rank] >= t->pre[root] && t->pre[rank] - t->pre[root] <= t->desc[root];
}

int64_t fx_topo_next_hop (const struct fx_topo *t, uint32_t from, uint32_t to)
{
    uint32_t lo, hi;

    if (!valid (t, from) || !valid (t, to) || from == to)
        return -1;
    if (!fx_topo_in_subtree (t, from, to))
        return t->parent[from]; /* from is not 0: rank 0's subtree holds every rank */
    /* Children's pre-order numbers increase along the list: find the last one <= to's. */
    lo = t->first[from];
    hi = t->first[from + 1];
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->pre[t->kids[mid]] <= t->pre[to])
            lo = mid;
        else
            hi = mid;
    }
    return t->kids[lo];
}

uint32_t fx_topo_path_to_root (const struct fx_topo *t, uint32_t rank, uint32_t *path, uint32_t cap)
{
    uint32_t n = 0;

    if (!valid (t, rank))
        return 0;
    for (uint32_t r = rank; n < cap; r = t->parent[r]) {
        path[n++] = r;
        if (r == 0)
            break;
    }
    return t->level[rank] + 1;
}

int fx_topo_uri (const struct fx_topo *t, char *buf, size_t len)
{
    if (!t || !buf) {
        errno = EINVAL;
        return -1;
    }
    if (strlen (t->uri) >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    strcpy (buf, t->uri);
    return 0;
}
