/* rlist_ops.c - set operations on resource sets: subset, union, append, diff, intersect.
 *
 * Each walks its operands in rank order (both are sorted) and builds a new rlist, so an
 * operation costs O(ranks) idset operations and a failure leaves nothing behind.  Ranks that
 * share their children in both operands (the ranks of one R_lite entry) share the result's
 * children too, through a one-entry memo.  Talks to idset and rlist.c only; failures set
 * errno and, where a person must read why, a one-line message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/rlist_priv.h"

struct fx_rlist *fx_rlist_copy_ranks (const struct fx_rlist *rl, const struct fx_idset *ranks)
{
    struct fx_rlist *r = rlist_empty_like (rl);
    struct fx_idset *kept = NULL;

    if (!r)
        return NULL;
    for (size_t i = 0; i < rl->nnodes; i++) {
        const struct node *n = &rl->nodes[i];
        if (fx_idset_test (ranks, n->rank) && rlist_push_node (r, n->rank, n->host, n->ch) < 0)
            goto error;
    }
    if (!(kept = fx_rlist_ranks (r)))
        goto error;
    for (size_t i = 0; i < rl->nprops; i++) {
        struct fx_idset *p = fx_idset_intersect (rl->props[i].ranks, kept);
        int rc =
            p && (fx_idset_count (p) == 0 || rlist_add_property (r, rl->props[i].name, p) == 0);
        fx_idset_destroy (p);
        if (!rc)
            goto error;
    }
    fx_idset_destroy (kept);
    return r;
error:
    fx_idset_destroy (kept);
    fx_rlist_destroy (r);
    errno = ENOMEM;
    return NULL;
}

enum op { OP_UNION, OP_APPEND, OP_DIFF, OP_INTERSECT };

/* The last children computed for a rank in both sets: runs of ranks that share their
 * children in a and in b (the common case) share the result too. */
struct memo {
    const struct children *a, *b;
    struct children *out; /* one reference; NULL with a set: the result was empty */
};

/* Combine two ranks' children under op into a new children, NULL when empty (no error) or
 * on failure (errno set, message in err). */
