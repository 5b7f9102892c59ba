/* db.c - kvsd's one connection to PostgreSQL, driven by the libev loop.
 *
 * States: DOWN (waiting to retry), CONNECTING (PQconnectPoll), SETUP (the migrations DO
 * block, sent as a simple query), READY (pipeline mode).  In READY every query is a prepared
 * statement followed by a sync point, so that one query's error never aborts another, and
 * results come back in the order the queries were sent: the FIFO of pending queries is
 * matched against them.  Nothing here blocks: output that does not fit the socket is
 * flushed when it becomes writable.
 *
 * Failure policy: a lost connection, or a query without an answer for KVS_DB_TIMEOUT,
 * fails every pending query with EAGAIN ("kvs: database unavailable: ...") and reconnects
 * after a backoff of 0.1 s doubling to 5 s.  Errors of a query are classified for the
 * client: kvs_fail()'s errno name (SQLSTATE P0001, DETAIL), disk full (ENOSPC), other write
 * failures (EIO).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kvsd/kvsd.h"

enum db_state { DB_DOWN, DB_CONNECTING, DB_SETUP, DB_PREPARING, DB_READY };

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 5.0

struct query {
    db_result_f cb;
    void *arg;
    double sent;
    PGresult *res; /* the first result, kept until the sync point */
    int ended;     /* its results are over: the sync point comes next */
    struct query *next;
};

struct db {
    struct kvsd *kd;
    char *dsn;
    PGconn *conn;
    enum db_state state;
    db_state_f state_cb;
    ev_io io;
    int io_events;
    ev_timer retry;    /* DOWN: reconnect */
    ev_timer watchdog; /* every second: nothing may hang longer than KVS_DB_TIMEOUT */
    double since;      /* when the current connection attempt began */
    double backoff;
    int nprepared; /* PREPARING: statements still to be acknowledged */
    struct query *head, **tail;
    int npending;
    char why[FX_ERROR_LEN];    /* "kvs: database unavailable: ..." */
    char broken[FX_ERROR_LEN]; /* sending failed: reset from the io watcher, because of this */
    int logged_down;           /* the current outage was logged */
};

/* Every statement kvsd sends, prepared once per connection. */
static const struct statement {
    const char *name;
    const char *sql;
    int nparams;
} statements[] = {
    {"commit", "SELECT kvs_commit ($1::json)", 1},
    {"get", "SELECT kvs_get ($1, $2, $3::integer, $4::integer)", 4},
    {"dir", "SELECT kvs_dir ($1, $2, $3::boolean, $4::boolean, $5, $6::integer)", 6},
    {"job-eventlogs", "SELECT kvs_job_eventlogs ($1, $2, $3::integer)", 3},
    {"ns-list", "SELECT name, owner, version FROM kvs_namespace", 0},
    {"ns-create", "INSERT INTO kvs_namespace (name, owner) VALUES ($1, $2::bigint)", 2},
    {"ns-remove", "DELETE FROM kvs_namespace WHERE name = $1 AND name <> 'primary'", 1},
    {"stats", "SELECT kvs_stats ()", 0},
    {"purge", "SELECT kvs_job_purge ($1::double precision, $2::integer, $3::boolean, $4::integer)",
     4},
};
#define NSTATEMENTS ((int) (sizeof (statements) / sizeof (statements[0])))

static void db_connect (struct db *db);

static void set_why (struct db *db, const char *cause)
{
    size_t n;

    snprintf (db->why, sizeof (db->why), "kvs: database unavailable: %.200s", cause);
    n = strcspn (db->why, "\n");
    db->why[n] = '\0'; /* libpq messages end with (and may contain) newlines */
}

/* Watch the connection's socket for events (none: stop).  PQconnectPoll may move to
 * another socket (the next address of a host), so the descriptor is compared too. */
static void io_set (struct db *db, int events)
{
    int fd = db->conn ? PQsocket (db->conn) : -1;

    if (db->io_events == events && ev_is_active (&db->io) && db->io.fd == fd)
        return;
    ev_io_stop (db->kd->loop, &db->io);
    db->io_events = events;
    if (events && fd >= 0) {
        ev_io_set (&db->io, fd, events);
        ev_io_start (db->kd->loop, &db->io);
    }
}

/* Fail every pending query with err. */
static void fail_pending (struct db *db, const struct db_error *err)
{
    struct query *q;

    while ((q = db->head)) {
        db->head = q->next;
        db->npending--;
        PQclear (q->res);
        q->cb (db->kd, NULL, err, q->arg);
        free (q);
    }
    db->tail = &db->head;
}

