/* flux-start.c - start a test instance as the invoking user and run a command in it.
 *
 * Creates a private runtime directory, starts a private munged (with a key made on the
 * spot) unless --munge-socket names one, then each daemon of each rank in its own
 * directory, waits until every daemon has said READY=1 on our notify socket (the same
 * sd_notify protocol systemd uses), runs COMMAND (an interactive shell when none is given)
 * with FLUX_URI set, and finally stops exactly what it started, in reverse order.  It exits
 * with COMMAND's status.
 *
 * Daemons run in their own session so that a ^C at the terminal reaches only COMMAND.
 * Their stderr goes to RUNDIR/rank-N/DAEMON.log; a daemon that fails to start has the end of
 * its log printed.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "services/hostlist.h"
#include "services/paths.h"

#define START_TIMEOUT 15.0 /* seconds for a daemon to become ready */
#define STOP_TIMEOUT 5.0   /* seconds between SIGTERM and SIGKILL */
#define MAX_PROCS 64

static const char usage_text[] =
    "Usage: flux start [OPTIONS] [COMMAND [ARGS...]]\n"
    "  -s, --size=N              number of ranks (default 1)\n"
    "      --test-hosts=HOSTS    host names for the ranks, e.g. fluke[0-15]\n"
    "      --state-dir=DIR       keep durable state in DIR across restarts\n"
    "  -c, --config-path=DIR     configuration directory (conf.d)\n"
    "      --munge-socket=PATH   use this munged instead of a private one\n"
    "  -v, --verbose             daemons log to the terminal, not to files\n";

enum { OPT_TEST_HOSTS = 256, OPT_STATE_DIR, OPT_MUNGE_SOCKET };

static const struct option longopts[] = {
    {"size", required_argument, NULL, 's'},
    {"test-hosts", required_argument, NULL, OPT_TEST_HOSTS},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"config-path", required_argument, NULL, 'c'},
    {"munge-socket", required_argument, NULL, OPT_MUNGE_SOCKET},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The daemons of a test instance, in start order (stopped in reverse). */
static const struct daemon {
    const char *name;
    int rank0_only;
} daemons[] = {
    {"overlayd", 0},
};
#define NDAEMONS ((int) (sizeof (daemons) / sizeof (daemons[0])))

struct proc {
    pid_t pid;
    char name[64];
    char log[256];
};

struct start {
    int size;
    const char *test_hosts;
    const char *state_dir;
    char config_dir[PATH_MAX];
    const char *munge_socket;
    int verbose;
    char **command;
    char rundir[160]; /* short: socket paths under it must fit in sun_path */
    char munge_dir[200];
    char munge_sock[240];
    char uri[240];
    int notify_fd;
    struct proc procs[MAX_PROCS];
    int nprocs;
    pid_t munged_pid;
};

static void vwarn (const char *fmt, va_list ap)
{
    fprintf (stderr, "flux-start: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
}

/* Before anything was started: say why and exit. */
static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vwarn (fmt, ap);
    va_end (ap);
    exit (1);
}

