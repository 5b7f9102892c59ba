/* idset.c - RFC 22 idsets stored as sorted, disjoint, non-adjacent ranges.
 *
 * The range array is the whole state; every operation keeps it sorted with touching ranges
 * merged, which makes equality a memcmp and encoding a walk.  Single-id and range updates
 * find their place by binary search; set operations merge two arrays in one pass into a new
 * set.  The module talks to nothing.  Functions return -1/NULL with errno set; decode puts
 * a one-line reason in a struct fx_error; a failed call leaves its set unchanged (capacity is
 * reserved before anything moves).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/idset.h"

struct span {
    unsigned int lo, hi; /* ids lo..hi, lo <= hi */
};

struct fx_idset {
    struct span *spans; /* ascending; a gap of at least one id between neighbours */
    size_t n, alloc;
};

struct fx_idset *fx_idset_create (void)
{
    return calloc (1, sizeof (struct fx_idset));
}

void fx_idset_destroy (struct fx_idset *set)
{
    if (set) {
        int saved_errno = errno;
        free (set->spans);
        free (set);
        errno = saved_errno;
    }
}

static int reserve (struct fx_idset *set, size_t extra)
{
    size_t n = set->alloc ? set->alloc : 4;
    struct span *spans;

    if (set->n + extra <= set->alloc)
        return 0;
    while (n < set->n + extra)
        n *= 2;
    if (!(spans = realloc (set->spans, n * sizeof (*spans))))
        return -1;
    set->spans = spans;
    set->alloc = n;
    return 0;
}

struct fx_idset *fx_idset_copy (const struct fx_idset *set)
{
    struct fx_idset *cp;

    if (!set) {
        errno = EINVAL;
        return NULL;
    }
    if (!(cp = fx_idset_create ()))
        return NULL;
    if (reserve (cp, set->n) < 0) {
        fx_idset_destroy (cp);
        return NULL;
    }
    if (set->n)
        memcpy (cp->spans, set->spans, set->n * sizeof (*set->spans));
    cp->n = set->n;
    return cp;
}

