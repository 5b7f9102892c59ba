/* flux-shell.c - the job shell: started by the IMP (`flux-imp exec flux-shell ID`) as the
 * job's user, it becomes one task of the job (doc/exec.md, "Multi-user: the IMP and the job
 * shell").
 *
 * stdin holds {"J":J,"task":{"rank","env","cpus"?,"truncate"}}, written by flux-execd and
 * passed on by the IMP.  The command, environment, working directory and output files come
 * from the jobspec inside J, which the IMP has just verified: the shell decodes J's payload
 * without verifying the signature again, and only checks that J names the user it runs as.
 * From execd's task object it takes the variables execd sets for every task (the names of
 * services/taskexec.c, nothing else), the CPUs to bind to and whether it truncates the
 * output files.  It resets every signal, binds itself to the CPUs, enters the working
 * directory, opens the output files (so that they belong to the user), and execs the
 * command, searching the job's PATH.
 *
 * It talks to nobody but its stderr, which is the task's stderr stream: bad input, a
 * working directory or an output file that cannot be used is "flux-shell: REASON" and exit
 * 1; a command not found exits 127, one not executable 126, as execd's own tasks do.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/idset.h"
#include "services/jobspec.h"
#include "services/taskexec.h"

#define INPUT_MAX (4u * 1024 * 1024) /* bytes of stdin: J of the largest jobspec, and more */

struct task {
    const char *J;
    int rank;
    json_t *env;      /* {NAME: VALUE} from execd */
    const char *cpus; /* idset, NULL = no binding */
    int truncate;     /* open the output files with O_TRUNC */
};

static void __attribute__ ((noreturn, format (printf, 1, 2))) die (const char *fmt, ...)
{
    va_list ap;

    fputs ("flux-shell: ", stderr);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    exit (1);
}

