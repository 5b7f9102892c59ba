/* bytes.h - byte counts for people: 512 B, 1.5 KiB, 12.3 MiB. */
#ifndef FX_BYTES_H
#define FX_BYTES_H

#include <stddef.h>

/* Write bytes in buf (len bytes) with a binary unit, one decimal above bytes; returns buf. */
const char *fx_bytes_format (char *buf, size_t len, double bytes);

#endif
