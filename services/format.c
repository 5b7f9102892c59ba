/* format.c - the commands' output formats (format.h): parse once, print rows.
 *
 * A parsed format is a list of segments, each literal text or a field with its spec.
 * Printing computes the widths of growing columns and which optional columns are empty,
 * then writes each line into memory so that trailing spaces can be cut.
 *
 * Failure policy: a format that names an unknown field or asks for something unsupported is
 * refused with a message naming it; printing fails only of ENOMEM or a write error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/format.h"

#define WIDTH_MAX 1000 /* largest width or precision a format may ask for */

/* A piece of a format: text, or a field. */
struct seg {
    char *text;       /* literal text (braces unescaped), or NULL for a field */
    int field;        /* index into the table */
    char fill, align; /* align: '<', '>' or '^' */
    unsigned width;   /* minimum width */
    unsigned prec;    /* maximum width, 0 = none */
    int mark;         /* "+" after the precision: a cut value ends with '+' */
    int hyphen;       /* "h": an empty value prints as "-" */
    int grow;         /* "+:": the width grows to the widest value */
    int optional;     /* "?:": left out when every value is empty */
};

struct fx_format {
    struct seg *segs;
    size_t n;
    const struct fx_format_field *fields;
    int nfields;
    const char **headers; /* each field's header, borrowed */
};

void fx_format_destroy (struct fx_format *f)
{
    int saved = errno;

    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free (f->segs[i].text);
    free (f->segs);
    free (f->headers);
    free (f);
    errno = saved;
}

static struct seg *add_seg (struct fx_format *f)
{
    struct seg *bigger = realloc (f->segs, (f->n + 1) * sizeof (*bigger));

    if (!bigger)
        return NULL;
    f->segs = bigger;
    memset (&f->segs[f->n], 0, sizeof (struct seg));
    return &f->segs[f->n++];
}

/* Literal text s[0..len-1] with "{{" and "}}" already reduced by the caller. */
static int add_text (struct fx_format *f, const char *s, size_t len)
{
    struct seg *seg;

    if (len == 0)
        return 0;
    if (!(seg = add_seg (f)) || !(seg->text = strndup (s, len)))
        return -1;
    return 0;
}

/* A decimal number at spec[*i] into *n (at most WIDTH_MAX). */
static int parse_number (const char *spec, size_t len, size_t *i, unsigned *n)
{
    unsigned long v = 0;

    for (; *i < len && spec[*i] >= '0' && spec[*i] <= '9'; (*i)++) {
        if ((v = v * 10 + (unsigned long) (spec[*i] - '0')) > WIDTH_MAX)
            return -1;
    }
    *n = (unsigned) v;
    return 0;
}

/* "[[fill]align][width][.precision][+][h]" after the colon of a field. */
static int parse_spec (struct seg *seg, const char *spec, size_t len, struct fx_error *err)
{
    size_t i = 0;

    if (len >= 2 && strchr ("<>^", spec[1])) {
        seg->fill = spec[0];
        seg->align = spec[1];
        i = 2;
    } else if (len >= 1 && strchr ("<>^", spec[0])) {
        seg->align = spec[0];
        i = 1;
    }
    if (parse_number (spec, len, &i, &seg->width) < 0)
        goto toobig;
    if (i < len && spec[i] == '.') {
        i++;
        if (i == len || spec[i] < '1' || spec[i] > '9')
            goto bad;
        if (parse_number (spec, len, &i, &seg->prec) < 0)
            goto toobig;
        if (i < len && spec[i] == '+') {
            seg->mark = 1;
            i++;
        }
    }
    if (i < len && spec[i] == 'h') {
        seg->hyphen = 1;
        i++;
    }
    if (i < len)
        goto bad;
    return 0;
toobig:
    return errprintf (err, "format: width above %d in '%.*s'", WIDTH_MAX, (int) len, spec);
bad:
    return errprintf (err, "format: unsupported spec '%.*s' (use [<>^]WIDTH[.PRECISION][+][h])",
                      (int) len, spec);
}

/* The field between braces: s[0..len-1] ("+:name:spec"); prefix is what preceded the
 * brace ("+:", "?:" or ""). */
