/* check_conf.c - unit tests for services/conf.c and services/confschema.c.
 *
 * Directory tests write files under one private temporary directory per test case, made by
 * an unchecked fixture (run in the parent, so it is removed even when a test fails).
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/conf.h"
#include "test/unit/check.h"

static char base[] = "/tmp/check_conf.XXXXXX";

static void base_setup (void)
{
    strcpy (base, "/tmp/check_conf.XXXXXX");
    if (!mkdtemp (base))
        abort ();
}

static int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb, (void) flag, (void) ftw;
    return remove (path);
}

static void base_teardown (void)
{
    nftw (base, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new empty directory under base; the caller frees the name. */
static char *newdir (void)
{
    char *dir;

    ck_assert_int_ge (asprintf (&dir, "%s/d.XXXXXX", base), 0);
    ck_assert_ptr_nonnull (mkdtemp (dir));
    return dir;
}

static void put (const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf (path, sizeof (path), "%s/%s", dir, name);
    ck_assert_ptr_nonnull ((f = fopen (path, "w")));
    ck_assert_int_eq (fputs (text, f) >= 0, 1);
    ck_assert_int_eq (fclose (f), 0);
}

/* Load dir with schema; fail the test on error. */
static json_t *load_dir_ok (const char *dir, const struct fx_conf_schema *schema)
{
    struct fx_error err = {{0}};
    json_t *conf = fx_conf_load (dir, schema, &err);

    ck_assert_msg (conf != NULL, "load %s: %s", dir, err.text);
    return conf;
}

/* Load dir, expect failure with errno e and the message msg, where each "@" stands for dir. */
static void load_dir_fails (const char *dir, const struct fx_conf_schema *schema, int e,
                            const char *msg)
{
    struct fx_error err = {{0}};
    char want[FX_ERROR_LEN];
    size_t len = 0;

    for (const char *p = msg; *p; p++) {
        if (*p == '@')
            len += (size_t) snprintf (want + len, sizeof (want) - len, "%s", dir);
        else
            want[len++] = *p;
        ck_assert_uint_lt (len, sizeof (want));
    }
    want[len] = '\0';
    errno = 0;
    ck_assert_ptr_null (fx_conf_load (dir, schema, &err));
    ck_assert_int_eq (errno, e);
    ck_assert_str_eq (err.text, want);
}

static json_t *load_ok (const char *text, const struct fx_conf_schema *schema)
{
    struct fx_error err = {{0}};
    json_t *conf = fx_conf_load_string ("t.conf", text, schema, &err);

    ck_assert_msg (conf != NULL, "load '%s': %s", text, err.text);
    return conf;
}

static void load_fails (const char *text, const struct fx_conf_schema *schema, const char *msg)
{
    struct fx_error err = {{0}};

    errno = 0;
    ck_assert_msg (fx_conf_load_string ("t.conf", text, schema, &err) == NULL, "'%s' was accepted",
                   text);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_msg (!strcmp (err.text, msg), "'%s': got '%s', want '%s'", text, err.text, msg);
}

/* A schema with one key of every type. */
static const struct fx_conf_schema t_member = {
    "member",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_REQUIRED ("name", FX_CONF_STRING),
        FX_CONF_KEY ("size", FX_CONF_INT),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema t_schema = {
    "test",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("b", FX_CONF_BOOL),
        FX_CONF_KEY ("i", FX_CONF_INT),
        FX_CONF_KEY_INT_RANGE ("port", -1, 65535),
        FX_CONF_KEY_INT_RANGE ("count", 0, INT64_MAX),
        FX_CONF_KEY ("f", FX_CONF_FLOAT),
        FX_CONF_KEY ("s", FX_CONF_STRING),
        FX_CONF_KEY ("d", FX_CONF_DURATION),
        FX_CONF_KEY ("sl", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("so", FX_CONF_STRING_OR_LIST),
        FX_CONF_KEY_SUB ("g", FX_CONF_GROUP, &t_member),
        FX_CONF_KEY_SUB ("gl", FX_CONF_GROUP_LIST, &t_member),
        FX_CONF_KEY_SUB ("gm", FX_CONF_GROUP_MAP, &t_member),
        FX_CONF_KEY ("any", FX_CONF_ANY_GROUP),
        FX_CONF_KEY_END,
    },
};

START_TEST (test_merge)
{
    char *dir = newdir ();
    json_t *conf;

    put (dir, "access.conf", "access = { allow-guest-user = true; };\n");
    put (dir, "bootstrap.conf", "bootstrap = { default_port = 8050; };\n");
    put (dir, "more.conf", "access = { allow-root-owner = false; };\ntbon = {};\n");
    conf = load_dir_ok (dir, &fx_conf_schema_system);
    ck_assert_int_eq (json_object_size (conf), 3);
    ck_assert (json_is_true (fx_conf_get (conf, "access.allow-guest-user")));
    ck_assert (json_is_false (fx_conf_get (conf, "access.allow-root-owner")));
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "bootstrap.default_port")), 8050);
    ck_assert_int_eq (json_object_size (fx_conf_get (conf, "tbon")), 0);
    json_decref (conf);
    free (dir);
}
END_TEST

