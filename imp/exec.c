/* exec.c - `flux-imp exec SHELL JOBID`: start a job shell as the user who signed the job.
 *
 * Checks, in order: the caller is in exec.allowed-users, the resolved SHELL is in
 * exec.allowed-shells (each falling back to the top-level key), then the request on stdin
 * (one JSON object, at most 1 MiB) holds a J that verifies (services/sign.c, sign.max-ttl),
 * and its signer is not root.  Parsing the request and verifying J is work on the caller's
 * input, so it runs in a child that has dropped to the caller's uid for good and reports
 * only the signer's uid (or its one-line refusal) through a pipe; the root parent never
 * parses the request.  Then the whole request, unchanged, is put in a pipe that becomes the
 * shell's stdin, and spawn.c starts the shell.  Each refusal is logged and ends the IMP.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imp/imp.h"
#include "services/sign.h"

#define REQUEST_MAX (1024 * 1024)

/* The whole of stdin into a new buffer, at most REQUEST_MAX bytes. */
static char *read_request (size_t *len, struct fx_error *err)
{
    char *buf = malloc (REQUEST_MAX + 1);
    size_t n = 0;
    ssize_t r;

    if (!buf) {
        errprintf (err, "out of memory");
        return NULL;
    }
    while (n <= REQUEST_MAX && (r = read (STDIN_FILENO, buf + n, REQUEST_MAX + 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            errprintf (err, "stdin: %s", strerror (errno));
            goto fail;
        }
        n += (size_t) r;
    }
    if (n > REQUEST_MAX) {
        errprintf (err, "stdin: request over %d bytes", REQUEST_MAX);
        goto fail;
    }
    *len = n;
    return buf;
fail:
    free (buf);
    return NULL;
}

/* In the unprivileged child: the signer of the request's J, or -1 with err. */
static long verify_request (const struct imp *imp, const char *buf, size_t len,
                            struct fx_error *err)
{
    json_error_t jerr;
    json_t *o, *J;
    uint32_t uid;
    char *payload;
    size_t plen;
    long rc = -1;

    if (!(o = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object (o)) {
        errprintf (err, "stdin: not a JSON object%s%s", o ? "" : ": ", o ? "" : jerr.text);
        goto done;
    }
    if (!(J = json_object_get (o, "J")) || !json_is_string (J)) {
        errprintf (err, "stdin: no \"J\" string");
        goto done;
    }
    if (fx_sign_unwrap (json_string_value (J), imp->max_ttl, imp->munge_socket, &uid, &payload,
                        &plen, err)
        == 0) {
        free (payload);
        rc = (long) uid;
    }
done:
    json_decref (o);
    return rc;
}

static void __attribute__ ((noreturn))
verifier (const struct imp *imp, const char *buf, size_t len, int fd)
{
    struct fx_error err = {""};
    char line[FX_ERROR_LEN + 32];
    long uid = -1;
    int n;

    if (imp_drop_privileges (imp->ruid, imp->rgid, NULL, &err) == 0)
        uid = verify_request (imp, buf, len, &err);
    if (uid >= 0)
        n = snprintf (line, sizeof (line), "ok %ld", uid);
    else
        n = snprintf (line, sizeof (line), "refused %s", err.text);
    _exit (write (fd, line, (size_t) n) == n ? 0 : 1);
}

/* Verify the request as the caller; returns the signer's uid or -1 with err. */
static long verify_unprivileged (const struct imp *imp, const char *buf, size_t len,
                                 struct fx_error *err)
{
    char line[FX_ERROR_LEN + 32] = "";
    int fds[2], status;
    ssize_t n = 0, r;
    pid_t pid;

    if (pipe2 (fds, O_CLOEXEC) < 0)
        return errprintf (err, "pipe: %s", strerror (errno));
    fflush (NULL);
    if ((pid = fork ()) < 0)
        return errprintf (err, "fork: %s", strerror (errno));
    if (pid == 0) {
        close (fds[0]);
        verifier (imp, buf, len, fds[1]);
    }
    close (fds[1]);
    while ((r = read (fds[0], line + n, sizeof (line) - 1 - (size_t) n)) > 0
           || (r < 0 && errno == EINTR))
        n += r > 0 ? r : 0;
    close (fds[0]);
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    line[n] = '\0';
    if (strncmp (line, "ok ", 3) == 0)
        return strtol (line + 3, NULL, 10);
    if (strncmp (line, "refused ", 8) == 0)
        return errprintf (err, "%s", line + 8);
    return errprintf (err, "the request could not be verified");
}

/* A pipe holding the whole request, its write end closed: the shell's stdin. */
static int request_pipe (const char *buf, size_t len, struct fx_error *err)
{
    int fds[2];
    ssize_t w;
    size_t n = 0;

    if (pipe2 (fds, O_CLOEXEC) < 0)
        return errprintf (err, "pipe: %s", strerror (errno));
    if (len > 0 && fcntl (fds[1], F_SETPIPE_SZ, (int) len) < 0)
        goto fail; /* root may always grow a pipe to 1 MiB */
    while (n < len && ((w = write (fds[1], buf + n, len - n)) > 0 || errno == EINTR))
        n += w > 0 ? (size_t) w : 0;
    if (n < len)
        goto fail;
    close (fds[1]);
    return fds[0];
fail:
    errprintf (err, "pipe: %s", strerror (errno));
    close (fds[0]);
    close (fds[1]);
    return -1;
}

/* Whether shell (resolved) is one of the allowed shells (as written, or resolved). */
static bool shell_allowed (const struct imp *imp, const char *shell)
{
    const json_t *list = imp_conf_list (imp, "exec.allowed-shells", "allowed-shells");
    char rp[PATH_MAX];
    const json_t *v;
    size_t i;

    json_array_foreach (list, i, v)
    {
        const char *s = json_string_value (v);
        if (s && (strcmp (s, shell) == 0 || (realpath (s, rp) && strcmp (rp, shell) == 0)))
            return true;
    }
    return false;
}

/* A job id is passed to the shell and logged: printable ASCII or UTF-8, no space. */
static bool jobid_valid (const char *id)
{
    size_t n = strlen (id);

    if (n == 0 || n > 64)
        return false;
    for (; *id; id++) {
        if ((unsigned char) *id <= ' ' || *id == 0x7f)
            return false;
    }
    return true;
}

static void env_add (char **env, int *n, const char *name, const char *value)
{
    if (asprintf (&env[*n], "%s=%s", name, value) < 0) {
        fprintf (stderr, "flux-imp: exec: out of memory\n");
        exit (IMP_EXIT_REFUSED);
    }
    (*n)++;
}

static void start_shell (const struct imp *imp, struct imp_decision *d, const char *shell,
                         char *jobid, const char *buf, size_t len)
{
    char *argv[] = {(char *) shell, jobid, NULL};
    struct passwd *pw = getpwuid ((uid_t) d->target);
    char *env[5] = {NULL};
    struct fx_error err;
    int n = 0;

    if (!pw)
        imp_refuse (imp, d, "no user with uid %ld", d->target);
    env_add (env, &n, "HOME", pw->pw_dir);
    env_add (env, &n, "USER", pw->pw_name);
    env_add (env, &n, "LOGNAME", pw->pw_name);
    env_add (env, &n, "PATH", "/usr/bin:/bin");
    struct imp_target t = {
        .uid = pw->pw_uid,
        .gid = pw->pw_gid,
        .user = pw->pw_name,
        .path = shell,
        .argv = argv,
        .envp = env,
    };
    if ((t.stdin_fd = request_pipe (buf, len, &err)) < 0)
        imp_refuse (imp, d, "%s", err.text);
    imp_allow (imp, d);
    imp_spawn (&t, &err);
    imp_refuse (imp, d, "%s", err.text);
}

int imp_cmd_exec (struct imp *imp, int argc, char **argv)
{
    struct imp_decision d = {"exec", -1, NULL, NULL};
    char shell[PATH_MAX], rp[PATH_MAX];
    struct fx_error err;
    size_t len;
    char *buf;

    if (argc != 2)
        imp_refuse (imp, &d, "usage: flux-imp exec SHELL JOBID");
    d.path = argv[0];
    if (!jobid_valid (argv[1]))
        imp_refuse (imp, &d, "invalid job id");
    d.jobid = argv[1];
    if (!imp_caller_allowed (imp, "exec.allowed-users", "allowed-users"))
        imp_refuse (imp, &d, "user %s (uid %lu) is not in exec.allowed-users",
                    imp->caller[0] ? imp->caller : "?", (unsigned long) imp->ruid);
    if (!realpath (argv[0], shell))
        imp_refuse (imp, &d, "%s: %s", argv[0], strerror (errno));
    d.path = shell;
    if (!shell_allowed (imp, shell))
        imp_refuse (imp, &d, "shell %s is not in exec.allowed-shells", shell);
    /* The shell runs as any user who signs a job: only root may be able to change it. */
    if (imp_conf_check_file (shell, rp, &err) < 0)
        imp_refuse (imp, &d, "%s", err.text);
    if (!(buf = read_request (&len, &err)))
        imp_refuse (imp, &d, "%s", err.text);
    if ((d.target = verify_unprivileged (imp, buf, len, &err)) < 0)
        imp_refuse (imp, &d, "%s", err.text);
    if (d.target == 0)
        imp_refuse (imp, &d, "job user is root (uid 0): refused");
    start_shell (imp, &d, shell, argv[1], buf, len);
    return -1;
}
