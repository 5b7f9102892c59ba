/* kvswriter.c - concurrent KVS writers for integration tests, and their verification.
 *
 *   kvswriter write CLIENTS KEYS SECONDS [PREFIX]
 *       CLIENTS connections each commit transactions one after another for SECONDS: client
 *       c's transaction i puts PREFIX.c<c>.k0 .. k<KEYS-1> = i, puts PREFIX.c<c>.last = i and
 *       appends {"name": "txn", "context": {"i": i}} to PREFIX.c<c>.log.  A failed commit
 *       (kvsd down, database restarting) is counted, not retried: the next one uses i+1.
 *       Prints "acked C N" per client (N = the highest acknowledged i + 1) and
 *       "total ACKED FAILED".
 *   kvswriter verify CLIENTS KEYS [PREFIX] < output-of-write
 *       For every client: its log's i values increase strictly and include every
 *       acknowledged i; last >= the highest acknowledged i; every k<j> equals last (a
 *       transaction is never half applied).  Prints "ok" or one line per violation; exit 1
 *       on any.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/peer.h"

#define MAX_CLIENTS 256

struct client {
    struct writer *w;
    struct fx_peer *peer;
    int id;
    long next;        /* the next transaction number */
    long acked_max;   /* highest acknowledged, -1 for none */
    char acked[4096]; /* bitmap of acknowledged transactions below 32768 */
    ev_timer pause;   /* after a failure: 10 ms before the next transaction */
};

struct writer {
    struct ev_loop *loop;
    int keys;
    const char *prefix;
    double end;
    long total, failed;
    int running;
    struct client clients[MAX_CLIENTS];
};

static void send_txn (struct client *c);

static void pause_cb (struct ev_loop *loop, ev_timer *t, int revents)
{
    (void) loop;
    (void) revents;
    send_txn (t->data);
}

static void commit_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct client *c = arg;
    long i = c->next - 1;

    (void) rpc;
    if (fx_msg_errnum (rsp) == 0) {
        c->w->total++;
        c->acked_max = i;
        if (i < (long) sizeof (c->acked) * 8)
            c->acked[i / 8] |= (char) (1 << (i % 8));
    } else
        c->w->failed++;
    if (ev_now (c->w->loop) < c->w->end && fx_msg_errnum (rsp) != 0) {
        ev_timer_init (&c->pause, pause_cb, 0.01, 0.);
        c->pause.data = c;
        ev_timer_start (c->w->loop, &c->pause);
    } else if (ev_now (c->w->loop) < c->w->end)
        send_txn (c);
    else if (--c->w->running == 0)
        ev_break (c->w->loop, EVBREAK_ALL);
}

static void send_txn (struct client *c)
{
    char key[256];
    json_t *ops = json_array (), *o;
    long i = c->next++;

    for (int j = 0; j < c->w->keys; j++) {
        snprintf (key, sizeof (key), "%s.c%d.k%d", c->w->prefix, c->id, j);
        json_array_append_new (
            ops, json_pack ("{s:s s:s s:i}", "op", "put", "key", key, "value", (int) i));
    }
    snprintf (key, sizeof (key), "%s.c%d.last", c->w->prefix, c->id);
    json_array_append_new (ops,
                           json_pack ("{s:s s:s s:i}", "op", "put", "key", key, "value", (int) i));
    snprintf (key, sizeof (key), "%s.c%d.log", c->w->prefix, c->id);
    json_array_append_new (ops, json_pack ("{s:s s:s s:{s:s s:{s:i}}}", "op", "append", "key", key,
                                           "event", "name", "txn", "context", "i", (int) i));
    o = json_pack ("{s:o}", "ops", ops);
    if (!fx_rpc_start (c->peer, "kvs.commit", FX_NODEID_ANY, 0, o, 30.0, commit_cb, c)) {
        fprintf (stderr, "kvswriter: kvs.commit: %s\n", strerror (errno));
        exit (1);
    }
    json_decref (o);
}

static int do_write (int nclients, int keys, double seconds, const char *prefix)
{
    struct writer *w = calloc (1, sizeof (*w));
    struct fx_error err = {""};

    w->loop = EV_DEFAULT;
    w->keys = keys;
    w->prefix = prefix;
    for (int c = 0; c < nclients; c++) {
        struct client *cl = &w->clients[c];
        cl->w = w;
        cl->id = c;
        cl->acked_max = -1;
        if (!(cl->peer = fx_peer_create (w->loop, NULL, "kvswriter", &err))) {
            fprintf (stderr, "kvswriter: %s\n", err.text);
            return 1;
        }
    }
    ev_now_update (w->loop);
    w->end = ev_now (w->loop) + seconds;
    w->running = nclients;
    for (int c = 0; c < nclients; c++)
        send_txn (&w->clients[c]);
    ev_run (w->loop, 0);
    for (int c = 0; c < nclients; c++) {
        printf ("acked %d %ld", c, w->clients[c].acked_max + 1);
        for (long i = 0; i <= w->clients[c].acked_max && i < 32768; i++) {
            if (!(w->clients[c].acked[i / 8] & (1 << (i % 8))))
                printf (" -%ld", i); /* a gap: that one failed */
        }
        printf ("\n");
        fx_peer_destroy (w->clients[c].peer);
    }
    printf ("total %ld %ld\n", w->total, w->failed);
    free (w);
    return 0;
}

