/* fsd.c - parse and format RFC 23 Flux Standard Durations.
 *
 * Parsing checks the number's shape itself (so strtod's extras - leading space, signs, hex,
 * "nan" - are refused) and then lets strtod convert it, which rounds correctly.  Formatting
 * tries units from the largest that fits and the fewest digits, and keeps the first text that
 * parses back to exactly the same double, so format and parse are inverse.  The module talks
 * to nothing and allocates nothing; errors return -1 with errno set and a one-line message.
 * Like strtod and printf it assumes the "C" numeric locale.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/fsd.h"

struct unit {
    const char *name;
    double seconds; /* length of one unit */
};

/* Largest first: the order fx_fsd_format() tries them in. */
static const struct unit units[] = {
    {"d", 86400.}, {"h", 3600.}, {"m", 60.}, {"s", 1.}, {"ms", 0.001},
};

static int parse_error (struct fx_error *err, const char *s, const char *cause)
{
    char input[68];
    size_t len = strlen (s);

    for (size_t i = 0; i < len && i < 64; i++)
        input[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
    strcpy (input + (len < 64 ? len : 64), len > 64 ? "..." : "");
    errno = EINVAL;
    return errprintf (err, "%s: %s", input, cause);
}

/* Length of the decimal number at the start of s: digits, optional fraction, optional
 * exponent, at least one mantissa digit.  0 if there is none. */
static size_t number_len (const char *s)
{
    size_t n = 0, digits = 0, e;

    for (; isdigit ((unsigned char) s[n]); n++)
        digits++;
    if (s[n] == '.')
        for (n++; isdigit ((unsigned char) s[n]); n++)
            digits++;
    if (digits == 0)
        return 0;
    if (s[n] != 'e' && s[n] != 'E')
        return n;
    e = n + 1;
    if (s[e] == '+' || s[e] == '-')
        e++;
    if (!isdigit ((unsigned char) s[e]))
        return n; /* "1e" is 1 with unit "e", which is then refused */
    while (isdigit ((unsigned char) s[e]))
        e++;
    return e;
}

static const struct unit *find_unit (const char *name)
{
    if (*name == '\0')
        return &units[3]; /* seconds */
    for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
        if (strcmp (name, units[i].name) == 0)
            return &units[i];
    return NULL;
}

int fx_fsd_parse (const char *s, double *seconds, struct fx_error *err)
{
    const struct unit *unit;
    size_t n;
    char *end;
    double v;

    if (!s || !seconds) {
        errno = EINVAL;
        return errprintf (err, "duration is NULL");
    }
    if (*s == '\0') {
        errno = EINVAL;
        return errprintf (err, "duration is empty");
    }
    if (strcasecmp (s, "inf") == 0 || strcasecmp (s, "infinity") == 0) {
        *seconds = INFINITY;
        return 0;
    }
    if (*s == '-')
        return parse_error (err, s, "duration is negative");
    if ((n = number_len (s)) == 0)
        return parse_error (err, s, "duration does not start with a number");
    if (!(unit = find_unit (s + n)))
        return parse_error (err, s, "unknown unit (use ms, s, m, h or d)");
    errno = 0;
    v = strtod (s, &end);
    if (end != s + n)
        return parse_error (err, s, "invalid number");
    /* Milliseconds divide by 1000: multiplying by 0.001, which binary cannot hold exactly,
     * would round twice. */
    v = unit->seconds < 1 ? v / 1000. : v * unit->seconds;
    if (isinf (v))
        return parse_error (err, s, "duration is too large");
    *seconds = v;
    return 0;
}

/* Print seconds in unit u, with prec decimals (fixed) or prec significant digits; true if
 * that parses back exactly. */
static bool try_format (char *buf, size_t len, double seconds, const struct unit *u, bool fixed,
                        int prec)
{
    double v = u->seconds < 1 ? seconds * 1000. : seconds / u->seconds;
    double back;
    int n;

    if (fixed && !(v < 1e15))
        return false; /* would print too many digits */
    n = snprintf (buf, len, fixed ? "%.*f%s" : "%.*g%s", prec, v, u->name);

    return n > 0 && (size_t) n < len && fx_fsd_parse (buf, &back, NULL) == 0 && back == seconds;
}

static int put (char *buf, size_t len, const char *s)
{
    if (strlen (s) >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    strcpy (buf, s);
    return 0;
}

int fx_fsd_format (char *buf, size_t len, double seconds)
{
    char tmp[FX_FSD_STRLEN];

    if (!buf || isnan (seconds) || seconds < 0) {
        errno = EINVAL;
        return -1;
    }
    if (isinf (seconds))
        return put (buf, len, "inf");
    if (seconds == 0)
        return put (buf, len, "0s");
    /* Short forms first: the largest unit that fits (ms below a second), up to six
     * decimals. */
    for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++) {
        const struct unit *u = &units[i];
        if (u->seconds < 1 ? seconds >= 1 : seconds < u->seconds)
            continue;
        for (int prec = 0; prec <= 6; prec++)
            if (try_format (tmp, sizeof (tmp), seconds, u, true, prec))
                return put (buf, len, tmp);
    }
    /* Seconds with up to 17 significant digits always round-trip a double. */
    for (int prec = 1; prec <= 17; prec++)
        if (try_format (tmp, sizeof (tmp), seconds, &units[3], false, prec))
            return put (buf, len, tmp);
    errno = EINVAL; /* not reached: %.17g is exact */
    return -1;
}
