/* strmap.c - string-keyed hash map: separate chaining, FNV-1a, doubling at load 1. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/strmap.h"

struct entry {
    struct entry *next;
    void *value;
    uint32_t hash;
    char key[]; /* NUL-terminated copy */
};

struct fx_strmap {
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
};

static uint32_t hash_str (const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char) *s++) * 16777619u;
    return h;
}

struct fx_strmap *fx_strmap_create (void)
{
    struct fx_strmap *map = calloc (1, sizeof (*map));

    if (!map)
        return NULL;
    map->nbuckets = 16;
    if (!(map->buckets = calloc (map->nbuckets, sizeof (map->buckets[0])))) {
        free (map);
        return NULL;
    }
    return map;
}

void fx_strmap_destroy (struct fx_strmap *map)
{
    int saved = errno;

    if (!map)
        return;
    for (size_t i = 0; i < map->nbuckets; i++) {
        struct entry *e = map->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free (e);
        }
    }
    free (map->buckets);
    free (map);
    errno = saved;
}

static struct entry **find (const struct fx_strmap *map, const char *key, uint32_t hash)
{
    struct entry **pe = &map->buckets[hash & (map->nbuckets - 1)];

    while (*pe && ((*pe)->hash != hash || strcmp ((*pe)->key, key) != 0))
        pe = &(*pe)->next;
    return pe;
}

static int grow (struct fx_strmap *map)
{
    size_t n = map->nbuckets * 2;
    struct entry **b = calloc (n, sizeof (b[0]));

    if (!b)
        return -1;
    for (size_t i = 0; i < map->nbuckets; i++) {
        struct entry *e = map->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free (map->buckets);
    map->buckets = b;
    map->nbuckets = n;
    return 0;
}

int fx_strmap_put (struct fx_strmap *map, const char *key, void *value)
{
    uint32_t hash;
    struct entry **pe, *e;
    size_t len;

    if (!key || !value) {
        errno = EINVAL;
        return -1;
    }
    hash = hash_str (key);
    if ((e = *(pe = find (map, key, hash)))) {
        e->value = value;
        return 0;
    }
    if (map->count >= map->nbuckets && grow (map) < 0)
        return -1;
    len = strlen (key);
    if (!(e = malloc (sizeof (*e) + len + 1)))
        return -1;
    memcpy (e->key, key, len + 1);
    e->hash = hash;
    e->value = value;
    pe = &map->buckets[hash & (map->nbuckets - 1)];
    e->next = *pe;
    *pe = e;
    map->count++;
    return 0;
}

void *fx_strmap_get (const struct fx_strmap *map, const char *key)
{
    struct entry *e = *find (map, key, hash_str (key));

    return e ? e->value : NULL;
}

void *fx_strmap_remove (struct fx_strmap *map, const char *key)
{
    struct entry **pe = find (map, key, hash_str (key)), *e = *pe;
    void *value;

    if (!e)
        return NULL;
    *pe = e->next;
    value = e->value;
    free (e);
    map->count--;
    return value;
}

size_t fx_strmap_count (const struct fx_strmap *map)
{
    return map->count;
}

/* pos encodes (bucket << 16 | index in chain) would limit chains; instead walk bucket by
 * bucket and count how far into the chain we are, which is cheap at load factor <= 1. */
void *fx_strmap_next (const struct fx_strmap *map, size_t *pos, const char **key)
{
    size_t bucket = *pos >> 16, depth = *pos & 0xffff;

    for (; bucket < map->nbuckets; bucket++, depth = 0) {
        struct entry *e = map->buckets[bucket];
        for (size_t i = 0; e && i < depth; i++)
            e = e->next;
        if (e) {
            *pos = (bucket << 16) | (depth + 1);
            if (key)
                *key = e->key;
            return e->value;
        }
    }
    *pos = bucket << 16;
    return NULL;
}