/* Files are read in byte order of their names; others are ignored. */
START_TEST (test_name_order)
{
    char *dir = newdir ();
    json_t *conf;
    char *s;

    put (dir, "b.conf", "kvs = { purge-num-limit = 5; };\n");
    put (dir, "A.conf", "access = {};\n");
    put (dir, "a.conf", "tbon = {};\n");
    put (dir, "c.conf.bak", "this is not read\n");
    put (dir, ".hidden.conf", "neither is this\n");
    put (dir, "README", "nor this\n");
    conf = load_dir_ok (dir, &fx_conf_schema_system);
    s = json_dumps (conf, JSON_COMPACT);
    ck_assert_str_eq (s, "{\"access\":{},\"tbon\":{},\"kvs\":{\"purge-num-limit\":5}}");
    free (s);
    json_decref (conf);

    /* "10" sorts before "9": the later file is the one in error. */
    put (dir, "10-x.conf", "sched = { queue-depth = 1; };\n");
    put (dir, "9-x.conf", "\nsched = {\n  queue-depth = 2;\n};\n");
    load_dir_fails (dir, &fx_conf_schema_system, EINVAL,
                    "@/9-x.conf:3: sched.queue-depth already set in @/10-x.conf:1");
    free (dir);
}
END_TEST

START_TEST (test_duplicate)
{
    char *dir = newdir ();

    put (dir, "a.conf", "access = { allow-guest-user = true; };\n");
    put (dir, "b.conf", "# comment\n\naccess = {\n  allow-guest-user = false;\n};\n");
    load_dir_fails (dir, &fx_conf_schema_system, EINVAL,
                    "@/b.conf:4: access.allow-guest-user already set in @/a.conf:1");

    /* A whole list is one value. */
    put (dir, "a.conf", "bootstrap = { hosts = ( { host = \"a\"; } ); };\n");
    put (dir, "b.conf", "bootstrap = {\n hosts = ( { host = \"b\"; } ); };\n");
    load_dir_fails (dir, &fx_conf_schema_system, EINVAL,
                    "@/b.conf:2: bootstrap.hosts already set in @/a.conf:1");

    /* Top-level plain keys (the IMP's) too. */
    put (dir, "a.conf", "allowed-users = [ \"flux\" ];\n");
    put (dir, "b.conf", "allowed-users = [ \"root\" ];\n");
    load_dir_fails (dir, &fx_conf_schema_imp, EINVAL,
                    "@/b.conf:1: allowed-users already set in @/a.conf:1");

    /* Within one file libconfig itself refuses it. */
    load_fails ("access = {\n allow-guest-user = true;\n allow-guest-user = true; };",
                &fx_conf_schema_system, "t.conf:3: duplicate setting name");
    free (dir);
}
END_TEST

START_TEST (test_unknown)
{
    load_fails ("access = {\n  foo = 1;\n};", &fx_conf_schema_system,
                "t.conf:2: unknown key 'access.foo'");
    load_fails ("\n\nnosuchgroup = { a = 1; };", &fx_conf_schema_system,
                "t.conf:3: unknown key 'nosuchgroup'");
    load_fails (
        "bootstrap = { hosts = ( { host = \"a\"; },\n { host = \"b\"; hots = \"c\"; } ); };",
        &fx_conf_schema_system, "t.conf:2: unknown key 'bootstrap.hosts[1].hots'");
    load_fails ("allow-guest-user = true;", &fx_conf_schema_system,
                "t.conf:1: unknown key 'allow-guest-user'");
    load_fails ("run = { prolog = { path = \"/p\"; pth = \"x\"; }; };", &fx_conf_schema_imp,
                "t.conf:1: unknown key 'run.prolog.pth'");
}
END_TEST

