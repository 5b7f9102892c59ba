/* rlist_json.c - RFC 20 (R version 1) to struct fx_rlist and back.
 *
 * Decoding is strict and bounded: every key is checked (unknown ones are named in the
 * error), every idset and hostlist parsed, the rank count is checked before nodes are
 * allocated and ids are capped (rlist.h), so any input costs memory proportional to its
 * own size or to FX_RLIST_RANKS_MAX ranks at most.  Errors are one line naming the field,
 * with any text from the input made printable and cut short.  Encoding writes the canonical
 * form described in rlist.h.  The module talks to idset, hostlist and rlist.c only.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"
#include "services/rlist_priv.h"

#define QUOTE_MAX 48 /* characters of input quoted in a message */

/* Copy s into buf for a message: non-printable bytes become '?', long text ends in "...". */
static const char *quote (char *buf, size_t size, const char *s)
{
    size_t i;

    for (i = 0; i < size - 4 && i < QUOTE_MAX && s[i]; i++)
        buf[i] = (unsigned char) s[i] >= ' ' && (unsigned char) s[i] < 0x7f ? s[i] : '?';
    strcpy (buf + i, s[i] ? "..." : "");
    return buf;
}

/* Fail naming every key of obj not in allowed (NULL-terminated); path names obj. */
static int check_keys (const json_t *obj, const char *const *allowed, const char *path,
                       struct fx_error *err)
{
    char list[160] = "", q[QUOTE_MAX + 4];
    const char *key;
    json_t *value;
    int n = 0;

    json_object_foreach ((json_t *) obj, key, value)
    {
        const char *const *a = allowed;
        while (*a && strcmp (*a, key) != 0)
            a++;
        if (*a)
            continue;
        size_t len = strlen (list);
        snprintf (list + len, sizeof (list) - len, "%s'%s'", n++ ? ", " : "",
                  quote (q, sizeof (q), key));
    }
    if (n > 0)
        return rlist_fail (err, EINVAL, "%s: unknown key%s %s", path, n > 1 ? "s" : "", list);
    return 0;
}

/* Parse the idset string v at path into *out.  Core and GPU ids (limit true) must be below
 * FX_RLIST_ID_LIMIT. */
static int decode_idset (const json_t *v, const char *path, bool limit, struct fx_idset **out,
                         struct fx_error *err)
{
    char q[QUOTE_MAX + 4];
    unsigned int last;

    if (!v)
        return rlist_fail (err, EINVAL, "%s: missing", path);
    if (!json_is_string (v))
        return rlist_fail (err, EINVAL, "%s: not a string", path);
    if (!(*out = fx_idset_decode (json_string_value (v), NULL)))
        return rlist_fail (err, errno == ENOMEM ? ENOMEM : EINVAL, "%s: invalid idset '%s'", path,
                           quote (q, sizeof (q), json_string_value (v)));
    last = fx_idset_last (*out);
    if (limit && last != FX_IDSET_INVALID_ID && last >= FX_RLIST_ID_LIMIT) {
        fx_idset_destroy (*out);
        *out = NULL;
        return rlist_fail (err, E2BIG, "%s: id %u is above the limit %u", path, last,
                           FX_RLIST_ID_LIMIT - 1);
    }
    return 0;
}

/* The children object of R_lite[i]. */
static struct children *decode_children (const json_t *entry, size_t i, struct fx_error *err)
{
    static const char *const keys[] = {"core", "gpu", NULL};
    const json_t *children = json_object_get (entry, "children");
    struct fx_idset *cores = NULL, *gpus = NULL;
    char path[64];

