/* check_topo.c - tree shapes: kary, flat, binomial and explicit parents, the derived
 * children, levels and subtrees, routing checked against naive walks, and every error. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/topo.h"
#include "test/unit/check.h"

#define SHAPE_SIZE 50 /* ranks in the shapes checked exhaustively */

static void expect_children (const struct fx_topo *t, uint32_t rank, uint32_t n,
                             const uint32_t *want)
{
    const uint32_t *kids = NULL;
    uint32_t count = fx_topo_children (t, rank, &kids);

    ck_assert_msg (count == n, "rank %u has %u children, expected %u", rank, count, n);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_msg (kids[i] == want[i], "child %u of rank %u is %u, expected %u", i, rank,
                       kids[i], want[i]);
}

static void expect_uri (const struct fx_topo *t, const char *want)
{
    char buf[FX_TOPO_URI_MAX];

    ck_assert_int_eq (fx_topo_uri (t, buf, sizeof (buf)), 0);
    ck_assert_str_eq (buf, want);
}

static struct fx_topo *create (const char *uri, uint32_t size)
{
    struct fx_error err = {""};
    struct fx_topo *t = fx_topo_create (uri, size, &err);

    ck_assert_msg (t != NULL, "%s on %u ranks: %s", uri, size, err.text);
    return t;
}

static struct fx_topo *create_parents (uint32_t size, const uint32_t *parents)
{
    struct fx_error err = {""};
    struct fx_topo *t = fx_topo_create_parents (size, parents, &err);

    ck_assert_msg (t != NULL, "parents on %u ranks: %s", size, err.text);
    return t;
}

/* Expect creation to fail with EINVAL and a one-line message containing want. */
static void expect_uri_error (const char *uri, uint32_t size, const char *want)
{
    struct fx_error err = {""};

    errno = 0;
    ck_assert_msg (fx_topo_create (uri, size, &err) == NULL, "accepted %s", uri);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_msg (strstr (err.text, want), "'%s' does not mention '%s'", err.text, want);
    ck_assert_ptr_null (strchr (err.text, '\n'));
}

static void expect_parents_error (uint32_t size, const uint32_t *parents, const char *want)
{
    struct fx_error err = {""};

    errno = 0;
    ck_assert (fx_topo_create_parents (size, parents, &err) == NULL);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_msg (strstr (err.text, want), "'%s' does not mention '%s'", err.text, want);
    ck_assert_ptr_null (strchr (err.text, '\n'));
}

