/* txn.c - the operations of a transaction, checked and normalized before they reach the
 * database (doc/kvs.md, "Protocol"): keys normalized, exactly one value for a put, data
 * that is base64, events with a name, a positive time (now when absent) and an object
 * context.  What passes here can fail in SQL only on the data model's own rules.
 *
 * Pure functions of their input: fuzzed by test/fuzz/fuzz_kvs_op.c.
 */
#include <string.h>
#include <time.h>

#include "kvsd/kvsd.h"

static int valid_base64 (const char *s)
{
    size_t len = strlen (s), pad = 0;

    if (len % 4 != 0)
        return 0;
    while (pad < 2 && len > pad && s[len - 1 - pad] == '=')
        pad++;
    return strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
           == len - pad;
}

/* An event as stored: {"timestamp", "name", "context"?}, the time filled in. */
static json_t *normalize_event (json_t *ev, const char *key, struct fx_error *err)
{
    json_error_t jerr;
    double ts = 0;
    const char *name;
    json_t *context = NULL;

    if (json_unpack_ex (ev, &jerr, JSON_STRICT, "{s?F s:s s?o}", "timestamp", &ts, "name", &name,
                        "context", &context)
        < 0) {
        errprintf (err, "%s: invalid event: %s", key, jerr.text);
        return NULL;
    }
    if (strlen (name) < 1 || strlen (name) > 64 || strpbrk (name, " \t\n")) {
        errprintf (err, "%s: invalid event name '%.64s'", key, name);
        return NULL;
    }
    if (context && !json_is_object (context)) {
        errprintf (err, "%s: event context must be an object", key);
        return NULL;
    }
    if (ts < 0) {
        errprintf (err, "%s: event timestamp must be positive", key);
        return NULL;
    }
    if (ts == 0) {
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        ts = now.tv_sec + now.tv_nsec * 1e-9;
    }
    return context ? json_pack ("{s:f s:s s:O}", "timestamp", ts, "name", name, "context", context)
                   : json_pack ("{s:f s:s}", "timestamp", ts, "name", name);
}

/* One operation as kvs_commit() takes it, or NULL with a message. */
json_t *txn_normalize_op (json_t *op, struct fx_error *err)
{
    json_error_t jerr;
    const char *kind, *key, *data = NULL;
    json_t *value = NULL, *event = NULL, *out, *ev;
    char nkey[KVS_KEY_MAX + 1];

    if (json_unpack_ex (op, &jerr, JSON_STRICT, "{s:s s:s s?o s?s s?o}", "op", &kind, "key", &key,
                        "value", &value, "data", &data, "event", &event)
        < 0) {
        errprintf (err, "invalid operation: %s", jerr.text);
        return NULL;
    }
    if (key_normalize (key, nkey, sizeof (nkey), err) < 0)
        return NULL;
    if (!nkey[0]) {
        errprintf (err, "%s: the root directory cannot be the target", kind);
        return NULL;
    }
    if (strcmp (kind, "put") == 0) {
        if (!value == !data) {
            errprintf (err, "%s: put needs exactly one of value and data", nkey);
            return NULL;
        }
        if (data && !valid_base64 (data)) {
            errprintf (err, "%s: data is not base64", nkey);
            return NULL;
        }
        return value ? json_pack ("{s:s s:s s:O}", "op", kind, "key", nkey, "value", value)
                     : json_pack ("{s:s s:s s:s}", "op", kind, "key", nkey, "data", data);
    }
    if (strcmp (kind, "unlink") == 0 || strcmp (kind, "mkdir") == 0) {
        if (value || data || event) {
            errprintf (err, "%s: %s takes only a key", nkey, kind);
            return NULL;
        }
        return json_pack ("{s:s s:s}", "op", kind, "key", nkey);
    }
    if (strcmp (kind, "append") == 0) {
        if (!event || value || data) {
            errprintf (err, "%s: append needs an event and nothing else", nkey);
            return NULL;
        }
        if (!(ev = normalize_event (event, nkey, err)))
            return NULL;
        out = json_pack ("{s:s s:s s:o}", "op", kind, "key", nkey, "event", ev);
        return out;
    }
    errprintf (err, "unknown operation '%.32s'", kind);
    return NULL;
}
