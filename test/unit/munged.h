/* munged.h - a private munged for unit tests that need MUNGE credentials.
 *
 * test_munged_start (DIR) makes a key, starts munged with its socket in DIR, waits until it
 * is ready (munged daemonizes only then) and sets FLUX_MUNGE_SOCKET; test_munged_stop ()
 * stops it.  Meant for checked fixtures, which run in each test's forked process.
 */
#ifndef FX_TEST_MUNGED_H
#define FX_TEST_MUNGED_H

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/unit/check.h"

static pid_t test_munged_pid;

static int run (const char *const argv[])
{
    int status;
    pid_t pid = fork ();

    if (pid == 0) {
        int fd = open ("/dev/null", O_WRONLY);
        dup2 (fd, 1);
        dup2 (fd, 2);
        execv (argv[0], (char *const *) argv);
        _exit (127);
    }
    waitpid (pid, &status, 0);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void test_munged_start (const char *dir)
{
    char key[128], sock[128], pid[128], seed[128], log[128];
    FILE *f;

    snprintf (key, sizeof (key), "--keyfile=%s/munge.key", dir);
    const char *keygen[] = {"/usr/sbin/mungekey", "--create", key, NULL};
    ck_assert_int_eq (run (keygen), 0);
    snprintf (key, sizeof (key), "--key-file=%s/munge.key", dir);
    snprintf (sock, sizeof (sock), "--socket=%s/munge.sock", dir);
    snprintf (pid, sizeof (pid), "--pid-file=%s/munged.pid", dir);
    snprintf (seed, sizeof (seed), "--seed-file=%s/munged.seed", dir);
    snprintf (log, sizeof (log), "--log-file=%s/munged.log", dir);
    const char *munged[] = {"/usr/sbin/munged", key, sock, pid, seed, log, NULL};
    ck_assert_int_eq (run (munged), 0);
    snprintf (pid, sizeof (pid), "%s/munged.pid", dir);
    ck_assert_ptr_nonnull (f = fopen (pid, "r"));
    ck_assert_int_eq (fscanf (f, "%d", &test_munged_pid), 1);
    fclose (f);
    snprintf (sock, sizeof (sock), "%s/munge.sock", dir);
    setenv ("FLUX_MUNGE_SOCKET", sock, 1);
}

static void test_munged_stop (void)
{
    if (test_munged_pid > 0)
        kill (test_munged_pid, SIGTERM);
    test_munged_pid = 0;
}

/* The usual unchecked fixture: a fresh /tmp/NAME.XXXXXX (mode 0755, so munged accepts it)
 * with munged in it, and its removal. */
static char test_dir[64];

static int test_rm_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static inline void test_munged_dir_setup (const char *name)
{
    snprintf (test_dir, sizeof (test_dir), "/tmp/%s.XXXXXX", name);
    ck_assert_ptr_nonnull (mkdtemp (test_dir));
    chmod (test_dir, 0755);
    test_munged_start (test_dir);
}

static inline void test_munged_dir_teardown (void)
{
    test_munged_stop ();
    nftw (test_dir, test_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
