/* fuzz_msg.c - the message decoder must refuse or accept any bytes without crashing, and
 * whatever it accepts must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/msg.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct fx_error err;
    struct fx_msg *msg;
    unsigned char *buf;

    if (!(msg = fx_msg_decode (data, size, &err)))
        return 0;
    if (fx_msg_encoded_len (msg) != size)
        abort ();
    if (!(buf = malloc (size ? size : 1)))
        abort ();
    fx_msg_encode_into (msg, buf);
    if (memcmp (buf, data, size) != 0)
        abort ();
    (void) fx_msg_json (msg, &err);
    (void) fx_msg_errstr (msg);
    free (buf);
    fx_msg_destroy (msg);
    return 0;
}