START_TEST (test_wrong_types)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"b = 1;", "t.conf:1: b: expected boolean"},
        {"b = \"true\";", "t.conf:1: b: expected boolean"},
        {"i = 1.5;", "t.conf:1: i: expected integer"},
        {"i = true;", "t.conf:1: i: expected integer"},
        {"f = \"1.5\";", "t.conf:1: f: expected number"},
        {"s = 5;", "t.conf:1: s: expected string"},
        {"s = [ \"a\" ];", "t.conf:1: s: expected string"},
        {"d = \"soon\";", "t.conf:1: d: expected duration (like 30s, 5m, 1.5h, inf)"},
        {"d = true;", "t.conf:1: d: expected duration (like 30s, 5m, 1.5h, inf)"},
        {"sl = \"a\";", "t.conf:1: sl: expected list of strings"},
        {"sl = [ 1, 2 ];", "t.conf:1: sl: expected list of strings"},
        {"sl = ( \"a\", 2 );", "t.conf:1: sl: expected list of strings"},
        {"so = 1;", "t.conf:1: so: expected string or list of strings"},
        {"so = ( \"a\", true );", "t.conf:1: so: expected string or list of strings"},
        {"g = 1;", "t.conf:1: g: expected group"},
        {"g = ( { name = \"x\"; } );", "t.conf:1: g: expected group"},
        {"g = { name = 1; };", "t.conf:1: g.name: expected string"},
        {"gl = { name = \"x\"; };", "t.conf:1: gl: expected list of groups"},
        {"gl = [ \"x\" ];", "t.conf:1: gl[0]: expected group"},
        {"gl = ( { name = \"x\"; },\n \"y\" );", "t.conf:2: gl[1]: expected group"},
        {"gm = ( );", "t.conf:1: gm: expected group"},
        {"gm = { one = 1; };", "t.conf:1: gm.one: expected group"},
        {"any = \"x\";", "t.conf:1: any: expected group"},
    };

    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
        load_fails (cases[i].text, &t_schema, cases[i].msg);
    load_fails ("access = {\n allow-guest-user = \"yes\";\n};", &fx_conf_schema_system,
                "t.conf:2: access.allow-guest-user: expected boolean");
    load_fails ("access = true;", &fx_conf_schema_system, "t.conf:1: access: expected group");
}
END_TEST

START_TEST (test_syntax)
{
    char *dir = newdir ();

    load_fails ("access = {\n  allow-guest-user = true;\n  allow-root-owner = = true;\n};",
                &fx_conf_schema_system, "t.conf:3: syntax error");
    load_fails ("access = {", &fx_conf_schema_system, "t.conf:1: syntax error");
    load_fails ("\n  @include \"/etc/passwd\"\n", &fx_conf_schema_system,
                "t.conf:2: @include is not allowed");
    load_fails ("x = \"abc\n\n", &fx_conf_schema_system, "t.conf:1: unterminated string");
    load_fails ("access = {};\n/* the rest\n tbon = {};", &fx_conf_schema_system,
                "t.conf:2: unterminated comment");
    /* Strings where no value may start (libconfig 1.5 would leak them). */
    load_fails ("access = { \"a\" };", &fx_conf_schema_system, "t.conf:1: syntax error");
    load_fails ("s = \"a\", \"b\";", &t_schema, "t.conf:1: syntax error");
    load_fails ("sl = ( ( \"a\" )\n \"b\n\" );", &t_schema, "t.conf:3: syntax error");
    load_fails ("x = 1\"abc\";", &t_schema, "t.conf:1: syntax error");
    load_fails ("s = \"\\xff\";", &t_schema, "t.conf:1: s: string is not valid UTF-8");
    load_fails ("f = 1e999;", &t_schema, "t.conf:1: f: number out of range");

    /* What only looks like a directive, a comment or a misplaced string is fine. */
    json_t *conf = load_ok ("s = \"one\n@include \\\"x\\\" # /* \";\n"
                            "sl = [ \"a\" /* \"b\" */ \"c\", // \"d\"\n \"e\\\\\" ];\f",
                            &t_schema);
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "s")), "one\n@include \"x\" # /* ");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "sl.0")), "ac");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "sl.1")), "e\\");
    json_decref (conf);

    put (dir, "a.conf", "access = {};\n");
    put (dir, "b.conf", "access = {\n allow-guest-user = yes;\n};\n");
    load_dir_fails (dir, &fx_conf_schema_system, EINVAL, "@/b.conf:2: syntax error");
    free (dir);
}
END_TEST

