/* hostlist.c - RFC 29 hostlists: parse, store as runs, compress, sort, subtract.
 *
 * A list is an array of runs; a run is either one plain name (no number) or the hosts
 * prefix + number + suffix for consecutive numbers lo..hi zero-padded to a width.  Appending
 * merges a run into the previous one when it continues it, which is all the compression
 * there is: encoding prints consecutive runs that share prefix and suffix inside one pair of
 * brackets.  Sorting, uniq and minus expand the list into (run, number) references, work on
 * those and rebuild the runs.  Host equality is string equality: "fluke1" and "fluke01" are
 * different hosts.  The module talks to nothing; every failure returns -1/NULL with errno
 * set, parse errors fill a struct fx_error, and a failed call leaves the list unchanged.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/hostlist.h"

struct run {
    char *prefix;         /* text before the number, or the whole plain name */
    char *suffix;         /* text after the number ("" if none) */
    unsigned long lo, hi; /* numbers lo..hi; both 0 for a plain name */
    int width;            /* zero padding of lo..hi; 0 when lo needs none */
    bool numbered;        /* false for a plain name */
};

struct fx_hostlist {
    struct run *runs;
    size_t nruns, alloc;
    size_t count;                       /* hosts in all runs */
    size_t cur_run, cur_base;           /* nth() cursor: runs[cur_run] starts at cur_base */
    char buf[FX_HOSTLIST_NAME_MAX + 1]; /* nth() result */
};

/* One host named by its run and number, used to sort and search. */
struct hostref {
    const struct run *run;
    unsigned long n;
};

struct parser {
    const char *s;    /* the whole input */
    const char *expr; /* start of the expression being parsed, for messages */
    const char *p;    /* cursor */
    struct fx_hostlist *hl;
    struct fx_error *err;
};

