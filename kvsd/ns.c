/* ns.c - the namespaces kvsd keeps in memory, and who may use them.
 *
 * The database is authoritative: after every (re)connection the table is read again
 * (ns_load) and versions are taken from it; in between, commits and the admin handlers keep
 * the copy current.  A namespace's watches hang off it (watch.c).
 *
 * Access (doc/kvs.md, "Access"): the owner may use every namespace; a guest only those it
 * owns, never primary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kvsd/kvsd.h"

int ns_init (struct kvsd *kd)
{
    if (!(kd->namespaces = fx_strmap_create ()))
        return -1;
    /* Until the database answers: primary exists in every database kvsd set up. */
    return ns_add (kd, "primary", kd->owner, 0) ? 0 : -1;
}

void ns_destroy_all (struct kvsd *kd)
{
    struct ns *ns;
    size_t pos = 0;

    if (!kd->namespaces)
        return;
    while ((ns = fx_strmap_next (kd->namespaces, &pos, NULL)))
        free (ns);
    fx_strmap_destroy (kd->namespaces);
    kd->namespaces = NULL;
}

struct ns *ns_lookup (struct kvsd *kd, const char *name)
{
    return fx_strmap_get (kd->namespaces, name);
}

struct ns *ns_add (struct kvsd *kd, const char *name, uint32_t owner, int64_t version)
{
    struct ns *ns = ns_lookup (kd, name);

    if (!ns) {
        if (!(ns = calloc (1, sizeof (*ns))))
            return NULL;
        snprintf (ns->name, sizeof (ns->name), "%s", name);
        if (fx_strmap_put (kd->namespaces, ns->name, ns) < 0) {
            free (ns);
            return NULL;
        }
    }
    ns->owner = owner;
    ns->version = version;
    fx_metric_set (kd->m_namespaces, (double) fx_strmap_count (kd->namespaces));
    return ns;
}

void ns_remove (struct kvsd *kd, const char *name)
{
    struct ns *ns = fx_strmap_remove (kd->namespaces, name);

    if (ns) {
        watch_ns_gone (kd, ns);
        free (ns);
    }
    fx_metric_set (kd->m_namespaces, (double) fx_strmap_count (kd->namespaces));
}

static void load_cb (struct kvsd *kd, PGresult *res, const struct db_error *err, void *arg)
{
    struct ns *ns;
    size_t pos = 0;
    const char *name;
    int n;

    (void) arg;
    if (err) {
        fx_log (kd->peer, LOG_ERR, "cannot read the namespaces: %s", err->text);
        return;
    }
    n = PQntuples (res);
    for (int i = 0; i < n; i++) {
        ns_add (kd, PQgetvalue (res, i, 0), (uint32_t) strtoul (PQgetvalue (res, i, 1), NULL, 10),
                strtoll (PQgetvalue (res, i, 2), NULL, 10));
    }
    /* Namespaces removed behind our back (another kvsd, an administrator) go too. */
    while ((ns = fx_strmap_next (kd->namespaces, &pos, &name))) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = strcmp (PQgetvalue (res, i, 0), name) == 0;
        if (!found) {
            ns_remove (kd, name);
            pos = 0;
        }
    }
    kd->ns_loaded = 1;
}

void ns_load (struct kvsd *kd)
{
    kd->ns_loaded = 0;
    if (db_query (kd->db, "ns-list", 0, NULL, load_cb, NULL) < 0)
        fx_log (kd->peer, LOG_ERR, "cannot read the namespaces: %s", db_unavailable (kd->db));
}

struct ns *ns_access (struct kvsd *kd, const struct fx_msg *req, const char *name)
{
    struct ns *ns;

    if (!ns_name_valid (name)) {
        kvsd_respond_error (kd, req, EINVAL, "invalid namespace name '%.100s'", name);
        return NULL;
    }
    ns = ns_lookup (kd, name);
    if (!(req->rolemask & FX_ROLE_OWNER)
        && (!ns || ns->owner != req->userid || strcmp (name, "primary") == 0)) {
        fx_respond_denied (kd->peer, req, "%s: Operation not permitted", name);
        return NULL;
    }
    if (!ns) {
        kvsd_respond_error (kd, req, ENOENT, "%s: No such namespace", name);
        return NULL;
    }
    return ns;
}
