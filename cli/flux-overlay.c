/* flux-overlay.c - show the tree overlay and its health: `flux overlay SUBCOMMAND`.
 *
 *   status     walk the tree from a rank, asking each reachable rank for overlay.health,
 *              and draw it (or summarize it, or show only what is not full)
 *   errors     the same walk, printed as one line per distinct problem with a hostlist
 *   parentof   a rank's parent, from overlay.topology
 *   lookup     rank -> host name, host name(s) -> ranks, from overlay.topology
 *   disconnect ask a rank's parent to drop it (overlay.disconnect)
 *
 * It talks only to routers, through the local one: overlay.health requests are addressed to
 * each rank by nodeid, all those known at a time in flight together (at most MAX_INFLIGHT),
 * each with its own timeout, so a tree of a thousand ranks is drawn in about one timeout
 * per level at worst.  A rank that cannot be asked (lost, offline, no answer) is shown as
 * its parent sees it, and nothing is shown below it.
 *
 * Failure policy: a usage error prints usage and exits 2; anything else prints
 * "flux-overlay: message" and exits 1.  Every request has a timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/fsd.h"
#include "services/hostlist.h"
#include "services/idset.h"
#include "services/log.h"
#include "services/peer.h"

#define HEALTH_TIMEOUT 0.5 /* seconds: default per overlay.health request (-t) */
#define MAX_INFLIGHT   512 /* overlay.health requests in flight at once */

static const char usage_text[] =
    "Usage: flux overlay SUBCOMMAND [OPTIONS]\n"
    "  status [-r RANK] [-v[v]] [--summary] [--down] [-t TIMEOUT]\n"
    "                         show the tree below RANK (default 0) and each rank's state\n"
    "      -r, --rank=RANK    start at RANK\n"
    "      -v, --verbose      add the time in the state; twice: also the round trip\n"
    "          --summary      print the first rank, then one line per state\n"
    "          --down         show only ranks that are not full, and the path to them\n"
    "      -t, --timeout=FSD  give up on a rank's answer after this long (default 0.5s)\n"
    "  errors [-r RANK] [-v] [-t TIMEOUT]\n"
    "                         one line per distinct problem: HOSTLIST: error\n"
    "  parentof RANK          print the parent of RANK\n"
    "  lookup TARGET          a rank's host name, or the ranks of a host name (or hostlist)\n"
    "  disconnect RANK        ask the parent of RANK to drop it (it restarts and rejoins)\n";

static void die_usage (void) __attribute__ ((noreturn));
static void die_usage (void)
{
    fputs (usage_text, stderr);
    exit (2);
}

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    fprintf (stderr, "flux-overlay: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    exit (1);
}

static void *xzalloc (size_t n)
{
    void *p = calloc (1, n);
    if (!p)
        die ("out of memory");
    return p;
}

static char *xstrdup (const char *s)
{
    char *p = strdup (s ? s : "");
    if (!p)
        die ("out of memory");
    return p;
}

/* A rank: a decimal number below 2^31, else a usage error. */
static uint32_t parse_rank (const char *s)
{
    char *end;
    unsigned long v;

    if (!*s || strspn (s, "0123456789") != strlen (s))
        die_usage ();
    v = strtoul (s, &end, 10);
    if (*end || v > FX_IDSET_ID_MAX) {
        fprintf (stderr, "flux-overlay: invalid rank '%s'\n", s);
        exit (2);
    }
    return v;
}

static struct fx_peer *connect_router (void)
{
    struct fx_error err = {""};
    struct fx_peer *p;

    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-overlay", &err)))
        die ("%s", err.text);
    return p;
}

/* Time in a state, in the manner of an FSD with three significant digits: 521ms, 12.3s,
 * 2.55m, 1.2h, 3d. */
static void format_duration (char *buf, size_t len, double s)
{
    if (s < 0)
        s = 0;
    if (s < 1)
        snprintf (buf, len, "%.3gms", s * 1000);
    else if (s < 60)
        snprintf (buf, len, "%.3gs", s);
    else if (s < 3600)
        snprintf (buf, len, "%.3gm", s / 60);
    else if (s < 86400)
        snprintf (buf, len, "%.3gh", s / 3600);
    else if (s < 86400 * 1000.)
        snprintf (buf, len, "%.3gd", s / 86400);
    else
        snprintf (buf, len, "%.0fd", s / 86400);
}

/* The topology: overlay.topology from rank 0 */

