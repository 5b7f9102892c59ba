/* task.c - one task of a job: its environment, its process, its exit.
 *
 * A task is started with vfork and exec, with no shell and no process in between, so that
 * a job costs execd little more than the task's own exec.  The child runs only system calls
 * on memory it does not change (the parent is suspended until the exec): a new process
 * group, PR_SET_PDEATHSIG, the task's CPU affinity, stdin from /dev/null, stdout and stderr
 * to pipes (or the job's output files), the working directory, then a search of the job's
 * PATH as a shell does.  A working directory that cannot be entered is reported back
 * through the shared memory (the job gets an exec exception); a command that cannot be run
 * exits 127 (126 when found but not executable) with a message on the task's stderr.
 * Exits are reaped by libev's child watchers (the default loop handles SIGCHLD).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "execd/execd.h"

extern char **environ;

/* What the child needs, prepared by the parent; the child writes back only `failed`. */
struct spawn {
    char **argv;
    char *const *envp;
    const char *path; /* PATH to search */
    const char *cwd;  /* NULL: execd's own */
    cpu_set_t *cpus;  /* NULL: no affinity */
    size_t cpus_size;
    int fd_in, fd_out, fd_err;
    const sigset_t *mask; /* the mask the task starts with */
    pid_t parent;
    volatile int failed; /* errno of chdir, written by the child */
};

#define TASK_NVARS 8 /* the variables execd sets (services/taskexec.c) */

/* "0,1,3" for CUDA_VISIBLE_DEVICES. */
static char *gpu_list (const struct fx_idset *gpus)
{
    size_t len = fx_idset_count (gpus) * 11 + 1, off = 0;
    char *s = malloc (len);

    if (!s)
        return NULL;
    s[0] = '\0';
    for (unsigned int id = fx_idset_first (gpus); id != FX_IDSET_INVALID_ID;
         id = fx_idset_next (gpus, id))
        off += (size_t) snprintf (s + off, len - off, "%s%u", off ? "," : "", id);
    return s;
}

static char *nodelist (struct job *job)
{
    char *s = fx_rlist_nodelist (job->R);
    struct fx_idset *ranks;

    if (s || errno != ENOENT)
        return s;
    ranks = fx_rlist_ranks (job->R); /* no host names in R: the ranks say where */
    s = ranks ? fx_idset_encode (ranks, 0) : NULL;
    fx_idset_destroy (ranks);
    return s;
}

static int env_add (char **envp, size_t *n, const char *key, const char *value)
{
    if (asprintf (&envp[*n], "%s=%s", key, value) < 0) {
        envp[*n] = NULL;
        return -1;
    }
    (*n)++;
    return 0;
}

/* The jobspec's environment (less what execd sets), then execd's variables.  The two
 * per-task values are rewritten in place before each spawn. */
int task_env_create (struct job *job, struct fx_error *err)
{
    struct execd *ed = job->ed;
    size_t max =
        (job->js.environment ? json_object_size (job->js.environment) : 0) + TASK_NVARS + 1;
    int have_gpus = fx_idset_count (job->gpus) > 0;
    char *nodes = nodelist (job), *gpus = have_gpus ? gpu_list (job->gpus) : NULL, num[32];
    const char *key;
    json_t *v;
    size_t n = 0;

    if (!(job->envp = calloc (max, sizeof (char *))) || !nodes || (have_gpus && !gpus))
        goto nomem;
    /* An IMP job's shell takes the jobspec's environment from J: envp holds execd's own. */
    json_object_foreach (job->imp ? NULL : job->js.environment, key, v)
    {
        if (json_is_string (v) && !fx_taskexec_reserved (key, have_gpus)
            && env_add (job->envp, &n, key, json_string_value (v)) < 0)
            goto nomem;
    }
    snprintf (num, sizeof (num), "%d", job->ntasks_total);
    if (env_add (job->envp, &n, "FLUX_JOB_ID", job->f58) < 0
        || env_add (job->envp, &n, "FLUX_JOB_SIZE", num) < 0
        || (snprintf (num, sizeof (num), "%zu", fx_rlist_nnodes (job->R)),
            env_add (job->envp, &n, "FLUX_JOB_NNODES", num) < 0)
        || env_add (job->envp, &n, "FLUX_JOB_NODELIST", nodes) < 0
        || env_add (job->envp, &n, "FLUX_URI", ed->uri) < 0
        || (have_gpus && env_add (job->envp, &n, "CUDA_VISIBLE_DEVICES", gpus) < 0)
        || env_add (job->envp, &n, "FLUX_TASK_RANK", "0000000000") < 0
        || env_add (job->envp, &n, "FLUX_TASK_LOCAL_ID", "0000000000") < 0)
        goto nomem;
    job->env_rank = job->envp[n - 2] + strlen ("FLUX_TASK_RANK=");
    job->env_local = job->envp[n - 1] + strlen ("FLUX_TASK_LOCAL_ID=");
    free (nodes);
    free (gpus);
    return 0;
nomem:
    free (nodes);
    free (gpus);
    return errprintf (err, "out of memory");
}

