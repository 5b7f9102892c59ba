/* command.c - the commands jobd runs for plugins (fx_jobtap_cmd_start, services/jobtap.h):
 * perilog.so's prolog and epilog.
 *
 * Each command is a child of jobd in its own process group, with stdin /dev/null, stdout
 * and stderr on one pipe of which the last FX_JOBTAP_OUTPUT_MAX bytes are kept, and
 * PR_SET_PDEATHSIG SIGTERM so that it does not outlive jobd.  jobd has worker threads
 * (signing), so the child only calls async-signal-safe functions between fork and exec:
 * everything (the path, argv, the environment) is prepared before the fork.  libev's child
 * watcher reaps it; the callback comes once it has exited and its output is read to EOF (or
 * one second after it exited, when something it left behind still holds the pipe).
 * Failure policy: a command that cannot be started is an error to the caller, nothing is
 * left behind; jobd stopping sends SIGTERM to every command's group and calls nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobd/jobd.h"
#include "services/tailbuf.h"

_Static_assert(FX_JOBTAP_OUTPUT_MAX == FX_TAILBUF_MAX, "plugins are promised what is kept");

#define DRAIN_TIME 1.0 /* seconds the output may stay open after the command exited */
/* A command with no timeout that runs this long is logged as a warning, then again every
 * SLOW_REPEAT seconds: an epilog that hangs holds its job's resources until someone acts. */
#define SLOW_FIRST  300.0
#define SLOW_REPEAT 1800.0

struct fx_jobtap_cmd {
    struct jobd *jd;
    struct fx_jobtap_cmd *next; /* in jd->commands */
    pid_t pid;                  /* also its process group */
    int fd;                     /* output pipe, -1 once closed */
    ev_child child_w;
    ev_io out_w;
    ev_timer timeout_w, kill_w, drain_w, slow_w;
    double t_start;
    char what[160]; /* "flux perilog-run epilog (job ƒ2grBbm)", for the slow warning */
    int exited, status, timedout;
    struct fx_tailbuf out;
    fx_jobtap_cmd_f cb;
    void *arg;
};

struct commands {
    struct fx_jobtap_cmd *head;
};

int commands_create (struct jobd *jd)
{
    return (jd->commands = calloc (1, sizeof (*jd->commands))) ? 0 : -1;
}

static void unlink_cmd (struct jobd *jd, struct fx_jobtap_cmd *cmd)
{
    for (struct fx_jobtap_cmd **pp = &jd->commands->head; *pp; pp = &(*pp)->next) {
        if (*pp == cmd) {
            *pp = cmd->next;
            return;
        }
    }
}

static void stop_all (struct fx_jobtap_cmd *cmd)
{
    struct ev_loop *loop = cmd->jd->loop;

    ev_child_stop (loop, &cmd->child_w);
    ev_io_stop (loop, &cmd->out_w);
    ev_timer_stop (loop, &cmd->timeout_w);
    ev_timer_stop (loop, &cmd->kill_w);
    ev_timer_stop (loop, &cmd->drain_w);
    ev_timer_stop (loop, &cmd->slow_w);
    if (cmd->fd >= 0)
        close (cmd->fd);
    cmd->fd = -1;
}

void commands_destroy (struct jobd *jd)
{
    struct fx_jobtap_cmd *cmd, *next;

    if (!jd->commands)
        return;
    for (cmd = jd->commands->head; cmd; cmd = next) {
        next = cmd->next;
        if (!cmd->exited)
            kill (-cmd->pid, SIGTERM);
        stop_all (cmd);
        free (cmd);
    }
    free (jd->commands);
    jd->commands = NULL;
}

static void finish (struct fx_jobtap_cmd *cmd)
{
    struct jobd *jd = cmd->jd;

    stop_all (cmd);
    unlink_cmd (jd, cmd);
    cmd->cb (cmd, cmd->status, cmd->timedout, fx_tailbuf_text (&cmd->out), cmd->arg);
    free (cmd);
}

static void child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
    struct fx_jobtap_cmd *cmd = w->data;

    (void) revents;
    cmd->exited = 1;
    cmd->status = w->rstatus;
    ev_child_stop (loop, w);
    ev_timer_stop (loop, &cmd->timeout_w);
    ev_timer_stop (loop, &cmd->kill_w);
    ev_timer_stop (loop, &cmd->slow_w);
    if (cmd->fd < 0)
        finish (cmd);
    else
        ev_timer_start (loop, &cmd->drain_w);
}

static void out_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct fx_jobtap_cmd *cmd = w->data;
    char buf[FX_JOBTAP_OUTPUT_MAX];
    ssize_t n = read (cmd->fd, buf, sizeof (buf));

    (void) revents;
    if (n > 0) {
        fx_tailbuf_add (&cmd->out, buf, (size_t) n);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    ev_io_stop (loop, w);
    close (cmd->fd);
    cmd->fd = -1;
    if (cmd->exited)
        finish (cmd);
}

static void drain_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    finish (w->data);
}

static void kill_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct fx_jobtap_cmd *cmd = w->data;

    (void) loop;
    (void) revents;
    if (!cmd->exited)
        kill (-cmd->pid, SIGKILL);
}

void fx_jobtap_cmd_terminate (struct fx_jobtap_cmd *cmd)
{
    if (!cmd || cmd->exited || ev_is_active (&cmd->kill_w))
        return;
    kill (-cmd->pid, SIGTERM);
    ev_timer_start (cmd->jd->loop, &cmd->kill_w);
}

static void timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct fx_jobtap_cmd *cmd = w->data;

    (void) loop;
    (void) revents;
    cmd->timedout = 1;
    fx_jobtap_cmd_terminate (cmd);
}

