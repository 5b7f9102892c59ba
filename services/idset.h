/* idset.h - sets of unsigned ids in RFC 22 form ("0-3,8", "[1-3,5]").
 *
 * A set is stored as sorted, disjoint ranges, so "0-1000000" costs one range; a lookup costs
 * O(log ranges), and a change that adds or removes a range before the last one moves the
 * ranges after it.  Ids are at most FX_IDSET_ID_MAX.  Encoding prints ids ascending and unique, with ranges; decoding
 * accepts ids and ranges in any order, duplicates and overlaps, optional surrounding brackets,
 * and rejects leading zeros, signs, spaces and empty elements.
 */
#ifndef FX_IDSET_H
#define FX_IDSET_H

#include <stdbool.h>
#include <stddef.h>

#include "services/error.h"

#define FX_IDSET_ID_MAX     0x7fffffffU /* largest id (2^31 - 1) */
#define FX_IDSET_INVALID_ID 0xffffffffU /* returned by first/next/last when there is none */

enum {
    FX_IDSET_FLAG_BRACKETS = 1, /* encode: wrap in [] when the set has more than one id */
};

struct fx_idset;

/* Create an empty set.  The caller owns it (fx_idset_destroy).  NULL + ENOMEM on failure. */
struct fx_idset *fx_idset_create (void);

/* Free set.  Accepts NULL; errno is preserved. */
void fx_idset_destroy (struct fx_idset *set);

/* Deep copy.  The caller owns the result.  NULL + EINVAL or ENOMEM on failure. */
struct fx_idset *fx_idset_copy (const struct fx_idset *set);

/* Parse s ("" and "[]" are the empty set).  The caller owns the result.  NULL on failure
 * with errno EINVAL (err names the input and the cause) or ENOMEM. */
struct fx_idset *fx_idset_decode (const char *s, struct fx_error *err);

/* The set as a string, e.g. "0-3,8" or, with FX_IDSET_FLAG_BRACKETS, "[0-3,8]"; "" when
 * empty.  The caller frees it.  NULL + EINVAL (bad flags) or ENOMEM on failure. */
char *fx_idset_encode (const struct fx_idset *set, int flags);

/* Add id, or ids lo..hi.  Return 0, or -1 with errno EINVAL (id above FX_IDSET_ID_MAX,
 * hi < lo) or ENOMEM; the set is unchanged on failure. */
int fx_idset_set (struct fx_idset *set, unsigned int id);
int fx_idset_range_set (struct fx_idset *set, unsigned int lo, unsigned int hi);

/* Remove id, or ids lo..hi (absent ids are fine).  Return 0, or -1 with errno EINVAL or
 * ENOMEM (removing from the middle of a range splits it); unchanged on failure. */
int fx_idset_clear (struct fx_idset *set, unsigned int id);
int fx_idset_range_clear (struct fx_idset *set, unsigned int lo, unsigned int hi);

/* True if id is in set (false for a NULL set). */
bool fx_idset_test (const struct fx_idset *set, unsigned int id);

/* Number of ids in set (0 for NULL). */
size_t fx_idset_count (const struct fx_idset *set);

/* Smallest id, the smallest id greater than id, and the largest id; FX_IDSET_INVALID_ID
 * when there is none.  Iterate with
 *     for (id = fx_idset_first (s); id != FX_IDSET_INVALID_ID; id = fx_idset_next (s, id))
 */
unsigned int fx_idset_first (const struct fx_idset *set);
unsigned int fx_idset_next (const struct fx_idset *set, unsigned int id);
unsigned int fx_idset_last (const struct fx_idset *set);

/* New sets a|b, a-b (ids of a not in b) and a&b.  The caller owns the result.
 * NULL + EINVAL (NULL argument) or ENOMEM on failure. */
struct fx_idset *fx_idset_union (const struct fx_idset *a, const struct fx_idset *b);
struct fx_idset *fx_idset_difference (const struct fx_idset *a, const struct fx_idset *b);
struct fx_idset *fx_idset_intersect (const struct fx_idset *a, const struct fx_idset *b);

/* In place: a |= b and a -= b.  Return 0, or -1 with errno EINVAL or ENOMEM (a unchanged). */
int fx_idset_add (struct fx_idset *a, const struct fx_idset *b);
int fx_idset_subtract (struct fx_idset *a, const struct fx_idset *b);

/* True if a and b hold the same ids (two NULL sets are equal). */
bool fx_idset_equal (const struct fx_idset *a, const struct fx_idset *b);

#endif
