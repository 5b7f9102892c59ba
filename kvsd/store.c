/* store.c - kvs.commit with grouping, and the read handlers kvs.get, kvs.dir, kvs.version.
 *
 * Commits are checked and normalized (txn.c), queued, and sent to the database as one
 * kvs_commit() call per database transaction: while one is in flight the next ones queue,
 * and all that queued go together when it ends (doc/kvs.md, "Durability and grouping").  A commit
 * is answered from the database's result only, so an answered commit is durable.  Reads go straight
 * to the database, pipelined beside the commits.
 *
 * Failure policy: a bad request gets EINVAL/EPROTO naming the field; a database that is
 * down gets EAGAIN; a write error (disk full) fails the batch, marks the store unwritable
 * (metric, one log line a minute) until a commit succeeds again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kvsd/kvsd.h"

#define WRITE_ERROR_LOG_INTERVAL 60.0

static void commit_destroy (struct commit *c)
{
    if (c) {
        fx_msg_destroy (c->req);
        json_decref (c->ops);
        free (c);
    }
}

static void batch_send (struct kvsd *kd);

/* A database transaction failed as a whole: every commit in it gets err. */
static void batch_failed (struct kvsd *kd, const struct db_error *err)
{
    struct commit *c, *next;

    if (err->errnum == ENOSPC || err->errnum == EIO) {
        fx_metric_inc (kd->m_write_errors, err->errnum == ENOSPC ? "disk-full" : "other");
        kd->writable = 0;
        fx_metric_set (kd->m_writable, 0);
        if (ev_now (kd->loop) - kd->write_error_logged >= WRITE_ERROR_LOG_INTERVAL) {
            fx_log (kd->peer, LOG_ERR, "writes are failing: %s", err->text);
            kd->write_error_logged = ev_now (kd->loop);
        }
    }
    for (c = kd->inflight; c; c = next) {
        next = c->next;
        fx_metric_inc (kd->m_commits, "error");
        fx_respond_error (kd->peer, c->req, err->errnum, "%s", err->text);
        commit_destroy (c);
    }
    kd->inflight = NULL;
}

static void commit_done (struct kvsd *kd, struct commit *c, json_t *result)
{
    const char *ename, *errstr;
    json_t *seqs, *o;
    json_int_t version;
    struct ns *ns;

    if (json_unpack (result, "{s:s s:s}", "error", &ename, "errstr", &errstr) == 0) {
        fx_metric_inc (kd->m_commits, "error");
        fx_respond_error (kd->peer, c->req, db_errnum (ename), "%s", errstr);
        return;
    }
    if (json_unpack (result, "{s:I s:o}", "version", &version, "seqs", &seqs) < 0) {
        fx_respond_error (kd->peer, c->req, EIO, "kvs: unexpected answer from the database");
        return;
    }
    fx_metric_inc (kd->m_commits, "ok");
    if ((ns = ns_lookup (kd, c->ns)) && version > ns->version)
        ns->version = version;
    o = json_pack ("{s:I}", "version", version);
    fx_respond (kd->peer, c->req, o);
    json_decref (o);
    if (ns)
        watch_commit (kd, ns, c->ops, seqs);
}

static void batch_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct commit *c, *next;
    json_t *results = NULL;
    size_t i = 0;

    (void) arg;
    fx_metric_inc (kd->m_batches);
    if (!err && !(results = json_loads (PQgetvalue (res, 0, 0), 0, NULL))) {
        struct db_error bad = {EIO, "kvs: unexpected answer from the database"};
        batch_failed (kd, &bad);
    } else if (err)
        batch_failed (kd, err);
    else {
        if (!kd->writable) {
            fx_log (kd->peer, LOG_INFO, "writes succeed again");
            kd->writable = 1;
            fx_metric_set (kd->m_writable, 1);
            kd->write_error_logged = 0;
        }
        for (c = kd->inflight; c; c = next, i++) {
            next = c->next;
            commit_done (kd, c, json_array_get (results, i));
            commit_destroy (c);
        }
        kd->inflight = NULL;
    }
    json_decref (results);
    batch_send (kd);
}

/* Fail everything queued (the database is down). */
void store_fail_queued (struct kvsd *kd, const struct db_error *err)
{
    struct commit *c;

    while ((c = kd->queued)) {
        kd->queued = c->next;
        fx_metric_inc (kd->m_commits, "error");
        fx_respond_error (kd->peer, c->req, err->errnum, "%s", err->text);
        commit_destroy (c);
    }
    kd->queued_tail = &kd->queued;
    kd->nqueued = 0;
}

