/* tailbuf.c - the last bytes of a command's output, as text; see tailbuf.h.  Plain memory,
 * no failure. */
#include <string.h>

#include "services/tailbuf.h"

void fx_tailbuf_add (struct fx_tailbuf *t, const void *data, size_t n)
{
    const char *p = data;

    if (n >= FX_TAILBUF_MAX) {
        memcpy (t->data, p + n - FX_TAILBUF_MAX, FX_TAILBUF_MAX);
        t->len = FX_TAILBUF_MAX;
        return;
    }
    if (t->len + n > FX_TAILBUF_MAX) {
        size_t drop = t->len + n - FX_TAILBUF_MAX;
        memmove (t->data, t->data + drop, t->len - drop);
        t->len -= drop;
    }
    memcpy (t->data + t->len, p, n);
    t->len += n;
}

/* The length of the valid UTF-8 sequence at s (NUL excluded), or 0 when there is none. */
static size_t utf8_seq (const unsigned char *s, size_t len)
{
    unsigned int c = s[0], cp;
    size_t need;

    if (c >= 0x01 && c < 0x80)
        return 1;
    need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (need == 0 || need > len)
        return 0;
    cp = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000)
        || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

const char *fx_tailbuf_text (struct fx_tailbuf *t)
{
    unsigned char *s = (unsigned char *) t->data;
    size_t i = 0, n;

    while (i < t->len) {
        if ((n = utf8_seq (s + i, t->len - i)) == 0)
            s[i++] = '?';
        else
            i += n;
    }
    t->data[t->len] = '\0';
    return t->data;
}
