/* jobspec.c - jobspec version 1 (RFC 25): strict parse and validation, build from command
 * options, and task placement (doc/job.md "Jobspec").
 *
 * The parser walks the JSON once, checking every key against a small table per object and
 * filling struct fx_jobspec; it keeps a reference to the document and points into it.  Every
 * refusal is EINVAL with one line naming the field path ("resources[0].with[0].count: must be
 * a positive integer").  Nothing here talks to anyone; the build side produces a document and
 * then runs it through the same parser, so that what a command sends is what jobd accepts.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/jobspec.h"

#define PATH_LEN 96

/* A resource vertex as read, before the shape is checked. */
struct vertex {
    const char *type;
    int count;
    const char *label;
    int exclusive; /* -1 = not given */
    json_t *with;  /* borrowed, NULL = none */
};

/* Format a field path into buf (PATH_LEN bytes); a path too long is cut short. */
static char *pathf (char *buf, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static char *pathf (char *buf, const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (buf, PATH_LEN, fmt, ap);
    va_end (ap);
    return buf;
}

/* Format "path: message" into err; EINVAL.  Returns -1. */
static int bad (struct fx_error *err, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int bad (struct fx_error *err, const char *path, const char *fmt, ...)
{
    char msg[FX_ERROR_LEN];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    errprintf (err, "%s: %s", path, msg);
    for (char *c = err ? err->text : ""; *c; c++) {
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = '?'; /* keys and labels come from the input: keep the message one line */
    }
    errno = EINVAL;
    return -1;
}

/* Refuse keys of obj not in the NULL-terminated list known. */
static int check_keys (json_t *obj, const char *path, const char *const known[],
                       struct fx_error *err)
{
    const char *key;
    json_t *v;

    json_object_foreach (obj, key, v)
    {
        int found = 0;
        for (int i = 0; known[i] && !found; i++)
            found = !strcmp (key, known[i]);
        if (!found)
            return bad (err, path, "%s: unknown key", key);
    }
    return 0;
}

/* Like check_keys, but the message names the key as part of the path (path.key). */
static int check_subkeys (json_t *obj, const char *path, const char *const known[],
                          struct fx_error *err)
{
    const char *key;
    json_t *v;
    char p[PATH_LEN];

    json_object_foreach (obj, key, v)
    {
        int found = 0;
        for (int i = 0; known[i] && !found; i++)
            found = !strcmp (key, known[i]);
        if (!found) {
            pathf (p, "%s%s%s", path, *path ? "." : "", key);
            return bad (err, p, "unknown key");
        }
    }
    return 0;
}

static int get_count (json_t *v, const char *path, int *count, struct fx_error *err)
{
    json_int_t n;

    if (!json_is_integer (v) || (n = json_integer_value (v)) < 1)
        return bad (err, path, "must be a positive integer");
    if (n > FX_JOBSPEC_MAX_COUNT)
        return bad (err, path, "must be at most %d", FX_JOBSPEC_MAX_COUNT);
    *count = (int) n;
    return 0;
}

static int read_vertex (json_t *o, const char *path, struct vertex *v, struct fx_error *err)
{
    static const char *const keys[] = {"type", "count", "unit", "label", "exclusive", "with", NULL};
    char p[PATH_LEN];
    json_t *x;

    memset (v, 0, sizeof (*v));
    if (!json_is_object (o))
        return bad (err, path, "must be an object");
    if (check_subkeys (o, path, keys, err) < 0)
        return -1;
    pathf (p, "%s.type", path);
    if (!(v->type = json_string_value (json_object_get (o, "type"))))
        return bad (err, p, "must be a string");
    pathf (p, "%s.count", path);
    if (get_count (json_object_get (o, "count"), p, &v->count, err) < 0)
        return -1;
    pathf (p, "%s.unit", path);
    if ((x = json_object_get (o, "unit")) && !json_is_string (x))
        return bad (err, p, "must be a string");
    pathf (p, "%s.label", path);
    if ((x = json_object_get (o, "label")) && !(v->label = json_string_value (x)))
        return bad (err, p, "must be a string");
    v->exclusive = -1;
    pathf (p, "%s.exclusive", path);
    if ((x = json_object_get (o, "exclusive")) && !json_is_boolean (x))
        return bad (err, p, "must be true or false");
    if (x)
        v->exclusive = json_is_true (x);
    pathf (p, "%s.with", path);
    if ((v->with = json_object_get (o, "with")) && !json_is_array (v->with))
        return bad (err, p, "must be an array");
    return 0;
}

/* A slot's children: core, or core and gpu (in either order), nothing below them. */
static int parse_slot_with (json_t *with, const char *path, struct fx_jobspec *js,
                            struct fx_error *err)
{
    char p[PATH_LEN];
    size_t i, n = json_array_size (with);
    struct vertex v;

    if (n < 1 || n > 2)
        return bad (err, path, "a slot must hold core, or core and gpu");
    js->gpus_per_slot = 0;
    js->cores_per_slot = 0;
    for (i = 0; i < n; i++) {
        pathf (p, "%s[%zu]", path, i);
        if (read_vertex (json_array_get (with, i), p, &v, err) < 0)
            return -1;
        pathf (p, "%s[%zu].type", path, i);
        if (strcmp (v.type, "core") != 0 && strcmp (v.type, "gpu") != 0)
            return bad (err, p, "a slot must hold core, or core and gpu");
        if (!strcmp (v.type, "core") ? js->cores_per_slot : js->gpus_per_slot)
            return bad (err, p, "%s given twice", v.type);
        pathf (p, "%s[%zu]", path, i);
        if (v.with)
            return bad (err, p, "a %s holds nothing (with)", v.type);
        if (v.exclusive >= 0)
            return bad (err, p, "only a node may be exclusive");
        if (!strcmp (v.type, "core"))
            js->cores_per_slot = v.count;
        else
            js->gpus_per_slot = v.count;
    }
    if (!js->cores_per_slot)
        return bad (err, path, "a slot must hold core, or core and gpu");
    return 0;
}

static int parse_slot (json_t *o, const char *path, struct fx_jobspec *js, const char **label,
                       struct fx_error *err)
{
    char p[PATH_LEN];
    struct vertex v;

    if (read_vertex (o, path, &v, err) < 0)
        return -1;
    pathf (p, "%s.type", path);
    if (strcmp (v.type, "slot") != 0)
        return bad (err, p, "must be slot (node>slot>core or slot>core)");
    pathf (p, "%s.label", path);
    if (!v.label || !*v.label)
        return bad (err, p, "a slot needs a label");
    if (v.exclusive >= 0)
        return bad (err, path, "only a node may be exclusive");
    pathf (p, "%s.with", path);
    if (!v.with)
        return bad (err, p, "a slot must hold core, or core and gpu");
    if (parse_slot_with (v.with, p, js, err) < 0)
        return -1;
    *label = v.label;
    if (js->nnodes)
        js->slots_per_node = v.count;
    else
        js->nslots = v.count;
    return 0;
}

static int parse_resources (json_t *res, struct fx_jobspec *js, const char **label,
                            struct fx_error *err)
{
    struct vertex v;

    if (!json_is_array (res) || json_array_size (res) != 1)
        return bad (err, "resources", "must be an array of one node or slot");
    if (read_vertex (json_array_get (res, 0), "resources[0]", &v, err) < 0)
        return -1;
    if (!strcmp (v.type, "slot"))
        return parse_slot (json_array_get (res, 0), "resources[0]", js, label, err);
    if (strcmp (v.type, "node") != 0)
        return bad (err, "resources[0].type", "must be node or slot");
    if (!v.with || json_array_size (v.with) != 1)
        return bad (err, "resources[0].with", "a node must hold one slot");
    js->nnodes = v.count;
    js->exclusive = v.exclusive > 0;
    if (parse_slot (json_array_get (v.with, 0), "resources[0].with[0]", js, label, err) < 0)
        return -1;
    if ((long long) js->nnodes * js->slots_per_node > FX_JOBSPEC_MAX_COUNT)
        return bad (err, "resources", "more than %d slots", FX_JOBSPEC_MAX_COUNT);
    js->nslots = js->nnodes * js->slots_per_node;
    return 0;
}

static int parse_command (json_t *cmd, struct fx_jobspec *js, struct fx_error *err)
{
    size_t i, n = json_array_size (cmd);

    if (!json_is_array (cmd) || n == 0)
        return bad (err, "tasks[0].command", "must be a non-empty array of strings");
    if (n > FX_JOBSPEC_MAX_ARGS)
        return bad (err, "tasks[0].command", "more than %d arguments", FX_JOBSPEC_MAX_ARGS);
    for (i = 0; i < n; i++) {
        if (!json_is_string (json_array_get (cmd, i)))
            return bad (err, "tasks[0].command", "must be a non-empty array of strings");
    }
    if (!*json_string_value (json_array_get (cmd, 0)))
        return bad (err, "tasks[0].command[0]", "must not be empty");
    js->command = cmd;
    return 0;
}

static int parse_task_count (json_t *count, struct fx_jobspec *js, struct fx_error *err)
{
    json_t *per_slot = json_object_get (count, "per_slot");
    json_t *total = json_object_get (count, "total");
    int n;

    if (!json_is_object (count) || json_object_size (count) != 1 || (!per_slot && !total))
        return bad (err, "tasks[0].count", "must be {\"per_slot\":1} or {\"total\":N}");
    if (per_slot) {
        if (!json_is_integer (per_slot) || json_integer_value (per_slot) != 1)
            return bad (err, "tasks[0].count.per_slot", "must be 1");
        js->tasks_per_slot = 1;
        js->ntasks = js->nslots;
        return 0;
    }
    if (get_count (total, "tasks[0].count.total", &n, err) < 0)
        return -1;
    if (n < js->nnodes)
        return bad (err, "tasks[0].count.total", "%d is fewer than the %d nodes", n, js->nnodes);
    if (n > js->nslots)
        return bad (err, "tasks[0].count.total", "%d is more than the %d slots", n, js->nslots);
    js->tasks_per_slot = 0;
    js->ntasks = n;
    return 0;
}

static int parse_tasks (json_t *tasks, const char *label, struct fx_jobspec *js,
                        struct fx_error *err)
{
    static const char *const keys[] = {"command", "slot", "count", "attributes", NULL};
    json_t *t = json_array_get (tasks, 0), *x;
    const char *slot;

    if (!json_is_array (tasks) || json_array_size (tasks) != 1 || !json_is_object (t))
        return bad (err, "tasks", "must be an array of one object");
    if (check_subkeys (t, "tasks[0]", keys, err) < 0)
        return -1;
    if (parse_command (json_object_get (t, "command"), js, err) < 0)
        return -1;
    if (!(slot = json_string_value (json_object_get (t, "slot"))))
        return bad (err, "tasks[0].slot", "must be a string");
    if (strcmp (slot, label) != 0)
        return bad (err, "tasks[0].slot", "names no slot (the slot's label is \"%s\")", label);
    if ((x = json_object_get (t, "attributes")) && !json_is_object (x))
        return bad (err, "tasks[0].attributes", "must be an object");
    return parse_task_count (json_object_get (t, "count"), js, err);
}

/* A number >= 0, finite. */
static int get_seconds (json_t *v, const char *path, double *out, struct fx_error *err)
{
    double d;

    if (!json_is_number (v) || !isfinite (d = json_number_value (v)) || d < 0)
        return bad (err, path, "must be a number of seconds >= 0");
    *out = d;
    return 0;
}

static int get_string (json_t *v, const char *path, const char **out, struct fx_error *err)
{
    if (!(*out = json_string_value (v)) || !**out)
        return bad (err, path, "must be a non-empty string");
    return 0;
}

static int parse_environment (json_t *env, struct fx_jobspec *js, struct fx_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object (env))
        return bad (err, "attributes.system.environment", "must be an object of strings");
    json_object_foreach (env, key, v)
    {
        if (!json_is_string (v) || !*key || strchr (key, '='))
            return bad (err, "attributes.system.environment", "%s: must be a string variable", key);
    }
    js->environment = env;
    return 0;
}

static int parse_dependencies (json_t *deps, struct fx_jobspec *js, struct fx_error *err)
{
    char p[PATH_LEN];
    size_t i;
    json_t *d;
    const char *s;

    if (!json_is_array (deps))
        return bad (err, "attributes.system.dependencies", "must be an array");
    json_array_foreach (deps, i, d)
    {
        static const char *const keys[] = {"scheme", "value", NULL};
        pathf (p, "attributes.system.dependencies[%zu]", i);
        if (!json_is_object (d))
            return bad (err, p, "must be {\"scheme\",\"value\"}");
        if (check_subkeys (d, p, keys, err) < 0)
            return -1;
        pathf (p, "attributes.system.dependencies[%zu].scheme", i);
        if (get_string (json_object_get (d, "scheme"), p, &s, err) < 0)
            return -1;
        pathf (p, "attributes.system.dependencies[%zu].value", i);
        if (!json_is_string (json_object_get (d, "value")))
            return bad (err, p, "must be a string");
    }
    js->dependencies = deps;
    return 0;
}

static int parse_job (json_t *job, struct fx_jobspec *js, struct fx_error *err)
{
    static const char *const keys[] = {"name", NULL};
    json_t *x;

    if (!json_is_object (job))
        return bad (err, "attributes.system.job", "must be an object");
    if (check_subkeys (job, "attributes.system.job", keys, err) < 0)
        return -1;
    if ((x = json_object_get (job, "name"))
        && get_string (x, "attributes.system.job.name", &js->name, err) < 0)
        return -1;
    return 0;
}

static int parse_exec (json_t *exec, struct fx_jobspec *js, struct fx_error *err)
{
    static const char *const keys[] = {"test", NULL};
    static const char *const test_keys[] = {"run_duration", NULL};
    json_t *test = json_object_get (exec, "test");

    if (!json_is_object (exec))
        return bad (err, "attributes.system.exec", "must be an object");
    if (check_subkeys (exec, "attributes.system.exec", keys, err) < 0)
        return -1;
    if (!test)
        return 0;
    if (!json_is_object (test))
        return bad (err, "attributes.system.exec.test", "must be an object");
    if (check_subkeys (test, "attributes.system.exec.test", test_keys, err) < 0)
        return -1;
    return get_seconds (json_object_get (test, "run_duration"),
                        "attributes.system.exec.test.run_duration", &js->test_run_duration, err);
}

static int parse_output (json_t *out, struct fx_jobspec *js, struct fx_error *err)
{
    static const char *const keys[] = {"stdout", "stderr", NULL};
    json_t *x;

    if (!json_is_object (out))
        return bad (err, "attributes.system.output", "must be an object");
    if (check_subkeys (out, "attributes.system.output", keys, err) < 0)
        return -1;
    if ((x = json_object_get (out, "stdout"))
        && get_string (x, "attributes.system.output.stdout", &js->output_path, err) < 0)
        return -1;
    if ((x = json_object_get (out, "stderr"))
        && get_string (x, "attributes.system.output.stderr", &js->error_path, err) < 0)
        return -1;
    return 0;
}

/* attributes.system: one parser per known key. */
static int parse_system (json_t *sys, struct fx_jobspec *js, struct fx_error *err)
{
    json_t *x;

    if (!json_is_object (sys))
        return bad (err, "attributes.system", "must be an object");
    if (!(x = json_object_get (sys, "duration")))
        return bad (err, "attributes.system.duration", "is required");
    if (get_seconds (x, "attributes.system.duration", &js->duration, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "cwd"))
        && get_string (x, "attributes.system.cwd", &js->cwd, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "queue"))
        && get_string (x, "attributes.system.queue", &js->queue, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "environment")) && parse_environment (x, js, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "dependencies")) && parse_dependencies (x, js, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "job")) && parse_job (x, js, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "exec")) && parse_exec (x, js, err) < 0)
        return -1;
    if ((x = json_object_get (sys, "output")) && parse_output (x, js, err) < 0)
        return -1;
    return 0;
}

