/* paths.c - locate commands and daemons (see paths.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/paths.h"

#ifndef FX_LIBEXECDIR
#define FX_LIBEXECDIR "/usr/local/libexec"
#endif

const char *fx_path_srctree (void)
{
    static char top[PATH_MAX];
    static int done;
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n;
    char *slash;

    if (done)
        return top[0] ? top : NULL;
    done = 1;
    if ((n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1)) < 0)
        return NULL;
    exe[n] = '\0';
    /* Programs live one folder below the top: cli/flux, overlayd/flux-overlayd. */
    for (int i = 0; i < 2 && (slash = strrchr (exe, '/')); i++)
        *slash = '\0';
    snprintf (probe, sizeof (probe), "%s/services/msg.h", exe);
    if (access (probe, F_OK) == 0)
        snprintf (top, sizeof (top), "%s", exe);
    return top[0] ? top : NULL;
}

const char *fx_path_cmddir (void)
{
    static char dir[PATH_MAX + 16];
    const char *env = getenv ("FLUX_EXEC_PATH");
    const char *top;

    if (env && *env)
        return env;
    if ((top = fx_path_srctree ()))
        snprintf (dir, sizeof (dir), "%s/cli", top);
    else
        snprintf (dir, sizeof (dir), "%s/flux/cmd", FX_LIBEXECDIR);
    return dir;
}

int fx_path_daemon (const char *name, char *buf, size_t len)
{
    const char *top = fx_path_srctree ();
    int n;

    if (top)
        n = snprintf (buf, len, "%s/%s/flux-%s", top, name, name);
    else
        n = snprintf (buf, len, "%s/flux/flux-%s", FX_LIBEXECDIR, name);
    if (n < 0 || (size_t) n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
