/* flux-R.c - "flux R": make, read, check and combine resource sets (RFC 20 R).
 *
 * encode builds R from options (or from this machine with --local), decode prints R or a
 * piece of it, verify checks this machine against what R promises it, and append, diff and
 * intersect combine two or more R objects.  R comes on stdin: one JSON object, or several
 * one after the other (whitespace or newlines between them optional).  The command talks
 * only to the services rlist, idset and hostlist modules and to the local system (CPU
 * affinity, /dev/nvidia*).  Errors print "flux-R: SUBCOMMAND: message" on one line and exit
 * 1; usage errors print the usage and exit 2; verify exits 1 when the machine falls short.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/hostlist.h"
#include "services/idset.h"
#include "services/rlist.h"
#include "services/rlocal.h"

#define INPUT_MAX (256u << 20) /* bytes of R read from stdin */

struct subcommand {
    const char *name;
    int (*run) (const struct subcommand *cmd, int argc, char **argv);
    const char *usage;
};

static int cmd_encode (const struct subcommand *cmd, int argc, char **argv);
static int cmd_decode (const struct subcommand *cmd, int argc, char **argv);
static int cmd_verify (const struct subcommand *cmd, int argc, char **argv);
static int cmd_combine (const struct subcommand *cmd, int argc, char **argv);

static const struct subcommand subcommands[] = {
    {"encode", cmd_encode,
     "Usage: flux R encode [OPTIONS]\n"
     "Print R for the resources given (every rank gets the same cores and GPUs).\n"
     "\n"
     "  -r, --ranks=IDSET       ranks (default 0..N-1 for N hosts, else 0)\n"
     "  -c, --cores=IDSET       core ids of each rank\n"
     "  -g, --gpus=IDSET        GPU ids of each rank\n"
     "  -H, --hosts=HOSTLIST    host of each rank, in rank order\n"
     "  -p, --property=NAME[:RANKS]  give RANKS (default all) a property; repeatable\n"
     "  -l, --local             cores and GPUs of this machine, where not given\n"
     "  -h, --help              print this help\n"},
    {"decode", cmd_decode,
     "Usage: flux R decode [OPTIONS] <R\n"
     "Print R from stdin in canonical form, or the pieces asked for (in this order).\n"
     "\n"
     "  -c, --count=TYPE        the number of TYPE: core, gpu or node\n"
     "  -r, --ranks             the ranks, as an idset\n"
     "  -n, --nodelist          the hosts, as a hostlist\n"
     "  -s, --short             the short form, e.g. rank[0-3]/core[0-7],gpu[0-1]\n"
     "  -p, --properties        each property as NAME:RANKS, one per line\n"
     "  -h, --help              print this help\n"},
    {"verify", cmd_verify,
     "Usage: flux R verify <R\n"
     "Check that this machine has the cores and GPUs that R gives the rank named by this\n"
     "machine's host name, or rank 0.  Silent with exit 0 when it does, else exit 1.\n"},
    {"append", cmd_combine,
     "Usage: flux R append <R1 R2...\n"
     "Print the union of the R objects on stdin; a core or GPU in two of them is an error.\n"},
    {"diff", cmd_combine,
     "Usage: flux R diff <R1 R2...\n"
     "Print the resources of the first R on stdin that are in none of the others.\n"},
    {"intersect", cmd_combine,
     "Usage: flux R intersect <R1 R2...\n"
     "Print the resources that every R on stdin has.\n"},
    {NULL, NULL, NULL},
};

