/* strmap.h - a small hash map from NUL-terminated strings to pointers.
 *
 * Keys are copied; values are borrowed (the map never frees them).  Used for namespaces
 * and other name-keyed tables of a daemon's working state.
 */
#ifndef FX_STRMAP_H
#define FX_STRMAP_H

#include <stddef.h>

struct fx_strmap;

/* Returns NULL with ENOMEM. */
struct fx_strmap *fx_strmap_create (void);
void fx_strmap_destroy (struct fx_strmap *map);

/* Insert or replace.  Returns -1 with EINVAL (NULL key or value) or ENOMEM. */
int fx_strmap_put (struct fx_strmap *map, const char *key, void *value);

/* Returns the value or NULL. */
void *fx_strmap_get (const struct fx_strmap *map, const char *key);

/* Remove key; returns the value it had or NULL. */
void *fx_strmap_remove (struct fx_strmap *map, const char *key);

size_t fx_strmap_count (const struct fx_strmap *map);

/* Iterate: start with *pos = 0; returns the next value (and its key, borrowed, when key is
 * not NULL) or NULL at the end.  The map must not be changed during iteration. */
void *fx_strmap_next (const struct fx_strmap *map, size_t *pos, const char **key);

#endif
