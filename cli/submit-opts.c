/* submit-opts.c - the options of `flux submit` and `flux run`, and the jobspec of each job.
 *
 * Options come before the command (getopt with '+': the first argument that is not an
 * option starts the command).  The environment is the whole current environment, changed by
 * the --env/--env-remove rules in order; the working directory is the current one unless
 * --cwd says otherwise.  A jobspec is built by fx_jobspec_build(), then the --setattr values
 * are placed under attributes and the result is validated again, so that nothing jobd would
 * refuse leaves the command.  Failure policy: usage errors exit 2, others 1, one line each.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/submit.h"
#include "services/fluid.h"
#include "services/fsd.h"

extern char **environ;

static const char usage_text[] =
    "Usage: flux %s [OPTIONS] COMMAND [ARGS...]\n"
    "  -n, --ntasks=N            tasks to run (default 1, or one per node with -N)\n"
    "  -N, --nodes=N             nodes to spread the tasks over\n"
    "  -c, --cores-per-task=N    cores each task gets (default 1)\n"
    "  -g, --gpus-per-task=N     GPUs each task gets (default 0)\n"
    "  -x, --exclusive           whole nodes (needs -N)\n"
    "  -t, --time-limit=MIN|FSD  time limit: minutes, or a duration such as 30s, 2h\n"
    "      --urgency=N           0-31, hold (0), default (16) or expedite (31)\n"
    "%s"
    "      --job-name=NAME       the job's name (default: the command's basename)\n"
    "      --cwd=DIR             working directory (default: the current one)\n"
    "      --env=RULE            -PATTERN removes, VAR=VAL sets, PATTERN passes from here\n"
    "      --env-remove=PATTERN  remove variables matching PATTERN\n"
    "      --output=FILE         write the job's stdout to FILE ({{id}} is the job id)\n"
    "      --error=FILE          write the job's stderr to FILE\n"
    "      --dependency=URI      afterok:ID, afterany:ID, after:ID, afternotok:ID ...\n"
    "  -S, --setattr=KEY[=VAL]   set attributes.KEY (system. assumed) to VAL (JSON or text)\n"
    "  -q, --queue=NAME          the queue to submit to\n"
    "      --dry-run             print the jobspec instead of submitting\n"
    "  -h, --help                this message\n";

static const char cc_text[] =
    "      --cc=IDSET            one job per id, {cc} in the command replaced, FLUX_JOB_CC set\n";

static void usage (const struct submit *s, FILE *f, int status) __attribute__ ((noreturn));
static void usage (const struct submit *s, FILE *f, int status)
{
    fprintf (f, usage_text, s->prog + strlen ("flux-"), s->allow_cc ? cc_text : "");
    exit (status);
}

static void usage_error (const struct submit *s, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));
static void usage_error (const struct submit *s, const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "%s: ", s->prog);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    usage (s, stderr, 2);
}

void submit_die (const struct submit *s, const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fprintf (stderr, "%s: ", s->prog);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void *oom (const struct submit *s, void *p)
{
    if (!p)
        submit_die (s, "out of memory");
    return p;
}

const char *submit_idstr (uint64_t id, char *buf, size_t len)
{
    if (fx_fluid_encode (buf, len, id, FX_FLUID_F58) < 0)
        snprintf (buf, len, "%llu", (unsigned long long) id);
    return buf;
}

/* Option values */

static int parse_count (const struct submit *s, const char *opt, const char *arg, int min)
{
    char *end;
    long n;

    errno = 0;
    n = strtol (arg, &end, 10);
    if (errno || end == arg || *end || n < min || n > FX_JOBSPEC_MAX_COUNT)
        usage_error (s, "%s: expected an integer from %d to %d, got '%s'", opt, min,
                     FX_JOBSPEC_MAX_COUNT, arg);
    return (int) n;
}

/* -t: a bare number is minutes, anything else a duration; inf is unlimited (0). */
static double parse_time_limit (const struct submit *s, const char *arg)
{
    struct fx_error err = {""};
    double d;
    char *end;

    errno = 0;
    d = strtod (arg, &end);
    if (end != arg && !*end && !errno && isfinite (d) && d >= 0
        && strspn (arg, "0123456789.") == strlen (arg))
        return d * 60;
    if (fx_fsd_parse (arg, &d, &err) < 0)
        usage_error (s, "--time-limit: %s", err.text);
    return isinf (d) ? 0 : d;
}

