/* bench_kvs.c - KVS figures (needs FLUX_URI and FLUX_KVS_DSN, e.g. under `cli/flux start`).
 *
 *   bench_kvs [SECONDS]
 *
 * Prints, each measured for SECONDS (default 2):
 *   - the baseline: 1-row INSERT transactions straight to the same PostgreSQL with libpq,
 *     one connection, synchronous commit (the floor every durable commit pays);
 *   - committed transactions per second through kvsd for 1-key and 10-key transactions with
 *     1, 8 and 64 concurrent clients (each client waits for its answer before the next);
 *   - eventlog appends per second (8 clients, one log each);
 *   - watch latency: from sending an append to the watcher receiving it, median and p99;
 *   - bytes in the database per 1,000 jobs' worth of job data (jobspec, R, a 10-event
 *     eventlog, a few output events), from kvs.stats and pg_database_size.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/log.h"
#include "services/peer.h"

#define MAX_CLIENTS 64

struct bench {
    struct ev_loop *loop;
    struct fx_peer *peers[MAX_CLIENTS];
    int keys; /* puts per transaction; 0 = one append */
    double end;
    long done;
    int running;
    int seq[MAX_CLIENTS];
    struct slot *slots; /* MAX_CLIENTS of them */
};

/* Each client's RPC carries its slot: the bench and the client's number. */
struct slot {
    struct bench *b;
    int c;
};

static void send_one (struct bench *b, int c);

static void slot_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct slot *s = arg;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        fprintf (stderr, "bench_kvs: commit: %s\n", fx_msg_errstr (rsp));
        exit (1);
    }
    s->b->done++;
    if (ev_now (s->b->loop) < s->b->end)
        send_one (s->b, s->c);
    else if (--s->b->running == 0)
        ev_break (s->b->loop, EVBREAK_ALL);
}

static void send_one (struct bench *b, int c)
{
    json_t *ops = json_array (), *o;
    char key[64];

    if (b->keys == 0) {
        snprintf (key, sizeof (key), "bench.log%d", c);
        json_array_append_new (ops,
                               json_pack ("{s:s s:s s:{s:s s:{s:i}}}", "op", "append", "key", key,
                                          "event", "name", "e", "context", "i", b->seq[c]++));
    }
    for (int k = 0; k < b->keys; k++) {
        snprintf (key, sizeof (key), "bench.c%d.k%d", c, k);
        json_array_append_new (
            ops, json_pack ("{s:s s:s s:i}", "op", "put", "key", key, "value", b->seq[c]));
    }
    b->seq[c]++;
    o = json_pack ("{s:o}", "ops", ops);
    b->slots[c].b = b;
    b->slots[c].c = c;
    if (!fx_rpc_start (b->peers[c], "kvs.commit", FX_NODEID_ANY, 0, o, 30.0, slot_cb,
                       &b->slots[c])) {
        perror ("bench_kvs: kvs.commit");
        exit (1);
    }
    json_decref (o);
}

static double run (struct bench *b, int clients, int keys, double seconds)
{
    double start;

    b->keys = keys;
    b->done = 0;
    b->running = clients;
    ev_now_update (b->loop);
    start = ev_now (b->loop);
    b->end = start + seconds;
    for (int c = 0; c < clients; c++)
        send_one (b, c);
    ev_run (b->loop, 0);
    ev_now_update (b->loop);
    return b->done / (ev_now (b->loop) - start);
}

static double baseline (PGconn *conn, double seconds)
{
    double start = fx_log_now ();
    long n = 0;
    PGresult *res;

    PQclear (PQexec (conn, "CREATE TABLE IF NOT EXISTS bench_base (i integer)"));
    while (fx_log_now () - start < seconds) {
        res = PQexec (conn, "INSERT INTO bench_base VALUES (1)");
        PQclear (res);
        n++;
    }
    PQclear (PQexec (conn, "DROP TABLE bench_base"));
    return n / (fx_log_now () - start);
}

static int cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

struct lat {
    struct ev_loop *loop;
    double sent;
    double *samples;
    int n, want;
};

static void watch_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct lat *l = arg;
    json_t *o = fx_msg_json (rsp, NULL);
    json_t *events = o ? json_object_get (o, "events") : NULL;

    (void) rpc;
    if (l->sent > 0 && json_array_size (events) > 0) {
        l->samples[l->n++] = fx_log_now () - l->sent;
        l->sent = 0;
        ev_break (l->loop, EVBREAK_ONE);
    } else if (l->sent == 0 && l->n == 0)
        ev_break (l->loop, EVBREAK_ONE); /* the first answer: the watch is set */
}

