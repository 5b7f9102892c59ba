/* cert.c - generate, write and load the cluster certificate; see cert.h.
 *
 * Owns only the struct fx_cert the caller passes in and the file it is asked to create; it
 * talks to libsodium for keys and hashes and to the file system.  Failure policy: anything
 * that is not exactly the documented format, or a file others could read or change, is
 * refused with one line naming the file (and line); a failed call leaves the caller's
 * certificate unchanged and removes any file it created.  Every buffer that held secret
 * material (file text, parsed keys) is zeroed before it is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/cert.h"

#define AUTH_CONTEXT     "flux-overlay-auth-v1"
#define AUTH_CONTEXT_LEN 20
#define HEX_KEY_LEN      (2 * crypto_kx_SECRETKEYBYTES)

enum { KEY_NAME, KEY_PUBLIC, KEY_SECRET, KEY_COUNT };
static const char *const key_names[KEY_COUNT] = {"name", "public-key", "secret-key"};

static int sodium_ready (void)
{
    if (sodium_init () < 0) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static bool name_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static bool name_valid (const char *s, size_t len)
{
    if (len == 0 || len >= FX_CERT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char (s[i]))
            return false;
    return true;
}

/* Decode exactly 2 * binlen lowercase hex digits.  The character check does not branch on
 * the (secret) digits, and sodium_hex2bin() is constant-time. */
int fx_cert_hex_decode (uint8_t *bin, size_t binlen, const char *hex, size_t hexlen)
{
    unsigned bad = 0;

    if (hexlen != 2 * binlen)
        return -1;
    for (size_t i = 0; i < hexlen; i++) {
        unsigned c = (unsigned char) hex[i];
        bad |= !(((c - '0') <= 9u) | ((c - 'a') <= 5u));
    }
    if (bad || sodium_hex2bin (bin, binlen, hex, hexlen, NULL, NULL, NULL) != 0)
        return -1;
    return 0;
}

static void derive_auth_key (struct fx_cert *cert)
{
    crypto_generichash (cert->auth_key, sizeof (cert->auth_key), cert->sk, sizeof (cert->sk),
                        (const uint8_t *) AUTH_CONTEXT, AUTH_CONTEXT_LEN);
}

int fx_cert_generate (struct fx_cert *cert, const char *name)
{
    struct fx_cert c;

    if (!cert || !name || !name_valid (name, strlen (name))) {
        errno = EINVAL;
        return -1;
    }
    if (sodium_ready () < 0)
        return -1;
    memset (&c, 0, sizeof (c));
    strcpy (c.name, name);
    crypto_kx_keypair (c.pk, c.sk);
    derive_auth_key (&c);
    *cert = c;
    sodium_memzero (&c, sizeof (c));
    return 0;
}

/* The file text; returns its length (the buffer is large enough by construction). */
static size_t format_cert (const struct fx_cert *cert, char *buf, size_t size)
{
    char pk[HEX_KEY_LEN + 1], sk[HEX_KEY_LEN + 1];
    int n;

    sodium_bin2hex (pk, sizeof (pk), cert->pk, sizeof (cert->pk));
    sodium_bin2hex (sk, sizeof (sk), cert->sk, sizeof (cert->sk));
    n = snprintf (buf, size,
                  "# Flux cluster certificate: every node of the instance needs this file; keep "
                  "it secret\n"
                  "# (mode 0600, owned by the instance owner).\n"
                  "name = \"%s\"\n"
                  "public-key = \"%s\"\n"
                  "secret-key = \"%s\"\n",
                  cert->name, pk, sk);
    sodium_memzero (sk, sizeof (sk));
    return n < 0 ? 0 : (size_t) n;
}

static int write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Make the new directory entry durable; best effort (the file itself is already synced). */
static void fsync_dir (const char *path)
{
    char *copy = strdup (path);
    int fd;

    if (!copy)
        return;
    if ((fd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void) fsync (fd);
        close (fd);
    }
    free (copy);
}

