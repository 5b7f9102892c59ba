/* metrics.c - the Prometheus metric registry; see metrics.h.
 *
 * Owns metric families (name, help, type, label names) and their series (label values and a
 * number or a callback).  Families sit in registration order in an array of pointers, so
 * handles stay valid as it grows; each family keeps its series in creation order in an array
 * and finds them through an open-addressing hash index over the joined label values.  It
 * talks to nothing: fx_metrics_render() produces text and the HTTP server (httpd.c) serves
 * it.
 *
 * Failure policy: every update validates its input and fails with errno, leaving the
 * registry as it was.  The number of series per family is capped, so a bug or hostile label
 * values cost at most FX_METRICS_MAX_SERIES entries and then fail with EOVERFLOW.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "services/metrics.h"

/* Label values joined, each with its NUL: at most this many bytes. */
#define KEY_MAX (FX_METRICS_MAX_LABELS * (FX_METRICS_MAX_VALUE_LEN + 1))

/* Integral values below this magnitude print as integers (it is under 2^63). */
#define INTEGER_LIMIT 9.2e18

struct series {
    char *key;            /* label values, each NUL-terminated, back to back */
    size_t keylen;        /* bytes in key, NULs included */
    double value;         /* stored value, unused while cb is set */
    fx_metric_gauge_f cb; /* gauge evaluated at render time, or NULL */
    void *cb_arg;         /* argument for cb, owned by the caller */
};

struct fx_metric {
    char *name;                          /* metric family name */
    char *help;                          /* HELP text, or NULL */
    enum fx_metric_type type;            /* counter or gauge */
    char *labels[FX_METRICS_MAX_LABELS]; /* label names */
    size_t nlabels;                      /* entries used in labels */
    struct series *series;               /* series in creation order */
    size_t nseries;                      /* entries used in series */
    size_t series_cap;                   /* entries allocated in series */
    size_t *index;                       /* hash slots: series position + 1, 0 if empty */
    size_t index_cap;                    /* slots in index, a power of two */
};

struct fx_metrics {
    struct fx_metric **families; /* in registration order */
    size_t nfamilies;            /* entries used in families */
    size_t cap;                  /* entries allocated in families */
};

struct buf {
    char *data;  /* NUL-terminated text */
    size_t len;  /* bytes before the NUL */
    size_t cap;  /* bytes allocated */
    bool failed; /* an allocation failed: the text is incomplete */
};

static const char *const type_names[] = {
    [FX_METRIC_COUNTER] = "counter",
    [FX_METRIC_GAUGE] = "gauge",
};

/* Validation */

static bool name_valid (const char *s, bool colon)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        bool alpha = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
        bool digit = *s >= '0' && *s <= '9';
        if (!alpha && !digit && *s != '_' && !(colon && *s == ':'))
            return false;
    }
    return true;
}

/* Prometheus rejects a scrape that is not UTF-8, so refuse such text on the way in:
 * overlong forms, surrogates and code points past U+10FFFF included. */
