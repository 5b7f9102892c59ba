/* check_sched.c - schedd's allocator and queue as pure functions: fits (slot and node
 * shapes, exclusive, GPUs, down ranks), feasibility messages, R of an allocation, priority
 * order, EASY backfill (a short job runs in a hole while a long one waits; a long job on
 * resources the head does not need), unlimited jobs, freeing, the skiplist. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedd/sched.h"
#include "test/unit/check.h"

/* size ranks of ncores cores and ngpus GPUs each, all up. */
static struct pool *mkpool (uint32_t size, int ncores, int ngpus)
{
    struct pool *p = pool_create (size);
    struct fx_idset *c = fx_idset_create (), *g = fx_idset_create ();

    ck_assert_ptr_nonnull (p);
    fx_idset_range_set (c, 0, (unsigned) ncores - 1);
    if (ngpus > 0)
        fx_idset_range_set (g, 0, (unsigned) ngpus - 1);
    for (uint32_t r = 0; r < size; r++) {
        char host[32];
        snprintf (host, sizeof (host), "node%u", r);
        ck_assert_int_eq (pool_add_rank (p, r, host, c, g), 0);
        pool_set_up (p, r, 1);
    }
    fx_idset_destroy (c);
    fx_idset_destroy (g);
    return p;
}

static struct sched_req slots (int nslots, int cores, int gpus, double duration)
{
    return (struct sched_req){0, 0, nslots, cores, gpus, 0, duration};
}

static struct sched_req nodes (int nnodes, int spn, int cores, int exclusive)
{
    return (struct sched_req){nnodes, spn, nnodes * spn, cores, 0, exclusive, 0};
}

START_TEST (slots_pack_in_rank_order)
{
    struct pool *p = mkpool (4, 4, 0);
    struct sched_req rq = slots (6, 1, 0, 0);
    struct placement pl = {0};

    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    ck_assert_int_eq (pl.n, 2);
    ck_assert_uint_eq (pl.t[0].rank, 0);
    ck_assert_int_eq (pl.t[0].ncores, 4);
    ck_assert_uint_eq (pl.t[1].rank, 1);
    ck_assert_int_eq (pl.t[1].ncores, 2);
    placement_clear (&pl);
    pool_destroy (p);
}
END_TEST

START_TEST (slots_never_split)
{
    struct pool *p = mkpool (3, 3, 0);
    struct sched_req rq = slots (4, 2, 0, 0);
    struct placement pl = {0};
    struct fx_error err = {""};

    /* 9 cores, but each rank holds one 2-core slot only. */
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), -1);
    ck_assert_int_eq (errno, ENOSPC);
    ck_assert_int_eq (pool_feasible (p, &rq, &err), -1);
    ck_assert_str_eq (err.text,
                      "unsatisfiable: requested 4 slots of 2 cores, instance has room for 3");
    rq.nslots = 3;
    ck_assert_int_eq (pool_feasible (p, &rq, &err), 0);
    placement_clear (&pl);
    pool_destroy (p);
}
END_TEST

START_TEST (exclusive_takes_idle_whole_nodes)
{
    struct pool *p = mkpool (3, 4, 2);
    struct sched_req one = slots (1, 1, 0, 0), rq = nodes (2, 1, 1, 1);
    struct placement pl = {0}, a = {0}, b = {0};
    json_t *R;
    char *s;

    ck_assert_int_eq (pool_fit (p, &one, pool_live (p), NULL, &pl), 0);
    ck_assert_int_eq (pool_take (p, &pl, &a), 0); /* rank 0 is busy now */
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    ck_assert_int_eq (pool_take (p, &pl, &b), 0);
    ck_assert_uint_eq (b.t[0].rank, 1);
    ck_assert_uint_eq (b.t[1].rank, 2);
    ck_assert_int_eq (b.t[0].ncores, 4);
    ck_assert_int_eq (b.t[0].ngpus, 2);
    R = pool_R (p, &b, 100, 200, 2);
    s = json_dumps (R, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_ptr_nonnull (strstr (s,
                                   "\"R_lite\":[{\"children\":{\"core\":\"0-3\",\"gpu\":\"0-1\"},"
                                   "\"rank\":\"1-2\"}]"));
    ck_assert_ptr_nonnull (strstr (s, "\"nodelist\":[\"node[1-2]\"]"));
    ck_assert_ptr_nonnull (strstr (s, "\"nslots\":2"));
    ck_assert_ptr_nonnull (strstr (s, "\"expiration\":200"));
    free (s);
    json_decref (R);
    /* Nothing idle is left. */
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), -1);
    pool_give (p, &a);
    ck_assert_int_eq (
        pool_fit (p, &(struct sched_req){1, 1, 1, 1, 0, 1, 0}, pool_live (p), NULL, &pl), 0);
    ck_assert_uint_eq (pl.t[0].rank, 0);
    placement_clear (&pl);
    placement_clear (&a);
    placement_clear (&b);
    pool_destroy (p);
}
END_TEST

