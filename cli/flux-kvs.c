/* flux-kvs.c - the key-value store from the command line: `flux kvs SUBCOMMAND`.
 *
 * The client side of doc/kvs.md.  This file holds main, the subcommand table, what every
 * subcommand shares (options, requests, keys, values) and the value subcommands: put, get,
 * unlink, mkdir; cli/kvs.h lists the other files.  Every request goes to kvsd through the
 * local router with a timeout (a watch only for its first answer, and not at all while it
 * waits for a key to be created).
 *
 * Failure policy: a usage error prints the subcommand's usage and exits 2; anything else
 * prints one line "flux-kvs: message" (kvsd's own message, which names the key first) and
 * exits 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kvs.h"

static void print_all_usage (FILE *f);

/* Errors and memory */

void kvs_die (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    va_start (ap, fmt);
    fprintf (stderr, "flux-kvs: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    exit (1);
}

void *kvs_oom (void *p)
{
    if (!p)
        kvs_die ("out of memory");
    return p;
}

char *kvs_json_text (const json_t *v)
{
    return kvs_oom (
        json_dumps (v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION (KVS_REAL_DIGITS)));
}

/* Usage: each subcommand has a synopsis and a description of its options. */

static void print_usage (FILE *f, const char *group, const struct kvs_cmd *cmd)
{
    fprintf (f, "Usage: flux kvs %s%s%s\n%s", group ? group : "", group ? " " : "",
             cmd->synopsis, cmd->options ? cmd->options : "");
    fprintf (f, "  -N, --namespace=NS   use namespace NS (default primary)\n");
}

void kvs_usage (struct kvs *k)
{
    if (k->cmd)
        print_usage (stderr, k->group, k->cmd);
    else
        print_all_usage (stderr);
    exit (2);
}

int kvs_getopt (struct kvs *k, int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    static const struct option common[] = {
        {"namespace", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[32];
    char shorts[64];
    int n = 0, c;

    while (longopts && longopts[n].name && n < 29) {
        opts[n] = longopts[n];
        n++;
    }
    opts[n++] = common[0];
    opts[n++] = common[1];
    memset (&opts[n], 0, sizeof (opts[n]));
    snprintf (shorts, sizeof (shorts), "%sN:h", shortopts);
    for (;;) {
        c = getopt_long (argc, argv, shorts, opts, NULL);
        if (c == 'N')
            k->ns = optarg;
        else if (c == 'h') {
            print_usage (stdout, k->group, k->cmd);
            exit (0);
        }
        else if (c == '?' || c == ':')
            kvs_usage (k);
        else
            return c;
    }
}

/* Requests */

struct fx_peer *kvs_peer (struct kvs *k)
{
    struct fx_error err = {""};

    if (!k->p && !(k->p = fx_peer_create (EV_DEFAULT, NULL, "flux-kvs", &err)))
        kvs_die ("%s", err.text);
    return k->p;
}

struct ev_loop *kvs_loop (struct kvs *k)
{
    return fx_peer_loop (kvs_peer (k));
}

int kvs_try (struct kvs *k, const char *topic, json_t *in, json_t **out, struct fx_error *err)
{
    int rc;

    if (!in)
        kvs_die ("out of memory");
    rc = fx_rpc_call (kvs_peer (k), topic, FX_NODEID_ANY, in, KVS_TIMEOUT, out, err);
    json_decref (in);
    return rc;
}

json_t *kvs_rpc (struct kvs *k, const char *topic, json_t *in)
{
    struct fx_error err = {""};
    json_t *out = NULL;

    if (kvs_try (k, topic, in, &out, &err) < 0)
        kvs_die ("%s", err.text);
    return out;
}

json_t *kvs_get (struct kvs *k, const char *key, json_int_t from)
{
    return kvs_rpc (k, "kvs.get",
                    json_pack ("{s:s s:s s:I}", "namespace", k->ns, "key", key, "from", from));
}

void kvs_commit (struct kvs *k, json_t *ops)
{
    json_t *in = json_pack ("{s:s s:o}", "namespace", k->ns, "ops", ops);

    json_decref (kvs_rpc (k, "kvs.commit", in));
}

const char *kvs_entry_type (const json_t *entry)
{
    json_t *t = json_object_get (entry, "type");
    return json_is_string (t) ? json_string_value (t) : "";
}

/* Values */

void kvs_print_json (const json_t *v, const char *end)
{
    char *s;

    if (json_is_string (v))
        fputs (json_string_value (v), stdout);
    else {
        fputs (s = kvs_json_text (v), stdout);
        free (s);
    }
    fputs (end, stdout);
}

static unsigned char *b64_decode (const char *b64, size_t *len)
{
    size_t n = strlen (b64);
    unsigned char *buf = kvs_oom (malloc (n / 4 * 3 + 4));

    if (sodium_base642bin (buf, n / 4 * 3 + 4, b64, n, " \r\n", len, NULL,
                           sodium_base64_VARIANT_ORIGINAL)
        < 0)
        kvs_die ("kvs.get: malformed base64 data in the answer");
    return buf;
}

static char *b64_encode (const void *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL);
    char *s = kvs_oom (malloc (n));

    return sodium_bin2base64 (s, n, data, len, sodium_base64_VARIANT_ORIGINAL);
}

/* Print an entry as `get` does: JSON strings bare, other JSON compact, raw bytes as they
 * are (a newline added unless -r), an eventlog one event per line (every page of it). */
static void print_entry (struct kvs *k, const char *key, json_t *entry, int raw)
{
    const char *type = kvs_entry_type (entry);
    json_t *v;

    if (!strcmp (type, "json")) {
        v = json_object_get (entry, "value");
        if (raw && json_is_string (v))
            fputs (json_string_value (v), stdout);
        else
            kvs_print_json (v, raw ? "" : "\n");
    }
    else if (!strcmp (type, "raw")) {
        json_t *d = json_object_get (entry, "data");
        size_t len = 0;
        unsigned char *buf = b64_decode (json_is_string (d) ? json_string_value (d) : "", &len);
        fwrite (buf, 1, len, stdout);
        if (!raw)
            fputs ("\n", stdout);
        free (buf);
    }
    else if (!strcmp (type, "dir"))
        kvs_die ("%s: Is a directory", key);
    else if (!strcmp (type, "eventlog"))
        kvs_eventlog_pages (k, key, entry, KVS_EV_JSON);
    else
        kvs_die ("%s: unknown entry type '%s'", key, type);
}

/* put */

static char *read_stdin (size_t *len)
{
    size_t cap = 65536, n = 0, got;
    char *buf = kvs_oom (malloc (cap));

    while ((got = fread (buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap)
            buf = kvs_oom (realloc (buf, cap *= 2));
    }
    if (ferror (stdin))
        kvs_die ("stdin: %s", strerror (errno));
    *len = n;
    return buf;
}

static json_t *put_op (const char *arg, int raw, int *stdin_used)
{
    const char *eq = strchr (arg, '=');
    const char *value = eq ? eq + 1 : NULL;
    char *key, *data = NULL;
    json_t *op, *v;

    if (!eq || eq == arg)
        kvs_die ("%s: expected KEY=VALUE", arg);
    key = kvs_oom (strndup (arg, eq - arg));
    if (raw) {
        size_t len = strlen (value);
        char *buf = (char *) value;
        if (!strcmp (value, "-")) {
            if ((*stdin_used)++)
                kvs_die ("%s: stdin can be read only once", key);
            buf = read_stdin (&len);
        }
        data = b64_encode (buf, len);
        if (buf != value)
            free (buf);
        op = json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "data", data);
    }
    else {
        if (!(v = json_loads (value, JSON_DECODE_ANY, NULL)) && !(v = json_string (value)))
            kvs_die ("%s: the value is not valid UTF-8 (use -r for bytes)", key);
        op = json_pack ("{s:s s:s s:o}", "op", "put", "key", key, "value", v);
    }
    free (data);
    free (key);
    return kvs_oom (op);
}

static int cmd_put (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {{"raw", no_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    json_t *ops = kvs_oom (json_array ());
    int raw = 0, stdin_used = 0, c;

    while ((c = kvs_getopt (k, argc, argv, "r", opts)) != -1)
        raw = 1;
    if (optind == argc)
        kvs_usage (k);
    for (int i = optind; i < argc; i++)
        json_array_append_new (ops, put_op (argv[i], raw, &stdin_used));
    kvs_commit (k, ops);
    return 0;
}

/* get */

struct get_watch {
    struct kvs *k;
    const char *key;
    int raw;
    long count; /* answers to print; < 0: until the stream ends */
};

static int get_watch_cb (json_t *entry, void *arg)
{
    struct get_watch *g = arg;

    if (!strcmp (kvs_entry_type (entry), "eventlog"))
        kvs_print_events (json_object_get (entry, "events"), KVS_EV_JSON);
    else
        print_entry (g->k, g->key, entry, g->raw);
    fflush (stdout);
    return g->count > 0 && --g->count == 0;
}

static int cmd_get (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"raw", no_argument, NULL, 'r'},
        {"watch", no_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'c'},
        {"waitcreate", no_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    struct get_watch g = {.k = k, .count = -1};
    int watch = 0, waitcreate = 0, rc = 0, c;

    while ((c = kvs_getopt (k, argc, argv, "rwc:W", opts)) != -1) {
        switch (c) {
        case 'r': g.raw = 1; break;
        case 'w': watch = 1; break;
        case 'c': g.count = kvs_parse_count (k, optarg); break;
        case 'W': waitcreate = 1; break;
        }
    }
    if (optind == argc || (g.count > 0 && !watch) || (watch && argc - optind != 1))
        kvs_usage (k);
    for (int i = optind; i < argc; i++) {
        g.key = argv[i];
        if (watch || waitcreate) {
            if (!watch)
                g.count = 1; /* --waitcreate alone: the first value, once it exists */
            rc |= kvs_watch (k, argv[i], 0, waitcreate, -1, NULL, get_watch_cb, &g);
        }
        else {
            json_t *entry = kvs_get (k, argv[i], 0);
            print_entry (k, argv[i], entry, g.raw);
            json_decref (entry);
        }
    }
    return rc;
}

/* unlink, mkdir */

static json_t *key_op (const char *op, const char *key)
{
    return kvs_oom (json_pack ("{s:s s:s}", "op", op, "key", key));
}

/* Is key there, and a directory with entries?  kvsd's unlink would quietly succeed on a
 * missing key and remove a whole subtree, so the command looks first. */
static int unlink_check (struct kvs *k, const char *key, int recursive, int force)
{
    struct fx_error err = {""};
    json_t *entry = NULL;

    if (kvs_try (k, "kvs.get",
                 json_pack ("{s:s s:s s:i}", "namespace", k->ns, "key", key, "limit", 1),
                 &entry, &err)
        < 0) {
        if (errno == ENOENT && force)
            return 0;
        kvs_die ("%s", err.text);
    }
    if (!recursive && !strcmp (kvs_entry_type (entry), "dir")
        && json_array_size (json_object_get (entry, "entries")) > 0)
        kvs_die ("%s: Directory not empty", key);
    json_decref (entry);
    return 1;
}

static int cmd_unlink (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"recursive", no_argument, NULL, 'R'},
        {"force", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    json_t *ops = kvs_oom (json_array ());
    int recursive = 0, force = 0, c;

    while ((c = kvs_getopt (k, argc, argv, "Rf", opts)) != -1) {
        if (c == 'R')
            recursive = 1;
        else
            force = 1;
    }
    if (optind == argc)
        kvs_usage (k);
    for (int i = optind; i < argc; i++) {
        if (unlink_check (k, argv[i], recursive, force))
            json_array_append_new (ops, key_op ("unlink", argv[i]));
    }
    if (json_array_size (ops) > 0)
        kvs_commit (k, ops);
    else
        json_decref (ops);
    return 0;
}

static int cmd_mkdir (struct kvs *k, int argc, char **argv)
{
    json_t *ops = kvs_oom (json_array ());

    if (kvs_getopt (k, argc, argv, "", NULL) != -1 || optind == argc)
        kvs_usage (k);
    for (int i = optind; i < argc; i++)
        json_array_append_new (ops, key_op ("mkdir", argv[i]));
    kvs_commit (k, ops);
    return 0;
}

long kvs_parse_count (struct kvs *k, const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol (s, &end, 10);
    if (errno || end == s || *end || n < 1)
        kvs_usage (k);
    return n;
}

/* The subcommands */

static const struct kvs_cmd kvs_cmds[] = {
    {"put", cmd_put, "put [-r] KEY=VALUE...",
     "  store each VALUE under its KEY in one transaction: as JSON when it parses as JSON,\n"
     "  else as a JSON string\n"
     "  -r, --raw            store VALUE as bytes ('-': read them from stdin)\n", NULL},
    {"get", cmd_get, "get [-r] [-w [-c N]] [-W] KEY...",
     "  print each value: strings bare, other JSON compact, an eventlog one event per line\n"
     "  -r, --raw            print the bytes as they are, without a newline\n"
     "  -w, --watch          print the value, then each new one until interrupted\n"
     "  -c, --count=N        with --watch, stop after N values\n"
     "  -W, --waitcreate     wait for KEY to be created\n", NULL},
    {"ls", kvs_cmd_ls, "ls [-R] [-1] [-d] [-F] [KEY...]",
     "  list the names in directory KEY (default: the root)\n"
     "  -R, --recursive      list subdirectories too, each under a 'KEY:' header\n"
     "  -1                   one name per line (always the case)\n"
     "  -d, --directory      list KEY itself, not its contents\n"
     "  -F, --classify       append '.' to directory names\n", NULL},
    {"dir", kvs_cmd_dir, "dir [-R] [-d] [KEY]",
     "  print 'key = value' for each entry of directory KEY (default: the root)\n"
     "  -R, --recursive      descend into subdirectories\n"
     "  -d, --directory      print the keys only, without values\n", NULL},
    {"unlink", cmd_unlink, "unlink [-R] [-f] KEY...",
     "  remove the keys in one transaction\n"
     "  -R, --recursive      remove non-empty directories with their contents\n"
     "  -f, --force          a missing key is not an error\n", NULL},
    {"mkdir", cmd_mkdir, "mkdir KEY...", "  create the directories in one transaction\n", NULL},
    {"eventlog", NULL, "eventlog get|append|wait-event ...", NULL, kvs_eventlog_cmds},
    {"namespace", NULL, "namespace create|remove|list ...", NULL, kvs_namespace_cmds},
    {"version", kvs_cmd_version, "version", "  print the namespace's version\n", NULL},
    {"stats", kvs_cmd_stats, "stats [--json]",
     "  print the database size and the entries, events and bytes by namespace and prefix\n"
     "      --json           print kvsd's answer as JSON\n", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static void print_all_usage (FILE *f)
{
    fprintf (f, "Usage: flux kvs [-N NS] SUBCOMMAND [OPTIONS] [ARGS...]\n");
    for (const struct kvs_cmd *c = kvs_cmds; c->name; c++) {
        if (c->sub) {
            for (const struct kvs_cmd *s = c->sub; s->name; s++)
                fprintf (f, "  %s %s\n", c->name, s->synopsis);
        }
        else
            fprintf (f, "  %s\n", c->synopsis);
    }
    fprintf (f, "Every subcommand takes -N, --namespace=NS (default primary).\n"
                "Run 'flux kvs SUBCOMMAND --help' for its options.\n");
}

/* Run the subcommand named by argv[0] from table (the subcommands of group). */
static int run (struct kvs *k, const struct kvs_cmd *table, const char *group, int argc,
                char **argv)
{
    const struct kvs_cmd *c;

    if (argc > 0 && (!strcmp (argv[0], "-h") || !strcmp (argv[0], "--help"))) {
        print_all_usage (stdout);
        exit (0);
    }
    for (c = table; argc > 0 && c->name; c++) {
        if (strcmp (c->name, argv[0]) != 0)
            continue;
        if (c->sub)
            return run (k, c->sub, c->name, argc - 1, argv + 1);
        k->group = group;
        k->cmd = c;
        optind = 0;
        return c->fn (k, argc, argv);
    }
    if (argc > 0)
        fprintf (stderr, "flux-kvs: unknown subcommand '%s%s%s'\n", group ? group : "",
                 group ? " " : "", argv[0]);
    print_all_usage (stderr);
    exit (2);
}

int main (int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kvs k = {.ns = "primary"};
    int c, rc;

    while ((c = getopt_long (argc, argv, "+N:h", opts, NULL)) != -1) {
        if (c == 'N')
            k.ns = optarg;
        else {
            print_all_usage (c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    rc = run (&k, kvs_cmds, NULL, argc - optind, argv + optind);
    fflush (stdout);
    fx_peer_destroy (k.p);
    return rc;
}
