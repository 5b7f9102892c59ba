/* rlist_priv.h - what rlist.c, rlist_json.c and rlist_ops.c share; not for other modules.
 *
 * Ranks are kept sorted and unique in one array.  A rank's cores and GPUs live in a
 * reference-counted, never-modified struct children, so that the ranks of one R_lite entry
 * ("rank":"0-99999") share one pair of idsets, and encoding finds runs of equal children
 * mostly by comparing pointers.
 */
#ifndef FX_RLIST_PRIV_H
#define FX_RLIST_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "services/error.h"
#include "services/idset.h"
#include "services/rlist.h"

struct children {
    unsigned int refcount;
    struct fx_idset *cores; /* never NULL */
    struct fx_idset *gpus;  /* never NULL */
};

struct node {
    unsigned int rank;
    unsigned int tag;    /* scratch: the R_lite entry while decoding */
    char *host;          /* NULL when none */
    struct children *ch; /* one reference */
};

struct property {
    char *name;
    struct fx_idset *ranks; /* non-empty, a subset of the rlist's ranks */
};

struct fx_rlist {
    struct node *nodes; /* ascending by rank, unique */
    size_t nnodes, alloc;
    struct property *props; /* ascending by name, unique */
    size_t nprops;
    double starttime, expiration; /* 0 = unset */
    json_int_t nslots;            /* 0 = absent */
    json_t *scheduling;           /* one reference, or NULL */
};

/* Children holding cores and gpus (taken over, even on failure), with one reference.
 * NULL + ENOMEM. */
struct children *rlist_children_create (struct fx_idset *cores, struct fx_idset *gpus);
struct children *rlist_children_incref (struct children *ch);
void rlist_children_decref (struct children *ch);
bool rlist_children_equal (const struct children *a, const struct children *b);

/* Set errno to errnum and format the message into err (may be NULL); returns -1, so that
 * each error path is one line. */
int rlist_fail (struct fx_error *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Room for extra more nodes.  0, or -1 with ENOMEM. */
int rlist_reserve (struct fx_rlist *rl, size_t extra);

/* Append a node (the caller keeps ranks ascending) with a copy of host (may be NULL) and a
 * new reference to ch.  0, or -1 with ENOMEM. */
int rlist_push_node (struct fx_rlist *rl, unsigned int rank, const char *host, struct children *ch);

/* A new, empty set with rl's start time and expiration; NULL + ENOMEM. */
struct fx_rlist *rlist_empty_like (const struct fx_rlist *rl);

/* Check a property name (see fx_rlist_set_property); 0 or -1 with EINVAL and a message
 * prefixed by what. */
int rlist_check_property_name (const char *name, const char *what, struct fx_error *err);

/* Add a property whose name and ranks are already checked, merging with an existing one.
 * 0, or -1 with ENOMEM (rl unchanged). */
int rlist_add_property (struct fx_rlist *rl, const char *name, const struct fx_idset *ranks);

#endif
