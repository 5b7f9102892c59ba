/* bytes.c - byte counts for people (flux kvs stats, flux job purge). */
#include <stdio.h>

#include "services/bytes.h"

const char *fx_bytes_format (char *buf, size_t len, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;

    while (bytes >= 1024 && i < 4) {
        bytes /= 1024;
        i++;
    }
    if (i == 0)
        snprintf (buf, len, "%.0f B", bytes);
    else
        snprintf (buf, len, "%.1f %s", bytes, units[i]);
    return buf;
}
