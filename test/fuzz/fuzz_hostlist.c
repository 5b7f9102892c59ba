/* fuzz_hostlist.c - decode arbitrary bytes as a hostlist; when that works, check that the
 * encoding decodes to the same hosts and encodes identically, and that sort, uniq, find and
 * minus agree with each other.  Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"

#define CHECK_HOSTS_MAX 5000 /* compare host by host only up to this count */
#define CHECK_SORT_MAX  5000 /* sort, uniq and minus only up to this count */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_same_hosts (struct fx_hostlist *a, struct fx_hostlist *b)
{
    int n = fx_hostlist_count (a);

    if (n != fx_hostlist_count (b))
        abort ();
    if (n > CHECK_HOSTS_MAX)
        return;
    for (int i = 0; i < n; i++) {
        char host[FX_HOSTLIST_NAME_MAX + 1];
        const char *h = fx_hostlist_nth (a, i);
        if (!h || strlen (h) > FX_HOSTLIST_NAME_MAX)
            abort ();
        strcpy (host, h);
        if (!(h = fx_hostlist_nth (b, i)) || strcmp (h, host) != 0)
            abort ();
        int k = fx_hostlist_find (a, host);
        if (k < 0 || k > i || strcmp (fx_hostlist_nth (a, k), host) != 0)
            abort ();
    }
}

static void check_uniq_minus (struct fx_hostlist *hl)
{
    struct fx_hostlist *u = fx_hostlist_copy (hl);
    int n;

    if (!u || fx_hostlist_uniq (u) < 0)
        abort ();
    n = fx_hostlist_count (u);
    if (n > fx_hostlist_count (hl) || (n == 0) != (fx_hostlist_count (hl) == 0))
        abort ();
    if (n <= CHECK_HOSTS_MAX)
        for (int i = 0; i < n; i++)
            if (fx_hostlist_find (u, fx_hostlist_nth (u, i)) != i)
                abort ();
    if (fx_hostlist_minus (u, hl) != n || fx_hostlist_count (u) != 0)
        abort ();
    fx_hostlist_destroy (u);
}

/* The encoding must decode to the same hosts and encode to the same string. */
static void check_round_trip (struct fx_hostlist *hl)
{
    struct fx_hostlist *again;
    char *enc, *enc2;

    if (!(enc = fx_hostlist_encode (hl)) || !(again = fx_hostlist_decode (enc, NULL)))
        abort ();
    check_same_hosts (hl, again);
    if (!(enc2 = fx_hostlist_encode (again)) || strcmp (enc, enc2) != 0)
        abort ();
    if (fx_hostlist_count (hl) <= CHECK_SORT_MAX) {
        check_uniq_minus (hl);
        if (fx_hostlist_sort (again) < 0 || fx_hostlist_count (again) != fx_hostlist_count (hl))
            abort ();
    }
    free (enc);
    free (enc2);
    fx_hostlist_destroy (again);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    struct fx_error err;
    struct fx_hostlist *hl;

    if (!s)
        return 0;
    memcpy (s, data, size);
    s[size] = '\0';
    if ((hl = fx_hostlist_decode (s, &err))) {
        check_round_trip (hl);
        fx_hostlist_destroy (hl);
    } else if (strchr (err.text, '\n') || err.text[0] == '\0')
        abort ();
    free (s);
    return 0;
}
