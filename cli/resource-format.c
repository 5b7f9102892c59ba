/* resource-format.c - output formats of `flux resource`: its fields, over the shared
 * formatter (services/format.h).
 *
 * A format is Python-format-like: "{field}", "{field:N}", "{field:<N}", "{field:>N}",
 * "{field:^N}" (N a minimum width; a fill character may precede the alignment), "{+:field}"
 * for a column that grows to its widest value (and its header), and "{{" / "}}" for braces;
 * services/format.h has the rest.  Without an alignment, numbers go right and text left.
 *
 * Failure policy: a format that names an unknown field or asks for something unsupported is
 * refused with a message naming it; printing dies only of ENOMEM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/resource.h"
#include "services/format.h"

static const struct fx_format_field fields[RES_F_COUNT] = {
    [RES_F_STATE] = {"state", "STATE", 0},    [RES_F_NNODES] = {"nnodes", "NNODES", 1},
    [RES_F_NCORES] = {"ncores", "NCORES", 1}, [RES_F_NGPUS] = {"ngpus", "NGPUS", 1},
    [RES_F_RANKS] = {"ranks", "RANKS", 0},    [RES_F_NODELIST] = {"nodelist", "NODELIST", 0},
    [RES_F_RLIST] = {"rlist", "LIST", 0},     [RES_F_TIMESTAMP] = {"timestamp", "TIMESTAMP", 0},
    [RES_F_REASON] = {"reason", "REASON", 0},
};

struct res_format {
    struct fx_format *f;
};

void res_format_destroy (struct res_format *f)
{
    int saved = errno;

    if (!f)
        return;
    fx_format_destroy (f->f);
    free (f);
    errno = saved;
}

struct res_format *res_format_parse (const char *fmt, unsigned int allowed, struct fx_error *err)
{
    struct res_format *f = calloc (1, sizeof (*f));

    if (!f) {
        errprintf (err, "out of memory");
        return NULL;
    }
    if (!(f->f = fx_format_parse (fmt, fields, RES_F_COUNT, allowed, err))) {
        free (f);
        return NULL;
    }
    return f;
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
    fx_format_set_header (f->f, (int) field, header);
}

void res_rows_free (struct res_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        for (int j = 0; j < RES_F_COUNT; j++)
            free (rows[i].v[j]);
    }
    free (rows);
}

static const char *row_get (void *arg, size_t row, int field)
{
    const struct res_row *rows = arg;

    return rows[row].v[field];
}

void res_format_print (const struct res_format *f, const struct res_row *rows, size_t nrows,
                       int noheader)
{
    if (fx_format_print (f->f, stdout, nrows, row_get, (void *) rows, noheader) < 0) {
        fprintf (stderr, "flux-resource: %s\n", strerror (errno));
        exit (1);
    }
}
