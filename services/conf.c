/* conf.c - configuration directories: read, convert to JSON, check, merge.
 *
 * Owns the walk of a configuration directory and the translation of each libconfig file into
 * JSON; confschema.c owns what is valid.  Each file is converted whole (groups to objects,
 * arrays and lists to arrays, scalars as written), checked against the schema on its own,
 * then merged into the files before it: groups (and maps of groups) merge member by member,
 * any other key may be set only once.  The file and line of every key path are kept in an
 * "origins" object so that messages can point at them, a key set twice naming both places.
 * After the last file, the whole is checked again for required keys.  It talks to libconfig
 * and jansson only, and never logs.  Failure policy: the first error stops the load;
 * everything built so far is freed and the caller gets NULL, errno and one line naming
 * file:line.  A half-merged configuration never escapes.
 */
#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/conf.h"

#define CONF_MAX_BYTES (1024 * 1024) /* a configuration file is small; refuse anything bigger */
#define CONF_MAX_LINES 65535         /* libconfig keeps line numbers in 16 bits */
#define CONF_MAX_DEPTH 32            /* nesting limit, far beyond any schema */
#define SCAN_MAX_DEPTH 64            /* brackets the pre-scan follows; deeper is refused */

struct loader {
    const char *file;     /* file being read, for messages */
    json_t *conf;         /* merged configuration of the files before this one */
    json_t *origins;      /* key path -> "FILE:LINE" where it was first set */
    json_t *file_origins; /* the same for the file being read */
    struct fx_error *err; /* where messages go */
};

typedef json_t *(*convert_f) (struct loader *ld, const config_setting_t *s, const char *path,
                              int depth);

static json_t *convert (struct loader *ld, const config_setting_t *s, const char *path, int depth);