/* Drop the connection, fail what was pending and retry after the backoff. */
static void db_reset (struct db *db, const char *cause)
{
    struct db_error err = {EAGAIN, ""};
    int was_ready = db->state == DB_READY;

    set_why (db, cause);
    if (!db->logged_down) {
        fx_log (db->kd->peer, LOG_ERR, "%s", db->why);
        db->logged_down = 1;
    }
    io_set (db, 0);
    PQfinish (db->conn);
    db->conn = NULL;
    db->broken[0] = '\0';
    db->state = DB_DOWN;
    snprintf (err.text, sizeof (err.text), "%s", db->why);
    fail_pending (db, &err);
    if (was_ready)
        db->state_cb (db->kd, 0);
    ev_timer_stop (db->kd->loop, &db->retry);
    ev_timer_set (&db->retry, db->backoff, 0.);
    ev_timer_start (db->kd->loop, &db->retry);
    db->backoff = db->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : db->backoff * 2;
}

static void retry_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct db *db = w->data;

    (void) loop;
    (void) revents;
    fx_metric_inc (db->kd->m_reconnects);
    db_connect (db);
}

int db_errnum (const char *name)
{
    static const struct {
        const char *name;
        int errnum;
    } errnames[] = {
        {"ENOENT", ENOENT}, {"ENOTDIR", ENOTDIR}, {"EISDIR", EISDIR},
        {"EINVAL", EINVAL}, {"EEXIST", EEXIST},   {"EPERM", EPERM},
    };

    for (size_t i = 0; i < sizeof (errnames) / sizeof (errnames[0]); i++) {
        if (strcmp (name, errnames[i].name) == 0)
            return errnames[i].errnum;
    }
    return EIO;
}

/* Map an error result to what the client is told. */
static void classify (PGresult *res, struct db_error *err)
{
    const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL);

    if (!state)
        state = "";
    if (!msg)
        msg = PQresultErrorMessage (res);
    if (strcmp (state, "P0001") == 0 && detail) {
        err->errnum = db_errnum (detail);
        snprintf (err->text, sizeof (err->text), "%s", msg);
        return;
    }
    if (strcmp (state, "23505") == 0) { /* unique violation: namespace-create */
        err->errnum = EEXIST;
        snprintf (err->text, sizeof (err->text), "%s", msg);
        return;
    }
    if (strcmp (state, "53100") == 0) {
        err->errnum = ENOSPC;
        snprintf (err->text, sizeof (err->text), "kvs: disk full: %s", msg);
    } else {
        err->errnum = EIO;
        snprintf (err->text, sizeof (err->text), "kvs: write failed: %s [SQLSTATE %s]", msg, state);
    }
    err->text[strcspn (err->text, "\n")] = '\0';
}

static void complete_head (struct db *db)
{
    struct query *q = db->head;
    struct db_error err = {0, ""};
    PGresult *res = q->res;
    ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;

    db->head = q->next;
    if (!db->head)
        db->tail = &db->head;
    db->npending--;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        q->cb (db->kd, res, NULL, q->arg);
    else {
        if (res)
            classify (res, &err);
        else {
            err.errnum = EIO;
            snprintf (err.text, sizeof (err.text), "kvs: the database sent no result");
        }
        q->cb (db->kd, NULL, &err, q->arg);
    }
    PQclear (res);
    free (q);
}

/* Pipeline mode: collect results.  Each query yields its result, a NULL, then the sync
 * point; a NULL at any other time means nothing more has arrived. */
static void read_results (struct db *db)
{
    PGresult *res;

    while (db->conn && !PQisBusy (db->conn)) {
        if (!(res = PQgetResult (db->conn))) {
            if (!db->head || !db->head->res || db->head->ended)
                break;
            db->head->ended = 1;
            continue;
        }
        if (PQresultStatus (res) == PGRES_PIPELINE_SYNC) {
            PQclear (res);
            if (db->head)
                complete_head (db);
            continue;
        }
        if (db->head && !db->head->res)
            db->head->res = res;
        else
            PQclear (res);
    }
}

static void flush_output (struct db *db)
{
    int rc = PQflush (db->conn);

    if (rc < 0)
        db_reset (db, PQerrorMessage (db->conn));
    else
        io_set (db, rc > 0 ? EV_READ | EV_WRITE : EV_READ);
}