static int parse_attributes (json_t *attrs, struct fx_jobspec *js, struct fx_error *err)
{
    static const char *const keys[] = {"system", "user", NULL};
    static const char *const sys_keys[] = {"duration",     "cwd",  "environment", "job", "queue",
                                           "dependencies", "exec", "output",      NULL};
    json_t *x;

    if (!json_is_object (attrs))
        return bad (err, "attributes", "must be an object");
    if (check_subkeys (attrs, "attributes", keys, err) < 0)
        return -1;
    if ((x = json_object_get (attrs, "user")) && !json_is_object (x))
        return bad (err, "attributes.user", "must be an object");
    if (!(x = json_object_get (attrs, "system")))
        return bad (err, "attributes.system", "is required");
    if (json_is_object (x) && check_subkeys (x, "attributes.system", sys_keys, err) < 0)
        return -1;
    return parse_system (x, js, err);
}

/* The name when job.name is not given: the basename of command[0]. */
static const char *default_name (json_t *command)
{
    const char *arg0 = json_string_value (json_array_get (command, 0));
    const char *slash = strrchr (arg0, '/');

    return slash && slash[1] ? slash + 1 : arg0;
}

int fx_jobspec_parse_json (json_t *root, struct fx_jobspec *js, struct fx_error *err)
{
    static const char *const keys[] = {"version", "resources", "tasks", "attributes", NULL};
    struct fx_jobspec tmp = {.test_run_duration = -1};
    const char *label = NULL;
    json_t *v;

    if (!json_is_object (root))
        return bad (err, "jobspec", "must be a JSON object");
    if (check_keys (root, "jobspec", keys, err) < 0)
        return -1;
    if (!(v = json_object_get (root, "version")) || !json_is_integer (v)
        || json_integer_value (v) != 1)
        return bad (err, "version", "must be 1");
    if (parse_resources (json_object_get (root, "resources"), &tmp, &label, err) < 0
        || parse_tasks (json_object_get (root, "tasks"), label, &tmp, err) < 0
        || parse_attributes (json_object_get (root, "attributes"), &tmp, err) < 0)
        return -1;
    if (!tmp.name)
        tmp.name = default_name (tmp.command);
    tmp.root = json_incref (root);
    *js = tmp;
    return 0;
}