/* Send what is queued as one database transaction, unless one is in flight. */
static void batch_send (struct kvsd *kd)
{
    json_t *batch = json_array (), *o;
    struct commit **tail = &kd->inflight;
    size_t bytes = 0;
    char *text = NULL;

    if (kd->inflight || !kd->queued || !batch)
        goto out;
    while (kd->queued && json_array_size (batch) < KVS_BATCH_MAX && bytes < KVS_BATCH_BYTES) {
        struct commit *c = kd->queued;
        kd->queued = c->next;
        kd->nqueued--;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
        bytes += c->req->payload_len;
        o = json_pack ("{s:s s:O}", "ns", c->ns, "ops", c->ops);
        json_array_append_new (batch, o);
    }
    if (!kd->queued)
        kd->queued_tail = &kd->queued;
    text = json_dumps (batch, JSON_COMPACT);
    if (!text || db_query (kd->db, "commit", 1, (const char *const[]){text}, batch_cb, NULL) < 0) {
        struct db_error err = {EAGAIN, ""};
        snprintf (err.text, sizeof (err.text), "%s",
                  text ? db_unavailable (kd->db) : "kvs: out of memory");
        batch_failed (kd, &err);
    }
out:
    free (text);
    json_decref (batch);
}

static void commit_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_error_t jerr;
    const char *name = "primary";
    json_t *in, *ops, *op, *nop;
    struct commit *c;
    size_t i;
    struct ns *ns;

    (void) p;
    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s?s s:o}", "namespace", &name, "ops", &ops) < 0
        || !json_is_array (ops)) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.commit: %s",
                            err.text[0] ? err.text : "expected {\"namespace\"?, \"ops\": [...]}");
        return;
    }
    if (!(ns = ns_access (kd, req, name)))
        return;
    if (!db_ready (kd->db)) {
        kvsd_respond_error (kd, req, EAGAIN, "%s", db_unavailable (kd->db));
        return;
    }
    if (!(c = calloc (1, sizeof (*c))) || !(c->ops = json_array ())
        || !(c->req = fx_msg_copy (req))) {
        commit_destroy (c);
        kvsd_respond_error (kd, req, ENOMEM, "kvs: out of memory");
        return;
    }
    snprintf (c->ns, sizeof (c->ns), "%s", ns->name);
    json_array_foreach (ops, i, op)
    {
        if (!(nop = txn_normalize_op (op, &err))) {
            kvsd_respond_error (kd, req, EINVAL, "%s", err.text);
            commit_destroy (c);
            return;
        }
        json_array_append_new (c->ops, nop);
    }
    *kd->queued_tail = c;
    kd->queued_tail = &c->next;
    kd->nqueued++;
    batch_send (kd);
}

/* The answer of a read: the database's JSON text, passed on. */
static void read_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct fx_msg *req = arg, *rsp = NULL;

    /* The database's JSON text goes out as it is: parsing and printing a page of a few
     * MB again cost kvsd as much as the query cost PostgreSQL. */
    if (err)
        fx_respond_error (kd->peer, req, err->errnum, "%s", err->text);
    else if (!(rsp = fx_msg_response (req, 0, NULL, NULL))
             || fx_msg_set_payload_text (rsp, PQgetvalue (res, 0, 0),
                                         (size_t) PQgetlength (res, 0, 0))
                    < 0) {
        if (errno == EMSGSIZE)
            fx_respond_error (kd->peer, req, EMSGSIZE, "the answer is too big: ask for less");
        else
            fx_respond_error (kd->peer, req, EIO, "kvs: unexpected answer from the database");
    } else if (!(req->flags & FX_MSGFLAG_NORESPONSE))
        fx_peer_send (kd->peer, rsp);
    fx_msg_destroy (rsp);
    fx_msg_destroy (req);
}

/* Send a read for req; the answer goes straight back to the requester. */
static void read_query (struct kvsd *kd, const struct fx_msg *req, const char *stmt, int n,
                        const char *const params[])
{
    struct fx_msg *copy = fx_msg_copy (req);

    if (!copy) {
        kvsd_respond_error (kd, req, ENOMEM, "kvs: out of memory");
        return;
    }
    if (db_query (kd->db, stmt, n, params, read_cb, copy) < 0) {
        kvsd_respond_error (kd, req, EAGAIN, "%s", db_unavailable (kd->db));
        fx_msg_destroy (copy);
    }
}