static const char usage_text[] = "Usage: flux R COMMAND [OPTIONS]\n"
                                 "Make, read, check and combine resource sets (RFC 20 R).\n"
                                 "\n"
                                 "  encode      print R for resources given as options\n"
                                 "  decode      print R from stdin, or a piece of it\n"
                                 "  verify      check this machine against R from stdin\n"
                                 "  append      union of R objects, disjoint\n"
                                 "  diff        first R less the others\n"
                                 "  intersect   what every R has\n"
                                 "\n"
                                 "Run 'flux R COMMAND --help' for a command's options.\n";

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void die (const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "flux-R: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void usage_error (const struct subcommand *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

static void usage_error (const struct subcommand *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "flux-R: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    fputs (cmd ? cmd->usage : usage_text, stderr);
    exit (2);
}

/* Report the option getopt_long rejected; arg is the argument it was working on. */
static void bad_option (const struct subcommand *cmd, int c, const char *arg)
    __attribute__ ((noreturn));

static void bad_option (const struct subcommand *cmd, int c, const char *arg)
{
    int len = (int) strcspn (arg, "=");

    if (c == ':' && strncmp (arg, "--", 2) == 0)
        usage_error (cmd, "missing argument to option '%.*s'", len, arg);
    if (c == ':')
        usage_error (cmd, "missing argument to option '-%c'", optopt);
    if (strncmp (arg, "--", 2) == 0 && strchr (arg, '=') && optopt)
        usage_error (cmd, "no argument allowed to option '%.*s'", len, arg);
    if (strncmp (arg, "--", 2) == 0)
        usage_error (cmd, "unknown option '%.*s'", len, arg);
    usage_error (cmd, "unknown option '-%c'", optopt);
}

/* Parse options with getopt_long, calling set for each; handles --help and bad options. */
static void parse_options (const struct subcommand *cmd, int argc, char **argv,
                           const char *shortopts, const struct option *longopts,
                           void (*set) (const struct subcommand *, int, void *), void *arg)
{
    int c, i = optind;

    opterr = 0; /* getopt would name argv[0]; we say "flux-R" */
    for (; (c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1; i = optind) {
        if (c == 'h') {
            fputs (cmd->usage, stdout);
            exit (0);
        }
        if (c == '?' || c == ':')
            bad_option (cmd, c, argv[i]);
        set (cmd, c, arg);
    }
    if (optind < argc)
        usage_error (cmd, "unexpected argument '%s'", argv[optind]);
}

static void no_options (const struct subcommand *cmd, int c, void *arg)
{
    (void) cmd;
    (void) c;
    (void) arg;
}

/* All of stdin, NUL-terminated; *len is its length. */
static char *read_stdin (const char *name, size_t *len)
{
    size_t alloc = 65536, n = 0, got;
    char *buf = malloc (alloc);

    while (buf && (got = fread (buf + n, 1, alloc - n - 1, stdin)) > 0) {
        if ((n += got) + 1 < alloc)
            continue;
        if (alloc >= INPUT_MAX)
            die ("%s: stdin holds more than %u MiB", name, INPUT_MAX >> 20);
        char *bigger = realloc (buf, alloc *= 2);
        if (!bigger)
            free (buf);
        buf = bigger;
    }
    if (!buf)
        die ("%s: out of memory", name);
    if (ferror (stdin))
        die ("%s: stdin: %s", name, strerror (errno));
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The R objects of stdin, at least min and at most max; *count is how many. */
static struct fx_rlist **read_rs (const char *name, size_t min, size_t max, size_t *count)
{
    size_t len, pos = 0, n = 0;
    char *buf = read_stdin (name, &len);
    struct fx_rlist **rs = NULL;

    for (;;) {
        json_error_t jerr;
        struct fx_error err;
        json_t *R;
        pos += strspn (buf + pos, " \t\r\n");
        if (pos >= len)
            break;
        if (n >= max)
            die ("%s: stdin holds more than %zu R object%s", name, max, max > 1 ? "s" : "");
        if (!(R = json_loadb (buf + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr)))
            die ("%s: R %zu: %s (line %d, column %d)", name, n + 1, jerr.text, jerr.line,
                 jerr.column);
        pos += jerr.position;
        struct fx_rlist **bigger = realloc (rs, (n + 1) * sizeof (*rs));
        if (!bigger)
            die ("%s: out of memory", name);
        rs = bigger;
        if (!(rs[n] = fx_rlist_decode (R, &err)) && max > 1)
            die ("%s: R %zu: %s", name, n + 1, err.text);
        if (!rs[n])
            die ("%s: %s", name, err.text);
        json_decref (R);
        n++;
    }
    free (buf);
    if (n < min)
        die ("%s: stdin holds %zu R object%s, expected %s%zu", name, n, n == 1 ? "" : "s",
             max > min ? "at least " : "", min);
    *count = n;
    return rs;
}

static void print_R (const char *name, const struct fx_rlist *rl)
{
    json_t *R = fx_rlist_encode (rl);
    char *s = R ? json_dumps (R, JSON_COMPACT) : NULL;

    if (!s)
        die ("%s: out of memory", name);
    printf ("%s\n", s);
    free (s);
    json_decref (R);
}

static struct fx_idset *parse_idset (const char *name, const char *opt, const char *s)
{
    struct fx_error err;
    struct fx_idset *ids = fx_idset_decode (s, &err);

    if (!ids)
        die ("%s: %s: %s", name, opt, err.text);
    return ids;
}

static struct fx_idset *local_cores (const char *name)
{
    struct fx_error err = {""};
    struct fx_idset *cores = fx_local_cores (&err);

    if (!cores)
        die ("%s: %s", name, err.text);
    return cores;
}

static struct fx_idset *local_gpus (const char *name)
{
    struct fx_error err = {""};
    struct fx_idset *gpus = fx_local_gpus (&err);

    if (!gpus)
        die ("%s: %s", name, err.text);
    return gpus;
}

struct encode_opts {
    const char *ranks, *cores, *gpus, *hosts;
    const char **props; /* NAME[:RANKS] */
    int nprops;
    bool local;
};

static void encode_set (const struct subcommand *cmd, int c, void *arg)
{
    struct encode_opts *o = arg;

    (void) cmd;
    switch (c) {
    case 'r':
        o->ranks = optarg;
        break;
    case 'c':
        o->cores = optarg;
        break;
    case 'g':
        o->gpus = optarg;
        break;
    case 'H':
        o->hosts = optarg;
        break;
    case 'p':
        o->props[o->nprops++] = optarg;
        break;
    case 'l':
        o->local = true;
        break;
    }
}

/* --property=NAME[:RANKS]: RANKS defaults to every rank. */
static void encode_property (struct fx_rlist *rl, const char *arg)
{
    const char *colon = strrchr (arg, ':');
    char *name = strndup (arg, colon ? (size_t) (colon - arg) : strlen (arg));
    struct fx_idset *ranks =
        colon ? parse_idset ("encode", "--property", colon + 1) : fx_rlist_ranks (rl);
    struct fx_error err;

    if (!name || !ranks)
        die ("encode: out of memory");
    if (fx_rlist_set_property (rl, name, ranks, &err) < 0)
        die ("encode: --property: %s", err.text);
    free (name);
    fx_idset_destroy (ranks);
}

/* The ranks: --ranks, else 0..nhosts-1, else 0. */
static struct fx_idset *encode_ranks (const struct encode_opts *o, int nhosts)
{
    struct fx_idset *ranks;

    if (o->ranks)
        return parse_idset ("encode", "--ranks", o->ranks);
    if (!(ranks = fx_idset_create ())
        || fx_idset_range_set (ranks, 0, nhosts > 0 ? nhosts - 1 : 0) < 0)
        die ("encode: out of memory");
    return ranks;
}

static int cmd_encode (const struct subcommand *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ranks", required_argument, NULL, 'r'},    {"cores", required_argument, NULL, 'c'},
        {"gpus", required_argument, NULL, 'g'},     {"hosts", required_argument, NULL, 'H'},
        {"property", required_argument, NULL, 'p'}, {"local", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    struct encode_opts o = {.props = calloc (argc, sizeof (char *))};
    struct fx_hostlist *hosts = NULL;
    struct fx_idset *ranks, *cores = NULL, *gpus = NULL;
    struct fx_rlist *rl = fx_rlist_create ();
    struct fx_error err;

    if (!o.props || !rl)
        die ("encode: out of memory");
    parse_options (cmd, argc, argv, ":r:c:g:H:p:lh", longopts, encode_set, &o);
    if (!o.cores && !o.gpus && !o.local)
        usage_error (cmd, "--cores, --gpus or --local is required");
    if (o.hosts && !(hosts = fx_hostlist_decode (o.hosts, &err)))
        die ("encode: --hosts: %s", err.text);
    if (hosts && fx_hostlist_count (hosts) == 0)
        die ("encode: --hosts: no hosts");
    ranks = encode_ranks (&o, hosts ? fx_hostlist_count (hosts) : 0);
    if (hosts && (size_t) fx_hostlist_count (hosts) != fx_idset_count (ranks))
        die ("encode: %d hosts for %zu ranks", fx_hostlist_count (hosts), fx_idset_count (ranks));
    cores = o.cores   ? parse_idset ("encode", "--cores", o.cores)
            : o.local ? local_cores ("encode")
                      : NULL;
    gpus = o.gpus    ? parse_idset ("encode", "--gpus", o.gpus)
           : o.local ? local_gpus ("encode")
                     : NULL;
    if (fx_rlist_add (rl, ranks, hosts, cores, gpus, &err) < 0)
        die ("encode: %s", err.text);
    for (int i = 0; i < o.nprops; i++)
        encode_property (rl, o.props[i]);
    print_R ("encode", rl);
    fx_rlist_destroy (rl);
    fx_idset_destroy (ranks);
    fx_idset_destroy (cores);
    fx_idset_destroy (gpus);
    fx_hostlist_destroy (hosts);
    free (o.props);
    return 0;
}

struct decode_opts {
    const char *count;
    bool ranks, nodelist, shortform, properties;
};

static void decode_set (const struct subcommand *cmd, int c, void *arg)
{
    struct decode_opts *o = arg;

    switch (c) {
    case 'c':
        if (strcmp (optarg, "core") && strcmp (optarg, "gpu") && strcmp (optarg, "node"))
            usage_error (cmd, "--count: unknown type '%s' (core, gpu or node)", optarg);
        o->count = optarg;
        break;
    case 'r':
        o->ranks = true;
        break;
    case 'n':
        o->nodelist = true;
        break;
    case 's':
        o->shortform = true;
        break;
    case 'p':
        o->properties = true;
        break;
    }
}

/* Print s (owned, NULL on failure) on a line of its own. */
static void print_owned (char *s, const char *what)
{
    if (!s)
        die ("decode: %s", what);
    printf ("%s\n", s);
    free (s);
}

static int cmd_decode (const struct subcommand *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'c'},
        {"ranks", no_argument, NULL, 'r'},
        {"nodelist", no_argument, NULL, 'n'},
        {"short", no_argument, NULL, 's'},
        {"properties", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct decode_opts o = {0};
    struct fx_rlist **rs, *rl;
    size_t n;

    parse_options (cmd, argc, argv, ":c:rnsph", longopts, decode_set, &o);
    rs = read_rs ("decode", 1, 1, &n);
    rl = rs[0];
    if (!o.count && !o.ranks && !o.nodelist && !o.shortform && !o.properties)
        print_R ("decode", rl);
    if (o.count)
        printf ("%zu\n", strcmp (o.count, "core") == 0  ? fx_rlist_ncores (rl)
                         : strcmp (o.count, "gpu") == 0 ? fx_rlist_ngpus (rl)
                                                        : fx_rlist_nnodes (rl));
    if (o.ranks) {
        struct fx_idset *ranks = fx_rlist_ranks (rl);
        print_owned (ranks ? fx_idset_encode (ranks, 0) : NULL, "out of memory");
        fx_idset_destroy (ranks);
    }
    if (o.nodelist) {
        char *s = fx_rlist_nodelist (rl);
        print_owned (s, errno == ENOENT ? "R has no nodelist" : "out of memory");
    }
    if (o.shortform)
        print_owned (fx_rlist_dumps_short (rl), "out of memory");
    for (size_t i = 0; o.properties && i < fx_rlist_nproperties (rl); i++) {
        const struct fx_idset *ranks;
        const char *name;
        fx_rlist_property_at (rl, i, &name, &ranks);
        char *s = fx_idset_encode (ranks, 0);
        printf ("%s:", name);
        print_owned (s, "out of memory");
    }
    fx_rlist_destroy (rl);
    free (rs);
    return 0;
}

/* The rank this machine stands for: the first whose host is this host name, else rank 0. */
static void verify_pick (const struct fx_rlist *rl, struct fx_rlist_node *node)
{
    char host[HOST_NAME_MAX + 1] = "";

    if (gethostname (host, sizeof (host)) < 0)
        die ("verify: gethostname: %s", strerror (errno));
    host[HOST_NAME_MAX] = '\0';
    for (size_t i = 0; i < fx_rlist_nnodes (rl); i++)
        if (fx_rlist_node_at (rl, i, node) == 0 && node->host && strcmp (node->host, host) == 0)
            return;
    if (fx_rlist_find_rank (rl, 0, node) < 0)
        die ("verify: R has no rank 0 and no rank on host %s", host);
}

/* Append ", only N of M TYPE (missing IDS)" to buf when want has ids that have lacks. */
static void verify_ids (char *buf, size_t size, const char *type, const struct fx_idset *want,
                        const struct fx_idset *have)
{
    struct fx_idset *missing = fx_idset_difference (want, have);
    char *s = missing ? fx_idset_encode (missing, 0) : NULL;
    size_t len = strlen (buf);

    if (!s)
        die ("verify: out of memory");
    if (s[0])
        snprintf (buf + len, size - len, "%sonly %zu of %zu %s (missing %s)", len ? ", " : "",
                  fx_idset_count (want) - fx_idset_count (missing), fx_idset_count (want), type, s);
    free (s);
    fx_idset_destroy (missing);
}

static int cmd_verify (const struct subcommand *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct fx_idset *cores, *gpus;
    struct fx_rlist_node node;
    struct fx_rlist **rs;
    char shortfall[512] = "";
    size_t n;

    parse_options (cmd, argc, argv, ":h", longopts, no_options, NULL);
    rs = read_rs ("verify", 1, 1, &n);
    verify_pick (rs[0], &node);
    cores = local_cores ("verify");
    gpus = local_gpus ("verify");
    verify_ids (shortfall, sizeof (shortfall), "cores", node.cores, cores);
    verify_ids (shortfall, sizeof (shortfall), "gpus", node.gpus, gpus);
    if (shortfall[0]) {
        if (node.host)
            die ("verify: rank %u (%s): %s", node.rank, node.host, shortfall);
        die ("verify: rank %u: %s", node.rank, shortfall);
    }
    fx_idset_destroy (cores);
    fx_idset_destroy (gpus);
    fx_rlist_destroy (rs[0]);
    free (rs);
    return 0;
}

/* append, diff, intersect: fold the operation over the R objects of stdin. */
static int cmd_combine (const struct subcommand *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    struct fx_rlist **rs, *acc;
    struct fx_error err;
    size_t n;

    parse_options (cmd, argc, argv, ":h", longopts, no_options, NULL);
    rs = read_rs (cmd->name, 2, SIZE_MAX, &n);
    acc = rs[0];
    for (size_t i = 1; i < n; i++) {
        struct fx_rlist *next = strcmp (cmd->name, "append") == 0
                                    ? fx_rlist_append (acc, rs[i], &err)
                                : strcmp (cmd->name, "diff") == 0 ? fx_rlist_diff (acc, rs[i])
                                                                  : fx_rlist_intersect (acc, rs[i]);
        if (!next)
            die ("%s: %s", cmd->name, errno == ENOMEM ? "out of memory" : err.text);
        fx_rlist_destroy (acc);
        fx_rlist_destroy (rs[i]);
        acc = next;
    }
    print_R (cmd->name, acc);
    fx_rlist_destroy (acc);
    free (rs);
    return 0;
}

int main (int argc, char **argv)
{
    const struct subcommand *cmd;

    if (argc < 2)
        usage_error (NULL, "missing command");
    if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0) {
        fputs (usage_text, stdout);
        return 0;
    }
    for (cmd = subcommands; cmd->name && strcmp (cmd->name, argv[1]) != 0; cmd++)
        ;
    if (!cmd->name)
        usage_error (NULL, "unknown command '%s'", argv[1]);
    if (cmd->run (cmd, argc - 1, argv + 1) != 0)
        return 1;
    if (fflush (stdout) != 0 || ferror (stdout))
        die ("stdout: %s", strerror (errno));
    return 0;
}
