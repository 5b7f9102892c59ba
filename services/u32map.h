/* u32map.h - a small open-addressing hash map from uint32_t keys to pointers.
 *
 * Used for connection ids, matchtags and pipe keys.  Key 0 is reserved (never stored).
 * Values are borrowed: the map never frees them.
 */
#ifndef FX_U32MAP_H
#define FX_U32MAP_H

#include <stddef.h>
#include <stdint.h>

struct fx_u32map;

/* Returns NULL with ENOMEM. */
struct fx_u32map *fx_u32map_create (void);
void fx_u32map_destroy (struct fx_u32map *map);

/* Insert or replace.  Returns -1 with EINVAL (key 0 or value NULL) or ENOMEM. */
int fx_u32map_put (struct fx_u32map *map, uint32_t key, void *value);

/* Returns the value or NULL. */
void *fx_u32map_get (const struct fx_u32map *map, uint32_t key);

/* Remove key; returns the value it had or NULL. */
void *fx_u32map_remove (struct fx_u32map *map, uint32_t key);

size_t fx_u32map_count (const struct fx_u32map *map);

/* Iterate: start with *pos = 0; returns the next value (and its key) or NULL at the end.
 * The map must not be changed during iteration. */
void *fx_u32map_next (const struct fx_u32map *map, size_t *pos, uint32_t *key);

#endif
