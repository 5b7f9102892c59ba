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
 *
 * munged and the private PostgreSQL are start-deps.c's.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "services/cert.h"
#include "services/fsd.h"
#include "services/hostlist.h"
#include "services/paths.h"
#include "services/topo.h"

#include "cli/start.h"

static const char usage_text[] =
    "Usage: flux start [OPTIONS] [COMMAND [ARGS...]]\n"
    "  -s, --size=N              number of ranks (default 1)\n"
    "      --test-hosts=HOSTS    host names for the ranks, e.g. fluke[0-15]\n"
    "      --state-dir=DIR       keep durable state in DIR across restarts\n"
    "  -c, --config-path=DIR     configuration directory (conf.d)\n"
    "      --munge-socket=PATH   use this munged instead of a private one\n"
    "      --topo=SHAPE          tree shape: kary:K, flat, binomial (default kary:32)\n"
    "      --restart-delay=FSD   wait this long before restarting a daemon that exited\n"
    "                            (default 0.1s; like systemd's RestartSec)\n"
    "  -v, --verbose             daemons log to the terminal, not to files\n";

enum { OPT_TEST_HOSTS = 256, OPT_STATE_DIR, OPT_MUNGE_SOCKET, OPT_TOPO, OPT_RESTART_DELAY };

static const struct option longopts[] = {
    {"size", required_argument, NULL, 's'},
    {"test-hosts", required_argument, NULL, OPT_TEST_HOSTS},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"config-path", required_argument, NULL, 'c'},
    {"munge-socket", required_argument, NULL, OPT_MUNGE_SOCKET},
    {"topo", required_argument, NULL, OPT_TOPO},
    {"restart-delay", required_argument, NULL, OPT_RESTART_DELAY},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The daemons of a test instance, in start order (stopped in reverse). */
static const struct daemon {
    const char *name;
    int rank0_only;
} daemons[] = {
    {"overlayd", 0}, {"kvsd", 1}, {"resourced", 0}, {"execd", 0}, {"jobd", 1}, {"schedd", 1},
};
#define NDAEMONS ((int) (sizeof (daemons) / sizeof (daemons[0])))

static void vwarn (const char *fmt, va_list ap)
{
    fprintf (stderr, "flux-start: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
}

void die (const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vwarn (fmt, ap);
    va_end (ap);
    exit (1);
}

double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_args (int argc, char **argv, struct start *st)
{
    struct fx_error ferr = {""};
    char *end;
    int c;

    st->size = 1;
    st->topo = "kary:32";
    st->restart_delay = 0.1;
    while ((c = getopt_long (argc, argv, "+s:c:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            st->size = strtol (optarg, &end, 10);
            if (*end || st->size < 1 || st->size > 1024) {
                fprintf (stderr, "flux-start: invalid --size '%s'\n", optarg);
                exit (2);
            }
            break;
        case OPT_TEST_HOSTS:
            st->test_hosts = optarg;
            break;
        case OPT_STATE_DIR:
            st->state_dir = optarg;
            break;
        case 'c':
            if (!realpath (optarg, st->config_dir))
                die ("%s: %s", optarg, strerror (errno));
            break;
        case OPT_MUNGE_SOCKET:
            st->munge_socket = optarg;
            break;
        case OPT_TOPO:
            st->topo = optarg;
            break;
        case OPT_RESTART_DELAY:
            if (fx_fsd_parse (optarg, &st->restart_delay, &ferr) < 0) {
                fprintf (stderr, "flux-start: --restart-delay: %s\n", ferr.text);
                exit (2);
            }
            break;
        case 'v':
            st->verbose = 1;
            break;
        case 'h':
            fputs (usage_text, stdout);
            exit (0);
        default:
            fputs (usage_text, stderr);
            exit (2);
        }
    }
    st->command = argv + optind;
}

/* The runtime directory must be searchable by everyone (guests connect to the router
 * socket, munged insists on it) but writable only by us. */
static char *strdup_printf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static char *strdup_printf (const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;

    va_start (ap, fmt);
    if (vasprintf (&s, fmt, ap) < 0)
        s = NULL;
    va_end (ap);
    return s;
}

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

int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
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
pid_t spawn (const char *const argv[], const char *logpath, int verbose)
{
    pid_t pid = fork ();
    int fd;

    if (pid != 0)
        return pid;
    setsid ();
    /* If flux start is killed outright, its daemons must not outlive it. */
    prctl (PR_SET_PDEATHSIG, SIGTERM);
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

void print_log_tail (const char *path)
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
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof (ctl)};
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
    char *ready = calloc (st->nprocs + 1, 1);
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
            reaped_other (st, pid, status, 0); /* wait_postgres() says why */
        }
    }
    free (ready);
}