static void ready (struct db *db)
{
    db->state = DB_READY;
    db->backoff = BACKOFF_MIN;
    if (db->logged_down)
        fx_log (db->kd->peer, LOG_INFO, "kvs: database connection restored");
    db->logged_down = 0;
    db->why[0] = '\0';
    db->state_cb (db->kd, 1);
}

static void prepared_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct db *db = arg;
    char cause[FX_ERROR_LEN + 32];

    (void) kd;
    (void) res;
    if (err && err->errnum != EAGAIN) {
        snprintf (cause, sizeof (cause), "cannot prepare statements: %s", err->text);
        db_reset (db, cause);
    } else if (!err && --db->nprepared == 0)
        ready (db);
}

static struct query *query_create (db_result_f cb, void *arg)
{
    struct query *q = calloc (1, sizeof (*q));

    if (q) {
        q->cb = cb;
        q->arg = arg;
    }
    return q;
}

/* Queue q, whose query was just sent, and end it with a sync point.  (q is allocated before
 * sending, so that every query on the wire has its entry and results never shift.)  A
 * failed sync marks the connection broken; the io watcher resets it, outside the caller. */
static void enqueue (struct db *db, struct query *q)
{
    q->sent = ev_now (db->kd->loop);
    *db->tail = q;
    db->tail = &q->next;
    db->npending++;
    if (PQpipelineSync (db->conn) != 1) {
        snprintf (db->broken, sizeof (db->broken), "%s", PQerrorMessage (db->conn));
        io_set (db, EV_READ | EV_WRITE);
    }
}

/* SETUP: the migrations' result; then prepare every statement in pipeline mode. */
static void setup_results (struct db *db)
{
    PGresult *res;

    while (db->conn && !PQisBusy (db->conn) && (res = PQgetResult (db->conn))) {
        if (PQresultStatus (res) == PGRES_FATAL_ERROR) {
            char cause[FX_ERROR_LEN];
            const char *msg = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
            snprintf (cause, sizeof (cause), "setup failed: %s",
                      msg ? msg : PQresultErrorMessage (res));
            PQclear (res);
            db_reset (db, cause);
            return;
        }
        PQclear (res);
    }
    if (!db->conn || PQisBusy (db->conn))
        return;
    if (PQenterPipelineMode (db->conn) != 1) {
        db_reset (db, PQerrorMessage (db->conn));
        return;
    }
    db->state = DB_PREPARING;
    db->nprepared = NSTATEMENTS;
    for (int i = 0; i < NSTATEMENTS; i++) {
        struct query *q = query_create (prepared_cb, db);
        if (!q
            || PQsendPrepare (db->conn, statements[i].name, statements[i].sql,
                              statements[i].nparams, NULL)
                   != 1) {
            free (q);
            db_reset (db, q ? PQerrorMessage (db->conn) : "out of memory");
            return;
        }
        enqueue (db, q);
    }
    flush_output (db);
}

static void start_setup (struct db *db)
{
    char *sql = schema_setup_sql (db->kd->owner);

    PQsetnonblocking (db->conn, 1);
    db->state = DB_SETUP;
    if (!sql || PQsendQuery (db->conn, sql) != 1) {
        free (sql);
        db_reset (db, db->conn ? PQerrorMessage (db->conn) : "out of memory");
        return;
    }
    free (sql);
    flush_output (db);
}

static void connect_poll (struct db *db)
{
    switch (PQconnectPoll (db->conn)) {
    case PGRES_POLLING_READING:
        io_set (db, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        io_set (db, EV_WRITE);
        break;
    case PGRES_POLLING_OK:
        start_setup (db);
        break;
    default:
        db_reset (db, PQerrorMessage (db->conn));
        break;
    }
}

static void io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct db *db = w->data;

    (void) loop;
    if (db->broken[0]) {
        char cause[FX_ERROR_LEN];
        snprintf (cause, sizeof (cause), "%s", db->broken);
        db_reset (db, cause);
        return;
    }
    if (db->state == DB_CONNECTING) {
        connect_poll (db);
        return;
    }
    if ((revents & EV_WRITE)) {
        flush_output (db);
        if (!db->conn)
            return;
    }
    if ((revents & EV_READ)) {
        if (PQconsumeInput (db->conn) != 1) {
            db_reset (db, PQerrorMessage (db->conn));
            return;
        }
        if (db->state == DB_SETUP)
            setup_results (db);
        else
            read_results (db);
    }
    if (db->conn && PQstatus (db->conn) == CONNECTION_BAD)
        db_reset (db, PQerrorMessage (db->conn));
}

