/* resource-drain.c - `flux resource drain` and `flux resource undrain`.
 *
 * Without targets, drain lists the drained and draining ranks from rank 0's STATUS, one line
 * per group of ranks that share state, time and reason (ordered by time), the time in local
 * ISO 8601 without its fraction.  With targets, drain and undrain send resource.drain and
 * resource.undrain to rank 0, which checks the targets and answers; they print nothing on
 * success.  The targets are passed as given (an idset of ranks or a hostlist): the service
 * alone knows the hosts and which ranks are excluded or drained.
 *
 * Failure policy: usage errors exit 2; the service's refusal ("rank 4 (fluke7) is already
 * drained") and a malformed "drains" object end the command with one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/resource.h"

#define DRAIN_FIELDS                                                                               \
    (RES_F_BIT (RES_F_TIMESTAMP) | RES_F_BIT (RES_F_STATE) | RES_F_BIT (RES_F_RANKS)               \
     | RES_F_BIT (RES_F_REASON) | RES_F_BIT (RES_F_NODELIST) | RES_F_BIT (RES_F_NNODES))
#define DRAIN_DEFAULT_FORMAT "{timestamp:<20} {state:<8} {+:ranks:<8} {+:reason:<30} {nodelist}"

/* A drained rank, as the list sorts and groups them. */
struct drained {
    unsigned int rank;
    const char *state;  /* "drained" or "draining" */
    double timestamp;   /* < 0: unknown */
    const char *reason; /* borrowed from the answer; "" for none */
};

static int drained_cmp (const void *a, const void *b)
{
    const struct drained *x = a, *y = b;
    int c;

    if (x->timestamp != y->timestamp)
        return x->timestamp < y->timestamp ? -1 : 1;
    if ((c = strcmp (x->reason, y->reason)) != 0 || (c = strcmp (x->state, y->state)) != 0)
        return c;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int same_group (const struct drained *x, const struct drained *y)
{
    return x->timestamp == y->timestamp && !strcmp (x->reason, y->reason)
           && !strcmp (x->state, y->state);
}

/* Rank's entry of "drains": its time and reason. */
static void drain_entry (struct resource *r, const struct res_status *st, struct drained *d)
{
    char key[16];
    json_t *e, *ts, *reason;

    snprintf (key, sizeof (key), "%u", d->rank);
    d->timestamp = -1;
    d->reason = "";
    if (!(e = json_object_get (st->drains, key)))
        return;
    ts = json_object_get (e, "timestamp");
    reason = json_object_get (e, "reason");
    if (!json_is_object (e) || !json_is_number (ts) || (reason && !json_is_string (reason)))
        res_die (r, "%s.status: drains.%s: expected {\"timestamp\": N, \"reason\"?: S}", r->service,
                 key);
    d->timestamp = json_number_value (ts) >= 0 ? json_number_value (ts) : -1;
    if (reason)
        d->reason = json_string_value (reason);
}

static char *format_time (struct resource *r, double timestamp)
{
    time_t sec = (time_t) timestamp;
    struct tm tm;
    char buf[64];

    if (timestamp < 0)
        return res_oom (r, strdup (""));
    if (!localtime_r (&sec, &tm) || !strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm))
        return res_printf (r, "%.0f", timestamp);
    return res_oom (r, strdup (buf));
}

/* One row for the group d[0..n-1]. */
static void fill_row (struct resource *r, const struct res_status *st, struct res_row *row,
                      const struct drained *d, size_t n)
{
    struct fx_idset *ids = res_oom (r, fx_idset_create ());

    for (size_t i = 0; i < n; i++) {
        if (fx_idset_set (ids, d[i].rank) < 0)
            res_die (r, "out of memory");
    }
    row->v[RES_F_TIMESTAMP] = format_time (r, d->timestamp);
    row->v[RES_F_STATE] = res_oom (r, strdup (d->state));
    row->v[RES_F_RANKS] = res_idset_str (r, ids);
    row->v[RES_F_REASON] = res_oom (r, strdup (d->reason));
    row->v[RES_F_NODELIST] = res_nodelist (r, st, ids);
    row->v[RES_F_NNODES] = res_printf (r, "%zu", n);
    fx_idset_destroy (ids);
}

