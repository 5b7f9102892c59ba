/* flux.c - the command front end: `flux CMD ARGS` runs flux-CMD ARGS.
 *
 * Commands are separate programs found in the command directory (the build tree's cli/
 * or LIBEXECDIR/flux/cmd, see services/paths.h).  The table below gives `flux help` its
 * one-line descriptions; a flux-CMD program not in the table still runs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/paths.h"

struct command {
    const char *name;
    const char *summary;
};

static const struct command commands[] = {
    {"start", "start a local instance and run a command in it"},
    {"ping", "measure round trips to a service or a rank"},
    {"dmesg", "print the rank's log ring buffer"},
    {"config", "show or reload the configuration"},
    {"getattr", "print instance attributes (rank, size, metrics endpoints...)"},
    {"hostlist", "expand, count, index and compress host lists"},
    {"R", "make, read, check and combine resource sets (R)"},
    {"resource", "show resources and their states; drain and undrain nodes"},
    {"keygen", "create the cluster certificate of an instance"},
    {"overlay", "show the tree overlay and its health"},
    {"kvs", "read and write the key-value store"},
    {"submit", "submit a job"},
    {"run", "submit a job, wait for it and show its output"},
    {"job", "manage jobs: urgency, cancel, signal, wait, eventlog, output, purge"},
    {"jobs", "list jobs"},
    {"cancel", "cancel jobs"},
    {"queue", "enable, disable, start, stop and wait for the job queue"},
    {"cron", "run commands on a schedule (interval, crontab) on rank 0"},
    {"perilog-run", "run a job's prolog or epilog on its ranks (job-manager.prolog.command)"},
    {NULL, NULL},
};

static void usage (FILE *f)
{
    fprintf (f, "Usage: flux [-h] [-V] COMMAND [ARGS...]\n"
                "Run 'flux help' for the list of commands.\n");
}

static void help (void)
{
    printf ("Usage: flux COMMAND [ARGS...]\n\nCommands:\n");
    for (const struct command *c = commands; c->name; c++)
        printf ("  %-12s %s\n", c->name, c->summary);
    printf ("\nRun 'flux help COMMAND' or 'flux COMMAND --help' for a command's options.\n");
}

static int run_command (const char *name, int argc, char **argv)
{
    char path[PATH_MAX], arg0[128];
    const char *dir = fx_path_cmddir ();

    if (strchr (name, '/') || name[0] == '.' || name[0] == '-') {
        fprintf (stderr, "flux: invalid command name '%s'\n", name);
        usage (stderr);
        return 2;
    }
    snprintf (path, sizeof (path), "%s/flux-%s", dir, name);
    snprintf (arg0, sizeof (arg0), "flux-%s", name);
    if (access (path, X_OK) < 0) {
        fprintf (stderr, "flux: unknown command '%s'\n", name);
        usage (stderr);
        return 2;
    }
    argv[0] = arg0;
    (void) argc;
    execv (path, argv);
    fprintf (stderr, "flux: %s: %s\n", path, strerror (errno));
    return 1;
}

int main (int argc, char **argv)
{
    char *help_argv[] = {NULL, "--help", NULL};

    if (argc < 2) {
        usage (stderr);
        return 2;
    }
    if (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")) {
        help ();
        return 0;
    }
    if (!strcmp (argv[1], "-V") || !strcmp (argv[1], "--version")) {
        printf ("flux %s\n", FX_VERSION);
        return 0;
    }
    if (argv[1][0] == '-') {
        fprintf (stderr, "flux: unknown option '%s'\n", argv[1]);
        usage (stderr);
        return 2;
    }
    if (!strcmp (argv[1], "help")) {
        if (argc < 3) {
            help ();
            return 0;
        }
        return run_command (argv[2], 2, help_argv);
    }
    return run_command (argv[1], argc - 1, argv + 1);
}
