/* check_sign.c - services/sign.c against a private munged: wrap and unwrap, every tampering
 * refused, replays accepted, max_ttl enforced, and the asynchronous pool delivering in the
 * loop. */
#include <dirent.h>
#include <errno.h>
#include <munge.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "services/sign.h"
#include "test/unit/check.h"
#include "test/unit/munged.h"

#define TTL FX_SIGN_MAX_TTL_DEFAULT
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void munged_setup (void)
{
    test_munged_dir_setup ("check_sign");
}

static char *wrap (const char *payload)
{
    struct fx_error err = {""};
    char *J = fx_sign_wrap (payload, strlen (payload), NULL, &err);

    ck_assert_msg (J != NULL, "wrap: %s", err.text);
    return J;
}

/* Unwrap J expecting failure with errno e and a message starting with prefix. */
static void unwrap_fails (const char *J, int64_t ttl, int e, const char *prefix)
{
    struct fx_error err = {""};
    uint32_t uid = 42;
    char *p = NULL;
    size_t len = 0;

    errno = 0;
    ck_assert_msg (fx_sign_unwrap (J, ttl, NULL, &uid, &p, &len, &err) < 0, "accepted %s", J);
    ck_assert_msg (errno == e, "errno %d (%s), expected %d; %s", errno, strerror (errno), e,
                   err.text);
    ck_assert_msg (!strncmp (err.text, prefix, strlen (prefix)), "got '%s', expected '%s...'",
                   err.text, prefix);
    ck_assert_ptr_null (p);
    ck_assert_uint_eq (uid, 42);
}

static char *b64 (const void *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN (len, B64);
    char *s = malloc (n);

    return sodium_bin2base64 (s, n, data, len, B64);
}

/* A J with the given header text, signed properly over it by this user. */
static char *forge (const char *header, const char *payload)
{
    unsigned char d[crypto_hash_sha256_BYTES];
    char *h = b64 (header, strlen (header)), *p = b64 (payload, strlen (payload));
    char *hp, *cred, *J;
    munge_ctx_t ctx = munge_ctx_create ();

    ck_assert_int_eq (munge_ctx_set (ctx, MUNGE_OPT_SOCKET, getenv ("FLUX_MUNGE_SOCKET")), 0);
    ck_assert_int_ge (asprintf (&hp, "%s.%s", h, p), 0);
    crypto_hash_sha256 (d, (unsigned char *) hp, strlen (hp));
    ck_assert_int_eq (munge_encode (&cred, ctx, d, sizeof (d)), EMUNGE_SUCCESS);
    ck_assert_int_ge (asprintf (&J, "%s.%s", hp, cred), 0);
    munge_ctx_destroy (ctx);
    free (h);
    free (p);
    free (hp);
    free (cred);
    return J;
}

START_TEST (wrap_unwrap)
{
    struct fx_error err = {""};
    char *J = wrap ("{\"version\":1}"), *p = NULL;
    uint32_t uid = 0;
    size_t len = 0;

    ck_assert_int_eq (fx_sign_unwrap (J, TTL, NULL, &uid, &p, &len, &err), 0);
    ck_assert_uint_eq (uid, getuid ());
    ck_assert_uint_eq (len, 13);
    ck_assert_str_eq (p, "{\"version\":1}");
    free (p);
    /* a binary payload with a NUL comes back whole */
    free (J);
    ck_assert_ptr_nonnull (J = fx_sign_wrap ("a\0b", 3, getenv ("FLUX_MUNGE_SOCKET"), &err));
    ck_assert_int_eq (fx_sign_unwrap (J, TTL, getenv ("FLUX_MUNGE_SOCKET"), &uid, &p, &len, &err),
                      0);
    ck_assert_uint_eq (len, 3);
    ck_assert_int_eq (memcmp (p, "a\0b", 4), 0);
    free (p);
    free (J);
}
END_TEST

START_TEST (header_format)
{
    char *J = wrap ("x"), *dot = strchr (J, '.'), hdr[128], want[128];
    size_t len;

    ck_assert_int_eq (
        sodium_base642bin ((unsigned char *) hdr, sizeof (hdr), J, dot - J, NULL, &len, NULL, B64),
        0);
    hdr[len] = '\0';
    snprintf (want, sizeof (want), "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%u}",
              (unsigned) getuid ());
    ck_assert_str_eq (hdr, want);
    free (J);
}
END_TEST

START_TEST (replay_accepted)
{
    char *J = wrap ("again"), *p;
    uint32_t uid;
    size_t len;

    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq (fx_sign_unwrap (J, TTL, NULL, &uid, &p, &len, NULL), 0);
        ck_assert_str_eq (p, "again");
        free (p);
    }
    free (J);
}
END_TEST