START_TEST (test_empty)
{
    char *dir = newdir ();
    json_t *conf = load_dir_ok (dir, &fx_conf_schema_system);

    ck_assert (json_is_object (conf));
    ck_assert_int_eq (json_object_size (conf), 0);
    json_decref (conf);

    /* Empty files and comments only are valid too. */
    put (dir, "empty.conf", "");
    put (dir, "comments.conf", "# nothing yet\n// nor here\n/* nor here */\n");
    conf = load_dir_ok (dir, &fx_conf_schema_system);
    ck_assert_int_eq (json_object_size (conf), 0);
    json_decref (conf);
    conf = load_ok ("", &fx_conf_schema_imp);
    ck_assert_int_eq (json_object_size (conf), 0);
    json_decref (conf);
    free (dir);
}
END_TEST

START_TEST (test_missing)
{
    struct fx_error err = {{0}};
    char path[128];
    char *dir = newdir ();

    snprintf (path, sizeof (path), "%s/nonexistent", dir);
    load_dir_fails (path, &fx_conf_schema_system, ENOENT, "@: No such file or directory");

    /* A file where the directory should be. */
    put (dir, "plain", "");
    snprintf (path, sizeof (path), "%s/plain", dir);
    load_dir_fails (path, &fx_conf_schema_system, ENOTDIR, "@: Not a directory");

    ck_assert_ptr_null (fx_conf_load (NULL, &fx_conf_schema_system, &err));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_conf_load (dir, NULL, NULL));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_conf_load_string ("x", NULL, &fx_conf_schema_system, NULL));
    ck_assert_int_eq (errno, EINVAL);
    free (dir);
}
END_TEST

/* Files that cannot be read are named with strerror. */
START_TEST (test_unreadable)
{
    char *dir = newdir ();
    char path[512], target[512];

    snprintf (path, sizeof (path), "%s/dangling.conf", dir);
    snprintf (target, sizeof (target), "%s/nowhere", dir);
    ck_assert_int_eq (symlink (target, path), 0);
    load_dir_fails (dir, &fx_conf_schema_system, ENOENT,
                    "@/dangling.conf: No such file or directory");
    ck_assert_int_eq (unlink (path), 0);

    snprintf (path, sizeof (path), "%s/sub.conf", dir);
    ck_assert_int_eq (mkdir (path, 0700), 0);
    load_dir_fails (dir, &fx_conf_schema_system, EISDIR, "@/sub.conf: Is a directory");
    ck_assert_int_eq (rmdir (path), 0);

    if (geteuid () != 0) { /* root reads anything */
        put (dir, "secret.conf", "access = {};\n");
        snprintf (path, sizeof (path), "%s/secret.conf", dir);
        ck_assert_int_eq (chmod (path, 0), 0);
        load_dir_fails (dir, &fx_conf_schema_system, EACCES, "@/secret.conf: Permission denied");
        ck_assert_int_eq (unlink (path), 0);
    }

    snprintf (path, sizeof (path), "%s/nul.conf", dir);
    FILE *f = fopen (path, "w");
    ck_assert_ptr_nonnull (f);
    ck_assert_int_eq (fwrite ("a = 1;\0b = 2;\n", 1, 14, f), 14);
    fclose (f);
    load_dir_fails (dir, &fx_conf_schema_system, EINVAL, "@/nul.conf: contains a NUL byte");
    free (dir);
}
END_TEST

/* "any = { a = { a = ... 1; }; ... };" with depth groups under any. */
static char *nested (int depth)
{
    char *text = malloc ((size_t) depth * 10 + 16);
    size_t len = (size_t) sprintf (text, "any = { ");

    ck_assert_ptr_nonnull (text);
    for (int i = 0; i < depth; i++)
        len += (size_t) sprintf (text + len, "a = { ");
    len += (size_t) sprintf (text + len, "b = 1;");
    for (int i = 0; i <= depth; i++)
        len += (size_t) sprintf (text + len, " };");
    return text;
}

START_TEST (test_limits)
{
    size_t big = 1024 * 1024 + 1;
    char *text = malloc (big + 1);
    struct fx_error err = {{0}};

    ck_assert_ptr_nonnull (text);
    memset (text, ' ', big);
    text[big] = '\0';
    ck_assert_ptr_null (fx_conf_load_string ("big.conf", text, &t_schema, &err));
    ck_assert_int_eq (errno, EFBIG);
    ck_assert_str_eq (err.text, "big.conf: larger than 1048576 bytes");

    memset (text, '\n', 70000);
    strcpy (text + 70000, "b = true;");
    ck_assert_ptr_null (fx_conf_load_string ("long.conf", text, &t_schema, &err));
    ck_assert_int_eq (errno, EFBIG);
    ck_assert_str_eq (err.text, "long.conf: more than 65535 lines");
    free (text);

    /* Nesting: the conversion stops at 32 levels, the pre-scan at 64 brackets. */
    text = nested (33);
    load_fails (text, &t_schema,
                "t.conf:1: any.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a"
                ".a.a.a.a.a.a.a: nested too deeply");
    free (text);
    text = nested (70);
    load_fails (text, &t_schema, "t.conf:1: nested too deeply");
    free (text);
}
END_TEST

