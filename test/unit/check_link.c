/* check_link.c - unit tests for services/link.c: the overlay handshake and DATA framing.
 *
 * Both sides of a link run in memory: frames go from one struct fx_link to the other as
 * buffers.  Hellos and welcomes with chosen JSON are signed here with the certificate's
 * auth_key, to reach the strict parser behind the MAC check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cert.h"
#include "services/link.h"
#include "test/unit/check.h"

static struct fx_cert cert, other_cert;

static void setup (void)
{
    ck_assert_int_eq (fx_cert_generate (&cert, "test"), 0);
    ck_assert_int_eq (fx_cert_generate (&other_cert, "other"), 0);
}

/* A frame as a buffer: the caller frees data. */
struct frame {
    void *data;
    size_t len;
};

static struct frame hello (struct fx_link *child, uint32_t rank)
{
    struct frame f;

    ck_assert_int_eq (fx_link_hello (child, rank, "node1", "0.1.0", &f.data, &f.len), 0);
    ck_assert_int_eq (fx_link_frame_type (f.data, f.len), FX_LINK_HELLO);
    return f;
}

static void accept_ok (struct fx_link *parent, struct frame h)
{
    struct fx_error err = {{0}};
    char host[FX_LINK_HOSTNAME_MAX], version[FX_LINK_VERSION_MAX];
    uint32_t rank;

    ck_assert_msg (fx_link_accept (parent, h.data, h.len, &rank, host, sizeof (host), version,
                                   sizeof (version), &err) == 0,
                   "%s", err.text);
}

static struct frame welcome (struct fx_link *parent)
{
    struct frame f;

    ck_assert_int_eq (fx_link_welcome (parent, 0, "0.1.0", &f.data, &f.len), 0);
    ck_assert_int_eq (fx_link_frame_type (f.data, f.len), FX_LINK_WELCOME);
    return f;
}

/* A full handshake between a new child and a new parent. */
static void handshake (struct fx_link **childp, struct fx_link **parentp)
{
    struct fx_link *child, *parent;
    struct fx_error err = {{0}};
    struct frame h, w;
    uint32_t prank = 99;

    ck_assert_ptr_nonnull ((child = fx_link_create (&cert, 0)));
    ck_assert_ptr_nonnull ((parent = fx_link_create (&cert, 1)));
    h = hello (child, 1);
    accept_ok (parent, h);
    w = welcome (parent);
    ck_assert_msg (fx_link_welcomed (child, w.data, w.len, &prank, &err) == 0, "%s", err.text);
    ck_assert_uint_eq (prank, 0);
    free (h.data);
    free (w.data);
    *childp = child;
    *parentp = parent;
}

static struct frame seal (struct fx_link *l, const char *msg)
{
    struct frame f;

    ck_assert_int_eq (fx_link_seal (l, msg, strlen (msg), &f.data, &f.len), 0);
    ck_assert_uint_eq (f.len, strlen (msg) + FX_LINK_DATA_OVERHEAD);
    return f;
}

static void open_ok (struct fx_link *l, struct frame f, const char *want)
{
    struct fx_error err = {{0}};
    void *msg;
    size_t len;

    ck_assert_msg (fx_link_open (l, f.data, f.len, &msg, &len, &err) == 0, "%s", err.text);
    ck_assert_uint_eq (len, strlen (want));
    ck_assert_mem_eq (msg, want, len);
    free (msg);
}

static void open_fails (struct fx_link *l, const void *data, size_t len, int e)
{
    struct fx_error err = {{0}};
    void *msg = NULL;
    size_t mlen = 0;

    errno = 0;
    ck_assert_int_eq (fx_link_open (l, data, len, &msg, &mlen, &err), -1);
    ck_assert_msg (errno == e, "errno %d, want %d (%s)", errno, e, err.text);
    ck_assert_ptr_null (msg);
    ck_assert_uint_gt (strlen (err.text), 0);
}

/* A HELLO frame carrying json, signed with key. */
static struct frame signed_hello (const char *json, const uint8_t *key)
{
    struct frame f = {malloc (1 + 32 + strlen (json)), 1 + 32 + strlen (json)};
    uint8_t *p = f.data;