/* A small deterministic generator, so that failures repeat. */
static uint32_t next_random (uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

START_TEST (kary2_guide_example)
{
    struct fx_topo *t = create ("kary:2", 15);

    ck_assert_uint_eq (fx_topo_size (t), 15);
    expect_children (t, 0, 2, (uint32_t[]){1, 2});
    expect_children (t, 1, 2, (uint32_t[]){3, 4});
    expect_children (t, 2, 2, (uint32_t[]){5, 6});
    expect_children (t, 6, 2, (uint32_t[]){13, 14});
    for (uint32_t r = 7; r < 15; r++)
        expect_children (t, r, 0, NULL);
    ck_assert_int_eq (fx_topo_parent (t, 0), -1);
    ck_assert_int_eq (fx_topo_parent (t, 14), 6);
    ck_assert_int_eq (fx_topo_parent (t, 15), -1);
    ck_assert_uint_eq (fx_topo_level (t, 0), 0);
    ck_assert_uint_eq (fx_topo_level (t, 2), 1);
    ck_assert_uint_eq (fx_topo_level (t, 6), 2);
    ck_assert_uint_eq (fx_topo_level (t, 7), 3);
    ck_assert_uint_eq (fx_topo_level (t, 14), 3);
    ck_assert_uint_eq (fx_topo_maxlevel (t), 3);
    ck_assert_uint_eq (fx_topo_descendants (t, 0), 14);
    ck_assert_uint_eq (fx_topo_descendants (t, 1), 6);
    ck_assert_uint_eq (fx_topo_descendants (t, 6), 2);
    ck_assert_uint_eq (fx_topo_descendants (t, 9), 0);
    expect_uri (t, "kary:2");
    fx_topo_destroy (t);
}
END_TEST

START_TEST (flat_and_kary0)
{
    const char *uris[] = {"flat", "kary:0"};
    uint32_t want[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    for (int i = 0; i < 2; i++) {
        struct fx_topo *t = create (uris[i], 10);
        expect_children (t, 0, 9, want);
        for (uint32_t r = 1; r < 10; r++) {
            ck_assert_int_eq (fx_topo_parent (t, r), 0);
            ck_assert_uint_eq (fx_topo_level (t, r), 1);
            ck_assert_uint_eq (fx_topo_descendants (t, r), 0);
        }
        ck_assert_uint_eq (fx_topo_maxlevel (t), 1);
        ck_assert_uint_eq (fx_topo_descendants (t, 0), 9);
        expect_uri (t, "kary:0");
        fx_topo_destroy (t);
    }
}
END_TEST

START_TEST (single_rank)
{
    const char *uris[] = {"flat", "kary:2", "binomial"};

    for (int i = 0; i < 3; i++) {
        struct fx_topo *t = create (uris[i], 1);
        const uint32_t *kids;
        ck_assert_uint_eq (fx_topo_children (t, 0, &kids), 0);
        ck_assert_uint_eq (fx_topo_maxlevel (t), 0);
        ck_assert_uint_eq (fx_topo_descendants (t, 0), 0);
        ck_assert (fx_topo_in_subtree (t, 0, 0));
        ck_assert_int_eq (fx_topo_next_hop (t, 0, 0), -1);
        fx_topo_destroy (t);
    }
    fx_topo_destroy (create_parents (1, NULL));
}
END_TEST

START_TEST (kary3)
{
    struct fx_topo *t = create ("kary:3", 40);

    expect_children (t, 0, 3, (uint32_t[]){1, 2, 3});
    expect_children (t, 1, 3, (uint32_t[]){4, 5, 6});
    expect_children (t, 12, 3, (uint32_t[]){37, 38, 39});
    expect_children (t, 13, 0, NULL);
    for (uint32_t r = 1; r < 40; r++)
        ck_assert_int_eq (fx_topo_parent (t, r), (r - 1) / 3);
    ck_assert_uint_eq (fx_topo_level (t, 39), 3);
    ck_assert_uint_eq (fx_topo_maxlevel (t), 3);
    ck_assert_uint_eq (fx_topo_descendants (t, 0), 39);
    ck_assert_uint_eq (fx_topo_descendants (t, 1), 3 + 9); /* 4-6, 13-21 */
    ck_assert_uint_eq (fx_topo_descendants (t, 3), 3 + 9); /* 10-12, 31-39 */
    ck_assert_uint_eq (fx_topo_descendants (t, 13), 0);
    expect_uri (t, "kary:3");
    fx_topo_destroy (t);
}
END_TEST

START_TEST (binomial16)
{
    struct fx_topo *t = create ("binomial", 16);

    expect_children (t, 0, 4, (uint32_t[]){1, 2, 4, 8});
    expect_children (t, 1, 3, (uint32_t[]){3, 5, 9});
    expect_children (t, 2, 2, (uint32_t[]){6, 10});
    expect_children (t, 4, 1, (uint32_t[]){12});
    expect_children (t, 8, 0, NULL);
    for (uint32_t r = 1; r < 16; r++)
        ck_assert_uint_eq (fx_topo_level (t, r), (uint32_t) __builtin_popcount (r));
    ck_assert_int_eq (fx_topo_parent (t, 13), 5);
    ck_assert_uint_eq (fx_topo_maxlevel (t), 4);
    ck_assert_uint_eq (fx_topo_descendants (t, 0), 15);
    ck_assert_uint_eq (fx_topo_descendants (t, 1), 7); /* the odd ranks */
    ck_assert_uint_eq (fx_topo_descendants (t, 2), 3); /* 6, 10, 14 */
    expect_uri (t, "binomial");
    fx_topo_destroy (t);
}
END_TEST

START_TEST (explicit_parents)
{
    /* 0 <- 5 <- {1, 3}, 0 <- 2, 3 <- 4: parents above their children are fine. */
    uint32_t parents[6] = {99, 5, 0, 5, 3, 0};
    struct fx_topo *t = create_parents (6, parents);

    expect_children (t, 0, 2, (uint32_t[]){2, 5});
    expect_children (t, 5, 2, (uint32_t[]){1, 3});
    expect_children (t, 3, 1, (uint32_t[]){4});
    ck_assert_int_eq (fx_topo_parent (t, 1), 5);
    ck_assert_uint_eq (fx_topo_level (t, 4), 3);
    ck_assert_uint_eq (fx_topo_maxlevel (t), 3);
    ck_assert_uint_eq (fx_topo_descendants (t, 5), 3);
    ck_assert (fx_topo_in_subtree (t, 5, 4));
    ck_assert (!fx_topo_in_subtree (t, 5, 2));
    ck_assert_int_eq (fx_topo_next_hop (t, 0, 4), 5);
    ck_assert_int_eq (fx_topo_next_hop (t, 5, 4), 3);
    ck_assert_int_eq (fx_topo_next_hop (t, 4, 2), 3);
    expect_uri (t, "custom");
    parents[1] = 2; /* the caller's array is copied */
    ck_assert_int_eq (fx_topo_parent (t, 1), 5);
    fx_topo_destroy (t);
}
END_TEST

START_TEST (chain_100000)
{
    uint32_t n = 100000;
    uint32_t *parents = malloc (n * sizeof (*parents));
    uint32_t *path = malloc (n * sizeof (*path));
    struct fx_topo *t;

    ck_assert_ptr_nonnull (parents);
    ck_assert_ptr_nonnull (path);
    for (uint32_t i = 1; i < n; i++)
        parents[i] = i - 1;
    t = create_parents (n, parents);
    ck_assert_uint_eq (fx_topo_maxlevel (t), n - 1);
    ck_assert_uint_eq (fx_topo_level (t, n - 1), n - 1);
    ck_assert_uint_eq (fx_topo_descendants (t, 0), n - 1);
    ck_assert_uint_eq (fx_topo_descendants (t, 50000), n - 1 - 50000);
    ck_assert (fx_topo_in_subtree (t, 1, n - 1));
    ck_assert (!fx_topo_in_subtree (t, n - 1, 1));
    ck_assert_int_eq (fx_topo_next_hop (t, 0, n - 1), 1);
    ck_assert_int_eq (fx_topo_next_hop (t, n - 1, 0), n - 2);
    ck_assert_uint_eq (fx_topo_path_to_root (t, n - 1, path, n), n);
    ck_assert_uint_eq (path[0], n - 1);
    ck_assert_uint_eq (path[n - 1], 0);
    fx_topo_destroy (t);

    /* The other way round: 0 <- n-1 <- n-2 <- ... <- 1. */
    parents[n - 1] = 0;
    for (uint32_t i = 1; i < n - 1; i++)
        parents[i] = i + 1;
    t = create_parents (n, parents);
    ck_assert_uint_eq (fx_topo_level (t, 1), n - 1);
    ck_assert_uint_eq (fx_topo_descendants (t, n - 1), n - 2);
    ck_assert (fx_topo_in_subtree (t, 2, 1));
    ck_assert_int_eq (fx_topo_next_hop (t, 1, 0), 2);
    ck_assert_int_eq (fx_topo_next_hop (t, 0, 1), n - 1);
    fx_topo_destroy (t);
    free (parents);
    free (path);
}
END_TEST

START_TEST (bad_uris)
{
    const char *bad[] = {"kary:",
                         "kary:x",
                         "kary:-1",
                         "kary:+2",
                         "kary: 2",
                         "kary:2 ",
                         "kary:02",
                         "kary:2x",
                         "tree",
                         "kary",
                         "",
                         "Flat",
                         "flat:",
                         "binomial:2",
                         "kary:1000001",
                         "kary:99999999999",
                         NULL};

    for (int i = 0; bad[i]; i++)
        expect_uri_error (bad[i], 8, bad[i][0] ? bad[i] : "topology");
    expect_uri_error ("kary:x", 8, "0-1000000");
    expect_uri_error ("tree", 8, "unknown");
    expect_uri_error ("kary\nx", 8, "kary?x");
    expect_uri_error (NULL, 8, "no topology");
    fx_topo_destroy (create ("kary:1000000", 3));
}
END_TEST

START_TEST (bad_sizes)
{
    uint32_t parents[2] = {0, 0};

    expect_uri_error ("kary:2", 0, "size 0");
    expect_uri_error ("binomial", FX_TOPO_SIZE_MAX + 1, "size 2147483649");
    expect_parents_error (0, parents, "size 0");
    expect_parents_error (2, NULL, "no parents");
}
END_TEST

START_TEST (bad_parents)
{
    uint32_t out[6] = {0, 0, 1, 1, 2, 7};
    uint32_t self[6] = {0, 0, 1, 3, 2, 3};
    uint32_t cycle[6] = {0, 0, 1, 4, 3, 4}; /* 5 hangs off the 3-4 cycle */
    uint32_t tail[6] = {0, 0, 5, 4, 3, 2};  /* 2 -> 5 -> 2 is reached from no rank */
    uint32_t *ring = malloc (20 * sizeof (*ring));

    expect_parents_error (6, out, "rank 5: parent 7 is not a rank of this instance (size 6)");
    expect_parents_error (6, self, "rank 3 is its own parent");
    expect_parents_error (6, cycle, "ranks 3, 4 form a cycle");
    expect_parents_error (6, tail, "ranks 2, 5 form a cycle");
    ring[0] = 0;
    for (uint32_t i = 1; i < 20; i++) /* 1 -> 19 -> 18 -> ... -> 2 -> 1 */
        ring[i] = i == 1 ? 19 : i - 1;
    expect_parents_error (20, ring, "ranks 1, 19, 18, 17, 16, 15, 14, 13, ... (19 ranks)");
    free (ring);
}
END_TEST

/* The shapes checked against naive walks; each built on SHAPE_SIZE ranks. */
static struct fx_topo *shape (int i)
{
    const char *uris[] = {"kary:1", "kary:2", "kary:3", "kary:7", "flat", "binomial"};
    uint32_t parents[SHAPE_SIZE], perm[SHAPE_SIZE];
    uint32_t state = (uint32_t) i;
    int nuris = (int) (sizeof (uris) / sizeof (uris[0]));

    if (i < nuris)
        return create (uris[i], SHAPE_SIZE);
    if (i == nuris) { /* random tree, each parent below its child */
        for (uint32_t r = 1; r < SHAPE_SIZE; r++)
            parents[r] = next_random (&state) % r;
    } else if (i == nuris + 1) { /* random tree with shuffled ranks */
        for (uint32_t r = 0; r < SHAPE_SIZE; r++)
            perm[r] = r;
        for (uint32_t r = SHAPE_SIZE - 1; r > 1; r--) {
            uint32_t j = 1 + next_random (&state) % r, tmp = perm[r];
            perm[r] = perm[j];
            perm[j] = tmp;
        }
        for (uint32_t k = 1; k < SHAPE_SIZE; k++)
            parents[perm[k]] = perm[next_random (&state) % k];
    } else if (i == nuris + 2) { /* descending chain */
        parents[SHAPE_SIZE - 1] = 0;
        for (uint32_t r = 1; r < SHAPE_SIZE - 1; r++)
            parents[r] = r + 1;
    } else
        return NULL;
    return create_parents (SHAPE_SIZE, parents);
}

static bool naive_in_subtree (const struct fx_topo *t, uint32_t root, uint32_t rank)
{
    if (root >= fx_topo_size (t) || rank >= fx_topo_size (t))
        return false;
    for (int64_t r = rank; r >= 0; r = fx_topo_parent (t, (uint32_t) r))
        if (r == root)
            return true;
    return false;
}

static int64_t naive_next_hop (const struct fx_topo *t, uint32_t from, uint32_t to)
{
    uint32_t r = to;

    if (from >= fx_topo_size (t) || to >= fx_topo_size (t) || from == to)
        return -1;
    if (!naive_in_subtree (t, from, to))
        return fx_topo_parent (t, from);
    while (fx_topo_parent (t, r) != from)
        r = (uint32_t) fx_topo_parent (t, r);
    return r;
}

START_TEST (in_subtree_matches_naive)
{
    struct fx_topo *t;

    for (int i = 0; (t = shape (i)); i++) {
        for (uint32_t a = 0; a <= SHAPE_SIZE; a++)
            for (uint32_t b = 0; b <= SHAPE_SIZE; b++)
                ck_assert_msg (fx_topo_in_subtree (t, a, b) == naive_in_subtree (t, a, b),
                               "shape %d: in_subtree (%u, %u)", i, a, b);
        ck_assert (!fx_topo_in_subtree (t, UINT32_MAX, 0));
        ck_assert (!fx_topo_in_subtree (t, 0, UINT32_MAX));
        fx_topo_destroy (t);
    }
}
END_TEST

START_TEST (next_hop_matches_naive)
{
    struct fx_topo *t;

    for (int i = 0; (t = shape (i)); i++) {
        for (uint32_t a = 0; a <= SHAPE_SIZE; a++)
            for (uint32_t b = 0; b <= SHAPE_SIZE; b++)
                ck_assert_msg (fx_topo_next_hop (t, a, b) == naive_next_hop (t, a, b),
                               "shape %d: next_hop (%u, %u) = %lld, expected %lld", i, a, b,
                               (long long) fx_topo_next_hop (t, a, b),
                               (long long) naive_next_hop (t, a, b));
        ck_assert_int_eq (fx_topo_next_hop (t, UINT32_MAX, 0), -1);
        fx_topo_destroy (t);
    }
}
END_TEST

START_TEST (derived_counts_match_parents)
{
    struct fx_topo *t;

    for (int i = 0; (t = shape (i)); i++) {
        uint32_t total = 0, maxlevel = 0;
        for (uint32_t r = 0; r < SHAPE_SIZE; r++) {
            const uint32_t *kids;
            uint32_t n = fx_topo_children (t, r, &kids), below = 0;
            for (uint32_t k = 0; k < n; k++) {
                ck_assert_int_eq (fx_topo_parent (t, kids[k]), r);
                ck_assert (k == 0 || kids[k - 1] < kids[k]);
                ck_assert_uint_eq (fx_topo_level (t, kids[k]), fx_topo_level (t, r) + 1);
                below += fx_topo_descendants (t, kids[k]) + 1;
            }
            ck_assert_uint_eq (fx_topo_descendants (t, r), below);
            if (fx_topo_level (t, r) > maxlevel)
                maxlevel = fx_topo_level (t, r);
            total += n;
        }
        ck_assert_uint_eq (total, SHAPE_SIZE - 1);
        ck_assert_uint_eq (fx_topo_maxlevel (t), maxlevel);
        fx_topo_destroy (t);
    }
}
END_TEST

START_TEST (path_to_root)
{
    struct fx_topo *t = create ("kary:2", 15);
    uint32_t path[8] = {0};

    ck_assert_uint_eq (fx_topo_path_to_root (t, 13, path, 8), 4);
    ck_assert_mem_eq (path, ((uint32_t[]){13, 6, 2, 0}), 4 * sizeof (uint32_t));
    ck_assert_uint_eq (fx_topo_path_to_root (t, 0, path, 8), 1);
    ck_assert_uint_eq (path[0], 0);
    memset (path, 0xff, sizeof (path));
    ck_assert_uint_eq (fx_topo_path_to_root (t, 13, path, 2), 4); /* truncated */
    ck_assert_uint_eq (path[0], 13);
    ck_assert_uint_eq (path[1], 6);
    ck_assert_uint_eq (path[2], UINT32_MAX);
    ck_assert_uint_eq (fx_topo_path_to_root (t, 13, NULL, 0), 4);
    ck_assert_uint_eq (fx_topo_path_to_root (t, 15, path, 8), 0);
    fx_topo_destroy (t);
}
END_TEST

START_TEST (out_of_range_queries)
{
    struct fx_topo *t = create ("kary:2", 15);
    const uint32_t *kids = (const uint32_t *) t;

    ck_assert_uint_eq (fx_topo_children (t, 15, &kids), 0);
    ck_assert_ptr_null (kids);
    ck_assert_uint_eq (fx_topo_children (t, 0, NULL), 2);
    ck_assert_uint_eq (fx_topo_level (t, 15), 0);
    ck_assert_uint_eq (fx_topo_descendants (t, 15), 0);
    ck_assert_int_eq (fx_topo_parent (t, UINT32_MAX), -1);
    ck_assert_int_eq (fx_topo_next_hop (t, 3, 3), -1);
    ck_assert_int_eq (fx_topo_next_hop (t, 3, 15), -1);
    fx_topo_destroy (t);
}
END_TEST

START_TEST (uri_buffer)
{
    struct fx_topo *t = create ("kary:1000000", 2);
    char buf[FX_TOPO_URI_MAX];

    expect_uri (t, "kary:1000000");
    errno = 0;
    ck_assert_int_eq (fx_topo_uri (t, buf, strlen ("kary:1000000")), -1);
    ck_assert_int_eq (errno, EOVERFLOW);
    ck_assert_int_eq (fx_topo_uri (t, buf, strlen ("kary:1000000") + 1), 0);
    errno = 0;
    ck_assert_int_eq (fx_topo_uri (NULL, buf, sizeof (buf)), -1);
    ck_assert_int_eq (errno, EINVAL);
    fx_topo_destroy (t);
    errno = EPERM;
    fx_topo_destroy (NULL);
    ck_assert_int_eq (errno, EPERM);
}
END_TEST

static double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

START_TEST (million_kary32_is_quick)
{
    uint32_t n = 1000000;
    double start = now (), elapsed;
    struct fx_topo *t = create ("kary:32", n);
    const uint32_t *kids;
    uint32_t path[8], len;

    elapsed = now () - start;
    ck_assert_msg (elapsed < 1.0, "building took %.3f s", elapsed);
    ck_assert_int_eq (fx_topo_parent (t, n - 1), (n - 2) / 32);
    ck_assert_uint_eq (fx_topo_children (t, 0, &kids), 32);
    ck_assert_uint_eq (kids[31], 32);
    ck_assert_uint_eq (fx_topo_maxlevel (t), 4); /* 1 + 32 + 32^2 + 32^3 < 10^6 */
    ck_assert_uint_eq (fx_topo_descendants (t, 0), n - 1);
    ck_assert (fx_topo_in_subtree (t, 1, 33));
    len = fx_topo_path_to_root (t, n - 1, path, 8);
    ck_assert_uint_eq (len, 5);
    ck_assert_int_eq (fx_topo_next_hop (t, 0, n - 1), path[len - 2]);
    ck_assert_int_eq (fx_topo_next_hop (t, n - 1, 0), path[1]);
    fx_topo_destroy (t);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("topo");
    const struct fx_check_case cases[] = {
        {"kary2_guide_example", kary2_guide_example},
        {"flat_and_kary0", flat_and_kary0},
        {"single_rank", single_rank},
        {"kary3", kary3},
        {"binomial16", binomial16},
        {"explicit_parents", explicit_parents},
        {"chain_100000", chain_100000},
        {"bad_uris", bad_uris},
        {"bad_sizes", bad_sizes},
        {"bad_parents", bad_parents},
        {"in_subtree_matches_naive", in_subtree_matches_naive},
        {"next_hop_matches_naive", next_hop_matches_naive},
        {"derived_counts_match_parents", derived_counts_match_parents},
        {"path_to_root", path_to_root},
        {"out_of_range_queries", out_of_range_queries},
        {"uri_buffer", uri_buffer},
        {"million_kary32_is_quick", million_kary32_is_quick},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