START_TEST (test_group_list)
{
    json_t *conf =
        load_ok ("bootstrap = {\n"
                 "  curve_cert = \"/etc/flux/system/curve.cert\";\n"
                 "  default_port = 8050;\n"
                 "  default_bind = \"tcp://eno1:%p\";\n"
                 "  default_connect = \"tcp://%h:%p\";\n"
                 "  hosts = (\n"
                 "    { host = \"fluke[3,108,6-103]\"; },\n"
                 "    { host = \"fluke104\"; bind = \"tcp://eth0:8050\"; connect = \"tcp://x:1\"; "
                 "parent = \"fluke3\"; }\n"
                 "  );\n"
                 "};\n"
                 "job-manager = {\n"
                 "  plugins = ( { load = \"mf_priority.so\"; },\n"
                 "              { load = \"perilog.so\"; conf = { a = 1; b = [ 1.5, 2.5 ]; c = { d "
                 "= \"e\"; }; }; } );\n"
                 "};\n",
                 &fx_conf_schema_system);

    ck_assert_int_eq (json_array_size (fx_conf_get (conf, "bootstrap.hosts")), 2);
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "bootstrap.hosts.0.host")),
                      "fluke[3,108,6-103]");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "bootstrap.hosts.1.parent")), "fluke3");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "job-manager.plugins.1.conf.c.d")),
                      "e");
    ck_assert (json_real_value (fx_conf_get (conf, "job-manager.plugins.1.conf.b.1")) == 2.5);
    json_decref (conf);

    conf = load_ok ("bootstrap = { hosts = []; };", &fx_conf_schema_system);
    ck_assert_int_eq (json_array_size (fx_conf_get (conf, "bootstrap.hosts")), 0);
    json_decref (conf);

    load_fails (
        "bootstrap = {\n hosts = (\n  { host = \"a\"; },\n  { bind = \"tcp://x:1\"; }\n );\n};",
        &fx_conf_schema_system, "t.conf:4: bootstrap.hosts[1]: missing required key 'host'");
    load_fails ("job-manager = { plugins = ( { conf = {}; } ); };", &fx_conf_schema_system,
                "t.conf:1: job-manager.plugins[0]: missing required key 'load'");
    load_fails ("bootstrap = { hosts = ( { host = 1; } ); };", &fx_conf_schema_system,
                "t.conf:1: bootstrap.hosts[0].host: expected string");
}
END_TEST

/* The IMP's run.NAME: any name, each with the same keys; merges across files. */
START_TEST (test_group_map)
{
    char *dir = newdir ();
    json_t *conf;

    put (dir, "imp.conf",
         "allowed-users = [ \"flux\" ];\n"
         "allowed-shells = [ \"/usr/libexec/flux/flux-shell\" ];\n"
         "allow-sudo = false;\n"
         "log-level = \"info\";\n"
         "exec = { allowed-users = [ \"flux\" ]; pam-support = true; allow-unprivileged-exec = "
         "false; };\n"
         "run = {\n"
         "  prolog = { path = \"/etc/flux/system/prolog\"; allowed-users = [ \"flux\" ]; };\n"
         "};\n");
    put (dir, "run.conf",
         "run = {\n"
         "  epilog = { path = \"/etc/flux/system/epilog\"; allowed-environment = [ \"FLUX_*\" ]; "
         "};\n"
         "  prolog = { allowed-environment = ( \"FLUX_*\" ); };\n"
         "};\n");
    conf = load_dir_ok (dir, &fx_conf_schema_imp);
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "run.prolog.path")),
                      "/etc/flux/system/prolog");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "run.prolog.allowed-environment.0")),
                      "FLUX_*");
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "run.epilog.path")),
                      "/etc/flux/system/epilog");
    ck_assert (json_is_true (fx_conf_get (conf, "exec.pam-support")));
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "log-level")), "info");
    json_decref (conf);

    put (dir, "zz.conf", "run = { epilog = {\n path = \"/bin/true\"; }; };\n");
    load_dir_fails (dir, &fx_conf_schema_imp, EINVAL,
                    "@/zz.conf:2: run.epilog.path already set in @/run.conf:2");

    /* A required key may come from any file; its absence is reported where the group began. */
    put (dir, "zz.conf", "run = {\n housekeeping = { allowed-users = [ \"flux\" ]; };\n};\n");
    load_dir_fails (dir, &fx_conf_schema_imp, EINVAL,
                    "@/zz.conf:2: run.housekeeping: missing required key 'path'");
    put (dir, "zzz.conf", "run = { housekeeping = { path = \"/bin/hk\"; }; };\n");
    conf = load_dir_ok (dir, &fx_conf_schema_imp);
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "run.housekeeping.path")), "/bin/hk");
    json_decref (conf);

    load_fails ("run = { prolog = \"/bin/true\"; };", &fx_conf_schema_imp,
                "t.conf:1: run.prolog: expected group");
    free (dir);
}
END_TEST