static int add_field (struct fx_format *f, const char *s, size_t len, const char *prefix,
                      uint64_t allowed, struct fx_error *err)
{
    struct seg *seg = add_seg (f);
    const char *colon;
    size_t namelen;
    int i;

    if (!seg)
        return errprintf (err, "out of memory");
    seg->fill = ' ';
    for (;;) {
        if (len >= 2 && !strncmp (s, "+:", 2))
            seg->grow = 1;
        else if (len >= 2 && !strncmp (s, "?:", 2))
            seg->optional = 1;
        else
            break;
        s += 2;
        len -= 2;
    }
    seg->grow |= !strcmp (prefix, "+:");
    seg->optional |= !strcmp (prefix, "?:");
    colon = memchr (s, ':', len);
    namelen = colon ? (size_t) (colon - s) : len;
    for (i = 0; i < f->nfields; i++) {
        if ((allowed & (UINT64_C (1) << i)) && strlen (f->fields[i].name) == namelen
            && !strncmp (f->fields[i].name, s, namelen))
            break;
    }
    if (i == f->nfields)
        return errprintf (err, "format: unknown field '%.*s'", (int) namelen, s);
    seg->field = i;
    if (colon && parse_spec (seg, colon + 1, len - namelen - 1, err) < 0)
        return -1;
    if (!seg->align)
        seg->align = f->fields[i].numeric ? '>' : '<';
    return 0;
}

static struct fx_format *format_create (const struct fx_format_field *fields, int nfields)
{
    struct fx_format *f = calloc (1, sizeof (*f));

    if (!f || !(f->headers = calloc ((size_t) nfields + 1, sizeof (*f->headers)))) {
        free (f);
        return NULL;
    }
    f->fields = fields;
    f->nfields = nfields;
    for (int i = 0; i < nfields; i++)
        f->headers[i] = fields[i].header;
    return f;
}

/* Parse fmt into f: text is scratch space as long as fmt. */
static int parse (struct fx_format *f, const char *fmt, char *text, uint64_t allowed,
                  struct fx_error *err)
{
    size_t n = 0;
    const char *p = fmt, *end, *prefix;

    while (*p) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            text[n++] = *p;
            p += 2;
            continue;
        }
        if (*p == '}')
            return errprintf (err, "format: single '}' (write '}}' for a brace)");
        prefix = "";
        if ((p[0] == '+' || p[0] == '?') && p[1] == ':' && p[2] == '{' && p[3] != '{') {
            prefix = p[0] == '+' ? "+:" : "?:";
            p += 2;
        }
        if (*p != '{') {
            text[n++] = *p++;
            continue;
        }
        if (!(end = strchr (p, '}')))
            return errprintf (err, "format: '{' without '}'");
        if (add_text (f, text, n) < 0)
            return errprintf (err, "out of memory");
        n = 0;
        if (add_field (f, p + 1, (size_t) (end - p - 1), prefix, allowed, err) < 0)
            return -1;
        p = end + 1;
    }
    if (add_text (f, text, n) < 0)
        return errprintf (err, "out of memory");
    return 0;
}

struct fx_format *fx_format_parse (const char *fmt, const struct fx_format_field *fields,
                                   int nfields, uint64_t allowed, struct fx_error *err)
{
    struct fx_format *f;
    char *text;

    if (nfields < 0 || nfields > 64) {
        errno = EINVAL;
        errprintf (err, "format: too many fields");
        return NULL;
    }
    if (!(f = format_create (fields, nfields)) || !(text = malloc (strlen (fmt) + 1))) {
        fx_format_destroy (f);
        errno = ENOMEM;
        errprintf (err, "out of memory");
        return NULL;
    }
    if (parse (f, fmt, text, allowed, err) < 0) {
        free (text);
        fx_format_destroy (f);
        errno = EINVAL;
        return NULL;
    }
    free (text);
    return f;
}

void fx_format_set_header (struct fx_format *f, int field, const char *header)
{
    if (field >= 0 && field < f->nfields)
        f->headers[field] = header;
}

int fx_format_has (const struct fx_format *f, int field)
{
    for (size_t i = 0; i < f->n; i++) {
        if (!f->segs[i].text && f->segs[i].field == field)
            return 1;
    }
    return 0;
}

/* Characters (UTF-8 code points) in s. */
static size_t width_of (const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char) *s & 0xc0) != 0x80;
    return n;
}

/* Bytes of s that hold its first n characters. */
static size_t bytes_of (const char *s, size_t n)
{
    size_t i = 0;

    for (; s[i]; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80 && n-- == 0)
            break;
    }
    return i;
}