static void ignore_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    (void) rpc;
    (void) rsp;
    (void) arg;
}

static void watch_latency (struct fx_peer *p, int count)
{
    struct lat l = {.loop = fx_peer_loop (p), .want = count};
    struct fx_error err = {""};
    json_t *o = json_pack ("{s:s s:b}", "key", "bench.watched", "waitcreate", 1);
    json_t *ev;

    l.samples = calloc (count, sizeof (double));
    ev = json_pack ("{s:[{s:s s:s s:{s:s}}]}", "ops", "op", "append", "key", "bench.watched",
                    "event", "name", "start");
    fx_rpc_call (p, "kvs.commit", FX_NODEID_ANY, ev, 10.0, NULL, &err);
    json_decref (ev);
    fx_rpc_start (p, "kvs.watch", FX_NODEID_ANY, FX_MSGFLAG_STREAMING, o, 10.0, watch_cb, &l);
    json_decref (o);
    ev_run (l.loop, 0); /* the first answer */
    ev = json_pack ("{s:[{s:s s:s s:{s:s}}]}", "ops", "op", "append", "key", "bench.watched",
                    "event", "name", "tick");
    for (int i = 0; i < count; i++) {
        l.sent = fx_log_now ();
        fx_rpc_start (p, "kvs.commit", FX_NODEID_ANY, 0, ev, 10.0, ignore_cb, NULL);
        ev_run (l.loop, 0);
    }
    json_decref (ev);
    qsort (l.samples, l.n, sizeof (double), cmp);
    printf ("watch latency (append sent to notification), %d appends: median %.0f us, "
            "p99 %.0f us\n",
            l.n, l.samples[l.n / 2] * 1e6, l.samples[(int) (l.n * 0.99)] * 1e6);
    free (l.samples);
}

/* One job's data as jobd and execd will write it: jobspec, R, J, an eventlog of 10 events
 * and 5 output events, in one transaction. */
