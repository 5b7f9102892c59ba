/* pgcluster.c - create, start and stop a private PostgreSQL cluster (see pgcluster.h).
 *
 * Owns a data directory, a socket directory and one postmaster, which it forks and execs
 * itself (not through pg_ctl) so that the server is the caller's child and dies with it.
 * Talks to the PostgreSQL programs (initdb, postgres) and, for readiness only, to libpq's
 * PQping().  A new cluster is a copy of a template made once per account and PostgreSQL
 * version under /var/tmp, since initdb costs about a second and a copy about 50 ms; a
 * template that does not look like ours (owner, mode, a symlink, no PG_VERSION) is ignored
 * and initdb runs in the data directory instead.
 *
 * Failure policy: errors happen at start-up only; each is one line for the caller and the
 * failed call removes what it created.  Stopping cannot fail: it escalates from SIGINT
 * (PostgreSQL's fast shutdown) to SIGQUIT and SIGKILL.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "services/pgcluster.h"

#define PG_LIBDIR        "/usr/lib/postgresql" /* VERSION/bin/{postgres,initdb} (Debian) */
#define PG_TEMPLATE_DIR  "/var/tmp"
#define PG_PORT          "5432" /* only names the socket: there is no tcp */
#define PG_SOCKET_NAME   ".s.PGSQL." PG_PORT
#define PG_READY_TIMEOUT 30.0 /* seconds for the server to accept connections */
#define PG_STOP_TIMEOUT  10.0 /* seconds for a fast shutdown before SIGQUIT */
#define PG_POLL_MS       5
#define SUN_PATH_LEN     sizeof (((struct sockaddr_un *) 0)->sun_path)

struct fx_pgcluster {
    pid_t pid;             /* the postmaster we forked; 0 once reaped */
    int status;            /* its wait status once reaped (-1: reaped by someone else) */
    int ready;             /* fx_pgcluster_wait() succeeded */
    off_t log_start;       /* size of the log when the server started: its lines follow */
    uid_t uid;             /* the account the cluster runs as */
    gid_t gid;             /* its group */
    char user[64];         /* its name, the database superuser */
    char version[32];      /* PostgreSQL major version (the name of its folder) */
    char bindir[PATH_MAX]; /* PG_LIBDIR/VERSION/bin */
    char datadir[PATH_MAX];
    char sockdir[SUN_PATH_LEN];
    char log[PATH_MAX];
    char dsn[SUN_PATH_LEN * 2 + 128];
};