int fx_cert_write (const struct fx_cert *cert, const char *path, struct fx_error *err)
{
    char buf[512];
    size_t len;
    int fd, saved_errno;

    if (!cert || !path || !name_valid (cert->name, strnlen (cert->name, FX_CERT_NAME_MAX))) {
        errno = EINVAL;
        return errprintf (err, "%s: invalid certificate", path ? path : "(null)");
    }
    if ((fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return errprintf (err, "%s: %s", path, strerror (errno));
    len = format_cert (cert, buf, sizeof (buf));
    if (fchmod (fd, 0600) < 0 || write_all (fd, buf, len) < 0 || fsync (fd) < 0) {
        saved_errno = errno;
        sodium_memzero (buf, sizeof (buf));
        close (fd);
        unlink (path);
        errno = saved_errno;
        return errprintf (err, "%s: %s", path, strerror (errno));
    }
    sodium_memzero (buf, sizeof (buf));
    if (close (fd) < 0) {
        saved_errno = errno;
        unlink (path);
        errno = saved_errno;
        return errprintf (err, "%s: %s", path, strerror (errno));
    }
    fsync_dir (path);
    return 0;
}

/* Check an open certificate file's type, permissions and size. */
static int check_file (int fd, const char *path, struct fx_error *err)
{
    struct stat st;

    if (fstat (fd, &st) < 0)
        return errprintf (err, "%s: %s", path, strerror (errno));
    if (!S_ISREG (st.st_mode)) {
        errno = EINVAL;
        return errprintf (err, "%s: certificate is not a regular file", path);
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        errno = EPERM;
        return errprintf (err,
                          "%s: certificate is readable by group or others (mode %04o): "
                          "run chmod 600 %s",
                          path, (unsigned) (st.st_mode & 07777), path);
    }
    if (st.st_size > FX_CERT_FILE_MAX) {
        errno = EFBIG;
        return errprintf (err, "%s: certificate is larger than %d bytes", path, FX_CERT_FILE_MAX);
    }
    return 0;
}

/* Read the whole file into buf (FX_CERT_FILE_MAX + 1 bytes); *lenp gets its length.
 * The size is checked again while reading, since the file may grow after fstat(). */
static int read_cert_file (const char *path, char *buf, size_t *lenp, struct fx_error *err)
{
    size_t len = 0;
    ssize_t n;
    int fd, saved_errno;

    if ((fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return errprintf (err, "%s: %s", path, strerror (errno));
    if (check_file (fd, path, err) < 0)
        goto error;
    while (len <= FX_CERT_FILE_MAX) {
        if ((n = read (fd, buf + len, FX_CERT_FILE_MAX + 1 - len)) < 0) {
            if (errno == EINTR)
                continue;
            errprintf (err, "%s: %s", path, strerror (errno));
            goto error;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    if (len > FX_CERT_FILE_MAX) {
        errno = EFBIG;
        errprintf (err, "%s: certificate is larger than %d bytes", path, FX_CERT_FILE_MAX);
        goto error;
    }
    close (fd);
    *lenp = len;
    return 0;
error:
    saved_errno = errno;
    close (fd);
    errno = saved_errno;
    return -1;
}

struct parser {
    const char *path;
    struct fx_cert cert;
    int line_of[KEY_COUNT]; /* line where each key was set; 0 = not yet */
    int line;               /* current line number, from 1 */
    struct fx_error *err;
};

static int parse_error (struct parser *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int parse_error (struct parser *p, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    errno = EINVAL;
    return errprintf (p->err, "%s:%d: %s", p->path, p->line, msg);
}

static bool blank (char c)
{
    return c == ' ' || c == '\t';
}

/* Store one value; the key must be known and not yet set. */
static int set_key (struct parser *p, const char *key, size_t klen, const char *val, size_t vlen)
{
    char shown[40];
    int k;

    snprintf (shown, sizeof (shown), "%.*s", klen > 32 ? 32 : (int) klen, key);
    for (k = 0; k < KEY_COUNT; k++)
        if (strlen (key_names[k]) == klen && !memcmp (key_names[k], key, klen))
            break;
    if (k == KEY_COUNT)
        return parse_error (p, "unknown key '%s'", shown);
    if (p->line_of[k])
        return parse_error (p, "duplicate key '%s'", shown);
    if (k == KEY_NAME) {
        if (!name_valid (val, vlen))
            return parse_error (p, "%s: must be 1-63 characters of [A-Za-z0-9._-]", shown);
        memcpy (p->cert.name, val, vlen);
        p->cert.name[vlen] = '\0';
    } else {
        uint8_t *bin = k == KEY_PUBLIC ? p->cert.pk : p->cert.sk;
        if (fx_cert_hex_decode (bin, crypto_kx_PUBLICKEYBYTES, val, vlen) < 0)
            return parse_error (p, "%s: expected 64 lowercase hex digits", shown);
    }
    p->line_of[k] = p->line;
    return 0;
}

/* Parse one line (without its newline): blank, a comment, or key = "value". */
static int parse_line (struct parser *p, const char *s, size_t len)
{
    size_t i = 0, klen, vstart;

    while (len > 0 && blank (s[len - 1]))
        len--;
    while (i < len && blank (s[i]))
        i++;
    if (i == len || s[i] == '#')
        return 0;
    if (s[len - 1] == '\r')
        return parse_error (p, "carriage return at end of line (DOS line ending?)");
    for (klen = 0; i + klen < len && (name_char (s[i + klen]) && s[i + klen] != '.'); klen++)
        ;
    vstart = i + klen;
    while (vstart < len && blank (s[vstart]))
        vstart++;
    if (klen == 0 || vstart >= len || s[vstart] != '=')
        return parse_error (p, "expected: key = \"value\"");
    vstart++;
    while (vstart < len && blank (s[vstart]))
        vstart++;
    if (vstart >= len || s[vstart] != '"')
        return parse_error (p, "value must be a double-quoted string");
    vstart++;
    if (vstart >= len || s[len - 1] != '"')
        return parse_error (p, "unterminated string or text after the closing quote");
    for (size_t j = vstart; j < len - 1; j++)
        if (s[j] == '"' || s[j] == '\\' || (unsigned char) s[j] < 0x20 || s[j] == 0x7f)
            return parse_error (p, "quotes, backslashes and control characters are not "
                                   "allowed in a value");
    return set_key (p, s + i, klen, s + vstart, len - 1 - vstart);
}

/* All keys present, and the public key derived from the secret key. */
static int check_keys (struct parser *p)
{
    uint8_t pk[crypto_scalarmult_BYTES];
    int rc = 0;

    for (int k = 0; k < KEY_COUNT; k++)
        if (!p->line_of[k])
            return parse_error (p, "missing key '%s'", key_names[k]);
    if (crypto_scalarmult_base (pk, p->cert.sk) != 0 ||
        sodium_memcmp (pk, p->cert.pk, sizeof (pk)) != 0) {
        p->line = p->line_of[KEY_PUBLIC];
        rc = parse_error (p, "public-key does not match secret-key");
    }
    sodium_memzero (pk, sizeof (pk));
    return rc;
}

static int parse_text (struct parser *p, const char *text, size_t len)
{
    size_t start = 0;

    if (memchr (text, '\0', len)) {
        p->line = 1;
        for (const char *c = text; *c; c++)
            p->line += *c == '\n';
        return parse_error (p, "NUL byte in file");
    }
    while (start < len) {
        const char *nl = memchr (text + start, '\n', len - start);
        size_t end = nl ? (size_t) (nl - text) : len;
        p->line++;
        if (parse_line (p, text + start, end - start) < 0)
            return -1;
        start = end + 1;
    }
    if (p->line == 0)
        p->line = 1;
    return check_keys (p);
}

int fx_cert_load (struct fx_cert *cert, const char *path, struct fx_error *err)
{
    char *text;
    size_t len = 0;
    struct parser p = {.path = path, .err = err};
    int rc = -1, saved_errno;

    if (!cert || !path) {
        errno = EINVAL;
        return errprintf (err, "invalid argument");
    }
    if (sodium_ready () < 0)
        return errprintf (err, "%s: libsodium failed to initialize", path);
    if (!(text = malloc (FX_CERT_FILE_MAX + 1)))
        return errprintf (err, "%s: %s", path, strerror (errno));
    if (read_cert_file (path, text, &len, err) == 0 && parse_text (&p, text, len) == 0) {
        derive_auth_key (&p.cert);
        *cert = p.cert;
        rc = 0;
    }
    saved_errno = errno;
    sodium_memzero (text, FX_CERT_FILE_MAX + 1);
    free (text);
    sodium_memzero (&p.cert, sizeof (p.cert));
    errno = saved_errno;
    return rc;
}

void fx_cert_fingerprint (const struct fx_cert *cert, char *buf, size_t len)
{
    uint8_t hash[crypto_generichash_BYTES_MIN];
    char hex[FX_CERT_FINGERPRINT_SIZE];

    if (!buf || len == 0)
        return;
    if (!cert) {
        buf[0] = '\0';
        return;
    }
    crypto_generichash (hash, sizeof (hash), cert->pk, sizeof (cert->pk), NULL, 0);
    sodium_bin2hex (hex, sizeof (hex), hash, (FX_CERT_FINGERPRINT_SIZE - 1) / 2);
    snprintf (buf, len, "%s", hex);
}

void fx_cert_clear (struct fx_cert *cert)
{
    if (cert)
        sodium_memzero (cert, sizeof (*cert));
}
