/* format.h - the commands' output formats: a line of text with "{field}"s in it.
 *
 * A format is Python-format-like, with what the commands' tables need (flux resource,
 * flux jobs): "{field}", "{field:[[fill]align][width][.precision][+][h]}" (align one of
 * "<>^"; width a minimum; precision a maximum, "+" marking a cut value by its last
 * character; "h" printing "-" for an empty value), "{+:field...}" for a column that grows to
 * its widest value, "{?:field...}" for a column left out (with the text before it up to the
 * previous field) when every value is empty, and "{{" / "}}" for braces.  Without an
 * alignment, numeric fields go right and text left, as in Python.  The header is the same
 * format with each field's header in place of its values.  Lines are printed without
 * trailing spaces.  Widths count characters (UTF-8 code points), not bytes.
 *
 * The caller describes its fields in a table and hands rows through a getter, so one
 * formatter serves every command.
 */
#ifndef FX_FORMAT_H
#define FX_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "services/error.h"

/* One field a format may name. */
struct fx_format_field {
    const char *name;   /* as written between braces: "nnodes", "id.f58", "runtime!F" */
    const char *header; /* printed in the header line: "NNODES" */
    int numeric;        /* right-aligned unless the format says otherwise */
};

struct fx_format;

/* The value of field (an index into the table) in row; NULL prints as "".  The string must
 * stay valid until the next call. */
typedef const char *(*fx_format_get_f) (void *arg, size_t row, int field);

/* Parse fmt against fields[0..nfields-1] (nfields <= 64), of which only those whose bit
 * (1 << index) is set in allowed may be named.  NULL with errno (EINVAL: a message naming
 * the problem in err, "format: unknown field 'foo'"; ENOMEM). */
struct fx_format *fx_format_parse (const char *fmt, const struct fx_format_field *fields,
                                   int nfields, uint64_t allowed, struct fx_error *err);
void fx_format_destroy (struct fx_format *f);

/* Print header (borrowed: it must outlive f) above field instead of the table's header. */
void fx_format_set_header (struct fx_format *f, int field, const char *header);

/* Nonzero if the format names field. */
int fx_format_has (const struct fx_format *f, int field);

/* Print the header line (unless noheader) and nrows lines to out.  Returns 0, or -1 with
 * errno ENOMEM (or a write error's errno). */
int fx_format_print (const struct fx_format *f, FILE *out, size_t nrows, fx_format_get_f get,
                     void *arg, int noheader);

#endif