START_TEST (node_shape_not_exclusive)
{
    struct pool *p = mkpool (2, 4, 0);
    struct sched_req rq = nodes (2, 2, 1, 0);
    struct placement pl = {0}, a = {0};

    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    ck_assert_int_eq (pool_take (p, &pl, &a), 0);
    ck_assert_int_eq (a.n, 2);
    ck_assert_int_eq (a.t[0].ncores, 2);
    ck_assert_int_eq (a.t[0].cores[0], 0);
    ck_assert_int_eq (a.t[0].cores[1], 1);
    /* The same again fits on the other halves; a third time it does not. */
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    placement_clear (&a);
    ck_assert_int_eq (pool_take (p, &pl, &a), 0);
    ck_assert_int_eq (a.t[1].cores[0], 2);
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), -1);
    placement_clear (&pl);
    placement_clear (&a);
    pool_destroy (p);
}
END_TEST

START_TEST (gpus_limit_slots)
{
    struct pool *p = pool_create (3);
    struct fx_idset *c = fx_idset_decode ("0-7", NULL), *g = fx_idset_decode ("0-1", NULL);
    struct fx_idset *none = fx_idset_create ();
    struct sched_req rq = slots (3, 1, 1, 0);
    struct placement pl = {0};
    struct fx_error err = {""};

    pool_add_rank (p, 0, NULL, c, none);
    pool_add_rank (p, 1, NULL, c, g);
    pool_add_rank (p, 2, NULL, c, g);
    for (uint32_t r = 0; r < 3; r++)
        pool_set_up (p, r, 1);
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    ck_assert_int_eq (pl.n, 2);
    ck_assert_uint_eq (pl.t[0].rank, 1);
    ck_assert_int_eq (pl.t[0].nslots, 2);
    ck_assert_uint_eq (pl.t[1].rank, 2);
    rq.nslots = 5;
    ck_assert_int_eq (pool_feasible (p, &rq, &err), -1);
    ck_assert_str_eq (err.text, "unsatisfiable: requested 5 slots of 1 cores and 1 GPUs, "
                                "instance has room for 4");
    placement_clear (&pl);
    fx_idset_destroy (c);
    fx_idset_destroy (g);
    fx_idset_destroy (none);
    pool_destroy (p);
}
END_TEST

START_TEST (down_ranks_never_allocated)
{
    struct pool *p = mkpool (4, 2, 0);
    struct sched_req rq = nodes (4, 1, 1, 0), big = nodes (8, 1, 1, 0);
    struct placement pl = {0};
    struct fx_error err = {""};
    long fr, al, dn;

    pool_set_up (p, 2, 0);
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), -1);
    rq.nnodes = 3;
    rq.nslots = 3;
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    for (int i = 0; i < pl.n; i++)
        ck_assert_uint_ne (pl.t[i].rank, 2);
    pool_core_totals (p, &fr, &al, &dn);
    ck_assert_int_eq (fr, 6);
    ck_assert_int_eq (dn, 2);
    ck_assert_int_eq (al, 0);
    /* A down rank still counts for feasibility: it may come back. */
    rq.nnodes = 4;
    rq.nslots = 4;
    ck_assert_int_eq (pool_feasible (p, &rq, &err), 0);
    ck_assert_int_eq (pool_feasible (p, &big, &err), -1);
    ck_assert_str_eq (err.text, "unsatisfiable: requested 8 nodes, instance has 4");
    pool_set_up (p, 2, 1);
    ck_assert_int_eq (pool_fit (p, &rq, pool_live (p), NULL, &pl), 0);
    placement_clear (&pl);
    pool_destroy (p);
}
END_TEST

