/* rlist.c - resource sets in memory: the object, building, queries, the short form.
 *
 * Owns struct fx_rlist (see rlist_priv.h for its layout); rlist_json.c turns it into RFC 20
 * and back, rlist_ops.c combines sets.  It talks to the idset and hostlist modules only.
 * Functions return -1 or NULL with errno set and, where a person must read why, a one-line
 * message in a struct fx_error.  A failed call leaves its rlist unchanged: everything is
 * checked and allocated before anything is stored.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"
#include "services/rlist_priv.h"

int rlist_fail (struct fx_error *err, int errnum, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
    }
    errno = errnum;
    return -1;
}

struct children *rlist_children_create (struct fx_idset *cores, struct fx_idset *gpus)
{
    struct children *ch = NULL;

    if (!cores || !gpus || !(ch = malloc (sizeof (*ch)))) {
        fx_idset_destroy (cores);
        fx_idset_destroy (gpus);
        errno = ENOMEM;
        return NULL;
    }
    ch->refcount = 1;
    ch->cores = cores;
    ch->gpus = gpus;
    return ch;
}

struct children *rlist_children_incref (struct children *ch)
{
    ch->refcount++;
    return ch;
}

void rlist_children_decref (struct children *ch)
{
    if (ch && --ch->refcount == 0) {
        fx_idset_destroy (ch->cores);
        fx_idset_destroy (ch->gpus);
        free (ch);
    }
}

bool rlist_children_equal (const struct children *a, const struct children *b)
{
    return a == b || (fx_idset_equal (a->cores, b->cores) && fx_idset_equal (a->gpus, b->gpus));
}

struct fx_rlist *fx_rlist_create (void)
{
    return calloc (1, sizeof (struct fx_rlist));
}

static void properties_free (struct property *props, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free (props[i].name);
        fx_idset_destroy (props[i].ranks);
    }
    free (props);
}

void fx_rlist_destroy (struct fx_rlist *rl)
{
    if (rl) {
        int saved_errno = errno;
        for (size_t i = 0; i < rl->nnodes; i++) {
            free (rl->nodes[i].host);
            rlist_children_decref (rl->nodes[i].ch);
        }
        free (rl->nodes);
        properties_free (rl->props, rl->nprops);
        json_decref (rl->scheduling);
        free (rl);
        errno = saved_errno;
    }
}

int rlist_reserve (struct fx_rlist *rl, size_t extra)
{
    size_t n = rl->alloc ? rl->alloc : 16;
    struct node *nodes;

    if (rl->nnodes + extra <= rl->alloc)
        return 0;
    while (n < rl->nnodes + extra)
        n *= 2;
    if (!(nodes = realloc (rl->nodes, n * sizeof (*nodes))))
        return -1;
    rl->nodes = nodes;
    rl->alloc = n;
    return 0;
}

/* Append a node (the caller keeps ranks ascending), taking a new reference to ch. */
int rlist_push_node (struct fx_rlist *rl, unsigned int rank, const char *host, struct children *ch)
{
    struct node *n;

    if (rlist_reserve (rl, 1) < 0)
        return -1;
    n = &rl->nodes[rl->nnodes];
    if (host && !(n->host = strdup (host)))
        return -1;
    if (!host)
        n->host = NULL;
    n->rank = rank;
    n->tag = 0;
    n->ch = rlist_children_incref (ch);
    rl->nnodes++;
    return 0;
}

/* A new, empty set with rl's start time and expiration. */
struct fx_rlist *rlist_empty_like (const struct fx_rlist *rl)
{
    struct fx_rlist *r = fx_rlist_create ();

    if (r) {
        r->starttime = rl->starttime;
        r->expiration = rl->expiration;
    }
    return r;
}

struct fx_rlist *fx_rlist_copy (const struct fx_rlist *rl)
{
    struct fx_rlist *r = rlist_empty_like (rl);

