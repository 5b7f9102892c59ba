/* resource-status.c - `flux resource status` and `flux resource list`: one line per state.
 *
 * Both read rank 0's STATUS once (res_status_get) and print, for each state asked for, the
 * set of ranks in it.  status is the administrator's view: avail, exclude, drain..., with
 * the offline ranks of a state on a line of their own (STATE*).  list is the scheduler's:
 * free, allocated and down, with the nodes, cores and GPUs that R gives those ranks.  The
 * states of each are a table {name, meaning, set}; a set is found by its offset in the
 * structure the command fills (struct res_status, or struct list_sets).
 *
 * Failure policy: an unknown state or field ends the command with one line naming it;
 * everything else is res_die's (ENOMEM, the service's errors).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/resource.h"

/* Fields the rows of status and list fill. */
#define ROW_FIELDS                                                                                 \
    (RES_F_BIT (RES_F_STATE) | RES_F_BIT (RES_F_NNODES) | RES_F_BIT (RES_F_NCORES)                 \
     | RES_F_BIT (RES_F_NGPUS) | RES_F_BIT (RES_F_RANKS) | RES_F_BIT (RES_F_NODELIST)              \
     | RES_F_BIT (RES_F_RLIST))

#define STATUS_DEFAULT_STATES "avail,exclude,draining,drained,torpid"
#define STATUS_DEFAULT_FORMAT "{+:state:>9} {+:nnodes:>6} {+:ranks:<15} {nodelist}"
#define LIST_DEFAULT_STATES   "free,allocated,down"
#define LIST_DEFAULT_FORMAT   "{+:state:>9} {+:nnodes:>6} {+:ncores:>8} {+:ngpus:>8} {nodelist}"
#define LIST_VERBOSE_FORMAT   "{+:state:>9} {+:nnodes:>6} {+:ncores:>8} {+:ngpus:>8} {rlist}"

struct state {
    const char *name;
    const char *help;
    size_t offset; /* of its struct fx_idset * in the command's structure of sets */
    int split;     /* its offline ranks go on a line of their own, STATE* */
};

#define ST(field) offsetof (struct res_status, field)

static const struct state status_states[] = {
    {"avail", "neither excluded, drained nor draining", ST (avail), 1},
    {"exclude", "excluded by the configuration (resource.exclude)", ST (exclude), 1},
    {"draining", "drained while jobs still run there", ST (draining), 1},
    {"drained", "drained, and no job runs there", ST (drained), 1},
    {"drain", "draining or drained", ST (drain), 1},
    {"torpid", "online but not answering the overlay in time", ST (torpid), 1},
    {"online", "its daemons have joined the instance", ST (online), 0},
    {"offline", "not online", ST (offline), 0},
    {"allocated", "given to jobs", ST (allocated), 1},
    {"all", "every rank", ST (all), 0},
    {NULL, NULL, 0, 0},
};

/* The sets of `flux resource list`; excluded ranks are in none of them. */
struct list_sets {
    struct fx_idset *free;      /* up and not allocated */
    struct fx_idset *allocated; /* given to jobs */
    struct fx_idset *down;      /* offline, drained or draining */
    struct fx_idset *up;        /* the rest */
    struct fx_idset *all;       /* every rank not excluded */
};

#define LS(field) offsetof (struct list_sets, field)

static const struct state list_states[] = {
    {"free", "up and not allocated", LS (free), 0},
    {"allocated", "given to jobs", LS (allocated), 0},
    {"down", "offline, drained or draining", LS (down), 0},
    {"up", "online, neither drained nor draining", LS (up), 0},
    {"all", "every rank not excluded", LS (all), 0},
    {NULL, NULL, 0, 0},
};

static const struct fx_idset *state_set (const struct state *s, const void *sets)
{
    return *(struct fx_idset *const *) ((const char *) sets + s->offset);
}

static void states_help (const struct state *table)
{
    for (const struct state *s = table; s->name; s++)
        printf ("  %-10s %s\n", s->name, s->help);
}

/* The states named in list (comma-separated) as pointers into table, in order; *n gets
 * their number.  "help" anywhere prints the table and exits 0. */
static const struct state **parse_states (struct resource *r, const struct state *table,
                                          const char *list, size_t *n)
{
    char *copy = res_oom (r, strdup (list)), *save = NULL, *name;
    const struct state **sel = res_oom (r, calloc (strlen (list) / 2 + 2, sizeof (*sel)));

    *n = 0;
    for (name = strtok_r (copy, ",", &save); name; name = strtok_r (NULL, ",", &save)) {
        const struct state *s = table;
        if (!strcmp (name, "help")) {
            states_help (table);
            exit (0);
        }
        while (s->name && strcmp (s->name, name) != 0)
            s++;
        if (!s->name)
            res_die (r, "unknown state '%s' (-s help lists them)", name);
        sel[(*n)++] = s;
    }
    if (*n == 0)
        res_die (r, "no state named (-s help lists them)");
    free (copy);
    return sel;
}

/* A row for the ranks of ids in state name. */
/* The resources of a row: R of its ranks, except that when the scheduler says which cores
 * are in use, the allocated row counts only those and the free row only the others (a node
 * partly in use is in both, as the original shows it). */
static struct fx_rlist *row_resources (struct resource *r, const struct res_status *st,
                                       const char *name, const struct fx_idset *ids)
{
    struct fx_rlist *sub = res_subset (r, st, ids), *part;

    if (!st->alloc_R || (strcmp (name, "allocated") && strcmp (name, "free")))
        return sub;
    part = !strcmp (name, "allocated") ? fx_rlist_intersect (sub, st->alloc_R)
                                       : fx_rlist_diff (sub, st->alloc_R);
    fx_rlist_destroy (sub);
    return res_oom (r, part);
}

