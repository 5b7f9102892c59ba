/* kvs.h - the parts of `flux kvs` (cli/flux-kvs.c and cli/kvs-*.c) and what they share.
 *
 * flux-kvs.c   main, the subcommand table, options, requests, values: put, get, unlink,
 *              mkdir
 * kvs-list.c   ls and dir (kvs.dir, page after page)
 * kvs-event.c  watches (kvs.watch) and eventlogs: eventlog get, append, wait-event
 * kvs-admin.c  namespace create/remove/list, version, stats
 *
 * Errors end the command: kvs_die() prints "flux-kvs: message" and exits 1, kvs_usage()
 * prints the current subcommand's usage and exits 2.
 */
#ifndef FX_CLI_KVS_H
#define FX_CLI_KVS_H

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>

#include "services/peer.h"

/* Seconds to wait for kvsd.  Longer than kvsd's own database timeout (kvs.db-timeout, 10 s
 * by default), so that a database outage is reported in kvsd's words rather than as a
 * timeout of ours. */
#define KVS_TIMEOUT 15.0

/* Significant digits of reals printed as JSON: enough for a timestamp in microseconds,
 * and 0.1 prints as 0.1. */
#define KVS_REAL_DIGITS 16

struct kvs;

/* One subcommand (or a group of them, like `eventlog`, with sub set). */
struct kvs_cmd {
    const char *name;
    int (*fn) (struct kvs *k, int argc, char **argv); /* argv[0] is the name */
    const char *synopsis;                             /* "put [-r] KEY=VALUE..." */
    const char *options;                              /* one line per option, or NULL */
    const struct kvs_cmd *sub;                        /* a group's subcommands */
};

struct kvs {
    struct fx_peer *p;         /* connected on first use */
    const char *ns;            /* -N, --namespace */
    const char *group;         /* "eventlog" while running `eventlog get`, or NULL */
    const struct kvs_cmd *cmd; /* the subcommand running, for its usage */
};

/* Output formats of eventlog events. */
enum kvs_evfmt {
    KVS_EV_TEXT,  /* 1552593348.073045 submit urgency=16 userid=0 */
    KVS_EV_HUMAN, /* 2019-03-14T19:55:48.073045 submit urgency=16 userid=0 (local time) */
    KVS_EV_JSON,  /* {"timestamp":1552593348.073045,"name":"submit","context":{...}} */
};

/* Called for each answer of a watch.  Returns 0 for more, 1 when done, -1 when done with
 * an error (already printed). */
typedef int (*kvs_watch_f) (json_t *entry, void *arg);

/* flux-kvs.c */
void kvs_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
void kvs_usage (struct kvs *k) __attribute__ ((noreturn));
/* p, or die of ENOMEM when it is NULL. */
void *kvs_oom (void *p);
/* getopt_long() with -N/--namespace and -h/--help handled; returns the other options, -1
 * at the end.  Reset optind to 0 before the first call. */
int kvs_getopt (struct kvs *k, int argc, char **argv, const char *shortopts,
                const struct option *longopts);
/* N >= 1 (-c, --count), else a usage error. */
long kvs_parse_count (struct kvs *k, const char *s);
struct ev_loop *kvs_loop (struct kvs *k);
struct fx_peer *kvs_peer (struct kvs *k);
/* Send a request (in is stolen; NULL is taken for ENOMEM) and wait for the answer.
 * kvs_try() returns -1 with errno and err; kvs_rpc() dies with kvsd's message. */
int kvs_try (struct kvs *k, const char *topic, json_t *in, json_t **out, struct fx_error *err);
json_t *kvs_rpc (struct kvs *k, const char *topic, json_t *in);
/* kvs.get of key from event `from`; dies on error.  Caller owns the entry. */
json_t *kvs_get (struct kvs *k, const char *key, json_int_t from);
/* The entry's type ("json", "raw", "dir", "eventlog"), "" when missing. */
const char *kvs_entry_type (const json_t *entry);
/* Commit ops (stolen) in one transaction; dies on error. */
void kvs_commit (struct kvs *k, json_t *ops);
/* Compact JSON text of v (reals with KVS_REAL_DIGITS).  Caller frees. */
char *kvs_json_text (const json_t *v);
/* Print v then end: a string bare, anything else as compact JSON. */
void kvs_print_json (const json_t *v, const char *end);

/* kvs-list.c */
int kvs_cmd_ls (struct kvs *k, int argc, char **argv);
int kvs_cmd_dir (struct kvs *k, int argc, char **argv);

/* kvs-event.c */
/* Watch key (kvs.watch from event `from`) and call cb with each answer until it says
 * done, the stream ends (ENODATA: 0; another error: printed, 1) or timeout seconds pass
 * (timeout > 0: timeout_msg is printed and 1 returned).  Returns 0 or 1 (exit status). */
int kvs_watch (struct kvs *k, const char *key, json_int_t from, int waitcreate,
               double timeout, const char *timeout_msg, kvs_watch_f cb, void *arg);
/* Print an entry's events, each on its own line, in fmt. */
void kvs_print_events (const json_t *events, enum kvs_evfmt fmt);
/* Print every event of the eventlog entry (kvs.get's answer for key), asking for the next
 * page while there are more. */
void kvs_eventlog_pages (struct kvs *k, const char *key, json_t *entry, enum kvs_evfmt fmt);
extern const struct kvs_cmd kvs_eventlog_cmds[];

/* kvs-admin.c */
extern const struct kvs_cmd kvs_namespace_cmds[];
int kvs_cmd_version (struct kvs *k, int argc, char **argv);
int kvs_cmd_stats (struct kvs *k, int argc, char **argv);

#endif