    ck_assert_ptr_nonnull (p);
    p[0] = FX_LINK_HELLO;
    crypto_auth_hmacsha256 (p + 1, (const uint8_t *) json, strlen (json), key);
    memcpy (p + 33, json, strlen (json));
    return f;
}

/* A WELCOME frame carrying json, signed for the hello h. */
static struct frame signed_welcome (const char *json, struct frame h)
{
    struct frame f = {malloc (1 + 32 + strlen (json)), 1 + 32 + strlen (json)};
    crypto_auth_hmacsha256_state st;
    uint8_t *p = f.data;

    ck_assert_ptr_nonnull (p);
    p[0] = FX_LINK_WELCOME;
    crypto_auth_hmacsha256_init (&st, cert.auth_key, 32);
    crypto_auth_hmacsha256_update (&st, (const uint8_t *) "welcome", 7);
    crypto_auth_hmacsha256_update (&st, (const uint8_t *) h.data + 1, 32);
    crypto_auth_hmacsha256_update (&st, (const uint8_t *) json, strlen (json));
    crypto_auth_hmacsha256_final (&st, p + 1);
    memcpy (p + 33, json, strlen (json));
    return f;
}

static void accept_fails (struct fx_link *parent, struct frame h, int e, const char *msg)
{
    struct fx_error err = {{0}};
    char host[FX_LINK_HOSTNAME_MAX], version[FX_LINK_VERSION_MAX];
    uint32_t rank;

    errno = 0;
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, &rank, host, sizeof (host), version,
                                      sizeof (version), &err),
                      -1);
    ck_assert_msg (errno == e, "errno %d, want %d (%s)", errno, e, err.text);
    if (msg)
        ck_assert_str_eq (err.text, msg);
}

static void welcomed_fails (struct fx_link *child, struct frame w, int e, const char *msg)
{
    struct fx_error err = {{0}};
    uint32_t rank;

    errno = 0;
    ck_assert_int_eq (fx_link_welcomed (child, w.data, w.len, &rank, &err), -1);
    ck_assert_msg (errno == e, "errno %d, want %d (%s)", errno, e, err.text);
    if (msg)
        ck_assert_str_eq (err.text, msg);
    ck_assert (!fx_link_ready (child));
}

START_TEST (test_handshake)
{
    struct fx_link *child, *parent;
    struct fx_error err = {{0}};
    char host[FX_LINK_HOSTNAME_MAX], version[FX_LINK_VERSION_MAX];
    struct frame h, w, d;
    uint32_t rank = 0, prank = 0;

    ck_assert_ptr_nonnull ((child = fx_link_create (&cert, 0)));
    ck_assert_ptr_nonnull ((parent = fx_link_create (&cert, 1)));
    ck_assert (!fx_link_ready (child) && !fx_link_ready (parent));
    ck_assert_int_eq (fx_link_hello (child, 42, "fluke42", "0.1.0", &h.data, &h.len), 0);
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, &rank, host, sizeof (host), version,
                                      sizeof (version), &err),
                      0);
    ck_assert_uint_eq (rank, 42);
    ck_assert_str_eq (host, "fluke42");
    ck_assert_str_eq (version, "0.1.0");
    ck_assert (!fx_link_ready (parent)); /* not before the welcome */
    ck_assert_int_eq (fx_link_welcome (parent, 7, "0.1.0", &w.data, &w.len), 0);
    ck_assert (fx_link_ready (parent));
    ck_assert_int_eq (fx_link_welcomed (child, w.data, w.len, &prank, &err), 0);
    ck_assert_uint_eq (prank, 7);
    ck_assert (fx_link_ready (child));
    for (int i = 0; i < 3; i++) {
        d = seal (child, "up");
        open_ok (parent, d, "up");
        free (d.data);
        d = seal (parent, "down, a little longer");
        open_ok (child, d, "down, a little longer");
        free (d.data);
    }
    d = seal (parent, ""); /* an empty payload */
    open_ok (child, d, "");
    free (d.data);
    ck_assert_int_eq (fx_link_seal (parent, NULL, 0, &d.data, &d.len), 0);
    open_ok (child, d, "");
    free (d.data);
    free (h.data);
    free (w.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
    fx_link_destroy (NULL);
}
END_TEST