static int parse_urgency (const struct submit *s, const char *arg)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {{"hold", 0}, {"default", 16}, {"expedite", 31}};
    char *end;
    long n;

    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
        if (!strcmp (arg, names[i].name))
            return names[i].value;
    }
    errno = 0;
    n = strtol (arg, &end, 10);
    if (errno || end == arg || *end || n < 0 || n > 31)
        usage_error (s, "--urgency: expected 0-31, hold, default or expedite, got '%s'", arg);
    return (int) n;
}

static void add_dependency (struct submit *s, const char *arg)
{
    size_t n = strcspn (arg, ":");
    json_t *d;

    if (n == 0)
        usage_error (s, "--dependency: expected SCHEME:VALUE, got '%s'", arg);
    if (!s->dependencies)
        s->dependencies = oom (s, json_array ());
    d = json_pack ("{s:s% s:s}", "scheme", arg, n, "value", arg[n] ? arg + n + 1 : "");
    if (json_array_append_new (s->dependencies, oom (s, d)) < 0)
        submit_die (s, "out of memory");
}

/* -S KEY[=VAL]: VAL is JSON when it parses as JSON, else a string; no VAL is 1. */
static void add_setattr (struct submit *s, const char *arg)
{
    struct fx_error err = {""};
    size_t n = strcspn (arg, "=");
    char key[256];
    json_t *v;
    double d;

    if (n == 0 || n >= sizeof (key) - 8)
        usage_error (s, "--setattr: expected KEY[=VALUE], got '%s'", arg);
    snprintf (key, sizeof (key), "%s%.*s",
              strncmp (arg, "system.", 7) && strncmp (arg, "user.", 5) ? "system." : "", (int) n,
              arg);
    if (!strcmp (key, "system.exec.test.run_duration")) {
        if (!arg[n] || fx_fsd_parse (arg + n + 1, &d, &err) < 0 || isinf (d))
            usage_error (s, "--setattr: %s: expected a duration%s%s", key, err.text[0] ? ": " : "",
                         err.text);
        s->opts.test_run_duration = d;
        return;
    }
    if (!arg[n])
        v = json_integer (1);
    else if (!(v = json_loads (arg + n + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL)))
        v = json_string (arg + n + 1);
    if (!v || json_array_append_new (s->setattrs, json_pack ("[s o]", key, v)) < 0)
        submit_die (s, "--setattr: %s: not UTF-8 or out of memory", key);
}

static void add_env_rule (struct submit *s, char op, const char *arg)
{
    struct env_rule *r;

    if (op == 'e') {
        op = arg[0] == '-' ? '-' : strchr (arg, '=') ? '=' : 'p';
        arg += op == '-';
    }
    if (!*arg)
        usage_error (s, "%s: empty rule", op == '-' ? "--env-remove" : "--env");
    r = oom (s, realloc (s->env_rules, (s->nenv_rules + 1) * sizeof (*r)));
    s->env_rules = r;
    s->env_rules[s->nenv_rules++] = (struct env_rule){op, arg};
}

static void parse_cc (struct submit *s, const char *arg)
{
    struct fx_error err = {""};

    fx_idset_destroy (s->cc);
    if (!(s->cc = fx_idset_decode (arg, &err)))
        usage_error (s, "--cc: %s", err.text);
    if (fx_idset_count (s->cc) == 0 || fx_idset_count (s->cc) > SUBMIT_MAX_CC)
        usage_error (s, "--cc: expected 1 to %d ids, got '%s'", SUBMIT_MAX_CC, arg);
}

enum {
    OPT_URGENCY = 256,
    OPT_CC,
    OPT_JOB_NAME,
    OPT_CWD,
    OPT_ENV,
    OPT_ENV_REMOVE,
    OPT_OUTPUT,
    OPT_ERROR,
    OPT_DEPENDENCY,
    OPT_DRY_RUN,
};

