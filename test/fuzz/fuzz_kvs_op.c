/* fuzz_kvs_op.c - kvsd's input checks on arbitrary bytes: as a key, key_normalize must give
 * a normalized key (no leading, trailing or doubled dot, at most KVS_KEY_MAX characters)
 * that normalizes to itself; as JSON, txn_normalize_op must either refuse with a message or
 * give an operation whose key is normalized and not the root.  Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvsd/kvsd.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_key (const char *in)
{
    struct fx_error err = {""};
    char out[KVS_KEY_MAX + 1], again[KVS_KEY_MAX + 1];
    size_t len;

    if (key_normalize (in, out, sizeof (out), &err) < 0) {
        if (!err.text[0])
            abort ();
        return;
    }
    len = strlen (out);
    if (len > KVS_KEY_MAX || (len && (out[0] == '.' || out[len - 1] == '.')) || strstr (out, ".."))
        abort ();
    if (key_normalize (out, again, sizeof (again), &err) < 0 || strcmp (out, again) != 0)
        abort ();
    if (!key_within (out, "") || (len && !key_within (out, out)))
        abort ();
}

static void check_op (json_t *op)
{
    struct fx_error err = {""};
    json_t *n = txn_normalize_op (op, &err);
    const char *key;

    if (!n) {
        if (!err.text[0])
            abort ();
        return;
    }
    if (!(key = json_string_value (json_object_get (n, "key"))) || !*key)
        abort ();
    check_key (key);
    json_decref (n);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *s = malloc (size + 1);
    json_t *o, *v;
    size_t i;

    if (!s)
        return 0;
    memcpy (s, data, size);
    s[size] = '\0';
    check_key (s);
    if ((o = json_loadb ((const char *) data, size, JSON_REJECT_DUPLICATES, NULL))) {
        if (json_is_array (o)) {
            json_array_foreach (o, i, v) check_op (v);
        } else
            check_op (o);
        json_decref (o);
    }
    free (s);
    return 0;
}