START_TEST (test_wrong_certificate)
{
    struct fx_link *child = fx_link_create (&other_cert, 0), *parent = fx_link_create (&cert, 1);
    struct fx_link *good = fx_link_create (&cert, 0);
    struct frame h = hello (child, 1), g = hello (good, 1);

    accept_fails (parent, h, EPERM, "hello not signed with this instance's certificate");
    accept_ok (parent, g); /* the failure left the parent waiting */
    free (h.data);
    free (g.data);
    fx_link_destroy (child);
    fx_link_destroy (good);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_tampered_hello)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    struct frame h = hello (child, 1);
    uint8_t *p = h.data;
    char *rank = memmem (p + 33, h.len - 33, "\"rank\":1", 8);

    ck_assert_ptr_nonnull (rank);
    rank[7] = '0'; /* claim rank 0 */
    accept_fails (parent, h, EPERM, "hello not signed with this instance's certificate");
    rank[7] = '1';
    for (size_t i = 1; i < h.len; i++) { /* any flipped bit of MAC or JSON */
        p[i] ^= 0x10;
        accept_fails (parent, h, EPERM, "hello not signed with this instance's certificate");
        p[i] ^= 0x10;
    }
    p[0] = FX_LINK_WELCOME;
    accept_fails (parent, h, EPROTO, "expected a hello frame, got type 2");
    p[0] = FX_LINK_HELLO;
    accept_ok (parent, h);
    free (h.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

#define PK64 "0101010101010101010101010101010101010101010101010101010101010101"
#define N32  "00112233445566778899aabbccddeeff"

START_TEST (test_malformed_hello)
{
    struct fx_link *parent = fx_link_create (&cert, 1);
    char pk[65], json[600];
    uint8_t esk[32], epk[32];
    const char *bad[] = {
        "[]",
        "{}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32
        "\",\"x\":1}",
        "{\"rank\":1,\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32
        "\"}",
        "{\"rank\":-1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":4294967296,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32
        "\"}",
        "{\"rank\":1.0,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":\"1\",\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"a b\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"a\\u0000b\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32
        "\"}",
        "{\"rank\":1,\"hostname\":\"h\\n\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":7,\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":null,\"pk\":\"@\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"" PK64 "0\",\"nonce\":\"" N32
        "\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"0101\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"00112233\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":"
        "\"00112233445566778899AABBCCDDEEFF\"}",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"} x",
        "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"@\",\"nonce\":\"" N32 "\"",
    };

    crypto_kx_keypair (epk, esk);
    sodium_bin2hex (pk, sizeof (pk), epk, sizeof (epk));
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        const char *at = strchr (bad[i], '@');
        if (at)
            snprintf (json, sizeof (json), "%.*s%s%s", (int) (at - bad[i]), bad[i], pk, at + 1);
        else
            snprintf (json, sizeof (json), "%s", bad[i]);
        struct frame h = signed_hello (json, cert.auth_key);
        accept_fails (parent, h, EPROTO, NULL);
        free (h.data);
    }
    /* a low-order public key (zero) is refused */
    struct frame h;

    snprintf (json, sizeof (json),
              "{\"rank\":1,\"hostname\":\"h\",\"version\":\"v\",\"pk\":\"%064d\",\"nonce\":\"" N32
              "\"}",
              0);
    h = signed_hello (json, cert.auth_key);
    accept_fails (parent, h, EPROTO, "hello carries an invalid public key");
    free (h.data);
    /* and after all that, a good one passes */
    snprintf (json, sizeof (json),
              "{\"nonce\":\"" N32 "\",\"pk\":\"%s\",\"version\":\"v\",\"hostname\":\"h\","
              "\"rank\":4294967295}",
              pk);
    h = signed_hello (json, cert.auth_key);
    accept_ok (parent, h);
    free (h.data);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_hostname_fits)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    struct fx_error err = {{0}};
    char host[4], version[FX_LINK_VERSION_MAX];
    struct frame h = hello (child, 1); /* hostname "node1" */

    errno = 0;
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, NULL, host, sizeof (host), version,
                                      sizeof (version), &err),
                      -1);
    ck_assert_int_eq (errno, EPROTO);
    ck_assert_str_eq (err.text, "hello hostname is too long");
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, NULL, NULL, 0, NULL, 0, &err), 0);
    free (h.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_tampered_welcome)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    struct fx_error err = {{0}};
    struct frame h = hello (child, 1), w;
    uint8_t *p;

    accept_ok (parent, h);
    w = welcome (parent);
    p = w.data;
    for (size_t i = 1; i < w.len; i++) {
        p[i] ^= 0x01;
        welcomed_fails (child, w, EPERM,
                        "welcome not signed with this instance's certificate for this hello");
        p[i] ^= 0x01;
    }
    p[0] = FX_LINK_HELLO;
    welcomed_fails (child, w, EPROTO, "expected a welcome frame, got type 1");
    p[0] = FX_LINK_WELCOME;
    ck_assert_int_eq (fx_link_welcomed (child, w.data, w.len, NULL, &err), 0);
    free (h.data);
    free (w.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_malformed_welcome)
{
    struct fx_link *child = fx_link_create (&cert, 0);
    struct frame h = hello (child, 1), w;
    const char *bad[] = {
        "{\"rank\":0,\"version\":\"v\",\"pk\":\"" PK64 "\"}",
        "{\"rank\":0,\"version\":\"v\",\"pk\":\"" PK64 "\",\"nonce\":\"" N32
        "\",\"hostname\":\"h\"}",
        "{\"rank\":-5,\"version\":\"v\",\"pk\":\"" PK64 "\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":0,\"version\":\"\",\"pk\":\"" PK64 "\",\"nonce\":\"" N32 "\"}",
        "{\"rank\":0,\"version\":\"v\",\"pk\":\"" PK64 "\",\"nonce\":\"" N32 "ff\"}",
        "not json",
    };

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        w = signed_welcome (bad[i], h);
        welcomed_fails (child, w, EPROTO, NULL);
        free (w.data);
    }
    w = signed_welcome ("{\"rank\":0,\"version\":\"v\",\"pk\":\"" PK64 "\",\"nonce\":\"" N32 "\"}",
                        h);
    ck_assert_int_eq (fx_link_welcomed (child, w.data, w.len, NULL, NULL), 0); /* well formed */
    free (w.data);
    fx_link_destroy (child);
    child = fx_link_create (&cert, 0);
    free (h.data);
    h = hello (child, 1);
    /* a low-order public key (zero) is refused */
    char json[300];
    snprintf (json, sizeof (json),
              "{\"rank\":0,\"version\":\"v\",\"pk\":\"%064d\",\"nonce\":\"" N32 "\"}", 0);
    w = signed_welcome (json, h);
    welcomed_fails (child, w, EPROTO, "welcome carries an invalid public key");
    free (w.data);
    free (h.data);
    fx_link_destroy (child);
}
END_TEST

