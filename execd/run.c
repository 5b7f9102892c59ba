/* run.c - the command runner: `execd.run` (doc/exec.md, "execd.run"; contract C3) and the
 * internal API other parts of execd use (cron.c).
 *
 * A run is one command started with vfork and exec, as the instance owner (execd's own
 * user), in a process group of its own, with stdin from /dev/null, cwd "/", exactly the
 * environment it is given plus FLUX_URI (and a default PATH), and stdout and stderr on one
 * pipe.  Only the last FX_TAILBUF_MAX bytes of output are kept.  A run ends when its process
 * has exited and the pipe is at EOF; then its callback gets the wait status, whether the
 * timeout fired, and the output made valid UTF-8.  A timeout sends SIGTERM to the group, then
 * SIGKILL kill-timeout later; a pipe held open by a process that left the group is given up
 * one more kill-timeout after that.  When the command exits before any timeout, a pipe still
 * held open (by a process it left in the background) is given up one second later.  Nothing here
 * blocks; an execd.run request that does not decode gets one error answer, and the requester going
 * away does not stop the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/execd.h"
#include "services/tailbuf.h"
#include "services/taskexec.h"

#define RUN_ARGV_MAX   4096 /* arguments in one execd.run request */
#define RUN_DRAIN_TIME 1.0  /* seconds the pipe may stay open after the command exited */

struct run {
    struct execd *ed;
    pid_t pid; /* also its process group */
    int exited;
    int status;
    int fd; /* the output pipe's read end; -1 at EOF */
    int timedout;
    int stage; /* 0: running, 1: SIGTERM sent, 2: SIGKILL sent or exited (pipe given up) */
    double kill_timeout;
    ev_child child_w;
    ev_io io_w;
    ev_timer timer_w;
    struct fx_tailbuf out; /* the last output bytes */
    run_done_f cb;         /* NULL once detached */
    void *arg;
    struct run *prev, *next;
};

/* What the child needs, prepared before the vfork. */
struct run_spawn {
    char *const *argv;
    char *const *envp;
    const char *path; /* PATH to search */
    int fd_in, fd_out;
    const sigset_t *mask;
    pid_t parent;
};

static void run_free (struct run *r)
{
    struct execd *ed = r->ed;

    if (r->prev)
        r->prev->next = r->next;
    else
        ed->runs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    ev_child_stop (ed->loop, &r->child_w);
    ev_io_stop (ed->loop, &r->io_w);
    ev_timer_stop (ed->loop, &r->timer_w);
    if (r->fd >= 0)
        close (r->fd);
    free (r);
}

static void run_finish (struct run *r)
{
    if (r->cb)
        r->cb (r, r->status, r->timedout, fx_tailbuf_text (&r->out), r->arg);
    run_free (r);
}

static void run_check_done (struct run *r)
{
    if (r->exited && r->fd < 0)
        run_finish (r);
}

static void io_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct run *r = w->data;
    ssize_t n = read (r->fd, r->ed->buf, EXECD_CHUNK_MAX);

    (void) revents;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        fx_tailbuf_add (&r->out, r->ed->buf, (size_t) n);
        return;
    }
    ev_io_stop (loop, w);
    close (r->fd);
    r->fd = -1;
    run_check_done (r);
}

static void child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
    struct run *r = w->data;

    (void) revents;
    ev_child_stop (loop, w);
    r->exited = 1;
    r->status = w->rstatus;
    if (r->fd >= 0 && r->stage == 0) { /* something it left behind holds the pipe */
        r->stage = 2;
        ev_timer_stop (loop, &r->timer_w);
        ev_timer_set (&r->timer_w, RUN_DRAIN_TIME, 0.);
        ev_timer_start (loop, &r->timer_w);
    }
    run_check_done (r);
}

/* Each step of the end: SIGTERM, SIGKILL, then give up on a pipe still held open. */
static void timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct run *r = w->data;

    (void) revents;
    if (r->stage == 0) {
        r->timedout = revents != 0; /* not run_kill */
        r->stage = 1;
        kill (-r->pid, SIGTERM);
    } else if (r->stage == 1) {
        r->stage = 2;
        kill (-r->pid, SIGKILL);
    } else if (r->exited && r->fd >= 0) {
        ev_io_stop (loop, &r->io_w);
        close (r->fd);
        r->fd = -1;
        run_check_done (r); /* frees r */
        return;
    }
    ev_timer_set (w, r->kill_timeout, 0.);
    ev_timer_start (loop, w);
}

