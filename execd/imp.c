/* imp.c - multi-user execution: the jobs of users other than execd's run through the IMP
 * (doc/exec.md, "Multi-user: the IMP and the job shell").
 *
 * Such a job needs `exec.imp`; without it the job gets an exec exception.  With it, the
 * job's signed request J is read from rank 0's KVS (kvs.get job.<id>.J, asynchronously:
 * meanwhile the job is neither started nor done), then task.c starts each task as
 * `IMP exec SHELL ID`, SHELL being `exec.job-shell` or the flux-shell next to the daemons.
 * The IMP's stdin carries {"J":J,"task":{"rank","env","cpus"?,"truncate"}}: the shell
 * takes the command, environment, working directory and output files from J, and from
 * execd only what execd decides (the FLUX_* variables, CUDA_VISIBLE_DEVICES, the CPUs,
 * whether this task truncates the output files).  That text is written without blocking:
 * what the pipe does not take at once is written as it drains; an IMP that exits before
 * reading it all (a refusal) closes the pipe and the rest is dropped.  A failure to read J
 * is an exec exception; a kill before J came ends the job with the signal as its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "execd/execd.h"
#include "services/conf.h"
#include "services/fluid.h"
#include "services/paths.h"

#define IMP_J_TIMEOUT 30.0 /* seconds for kvsd to give J */

static const char *conf_string (struct execd *ed, const char *key)
{
    json_t *v = fx_conf_get (ed->config, key);

    return json_is_string (v) ? json_string_value (v) : NULL;
}

static void J_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct job *job = arg;
    const char *errstr, *J = NULL;
    json_t *out;

    (void) rpc;
    job->J_rpc = NULL; /* the library frees it after this answer */
    if (fx_msg_errnum (rsp) != 0) {
        errstr = fx_msg_errstr (rsp);
        job_exception (job, 0, "exec", "cannot read J: %s",
                       errstr ? errstr : strerror ((int) fx_msg_errnum (rsp)));
        job_check_done (job); /* may free the job */
        return;
    }
    if (!(out = fx_msg_json (rsp, NULL)) || json_unpack (out, "{s:s}", "value", &J) < 0
        || !(job->J = strdup (J))) {
        job_exception (job, 0, "exec", "cannot read J: %s",
                       out && J ? "out of memory" : "not a string");
        job_check_done (job);
        return;
    }
    job_launch (job);
}

void imp_job_start (struct job *job)
{
    struct execd *ed = job->ed;
    const char *imp = conf_string (ed, "exec.imp");
    char key[64], dothex[FX_FLUID_STRLEN];
    json_t *in;

    if (!imp) {
        job_exception (job, 0, "exec", "job of user %u: multi-user execution needs exec.imp",
                       (unsigned int) job->userid);
        return;
    }
    if (imp[0] != '/') {
        job_exception (job, 0, "exec", "exec.imp: %s is not an absolute path", imp);
        return;
    }
    job->imp = 1;
    fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.J", dothex);
    if (!(in = json_pack ("{s:s}", "key", key))
        || !(job->J_rpc = fx_rpc_start (ed->peer, "kvs.get", 0, 0, in, IMP_J_TIMEOUT, J_cb, job)))
        job_exception (job, 0, "exec", "cannot read J: %s", strerror (errno));
    json_decref (in);
}

void imp_job_abort (struct job *job, int sig)
{
    fx_rpc_cancel (job->J_rpc);
    job->J_rpc = NULL;
    job->started = 1;
    job_respond (job, json_pack ("{s:s}", "type", "start"));
    job->status = sig;
    job_check_done (job); /* may free the job */
}

int imp_task_argv (struct task *t, char *argv[5], struct fx_error *err)
{
    static char shell[PATH_MAX]; /* the default: a constant of the installation */
    struct execd *ed = t->job->ed;
    const char *imp = conf_string (ed, "exec.imp"), *sh = conf_string (ed, "exec.job-shell");

    if (!imp) /* a configuration update took it away since the job started */
        return errprintf (err, "multi-user execution needs exec.imp");
    if (!sh && !shell[0] && fx_path_daemon ("shell", shell, sizeof (shell)) < 0)
        return errprintf (err, "flux-shell: path too long");
    argv[0] = (char *) imp;
    argv[1] = "exec";
    argv[2] = (char *) (sh ? sh : shell);
    argv[3] = t->job->idkey;
    argv[4] = NULL;
    return 0;
}

/* The task's FLUX_* variables (and CUDA_VISIBLE_DEVICES): an IMP job's envp holds only
 * those (task.c). */
static json_t *task_env (struct job *job)
{
    json_t *env = json_object ();

    for (size_t i = 0; env && job->envp[i]; i++) {
        const char *eq = strchr (job->envp[i], '=');
        char *key = eq ? strndup (job->envp[i], (size_t) (eq - job->envp[i])) : NULL;
        if (!key || json_object_set_new (env, key, json_string (eq + 1)) < 0) {
            json_decref (env);
            env = NULL;
        }
        free (key);
    }
    return env;
}

int imp_task_input (struct task *t, struct fx_error *err)
{
    struct fx_idset *cores = task_cores (t);
    char *cpus = cores ? fx_idset_encode (cores, 0) : NULL;
    json_t *o = json_pack ("{s:s s:{s:i s:o s:b}}", "J", t->job->J, "task", "rank", t->rank, "env",
                           task_env (t->job), "truncate", t->rank == 0);

    if (o && cpus && *cpus)
        json_object_set_new (json_object_get (o, "task"), "cpus", json_string (cpus));
    if (o)
        t->in_buf = json_dumps (o, JSON_COMPACT);
    json_decref (o);
    fx_idset_destroy (cores);
    free (cpus);
    if (!t->in_buf)
        return errprintf (err, "out of memory");
    t->in_len = strlen (t->in_buf);
    t->in_off = 0;
    ev_io_init (&t->in_w, NULL, -1, EV_WRITE);
    return 0;
}

void imp_task_release (struct task *t)
{
    if (!t->in_buf)
        return;
    ev_io_stop (t->job->ed->loop, &t->in_w);
    if (t->in_w.fd >= 0)
        close (t->in_w.fd);
    free (t->in_buf);
    t->in_buf = NULL;
}

/* Write what the pipe takes; done (or the IMP gone: EPIPE) releases the writer. */
static void in_write (struct task *t)
{
    while (t->in_off < t->in_len) {
        ssize_t n = write (t->in_w.fd, t->in_buf + t->in_off, t->in_len - t->in_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            ev_io_start (t->job->ed->loop, &t->in_w);
            return;
        }
        if (n < 0)
            break;
        t->in_off += (size_t) n;
    }
    imp_task_release (t);
}

static void in_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    in_write (w->data);
}

void imp_task_write (struct task *t, int fd)
{
    ev_io_init (&t->in_w, in_cb, fd, EV_WRITE);
    t->in_w.data = t;
    if (t->in_len > 65536) /* one write when the system allows such a pipe */
        (void) fcntl (fd, F_SETPIPE_SZ, (int) t->in_len);
    in_write (t);
}
