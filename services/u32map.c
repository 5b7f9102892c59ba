/* u32map.c - open addressing with linear probing and backward-shift deletion. */
#include <errno.h>
#include <stdlib.h>

#include "services/u32map.h"

struct slot {
    uint32_t key; /* 0 = empty */
    void *value;
};

struct fx_u32map {
    struct slot *slots;
    size_t size; /* power of two */
    size_t count;
};

static size_t hash (uint32_t key, size_t size)
{
    return (size_t) ((key * 2654435761u) ^ (key >> 16)) & (size - 1);
}

struct fx_u32map *fx_u32map_create (void)
{
    struct fx_u32map *map;

    if (!(map = calloc (1, sizeof (*map))))
        return NULL;
    map->size = 16;
    if (!(map->slots = calloc (map->size, sizeof (struct slot)))) {
        free (map);
        return NULL;
    }
    return map;
}

void fx_u32map_destroy (struct fx_u32map *map)
{
    if (map) {
        free (map->slots);
        free (map);
    }
}

static struct slot *find (const struct fx_u32map *map, uint32_t key)
{
    size_t i = hash (key, map->size);

    while (map->slots[i].key != 0) {
        if (map->slots[i].key == key)
            return &map->slots[i];
        i = (i + 1) & (map->size - 1);
    }
    return &map->slots[i];
}

static int grow (struct fx_u32map *map)
{
    struct slot *old = map->slots;
    size_t old_size = map->size;
    struct slot *new;

    if (!(new = calloc (old_size * 2, sizeof (struct slot))))
        return -1;
    map->slots = new;
    map->size = old_size * 2;
    for (size_t i = 0; i < old_size; i++) {
        if (old[i].key)
            *find (map, old[i].key) = old[i];
    }
    free (old);
    return 0;
}

int fx_u32map_put (struct fx_u32map *map, uint32_t key, void *value)
{
    struct slot *s;

    if (key == 0 || !value) {
        errno = EINVAL;
        return -1;
    }
    if ((map->count + 1) * 4 > map->size * 3 && grow (map) < 0)
        return -1;
    s = find (map, key);
    if (s->key == 0)
        map->count++;
    s->key = key;
    s->value = value;
    return 0;
}

void *fx_u32map_get (const struct fx_u32map *map, uint32_t key)
{
    if (key == 0)
        return NULL;
    return find (map, key)->value;
}

void *fx_u32map_remove (struct fx_u32map *map, uint32_t key)
{
    struct slot *s;
    void *value;
    size_t i, j, mask = map->size - 1;

    if (key == 0 || (s = find (map, key))->key == 0)
        return NULL;
    value = s->value;
    i = (size_t) (s - map->slots);
    map->slots[i].key = 0;
    map->slots[i].value = NULL;
    map->count--;
    /* Shift back any entry whose probe sequence passed through the freed slot. */
    for (j = (i + 1) & mask; map->slots[j].key != 0; j = (j + 1) & mask) {
        size_t home = hash (map->slots[j].key, map->size);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            map->slots[i] = map->slots[j];
            map->slots[j].key = 0;
            map->slots[j].value = NULL;
            i = j;
        }
    }
    return value;
}

size_t fx_u32map_count (const struct fx_u32map *map)
{
    return map->count;
}

void *fx_u32map_next (const struct fx_u32map *map, size_t *pos, uint32_t *key)
{
    while (*pos < map->size) {
        struct slot *s = &map->slots[(*pos)++];
        if (s->key) {
            if (key)
                *key = s->key;
            return s->value;
        }
    }
    return NULL;
}