struct topology {
    uint32_t size;
    json_t *parents;           /* array of integers, -1 for rank 0 */
    struct fx_hostlist *hosts; /* may be NULL when the instance has none */
    json_t *payload;
};

static void topology_get (struct fx_peer *p, uint32_t nodeid, struct topology *t)
{
    struct fx_error err = {""};
    const char *hosts = NULL;
    json_int_t size;

    if (fx_rpc_call (p, "overlay.topology", nodeid, NULL, FX_RPC_TIMEOUT, &t->payload, &err) < 0)
        die ("%s", err.text);
    if (json_unpack (t->payload, "{s:I s:o s?s}", "size", &size, "parents", &t->parents, "hosts",
                     &hosts)
            < 0
        || !json_is_array (t->parents) || size < 1 || json_array_size (t->parents) != (size_t) size)
        die ("overlay.topology: malformed answer");
    t->size = size;
    if (hosts && !(t->hosts = fx_hostlist_decode (hosts, &err)))
        die ("overlay.topology: hosts: %s", err.text);
}

static void topology_free (struct topology *t)
{
    fx_hostlist_destroy (t->hosts);
    json_decref (t->payload);
}

static const char *topology_host (struct topology *t, uint32_t rank)
{
    const char *h = t->hosts ? fx_hostlist_nth (t->hosts, rank) : NULL;
    return h ? h : "?";
}

static int64_t topology_parent (struct topology *t, uint32_t rank)
{
    json_t *v = json_array_get (t->parents, rank);
    return v && json_is_integer (v) ? json_integer_value (v) : -1;
}

/* The tree walk: overlay.health from every rank that can be asked */

struct node {
    uint32_t rank;
    char *host;
    char state[16];
    double duration;
    int torpid;   /* as the parent sees it */
    char *error;  /* why the parent lost it, or "" */
    double rtt;   /* seconds for its own answer; < 0: it did not answer (or was not asked) */
    char *askerr; /* why asking it failed, or NULL */
    struct node **kids;
    size_t nkids;
};

struct walk {
    struct fx_peer *p;
    double timeout;
    int inflight;
    struct node **queue; /* ranks to ask */
    size_t qhead, qlen, qcap;
    size_t nnodes;
};

struct ask {
    struct walk *w;
    struct node *n;
    double t0;
};

static struct node *node_create (struct walk *w, uint32_t rank)
{
    struct node *n = xzalloc (sizeof (*n));

    n->rank = rank;
    n->rtt = -1;
    n->host = xstrdup ("?");
    n->error = xstrdup ("");
    snprintf (n->state, sizeof (n->state), "unknown");
    w->nnodes++;
    return n;
}

static void node_destroy (struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_destroy (n->kids[i]);
    free (n->kids);
    free (n->host);
    free (n->error);
    free (n->askerr);
    free (n);
}

static int askable (const struct node *n)
{
    return strcmp (n->state, "lost") != 0 && strcmp (n->state, "offline") != 0;
}

static void enqueue (struct walk *w, struct node *n)
{
    if (w->qlen == w->qcap) {
        w->qcap = w->qcap ? w->qcap * 2 : 64;
        if (!(w->queue = realloc (w->queue, w->qcap * sizeof (w->queue[0]))))
            die ("out of memory");
    }
    w->queue[w->qlen++] = n;
}