static int drain_list (struct resource *r, const char *format, int noheader)
{
    struct res_format *f = res_format_get (r, format ? format : DRAIN_DEFAULT_FORMAT, DRAIN_FIELDS);
    struct res_status *st = res_status_get (r);
    size_t n = fx_idset_count (st->drain), nrows = 0, i = 0, j;
    struct drained *d = res_oom (r, calloc (n + 1, sizeof (*d)));
    struct res_row *rows = res_oom (r, calloc (n + 1, sizeof (*rows)));
    unsigned int id = fx_idset_first (st->drain);

    for (; id != FX_IDSET_INVALID_ID; id = fx_idset_next (st->drain, id), i++) {
        d[i].rank = id;
        d[i].state = fx_idset_test (st->draining, id) ? "draining" : "drained";
        drain_entry (r, st, &d[i]);
    }
    qsort (d, n, sizeof (*d), drained_cmp);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && same_group (&d[i], &d[j]); j++)
            ;
        fill_row (r, st, &rows[nrows++], &d[i], j - i);
    }
    res_format_header (f, RES_F_RANKS, "RANK");
    res_format_print (f, rows, nrows, noheader);
    res_rows_free (rows, nrows);
    free (d);
    res_status_destroy (st);
    res_format_destroy (f);
    return 0;
}

/* REASON... as one string, the words separated by spaces; NULL when there are none. */
static char *join_words (struct resource *r, int argc, char **argv)
{
    size_t len = 0;
    char *s;

    if (argc == 0)
        return NULL;
    for (int i = 0; i < argc; i++)
        len += strlen (argv[i]) + 1;
    s = res_oom (r, calloc (1, len));
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            strcat (s, " ");
        strcat (s, argv[i]);
    }
    return s;
}

int res_cmd_drain (struct resource *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"force", no_argument, NULL, 'f'},
        {"update", no_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'o'},
        {"no-header", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    static const char *const modes[] = {"fail", "update", "overwrite"};
    const char *format = NULL;
    int force = 0, update = 0, noheader = 0, c;
    char *reason;
    json_t *in;

    /* "+": options end at TARGETS, so that a reason may hold words starting with '-'. */
    while ((c = res_getopt (r, argc, argv, "+fuo:n", longopts)) != -1) {
        switch (c) {
        case 'f':
            force++;
            break;
        case 'u':
            update = 1;
            break;
        case 'o':
            format = optarg;
            break;
        case 'n':
            noheader = 1;
            break;
        default:
            res_usage (r);
        }
    }
    if (optind == argc) {
        if (force || update)
            res_usage (r);
        return drain_list (r, format, noheader);
    }
    if (format || noheader || force > 2 || (force && update))
        res_usage (r);
    in = res_oom (r, json_pack ("{s:s s:s}", "targets", argv[optind], "mode",
                                update ? "keep" : modes[force]));
    if ((reason = join_words (r, argc - optind - 1, argv + optind + 1))) {
        json_t *v = json_string (reason);
        if (!v)
            res_die (r, "the reason is not valid UTF-8");
        if (json_object_set_new (in, "reason", v) < 0)
            res_die (r, "out of memory");
        free (reason);
    }
    json_decref (res_rpc (r, "drain", in));
    return 0;
}

int res_cmd_undrain (struct resource *r, int argc, char **argv)
{
    if (res_getopt (r, argc, argv, "", NULL) != -1 || argc - optind != 1)
        res_usage (r);
    json_decref (res_rpc (r, "undrain", json_pack ("{s:s}", "targets", argv[optind])));
    return 0;
}