static bool utf8_valid (const char *str)
{
    const unsigned char *s = (const unsigned char *) str;

    while (*s) {
        unsigned int c = *s++, cp, min;
        int more;

        if (c < 0x80)
            continue;
        if ((c & 0xe0) == 0xc0)
            more = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            more = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            more = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        for (; more > 0; more--, s++) {
            if ((*s & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*s & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

static bool labels_valid (const char *const labels[], size_t *count)
{
    size_t n;

    for (n = 0; labels && labels[n]; n++) {
        if (n == FX_METRICS_MAX_LABELS || !name_valid (labels[n], false) ||
            strncmp (labels[n], "__", 2) == 0)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp (labels[i], labels[n]) == 0)
                return false;
        }
    }
    *count = n;
    return true;
}

/* Join the label values of one series into key; return its length, or 0 with errno EINVAL.
 * values has exactly f->nlabels entries (it may be NULL when there are none). */
static size_t key_build (struct fx_metric *f, const char *const values[], char *key)
{
    size_t len = 0;

    for (size_t i = 0; i < f->nlabels; i++) {
        size_t n;
        if (!values[i] || (n = strlen (values[i])) > FX_METRICS_MAX_VALUE_LEN ||
            !utf8_valid (values[i])) {
            errno = EINVAL;
            return 0;
        }
        memcpy (key + len, values[i], n + 1);
        len += n + 1;
    }
    if (len == 0) /* a family without labels has the one empty key: count its NUL */
        key[len++] = '\0';
    return len;
}

/* Series lookup */

/* FNV-1a: short keys, no adversary who can pick them beyond the series cap. */
static size_t key_hash (const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char) key[i];
        h *= 1099511628211ULL;
    }
    return (size_t) h;
}

static size_t *index_slot (size_t *index, size_t cap, struct series *series, const char *key,
                           size_t len)
{
    size_t i = key_hash (key, len) & (cap - 1);

    while (index[i] != 0) {
        struct series *s = &series[index[i] - 1];
        if (s->keylen == len && memcmp (s->key, key, len) == 0)
            break;
        i = (i + 1) & (cap - 1);
    }
    return &index[i];
}

/* Keep the index at most half full so that probes stay short. */
static int index_grow (struct fx_metric *f)
{
    size_t cap = f->index_cap ? f->index_cap * 2 : 16;
    size_t *index = calloc (cap, sizeof (*index));

    if (!index)
        return -1;
    for (size_t i = 0; i < f->nseries; i++) {
        struct series *s = &f->series[i];
        *index_slot (index, cap, f->series, s->key, s->keylen) = i + 1;
    }
    free (f->index);
    f->index = index;
    f->index_cap = cap;
    return 0;
}

static struct series *series_add (struct fx_metric *f, const char *key, size_t len)
{
    struct series *s;

    if (f->nseries == FX_METRICS_MAX_SERIES) {
        errno = EOVERFLOW;
        return NULL;
    }
    if (f->nseries == f->series_cap) {
        size_t cap = f->series_cap ? f->series_cap * 2 : 4;
        if (!(s = realloc (f->series, cap * sizeof (*s))))
            return NULL;
        f->series = s;
        f->series_cap = cap;
    }
    if ((f->nseries + 1) * 2 > f->index_cap && index_grow (f) < 0)
        return NULL;
    s = &f->series[f->nseries];
    if (!(s->key = malloc (len)))
        return NULL;
    memcpy (s->key, key, len);
    s->keylen = len;
    s->value = 0;
    s->cb = NULL;
    s->cb_arg = NULL;
    *index_slot (f->index, f->index_cap, f->series, key, len) = ++f->nseries;
    return s;
}

/* Find the series named by values, creating it if needed; NULL with errno on failure. */
static struct series *series_get (struct fx_metric *f, const char *const values[])
{
    char key[KEY_MAX];
    size_t len;
    size_t *slot;

    if (!f) {
        errno = EINVAL;
        return NULL;
    }
    if ((len = key_build (f, values, key)) == 0)
        return NULL;
    slot = f->index_cap ? index_slot (f->index, f->index_cap, f->series, key, len) : NULL;
    if (slot && *slot)
        return &f->series[*slot - 1];
    return series_add (f, key, len);
}

/* Read NULL-terminated label values from ap into values; -1 with EINVAL if their number is
 * not f->nlabels. */
static int values_collect (struct fx_metric *f, va_list ap, const char *values[])
{
    const char *s;
    size_t n = 0;

    while ((s = va_arg (ap, const char *))) {
        if (!f || n == f->nlabels)
            goto inval;
        values[n++] = s;
    }
    if (!f || n != f->nlabels)
        goto inval;
    return 0;
inval:
    errno = EINVAL;
    return -1;
}

/* Updates */

int fx_metric_addv (struct fx_metric *f, double v, const char *const values[])
{
    struct series *s;

    if (f && f->type == FX_METRIC_COUNTER && !(v >= 0)) {
        errno = EINVAL;
        return -1;
    }
    if (!(s = series_get (f, values)))
        return -1;
    if (s->cb) {
        errno = EINVAL;
        return -1;
    }
    s->value += v;
    return 0;
}

int fx_metric_setv (struct fx_metric *f, double v, const char *const values[])
{
    struct series *s;

    if (f && f->type != FX_METRIC_GAUGE) {
        errno = EINVAL;
        return -1;
    }
    if (!(s = series_get (f, values)))
        return -1;
    if (s->cb) {
        errno = EINVAL;
        return -1;
    }
    s->value = v;
    return 0;
}

int fx_metric_set_callbackv (struct fx_metric *f, fx_metric_gauge_f cb, void *arg,
                             const char *const values[])
{
    struct series *s;

    if (f && f->type != FX_METRIC_GAUGE) {
        errno = EINVAL;
        return -1;
    }
    if (!(s = series_get (f, values)))
        return -1;
    s->cb = cb;
    s->cb_arg = cb ? arg : NULL;
    return 0;
}

int fx_metric_addl (struct fx_metric *f, double v, ...)
{
    const char *values[FX_METRICS_MAX_LABELS];
    va_list ap;
    int rc;

    va_start (ap, v);
    rc = values_collect (f, ap, values);
    va_end (ap);
    return rc < 0 ? -1 : fx_metric_addv (f, v, values);
}

int fx_metric_setl (struct fx_metric *f, double v, ...)
{
    const char *values[FX_METRICS_MAX_LABELS];
    va_list ap;
    int rc;

    va_start (ap, v);
    rc = values_collect (f, ap, values);
    va_end (ap);
    return rc < 0 ? -1 : fx_metric_setv (f, v, values);
}

int fx_metric_set_callbackl (struct fx_metric *f, fx_metric_gauge_f cb, void *arg, ...)
{
    const char *values[FX_METRICS_MAX_LABELS];
    va_list ap;
    int rc;

    va_start (ap, arg);
    rc = values_collect (f, ap, values);
    va_end (ap);
    return rc < 0 ? -1 : fx_metric_set_callbackv (f, cb, arg, values);
}

/* Registry */

static void family_destroy (struct fx_metric *f)
{
    if (f) {
        for (size_t i = 0; i < f->nseries; i++)
            free (f->series[i].key);
        free (f->series);
        free (f->index);
        for (size_t i = 0; i < f->nlabels; i++)
            free (f->labels[i]);
        free (f->help);
        free (f->name);
        free (f);
    }
}

static struct fx_metric *family_create (enum fx_metric_type type, const char *name,
                                        const char *help, const char *const labels[],
                                        size_t nlabels)
{
    struct fx_metric *f;

    if (!(f = calloc (1, sizeof (*f))))
        return NULL;
    f->type = type;
    if (!(f->name = strdup (name)) || (help && *help && !(f->help = strdup (help))))
        goto error;
    for (; f->nlabels < nlabels; f->nlabels++) {
        if (!(f->labels[f->nlabels] = strdup (labels[f->nlabels])))
            goto error;
    }
    if (nlabels == 0 && !series_get (f, NULL))
        goto error;
    return f;
error:
    family_destroy (f);
    errno = ENOMEM;
    return NULL;
}

static struct fx_metric *family_find (struct fx_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->nfamilies; i++) {
        if (strcmp (m->families[i]->name, name) == 0)
            return m->families[i];
    }
    return NULL;
}