static int ndigits (unsigned long n)
{
    int d = 1;

    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* Characters written for n zero-padded to width. */
static int numlen (unsigned long n, int width)
{
    int d = ndigits (n);

    return d > width ? d : width;
}

/* Padding that lo does not need anyway is dropped, so that equal hosts get equal runs. */
static int norm_width (unsigned long lo, int width)
{
    return width > ndigits (lo) ? width : 0;
}

static size_t run_count (const struct run *r)
{
    return r->hi - r->lo + 1;
}

static int format_host (char *buf, size_t len, const struct run *r, unsigned long n)
{
    if (!r->numbered)
        return snprintf (buf, len, "%s", r->prefix);
    return snprintf (buf, len, "%s%0*lu%s", r->prefix, r->width, n, r->suffix);
}

static void run_free (struct run *r)
{
    free (r->prefix);
    free (r->suffix);
}

static void runs_clear (struct fx_hostlist *hl)
{
    for (size_t i = 0; i < hl->nruns; i++)
        run_free (&hl->runs[i]);
    free (hl->runs);
    hl->runs = NULL;
    hl->nruns = hl->alloc = hl->count = 0;
    hl->cur_run = hl->cur_base = 0;
}

struct fx_hostlist *fx_hostlist_create (void)
{
    return calloc (1, sizeof (struct fx_hostlist));
}

void fx_hostlist_destroy (struct fx_hostlist *hl)
{
    if (hl) {
        int saved_errno = errno;
        runs_clear (hl);
        free (hl);
        errno = saved_errno;
    }
}

static int reserve (struct fx_hostlist *hl, size_t extra)
{
    size_t want = hl->nruns + extra;
    size_t n = hl->alloc ? hl->alloc : 8;
    struct run *runs;

    if (want <= hl->alloc)
        return 0;
    while (n < want)
        n *= 2;
    if (!(runs = realloc (hl->runs, n * sizeof (*runs))))
        return -1;
    hl->runs = runs;
    hl->alloc = n;
    return 0;
}

/* True if r continues last: same text around the number, the next numbers, and each of
 * r's numbers prints the same at last's width as at its own. */
static bool run_continues (const struct run *last, const struct run *r)
{
    int wmax = last->width > r->width ? last->width : r->width;

    if (!last->numbered || !r->numbered || r->lo != last->hi + 1)
        return false;
    if (last->width != r->width && ndigits (r->lo) < wmax)
        return false;
    return strcmp (last->prefix, r->prefix) == 0 && strcmp (last->suffix, r->suffix) == 0;
}

/* Append r, taking ownership of its strings (freed if r merges into the last run).
 * Capacity must have been reserved. */
static void push_owned (struct fx_hostlist *hl, struct run *r)
{
    struct run *last = hl->nruns ? &hl->runs[hl->nruns - 1] : NULL;

    r->width = norm_width (r->lo, r->width);
    hl->count += run_count (r);
    if (last && run_continues (last, r)) {
        last->hi = r->hi;
        run_free (r);
        return;
    }
    hl->runs[hl->nruns++] = *r;
}

/* Append r with copies of prefix and suffix.  Returns 0 or -1 with errno ENOMEM. */
static int push_new (struct fx_hostlist *hl, struct run r, const char *prefix, size_t plen,
                     const char *suffix, size_t slen)
{
    if (reserve (hl, 1) < 0)
        return -1;
    r.prefix = strndup (prefix, plen);
    r.suffix = strndup (suffix, slen);
    if (!r.prefix || !r.suffix) {
        run_free (&r);
        return -1;
    }
    push_owned (hl, &r);
    return 0;
}

/* Append a copy of r (with numbers lo..hi).  Returns 0 or -1 with errno ENOMEM. */
static int push_copy (struct fx_hostlist *hl, const struct run *r, unsigned long lo,
                      unsigned long hi)
{
    struct run c = *r;

    c.lo = lo;
    c.hi = hi;
    c.width = norm_width (lo, r->width);
    if (hl->nruns && run_continues (&hl->runs[hl->nruns - 1], &c)) {
        hl->runs[hl->nruns - 1].hi = hi;
        hl->count += hi - lo + 1;
        return 0;
    }
    return push_new (hl, c, r->prefix, strlen (r->prefix), r->suffix, strlen (r->suffix));
}

/* Move every run of src to the end of dst and empty src; fails (E2BIG, ENOMEM) before
 * changing either list. */
static int splice (struct fx_hostlist *dst, struct fx_hostlist *src)
{
    if (dst->count + src->count > FX_HOSTLIST_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (reserve (dst, src->nruns) < 0)
        return -1;
    for (size_t i = 0; i < src->nruns; i++)
        push_owned (dst, &src->runs[i]);
    src->nruns = 0;
    runs_clear (src);
    dst->cur_run = dst->cur_base = 0;
    return 0;
}

/* Parsing. */

static bool is_host_char (int c)
{
    return c > ' ' && c < 0x7f && c != ',' && c != '[' && c != ']';
}

/* Length of the expression starting at expr: up to a comma outside brackets. */
static int expr_len (const char *expr)
{
    int depth = 0;
    int n = 0;

    for (; expr[n] && (expr[n] != ',' || depth > 0); n++) {
        if (expr[n] == '[')
            depth++;
        else if (expr[n] == ']' && depth > 0)
            depth--;
    }
    return n;
}

static int parse_error (struct parser *ps, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Report the expression being parsed and the cause, on one printable line. */
static int parse_error (struct parser *ps, int errnum, const char *fmt, ...)
{
    char cause[128];
    char expr[68];
    int len = expr_len (ps->expr);
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (cause, sizeof (cause), fmt, ap);
    va_end (ap);
    errno = errnum;
    if (len == 0)
        return errprintf (ps->err, "%s at position %d", cause, (int) (ps->p - ps->s));
    for (int i = 0; i < len && i < 64; i++)
        expr[i] = ps->expr[i] >= ' ' && ps->expr[i] < 0x7f ? ps->expr[i] : '?';
    strcpy (expr + (len < 64 ? len : 64), len > 64 ? "..." : "");
    return errprintf (ps->err, "%s: %s", expr, cause);
}

static int bad_char (struct parser *ps, const char *where)
{
    int c = (unsigned char) *ps->p;

    if (c >= ' ' && c < 0x7f)
        return parse_error (ps, EINVAL, "invalid character '%c'%s", c, where);
    return parse_error (ps, EINVAL, "invalid character byte 0x%02x%s", c, where);
}

/* Scan host characters up to '[', ',' or the end; returns the length scanned. */
static int scan_text (struct parser *ps, size_t *len)
{
    const char *start = ps->p;

    while (*ps->p && *ps->p != ',' && *ps->p != '[') {
        if (!is_host_char (*ps->p))
            return bad_char (ps, "");
        ps->p++;
    }
    *len = ps->p - start;
    return 0;
}

static int parse_number (struct parser *ps, unsigned long *n, int *width, bool after_dash)
{
    const char *start = ps->p;

    if (!isdigit ((unsigned char) *ps->p)) {
        if (*ps->p == '\0')
            return parse_error (ps, EINVAL, after_dash ? "unterminated range" : "missing ']'");
        if (*ps->p == ']' || *ps->p == ',')
            return parse_error (ps, EINVAL, after_dash ? "unterminated range" : "missing number");
        return bad_char (ps, " in brackets");
    }
    *n = 0;
    while (isdigit ((unsigned char) *ps->p)) {
        if (ps->p - start == FX_HOSTLIST_DIGITS)
            return parse_error (ps, EINVAL, "number too large (over %d digits)",
                                FX_HOSTLIST_DIGITS);
        *n = *n * 10 + (*ps->p++ - '0');
    }
    *width = ps->p - start;
    return 0;
}

/* Parse "lo[-hi],..." up to and including ']', appending a run for each range. */
static int parse_idlist (struct parser *ps, const char *prefix, size_t plen, const char *suffix,
                         size_t slen)
{
    for (;;) {
        struct run r = {.numbered = true};
        int hiwidth;

        if (parse_number (ps, &r.lo, &r.width, false) < 0)
            return -1;
        r.hi = r.lo;
        if (*ps->p == '-') {
            ps->p++;
            if (parse_number (ps, &r.hi, &hiwidth, true) < 0)
                return -1;
            if (r.hi < r.lo)
                return parse_error (ps, EINVAL, "range end before start");
        }
        if (ps->hl->count + (r.hi - r.lo + 1) > FX_HOSTLIST_MAX)
            return parse_error (ps, E2BIG, "more than %d hosts", FX_HOSTLIST_MAX);
        if (plen + slen + numlen (r.hi, r.width) > FX_HOSTLIST_NAME_MAX)
            return parse_error (ps, EINVAL, "host name too long");
        if (push_new (ps->hl, r, prefix, plen, suffix, slen) < 0)
            return -1;
        if (*ps->p == ']')
            break;
        if (*ps->p == '\0')
            return parse_error (ps, EINVAL, "missing ']'");
        if (*ps->p != ',')
            return bad_char (ps, " in brackets");
        ps->p++;
    }
    ps->p++;
    return 0;
}

/* Append a plain name: its trailing digits (at most FX_HOSTLIST_DIGITS of them) become the
 * number so that "fluke1,fluke2" compresses.  Returns 0 or -1 with errno ENOMEM. */
static int push_name (struct fx_hostlist *hl, const char *name, size_t len)
{
    size_t k = 0;
    struct run r = {0};

    while (k < len && k < FX_HOSTLIST_DIGITS && isdigit ((unsigned char) name[len - 1 - k]))
        k++;
    r.numbered = k > 0;
    r.width = k;
    for (size_t i = len - k; i < len; i++)
        r.lo = r.lo * 10 + (name[i] - '0');
    r.hi = r.lo;
    return push_new (hl, r, name, len - k, "", 0);
}

static int parse_expr (struct parser *ps)
{
    const char *prefix = ps->p;
    const char *suffix;
    size_t plen, slen;

    ps->expr = ps->p;
    if (scan_text (ps, &plen) < 0)
        return -1;
    if (*ps->p != '[') {
        if (plen == 0)
            return parse_error (ps, EINVAL, "empty host name");
        if (plen > FX_HOSTLIST_NAME_MAX)
            return parse_error (ps, EINVAL, "host name too long");
        if (ps->hl->count + 1 > FX_HOSTLIST_MAX)
            return parse_error (ps, E2BIG, "more than %d hosts", FX_HOSTLIST_MAX);
        return push_name (ps->hl, prefix, plen);
    }
    /* The suffix follows the first ']'; where there is none, parse_idlist() fails. */
    suffix = strchr (ps->p, ']');
    suffix = suffix ? suffix + 1 : ps->p + strlen (ps->p);
    ps->p++;
    if (parse_idlist (ps, prefix, plen, suffix, strcspn (suffix, ",[")) < 0)
        return -1;
    if (*ps->p == '[')
        return parse_error (ps, EINVAL, "more than one bracketed list");
    if (scan_text (ps, &slen) < 0)
        return -1;
    if (*ps->p == '[')
        return parse_error (ps, EINVAL, "more than one bracketed list");
    return 0;
}

struct fx_hostlist *fx_hostlist_decode (const char *s, struct fx_error *err)
{
    struct parser ps = {.s = s, .p = s, .expr = s, .err = err};

    if (!s) {
        errno = EINVAL;
        errprintf (err, "hostlist is NULL");
        return NULL;
    }
    if (!(ps.hl = fx_hostlist_create ()))
        goto nomem;
    while (*ps.p) {
        if (parse_expr (&ps) < 0)
            goto error;
        if (*ps.p == ',' && *++ps.p == '\0') {
            parse_error (&ps, EINVAL, "trailing comma");
            goto error;
        }
    }
    return ps.hl;
nomem:
    errno = ENOMEM;
error:
    if (errno == ENOMEM)
        errprintf (err, "out of memory");
    fx_hostlist_destroy (ps.hl);
    return NULL;
}

int fx_hostlist_append (struct fx_hostlist *hl, const char *s, struct fx_error *err)
{
    struct fx_hostlist *tmp;
    int n;

    if (!hl) {
        errno = EINVAL;
        return errprintf (err, "hostlist is NULL");
    }
    if (!(tmp = fx_hostlist_decode (s, err)))
        return -1;
    n = tmp->count;
    if (splice (hl, tmp) < 0) {
        fx_hostlist_destroy (tmp);
        if (errno == E2BIG)
            return errprintf (err, "more than %d hosts", FX_HOSTLIST_MAX);
        return errprintf (err, "out of memory");
    }
    fx_hostlist_destroy (tmp);
    return n;
}

int fx_hostlist_append_list (struct fx_hostlist *hl, const struct fx_hostlist *other)
{
    struct fx_hostlist *tmp;
    int n;

    if (!hl || !other) {
        errno = EINVAL;
        return -1;
    }
    if (!(tmp = fx_hostlist_copy (other)))
        return -1;
    n = tmp->count;
    if (splice (hl, tmp) < 0)
        n = -1;
    fx_hostlist_destroy (tmp);
    return n;
}

struct fx_hostlist *fx_hostlist_copy (const struct fx_hostlist *hl)
{
    struct fx_hostlist *cp;

    if (!hl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(cp = fx_hostlist_create ()))
        return NULL;
    for (size_t i = 0; i < hl->nruns; i++) {
        if (push_copy (cp, &hl->runs[i], hl->runs[i].lo, hl->runs[i].hi) < 0) {
            fx_hostlist_destroy (cp);
            return NULL;
        }
    }
    return cp;
}

int fx_hostlist_count (const struct fx_hostlist *hl)
{
    return hl ? (int) hl->count : 0;
}

const char *fx_hostlist_nth (struct fx_hostlist *hl, int n)
{
    long long count = hl ? (long long) hl->count : 0;
    const struct run *r;
    size_t i;

    if (n >= count || n < -count) {
        errno = ENOENT;
        return NULL;
    }
    i = n < 0 ? (size_t) (count + n) : (size_t) n;
    if (i < hl->cur_base)
        hl->cur_run = hl->cur_base = 0;
    while (i >= hl->cur_base + run_count (&hl->runs[hl->cur_run])) {
        hl->cur_base += run_count (&hl->runs[hl->cur_run]);
        hl->cur_run++;
    }
    r = &hl->runs[hl->cur_run];
    format_host (hl->buf, sizeof (hl->buf), r, r->lo + (i - hl->cur_base));
    return hl->buf;
}

/* If host is one of r's hosts, set *n to its number and return true. */
static bool run_match (const struct run *r, const char *host, size_t len, unsigned long *n)
{
    size_t plen = strlen (r->prefix);
    size_t slen = strlen (r->suffix);
    size_t dlen;

    if (!r->numbered) {
        *n = 0;
        return strcmp (r->prefix, host) == 0;
    }
    if (len < plen + slen + 1 || strncmp (host, r->prefix, plen) != 0 ||
        strcmp (host + len - slen, r->suffix) != 0)
        return false;
    dlen = len - plen - slen;
    if (dlen > FX_HOSTLIST_DIGITS)
        return false;
    *n = 0;
    for (size_t i = plen; i < plen + dlen; i++) {
        if (!isdigit ((unsigned char) host[i]))
            return false;
        *n = *n * 10 + (host[i] - '0');
    }
    return *n >= r->lo && *n <= r->hi && (size_t) numlen (*n, r->width) == dlen;
}

int fx_hostlist_find (const struct fx_hostlist *hl, const char *host)
{
    size_t base = 0;
    size_t len;
    unsigned long n;

    if (!hl || !host) {
        errno = EINVAL;
        return -1;
    }
    len = strlen (host);
    for (size_t i = 0; i < hl->nruns; i++) {
        if (run_match (&hl->runs[i], host, len, &n))
            return base + (n - hl->runs[i].lo);
        base += run_count (&hl->runs[i]);
    }
    errno = ENOENT;
    return -1;
}

/* Encoding. */

static bool same_group (const struct run *a, const struct run *b)
{
    return a->numbered && b->numbered && strcmp (a->prefix, b->prefix) == 0 &&
           strcmp (a->suffix, b->suffix) == 0;
}

/* Print runs[i..j], which share prefix and suffix, as one expression. */
static void encode_group (FILE *f, const struct run *runs, size_t i, size_t j)
{
    const struct run *r = &runs[i];

    if (!r->numbered) {
        fprintf (f, "%s", r->prefix);
        return;
    }
    if (i == j && r->lo == r->hi) {
        fprintf (f, "%s%0*lu%s", r->prefix, r->width, r->lo, r->suffix);
        return;
    }
    fprintf (f, "%s[", r->prefix);
    for (size_t k = i; k <= j; k++) {
        r = &runs[k];
        fprintf (f, "%s%0*lu", k > i ? "," : "", r->width, r->lo);
        if (r->hi > r->lo)
            fprintf (f, "-%0*lu", r->width, r->hi);
    }
    fprintf (f, "]%s", r->suffix);
}

/* A single host that shares brackets with no neighbour prints bare and decodes as a plain
 * name ("x1[009]" prints "x1009", which decodes as "x" 1009).  Encoding uses that form for
 * such hosts, which may join them to a neighbour, so that encoding the decoded encoding
 * gives the same string. */
static bool lone_single (const struct fx_hostlist *hl, size_t i)
{
    const struct run *r = &hl->runs[i];

    return r->numbered && r->lo == r->hi && !(i > 0 && same_group (&hl->runs[i - 1], r)) &&
           !(i + 1 < hl->nruns && same_group (r, &hl->runs[i + 1]));
}

static struct fx_hostlist *canonical (const struct fx_hostlist *hl)
{
    struct fx_hostlist *c = fx_hostlist_create ();
    char name[FX_HOSTLIST_NAME_MAX + 1];

    for (size_t i = 0; c && i < hl->nruns; i++) {
        const struct run *r = &hl->runs[i];
        int rc;
        if (lone_single (hl, i)) {
            format_host (name, sizeof (name), r, r->lo);
            rc = push_name (c, name, strlen (name));
        } else
            rc = push_copy (c, r, r->lo, r->hi);
        if (rc < 0) {
            fx_hostlist_destroy (c);
            return NULL;
        }
    }
    return c;
}

char *fx_hostlist_encode (const struct fx_hostlist *hl)
{
    struct fx_hostlist *c;
    char *s = NULL;
    size_t size;
    int failed;
    FILE *f;

    if (!hl) {
        errno = EINVAL;
        return NULL;
    }
    if (!(c = canonical (hl)))
        return NULL;
    if (!(f = open_memstream (&s, &size))) {
        fx_hostlist_destroy (c);
        return NULL;
    }
    for (size_t i = 0; i < c->nruns;) {
        size_t j = i;
        while (j + 1 < c->nruns && same_group (&c->runs[i], &c->runs[j + 1]))
            j++;
        if (i > 0)
            fputc (',', f);
        encode_group (f, c->runs, i, j);
        i = j + 1;
    }
    fx_hostlist_destroy (c);
    failed = ferror (f);
    if (fclose (f) != 0 || failed) {
        free (s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

/* Sorting and set operations on expanded host references. */

/* Natural order: digit runs compare by value, then the shorter (less padded) first; other
 * characters compare as bytes.  Returns 0 only for equal strings. */
static int natural_cmp (const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit ((unsigned char) *a) && isdigit ((unsigned char) *b)) {
            const char *ea = a, *eb = b, *za, *zb;
            while (*a == '0' && isdigit ((unsigned char) a[1]))
                a++;
            while (*b == '0' && isdigit ((unsigned char) b[1]))
                b++;
            for (za = a; isdigit ((unsigned char) *za); za++)
                ;
            for (zb = b; isdigit ((unsigned char) *zb); zb++)
                ;
            if (za - a != zb - b)
                return (za - a) < (zb - b) ? -1 : 1;
            int c = memcmp (a, b, za - a);
            if (c != 0)
                return c;
            if (za - ea != zb - eb)
                return (za - ea) < (zb - eb) ? -1 : 1;
            a = za;
            b = zb;
            continue;
        }
        if (*a != *b)
            break;
        a++;
        b++;
    }
    return (unsigned char) *a - (unsigned char) *b;
}

/* True when the number of every host of r forms a whole digit run of its name, so that
 * comparing numbers (then padding) equals comparing the names naturally. */
static bool number_isolated (const struct run *r)
{
    size_t plen = strlen (r->prefix);

    return r->numbered && (plen == 0 || !isdigit ((unsigned char) r->prefix[plen - 1])) &&
           !isdigit ((unsigned char) r->suffix[0]);
}

static int hostref_cmp (const void *va, const void *vb)
{
    const struct hostref *a = va, *b = vb;
    char sa[FX_HOSTLIST_NAME_MAX + 1], sb[FX_HOSTLIST_NAME_MAX + 1];

    /* Hosts of one run differ only in a number of the same width: compare numbers. */
    if (a->run == b->run)
        return a->n < b->n ? -1 : a->n > b->n;
    if (number_isolated (a->run) && number_isolated (b->run) &&
        strcmp (a->run->prefix, b->run->prefix) == 0 &&
        strcmp (a->run->suffix, b->run->suffix) == 0) {
        int la = numlen (a->n, a->run->width), lb = numlen (b->n, b->run->width);
        if (a->n != b->n)
            return a->n < b->n ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    format_host (sa, sizeof (sa), a->run, a->n);
    format_host (sb, sizeof (sb), b->run, b->n);
    return natural_cmp (sa, sb);
}

static struct hostref *expand (const struct fx_hostlist *hl)
{
    struct hostref *refs = malloc ((hl->count ? hl->count : 1) * sizeof (*refs));
    size_t k = 0;

    if (!refs)
        return NULL;
    for (size_t i = 0; i < hl->nruns; i++)
        for (unsigned long n = hl->runs[i].lo; n <= hl->runs[i].hi; n++)
            refs[k++] = (struct hostref){&hl->runs[i], n};
    return refs;
}

/* Replace hl's runs with the hosts refs[0..n) (which point into hl). */
static int rebuild (struct fx_hostlist *hl, const struct hostref *refs, size_t n)
{
    struct fx_hostlist *tmp = fx_hostlist_create ();

    if (!tmp)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (push_copy (tmp, refs[i].run, refs[i].n, refs[i].n) < 0) {
            fx_hostlist_destroy (tmp);
            return -1;
        }
    }
    runs_clear (hl);
    hl->runs = tmp->runs;
    hl->nruns = tmp->nruns;
    hl->alloc = tmp->alloc;
    hl->count = tmp->count;
    free (tmp);
    return 0;
}

static int sort_hosts (struct fx_hostlist *hl, bool uniq)
{
    struct hostref *refs;
    size_t n = 0;
    int rc;

    if (!hl) {
        errno = EINVAL;
        return -1;
    }
    if (!(refs = expand (hl)))
        return -1;
    if (hl->count > 1)
        qsort (refs, hl->count, sizeof (*refs), hostref_cmp);
    for (size_t i = 0; i < hl->count; i++)
        if (!uniq || n == 0 || hostref_cmp (&refs[n - 1], &refs[i]) != 0)
            refs[n++] = refs[i];
    rc = rebuild (hl, refs, n);
    free (refs);
    return rc;
}

int fx_hostlist_sort (struct fx_hostlist *hl)
{
    return sort_hosts (hl, false);
}

int fx_hostlist_uniq (struct fx_hostlist *hl)
{
    return sort_hosts (hl, true);
}

int fx_hostlist_minus (struct fx_hostlist *hl, const struct fx_hostlist *other)
{
    struct hostref *mine = NULL, *theirs = NULL;
    size_t n = 0;
    int rc = -1;

    if (!hl || !other) {
        errno = EINVAL;
        return -1;
    }
    if (other->count == 0 || hl->count == 0)
        return 0;
    if (!(mine = expand (hl)) || !(theirs = expand (other)))
        goto done;
    qsort (theirs, other->count, sizeof (*theirs), hostref_cmp);
    for (size_t i = 0; i < hl->count; i++)
        if (!bsearch (&mine[i], theirs, other->count, sizeof (*theirs), hostref_cmp))
            mine[n++] = mine[i];
    rc = hl->count - n;
    if (n < hl->count && rebuild (hl, mine, n) < 0)
        rc = -1;
done:
    free (mine);
    free (theirs);
    return rc;
}
