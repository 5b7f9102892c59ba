/* error.h - human-readable error messages carried beside errno.
 *
 * Functions in the services library return -1 or NULL with errno set and, when the caller
 * passes a struct fx_error, put a one-line message in it.  errprintf() returns -1 and
 * preserves errno so that each error path is one line:
 *
 *     if (!(f = fopen (path, "r")))
 *         return errprintf (err, "%s: %s", path, strerror (errno));
 */
#ifndef FX_ERROR_H
#define FX_ERROR_H

#define FX_ERROR_LEN 256

struct fx_error {
    char text[FX_ERROR_LEN];
};

/* Format a message into err (which may be NULL).  Returns -1; errno is unchanged. */
int errprintf (struct fx_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Clear err (which may be NULL). */
void fx_error_clear (struct fx_error *err);

#endif
