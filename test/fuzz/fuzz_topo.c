/* fuzz_topo.c - build a tree from arbitrary bytes and check its invariants.
 *
 * Bytes 0-1 give the size (1..2000), byte 2 the kind of input and the rest its payload: a
 * kary arity, "flat", "binomial", a uri string as is, parents below their children (always a
 * tree), parents over shuffled ranks (always a tree), or parents anywhere (a tree or not, as
 * a naive walk decides).  A tree that builds must agree with its parents everywhere
 * (children, levels, subtree sizes, containment, paths, next-hop walks); a refusal must be
 * expected and carry a one-line message and EINVAL.  Any mismatch aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/topo.h"

#define SIZE_MAX_FUZZ 2000
#define ALL_PAIRS_MAX 60  /* check every pair of ranks up to this size */
#define SAMPLED_PAIRS 400 /* otherwise this many */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

struct input {
    const uint8_t *p;
    size_t len, pos;
};

/* Next 16 bits of payload, wrapping around; 0 when there is none. */
static uint32_t take16 (struct input *in)
{
    uint32_t v;

    if (in->len == 0)
        return 0;
    v = in->p[in->pos % in->len] | (uint32_t) in->p[(in->pos + 1) % in->len] << 8;
    in->pos += 2;
    return v;
}

