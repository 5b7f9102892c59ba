/* resource-format.c - output formats of `flux resource`: a line of text with fields in it.
 *
 * A format is Python-format-like, with only what the command's tables need: "{field}",
 * "{field:N}", "{field:<N}", "{field:>N}", "{field:^N}" (N a minimum width; a fill
 * character may precede the alignment), "{+:field...}" for a column that grows to its widest
 * value (and its header), and "{{" / "}}" for braces.  Without an alignment, numbers go
 * right and text left, as in Python.  The header is the same format with each field's
 * upper-case name in place of its values.  Lines are printed without trailing spaces, so a
 * row whose last columns are empty ends where its text ends.
 *
 * Widths count characters (UTF-8 code points), not bytes: a reason may hold any text.
 *
 * Failure policy: a format that names an unknown field or asks for something unsupported is
 * refused with a message naming it; printing dies only of ENOMEM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/resource.h"

#define WIDTH_MAX 1000 /* largest width a format may ask for */

static const struct {
    const char *name;
    const char *header;
    int numeric; /* right-aligned unless the format says otherwise */
} fields[RES_F_COUNT] = {
    [RES_F_STATE] = {"state", "STATE", 0},    [RES_F_NNODES] = {"nnodes", "NNODES", 1},
    [RES_F_NCORES] = {"ncores", "NCORES", 1}, [RES_F_NGPUS] = {"ngpus", "NGPUS", 1},
    [RES_F_RANKS] = {"ranks", "RANKS", 0},    [RES_F_NODELIST] = {"nodelist", "NODELIST", 0},
    [RES_F_RLIST] = {"rlist", "LIST", 0},     [RES_F_TIMESTAMP] = {"timestamp", "TIMESTAMP", 0},
    [RES_F_REASON] = {"reason", "REASON", 0},
};

/* A piece of a format: text, or a field. */
struct seg {
    char *text;       /* literal text (braces unescaped), or NULL for a field */
    int field;        /* enum res_field */
    char fill, align; /* align: '<', '>' or '^' */
    unsigned width;   /* minimum width */
    int grow;         /* "+:": the width grows to the widest value */
};

struct res_format {
    struct seg *segs;
    size_t n;
    const char *headers[RES_F_COUNT]; /* each field's header, borrowed */
};

void res_format_destroy (struct res_format *f)
{
    int saved = errno;

    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free (f->segs[i].text);
    free (f->segs);
    free (f);
    errno = saved;
}

static struct seg *add_seg (struct res_format *f)
{
    struct seg *bigger = realloc (f->segs, (f->n + 1) * sizeof (*bigger));

    if (!bigger)
        return NULL;
    f->segs = bigger;
    memset (&f->segs[f->n], 0, sizeof (struct seg));
    return &f->segs[f->n++];
}

/* Literal text s[0..len-1] with "{{" and "}}" already reduced by the caller. */
static int add_text (struct res_format *f, const char *s, size_t len)
{
    struct seg *seg;

    if (len == 0)
        return 0;
    if (!(seg = add_seg (f)) || !(seg->text = strndup (s, len)))
        return -1;
    return 0;
}

/* "[[fill]align][width]" after the colon of a field. */
static int parse_spec (struct seg *seg, const char *spec, size_t len, struct fx_error *err)
{
    size_t i = 0;
    unsigned long width = 0;

    if (len >= 2 && strchr ("<>^", spec[1])) {
        seg->fill = spec[0];
        seg->align = spec[1];
        i = 2;
    } else if (len >= 1 && strchr ("<>^", spec[0])) {
        seg->align = spec[0];
        i = 1;
    }
    for (; i < len && spec[i] >= '0' && spec[i] <= '9'; i++) {
        if ((width = width * 10 + (unsigned long) (spec[i] - '0')) > WIDTH_MAX)
            return errprintf (err, "format: width above %d in '%.*s'", WIDTH_MAX, (int) len, spec);
    }
    if (i < len)
        return errprintf (err, "format: unsupported spec '%.*s' (use [<>^]WIDTH)", (int) len, spec);
    seg->width = (unsigned) width;
    return 0;
}

/* The field between braces: s[0..len-1] ("+:name:spec"). */
static int add_field (struct res_format *f, const char *s, size_t len, unsigned int allowed,
                      struct fx_error *err)
{
    struct seg *seg = add_seg (f);
    const char *colon;
    size_t namelen;
    int i;

    if (!seg)
        return errprintf (err, "out of memory");
    seg->fill = ' ';
    if (len >= 2 && !strncmp (s, "+:", 2)) {
        seg->grow = 1;
        s += 2;
        len -= 2;
    }
    colon = memchr (s, ':', len);
    namelen = colon ? (size_t) (colon - s) : len;
    for (i = 0; i < RES_F_COUNT; i++) {
        if ((allowed & RES_F_BIT (i)) && strlen (fields[i].name) == namelen
            && !strncmp (fields[i].name, s, namelen))
            break;
    }
    if (i == RES_F_COUNT)
        return errprintf (err, "format: unknown field '%.*s'", (int) namelen, s);
    seg->field = i;
    if (colon && parse_spec (seg, colon + 1, len - namelen - 1, err) < 0)
        return -1;
    if (!seg->align)
        seg->align = fields[i].numeric ? '>' : '<';
    return 0;
}