static void write_job (struct fx_peer *p, int id)
{
    static const char *const names[] = {"submit", "validate", "depend",  "priority", "alloc",
                                        "start",  "finish",   "release", "free",     "clean"};
    struct fx_error err = {""};
    json_t *ops = json_array (), *o;
    char key[192], cred[301];

    snprintf (key, sizeof (key), "job.0000.%04x.0000.0000.jobspec", id);
    json_array_append_new (
        ops, json_pack ("{s:s s:s s:{s:i s:[{s:s s:i s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}]"
                        " s:{s:{s:f s:s s:{}}}}}",
                        "op", "put", "key", key, "value", "version", 1, "resources", "type", "slot",
                        "count", 1, "with", "type", "core", "count", 1, "tasks", "command",
                        "/bin/true", "slot", "task", "count", "per_slot", 1, "attributes", "system",
                        "duration", 0.0, "cwd", "/home/user", "environment"));
    snprintf (key, sizeof (key), "job.0000.%04x.0000.0000.R", id);
    json_array_append_new (ops,
                           json_pack ("{s:s s:s s:{s:i s:{s:[{s:s s:{s:s}}] s:[s] s:f s:f}}}", "op",
                                      "put", "key", key, "value", "version", 1, "execution",
                                      "R_lite", "rank", "0", "children", "core", "0", "nodelist",
                                      "fluke1", "starttime", 1.7e9, "expiration", 1.7e9 + 3600));
    snprintf (key, sizeof (key), "job.0000.%04x.0000.0000.J", id);
    memset (cred, 'x', sizeof (cred) - 1); /* a MUNGE credential is about 300 bytes */
    cred[sizeof (cred) - 1] = '\0';
    json_array_append_new (ops,
                           json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", cred));
    snprintf (key, sizeof (key), "job.0000.%04x.0000.0000.eventlog", id);
    for (int e = 0; e < 10; e++)
        json_array_append_new (ops, json_pack ("{s:s s:s s:{s:s s:{s:i s:i}}}", "op", "append",
                                               "key", key, "event", "name", names[e], "context",
                                               "userid", 1000, "urgency", 16));
    snprintf (key, sizeof (key), "job.0000.%04x.0000.0000.guest.output", id);
    for (int e = 0; e < 5; e++)
        json_array_append_new (ops,
                               json_pack ("{s:s s:s s:{s:s s:{s:s s:s s:s}}}", "op", "append",
                                          "key", key, "event", "name", "data", "context", "stream",
                                          "stdout", "rank", "0", "data", "hello world\n"));
    o = json_pack ("{s:o}", "ops", ops);
    if (fx_rpc_call (p, "kvs.commit", FX_NODEID_ANY, o, 10.0, NULL, &err) < 0) {
        fprintf (stderr, "bench_kvs: %s\n", err.text);
        exit (1);
    }
    json_decref (o);
}

/* The database's size after a vacuum and a checkpoint (what autovacuum would reach). */
static long long db_size (PGconn *conn)
{
    PGresult *res;
    long long size;

    PQclear (PQexec (conn, "VACUUM"));
    PQclear (PQexec (conn, "CHECKPOINT"));
    res = PQexec (conn, "SELECT pg_database_size (current_database ())");
    size = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return size;
}

/* Bytes per 1,000 jobs, then whether purging them makes room for the next 1,000. */
static void job_bytes (struct fx_peer *p, PGconn *conn)
{
    struct fx_error err = {""};
    json_t *stats = NULL, *in, *row;
    long long before, after, again;
    size_t i;

    before = db_size (conn);
    for (int j = 0; j < 1000; j++)
        write_job (p, j);
    after = db_size (conn);
    if (fx_rpc_call (p, "kvs.stats", FX_NODEID_ANY, NULL, 30.0, &stats, &err) == 0) {
        json_array_foreach (json_object_get (stats, "prefixes"), i, row)
        {
            const char *prefix = json_string_value (json_object_get (row, "prefix"));
            json_int_t bytes = json_integer_value (json_object_get (row, "bytes"));
            if (prefix && strcmp (prefix, "job") == 0)
                printf ("1,000 jobs: %lld bytes of values and events (%.0f per job)\n",
                        (long long) bytes, bytes / 1000.0);
        }
        json_decref (stats);
    }
    printf ("1,000 jobs: database grew by %.1f MiB (%.1f KiB per job, tables and indexes)\n",
            (after - before) / 1048576.0, (after - before) / 1024.0 / 1000);
    in = json_pack ("{s:i s:b}", "num-limit", 0, "force", 1);
    if (fx_rpc_call (p, "kvs.job-purge", FX_NODEID_ANY, in, 60.0, NULL, &err) < 0) {
        fprintf (stderr, "bench_kvs: purge: %s\n", err.text);
        exit (1);
    }
    json_decref (in);
    for (int j = 0; j < 1000; j++)
        write_job (p, 1000 + j);
    again = db_size (conn);
    printf ("after purging them (online, no stop), 1,000 more jobs grew it by %.1f MiB\n",
            (again - after) / 1048576.0);
}

int main (int argc, char **argv)
{
    struct bench *b = calloc (1, sizeof (*b));
    struct fx_error err = {""};
    double seconds = argc > 1 ? atof (argv[1]) : 2.0;
    const char *dsn = getenv ("FLUX_KVS_DSN");
    PGconn *conn;
    const int nclients[] = {1, 8, 64};

    if (!dsn || PQstatus (conn = PQconnectdb (dsn)) != CONNECTION_OK) {
        fprintf (stderr, "bench_kvs: needs FLUX_KVS_DSN (run it under flux start)\n");
        return 1;
    }
    b->loop = EV_DEFAULT;
    b->slots = calloc (MAX_CLIENTS, sizeof (struct slot));
    for (int c = 0; c < MAX_CLIENTS; c++) {
        if (!(b->peers[c] = fx_peer_create (b->loop, NULL, "bench-kvs", &err))) {
            fprintf (stderr, "bench_kvs: %s\n", err.text);
            return 1;
        }
    }
    printf ("baseline: libpq 1-row INSERT transactions, 1 connection: %.0f/s\n",
            baseline (conn, seconds));
    for (int k = 1; k <= 10; k += 9) {
        for (int i = 0; i < 3; i++)
            printf ("kvs.commit %2d-key transactions, %2d clients: %.0f/s\n", k, nclients[i],
                    run (b, nclients[i], k, seconds));
    }
    printf ("eventlog appends, 8 clients: %.0f/s\n", run (b, 8, 0, seconds));
    watch_latency (b->peers[0], 2000);
    job_bytes (b->peers[0], conn);
    for (int c = 0; c < MAX_CLIENTS; c++)
        fx_peer_destroy (b->peers[c]);
    PQfinish (conn);
    free (b->slots);
    free (b);
    return 0;
}
