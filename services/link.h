/* link.h - handshake and encrypted framing of one overlay link (see doc/overlay-security.md).
 *
 * One struct fx_link is one side of one link: the child (the connecting broker) or the parent
 * (the binding one).  The module does no I/O: the caller moves each frame as one nanomsg
 * message.  Every frame starts with its type byte:
 *
 *     1 HELLO    child -> parent  [1][HMAC-SHA256 32][JSON rank, hostname, version, pk, nonce]
 *     2 WELCOME  parent -> child  [2][HMAC-SHA256 32][JSON rank, version, pk, nonce]
 *     3 REFUSE   parent -> child  [3][JSON errstr]                 (not authenticated)
 *     4 DATA     both ways        [4][counter 8, big-endian][ChaCha20-Poly1305 ciphertext]
 *
 * Sequence: child fx_link_hello() -> parent fx_link_accept(), the caller checks rank, host
 * and version against its configuration, then fx_link_welcome() (or fx_link_refuse()) ->
 * child fx_link_welcomed().  Both sides are then ready and exchange DATA frames with
 * fx_link_seal() / fx_link_open().
 *
 * Frames returned through void **frame / void **msg are malloc'd and belong to the caller,
 * who frees them with free().  Functions that take a struct fx_error fill it with one line on
 * failure.  No input, however malformed, makes these functions crash or read out of bounds.
 */
#ifndef FX_LINK_H
#define FX_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/cert.h"
#include "services/error.h"

enum {
    FX_LINK_HELLO = 1,
    FX_LINK_WELCOME = 2,
    FX_LINK_REFUSE = 3,
    FX_LINK_DATA = 4,
};

#define FX_LINK_PAYLOAD_MAX   (16 * 1024 * 1024 + 1024) /* plaintext bytes of one DATA frame */
#define FX_LINK_DATA_OVERHEAD (1 + 8 + 16)              /* type, counter, Poly1305 tag */
#define FX_LINK_HANDSHAKE_MAX 4096 /* a larger HELLO, WELCOME or REFUSE frame is refused */
#define FX_LINK_REFUSE_MAX    512  /* bytes of a REFUSE message kept */
#define FX_LINK_HOSTNAME_MAX  256  /* bytes of hostname, NUL included */
#define FX_LINK_VERSION_MAX   64   /* bytes of version string, NUL included */

struct fx_link;

/* Create one side of a link (is_parent: the binding side) for the instance whose certificate
 * is cert.  The link copies the MAC key it needs (cert may be cleared afterwards) and makes
 * a fresh ephemeral X25519 key pair.  Initializes libsodium if needed.  Returns NULL with
 * errno EINVAL (cert NULL), ENOMEM or EIO (libsodium failed to initialize). */
struct fx_link *fx_link_create (const struct fx_cert *cert, int is_parent);

/* Zero every secret (keys, counters) and free l.  l may be NULL; errno is kept. */
void fx_link_destroy (struct fx_link *l);

/* Child: build the HELLO frame announcing rank, hostname and version (each string 1 byte to
 * its _MAX - 1 bytes of printable ASCII, no spaces).  Only once per link.  On success *frame
 * (malloc'd, caller frees) and *len are set.  Returns -1 with errno EINVAL (not a child, hello
 * already built, bad argument) or ENOMEM. */
int fx_link_hello (struct fx_link *l, uint32_t rank, const char *hostname, const char *version,
                   void **frame, size_t *len);

/* Parent: verify a received HELLO.  The MAC is checked first (constant time), then the JSON
 * strictly: exactly the keys rank, hostname, version, pk, nonce, with their types, lengths
 * and lowercase hex.  On success fills *rank, hostname (hostlen bytes) and version (verlen
 * bytes) for the caller's checks and derives the session keys; the link is not ready until
 * fx_link_welcome().  Returns -1 with err filled and errno:
 *   EPERM  the MAC does not match: "hello not signed with this instance's certificate";
 *   EPROTO anything malformed (type, length, JSON, a low-order public key), or a hostname or
 *          version that does not fit the caller's buffer;
 *   EINVAL not a parent, or a hello was already accepted on this link.
 * A failed call leaves the link unchanged. */
int fx_link_accept (struct fx_link *l, const void *frame, size_t len, uint32_t *rank,
                    char *hostname, size_t hostlen, char *version, size_t verlen,
                    struct fx_error *err);

/* Parent: after the caller accepted the child's rank, host and version, build the WELCOME
 * frame (malloc'd, caller frees) carrying my_rank and version; the link is then ready.
 * Returns -1 with errno EINVAL (no accepted hello, already welcomed, bad version) or ENOMEM. */
int fx_link_welcome (struct fx_link *l, uint32_t my_rank, const char *version, void **frame,
                     size_t *len);

/* Parent: build a REFUSE frame carrying errstr (one line, UTF-8; cut to FX_LINK_REFUSE_MAX
 * bytes).  *frame is malloc'd, caller frees.  Returns -1 with errno EINVAL or ENOMEM. */
int fx_link_refuse (const char *errstr, void **frame, size_t *len);

/* Child: handle the parent's answer to its hello.
 *   WELCOME: verify the MAC over "welcome" || our hello's MAC || JSON (constant time), parse
 *            strictly, derive the session keys; the link is ready and *parent_rank is set.
 *            EPERM if the MAC does not match (wrong certificate, or a welcome made for another
 *            hello), EPROTO if malformed.
 *   REFUSE:  errno ECONNREFUSED, err = the parent's errstr (control characters replaced by
 *            '?'; the frame is not authenticated, so treat it as a hint).
 * Other frames: EPROTO.  EINVAL if not a child waiting for a welcome.  A failed call leaves
 * the link unchanged. */
int fx_link_welcomed (struct fx_link *l, const void *frame, size_t len, uint32_t *parent_rank,
                      struct fx_error *err);

/* Whether the handshake is complete on this side (DATA may be sealed and opened). */
bool fx_link_ready (const struct fx_link *l);

/* Seal msg (len bytes, at most FX_LINK_PAYLOAD_MAX; msg may be NULL when len is 0) into a
 * DATA frame with the next send counter.  *frame (len + FX_LINK_DATA_OVERHEAD bytes,
 * malloc'd, caller frees).  Returns -1 with errno EINVAL (not ready), EMSGSIZE (too large),
 * EOVERFLOW (counter exhausted) or ENOMEM. */
int fx_link_seal (struct fx_link *l, const void *msg, size_t len, void **frame, size_t *flen);

/* Open a DATA frame: checks the type and length, refuses a counter not above the last one
 * accepted, then authenticates and decrypts.  On success *msg (malloc'd, at least 1 byte even
 * for an empty payload, caller frees) and *len are set and the counter is recorded.  Returns
 * -1 with err filled and errno EPROTO (malformed), EMSGSIZE (payload larger than
 * FX_LINK_PAYLOAD_MAX; refused before decrypting), EALREADY (counter replayed or out of
 * order), EPERM (authentication failed), EINVAL (not ready) or ENOMEM.  A failed call leaves
 * the link unchanged. */
int fx_link_open (struct fx_link *l, const void *frame, size_t flen, void **msg, size_t *len,
                  struct fx_error *err);

/* The frame type (FX_LINK_HELLO..FX_LINK_DATA) of a received buffer, or -1 when it is empty
 * or starts with any other byte. */
int fx_link_frame_type (const void *frame, size_t len);

#endif
