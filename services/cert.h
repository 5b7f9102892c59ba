/* cert.h - the cluster certificate that proves membership of an instance's overlay.
 *
 * One file, made by "flux keygen", identical on every node and readable only by the
 * instance owner.  It holds an X25519 key pair; the overlay does not use the pair for key
 * exchange (links use fresh ephemeral keys) but derives from the secret key the MAC key
 * that signs hellos and welcomes and that is mixed into every session key (see
 * doc/overlay-security.md).  The text format is:
 *
 *     # comment lines and blank lines are ignored
 *     name = "fluke"
 *     public-key = "<64 lowercase hex digits>"
 *     secret-key = "<64 lowercase hex digits>"
 *
 * Each key exactly once, in any order; whitespace around "=" and at either end of a line is
 * allowed; nothing else is.  A struct fx_cert holds secrets: clear it with fx_cert_clear()
 * when done.
 */
#ifndef FX_CERT_H
#define FX_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "services/error.h"

#define FX_CERT_NAME_MAX         64   /* bytes of name, NUL included */
#define FX_CERT_AUTH_KEY_BYTES   32   /* crypto_auth_hmacsha256_KEYBYTES */
#define FX_CERT_FILE_MAX         4096 /* a larger file is refused */
#define FX_CERT_FINGERPRINT_SIZE 17   /* 16 hex digits and a NUL */

struct fx_cert {
    char name[FX_CERT_NAME_MAX]; /* 1..63 characters of [A-Za-z0-9._-] */
    uint8_t pk[crypto_kx_PUBLICKEYBYTES];
    uint8_t sk[crypto_kx_SECRETKEYBYTES];
    /* crypto_generichash (auth_key, 32, sk, 32, "flux-overlay-auth-v1", 20) */
    uint8_t auth_key[FX_CERT_AUTH_KEY_BYTES];
};

/* Fill cert with a fresh key pair named name and derive its auth_key.  Initializes libsodium
 * if needed.  Returns 0, or -1 with errno EINVAL (name NULL, empty, too long or with a
 * character outside [A-Za-z0-9._-]) or EIO (libsodium failed to initialize); cert is then
 * unchanged. */
int fx_cert_generate (struct fx_cert *cert, const char *name);

/* Create path (O_CREAT|O_EXCL, mode exactly 0600 whatever the umask), write cert in the text
 * format above and fsync it.  An existing file is never overwritten ("PATH: File exists",
 * errno EEXIST).  Returns 0, or -1 with errno set and err filled ("PATH: reason"); on failure
 * a file this call created is removed. */
int fx_cert_write (const struct fx_cert *cert, const char *path, struct fx_error *err);

/* Read and check the certificate at path.  Refused (-1, err filled, cert unchanged):
 *   - a file that is not a regular file, or larger than FX_CERT_FILE_MAX (EINVAL, EFBIG);
 *   - a file readable or writable by group or others (EPERM): "PATH: certificate is readable
 *     by group or others (mode 0644): run chmod 600 PATH";
 *   - any syntax error, unknown, duplicate or missing key, bad hex, invalid name, or a public
 *     key that does not match the secret key (EINVAL): "PATH:LINE: message" (a missing key
 *     names the last line of the file);
 *   - open/read errors (errno from the system): "PATH: reason".
 * On success cert holds the keys and the derived auth_key. */
int fx_cert_load (struct fx_cert *cert, const char *path, struct fx_error *err);

/* Write into buf (len bytes, FX_CERT_FINGERPRINT_SIZE for the whole of it) the fingerprint
 * of cert: the first 8 bytes, in lowercase hex, of BLAKE2b-128 of the public key.  Safe to
 * log: it reveals nothing about the secret key.  Output is cut to len - 1 characters and
 * NUL-terminated; nothing is written when len is 0. */
void fx_cert_fingerprint (const struct fx_cert *cert, char *buf, size_t len);

/* Zero every byte of cert (sodium_memzero), secrets included.  cert may be NULL. */
void fx_cert_clear (struct fx_cert *cert);

/* Decode exactly 2 * binlen lowercase hex digits into bin, without branching on the
 * digits (they may be secret).  Returns 0, or -1 on any other input. */
int fx_cert_hex_decode (uint8_t *bin, size_t binlen, const char *hex, size_t hexlen);

#endif
