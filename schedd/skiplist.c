/* skiplist.c - an ordered list of items with O(log n) insert and remove, walked in order.
 *
 * schedd keeps its pending queue (priority, submit time, id) and its running jobs (by
 * expiration) in one each, so that a new job, a changed priority or a free costs O(log n)
 * whatever the queue's length.  Keys must be unique (the comparators end with the job id).
 * Levels come from a small fixed-seed generator: the shape is reproducible in tests.
 */
#include <errno.h>
#include <stdlib.h>

#include "schedd/sched.h"

#define SL_MAXLEVEL 24

struct sl_node {
    void *item;
    int level;
    struct sl_node *next[];
};

struct skiplist {
    sl_cmp_f cmp;
    int level; /* levels in use, >= 1 */
    size_t count;
    uint32_t rng;
    struct sl_node *head; /* SL_MAXLEVEL levels, no item */
};

struct skiplist *sl_create (sl_cmp_f cmp)
{
    struct skiplist *sl = calloc (1, sizeof (*sl));

    if (!sl
        || !(sl->head =
                 calloc (1, sizeof (struct sl_node) + SL_MAXLEVEL * sizeof (struct sl_node *)))) {
        free (sl);
        errno = ENOMEM;
        return NULL;
    }
    sl->head->level = SL_MAXLEVEL;
    sl->cmp = cmp;
    sl->level = 1;
    sl->rng = 0x2545f491u;
    return sl;
}

void sl_destroy (struct skiplist *sl)
{
    struct sl_node *n, *next;

    if (!sl)
        return;
    for (n = sl->head; n; n = next) {
        next = n->next[0];
        free (n);
    }
    free (sl);
}

/* Level of a new node: each further level with probability 1/4. */
static int random_level (struct skiplist *sl)
{
    int level = 1;
    uint32_t x = sl->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sl->rng = x;
    while (level < SL_MAXLEVEL && (x & 3) == 0) {
        level++;
        x >>= 2;
    }
    return level;
}

/* Fill update[] with the last node before item's key at each level. */
static void find (const struct skiplist *sl, const void *item, struct sl_node **update)
{
    struct sl_node *n = sl->head;

    for (int l = sl->level - 1; l >= 0; l--) {
        while (n->next[l] && sl->cmp (n->next[l]->item, item) < 0)
            n = n->next[l];
        update[l] = n;
    }
}

int sl_insert (struct skiplist *sl, void *item)
{
    struct sl_node *update[SL_MAXLEVEL], *n;
    int level;

    find (sl, item, update);
    if (update[0]->next[0] && sl->cmp (update[0]->next[0]->item, item) == 0) {
        errno = EEXIST;
        return -1;
    }
    level = random_level (sl);
    if (!(n = malloc (sizeof (*n) + (size_t) level * sizeof (struct sl_node *)))) {
        errno = ENOMEM;
        return -1;
    }
    for (int l = sl->level; l < level; l++)
        update[l] = sl->head;
    if (level > sl->level)
        sl->level = level;
    n->item = item;
    n->level = level;
    for (int l = 0; l < level; l++) {
        n->next[l] = update[l]->next[l];
        update[l]->next[l] = n;
    }
    sl->count++;
    return 0;
}

int sl_remove (struct skiplist *sl, void *item)
{
    struct sl_node *update[SL_MAXLEVEL], *n;

    find (sl, item, update);
    n = update[0]->next[0];
    if (!n || n->item != item) {
        errno = ENOENT;
        return -1;
    }
    for (int l = 0; l < n->level; l++)
        update[l]->next[l] = n->next[l];
    while (sl->level > 1 && !sl->head->next[sl->level - 1])
        sl->level--;
    free (n);
    sl->count--;
    return 0;
}

void *sl_first (const struct skiplist *sl)
{
    return sl->head->next[0] ? sl->head->next[0]->item : NULL;
}

struct sl_node *sl_first_node (const struct skiplist *sl)
{
    return sl->head->next[0];
}

struct sl_node *sl_next_node (const struct sl_node *n)
{
    return n->next[0];
}

void *sl_item (const struct sl_node *n)
{
    return n->item;
}

size_t sl_count (const struct skiplist *sl)
{
    return sl->count;
}
