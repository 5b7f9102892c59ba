/* admin.c - namespaces, statistics and the purge of old jobs' data.
 *
 * Namespace creation and removal are database statements answered from their result; the
 * copy in memory (ns.c) changes only once the database has. kvs.job-purge runs
 * kvs_job_purge() (schema.c); with the kvs group's purge-age-limit or purge-num-limit set,
 * the same purge runs at start, after each configuration reload and every minute, and logs
 * what it removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kvsd/kvsd.h"

#define PURGE_INTERVAL 60.0

struct pending {
    struct fx_msg *req;
    char ns[KVS_NS_MAX + 1];
    uint32_t owner;
};

static void pending_destroy (struct pending *pd)
{
    if (pd) {
        fx_msg_destroy (pd->req);
        free (pd);
    }
}

static struct pending *pending_create (const struct fx_msg *req, const char *ns, uint32_t owner)
{
    struct pending *pd = calloc (1, sizeof (*pd));

    if (!pd || !(pd->req = fx_msg_copy (req))) {
        free (pd);
        return NULL;
    }
    snprintf (pd->ns, sizeof (pd->ns), "%s", ns);
    pd->owner = owner;
    return pd;
}

/* Send stmt for req; cb gets a struct pending.  Errors are answered here. */
static void admin_query (struct kvsd *kd, const struct fx_msg *req, const char *ns, uint32_t owner,
                         const char *stmt, int n, const char *const params[], db_result_f cb)
{
    struct pending *pd = pending_create (req, ns, owner);

    if (!pd) {
        kvsd_respond_error (kd, req, ENOMEM, "kvs: out of memory");
        return;
    }
    if (db_query (kd->db, stmt, n, params, cb, pd) < 0) {
        kvsd_respond_error (kd, req, EAGAIN, "%s", db_unavailable (kd->db));
        pending_destroy (pd);
    }
}

static void created_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct pending *pd = arg;

    (void) res;
    if (err && err->errnum == EEXIST)
        fx_respond_error (kd->peer, pd->req, EEXIST, "%s: namespace exists", pd->ns);
    else if (err)
        fx_respond_error (kd->peer, pd->req, err->errnum, "%s", err->text);
    else if (!ns_add (kd, pd->ns, pd->owner, 0))
        fx_respond_error (kd->peer, pd->req, ENOMEM, "kvs: out of memory");
    else
        fx_respond (kd->peer, pd->req, NULL);
    pending_destroy (pd);
}

static void ns_create_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    const char *name;
    json_int_t owner = req->userid;
    char sowner[16];
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:s s?I}", "namespace", &name, "owner", &owner)
               < 0
        || owner < 0 || owner > UINT32_MAX - 1) {
        kvsd_respond_error (kd, req, EPROTO,
                            "kvs.namespace-create: expected {\"namespace\", \"owner\"?: uid}");
        return;
    }
    if (!ns_name_valid (name)) {
        kvsd_respond_error (kd, req, EINVAL, "invalid namespace name '%.100s'", name);
        return;
    }
    if (ns_lookup (kd, name)) {
        kvsd_respond_error (kd, req, EEXIST, "%s: namespace exists", name);
        return;
    }
    snprintf (sowner, sizeof (sowner), "%lld", (long long) owner);
    admin_query (kd, req, name, (uint32_t) owner, "ns-create", 2,
                 (const char *const[]){name, sowner}, created_cb);
}

static void removed_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct pending *pd = arg;

    (void) res;
    if (err)
        fx_respond_error (kd->peer, pd->req, err->errnum, "%s", err->text);
    else {
        ns_remove (kd, pd->ns);
        fx_respond (kd->peer, pd->req, NULL);
    }
    pending_destroy (pd);
}

