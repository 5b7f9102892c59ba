/* check_auth.c - MUNGE hello credentials: verified off the loop, replays refused. */
#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <unistd.h>

#include "services/auth.h"
#include "test/unit/check.h"
#include "test/unit/munged.h"

static struct ev_loop *loop;

struct result {
    int done;
    int errnum;
    char reason[128];
    uid_t uid;
};

static void setup (void)
{
    loop = ev_loop_new (0);
}

static void teardown (void)
{
    ev_loop_destroy (loop);
}

/* munged and the directory live in the parent (an unchecked fixture), so that they are
 * cleaned up even when a test fails or times out in its forked child. */
static void munged_setup (void)
{
    test_munged_dir_setup ("check_auth");
}

static void result_cb (int errnum, const char *reason, uid_t uid, gid_t gid, void *arg)
{
    struct result *r = arg;

    (void) gid;
    r->done = 1;
    r->errnum = errnum;
    r->uid = uid;
    snprintf (r->reason, sizeof (r->reason), "%s", reason);
}

static struct result verify (struct fx_auth_worker *w, const char *cred)
{
    struct result r = {0};

    ck_assert_int_eq (fx_auth_verify (w, cred, result_cb, &r), 0);
    while (!r.done)
        ev_run (loop, EVRUN_ONCE);
    return r;
}

START_TEST (hello_verified_with_uid)
{
    struct fx_auth_worker *w = fx_auth_worker_create (loop, fx_auth_socket ());
    char *cred = fx_auth_hello_create (fx_auth_socket (), NULL);
    struct result r;

    ck_assert_ptr_nonnull (w);
    ck_assert_ptr_nonnull (cred);
    r = verify (w, cred);
    ck_assert_int_eq (r.errnum, 0);
    ck_assert_uint_eq (r.uid, getuid ());
    free (cred);
    fx_auth_worker_destroy (w);
}
END_TEST

START_TEST (replay_refused)
{
    struct fx_auth_worker *w = fx_auth_worker_create (loop, fx_auth_socket ());
    char *cred = fx_auth_hello_create (fx_auth_socket (), NULL);
    struct result r;

    ck_assert_int_eq (verify (w, cred).errnum, 0);
    r = verify (w, cred);
    ck_assert_int_eq (r.errnum, EPERM);
    ck_assert_msg (strcasestr (r.reason, "replayed"), "reason: %s", r.reason);
    free (cred);
    fx_auth_worker_destroy (w);
}
END_TEST

START_TEST (garbage_refused)
{
    struct fx_auth_worker *w = fx_auth_worker_create (loop, fx_auth_socket ());
    struct result r = verify (w, "MUNGE:not-a-credential");

    ck_assert_int_eq (r.errnum, EPERM);
    ck_assert_msg (strstr (r.reason, "munge:"), "reason: %s", r.reason);
    fx_auth_worker_destroy (w);
}
END_TEST

START_TEST (missing_munged_is_a_clear_error)
{
    struct fx_error err = {""};

    errno = 0;
    ck_assert_ptr_null (fx_auth_hello_create ("/nonexistent/munge.sock", &err));
    ck_assert_int_eq (errno, EPERM);
    ck_assert_msg (strstr (err.text, "munge:"), "message: %s", err.text);
}
END_TEST

START_TEST (cancelled_verification_never_calls_back)
{
    struct fx_auth_worker *w = fx_auth_worker_create (loop, fx_auth_socket ());
    char *cred = fx_auth_hello_create (fx_auth_socket (), NULL);
    struct result cancelled = {0}, r;

    ck_assert_int_eq (fx_auth_verify (w, cred, result_cb, &cancelled), 0);
    fx_auth_cancel (w, &cancelled);
    free (cred);
    cred = fx_auth_hello_create (fx_auth_socket (), NULL);
    r = verify (w, cred); /* verifications finish in order: the first one is done by now */
    ck_assert_int_eq (r.errnum, 0);
    ck_assert_int_eq (cancelled.done, 0);
    free (cred);
    fx_auth_worker_destroy (w);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("auth");
    const struct fx_check_case cases[] = {
        {"hello_verified_with_uid", hello_verified_with_uid},
        {"replay_refused", replay_refused},
        {"garbage_refused", garbage_refused},
        {"missing_munged_is_a_clear_error", missing_munged_is_a_clear_error},
        {"cancelled_verification_never_calls_back", cancelled_verification_never_calls_back},
    };

    const struct fx_check_fixtures fx = {.setup = setup, .teardown = teardown,
                                         .unchecked_setup = munged_setup,
                                         .unchecked_teardown = test_munged_dir_teardown};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