static int cmp_node (const void *a, const void *b)
{
    const struct node *x = *(struct node *const *) a, *y = *(struct node *const *) b;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* A rank's view of its children: one node each, sorted by rank; those up are asked next. */
static int add_children (struct walk *w, struct node *n, json_t *kids)
{
    size_t i;
    json_t *k;

    if (!json_is_array (kids))
        return -1;
    n->kids = xzalloc ((json_array_size (kids) + 1) * sizeof (n->kids[0]));
    json_array_foreach (kids, i, k) {
        const char *host, *state, *error = NULL;
        json_int_t rank;
        double duration;
        int torpid = 0;
        struct node *c;

        if (json_unpack (k, "{s:I s:s s:s s:F s?b s?s}", "rank", &rank, "host", &host, "state",
                         &state, "duration", &duration, "torpid", &torpid, "error", &error)
                < 0
            || rank < 0 || rank > FX_IDSET_ID_MAX)
            return -1;
        c = node_create (w, rank);
        free (c->host);
        c->host = xstrdup (host);
        snprintf (c->state, sizeof (c->state), "%s", state);
        c->duration = duration;
        c->torpid = torpid;
        free (c->error);
        c->error = xstrdup (error);
        n->kids[n->nkids++] = c;
    }
    if (n->nkids > 1) /* kids is NULL for a leaf: qsort must not see it */
        qsort (n->kids, n->nkids, sizeof (n->kids[0]), cmp_node);
    for (i = 0; i < n->nkids; i++) {
        if (askable (n->kids[i]))
            enqueue (w, n->kids[i]);
    }
    return 0;
}

static void pump (struct walk *w);

static void health_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct ask *a = arg;
    struct node *n = a->n;
    struct walk *w = a->w;
    struct fx_error err = {""};
    const char *host, *state;
    double duration;
    json_t *o, *kids;

    (void) rpc;
    w->inflight--;
    if (fx_msg_errnum (rsp)) {
        const char *why = fx_msg_errstr (rsp);
        free (n->askerr);
        n->askerr = xstrdup (why ? why : strerror (fx_msg_errnum (rsp)));
    }
    else if (!(o = fx_msg_json (rsp, &err))
             || json_unpack (o, "{s:s s:s s:F s:o}", "host", &host, "state", &state, "duration",
                             &duration, "children", &kids)
                    < 0) {
        free (n->askerr);
        n->askerr = xstrdup ("overlay.health: malformed answer");
    }
    else {
        n->rtt = fx_log_now () - a->t0;
        free (n->host);
        n->host = xstrdup (host);
        snprintf (n->state, sizeof (n->state), "%s", state);
        n->duration = duration;
        if (add_children (w, n, kids) < 0) {
            free (n->askerr);
            n->askerr = xstrdup ("overlay.health: malformed child entry");
        }
    }
    free (a);
    pump (w);
}

/* Start requests for queued ranks while there is room. */
static void pump (struct walk *w)
{
    while (w->inflight < MAX_INFLIGHT && w->qhead < w->qlen) {
        struct node *n = w->queue[w->qhead++];
        struct ask *a = xzalloc (sizeof (*a));

        a->w = w;
        a->n = n;
        a->t0 = fx_log_now ();
        if (!fx_rpc_start (w->p, "overlay.health", n->rank, 0, NULL, w->timeout, health_cb, a)) {
            free (n->askerr);
            n->askerr = xstrdup (strerror (errno));
            free (a);
            continue;
        }
        w->inflight++;
    }
}

/* Walk the tree below rank; exits with a message when rank itself does not answer. */
static struct node *walk_tree (struct fx_peer *p, uint32_t rank, double timeout)
{
    struct walk w = {.p = p, .timeout = timeout};
    struct node *root = node_create (&w, rank);

    enqueue (&w, root);
    pump (&w);
    while (w.inflight > 0)
        ev_run (fx_peer_loop (p), EVRUN_ONCE);
    free (w.queue);
    if (root->askerr)
        die ("%s", root->askerr);
    return root;
}

/* status */

struct status_opts {
    int verbose;
    int summary;
    int down;
};

static int keep_down (const struct node *n)
{
    if (strcmp (n->state, "full") != 0 || (n->torpid && askable (n)))
        return 1;
    for (size_t i = 0; i < n->nkids; i++) {
        if (keep_down (n->kids[i]))
            return 1;
    }
    return 0;
}

static void print_line (const struct node *n, const struct status_opts *o)
{
    char d[FX_FSD_STRLEN];

    printf ("%u %s: %s", n->rank, n->host, n->state);
    if (n->torpid && askable (n))
        printf (" (torpid)");
    if (o->verbose >= 1) {
        format_duration (d, sizeof (d), n->duration);
        printf (" for %s", d);
    }
    if (o->verbose >= 2) {
        if (n->rtt >= 0)
            printf (" (%.3f ms)", n->rtt * 1000);
        if (n->askerr)
            printf (" (%s: %s)", n->rtt >= 0 ? "bad answer" : "no answer", n->askerr);
    }
    printf ("\n");
}

static void print_tree (const struct node *n, const struct status_opts *o, char *prefix,
                        size_t plen, int root, int last)
{
    size_t len = strlen (prefix), nshown = 0, shown = 0;

    if (!root)
        printf ("%s%s", prefix, last ? "└─ " : "├─ ");
    print_line (n, o);
    if (!root)
        snprintf (prefix + len, plen - len, "%s", last ? "   " : "│  ");
    for (size_t i = 0; i < n->nkids; i++)
        nshown += !o->down || keep_down (n->kids[i]);
    for (size_t i = 0; i < n->nkids; i++) {
        if (o->down && !keep_down (n->kids[i]))
            continue;
        shown++;
        print_tree (n->kids[i], o, prefix, plen, 0, shown == nshown);
    }
    prefix[len] = '\0';
}

