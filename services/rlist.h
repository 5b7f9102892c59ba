/* rlist.h - resource sets ("R", RFC 20 version 1) in memory.
 *
 * An rlist is a list of execution targets (broker ranks), each with an optional host name, a
 * set of core ids and a set of GPU ids, plus properties (a name for a set of ranks), the
 * start time and expiration of the set, and two keys kept for re-emission only: nslots and
 * the scheduler's opaque "scheduling" object.
 *
 * The wire form is RFC 20's:
 *
 *     {"version":1,
 *      "execution":{"R_lite":[{"rank":"0-99","children":{"core":"0-3","gpu":"0-1"}}],
 *                   "starttime":0,"expiration":0,
 *                   "nodelist":["fluke[3,108,6-103]"],
 *                   "properties":{"fatnode":"7"}},
 *      "scheduling":{...}}
 *
 * Decoding is strict: unknown keys, malformed idsets or hostlists, a rank named twice, a
 * nodelist that does not name every rank, a property naming a rank not in R are errors whose
 * one-line message names the field ("R_lite[2].children.core: invalid idset '0-'").  Sizes
 * are capped so that no input costs unbounded memory: at most FX_RLIST_RANKS_MAX ranks and
 * core or GPU ids below FX_RLIST_ID_LIMIT.
 *
 * Set operations work rank by rank, and on the cores and GPUs within a rank; they keep the
 * first operand's start time and expiration, merge or trim properties to the ranks of the
 * result, and drop nslots and scheduling, which describe one allocation.
 */
#ifndef FX_RLIST_H
#define FX_RLIST_H

#include <jansson.h>
#include <stddef.h>

#include "services/error.h"
#include "services/hostlist.h"
#include "services/idset.h"

#define FX_RLIST_RANKS_MAX      1000000    /* ranks in one set */
#define FX_RLIST_ID_LIMIT       (1u << 20) /* core and GPU ids are below this */
#define FX_RLIST_PROPERTY_MAX   255        /* characters in a property name */
#define FX_RLIST_PROPERTIES_MAX 10000      /* properties in one set */

struct fx_rlist;

/* One rank, as fx_rlist_node_at() shows it.  Every pointer is borrowed from the rlist and
 * stays valid until the rlist changes or is destroyed. */
struct fx_rlist_node {
    unsigned int rank;
    const char *host;             /* NULL when the set names no host for this rank */
    const struct fx_idset *cores; /* never NULL; may be empty when gpus is not */
    const struct fx_idset *gpus;  /* never NULL; often empty */
};

/* An empty set.  The caller owns it (fx_rlist_destroy).  NULL + ENOMEM on failure. */
struct fx_rlist *fx_rlist_create (void);

/* Free rl.  Accepts NULL; errno is preserved. */
void fx_rlist_destroy (struct fx_rlist *rl);

/* Deep copy (sharing the scheduling object, which is never changed).  The caller owns the
 * result.  NULL + ENOMEM on failure. */
struct fx_rlist *fx_rlist_copy (const struct fx_rlist *rl);

/* Parse R (RFC 20 version 1).  The caller owns the result; it holds a reference to R's
 * "scheduling" value, if any.  NULL on failure with errno EINVAL (err names the field and
 * the cause), E2BIG (more than FX_RLIST_RANKS_MAX ranks, or an id at or above
 * FX_RLIST_ID_LIMIT) or ENOMEM. */
struct fx_rlist *fx_rlist_decode (const json_t *R, struct fx_error *err);

/* The canonical R of rl: consecutive ranks (in rank order) with the same cores and GPUs share
 * one R_lite entry; "starttime" and "expiration" are always present (0 = unset); "nodelist"
 * is one compressed hostlist in rank order, present when every rank has a host;
 * "properties" (sorted by name) when there are any; "nslots" and "scheduling" when decoded.
 * A new reference the caller must json_decref(); NULL + ENOMEM on failure. */
json_t *fx_rlist_encode (const struct fx_rlist *rl);

/* Add the ranks in ranks, each with the cores and gpus given (copied; NULL for none) and,
 * when hosts is not NULL, the host at the same position in hosts (ranks ascending, hosts in
 * order).  Returns 0, or -1 with errno EINVAL (no ranks, a host count that is not the rank
 * count, a host name that is not one hostlist entry, no core and no GPU), EEXIST (a rank
 * already present), E2BIG (more than FX_RLIST_RANKS_MAX ranks, an id at or above
 * FX_RLIST_ID_LIMIT) or ENOMEM, and a message in err; rl is unchanged then.  hosts is
 * not const only because walking a hostlist moves its cursor. */
