/* resource.h - the parts of `flux resource` (cli/flux-resource.c and cli/resource-*.c) and
 * what they share.
 *
 * flux-resource.c    main, the subcommand table, options, requests, the STATUS answer of
 *                    resource.status decoded into sets; info and R
 * resource-status.c  status and list: states, their sets, one line per state
 * resource-drain.c   drain (the list of drained ranks, or drain TARGETS) and undrain
 * resource-format.c  output formats: "{state:>9} {nnodes:>6} ..." over rows of fields
 *
 * Errors end the command: res_die() prints "flux-resource: SUBCOMMAND: message" and exits 1,
 * res_usage() prints the subcommand's usage and exits 2.
 */
#ifndef FX_CLI_RESOURCE_H
#define FX_CLI_RESOURCE_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>

#include "services/idset.h"
#include "services/peer.h"
#include "services/rlist.h"

/* Seconds to wait for resourced: rank 0's resourced may be busy with kvsd, whose own
 * database timeout is 10 s (the reason flux kvs waits 15 s too). */
#define RES_TIMEOUT 15.0

struct resource;

/* One subcommand. */
struct res_cmd {
    const char *name;
    int (*fn) (struct resource *r, int argc, char **argv); /* argv[0] is the name */
    const char *synopsis;                                  /* "status [-s STATES] ..." */
    const char *options;                                   /* one line per option, or NULL */
};

struct resource {
    struct fx_peer *p;         /* connected on first use */
    const char *service;       /* "resource", or $FLUX_RESOURCE_SERVICE (tests) */
    const struct res_cmd *cmd; /* the subcommand running, for messages and usage */
};

/* rank 0's STATUS (doc/resource.md), decoded and checked, with the sets the states are made
 * of.  Every set holds ranks below size. */
struct res_status {
    json_t *answer;             /* the whole answer */
    unsigned int size;          /* ranks in the instance */
    char **hosts;               /* host of each rank, size of them */
    struct fx_rlist *R;         /* the ranks known so far */
    const json_t *drains;       /* "RANK": {"timestamp", "reason"?}, borrowed from answer */
    struct fx_idset *all;       /* 0..size-1 */
    struct fx_idset *online;    /* said hello and still there */
    struct fx_idset *offline;   /* all - online */
    struct fx_idset *exclude;   /* resource.exclude */
    struct fx_idset *torpid;    /* online but silent */
    struct fx_idset *drained;   /* drained, nothing allocated there */
    struct fx_idset *draining;  /* drained while still in use */
    struct fx_idset *drain;     /* drained | draining */
    struct fx_idset *allocated; /* given to jobs */
    struct fx_rlist *alloc_R;   /* the cores and GPUs given to jobs, NULL when not known */
    struct fx_idset *avail;     /* all - exclude - drain */
};

/* The fields a format may name; a row holds one string per field. */
enum res_field {
    RES_F_STATE,
    RES_F_NNODES,
    RES_F_NCORES,
    RES_F_NGPUS,
    RES_F_RANKS,
    RES_F_NODELIST,
    RES_F_RLIST,
    RES_F_TIMESTAMP,
    RES_F_REASON,
    RES_F_COUNT,
};
#define RES_F_BIT(f) (1u << (f))

struct res_row {
    char *v[RES_F_COUNT]; /* owned; NULL prints as "" */
};

struct res_format;

/* flux-resource.c */
void res_die (struct resource *r, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));
void res_usage (struct resource *r) __attribute__ ((noreturn));
/* p, or die of ENOMEM when it is NULL. */
void *res_oom (struct resource *r, void *p);
/* getopt_long() with -h/--help handled (usage on stdout, exit 0) and bad options a usage
 * error; returns the other options, -1 at the end.  Reset optind to 0 before the first
 * call. */
int res_getopt (struct resource *r, int argc, char **argv, const char *shortopts,
                const struct option *longopts);
/* Send SERVICE.method (in is stolen; NULL is taken for ENOMEM) to rank 0 and wait at most
 * RES_TIMEOUT for the answer; dies with the service's message.  Caller owns the answer. */
json_t *res_rpc (struct resource *r, const char *method, json_t *in);
/* resource.status, decoded; dies on error.  res_status_destroy() accepts NULL. */
struct res_status *res_status_get (struct resource *r);
void res_status_destroy (struct res_status *st);
/* The hosts of ranks as a compressed hostlist, the resources of ranks from R, the set as a
 * string.  Die on ENOMEM; the caller frees or destroys the result. */
char *res_nodelist (struct resource *r, const struct res_status *st, const struct fx_idset *ranks);
struct fx_rlist *res_subset (struct resource *r, const struct res_status *st,
                             const struct fx_idset *ranks);
char *res_idset_str (struct resource *r, const struct fx_idset *ids);
/* A new set (dies on ENOMEM). */
struct fx_idset *res_diff (struct resource *r, const struct fx_idset *a, const struct fx_idset *b);
struct fx_idset *res_union (struct resource *r, const struct fx_idset *a, const struct fx_idset *b);
/* printf into a new string (dies on ENOMEM). */
char *res_printf (struct resource *r, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* resource-format.c */
/* Parse fmt: text with "{field}", "{field:[<>^]N}" and "{+:field...}" (the column grows to
 * its widest value), "{{" and "}}" for braces.  Fields not in the mask allowed are errors.
 * NULL with a message in err on failure. */
struct res_format *res_format_parse (const char *fmt, unsigned int allowed, struct fx_error *err);
void res_format_destroy (struct res_format *f);
/* Print header (borrowed: a string constant) above field instead of its upper-case name. */
void res_format_header (struct res_format *f, enum res_field field, const char *header);
/* Print rows (a header first unless noheader), each line without trailing spaces. */
void res_format_print (const struct res_format *f, const struct res_row *rows, size_t nrows,
                       int noheader);
/* Free the strings of rows[0..n-1] and rows. */
void res_rows_free (struct res_row *rows, size_t n);
/* The format fmt, or die: "flux-resource: SUBCOMMAND: message". */
struct res_format *res_format_get (struct resource *r, const char *fmt, unsigned int allowed);

/* resource-status.c */
int res_cmd_status (struct resource *r, int argc, char **argv);
int res_cmd_list (struct resource *r, int argc, char **argv);

/* resource-drain.c */
int res_cmd_drain (struct resource *r, int argc, char **argv);
int res_cmd_undrain (struct resource *r, int argc, char **argv);

#endif