/* The width s takes in seg's column, before padding. */
static size_t shown_width (const struct seg *seg, const char *s)
{
    size_t w = width_of (*s || !seg->hyphen ? s : "-");

    return seg->prec && w > seg->prec ? seg->prec : w;
}

static void put_fill (FILE *out, char fill, size_t n)
{
    while (n-- > 0)
        fputc (fill, out);
}

static void put_field (FILE *out, const struct seg *seg, size_t width, const char *s)
{
    size_t len, pad, left;
    int cut;

    if (!*s && seg->hyphen)
        s = "-";
    len = width_of (s);
    cut = seg->prec && len > seg->prec;
    if (cut)
        len = seg->prec;
    pad = len < width ? width - len : 0;
    left = seg->align == '>' ? pad : seg->align == '^' ? pad / 2 : 0;
    put_fill (out, seg->fill, left);
    if (!cut)
        fputs (s, out);
    else if (seg->mark) {
        fwrite (s, 1, bytes_of (s, len - 1), out);
        fputc ('+', out);
    } else
        fwrite (s, 1, bytes_of (s, len), out);
    put_fill (out, seg->fill, pad - left);
}

struct printer {
    const struct fx_format *f;
    FILE *out;
    fx_format_get_f get;
    void *arg;
    size_t *widths; /* per segment */
    char *skip;     /* per segment: left out */
};

static const char *value (const struct printer *pr, size_t row, int field)
{
    const char *s = pr->get (pr->arg, row, field);

    return s ? s : "";
}

/* One line: row's values, or the headers when row is (size_t) -1. */
static int print_line (const struct printer *pr, size_t row)
{
    const struct fx_format *f = pr->f;
    char *line = NULL;
    size_t size = 0, len;
    FILE *mem = open_memstream (&line, &size);

    if (!mem)
        return -1;
    for (size_t i = 0; i < f->n; i++) {
        const struct seg *seg = &f->segs[i];
        if (pr->skip[i])
            continue;
        if (seg->text)
            fputs (seg->text, mem);
        else if (row == (size_t) -1)
            put_field (mem, seg, pr->widths[i], f->headers[seg->field]);
        else
            put_field (mem, seg, pr->widths[i], value (pr, row, seg->field));
    }
    if (fclose (mem) != 0 || !line) {
        free (line);
        errno = ENOMEM;
        return -1;
    }
    for (len = strlen (line); len > 0 && line[len - 1] == ' '; len--)
        ;
    fprintf (pr->out, "%.*s\n", (int) len, line);
    free (line);
    return 0;
}

/* Widths of growing columns; optional columns whose values are all empty are left out,
 * with the blanks that follow them. */
static void measure (struct printer *pr, size_t nrows, int noheader)
{
    const struct fx_format *f = pr->f;

    for (size_t i = 0; i < f->n; i++) {
        const struct seg *seg = &f->segs[i];
        int empty = 1;
        pr->widths[i] = seg->width;
        if (seg->text)
            continue;
        for (size_t j = 0; j < nrows; j++) {
            const char *v = value (pr, j, seg->field);
            if (*v)
                empty = 0;
            if (seg->grow && shown_width (seg, v) > pr->widths[i])
                pr->widths[i] = shown_width (seg, v);
        }
        if (seg->grow && !noheader && shown_width (seg, f->headers[seg->field]) > pr->widths[i])
            pr->widths[i] = shown_width (seg, f->headers[seg->field]);
        if (seg->optional && empty) {
            pr->skip[i] = 1;
            if (i + 1 < f->n && f->segs[i + 1].text
                && strspn (f->segs[i + 1].text, " ") == strlen (f->segs[i + 1].text))
                pr->skip[i + 1] = 1;
        }
    }
}

int fx_format_print (const struct fx_format *f, FILE *out, size_t nrows, fx_format_get_f get,
                     void *arg, int noheader)
{
    struct printer pr = {.f = f, .out = out, .get = get, .arg = arg};
    int rc = -1;

    pr.widths = calloc (f->n + 1, sizeof (*pr.widths));
    pr.skip = calloc (f->n + 1, 1);
    if (!pr.widths || !pr.skip) {
        errno = ENOMEM;
        goto done;
    }
    measure (&pr, nrows, noheader);
    if (!noheader && print_line (&pr, (size_t) -1) < 0)
        goto done;
    for (size_t j = 0; j < nrows; j++) {
        if (print_line (&pr, j) < 0)
            goto done;
    }
    rc = 0;
done:
    free (pr.widths);
    free (pr.skip);
    return rc;
}