/* All of stdin (at most INPUT_MAX bytes), NUL-terminated; then stdin is /dev/null. */
static char *read_input (size_t *len)
{
    size_t size = 65536;
    char *buf = malloc (size + 1), *bigger;
    ssize_t n;
    int fd;

    *len = 0;
    if (!buf)
        die ("out of memory");
    while ((n = read (0, buf + *len, size - *len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die ("stdin: %s", strerror (errno));
        if ((*len += (size_t) n) == size) {
            if (size >= INPUT_MAX)
                die ("stdin: more than %u bytes", INPUT_MAX);
            size *= 2;
            if (!(bigger = realloc (buf, size + 1)))
                die ("out of memory");
            buf = bigger;
        }
    }
    buf[*len] = '\0';
    if ((fd = open ("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
        dup2 (fd, 0);
        close (fd);
    }
    return buf;
}

static json_t *parse_input (const char *text, size_t len, struct task *t)
{
    json_error_t jerr;
    json_t *o = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!o)
        die ("stdin: %s", jerr.text);
    if (json_unpack_ex (o, &jerr, JSON_STRICT, "{s:s s:{s:i s:o s?s s:b}}", "J", &t->J, "task",
                        "rank", &t->rank, "env", &t->env, "cpus", &t->cpus, "truncate",
                        &t->truncate)
            < 0
        || !json_is_object (t->env))
        die ("stdin: expected {\"J\",\"task\":{\"rank\",\"env\",\"cpus\"?,\"truncate\"}}");
    return o;
}

/* Decode one base64url part of J (len bytes at b64). */
static char *b64_part (const char *b64, size_t b64len, size_t *len)
{
    size_t max = b64len / 4 * 3 + 3;
    char *buf = malloc (max + 1);

    if (!buf
        || sodium_base642bin ((unsigned char *) buf, max, b64, b64len, NULL, len, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING)
               != 0)
        die ("J: not base64url");
    buf[*len] = '\0';
    return buf;
}

/* J is HEADER.PAYLOAD.SIGNATURE (doc/job.md, "Signing"): the jobspec text, once the header
 * says that J was signed by the user running this shell. */
static char *J_jobspec (const char *J, size_t *len)
{
    const char *dot1 = strchr (J, '.'), *dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
    json_int_t version, userid;
    const char *mech;
    char *header;
    json_t *o;

    if (!dot2)
        die ("J: expected HEADER.PAYLOAD.SIGNATURE");
    header = b64_part (J, (size_t) (dot1 - J), len);
    if (!(o = json_loads (header, 0, NULL))
        || json_unpack_ex (o, NULL, JSON_STRICT, "{s:I s:s s:I}", "version", &version, "mechanism",
                           &mech, "userid", &userid)
               < 0)
        die ("J: bad header");
    if (userid != (json_int_t) getuid ())
        die ("J: signed by uid %jd, the shell runs as uid %u", (intmax_t) userid,
             (unsigned int) getuid ());
    json_decref (o);
    free (header);
    return b64_part (dot1 + 1, (size_t) (dot2 - dot1 - 1), len);
}

static void env_add (char **envp, size_t *n, const char *key, const char *value)
{
    if (asprintf (&envp[(*n)++], "%s=%s", key, value) < 0)
        die ("out of memory");
}

/* The jobspec's environment less what execd sets, then execd's variables for this task. */
static char **task_environ (const struct fx_jobspec *js, json_t *taskenv)
{
    size_t n = 0, max = json_object_size (js->environment) + json_object_size (taskenv) + 1;
    int have_gpus = json_object_get (taskenv, "CUDA_VISIBLE_DEVICES") != NULL;
    char **envp = calloc (max, sizeof (char *));
    const char *key;
    json_t *v;

    if (!envp)
        die ("out of memory");
    json_object_foreach (js->environment, key, v)
    {
        if (json_is_string (v) && !fx_taskexec_reserved (key, have_gpus))
            env_add (envp, &n, key, json_string_value (v));
    }
    json_object_foreach (taskenv, key, v)
    {
        if (json_is_string (v) && fx_taskexec_reserved (key, 1))
            env_add (envp, &n, key, json_string_value (v));
    }
    return envp;
}

static void bind_cpus (const char *cpus)
{
    struct fx_idset *set = cpus ? fx_idset_decode (cpus, NULL) : NULL;
    unsigned int last = set ? fx_idset_last (set) : FX_IDSET_INVALID_ID;
    cpu_set_t *mask;
    size_t size;

    if (last != FX_IDSET_INVALID_ID && (mask = CPU_ALLOC (last + 1))) {
        size = CPU_ALLOC_SIZE (last + 1);
        CPU_ZERO_S (size, mask);
        for (unsigned int id = fx_idset_first (set); id != FX_IDSET_INVALID_ID;
             id = fx_idset_next (set, id))
            CPU_SET_S (id, size, mask);
        (void) sched_setaffinity (0, size, mask); /* as execd: a binding is best effort */
        CPU_FREE (mask);
    }
    fx_idset_destroy (set);
}

/* path with {{id}} replaced by the job's id (relative paths are in the working directory,
 * already entered), opened as the user, made fd `to`. */
static void open_output (const char *path, const char *id, int trunc, int to)
{
    const char *at = strstr (path, "{{id}}");
    char *s = NULL;
    int fd;

    if ((at ? asprintf (&s, "%.*s%s%s", (int) (at - path), path, id, at + 6)
            : asprintf (&s, "%s", path))
        < 0)
        die ("out of memory");
    if ((fd = open (s, O_WRONLY | O_CREAT | O_APPEND | (trunc ? O_TRUNC : 0), 0644)) < 0)
        die ("%s: %s", s, strerror (errno));
    if (dup2 (fd, to) < 0)
        die ("%s: %s", s, strerror (errno));
    close (fd);
    free (s);
}

/* attributes.system.output: stderr to stdout's file when only that is given, as execd. */
static void redirect (const struct fx_jobspec *js, const struct task *t)
{
    json_t *idv = json_object_get (t->env, "FLUX_JOB_ID");
    const char *id = json_is_string (idv) ? json_string_value (idv) : "";

    if (js->output_path)
        open_output (js->output_path, id, t->truncate, 1);
    if (js->error_path && !(js->output_path && strcmp (js->error_path, js->output_path) == 0))
        open_output (js->error_path, id, t->truncate, 2);
    else if (js->output_path && dup2 (1, 2) < 0)
        die ("stderr: %s", strerror (errno));
}

static void reset_signals (void)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal (sig, SIG_DFL);
    }
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
}

int main (int argc, char **argv)
{
    struct fx_error err = {""};
    struct fx_jobspec js;
    struct task t = {0};
    char *text, *spec, **cmd, **envp;
    size_t len;
    json_t *path;

    if (argc != 2) {
        fprintf (stderr, "Usage: flux-shell JOBID (run by flux-imp exec, input on stdin)\n");
        return 1;
    }
    (void) argv; /* the job id: FLUX_JOB_ID from execd names the job */
    text = read_input (&len);
    parse_input (text, len, &t);
    spec = J_jobspec (t.J, &len);
    if (fx_jobspec_parse (spec, len, &js, &err) < 0)
        die ("jobspec: %s", err.text);
    if (!(cmd = calloc (json_array_size (js.command) + 1, sizeof (char *))))
        die ("out of memory");
    for (size_t i = 0; i < json_array_size (js.command); i++)
        cmd[i] = (char *) json_string_value (json_array_get (js.command, i));
    envp = task_environ (&js, t.env);
    reset_signals ();
    bind_cpus (t.cpus);
    if (js.cwd && chdir (js.cwd) < 0)
        die ("cwd %s: %s", js.cwd, strerror (errno));
    redirect (&js, &t);
    path = json_object_get (js.environment, "PATH");
    fx_taskexec (cmd, envp,
                 json_is_string (path) ? json_string_value (path) : FX_TASKEXEC_DEFAULT_PATH,
                 "flux-shell");
}
