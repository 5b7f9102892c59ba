/* fuzz_fluid.c - decode arbitrary bytes as a job id; where that works, every encoding of
 * the value must decode (with auto-detection and strictly by type) to the same value.
 * Inputs starting with '#' instead drive a generator with the following bytes as clock
 * readings; the ids must strictly increase.  Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/fluid.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const enum fx_fluid_type types[] = {FX_FLUID_DEC, FX_FLUID_HEX, FX_FLUID_DOTHEX,
                                           FX_FLUID_F58};

static void check_encodings (uint64_t id)
{
    for (size_t i = 0; i < sizeof (types) / sizeof (types[0]); i++) {
        char buf[FX_FLUID_STRLEN];
        enum fx_fluid_type type;
        uint64_t back;
        if (fx_fluid_encode (buf, sizeof (buf), id, types[i]) < 0)
            abort ();
        if (fx_fluid_decode (buf, &back, &type, NULL) < 0 || back != id || type != types[i])
            abort ();
        if (fx_fluid_decode_type (buf, types[i], &back, NULL) < 0 || back != id)
            abort ();
    }
}

/* Each pair of bytes moves the clock: the first byte's low bits say how far (and whether
 * back), the second how many ids to take at that reading. */
static void run_generator (const uint8_t *data, size_t size)
{
    struct fx_fluid_gen gen;
    uint64_t now = FX_FLUID_TS_MAX - 5000, prev = 0, id;
    int have = 0;

    if (fx_fluid_init (&gen, size % (FX_FLUID_ID_MAX + 1), now) < 0)
        abort ();
    for (size_t i = 0; i + 1 < size; i += 2) {
        int step = (int8_t) data[i];
        now = step < 0 && now < (uint64_t) -step ? 0 : now + step;
        for (int k = 0; k <= data[i + 1] * 8; k++) {
            if (fx_fluid_generate_at (&gen, now, &id) < 0) {
                if (now < FX_FLUID_TS_MAX && gen.timestamp < FX_FLUID_TS_MAX)
                    abort (); /* EOVERFLOW only once time has run out */
                return;
            }
            if ((have && id <= prev) || fx_fluid_generator (id) != gen.id)
                abort ();
            prev = id;
            have = 1;
        }
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s;
    struct fx_error err;
    enum fx_fluid_type type;
    uint64_t id;

    if (size > 0 && data[0] == '#') {
        run_generator (data + 1, size - 1);
        return 0;
    }
    if (!(s = malloc (size + 1)))
        return 0;
    memcpy (s, data, size);
    s[size] = '\0';
    if (fx_fluid_decode (s, &id, &type, &err) == 0)
        check_encodings (id);
    else if (err.text[0] == '\0' || strchr (err.text, '\n'))
        abort ();
    free (s);
    return 0;
}