    snprintf (path, sizeof (path), "R_lite[%zu].children", i);
    if (!children)
        return rlist_fail (err, EINVAL, "%s: missing", path), NULL;
    if (!json_is_object (children))
        return rlist_fail (err, EINVAL, "%s: not an object", path), NULL;
    if (check_keys (children, keys, path, err) < 0)
        return NULL;
    snprintf (path, sizeof (path), "R_lite[%zu].children.core", i);
    if (decode_idset (json_object_get (children, "core"), path, true, &cores, err) < 0)
        return NULL;
    snprintf (path, sizeof (path), "R_lite[%zu].children.gpu", i);
    if (json_object_get (children, "gpu")) {
        if (decode_idset (json_object_get (children, "gpu"), path, true, &gpus, err) < 0)
            goto error;
    } else if (!(gpus = fx_idset_create ()))
        goto error;
    if (fx_idset_count (cores) + fx_idset_count (gpus) == 0) {
        rlist_fail (err, EINVAL, "R_lite[%zu].children: no cores and no gpus", i);
        goto error;
    }
    return rlist_children_create (cores, gpus);
error:
    fx_idset_destroy (cores);
    fx_idset_destroy (gpus);
    return NULL;
}

/* Add the ranks of R_lite[i] to rl, tagged with i, sharing one children. */
static int decode_entry (struct fx_rlist *rl, const json_t *entry, size_t i, struct fx_error *err)
{
    static const char *const keys[] = {"rank", "children", NULL};
    struct fx_idset *ranks = NULL;
    struct children *ch = NULL;
    char path[64];
    size_t n;
    int rc = -1;

    snprintf (path, sizeof (path), "R_lite[%zu]", i);
    if (!json_is_object (entry))
        return rlist_fail (err, EINVAL, "%s: not an object", path);
    if (check_keys (entry, keys, path, err) < 0)
        return -1;
    snprintf (path, sizeof (path), "R_lite[%zu].rank", i);
    if (decode_idset (json_object_get (entry, "rank"), path, false, &ranks, err) < 0)
        return -1;
    if ((n = fx_idset_count (ranks)) == 0)
        rlist_fail (err, EINVAL, "%s: empty idset", path);
    else if (n > FX_RLIST_RANKS_MAX - rl->nnodes)
        rlist_fail (err, E2BIG, "%s: more than %d ranks in R", path, FX_RLIST_RANKS_MAX);
    else if ((ch = decode_children (entry, i, err)) && rlist_reserve (rl, n) == 0) {
        for (unsigned int r = fx_idset_first (ranks); r != FX_IDSET_INVALID_ID;
             r = fx_idset_next (ranks, r))
            rl->nodes[rl->nnodes++] = (struct node){r, i, NULL, rlist_children_incref (ch)};
        rc = 0;
    } else if (ch || errno == ENOMEM)
        rlist_fail (err, ENOMEM, "out of memory");
    rlist_children_decref (ch);
    fx_idset_destroy (ranks);
    return rc;
}

static int node_cmp (const void *va, const void *vb)
{
    const struct node *a = va, *b = vb;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a->tag < b->tag ? -1 : a->tag > b->tag;
}

/* Sort the nodes of all entries by rank; a rank named twice is an error. */
static int sort_nodes (struct fx_rlist *rl, struct fx_error *err)
{
    size_t i;

    for (i = 1; i < rl->nnodes && rl->nodes[i - 1].rank < rl->nodes[i].rank; i++)
        ;
    if (i >= rl->nnodes)
        return 0;
    qsort (rl->nodes, rl->nnodes, sizeof (*rl->nodes), node_cmp);
    for (i = 1; i < rl->nnodes; i++) {
        if (rl->nodes[i - 1].rank == rl->nodes[i].rank)
            return rlist_fail (err, EINVAL, "R_lite[%u].rank: rank %u is also in R_lite[%u]",
                               rl->nodes[i].tag, rl->nodes[i].rank, rl->nodes[i - 1].tag);
    }
    return 0;
}

static int decode_rlite (struct fx_rlist *rl, const json_t *rlite, struct fx_error *err)
{
    size_t i;
    json_t *entry;

    if (!rlite)
        return rlist_fail (err, EINVAL, "R_lite: missing");
    if (!json_is_array (rlite))
        return rlist_fail (err, EINVAL, "R_lite: not an array");
    json_array_foreach (rlite, i, entry)
    {
        if (decode_entry (rl, entry, i, err) < 0)
            return -1;
    }
    return sort_nodes (rl, err);
}