int fx_jobspec_parse (const char *text, size_t len, struct fx_jobspec *js, struct fx_error *err)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    if (len > FX_JOBSPEC_MAX_SIZE) {
        errprintf (err, "jobspec: more than %d bytes", FX_JOBSPEC_MAX_SIZE);
        errno = E2BIG;
        return -1;
    }
    if (!(root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr))) {
        if (json_error_code (&jerr) == json_error_out_of_memory) {
            errno = ENOMEM;
            return errprintf (err, "jobspec: out of memory");
        }
        return bad (err, "jobspec", "invalid JSON: %s", jerr.text);
    }
    rc = fx_jobspec_parse_json (root, js, err);
    json_decref (root);
    return rc;
}

void fx_jobspec_clear (struct fx_jobspec *js)
{
    if (js) {
        json_decref (js->root);
        memset (js, 0, sizeof (*js));
    }
}

/* Build */

static json_t *build_resources (const struct fx_jobspec_opts *o, int ntasks, int cores)
{
    json_t *with, *slot;

    with = json_pack ("[{s:s s:i}]", "type", "core", "count", cores);
    if (with && o->gpus_per_task > 0
        && json_array_append_new (with,
                                  json_pack ("{s:s s:i}", "type", "gpu", "count", o->gpus_per_task))
               < 0) {
        json_decref (with);
        return NULL;
    }
    if (!with)
        return NULL;
    slot = json_pack ("{s:s s:i s:s s:o}", "type", "slot", "count",
                      o->nnodes ? (ntasks + o->nnodes - 1) / o->nnodes : ntasks, "label", "task",
                      "with", with);
    if (slot && o->nnodes) {
        slot = json_pack ("{s:s s:i s:[o]}", "type", "node", "count", o->nnodes, "with", slot);
        if (slot && o->exclusive && json_object_set_new (slot, "exclusive", json_true ()) < 0) {
            json_decref (slot);
            return NULL;
        }
    }
    return slot ? json_pack ("[o]", slot) : NULL;
}

