/* fuzz_fsd.c - parse arbitrary bytes as a duration; where that works, the formatted value
 * must parse back to exactly the same double.  Inputs starting with '#' instead format the
 * next eight bytes taken as a double: negative and NaN must be refused, anything else must
 * round-trip.  Any mismatch aborts. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/fsd.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_format (double d)
{
    char buf[FX_FSD_STRLEN];
    double back;

    if (isnan (d) || d < 0) {
        if (fx_fsd_format (buf, sizeof (buf), d) == 0 || errno != EINVAL)
            abort ();
        return;
    }
    if (fx_fsd_format (buf, sizeof (buf), d) < 0 || fx_fsd_parse (buf, &back, NULL) < 0)
        abort ();
    if (back != d)
        abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct fx_error err;
    char *s;
    double d;

    if (size == 9 && data[0] == '#') {
        memcpy (&d, data + 1, sizeof (d));
        check_format (d);
        return 0;
    }
    if (!(s = malloc (size + 1)))
        return 0;
    memcpy (s, data, size);
    s[size] = '\0';
    if (fx_fsd_parse (s, &d, &err) == 0) {
        if (isnan (d) || d < 0)
            abort ();
        check_format (d);
    } else if (err.text[0] == '\0' || strchr (err.text, '\n'))
        abort ();
    free (s);
    return 0;
}
