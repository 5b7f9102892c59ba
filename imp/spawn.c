/* spawn.c - the IMP's child: fork, become the target for good, exec; and the parent that stays
 * behind to forward signals and hand back the child's exit status.
 *
 * The parent keeps root (it must signal a child that belongs to another user) and the
 * caller's real uid (so that the caller, execd, may signal it).  It blocks the signals it
 * forwards before the fork and takes them with sigwaitinfo(), so none is lost between the
 * fork and the wait and no handler ever runs.  The child sets up everything with plain
 * system calls, then execs; when it cannot, it says why on stderr and exits 126 or 127 as a
 * shell does.  The IMP finally exits with the child's exit code, or dies of the very signal
 * that killed the child (core dumps off), so that its own parent sees what happened.  When
 * the caller dies (execd), the child's process group is killed.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imp/imp.h"

/* Forwarded to the child's process group as they are. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGUSR2, SIGCONT};

static void supervised_set (sigset_t *set)
{
    sigemptyset (set);
    for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
        sigaddset (set, forwarded[i]);
    sigaddset (set, SIGUSR1);
    sigaddset (set, SIGCHLD);
}

int imp_drop_privileges (uid_t uid, gid_t gid, const char *user, struct fx_error *err)
{
    uid_t r, e, s;

    if ((user ? initgroups (user, gid) : setgroups (0, NULL)) < 0)
        return errprintf (err, "cannot set the groups of uid %lu: %s", (unsigned long) uid,
                          strerror (errno));
    if (setresgid (gid, gid, gid) < 0 || setresuid (uid, uid, uid) < 0)
        return errprintf (err, "cannot become uid %lu gid %lu: %s", (unsigned long) uid,
                          (unsigned long) gid, strerror (errno));
    if (getresuid (&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
        return errprintf (err, "uid %lu not set for good", (unsigned long) uid);
    if (uid != 0 && (setuid (0) == 0 || setgid (0) == 0)) {
        errno = EPERM;
        return errprintf (err, "uid %lu could regain root", (unsigned long) uid);
    }
    return 0;
}

/* In the child: never returns. */
static void child (const struct imp_target *t, pid_t parent)
{
    struct fx_error err;
    sigset_t none;

    if (t->stdin_fd >= 0 && (dup2 (t->stdin_fd, STDIN_FILENO) < 0 || close (t->stdin_fd) < 0)) {
        fprintf (stderr, "flux-imp: stdin: %s\n", strerror (errno));
        _exit (126);
    }
    if (imp_drop_privileges (t->uid, t->gid, t->user, &err) < 0) {
        fprintf (stderr, "flux-imp: %s\n", err.text);
        _exit (126);
    }
    (void) setpgid (0, 0);
    if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != parent)
        _exit (126);
    (void) close_range (3, ~0U, 0);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    execve (t->path, t->argv, t->envp);
    fprintf (stderr, "flux-imp: %s: %s\n", t->path, strerror (errno));
    _exit (errno == ENOENT ? 127 : 126);
}

/* Die of sig as the child did; exit 128+sig if that signal does not kill. */
static void __attribute__ ((noreturn)) die_by (int sig)
{
    struct rlimit nocore = {0, 0};
    sigset_t set;

    (void) setrlimit (RLIMIT_CORE, &nocore);
    signal (sig, SIG_DFL);
    sigemptyset (&set);
    sigaddset (&set, sig);
    sigprocmask (SIG_UNBLOCK, &set, NULL);
    raise (sig);
    exit (128 + sig);
}

/* Forward signals until the child has ended; returns its wait status. */
static int supervise (pid_t pid, const sigset_t *set)
{
    siginfo_t info;
    int status, sig;

    for (;;) {
        if ((sig = sigwaitinfo (set, &info)) < 0)
            continue; /* EINTR only */
        if (sig == SIGCHLD) {
            if (waitpid (pid, &status, WNOHANG) == pid)
                return status;
            continue;
        }
        (void) killpg (pid, sig == SIGUSR1 ? SIGKILL : sig);
    }
}

int imp_spawn (const struct imp_target *t, struct fx_error *err)
{
    pid_t parent = getpid (), caller = getppid (), pid;
    sigset_t set, old;
    int status;

    supervised_set (&set);
    if (sigprocmask (SIG_BLOCK, &set, &old) < 0)
        return errprintf (err, "sigprocmask: %s", strerror (errno));
    /* The kernel cleared the death signal when it ran us setuid: set it again, as the proxy
     * for SIGKILL, so that a job never outlives the execd that started it (its cores would
     * be given to another job once execd is back). */
    if (prctl (PR_SET_PDEATHSIG, SIGUSR1) < 0 || getppid () != caller) {
        sigprocmask (SIG_SETMASK, &old, NULL);
        return errprintf (err, "the caller is gone");
    }
    fflush (NULL);
    if ((pid = fork ()) < 0) {
        sigprocmask (SIG_SETMASK, &old, NULL);
        return errprintf (err, "fork: %s", strerror (errno));
    }
    if (pid == 0)
        child (t, parent);
    (void) setpgid (pid, pid); /* so that a signal sent before the child's setpgid reaches it */
    if (t->stdin_fd >= 0)
        close (t->stdin_fd);
    status = supervise (pid, &set);
    if (t->report && WIFSIGNALED (status))
        fprintf (stderr, "flux-imp: %s killed by signal %d\n", t->report, WTERMSIG (status));
    else if (t->report && WIFEXITED (status) && WEXITSTATUS (status) != 0)
        fprintf (stderr, "flux-imp: %s exited %d\n", t->report, WEXITSTATUS (status));
    if (WIFSIGNALED (status))
        die_by (WTERMSIG (status));
    exit (WIFEXITED (status) ? WEXITSTATUS (status) : 1);
}