static size_t tree_depth (const struct node *n)
{
    size_t d = 0;

    for (size_t i = 0; i < n->nkids; i++) {
        size_t k = tree_depth (n->kids[i]);
        if (k > d)
            d = k;
    }
    return d + 1;
}

static const char *const states[] = {"full", "partial", "degraded", "lost", "offline", NULL};

struct tally {
    struct fx_idset *ranks;
    struct fx_hostlist *hosts;
};

static void tally_add (struct tally *t, uint32_t rank, const char *host)
{
    if (!t->ranks && (!(t->ranks = fx_idset_create ()) || !(t->hosts = fx_hostlist_create ())))
        die ("out of memory");
    if (fx_idset_set (t->ranks, rank) < 0 || fx_hostlist_append (t->hosts, host, NULL) < 0)
        die ("cannot record rank %u (%s)", rank, host);
}

static void tally_print (struct tally *t, const char *label)
{
    size_t count = fx_idset_count (t->ranks);
    char *ids, *hosts;

    if (count == 0)
        return;
    if (fx_hostlist_uniq (t->hosts) < 0 || !(ids = fx_idset_encode (t->ranks, 0))
        || !(hosts = fx_hostlist_encode (t->hosts)))
        die ("out of memory");
    printf ("%s: %zu %s (rank%s %s)\n", label, count, hosts, count > 1 ? "s" : "", ids);
    free (ids);
    free (hosts);
}

static void tally_free (struct tally *t)
{
    fx_idset_destroy (t->ranks);
    fx_hostlist_destroy (t->hosts);
}

static void tally_tree (const struct node *n, struct tally *by_state, struct tally *other,
                        struct fx_idset *seen)
{
    size_t i;

    for (i = 0; states[i]; i++) {
        if (!strcmp (n->state, states[i]))
            break;
    }
    tally_add (states[i] ? &by_state[i] : other, n->rank, n->host);
    fx_idset_set (seen, n->rank);
    for (i = 0; i < n->nkids; i++)
        tally_tree (n->kids[i], by_state, other, seen);
}

/* --summary: the first rank's line, then "STATE: COUNT HOSTLIST (ranks IDSET)" per state,
 * and "unseen: ..." for ranks of the subtree that the walk could not reach. */
static void print_summary (struct fx_peer *p, const struct node *root,
                           const struct status_opts *o)
{
    struct tally by_state[sizeof (states) / sizeof (states[0])] = {{0}}, other = {0};
    struct tally unseen = {0};
    struct fx_idset *seen = fx_idset_create ();
    struct topology t = {0};

    if (!seen)
        die ("out of memory");
    print_line (root, o);
    tally_tree (root, by_state, &other, seen);
    for (size_t i = 0; states[i]; i++)
        tally_print (&by_state[i], states[i]);
    tally_print (&other, "unknown");
    /* Ranks below a lost router: from the topology, whose are they? */
    topology_get (p, root->rank, &t);
    for (uint32_t r = 0; r < t.size; r++) {
        int64_t a = r;
        while (a > 0 && a != root->rank)
            a = topology_parent (&t, a);
        if (a == root->rank && !fx_idset_test (seen, r))
            tally_add (&unseen, r, topology_host (&t, r));
    }
    tally_print (&unseen, "unseen");
    for (size_t i = 0; states[i]; i++)
        tally_free (&by_state[i]);
    tally_free (&other);
    tally_free (&unseen);
    fx_idset_destroy (seen);
    topology_free (&t);
}