START_TEST (hello_R_marks_allocated)
{
    struct pool *p = mkpool (4, 4, 0);
    struct placement a = {0};
    struct fx_error err = {""};
    json_t *R = json_loads ("{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"1-2\","
                            "\"children\":{\"core\":\"0-1\"}},{\"rank\":\"9\",\"children\":"
                            "{\"core\":\"0\"}}],\"starttime\":0,\"expiration\":0}}",
                            0, NULL);
    struct fx_idset *ids;
    char *s;
    long fr, al, dn;

    ck_assert_int_eq (pool_take_R (p, R, &a, &err), 0);
    ck_assert_int_eq (a.n, 2); /* rank 9 is not ours */
    ids = pool_allocated_ranks (p);
    s = fx_idset_encode (ids, 0);
    ck_assert_str_eq (s, "1-2");
    pool_core_totals (p, &fr, &al, &dn);
    ck_assert_int_eq (al, 4);
    ck_assert_int_eq (fr, 12);
    pool_give (p, &a);
    pool_core_totals (p, &fr, &al, &dn);
    ck_assert_int_eq (al, 0);
    free (s);
    fx_idset_destroy (ids);
    placement_clear (&a);
    json_decref (R);
    pool_destroy (p);
}
END_TEST

/* A sched with a recorder of what started and what was annotated. */
struct rec {
    uint64_t started[64];
    int nstarted;
    uint64_t annotated;
    double t_estimate;
    int nannotate;
};

static int started_cb (struct sched *s, struct job *job, void *arg)
{
    struct rec *r = arg;

    (void) s;
    r->started[r->nstarted++] = job->id;
    return 0;
}

static void annotate_cb (struct sched *s, struct job *job, void *arg)
{
    struct rec *r = arg;

    (void) s;
    r->annotated = job->id;
    r->t_estimate = job->t_estimate;
    r->nannotate++;
}

static const struct sched_ops ops = {started_cb, annotate_cb};

static struct job *add (struct sched *s, uint64_t id, int64_t prio, double t_submit,
                        struct sched_req rq)
{
    struct job *j = sched_add_pending (s, id, prio, 1000, t_submit, &rq, NULL);

    ck_assert_ptr_nonnull (j);
    return j;
}

