/* fuzz_link.c - the overlay link must refuse or accept any bytes without crashing or leaking.
 *
 * The first input byte picks what the rest feeds:
 *   0  fx_link_accept() on a parent, as is;
 *   1  fx_link_accept() on a parent, as the JSON of a hello signed with the right key (so
 *      that the strict parser behind the MAC is reached), then a welcome if accepted;
 *   2  fx_link_welcomed() on a child that sent a real hello, as is;
 *   3  the same with the input as the JSON of a correctly signed welcome, then DATA both ways;
 *   4  fx_link_open() on both sides of a completed handshake, as is;
 *   5  fx_link_seal() then fx_link_open() of the input as a payload: it must come back intact;
 *   6  fx_link_refuse() with the input as the message, then fx_link_welcomed() of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/link.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static struct fx_cert cert;

static void init (void)
{
    static int done;

    if (!done && fx_cert_generate (&cert, "fuzz") < 0)
        abort ();
    done = 1;
}

/* A copy of data prefixed with type and a MAC: HMAC(data) for a hello, or the welcome MAC
 * bound to hello_mac when it is not NULL. */
static uint8_t *signed_frame (int type, const uint8_t *hello_mac, const uint8_t *data, size_t size,
                              size_t *len)
{
    uint8_t *f = malloc (1 + 32 + size);
    crypto_auth_hmacsha256_state st;

    if (!f)
        abort ();
    f[0] = (uint8_t) type;
    crypto_auth_hmacsha256_init (&st, cert.auth_key, 32);
    if (hello_mac) {
        crypto_auth_hmacsha256_update (&st, (const uint8_t *) "welcome", 7);
        crypto_auth_hmacsha256_update (&st, hello_mac, 32);
    }
    crypto_auth_hmacsha256_update (&st, data, size);
    crypto_auth_hmacsha256_final (&st, f + 1);
    if (size)
        memcpy (f + 33, data, size);
    *len = 1 + 32 + size;
    return f;
}

static void fuzz_accept (const uint8_t *data, size_t size, int sign)
{
    struct fx_link *parent = fx_link_create (&cert, 1);
    struct fx_error err;
    char host[FX_LINK_HOSTNAME_MAX], version[FX_LINK_VERSION_MAX];
    uint8_t *frame = NULL;
    void *w;
    size_t len = size, wlen;
    uint32_t rank;

    if (!parent)
        abort ();
    if (sign)
        frame = signed_frame (FX_LINK_HELLO, NULL, data, size, &len);
    if (fx_link_accept (parent, sign ? frame : data, len, &rank, host, sizeof (host), version,
                        sizeof (version), &err) == 0) {
        if (strlen (host) == 0 || strlen (version) == 0)
            abort ();
        if (fx_link_welcome (parent, 0, "v", &w, &wlen) < 0 || !fx_link_ready (parent))
            abort ();
        free (w);
    }
    free (frame);
    fx_link_destroy (parent);
}

/* Seal a payload on a and open it on b: whether b could. */
static int exchange (struct fx_link *a, struct fx_link *b)
{
    void *f, *m;
    size_t flen, mlen;
    int ok;

    if (fx_link_seal (a, "ping", 4, &f, &flen) < 0)
        abort ();
    if ((ok = fx_link_open (b, f, flen, &m, &mlen, NULL) == 0))
        free (m);
    free (f);
    return ok;
}

static void fuzz_welcomed (const uint8_t *data, size_t size, int sign)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    uint8_t *frame = NULL;
    void *h;
    size_t hlen, len = size;
    struct fx_error err;

    if (!child || !parent || fx_link_hello (child, 1, "host", "v", &h, &hlen) < 0)
        abort ();
    if (sign)
        frame = signed_frame (FX_LINK_WELCOME, (uint8_t *) h + 1, data, size, &len);
    if (fx_link_welcomed (child, sign ? frame : data, len, NULL, &err) == 0) {
        if (!fx_link_ready (child))
            abort ();
        if (exchange (child, child)) /* the two directions must have different keys */
            abort ();
    }
    free (frame);
    free (h);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}

/* A completed handshake between *cp and *pp. */
static void handshake (struct fx_link **cp, struct fx_link **pp)
{
    struct fx_link *c = fx_link_create (&cert, 0), *p = fx_link_create (&cert, 1);
    void *h, *w;
    size_t hlen, wlen;

    if (!c || !p || fx_link_hello (c, 3, "host3", "v", &h, &hlen) < 0 ||
        fx_link_accept (p, h, hlen, NULL, NULL, 0, NULL, 0, NULL) < 0 ||
        fx_link_welcome (p, 0, "v", &w, &wlen) < 0 || fx_link_welcomed (c, w, wlen, NULL, NULL) < 0)
        abort ();
    free (h);
    free (w);
    *cp = c;
    *pp = p;
}

static void fuzz_open (const uint8_t *data, size_t size, int roundtrip)
{
    struct fx_link *c, *p;
    void *f, *m;
    size_t flen, mlen;

    handshake (&c, &p);
    if (roundtrip) {
        if (fx_link_seal (c, data, size, &f, &flen) < 0)
            abort ();
        if (fx_link_open (p, f, flen, &m, &mlen, NULL) < 0 || mlen != size ||
            (size && memcmp (m, data, size) != 0))
            abort ();
        free (m);
        if (fx_link_open (p, f, flen, &m, &mlen, NULL) == 0) /* a replay */
            abort ();
        free (f);
    }
    if (fx_link_open (p, data, size, &m, &mlen, NULL) == 0)
        free (m);
    if (fx_link_open (c, data, size, &m, &mlen, NULL) == 0)
        free (m);
    if (!exchange (c, p)) /* rejected garbage left the link working */
        abort ();
    fx_link_destroy (c);
    fx_link_destroy (p);
}

static void fuzz_refuse (const uint8_t *data, size_t size)
{
    struct fx_link *child = fx_link_create (&cert, 0);
    char *s = malloc (size + 1);
    void *h, *r;
    size_t hlen, rlen;
    struct fx_error err;

    if (!child || !s || fx_link_hello (child, 1, "host", "v", &h, &hlen) < 0)
        abort ();
    memcpy (s, data, size);
    s[size] = '\0';
    if (fx_link_refuse (s, &r, &rlen) == 0) {
        if (fx_link_welcomed (child, r, rlen, NULL, &err) == 0 || strchr (err.text, '\n'))
            abort ();
        free (r);
    }
    free (h);
    free (s);
    fx_link_destroy (child);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    init ();
    if (size == 0)
        return 0;
    switch (data[0] % 7) {
    case 0:
    case 1:
        fuzz_accept (data + 1, size - 1, data[0] % 7);
        break;
    case 2:
    case 3:
        fuzz_welcomed (data + 1, size - 1, data[0] % 7 == 3);
        break;
    case 4:
    case 5:
        fuzz_open (data + 1, size - 1, data[0] % 7 == 5);
        break;
    default:
        fuzz_refuse (data + 1, size - 1);
    }
    return 0;
}