static void get_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_error_t jerr;
    const char *name = "primary", *key;
    int from = 0, limit = KVS_DEFAULT_LIMIT;
    char nkey[KVS_KEY_MAX + 1], sfrom[16], slimit[16];
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s?s s:s s?i s?i}", "namespace", &name, "key",
                           &key, "from", &from, "limit", &limit)
               < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.get: %s", err.text[0] ? err.text : jerr.text);
        return;
    }
    if (key_normalize (key, nkey, sizeof (nkey), &err) < 0 || from < 0 || limit < 1) {
        kvsd_respond_error (kd, req, EINVAL, "%s", err.text[0] ? err.text : "bad from or limit");
        return;
    }
    if (!ns_access (kd, req, name))
        return;
    snprintf (sfrom, sizeof (sfrom), "%d", from);
    snprintf (slimit, sizeof (slimit), "%d", limit > KVS_DEFAULT_LIMIT ? KVS_DEFAULT_LIMIT : limit);
    read_query (kd, req, "get", 4, (const char *const[]){name, nkey, sfrom, slimit});
}

static void dir_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_error_t jerr;
    const char *name = "primary", *key = "", *after = "";
    int recursive = 0, values = 0, limit = KVS_DEFAULT_LIMIT;
    char nkey[KVS_KEY_MAX + 1], nafter[KVS_KEY_MAX + 1], slimit[16];
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s?s s?s s?b s?b s?s s?i}", "namespace", &name,
                           "key", &key, "recursive", &recursive, "values", &values, "after", &after,
                           "limit", &limit)
               < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.dir: %s", err.text[0] ? err.text : jerr.text);
        return;
    }
    if (key_normalize (key, nkey, sizeof (nkey), &err) < 0
        || key_normalize (after, nafter, sizeof (nafter), &err) < 0 || limit < 1) {
        kvsd_respond_error (kd, req, EINVAL, "%s", err.text[0] ? err.text : "bad limit");
        return;
    }
    if (!ns_access (kd, req, name))
        return;
    snprintf (slimit, sizeof (slimit), "%d", limit > KVS_DEFAULT_LIMIT ? KVS_DEFAULT_LIMIT : limit);
    read_query (kd, req, "dir", 6,
                (const char *const[]){name, nkey, recursive ? "true" : "false",
                                      values ? "true" : "false", nafter, slimit});
}

/* kvs.job-eventlogs {"after"?, "limit"?} (owner): the eventlogs of the jobs in primary whose
 * eventlog key sorts after `after`, in key order, at most `limit` (default and maximum
 * KVS_DEFAULT_LIMIT): {"entries": [{"key", "events"}...], "more"}.  jobd reads every job
 * this way at start. */
static void job_eventlogs_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    json_error_t jerr;
    const char *after = "";
    int limit = KVS_DEFAULT_LIMIT;
    char nafter[KVS_KEY_MAX + 1], slimit[16];
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s?s s?i}", "after", &after, "limit", &limit)
               < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.job-eventlogs: %s",
                            err.text[0] ? err.text : jerr.text);
        return;
    }
    if (key_normalize (after, nafter, sizeof (nafter), &err) < 0 || limit < 1) {
        kvsd_respond_error (kd, req, EINVAL, "%s", err.text[0] ? err.text : "bad limit");
        return;
    }
    snprintf (slimit, sizeof (slimit), "%d", limit > KVS_DEFAULT_LIMIT ? KVS_DEFAULT_LIMIT : limit);
    read_query (kd, req, "job-eventlogs", 3, (const char *const[]){"primary", nafter, slimit});
}

static void version_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    struct fx_error err = {""};
    const char *name = "primary";
    json_t *in, *o;
    struct ns *ns;

    if (!(in = fx_msg_json (req, &err))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s?s}", "namespace", &name) < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.version: expected {\"namespace\"?}");
        return;
    }
    if (!(ns = ns_access (kd, req, name)))
        return;
    o = json_pack ("{s:I}", "version", (json_int_t) ns->version);
    fx_respond (p, req, o);
    json_decref (o);
}

const struct fx_handler store_handlers[] = {
    {"kvs.commit", commit_cb, FX_ROLE_ALL},
    {"kvs.get", get_cb, FX_ROLE_ALL},
    {"kvs.dir", dir_cb, FX_ROLE_ALL},
    {"kvs.job-eventlogs", job_eventlogs_cb, FX_ROLE_OWNER},
    {"kvs.version", version_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
