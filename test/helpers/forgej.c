/* forgej.c - test helper: print a signed job request J, genuine or forged, for the IMP's tests.
 *
 *   forgej [PAYLOAD]              J signed by the caller (services/sign.c's fx_sign_wrap)
 *   forgej --userid=N [PAYLOAD]   J whose header names uid N but whose MUNGE credential is
 *                                 the caller's: what a user who tries to run a job as
 *                                 someone else would send
 *
 * PAYLOAD defaults to a small jobspec-like object.  The MUNGE socket is $FLUX_MUNGE_SOCKET
 * (or MUNGE's default).  Exits 1 with one line on stderr when signing fails.
 */
#include <munge.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth.h"
#include "services/sign.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static char *b64 (const char *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN (len, B64);
    char *s = malloc (n);

    if (!s)
        exit (1);
    return sodium_bin2base64 (s, n, (const unsigned char *) data, len, B64);
}

static char *forge (unsigned long userid, const char *payload)
{
    char header[96], *h, *p, *hp = NULL, *cred = NULL, *J = NULL;
    unsigned char d[crypto_hash_sha256_BYTES];
    const char *sock = fx_auth_socket ();
    munge_ctx_t ctx;

    if (sodium_init () < 0 || !(ctx = munge_ctx_create ()))
        return NULL;
    snprintf (header, sizeof (header), "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%lu}",
              userid);
    h = b64 (header, strlen (header));
    p = b64 (payload, strlen (payload));
    if (asprintf (&hp, "%s.%s", h, p) < 0)
        goto done;
    crypto_hash_sha256 (d, (const unsigned char *) hp, strlen (hp));
    if ((sock && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, sock) != EMUNGE_SUCCESS)
        || munge_encode (&cred, ctx, d, sizeof (d)) != EMUNGE_SUCCESS) {
        fprintf (stderr, "forgej: munge: %s\n", munge_ctx_strerror (ctx));
        goto done;
    }
    if (asprintf (&J, "%s.%s", hp, cred) < 0)
        J = NULL;
done:
    munge_ctx_destroy (ctx);
    free (cred);
    free (hp);
    free (p);
    free (h);
    return J;
}

int main (int argc, char **argv)
{
    const char *payload = "{\"version\":1}";
    struct fx_error err = {""};
    long userid = -1;
    char *J;
    int i = 1;

    if (i < argc && strncmp (argv[i], "--userid=", 9) == 0)
        userid = strtol (argv[i++] + 9, NULL, 10);
    if (i < argc)
        payload = argv[i];
    if (userid >= 0)
        J = forge ((unsigned long) userid, payload);
    else if (!(J = fx_sign_wrap (payload, strlen (payload), NULL, &err)))
        fprintf (stderr, "forgej: %s\n", err.text);
    if (!J)
        return 1;
    printf ("%s\n", J);
    free (J);
    return 0;
}