START_TEST (test_welcome_replay)
{
    struct fx_link *c1 = fx_link_create (&cert, 0), *p1 = fx_link_create (&cert, 1);
    struct fx_link *c2 = fx_link_create (&cert, 0);
    struct frame h1 = hello (c1, 1), h2 = hello (c2, 1), w1;

    accept_ok (p1, h1);
    w1 = welcome (p1);
    /* the welcome answers h1 only: a second hello (same rank, same certificate) refuses it */
    welcomed_fails (c2, w1, EPERM,
                    "welcome not signed with this instance's certificate for this hello");
    ck_assert_int_eq (fx_link_welcomed (c1, w1.data, w1.len, NULL, NULL), 0);
    /* and a welcome cannot be taken twice */
    errno = 0;
    ck_assert_int_eq (fx_link_welcomed (c1, w1.data, w1.len, NULL, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
    free (h1.data);
    free (h2.data);
    free (w1.data);
    fx_link_destroy (c1);
    fx_link_destroy (c2);
    fx_link_destroy (p1);
}
END_TEST

START_TEST (test_data_tampered)
{
    struct fx_link *child, *parent;
    struct frame d;
    uint8_t *p;

    handshake (&child, &parent);
    d = seal (child, "hello parent");
    p = d.data;
    for (size_t i = 9; i < d.len; i++) { /* ciphertext and tag */
        for (int bit = 0; bit < 8; bit++) {
            p[i] ^= (uint8_t) (1 << bit);
            open_fails (parent, d.data, d.len, EPERM);
            p[i] ^= (uint8_t) (1 << bit);
        }
    }
    for (size_t i = 1; i < 9; i++) { /* the counter is authenticated too */
        p[i] ^= 0x80;
        open_fails (parent, d.data, d.len, EPERM); /* a higher counter: tag fails */
        p[i] ^= 0x80;
    }
    p[0] = FX_LINK_HELLO;
    open_fails (parent, d.data, d.len, EPROTO);
    p[0] = FX_LINK_DATA;
    open_fails (child, d.data, d.len, EPERM); /* reflected to its sender */
    open_ok (parent, d, "hello parent");      /* the failures changed nothing */
    free (d.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_replay)
{
    struct fx_link *child, *parent;
    struct frame d1, d2, d3;

    handshake (&child, &parent);
    d1 = seal (child, "one");
    d2 = seal (child, "two");
    d3 = seal (child, "three");
    ck_assert_uint_eq (((uint8_t *) d1.data)[8], 1); /* counters start at 1 */
    ck_assert_uint_eq (((uint8_t *) d3.data)[8], 3);
    open_ok (parent, d1, "one");
    open_fails (parent, d1.data, d1.len, EALREADY);
    open_ok (parent, d3, "three");                  /* a gap is fine */
    open_fails (parent, d2.data, d2.len, EALREADY); /* reordered: refused */
    open_fails (parent, d3.data, d3.len, EALREADY);
    free (d1.data);
    free (d2.data);
    free (d3.data);
    /* a frame with counter 0 is never accepted, whatever its tag */
    d1 = seal (parent, "x");
    memset ((uint8_t *) d1.data + 1, 0, 8);
    open_fails (child, d1.data, d1.len, EALREADY);
    free (d1.data);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_refuse)
{
    struct fx_link *child = fx_link_create (&cert, 0);
    struct fx_error err = {{0}};
    struct frame h = hello (child, 9), r;
    const char *bad[] = {"", "{}", "{\"errstr\":1}", "{\"errstr\":\"a\",\"x\":1}", "[\"a\"]"};

    ck_assert_int_eq (fx_link_refuse ("rank 9 is not fluke9 in the configuration", &r.data, &r.len),
                      0);
    ck_assert_int_eq (fx_link_frame_type (r.data, r.len), FX_LINK_REFUSE);
    errno = 0;
    ck_assert_int_eq (fx_link_welcomed (child, r.data, r.len, NULL, &err), -1);
    ck_assert_int_eq (errno, ECONNREFUSED);
    ck_assert_str_eq (err.text, "rank 9 is not fluke9 in the configuration");
    free (r.data);
    ck_assert_int_eq (fx_link_refuse ("two\nlines\x1b[1m", &r.data, &r.len), 0);
    ck_assert_int_eq (fx_link_welcomed (child, r.data, r.len, NULL, &err), -1);
    ck_assert_str_eq (err.text, "two?lines?[1m");
    free (r.data);
    char *longmsg = malloc (5000); /* cut, and still one frame after JSON escaping */
    ck_assert_ptr_nonnull (longmsg);
    memset (longmsg, '\x01', 4999);
    longmsg[4999] = '\0';
    ck_assert_int_eq (fx_link_refuse (longmsg, &r.data, &r.len), 0);
    ck_assert_uint_le (r.len, FX_LINK_HANDSHAKE_MAX);
    errno = 0;
    ck_assert_int_eq (fx_link_welcomed (child, r.data, r.len, NULL, &err), -1);
    ck_assert_int_eq (errno, ECONNREFUSED);
    ck_assert_uint_eq (strspn (err.text, "?"), FX_ERROR_LEN - 1);
    free (r.data);
    free (longmsg);
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        uint8_t buf[64] = {FX_LINK_REFUSE};
        memcpy (buf + 1, bad[i], strlen (bad[i]));
        r.data = buf;
        r.len = 1 + strlen (bad[i]);
        welcomed_fails (child, r, EPROTO, NULL);
    }
    errno = 0;
    ck_assert_int_eq (fx_link_refuse (NULL, &r.data, &r.len), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_refuse ("\xff", &r.data, &r.len), -1); /* not UTF-8 */
    free (h.data);
    fx_link_destroy (child);
}
END_TEST

/* Every strict prefix of every frame kind is refused, without a crash. */
START_TEST (test_truncated)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    struct fx_link *c, *p;
    struct frame h = hello (child, 1), w, d, r;

    for (size_t n = 0; n < h.len; n++)
        accept_fails (parent, (struct frame){h.data, n}, n <= 33 ? EPROTO : EPERM, NULL);
    accept_ok (parent, h);
    w = welcome (parent);
    for (size_t n = 0; n < w.len; n++)
        welcomed_fails (child, (struct frame){w.data, n}, n <= 33 ? EPROTO : EPERM, NULL);
    ck_assert_int_eq (fx_link_refuse ("no", &r.data, &r.len), 0);
    for (size_t n = 0; n < r.len; n++)
        welcomed_fails (child, (struct frame){r.data, n}, EPROTO, NULL);
    handshake (&c, &p);
    d = seal (c, "some payload");
    for (size_t n = 0; n < d.len; n++)
        open_fails (p, d.data, n, n < FX_LINK_DATA_OVERHEAD ? EPROTO : EPERM);
    open_ok (p, d, "some payload");
    free (h.data);
    free (w.data);
    free (r.data);
    free (d.data);
    fx_link_destroy (c);
    fx_link_destroy (p);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_oversize)
{
    struct fx_link *child, *parent;
    struct frame d;
    uint8_t *big;
    size_t n = FX_LINK_PAYLOAD_MAX + FX_LINK_DATA_OVERHEAD + 1;

    handshake (&child, &parent);
    ck_assert_ptr_nonnull ((big = calloc (1, n)));
    errno = 0;
    ck_assert_int_eq (fx_link_seal (child, big, FX_LINK_PAYLOAD_MAX + 1, &d.data, &d.len), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    big[0] = FX_LINK_DATA;
    big[8] = 1;
    open_fails (parent, big, n, EMSGSIZE);
    ck_assert_int_eq (fx_link_seal (child, big, FX_LINK_PAYLOAD_MAX, &d.data, &d.len), 0);
    ck_assert_uint_eq (d.len, n - 1);
    void *msg;
    size_t len;
    ck_assert_int_eq (fx_link_open (parent, d.data, d.len, &msg, &len, NULL), 0);
    ck_assert_uint_eq (len, FX_LINK_PAYLOAD_MAX);
    ck_assert_mem_eq (msg, big, len);
    free (msg);
    free (d.data);
    /* a handshake frame over FX_LINK_HANDSHAKE_MAX */
    struct fx_link *p2 = fx_link_create (&cert, 1);
    memset (big, ' ', FX_LINK_HANDSHAKE_MAX + 1);
    big[0] = FX_LINK_HELLO;
    accept_fails (p2, (struct frame){big, FX_LINK_HANDSHAKE_MAX + 1}, EPROTO,
                  "hello frame too long (4097 bytes)");
    free (big);
    fx_link_destroy (p2);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

START_TEST (test_session_keys_differ)
{
    struct fx_link *c1, *p1, *c2, *p2;
    struct frame d1, d2;

    handshake (&c1, &p1);
    handshake (&c2, &p2);
    d1 = seal (c1, "same text");
    d2 = seal (c2, "same text");
    ck_assert_uint_eq (d1.len, d2.len);
    ck_assert_mem_eq (d1.data, d2.data, 9); /* same type and counter ... */
    ck_assert_mem_ne ((uint8_t *) d1.data + 9, (uint8_t *) d2.data + 9, d1.len - 9); /* keys */
    open_fails (p2, d1.data, d1.len, EPERM); /* one session's frame is useless in another */
    open_fails (p1, d2.data, d2.len, EPERM);
    open_ok (p1, d1, "same text");
    open_ok (p2, d2, "same text");
    free (d1.data);
    free (d2.data);
    /* the two directions use different keys */
    d1 = seal (c1, "x");
    d2 = seal (p1, "x");
    ck_assert_mem_ne ((uint8_t *) d1.data + 9, (uint8_t *) d2.data + 9, d1.len - 9);
    free (d1.data);
    free (d2.data);
    fx_link_destroy (c1);
    fx_link_destroy (p1);
    fx_link_destroy (c2);
    fx_link_destroy (p2);
}
END_TEST

START_TEST (test_misuse)
{
    struct fx_link *child = fx_link_create (&cert, 0), *parent = fx_link_create (&cert, 1);
    struct frame f, h;
    struct fx_error err = {{0}};
    char longhost[FX_LINK_HOSTNAME_MAX + 1];

    errno = 0;
    ck_assert_ptr_null (fx_link_create (NULL, 0));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_hello (parent, 1, "h", "v", &f.data, &f.len), -1);
    ck_assert_int_eq (fx_link_hello (child, 1, "a b", "v", &f.data, &f.len), -1);
    ck_assert_int_eq (fx_link_hello (child, 1, "", "v", &f.data, &f.len), -1);
    memset (longhost, 'h', sizeof (longhost) - 1);
    longhost[sizeof (longhost) - 1] = '\0';
    ck_assert_int_eq (fx_link_hello (child, 1, longhost, "v", &f.data, &f.len), -1);
    longhost[FX_LINK_HOSTNAME_MAX - 1] = '\0';
    ck_assert_int_eq (fx_link_hello (child, 1, longhost, "v", &f.data, &f.len), 0);
    free (f.data);
    errno = 0;
    ck_assert_int_eq (fx_link_hello (child, 1, "h", "v", &f.data, &f.len), -1); /* twice */
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_welcome (parent, 0, "v", &f.data, &f.len), -1); /* no hello */
    ck_assert_int_eq (fx_link_seal (child, "x", 1, &f.data, &f.len), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_open (parent, "x", 1, &f.data, &f.len, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_welcomed (parent, "x", 1, NULL, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    struct fx_link *other = fx_link_create (&cert, 0);
    h = hello (other, 1);
    fx_link_destroy (other);
    ck_assert_int_eq (fx_link_accept (child, h.data, h.len, NULL, NULL, 0, NULL, 0, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, NULL, NULL, 0, NULL, 0, &err), 0);
    ck_assert_int_eq (fx_link_accept (parent, h.data, h.len, NULL, NULL, 0, NULL, 0, &err), -1);
    ck_assert_int_eq (errno, EINVAL);
    free (h.data);
    ck_assert_int_eq (fx_link_frame_type (NULL, 0), -1);
    ck_assert_int_eq (fx_link_frame_type ("", 0), -1);
    ck_assert_int_eq (fx_link_frame_type ("\0", 1), -1);
    ck_assert_int_eq (fx_link_frame_type ("\5", 1), -1);
    ck_assert_int_eq (fx_link_frame_type ("\4", 1), FX_LINK_DATA);
    fx_link_destroy (child);
    fx_link_destroy (parent);
}
END_TEST

static Suite *link_suite (void)
{
    Suite *s = suite_create ("link");
    const struct fx_check_case cases[] = {
        {"handshake", test_handshake},
        {"wrong_certificate", test_wrong_certificate},
        {"tampered_hello", test_tampered_hello},
        {"malformed_hello", test_malformed_hello},
        {"hostname_fits", test_hostname_fits},
        {"tampered_welcome", test_tampered_welcome},
        {"malformed_welcome", test_malformed_welcome},
        {"welcome_replay", test_welcome_replay},
        {"data_tampered", test_data_tampered},
        {"replay", test_replay},
        {"refuse", test_refuse},
        {"truncated", test_truncated},
        {"oversize", test_oversize},
        {"session_keys_differ", test_session_keys_differ},
        {"misuse", test_misuse},
    };
    const struct fx_check_fixtures fx = {.setup = setup};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (link_suite ());
}