struct fx_metric *fx_metrics_register (struct fx_metrics *m, enum fx_metric_type type,
                                       const char *name, const char *help,
                                       const char *const labels[])
{
    struct fx_metric *f;
    size_t nlabels;

    if (!m || (type != FX_METRIC_COUNTER && type != FX_METRIC_GAUGE) || !name_valid (name, true) ||
        (help && !utf8_valid (help)) || !labels_valid (labels, &nlabels)) {
        errno = EINVAL;
        return NULL;
    }
    if (family_find (m, name)) {
        errno = EEXIST;
        return NULL;
    }
    if (m->nfamilies == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct fx_metric **families = realloc (m->families, cap * sizeof (*families));
        if (!families)
            return NULL;
        m->families = families;
        m->cap = cap;
    }
    if (!(f = family_create (type, name, help, labels, nlabels)))
        return NULL;
    m->families[m->nfamilies++] = f;
    return f;
}

struct fx_metrics *fx_metrics_create (void)
{
    return calloc (1, sizeof (struct fx_metrics));
}

void fx_metrics_destroy (struct fx_metrics *m)
{
    int saved_errno = errno;

    if (m) {
        for (size_t i = 0; i < m->nfamilies; i++)
            family_destroy (m->families[i]);
        free (m->families);
        free (m);
    }
    errno = saved_errno;
}

