/* config.c - flux-imp's configuration: the security checks on its directories, loading the
 * imp and security spaces with the shared loader (services/conf.c), and list lookups.
 *
 * A configuration that anyone but root could change would let that user choose who the IMP
 * runs what as, so before a directory is read it must be root's: the directory itself and
 * every entry in it owned by root and not writable by group or others (no symbolic links),
 * and every directory above it owned by root and not writable by group or others, except a
 * root-owned sticky directory such as /tmp (others may add entries there, but cannot replace
 * root's).  Paths are resolved first and the resolved path is what is read.  Every failure is
 * -1 with one line in the error struct naming the path; nothing is logged here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imp/imp.h"
#include "services/conf.h"
#include "services/sign.h"

/* Only root may change what st describes. */
static int check_mode (const char *path, const struct stat *st, bool sticky_ok,
                       struct fx_error *err)
{
    if (st->st_uid != 0)
        return errprintf (err, "%s: owned by uid %lu, not root", path, (unsigned long) st->st_uid);
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX)))
        return errprintf (err, "%s: writable by group or others", path);
    return 0;
}

/* Every directory above the resolved path rp. */
static int check_ancestors (const char *rp, struct fx_error *err)
{
    char buf[PATH_MAX];
    struct stat st;
    char *slash;

    snprintf (buf, sizeof (buf), "%s", rp);
    while ((slash = strrchr (buf, '/'))) {
        if (slash == buf)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat (buf, &st) < 0)
            return errprintf (err, "%s: %s", buf, strerror (errno));
        if (check_mode (buf, &st, true, err) < 0)
            return -1;
        if (slash == buf)
            break;
    }
    return 0;
}

static int check_entries (const char *dir, struct fx_error *err)
{
    char path[PATH_MAX];
    struct dirent *d;
    struct stat st;
    DIR *dp;
    int rc = 0;

    if (!(dp = opendir (dir)))
        return errprintf (err, "%s: %s", dir, strerror (errno));
    while (rc == 0 && (d = readdir (dp))) {
        if (!strcmp (d->d_name, ".") || !strcmp (d->d_name, ".."))
            continue;
        if (snprintf (path, sizeof (path), "%s/%s", dir, d->d_name) >= (int) sizeof (path))
            rc = errprintf (err, "%s/%s: path too long", dir, d->d_name);
        else if (lstat (path, &st) < 0)
            rc = errprintf (err, "%s: %s", path, strerror (errno));
        else if (S_ISLNK (st.st_mode))
            rc = errprintf (err, "%s: is a symbolic link", path);
        else
            rc = check_mode (path, &st, false, err);
    }
    closedir (dp);
    return rc;
}

int imp_conf_check_secure (const char *dir, struct fx_error *err)
{
    char rp[PATH_MAX];
    struct stat st;

    if (!realpath (dir, rp))
        return errprintf (err, "%s: %s", dir, strerror (errno));
    if (stat (rp, &st) < 0)
        return errprintf (err, "%s: %s", rp, strerror (errno));
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return errprintf (err, "%s: not a directory", rp);
    }
    errno = EPERM;
    if (check_mode (rp, &st, false, err) < 0 || check_ancestors (rp, err) < 0
        || check_entries (rp, err) < 0)
        return -1;
    return 0;
}

int imp_conf_check_file (const char *path, char *rp, struct fx_error *err)
{
    struct stat st;

    if (path[0] != '/') {
        errno = EPERM;
        return errprintf (err, "%s: not an absolute path", path);
    }
    if (!realpath (path, rp) || stat (rp, &st) < 0)
        return errprintf (err, "%s: %s", path, strerror (errno));
    errno = EPERM;
    if (!S_ISREG (st.st_mode))
        return errprintf (err, "%s: not a regular file", rp);
    if (check_mode (rp, &st, false, err) < 0 || check_ancestors (rp, err) < 0)
        return -1;
    return 0;
}

/* Check then load one space; *conf stays NULL (and 0 is returned) when missing_ok and the
 * directory does not exist. */
static int load_space (const char *dir, const struct fx_conf_schema *schema, bool missing_ok,
                       json_t **conf, struct fx_error *err)
{
    char rp[PATH_MAX];

    *conf = NULL;
    if (!realpath (dir, rp)) {
        if (errno == ENOENT && missing_ok)
            return 0;
        if (errno == ENOENT)
            return errprintf (err, "no configuration (%s: %s)", dir, strerror (errno));
        return errprintf (err, "%s: %s", dir, strerror (errno));
    }
    if (imp_conf_check_secure (rp, err) < 0)
        return -1;
    if (!(*conf = fx_conf_load (rp, schema, err)))
        return -1;
    return 0;
}

int imp_conf_load (struct imp *imp, struct fx_error *err)
{
    json_t *security = NULL, *ttl;

    imp->max_ttl = FX_SIGN_MAX_TTL_DEFAULT;
    if (load_space (imp->imp_dir, &fx_conf_schema_imp, false, &imp->conf, err) < 0
        || load_space (imp->security_dir, &fx_conf_schema_security, true, &security, err) < 0)
        return -1;
    if (security && (ttl = fx_conf_get (security, "sign.max-ttl")) && json_is_integer (ttl))
        imp->max_ttl = json_integer_value (ttl);
    json_decref (security);
    return 0;
}

const json_t *imp_conf_list (const struct imp *imp, const char *key, const char *fallback)
{
    const json_t *list = fx_conf_get (imp->conf, key);

    if (!list && fallback)
        list = fx_conf_get (imp->conf, fallback);
    return json_is_array (list) ? list : NULL;
}

bool imp_list_has (const json_t *list, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach (list, i, v)
    {
        if (json_is_string (v) && strcmp (json_string_value (v), s) == 0)
            return true;
    }
    return false;
}

bool imp_caller_allowed (const struct imp *imp, const char *key, const char *fallback)
{
    return imp_list_has (imp_conf_list (imp, key, fallback), imp->caller);
}
