/* fuzz_rlist.c - decode arbitrary bytes as one or two R objects (JSON texts one after the
 * other).  A failure must leave a one-line message.  Where decoding works, the canonical
 * encoding must decode and encode to itself, the counts and queries must agree, and the
 * set operations must obey a few identities.  Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/rlist.h"

#define OPS_MAX 5000 /* run set operations only on sets up to this many ranks */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *encode (const struct fx_rlist *rl)
{
    json_t *R = fx_rlist_encode (rl);
    char *s = R ? json_dumps (R, JSON_COMPACT) : NULL;

    if (!s)
        abort ();
    json_decref (R);
    return s;
}

/* The encoding decodes to a set that encodes identically, with the same counts. */
static void check_round_trip (const struct fx_rlist *rl)
{
    json_t *R = fx_rlist_encode (rl);
    struct fx_error err;
    struct fx_rlist *again;
    char *s, *s2;

    if (!R || !(again = fx_rlist_decode (R, &err)))
        abort ();
    s = encode (rl);
    s2 = encode (again);
    if (strcmp (s, s2) != 0 || fx_rlist_nnodes (rl) != fx_rlist_nnodes (again)
        || fx_rlist_ncores (rl) != fx_rlist_ncores (again)
        || fx_rlist_ngpus (rl) != fx_rlist_ngpus (again))
        abort ();
    free (s);
    free (s2);
    json_decref (R);
    fx_rlist_destroy (again);
}

static void check_queries (const struct fx_rlist *rl)
{
    struct fx_idset *ranks = fx_rlist_ranks (rl);
    char *nodelist = fx_rlist_nodelist (rl);
    char *s = fx_rlist_dumps_short (rl);
    struct fx_rlist_node node;

    if (!ranks || !s || fx_idset_count (ranks) != fx_rlist_nnodes (rl))
        abort ();
    if (fx_rlist_nnodes (rl) > 0) {
        if (fx_rlist_node_at (rl, 0, &node) < 0 || fx_idset_first (ranks) != node.rank)
            abort ();
        struct fx_idset *one = node.host ? fx_rlist_hosts_to_ranks (rl, node.host, NULL) : NULL;
        if ((nodelist && !one) || (one && !fx_idset_test (one, node.rank)))
            abort ();
        fx_idset_destroy (one);
    }
    if (nodelist) {
        struct fx_idset *all = fx_rlist_hosts_to_ranks (rl, nodelist, NULL);
        if (!all || !fx_idset_equal (all, ranks))
            abort ();
        fx_idset_destroy (all);
    }
    free (nodelist);
    free (s);
    fx_idset_destroy (ranks);
}

/* |a| + |b| == |a | b| + |a & b| for cores and GPUs; a - b has |a| - |a & b|. */
static void check_algebra (const struct fx_rlist *a, const struct fx_rlist *b)
{
    struct fx_rlist *u = fx_rlist_union (a, b, NULL);
    struct fx_rlist *x = fx_rlist_intersect (a, b);
    struct fx_rlist *d = fx_rlist_diff (a, b);

    if (!x || !d)
        abort ();
    if (u) {
        if (fx_rlist_ncores (a) + fx_rlist_ncores (b) != fx_rlist_ncores (u) + fx_rlist_ncores (x)
            || fx_rlist_ngpus (a) + fx_rlist_ngpus (b) != fx_rlist_ngpus (u) + fx_rlist_ngpus (x))
            abort ();
        check_round_trip (u);
    }
    if (fx_rlist_ncores (d) != fx_rlist_ncores (a) - fx_rlist_ncores (x)
        || fx_rlist_ngpus (d) != fx_rlist_ngpus (a) - fx_rlist_ngpus (x))
        abort ();
    check_round_trip (x);
    check_round_trip (d);
    fx_rlist_destroy (u);
    fx_rlist_destroy (x);
    fx_rlist_destroy (d);
}

static void check_self (const struct fx_rlist *a)
{
    struct fx_idset *ranks = fx_rlist_ranks (a);
    struct fx_rlist *same = ranks ? fx_rlist_copy_ranks (a, ranks) : NULL;
    struct fx_rlist *none = fx_rlist_diff (a, a);

    if (!same || !none || fx_rlist_nnodes (none) != 0
        || fx_rlist_ncores (same) != fx_rlist_ncores (a))
        abort ();
    check_algebra (a, a);
    fx_idset_destroy (ranks);
    fx_rlist_destroy (same);
    fx_rlist_destroy (none);
}

/* Decode the JSON text at *pos; NULL when there is none or it is not valid R. */
static struct fx_rlist *decode_next (const char *data, size_t size, size_t *pos)
{
    json_error_t jerr;
    struct fx_error err;
    struct fx_rlist *rl;
    json_t *R;

    if (*pos >= size || !(R = json_loadb (data + *pos, size - *pos, JSON_DISABLE_EOF_CHECK, &jerr)))
        return NULL;
    *pos += jerr.position;
    err.text[0] = '\0';
    if (!(rl = fx_rlist_decode (R, &err)) && (err.text[0] == '\0' || strchr (err.text, '\n')))
        abort ();
    json_decref (R);
    return rl;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t pos = 0;
    struct fx_rlist *a = decode_next ((const char *) data, size, &pos);
    struct fx_rlist *b = a ? decode_next ((const char *) data, size, &pos) : NULL;

    if (a) {
        check_round_trip (a);
        check_queries (a);
        if (fx_rlist_nnodes (a) <= OPS_MAX)
            check_self (a);
        if (b && fx_rlist_nnodes (a) <= OPS_MAX && fx_rlist_nnodes (b) <= OPS_MAX)
            check_algebra (a, b);
    }
    fx_rlist_destroy (a);
    fx_rlist_destroy (b);
    return 0;
}
