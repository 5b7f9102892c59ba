/* main.c - flux-imp: scrub the process, check that it is really setuid root, load the
 * configuration, dispatch the command.
 *
 * A setuid program starts with whatever its caller left it: the environment is copied (for
 * `run`'s allowed-environment only) and cleared before anything reads it, fds 0-2 are made
 * sure to be open, signal dispositions and the mask are reset, umask is 022.  The installed
 * binary reads its configuration from compiled-in paths only; the build tree's test variant
 * (-DFX_IMP_TEST, never installed) also takes FLUX_IMP_CONF_DIR, FLUX_SECURITY_CONF_DIR and
 * FLUX_MUNGE_SOCKET from the caller.  Decisions go to syslog (LOG_AUTHPRIV), one line each;
 * refusals also print one line on stderr and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "imp/imp.h"

#define ENV_MAX 4096 /* caller's variables kept, at most */

static const char *printable (const char *s)
{
    for (const char *p = s; p && *p; p++) {
        if ((unsigned char) *p < ' ' || *p == 0x7f)
            return "(unprintable)";
    }
    return s ? s : "-";
}

static void log_decision (const struct imp *imp, const struct imp_decision *d, const char *reason)
{
    char target[32] = "-";

    if (d->target >= 0)
        snprintf (target, sizeof (target), "%ld", d->target);
    syslog (reason ? LOG_WARNING : LOG_NOTICE,
            "%s %s: caller uid=%lu target uid=%s job=%.64s path=%.256s%s%.256s", d->cmd,
            reason ? "refused" : "allowed", (unsigned long) imp->ruid, target, printable (d->jobid),
            printable (d->path), reason ? ": " : "", reason ? reason : "");
}

void imp_refuse (const struct imp *imp, const struct imp_decision *d, const char *fmt, ...)
{
    char reason[FX_ERROR_LEN + 64];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (reason, sizeof (reason), fmt, ap);
    va_end (ap);
    log_decision (imp, d, reason);
    fprintf (stderr, "flux-imp: %s: %s\n", d->cmd, reason);
    exit (IMP_EXIT_REFUSED);
}

void imp_allow (const struct imp *imp, const struct imp_decision *d)
{
    log_decision (imp, d, NULL);
}

const char *imp_caller_env (const struct imp *imp, const char *name)
{
    size_t len = strlen (name);

    for (char **p = imp->env; p && *p; p++) {
        if (strncmp (*p, name, len) == 0 && (*p)[len] == '=')
            return *p + len + 1;
    }
    return NULL;
}

/* Copy the caller's environment, then clear it. */
static void scrub_environment (struct imp *imp)
{
    extern char **environ;
    size_t n = 0;

    if (!(imp->env = calloc (ENV_MAX + 1, sizeof (char *))))
        exit (IMP_EXIT_REFUSED);
    for (char **p = environ; p && *p && n < ENV_MAX; p++) {
        if ((imp->env[n] = strdup (*p)))
            n++;
    }
    clearenv ();
}

/* Open fds 0-2 on /dev/null when the caller closed them; reset signals and umask. */
static void scrub_process (void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigset_t none;
    int fd;

    while ((fd = open ("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
        ;
    if (fd > STDERR_FILENO)
        close (fd);
    else if (fd < 0)
        exit (IMP_EXIT_REFUSED);
    for (int sig = 1; sig < NSIG; sig++)
        (void) sigaction (sig, &sa, NULL); /* SIGKILL, SIGSTOP and RT internals fail: fine */
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    umask (022);
}

static void set_identity (struct imp *imp)
{
    struct passwd *pw;

    imp->ruid = getuid ();
    imp->rgid = getgid ();
    if ((pw = getpwuid (imp->ruid)))
        snprintf (imp->caller, sizeof (imp->caller), "%s", pw->pw_name);
    imp->imp_dir = FX_SYSCONFDIR "/flux/imp/conf.d";
    imp->security_dir = FX_SYSCONFDIR "/flux/security/conf.d";
#ifdef FX_IMP_TEST
    const char *s;
    if ((s = imp_caller_env (imp, "FLUX_IMP_CONF_DIR")))
        imp->imp_dir = s;
    if ((s = imp_caller_env (imp, "FLUX_SECURITY_CONF_DIR")))
        imp->security_dir = s;
    if ((s = imp_caller_env (imp, "FLUX_MUNGE_SOCKET")) && *s)
        imp->munge_socket = s;
#endif
}

static int cmd_version (struct imp *imp, int argc, char **argv)
{
    (void) imp, (void) argc, (void) argv;
    printf ("flux-imp %s\n", FX_VERSION);
    return 0;
}

static int cmd_whoami (struct imp *imp, int argc, char **argv)
{
    (void) imp, (void) argc, (void) argv;
    printf ("ruid=%lu euid=%lu rgid=%lu egid=%lu\n", (unsigned long) getuid (),
            (unsigned long) geteuid (), (unsigned long) getgid (), (unsigned long) getegid ());
    return 0;
}

static const struct command {
    const char *name;
    bool privileged; /* needs root and the configuration */
    int (*fn) (struct imp *imp, int argc, char **argv);
} commands[] = {
    {"exec", true, imp_cmd_exec},
    {"run", true, imp_cmd_run},
    {"version", false, cmd_version},
    {"whoami", false, cmd_whoami},
};

static const struct command *command_lookup (const char *name)
{
    for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++) {
        if (strcmp (commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

int main (int argc, char **argv)
{
    static struct imp imp;
    const struct command *cmd;
    struct fx_error err;

    scrub_environment (&imp);
    scrub_process ();
    openlog ("flux-imp", LOG_PID, LOG_AUTHPRIV);
    set_identity (&imp);
    if (argc < 2 || !(cmd = command_lookup (argv[1]))) {
        fprintf (stderr, "Usage: flux-imp exec SHELL JOBID | run NAME | version | whoami\n");
        return IMP_EXIT_REFUSED;
    }
    if (cmd->privileged) {
        struct imp_decision d = {cmd->name, -1, NULL, NULL};
        if (geteuid () != 0) {
            fprintf (stderr, "flux-imp: not installed setuid root (euid %lu)\n",
                     (unsigned long) geteuid ());
            return IMP_EXIT_REFUSED;
        }
        if (imp_conf_load (&imp, &err) < 0)
            imp_refuse (&imp, &d, "%s", err.text);
    }
    return cmd->fn (&imp, argc - 2, argv + 2) == 0 ? 0 : IMP_EXIT_REFUSED;
}
