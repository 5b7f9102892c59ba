/* kvs-list.c - `flux kvs ls` and `flux kvs dir`: directory listings from kvs.dir.
 *
 * kvs.dir answers a page of children (their full keys, in key order) and says whether
 * there are more; the next page starts after the last key received.  Recursive listings descend one
 * directory at a time, so that each directory's names come out together (ls) and a
 * subdirectory's values right where it sits (dir).  A directory that cannot be listed is
 * reported and the others still are; the exit status is then 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kvs.h"

typedef void (*dir_entry_f) (json_t *entry, void *arg);

/* The last component of key. */
static const char *key_basename (const char *key)
{
    const char *dot = strrchr (key, '.');
    return dot ? dot + 1 : key;
}

static const char *entry_key (const json_t *entry)
{
    const char *key = json_string_value (json_object_get (entry, "key"));
    return key ? key : "";
}

/* Call cb for each child of dir in key order.  Returns -1 (after printing kvsd's message)
 * when dir cannot be listed. */
static int dir_foreach (struct kvs *k, const char *dir, int values, dir_entry_f cb, void *arg)
{
    struct fx_error err = {""};
    char *after = NULL;
    json_t *in, *out, *entries, *e;
    int more = 1;
    size_t i;

    while (more) {
        in = json_pack ("{s:s s:s s:b}", "namespace", k->ns, "key", dir, "values", values);
        if (in && after)
            json_object_set_new (in, "after", json_string (after));
        free (after);
        after = NULL;
        if (kvs_try (k, "kvs.dir", in, &out, &err) < 0) {
            fflush (stdout);
            fprintf (stderr, "flux-kvs: %s\n", err.text);
            return -1;
        }
        entries = json_object_get (out, "entries");
        json_array_foreach (entries, i, e)
            cb (e, arg);
        if ((e = json_array_get (entries, json_array_size (entries) - 1)))
            after = kvs_oom (strdup (entry_key (e)));
        /* An empty page that claims more would loop forever: stop. */
        more = after && json_is_true (json_object_get (out, "more"));
        json_decref (out);
    }
    free (after);
    return 0;
}

/* ls */

struct ls {
    struct kvs *k;
    int recursive, classify, self;
    int printed;   /* something was printed: a header needs a blank line first */
    json_t *names; /* children of the directory being listed: [name, is_dir, key] */
};

static void ls_collect (json_t *entry, void *arg)
{
    struct ls *ls = arg;
    int is_dir = !strcmp (kvs_entry_type (entry), "dir");

    json_array_append_new (ls->names,
                           kvs_oom (json_pack ("[s b s]", key_basename (entry_key (entry)), is_dir,
                                               entry_key (entry))));
}

static void ls_print_name (struct ls *ls, const char *name, int is_dir)
{
    printf ("%s%s\n", name, is_dir && ls->classify ? "." : "");
    ls->printed = 1;
}

static int ls_dir (struct ls *ls, const char *dir, int header)
{
    json_t *names = kvs_oom (json_array ()), *pair;
    size_t i;
    int rc = 0;

    ls->names = names;
    if (dir_foreach (ls->k, dir, 0, ls_collect, ls) < 0) {
        json_decref (names);
        return 1;
    }
    if (header)
        printf ("%s%s:\n", ls->printed ? "\n" : "", dir);
    ls->printed = 1;
    json_array_foreach (names, i, pair)
        ls_print_name (ls, json_string_value (json_array_get (pair, 0)),
                       json_is_true (json_array_get (pair, 1)));
    json_array_foreach (names, i, pair) {
        if (ls->recursive && json_is_true (json_array_get (pair, 1)))
            rc |= ls_dir (ls, json_string_value (json_array_get (pair, 2)), 1);
    }
    json_decref (names);
    return rc;
}

/* One KEY argument: a directory is listed, anything else named. */
static int ls_key (struct ls *ls, const char *key, int header)
{
    struct fx_error err = {""};
    json_t *entry;
    int is_dir, rc = 0;

    if (kvs_try (ls->k, "kvs.get",
                 json_pack ("{s:s s:s s:i}", "namespace", ls->k->ns, "key", key, "limit", 1),
                 &entry, &err)
        < 0) {
        fflush (stdout);
        fprintf (stderr, "flux-kvs: %s\n", err.text);
        return 1;
    }
    is_dir = !strcmp (kvs_entry_type (entry), "dir");
    if (!is_dir || ls->self)
        ls_print_name (ls, key, is_dir);
    else
        rc = ls_dir (ls, key, header);
    json_decref (entry);
    return rc;
}

int kvs_cmd_ls (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"recursive", no_argument, NULL, 'R'},
        {"directory", no_argument, NULL, 'd'},
        {"classify", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    struct ls ls = {.k = k};
    int rc = 0, c, header;

    while ((c = kvs_getopt (k, argc, argv, "R1dF", opts)) != -1) {
        switch (c) {
        case 'R': ls.recursive = 1; break;
        case 'd': ls.self = 1; break;
        case 'F': ls.classify = 1; break;
        case '1': break; /* one name per line is the only layout */
        }
    }
    header = ls.recursive || argc - optind > 1;
    if (optind == argc)
        return ls_key (&ls, ".", header);
    for (int i = optind; i < argc; i++)
        rc |= ls_key (&ls, argv[i], header);
    return rc;
}

/* dir */

struct dir {
    struct kvs *k;
    int recursive, keys_only;
    int rc;
};

/* A value as `dir` shows it: JSON compact (strings quoted), raw data as raw:BASE64, an
 * eventlog by its length. */
static void dir_print_value (json_t *entry)
{
    const char *type = kvs_entry_type (entry);
    json_int_t n;
    char *s;

    if (!strcmp (type, "json")) {
        fputs (s = kvs_json_text (json_object_get (entry, "value")), stdout);
        free (s);
    }
    else if (!strcmp (type, "raw"))
        printf ("raw:%s", json_string_value (json_object_get (entry, "data")) ?: "");
    else if (!strcmp (type, "eventlog")) {
        n = json_integer_value (json_object_get (entry, "count"));
        printf ("eventlog (%lld event%s)", (long long) n, n == 1 ? "" : "s");
    }
    else
        printf ("(%s)", type);
}

static void dir_entry_cb (json_t *entry, void *arg)
{
    struct dir *d = arg;
    const char *key = entry_key (entry);

    if (!strcmp (kvs_entry_type (entry), "dir")) {
        if (!d->recursive)
            printf ("%s.\n", key);
        else if (dir_foreach (d->k, key, !d->keys_only, dir_entry_cb, d) < 0)
            d->rc = 1;
    }
    else if (d->keys_only)
        printf ("%s\n", key);
    else {
        printf ("%s = ", key);
        dir_print_value (entry);
        printf ("\n");
    }
}

int kvs_cmd_dir (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"recursive", no_argument, NULL, 'R'},
        {"directory", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct dir d = {.k = k};
    int c;

    while ((c = kvs_getopt (k, argc, argv, "Rd", opts)) != -1) {
        if (c == 'R')
            d.recursive = 1;
        else
            d.keys_only = 1;
    }
    if (argc - optind > 1)
        kvs_usage (k);
    if (dir_foreach (k, optind < argc ? argv[optind] : ".", !d.keys_only, dir_entry_cb, &d) < 0)
        return 1;
    return d.rc;
}
