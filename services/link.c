/* link.c - overlay link handshake and DATA framing; see link.h and doc/overlay-security.md.
 *
 * Owns one side's state: its role, its ephemeral X25519 key pair, the MAC key copied from the
 * certificate, the MAC of the hello (which binds the welcome and the session keys to it),
 * the two session keys and the two counters.  It talks only to libsodium and jansson; the
 * caller moves the frames.  Failure policy: every received frame is untrusted; anything not
 * exactly as specified is refused with errno and one line, the link's state is changed only
 * by a call that succeeds, and every secret is zeroed when no longer needed.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/link.h"

#define KEY_BYTES   32
#define MAC_BYTES   crypto_auth_hmacsha256_BYTES
#define NONCE_BYTES 16
#define HDR_BYTES   (1 + MAC_BYTES) /* type and MAC of a HELLO or WELCOME */
#define DATA_HDR    9               /* type and counter of a DATA frame */
#define TAG_BYTES   crypto_aead_chacha20poly1305_ietf_ABYTES
#define WELCOME_CTX "welcome"

enum link_state { LINK_NEW, LINK_HELLO_SENT, LINK_ACCEPTED, LINK_READY };

struct fx_link {
    int is_parent;
    enum link_state state;
    uint8_t auth_key[FX_CERT_AUTH_KEY_BYTES];
    uint8_t epk[crypto_kx_PUBLICKEYBYTES]; /* our ephemeral key pair */
    uint8_t esk[crypto_kx_SECRETKEYBYTES];
    uint8_t hello_mac[MAC_BYTES];
    uint8_t rx_key[KEY_BYTES], tx_key[KEY_BYTES];
    uint64_t tx_counter; /* last counter sent */
    uint64_t rx_counter; /* last counter accepted */
};

/* What a HELLO or WELCOME carries once parsed. */
struct hs_fields {
    uint32_t rank;
    char hostname[FX_LINK_HOSTNAME_MAX];
    char version[FX_LINK_VERSION_MAX];
    uint8_t pk[crypto_kx_PUBLICKEYBYTES];
    uint8_t nonce[NONCE_BYTES];
};

static void put64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
}