/* Rendering */

static void buf_append (struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *data;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if (!(data = realloc (b->data, cap))) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy (b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts (struct buf *b, const char *s)
{
    buf_append (b, s, strlen (s));
}

/* Append s escaped for the exposition format: backslash and newline always, the double
 * quote too inside a label value. */
static void buf_escaped (struct buf *b, const char *s, bool label_value)
{
    const char *run = s;

    for (; *s; s++) {
        const char *esc = NULL;
        if (*s == '\\')
            esc = "\\\\";
        else if (*s == '\n')
            esc = "\\n";
        else if (*s == '"' && label_value)
            esc = "\\\"";
        if (esc) {
            buf_append (b, run, (size_t) (s - run));
            buf_puts (b, esc);
            run = s + 1;
        }
    }
    buf_append (b, run, (size_t) (s - run));
}

/* Format v as the exposition format reads it: integers without exponent, otherwise the
 * shortest %g form that reads back as the same double. */
static void value_format (double v, char *out, size_t size)
{
    if (isnan (v))
        snprintf (out, size, "NaN");
    else if (isinf (v))
        snprintf (out, size, v > 0 ? "+Inf" : "-Inf");
    else if (v == 0)
        snprintf (out, size, "0"); /* and not "-0" */
    else if (fabs (v) < INTEGER_LIMIT && v == (double) (long long) v)
        snprintf (out, size, "%lld", (long long) v);
    else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf (out, size, "%.*g", prec, v);
            if (strtod (out, NULL) == v)
                break;
        }
    }
}

static void series_render (struct buf *b, struct fx_metric *f, struct series *s)
{
    const char *value = s->key;
    char num[64];

    buf_puts (b, f->name);
    for (size_t i = 0; i < f->nlabels; i++) {
        buf_puts (b, i == 0 ? "{" : ",");
        buf_puts (b, f->labels[i]);
        buf_puts (b, "=\"");
        buf_escaped (b, value, true);
        buf_puts (b, "\"");
        value += strlen (value) + 1;
    }
    value_format (s->cb ? s->cb (s->cb_arg) : s->value, num, sizeof (num));
    buf_puts (b, f->nlabels > 0 ? "} " : " ");
    buf_puts (b, num);
    buf_puts (b, "\n");
}

static void family_render (struct buf *b, struct fx_metric *f)
{
    if (f->help) {
        buf_puts (b, "# HELP ");
        buf_puts (b, f->name);
        buf_puts (b, " ");
        buf_escaped (b, f->help, false);
        buf_puts (b, "\n");
    }
    buf_puts (b, "# TYPE ");
    buf_puts (b, f->name);
    buf_puts (b, " ");
    buf_puts (b, type_names[f->type]);
    buf_puts (b, "\n");
    for (size_t i = 0; i < f->nseries; i++)
        series_render (b, f, &f->series[i]);
}

char *fx_metrics_render (struct fx_metrics *m, size_t *len)
{
    struct buf b = {0};

    if (!m) {
        errno = EINVAL;
        return NULL;
    }
    buf_append (&b, "", 0); /* an empty registry renders as "" rather than NULL */
    for (size_t i = 0; i < m->nfamilies; i++)
        family_render (&b, m->families[i]);
    if (b.failed) {
        free (b.data);
        errno = ENOMEM;
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.data;
}
