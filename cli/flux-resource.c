/* flux-resource.c - resources and their states from the command line: `flux resource CMD`.
 *
 * The client side of doc/resource.md.  Every subcommand but drain/undrain with targets reads
 * one answer, rank 0's STATUS (resource.status), and prints a view of it; drain and undrain
 * send resource.drain / resource.undrain to rank 0.  This file holds main, the subcommand
 * table, what the subcommands share (options, requests, the STATUS decoded into sets, host
 * names and subsets of R) and the two small subcommands, info and R; cli/resource.h lists
 * the other files.  Every request has a timeout (RES_TIMEOUT).
 *
 * The service is `resource`; the environment variable FLUX_RESOURCE_SERVICE names another
 * one, for tests only (test/helpers/fakeresource answers with a STATUS of its own under a
 * name of the test's choosing, beside the real resourced).
 *
 * STATUS is decoded with the keys this command needs required and others ignored, so that
 * resourced can grow new ones; every set must name ranks below "size" and "hosts" must name
 * every rank.
 *
 * Failure policy: a usage error prints the subcommand's usage and exits 2; anything else
 * prints one line "flux-resource: SUBCOMMAND: message" (the service's own message for a
 * refused request) and exits 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/resource.h"
#include "services/hostlist.h"

static void print_all_usage (FILE *f);

/* Errors and memory */