static double now (void)
{
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The highest PostgreSQL version with a server under PG_LIBDIR. */
static int find_server (struct fx_pgcluster *c, struct fx_error *err)
{
    char path[PATH_MAX];
    struct dirent **names;
    int n;

    if ((n = scandir (PG_LIBDIR, &names, NULL, versionsort)) < 0)
        return errprintf (err, "no PostgreSQL server: %s: %s", PG_LIBDIR, strerror (errno));
    for (int i = n - 1; i >= 0; i--) {
        const char *v = names[i]->d_name;
        if (!c->version[0] && v[0] >= '0' && v[0] <= '9' &&
            snprintf (path, sizeof (path), "%s/%s/bin/postgres", PG_LIBDIR, v) <
                (int) sizeof (path) &&
            access (path, X_OK) == 0 && strlen (v) < sizeof (c->version)) {
            memcpy (c->version, v, strlen (v) + 1);
            snprintf (c->bindir, sizeof (c->bindir), "%s/%s/bin", PG_LIBDIR, v);
        }
        free (names[i]);
    }
    free (names);
    if (!c->version[0]) {
        errno = ENOENT;
        return errprintf (err, "no PostgreSQL server in %s/*/bin", PG_LIBDIR);
    }
    return 0;
}

/* The caller's account, or when root an unprivileged one: PostgreSQL refuses root. */
static int find_account (struct fx_pgcluster *c, struct fx_error *err)
{
    struct passwd *pw;

    errno = 0;
    if (geteuid () == 0) {
        if (!(pw = getpwnam ("postgres")) && !(pw = getpwnam ("nobody")))
            return errprintf (err, "running as root, and neither postgres nor nobody exists");
        if (pw->pw_uid == 0) {
            errno = EPERM;
            return errprintf (err, "the %s account is root: PostgreSQL refuses it", pw->pw_name);
        }
    } else if (!(pw = getpwuid (geteuid ())))
        return errprintf (err, "uid %ju has no account name", (uintmax_t) geteuid ());
    if (snprintf (c->user, sizeof (c->user), "%s", pw->pw_name) >= (int) sizeof (c->user)) {
        errno = ENAMETOOLONG;
        return errprintf (err, "account name too long: %s", pw->pw_name);
    }
    c->uid = pw->pw_uid;
    c->gid = pw->pw_gid;
    return 0;
}

/* path made absolute (the server runs in "/"), without trailing slashes. */
static int abspath (char *buf, size_t len, const char *path, struct fx_error *err)
{
    char cwd[PATH_MAX];
    size_t n;

    if (path[0] != '/' && !getcwd (cwd, sizeof (cwd)))
        return errprintf (err, "current directory: %s", strerror (errno));
    if ((size_t) snprintf (buf, len, "%s%s%s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
                           path) >= len) {
        errno = ENAMETOOLONG;
        return errprintf (err, "%s: path too long", path);
    }
    while ((n = strlen (buf)) > 1 && buf[n - 1] == '/')
        buf[n - 1] = '\0';
    return 0;
}

/* Append key=value to the connection string, quoting the value when it needs it. */
static void dsn_add (char *dsn, size_t len, const char *key, const char *value)
{
    size_t n = strlen (dsn);
    int quote = strpbrk (value, " '\\") != NULL || !*value;

    n += snprintf (dsn + n, len - n, "%s%s=%s", n ? " " : "", key, quote ? "'" : "");
    for (; *value && n + 3 < len; value++) {
        if (quote && (*value == '\'' || *value == '\\'))
            dsn[n++] = '\\';
        dsn[n++] = *value;
    }
    snprintf (dsn + n, len - n, "%s", quote ? "'" : "");
}

static int set_paths (struct fx_pgcluster *c, const char *datadir, const char *sockdir,
                      const char *log, struct fx_error *err)
{
    char sock[PATH_MAX];

    if (abspath (c->datadir, sizeof (c->datadir), datadir, err) < 0 ||
        abspath (sock, sizeof (sock), sockdir, err) < 0)
        return -1;
    if (strlen (sock) + 1 + strlen (PG_SOCKET_NAME) >= SUN_PATH_LEN) {
        errno = ENAMETOOLONG;
        return errprintf (err, "%s: path too long for a unix socket (at most %zu characters)", sock,
                          SUN_PATH_LEN - 2 - strlen (PG_SOCKET_NAME));
    }
    memcpy (c->sockdir, sock, strlen (sock) + 1);
    if (log && abspath (c->log, sizeof (c->log), log, err) < 0)
        return -1;
    if (!log && snprintf (c->log, sizeof (c->log), "%s.log", c->datadir) >= (int) sizeof (c->log)) {
        errno = ENAMETOOLONG;
        return errprintf (err, "%s: path too long", c->datadir);
    }
    dsn_add (c->dsn, sizeof (c->dsn), "host", c->sockdir);
    dsn_add (c->dsn, sizeof (c->dsn), "port", PG_PORT);
    dsn_add (c->dsn, sizeof (c->dsn), "dbname", "postgres");
    dsn_add (c->dsn, sizeof (c->dsn), "user", c->user);
    return 0;
}

static int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    remove (path);
    return 0;
}