static void ns_remove_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    const char *name;
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:s}", "namespace", &name) < 0) {
        kvsd_respond_error (kd, req, EPROTO, "kvs.namespace-remove: expected {\"namespace\"}");
        return;
    }
    if (strcmp (name, "primary") == 0) {
        kvsd_respond_error (kd, req, EINVAL, "primary: the primary namespace cannot be removed");
        return;
    }
    if (!ns_lookup (kd, name)) {
        kvsd_respond_error (kd, req, ENOENT, "%.100s: No such namespace", name);
        return;
    }
    admin_query (kd, req, name, 0, "ns-remove", 1, (const char *const[]){name}, removed_cb);
}

static void ns_list_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    json_t *list = json_array (), *o;
    struct ns *ns;
    size_t pos = 0;

    while (list && (ns = fx_strmap_next (kd->namespaces, &pos, NULL))) {
        if (!(req->rolemask & FX_ROLE_OWNER) && ns->owner != req->userid)
            continue;
        json_array_append_new (list, json_pack ("{s:s s:I s:I}", "name", ns->name, "owner",
                                                (json_int_t) ns->owner, "version",
                                                (json_int_t) ns->version));
    }
    o = json_pack ("{s:o}", "namespaces", list);
    fx_respond (p, req, o);
    json_decref (o);
}

static void passthrough_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct pending *pd = arg;
    json_t *o;

    if (err)
        fx_respond_error (kd->peer, pd->req, err->errnum, "%s", err->text);
    else if (!(o = json_loads (PQgetvalue (res, 0, 0), 0, NULL)))
        fx_respond_error (kd->peer, pd->req, EIO, "kvs: unexpected answer from the database");
    else {
        fx_respond (kd->peer, pd->req, o);
        json_decref (o);
    }
    pending_destroy (pd);
}

static void stats_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    (void) p;
    admin_query (arg, req, "primary", 0, "stats", 0, NULL, passthrough_cb);
}

/* A purge: counted at once, or removed in bounded chunks (KVS_PURGE_CHUNK jobs per
 * database transaction) while the database says there are more.  req is NULL for the
 * automatic purge, which logs instead of answering. */
struct purge {
    struct kvsd *kd;
    struct fx_msg *req;
    double age;     /* seconds, < 0: no limit */
    json_int_t num; /* < 0: no limit */
    int force;
    json_int_t jobs, entries, bytes;
};

static int purge_send (struct purge *pg);

static void purge_destroy (struct purge *pg)
{
    fx_msg_destroy (pg->req);
    free (pg);
}

/* Tell the watches of the removed jobs, and jobd (event kvs.job-purged {"keys"}), which
 * forgets them; primary's version moved. */
static void purged (struct kvsd *kd, json_t *keys)
{
    struct ns *ns = ns_lookup (kd, "primary");
    json_t *k, *o;
    size_t i;

    if (!ns || json_array_size (keys) == 0)
        return;
    json_array_foreach (keys, i, k) watch_removed (kd, ns, json_string_value (k));
    ns->version++;
    if ((o = json_pack ("{s:s s:{s:O}}", "topic", "kvs.job-purged", "payload", "keys", keys)))
        fx_rpc_start (kd->peer, "event.publish", 0, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
    json_decref (o);
}

static void purge_finish (struct purge *pg, const struct db_error *err)
{
    struct kvsd *kd = pg->kd;
    json_t *o;

    if (err && pg->req)
        fx_respond_error (kd->peer, pg->req, err->errnum, "%s", err->text);
    else if (err && err->errnum != EAGAIN)
        fx_log (kd->peer, LOG_ERR, "automatic purge failed: %s", err->text);
    else if (pg->req) {
        o = json_pack ("{s:I s:I s:I}", "jobs", pg->jobs, "entries", pg->entries, "bytes",
                       pg->bytes);
        fx_respond (kd->peer, pg->req, o);
        json_decref (o);
    } else if (pg->jobs > 0)
        fx_log (kd->peer, LOG_INFO, "purged %lld inactive jobs (%lld entries, %lld bytes)",
                (long long) pg->jobs, (long long) pg->entries, (long long) pg->bytes);
    purge_destroy (pg);
}

static void purge_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct purge *pg = arg;
    struct db_error bad = {EIO, "kvs: unexpected answer from the database"};
    json_int_t jobs, entries, bytes;
    json_t *o, *keys;
    int more = 0;

    if (err) {
        purge_finish (pg, err);
        return;
    }
    if (!(o = json_loads (PQgetvalue (res, 0, 0), 0, NULL))
        || json_unpack (o, "{s:I s:I s:I s:o s:b}", "jobs", &jobs, "entries", &entries, "bytes",
                        &bytes, "keys", &keys, "more", &more)
               < 0) {
        json_decref (o);
        purge_finish (pg, &bad);
        return;
    }
    purged (kd, keys);
    pg->jobs += jobs;
    pg->entries += entries;
    pg->bytes += bytes;
    json_decref (o);
    if (more && pg->force && purge_send (pg) == 0)
        return;
    purge_finish (pg, NULL);
}