/* Index of the first span with hi >= id (set->n if none). */
static size_t find_span (const struct fx_idset *set, unsigned long id)
{
    size_t lo = 0, hi = set->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->spans[mid].hi < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void remove_spans (struct fx_idset *set, size_t i, size_t j)
{
    memmove (&set->spans[i], &set->spans[j], (set->n - j) * sizeof (*set->spans));
    set->n -= j - i;
}

static int check_range (unsigned int lo, unsigned int hi)
{
    if (lo > hi || hi > FX_IDSET_ID_MAX) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int fx_idset_range_set (struct fx_idset *set, unsigned int lo, unsigned int hi)
{
    size_t i, j;

    if (!set || check_range (lo, hi) < 0) {
        errno = EINVAL;
        return -1;
    }
    /* Spans i..j-1 overlap or touch lo..hi and merge with it. */
    i = find_span (set, lo > 0 ? lo - 1ul : 0);
    for (j = i; j < set->n && set->spans[j].lo <= hi + 1ul; j++)
        ;
    if (i == j) {
        if (reserve (set, 1) < 0)
            return -1;
        memmove (&set->spans[i + 1], &set->spans[i], (set->n - i) * sizeof (*set->spans));
        set->spans[i] = (struct span){lo, hi};
        set->n++;
        return 0;
    }
    if (set->spans[i].lo > lo)
        set->spans[i].lo = lo;
    set->spans[i].hi = set->spans[j - 1].hi > hi ? set->spans[j - 1].hi : hi;
    remove_spans (set, i + 1, j);
    return 0;
}

int fx_idset_set (struct fx_idset *set, unsigned int id)
{
    return fx_idset_range_set (set, id, id);
}

int fx_idset_range_clear (struct fx_idset *set, unsigned int lo, unsigned int hi)
{
    size_t i, j;

    if (!set || check_range (lo, hi) < 0) {
        errno = EINVAL;
        return -1;
    }
    i = find_span (set, lo);
    if (i == set->n || set->spans[i].lo > hi)
        return 0;
    if (set->spans[i].lo < lo && set->spans[i].hi > hi) {
        if (reserve (set, 1) < 0)
            return -1;
        memmove (&set->spans[i + 1], &set->spans[i], (set->n - i) * sizeof (*set->spans));
        set->n++;
        set->spans[i].hi = lo - 1;
        set->spans[i + 1].lo = hi + 1;
        return 0;
    }
    if (set->spans[i].lo < lo)
        set->spans[i++].hi = lo - 1;
    for (j = i; j < set->n && set->spans[j].hi <= hi; j++)
        ;
    if (j < set->n && set->spans[j].lo <= hi)
        set->spans[j].lo = hi + 1;
    remove_spans (set, i, j);
    return 0;
}

int fx_idset_clear (struct fx_idset *set, unsigned int id)
{
    return fx_idset_range_clear (set, id, id);
}

bool fx_idset_test (const struct fx_idset *set, unsigned int id)
{
    size_t i;

    if (!set)
        return false;
    i = find_span (set, id);
    return i < set->n && set->spans[i].lo <= id;
}

size_t fx_idset_count (const struct fx_idset *set)
{
    size_t count = 0;

    for (size_t i = 0; set && i < set->n; i++)
        count += set->spans[i].hi - set->spans[i].lo + 1;
    return count;
}

unsigned int fx_idset_first (const struct fx_idset *set)
{
    return set && set->n ? set->spans[0].lo : FX_IDSET_INVALID_ID;
}

unsigned int fx_idset_next (const struct fx_idset *set, unsigned int id)
{
    size_t i;

    if (!set || id >= FX_IDSET_ID_MAX)
        return FX_IDSET_INVALID_ID;
    i = find_span (set, id + 1);
    if (i == set->n)
        return FX_IDSET_INVALID_ID;
    return set->spans[i].lo > id + 1 ? set->spans[i].lo : id + 1;
}

unsigned int fx_idset_last (const struct fx_idset *set)
{
    return set && set->n ? set->spans[set->n - 1].hi : FX_IDSET_INVALID_ID;
}

/* Set operations. */

/* Append lo..hi to out, whose spans all start at or before lo. */
static int push (struct fx_idset *out, unsigned int lo, unsigned int hi)
{
    struct span *last = out->n ? &out->spans[out->n - 1] : NULL;

    if (last && lo <= last->hi + 1ul) {
        if (hi > last->hi)
            last->hi = hi;
        return 0;
    }
    if (reserve (out, 1) < 0)
        return -1;
    out->spans[out->n++] = (struct span){lo, hi};
    return 0;
}

static int merge_union (struct fx_idset *out, const struct fx_idset *a, const struct fx_idset *b)
{
    size_t i = 0, j = 0;

    while (i < a->n || j < b->n) {
        const struct span *s;
        if (j == b->n || (i < a->n && a->spans[i].lo <= b->spans[j].lo))
            s = &a->spans[i++];
        else
            s = &b->spans[j++];
        if (push (out, s->lo, s->hi) < 0)
            return -1;
    }
    return 0;
}

static int merge_intersect (struct fx_idset *out, const struct fx_idset *a,
                            const struct fx_idset *b)
{
    size_t i = 0, j = 0;

    while (i < a->n && j < b->n) {
        unsigned int lo = a->spans[i].lo > b->spans[j].lo ? a->spans[i].lo : b->spans[j].lo;
        unsigned int hi = a->spans[i].hi < b->spans[j].hi ? a->spans[i].hi : b->spans[j].hi;
        if (lo <= hi && push (out, lo, hi) < 0)
            return -1;
        if (a->spans[i].hi < b->spans[j].hi)
            i++;
        else
            j++;
    }
    return 0;
}

static int merge_difference (struct fx_idset *out, const struct fx_idset *a,
                             const struct fx_idset *b)
{
    size_t j = 0;

    for (size_t i = 0; i < a->n; i++) {
        unsigned long cur = a->spans[i].lo;
        unsigned long hi = a->spans[i].hi;
        while (j < b->n && b->spans[j].hi < cur)
            j++;
        for (size_t k = j; k < b->n && b->spans[k].lo <= hi; k++) {
            if (b->spans[k].lo > cur && push (out, cur, b->spans[k].lo - 1) < 0)
                return -1;
            cur = b->spans[k].hi + 1ul;
        }
        if (cur <= hi && push (out, cur, hi) < 0)
            return -1;
    }
    return 0;
}

typedef int (*merge_f) (struct fx_idset *out, const struct fx_idset *a, const struct fx_idset *b);

static struct fx_idset *combine (const struct fx_idset *a, const struct fx_idset *b, merge_f fn)
{
    struct fx_idset *out;

    if (!a || !b) {
        errno = EINVAL;
        return NULL;
    }
    if (!(out = fx_idset_create ()))
        return NULL;
    if (fn (out, a, b) < 0) {
        fx_idset_destroy (out);
        return NULL;
    }
    return out;
}

struct fx_idset *fx_idset_union (const struct fx_idset *a, const struct fx_idset *b)
{
    return combine (a, b, merge_union);
}

struct fx_idset *fx_idset_difference (const struct fx_idset *a, const struct fx_idset *b)
{
    return combine (a, b, merge_difference);
}

struct fx_idset *fx_idset_intersect (const struct fx_idset *a, const struct fx_idset *b)
{
    return combine (a, b, merge_intersect);
}

/* Replace a's contents with the result of fn (a, b). */
static int combine_into (struct fx_idset *a, const struct fx_idset *b, merge_f fn)
{
    struct fx_idset *out = combine (a, b, fn);

    if (!out)
        return -1;
    free (a->spans);
    *a = *out;
    free (out);
    return 0;
}

int fx_idset_add (struct fx_idset *a, const struct fx_idset *b)
{
    return combine_into (a, b, merge_union);
}

int fx_idset_subtract (struct fx_idset *a, const struct fx_idset *b)
{
    return combine_into (a, b, merge_difference);
}

bool fx_idset_equal (const struct fx_idset *a, const struct fx_idset *b)
{
    if (!a || !b)
        return a == b;
    return a->n == b->n &&
           (a->n == 0 || memcmp (a->spans, b->spans, a->n * sizeof (*a->spans)) == 0);
}

/* Encoding and decoding. */

char *fx_idset_encode (const struct fx_idset *set, int flags)
{
    bool brackets;
    char *s, *p;

    if (!set || (flags & ~FX_IDSET_FLAG_BRACKETS)) {
        errno = EINVAL;
        return NULL;
    }
    /* Each span prints as at most "4294967295-4294967295,". */
    if (!(p = s = malloc (set->n * 22 + 3)))
        return NULL;
    brackets = (flags & FX_IDSET_FLAG_BRACKETS) && fx_idset_count (set) > 1;
    if (brackets)
        *p++ = '[';
    for (size_t i = 0; i < set->n; i++) {
        const struct span *sp = &set->spans[i];
        p += sprintf (p, "%s%u", i > 0 ? "," : "", sp->lo);
        if (sp->hi > sp->lo)
            p += sprintf (p, "-%u", sp->hi);
    }
    if (brackets)
        *p++ = ']';
    *p = '\0';
    return s;
}

struct parser {
    const char *s;   /* whole input, for messages */
    const char *p;   /* cursor */
    const char *end; /* end of the ids (before a closing bracket) */
    struct fx_error *err;
};

static int parse_error (struct parser *ps, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Report the input (made printable, shortened) and the cause on one line. */
static int parse_error (struct parser *ps, const char *fmt, ...)
{
    char cause[128];
    char input[68];
    size_t len = strlen (ps->s);
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (cause, sizeof (cause), fmt, ap);
    va_end (ap);
    for (size_t i = 0; i < len && i < 64; i++)
        input[i] = ps->s[i] >= ' ' && ps->s[i] < 0x7f ? ps->s[i] : '?';
    strcpy (input + (len < 64 ? len : 64), len > 64 ? "..." : "");
    errno = EINVAL;
    return errprintf (ps->err, "%s: %s", input, cause);
}

static int bad_char (struct parser *ps)
{
    int pos = ps->p - ps->s;

    if (*ps->p >= ' ' && *ps->p < 0x7f)
        return parse_error (ps, "invalid character '%c' at position %d", *ps->p, pos);
    return parse_error (ps, "invalid byte 0x%02x at position %d", (unsigned char) *ps->p, pos);
}

static int parse_id (struct parser *ps, unsigned int *id)
{
    unsigned long n = 0;
    int pos = ps->p - ps->s;

    if (ps->p == ps->end)
        return parse_error (ps, "missing id at end");
    if (!isdigit ((unsigned char) *ps->p))
        return bad_char (ps);
    if (*ps->p == '0' && ps->p + 1 < ps->end && isdigit ((unsigned char) ps->p[1]))
        return parse_error (ps, "leading zero at position %d", pos);
    while (ps->p < ps->end && isdigit ((unsigned char) *ps->p)) {
        n = n * 10 + (*ps->p++ - '0');
        if (n > FX_IDSET_ID_MAX)
            return parse_error (ps, "id at position %d is larger than %u", pos, FX_IDSET_ID_MAX);
    }
    *id = n;
    return 0;
}

static int parse_ids (struct parser *ps, struct fx_idset *set)
{
    while (ps->p < ps->end) {
        unsigned int lo, hi;
        int pos = ps->p - ps->s;
        if (parse_id (ps, &lo) < 0)
            return -1;
        hi = lo;
        if (ps->p < ps->end && *ps->p == '-') {
            ps->p++;
            if (parse_id (ps, &hi) < 0)
                return -1;
            if (hi < lo)
                return parse_error (ps, "range at position %d ends before it starts", pos);
        }
        if (fx_idset_range_set (set, lo, hi) < 0)
            return errprintf (ps->err, "out of memory");
        if (ps->p == ps->end)
            break;
        if (*ps->p != ',')
            return bad_char (ps);
        if (++ps->p == ps->end)
            return parse_error (ps, "trailing comma");
    }
    return 0;
}

struct fx_idset *fx_idset_decode (const char *s, struct fx_error *err)
{
    struct parser ps = {.s = s, .p = s, .err = err};
    struct fx_idset *set;

    if (!s) {
        errno = EINVAL;
        errprintf (err, "idset is NULL");
        return NULL;
    }
    ps.end = s + strlen (s);
    if (*s == '[') {
        if (ps.end - s < 2 || ps.end[-1] != ']') {
            parse_error (&ps, "missing ']'");
            return NULL;
        }
        ps.p++;
        ps.end--;
    }
    if (!(set = fx_idset_create ())) {
        errprintf (err, "out of memory");
        return NULL;
    }
    if (parse_ids (&ps, set) < 0) {
        fx_idset_destroy (set);
        return NULL;
    }
    return set;
}
