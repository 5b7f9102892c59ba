/* fuzz_idset.c - decode arbitrary bytes as one or two idsets (split at the first '|').
 * Where decoding works, check that both encodings decode to an equal set and re-encode
 * identically, that iteration agrees with count and test, and that the set operations obey
 * a few identities.  Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/idset.h"

#define ITERATE_MAX 100000 /* walk every id only in sets up to this size */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_codec (const struct fx_idset *set, int flags)
{
    char *s = fx_idset_encode (set, flags);
    struct fx_idset *again;
    char *s2;

    if (!s || !(again = fx_idset_decode (s, NULL)) || !fx_idset_equal (set, again))
        abort ();
    if (!(s2 = fx_idset_encode (again, flags)) || strcmp (s, s2) != 0)
        abort ();
    free (s);
    free (s2);
    fx_idset_destroy (again);
}

static void check_iterate (const struct fx_idset *set)
{
    size_t count = fx_idset_count (set);
    size_t n = 0;
    unsigned int prev = 0;

    if (count > ITERATE_MAX)
        return;
    for (unsigned int id = fx_idset_first (set); id != FX_IDSET_INVALID_ID;
         id = fx_idset_next (set, id)) {
        if (++n > count || !fx_idset_test (set, id) || (n > 1 && id <= prev))
            abort ();
        if (n > 1 && id > prev + 1 && fx_idset_test (set, prev + 1))
            abort ();
        prev = id;
    }
    if (n != count || (count > 0 && prev != fx_idset_last (set)))
        abort ();
}

/* a - (a - b) == a & b, (a | b) - b == a - b, |a| + |b| == |a | b| + |a & b|. */
static void check_algebra (const struct fx_idset *a, const struct fx_idset *b)
{
    struct fx_idset *u = fx_idset_union (a, b);
    struct fx_idset *x = fx_idset_intersect (a, b);
    struct fx_idset *d = fx_idset_difference (a, b);
    struct fx_idset *t = fx_idset_copy (a);
    struct fx_idset *v = fx_idset_copy (u);

    if (!u || !x || !d || !t || !v)
        abort ();
    if (fx_idset_subtract (t, d) < 0 || !fx_idset_equal (t, x))
        abort ();
    if (fx_idset_subtract (v, b) < 0 || !fx_idset_equal (v, d))
        abort ();
    if (fx_idset_count (a) + fx_idset_count (b) != fx_idset_count (u) + fx_idset_count (x))
        abort ();
    if (fx_idset_add (t, d) < 0 || !fx_idset_equal (t, a))
        abort ();
    fx_idset_destroy (u);
    fx_idset_destroy (x);
    fx_idset_destroy (d);
    fx_idset_destroy (t);
    fx_idset_destroy (v);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    char *bar;
    struct fx_idset *a, *b = NULL;
    struct fx_error err;

    if (!s)
        return 0;
    memcpy (s, data, size);
    s[size] = '\0';
    if ((bar = strchr (s, '|')))
        *bar++ = '\0';
    if ((a = fx_idset_decode (s, &err))) {
        check_codec (a, 0);
        check_codec (a, FX_IDSET_FLAG_BRACKETS);
        check_iterate (a);
        if (bar && (b = fx_idset_decode (bar, NULL)))
            check_algebra (a, b);
        check_algebra (a, a);
    } else if (err.text[0] == '\0' || strchr (err.text, '\n'))
        abort ();
    fx_idset_destroy (a);
    fx_idset_destroy (b);
    free (s);
    return 0;
}
