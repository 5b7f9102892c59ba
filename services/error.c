/* error.c - errprintf() and friends; see error.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "services/error.h"

int errprintf (struct fx_error *err, const char *fmt, ...)
{
    int saved_errno = errno;
    va_list ap;

    if (err) {
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
    }
    errno = saved_errno;
    return -1;
}

void fx_error_clear (struct fx_error *err)
{
    if (err)
        err->text[0] = '\0';
}