START_TEST (test_durations)
{
    static const char *const good[] = {"30s", "5m",  "1.5h", "2d",  "100ms",    "0",
                                       "90",  ".5s", "5.",   "inf", "infinity", "0.25m"};
    static const char *const bad[] = {"",    "5x",  "-1s", "1e3s",  "s",  "1.5.2h", "inf s", " 5s",
                                      "5s ", "5 s", "INF", "0x10s", "5S", "+5s",    "."};
    char text[128];
    json_t *conf;

    for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++) {
        snprintf (text, sizeof (text), "d = \"%s\";", good[i]);
        conf = load_ok (text, &t_schema);
        ck_assert_str_eq (json_string_value (fx_conf_get (conf, "d")), good[i]);
        json_decref (conf);
    }
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        snprintf (text, sizeof (text), "d = \"%s\";", bad[i]);
        load_fails (text, &t_schema, "t.conf:1: d: expected duration (like 30s, 5m, 1.5h, inf)");
    }

    /* Numbers are seconds, kept as written. */
    conf = load_ok ("d = 30;", &t_schema);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "d")), 30);
    json_decref (conf);
    conf = load_ok ("d = 0.5;", &t_schema);
    ck_assert (json_real_value (fx_conf_get (conf, "d")) == 0.5);
    json_decref (conf);
    load_fails ("d = -1;", &t_schema, "t.conf:1: d: expected duration (like 30s, 5m, 1.5h, inf)");
    load_fails ("d = -0.5;", &t_schema, "t.conf:1: d: expected duration (like 30s, 5m, 1.5h, inf)");

    conf = load_ok ("tbon = { torpid_min = \"5s\"; torpid_max = 30; lost_timeout = \"inf\";\n"
                    "connect_timeout = \"30s\"; tcp_user_timeout = \"20s\"; };\n"
                    "router = { lease = \"1m\"; };",
                    &fx_conf_schema_system);
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "router.lease")), "1m");
    json_decref (conf);
    load_fails ("tbon = {\n torpid_max = \"30 s\"; };", &fx_conf_schema_system,
                "t.conf:2: tbon.torpid_max: expected duration (like 30s, 5m, 1.5h, inf)");
}
END_TEST

START_TEST (test_int_ranges)
{
    json_t *conf;

    conf = load_ok ("metrics = { overlayd = 0; kvsd = -1; jobd = 65535; schedd = 9100; };\n"
                    "bootstrap = { default_port = 1; };",
                    &fx_conf_schema_system);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "metrics.kvsd")), -1);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "metrics.jobd")), 65535);
    json_decref (conf);
    load_fails ("metrics = {\n execd = 65536; };", &fx_conf_schema_system,
                "t.conf:2: metrics.execd: expected integer in -1..65535, got 65536");
    load_fails ("metrics = { resourced = -2; };", &fx_conf_schema_system,
                "t.conf:1: metrics.resourced: expected integer in -1..65535, got -2");
    load_fails ("bootstrap = { default_port = 0; };", &fx_conf_schema_system,
                "t.conf:1: bootstrap.default_port: expected integer in 1..65535, got 0");
    load_fails ("kvs = { purge-num-limit = -1; };", &fx_conf_schema_system,
                "t.conf:1: kvs.purge-num-limit: expected integer >= 0, got -1");

    /* 64-bit values need libconfig's L suffix. */
    conf = load_ok ("count = 9223372036854775807L; i = -5; port = 0x10;", &t_schema);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "count")), INT64_MAX);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "i")), -5);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "port")), 16);
    json_decref (conf);
}
END_TEST

