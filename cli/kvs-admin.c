/* kvs-admin.c - `flux kvs namespace create|remove|list`, `flux kvs version` and
 * `flux kvs stats`.
 *
 * Creating and removing namespaces and the statistics are for the instance owner; kvsd
 * refuses anyone else (EPERM) and the command prints its message.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kvs.h"
#include "services/bytes.h"

/* namespace create, remove, list */

/* A user id, or a user name. */
static json_int_t parse_owner (const char *s)
{
    struct passwd *pw;
    char *end;
    unsigned long uid;

    if (*s && strspn (s, "0123456789") == strlen (s)) {
        errno = 0;
        uid = strtoul (s, &end, 10);
        if (errno || uid >= 0xffffffffUL)
            kvs_die ("%s: invalid user id", s);
        return uid;
    }
    if (!(pw = getpwnam (s)))
        kvs_die ("%s: no such user", s);
    return pw->pw_uid;
}

static int cmd_ns_create (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {
        {"owner", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    json_int_t owner = -1;
    json_t *in;

    while (kvs_getopt (k, argc, argv, "o:", opts) != -1)
        owner = parse_owner (optarg);
    if (optind == argc)
        kvs_usage (k);
    for (int i = optind; i < argc; i++) {
        in = kvs_oom (json_pack ("{s:s}", "namespace", argv[i]));
        if (owner >= 0)
            json_object_set_new (in, "owner", json_integer (owner));
        json_decref (kvs_rpc (k, "kvs.namespace-create", in));
    }
    return 0;
}

static int cmd_ns_remove (struct kvs *k, int argc, char **argv)
{
    if (kvs_getopt (k, argc, argv, "", NULL) != -1 || optind == argc)
        kvs_usage (k);
    for (int i = optind; i < argc; i++)
        json_decref (kvs_rpc (k, "kvs.namespace-remove",
                              json_pack ("{s:s}", "namespace", argv[i])));
    return 0;
}

static int cmd_ns_list (struct kvs *k, int argc, char **argv)
{
    json_t *out, *namespaces, *ns;
    int width = strlen ("NAMESPACE"), len;
    size_t i;

    if (kvs_getopt (k, argc, argv, "", NULL) != -1 || optind != argc)
        kvs_usage (k);
    out = kvs_rpc (k, "kvs.namespace-list", json_object ());
    namespaces = json_object_get (out, "namespaces");
    json_array_foreach (namespaces, i, ns) {
        len = strlen (json_string_value (json_object_get (ns, "name")) ?: "");
        if (len > width)
            width = len;
    }
    printf ("%-*s %10s %10s\n", width, "NAMESPACE", "OWNER", "VERSION");
    json_array_foreach (namespaces, i, ns)
        printf ("%-*s %10lld %10lld\n", width,
                json_string_value (json_object_get (ns, "name")) ?: "",
                (long long) json_integer_value (json_object_get (ns, "owner")),
                (long long) json_integer_value (json_object_get (ns, "version")));
    json_decref (out);
    return 0;
}

const struct kvs_cmd kvs_namespace_cmds[] = {
    {"create", cmd_ns_create, "create [-o OWNER] NS...",
     "  create namespaces (instance owner only)\n"
     "  -o, --owner=OWNER    the user (name or id) they belong to (default: the owner)\n", NULL},
    {"remove", cmd_ns_remove, "remove NS...", "  remove namespaces with their contents\n", NULL},
    {"list", cmd_ns_list, "list", "  list the namespaces: NAMESPACE OWNER VERSION\n", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* version */

int kvs_cmd_version (struct kvs *k, int argc, char **argv)
{
    json_t *out;

    if (kvs_getopt (k, argc, argv, "", NULL) != -1 || optind != argc)
        kvs_usage (k);
    out = kvs_rpc (k, "kvs.version", json_pack ("{s:s}", "namespace", k->ns));
    printf ("%lld\n", (long long) json_integer_value (json_object_get (out, "version")));
    json_decref (out);
    return 0;
}

/* stats */


static json_int_t int_member (const json_t *o, const char *name)
{
    return json_integer_value (json_object_get (o, name));
}

static double num_member (const json_t *o, const char *name)
{
    return json_number_value (json_object_get (o, name));
}

static const char *str_member (const json_t *o, const char *name)
{
    const char *s = json_string_value (json_object_get (o, name));
    return s ? s : "";
}

/* The widest value of member `name` in array a, at least `min`. */
static int column_width (const json_t *a, const char *name, int min)
{
    json_t *o;
    size_t i;
    int len;

    json_array_foreach (a, i, o) {
        if ((len = strlen (str_member (o, name))) > min)
            min = len;
    }
    return min;
}

static void print_stats (const json_t *stats)
{
    json_t *namespaces = json_object_get (stats, "namespaces");
    json_t *prefixes = json_object_get (stats, "prefixes"), *o;
    int nw = column_width (namespaces, "name", strlen ("NAMESPACE"));
    int pw = column_width (prefixes, "prefix", strlen ("PREFIX"));
    char b[32];
    size_t i;

    printf ("database: %s\n", fx_bytes_format (b, sizeof (b), num_member (stats, "database_bytes")));
    printf ("\n%-*s %10s %10s %10s\n", nw, "NAMESPACE", "ENTRIES", "EVENTS", "BYTES");
    json_array_foreach (namespaces, i, o)
        printf ("%-*s %10lld %10lld %10s\n", nw, str_member (o, "name"),
                (long long) int_member (o, "entries"), (long long) int_member (o, "events"),
                fx_bytes_format (b, sizeof (b), num_member (o, "bytes")));
    nw = column_width (prefixes, "namespace", strlen ("NAMESPACE"));
    printf ("\n%-*s %-*s %10s %10s\n", nw, "NAMESPACE", pw, "PREFIX", "ENTRIES", "BYTES");
    json_array_foreach (prefixes, i, o)
        printf ("%-*s %-*s %10lld %10s\n", nw, str_member (o, "namespace"), pw,
                str_member (o, "prefix"), (long long) int_member (o, "entries"),
                fx_bytes_format (b, sizeof (b), num_member (o, "bytes")));
}

int kvs_cmd_stats (struct kvs *k, int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int json = 0;
    json_t *out;

    while (kvs_getopt (k, argc, argv, "", opts) != -1)
        json = 1;
    if (optind != argc)
        kvs_usage (k);
    out = kvs_rpc (k, "kvs.stats", json_object ());
    if (json)
        kvs_print_json (out, "\n");
    else
        print_stats (out);
    json_decref (out);
    return 0;
}