int fx_rlist_add (struct fx_rlist *rl, const struct fx_idset *ranks, struct fx_hostlist *hosts,
                  const struct fx_idset *cores, const struct fx_idset *gpus, struct fx_error *err);

/* Give the ranks in ranks the property name (added to those it already has).  Returns 0, or
 * -1 with errno EINVAL (a name that is empty, too long or holds one of ! & ' " ^ ` | ( ) or
 * a space or control character; a rank not in rl; no ranks), E2BIG (FX_RLIST_PROPERTIES_MAX
 * reached) or ENOMEM, and a message in err. */
int fx_rlist_set_property (struct fx_rlist *rl, const char *name, const struct fx_idset *ranks,
                           struct fx_error *err);

/* Number of properties, and the n-th (in name order): its name and ranks, borrowed.
 * fx_rlist_property_at returns 0, or -1 with errno ENOENT when n is out of range. */
size_t fx_rlist_nproperties (const struct fx_rlist *rl);
int fx_rlist_property_at (const struct fx_rlist *rl, size_t n, const char **name,
                          const struct fx_idset **ranks);

/* Counts: ranks, and cores and GPUs summed over the ranks. */
size_t fx_rlist_nnodes (const struct fx_rlist *rl);
size_t fx_rlist_ncores (const struct fx_rlist *rl);
size_t fx_rlist_ngpus (const struct fx_rlist *rl);

/* The n-th rank in rank order (0 <= n < fx_rlist_nnodes), filled into *node.  Returns 0, or
 * -1 with errno ENOENT when n is out of range. */
int fx_rlist_node_at (const struct fx_rlist *rl, size_t n, struct fx_rlist_node *node);

/* Find rank in rl and fill *node.  Returns 0, or -1 with errno ENOENT. */
int fx_rlist_find_rank (const struct fx_rlist *rl, unsigned int rank, struct fx_rlist_node *node);

/* The ranks of rl.  The caller owns the set.  NULL + ENOMEM on failure. */
struct fx_idset *fx_rlist_ranks (const struct fx_rlist *rl);

/* The hosts of rl in rank order as a hostlist string ("" for an empty set).  The caller
 * frees it.  NULL with errno ENOENT (some rank has no host) or ENOMEM. */
char *fx_rlist_nodelist (const struct fx_rlist *rl);

/* The ranks whose host is named in the hostlist string hosts (every rank of a host named
 * more than once).  The caller owns the set.  NULL on failure with errno EINVAL (bad
 * hostlist), ENOENT (a host not in rl; err names it) or ENOMEM. */
struct fx_idset *fx_rlist_hosts_to_ranks (const struct fx_rlist *rl, const char *hosts,
                                          struct fx_error *err);

/* The short text form: one "rank/children" group per run of consecutive ranks with the same
 * cores and GPUs, separated by spaces, e.g. "rank[0-1]/core[0-3],gpu[0-1] rank2/core0".
 * "" for an empty set.  The caller frees it.  NULL + ENOMEM on failure. */
char *fx_rlist_dumps_short (const struct fx_rlist *rl);

/* New sets: the ranks of rl in ranks (copy_ranks); the resources of a or b (union); of a or
 * b where nothing is in both (append: a core or GPU of a rank in both is an error, EEXIST);
 * of a and not b (diff); of a and b (intersect).  A rank left with no core and no GPU is
 * dropped.  A rank's host comes from a, else from b; union and append fail with EINVAL when
 * a and b name different hosts for one rank, and with E2BIG past FX_RLIST_RANKS_MAX.
 * The caller owns the result.  NULL with errno set (and a message in err) on failure;
 * ENOMEM is the only failure of copy_ranks, diff and intersect. */
struct fx_rlist *fx_rlist_copy_ranks (const struct fx_rlist *rl, const struct fx_idset *ranks);
struct fx_rlist *fx_rlist_union (const struct fx_rlist *a, const struct fx_rlist *b,
                                 struct fx_error *err);
struct fx_rlist *fx_rlist_append (const struct fx_rlist *a, const struct fx_rlist *b,
                                  struct fx_error *err);
struct fx_rlist *fx_rlist_diff (const struct fx_rlist *a, const struct fx_rlist *b);
struct fx_rlist *fx_rlist_intersect (const struct fx_rlist *a, const struct fx_rlist *b);

#endif