static json_t *build_tasks (const struct fx_jobspec_opts *o, int ntasks)
{
    json_t *cmd = json_array (), *count;

    for (int i = 0; cmd && i < o->argc; i++) {
        if (json_array_append_new (cmd, json_string (o->argv[i])) < 0) {
            json_decref (cmd);
            return NULL;
        }
    }
    if (o->nnodes && ntasks % o->nnodes)
        count = json_pack ("{s:i}", "total", ntasks);
    else
        count = json_pack ("{s:i}", "per_slot", 1);
    return json_pack ("[{s:o s:s s:o}]", "command", cmd, "slot", "task", "count", count);
}

/* Set key to v (stolen) in obj unless v is NULL.  -1 when v is NULL for lack of memory is
 * the caller's business: it checks the final document. */
static int set_opt (json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new (obj, key, v) : 0;
}

static json_t *build_system (const struct fx_jobspec_opts *o)
{
    json_t *sys = json_pack ("{s:f}", "duration", o->duration);
    json_t *out = NULL;
    int rc = 0;

    if (!sys)
        return NULL;
    if (o->cwd)
        rc |= set_opt (sys, "cwd", json_string (o->cwd));
    if (o->queue)
        rc |= set_opt (sys, "queue", json_string (o->queue));
    if (o->name)
        rc |= set_opt (sys, "job", json_pack ("{s:s}", "name", o->name));
    if (o->environment)
        rc |= set_opt (sys, "environment", json_deep_copy (o->environment));
    if (o->dependencies)
        rc |= set_opt (sys, "dependencies", json_deep_copy (o->dependencies));
    if (o->test_run_duration >= 0)
        rc |= set_opt (sys, "exec",
                       json_pack ("{s:{s:f}}", "test", "run_duration", o->test_run_duration));
    if ((o->output_path || o->error_path) && (out = json_object ())) {
        if (o->output_path)
            rc |= set_opt (out, "stdout", json_string (o->output_path));
        if (o->error_path)
            rc |= set_opt (out, "stderr", json_string (o->error_path));
        rc |= set_opt (sys, "output", out);
    }
    if (rc) {
        json_decref (sys);
        return NULL;
    }
    return sys;
}