START_TEST (priority_order)
{
    struct pool *p = mkpool (1, 1, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);

    add (s, 1, 16, 10.0, slots (1, 1, 0, 0));
    add (s, 2, 20, 11.0, slots (1, 1, 0, 0));
    add (s, 3, 20, 9.0, slots (1, 1, 0, 0));
    add (s, 4, 20, 9.0, slots (1, 1, 0, 0));
    for (int i = 0; i < 4; i++) {
        sched_pass (s, 100.0);
        ck_assert_int_eq (r.nstarted, i + 1);
        sched_remove (s, sched_lookup (s, r.started[i]));
    }
    ck_assert_uint_eq (r.started[0], 3);
    ck_assert_uint_eq (r.started[1], 4);
    ck_assert_uint_eq (r.started[2], 2);
    ck_assert_uint_eq (r.started[3], 1);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (prioritize_reorders)
{
    struct pool *p = mkpool (1, 1, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);
    struct job *blocker = add (s, 9, 100, 0, slots (1, 1, 0, 0));

    sched_pass (s, 0);
    ck_assert_ptr_eq (sched_lookup (s, 9), blocker);
    add (s, 1, 16, 1.0, slots (1, 1, 0, 0));
    add (s, 2, 16, 2.0, slots (1, 1, 0, 0));
    sched_prioritize (s, sched_lookup (s, 2), 17);
    ck_assert (sched_is_dirty (s));
    sched_remove (s, blocker);
    sched_pass (s, 1);
    ck_assert_int_eq (r.nstarted, 2);
    ck_assert_uint_eq (r.started[1], 2);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (easy_backfill_short_job_in_hole)
{
    struct pool *p = mkpool (1, 4, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);
    struct sched_stats st;

    add (s, 1, 20, 0, slots (2, 1, 0, 100)); /* runs until 100 */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 1);
    add (s, 2, 16, 1, slots (4, 1, 0, 10));   /* the head: waits for 100 */
    add (s, 3, 16, 2, slots (2, 1, 0, 1000)); /* long: would delay the head */
    add (s, 4, 16, 3, slots (2, 1, 0, 50));   /* short: ends before 100 */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 2);
    ck_assert_uint_eq (r.started[1], 4);
    ck_assert_ptr_nonnull (sched_lookup (s, 2)->reason);
    ck_assert_str_eq (sched_lookup (s, 2)->reason, REASON_RESOURCES);
    ck_assert (sched_lookup (s, 2)->t_estimate == 100.0);
    ck_assert (sched_lookup (s, 3)->t_estimate == 0);
    ck_assert_ptr_nonnull (sched_lookup (s, 3)->reason);
    sched_stats (s, &st);
    ck_assert_uint_eq (st.pending, 2);
    ck_assert_uint_eq (st.running, 2);
    ck_assert_uint_eq (st.alloc_total, 2);
    /* Both end: the head runs, then the long job waits behind it. */
    sched_remove (s, sched_lookup (s, 1));
    sched_remove (s, sched_lookup (s, 4));
    sched_pass (s, 100);
    ck_assert_int_eq (r.nstarted, 3);
    ck_assert_uint_eq (r.started[2], 2);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (easy_backfill_outside_reservation)
{
    struct pool *p = mkpool (2, 4, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);

    add (s, 1, 20, 0, (struct sched_req){1, 1, 1, 4, 0, 0, 100}); /* rank 0 until 100 */
    add (s, 2, 20, 1, slots (2, 1, 0, 0));                        /* rank 1, 2 cores, forever */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 2);
    ck_assert_uint_eq (sched_lookup (s, 1)->alloc.t[0].rank, 0);
    add (s, 3, 16, 2, nodes (1, 1, 1, 1)); /* the head: an idle node, rank 0 at 100 */
    add (s, 4, 16, 3, slots (2, 1, 0, 0)); /* unlimited, fits on rank 1 */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 3);
    ck_assert_uint_eq (r.started[2], 4);
    ck_assert (sched_lookup (s, 3)->t_estimate == 100.0);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (reservation_from_expirations)
{
    struct pool *p = mkpool (2, 4, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);

    add (s, 1, 20, 0, nodes (1, 1, 4, 0));
    add (s, 2, 20, 1, nodes (1, 1, 4, 0));
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 2);
    /* Expirations come from the duration at start: make two jobs that end at 50 and 80. */
    sched_remove (s, sched_lookup (s, 1));
    sched_remove (s, sched_lookup (s, 2));
    add (s, 5, 20, 0, (struct sched_req){1, 1, 1, 4, 0, 0, 80});
    add (s, 6, 20, 1, (struct sched_req){1, 1, 1, 4, 0, 0, 50});
    sched_pass (s, 0);
    add (s, 7, 16, 2, nodes (2, 1, 4, 0)); /* needs both: at 80 */
    sched_pass (s, 0);
    ck_assert (sched_lookup (s, 7)->t_estimate == 80.0);
    ck_assert_uint_eq (r.annotated, 7);
    /* An unlimited job in the way: no estimate. */
    sched_remove (s, sched_lookup (s, 6));
    add (s, 8, 30, 3, nodes (1, 1, 4, 0));
    sched_pass (s, 60);
    ck_assert_uint_eq (r.started[r.nstarted - 1], 8);
    ck_assert (sched_lookup (s, 7)->t_estimate == 0);
    ck_assert_str_eq (sched_lookup (s, 7)->reason, REASON_RESOURCES);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (unlimited_jobs_allow_any_backfill)
{
    struct pool *p = mkpool (1, 4, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);

    add (s, 1, 20, 0, slots (3, 1, 0, 0)); /* forever */
    sched_pass (s, 0);
    add (s, 2, 16, 1, slots (4, 1, 0, 0)); /* never starts while 1 runs */
    add (s, 3, 16, 2, slots (1, 1, 0, 0)); /* fits: no reservation to protect */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 2);
    ck_assert_uint_eq (r.started[1], 3);
    ck_assert (sched_lookup (s, 2)->t_estimate == 0);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (backfill_depth_caps_the_scan)
{
    struct pool *p = mkpool (1, 2, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);

    sched_set_backfill_depth (s, 3);
    add (s, 1, 20, 0, slots (1, 1, 0, 0));
    sched_pass (s, 0);
    add (s, 2, 16, 1, slots (2, 1, 0, 0));
    for (int i = 0; i < 5; i++)
        add (s, 10 + i, 16, 2 + i, slots (2, 1, 0, 0));
    add (s, 20, 16, 100, slots (1, 1, 0, 0)); /* fits, but beyond the depth */
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 1);
    /* A job behind the horizon changes nothing: no new pass is needed. */
    add (s, 21, 16, 200, slots (1, 1, 0, 0));
    ck_assert (!sched_is_dirty (s));
    add (s, 22, 17, 200, slots (1, 1, 0, 0)); /* ahead of the head: starts */
    ck_assert (sched_is_dirty (s));
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 2);
    ck_assert_uint_eq (r.started[1], 22);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