static void fail (struct start *st, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

static double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_args (int argc, char **argv, struct start *st)
{
    char *end;
    int c;

    st->size = 1;
    while ((c = getopt_long (argc, argv, "+s:c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            st->size = strtol (optarg, &end, 10);
            if (*end || st->size < 1 || st->size > 1024) {
                fprintf (stderr, "flux-start: invalid --size '%s'\n", optarg);
                exit (2);
            }
            break;
        case OPT_TEST_HOSTS: st->test_hosts = optarg; break;
        case OPT_STATE_DIR: st->state_dir = optarg; break;
        case 'c':
            if (!realpath (optarg, st->config_dir))
                die ("%s: %s", optarg, strerror (errno));
            break;
        case OPT_MUNGE_SOCKET: st->munge_socket = optarg; break;
        case 'v': st->verbose = 1; break;
        case 'h': fputs (usage_text, stdout); exit (0);
        default: fputs (usage_text, stderr); exit (2);
        }
    }
    st->command = argv + optind;
}

/* The runtime directory must be searchable by everyone (guests connect to the router
 * socket, munged insists on it) but writable only by us. */
static void make_rundir (struct start *st)
{
    const char *tmp = getenv ("TMPDIR");

    if (snprintf (st->rundir, sizeof (st->rundir), "%s/flux-XXXXXX", tmp && *tmp ? tmp : "/tmp")
        >= (int) sizeof (st->rundir) - 40)
        die ("TMPDIR is too long for socket paths: %s", tmp);
    if (!mkdtemp (st->rundir))
        die ("cannot create a runtime directory in %s: %s", tmp ? tmp : "/tmp", strerror (errno));
    if (chmod (st->rundir, 0755) < 0)
        fail (st, "%s: %s", st->rundir, strerror (errno));
    if (st->state_dir && mkdir (st->state_dir, 0700) < 0 && errno != EEXIST)
        fail (st, "%s: %s", st->state_dir, strerror (errno));
}

static int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    remove (path);
    return 0;
}

static void remove_rundir (struct start *st)
{
    nftw (st->rundir, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Fork and exec argv with stderr (and stdout) to logpath, in a new session. */
static pid_t spawn (const char *const argv[], const char *logpath, int verbose)
{
    pid_t pid = fork ();
    int fd;

    if (pid != 0)
        return pid;
    setsid ();
    if (!verbose && (fd = open (logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) >= 0) {
        dup2 (fd, STDOUT_FILENO);
        dup2 (fd, STDERR_FILENO);
    }
    if ((fd = open ("/dev/null", O_RDONLY)) >= 0)
        dup2 (fd, STDIN_FILENO);
    execv (argv[0], (char *const *) argv);
    fprintf (stderr, "flux-start: %s: %s\n", argv[0], strerror (errno));
    _exit (127);
}

static void print_log_tail (const char *path)
{
    char line[1024];
    FILE *f = fopen (path, "r");
    long lines = 0;

    if (!f)
        return;
    while (fgets (line, sizeof (line), f))
        lines++;
    rewind (f);
    for (long i = 0; fgets (line, sizeof (line), f); i++) {
        if (i >= lines - 10)
            fprintf (stderr, "  %s", line);
    }
    fclose (f);
}

/* munged daemonizes once its socket is ready, so its exit status is our readiness. */
static void start_munged (struct start *st)
{
    char key[PATH_MAX + 32], pidfile[PATH_MAX + 32], seed[PATH_MAX + 32], log[PATH_MAX + 32];
    char sockopt[PATH_MAX + 32], keyopt[PATH_MAX + 48], pidopt[PATH_MAX + 48];
    char seedopt[PATH_MAX + 48], logopt[PATH_MAX + 48];
    int status;
    pid_t pid;
    FILE *f;

    snprintf (st->munge_dir, sizeof (st->munge_dir), "%s/munge", st->rundir);
    if (mkdir (st->munge_dir, 0755) < 0)
        fail (st, "%s: %s", st->munge_dir, strerror (errno));
    snprintf (key, sizeof (key), "%s/munge.key", st->munge_dir);
    snprintf (pidfile, sizeof (pidfile), "%s/munged.pid", st->munge_dir);
    snprintf (seed, sizeof (seed), "%s/munged.seed", st->munge_dir);
    snprintf (log, sizeof (log), "%s/munged.log", st->munge_dir);
    snprintf (st->munge_sock, sizeof (st->munge_sock), "%s/munge.sock", st->munge_dir);
    snprintf (keyopt, sizeof (keyopt), "--keyfile=%s", key);
    const char *keygen[] = {"/usr/sbin/mungekey", "--create", keyopt, NULL};
    if ((pid = spawn (keygen, log, 0)) < 0 || waitpid (pid, &status, 0) < 0 || status != 0) {
        print_log_tail (log);
        fail (st, "mungekey failed");
    }
    snprintf (sockopt, sizeof (sockopt), "--socket=%s", st->munge_sock);
    snprintf (keyopt, sizeof (keyopt), "--key-file=%s", key);
    snprintf (pidopt, sizeof (pidopt), "--pid-file=%s", pidfile);
    snprintf (seedopt, sizeof (seedopt), "--seed-file=%s", seed);
    snprintf (logopt, sizeof (logopt), "--log-file=%s", log);
    const char *munged[] = {"/usr/sbin/munged", sockopt, keyopt, pidopt, seedopt, logopt, NULL};
    if ((pid = spawn (munged, log, 0)) < 0 || waitpid (pid, &status, 0) < 0 || status != 0) {
        fprintf (stderr, "flux-start: munged failed to start:\n");
        print_log_tail (log);
        fail (st, "giving up");
    }
    if ((f = fopen (pidfile, "r"))) {
        if (fscanf (f, "%d", &st->munged_pid) != 1)
            st->munged_pid = 0;
        fclose (f);
    }
    st->munge_socket = st->munge_sock;
}

static void open_notify_socket (struct start *st)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int one = 1;

    if (snprintf (sun.sun_path, sizeof (sun.sun_path), "%s/notify", st->rundir)
        >= (int) sizeof (sun.sun_path))
        fail (st, "runtime directory path is too long: %s", st->rundir);
    if ((st->notify_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0
        || setsockopt (st->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof (one)) < 0
        || bind (st->notify_fd, (struct sockaddr *) &sun, sizeof (sun)) < 0)
        fail (st, "notify socket %s: %s", sun.sun_path, strerror (errno));
    setenv ("NOTIFY_SOCKET", sun.sun_path, 1);
}

static struct proc *proc_by_pid (struct start *st, pid_t pid)
{
    for (int i = 0; i < st->nprocs; i++) {
        if (st->procs[i].pid == pid)
            return &st->procs[i];
    }
    return NULL;
}

/* Read one notify datagram; returns the sender's pid when it says READY=1, else 0. */
static pid_t read_ready (struct start *st)
{
    char buf[512], ctl[CMSG_SPACE (sizeof (struct ucred))];
    struct iovec iov = {buf, sizeof (buf) - 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                        .msg_controllen = sizeof (ctl)};
    struct cmsghdr *cm;
    struct ucred cred = {0};
    ssize_t n;

    if ((n = recvmsg (st->notify_fd, &mh, MSG_DONTWAIT)) < 0)
        return 0;
    buf[n] = '\0';
    for (cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
            memcpy (&cred, CMSG_DATA (cm), sizeof (cred));
    }
    return strstr (buf, "READY=1") ? cred.pid : 0;
}

/* Wait until every process in procs[first..] is ready; die if one exits or time runs out. */
static void wait_ready (struct start *st, int first)
{
    int pending = st->nprocs - first;
    char ready[MAX_PROCS] = {0};
    double deadline = now () + START_TIMEOUT;
    struct proc *p;
    pid_t pid;
    int status;

    while (pending > 0) {
        struct pollfd pfd = {st->notify_fd, POLLIN, 0};
        if (now () > deadline) {
            for (int i = first; i < st->nprocs; i++) {
                if (!ready[i]) {
                    fprintf (stderr, "flux-start: %s is not ready after %.0fs:\n",
                             st->procs[i].name, START_TIMEOUT);
                    print_log_tail (st->procs[i].log);
                }
            }
            fail (st, "giving up");
        }
        poll (&pfd, 1, 100);
        while ((pid = read_ready (st)) > 0) {
            if ((p = proc_by_pid (st, pid)) && !ready[p - st->procs]) {
                ready[p - st->procs] = 1;
                pending--;
            }
        }
        while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
            if ((p = proc_by_pid (st, pid))) {
                fprintf (stderr, "flux-start: %s exited during start-up:\n", p->name);
                print_log_tail (p->log);
                p->pid = 0;
                fail (st, "giving up");
            }
        }
    }
}

static void start_daemons (struct start *st, struct fx_hostlist *hosts)
{
    char path[PATH_MAX], dir[200], rank[32], size[32];
    char uri[256], cfg[PATH_MAX + 16], host[300], munge[PATH_MAX + 16];

    for (int d = 0; d < NDAEMONS; d++) {
        int first = st->nprocs;
        if (fx_path_daemon (daemons[d].name, path, sizeof (path)) < 0 || access (path, X_OK) < 0)
            fail (st, "cannot find flux-%s (looked for %s)", daemons[d].name, path);
        for (int r = 0; r < st->size && !(daemons[d].rank0_only && r > 0); r++) {
            struct proc *p = &st->procs[st->nprocs];
            snprintf (dir, sizeof (dir), "%s/rank-%d", st->rundir, r);
            if (mkdir (dir, 0755) < 0 && errno != EEXIST)
                fail (st, "%s: %s", dir, strerror (errno));
            snprintf (rank, sizeof (rank), "--rank=%d", r);
            snprintf (size, sizeof (size), "--size=%d", st->size);
            snprintf (uri, sizeof (uri), "--uri=ipc://%s/router", dir);
            snprintf (cfg, sizeof (cfg), "--config-path=%s", st->config_dir);
            snprintf (host, sizeof (host), "--hostname=%s",
                      hosts ? fx_hostlist_nth (hosts, r) : "");
            snprintf (munge, sizeof (munge), "--munge-socket=%s", st->munge_socket);
            const char *argv[] = {path, rank, size, uri, munge,
                                  st->config_dir[0] ? cfg : NULL, NULL, NULL};
            argv[st->config_dir[0] ? 6 : 5] = hosts ? host : NULL;
            snprintf (p->name, sizeof (p->name), "flux-%s rank %d", daemons[d].name, r);
            snprintf (p->log, sizeof (p->log), "%s/%s.log", dir, daemons[d].name);
            if ((p->pid = spawn (argv, p->log, st->verbose)) < 0)
                fail (st, "fork: %s", strerror (errno));
            st->nprocs++;
        }
        wait_ready (st, first);
    }
    snprintf (st->uri, sizeof (st->uri), "ipc://%s/rank-0/router", st->rundir);
}

/* Report a daemon that did not exit cleanly (a crash, a sanitizer report at exit). */
static int check_exit (const struct proc *p, int status)
{
    if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        return 0;
    if (WIFSIGNALED (status))
        fprintf (stderr, "flux-start: %s was killed by signal %d\n", p->name, WTERMSIG (status));
    else
        fprintf (stderr, "flux-start: %s exited with status %d\n", p->name,
                 WEXITSTATUS (status));
    print_log_tail (p->log);
    return 1;
}

/* Stop our processes in reverse start order: SIGTERM, then SIGKILL after STOP_TIMEOUT.
 * Returns the number of daemons that did not exit cleanly. */
static int stop_all (struct start *st)
{
    double deadline;
    int status, failed = 0;

    for (int i = st->nprocs - 1; i >= 0; i--) {
        struct proc *p = &st->procs[i];
        if (p->pid <= 0)
            continue;
        kill (p->pid, SIGTERM);
        deadline = now () + STOP_TIMEOUT;
        while (waitpid (p->pid, &status, WNOHANG) == 0) {
            if (now () > deadline) {
                fprintf (stderr, "flux-start: %s did not stop, killing it\n", p->name);
                kill (p->pid, SIGKILL);
                waitpid (p->pid, &status, 0);
                break;
            }
            poll (NULL, 0, 5);
        }
        failed += check_exit (p, status);
        p->pid = 0;
    }
    /* munged daemonized, but we are a subreaper, so it is our child and can be waited for. */
    if (st->munged_pid > 0) {
        kill (st->munged_pid, SIGTERM);
        deadline = now () + STOP_TIMEOUT;
        while (waitpid (st->munged_pid, &status, WNOHANG) == 0 && now () < deadline)
            poll (NULL, 0, 5);
        if (kill (st->munged_pid, 0) == 0) {
            kill (st->munged_pid, SIGKILL);
            waitpid (st->munged_pid, &status, 0);
        }
        st->munged_pid = 0;
    }
    return failed;
}

/* After processes were started: say why, stop them, clean up, exit. */
static void fail (struct start *st, const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vwarn (fmt, ap);
    va_end (ap);
    stop_all (st);
    remove_rundir (st);
    exit (1);
}

/* The command's pid, for the signal handler (the one piece of static state: a handler
 * has no other way to reach it). */
static volatile pid_t command_pid;

static void forward_cb (int signum)
{
    if (command_pid > 0)
        kill (command_pid, signum);
}

static int run_command (struct start *st)
{
    const char *shell = getenv ("SHELL");
    char *default_argv[] = {(char *) (shell && *shell ? shell : "/bin/sh"), NULL};
    char **argv = st->command[0] ? st->command : default_argv;
    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward_cb};
    struct sigaction oldint, oldquit, oldterm, oldhup;
    int status;
    pid_t pid;

    setenv ("FLUX_URI", st->uri, 1);
    setenv ("FLUX_MUNGE_SOCKET", st->munge_socket, 1);
    unsetenv ("NOTIFY_SOCKET");
    sigaction (SIGINT, &ign, &oldint);
    sigaction (SIGQUIT, &ign, &oldquit);
    sigaction (SIGTERM, &fwd, &oldterm);
    sigaction (SIGHUP, &fwd, &oldhup);
    if ((pid = fork ()) == 0) {
        sigaction (SIGINT, &oldint, NULL);
        sigaction (SIGQUIT, &oldquit, NULL);
        sigaction (SIGTERM, &oldterm, NULL);
        sigaction (SIGHUP, &oldhup, NULL);
        execvp (argv[0], argv);
        fprintf (stderr, "flux-start: %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    command_pid = pid;
    while (pid > 0 && waitpid (pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 1;
    }
    command_pid = 0;
    if (pid < 0)
        return 1;
    if (WIFSIGNALED (status))
        return 128 + WTERMSIG (status);
    return WEXITSTATUS (status);
}

int main (int argc, char **argv)
{
    struct start st = {.notify_fd = -1};
    struct fx_hostlist *hosts = NULL;
    struct fx_error err = {""};
    int rc;

    parse_args (argc, argv, &st);
    if (st.size > 1)
        die ("--size=%d: instances of more than one rank need the tree overlay, which is not "
             "implemented yet", st.size);
    if (st.test_hosts) {
        if (!(hosts = fx_hostlist_decode (st.test_hosts, &err)))
            die ("--test-hosts: %s", err.text);
        if (fx_hostlist_count (hosts) < st.size)
            die ("--test-hosts=%s names %d hosts, fewer than --size=%d", st.test_hosts,
                 fx_hostlist_count (hosts), st.size);
    }
    if (!st.munge_socket)
        st.munge_socket = getenv ("FLUX_MUNGE_SOCKET");
    prctl (PR_SET_CHILD_SUBREAPER, 1);
    make_rundir (&st);
    if (!st.munge_socket || !*st.munge_socket)
        start_munged (&st);
    open_notify_socket (&st);
    start_daemons (&st, hosts);
    rc = run_command (&st);
    if (stop_all (&st) > 0 && rc == 0)
        rc = 1;
    remove_rundir (&st);
    fx_hostlist_destroy (hosts);
    return rc;
}
