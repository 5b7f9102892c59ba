/* kvs-event.c - watches and eventlogs: `flux kvs eventlog get|append|wait-event`.
 *
 * A watch is one streaming kvs.watch request: the first answer is the entry as it is (or,
 * with waitcreate, once it exists), then one answer per commit that changes it; for an
 * eventlog each answer carries only the events not sent yet.  The command runs the loop
 * until its callback has seen enough, then cancels the request (kvs.cancel); the stream
 * may also end on its own (unlinked key: kvsd's error is printed).  Eventlogs read without
 * a watch come a page at a time from kvs.get, asking again from seq + len(events).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/fsd.h"
#include "cli/kvs.h"

/* Watches */

struct watch {
    kvs_watch_f cb;
    void *arg;
    struct fx_rpc *rpc; /* NULL once the stream ended or was cancelled */
    const char *timeout_msg;
    int done, rc;
};

static void watch_end (struct watch *w, int rc)
{
    fx_rpc_cancel (w->rpc);
    w->rpc = NULL;
    w->done = 1;
    w->rc = rc;
}

static void watch_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct watch *w = arg;
    struct fx_error err = {""};
    int errnum = fx_msg_errnum (rsp);
    const char *why;
    json_t *entry;
    int rc;

    (void) rpc;
    if (errnum) {
        w->rpc = NULL; /* the final answer: the library frees the request */
        w->done = 1;
        if (errnum != ENODATA) {
            why = fx_msg_errstr (rsp);
            fflush (stdout);
            fprintf (stderr, "flux-kvs: %s\n", why ? why : strerror (errnum));
            w->rc = 1;
        }
        return;
    }
    if (!(entry = fx_msg_json (rsp, &err))) {
        fprintf (stderr, "flux-kvs: kvs.watch: %s\n", err.text);
        rc = -1;
    }
    else
        rc = w->cb (entry, w->arg);
    fflush (stdout);
    if (rc != 0)
        watch_end (w, rc < 0);
}

static void watch_timeout_cb (struct ev_loop *loop, ev_timer *t, int revents)
{
    struct watch *w = t->data;

    (void) loop;
    (void) revents;
    fflush (stdout);
    fprintf (stderr, "flux-kvs: %s\n", w->timeout_msg);
    watch_end (w, 1);
}

int kvs_watch (struct kvs *k, const char *key, json_int_t from, int waitcreate,
               double timeout, const char *timeout_msg, kvs_watch_f cb, void *arg)
{
    struct ev_loop *loop = kvs_loop (k);
    struct watch w = {.cb = cb, .arg = arg, .timeout_msg = timeout_msg};
    ev_timer timer;
    json_t *in;

    in = kvs_oom (json_pack ("{s:s s:s s:b}", "namespace", k->ns, "key", key, "waitcreate",
                             waitcreate));
    if (from > 0)
        json_object_set_new (in, "from", json_integer (from));
    /* The first answer of a key that exists comes at once; one that waits for the key to
     * be created may take as long as it takes. */
    w.rpc = fx_rpc_start (kvs_peer (k), "kvs.watch", FX_NODEID_ANY, FX_MSGFLAG_STREAMING, in,
                          waitcreate ? 0 : KVS_TIMEOUT, watch_cb, &w);
    json_decref (in);
    if (!w.rpc)
        kvs_die ("kvs.watch: %s", strerror (errno));
    ev_timer_init (&timer, watch_timeout_cb, timeout, 0.);
    timer.data = &w;
    if (timeout >= 0 && !isinf (timeout))
        ev_timer_start (loop, &timer);
    while (!w.done)
        ev_run (loop, EVRUN_ONCE);
    ev_timer_stop (loop, &timer);
    return w.rc;
}

/* Events */

static void print_timestamp (double t, enum kvs_evfmt fmt)
{
    char buf[64];
    time_t sec;
    long usec;
    struct tm tm;

    if (fmt != KVS_EV_HUMAN) {
        printf ("%.6f", t);
        return;
    }
    sec = (time_t) floor (t);
    usec = lround ((t - floor (t)) * 1e6);
    if (usec >= 1000000) {
        sec++;
        usec -= 1000000;
    }
    if (!localtime_r (&sec, &tm) || !strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
        printf ("%.6f", t);
        return;
    }
    printf ("%s.%06ld", buf, usec);
}

