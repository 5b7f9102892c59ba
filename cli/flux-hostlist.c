/* flux-hostlist.c - "flux hostlist": combine, transform and print RFC 29 hostlists.
 *
 * Reads hostlists from the command line, or whitespace-separated from stdin when there are
 * none (or for an argument "-"), joins them in order, applies --minus, --union or --sort,
 * then --nth, and prints the result compressed, expanded or counted.  It talks only to the
 * services hostlist and idset modules.  Any error prints "flux-hostlist: message" and exits
 * 1; a usage error prints usage and exits 2.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"
#include "services/idset.h"

struct options {
    bool expand, count, sort, uniq, minus, quiet;
    const char *delimiter; /* joins expanded hosts; NULL = one per line */
    const char *nth;       /* index or idset of indices to keep */
};

static const char usage_text[] =
    "Usage: flux hostlist [OPTIONS] [HOSTLIST...]\n"
    "Combine hostlists (from the arguments, or whitespace-separated on stdin when there are\n"
    "none or for an argument \"-\") and print the result as a compressed hostlist.\n"
    "\n"
    "  -e, --expand          print one host per line\n"
    "  -d, --delimiter=S     print hosts separated by S (implies --expand)\n"
    "  -c, --count           print the number of hosts\n"
    "  -n, --nth=IDX         keep only the host at index IDX (0-based; negative counts from\n"
    "                        the end) or the hosts at an idset of indices, e.g. 0-2,5\n"
    "  -s, --sort            sort hosts\n"
    "  -u, --union           sort hosts and remove duplicates\n"
    "  -m, --minus           remove the hosts of the other hostlists from the first\n"
    "  -q, --quiet           print nothing; exit 0 if the result is non-empty, else 1\n"
    "  -h, --help            print this help\n";