/* A tcp port on the loopback that is free right now (the kernel picks it). */
/* A tcp port on the loopback that is free right now, chosen below the kernel's ephemeral
 * range: a port from that range could be taken, before the daemon binds it, by the local
 * end of any outgoing connection (the other ranks' links among them). */
static int free_port (void)
{
    int lo = 32768, fd, port = -1;
    FILE *f = fopen ("/proc/sys/net/ipv4/ip_local_port_range", "r");

    if (f) {
        if (fscanf (f, "%d", &lo) != 1)
            lo = 32768;
        fclose (f);
    }
    if (lo <= 10000)
        lo = 32768;
    for (int tries = 0; tries < 1000 && port < 0; tries++) {
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
        int candidate = 10000 + (int) (random () % (lo - 10000));
        sin.sin_port = htons (candidate);
        if ((fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            return -1;
        if (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0)
            port = candidate;
        close (fd);
    }
    return port;
}

/* The cluster certificate of a test instance, made on the spot like the munge key. */
static void make_cert (struct start *st, char *path, size_t len)
{
    struct fx_error err = {""};
    struct fx_cert cert;

    snprintf (path, len, "%s/curve.cert", st->rundir);
    if (fx_cert_generate (&cert, "test") < 0 || fx_cert_write (&cert, path, &err) < 0)
        fail (st, "certificate: %s", err.text[0] ? err.text : strerror (errno));
    fx_cert_clear (&cert);
}

/* Where each rank listens for its children and connects to its parent. */
static void overlay_args (struct start *st, struct fx_topo *topo, int r, const int *ports,
                          char **argv, int *n)
{
    int64_t parent = fx_topo_parent (topo, r);
    const uint32_t *kids;
    char buf[PATH_MAX + 32];

    if (fx_topo_children (topo, r, &kids) > 0) {
        snprintf (buf, sizeof (buf), "--bind=tcp://127.0.0.1:%d", ports[r]);
        argv[(*n)++] = strdup (buf);
    }
    if (parent >= 0) {
        snprintf (buf, sizeof (buf), "--parent-uri=tcp://127.0.0.1:%d", ports[parent]);
        argv[(*n)++] = strdup (buf);
    }
    snprintf (buf, sizeof (buf), "--topo=%s", st->topo);
    argv[(*n)++] = strdup (buf);
    snprintf (buf, sizeof (buf), "--cert=%s/curve.cert", st->rundir);
    argv[(*n)++] = strdup (buf);
}

static void daemon_args (struct start *st, const char *path, int r, const char *hosts, char **argv,
                         int *n)
{
    char buf[PATH_MAX + 32];

    argv[(*n)++] = strdup (path);
    snprintf (buf, sizeof (buf), "--rank=%d", r);
    argv[(*n)++] = strdup (buf);
    snprintf (buf, sizeof (buf), "--size=%d", st->size);
    argv[(*n)++] = strdup (buf);
    snprintf (buf, sizeof (buf), "--uri=ipc://%s/rank-%d/router", st->rundir, r);
    argv[(*n)++] = strdup (buf);
    snprintf (buf, sizeof (buf), "--munge-socket=%s", st->munge_socket);
    argv[(*n)++] = strdup (buf);
    if (st->config_dir[0]) {
        snprintf (buf, sizeof (buf), "--config-path=%s", st->config_dir);
        argv[(*n)++] = strdup (buf);
    }
    if (hosts) {
        snprintf (buf, sizeof (buf), "--hosts=%s", hosts);
        argv[(*n)++] = strdup (buf);
    }
}

static void start_daemons (struct start *st, struct fx_hostlist *hosts)
{
    struct fx_error err = {""};
    char path[PATH_MAX], dir[200], cert[PATH_MAX];
    char *hoststr = hosts ? fx_hostlist_encode (hosts) : NULL;
    struct fx_topo *topo;
    int ports[st->size];

    if (!(topo = fx_topo_create (st->topo, st->size, &err)))
        fail (st, "--topo: %s", err.text);
    if (st->size > 1)
        make_cert (st, cert, sizeof (cert));
    for (int r = 0; r < st->size; r++) {
        if ((ports[r] = free_port ()) < 0)
            fail (st, "cannot find a free tcp port: %s", strerror (errno));
    }
    for (int d = 0; d < NDAEMONS; d++) {
        int first = st->nprocs;
        if (fx_path_daemon (daemons[d].name, path, sizeof (path)) < 0 || access (path, X_OK) < 0)
            fail (st, "cannot find flux-%s (looked for %s)", daemons[d].name, path);
        if (strcmp (daemons[d].name, "kvsd") == 0)
            wait_postgres (st);
        for (int r = 0; r < st->size && !(daemons[d].rank0_only && r > 0); r++) {
            struct proc *p = &st->procs[st->nprocs++];
            int n = 0;
            snprintf (dir, sizeof (dir), "%s/rank-%d", st->rundir, r);
            if (mkdir (dir, 0755) < 0 && errno != EEXIST)
                fail (st, "%s: %s", dir, strerror (errno));
            daemon_args (st, path, r, hoststr, p->argv, &n);
            if (hosts)
                p->argv[n++] = strdup_printf ("--hostname=%s", fx_hostlist_nth (hosts, r));
            if (strcmp (daemons[d].name, "overlayd") == 0 && st->size > 1)
                overlay_args (st, topo, r, ports, p->argv, &n);
            if (strcmp (daemons[d].name, "kvsd") == 0 && st->pg) /* else kvs.dsn: kvsd follows it */
                p->argv[n++] = strdup_printf ("--dsn=%s", st->dsn);
            snprintf (p->name, sizeof (p->name), "flux-%s rank %d", daemons[d].name, r);
            p->stage = fx_topo_level (topo, r) * NDAEMONS + d;
            snprintf (p->log, sizeof (p->log), "%s/%s.log", dir, daemons[d].name);
            p->started = now ();
            if ((p->pid = spawn ((const char *const *) p->argv, p->log, st->verbose)) < 0)
                fail (st, "fork: %s", strerror (errno));
        }
        wait_ready (st, first);
    }
    free (hoststr);
    fx_topo_destroy (topo);
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
        fprintf (stderr, "flux-start: %s exited with status %d\n", p->name, WEXITSTATUS (status));
    print_log_tail (p->log);
    return 1;
}

/* A daemon restarted just before the stop may take our SIGTERM before it has set its
 * handler (the sanitizer runtime makes that window wider): stopped as asked, not a crash. */
static int term_at_start (const struct proc *p, int status)
{
    return WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM && p->restarts > 0
           && now () - p->started < 2.0;
}

/* Stop one stage's processes: SIGTERM to all of them, then wait for them together;
 * any still running after STOP_TIMEOUT is killed.  Returns how many did not exit cleanly
 * (a rank that saw its parent go first exits 75: expected here). */
static int stop_stage (struct start *st, int stage)
{
    double deadline = now () + STOP_TIMEOUT;
    int status, failed = 0, running = 0;
    struct proc *p;
    pid_t pid;

    for (int i = st->nprocs - 1; i >= 0; i--) {
        p = &st->procs[i];
        if (p->stage == stage && p->pid > 0 && kill (p->pid, SIGTERM) == 0)
            running++;
    }
    while (running > 0 && now () <= deadline) {
        if ((pid = waitpid (-1, &status, WNOHANG)) <= 0) {
            poll (NULL, 0, 5);
            continue;
        }
        if ((p = proc_by_pid (st, pid))) {
            if (!(WIFEXITED (status) && WEXITSTATUS (status) == 75) && !term_at_start (p, status))
                failed += check_exit (p, status);
            p->pid = 0;
            running -= p->stage == stage;
        } else if (pid == st->munged_pid)
            st->munged_pid = 0;
        else
            reaped_other (st, pid, status, 0);
    }
    for (int i = 0; i < st->nprocs; i++) {
        if ((p = &st->procs[i])->pid <= 0 || p->stage != stage)
            continue;
        fprintf (stderr, "flux-start: %s did not stop, killing it\n", p->name);
        kill (p->pid, SIGKILL);
        waitpid (p->pid, &status, 0);
        failed += check_exit (p, status);
        p->pid = 0;
    }
    return failed;
}

/* Stop everything: the deepest ranks first, a whole level at a time, so that each rank
 * sees its children leave (offline) before it goes; then PostgreSQL, then munged.  Returns
 * the number of daemons that did not exit cleanly. */
static int stop_all (struct start *st)
{
    int failed = 0, maxstage = 0;

    for (int i = 0; i < st->nprocs; i++) {
        if (st->procs[i].stage > maxstage)
            maxstage = st->procs[i].stage;
    }
    for (int stage = maxstage; stage >= 0; stage--)
        failed += stop_stage (st, stage);
    stop_postgres (st);
    stop_munged (st);
    return failed;
}

void fail (struct start *st, const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vwarn (fmt, ap);
    va_end (ap);
    stop_all (st);
    remove_rundir (st);
    exit (1);
}

/* Restart the daemons whose delay is over; returns the seconds until the next one is due
 * (-1 when none waits). */
static double restart_due (struct start *st)
{
    double t = now (), next = -1;

    for (int i = 0; i < st->nprocs; i++) {
        struct proc *p = &st->procs[i];
        if (p->restart_at <= 0)
            continue;
        if (t >= p->restart_at) {
            p->restart_at = 0;
            fprintf (stderr, "flux-start: restarting %s\n", p->name);
            p->started = now ();
            p->pid = spawn ((const char *const *) p->argv, p->log, st->verbose);
        } else if (next < 0 || p->restart_at - t < next)
            next = p->restart_at - t;
    }
    return next;
}

/* Wait for the command, restarting daemons that exit meanwhile the way systemd's units do
 * (Restart=always, except exit status 42 which means "do not restart"): a rank whose parent
 * went away exits 75 and waits for it again once restarted.  Each restart waits
 * restart_delay on its own clock, so that one daemon's delay never holds back noticing
 * (and reporting) the others.  Returns the command's status. */
static int supervise (struct start *st, pid_t command)
{
    double next;
    int status;
    pid_t pid;
    struct proc *p;

    for (;;) {
        next = restart_due (st);
        if ((pid = waitpid (-1, &status, next < 0 ? 0 : WNOHANG)) < 0) {
            if (errno == EINTR)
                continue;
            return 1 << 8;
        }
        if (pid == 0) { /* a restart is pending: wait for it or for a child */
            poll (NULL, 0, next < 0.01 ? 1 : 10);
            continue;
        }
        if (pid == command)
            return status;
        if (!(p = proc_by_pid (st, pid))) {
            reaped_other (st, pid, status, 1);
            continue;
        }
        check_exit (p, status);
        p->pid = 0;
        if (WIFEXITED (status) && (WEXITSTATUS (status) == 0 || WEXITSTATUS (status) == 42))
            continue;
        if (++p->restarts > MAX_RESTARTS) {
            fprintf (stderr, "flux-start: %s restarted too often, giving up on it\n", p->name);
            continue;
        }
        p->restart_at = now () + st->restart_delay;
    }
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
    if (st->dsn)
        setenv ("FLUX_KVS_DSN", st->dsn, 1);
    sigaction (SIGINT, &ign, &oldint);
    sigaction (SIGQUIT, &ign, &oldquit);
    sigaction (SIGTERM, &fwd, &oldterm);
    sigaction (SIGHUP, &fwd, &oldhup);
    if ((pid = fork ()) == 0) {
        sigaction (SIGINT, &oldint, NULL);
        sigaction (SIGQUIT, &oldquit, NULL);
        sigaction (SIGTERM, &oldterm, NULL);
        sigaction (SIGHUP, &oldhup, NULL);
        unsetenv ("NOTIFY_SOCKET");
        execvp (argv[0], argv);
        fprintf (stderr, "flux-start: %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    command_pid = pid;
    if (pid < 0)
        return 1;
    status = supervise (st, pid);
    command_pid = 0;
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
    if (!st.test_hosts) {
        /* Every rank runs here: they all have this host's name. */
        char name[256] = "localhost";
        gethostname (name, sizeof (name) - 1);
        if (!(hosts = fx_hostlist_create ()))
            die ("out of memory");
        for (int r = 0; r < st.size; r++)
            fx_hostlist_append (hosts, name, NULL);
    } else {
        if (!(hosts = fx_hostlist_decode (st.test_hosts, &err)))
            die ("--test-hosts: %s", err.text);
        if (fx_hostlist_count (hosts) < st.size)
            die ("--test-hosts=%s names %d hosts, fewer than --size=%d", st.test_hosts,
                 fx_hostlist_count (hosts), st.size);
    }
    if (!st.munge_socket)
        st.munge_socket = getenv ("FLUX_MUNGE_SOCKET");
    srandom ((unsigned) getpid () ^ (unsigned) time (NULL));
    if (!(st.procs = calloc ((size_t) st.size * NDAEMONS, sizeof (struct proc))))
        die ("out of memory");
    prctl (PR_SET_CHILD_SUBREAPER, 1);
    load_dsn (&st);
    make_rundir (&st);
    start_postgres (&st);
    if (!st.munge_socket || !*st.munge_socket)
        start_munged (&st);
    open_notify_socket (&st);
    start_daemons (&st, hosts);
    wait_postgres (&st);
    /* Nobody reads notifications from now on: close the socket, so that a daemon's later
     * sd_notify (STOPPING=1, a restarted daemon's READY=1) fails at once instead of
     * blocking on a full socket buffer. */
    close (st.notify_fd);
    st.notify_fd = -1;
    unlink (getenv ("NOTIFY_SOCKET"));
    rc = run_command (&st);
    if (stop_all (&st) > 0 && rc == 0)
        rc = 1;
    remove_rundir (&st);
    fx_hostlist_destroy (hosts);
    for (int i = 0; i < st.nprocs; i++) {
        for (int j = 0; st.procs[i].argv[j]; j++)
            free (st.procs[i].argv[j]);
    }
    free (st.procs);
    free (st.dsn);
    return rc;
}
