/* taskexec.c - the variables execd sets for tasks and the PATH search (see taskexec.h).
 *
 * fx_taskexec() runs in execd's vfork child and in the job shell just before it becomes
 * the task: only system calls and stack memory, no stdio, no malloc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/taskexec.h"

static const char *const reserved[] = {
    "FLUX_JOB_ID",    "FLUX_JOB_SIZE",      "FLUX_JOB_NNODES", "FLUX_JOB_NODELIST",
    "FLUX_TASK_RANK", "FLUX_TASK_LOCAL_ID", "FLUX_URI",        "CUDA_VISIBLE_DEVICES",
};

int fx_taskexec_reserved (const char *key, int have_gpus)
{
    for (size_t i = 0; i < sizeof (reserved) / sizeof (reserved[0]); i++) {
        if (strcmp (key, reserved[i]) == 0)
            return strcmp (key, "CUDA_VISIBLE_DEVICES") != 0 || have_gpus;
    }
    return 0;
}

/* The last words, on stderr (the task's stream), as a shell says them. */
static void __attribute__ ((noreturn))
die (const char *prefix, const char *cmd, int errnum, int status)
{
    const char *msg = strerror (errnum);

    (void) !write (2, prefix, strlen (prefix));
    (void) !write (2, ": ", 2);
    (void) !write (2, cmd, strlen (cmd));
    (void) !write (2, ": ", 2);
    (void) !write (2, msg, strlen (msg));
    (void) !write (2, "\n", 1);
    _exit (status);
}

void fx_taskexec (char *const argv[], char *const envp[], const char *path, const char *prefix)
{
    const char *cmd = argv[0], *p = path;
    char file[4096];
    int errnum = ENOENT;
    struct stat st;

    if (strchr (cmd, '/')) {
        execve (cmd, argv, envp);
        die (prefix, cmd, errno, errno == ENOENT ? 127 : 126);
    }
    while (*cmd && p) {
        const char *end = strchr (p, ':');
        size_t len = end ? (size_t) (end - p) : strlen (p);
        if ((size_t) snprintf (file, sizeof (file), "%.*s%s%s", (int) len, p, len ? "/" : "", cmd)
            < sizeof (file)) {
            execve (file, argv, envp);
            /* A directory of PATH that this user cannot search hides nothing: go on, as a
             * shell does, and say "not found" when nothing else is found. */
            if (errno != ENOENT && errno != ENOTDIR && (errno != EACCES || stat (file, &st) == 0))
                errnum = errno;
        }
        p = end ? end + 1 : NULL;
    }
    die (prefix, cmd, errnum, errnum == ENOENT ? 127 : 126);
}