static void quiet_notice (void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

static void db_connect (struct db *db)
{
    db->state = DB_CONNECTING;
    db->since = ev_now (db->kd->loop);
    if (!(db->conn = PQconnectStart (db->dsn))) {
        db_reset (db, "out of memory");
        return;
    }
    if (PQstatus (db->conn) == CONNECTION_BAD) {
        db_reset (db, PQerrorMessage (db->conn));
        return;
    }
    PQsetNoticeProcessor (db->conn, quiet_notice, NULL);
    db->io_events = 0;
    connect_poll (db);
}

/* Every second: the oldest pending query must have had an answer within KVS_DB_TIMEOUT,
 * and a connection attempt must have succeeded within it. */
static void watchdog_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct db *db = w->data;
    char cause[64];

    (void) revents;
    if (db->head && ev_now (loop) - db->head->sent > KVS_DB_TIMEOUT)
        snprintf (cause, sizeof (cause), "no answer within %.0fs", KVS_DB_TIMEOUT);
    else if (db->state != DB_READY && db->state != DB_DOWN
             && ev_now (loop) - db->since > KVS_DB_TIMEOUT)
        snprintf (cause, sizeof (cause), "cannot connect within %.0fs", KVS_DB_TIMEOUT);
    else
        return;
    db_reset (db, cause);
}

struct db *db_create (struct kvsd *kd, const char *dsn, db_state_f state_cb)
{
    struct db *db = calloc (1, sizeof (*db));

    if (!db || !(db->dsn = strdup (dsn))) {
        free (db);
        return NULL;
    }
    db->kd = kd;
    db->state_cb = state_cb;
    db->tail = &db->head;
    db->backoff = BACKOFF_MIN;
    ev_io_init (&db->io, io_cb, 0, 0);
    db->io.data = db;
    ev_init (&db->retry, retry_cb);
    db->retry.data = db;
    ev_init (&db->watchdog, watchdog_cb);
    db->watchdog.repeat = 1.0;
    db->watchdog.data = db;
    set_why (db, "connecting");
    ev_timer_again (kd->loop, &db->watchdog);
    db_connect (db);
    return db;
}

void db_destroy (struct db *db)
{
    struct db_error err = {ECANCELED, "kvs: shutting down"};

    if (!db)
        return;
    io_set (db, 0);
    ev_timer_stop (db->kd->loop, &db->retry);
    ev_timer_stop (db->kd->loop, &db->watchdog);
    db->state = DB_DOWN; /* callbacks must not send anything more */
    fail_pending (db, &err);
    PQfinish (db->conn);
    free (db->dsn);
    free (db);
}

int db_set_dsn (struct db *db, const char *dsn)
{
    char *copy = strdup (dsn);

    if (!copy)
        return -1;
    free (db->dsn);
    db->dsn = copy;
    ev_timer_stop (db->kd->loop, &db->retry);
    db->backoff = BACKOFF_MIN;
    db_reset (db, "switching to a new kvs.dsn");
    return 0;
}

int db_ready (const struct db *db)
{
    return db->state == DB_READY;
}

const char *db_unavailable (const struct db *db)
{
    return db->why;
}

int db_pending (const struct db *db)
{
    return db->npending;
}

/* A failure to send is noticed by the io watcher (a write error on flush), which resets
 * the connection: the callback is never called from inside db_query(). */
int db_query (struct db *db, const char *stmt, int nparams, const char *const params[],
              db_result_f cb, void *arg)
{
    struct query *q;

    if (db->state != DB_READY || db->broken[0]) {
        errno = EAGAIN;
        return -1;
    }
    if (!(q = query_create (cb, arg)))
        return -1;
    if (PQsendQueryPrepared (db->conn, stmt, nparams, params, NULL, NULL, 0) != 1) {
        free (q);
        snprintf (db->broken, sizeof (db->broken), "%s", PQerrorMessage (db->conn));
        set_why (db, db->broken);
        io_set (db, EV_READ | EV_WRITE); /* the io watcher resets the connection */
        errno = EAGAIN;
        return -1;
    }
    enqueue (db, q);
    if (!db->broken[0])
        io_set (db, PQflush (db->conn) != 0 ? EV_READ | EV_WRITE : EV_READ);
    return 0;
}