static void remove_tree (const char *path)
{
    int saved_errno = errno;

    nftw (path, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
    errno = saved_errno;
}

/* Give the cluster's account fd (when we are root) and mode. */
static int set_owner_mode (const struct fx_pgcluster *c, int fd, mode_t mode)
{
    if (geteuid () == 0 && fchown (fd, c->uid, c->gid) < 0)
        return -1;
    return fchmod (fd, mode);
}

/* Create dir unless it exists; either way make it a real directory (not a symlink) of the
 * cluster's account, mode 0700.  *created says whether we made it. */
static int own_dir (const struct fx_pgcluster *c, const char *dir, int *created,
                    struct fx_error *err)
{
    int fd;

    *created = mkdir (dir, 0700) == 0;
    if (!*created && errno != EEXIST)
        return errprintf (err, "%s: %s", dir, strerror (errno));
    if ((fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        set_owner_mode (c, fd, 0700) < 0) {
        errprintf (err, "%s: %s", dir, strerror (errno));
        if (fd >= 0)
            close (fd);
        if (*created)
            rmdir (dir);
        return -1;
    }
    close (fd);
    return 0;
}

static int open_log (const struct fx_pgcluster *c, off_t *size, struct fx_error *err)
{
    struct stat st;
    int fd;

    if ((fd = open (c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
        return errprintf (err, "%s: %s", c->log, strerror (errno));
    *size = fstat (fd, &st) == 0 ? st.st_size : 0;
    return fd;
}

/* The line of the log, from offset off on, that best says why a program failed: the last
 * one with FATAL:, PANIC: or error: in it (from that word on), else the last one. */
static void log_reason (const char *path, off_t off, char *buf, size_t len)
{
    static const char *const words[] = {"FATAL:", "PANIC:", "error:"};
    char text[8192], *line, *save, *last = NULL, *worst = NULL;
    struct stat st;
    ssize_t n = -1;
    int fd;

    snprintf (buf, len, "see %s", path);
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) >= 0) {
        if (fstat (fd, &st) == 0 && st.st_size - off > (off_t) sizeof (text) - 1)
            off = st.st_size - (off_t) (sizeof (text) - 1);
        n = pread (fd, text, sizeof (text) - 1, off);
        close (fd);
    }
    if (n <= 0)
        return;
    text[n] = '\0';
    for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        last = line;
        for (size_t i = 0; i < sizeof (words) / sizeof (words[0]); i++) {
            char *w = strstr (line, words[i]);
            if (w) {
                worst = i < 2 ? w : line;
                break;
            }
        }
    }
    if (worst || last)
        snprintf (buf, len, "%s", worst ? worst : last);
}

/* Fork and exec argv as the cluster's account, in a new session, with stdout and stderr on
 * logfd; it gets SIGINT when we die.  Callers are single-threaded (initgroups after fork).
 * Returns the child's pid, or -1 with errno. */
static pid_t spawn_as (const struct fx_pgcluster *c, const char *const argv[], int logfd)
{
    pid_t parent = getpid ();
    pid_t pid = fork ();
    sigset_t none;
    int fd;

    if (pid != 0)
        return pid;
    if ((fd = open ("/dev/null", O_RDONLY)) < 0 || dup2 (fd, STDIN_FILENO) < 0 ||
        dup2 (logfd, STDOUT_FILENO) < 0 || dup2 (logfd, STDERR_FILENO) < 0)
        _exit (127);
    close_range (3, ~0U, 0);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    setsid ();
    /* PostgreSQL would send READY=1 to a notify socket that is not about it. */
    unsetenv ("NOTIFY_SOCKET");
    if (chdir ("/") < 0 ||
        (geteuid () == 0 &&
         (setgid (c->gid) < 0 || initgroups (c->user, c->gid) < 0 || setuid (c->uid) < 0))) {
        fprintf (stderr, "cannot run as %s: %s\n", c->user, strerror (errno));
        _exit (127);
    }
    /* After the change of uid, which clears it; the parent may have died in between.
     * SIGINT is PostgreSQL's fast shutdown: SIGTERM would wait for clients to go. */
    if (prctl (PR_SET_PDEATHSIG, SIGINT) < 0 || getppid () != parent)
        _exit (127);
    execv (argv[0], (char *const *) argv);
    fprintf (stderr, "%s: %s\n", argv[0], strerror (errno));
    _exit (127);
}

static int run_initdb (struct fx_pgcluster *c, const char *dir, struct fx_error *err)
{
    char initdb[PATH_MAX + 16], reason[200];
    /* clang-format off */
    const char *argv[] = {initdb, "-D", dir, "--no-sync", "-E", "UTF8", "--locale=C",
                          "--auth-local=trust", "--auth-host=reject", "-U", c->user, NULL};
    /* clang-format on */
    int fd, status;
    off_t off;
    pid_t pid;

    snprintf (initdb, sizeof (initdb), "%s/initdb", c->bindir);
    if ((fd = open_log (c, &off, err)) < 0)
        return -1;
    pid = spawn_as (c, argv, fd);
    close (fd);
    if (pid < 0)
        return errprintf (err, "fork: %s", strerror (errno));
    while (waitpid (pid, &status, 0) < 0) {
        if (errno != EINTR)
            return errprintf (err, "initdb: %s", strerror (errno));
    }
    if (status != 0) {
        log_reason (c->log, off, reason, sizeof (reason));
        errno = EIO;
        return errprintf (err, "initdb failed: %s", reason);
    }
    return 0;
}

/* Copy fd in to fd out: in the kernel where the filesystem allows it, else read/write. */
static int copy_data (int in, int out)
{
    char buf[65536];
    ssize_t n, done;

    while ((n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0)) > 0)
        ;
    if (n == 0)
        return 0;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
        return -1;
    while ((n = read (in, buf, sizeof (buf))) > 0) {
        for (ssize_t off = 0; off < n; off += done) {
            if ((done = write (out, buf + off, n - off)) < 0)
                return -1;
        }
    }
    return n < 0 ? -1 : 0;
}

static int copy_tree (const struct fx_pgcluster *c, int sfd, int dfd);

/* Copy one entry of the template: a directory, a file or a symlink (PostgreSQL makes
 * nothing else); modes are kept, the owner is the cluster's account. */
static int copy_entry (const struct fx_pgcluster *c, int sfd, int dfd, const char *name,
                       const struct stat *st)
{
    char target[PATH_MAX];
    int in, out = -1, rc = -1;
    ssize_t n;

    if (S_ISLNK (st->st_mode)) {
        if ((n = readlinkat (sfd, name, target, sizeof (target) - 1)) < 0)
            return -1;
        target[n] = '\0';
        if (symlinkat (target, dfd, name) < 0)
            return -1;
        return geteuid () == 0 ? fchownat (dfd, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW) : 0;
    }
    if (!S_ISDIR (st->st_mode) && !S_ISREG (st->st_mode))
        return 0;
    if (S_ISDIR (st->st_mode) && mkdirat (dfd, name, 0700) < 0)
        return -1;
    if (S_ISDIR (st->st_mode)) {
        in = openat (sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        out = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } else {
        in = openat (sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        out = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (in >= 0 && out >= 0)
        rc = S_ISDIR (st->st_mode) ? copy_tree (c, in, out) : copy_data (in, out);
    if (rc == 0)
        rc = set_owner_mode (c, out, st->st_mode & 07777);
    if (in >= 0)
        close (in);
    if (out >= 0)
        close (out);
    return rc;
}

/* Copy the contents of directory sfd into directory dfd.  Only the account's own files are
 * copied: anything else in the template fails the copy with EPERM. */
static int copy_tree (const struct fx_pgcluster *c, int sfd, int dfd)
{
    struct dirent *e;
    struct stat st;
    DIR *dir;
    int fd, rc = 0;

    if ((fd = fcntl (sfd, F_DUPFD_CLOEXEC, 0)) < 0)
        return -1;
    if (!(dir = fdopendir (fd))) {
        close (fd);
        return -1;
    }
    while (rc == 0 && (errno = 0, e = readdir (dir))) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
        if ((rc = fstatat (sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) < 0)
            break;
        if (st.st_uid != c->uid) {
            errno = EPERM;
            rc = -1;
        } else
            rc = copy_entry (c, sfd, dfd, e->d_name, &st);
    }
    if (rc == 0 && errno != 0)
        rc = -1;
    closedir (dir);
    return rc;
}

/* The template, if it can be trusted: a real directory (not a symlink) of the cluster's
 * account, mode 0700, holding PG_VERSION.  Returns an open fd, or -1 with errno ENOENT
 * (there is none) or EPERM (there is one, not to be trusted). */
static int template_open (const struct fx_pgcluster *c, const char *path)
{
    struct stat st;
    int fd;

    if ((fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            errno = EPERM;
        return -1;
    }
    if (fstat (fd, &st) < 0 || st.st_uid != c->uid || (st.st_mode & 07777) != 0700 ||
        fstatat (fd, "PG_VERSION", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* Make the template: initdb into a temporary sibling, renamed into place once complete (a
 * concurrent start may win the rename: its template is as good).  Returns -1 only when
 * initdb failed; when /var/tmp cannot be used there is no template and 0. */
static int template_create (struct fx_pgcluster *c, const char *path, struct fx_error *err)
{
    char tmp[PATH_MAX + 8];

    snprintf (tmp, sizeof (tmp), "%s.XXXXXX", path);
    if (!mkdtemp (tmp))
        return 0;
    if (geteuid () == 0 && chown (tmp, c->uid, c->gid) < 0) {
        rmdir (tmp);
        return 0;
    }
    if (run_initdb (c, tmp, err) < 0) {
        remove_tree (tmp);
        return -1;
    }
    if (rename (tmp, path) < 0)
        remove_tree (tmp);
    return 0;
}

/* Fill the data directory with a copy of the template, made in a temporary sibling and
 * renamed into place, so that the data directory never holds half a cluster. */
static int datadir_from_template (struct fx_pgcluster *c, int tfd, struct fx_error *err)
{
    char tmp[PATH_MAX + 8];
    int fd, rc = -1;

    snprintf (tmp, sizeof (tmp), "%s.XXXXXX", c->datadir);
    if (!mkdtemp (tmp))
        return errprintf (err, "cannot create %s: %s", c->datadir, strerror (errno));
    if ((fd = open (tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
        rc = copy_tree (c, tfd, fd);
        if (rc == 0)
            rc = set_owner_mode (c, fd, 0700);
        close (fd);
    }
    if (rc < 0) {
        errprintf (err, "copying the PostgreSQL template into %s: %s", c->datadir,
                   strerror (errno));
        remove_tree (tmp);
        return -1;
    }
    if (rename (tmp, c->datadir) < 0) {
        if (errno == ENOTEMPTY || errno == EEXIST)
            errprintf (err, "%s: not empty, and holds no cluster (no PG_VERSION)", c->datadir);
        else
            errprintf (err, "%s: %s", c->datadir, strerror (errno));
        remove_tree (tmp);
        return -1;
    }
    return 0;
}

/* The pid in DATADIR/postmaster.pid, or 0; with ready set, only once the server has marked
 * itself ready to accept connections there (line 8, as pg_ctl reads it).  Waiting for that
 * keeps the log free of "the database system is starting up" from early connections. */
static pid_t pidfile_pid (const struct fx_pgcluster *c, int ready)
{
    char path[PATH_MAX + 32], line[128] = "";
    long pid = 0;
    FILE *f;

    snprintf (path, sizeof (path), "%s/postmaster.pid", c->datadir);
    if (!(f = fopen (path, "re")))
        return 0;
    if (fscanf (f, "%ld", &pid) != 1 || pid <= 0 || pid > INT32_MAX)
        pid = 0;
    for (int i = 1; ready && i <= 8 && fgets (line, sizeof (line), f); i++)
        ;
    fclose (f);
    return !ready || strncmp (line, "ready", 5) == 0 ? (pid_t) pid : 0;
}

/* The state of process pid from /proc/PID/stat ('R', 'S'...), 0 when it is not running (no
 * such process, or a zombie); its command name goes into comm when that is not NULL. */
static char proc_state (pid_t pid, char *comm, size_t len)
{
    char path[64], buf[512], *lp, *rp;
    ssize_t n = -1;
    int fd;

    snprintf (path, sizeof (path), "/proc/%ld/stat", (long) pid);
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) >= 0) {
        n = read (fd, buf, sizeof (buf) - 1);
        close (fd);
    }
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "PID (COMM) STATE ...", where COMM may hold anything, parentheses included. */
    if (!(lp = strchr (buf, '(')) || !(rp = strrchr (buf, ')')) || rp[1] != ' ')
        return 0;
    if (comm)
        snprintf (comm, len, "%.*s", (int) (rp - lp - 1), lp + 1);
    return rp[2] == 'Z' || rp[2] == 'X' ? 0 : rp[2];
}

/* Whether pid is a running postgres process (a pid in a stale postmaster.pid may have been
 * reused by anything). */
static int is_postgres (pid_t pid)
{
    char comm[32] = "";

    return proc_state (pid, comm, sizeof (comm)) != 0 && strcmp (comm, "postgres") == 0;
}

/* A crashed server leaves postmaster.pid behind; the server would refuse to start while
 * the pid in it names a live process, which after a reboot can be anything. */
static void remove_stale_pidfile (const struct fx_pgcluster *c)
{
    char path[PATH_MAX + 32];
    pid_t pid = pidfile_pid (c, 0);

    snprintf (path, sizeof (path), "%s/postmaster.pid", c->datadir);
    if (pid > 0 && !is_postgres (pid))
        unlink (path);
}

/* Make sure the data directory holds a cluster: the one already there, a copy of the
 * template (made first if there is none), or, with an untrusted template, a new one. */
static int prepare_datadir (struct fx_pgcluster *c, struct fx_error *err)
{
    char version[PATH_MAX + 16], path[128];
    struct stat st;
    int fd, created;

    snprintf (version, sizeof (version), "%s/PG_VERSION", c->datadir);
    if (stat (version, &st) == 0 && S_ISREG (st.st_mode)) {
        if (own_dir (c, c->datadir, &created, err) < 0)
            return -1;
        remove_stale_pidfile (c);
        return 0;
    }
    snprintf (path, sizeof (path), "%s/flux-pgtemplate-%ju-%s", PG_TEMPLATE_DIR, (uintmax_t) c->uid,
              c->version);
    if ((fd = template_open (c, path)) < 0 && errno == ENOENT) {
        if (template_create (c, path, err) < 0)
            return -1;
        fd = template_open (c, path);
    }
    if (fd >= 0) {
        int rc = datadir_from_template (c, fd, err);
        close (fd);
        return rc;
    }
    if (own_dir (c, c->datadir, &created, err) < 0)
        return -1;
    if (run_initdb (c, c->datadir, err) < 0) {
        if (created)
            remove_tree (c->datadir);
        return -1;
    }
    return 0;
}

static int spawn_server (struct fx_pgcluster *c, struct fx_error *err)
{
    char postgres[PATH_MAX + 16];
    /* clang-format off */
    const char *argv[] = {postgres, "-D", c->datadir, "-k", c->sockdir, "-p", PG_PORT,
                          "-c", "listen_addresses=",
                          "-c", "unix_socket_permissions=0700",
                          "-c", "shared_buffers=16MB",
                          "-c", "max_connections=20",
                          "-c", "fsync=on",
                          "-c", "synchronous_commit=on",
                          "-c", "logging_collector=off",
                          NULL};
    /* clang-format on */
    int fd;

    snprintf (postgres, sizeof (postgres), "%s/postgres", c->bindir);
    if ((fd = open_log (c, &c->log_start, err)) < 0)
        return -1;
    c->pid = spawn_as (c, argv, fd);
    close (fd);
    if (c->pid < 0) {
        c->pid = 0;
        return errprintf (err, "fork: %s", strerror (errno));
    }
    return 0;
}

struct fx_pgcluster *fx_pgcluster_spawn (const char *datadir, const char *sockdir, const char *log,
                                         struct fx_error *err)
{
    struct fx_pgcluster *c;
    int created_sockdir = 0;

    if (!datadir || !sockdir) {
        errno = EINVAL;
        errprintf (err, "no data or socket directory given");
        return NULL;
    }
    if (!(c = calloc (1, sizeof (*c)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    if (find_server (c, err) < 0 || find_account (c, err) < 0 ||
        set_paths (c, datadir, sockdir, log, err) < 0 ||
        own_dir (c, c->sockdir, &created_sockdir, err) < 0)
        goto error;
    if (prepare_datadir (c, err) < 0 || spawn_server (c, err) < 0)
        goto error;
    return c;
error:
    if (created_sockdir)
        remove_tree (c->sockdir);
    free (c);
    return NULL;
}

/* Collect the server's exit status if it has exited. */
static void reap_server (struct fx_pgcluster *c)
{
    int status;
    pid_t pid;

    if (c->pid <= 0)
        return;
    if ((pid = waitpid (c->pid, &status, WNOHANG)) == c->pid)
        fx_pgcluster_reaped (c, status);
    else if (pid < 0 && errno == ECHILD)
        fx_pgcluster_reaped (c, -1); /* someone else's waitpid (-1) got it */
}

void fx_pgcluster_reaped (struct fx_pgcluster *c, int status)
{
    if (c) {
        c->pid = 0;
        c->status = status;
    }
}

static void describe_exit (int status, char *buf, size_t len)
{
    if (status == -1)
        snprintf (buf, len, "exited");
    else if (WIFSIGNALED (status))
        snprintf (buf, len, "was killed by signal %d", WTERMSIG (status));
    else
        snprintf (buf, len, "exited with status %d", WEXITSTATUS (status));
}

int fx_pgcluster_wait (struct fx_pgcluster *c, struct fx_error *err)
{
    double deadline = now () + PG_READY_TIMEOUT;
    char sock[SUN_PATH_LEN + 32], how[64], reason[200];

    snprintf (sock, sizeof (sock), "%s/%s", c->sockdir, PG_SOCKET_NAME);
    while (!c->ready) {
        reap_server (c);
        if (c->pid == 0) {
            describe_exit (c->status, how, sizeof (how));
            log_reason (c->log, c->log_start, reason, sizeof (reason));
            errno = ECHILD;
            return errprintf (err, "postgres %s: %s", how, reason);
        }
        if (pidfile_pid (c, 1) == c->pid && access (sock, F_OK) == 0 &&
            PQping (c->dsn) == PQPING_OK)
            c->ready = 1;
        else if (now () > deadline) {
            log_reason (c->log, c->log_start, reason, sizeof (reason));
            errno = ETIMEDOUT;
            return errprintf (err, "postgres is not ready after %.0f s: %s", PG_READY_TIMEOUT,
                              reason);
        } else
            poll (NULL, 0, PG_POLL_MS);
    }
    return 0;
}

struct fx_pgcluster *fx_pgcluster_start (const char *datadir, const char *sockdir, const char *log,
                                         struct fx_error *err)
{
    struct fx_pgcluster *c = fx_pgcluster_spawn (datadir, sockdir, log, err);

    if (c && fx_pgcluster_wait (c, err) < 0) {
        fx_pgcluster_stop (c);
        return NULL;
    }
    return c;
}

const char *fx_pgcluster_dsn (const struct fx_pgcluster *c)
{
    return c->dsn;
}

const char *fx_pgcluster_datadir (const struct fx_pgcluster *c)
{
    return c->datadir;
}

const char *fx_pgcluster_log (const struct fx_pgcluster *c)
{
    return c->log;
}

pid_t fx_pgcluster_pid (const struct fx_pgcluster *c)
{
    return c->pid;
}

/* Whether pid has gone: reaped here if it is our child (the one we forked, or a server
 * pg_ctl started that became ours as a subreaper's orphan), else no longer running (a
 * zombie counts as gone: its parent may never reap it). */
static int gone (pid_t pid)
{
    int status;
    pid_t r = waitpid (pid, &status, WNOHANG);

    if (r == pid)
        return 1;
    if (r == 0)
        return 0;
    return proc_state (pid, NULL, 0) == 0;
}

/* Stop a postmaster: fast shutdown, then quit, then kill, each given some time. */
static void stop_pid (pid_t pid)
{
    static const struct {
        int signum;
        double timeout;
    } steps[] = {{SIGINT, PG_STOP_TIMEOUT}, {SIGQUIT, 2.0}, {SIGKILL, 5.0}};

    for (size_t i = 0; i < sizeof (steps) / sizeof (steps[0]); i++) {
        double deadline = now () + steps[i].timeout;
        if (kill (pid, steps[i].signum) < 0)
            return;
        while (!gone (pid)) {
            if (now () > deadline)
                break;
            poll (NULL, 0, PG_POLL_MS);
        }
        if (gone (pid))
            return;
    }
}

void fx_pgcluster_stop (struct fx_pgcluster *c)
{
    int saved_errno = errno;
    pid_t pid;

    if (!c)
        return;
    reap_server (c);
    if (c->pid > 0)
        stop_pid (c->pid);
    /* A server restarted behind our back (pg_ctl restart) is not the one we forked. */
    if ((pid = pidfile_pid (c, 0)) > 0 && pid != c->pid && is_postgres (pid))
        stop_pid (pid);
    free (c);
    errno = saved_errno;
}