START_TEST (freeing_starts_the_head)
{
    struct pool *p = mkpool (2, 2, 0);
    struct rec r = {0};
    struct sched *s = sched_create (p, &ops, &r);
    long fr, al, dn;

    add (s, 1, 16, 0, slots (4, 1, 0, 0));
    add (s, 2, 16, 1, slots (1, 1, 0, 0));
    sched_pass (s, 0);
    ck_assert_int_eq (r.nstarted, 1);
    ck_assert (!sched_is_dirty (s));
    sched_remove (s, sched_lookup (s, 1));
    ck_assert (sched_is_dirty (s));
    pool_core_totals (p, &fr, &al, &dn);
    ck_assert_int_eq (fr, 4);
    sched_pass (s, 1);
    ck_assert_uint_eq (r.started[1], 2);
    ck_assert_ptr_null (
        sched_add_pending (s, 2, 1, 1, 1, &(struct sched_req){0, 0, 1, 1, 0, 0, 0}, NULL));
    ck_assert_int_eq (errno, EEXIST);
    sched_destroy (s);
    pool_destroy (p);
}
END_TEST

static int int_cmp (const void *a, const void *b)
{
    const int *x = a, *y = b;

    return *x < *y ? -1 : *x > *y;
}

START_TEST (skiplist_keeps_order)
{
    struct skiplist *sl = sl_create (int_cmp);
    static int v[1000];
    int prev = -1, n = 0;

    for (int i = 0; i < 1000; i++) {
        v[i] = (i * 7919) % 1000;
        ck_assert_int_eq (sl_insert (sl, &v[i]), 0);
    }
    ck_assert_int_eq (sl_insert (sl, &(int){5}), -1);
    for (int i = 0; i < 1000; i += 2)
        ck_assert_int_eq (sl_remove (sl, &v[i]), 0);
    ck_assert_int_eq (sl_remove (sl, &v[0]), -1);
    for (struct sl_node *nd = sl_first_node (sl); nd; nd = sl_next_node (nd)) {
        int x = *(int *) sl_item (nd);
        ck_assert_int_gt (x, prev);
        prev = x;
        n++;
    }
    ck_assert_int_eq (n, 500);
    ck_assert_uint_eq (sl_count (sl), 500);
    sl_destroy (sl);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("sched");
    const struct fx_check_case cases[] = {
        {"slots_pack_in_rank_order", slots_pack_in_rank_order},
        {"slots_never_split", slots_never_split},
        {"exclusive_takes_idle_whole_nodes", exclusive_takes_idle_whole_nodes},
        {"node_shape_not_exclusive", node_shape_not_exclusive},
        {"gpus_limit_slots", gpus_limit_slots},
        {"down_ranks_never_allocated", down_ranks_never_allocated},
        {"hello_R_marks_allocated", hello_R_marks_allocated},
        {"priority_order", priority_order},
        {"prioritize_reorders", prioritize_reorders},
        {"easy_backfill_short_job_in_hole", easy_backfill_short_job_in_hole},
        {"easy_backfill_outside_reservation", easy_backfill_outside_reservation},
        {"reservation_from_expirations", reservation_from_expirations},
        {"unlimited_jobs_allow_any_backfill", unlimited_jobs_allow_any_backfill},
        {"backfill_depth_caps_the_scan", backfill_depth_caps_the_scan},
        {"freeing_starts_the_head", freeing_starts_the_head},
        {"skiplist_keeps_order", skiplist_keeps_order},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
