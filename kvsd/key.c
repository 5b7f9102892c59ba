/* key.c - the rules for keys and namespace names (doc/kvs.md, "Data model").
 *
 * Keys are normalized here, once, at the edge: everything kvsd stores, compares and sends
 * to the database is a normalized key, so that "a..b." and "a.b" are the same entry.
 */
#include <string.h>

#include "kvsd/kvsd.h"

int key_normalize (const char *in, char *out, size_t size, struct fx_error *err)
{
    size_t n = 0;
    int dot = 0;

    for (const char *s = in; *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c == '.') {
            dot = n > 0;
            continue;
        }
        if (c <= ' ' || c > '~')
            return errprintf (err, "invalid key '%s': only printable ASCII without spaces", in);
        if (n + dot + 2 > size || n + dot + 1 > KVS_KEY_MAX)
            return errprintf (err, "key is longer than %d characters", KVS_KEY_MAX);
        if (dot)
            out[n++] = '.';
        out[n++] = (char) c;
        dot = 0;
    }
    out[n] = '\0';
    return 0;
}

int ns_name_valid (const char *name)
{
    size_t len = strlen (name);

    if (len == 0 || len > KVS_NS_MAX)
        return 0;
    return strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-")
           == len;
}

int key_within (const char *key, const char *dir)
{
    size_t len = strlen (dir);

    if (len == 0)
        return 1;
    return strncmp (key, dir, len) == 0 && (key[len] == '\0' || key[len] == '.');
}