static int check_opts (const struct fx_jobspec_opts *o, int ntasks, struct fx_error *err)
{
    errno = EINVAL;
    if (o->argc < 1 || !o->argv || !o->argv[0])
        return errprintf (err, "a command is required");
    if (ntasks < 1 || ntasks > FX_JOBSPEC_MAX_COUNT)
        return errprintf (err, "-n must be between 1 and %d", FX_JOBSPEC_MAX_COUNT);
    if (o->cores_per_task < 0 || o->cores_per_task > FX_JOBSPEC_MAX_COUNT)
        return errprintf (err, "-c must be between 1 and %d", FX_JOBSPEC_MAX_COUNT);
    if (o->gpus_per_task < 0 || o->gpus_per_task > FX_JOBSPEC_MAX_COUNT)
        return errprintf (err, "-g must be between 0 and %d", FX_JOBSPEC_MAX_COUNT);
    if (o->nnodes < 0 || o->nnodes > FX_JOBSPEC_MAX_COUNT)
        return errprintf (err, "-N must be between 1 and %d", FX_JOBSPEC_MAX_COUNT);
    if (o->exclusive && !o->nnodes)
        return errprintf (err, "--exclusive requires --nodes");
    if (o->nnodes > ntasks)
        return errprintf (err, "-N %d is more than -n %d tasks", o->nnodes, ntasks);
    if (!isfinite (o->duration) || o->duration < 0)
        return errprintf (err, "the time limit must be a finite duration >= 0");
    if (isnan (o->test_run_duration) || isinf (o->test_run_duration))
        return errprintf (err, "the test run duration must be finite");
    return 0;
}