static void fill_row (struct resource *r, const struct res_status *st, struct res_row *row,
                      const char *name, const struct fx_idset *ids)
{
    struct fx_rlist *sub = row_resources (r, st, name, ids);

    row->v[RES_F_STATE] = res_oom (r, strdup (name));
    row->v[RES_F_NNODES] = res_printf (r, "%zu", fx_idset_count (ids));
    row->v[RES_F_NCORES] = res_printf (r, "%zu", fx_rlist_ncores (sub));
    row->v[RES_F_NGPUS] = res_printf (r, "%zu", fx_rlist_ngpus (sub));
    row->v[RES_F_RANKS] = res_idset_str (r, ids);
    row->v[RES_F_NODELIST] = res_nodelist (r, st, ids);
    row->v[RES_F_RLIST] = res_oom (r, fx_rlist_dumps_short (sub));
    fx_rlist_destroy (sub);
}

struct opts {
    const char *states; /* -s, or NULL */
    const char *format; /* -o, or NULL */
    int noheader;       /* -n */
    int verbose;        /* -v (list) */
};

static void parse_opts (struct resource *r, int argc, char **argv, const char *shortopts,
                        struct opts *o)
{
    static const struct option longopts[] = {
        {"states", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'o'},
        {"no-header", no_argument, NULL, 'n'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = res_getopt (r, argc, argv, shortopts, longopts)) != -1) {
        switch (c) {
        case 's':
            o->states = optarg;
            break;
        case 'o':
            o->format = optarg;
            break;
        case 'n':
            o->noheader = 1;
            break;
        case 'v':
            o->verbose = 1;
            break;
        default:
            res_usage (r);
        }
    }
    if (optind != argc)
        res_usage (r);
}

/* Print the rows of the states sel[0..n-1] of sets.  A state is shown when it has ranks or
 * when shown is set (named by -s, or list's); a split state's offline ranks are left out of
 * its line and shown on a line STATE* of their own when there are any. */
static void print_states (struct resource *r, const struct res_status *st, const void *sets,
                          const struct state **sel, size_t n, int shown, const struct res_format *f,
                          int noheader)
{
    struct res_row *rows = res_oom (r, calloc (2 * n + 1, sizeof (*rows)));
    size_t nrows = 0;

    for (size_t i = 0; i < n; i++) {
        const struct fx_idset *set = state_set (sel[i], sets);
        struct fx_idset *on =
            res_oom (r, sel[i]->split ? fx_idset_intersect (set, st->online) : fx_idset_copy (set));
        struct fx_idset *off = res_diff (r, set, on);
        if (fx_idset_count (on) > 0 || shown)
            fill_row (r, st, &rows[nrows++], sel[i]->name, on);
        if (fx_idset_count (off) > 0) {
            char *name = res_printf (r, "%s*", sel[i]->name);
            fill_row (r, st, &rows[nrows++], name, off);
            free (name);
        }
        fx_idset_destroy (on);
        fx_idset_destroy (off);
    }
    res_format_print (f, rows, nrows, noheader);
    res_rows_free (rows, nrows);
}

int res_cmd_status (struct resource *r, int argc, char **argv)
{
    struct opts o = {NULL, NULL, 0, 0};
    const struct state **sel;
    struct res_format *f;
    struct res_status *st;
    size_t n;

    parse_opts (r, argc, argv, "s:o:n", &o);
    sel = parse_states (r, status_states, o.states ? o.states : STATUS_DEFAULT_STATES, &n);
    f = res_format_get (r, o.format ? o.format : STATUS_DEFAULT_FORMAT, ROW_FIELDS);
    st = res_status_get (r);
    print_states (r, st, st, sel, n, o.states != NULL, f, o.noheader);
    res_status_destroy (st);
    res_format_destroy (f);
    free (sel);
    return 0;
}

int res_cmd_list (struct resource *r, int argc, char **argv)
{
    struct opts o = {NULL, NULL, 0, 0};
    const struct state **sel;
    struct res_format *f;
    struct res_status *st;
    struct list_sets ls;
    struct fx_idset *down;
    size_t n;

    parse_opts (r, argc, argv, "vs:o:n", &o);
    sel = parse_states (r, list_states, o.states ? o.states : LIST_DEFAULT_STATES, &n);
    f = res_format_get (r,
                        o.format    ? o.format
                        : o.verbose ? LIST_VERBOSE_FORMAT
                                    : LIST_DEFAULT_FORMAT,
                        ROW_FIELDS);
    st = res_status_get (r);
    ls.all = res_diff (r, st->all, st->exclude);
    down = res_union (r, st->offline, st->drain);
    ls.down = res_diff (r, down, st->exclude);
    ls.up = res_diff (r, ls.all, ls.down);
    ls.allocated = res_diff (r, st->allocated, st->exclude);
    if (st->alloc_R) { /* free: up ranks with a core or GPU not in use */
        struct fx_rlist *upR = res_subset (r, st, ls.up);
        struct fx_rlist *freeR = res_oom (r, fx_rlist_diff (upR, st->alloc_R));
        ls.free = res_oom (r, fx_rlist_ranks (freeR));
        fx_rlist_destroy (freeR);
        fx_rlist_destroy (upR);
    } else
        ls.free = res_diff (r, ls.up, ls.allocated);
    print_states (r, st, &ls, sel, n, 1, f, o.noheader);
    struct fx_idset *sets[] = {down, ls.all, ls.down, ls.up, ls.allocated, ls.free};
    for (size_t i = 0; i < sizeof (sets) / sizeof (sets[0]); i++)
        fx_idset_destroy (sets[i]);
    res_status_destroy (st);
    res_format_destroy (f);
    free (sel);
    return 0;
}