struct res_format *res_format_parse (const char *fmt, unsigned int allowed, struct fx_error *err)
{
    struct res_format *f = calloc (1, sizeof (*f));
    char *text = malloc (strlen (fmt) + 1);
    size_t n = 0;
    const char *p = fmt, *end;

    if (!f || !text) {
        errprintf (err, "out of memory");
        goto error;
    }
    for (int i = 0; i < RES_F_COUNT; i++)
        f->headers[i] = fields[i].header;
    while (*p) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            text[n++] = *p;
            p += 2;
        } else if (*p == '}') {
            errprintf (err, "format: single '}' (write '}}' for a brace)");
            goto error;
        } else if (*p != '{')
            text[n++] = *p++;
        else if (!(end = strchr (p, '}'))) {
            errprintf (err, "format: '{' without '}'");
            goto error;
        } else {
            if (add_text (f, text, n) < 0) {
                errprintf (err, "out of memory");
                goto error;
            }
            n = 0;
            if (add_field (f, p + 1, (size_t) (end - p - 1), allowed, err) < 0)
                goto error;
            p = end + 1;
        }
    }
    if (add_text (f, text, n) < 0) {
        errprintf (err, "out of memory");
        goto error;
    }
    free (text);
    return f;
error:
    free (text);
    res_format_destroy (f);
    return NULL;
}

struct res_format *res_format_get (struct resource *r, const char *fmt, unsigned int allowed)
{
    struct fx_error err = {""};
    struct res_format *f = res_format_parse (fmt, allowed, &err);

    if (!f)
        res_die (r, "%s", err.text);
    return f;
}

void res_format_header (struct res_format *f, enum res_field field, const char *header)
{
    f->headers[field] = header;
}

void res_rows_free (struct res_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        for (int j = 0; j < RES_F_COUNT; j++)
            free (rows[i].v[j]);
    }
    free (rows);
}

/* Characters (UTF-8 code points) in s. */
static size_t width_of (const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char) *s & 0xc0) != 0x80;
    return n;
}

static void put_fill (FILE *out, char fill, size_t n)
{
    while (n-- > 0)
        fputc (fill, out);
}

static void put_field (FILE *out, const struct seg *seg, unsigned width, const char *s)
{
    size_t len = width_of (s), pad = len < width ? width - len : 0;
    size_t left = seg->align == '>' ? pad : seg->align == '^' ? pad / 2 : 0;

    put_fill (out, seg->fill, left);
    fputs (s, out);
    put_fill (out, seg->fill, pad - left);
}

/* One line: values (NULL: the headers), with the widths computed by the caller. */
static void print_line (const struct res_format *f, const unsigned *widths,
                        const struct res_row *row)
{
    char *line = NULL;
    size_t size = 0, len;
    FILE *out = open_memstream (&line, &size);

    if (!out) {
        fprintf (stderr, "flux-resource: out of memory\n");
        exit (1);
    }
    for (size_t i = 0; i < f->n; i++) {
        const struct seg *seg = &f->segs[i];
        if (seg->text)
            fputs (seg->text, out);
        else if (!row)
            put_field (out, seg, widths[i], f->headers[seg->field]);
        else
            put_field (out, seg, widths[i], row->v[seg->field] ? row->v[seg->field] : "");
    }
    if (fclose (out) != 0 || !line) {
        fprintf (stderr, "flux-resource: out of memory\n");
        exit (1);
    }
    for (len = strlen (line); len > 0 && line[len - 1] == ' '; len--)
        ;
    printf ("%.*s\n", (int) len, line);
    free (line);
}

void res_format_print (const struct res_format *f, const struct res_row *rows, size_t nrows,
                       int noheader)
{
    unsigned *widths = calloc (f->n + 1, sizeof (*widths));

    if (!widths) {
        fprintf (stderr, "flux-resource: out of memory\n");
        exit (1);
    }
    for (size_t i = 0; i < f->n; i++) {
        const struct seg *seg = &f->segs[i];
        widths[i] = seg->width;
        if (seg->text || !seg->grow)
            continue;
        if (!noheader && width_of (f->headers[seg->field]) > widths[i])
            widths[i] = (unsigned) width_of (f->headers[seg->field]);
        for (size_t j = 0; j < nrows; j++) {
            const char *v = rows[j].v[seg->field];
            if (v && width_of (v) > widths[i])
                widths[i] = (unsigned) width_of (v);
        }
    }
    if (!noheader)
        print_line (f, widths, NULL);
    for (size_t j = 0; j < nrows; j++)
        print_line (f, widths, &rows[j]);
    free (widths);
}