static json_t *get (struct fx_peer *p, const char *key, long from, struct fx_error *err)
{
    json_t *in = json_pack ("{s:s s:i}", "key", key, "from", (int) from), *out = NULL;

    if (fx_rpc_call (p, "kvs.get", FX_NODEID_ANY, in, 10.0, &out, err) < 0)
        out = NULL;
    json_decref (in);
    return out;
}

/* Check one client; returns the number of violations printed. */
static int verify_client (struct fx_peer *p, int c, int keys, const char *prefix, long acked,
                          const char *gaps)
{
    struct fx_error err = {""};
    char key[256];
    json_t *o, *events, *ev;
    json_int_t last = -1, v, i, prev = -1, count = 0;
    long from = 0, seen = 0;
    int bad = 0;
    size_t n;

    snprintf (key, sizeof (key), "%s.c%d.last", prefix, c);
    if (!(o = get (p, key, 0, &err)) || json_unpack (o, "{s:I}", "value", &last) < 0) {
        if (acked > 0 && printf ("client %d: %s: %s\n", c, key, err.text))
            bad++;
    }
    json_decref (o);
    if (last < acked - 1
        && printf ("client %d: last %lld < acked %ld\n", c, (long long) last, acked - 1))
        bad++;
    for (int j = 0; j < keys && last >= 0; j++) {
        snprintf (key, sizeof (key), "%s.c%d.k%d", prefix, c, j);
        v = -2;
        if ((o = get (p, key, 0, &err)))
            json_unpack (o, "{s:I}", "value", &v);
        json_decref (o);
        if (v != last
            && printf ("client %d: %s = %lld but last = %lld\n", c, key, (long long) v,
                       (long long) last))
            bad++;
    }
    snprintf (key, sizeof (key), "%s.c%d.log", prefix, c);
    do {
        if (!(o = get (p, key, from, &err))
            || json_unpack (o, "{s:o s:I}", "events", &events, "count", &count) < 0) {
            if (acked > 0 && printf ("client %d: %s: %s\n", c, key, err.text))
                bad++;
            json_decref (o);
            break;
        }
        json_array_foreach (events, n, ev)
        {
            i = -1;
            json_unpack (ev, "{s:{s:I}}", "context", "i", &i);
            if (i <= prev
                && printf ("client %d: log goes from %lld to %lld\n", c, (long long) prev,
                           (long long) i))
                bad++;
            /* Every acknowledged i between prev and i must be there: it is missing. */
            for (long k = prev + 1; k < i && k < acked; k++) {
                char mark[32];
                snprintf (mark, sizeof (mark), " -%ld ", k);
                if (!strstr (gaps, mark) && printf ("client %d: acknowledged %ld missing\n", c, k))
                    bad++;
            }
            prev = i;
            seen++;
        }
        from += (long) json_array_size (events);
        json_decref (o);
    } while (from < count);
    for (long k = prev + 1; k < acked; k++) {
        char mark[32];
        snprintf (mark, sizeof (mark), " -%ld ", k);
        if (!strstr (gaps, mark) && printf ("client %d: acknowledged %ld missing\n", c, k))
            bad++;
    }
    return bad;
}

static int do_verify (int nclients, int keys, const char *prefix)
{
    struct fx_error err = {""};
    struct fx_peer *p;
    char line[65536], gaps[65600];
    long acked[MAX_CLIENTS] = {0};
    char *gap_lines[MAX_CLIENTS] = {0};
    int c, bad = 0;
    long n;

    while (fgets (line, sizeof (line), stdin)) {
        int off = 0;
        if (sscanf (line, "acked %d %ld%n", &c, &n, &off) == 2 && c >= 0 && c < MAX_CLIENTS) {
            acked[c] = n;
            line[strcspn (line, "\n")] = '\0';
            snprintf (gaps, sizeof (gaps), "%s ", line + off);
            gap_lines[c] = strdup (gaps);
        }
    }
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "kvswriter", &err))) {
        fprintf (stderr, "kvswriter: %s\n", err.text);
        return 1;
    }
    for (c = 0; c < nclients; c++) {
        bad += verify_client (p, c, keys, prefix, acked[c], gap_lines[c] ? gap_lines[c] : " ");
        free (gap_lines[c]);
    }
    fx_peer_destroy (p);
    if (!bad)
        printf ("ok\n");
    return bad ? 1 : 0;
}

int main (int argc, char **argv)
{
    if (argc >= 5 && strcmp (argv[1], "write") == 0) {
        int n = atoi (argv[2]);
        if (n < 1 || n > MAX_CLIENTS)
            return 2;
        return do_write (n, atoi (argv[3]), atof (argv[4]), argc > 5 ? argv[5] : "w");
    }
    if (argc >= 4 && strcmp (argv[1], "verify") == 0)
        return do_verify (atoi (argv[2]), atoi (argv[3]), argc > 4 ? argv[4] : "w");
    fprintf (stderr, "Usage: kvswriter write CLIENTS KEYS SECONDS [PREFIX]\n"
                     "       kvswriter verify CLIENTS KEYS [PREFIX] < write-output\n");
    return 2;
}