static int purge_send (struct purge *pg)
{
    char sage[32], snum[32], smax[16];
    const char *params[4];

    snprintf (sage, sizeof (sage), "%.6f", pg->age);
    snprintf (snum, sizeof (snum), "%lld", (long long) pg->num);
    snprintf (smax, sizeof (smax), "%d", KVS_PURGE_CHUNK);
    params[0] = pg->age >= 0 ? sage : NULL; /* NULL is SQL NULL: no limit */
    params[1] = pg->num >= 0 ? snum : NULL;
    params[2] = pg->force ? "true" : "false";
    params[3] = smax;
    if (db_query (pg->kd->db, "purge", 4, params, purge_cb, pg) < 0) {
        struct db_error err = {EAGAIN, ""};
        snprintf (err.text, sizeof (err.text), "%s", db_unavailable (pg->kd->db));
        purge_finish (pg, &err);
        return -1;
    }
    return 0;
}

static void purge_start (struct kvsd *kd, const struct fx_msg *req, double age, json_int_t num,
                         int force)
{
    struct purge *pg = calloc (1, sizeof (*pg));

    if (!pg || (req && !(pg->req = fx_msg_copy (req)))) {
        free (pg);
        if (req)
            kvsd_respond_error (kd, req, ENOMEM, "kvs: out of memory");
        return;
    }
    pg->kd = kd;
    pg->age = age;
    pg->num = num;
    pg->force = force;
    purge_send (pg);
}

static void job_purge_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct kvsd *kd = arg;
    double age = -1;
    json_int_t num = -1;
    int force = 0;
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s?F s?I s?b}", "age-limit", &age, "num-limit",
                           &num, "force", &force)
               < 0
        || num > INT32_MAX) {
        kvsd_respond_error (kd, req, EPROTO,
                            "kvs.job-purge: expected {\"age-limit\"?: seconds, "
                            "\"num-limit\"?: count, \"force\"?: bool}");
        return;
    }
    if (age < 0 && num < 0) {
        kvsd_respond_error (kd, req, EINVAL,
                            "job-purge: give an age limit, a number limit or both");
        return;
    }
    purge_start (kd, req, age, num, force);
}

void admin_purge_now (struct kvsd *kd)
{
    if ((kd->purge_age >= 0 || kd->purge_num >= 0) && db_ready (kd->db))
        purge_start (kd, NULL, kd->purge_age, kd->purge_num, 1);
}

static void purge_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    admin_purge_now (w->data);
}

void admin_purge_start (struct kvsd *kd)
{
    ev_timer_init (&kd->purge_timer, purge_timer_cb, PURGE_INTERVAL, PURGE_INTERVAL);
    kd->purge_timer.data = kd;
    ev_timer_start (kd->loop, &kd->purge_timer);
}

const struct fx_handler admin_handlers[] = {
    {"kvs.namespace-create", ns_create_cb, FX_ROLE_OWNER},
    {"kvs.namespace-remove", ns_remove_cb, FX_ROLE_OWNER},
    {"kvs.namespace-list", ns_list_cb, FX_ROLE_ALL},
    {"kvs.stats", stats_cb, FX_ROLE_OWNER},
    {"kvs.job-purge", job_purge_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
