/* fsd.h - Flux Standard Duration (RFC 23): "30s", "1.5h", "100ms", "2d", "inf".
 *
 * A duration is a non-negative decimal number (digits, optional fraction, optional
 * exponent) followed by an optional unit: ms, s, m, h or d; no unit means seconds.
 * "inf" and "infinity" (any case) mean forever.
 */
#ifndef FX_FSD_H
#define FX_FSD_H

#include <stddef.h>

#include "services/error.h"

/* A buffer this size holds any fx_fsd_format() result. */
#define FX_FSD_STRLEN 32

/* Parse s into *seconds.  Returns 0, or -1 with errno EINVAL (empty, negative, NaN, bad
 * number or unit, trailing characters, or a finite number too large for a double once
 * scaled: err names the input and the cause).  *seconds is untouched on failure. */
int fx_fsd_parse (const char *s, double *seconds, struct fx_error *err);

/* Write seconds in the most compact unit that parses back to exactly the same value:
 * "0s", "100ms", "30s", "5m", "1.5h", "2d", "inf".  Returns 0, or -1 with errno EINVAL
 * (negative or NaN) or EOVERFLOW (buf shorter than needed; FX_FSD_STRLEN always does). */
int fx_fsd_format (char *buf, size_t len, double seconds);

#endif