static void slow_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct fx_jobtap_cmd *cmd = w->data;

    (void) revents;
    fx_log (cmd->jd->peer, LOG_WARNING, "%s (pid %d) still running after %.0fs, with no timeout",
            cmd->what, (int) cmd->pid, ev_now (loop) - cmd->t_start);
}

/* The first words of argv and the job id of env, for the slow warning. */
static void describe (struct fx_jobtap_cmd *cmd, char *const argv[], char *const env[])
{
    size_t n = 0;

    for (int i = 0; i < 3 && argv[i] && n < sizeof (cmd->what); i++)
        n += (size_t) snprintf (cmd->what + n, sizeof (cmd->what) - n, "%s%s", i ? " " : "",
                                argv[i]);
    for (size_t i = 0; env && env[i] && n < sizeof (cmd->what); i++)
        if (!strncmp (env[i], "FLUX_JOB_ID=", 12))
            snprintf (cmd->what + n, sizeof (cmd->what) - n, " (job %s)", env[i] + 12);
}

/* argv0 found in env's PATH (default /usr/bin:/bin) into buf; NULL with ENOENT. */
static const char *find_program (const char *argv0, char *const env[], char *buf, size_t len)
{
    const char *path = "/usr/bin:/bin", *p, *end;

    if (strchr (argv0, '/'))
        return access (argv0, X_OK) == 0 ? argv0 : NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (!strncmp (env[i], "PATH=", 5))
            path = env[i] + 5;
    for (p = path; *p; p = *end ? end + 1 : end) {
        end = strchrnul (p, ':');
        if (end > p && snprintf (buf, len, "%.*s/%s", (int) (end - p), p, argv0) < (int) len
            && access (buf, X_OK) == 0)
            return buf;
    }
    errno = ENOENT;
    return NULL;
}

/* In the child: only async-signal-safe calls. */
static void child (const char *path, char *const argv[], char *const env[], int out, int null,
                   pid_t parent)
{
    sigset_t none;

    setpgid (0, 0);
    prctl (PR_SET_PDEATHSIG, SIGTERM);
    if (getppid () != parent)
        _exit (126);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGPIPE, SIG_DFL);
    if (dup2 (null, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
        _exit (126);
    syscall (SYS_close_range, 3U, ~0U, 0U);
    if (chdir ("/") < 0)
        _exit (126);
    execve (path, argv, env);
    _exit (127);
}

static struct fx_jobtap_cmd *spawn (struct jobd *jd, const char *path, char *const argv[],
                                    char *const env[], struct fx_error *err)
{
    struct fx_jobtap_cmd *cmd = calloc (1, sizeof (*cmd));
    int fds[2] = {-1, -1}, null = -1;
    pid_t parent = getpid ();

    if (!cmd || pipe2 (fds, O_CLOEXEC) < 0
        || (null = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        errprintf (err, "%s: %s", argv[0], strerror (errno));
        goto error;
    }
    if ((cmd->pid = fork ()) < 0) {
        errprintf (err, "%s: fork: %s", argv[0], strerror (errno));
        goto error;
    }
    if (cmd->pid == 0)
        child (path, argv, env, fds[1], null, parent);
    setpgid (cmd->pid, cmd->pid); /* either of the two calls wins the race */
    close (fds[1]);
    close (null);
    fcntl (fds[0], F_SETFL, O_NONBLOCK);
    cmd->fd = fds[0];
    cmd->jd = jd;
    return cmd;
error:
    if (fds[0] >= 0) {
        close (fds[0]);
        close (fds[1]);
    }
    if (null >= 0)
        close (null);
    free (cmd);
    return NULL;
}

struct fx_jobtap_cmd *command_start (struct jobd *jd, char *const argv[], char *const env[],
                                     double timeout, double kill_timeout, fx_jobtap_cmd_f cb,
                                     void *arg, struct fx_error *err)
{
    char buf[4096];
    const char *path;
    struct fx_jobtap_cmd *cmd;

    if (!jd->commands || !argv || !argv[0] || !cb) {
        errno = EINVAL;
        errprintf (err, "invalid command");
        return NULL;
    }
    if (!(path = find_program (argv[0], env, buf, sizeof (buf)))) {
        errprintf (err, "%s: %s", argv[0], strerror (errno));
        return NULL;
    }
    if (!(cmd = spawn (jd, path, argv, env, err)))
        return NULL;
    cmd->cb = cb;
    cmd->arg = arg;
    ev_child_init (&cmd->child_w, child_cb, cmd->pid, 0);
    ev_io_init (&cmd->out_w, out_cb, cmd->fd, EV_READ);
    ev_timer_init (&cmd->timeout_w, timeout_cb, timeout, 0);
    ev_timer_init (&cmd->kill_w, kill_cb, kill_timeout > 0 ? kill_timeout : 10.0, 0);
    ev_timer_init (&cmd->drain_w, drain_cb, DRAIN_TIME, 0);
    ev_timer_init (&cmd->slow_w, slow_cb, SLOW_FIRST, SLOW_REPEAT);
    cmd->child_w.data = cmd->out_w.data = cmd->timeout_w.data = cmd->kill_w.data =
        cmd->drain_w.data = cmd->slow_w.data = cmd;
    cmd->t_start = ev_now (jd->loop);
    describe (cmd, argv, env);
    ev_child_start (jd->loop, &cmd->child_w);
    ev_io_start (jd->loop, &cmd->out_w);
    if (timeout > 0)
        ev_timer_start (jd->loop, &cmd->timeout_w);
    else
        ev_timer_start (jd->loop, &cmd->slow_w);
    cmd->next = jd->commands->head;
    jd->commands->head = cmd;
    return cmd;
}
