/* fluid.h - Flux locally unique ids (RFC 19): job ids and their text encodings.
 *
 * A FLUID is 64 bits: a 40-bit timestamp in milliseconds since the instance's epoch, a 14-bit
 * generator id (job-ingest uses its broker rank) and a 10-bit sequence number.  A generator
 * issues ids that only ever increase: 1024 per millisecond, borrowing from the next
 * millisecond when a millisecond runs out, never going back when the clock does.
 *
 * Encodings: decimal "6731191091817518", hex "0x17e9fb8df16c2e", dothex
 * "0017.e9fb.8df1.6c2e" (KVS paths) and F58 "ƒuZZybuNNy" (base58, prefixed with U+0192;
 * ASCII 'f' is accepted in its place on input).
 */
#ifndef FX_FLUID_H
#define FX_FLUID_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "services/error.h"

#define FX_FLUID_TS_BITS  40
#define FX_FLUID_ID_BITS  14
#define FX_FLUID_SEQ_BITS 10
#define FX_FLUID_TS_MAX   ((UINT64_C (1) << FX_FLUID_TS_BITS) - 1)
#define FX_FLUID_ID_MAX   ((1u << FX_FLUID_ID_BITS) - 1)
#define FX_FLUID_SEQ_MAX  ((1u << FX_FLUID_SEQ_BITS) - 1)

/* Buffer size that holds any encoding with its NUL ("ƒ" is two bytes). */
#define FX_FLUID_STRLEN 24

enum fx_fluid_type {
    FX_FLUID_DEC = 1, /* 6731191091817518 */
    FX_FLUID_HEX,     /* 0x17e9fb8df16c2e */
    FX_FLUID_DOTHEX,  /* 0017.e9fb.8df1.6c2e */
    FX_FLUID_F58,     /* ƒuZZybuNNy */
};

/* A generator.  Plain data: the caller owns it and may keep it anywhere. */
struct fx_fluid_gen {
    uint32_t id;           /* generator id, <= FX_FLUID_ID_MAX */
    uint32_t seq;          /* sequence number of the last id issued */
    uint64_t timestamp;    /* timestamp of the last id issued (ms since the epoch) */
    uint64_t start;        /* timestamp given to fx_fluid_init() */
    struct timespec clock; /* CLOCK_MONOTONIC at fx_fluid_init() */
    int issued;            /* nonzero once an id has been issued */
};

/* Set up gen to issue ids with generator id `id`, its clock starting at `timestamp` ms
 * since the epoch (after a restart: the timestamp of the largest id issued before, + 1).
 * Returns 0, or -1 with errno EINVAL (id or timestamp out of range). */
int fx_fluid_init (struct fx_fluid_gen *gen, uint32_t id, uint64_t timestamp);

/* Issue the next id, timed by CLOCK_MONOTONIC since fx_fluid_init().  Returns 0, or -1
 * with errno EINVAL (gen not initialised) or EOVERFLOW (the 40-bit timestamp ran out). */
int fx_fluid_generate (struct fx_fluid_gen *gen, uint64_t *fluid);

/* Issue the next id as if the clock read `now` ms since the epoch (for callers with their
 * own clock, and for tests).  A `now` earlier than the last id's timestamp is treated as
 * that timestamp.  Errors as for fx_fluid_generate(). */
int fx_fluid_generate_at (struct fx_fluid_gen *gen, uint64_t now, uint64_t *fluid);

/* The fields of a FLUID. */
uint64_t fx_fluid_timestamp (uint64_t fluid);
uint32_t fx_fluid_generator (uint64_t fluid);
uint32_t fx_fluid_sequence (uint64_t fluid);

/* Write fluid into buf (len bytes, FX_FLUID_STRLEN is always enough) in the given encoding.
 * Returns 0, or -1 with errno EINVAL (unknown type) or EOVERFLOW (buf too small). */
int fx_fluid_encode (char *buf, size_t len, uint64_t fluid, enum fx_fluid_type type);

/* Parse s in the given encoding, exactly (no surrounding whitespace).  Returns 0, or -1
 * with errno EINVAL (err names the input and the cause). */
int fx_fluid_decode_type (const char *s, enum fx_fluid_type type, uint64_t *fluid,
                          struct fx_error *err);

/* Parse s in whichever encoding it is in: surrounding whitespace is trimmed, then a '.'
 * means dothex, a leading 'ƒ' or 'f' F58, a leading "0x" hex, anything else decimal.
 * If type is not NULL it receives the encoding found.  Returns 0, or -1 with errno EINVAL
 * (empty, junk, overflow: err names the input and the cause). */
int fx_fluid_decode (const char *s, uint64_t *fluid, enum fx_fluid_type *type,
                     struct fx_error *err);

#endif