static void __attribute__ ((noreturn)) child (const struct run_spawn *s)
{
    execd_child_setup (s->mask, s->parent);
    if (dup2 (s->fd_in, 0) < 0 || dup2 (s->fd_out, 1) < 0 || dup2 (s->fd_out, 2) < 0)
        _exit (126);
    close_range (3, ~0u, 0);
    if (chdir ("/") < 0)
        _exit (126);
    fx_taskexec (s->argv, s->envp, s->path, "flux-execd");
}

static void run_child (void *arg)
{
    child (arg);
}

static void envp_free (char **envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        free (envp[i]);
    free (envp);
}

/* env's variables (FLUX_URI replaced), FLUX_URI, PATH when env has none, and execd's
 * FLUX_MUNGE_SOCKET when env has none (a test instance's private munged: without it a
 * command could not talk to the instance). */
static char **envp_create (struct execd *ed, const json_t *env, const char **path)
{
    size_t n = 0, max = (env ? json_object_size (env) : 0) + 4;
    const char *munge = getenv ("FLUX_MUNGE_SOCKET");
    char **envp = calloc (max, sizeof (char *));
    const char *key;
    json_t *v;

    *path = RUN_DEFAULT_PATH;
    if (!envp)
        return NULL;
    json_object_foreach ((json_t *) env, key, v)
    {
        if (strcmp (key, "FLUX_URI") == 0)
            continue;
        if (strcmp (key, "PATH") == 0)
            *path = json_string_value (v);
        if (asprintf (&envp[n++], "%s=%s", key, json_string_value (v)) < 0)
            goto nomem;
    }
    if (asprintf (&envp[n++], "FLUX_URI=%s", ed->uri) < 0)
        goto nomem;
    if ((!env || !json_object_get (env, "PATH"))
        && asprintf (&envp[n++], "PATH=%s", RUN_DEFAULT_PATH) < 0)
        goto nomem;
    if (munge && (!env || !json_object_get (env, "FLUX_MUNGE_SOCKET"))
        && asprintf (&envp[n++], "FLUX_MUNGE_SOCKET=%s", munge) < 0)
        goto nomem;
    return envp;
nomem:
    envp[n - 1] = NULL;
    envp_free (envp);
    return NULL;
}

/* Start the process; r->pid and r->fd set. */
static int run_spawn (struct run *r, const struct run_opts *o, struct fx_error *err)
{
    struct run_spawn s = {
        .argv = o->argv, .fd_in = r->ed->devnull, .mask = &r->ed->sigmask, .parent = getpid ()};
    char **envp = envp_create (r->ed, o->env, &s.path);
    int p[2];

    if (!envp)
        return errprintf (err, "out of memory");
    s.envp = envp;
    if (pipe2 (p, O_CLOEXEC) < 0) {
        envp_free (envp);
        return errprintf (err, "pipe: %s", strerror (errno));
    }
    fcntl (p[0], F_SETFL, O_NONBLOCK);
    s.fd_out = p[1];
    r->pid = execd_vfork (run_child, &s);
    close (p[1]);
    envp_free (envp);
    if (r->pid < 0) {
        close (p[0]);
        return errprintf (err, "fork: %s", strerror (errno));
    }
    r->fd = p[0];
    return 0;
}

struct run *run_start (struct execd *ed, const struct run_opts *o, run_done_f cb, void *arg,
                       struct fx_error *err)
{
    struct run *r;

