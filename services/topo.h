/* topo.h - the tree overlay's shape: which rank is whose parent.
 *
 * An instance has ranks 0..size-1 joined in a tree rooted at rank 0.  A shape comes from a uri
 * ("kary:K", "flat", "binomial") or from an explicit parent per rank (the bootstrap
 * configuration's `parent` entries).  Building costs O(size) time and memory and never
 * recurses, so a chain of a million ranks is fine; every query after that is O(1) except
 * fx_topo_next_hop (O(log children)) and fx_topo_path_to_root (O(level)).
 *
 *   kary:K    complete K-ary tree: parent(i) = (i - 1) / K; K is 0..FX_TOPO_KARY_MAX, and
 *             kary:0 is flat
 *   flat      every rank's parent is 0 (the same tree as kary:0)
 *   binomial  parent(i) = i with its highest set bit cleared
 */
#ifndef FX_TOPO_H
#define FX_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/error.h"

#define FX_TOPO_KARY_MAX 1000000U    /* largest K in "kary:K" */
#define FX_TOPO_SIZE_MAX 0x80000000U /* most ranks (the largest rank is FX_IDSET_ID_MAX) */
#define FX_TOPO_URI_MAX  16          /* buffer length that holds any canonical uri */

struct fx_topo;

/* Build the tree of size ranks described by uri ("kary:K" with K decimal 0..FX_TOPO_KARY_MAX
 * without sign or leading zeros, "flat", "binomial").  The caller owns the result.  NULL on
 * failure with errno EINVAL (err names the uri and the cause) or ENOMEM. */
struct fx_topo *fx_topo_create (const char *uri, uint32_t size, struct fx_error *err);

/* Build the tree in which rank i's parent is parents[i] for i in 1..size-1 (parents[0] is
 * ignored; parents may be NULL when size is 1).  The parents must form a tree rooted at 0:
 * each one a rank below size, no rank its own parent, no cycle.  NULL on failure with errno
 * EINVAL (err names the offending rank or the ranks of a cycle) or ENOMEM. */
struct fx_topo *fx_topo_create_parents (uint32_t size, const uint32_t *parents,
                                        struct fx_error *err);

/* Free t.  Accepts NULL; errno is preserved. */
void fx_topo_destroy (struct fx_topo *t);

/* Number of ranks. */
uint32_t fx_topo_size (const struct fx_topo *t);

/* Parent of rank; -1 for rank 0 or a rank out of range. */
int64_t fx_topo_parent (const struct fx_topo *t, uint32_t rank);

/* Children of rank in increasing order: *children points into t (valid until
 * fx_topo_destroy) and the count is returned; 0 with *children NULL when rank is out of
 * range.  children may be NULL to get the count alone. */
uint32_t fx_topo_children (const struct fx_topo *t, uint32_t rank, const uint32_t **children);

/* Depth of rank (0 for rank 0 and for a rank out of range), and the largest depth. */
uint32_t fx_topo_level (const struct fx_topo *t, uint32_t rank);
uint32_t fx_topo_maxlevel (const struct fx_topo *t);

/* Number of ranks below rank (its subtree's size minus 1); 0 when out of range. */
uint32_t fx_topo_descendants (const struct fx_topo *t, uint32_t rank);

/* True if rank is root or lies below it; false when either is out of range.  O(1). */
bool fx_topo_in_subtree (const struct fx_topo *t, uint32_t root, uint32_t rank);

/* Where `from` sends a message for `to`: the child of from whose subtree holds to, or from's
 * parent when to is outside from's subtree; -1 when from == to or a rank is out of range.
 * O(log children of from). */
int64_t fx_topo_next_hop (const struct fx_topo *t, uint32_t from, uint32_t to);

/* The ranks on the path from rank up to 0, rank first and 0 last.  Stores at most cap of
 * them in path and returns the whole path's length (level + 1), so a result above cap means
 * path holds only its first cap ranks; 0 when rank is out of range. */
uint32_t fx_topo_path_to_root (const struct fx_topo *t, uint32_t rank, uint32_t *path,
                               uint32_t cap);

/* Write the canonical uri into buf: "kary:K" (flat gives "kary:0"), "binomial", or "custom"
 * for a tree given by parents.  Return 0, or -1 with errno EINVAL (NULL argument) or
 * EOVERFLOW (len too small; FX_TOPO_URI_MAX always suffices). */
int fx_topo_uri (const struct fx_topo *t, char *buf, size_t len);

#endif