static const struct option longopts[] = {
    {"ntasks", required_argument, NULL, 'n'},
    {"nodes", required_argument, NULL, 'N'},
    {"cores-per-task", required_argument, NULL, 'c'},
    {"gpus-per-task", required_argument, NULL, 'g'},
    {"exclusive", no_argument, NULL, 'x'},
    {"time-limit", required_argument, NULL, 't'},
    {"urgency", required_argument, NULL, OPT_URGENCY},
    {"cc", required_argument, NULL, OPT_CC},
    {"job-name", required_argument, NULL, OPT_JOB_NAME},
    {"cwd", required_argument, NULL, OPT_CWD},
    {"env", required_argument, NULL, OPT_ENV},
    {"env-remove", required_argument, NULL, OPT_ENV_REMOVE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"error", required_argument, NULL, OPT_ERROR},
    {"dependency", required_argument, NULL, OPT_DEPENDENCY},
    {"setattr", required_argument, NULL, 'S'},
    {"queue", required_argument, NULL, 'q'},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0, or -1 for an option that is not ours. */
static int apply_option (struct submit *s, int c, const char *arg)
{
    struct fx_jobspec_opts *o = &s->opts;

    switch (c) {
    case 'n':
        o->ntasks = parse_count (s, "--ntasks", arg, 1);
        break;
    case 'N':
        o->nnodes = parse_count (s, "--nodes", arg, 1);
        break;
    case 'c':
        o->cores_per_task = parse_count (s, "--cores-per-task", arg, 1);
        break;
    case 'g':
        o->gpus_per_task = parse_count (s, "--gpus-per-task", arg, 0);
        break;
    case 'x':
        o->exclusive = 1;
        break;
    case 't':
        o->duration = parse_time_limit (s, arg);
        break;
    case 'q':
        o->queue = arg;
        break;
    case 'S':
        add_setattr (s, arg);
        break;
    case OPT_URGENCY:
        s->urgency = parse_urgency (s, arg);
        break;
    case OPT_CC:
        parse_cc (s, arg);
        break;
    case OPT_JOB_NAME:
        o->name = arg;
        break;
    case OPT_CWD:
        o->cwd = arg;
        break;
    case OPT_ENV:
        add_env_rule (s, 'e', arg);
        break;
    case OPT_ENV_REMOVE:
        add_env_rule (s, '-', arg);
        break;
    case OPT_OUTPUT:
        o->output_path = arg;
        break;
    case OPT_ERROR:
        o->error_path = arg;
        break;
    case OPT_DEPENDENCY:
        add_dependency (s, arg);
        break;
    case OPT_DRY_RUN:
        s->dry_run = 1;
        break;
    default:
        return -1;
    }
    return 0;
}

void submit_parse (struct submit *s, const char *prog, int allow_cc, int argc, char **argv)
{
    int c;

    memset (s, 0, sizeof (*s));
    s->prog = prog;
    s->allow_cc = allow_cc;
    s->urgency = -1;
    s->opts.test_run_duration = -1;
    s->setattrs = oom (s, json_array ());
    opterr = 0;
    optind = 0;
    while ((c = getopt_long (argc, argv, "+:n:N:c:g:xt:S:q:h", longopts, NULL)) != -1) {
        if (c == 'h')
            usage (s, stdout, 0);
        if (c == ':')
            usage_error (s, "missing argument to %s", argv[optind - 1]);
        if (c == '?' || (c == OPT_CC && !allow_cc) || apply_option (s, c, optarg) < 0)
            usage_error (s, "unknown option %.*s", (int) strcspn (argv[optind - 1], "="),
                         argv[optind - 1]);
    }
    if (optind >= argc)
        usage_error (s, "a command is required");
    s->opts.argc = argc - optind;
    s->opts.argv = argv + optind;
}

void submit_clear (struct submit *s)
{
    fx_idset_destroy (s->cc);
    free (s->env_rules);
    json_decref (s->setattrs);
    json_decref (s->dependencies);
    fx_peer_destroy (s->p);
    memset (s, 0, sizeof (*s));
}

/* The environment */

static void env_remove (json_t *env, const char *pattern)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe (env, tmp, key, v)
    {
        if (fnmatch (pattern, key, 0) == 0)
            json_object_del (env, key);
    }
}

static void env_pass (const struct submit *s, json_t *env, const char *pattern)
{
    for (char **e = environ; *e; e++) {
        size_t n = strcspn (*e, "=");
        char name[1024];
        if (!(*e)[n] || n == 0 || n >= sizeof (name))
            continue;
        snprintf (name, sizeof (name), "%.*s", (int) n, *e);
        if (fnmatch (pattern, name, 0) == 0
            && json_object_set_new (env, name, json_string ((*e) + n + 1)) < 0)
            submit_die (s, "environment: %s is not UTF-8", name);
    }
}

static json_t *build_environment (const struct submit *s)
{
    json_t *env = oom (s, json_object ());

    env_pass (s, env, "*");
    for (size_t i = 0; i < s->nenv_rules; i++) {
        const struct env_rule *r = &s->env_rules[i];
        size_t n = strcspn (r->arg, "=");
        char name[1024];
        if (r->op == '-')
            env_remove (env, r->arg);
        else if (r->op == 'p')
            env_pass (s, env, r->arg);
        else if (n == 0 || n >= sizeof (name))
            submit_die (s, "--env: %s: expected VAR=VALUE", r->arg);
        else {
            snprintf (name, sizeof (name), "%.*s", (int) n, r->arg);
            if (json_object_set_new (env, name, json_string (r->arg + n + 1)) < 0)
                submit_die (s, "--env: %s: not UTF-8", r->arg);
        }
    }
    return env;
}