void task_env_free (struct job *job)
{
    for (size_t i = 0; job->envp && job->envp[i]; i++)
        free (job->envp[i]);
    free (job->envp);
    job->envp = NULL;
}

static const char *env_path (struct job *job)
{
    json_t *v = job->js.environment ? json_object_get (job->js.environment, "PATH") : NULL;

    return json_is_string (v) ? json_string_value (v) : EXECD_DEFAULT_PATH;
}

void execd_child_setup (const sigset_t *mask, pid_t parent)
{
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal (sig, SIG_DFL);
    }
    sigprocmask (SIG_SETMASK, mask, NULL);
    setpgid (0, 0);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (127); /* execd died before the line above */
}

static void __attribute__ ((noreturn)) child (struct spawn *s)
{
    execd_child_setup (s->mask, s->parent);
    if (s->cpus)
        sched_setaffinity (0, s->cpus_size, s->cpus);
    if (dup2 (s->fd_in, 0) < 0 || dup2 (s->fd_out, 1) < 0 || dup2 (s->fd_err, 2) < 0)
        _exit (126);
    close_range (3, ~0u, 0);
    if (s->cwd && chdir (s->cwd) < 0) {
        s->failed = errno;
        _exit (126);
    }
    fx_taskexec (s->argv, s->envp, s->path, "flux-execd");
}

/* vfork in a function of its own: nothing of the caller's frame can be clobbered. */
pid_t execd_vfork (void (*child_fn) (void *arg), void *arg)
{
    sigset_t all, old;
    pid_t pid;

    sigfillset (&all);
    sigprocmask (SIG_SETMASK, &all, &old); /* no handler of execd may run in the child */
    pid = vfork ();
    if (pid == 0)
        child_fn (arg);
    sigprocmask (SIG_SETMASK, &old, NULL);
    return pid;
}

static void task_child (void *arg)
{
    child (arg);
}

/* The task's CPUs: local task i of n gets the allocated cores whose index mod n is i, or
 * all of them when there are fewer cores than tasks. */
struct fx_idset *task_cores (const struct task *t)
{
    const struct fx_idset *cores = t->job->cores;
    size_t ncores = fx_idset_count (cores), idx = 0;
    int n = t->job->ntasks;
    struct fx_idset *set;

    if (ncores < (size_t) n)
        return fx_idset_copy (cores);
    if (!(set = fx_idset_create ()))
        return NULL;
    for (unsigned int id = fx_idset_first (cores); id != FX_IDSET_INVALID_ID;
         id = fx_idset_next (cores, id), idx++) {
        if ((int) (idx % (size_t) n) == t->local_id && fx_idset_set (set, id) < 0) {
            fx_idset_destroy (set);
            return NULL;
        }
    }
    return set;
}

static cpu_set_t *task_cpus (struct task *t, size_t *size)
{
    struct fx_idset *cores = task_cores (t);
    unsigned int last = cores ? fx_idset_last (cores) : FX_IDSET_INVALID_ID;
    cpu_set_t *set = NULL;

    if (last != FX_IDSET_INVALID_ID && (set = CPU_ALLOC (last + 1))) {
        *size = CPU_ALLOC_SIZE (last + 1);
        CPU_ZERO_S (*size, set);
        for (unsigned int id = fx_idset_first (cores); id != FX_IDSET_INVALID_ID;
             id = fx_idset_next (cores, id))
            CPU_SET_S (id, *size, set);
    }
    fx_idset_destroy (cores);
    return set;
}

static void child_cb (struct ev_loop *loop, ev_child *w, int revents)
{
    struct task *t = w->data;
    struct job *job = t->job;

    (void) revents;
    ev_child_stop (loop, w);
    t->exited = 1;
    t->status = w->rstatus;
    if (t->status > job->status)
        job->status = t->status;
    if (!t->done && t->out[0].fd < 0 && t->out[1].fd < 0) {
        t->done = 1;
        job->live--;
        job_check_done (job);
    }
}

/* Pipes for the task's stdout and stderr, unless the job writes them to files.  fds[0..1]
 * are execd's read ends (-1 for a file), fds[2..3] what the task writes to. */
