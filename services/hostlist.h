/* hostlist.h - ordered lists of host names in RFC 29 hostlist form.
 *
 * A hostlist string is a comma-separated list of expressions "prefix[idlist]suffix" or plain
 * names, e.g. "fluke[0-3,7],login1,foo[00-02]-eth2".  The list keeps the order it was given
 * and allows duplicates; the width of a range's low number sets the zero padding of the range
 * ("[08-10]" = 08,09,10).  Encoding merges consecutive hosts into ranges but never reorders
 * unless fx_hostlist_sort() or fx_hostlist_uniq() is called.
 *
 * Hosts are stored as runs of (prefix, numbers lo..hi, width, suffix), so "node[0-99999]"
 * costs one run.  A list holds at most FX_HOSTLIST_MAX hosts; longer input is an error, not
 * an allocation.
 */
#ifndef FX_HOSTLIST_H
#define FX_HOSTLIST_H

#include "services/error.h"

#define FX_HOSTLIST_MAX      1000000 /* hosts in one list */
#define FX_HOSTLIST_NAME_MAX 255     /* characters in one host name */
#define FX_HOSTLIST_DIGITS   9       /* digits in one host number */

struct fx_hostlist;

/* Create an empty list.  The caller owns it (fx_hostlist_destroy).  NULL + ENOMEM on failure. */
struct fx_hostlist *fx_hostlist_create (void);

/* Free hl.  Accepts NULL; errno is preserved. */
void fx_hostlist_destroy (struct fx_hostlist *hl);

/* Parse the hostlist string s ("" is the empty list).  The caller owns the result.
 * NULL on failure with errno EINVAL (syntax; err names the expression and the cause),
 * E2BIG (more than FX_HOSTLIST_MAX hosts) or ENOMEM. */
struct fx_hostlist *fx_hostlist_decode (const char *s, struct fx_error *err);

/* Append the hosts of the hostlist string s to hl.  Returns the number of hosts appended,
 * or -1 with errno as for fx_hostlist_decode(); hl is unchanged on failure. */
int fx_hostlist_append (struct fx_hostlist *hl, const char *s, struct fx_error *err);

/* Append every host of other to hl.  Returns the number appended, or -1 with errno E2BIG
 * (hl would exceed FX_HOSTLIST_MAX) or ENOMEM; hl is unchanged on failure. */
int fx_hostlist_append_list (struct fx_hostlist *hl, const struct fx_hostlist *other);

/* Deep copy.  The caller owns the result.  NULL + ENOMEM on failure. */
struct fx_hostlist *fx_hostlist_copy (const struct fx_hostlist *hl);

/* Number of hosts (duplicates counted). */
int fx_hostlist_count (const struct fx_hostlist *hl);

/* Host at index n (0-based; negative n counts from the end, -1 is the last).  The string
 * belongs to hl and stays valid until the next call on hl.  NULL + ENOENT when n is out of
 * range.  Walking n upward from 0 costs constant time per call. */
const char *fx_hostlist_nth (struct fx_hostlist *hl, int n);

/* Index of the first occurrence of host in hl, or -1 with errno ENOENT. */
int fx_hostlist_find (const struct fx_hostlist *hl, const char *host);

/* The compressed hostlist string, e.g. "fluke[1-3,7]".  The caller frees it.
 * "" for an empty list.  NULL + ENOMEM on failure. */
char *fx_hostlist_encode (const struct fx_hostlist *hl);

/* Sort hosts in natural order (digit runs compare by value: fluke2 < fluke10), keeping
 * duplicates.  Returns 0, or -1 with errno ENOMEM (hl unchanged). */
int fx_hostlist_sort (struct fx_hostlist *hl);

/* Sort hosts and remove duplicates.  Returns 0, or -1 with errno ENOMEM (hl unchanged). */
int fx_hostlist_uniq (struct fx_hostlist *hl);

/* Remove from hl every occurrence of every host of other, keeping the order of the rest.
 * Returns the number of hosts removed, or -1 with errno ENOMEM (hl unchanged). */
int fx_hostlist_minus (struct fx_hostlist *hl, const struct fx_hostlist *other);

#endif