static struct children *combine (const struct children *a, const struct children *b, enum op op,
                                 unsigned int rank, struct fx_error *err)
{
    struct fx_idset *(*f) (const struct fx_idset *, const struct fx_idset *);
    struct children *ch;

    errno = 0;
    if (op == OP_APPEND) {
        struct fx_idset *c = fx_idset_intersect (a->cores, b->cores);
        struct fx_idset *g = fx_idset_intersect (a->gpus, b->gpus);
        char *cs = c ? fx_idset_encode (c, 0) : NULL;
        char *gs = g ? fx_idset_encode (g, 0) : NULL;
        if (!cs || !gs)
            rlist_fail (err, ENOMEM, "out of memory");
        else if (cs[0] || gs[0])
            rlist_fail (err, EEXIST, "rank %u: %s %.64s in both sets", rank,
                        cs[0] ? "cores" : "gpus", cs[0] ? cs : gs);
        fx_idset_destroy (c);
        fx_idset_destroy (g);
        free (cs);
        free (gs);
        if (errno)
            return NULL;
    }
    f = op == OP_DIFF        ? fx_idset_difference
        : op == OP_INTERSECT ? fx_idset_intersect
                             : fx_idset_union;
    if (!(ch = rlist_children_create (f (a->cores, b->cores), f (a->gpus, b->gpus)))) {
        rlist_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if (fx_idset_count (ch->cores) + fx_idset_count (ch->gpus) == 0) {
        rlist_children_decref (ch);
        errno = 0;
        return NULL;
    }
    return ch;
}

/* Both sets hold x->rank: push the combined rank to r unless it is empty. */
static int merge_both (struct fx_rlist *r, const struct node *x, const struct node *y, enum op op,
                       struct memo *memo, struct fx_error *err)
{
    const char *host = x->host ? x->host : y->host;

    if ((op == OP_UNION || op == OP_APPEND) && x->host && y->host && strcmp (x->host, y->host))
        return rlist_fail (err, EINVAL, "rank %u: host %.64s in one set, %.64s in the other",
                           x->rank, x->host, y->host);
    if (x->ch != memo->a || y->ch != memo->b) {
        rlist_children_decref (memo->out);
        memo->a = x->ch;
        memo->b = y->ch;
        if (!(memo->out = combine (x->ch, y->ch, op, x->rank, err)) && errno) {
            memo->a = memo->b = NULL;
            return -1;
        }
    }
    if (!memo->out)
        return 0;
    if (r->nnodes >= FX_RLIST_RANKS_MAX)
        return rlist_fail (err, E2BIG, "more than %d ranks", FX_RLIST_RANKS_MAX);
    if (rlist_push_node (r, x->rank, host, memo->out) < 0)
        return rlist_fail (err, ENOMEM, "out of memory");
    return 0;
}

/* Push a rank held by only one set when op keeps it. */
static int merge_one (struct fx_rlist *r, const struct node *n, bool keep, struct fx_error *err)
{
    if (!keep)
        return 0;
    if (r->nnodes >= FX_RLIST_RANKS_MAX)
        return rlist_fail (err, E2BIG, "more than %d ranks", FX_RLIST_RANKS_MAX);
    if (rlist_push_node (r, n->rank, n->host, n->ch) < 0)
        return rlist_fail (err, ENOMEM, "out of memory");
    return 0;
}

/* Properties of the result: those of a (and of b unless op is diff) on the ranks of r. */
static int merge_properties (struct fx_rlist *r, const struct fx_rlist *a, const struct fx_rlist *b,
                             enum op op)
{
    const struct fx_rlist *from[2] = {a, op == OP_DIFF ? NULL : b};
    struct fx_idset *kept = fx_rlist_ranks (r);
    int rc = kept ? 0 : -1;

    for (int k = 0; k < 2 && rc == 0; k++) {
        for (size_t i = 0; from[k] && i < from[k]->nprops && rc == 0; i++) {
            struct fx_idset *p = fx_idset_intersect (from[k]->props[i].ranks, kept);
            if (!p
                || (fx_idset_count (p) > 0
                    && rlist_add_property (r, from[k]->props[i].name, p) < 0))
                rc = -1;
            fx_idset_destroy (p);
        }
    }
    fx_idset_destroy (kept);
    return rc;
}

/* Walk a and b in rank order, building a new set under op. */
static struct fx_rlist *merge (const struct fx_rlist *a, const struct fx_rlist *b, enum op op,
                               struct fx_error *err)
{
    struct fx_rlist *r = rlist_empty_like (a);
    struct memo memo = {NULL, NULL, NULL};
    bool keep_a = op != OP_INTERSECT, keep_b = op == OP_UNION || op == OP_APPEND;
    size_t i = 0, j = 0;
    int rc = 0;

    if (!r || rlist_reserve (r, a->nnodes) < 0) {
        fx_rlist_destroy (r);
        rlist_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    while (rc == 0 && (i < a->nnodes || j < b->nnodes)) {
        const struct node *x = i < a->nnodes ? &a->nodes[i] : NULL;
        const struct node *y = j < b->nnodes ? &b->nodes[j] : NULL;
        if (y && (!x || y->rank < x->rank)) {
            rc = merge_one (r, y, keep_b, err);
            j++;
        } else if (!y || x->rank < y->rank) {
            rc = merge_one (r, x, keep_a, err);
            i++;
        } else {
            rc = merge_both (r, x, y, op, &memo, err);
            i++;
            j++;
        }
    }
    rlist_children_decref (memo.out);
    if (rc == 0 && merge_properties (r, a, b, op) < 0)
        rc = rlist_fail (err, ENOMEM, "out of memory");
    if (rc < 0) {
        fx_rlist_destroy (r);
        return NULL;
    }
    return r;
}

struct fx_rlist *fx_rlist_union (const struct fx_rlist *a, const struct fx_rlist *b,
                                 struct fx_error *err)
{
    return merge (a, b, OP_UNION, err);
}

struct fx_rlist *fx_rlist_append (const struct fx_rlist *a, const struct fx_rlist *b,
                                  struct fx_error *err)
{
    return merge (a, b, OP_APPEND, err);
}

struct fx_rlist *fx_rlist_diff (const struct fx_rlist *a, const struct fx_rlist *b)
{
    return merge (a, b, OP_DIFF, NULL);
}

struct fx_rlist *fx_rlist_intersect (const struct fx_rlist *a, const struct fx_rlist *b)
{
    return merge (a, b, OP_INTERSECT, NULL);
}