static uint32_t next_random (uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

static bool naive_in_subtree (const struct fx_topo *t, uint32_t root, uint32_t rank)
{
    for (int64_t r = rank; r >= 0; r = fx_topo_parent (t, (uint32_t) r))
        if (r == root)
            return true;
    return false;
}

/* The path from r up to 0 follows parents and is level + 1 long. */
static void check_path (const struct fx_topo *t, uint32_t r, uint32_t *path)
{
    uint32_t len = fx_topo_path_to_root (t, r, path, fx_topo_size (t));

    if (len != fx_topo_level (t, r) + 1 || path[0] != r || path[len - 1] != 0)
        abort ();
    for (uint32_t k = 1; k < len; k++)
        if (fx_topo_parent (t, path[k - 1]) != path[k])
            abort ();
}

/* Route from a to b by next_hop: every hop is to a neighbour, and b is reached in at most
 * level(a) + level(b) hops (the way through rank 0). */
static void check_walk (const struct fx_topo *t, uint32_t a, uint32_t b)
{
    uint32_t r = a, steps = 0, limit = fx_topo_level (t, a) + fx_topo_level (t, b);

    if (fx_topo_in_subtree (t, a, b) != naive_in_subtree (t, a, b))
        abort ();
    while (r != b) {
        int64_t next = fx_topo_next_hop (t, r, b);
        if (next < 0 || next >= fx_topo_size (t) || ++steps > limit || steps > fx_topo_size (t))
            abort ();
        if (fx_topo_parent (t, r) != next && fx_topo_parent (t, (uint32_t) next) != r)
            abort ();
        r = (uint32_t) next;
    }
    if (fx_topo_next_hop (t, b, b) != -1)
        abort ();
}

/* Binary search of a list that check_tree finds increasing. */
static bool contains (const uint32_t *list, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid] == x)
            return true;
        if (list[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Whether parents[1..n-1] form a tree rooted at 0, found without the library: walk up from
 * each rank until a rank already known good (or 0), a rank on the current walk (a cycle) or a
 * bad parent.  mark: 0 unknown, 1 good, 2 on the walk. */
static bool is_tree (const uint32_t *parents, uint32_t n, uint8_t *mark, uint32_t *walk)
{
    memset (mark, 0, n);
    mark[0] = 1;
    for (uint32_t r = 1; r < n; r++) {
        uint32_t len = 0, x = r;
        while (mark[x] == 0) {
            mark[x] = 2;
            walk[len++] = x;
            if (parents[x] >= n || parents[x] == x)
                return false;
            x = parents[x];
        }
        if (mark[x] == 2)
            return false;
        while (len > 0)
            mark[walk[--len]] = 1;
    }
    return true;
}

static void check_tree (const struct fx_topo *t, uint32_t n, uint32_t *path)
{
    uint32_t total = 0, maxlevel = 0, state = n;

    if (fx_topo_size (t) != n || fx_topo_parent (t, 0) != -1 || fx_topo_level (t, 0) != 0)
        abort ();
    if (fx_topo_descendants (t, 0) != n - 1 || fx_topo_parent (t, n) != -1)
        abort ();
    for (uint32_t r = 0; r < n; r++) {
        const uint32_t *kids;
        uint32_t count = fx_topo_children (t, r, &kids), below = 0;
        int64_t p = fx_topo_parent (t, r);

        if (r > 0) {
            const uint32_t *siblings;
            uint32_t ns;
            if (p < 0 || p >= n)
                abort ();
            ns = fx_topo_children (t, (uint32_t) p, &siblings);
            if (!contains (siblings, ns, r))
                abort ();
            if (fx_topo_level (t, r) != fx_topo_level (t, (uint32_t) p) + 1)
                abort ();
            if (!fx_topo_in_subtree (t, (uint32_t) p, r) || fx_topo_in_subtree (t, r, (uint32_t) p))
                abort ();
        }
        for (uint32_t k = 0; k < count; k++) {
            if ((k > 0 && kids[k - 1] >= kids[k]) || fx_topo_parent (t, kids[k]) != r)
                abort ();
            below += fx_topo_descendants (t, kids[k]) + 1;
        }
        if (below != fx_topo_descendants (t, r) || !fx_topo_in_subtree (t, 0, r))
            abort ();
        if (!fx_topo_in_subtree (t, r, r) || fx_topo_in_subtree (t, r, n))
            abort ();
        if (fx_topo_level (t, r) > maxlevel)
            maxlevel = fx_topo_level (t, r);
        total += count;
    }
    if (total != n - 1 || maxlevel != fx_topo_maxlevel (t))
        abort ();
    if (n <= ALL_PAIRS_MAX) {
        for (uint32_t a = 0; a < n; a++) {
            check_path (t, a, path);
            for (uint32_t b = 0; b < n; b++)
                check_walk (t, a, b);
        }
    } else {
        for (int i = 0; i < SAMPLED_PAIRS; i++) {
            uint32_t a = next_random (&state) % n;
            check_path (t, a, path);
            check_walk (t, a, next_random (&state) % n);
        }
    }
}

/* A uri tree must match its formula and rebuild from its canonical uri. */
static void check_uri (const struct fx_topo *t, uint32_t n)
{
    char uri[FX_TOPO_URI_MAX];
    struct fx_topo *again;
    unsigned int k;

    if (fx_topo_uri (t, uri, sizeof (uri)) < 0 || !(again = fx_topo_create (uri, n, NULL)))
        abort ();
    for (uint32_t r = 1; r < n; r++) {
        int64_t want;
        if (!strcmp (uri, "binomial"))
            want = r & ~(UINT32_C (0x80000000) >> __builtin_clz (r));
        else if (sscanf (uri, "kary:%u", &k) == 1)
            want = k == 0 ? 0 : (r - 1) / k;
        else
            abort ();
        if (fx_topo_parent (t, r) != want || fx_topo_parent (again, r) != want)
            abort ();
    }
    fx_topo_destroy (again);
}

static void check_refusal (const struct fx_error *err)
{
    if (errno != EINVAL || err->text[0] == '\0' || strchr (err->text, '\n'))
        abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct input in = {data + 3, size > 3 ? size - 3 : 0, 0};
    uint32_t n, kind, parents[SIZE_MAX_FUZZ], perm[SIZE_MAX_FUZZ], path[SIZE_MAX_FUZZ];
    uint32_t state;
    uint8_t mark[SIZE_MAX_FUZZ];
    struct fx_error err = {""};
    struct fx_topo *t = NULL;
    bool must_build = true;
    char uri[64];

    if (size < 3)
        return 0;
    n = 1 + (uint32_t) (data[0] | data[1] << 8) % SIZE_MAX_FUZZ;
    kind = data[2] % 7;
    errno = 0;
    switch (kind) {
    case 0: { /* kary:K, mostly small K, now and then near or past the limit */
        uint32_t k = take16 (&in);
        k = (k & 0x8000) ? FX_TOPO_KARY_MAX - 2 + (k & 3) : k % 40;
        snprintf (uri, sizeof (uri), "kary:%u", k);
        must_build = k <= FX_TOPO_KARY_MAX;
        t = fx_topo_create (uri, n, &err);
        break;
    }
    case 1:
        t = fx_topo_create ("flat", n, &err);
        break;
    case 2:
        t = fx_topo_create ("binomial", n, &err);
        break;
    case 3: { /* the payload as a uri */
        size_t len = in.len < sizeof (uri) - 1 ? in.len : sizeof (uri) - 1;
        memcpy (uri, in.p, len);
        uri[len] = '\0';
        must_build = false;
        t = fx_topo_create (uri, n, &err);
        break;
    }
    case 4: /* each parent below its child */
        for (uint32_t r = 1; r < n; r++)
            parents[r] = take16 (&in) % r;
        t = fx_topo_create_parents (n, parents, &err);
        break;
    case 5: /* the same over shuffled ranks, 0 staying the root */
        state = take16 (&in) | take16 (&in) << 16;
        for (uint32_t r = 0; r < n; r++)
            perm[r] = r;
        for (uint32_t r = n - 1; r > 1; r--) {
            uint32_t j = 1 + next_random (&state) % r, tmp = perm[r];
            perm[r] = perm[j];
            perm[j] = tmp;
        }
        for (uint32_t k = 1; k < n; k++)
            parents[perm[k]] = perm[take16 (&in) % k];
        t = fx_topo_create_parents (n, parents, &err);
        break;
    default: /* anything, a little past the last rank included */
        for (uint32_t r = 1; r < n; r++)
            parents[r] = in.len ? take16 (&in) % (n + 2) : r - 1;
        must_build = is_tree (parents, n, mark, perm);
        t = fx_topo_create_parents (n, parents, &err);
        break;
    }
    if (!t) {
        if (must_build)
            abort ();
        check_refusal (&err);
        return 0;
    }
    check_tree (t, n, path);
    if (kind <= 3)
        check_uri (t, n);
    fx_topo_destroy (t);
    return 0;
}