static uint64_t get64 (const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* 1 to size - 1 bytes of printable ASCII without spaces. */
static bool text_valid (const char *s, size_t size)
{
    size_t len;

    if (!s || (len = strnlen (s, size)) == 0 || len >= size)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
            return false;
    return true;
}

struct fx_link *fx_link_create (const struct fx_cert *cert, int is_parent)
{
    struct fx_link *l;

    if (!cert) {
        errno = EINVAL;
        return NULL;
    }
    if (sodium_init () < 0) {
        errno = EIO;
        return NULL;
    }
    if (!(l = calloc (1, sizeof (*l))))
        return NULL;
    l->is_parent = is_parent ? 1 : 0;
    l->state = LINK_NEW;
    memcpy (l->auth_key, cert->auth_key, sizeof (l->auth_key));
    crypto_kx_keypair (l->epk, l->esk);
    return l;
}

void fx_link_destroy (struct fx_link *l)
{
    if (l) {
        int saved_errno = errno;
        sodium_memzero (l, sizeof (*l));
        free (l);
        errno = saved_errno;
    }
}

/* [type][mac][text] or, with mac NULL, [type][text]; malloc'd. */
static int make_frame (int type, const uint8_t *mac, const char *text, void **frame, size_t *len)
{
    size_t tlen = strlen (text), hlen = mac ? HDR_BYTES : 1;
    uint8_t *buf;

    if (!(buf = malloc (hlen + tlen)))
        return -1;
    buf[0] = (uint8_t) type;
    if (mac)
        memcpy (buf + 1, mac, MAC_BYTES);
    memcpy (buf + hlen, text, tlen);
    *frame = buf;
    *len = hlen + tlen;
    return 0;
}

/* Compact JSON text of o (stolen); NULL with errno ENOMEM. */
static char *dump_json (json_t *o)
{
    char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;

    json_decref (o);
    if (!s)
        errno = ENOMEM;
    return s;
}

/* key = BLAKE2b-256 keyed with auth_key over kx_key || hello_mac. */
static void mix_key (uint8_t *key, const uint8_t *kx_key, const uint8_t *hello_mac,
                     const uint8_t *auth_key)
{
    uint8_t in[KEY_BYTES + MAC_BYTES];

    memcpy (in, kx_key, KEY_BYTES);
    memcpy (in + KEY_BYTES, hello_mac, MAC_BYTES);
    crypto_generichash (key, KEY_BYTES, in, sizeof (in), auth_key, FX_CERT_AUTH_KEY_BYTES);
    sodium_memzero (in, sizeof (in));
}

/* Derive both session keys from our ephemeral pair, the peer's public key and the hello's
 * MAC.  Fails (EPROTO) for a public key of low order. */
static int derive_keys (const struct fx_link *l, const uint8_t *peer_pk, const uint8_t *hello_mac,
                        uint8_t *rx, uint8_t *tx)
{
    uint8_t kx_rx[KEY_BYTES], kx_tx[KEY_BYTES];
    int rc;

    if (l->is_parent)
        rc = crypto_kx_server_session_keys (kx_rx, kx_tx, l->epk, l->esk, peer_pk);
    else
        rc = crypto_kx_client_session_keys (kx_rx, kx_tx, l->epk, l->esk, peer_pk);
    if (rc == 0) {
        mix_key (rx, kx_rx, hello_mac, l->auth_key);
        mix_key (tx, kx_tx, hello_mac, l->auth_key);
    }
    sodium_memzero (kx_rx, sizeof (kx_rx));
    sodium_memzero (kx_tx, sizeof (kx_tx));
    if (rc != 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int fx_link_hello (struct fx_link *l, uint32_t rank, const char *hostname, const char *version,
                   void **frame, size_t *len)
{
    char pk[2 * crypto_kx_PUBLICKEYBYTES + 1], nonce_hex[2 * NONCE_BYTES + 1];
    uint8_t nonce[NONCE_BYTES], mac[MAC_BYTES];
    char *text;
    int rc;

    if (!l || l->is_parent || l->state != LINK_NEW || !frame || !len ||
        !text_valid (hostname, FX_LINK_HOSTNAME_MAX) ||
        !text_valid (version, FX_LINK_VERSION_MAX)) {
        errno = EINVAL;
        return -1;
    }
    randombytes_buf (nonce, sizeof (nonce));
    sodium_bin2hex (pk, sizeof (pk), l->epk, sizeof (l->epk));
    sodium_bin2hex (nonce_hex, sizeof (nonce_hex), nonce, sizeof (nonce));
    if (!(text =
              dump_json (json_pack ("{s:I s:s s:s s:s s:s}", "rank", (json_int_t) rank, "hostname",
                                    hostname, "version", version, "pk", pk, "nonce", nonce_hex))))
        return -1;
    crypto_auth_hmacsha256 (mac, (const uint8_t *) text, strlen (text), l->auth_key);
    if ((rc = make_frame (FX_LINK_HELLO, mac, text, frame, len)) == 0) {
        memcpy (l->hello_mac, mac, MAC_BYTES);
        l->state = LINK_HELLO_SENT;
    }
    free (text);
    return rc;
}

/* The JSON object of a handshake frame; NULL with err filled (errno EPROTO). */
static json_t *parse_object (const char *what, const uint8_t *text, size_t len,
                             struct fx_error *err)
{
    json_error_t jerr;
    json_t *o;

    if (!(o = json_loadb ((const char *) text, len, JSON_REJECT_DUPLICATES, &jerr))) {
        errno = EPROTO;
        errprintf (err, "malformed %s: %s", what, jerr.text);
        return NULL;
    }
    if (!json_is_object (o)) {
        json_decref (o);
        errno = EPROTO;
        errprintf (err, "malformed %s: not a JSON object", what);
        return NULL;
    }
    return o;
}

/* Copy string member key of o into buf (size bytes) if it is valid text. */
static bool get_text (json_t *o, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get (o, key);
    const char *s;

    if (!json_is_string (v) || strlen (s = json_string_value (v)) != json_string_length (v) ||
        !text_valid (s, size))
        return false;
    strcpy (buf, s);
    return true;
}

static bool get_hex (json_t *o, const char *key, uint8_t *bin, size_t binlen)
{
    json_t *v = json_object_get (o, key);

    return json_is_string (v) &&
           fx_cert_hex_decode (bin, binlen, json_string_value (v), json_string_length (v)) == 0;
}

static bool get_rank (json_t *o, uint32_t *rank)
{
    json_t *v = json_object_get (o, "rank");
    json_int_t i;

    if (!json_is_integer (v) || (i = json_integer_value (v)) < 0 || i > (json_int_t) UINT32_MAX)
        return false;
    *rank = (uint32_t) i;
    return true;
}

/* Parse a hello (with_host) or welcome JSON text strictly into f. */
static int parse_fields (const char *what, const uint8_t *text, size_t len, bool with_host,
                         struct hs_fields *f, struct fx_error *err)
{
    json_t *o;
    const char *bad = NULL;

    if (!(o = parse_object (what, text, len, err)))
        return -1;
    if (json_object_size (o) != (with_host ? 5 : 4))
        bad = with_host ? "expected exactly rank, hostname, version, pk, nonce"
                        : "expected exactly rank, version, pk, nonce";
    else if (!get_rank (o, &f->rank))
        bad = "rank must be an integer 0..4294967295";
    else if (with_host && !get_text (o, "hostname", f->hostname, sizeof (f->hostname)))
        bad = "hostname must be a string of printable characters";
    else if (!get_text (o, "version", f->version, sizeof (f->version)))
        bad = "version must be a string of printable characters";
    else if (!get_hex (o, "pk", f->pk, sizeof (f->pk)))
        bad = "pk must be 64 lowercase hex digits";
    else if (!get_hex (o, "nonce", f->nonce, sizeof (f->nonce)))
        bad = "nonce must be 32 lowercase hex digits";
    json_decref (o);
    if (bad) {
        errno = EPROTO;
        return errprintf (err, "malformed %s: %s", what, bad);
    }
    return 0;
}

/* Type and length checks shared by HELLO and WELCOME. */
static int check_handshake_frame (int type, const char *what, const void *frame, size_t len,
                                  struct fx_error *err)
{
    errno = EPROTO;
    if (fx_link_frame_type (frame, len) != type)
        return errprintf (err, "expected a %s frame, got type %d", what,
                          len > 0 ? *(const uint8_t *) frame : -1);
    if (len <= HDR_BYTES)
        return errprintf (err, "%s frame too short (%zu bytes)", what, len);
    if (len > FX_LINK_HANDSHAKE_MAX)
        return errprintf (err, "%s frame too long (%zu bytes)", what, len);
    return 0;
}

static int copy_out (const char *what, const char *s, char *buf, size_t size, struct fx_error *err)
{
    if (!buf)
        return 0;
    if (strlen (s) >= size) {
        errno = EPROTO;
        return errprintf (err, "hello %s is too long", what);
    }
    strcpy (buf, s);
    return 0;
}

int fx_link_accept (struct fx_link *l, const void *frame, size_t len, uint32_t *rank,
                    char *hostname, size_t hostlen, char *version, size_t verlen,
                    struct fx_error *err)
{
    const uint8_t *p = frame;
    struct hs_fields f;
    uint8_t rx[KEY_BYTES], tx[KEY_BYTES];

    if (!l || !l->is_parent || l->state != LINK_NEW || (!frame && len > 0)) {
        errno = EINVAL;
        return errprintf (err, "link is not waiting for a hello");
    }
    if (check_handshake_frame (FX_LINK_HELLO, "hello", frame, len, err) < 0)
        return -1;
    if (crypto_auth_hmacsha256_verify (p + 1, p + HDR_BYTES, len - HDR_BYTES, l->auth_key) != 0) {
        errno = EPERM;
        return errprintf (err, "hello not signed with this instance's certificate");
    }
    if (parse_fields ("hello", p + HDR_BYTES, len - HDR_BYTES, true, &f, err) < 0 ||
        copy_out ("hostname", f.hostname, hostname, hostlen, err) < 0 ||
        copy_out ("version", f.version, version, verlen, err) < 0)
        return -1;
    if (derive_keys (l, f.pk, p + 1, rx, tx) < 0)
        return errprintf (err, "hello carries an invalid public key");
    memcpy (l->hello_mac, p + 1, MAC_BYTES);
    memcpy (l->rx_key, rx, KEY_BYTES);
    memcpy (l->tx_key, tx, KEY_BYTES);
    sodium_memzero (rx, sizeof (rx));
    sodium_memzero (tx, sizeof (tx));
    sodium_memzero (l->esk, sizeof (l->esk)); /* forward secrecy: no longer needed */
    l->state = LINK_ACCEPTED;
    if (rank)
        *rank = f.rank;
    return 0;
}

/* HMAC-SHA256 with auth_key over "welcome" || hello_mac || text. */
static void welcome_mac (const struct fx_link *l, const uint8_t *text, size_t len, uint8_t *mac)
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init (&st, l->auth_key, sizeof (l->auth_key));
    crypto_auth_hmacsha256_update (&st, (const uint8_t *) WELCOME_CTX, strlen (WELCOME_CTX));
    crypto_auth_hmacsha256_update (&st, l->hello_mac, MAC_BYTES);
    crypto_auth_hmacsha256_update (&st, text, len);
    crypto_auth_hmacsha256_final (&st, mac);
    sodium_memzero (&st, sizeof (st));
}

int fx_link_welcome (struct fx_link *l, uint32_t my_rank, const char *version, void **frame,
                     size_t *len)
{
    char pk[2 * crypto_kx_PUBLICKEYBYTES + 1], nonce_hex[2 * NONCE_BYTES + 1];
    uint8_t nonce[NONCE_BYTES], mac[MAC_BYTES];
    char *text;
    int rc;

    if (!l || !l->is_parent || l->state != LINK_ACCEPTED || !frame || !len ||
        !text_valid (version, FX_LINK_VERSION_MAX)) {
        errno = EINVAL;
        return -1;
    }
    randombytes_buf (nonce, sizeof (nonce));
    sodium_bin2hex (pk, sizeof (pk), l->epk, sizeof (l->epk));
    sodium_bin2hex (nonce_hex, sizeof (nonce_hex), nonce, sizeof (nonce));
    if (!(text = dump_json (json_pack ("{s:I s:s s:s s:s}", "rank", (json_int_t) my_rank, "version",
                                       version, "pk", pk, "nonce", nonce_hex))))
        return -1;
    welcome_mac (l, (const uint8_t *) text, strlen (text), mac);
    if ((rc = make_frame (FX_LINK_WELCOME, mac, text, frame, len)) == 0)
        l->state = LINK_READY;
    free (text);
    return rc;
}

int fx_link_refuse (const char *errstr, void **frame, size_t *len)
{
    json_t *o;
    char *text;
    size_t n;
    int rc;

    if (!errstr || !frame || !len) {
        errno = EINVAL;
        return -1;
    }
    n = strnlen (errstr, FX_LINK_REFUSE_MAX); /* escaped, it still fits one frame */
    while (n > 0 && n < strlen (errstr) && ((unsigned char) errstr[n] & 0xc0) == 0x80)
        n--; /* do not cut a UTF-8 sequence */
    if (!(o = json_pack ("{s:s%}", "errstr", errstr, n))) {
        errno = EINVAL; /* not UTF-8 */
        return -1;
    }
    if (!(text = dump_json (o)))
        return -1;
    rc = make_frame (FX_LINK_REFUSE, NULL, text, frame, len);
    free (text);
    return rc;
}

/* A REFUSE frame: err = its errstr, errno ECONNREFUSED; EPROTO if malformed. */
static int refused (const uint8_t *p, size_t len, struct fx_error *err)
{
    char msg[FX_ERROR_LEN];
    json_t *o;
    const char *s = NULL;
    size_t n = 0;

    if (len > FX_LINK_HANDSHAKE_MAX) {
        errno = EPROTO;
        return errprintf (err, "refuse frame too long (%zu bytes)", len);
    }
    if (!(o = parse_object ("refuse", p + 1, len - 1, err)))
        return -1;
    if (json_object_size (o) == 1 && json_is_string (json_object_get (o, "errstr"))) {
        s = json_string_value (json_object_get (o, "errstr"));
        for (n = 0; n < sizeof (msg) - 1 && s[n]; n++)
            msg[n] = (unsigned char) s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
        msg[n] = '\0';
    }
    json_decref (o);
    if (!s) {
        errno = EPROTO;
        return errprintf (err, "malformed refuse: expected exactly errstr");
    }
    errno = ECONNREFUSED;
    return errprintf (err, "%s", msg);
}

static int welcomed (struct fx_link *l, const uint8_t *p, size_t len, uint32_t *parent_rank,
                     struct fx_error *err)
{
    uint8_t mac[MAC_BYTES], rx[KEY_BYTES], tx[KEY_BYTES];
    struct hs_fields f;
    int ok;

    if (check_handshake_frame (FX_LINK_WELCOME, "welcome", p, len, err) < 0)
        return -1;
    welcome_mac (l, p + HDR_BYTES, len - HDR_BYTES, mac);
    ok = crypto_verify_32 (mac, p + 1) == 0;
    sodium_memzero (mac, sizeof (mac));
    if (!ok) {
        errno = EPERM;
        return errprintf (err, "welcome not signed with this instance's certificate "
                               "for this hello");
    }
    if (parse_fields ("welcome", p + HDR_BYTES, len - HDR_BYTES, false, &f, err) < 0)
        return -1;
    if (derive_keys (l, f.pk, l->hello_mac, rx, tx) < 0)
        return errprintf (err, "welcome carries an invalid public key");
    memcpy (l->rx_key, rx, KEY_BYTES);
    memcpy (l->tx_key, tx, KEY_BYTES);
    sodium_memzero (rx, sizeof (rx));
    sodium_memzero (tx, sizeof (tx));
    sodium_memzero (l->esk, sizeof (l->esk));
    l->state = LINK_READY;
    if (parent_rank)
        *parent_rank = f.rank;
    return 0;
}

int fx_link_welcomed (struct fx_link *l, const void *frame, size_t len, uint32_t *parent_rank,
                      struct fx_error *err)
{
    if (!l || l->is_parent || l->state != LINK_HELLO_SENT || (!frame && len > 0)) {
        errno = EINVAL;
        return errprintf (err, "link is not waiting for a welcome");
    }
    if (fx_link_frame_type (frame, len) == FX_LINK_REFUSE)
        return refused (frame, len, err);
    return welcomed (l, frame, len, parent_rank, err);
}

bool fx_link_ready (const struct fx_link *l)
{
    return l && l->state == LINK_READY;
}

/* The 12-byte IETF nonce: 4 zero bytes, then the counter as in the frame. */
static void data_nonce (uint8_t *nonce, const uint8_t *counter)
{
    memset (nonce, 0, 4);
    memcpy (nonce + 4, counter, 8);
}

int fx_link_seal (struct fx_link *l, const void *msg, size_t len, void **frame, size_t *flen)
{
    uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], *buf;
    unsigned long long clen;

    if (!fx_link_ready (l) || !frame || !flen || (!msg && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    if (len > FX_LINK_PAYLOAD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (l->tx_counter == UINT64_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    if (!(buf = malloc (len + FX_LINK_DATA_OVERHEAD)))
        return -1;
    buf[0] = FX_LINK_DATA;
    put64 (buf + 1, l->tx_counter + 1);
    data_nonce (nonce, buf + 1);
    crypto_aead_chacha20poly1305_ietf_encrypt (buf + DATA_HDR, &clen, msg ? msg : (const void *) "",
                                               len, buf, DATA_HDR, NULL, nonce, l->tx_key);
    l->tx_counter++;
    *frame = buf;
    *flen = DATA_HDR + (size_t) clen;
    return 0;
}

/* Checks made before decrypting: type, length, counter. */
static int check_data_frame (const struct fx_link *l, const uint8_t *p, size_t flen,
                             struct fx_error *err)
{
    uint64_t counter;

    errno = EPROTO;
    if (fx_link_frame_type (p, flen) != FX_LINK_DATA)
        return errprintf (err, "expected a data frame, got type %d", flen > 0 ? p[0] : -1);
    if (flen < FX_LINK_DATA_OVERHEAD)
        return errprintf (err, "data frame too short (%zu bytes)", flen);
    if (flen - FX_LINK_DATA_OVERHEAD > FX_LINK_PAYLOAD_MAX) {
        errno = EMSGSIZE;
        return errprintf (err, "data frame too large (%zu bytes)", flen);
    }
    if ((counter = get64 (p + 1)) <= l->rx_counter) {
        errno = EALREADY;
        return errprintf (err, "data frame replayed or out of order (counter %ju, last %ju)",
                          (uintmax_t) counter, (uintmax_t) l->rx_counter);
    }
    return 0;
}

int fx_link_open (struct fx_link *l, const void *frame, size_t flen, void **msg, size_t *len,
                  struct fx_error *err)
{
    uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], *out;
    const uint8_t *p = frame;
    unsigned long long mlen;
    size_t plen;

    if (!fx_link_ready (l) || !msg || !len || (!frame && flen > 0)) {
        errno = EINVAL;
        return errprintf (err, "link is not ready");
    }
    if (check_data_frame (l, p, flen, err) < 0)
        return -1;
    plen = flen - FX_LINK_DATA_OVERHEAD;
    if (!(out = malloc (plen ? plen : 1)))
        return errprintf (err, "out of memory");
    data_nonce (nonce, p + 1);
    if (crypto_aead_chacha20poly1305_ietf_decrypt (out, &mlen, NULL, p + DATA_HDR, flen - DATA_HDR,
                                                   p, DATA_HDR, nonce, l->rx_key) != 0) {
        free (out);
        errno = EPERM;
        return errprintf (err, "data frame failed authentication");
    }
    l->rx_counter = get64 (p + 1);
    *msg = out;
    *len = (size_t) mlen;
    return 0;
}

int fx_link_frame_type (const void *frame, size_t len)
{
    int type;

    if (!frame || len == 0)
        return -1;
    type = *(const uint8_t *) frame;
    return type >= FX_LINK_HELLO && type <= FX_LINK_DATA ? type : -1;
}