static const struct option longopts[] = {
    {"expand", no_argument, NULL, 'e'}, {"delimiter", required_argument, NULL, 'd'},
    {"count", no_argument, NULL, 'c'},  {"nth", required_argument, NULL, 'n'},
    {"sort", no_argument, NULL, 's'},   {"union", no_argument, NULL, 'u'},
    {"minus", no_argument, NULL, 'm'},  {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
};

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void die (const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "flux-hostlist: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

/* Report a bad option and exit 2.  arg is the argument getopt was working on: a long
 * option is named by it, a short one by optopt. */
static void usage_error (const char *what, const char *arg) __attribute__ ((noreturn));

static void usage_error (const char *what, const char *arg)
{
    if (strncmp (arg, "--", 2) == 0)
        fprintf (stderr, "flux-hostlist: %s '%.*s'\n", what, (int) strcspn (arg, "="), arg);
    else
        fprintf (stderr, "flux-hostlist: %s '-%c'\n", what, optopt);
    fputs (usage_text, stderr);
    exit (2);
}

static void parse_options (int argc, char **argv, struct options *opt)
{
    int c, arg = optind;

    opterr = 0; /* getopt would name argv[0]; we say "flux-hostlist" */
    for (; (c = getopt_long (argc, argv, ":ed:cn:sumqh", longopts, NULL)) != -1; arg = optind) {
        switch (c) {
        case 'e':
            opt->expand = true;
            break;
        case 'd':
            opt->expand = true;
            opt->delimiter = optarg;
            break;
        case 'c':
            opt->count = true;
            break;
        case 'n':
            opt->nth = optarg;
            break;
        case 's':
            opt->sort = true;
            break;
        case 'u':
            opt->uniq = true;
            break;
        case 'm':
            opt->minus = true;
            break;
        case 'q':
            opt->quiet = true;
            break;
        case 'h':
            fputs (usage_text, stdout);
            exit (0);
        case ':':
            usage_error ("missing argument to option", argv[arg]);
            break;
        default:
            if (strncmp (argv[arg], "--", 2) == 0 && strchr (argv[arg], '=') && optopt)
                usage_error ("no argument allowed to option", argv[arg]);
            usage_error ("unknown option", argv[arg]);
        }
    }
}

/* Append s to the result, or to the list to subtract for --minus after the first input. */
static void add_input (struct fx_hostlist *hl, struct fx_hostlist *minus, int *ninputs,
                       const char *s)
{
    struct fx_error err;

    if (fx_hostlist_append (minus && *ninputs > 0 ? minus : hl, s, &err) < 0)
        die ("%s", err.text);
    (*ninputs)++;
}

/* Add each whitespace-separated word of stdin as an input. */
static void read_stdin (struct fx_hostlist *hl, struct fx_hostlist *minus, int *ninputs)
{
    char *word = NULL;
    size_t len = 0, alloc = 0;
    int c;

    do {
        c = getchar ();
        if (c == EOF || isspace (c)) {
            if (len > 0) {
                word[len] = '\0';
                add_input (hl, minus, ninputs, word);
                len = 0;
            }
            continue;
        }
        if (len + 2 > alloc) {
            char *bigger = realloc (word, alloc = alloc * 2 + 64);
            if (!bigger)
                die ("out of memory");
            word = bigger;
        }
        word[len++] = c;
    } while (c != EOF);
    if (ferror (stdin))
        die ("stdin: %s", strerror (errno));
    free (word);
}

/* The indices named by --nth: an idset, or "-N" for the N-th host from the end. */
static struct fx_idset *parse_nth (const char *arg, int count)
{
    struct fx_idset *ids;
    struct fx_error err;
    char *end;
    long back;

    if (arg[0] != '-') {
        if (!(ids = fx_idset_decode (arg, &err)))
            die ("invalid index: %s", err.text);
        return ids;
    }
    errno = 0;
    back = strtol (arg + 1, &end, 10);
    if (errno != 0 || end == arg + 1 || *end != '\0' || arg[1] < '0' || arg[1] > '9')
        die ("invalid index '%s'", arg);
    if (back < 1 || back > count)
        die ("index %s is out of range (%d hosts)", arg, count);
    if (!(ids = fx_idset_create ()) || fx_idset_set (ids, count - back) < 0)
        die ("out of memory");
    return ids;
}

/* Keep only the hosts of hl at the indices named by --nth, in index order. */
static struct fx_hostlist *select_nth (struct fx_hostlist *hl, const char *arg)
{
    struct fx_hostlist *out = fx_hostlist_create ();
    int count = fx_hostlist_count (hl);
    struct fx_idset *ids = parse_nth (arg, count);
    struct fx_error err;

    if (!out)
        die ("out of memory");
    if (fx_idset_count (ids) > 0 && fx_idset_last (ids) >= (unsigned int) count)
        die ("index %u is out of range (%d hosts)", fx_idset_last (ids), count);
    for (unsigned int i = fx_idset_first (ids); i != FX_IDSET_INVALID_ID;
         i = fx_idset_next (ids, i))
        if (fx_hostlist_append (out, fx_hostlist_nth (hl, i), &err) < 0)
            die ("%s", err.text);
    fx_idset_destroy (ids);
    fx_hostlist_destroy (hl);
    return out;
}

static void print_result (struct fx_hostlist *hl, const struct options *opt)
{
    int count = fx_hostlist_count (hl);
    char *s;

    if (opt->count)
        printf ("%d\n", count);
    else if (opt->expand) {
        for (int i = 0; i < count; i++)
            printf ("%s%s", fx_hostlist_nth (hl, i),
                    !opt->delimiter ? "\n"
                    : i + 1 < count ? opt->delimiter
                                    : "\n");
    } else {
        if (!(s = fx_hostlist_encode (hl)))
            die ("out of memory");
        printf ("%s\n", s);
        free (s);
    }
}

int main (int argc, char **argv)
{
    struct options opt = {0};
    struct fx_hostlist *hl, *minus = NULL;
    int ninputs = 0;
    int rc = 0;

    parse_options (argc, argv, &opt);
    if (!(hl = fx_hostlist_create ()) || (opt.minus && !(minus = fx_hostlist_create ())))
        die ("out of memory");
    if (optind == argc)
        read_stdin (hl, minus, &ninputs);
    for (int i = optind; i < argc; i++) {
        if (strcmp (argv[i], "-") == 0)
            read_stdin (hl, minus, &ninputs);
        else
            add_input (hl, minus, &ninputs, argv[i]);
    }
    if (minus && fx_hostlist_minus (hl, minus) < 0)
        die ("out of memory");
    if ((opt.uniq && fx_hostlist_uniq (hl) < 0) || (opt.sort && fx_hostlist_sort (hl) < 0))
        die ("out of memory");
    if (opt.nth)
        hl = select_nth (hl, opt.nth);
    if (opt.quiet)
        rc = fx_hostlist_count (hl) > 0 ? 0 : 1;
    else
        print_result (hl, &opt);
    fx_hostlist_destroy (hl);
    fx_hostlist_destroy (minus);
    if (fflush (stdout) != 0 || ferror (stdout))
        die ("stdout: %s", strerror (errno));
    return rc;
}