START_TEST (test_get)
{
    json_t *conf = load_ok ("access = { allow-guest-user = true; };\n"
                            "bootstrap = { hosts = ( { host = \"a\"; }, { host = \"b\"; } ); };",
                            &fx_conf_schema_system);

    ck_assert (json_is_true (fx_conf_get (conf, "access.allow-guest-user")));
    ck_assert (json_is_object (fx_conf_get (conf, "access")));
    ck_assert (json_is_array (fx_conf_get (conf, "bootstrap.hosts")));
    ck_assert_str_eq (json_string_value (fx_conf_get (conf, "bootstrap.hosts.1.host")), "b");

    static const char *const missing[] = {
        "nope",
        "access.nope",
        "access.allow-guest-user.x",
        "bootstrap.hosts.2",
        "bootstrap.hosts.x",
        "bootstrap.hosts.-1",
        "bootstrap.hosts.1x",
        "bootstrap.hosts.0.bind",
        "bootstrap.hosts.99999999999999999999",
        "access.allow-guest-user.0",
    };
    for (size_t i = 0; i < sizeof (missing) / sizeof (missing[0]); i++) {
        errno = 0;
        ck_assert_msg (fx_conf_get (conf, missing[i]) == NULL, "%s found", missing[i]);
        ck_assert_int_eq (errno, ENOENT);
    }
    static const char *const invalid[] = {"", ".", "access.", ".access", "access..x"};
    for (size_t i = 0; i < sizeof (invalid) / sizeof (invalid[0]); i++) {
        errno = 0;
        ck_assert_msg (fx_conf_get (conf, invalid[i]) == NULL, "'%s' found", invalid[i]);
        ck_assert_int_eq (errno, EINVAL);
    }
    ck_assert_ptr_null (fx_conf_get (NULL, "access"));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_ptr_null (fx_conf_get (conf, NULL));
    ck_assert_int_eq (errno, EINVAL);
    json_decref (conf);
}
END_TEST

START_TEST (test_json_types)
{
    json_t *conf = load_ok ("b = true; i = 42; f = 1.5; s = \"x\"; sl = [ \"a\", \"b\" ];\n"
                            "so = \"one\"; g = { name = \"n\"; size = 7L; };\n"
                            "gl = ( { name = \"m\"; } ); gm = { k = { name = \"o\"; }; };\n"
                            "any = { l = ( 1, \"two\", false, [ 3.5 ], { x = 1; } ); };",
                            &t_schema);
    char *s = json_dumps (conf, JSON_COMPACT);

    ck_assert_str_eq (s, "{\"b\":true,\"i\":42,\"f\":1.5,\"s\":\"x\",\"sl\":[\"a\",\"b\"],"
                         "\"so\":\"one\",\"g\":{\"name\":\"n\",\"size\":7},"
                         "\"gl\":[{\"name\":\"m\"}],\"gm\":{\"k\":{\"name\":\"o\"}},"
                         "\"any\":{\"l\":[1,\"two\",false,[3.5],{\"x\":1}]}}");
    ck_assert (json_is_integer (fx_conf_get (conf, "i")));
    ck_assert (json_is_real (fx_conf_get (conf, "f")));
    ck_assert (json_is_boolean (fx_conf_get (conf, "b")));
    free (s);
    json_decref (conf);

    conf = load_ok ("so = ( \"a\", \"b\" ); f = 2;", &t_schema);
    ck_assert (json_is_array (fx_conf_get (conf, "so")));
    ck_assert (json_is_integer (fx_conf_get (conf, "f"))); /* numbers are kept as written */
    json_decref (conf);
}
END_TEST

START_TEST (test_validate_json)
{
    struct fx_error err = {{0}};
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"access\": {\"allow-guest-user\": 1}}", "access.allow-guest-user: expected boolean"},
        {"{\"access\": {\"foo\": 1}}", "unknown key 'access.foo'"},
        {"{\"bootstrap\": {\"hosts\": [{}]}}", "bootstrap.hosts[0]: missing required key 'host'"},
        {"{\"bootstrap\": {\"hosts\": [1]}}", "bootstrap.hosts[0]: expected group"},
        {"{\"metrics\": {\"kvsd\": 70000}}",
         "metrics.kvsd: expected integer in -1..65535, got 70000"},
        {"{\"tbon\": {\"torpid_max\": \"1y\"}}",
         "tbon.torpid_max: expected duration (like 30s, 5m, 1.5h, inf)"},
        {"{\"kvs\": []}", "kvs: expected group"},
    };

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        json_t *o = json_loads (bad[i].json, 0, NULL);
        ck_assert_ptr_nonnull (o);
        errno = 0;
        ck_assert_int_eq (fx_conf_validate_json (o, &fx_conf_schema_system, &err), -1);
        ck_assert_int_eq (errno, EINVAL);
        ck_assert_str_eq (err.text, bad[i].msg);
        json_decref (o);
    }

    /* What the loader produces validates as JSON. */
    json_t *conf = load_ok ("bootstrap = { hosts = ( { host = \"a\"; } ); enable_ipv6 = true; };\n"
                            "router = { lease = 30; uri = \"ipc:///run/flux/router\"; };",
                            &fx_conf_schema_system);
    ck_assert_int_eq (fx_conf_validate_json (conf, &fx_conf_schema_system, &err), 0);
    json_decref (conf);

    json_t *arr = json_array ();
    ck_assert_int_eq (fx_conf_validate_json (arr, &fx_conf_schema_system, &err), -1);
    ck_assert_str_eq (err.text, "configuration is not an object");
    json_decref (arr);
    ck_assert_int_eq (fx_conf_validate_json (NULL, &fx_conf_schema_system, NULL), -1);
    ck_assert_int_eq (errno, EINVAL);
}
END_TEST

