/* cronfile.c - the crontab files of cron.directory, loaded into execd's cron service at
 * start and on each configuration reload.
 *
 * Every regular file in the directory is a crontab, read in name order; names starting
 * with '.' or ending with '~' (editors' files) are skipped.  A reload replaces the entries
 * of files, but a line found again unchanged (same file, schedule and command) keeps its
 * entry, its id and its history.  Entries made with `flux cron tab|interval` are never
 * touched.  A bad line is logged as FILE:LINE: MESSAGE and the file's other lines still
 * load; an unreadable file or directory is logged and skipped.  Files are small and local:
 * reading them in the loop is what reading the configuration does too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/cron.h"

/* The whole file as a string; NULL with a logged reason. */
static char *file_read (struct cron *c, const char *path)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    char *buf = NULL;
    ssize_t n;

    if (fd < 0 || fstat (fd, &st) < 0) {
        fx_log (c->ed->peer, LOG_ERR, "cron: %s: %s", path, strerror (errno));
        goto done;
    }
    if (!S_ISREG (st.st_mode))
        goto done;
    if (st.st_size > CRON_FILE_MAX) {
        fx_log (c->ed->peer, LOG_ERR, "cron: %s: larger than %d bytes, skipped", path,
                CRON_FILE_MAX);
        goto done;
    }
    if (!(buf = malloc ((size_t) st.st_size + 1))
        || (n = read (fd, buf, (size_t) st.st_size)) < 0) {
        fx_log (c->ed->peer, LOG_ERR, "cron: %s: %s", path, strerror (errno));
        free (buf);
        buf = NULL;
        goto done;
    }
    buf[n] = '\0';
done:
    if (fd >= 0)
        close (fd);
    return buf;
}

/* A stale entry of this file with the same schedule and command: kept as it is. */
static struct cron_entry *entry_find (struct cron *c, const char *path, const char *sched,
                                      const char *cmd, size_t cmdlen)
{
    for (struct cron_entry *e = c->entries; e; e = e->next_entry) {
        if (e->stale && strcmp (e->file, path) == 0 && strcmp (e->schedule, sched) == 0
            && strlen (e->command) == cmdlen && strncmp (e->command, cmd, cmdlen) == 0)
            return e;
    }
    return NULL;
}

static void line_load (struct cron *c, const char *path, int lineno, const char *line)
{
    char sched[FX_CRONTAB_SCHED_MAX];
    struct fx_error err = {""};
    struct fx_cronsched s;
    struct cron_entry *e;
    const char *cmd;
    size_t cmdlen;
    int rc = fx_crontab_parse_line (line, &s, sched, &cmd, &cmdlen, &err);

    if (rc < 0)
        fx_log (c->ed->peer, LOG_ERR, "cron: %s:%d: %s", path, lineno, err.text);
    if (rc <= 0)
        return;
    if ((e = entry_find (c, path, sched, cmd, cmdlen))) {
        e->stale = 0;
        e->line = lineno;
        return;
    }
    if (!(e = cron_entry_create (c, CRON_TAB, cmd, cmdlen)) || !(e->file = strdup (path))) {
        fx_log (c->ed->peer, LOG_ERR, "cron: %s:%d: %s", path, lineno,
                strerror (e ? ENOMEM : errno));
        if (e)
            cron_entry_destroy (e, 0);
        return;
    }
    e->line = lineno;
    e->sched = s;
    memcpy (e->schedule, sched, sizeof (sched));
    cron_entry_arm (e);
}

static void file_load (struct cron *c, const char *path)
{
    char *text = file_read (c, path), *line, *next;
    int lineno = 1;

    if (!text)
        return;
    for (line = text; line; line = next, lineno++) {
        if ((next = strchr (line, '\n')))
            *next++ = '\0';
        if (!*line && !next)
            break;
        line_load (c, path, lineno, line);
    }
    free (text);
}

static int skipped_name (const char *name)
{
    size_t len = strlen (name);

    return name[0] == '.' || name[len - 1] == '~';
}

static void dir_load (struct cron *c, const char *dir, int missing_ok)
{
    struct dirent **names = NULL;
    char path[4096];
    int n;

    if ((n = scandir (dir, &names, NULL, alphasort)) < 0) {
        if (!(missing_ok && errno == ENOENT))
            fx_log (c->ed->peer, LOG_ERR, "cron: cron.directory %s: %s", dir, strerror (errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        if (!skipped_name (names[i]->d_name)
            && (size_t) snprintf (path, sizeof (path), "%s/%s", dir, names[i]->d_name)
                   < sizeof (path))
            file_load (c, path);
        free (names[i]);
    }
    free (names);
}

void cronfile_load (struct cron *c, const char *dir, int missing_ok)
{
    struct cron_entry *e, *next;

    for (e = c->entries; e; e = e->next_entry)
        e->stale = e->file != NULL;
    if (dir)
        dir_load (c, dir, missing_ok);
    for (e = c->entries; e; e = next) {
        next = e->next_entry;
        if (e->stale)
            cron_entry_destroy (e, 0);
    }
}
