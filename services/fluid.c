/* fluid.c - RFC 19 FLUID generator and the decimal, hex, dothex and F58 encodings.
 *
 * The generator is plain data owned by the caller; it reads CLOCK_MONOTONIC and nothing
 * else, so ids keep increasing even if the wall clock is set back.  Encoders write into a
 * caller's buffer; decoders are strict (every character checked, overflow detected) and
 * report the input and the cause in one line through struct fx_error.  Nothing here
 * allocates; failures return -1 with errno set and leave outputs and the generator as
 * they were.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "services/fluid.h"

#define TS_SHIFT (FX_FLUID_ID_BITS + FX_FLUID_SEQ_BITS)
#define ID_SHIFT FX_FLUID_SEQ_BITS

static const char f58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char f58_prefix[] = "\xc6\x92"; /* U+0192 LATIN SMALL LETTER F WITH HOOK */

int fx_fluid_init (struct fx_fluid_gen *gen, uint32_t id, uint64_t timestamp)
{
    struct timespec now;

    if (!gen || id > FX_FLUID_ID_MAX || timestamp > FX_FLUID_TS_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (clock_gettime (CLOCK_MONOTONIC, &now) < 0)
        return -1;
    memset (gen, 0, sizeof (*gen));
    gen->id = id;
    gen->timestamp = gen->start = timestamp;
    gen->clock = now;
    return 0;
}

int fx_fluid_generate_at (struct fx_fluid_gen *gen, uint64_t now, uint64_t *fluid)
{
    uint32_t seq = 0;

    if (!gen || !fluid || gen->id > FX_FLUID_ID_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (now < gen->timestamp)
        now = gen->timestamp;
    if (gen->issued && now == gen->timestamp) {
        if (gen->seq < FX_FLUID_SEQ_MAX)
            seq = gen->seq + 1;
        else
            now++; /* this millisecond is used up: take the next one */
    }
    if (now > FX_FLUID_TS_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    gen->timestamp = now;
    gen->seq = seq;
    gen->issued = 1;
    *fluid = now << TS_SHIFT | (uint64_t) gen->id << ID_SHIFT | seq;
    return 0;
}

int fx_fluid_generate (struct fx_fluid_gen *gen, uint64_t *fluid)
{
    struct timespec now;
    int64_t ms;

    if (!gen) {
        errno = EINVAL;
        return -1;
    }
    if (clock_gettime (CLOCK_MONOTONIC, &now) < 0)
        return -1;
    ms = (int64_t) (now.tv_sec - gen->clock.tv_sec) * 1000 +
         (now.tv_nsec - gen->clock.tv_nsec) / 1000000;
    return fx_fluid_generate_at (gen, gen->start + (ms > 0 ? (uint64_t) ms : 0), fluid);
}

uint64_t fx_fluid_timestamp (uint64_t fluid)
{
    return fluid >> TS_SHIFT;
}

uint32_t fx_fluid_generator (uint64_t fluid)
{
    return (fluid >> ID_SHIFT) & FX_FLUID_ID_MAX;
}

uint32_t fx_fluid_sequence (uint64_t fluid)
{
    return fluid & FX_FLUID_SEQ_MAX;
}

/* Encoding. */

static int encode_f58 (char *buf, size_t len, uint64_t fluid)
{
    char digits[16];
    int n = 0;
    size_t plen = strlen (f58_prefix);

    do {
        digits[n++] = f58_alphabet[fluid % 58];
        fluid /= 58;
    } while (fluid > 0);
    if (len < plen + n + 1) {
        errno = EOVERFLOW;
        return -1;
    }
    memcpy (buf, f58_prefix, plen);
    for (int i = 0; i < n; i++)
        buf[plen + i] = digits[n - 1 - i];
    buf[plen + n] = '\0';
    return 0;
}

int fx_fluid_encode (char *buf, size_t len, uint64_t fluid, enum fx_fluid_type type)
{
    int n;

    if (!buf) {
        errno = EINVAL;
        return -1;
    }
    switch (type) {
    case FX_FLUID_DEC:
        n = snprintf (buf, len, "%" PRIu64, fluid);
        break;
    case FX_FLUID_HEX:
        n = snprintf (buf, len, "0x%" PRIx64, fluid);
        break;
    case FX_FLUID_DOTHEX:
        n = snprintf (buf, len, "%04x.%04x.%04x.%04x", (unsigned) (fluid >> 48) & 0xffff,
                      (unsigned) (fluid >> 32) & 0xffff, (unsigned) (fluid >> 16) & 0xffff,
                      (unsigned) fluid & 0xffff);
        break;
    case FX_FLUID_F58:
        return encode_f58 (buf, len, fluid);
    default:
        errno = EINVAL;
        return -1;
    }
    if (n < 0 || (size_t) n >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    return 0;
}

/* Decoding. */

struct input {
    const char *s, *end; /* the job id being decoded, whitespace trimmed */
    struct fx_error *err;
};

static int decode_error (const struct input *in, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* "INPUT: cause", with the input shortened and anything but printable ASCII and 'ƒ'
 * shown as '?', so the message stays one readable line. */
static int decode_error (const struct input *in, const char *fmt, ...)
{
    char input[72];
    char cause[96];
    const char *s = in->s;
    size_t n = 0;
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (cause, sizeof (cause), fmt, ap);
    va_end (ap);
    for (; s < in->end && n < 64; s++) {
        if (in->end - s >= 2 && strncmp (s, f58_prefix, 2) == 0) {
            memcpy (input + n, f58_prefix, 2);
            n += 2;
            s++;
        } else
            input[n++] = *s >= ' ' && *s < 0x7f ? *s : '?';
    }
    strcpy (input + n, s < in->end ? "..." : "");
    errno = EINVAL;
    return errprintf (in->err, "%s: %s", input, cause);
}

static int digit_value (int c, int base)
{
    if (base == 58) {
        const char *p = c ? strchr (f58_alphabet, c) : NULL;
        return p ? p - f58_alphabet : -1;
    }
    if (isdigit (c))
        return c - '0';
    if (base == 16 && isxdigit (c))
        return tolower (c) - 'a' + 10;
    return -1;
}

/* Parse all of [p, end) as digits in base 10, 16 or 58. */
static int parse_digits (const struct input *in, const char *p, const char *end, int base,
                         uint64_t *v)
{
    const char *name = base == 10 ? "decimal" : base == 16 ? "hex" : "F58";
    uint64_t n = 0;

    if (p == end)
        return decode_error (in, "no %s digits", name);
    for (; p < end; p++) {
        int d = digit_value ((unsigned char) *p, base);
        if (d < 0 && *p >= ' ' && *p < 0x7f)
            return decode_error (in, "invalid %s digit '%c'", name, *p);
        if (d < 0)
            return decode_error (in, "invalid byte 0x%02x", (unsigned char) *p);
        if (n > (UINT64_MAX - d) / base)
            return decode_error (in, "job id is larger than 64 bits");
        n = n * base + d;
    }
    *v = n;
    return 0;
}

static int decode_dothex (const struct input *in, uint64_t *fluid)
{
    uint64_t v = 0;
    const char *p = in->s;

    for (int group = 0; group < 4; group++, p += 5) {
        ptrdiff_t left = in->end - p;
        uint64_t g;
        if (group == 3 ? left != 4 : left < 5 || p[4] != '.')
            return decode_error (in, "dothex needs four groups of four hex digits");
        if (parse_digits (in, p, p + 4, 16, &g) < 0)
            return -1;
        v = v << 16 | g;
    }
    *fluid = v;
    return 0;
}

static int decode_in (const struct input *in, enum fx_fluid_type type, uint64_t *fluid)
{
    size_t len = in->end - in->s;
    size_t plen = strlen (f58_prefix);

    switch (type) {
    case FX_FLUID_DEC:
        return parse_digits (in, in->s, in->end, 10, fluid);
    case FX_FLUID_HEX:
        if (len < 2 || strncmp (in->s, "0x", 2) != 0)
            return decode_error (in, "hex job id must start with 0x");
        return parse_digits (in, in->s + 2, in->end, 16, fluid);
    case FX_FLUID_DOTHEX:
        return decode_dothex (in, fluid);
    case FX_FLUID_F58:
        if (len >= plen && strncmp (in->s, f58_prefix, plen) == 0)
            return parse_digits (in, in->s + plen, in->end, 58, fluid);
        if (len > 0 && *in->s == 'f')
            return parse_digits (in, in->s + 1, in->end, 58, fluid);
        return decode_error (in, "F58 job id must start with \xc6\x92 or f");
    }
    errno = EINVAL;
    return errprintf (in->err, "unknown job id encoding %d", (int) type);
}

int fx_fluid_decode_type (const char *s, enum fx_fluid_type type, uint64_t *fluid,
                          struct fx_error *err)
{
    struct input in = {.s = s, .err = err};
    uint64_t v;

    if (!s || !fluid) {
        errno = EINVAL;
        return errprintf (err, "job id is NULL");
    }
    if (*s == '\0') {
        errno = EINVAL;
        return errprintf (err, "job id is empty");
    }
    in.end = s + strlen (s);
    if (decode_in (&in, type, &v) < 0)
        return -1;
    *fluid = v;
    return 0;
}

static enum fx_fluid_type detect (const struct input *in)
{
    size_t len = in->end - in->s;

    if (memchr (in->s, '.', len))
        return FX_FLUID_DOTHEX;
    if (*in->s == 'f' || (len >= 2 && strncmp (in->s, f58_prefix, 2) == 0))
        return FX_FLUID_F58;
    if (len >= 2 && strncmp (in->s, "0x", 2) == 0)
        return FX_FLUID_HEX;
    return FX_FLUID_DEC;
}

int fx_fluid_decode (const char *s, uint64_t *fluid, enum fx_fluid_type *type, struct fx_error *err)
{
    struct input in = {.s = s, .err = err};
    enum fx_fluid_type t;
    uint64_t v;

    if (!s || !fluid) {
        errno = EINVAL;
        return errprintf (err, "job id is NULL");
    }
    while (isspace ((unsigned char) *in.s))
        in.s++;
    in.end = in.s + strlen (in.s);
    while (in.end > in.s && isspace ((unsigned char) in.end[-1]))
        in.end--;
    if (in.end == in.s) {
        errno = EINVAL;
        return errprintf (err, "job id is empty");
    }
    t = detect (&in);
    if (decode_in (&in, t, &v) < 0)
        return -1;
    *fluid = v;
    if (type)
        *type = t;
    return 0;
}