START_TEST (tampered_header)
{
    char hdr[128], *J = wrap ("payload"), *bad, *h;

    /* another user's header in front of this user's payload and credential */
    snprintf (hdr, sizeof (hdr), "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%u}",
              (unsigned) getuid () + 1);
    h = b64 (hdr, strlen (hdr));
    ck_assert_int_ge (asprintf (&bad, "%s%s", h, strchr (J, '.')), 0);
    unwrap_fails (bad, TTL, EINVAL, "J: signature does not match the header and payload");
    free (bad);
    free (h);
    free (J);
}
END_TEST

START_TEST (tampered_payload)
{
    char *J = wrap ("{\"a\":1}"), *p2 = b64 ("{\"a\":2}", 7), *bad, *dot1 = strchr (J, '.');
    char *dot2 = strchr (dot1 + 1, '.');

    ck_assert_int_ge (asprintf (&bad, "%.*s.%s%s", (int) (dot1 - J), J, p2, dot2), 0);
    unwrap_fails (bad, TTL, EINVAL, "J: signature does not match the header and payload");
    /* one character of the payload changed */
    free (bad);
    bad = strdup (J);
    bad[dot1 - J + 2] = bad[dot1 - J + 2] == 'A' ? 'B' : 'A';
    unwrap_fails (bad, TTL, EINVAL, "J: signature does not match the header and payload");
    free (bad);
    free (p2);
    free (J);
}
END_TEST

START_TEST (wrong_uid_header)
{
    char hdr[128], *J, msg[128];

    snprintf (hdr, sizeof (hdr), "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%u}",
              (unsigned) getuid () + 1);
    J = forge (hdr, "payload");
    snprintf (msg, sizeof (msg), "J: signed by uid %u, header says userid %u", (unsigned) getuid (),
              (unsigned) getuid () + 1);
    unwrap_fails (J, TTL, EINVAL, msg);
    free (J);
}
END_TEST

START_TEST (bad_headers)
{
    static const struct {
        const char *header, *message;
    } t[] = {
        {"{\"version\":2,\"mechanism\":\"munge\",\"userid\":0}", "J: header version 2 is not 1"},
        {"{\"version\":1,\"mechanism\":\"none\",\"userid\":0}", "J: mechanism none is not munge"},
        {"{\"version\":1,\"mechanism\":\"munge\",\"userid\":-1}",
         "J: header userid -1 is out of range"},
        {"{\"version\":1,\"mechanism\":\"munge\"}", "J: header is not {"},
        {"{\"version\":1,\"mechanism\":\"munge\",\"userid\":0,\"x\":1}", "J: header is not {"},
        {"{\"version\":1,\"version\":1,\"mechanism\":\"munge\",\"userid\":0}",
         "J: header is not {"},
        {"not json", "J: header is not {"},
    };

    for (size_t i = 0; i < sizeof (t) / sizeof (t[0]); i++) {
        char *J = forge (t[i].header, "p");
        unwrap_fails (J, TTL, EINVAL, t[i].message);
        free (J);
    }
}
END_TEST

START_TEST (truncated)
{
    char *J = wrap ("truncate me"), *cut;
    size_t n = strlen (J);

    unwrap_fails ("", TTL, EINVAL, "J: not HEADER.PAYLOAD.SIGNATURE");
    unwrap_fails ("abc", TTL, EINVAL, "J: not HEADER.PAYLOAD.SIGNATURE");
    unwrap_fails ("a.b", TTL, EINVAL, "J: not HEADER.PAYLOAD.SIGNATURE");
    unwrap_fails ("a.b.", TTL, EINVAL, "J: not HEADER.PAYLOAD.SIGNATURE");
    unwrap_fails ("!!.b.c", TTL, EINVAL, "J: header is not base64url");
    unwrap_fails (NULL, TTL, EINVAL, "J: missing");
    /* every cut through the credential is refused by MUNGE */
    for (size_t len = n - 1; len > n - 40; len -= 7) {
        cut = strndup (J, len);
        unwrap_fails (cut, TTL, EPERM, "munge: ");
        free (cut);
    }
    /* a cut in the header or the payload leaves no three parts */
    cut = strndup (J, strchr (strchr (J, '.') + 1, '.') - J);
    unwrap_fails (cut, TTL, EINVAL, "J: not HEADER.PAYLOAD.SIGNATURE");
    free (cut);
    free (J);
}
END_TEST

START_TEST (max_ttl)
{
    char *J = wrap ("old");

    unwrap_fails (J, 0, EKEYEXPIRED, "signature expired (encoded 0s ago, sign.max-ttl is 0s)");
    unwrap_fails (J, -10, EKEYEXPIRED, "signature expired (encoded 0s ago");
    free (J);
}
END_TEST

START_TEST (munged_unreachable)
{
    struct fx_error err = {""};
    char *J = wrap ("x"), *p = NULL;
    uint32_t uid;
    size_t len;

    errno = 0;
    ck_assert_ptr_null (fx_sign_wrap ("x", 1, "/nonexistent/munge.sock", &err));
    ck_assert_int_eq (errno, EIO);
    ck_assert_msg (!strncmp (err.text, "munge: ", 7), "%s", err.text);
    errno = 0;
    ck_assert_int_eq (fx_sign_unwrap (J, TTL, "/nonexistent/munge.sock", &uid, &p, &len, &err), -1);
    ck_assert_int_eq (errno, EIO);
    free (J);
}
END_TEST

