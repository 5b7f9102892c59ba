/* kvsd.h - flux-kvsd's context and the interfaces between its files.
 *
 * main.c      arguments, configuration, create, ready, loop, destroy
 * kvsd.c      the context: peer, metrics, configuration, service table
 * db.c        the PostgreSQL connection: connect with backoff, migrations, pipelined queries
 * schema.c    the schema as versioned migrations
 * key.c       key and namespace name rules
 * txn.c       the operations of a transaction, checked and normalized
 * ns.c        namespaces in memory: owner, version, watchers; access checks
 * store.c     commit batching and the read handlers
 * watch.c     streaming watches of keys and eventlogs
 * admin.c     namespace create/remove/list, stats, job purge
 */
#ifndef KVSD_H
#define KVSD_H

#include <ev.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "services/error.h"
#include "services/metrics.h"
#include "services/msg.h"
#include "services/peer.h"
#include "services/strmap.h"

#define KVS_KEY_MAX              1024
#define KVS_NS_MAX               100
#define KVS_BATCH_MAX            1000              /* client transactions in one database one */
#define KVS_BATCH_BYTES          (8 * 1024 * 1024) /* payload bytes in one database transaction */
#define KVS_DEFAULT_LIMIT        1000              /* entries or events per answer */
#define KVS_DB_TIMEOUT           10.0              /* seconds without an answer: connection reset */
#define KVS_STATEMENT_TIMEOUT_MS 8000              /* the server gives up first, and rolls back */
#define KVS_PURGE_CHUNK          1000              /* jobs removed in one database transaction */
#define KVS_GUEST_WATCHES        1000              /* watches one guest user may hold */

struct db;
struct watch;

/* A namespace as kvsd keeps it in memory (all of them: their number is bounded by the
 * running jobs). */
struct ns {
    char name[KVS_NS_MAX + 1];
    uint32_t owner;
    int64_t version;
    struct watch *watches; /* list of this namespace's watches */
};

/* One client transaction waiting for, or in, a database transaction. */
struct commit {
    struct fx_msg *req;
    char ns[KVS_NS_MAX + 1];
    json_t *ops; /* normalized operations, as sent to kvs_commit() */
    struct commit *next;
};

struct kvsd {
    struct ev_loop *loop;
    struct fx_peer *peer;
    struct fx_handler *handlers; /* the service's table, assembled from the files' */
    json_t *config;
    int notified;       /* systemd was told we are ready */
    char *dsn_override; /* --dsn: wins over kvs.dsn, across reloads too */
    uint32_t owner;     /* the instance owner: primary's owner */
    struct db *db;
    struct fx_strmap *namespaces; /* name -> struct ns */
    int ns_loaded;                /* namespaces read since the last (re)connection */

    struct commit *queued, **queued_tail; /* waiting for the next database transaction */
    int nqueued;
    struct commit *inflight; /* in the database transaction in flight */
    int writable;            /* the last write succeeded (or none failed yet) */
    double write_error_logged;

    struct watch *watch_list; /* every watch, for cancel and disconnect */
    int nwatches;

    double purge_age;  /* kvs.purge-age-limit, seconds; < 0: none */
    int64_t purge_num; /* kvs.purge-num-limit; < 0: none */
    ev_timer purge_timer;

    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_commits, *m_batches, *m_write_errors, *m_connected, *m_writable;
    struct fx_metric *m_watches, *m_queue, *m_reconnects, *m_namespaces, *m_requests;
};

struct kvsd_args {
    uint32_t rank;
    uint32_t size;
    const char *uri;
    const char *config_dir;
    const char *dsn; /* overrides kvs.dsn (a test instance's private cluster) */
};

/* kvsd.c */
struct kvsd *kvsd_create (struct ev_loop *loop, const struct kvsd_args *args, struct fx_error *err);
void kvsd_destroy (struct kvsd *kd);
void kvsd_respond_error (struct kvsd *kd, const struct fx_msg *req, int errnum, const char *fmt,
                         ...) __attribute__ ((format (printf, 4, 5)));

/* schema.c */
int schema_version (void);
char *schema_setup_sql (unsigned long owner);

/* key.c: normalize key in place (drop leading, trailing and repeated dots).  Returns -1 with
 * a message in err when a component has a forbidden character or it is too long. */
int key_normalize (const char *in, char *out, size_t size, struct fx_error *err);
int ns_name_valid (const char *name);
/* Is `key` equal to or under `dir` (dir "" is the root)? */
int key_within (const char *key, const char *dir);

/* txn.c: one operation of kvs.commit as kvs_commit() takes it, or NULL with a message. */
json_t *txn_normalize_op (json_t *op, struct fx_error *err);

/* db.c */
struct db_error {
    int errnum;
    char text[FX_ERROR_LEN];
};
/* A query's outcome: res on success (borrowed for the call), else err. */
typedef void (*db_result_f) (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg);
typedef void (*db_state_f) (struct kvsd *kd, int ready);

struct db *db_create (struct kvsd *kd, const char *dsn, db_state_f state_cb);
void db_destroy (struct db *db);
/* Connect to another database (kvs.dsn changed): the current connection is closed. */
int db_set_dsn (struct db *db, const char *dsn);
int db_ready (const struct db *db);
/* The reason the database is unavailable, "kvs: database unavailable: ..." */
const char *db_unavailable (const struct db *db);
/* Send a prepared statement (name from the table in db.c) with text params.  cb is always
 * called later, exactly once.  Returns -1 with errno EAGAIN when the database is not
 * connected (then cb is not called). */
int db_query (struct db *db, const char *stmt, int nparams, const char *const params[],
              db_result_f cb, void *arg);
int db_pending (const struct db *db);
/* The errno of a kvs_fail() code name ("ENOENT"), EIO for others. */
int db_errnum (const char *name);

/* ns.c */
int ns_init (struct kvsd *kd);
void ns_destroy_all (struct kvsd *kd);
struct ns *ns_lookup (struct kvsd *kd, const char *name);
struct ns *ns_add (struct kvsd *kd, const char *name, uint32_t owner, int64_t version);
void ns_remove (struct kvsd *kd, const char *name);
/* Reload the namespaces after a (re)connection. */
void ns_load (struct kvsd *kd);
/* Check that req may use namespace name; on failure respond with the error and return
 * NULL. */
struct ns *ns_access (struct kvsd *kd, const struct fx_msg *req, const char *name);

/* store.c */
extern const struct fx_handler store_handlers[];
void store_fail_queued (struct kvsd *kd, const struct db_error *err);

/* watch.c */
extern const struct fx_handler watch_handlers[];
/* A commit changed keys of ns: ops as sent, seqs as kvs_commit() answered. */
void watch_commit (struct kvsd *kd, struct ns *ns, json_t *ops, json_t *seqs);
/* Keys removed outside a commit (purge): treat as unlinks. */
void watch_removed (struct kvsd *kd, struct ns *ns, const char *key);
/* The namespace goes away: end its watches with ENOENT. */
void watch_ns_gone (struct kvsd *kd, struct ns *ns);
/* After a reconnection: a commit whose answer was lost may have changed anything. */
void watch_reload_all (struct kvsd *kd);
void watch_disconnect (struct fx_peer *p, struct fx_msg *ev, void *arg);
void watch_destroy_all (struct kvsd *kd);

/* admin.c */
extern const struct fx_handler admin_handlers[];
void admin_purge_start (struct kvsd *kd);
/* Apply the configured purge limits now (nothing when none is set). */
void admin_purge_now (struct kvsd *kd);

#endif
