/* tailbuf.h - the last bytes of a command's output, handed on as text (execd.run, cron, and
 * the commands jobd runs for plugins).
 */
#ifndef FX_TAILBUF_H
#define FX_TAILBUF_H

#include <stddef.h>

#define FX_TAILBUF_MAX 4096 /* bytes kept: the last ones */

struct fx_tailbuf {
    char data[FX_TAILBUF_MAX + 1]; /* + the NUL of fx_tailbuf_text() */
    size_t len;
};

/* Append n bytes, dropping the oldest beyond FX_TAILBUF_MAX. */
void fx_tailbuf_add (struct fx_tailbuf *t, const void *data, size_t n);

/* The bytes kept as a NUL-terminated string, in place: what is not valid UTF-8 (a sequence
 * cut at either end, an overlong form, a surrogate, a NUL byte) becomes '?', so that the
 * text fits in a JSON string.  Valid until the next fx_tailbuf_add(). */
const char *fx_tailbuf_text (struct fx_tailbuf *t);

#endif