/* The asynchronous pool */

struct tally {
    int done, ok, failed, bad_payload;
    int last_errno;
    char last_error[FX_ERROR_LEN];
};

static void tally_cb (int rc, uint32_t userid, char *payload, size_t len,
                      const struct fx_error *err, void *arg)
{
    struct tally *t = arg;

    t->done++;
    if (rc == 0) {
        t->ok++;
        if (userid != getuid () || len != 6 || strcmp (payload, "pooled") != 0)
            t->bad_payload++;
        free (payload);
    } else {
        t->failed++;
        t->last_errno = errno;
        snprintf (t->last_error, sizeof (t->last_error), "%s", err->text);
        ck_assert_ptr_null (payload);
    }
}

static int thread_count (void)
{
    DIR *d = opendir ("/proc/self/task");
    struct dirent *e;
    int n = 0;

    while ((e = readdir (d)))
        n += e->d_name[0] != '.';
    closedir (d);
    return n;
}

START_TEST (pool_delivers_1000)
{
    struct ev_loop *loop = ev_loop_new (0);
    struct fx_signer *s = fx_signer_create (loop, 2, TTL, NULL);
    struct tally t = {0};
    char *J = wrap ("pooled");
    int max_threads = 0;

    ck_assert_ptr_nonnull (s);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq (fx_signer_unwrap (s, J, tally_cb, &t), 0);
    ck_assert_int_eq (t.done, 0); /* never called from the submitting call */
    while (t.done < 1000) {
        int n = thread_count ();
        max_threads = n > max_threads ? n : max_threads;
        ev_run (loop, EVRUN_ONCE);
    }
    ck_assert_int_eq (t.ok, 1000);
    ck_assert_int_eq (t.bad_payload, 0);
    ck_assert_int_le (max_threads, 3); /* this thread and at most 2 workers */
    fx_signer_destroy (s);
    ev_loop_destroy (loop);
    free (J);
}
END_TEST

START_TEST (pool_errors_and_ttl)
{
    struct ev_loop *loop = ev_loop_new (0);
    struct fx_signer *s = fx_signer_create (loop, 1, TTL, getenv ("FLUX_MUNGE_SOCKET"));
    struct tally t = {0};
    char *J = wrap ("pooled");

    ck_assert_int_eq (fx_signer_unwrap (s, "a.b", tally_cb, &t), 0);
    while (t.done < 1)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_int_eq (t.failed, 1);
    ck_assert_int_eq (t.last_errno, EINVAL);
    ck_assert_str_eq (t.last_error, "J: not HEADER.PAYLOAD.SIGNATURE");
    fx_signer_set_max_ttl (s, 0);
    ck_assert_int_eq (fx_signer_unwrap (s, J, tally_cb, &t), 0);
    while (t.done < 2)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_int_eq (t.failed, 2);
    ck_assert_int_eq (t.last_errno, EKEYEXPIRED);
    errno = 0;
    ck_assert_int_eq (fx_signer_unwrap (s, NULL, tally_cb, &t), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_signer_create (loop, 0, TTL, NULL));
    fx_signer_destroy (s);
    fx_signer_destroy (NULL);
    ev_loop_destroy (loop);
    free (J);
}
END_TEST

START_TEST (pool_destroy_drops_pending)
{
    struct ev_loop *loop = ev_loop_new (0);
    struct fx_signer *s = fx_signer_create (loop, 2, TTL, NULL);
    struct tally t = {0};
    char *J = wrap ("pooled");

    for (int i = 0; i < 200; i++)
        ck_assert_int_eq (fx_signer_unwrap (s, J, tally_cb, &t), 0);
    fx_signer_destroy (s);
    ev_run (loop, EVRUN_NOWAIT);
    ck_assert_int_eq (t.done, 0);
    ev_loop_destroy (loop);
    free (J);
}
END_TEST

static Suite *sign_suite (void)
{
    Suite *s = suite_create ("sign");
    const struct fx_check_case cases[] = {
        {"wrap_unwrap", wrap_unwrap},
        {"header_format", header_format},
        {"replay_accepted", replay_accepted},
        {"tampered_header", tampered_header},
        {"tampered_payload", tampered_payload},
        {"wrong_uid_header", wrong_uid_header},
        {"bad_headers", bad_headers},
        {"truncated", truncated},
        {"max_ttl", max_ttl},
        {"munged_unreachable", munged_unreachable},
        {"pool_delivers_1000", pool_delivers_1000},
        {"pool_errors_and_ttl", pool_errors_and_ttl},
        {"pool_destroy_drops_pending", pool_destroy_drops_pending},
    };
    const struct fx_check_fixtures fx = {.unchecked_setup = munged_setup,
                                         .unchecked_teardown = test_munged_dir_teardown};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (sign_suite ());
}
