/* sign.h - signed job requests (J): wrap a jobspec with the submitter's MUNGE credential,
 * unwrap and verify it (doc/job.md, "Signing").
 *
 * J is HEADER.PAYLOAD.SIGNATURE: base64url of {"version":1,"mechanism":"munge","userid":N},
 * base64url of the payload, and a MUNGE credential over the SHA-256 of HEADER.PAYLOAD.
 * MUNGE calls block on munged: commands call them directly; a daemon uses the asynchronous
 * form, which runs them on worker threads and calls back in the loop.
 */
#ifndef FX_SIGN_H
#define FX_SIGN_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "services/error.h"

#define FX_SIGN_MAX_TTL_DEFAULT 1209600 /* seconds: sign.max-ttl when not configured */

/* Wrap len bytes of payload as the calling user.  munge_socket NULL = MUNGE's default (or
 * $FLUX_MUNGE_SOCKET when set).  Returns a new string (free()), or NULL with errno and a
 * message in err ("munge: Socket communication error"). */
char *fx_sign_wrap (const void *payload, size_t len, const char *munge_socket,
                    struct fx_error *err);

/* Verify J and extract its payload.  A credential older than max_ttl seconds is refused
 * (EKEYEXPIRED, "signature expired (encoded 3 days ago, sign.max-ttl is 1d)"); a replayed
 * credential is accepted (the IMP verifies what jobd verified).  On success *userid is the
 * signer, *payload a NUL-terminated copy (free()) of *len bytes.  Returns 0, or -1 with
 * errno EINVAL (malformed, digest mismatch, uid not the header's: err says which),
 * EPERM (MUNGE refused the credential), EKEYEXPIRED, EIO (munged unreachable), ENOMEM. */
int fx_sign_unwrap (const char *J, int64_t max_ttl, const char *munge_socket, uint32_t *userid,
                    char **payload, size_t *len, struct fx_error *err);

/* Asynchronous unwrap for daemons: at most `workers` threads (started as the queue needs
 * them) call fx_sign_unwrap() and each result is delivered by cb in the loop thread, in any
 * order.  J is copied.  In cb, rc is 0 (userid, payload and len as fx_sign_unwrap() gives
 * them; cb owns payload and frees it) or -1 with errno set and err's message (payload
 * NULL).  fx_signer_unwrap() returns -1 with EINVAL or ENOMEM, or the error of
 * pthread_create() when no worker could be started. */
struct fx_signer;
typedef void (*fx_sign_f) (int rc, uint32_t userid, char *payload, size_t len,
                           const struct fx_error *err, void *arg);

struct fx_signer *fx_signer_create (struct ev_loop *loop, int workers, int64_t max_ttl,
                                    const char *munge_socket);
void fx_signer_destroy (struct fx_signer *s); /* waits for the workers; pending callbacks dropped */
int fx_signer_unwrap (struct fx_signer *s, const char *J, fx_sign_f cb, void *arg);
void fx_signer_set_max_ttl (struct fx_signer *s, int64_t max_ttl);

#endif