    if (!o->argv || !o->argv[0]) {
        errno = EINVAL;
        errprintf (err, "no command");
        return NULL;
    }
    if (!(r = calloc (1, sizeof (*r)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    r->ed = ed;
    r->fd = -1;
    r->cb = cb;
    r->arg = arg;
    r->kill_timeout = o->kill_timeout > 0 ? o->kill_timeout : RUN_KILL_TIMEOUT;
    if (run_spawn (r, o, err) < 0) {
        free (r);
        return NULL;
    }
    if ((r->next = ed->runs))
        r->next->prev = r;
    ed->runs = r;
    ev_child_init (&r->child_w, child_cb, r->pid, 0);
    r->child_w.data = r;
    ev_child_start (ed->loop, &r->child_w);
    ev_io_init (&r->io_w, io_cb, r->fd, EV_READ);
    r->io_w.data = r;
    ev_io_start (ed->loop, &r->io_w);
    ev_timer_init (&r->timer_w, timer_cb, o->timeout, 0.);
    r->timer_w.data = r;
    if (o->timeout > 0)
        ev_timer_start (ed->loop, &r->timer_w);
    return r;
}

void run_kill (struct run *r)
{
    if (r->stage > 0)
        return;
    ev_timer_stop (r->ed->loop, &r->timer_w);
    timer_cb (r->ed->loop, &r->timer_w, 0);
}

pid_t run_pid (const struct run *r)
{
    return r->pid;
}

void run_detach (struct run *r)
{
    r->cb = NULL;
}

void run_destroy_all (struct execd *ed)
{
    while (ed->runs) {
        if (!ed->runs->exited)
            kill (-ed->runs->pid, SIGKILL);
        run_free (ed->runs);
    }
}

/* execd.run: the answer once the command has ended. */
static void request_done_cb (struct run *r, int status, int timedout, const char *output, void *arg)
{
    struct fx_msg *req = arg;
    json_t *o =
        json_pack ("{s:i s:b s:s}", "status", status, "timedout", timedout, "output", output);

    if (!o || fx_respond (r->ed->peer, req, o) < 0)
        fx_log (r->ed->peer, LOG_ERR, "execd.run: cannot answer: %s", strerror (errno));
    json_decref (o);
    fx_msg_destroy (req);
}

/* argv as strings borrowed from the array; NULL with a message when it is not one. */
static char **argv_decode (const json_t *a, struct fx_error *err)
{
    size_t n = json_array_size (a);
    char **argv;

    if (!json_is_array (a) || n == 0 || n > RUN_ARGV_MAX) {
        errprintf (err, "argv must be an array of 1 to %d strings", RUN_ARGV_MAX);
        return NULL;
    }
    if (!(argv = calloc (n + 1, sizeof (char *)))) {
        errprintf (err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get (a, i);
        if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v)) {
            free (argv);
            errprintf (err, "argv[%zu] must be a string without NUL", i);
            return NULL;
        }
        argv[i] = (char *) json_string_value (v);
    }
    if (argv[0][0] == '\0') {
        free (argv);
        errprintf (err, "argv[0] is empty");
        return NULL;
    }
    return argv;
}

static int env_check (const json_t *env, struct fx_error *err)
{
    const char *key;
    json_t *v;

    if (!env)
        return 0;
    if (!json_is_object (env))
        return errprintf (err, "env must be an object of strings");
    json_object_foreach ((json_t *) env, key, v)
    {
        if (!*key || strchr (key, '='))
            return errprintf (err, "env: bad variable name '%s'", key);
        if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v))
            return errprintf (err, "env: %s must be a string without NUL", key);
    }
    return 0;
}

static int opts_decode (struct fx_msg *req, struct run_opts *o, struct fx_error *err)
{
    json_t *in, *argv = NULL, *env = NULL;
    struct fx_error e = {""};
    json_error_t jerr;

    o->timeout = 0.;
    o->kill_timeout = RUN_KILL_TIMEOUT;
    if (!(in = fx_msg_json (req, err)))
        return -1;
    if (json_unpack_ex (in, &jerr, JSON_STRICT, "{s:o s?o s?F s?F}", "argv", &argv, "env", &env,
                        "timeout", &o->timeout, "kill-timeout", &o->kill_timeout)
        < 0)
        return errprintf (err, "execd.run: %s", jerr.text);
    if (!isfinite (o->timeout) || o->timeout < 0 || o->timeout > 1e9)
        return errprintf (err, "execd.run: timeout must be 0 (none) or a positive number");
    if (!isfinite (o->kill_timeout) || o->kill_timeout <= 0 || o->kill_timeout > 1e9)
        return errprintf (err, "execd.run: kill-timeout must be a positive number");
    if (env_check (env, &e) < 0 || !(o->argv = argv_decode (argv, &e)))
        return errprintf (err, "execd.run: %s", e.text);
    o->env = env;
    return 0;
}

static void run_request_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    struct fx_error err = {""};
    struct run_opts o = {0};
    struct fx_msg *copy;

    if (opts_decode (req, &o, &err) < 0) {
        fx_respond_error (p, req, EPROTO, "%s", err.text);
        return;
    }
    if (ed->stopping) {
        fx_respond_error (p, req, ENOSYS, "flux-execd on rank %u is stopping", ed->rank);
        goto done;
    }
    if (!(copy = fx_msg_copy (req)) || fx_msg_set_payload (copy, NULL) < 0) {
        fx_msg_destroy (copy);
        fx_respond_error (p, req, ENOMEM, "out of memory");
        goto done;
    }
    if (!run_start (ed, &o, request_done_cb, copy, &err)) {
        fx_respond_error (p, req, errno == ENOMEM ? ENOMEM : EINVAL, "execd.run: %s", err.text);
        fx_msg_destroy (copy);
    }
done:
    free ((char **) o.argv);
}

const struct fx_handler run_handlers[] = {
    {"execd.run", run_request_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