/* {cc} */

/* str with each "{cc}" replaced by cc, a new string; NULL stays NULL. */
static char *subst_cc (const struct submit *s, const char *str, long cc)
{
    char num[24], *out, *o;
    size_t n = 0;
    const char *p;

    if (!str)
        return NULL;
    for (p = str; (p = strstr (p, "{cc}")); p += 4)
        n++;
    snprintf (num, sizeof (num), "%ld", cc);
    o = out = oom (s, malloc (strlen (str) + n * strlen (num) + 1));
    for (p = str; *p;) {
        if (!strncmp (p, "{cc}", 4)) {
            o = stpcpy (o, num);
            p += 4;
        } else
            *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* Set attributes.PATH (dotted) to v (stolen), making the objects on the way. */
static int set_path (json_t *attrs, const char *path, json_t *v)
{
    char *copy = strdup (path), *save = NULL, *tok, *next;
    json_t *o = attrs;
    int rc = -1;

    if (!copy)
        goto done;
    for (tok = strtok_r (copy, ".", &save); tok; tok = next) {
        json_t *child;
        if (!(next = strtok_r (NULL, ".", &save))) {
            rc = json_object_set (o, tok, v);
            break;
        }
        if (!json_is_object (child = json_object_get (o, tok))) {
            if (!(child = json_object ()) || json_object_set_new (o, tok, child) < 0)
                break;
        }
        o = child;
    }
done:
    free (copy);
    json_decref (v);
    return rc;
}

static void apply_setattrs (const struct submit *s, json_t *jobspec)
{
    json_t *attrs = json_object_get (jobspec, "attributes"), *pair;
    size_t i;

    json_array_foreach (s->setattrs, i, pair)
    {
        const char *path = json_string_value (json_array_get (pair, 0));
        if (set_path (attrs, path, json_incref (json_array_get (pair, 1))) < 0)
            submit_die (s, "--setattr: %s: cannot set", path);
    }
}

json_t *submit_jobspec (const struct submit *s, long cc)
{
    struct fx_jobspec_opts o = s->opts;
    struct fx_error err = {""};
    char **argv = oom (s, calloc (o.argc + 1, sizeof (char *)));
    char *name = subst_cc (s, o.name, cc), *cwd = NULL, *out, *errp;
    char buf[4096], num[24];
    struct fx_jobspec js;
    json_t *jobspec;

    for (int i = 0; i < o.argc; i++)
        argv[i] = cc >= 0 ? subst_cc (s, s->opts.argv[i], cc) : s->opts.argv[i];
    if (!o.cwd && !(o.cwd = getcwd (buf, sizeof (buf))))
        submit_die (s, "cannot tell the current directory: %s", strerror (errno));
    cwd = cc >= 0 ? subst_cc (s, o.cwd, cc) : NULL;
    out = cc >= 0 ? subst_cc (s, o.output_path, cc) : NULL;
    errp = cc >= 0 ? subst_cc (s, o.error_path, cc) : NULL;
    o.argv = argv;
    if (cc >= 0) {
        o.name = name;
        o.cwd = cwd;
        o.output_path = out;
        o.error_path = errp;
    }
    o.environment = build_environment (s);
    o.dependencies = s->dependencies;
    if (cc >= 0) {
        snprintf (num, sizeof (num), "%ld", cc);
        json_object_set_new (o.environment, "FLUX_JOB_CC", json_string (num));
    }
    if (!(jobspec = fx_jobspec_build (&o, &err)) && errno != EINVAL)
        submit_die (s, "%s", err.text);
    if (jobspec)
        apply_setattrs (s, jobspec);
    if (!jobspec || fx_jobspec_parse_json (jobspec, &js, &err) < 0) {
        fprintf (stderr, "%s: %s\n", s->prog, err.text); /* the options asked for it */
        exit (2);
    }
    fx_jobspec_clear (&js);
    json_decref (o.environment);
    for (int i = 0; cc >= 0 && i < o.argc; i++)
        free (argv[i]);
    free (argv);
    free (name);
    free (cwd);
    free (out);
    free (errp);
    return jobspec;
}