/* Report "FILE:LINE: message" for setting s; EINVAL. */
static int fail (const struct loader *ld, const config_setting_t *s, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int fail (const struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    char msg[FX_ERROR_LEN];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    errno = EINVAL;
    return errprintf (ld->err, "%s:%u: %s", ld->file, config_setting_source_line (s), msg);
}

static int oom (struct fx_error *err)
{
    errno = ENOMEM;
    return errprintf (err, "out of memory");
}

/* A new JSON value from jansson, or NULL after saying it ran out of memory. */
static json_t *made (struct loader *ld, json_t *v)
{
    if (!v)
        oom (ld->err);
    return v;
}

/* Checked here because jansson refuses invalid UTF-8 without saying why it failed. */
static bool utf8_valid (const char *s)
{
    static const struct {
        unsigned char mask, lead; /* lead byte & mask == lead */
        int follow;               /* continuation bytes */
        unsigned int min;         /* smallest code point of this length */
    } forms[] = {{0xe0, 0xc0, 1, 0x80}, {0xf0, 0xe0, 2, 0x800}, {0xf8, 0xf0, 3, 0x10000}};
    const unsigned char *p = (const unsigned char *) s;

    while (*p) {
        size_t f = 0;
        unsigned int cp;
        if (*p < 0x80) {
            p++;
            continue;
        }
        while (f < 3 && (*p & forms[f].mask) != forms[f].lead)
            f++;
        if (f == 3)
            return false;
        cp = *p++ & ~forms[f].mask & 0xff;
        for (int i = 0; i < forms[f].follow; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if (cp < forms[f].min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

/* Conversion: one libconfig file to JSON, recording where each key path is set. */

static int record (struct loader *ld, const char *path, const config_setting_t *s)
{
    char where[FX_ERROR_LEN];
    json_t *v;

    /* Not checked as UTF-8: a file name may be anything, and origins is never printed. */
    snprintf (where, sizeof (where), "%s:%u", ld->file, config_setting_source_line (s));
    if (!(v = json_string_nocheck (where)) ||
        json_object_set_new_nocheck (ld->file_origins, path, v) < 0)
        return oom (ld->err);
    return 0;
}

static json_t *conv_bool (struct loader *ld, const config_setting_t *s, const char *path, int depth)
{
    (void) path, (void) depth;
    return made (ld, json_boolean (config_setting_get_bool (s)));
}

/* libconfig 1.5 keeps 32-bit integers unless written with an L suffix (see doc/config.md). */
static json_t *conv_int (struct loader *ld, const config_setting_t *s, const char *path, int depth)
{
    (void) path, (void) depth;
    return made (ld, json_integer (config_setting_get_int64 (s)));
}

static json_t *conv_float (struct loader *ld, const config_setting_t *s, const char *path,
                           int depth)
{
    double v = config_setting_get_float (s);

    (void) depth;
    if (!isfinite (v)) {
        fail (ld, s, "%s: number out of range", path);
        return NULL;
    }
    return made (ld, json_real (v));
}

static json_t *conv_string (struct loader *ld, const config_setting_t *s, const char *path,
                            int depth)
{
    const char *v = config_setting_get_string (s);

    (void) depth;
    if (!utf8_valid (v)) {
        fail (ld, s, "%s: string is not valid UTF-8", path);
        return NULL;
    }
    return made (ld, json_string (v));
}

static json_t *conv_group (struct loader *ld, const config_setting_t *s, const char *path,
                           int depth)
{
    json_t *obj = made (ld, json_object ());
    char mpath[FX_CONF_PATH_LEN];
    json_t *v;

    for (int i = 0; obj && i < config_setting_length (s); i++) {
        const config_setting_t *m = config_setting_get_elem (s, (unsigned int) i);
        const char *name = config_setting_name (m);
        if (fx_conf_join_name (mpath, path, name) < 0)
            fail (ld, m, "%s%skey path too long", path, *path ? ": " : "");
        else if ((v = convert (ld, m, mpath, depth + 1))) {
            if (json_object_set_new (obj, name, v) == 0)
                continue;
            oom (ld->err);
        }
        json_decref (obj);
        obj = NULL;
    }
    return obj;
}

/* Arrays (scalars) and lists (anything) both become JSON arrays. */
static json_t *conv_array (struct loader *ld, const config_setting_t *s, const char *path,
                           int depth)
{
    json_t *a = made (ld, json_array ());
    char epath[FX_CONF_PATH_LEN];
    json_t *v;

    for (int i = 0; a && i < config_setting_length (s); i++) {
        const config_setting_t *e = config_setting_get_elem (s, (unsigned int) i);
        if (fx_conf_join_index (epath, path, (size_t) i) < 0)
            fail (ld, e, "%s: key path too long", path);
        else if ((v = convert (ld, e, epath, depth + 1))) {
            if (json_array_append_new (a, v) == 0)
                continue;
            oom (ld->err);
        }
        json_decref (a);
        a = NULL;
    }
    return a;
}

static json_t *convert (struct loader *ld, const config_setting_t *s, const char *path, int depth)
{
    static const convert_f converters[] = {
        [CONFIG_TYPE_GROUP] = conv_group,   [CONFIG_TYPE_INT] = conv_int,
        [CONFIG_TYPE_INT64] = conv_int,     [CONFIG_TYPE_FLOAT] = conv_float,
        [CONFIG_TYPE_STRING] = conv_string, [CONFIG_TYPE_BOOL] = conv_bool,
        [CONFIG_TYPE_ARRAY] = conv_array,   [CONFIG_TYPE_LIST] = conv_array,
    };
    int type = config_setting_type (s);

    if (depth > CONF_MAX_DEPTH) {
        fail (ld, s, "%s: nested too deeply", path);
        return NULL;
    }
    if (type < 0 || (size_t) type >= sizeof (converters) / sizeof (converters[0]) ||
        !converters[type]) {
        fail (ld, s, "%s: unsupported value", path);
        return NULL;
    }
    if (record (ld, path, s) < 0)
        return NULL;
    return converters[type](ld, s, path, depth);
}

/* Merging one checked file into the files before it. */

static int merge (struct loader *ld, json_t *dst, json_t *src, const struct fx_conf_schema *schema,
                  const char *path);

/* Cannot happen (converting the file built the same paths), but not worth a crash. */
static int toolong (struct loader *ld, const char *path)
{
    errno = EINVAL;
    return errprintf (ld->err, "%s: %s: key path too long", ld->file, path);
}

static json_t *child_object (struct loader *ld, json_t *parent, const char *name)
{
    json_t *obj = json_object_get (parent, name);

    if (!obj && (!(obj = json_object ()) || json_object_set_new (parent, name, obj) < 0)) {
        oom (ld->err);
        return NULL;
    }
    return obj;
}

/* FX_CONF_GROUP_MAP: each named group of src merges with the group of that name in dst. */
static int merge_map (struct loader *ld, json_t *dst, json_t *src,
                      const struct fx_conf_schema *schema, const char *path)
{
    char mpath[FX_CONF_PATH_LEN];
    const char *name;
    json_t *v;

    json_object_foreach (src, name, v)
    {
        json_t *obj = child_object (ld, dst, name);
        if (!obj)
            return -1;
        if (fx_conf_join_name (mpath, path, name) < 0)
            return toolong (ld, path);
        if (merge (ld, obj, v, schema, mpath) < 0)
            return -1;
    }
    return 0;
}

static int merge (struct loader *ld, json_t *dst, json_t *src, const struct fx_conf_schema *schema,
                  const char *path)
{
    char kpath[FX_CONF_PATH_LEN];
    const char *name;
    json_t *v;

    json_object_foreach (src, name, v)
    {
        const struct fx_conf_key *key = fx_conf_schema_find (schema, name);
        enum fx_conf_type type = key ? key->type : FX_CONF_ANY_GROUP;
        if (fx_conf_join_name (kpath, path, name) < 0)
            return toolong (ld, path);
        if (type == FX_CONF_GROUP || type == FX_CONF_GROUP_MAP) {
            json_t *obj = child_object (ld, dst, name);
            if (!obj)
                return -1;
            if ((type == FX_CONF_GROUP ? merge (ld, obj, v, key->schema, kpath)
                                       : merge_map (ld, obj, v, key->schema, kpath)) < 0)
                return -1;
        } else if (json_object_get (dst, name)) {
            const char *now = json_string_value (json_object_get (ld->file_origins, kpath));
            const char *before = json_string_value (json_object_get (ld->origins, kpath));
            errno = EINVAL;
            return errprintf (ld->err, "%s: %s already set in %s", now ? now : ld->file, kpath,
                              before ? before : "an earlier file");
        } else if (json_object_set (dst, name, v) < 0)
            return oom (ld->err);
    }
    return 0;
}

/* One file, converted whole, checked alone, then merged. */
static int load_setting (struct loader *ld, const config_setting_t *root,
                         const struct fx_conf_schema *schema)
{
    json_t *file;
    int rc = -1;

    if (!(file = conv_group (ld, root, "", 0)))
        return -1;
    if (fx_conf_schema_check (file, schema, ld->file_origins, FX_CONF_PARTIAL, ld->err) == 0 &&
        merge (ld, ld->conf, file, schema, "") == 0) {
        if (json_object_update_missing (ld->origins, ld->file_origins) < 0)
            oom (ld->err);
        else
            rc = 0;
    }
    json_decref (file);
    return rc;
}

/* Files and directories. */

/* Before libconfig sees a file, one pass over it refuses what we will not follow and works
 * around a bug of libconfig 1.5.  "@include" is refused: the checks made on the including file
 * (such as the IMP's ownership test) would not cover the included one.  Files of more lines
 * than libconfig can count are refused.  The bug: when the parser rejects a string token (a
 * string where no value may start, as in `x = { "a" }`), the string is never freed.  So the
 * first string that starts where no value may is blanked out and its closing quote made a
 * '!', which libconfig rejects at the same place (same line, same "syntax error") without
 * allocating.  A value may start after '=' or ':', after '[' or '(', after ',' inside an
 * array or list, and a string may follow a string (they are joined).  The scanner follows
 * libconfig's: comments are '#' or '//' to the end of the line and C style; a backslash in a
 * string escapes the next character.  Unlike libconfig it refuses an unterminated string or
 * comment. */
struct scan {
    const char *name;          /* file, for messages */
    unsigned int line;         /* line of the current character */
    char prev;                 /* last token: one of "=:;,{}[]()", 's' string, 'w' other */
    char open[SCAN_MAX_DEPTH]; /* brackets not yet closed */
    int depth;                 /* how many */
    struct fx_error *err;      /* where messages go */
};

static bool value_may_start (const struct scan *sc)
{
    char top = sc->depth > 0 ? sc->open[sc->depth - 1] : '{';

    return strchr ("=:[(s", sc->prev) || (sc->prev == ',' && top != '{');
}

/* Refuse what libconfig 1.5 silently drops: an unterminated string or comment ends the
 * file without a word, and whatever it swallowed with it. */
static char *unterminated (struct scan *sc, const char *what, unsigned int line)
{
    errno = EINVAL;
    errprintf (sc->err, "%s:%u: unterminated %s", sc->name, line, what);
    return NULL;
}

/* Past the string that opens at p[-1]; blanks it (keeping newlines) when blank is set. */
static char *skip_string (struct scan *sc, char *p, bool blank)
{
    unsigned int line = sc->line;

    if (blank)
        p[-1] = ' ';
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            if (blank)
                *p = ' ';
            p++;
        }
        if (*p == '\n')
            sc->line++;
        else if (blank)
            *p = ' ';
    }
    if (*p == '\0')
        return unterminated (sc, "string", line);
    if (blank)
        *p = '!'; /* on the string's last line, where libconfig reports the error */
    return p + 1;
}

/* Past the C comment that opens at p[-2]. */
static char *skip_comment (struct scan *sc, char *p)
{
    unsigned int line = sc->line;

    for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
        if (*p == '\n')
            sc->line++;
    return *p ? p + 2 : unterminated (sc, "comment", line);
}

/* One punctuation or other character outside strings and comments. */
static int scan_token (struct scan *sc, char c)
{
    if (strchr ("{[(", c)) {
        if (sc->depth == SCAN_MAX_DEPTH) {
            errno = EINVAL;
            return errprintf (sc->err, "%s:%u: nested too deeply", sc->name, sc->line);
        }
        sc->open[sc->depth++] = c;
    } else if (strchr ("}])", c) && sc->depth > 0)
        sc->depth--;
    sc->prev = strchr ("=:;,{}[]()", c) ? c : 'w';
    return 0;
}

static int prescan (const char *name, char *text, struct fx_error *err)
{
    struct scan sc = {.name = name, .line = 1, .prev = ';', .err = err};
    bool line_start = true; /* nothing but blanks since the start of the line */
    char *p = text;

    if (strlen (text) > CONF_MAX_BYTES) {
        errno = EFBIG;
        return errprintf (err, "%s: larger than %d bytes", name, CONF_MAX_BYTES);
    }
    while (*p) {
        if (sc.line > CONF_MAX_LINES) {
            errno = EFBIG;
            return errprintf (err, "%s: more than %d lines", name, CONF_MAX_LINES);
        }
        if (strchr (" \t\n\r\f", *p)) { /* libconfig's blanks */
            if (*p == '\n')
                sc.line++, line_start = true;
            p++;
            continue;
        }
        if (line_start && !strncmp (p, "@include", 8)) {
            errno = EINVAL;
            return errprintf (err, "%s:%u: @include is not allowed", name, sc.line);
        }
        line_start = false;
        if (*p == '#' || (p[0] == '/' && p[1] == '/'))
            p += strcspn (p, "\n");
        else if (p[0] == '/' && p[1] == '*') {
            if (!(p = skip_comment (&sc, p + 2)))
                return -1;
        } else if (*p == '"') {
            if (!(p = skip_string (&sc, p + 1, !value_may_start (&sc))))
                return -1;
            sc.prev = 's';
        } else if (scan_token (&sc, *p++) < 0)
            return -1;
    }
    return 0;
}

static int load_text (struct loader *ld, const char *name, const char *text,
                      const struct fx_conf_schema *schema)
{
    config_t cfg;
    char *copy;
    int rc, saved_errno;

    ld->file = name;
    if (!(copy = strdup (text)))
        return oom (ld->err);
    if (prescan (name, copy, ld->err) < 0) {
        free (copy);
        return -1;
    }
    config_init (&cfg);
    if (config_read_string (&cfg, copy) == CONFIG_FALSE) {
        const char *why = config_error_text (&cfg);
        errno = EINVAL;
        rc = errprintf (ld->err, "%s:%d: %s", name, config_error_line (&cfg),
                        why ? why : "syntax error");
    } else
        rc = load_setting (ld, config_root_setting (&cfg), schema);
    saved_errno = errno;
    config_destroy (&cfg);
    json_object_clear (ld->file_origins);
    free (copy);
    errno = saved_errno;
    return rc;
}

/* The whole file as a string, or NULL with errno set and a message naming path. */
static char *read_file (const char *path, struct fx_error *err)
{
    char *buf = NULL;
    int saved_errno;
    size_t len;
    FILE *f;

    if (!(f = fopen (path, "r"))) {
        errprintf (err, "%s: %s", path, strerror (errno));
        return NULL;
    }
    if (!(buf = malloc (CONF_MAX_BYTES + 2))) {
        oom (err);
        goto error;
    }
    len = fread (buf, 1, CONF_MAX_BYTES + 1, f);
    if (ferror (f)) {
        errprintf (err, "%s: %s", path, strerror (errno));
        goto error;
    }
    if (len > CONF_MAX_BYTES) {
        errno = EFBIG;
        errprintf (err, "%s: larger than %d bytes", path, CONF_MAX_BYTES);
        goto error;
    }
    if (memchr (buf, '\0', len)) {
        errno = EINVAL;
        errprintf (err, "%s: contains a NUL byte", path);
        goto error;
    }
    buf[len] = '\0';
    fclose (f);
    return buf;
error:
    saved_errno = errno;
    free (buf);
    fclose (f);
    errno = saved_errno;
    return NULL;
}

static bool is_conf_name (const char *name)
{
    size_t len = strlen (name);
    return name[0] != '.' && len > 5 && !strcmp (name + len - 5, ".conf");
}

static int cmp_names (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static void names_free (char **names, size_t count)
{
    int saved_errno = errno;

    for (size_t i = 0; i < count; i++)
        free (names[i]);
    free (names);
    errno = saved_errno;
}

/* The "*.conf" names of dir in strcmp() order (byte order, whatever the locale). */
static int list_dir (const char *dir, char ***namesp, size_t *countp, struct fx_error *err)
{
    char **names = NULL, **bigger;
    size_t count = 0;
    struct dirent *ent;
    DIR *d;

    if (!(d = opendir (dir)))
        return errprintf (err, "%s: %s", dir, strerror (errno));
    while ((errno = 0, ent = readdir (d))) {
        if (!is_conf_name (ent->d_name))
            continue;
        if (!(bigger = realloc (names, (count + 1) * sizeof (*names))) ||
            !(bigger[count] = strdup (ent->d_name))) {
            names = bigger ? bigger : names;
            goto nomem;
        }
        names = bigger;
        count++;
    }
    if (errno != 0) {
        errprintf (err, "%s: %s", dir, strerror (errno));
        goto error;
    }
    closedir (d);
    if (count > 0)
        qsort (names, count, sizeof (*names), cmp_names);
    *namesp = names;
    *countp = count;
    return 0;
nomem:
    oom (err);
error:
    names_free (names, count);
    closedir (d);
    return -1;
}

static int loader_init (struct loader *ld, const char *top, struct fx_error *err)
{
    json_t *v;

    ld->file = top;
    ld->err = err;
    ld->conf = json_object ();
    ld->origins = json_object ();
    ld->file_origins = json_object ();
    if (!ld->conf || !ld->origins || !ld->file_origins || !(v = json_string_nocheck (top)) ||
        json_object_set_new_nocheck (ld->origins, "", v) < 0) {
        json_decref (ld->conf);
        json_decref (ld->origins);
        json_decref (ld->file_origins);
        return oom (err);
    }
    return 0;
}

/* After the last file (rc is its result): check required keys, free the bookkeeping. */
static json_t *loader_finish (struct loader *ld, const struct fx_conf_schema *schema, int rc)
{
    int saved_errno;

    if (rc == 0)
        rc = fx_conf_schema_check (ld->conf, schema, ld->origins, 0, ld->err);
    saved_errno = errno;
    json_decref (ld->origins);
    json_decref (ld->file_origins);
    if (rc < 0) {
        json_decref (ld->conf);
        errno = saved_errno;
        return NULL;
    }
    return ld->conf;
}

static int load_file (struct loader *ld, const char *dir, const char *name,
                      const struct fx_conf_schema *schema)
{
    size_t len = strlen (dir);
    const char *sep = len > 0 && dir[len - 1] == '/' ? "" : "/";
    char *path, *text;
    int rc = -1, saved_errno;

    if (asprintf (&path, "%s%s%s", dir, sep, name) < 0)
        return oom (ld->err);
    if ((text = read_file (path, ld->err))) {
        rc = load_text (ld, path, text, schema);
        free (text);
    }
    saved_errno = errno;
    free (path);
    errno = saved_errno;
    return rc;
}

/* Public functions. */

json_t *fx_conf_load (const char *dir, const struct fx_conf_schema *schema, struct fx_error *err)
{
    struct loader ld;
    char **names = NULL;
    size_t count = 0;
    int rc = 0;

    if (!dir || !schema) {
        errno = EINVAL;
        errprintf (err, "invalid argument");
        return NULL;
    }
    if (list_dir (dir, &names, &count, err) < 0)
        return NULL;
    if (loader_init (&ld, dir, err) < 0) {
        names_free (names, count);
        return NULL;
    }
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = load_file (&ld, dir, names[i], schema);
    names_free (names, count);
    return loader_finish (&ld, schema, rc);
}

json_t *fx_conf_load_string (const char *name, const char *text,
                             const struct fx_conf_schema *schema, struct fx_error *err)
{
    struct loader ld;

    if (!text || !schema) {
        errno = EINVAL;
        errprintf (err, "invalid argument");
        return NULL;
    }
    if (!name)
        name = "(string)";
    if (loader_init (&ld, name, err) < 0)
        return NULL;
    return loader_finish (&ld, schema, load_text (&ld, name, text, schema));
}

/* One step of a dotted path: a member of an object, or an element of an array. */
static json_t *step (json_t *v, const char *name, size_t len)
{
    size_t index = 0;

    if (json_is_object (v))
        return json_object_getn (v, name, len);
    if (!json_is_array (v) || len > 9 || strspn (name, "0123456789") < len)
        return NULL;
    for (size_t i = 0; i < len; i++)
        index = index * 10 + (size_t) (name[i] - '0');
    return json_array_get (v, index);
}

json_t *fx_conf_get (const json_t *conf, const char *dotted_key)
{
    json_t *v = (json_t *) conf;
    const char *p = dotted_key;

    if (!conf || !dotted_key) {
        errno = EINVAL;
        return NULL;
    }
    for (;;) {
        size_t len = strcspn (p, ".");
        if (len == 0) {
            errno = EINVAL;
            return NULL;
        }
        if (!(v = step (v, p, len))) {
            errno = ENOENT;
            return NULL;
        }
        if (p[len] == '\0')
            return v;
        p += len + 1;
    }
}