json_t *fx_jobspec_build (const struct fx_jobspec_opts *opts, struct fx_error *err)
{
    int ntasks = opts->ntasks ? opts->ntasks : opts->nnodes > 0 ? opts->nnodes : 1;
    int cores = opts->cores_per_task ? opts->cores_per_task : 1;
    struct fx_jobspec js;
    json_t *root;

    if (check_opts (opts, ntasks, err) < 0)
        return NULL;
    root = json_pack ("{s:i s:o* s:o* s:{s:o*}}", "version", 1, "resources",
                      build_resources (opts, ntasks, cores), "tasks", build_tasks (opts, ntasks),
                      "attributes", "system", build_system (opts));
    if (!root || !json_object_get (root, "resources") || !json_object_get (root, "tasks")
        || !json_object_get (json_object_get (root, "attributes"), "system")) {
        json_decref (root);
        errno = ENOMEM;
        errprintf (err, "out of memory");
        return NULL;
    }
    if (fx_jobspec_parse_json (root, &js, err) < 0) {
        json_decref (root);
        return NULL;
    }
    fx_jobspec_clear (&js);
    return root;
}

/* Task placement */

int fx_taskmap (const struct fx_jobspec *js, int nranks, const int *cores, int *tasks, int *first)
{
    int slot = 0, task = 0;

    if (!js || nranks < 1 || !tasks || !first || js->nslots < 1 || js->cores_per_slot < 1
        || (!js->nnodes && !cores)) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < nranks; i++) {
        int have = js->nnodes ? js->slots_per_node : cores[i] / js->cores_per_slot;
        int n = 0;

        if (have < 0)
            have = 0;
        first[i] = task;
        for (; have > 0 && slot < js->nslots; have--, slot++) {
            if (js->tasks_per_slot)
                n++;
            else
                n += js->ntasks / js->nslots + (slot < js->ntasks % js->nslots);
        }
        tasks[i] = n;
        task += n;
    }
    if (slot < js->nslots) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}