    if (!r || rlist_reserve (r, rl->nnodes) < 0)
        goto error;
    for (size_t i = 0; i < rl->nnodes; i++)
        if (rlist_push_node (r, rl->nodes[i].rank, rl->nodes[i].host, rl->nodes[i].ch) < 0)
            goto error;
    for (size_t i = 0; i < rl->nprops; i++)
        if (rlist_add_property (r, rl->props[i].name, rl->props[i].ranks) < 0)
            goto error;
    r->nslots = rl->nslots;
    r->scheduling = json_incref (rl->scheduling);
    return r;
error:
    fx_rlist_destroy (r);
    errno = ENOMEM;
    return NULL;
}

/* Index of the first node with a rank >= rank (rl->nnodes if none). */
static size_t find_pos (const struct fx_rlist *rl, unsigned int rank)
{
    size_t lo = 0, hi = rl->nnodes;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rl->nodes[mid].rank < rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A host name must be exactly one entry of a hostlist, so that the nodelist round trips. */
static int check_host (const char *host, struct fx_error *err)
{
    struct fx_hostlist *hl = fx_hostlist_decode (host, NULL);
    const char *h = hl && fx_hostlist_count (hl) == 1 ? fx_hostlist_nth (hl, 0) : NULL;
    int rc = h && strcmp (h, host) == 0 ? 0 : -1;

    fx_hostlist_destroy (hl);
    if (rc < 0)
        return rlist_fail (err, EINVAL, "invalid host name '%.64s'", host);
    return 0;
}

/* Ids must stay below FX_RLIST_ID_LIMIT; what names the set in the message. */
static int check_ids (const struct fx_idset *ids, const char *what, struct fx_error *err)
{
    unsigned int last = fx_idset_last (ids);

    if (last != FX_IDSET_INVALID_ID && last >= FX_RLIST_ID_LIMIT)
        return rlist_fail (err, E2BIG, "%s: id %u is above the limit %u", what, last,
                           FX_RLIST_ID_LIMIT - 1);
    return 0;
}

static int rank_cmp (const void *va, const void *vb)
{
    const struct node *a = va, *b = vb;

    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Check what fx_rlist_add is given, before anything is allocated. */
static int check_add (const struct fx_rlist *rl, const struct fx_idset *ranks,
                      struct fx_hostlist *hosts, const struct fx_idset *cores,
                      const struct fx_idset *gpus, struct fx_error *err)
{
    size_t n = fx_idset_count (ranks);

    if (n == 0)
        return rlist_fail (err, EINVAL, "no ranks");
    if (n > FX_RLIST_RANKS_MAX - rl->nnodes)
        return rlist_fail (err, E2BIG, "more than %d ranks", FX_RLIST_RANKS_MAX);
    if (hosts && (size_t) fx_hostlist_count (hosts) != n)
        return rlist_fail (err, EINVAL, "%d hosts for %zu ranks", fx_hostlist_count (hosts), n);
    if ((cores && check_ids (cores, "cores", err) < 0)
        || (gpus && check_ids (gpus, "gpus", err) < 0))
        return -1;
    if (fx_idset_count (cores) + fx_idset_count (gpus) == 0)
        return rlist_fail (err, EINVAL, "no cores and no gpus");
    for (unsigned int r = fx_idset_first (ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (ranks, r)) {
        size_t pos = find_pos (rl, r);
        if (pos < rl->nnodes && rl->nodes[pos].rank == r)
            return rlist_fail (err, EEXIST, "rank %u is already present", r);
    }
    return 0;
}

/* Copies of the n hosts of hosts, each checked; NULL on failure (message in err). */
static char **copy_hosts (struct fx_hostlist *hosts, size_t n, struct fx_error *err)
{
    char **h = calloc (n, sizeof (*h));
    size_t k;

    for (k = 0; h && k < n; k++) {
        const char *host = fx_hostlist_nth (hosts, k);
        if (check_host (host, err) < 0)
            break;
        if (!(h[k] = strdup (host))) {
            rlist_fail (err, ENOMEM, "out of memory");
            break;
        }
    }
    if (h && k == n)
        return h;
    if (!h)
        rlist_fail (err, ENOMEM, "out of memory");
    for (size_t i = 0; h && i < k; i++)
        free (h[i]);
    free (h);
    return NULL;
}

int fx_rlist_add (struct fx_rlist *rl, const struct fx_idset *ranks, struct fx_hostlist *hosts,
                  const struct fx_idset *cores, const struct fx_idset *gpus, struct fx_error *err)
{
    size_t n = fx_idset_count (ranks), k = 0;
    struct children *ch;
    char **h = NULL;
    bool ascending;

    if (!rl || !ranks)
        return rlist_fail (err, EINVAL, "invalid argument");
    if (check_add (rl, ranks, hosts, cores, gpus, err) < 0
        || (hosts && !(h = copy_hosts (hosts, n, err))))
        return -1;
    ch = rlist_children_create (cores ? fx_idset_copy (cores) : fx_idset_create (),
                                gpus ? fx_idset_copy (gpus) : fx_idset_create ());
    if (!ch || rlist_reserve (rl, n) < 0) {
        rlist_children_decref (ch);
        for (size_t i = 0; h && i < n; i++)
            free (h[i]);
        free (h);
        return rlist_fail (err, ENOMEM, "out of memory");
    }
    ascending = rl->nnodes == 0 || rl->nodes[rl->nnodes - 1].rank < fx_idset_first (ranks);
    for (unsigned int r = fx_idset_first (ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (ranks, r), k++)
        rl->nodes[rl->nnodes++] = (struct node){r, 0, h ? h[k] : NULL, rlist_children_incref (ch)};
    if (!ascending)
        qsort (rl->nodes, rl->nnodes, sizeof (*rl->nodes), rank_cmp);
    rlist_children_decref (ch);
    free (h);
    return 0;
}

int rlist_check_property_name (const char *name, const char *what, struct fx_error *err)
{
    const char *bad = "!&'\"^`|()";

    if (name[0] == '\0')
        return rlist_fail (err, EINVAL, "%s: empty property name", what);
    if (strlen (name) > FX_RLIST_PROPERTY_MAX)
        return rlist_fail (err, EINVAL, "%s: property name longer than %d characters", what,
                           FX_RLIST_PROPERTY_MAX);
    for (const char *p = name; *p; p++) {
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
            return rlist_fail (err, EINVAL, "%s: property name holds a space or control character",
                               what);
        if (strchr (bad, *p))
            return rlist_fail (err, EINVAL, "%s: property name '%.64s' holds '%c'", what, name, *p);
    }
    return 0;
}

/* Index of the property name, or where it would go (*found false). */
static size_t find_property (const struct fx_rlist *rl, const char *name, bool *found)
{
    size_t lo = 0, hi = rl->nprops;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp (rl->props[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

int rlist_add_property (struct fx_rlist *rl, const char *name, const struct fx_idset *ranks)
{
    bool found;
    size_t i = find_property (rl, name, &found);
    struct property p, *props;

    if (found)
        return fx_idset_add (rl->props[i].ranks, ranks);
    if (!(props = realloc (rl->props, (rl->nprops + 1) * sizeof (*props))))
        return -1;
    rl->props = props;
    p.name = strdup (name);
    p.ranks = fx_idset_copy (ranks);
    if (!p.name || !p.ranks) {
        free (p.name);
        fx_idset_destroy (p.ranks);
        errno = ENOMEM;
        return -1;
    }
    memmove (&props[i + 1], &props[i], (rl->nprops - i) * sizeof (*props));
    props[i] = p;
    rl->nprops++;
    return 0;
}

int fx_rlist_set_property (struct fx_rlist *rl, const char *name, const struct fx_idset *ranks,
                           struct fx_error *err)
{
    struct fx_idset *all, *extra = NULL;
    bool found;
    int rc = -1;

    if (!rl || !name || !ranks)
        return rlist_fail (err, EINVAL, "invalid argument");
    if (rlist_check_property_name (name, name, err) < 0)
        return -1;
    if (fx_idset_count (ranks) == 0)
        return rlist_fail (err, EINVAL, "%s: no ranks", name);
    find_property (rl, name, &found);
    if (!found && rl->nprops >= FX_RLIST_PROPERTIES_MAX)
        return rlist_fail (err, E2BIG, "more than %d properties", FX_RLIST_PROPERTIES_MAX);
    if (!(all = fx_rlist_ranks (rl)) || !(extra = fx_idset_difference (ranks, all)))
        rlist_fail (err, ENOMEM, "out of memory");
    else if (fx_idset_count (extra) > 0) {
        char *s = fx_idset_encode (extra, 0);
        rlist_fail (err, EINVAL, "%s: rank%s %.64s %s not in the set", name,
                    fx_idset_count (extra) > 1 ? "s" : "", s ? s : "?",
                    fx_idset_count (extra) > 1 ? "are" : "is");
        free (s);
    } else if (rlist_add_property (rl, name, ranks) < 0)
        rlist_fail (err, ENOMEM, "out of memory");
    else
        rc = 0;
    fx_idset_destroy (all);
    fx_idset_destroy (extra);
    return rc;
}

size_t fx_rlist_nproperties (const struct fx_rlist *rl)
{
    return rl ? rl->nprops : 0;
}

int fx_rlist_property_at (const struct fx_rlist *rl, size_t n, const char **name,
                          const struct fx_idset **ranks)
{
    if (!rl || n >= rl->nprops)
        return rlist_fail (NULL, ENOENT, "no such property");
    if (name)
        *name = rl->props[n].name;
    if (ranks)
        *ranks = rl->props[n].ranks;
    return 0;
}

size_t fx_rlist_nnodes (const struct fx_rlist *rl)
{
    return rl ? rl->nnodes : 0;
}

size_t fx_rlist_ncores (const struct fx_rlist *rl)
{
    size_t n = 0;

    for (size_t i = 0; rl && i < rl->nnodes; i++)
        n += fx_idset_count (rl->nodes[i].ch->cores);
    return n;
}

size_t fx_rlist_ngpus (const struct fx_rlist *rl)
{
    size_t n = 0;

    for (size_t i = 0; rl && i < rl->nnodes; i++)
        n += fx_idset_count (rl->nodes[i].ch->gpus);
    return n;
}

static void fill_node (const struct node *n, struct fx_rlist_node *out)
{
    out->rank = n->rank;
    out->host = n->host;
    out->cores = n->ch->cores;
    out->gpus = n->ch->gpus;
}

int fx_rlist_node_at (const struct fx_rlist *rl, size_t n, struct fx_rlist_node *node)
{
    if (!rl || n >= rl->nnodes)
        return rlist_fail (NULL, ENOENT, "no such node");
    fill_node (&rl->nodes[n], node);
    return 0;
}

int fx_rlist_find_rank (const struct fx_rlist *rl, unsigned int rank, struct fx_rlist_node *node)
{
    size_t pos = rl ? find_pos (rl, rank) : 0;

    if (!rl || pos >= rl->nnodes || rl->nodes[pos].rank != rank)
        return rlist_fail (NULL, ENOENT, "no such rank");
    fill_node (&rl->nodes[pos], node);
    return 0;
}

/* The ranks of nodes[i..j-1], which are ascending. */
static struct fx_idset *ranks_of (const struct node *nodes, size_t i, size_t j)
{
    struct fx_idset *set = fx_idset_create ();

    while (set && i < j) {
        size_t k = i + 1;
        while (k < j && nodes[k].rank == nodes[k - 1].rank + 1)
            k++;
        if (fx_idset_range_set (set, nodes[i].rank, nodes[k - 1].rank) < 0) {
            fx_idset_destroy (set);
            return NULL;
        }
        i = k;
    }
    return set;
}

struct fx_idset *fx_rlist_ranks (const struct fx_rlist *rl)
{
    return ranks_of (rl->nodes, 0, rl->nnodes);
}

char *fx_rlist_nodelist (const struct fx_rlist *rl)
{
    struct fx_hostlist *hl = fx_hostlist_create ();
    char *s = NULL;

    if (!hl)
        return NULL;
    for (size_t i = 0; i < rl->nnodes; i++) {
        if (!rl->nodes[i].host) {
            errno = ENOENT;
            goto done;
        }
        if (fx_hostlist_append (hl, rl->nodes[i].host, NULL) < 0)
            goto done;
    }
    s = fx_hostlist_encode (hl);
done:
    fx_hostlist_destroy (hl);
    return s;
}

struct hostrank {
    const char *host;
    unsigned int rank;
};

static int hostrank_cmp (const void *va, const void *vb)
{
    const struct hostrank *a = va, *b = vb;
    int c = strcmp (a->host, b->host);

    return c ? c : a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Add to ranks every rank of host, from the sorted index; 0, -1 ENOENT or ENOMEM. */
static int lookup_host (const struct hostrank *index, size_t n, const char *host,
                        struct fx_idset *ranks)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp (index[mid].host, host) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || strcmp (index[lo].host, host) != 0)
        return rlist_fail (NULL, ENOENT, "no such host");
    for (; lo < n && strcmp (index[lo].host, host) == 0; lo++)
        if (fx_idset_set (ranks, index[lo].rank) < 0)
            return -1;
    return 0;
}

struct fx_idset *fx_rlist_hosts_to_ranks (const struct fx_rlist *rl, const char *hosts,
                                          struct fx_error *err)
{
    struct fx_hostlist *hl = fx_hostlist_decode (hosts, err);
    struct hostrank *index = NULL;
    struct fx_idset *ranks = fx_idset_create ();
    size_t n = 0;

    if (!hl || !ranks || !(index = malloc ((rl->nnodes + 1) * sizeof (*index))))
        goto error;
    for (size_t i = 0; i < rl->nnodes; i++)
        if (rl->nodes[i].host)
            index[n++] = (struct hostrank){rl->nodes[i].host, rl->nodes[i].rank};
    qsort (index, n, sizeof (*index), hostrank_cmp);
    for (int i = 0; i < fx_hostlist_count (hl); i++) {
        const char *host = fx_hostlist_nth (hl, i);
        if (lookup_host (index, n, host, ranks) < 0) {
            if (errno == ENOENT)
                rlist_fail (err, ENOENT, "host %.64s is not in the set", host);
            goto error;
        }
    }
    free (index);
    fx_hostlist_destroy (hl);
    return ranks;
error:
    if (errno == ENOMEM)
        rlist_fail (err, ENOMEM, "out of memory");
    free (index);
    fx_hostlist_destroy (hl);
    fx_idset_destroy (ranks);
    return NULL;
}

/* Print "NAME" followed by the set in brackets (none for a single id) to f. */
static void print_ids (FILE *f, const char *name, const struct fx_idset *ids)
{
    char *s = fx_idset_encode (ids, FX_IDSET_FLAG_BRACKETS);

    fprintf (f, "%s%s", name, s ? s : "?");
    if (!s)
        fputc ('\0', f); /* marks the output as failed; see fx_rlist_dumps_short */
    free (s);
}

char *fx_rlist_dumps_short (const struct fx_rlist *rl)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);

    if (!f)
        return NULL;
    for (size_t i = 0, j; i < rl->nnodes; i = j) {
        const struct children *ch = rl->nodes[i].ch;
        struct fx_idset *ranks;
        for (j = i + 1; j < rl->nnodes && rlist_children_equal (rl->nodes[j].ch, ch); j++)
            ;
        if (!(ranks = ranks_of (rl->nodes, i, j)))
            fputc ('\0', f);
        fputs (i > 0 ? " " : "", f);
        print_ids (f, "rank", ranks);
        fputc ('/', f);
        if (fx_idset_count (ch->cores) > 0)
            print_ids (f, "core", ch->cores);
        if (fx_idset_count (ch->gpus) > 0) {
            fputs (fx_idset_count (ch->cores) > 0 ? "," : "", f);
            print_ids (f, "gpu", ch->gpus);
        }
        fx_idset_destroy (ranks);
    }
    if (fclose (f) != 0 || strlen (buf) != len) {
        free (buf);
        errno = ENOMEM;
        return NULL;
    }
    return buf;
}