/* One event: TIMESTAMP NAME KEY=VALUE... (context values as JSON, strings bare), or its
 * JSON. */
static void print_event (const json_t *ev, enum kvs_evfmt fmt)
{
    json_t *context = json_object_get (ev, "context"), *v;
    const char *name;

    if (fmt == KVS_EV_JSON) {
        kvs_print_json (ev, "\n");
        return;
    }
    print_timestamp (json_number_value (json_object_get (ev, "timestamp")), fmt);
    printf (" %s", json_string_value (json_object_get (ev, "name")) ?: "");
    json_object_foreach (context, name, v) {
        printf (" %s=", name);
        kvs_print_json (v, "");
    }
    printf ("\n");
}

void kvs_print_events (const json_t *events, enum kvs_evfmt fmt)
{
    json_t *ev;
    size_t i;

    json_array_foreach (events, i, ev)
        print_event (ev, fmt);
}

static void check_eventlog (const char *key, const json_t *entry)
{
    if (strcmp (kvs_entry_type (entry), "eventlog") != 0)
        kvs_die ("%s: Not an eventlog", key);
}

void kvs_eventlog_pages (struct kvs *k, const char *key, json_t *entry, enum kvs_evfmt fmt)
{
    json_t *page = json_incref (entry), *events;
    json_int_t seq, count;
    size_t n;

    for (;;) {
        check_eventlog (key, page);
        events = json_object_get (page, "events");
        n = json_array_size (events);
        seq = json_integer_value (json_object_get (page, "seq"));
        count = json_integer_value (json_object_get (page, "count"));
        kvs_print_events (events, fmt);
        json_decref (page);
        if (n == 0 || seq + (json_int_t) n >= count)
            break;
        page = kvs_get (k, key, seq + n);
    }
}

/* eventlog get */

struct evget {
    const char *key;
    enum kvs_evfmt fmt;
    long count; /* events still to print; < 0: no limit */
};

static int evget_cb (json_t *entry, void *arg)
{
    struct evget *g = arg;
    json_t *ev;
    size_t i;

    if (strcmp (kvs_entry_type (entry), "eventlog") != 0) {
        fprintf (stderr, "flux-kvs: %s: Not an eventlog\n", g->key);
        return -1;
    }
    json_array_foreach (json_object_get (entry, "events"), i, ev) {
        print_event (ev, g->fmt);
        if (g->count > 0 && --g->count == 0)
            return 1;
    }
    return 0;
}

static enum kvs_evfmt parse_format (struct kvs *k, enum kvs_evfmt fmt, enum kvs_evfmt opt)
{
    if (fmt != KVS_EV_TEXT && fmt != opt)
        kvs_usage (k); /* -u and -H together */
    return opt;
}

static int cmd_get (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"watch", no_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'c'},
        {"unformatted", no_argument, NULL, 'u'},
        {"human", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    struct evget g = {.fmt = KVS_EV_TEXT, .count = -1};
    int watch = 0, c;
    json_t *entry;

    while ((c = kvs_getopt (k, argc, argv, "wc:uH", opts)) != -1) {
        switch (c) {
        case 'w': watch = 1; break;
        case 'c': g.count = kvs_parse_count (k, optarg); break;
        case 'u': g.fmt = parse_format (k, g.fmt, KVS_EV_JSON); break;
        case 'H': g.fmt = parse_format (k, g.fmt, KVS_EV_HUMAN); break;
        }
    }
    if (argc - optind != 1 || (g.count > 0 && !watch))
        kvs_usage (k);
    g.key = argv[optind];
    if (watch)
        return kvs_watch (k, g.key, 0, 1, -1, NULL, evget_cb, &g);
    entry = kvs_get (k, g.key, 0);
    kvs_eventlog_pages (k, g.key, entry, g.fmt);
    json_decref (entry);
    return 0;
}

/* eventlog append */