void res_die (struct resource *r, const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fprintf (stderr, "flux-resource: ");
    if (r && r->cmd)
        fprintf (stderr, "%s: ", r->cmd->name);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

void *res_oom (struct resource *r, void *p)
{
    if (!p)
        res_die (r, "out of memory");
    return p;
}

char *res_printf (struct resource *r, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start (ap, fmt);
    n = vasprintf (&s, fmt, ap);
    va_end (ap);
    return res_oom (r, n < 0 ? NULL : s);
}

/* Usage */

static void print_usage (FILE *f, const struct res_cmd *cmd)
{
    fprintf (f, "Usage: flux resource %s\n%s", cmd->synopsis, cmd->options ? cmd->options : "");
}

void res_usage (struct resource *r)
{
    if (r->cmd)
        print_usage (stderr, r->cmd);
    else
        print_all_usage (stderr);
    exit (2);
}

/* Name the option getopt_long refused and exit 2.  arg, the argument before optind, is the
 * long option at fault, or anything when a short one is (which may sit in a cluster). */
static void bad_option (struct resource *r, int c, const struct option *opts, const char *arg)
{
    int len = (int) strcspn (arg, "="), is_long = 0;

    if (!strncmp (arg, "--", 2)) {
        for (const struct option *o = opts; o->name && !is_long; o++)
            is_long = len > 2 && !strncmp (o->name, arg + 2, (size_t) len - 2) && o->val == optopt;
        is_long = is_long || optopt == 0;
    }
    if (!is_long)
        fprintf (stderr, "flux-resource: %s: %s option '-%c'\n", r->cmd->name,
                 c == ':' ? "missing argument to" : "unknown", optopt);
    else
        fprintf (stderr, "flux-resource: %s: %s option '%.*s'\n", r->cmd->name,
                 c == ':'                    ? "missing argument to"
                 : optopt && arg[len] == '=' ? "no argument allowed to"
                                             : "unknown",
                 len, arg);
    res_usage (r);
}

int res_getopt (struct resource *r, int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    static const struct option help = {"help", no_argument, NULL, 'h'};
    struct option opts[16];
    char shorts[64];
    int n = 0, c;

    while (longopts && longopts[n].name && n < 14) {
        opts[n] = longopts[n];
        n++;
    }
    opts[n++] = help;
    memset (&opts[n], 0, sizeof (opts[n]));
    /* A leading '+' stays first; ':' first makes a missing argument ':', not '?'. */
    snprintf (shorts, sizeof (shorts), "%s:%sh", shortopts[0] == '+' ? "+" : "",
              shortopts + (shortopts[0] == '+'));
    opterr = 0; /* getopt would name argv[0], the subcommand; we say "flux-resource" */
    c = getopt_long (argc, argv, shorts, opts, NULL);
    if (c == 'h') {
        print_usage (stdout, r->cmd);
        exit (0);
    }
    if (c == '?' || c == ':')
        bad_option (r, c, opts, argv[optind - 1]);
    return c;
}

/* Requests */

static struct fx_peer *res_peer (struct resource *r)
{
    struct fx_error err = {""};

    if (!r->p && !(r->p = fx_peer_create (EV_DEFAULT, NULL, "flux-resource", &err)))
        res_die (r, "%s", err.text);
    return r->p;
}

json_t *res_rpc (struct resource *r, const char *method, json_t *in)
{
    struct fx_error err = {""};
    char topic[128];
    json_t *out = NULL;
    int rc;

    if (!in)
        res_die (r, "out of memory");
    snprintf (topic, sizeof (topic), "%s.%s", r->service, method);
    rc = fx_rpc_call (res_peer (r), topic, 0, in, RES_TIMEOUT, &out, &err);
    json_decref (in);
    if (rc < 0)
        res_die (r, "%s", err.text);
    return out;
}

/* Sets */

char *res_idset_str (struct resource *r, const struct fx_idset *ids)
{
    return res_oom (r, fx_idset_encode (ids, 0));
}

struct fx_idset *res_diff (struct resource *r, const struct fx_idset *a, const struct fx_idset *b)
{
    return res_oom (r, fx_idset_difference (a, b));
}

struct fx_idset *res_union (struct resource *r, const struct fx_idset *a, const struct fx_idset *b)
{
    return res_oom (r, fx_idset_union (a, b));
}

char *res_nodelist (struct resource *r, const struct res_status *st, const struct fx_idset *ranks)
{
    struct fx_hostlist *hl = res_oom (r, fx_hostlist_create ());
    unsigned int id;
    char *s;

    for (id = fx_idset_first (ranks); id != FX_IDSET_INVALID_ID; id = fx_idset_next (ranks, id)) {
        if (fx_hostlist_append (hl, st->hosts[id], NULL) < 0)
            res_die (r, "host name '%s': %s", st->hosts[id], strerror (errno));
    }
    s = res_oom (r, fx_hostlist_encode (hl));
    fx_hostlist_destroy (hl);
    return s;
}

struct fx_rlist *res_subset (struct resource *r, const struct res_status *st,
                             const struct fx_idset *ranks)
{
    return res_oom (r, fx_rlist_copy_ranks (st->R, ranks));
}

/* STATUS */

void res_status_destroy (struct res_status *st)
{
    if (!st)
        return;
    for (unsigned int i = 0; st->hosts && i < st->size; i++)
        free (st->hosts[i]);
    free (st->hosts);
    fx_rlist_destroy (st->R);
    fx_rlist_destroy (st->alloc_R);
    struct fx_idset *sets[] = {st->all,     st->online,   st->offline, st->exclude,   st->torpid,
                               st->drained, st->draining, st->drain,   st->allocated, st->avail};
    for (size_t i = 0; i < sizeof (sets) / sizeof (sets[0]); i++)
        fx_idset_destroy (sets[i]);
    json_decref (st->answer);
    free (st);
}

/* The idset under key, every rank of it below st->size. */
static struct fx_idset *status_set (struct resource *r, struct res_status *st, const char *key)
{
    json_t *v = json_object_get (st->answer, key);
    struct fx_error err = {""};
    struct fx_idset *ids;

    if (!json_is_string (v))
        res_die (r, "%s.status: '%s' is missing or not a string", r->service, key);
    if (!(ids = fx_idset_decode (json_string_value (v), &err)))
        res_die (r, "%s.status: %s: %s", r->service, key, err.text);
    if (fx_idset_count (ids) > 0 && fx_idset_last (ids) >= st->size)
        res_die (r, "%s.status: %s: rank %u is not below size %u", r->service, key,
                 fx_idset_last (ids), st->size);
    return ids;
}

static void status_hosts (struct resource *r, struct res_status *st, const char *hosts)
{
    struct fx_error err = {""};
    struct fx_hostlist *hl = fx_hostlist_decode (hosts, &err);

    if (!hl)
        res_die (r, "%s.status: hosts: %s", r->service, err.text);
    if ((unsigned int) fx_hostlist_count (hl) != st->size)
        res_die (r, "%s.status: hosts names %d hosts for size %u", r->service,
                 fx_hostlist_count (hl), st->size);
    st->hosts = res_oom (r, calloc (st->size, sizeof (char *)));
    for (unsigned int i = 0; i < st->size; i++)
        st->hosts[i] = res_oom (r, strdup (fx_hostlist_nth (hl, (int) i)));
    fx_hostlist_destroy (hl);
}

static void status_R (struct resource *r, struct res_status *st, const json_t *R)
{
    struct fx_error err = {""};

    if (json_is_null (R))
        st->R = res_oom (r, fx_rlist_create ());
    else if (!(st->R = fx_rlist_decode (R, &err)))
        res_die (r, "%s.status: R: %s", r->service, err.text);
}

struct res_status *res_status_get (struct resource *r)
{
    struct res_status *st = res_oom (r, calloc (1, sizeof (*st)));
    json_int_t size = 0;
    const char *hosts = NULL;
    json_t *R = NULL, *drains = NULL, *alloc_R = NULL;
    struct fx_error err = {""};
    json_error_t jerr;

    st->answer = res_rpc (r, "status", json_object ());
    if (json_unpack_ex (st->answer, &jerr, 0, "{s:I s:s s:o s?o s?o}", "size", &size, "hosts",
                        &hosts, "R", &R, "drains", &drains, "allocated_R", &alloc_R)
        < 0)
        res_die (r, "%s.status: %s", r->service, jerr.text);
    if (size < 1 || size > FX_HOSTLIST_MAX)
        res_die (r, "%s.status: size %lld is out of range", r->service, (long long) size);
    if (drains && !json_is_object (drains))
        res_die (r, "%s.status: drains is not an object", r->service);
    st->size = (unsigned int) size;
    st->drains = drains;
    status_hosts (r, st, hosts);
    status_R (r, st, R);
    st->all = res_oom (r, fx_idset_create ());
    if (fx_idset_range_set (st->all, 0, st->size - 1) < 0)
        res_die (r, "out of memory");
    st->online = status_set (r, st, "online");
    st->exclude = status_set (r, st, "exclude");
    st->torpid = status_set (r, st, "torpid");
    st->drained = status_set (r, st, "drained");
    st->draining = status_set (r, st, "draining");
    st->allocated = status_set (r, st, "allocated");
    if (alloc_R && !(st->alloc_R = fx_rlist_decode (alloc_R, &err)))
        res_die (r, "%s.status: allocated_R: %s", r->service, err.text);
    st->offline = res_diff (r, st->all, st->online);
    st->drain = res_union (r, st->drained, st->draining);
    struct fx_idset *up = res_diff (r, st->all, st->exclude);
    st->avail = res_diff (r, up, st->drain);
    fx_idset_destroy (up);
    return st;
}

/* info, R */

static int cmd_info (struct resource *r, int argc, char **argv)
{
    struct res_status *st;

    if (res_getopt (r, argc, argv, "", NULL) != -1 || optind != argc)
        res_usage (r);
    st = res_status_get (r);
    printf ("%zu Nodes, %zu Cores, %zu GPUs\n", fx_rlist_nnodes (st->R), fx_rlist_ncores (st->R),
            fx_rlist_ngpus (st->R));
    res_status_destroy (st);
    return 0;
}

static int cmd_R (struct resource *r, int argc, char **argv)
{
    struct res_status *st;
    json_t *R;
    char *s;

    if (res_getopt (r, argc, argv, "", NULL) != -1 || optind != argc)
        res_usage (r);
    st = res_status_get (r);
    R = res_oom (r, fx_rlist_encode (st->R));
    s = res_oom (r, json_dumps (R, JSON_COMPACT));
    printf ("%s\n", s);
    free (s);
    json_decref (R);
    res_status_destroy (st);
    return 0;
}

/* The subcommands */

static const struct res_cmd res_cmds[] = {
    {"status", res_cmd_status, "status [-s STATES] [-o FORMAT] [-n]",
     "  print the ranks and hosts in each state, one line per state (the ranks of a state\n"
     "  that are offline on a line of their own, STATE*)\n"
     "  -s, --states=LIST    states to show, comma-separated (default\n"
     "                       avail,exclude,draining,drained,torpid); 'help' lists them\n"
     "  -o, --format=FORMAT  e.g. '{state} {nnodes} {ranks} {nodelist}'\n"
     "  -n, --no-header      do not print the header\n"},
    {"list", res_cmd_list, "list [-v] [-s STATES] [-o FORMAT] [-n]",
     "  print the nodes, cores and GPUs free, allocated and down\n"
     "  -v, --verbose        print the resources (rank[1-15]/core[0-3]) for the nodelist\n"
     "  -s, --states=LIST    states to show (default free,allocated,down); 'help' lists them\n"
     "  -o, --format=FORMAT  e.g. '{state} {nnodes} {ncores} {ngpus} {nodelist}'\n"
     "  -n, --no-header      do not print the header\n"},
    {"drain", res_cmd_drain, "drain [-o FORMAT] [-n] | drain [-f [-f]] [-u] TARGETS [REASON...]",
     "  without TARGETS, list the drained ranks; with them, drain TARGETS (ranks as an\n"
     "  idset, or a hostlist) so that nothing new is scheduled there\n"
     "  -f, --force          update the reason of ranks already drained; twice: also the time\n"
     "  -u, --update         leave ranks already drained as they are\n"
     "  -o, --format=FORMAT  e.g. '{timestamp} {state} {ranks} {reason} {nodelist}'\n"
     "  -n, --no-header      do not print the header\n"},
    {"undrain", res_cmd_undrain, "undrain TARGETS",
     "  return drained TARGETS (ranks as an idset, or a hostlist) to service\n"},
    {"info", cmd_info, "info", "  print the number of nodes, cores and GPUs\n"},
    {"R", cmd_R, "R", "  print the resources (R) as one line of JSON\n"},
    {NULL, NULL, NULL, NULL},
};

static void print_all_usage (FILE *f)
{
    fprintf (f, "Usage: flux resource SUBCOMMAND [OPTIONS] [ARGS...]\n");
    for (const struct res_cmd *c = res_cmds; c->name; c++)
        fprintf (f, "  %s\n", c->synopsis);
    fprintf (f, "Run 'flux resource SUBCOMMAND --help' for its options.\n");
}

int main (int argc, char **argv)
{
    struct resource r = {.service = getenv ("FLUX_RESOURCE_SERVICE")};
    const struct res_cmd *c;
    int rc;

    if (!r.service || !*r.service)
        r.service = "resource";
    if (argc > 1 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        print_all_usage (stdout);
        return 0;
    }
    for (c = res_cmds; argc > 1 && c->name; c++) {
        if (!strcmp (c->name, argv[1]))
            break;
    }
    if (argc < 2 || !c->name) {
        if (argc > 1)
            fprintf (stderr, "flux-resource: unknown subcommand '%s'\n", argv[1]);
        print_all_usage (stderr);
        return 2;
    }
    r.cmd = c;
    optind = 0;
    rc = c->fn (&r, argc - 1, argv + 1);
    fflush (stdout);
    fx_peer_destroy (r.p);
    return rc;
}