/* The nodelist names each rank, in rank order. */
static int decode_nodelist (struct fx_rlist *rl, const json_t *nodelist, struct fx_error *err)
{
    struct fx_hostlist *hl;
    struct fx_error e;
    json_t *v;
    size_t i;
    int rc = -1;

    if (!nodelist)
        return 0;
    if (!json_is_array (nodelist))
        return rlist_fail (err, EINVAL, "nodelist: not an array");
    if (!(hl = fx_hostlist_create ()))
        return rlist_fail (err, ENOMEM, "out of memory");
    json_array_foreach (nodelist, i, v)
    {
        if (!json_is_string (v)) {
            rlist_fail (err, EINVAL, "nodelist[%zu]: not a string", i);
            goto done;
        }
        if (fx_hostlist_append (hl, json_string_value (v), &e) < 0) {
            rlist_fail (err, errno, "nodelist[%zu]: %s", i, e.text);
            goto done;
        }
    }
    if ((size_t) fx_hostlist_count (hl) != rl->nnodes) {
        rlist_fail (err, EINVAL, "nodelist: %d hosts for %zu ranks", fx_hostlist_count (hl),
                    rl->nnodes);
        goto done;
    }
    for (i = 0; i < rl->nnodes; i++) {
        if (!(rl->nodes[i].host = strdup (fx_hostlist_nth (hl, i)))) {
            rlist_fail (err, ENOMEM, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    fx_hostlist_destroy (hl);
    return rc;
}

/* One property: a valid name for an idset of ranks all present in R (ranks). */
static int decode_property (struct fx_rlist *rl, const char *name, const json_t *v,
                            const struct fx_idset *ranks, struct fx_error *err)
{
    char path[QUOTE_MAX + 20], q[QUOTE_MAX + 4];
    struct fx_idset *set = NULL, *extra = NULL;
    int rc = -1;

    snprintf (path, sizeof (path), "properties.%s", quote (q, sizeof (q), name));
    if (rlist_check_property_name (name, "properties", err) < 0
        || decode_idset (v, path, false, &set, err) < 0)
        return -1;
    if (fx_idset_count (set) == 0)
        rlist_fail (err, EINVAL, "%s: empty idset", path);
    else if (!(extra = fx_idset_difference (set, ranks)))
        rlist_fail (err, ENOMEM, "out of memory");
    else if (fx_idset_count (extra) > 0) {
        char *s = fx_idset_encode (extra, 0);
        rlist_fail (err, EINVAL, "%s: rank%s %s not in R", path,
                    fx_idset_count (extra) > 1 ? "s" : "", s ? quote (q, sizeof (q), s) : "?");
        free (s);
    } else if (rlist_add_property (rl, name, set) < 0)
        rlist_fail (err, ENOMEM, "out of memory");
    else
        rc = 0;
    fx_idset_destroy (set);
    fx_idset_destroy (extra);
    return rc;
}

static int decode_properties (struct fx_rlist *rl, const json_t *props, struct fx_error *err)
{
    struct fx_idset *ranks;
    const char *name;
    json_t *v;
    int rc = 0;

    if (!props)
        return 0;
    if (!json_is_object (props))
        return rlist_fail (err, EINVAL, "properties: not an object");
    if (json_object_size (props) > FX_RLIST_PROPERTIES_MAX)
        return rlist_fail (err, E2BIG, "properties: more than %d", FX_RLIST_PROPERTIES_MAX);
    if (!(ranks = fx_rlist_ranks (rl)))
        return rlist_fail (err, ENOMEM, "out of memory");
    json_object_foreach ((json_t *) props, name, v)
    {
        if ((rc = decode_property (rl, name, v, ranks, err)) < 0)
            break;
    }
    fx_idset_destroy (ranks);
    return rc;
}

/* A time in seconds since the epoch: a number >= 0, 0 when absent. */
static int decode_time (const json_t *v, const char *path, double *t, struct fx_error *err)
{
    if (!v) {
        *t = 0;
        return 0;
    }
    if (!json_is_number (v))
        return rlist_fail (err, EINVAL, "%s: not a number", path);
    *t = json_number_value (v);
    if (!(*t >= 0) || !isfinite (*t))
        return rlist_fail (err, EINVAL, "%s: negative", path);
    return 0;
}

/* starttime, expiration, nslots and version: the numbers. */
static int decode_numbers (struct fx_rlist *rl, const json_t *R, const json_t *exec,
                           struct fx_error *err)
{
    const json_t *version = json_object_get (R, "version");
    const json_t *nslots = json_object_get (exec, "nslots");

    if (!version)
        return rlist_fail (err, EINVAL, "version: missing");
    if (!json_is_integer (version) || json_integer_value (version) != 1)
        return rlist_fail (err, EINVAL, "version: only version 1 is supported");
    if (decode_time (json_object_get (exec, "starttime"), "starttime", &rl->starttime, err) < 0
        || decode_time (json_object_get (exec, "expiration"), "expiration", &rl->expiration, err)
               < 0)
        return -1;
    if (rl->starttime > 0 && rl->expiration > 0 && rl->expiration <= rl->starttime)
        return rlist_fail (err, EINVAL, "expiration: %.15g is not after starttime %.15g",
                           rl->expiration, rl->starttime);
    if (nslots && (!json_is_integer (nslots) || json_integer_value (nslots) < 1))
        return rlist_fail (err, EINVAL, "nslots: not a positive integer");
    rl->nslots = nslots ? json_integer_value (nslots) : 0;
    return 0;
}

struct fx_rlist *fx_rlist_decode (const json_t *R, struct fx_error *err)
{
    static const char *const top_keys[] = {"version", "execution", "scheduling", NULL};
    static const char *const exec_keys[] = {"R_lite",     "nodelist", "properties", "starttime",
                                            "expiration", "nslots",   NULL};
    const json_t *exec = json_object_get (R, "execution");
    const json_t *sched = json_object_get (R, "scheduling");
    struct fx_rlist *rl;

    if (!json_is_object (R))
        return rlist_fail (err, EINVAL, "R: not an object"), NULL;
    if (check_keys (R, top_keys, "R", err) < 0)
        return NULL;
    if (!exec)
        return rlist_fail (err, EINVAL, "execution: missing"), NULL;
    if (!json_is_object (exec))
        return rlist_fail (err, EINVAL, "execution: not an object"), NULL;
    if (check_keys (exec, exec_keys, "execution", err) < 0)
        return NULL;
    if (sched && !json_is_object (sched))
        return rlist_fail (err, EINVAL, "scheduling: not an object"), NULL;
    if (!(rl = fx_rlist_create ()))
        return rlist_fail (err, ENOMEM, "out of memory"), NULL;
    if (decode_numbers (rl, R, exec, err) < 0
        || decode_rlite (rl, json_object_get (exec, "R_lite"), err) < 0
        || decode_nodelist (rl, json_object_get (exec, "nodelist"), err) < 0
        || decode_properties (rl, json_object_get (exec, "properties"), err) < 0) {
        fx_rlist_destroy (rl);
        return NULL;
    }
    rl->scheduling = json_incref ((json_t *) sched);
    return rl;
}

/* Set key to v (stolen, may be NULL) in obj; -1 when v is NULL or the set fails. */
static int set_new (json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new (obj, key, v) : -1;
}

/* A whole number of seconds is written as an integer, as the original writes them. */
static json_t *time_json (double t)
{
    if (t == floor (t) && t < 9007199254740992.0)
        return json_integer ((json_int_t) t);
    return json_real (t);
}

static json_t *idset_json (const struct fx_idset *set)
{
    char *s = fx_idset_encode (set, 0);
    json_t *v = s ? json_string (s) : NULL;

    free (s);
    return v;
}

/* One R_lite entry for nodes[i..j-1], which share their children. */
static json_t *rlite_entry (const struct node *nodes, size_t i, size_t j)
{
    const struct children *ch = nodes[i].ch;
    struct fx_idset *ranks = fx_idset_create ();
    json_t *entry = json_object (), *children = json_object ();

    for (size_t k = i; ranks && k < j; k++)
        if (fx_idset_set (ranks, nodes[k].rank) < 0)
            goto error;
    if (!ranks || !entry || !children || set_new (entry, "rank", idset_json (ranks)) < 0
        || set_new (children, "core", idset_json (ch->cores)) < 0
        || (fx_idset_count (ch->gpus) > 0 && set_new (children, "gpu", idset_json (ch->gpus)) < 0))
        goto error;
    fx_idset_destroy (ranks);
    if (json_object_set_new (entry, "children", children) < 0) {
        json_decref (entry);
        return NULL;
    }
    return entry;
error:
    fx_idset_destroy (ranks);
    json_decref (children);
    json_decref (entry);
    return NULL;
}

static json_t *encode_rlite (const struct fx_rlist *rl)
{
    json_t *rlite = json_array ();

    for (size_t i = 0, j; rlite && i < rl->nnodes; i = j) {
        for (j = i + 1; j < rl->nnodes && rlist_children_equal (rl->nodes[j].ch, rl->nodes[i].ch);
             j++)
            ;
        if (json_array_append_new (rlite, rlite_entry (rl->nodes, i, j)) < 0) {
            json_decref (rlite);
            return NULL;
        }
    }
    return rlite;
}

/* ["HOSTLIST"] when every rank has a host, else NULL with errno 0 (not an error). */
static json_t *encode_nodelist (const struct fx_rlist *rl)
{
    char *s;
    json_t *a;

    errno = 0;
    if (rl->nnodes == 0 || !(s = fx_rlist_nodelist (rl))) {
        if (errno == ENOENT)
            errno = 0;
        return NULL;
    }
    a = json_pack ("[s]", s);
    free (s);
    if (!a)
        errno = ENOMEM;
    return a;
}

static json_t *encode_properties (const struct fx_rlist *rl)
{
    json_t *props = json_object ();

    for (size_t i = 0; props && i < rl->nprops; i++) {
        if (set_new (props, rl->props[i].name, idset_json (rl->props[i].ranks)) < 0) {
            json_decref (props);
            return NULL;
        }
    }
    return props;
}

static json_t *encode_execution (const struct fx_rlist *rl)
{
    json_t *exec = json_object (), *v;

    if (!exec || set_new (exec, "R_lite", encode_rlite (rl)) < 0
        || set_new (exec, "starttime", time_json (rl->starttime)) < 0
        || set_new (exec, "expiration", time_json (rl->expiration)) < 0)
        goto error;
    if ((v = encode_nodelist (rl)) ? set_new (exec, "nodelist", v) < 0 : errno != 0)
        goto error;
    if (rl->nprops > 0 && set_new (exec, "properties", encode_properties (rl)) < 0)
        goto error;
    if (rl->nslots > 0 && set_new (exec, "nslots", json_integer (rl->nslots)) < 0)
        goto error;
    return exec;
error:
    json_decref (exec);
    return NULL;
}

json_t *fx_rlist_encode (const struct fx_rlist *rl)
{
    json_t *R = json_object ();

    if (!R || set_new (R, "version", json_integer (1)) < 0
        || set_new (R, "execution", encode_execution (rl)) < 0
        || (rl->scheduling && json_object_set (R, "scheduling", rl->scheduling) < 0)) {
        json_decref (R);
        errno = ENOMEM;
        return NULL;
    }
    return R;
}