/* Every table is well formed: names unique, groups have a schema, ranges ordered. */
static void check_table (const struct fx_conf_schema *schema, int depth)
{
    ck_assert_int_lt (depth, 8);
    ck_assert_ptr_nonnull (schema->name);
    for (const struct fx_conf_key *k = schema->keys; k->name; k++) {
        ck_assert_ptr_eq (fx_conf_schema_find (schema, k->name), k);
        ck_assert (k->type >= FX_CONF_BOOL && k->type <= FX_CONF_ANY_GROUP);
        if (k->flags & FX_CONF_RANGE)
            ck_assert (k->type == FX_CONF_INT && k->min <= k->max);
        if (k->type == FX_CONF_GROUP || k->type == FX_CONF_GROUP_LIST ||
            k->type == FX_CONF_GROUP_MAP) {
            ck_assert_msg (k->schema != NULL, "%s has no schema", k->name);
            check_table (k->schema, depth + 1);
        }
    }
}

START_TEST (test_schemas)
{
    json_t *conf;

    check_table (&fx_conf_schema_system, 0);
    check_table (&fx_conf_schema_security, 0);
    check_table (&fx_conf_schema_imp, 0);
    ck_assert_ptr_null (fx_conf_schema_find (&fx_conf_schema_system, "nope"));

    /* The guide's examples, in libconfig syntax. */
    conf = load_ok ("sign = { max-ttl = 1209600; default-type = \"munge\";\n"
                    "allowed-types = [ \"munge\" ]; };",
                    &fx_conf_schema_security);
    ck_assert_int_eq (json_integer_value (fx_conf_get (conf, "sign.max-ttl")), 1209600);
    json_decref (conf);
    conf = load_ok ("exec = { imp = \"/usr/libexec/flux/flux-imp\"; kill-timeout = \"10s\";\n"
                    "max-kill-count = 8; term-signal = \"SIGTERM\"; kill-signal = \"SIGKILL\";\n"
                    "job-shell = \"/usr/libexec/flux/flux-shell\"; };\n"
                    "access = { allow-guest-user = true; allow-root-owner = true; };\n"
                    "resource = { path = \"/etc/flux/system/R\"; exclude = \"fluke[3,108]\";\n"
                    "noverify = true; };\n"
                    "kvs = { dsn = \"postgresql:///flux\"; purge-age-limit = \"30d\"; };\n"
                    "job-manager = { inactive-age-limit = \"7d\"; inactive-num-limit = 1000; };\n"
                    "sched = { queue-depth = 8; };\n"
                    "metrics = { bind = \"127.0.0.1\"; };",
                    &fx_conf_schema_system);
    ck_assert_int_eq (json_object_size (conf), 7);
    json_decref (conf);
    load_fails ("sign = { allowed-types = \"munge\"; };", &fx_conf_schema_security,
                "t.conf:1: sign.allowed-types: expected list of strings");
}
END_TEST

static Suite *conf_suite (void)
{
    Suite *s = suite_create ("conf");
    const struct fx_check_case cases[] = {
        {"merge", test_merge},
        {"name_order", test_name_order},
        {"duplicate", test_duplicate},
        {"unknown", test_unknown},
        {"wrong_types", test_wrong_types},
        {"syntax", test_syntax},
        {"empty", test_empty},
        {"missing", test_missing},
        {"unreadable", test_unreadable},
        {"limits", test_limits},
        {"group_list", test_group_list},
        {"group_map", test_group_map},
        {"durations", test_durations},
        {"int_ranges", test_int_ranges},
        {"get", test_get},
        {"json_types", test_json_types},
        {"validate_json", test_validate_json},
        {"schemas", test_schemas},
    };

    const struct fx_check_fixtures fx = {.unchecked_setup = base_setup,
                                         .unchecked_teardown = base_teardown};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (conf_suite ());
}