static const struct option status_longopts[] = {
    {"rank", required_argument, NULL, 'r'}, {"verbose", no_argument, NULL, 'v'},
    {"summary", no_argument, NULL, 'S'},    {"down", no_argument, NULL, 'D'},
    {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void parse_walk_opts (int argc, char **argv, uint32_t *rank, double *timeout,
                             struct status_opts *o)
{
    struct fx_error err = {""};
    int c;

    optind = 1;
    while ((c = getopt_long (argc, argv, "r:vt:h", status_longopts, NULL)) != -1) {
        switch (c) {
        case 'r': *rank = parse_rank (optarg); break;
        case 'v': o->verbose++; break;
        case 'S': o->summary = 1; break;
        case 'D': o->down = 1; break;
        case 't':
            if (fx_fsd_parse (optarg, timeout, &err) < 0 || *timeout <= 0) {
                fprintf (stderr, "flux-overlay: --timeout: %s\n",
                         err.text[0] ? err.text : "must be more than 0");
                exit (2);
            }
            break;
        case 'h': fputs (usage_text, stdout); exit (0);
        default: die_usage ();
        }
    }
    if (optind != argc)
        die_usage ();
}

static int cmd_status (int argc, char **argv)
{
    struct status_opts o = {0};
    double timeout = HEALTH_TIMEOUT;
    uint32_t rank = 0;
    struct fx_peer *p;
    struct node *root;

    parse_walk_opts (argc, argv, &rank, &timeout, &o);
    if (o.summary && o.down)
        die_usage ();
    p = connect_router ();
    root = walk_tree (p, rank, timeout);
    if (o.summary)
        print_summary (p, root, &o);
    else {
        size_t plen = tree_depth (root) * 8 + 1;
        char *prefix = xzalloc (plen);
        print_tree (root, &o, prefix, plen, 1, 1);
        free (prefix);
    }
    node_destroy (root);
    fx_peer_destroy (p);
    return 0;
}

/* errors */

struct problem {
    char *text;
    struct tally t;
};

struct problems {
    struct problem *v;
    size_t n, cap;
};

static void problem_add (struct problems *ps, const char *text, const struct node *n)
{
    size_t i;

    for (i = 0; i < ps->n; i++) {
        if (!strcmp (ps->v[i].text, text))
            break;
    }
    if (i == ps->n) {
        if (ps->n == ps->cap) {
            ps->cap = ps->cap ? ps->cap * 2 : 8;
            if (!(ps->v = realloc (ps->v, ps->cap * sizeof (ps->v[0]))))
                die ("out of memory");
        }
        memset (&ps->v[ps->n], 0, sizeof (ps->v[0]));
        ps->v[ps->n++].text = xstrdup (text);
    }
    tally_add (&ps->v[i].t, n->rank, n->host);
}

/* What is wrong with one rank, as its parent sees it (lost, offline, torpid) or as the walk
 * found it (a rank reported up that did not answer). */
static void find_problems (const struct node *n, struct problems *ps, int root)
{
    if (!askable (n))
        problem_add (ps, n->error[0] ? n->error : n->state, n);
    else if (n->torpid)
        problem_add (ps, "unresponsive", n);
    else if (n->askerr && !root)
        problem_add (ps, "did not answer overlay.health", n);
    for (size_t i = 0; i < n->nkids; i++)
        find_problems (n->kids[i], ps, 0);
}

static int cmp_problem (const void *a, const void *b)
{
    const struct problem *x = a, *y = b;
    unsigned int rx = fx_idset_first (x->t.ranks), ry = fx_idset_first (y->t.ranks);
    return rx < ry ? -1 : rx > ry;
}

static int cmd_errors (int argc, char **argv)
{
    struct status_opts o = {0};
    struct problems ps = {0};
    double timeout = HEALTH_TIMEOUT;
    uint32_t rank = 0;
    struct fx_peer *p;
    struct node *root;

    parse_walk_opts (argc, argv, &rank, &timeout, &o);
    if (o.summary || o.down)
        die_usage ();
    p = connect_router ();
    root = walk_tree (p, rank, timeout);
    find_problems (root, &ps, 1);
    if (ps.n > 1) /* v is NULL when all is well */
        qsort (ps.v, ps.n, sizeof (ps.v[0]), cmp_problem);
    for (size_t i = 0; i < ps.n; i++) {
        char *hosts, *ids;
        if (fx_hostlist_uniq (ps.v[i].t.hosts) < 0 || !(hosts = fx_hostlist_encode (ps.v[i].t.hosts))
            || !(ids = fx_idset_encode (ps.v[i].t.ranks, 0)))
            die ("out of memory");
        if (o.verbose)
            printf ("%s (rank%s %s): %s\n", hosts,
                    fx_idset_count (ps.v[i].t.ranks) > 1 ? "s" : "", ids, ps.v[i].text);
        else
            printf ("%s: %s\n", hosts, ps.v[i].text);
        free (hosts);
        free (ids);
        free (ps.v[i].text);
        tally_free (&ps.v[i].t);
    }
    free (ps.v);
    node_destroy (root);
    fx_peer_destroy (p);
    return 0;
}

/* parentof, lookup, disconnect */

static void no_options (int argc, char **argv, int nargs)
{
    if (argc == 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        fputs (usage_text, stdout);
        exit (0);
    }
    if (argc != nargs + 1)
        die_usage ();
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            die_usage ();
    }
}

static void check_rank (struct topology *t, uint32_t rank)
{
    if (rank >= t->size)
        die ("there is no rank %u (the instance has %u rank%s)", rank, t->size,
             t->size > 1 ? "s" : "");
}

static int cmd_parentof (int argc, char **argv)
{
    struct topology t = {0};
    struct fx_peer *p;
    uint32_t rank;

    no_options (argc, argv, 1);
    rank = parse_rank (argv[1]);
    p = connect_router ();
    topology_get (p, 0, &t);
    check_rank (&t, rank);
    if (rank == 0)
        die ("rank 0 has no parent");
    printf ("%lld\n", (long long) topology_parent (&t, rank));
    topology_free (&t);
    fx_peer_destroy (p);
    return 0;
}

static int cmd_lookup (int argc, char **argv)
{
    const char *target;
    struct topology t = {0};
    struct fx_error err = {""};
    struct fx_peer *p;

    no_options (argc, argv, 1);
    target = argv[1];
    p = connect_router ();
    topology_get (p, 0, &t);
    if (!t.hosts)
        die ("the instance has no host names");
    if (strspn (target, "0123456789") == strlen (target)) {
        uint32_t rank = parse_rank (target);
        check_rank (&t, rank);
        printf ("%s\n", topology_host (&t, rank));
    }
    else {
        struct fx_hostlist *want = fx_hostlist_decode (target, &err);
        struct fx_idset *ranks = fx_idset_create ();
        char *s;

        if (!want)
            die ("%s", err.text);
        if (!ranks)
            die ("out of memory");
        for (int i = 0; i < fx_hostlist_count (want); i++) {
            char host[FX_HOSTLIST_NAME_MAX + 1];
            int found = 0;
            snprintf (host, sizeof (host), "%s", fx_hostlist_nth (want, i));
            for (uint32_t r = 0; r < t.size; r++) {
                if (!strcmp (topology_host (&t, r), host)) {
                    fx_idset_set (ranks, r);
                    found = 1;
                }
            }
            if (!found)
                die ("host %s is not in this instance", host);
        }
        if (!(s = fx_idset_encode (ranks, 0)))
            die ("out of memory");
        printf ("%s\n", s);
        free (s);
        fx_idset_destroy (ranks);
        fx_hostlist_destroy (want);
    }
    topology_free (&t);
    fx_peer_destroy (p);
    return 0;
}

static int cmd_disconnect (int argc, char **argv)
{
    struct topology t = {0};
    struct fx_error err = {""};
    struct fx_peer *p;
    char phost[FX_HOSTLIST_NAME_MAX + 1];
    uint32_t rank, parent;
    json_t *in;

    no_options (argc, argv, 1);
    rank = parse_rank (argv[1]);
    p = connect_router ();
    topology_get (p, 0, &t);
    check_rank (&t, rank);
    if (rank == 0)
        die ("rank 0 has no parent to disconnect it");
    parent = topology_parent (&t, rank);
    /* topology_host's string lasts until the next call: copy the first */
    snprintf (phost, sizeof (phost), "%s", topology_host (&t, parent));
    printf ("asking %s (rank %u) to disconnect child %s (rank %u)\n", phost, parent,
            topology_host (&t, rank), rank);
    fflush (stdout);
    if (!(in = json_pack ("{s:i}", "rank", (int) rank)))
        die ("out of memory");
    if (fx_rpc_call (p, "overlay.disconnect", parent, in, FX_RPC_TIMEOUT, NULL, &err) < 0)
        die ("%s", err.text);
    json_decref (in);
    topology_free (&t);
    fx_peer_destroy (p);
    return 0;
}

static const struct subcommand {
    const char *name;
    int (*fn) (int argc, char **argv);
} subcommands[] = {
    {"status", cmd_status},     {"errors", cmd_errors},         {"parentof", cmd_parentof},
    {"lookup", cmd_lookup},     {"disconnect", cmd_disconnect}, {NULL, NULL},
};

int main (int argc, char **argv)
{
    if (argc < 2)
        die_usage ();
    if (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")) {
        fputs (usage_text, stdout);
        return 0;
    }
    for (const struct subcommand *s = subcommands; s->name; s++) {
        if (!strcmp (argv[1], s->name))
            return s->fn (argc - 1, argv + 1);
    }
    fprintf (stderr, "flux-overlay: unknown subcommand '%s'\n", argv[1]);
    die_usage ();
}