static int cmd_append (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"timestamp", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    double timestamp = 0;
    json_t *event, *context;
    char *end;
    int c;

    while ((c = kvs_getopt (k, argc, argv, "t:", opts)) != -1) {
        timestamp = strtod (optarg, &end);
        if (end == optarg || *end || !isfinite (timestamp) || timestamp <= 0)
            kvs_usage (k);
    }
    if (argc - optind < 2 || argc - optind > 3)
        kvs_usage (k);
    event = kvs_oom (json_pack ("{s:s}", "name", argv[optind + 1]));
    if (timestamp > 0)
        json_object_set_new (event, "timestamp", json_real (timestamp));
    if (argc - optind == 3) {
        if (!(context = json_loads (argv[optind + 2], 0, NULL)) || !json_is_object (context)) {
            json_decref (context);
            json_decref (event);
            kvs_die ("%s: the context is not a JSON object", argv[optind + 2]);
        }
        json_object_set_new (event, "context", context);
    }
    kvs_commit (k, kvs_oom (json_pack ("[{s:s s:s s:o}]", "op", "append", "key", argv[optind],
                                       "event", event)));
    return 0;
}

/* eventlog wait-event */

struct waitev {
    const char *key, *name;
    enum kvs_evfmt fmt;
    int quiet, verbose;
};

static int waitev_cb (json_t *entry, void *arg)
{
    struct waitev *we = arg;
    const char *name;
    json_t *ev;
    size_t i;

    if (strcmp (kvs_entry_type (entry), "eventlog") != 0) {
        fprintf (stderr, "flux-kvs: %s: Not an eventlog\n", we->key);
        return -1;
    }
    json_array_foreach (json_object_get (entry, "events"), i, ev) {
        name = json_string_value (json_object_get (ev, "name"));
        if (name && !strcmp (name, we->name)) {
            if (!we->quiet)
                print_event (ev, we->fmt);
            return 1;
        }
        if (we->verbose)
            print_event (ev, we->fmt);
    }
    return 0;
}

static int cmd_wait_event (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"unformatted", no_argument, NULL, 'u'},
        {"human", no_argument, NULL, 'H'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    struct waitev we = {.fmt = KVS_EV_TEXT};
    struct fx_error err = {""};
    double timeout = -1;
    char msg[512];
    int c;

    while ((c = kvs_getopt (k, argc, argv, "t:uHqv", opts)) != -1) {
        switch (c) {
        case 't':
            if (fx_fsd_parse (optarg, &timeout, &err) < 0) {
                fprintf (stderr, "flux-kvs: %s\n", err.text);
                kvs_usage (k);
            }
            break;
        case 'u': we.fmt = parse_format (k, we.fmt, KVS_EV_JSON); break;
        case 'H': we.fmt = parse_format (k, we.fmt, KVS_EV_HUMAN); break;
        case 'q': we.quiet = 1; break;
        case 'v': we.verbose = 1; break;
        }
    }
    if (argc - optind != 2)
        kvs_usage (k);
    we.key = argv[optind];
    we.name = argv[optind + 1];
    snprintf (msg, sizeof (msg), "wait-event timeout on event '%s'", we.name);
    return kvs_watch (k, we.key, 0, 1, timeout, msg, waitev_cb, &we);
}

const struct kvs_cmd kvs_eventlog_cmds[] = {
    {"get", cmd_get, "get [-w [-c N]] [-u|-H] KEY",
     "  print the events of eventlog KEY: TIMESTAMP NAME KEY=VALUE...\n"
     "  -w, --watch          then print new events as they come (waits for KEY to exist)\n"
     "  -c, --count=N        with --watch, stop after N events\n"
     "  -u, --unformatted    print each event as it is stored (JSON)\n"
     "  -H, --human          print timestamps as local date and time\n", NULL},
    {"append", cmd_append, "append [-t SECS] KEY NAME [CONTEXT]",
     "  append event NAME to eventlog KEY (created if missing); CONTEXT is a JSON object\n"
     "  -t, --timestamp=SECS the event's time in seconds since the epoch (default: now)\n", NULL},
    {"wait-event", cmd_wait_event, "wait-event [-t FSD] [-u|-H] [-q] [-v] KEY EVENT",
     "  wait for an event named EVENT in eventlog KEY (waits for KEY to exist), print it\n"
     "  -t, --timeout=FSD    give up after this long (30s, 5m...)\n"
     "  -u, --unformatted    print events as they are stored (JSON)\n"
     "  -H, --human          print timestamps as local date and time\n"
     "  -q, --quiet          print nothing\n"
     "  -v, --verbose        print the events before EVENT too\n", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