static int task_pipes (struct task *t, int fds[4], struct fx_error *err)
{
    for (int i = 0; i < 2; i++) {
        int p[2];
        if (t->job->outfd[i] >= 0) {
            fds[i] = -1;
            fds[2 + i] = t->job->outfd[i];
            continue;
        }
        if (pipe2 (p, O_CLOEXEC) < 0)
            return errprintf (err, "pipe: %s", strerror (errno));
        fcntl (p[0], F_SETFL, O_NONBLOCK);
        fds[i] = p[0];
        fds[2 + i] = p[1];
    }
    return 0;
}

static void close_fds (struct task *t, int fds[4], int ours)
{
    for (int i = 0; i < 2; i++) {
        if (ours && fds[i] >= 0)
            close (fds[i]);
        if (fds[2 + i] >= 0 && fds[2 + i] != t->job->outfd[i])
            close (fds[2 + i]);
    }
}

/* The command: the jobspec's, or for another user's job `IMP exec SHELL ID` with execd's
 * environment (the IMP gives the shell a clean one), stdin a pipe that will carry
 * {"J","task"}, and no chdir (the shell enters the job's directory as the user). */
static int task_command (struct task *t, struct spawn *s, char **argv, int in[2],
                         struct fx_error *err)
{
    struct job *job = t->job;
    size_t argc = json_array_size (job->js.command);

    if (job->imp) {
        if (imp_task_argv (t, argv, err) < 0 || imp_task_input (t, err) < 0)
            return -1;
        if (pipe2 (in, O_CLOEXEC) < 0)
            return errprintf (err, "pipe: %s", strerror (errno));
        fcntl (in[1], F_SETFL, O_NONBLOCK);
        s->argv = argv;
        s->envp = environ;
        s->path = NULL;
        s->cwd = NULL;
        s->fd_in = in[0];
        return 0;
    }
    if (!(s->argv = calloc (argc + 1, sizeof (char *))))
        return errprintf (err, "out of memory");
    for (size_t i = 0; i < argc; i++)
        s->argv[i] = (char *) json_string_value (json_array_get (job->js.command, i));
    return 0;
}

static void task_watch (struct task *t, pid_t pid, int fds[4])
{
    t->pid = pid;
    ev_child_init (&t->child_w, child_cb, pid, 0);
    t->child_w.data = t;
    ev_child_start (t->job->ed->loop, &t->child_w);
    stream_start (&t->out[0], t, STREAM_STDOUT, fds[0]);
    stream_start (&t->out[1], t, STREAM_STDERR, fds[1]);
}

int task_start (struct task *t, int *cwd_failed, struct fx_error *err)
{
    struct job *job = t->job;
    struct spawn s = {
        .envp = job->envp,
        .path = env_path (job),
        .cwd = job->js.cwd,
        .fd_in = job->ed->devnull,
        .mask = &job->ed->sigmask,
        .parent = getpid (),
    };
    int fds[4] = {-1, -1, -1, -1}, in[2] = {-1, -1};
    char *imp_argv[5];
    pid_t pid;

    t->out[0].fd = t->out[1].fd = -1;
    snprintf (job->env_rank, 11, "%d", t->rank);
    snprintf (job->env_local, 11, "%d", t->local_id);
    if (task_command (t, &s, imp_argv, in, err) < 0)
        goto error;
    s.cpus = task_cpus (t, &s.cpus_size);
    if (task_pipes (t, fds, err) < 0)
        goto error;
    s.fd_out = fds[2];
    s.fd_err = fds[3];
    if ((pid = execd_vfork (task_child, &s)) < 0) {
        errprintf (err, "fork: %s", strerror (errno));
        goto error;
    }
    if (s.failed) {
        waitpid (pid, NULL, 0);
        *cwd_failed = 1;
        errprintf (err, "cwd %s: %s", s.cwd, strerror (s.failed));
        goto error;
    }
    close_fds (t, fds, 0);
    task_watch (t, pid, fds);
    if (in[1] >= 0) {
        close (in[0]);
        imp_task_write (t, in[1]);
    }
    if (s.argv != imp_argv)
        free (s.argv);
    CPU_FREE (s.cpus);
    return 0;
error:
    close_fds (t, fds, 1);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close (in[i]);
    }
    imp_task_release (t);
    if (s.argv != imp_argv)
        free (s.argv);
    CPU_FREE (s.cpus);
    return -1;
}

void task_release (struct task *t)
{
    if (!t->job)
        return;
    if (t->pid > 0 && !t->exited)
        ev_child_stop (t->job->ed->loop, &t->child_w);
    stream_stop (&t->out[0]);
    stream_stop (&t->out[1]);
    imp_task_release (t);
}
