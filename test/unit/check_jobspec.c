/* check_jobspec.c - services/jobspec.c: every accepted shape, every refusal with its message,
 * build round trips, and task placement.
 *
 * Jobspecs are written with single quotes for readability; q() turns them into JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/jobspec.h"
#include "test/unit/check.h"

#define SLOT2  "[{'type':'slot','count':2,'label':'task','with':[{'type':'core','count':1}]}]"
#define TASKS  "[{'command':['/bin/hostname'],'slot':'task','count':{'per_slot':1}}]"
#define ATTRS  "{'system':{'duration':0}}"
#define TOTAL3 "[{'command':['a'],'slot':'task','count':{'total':3}}]"

static char buf[8192];

/* s with every ' turned into ", in a static buffer. */
static const char *q (const char *s)
{
    size_t i;

    for (i = 0; s[i] && i < sizeof (buf) - 1; i++)
        buf[i] = s[i] == '\'' ? '"' : s[i];
    buf[i] = '\0';
    return buf;
}

/* A jobspec from its three parts (single-quoted). */
static const char *spec (const char *res, const char *tasks, const char *attrs)
{
    char tmp[8192];

    snprintf (tmp, sizeof (tmp), "{'version':1,'resources':%s,'tasks':%s,'attributes':%s}", res,
              tasks, attrs);
    return q (tmp);
}

static void parse_ok (const char *text, struct fx_jobspec *js)
{
    struct fx_error err = {""};

    ck_assert_msg (fx_jobspec_parse (text, strlen (text), js, &err) == 0, "%s: %s", text, err.text);
}

static void parse_fails (const char *text, const char *message)
{
    struct fx_error err = {""};
    struct fx_jobspec js;

    errno = 0;
    ck_assert_msg (fx_jobspec_parse (text, strlen (text), &js, &err) < 0, "accepted: %s", text);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_msg (!strcmp (err.text, message), "%s\n got: %s\n expected: %s", text, err.text,
                   message);
}

START_TEST (shape_slot_core)
{
    struct fx_jobspec js;

    parse_ok (spec (SLOT2, TASKS, ATTRS), &js);
    ck_assert_int_eq (js.nnodes, 0);
    ck_assert_int_eq (js.slots_per_node, 0);
    ck_assert_int_eq (js.nslots, 2);
    ck_assert_int_eq (js.cores_per_slot, 1);
    ck_assert_int_eq (js.gpus_per_slot, 0);
    ck_assert_int_eq (js.exclusive, 0);
    ck_assert_int_eq (js.ntasks, 2);
    ck_assert_int_eq (js.tasks_per_slot, 1);
    ck_assert (js.duration == 0);
    ck_assert (js.test_run_duration == -1);
    ck_assert_str_eq (js.name, "hostname");
    ck_assert_ptr_null (js.cwd);
    ck_assert_ptr_null (js.queue);
    ck_assert_ptr_null (js.environment);
    ck_assert_ptr_null (js.dependencies);
    ck_assert_ptr_null (js.output_path);
    ck_assert_int_eq (json_array_size (js.command), 1);
    ck_assert_int_eq (js.root->refcount, 1);
    fx_jobspec_clear (&js);
    ck_assert_ptr_null (js.root);
    fx_jobspec_clear (NULL);
}
END_TEST

START_TEST (shape_slot_core_gpu)
{
    struct fx_jobspec js;

    parse_ok (spec ("[{'type':'slot','count':3,'label':'x','with':[{'type':'gpu','count':2},"
                    "{'type':'core','count':4}]}]",
                    "[{'command':['a','b'],'slot':'x','count':{'total':2}}]", ATTRS),
              &js);
    ck_assert_int_eq (js.nslots, 3);
    ck_assert_int_eq (js.cores_per_slot, 4);
    ck_assert_int_eq (js.gpus_per_slot, 2);
    ck_assert_int_eq (js.ntasks, 2);
    ck_assert_int_eq (js.tasks_per_slot, 0);
    fx_jobspec_clear (&js);
}
END_TEST

START_TEST (shape_node_slot_core)
{
    struct fx_jobspec js;

    parse_ok (spec ("[{'type':'node','count':4,'exclusive':true,'with':[{'type':'slot','count':2,"
                    "'label':'task','with':[{'type':'core','count':3}]}]}]",
                    TASKS, ATTRS),
              &js);
    ck_assert_int_eq (js.nnodes, 4);
    ck_assert_int_eq (js.slots_per_node, 2);
    ck_assert_int_eq (js.nslots, 8);
    ck_assert_int_eq (js.cores_per_slot, 3);
    ck_assert_int_eq (js.exclusive, 1);
    ck_assert_int_eq (js.ntasks, 8);
    fx_jobspec_clear (&js);
}
END_TEST

START_TEST (shape_node_slot_core_gpu)
{
    struct fx_jobspec js;

    parse_ok (spec ("[{'type':'node','count':2,'with':[{'type':'slot','count':2,'label':'task',"
                    "'with':[{'type':'core','count':1},{'type':'gpu','count':1}]}]}]",
                    TOTAL3, ATTRS),
              &js);
    ck_assert_int_eq (js.nnodes, 2);
    ck_assert_int_eq (js.nslots, 4);
    ck_assert_int_eq (js.gpus_per_slot, 1);
    ck_assert_int_eq (js.exclusive, 0);
    ck_assert_int_eq (js.ntasks, 3);
    fx_jobspec_clear (&js);
}
END_TEST

START_TEST (attributes_known)
{
    struct fx_jobspec js;

    parse_ok (spec (SLOT2, TASKS,
                    "{'system':{'duration':3600.5,'cwd':'/tmp','queue':'batch',"
                    "'environment':{'PATH':'/bin','EMPTY':''},'job':{'name':'myjob'},"
                    "'dependencies':[{'scheme':'afterok','value':'f123'}],"
                    "'exec':{'test':{'run_duration':1.5}},"
                    "'output':{'stdout':'out.{{id}}','stderr':'err'}},"
                    "'user':{'anything':[1,{'x':null}]}}"),
              &js);
    ck_assert (js.duration == 3600.5);
    ck_assert (js.test_run_duration == 1.5);
    ck_assert_str_eq (js.cwd, "/tmp");
    ck_assert_str_eq (js.queue, "batch");
    ck_assert_str_eq (js.name, "myjob");
    ck_assert_str_eq (js.output_path, "out.{{id}}");
    ck_assert_str_eq (js.error_path, "err");
    ck_assert_int_eq (json_object_size (js.environment), 2);
    ck_assert_int_eq (json_array_size (js.dependencies), 1);
    fx_jobspec_clear (&js);
}
END_TEST

START_TEST (parse_json_form)
{
    struct fx_jobspec js;
    json_t *root = json_loads (spec (SLOT2, TASKS, ATTRS), 0, NULL);

    ck_assert_int_eq (fx_jobspec_parse_json (root, &js, NULL), 0);
    ck_assert_ptr_eq (js.root, root);
    ck_assert_int_eq (root->refcount, 2);
    fx_jobspec_clear (&js);
    ck_assert_int_eq (root->refcount, 1);
    json_decref (root);
}
END_TEST

/* Every refusal: the jobspec and the exact message. */
static const struct {
    const char *res, *tasks, *attrs; /* NULL = the default part */
    const char *message;
} bad[] = {
    {"[]", NULL, NULL, "resources: must be an array of one node or slot"},
    {"{}", NULL, NULL, "resources: must be an array of one node or slot"},
    {"[1]", NULL, NULL, "resources[0]: must be an object"},
    {"[{'type':'core','count':1}]", NULL, NULL, "resources[0].type: must be node or slot"},
    {"[{'type':7,'count':1}]", NULL, NULL, "resources[0].type: must be a string"},
    {"[{'type':'slot','count':0,'label':'task','with':[{'type':'core','count':1}]}]", NULL, NULL,
     "resources[0].count: must be a positive integer"},
    {"[{'type':'slot','count':1.5,'label':'task','with':[{'type':'core','count':1}]}]", NULL, NULL,
     "resources[0].count: must be a positive integer"},
    {"[{'type':'slot','count':{'min':1},'label':'task','with':[{'type':'core','count':1}]}]", NULL,
     NULL, "resources[0].count: must be a positive integer"},
    {"[{'type':'slot','count':100001,'label':'task','with':[{'type':'core','count':1}]}]", NULL,
     NULL, "resources[0].count: must be at most 100000"},
    {"[{'type':'slot','count':1,'with':[{'type':'core','count':1}]}]", NULL, NULL,
     "resources[0].label: a slot needs a label"},
    {"[{'type':'slot','count':1,'label':'','with':[{'type':'core','count':1}]}]", NULL, NULL,
     "resources[0].label: a slot needs a label"},
    {"[{'type':'slot','count':1,'label':'task'}]", NULL, NULL,
     "resources[0].with: a slot must hold core, or core and gpu"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'gpu','count':1}]}]", NULL, NULL,
     "resources[0].with: a slot must hold core, or core and gpu"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'node','count':1}]}]", NULL, NULL,
     "resources[0].with[0].type: a slot must hold core, or core and gpu"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'core','count':1},{'type':'core',"
     "'count':1}]}]",
     NULL, NULL, "resources[0].with[1].type: core given twice"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'core','count':-1}]}]", NULL, NULL,
     "resources[0].with[0].count: must be a positive integer"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'core','count':1,'with':[]}]}]",
     NULL, NULL, "resources[0].with[0]: a core holds nothing (with)"},
    {"[{'type':'slot','count':1,'label':'task','exclusive':true,'with':[{'type':'core','count':1}"
     "]}]",
     NULL, NULL, "resources[0]: only a node may be exclusive"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'core','count':1,'foo':1}]}]", NULL,
     NULL, "resources[0].with[0].foo: unknown key"},
    {"[{'type':'slot','count':1,'label':'task','with':[{'type':'core','count':1}],'unit':3}]", NULL,
     NULL, "resources[0].unit: must be a string"},
    {"[{'type':'node','count':1,'exclusive':1,'with':[]}]", NULL, NULL,
     "resources[0].exclusive: must be true or false"},
    {"[{'type':'node','count':1}]", NULL, NULL, "resources[0].with: a node must hold one slot"},
    {"[{'type':'node','count':1,'with':[{'type':'core','count':1}]}]", NULL, NULL,
     "resources[0].with[0].type: must be slot (node>slot>core or slot>core)"},
    {"[{'type':'node','count':1000,'with':[{'type':'slot','count':1000,'label':'task','with':[{"
     "'type':'core','count':1}]}]}]",
     NULL, NULL, "resources: more than 100000 slots"},
    {NULL, "[]", NULL, "tasks: must be an array of one object"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'per_slot':1}},{}]", NULL,
     "tasks: must be an array of one object"},
    {NULL, "[{'slot':'task','count':{'per_slot':1}}]", NULL,
     "tasks[0].command: must be a non-empty array of strings"},
    {NULL, "[{'command':[],'slot':'task','count':{'per_slot':1}}]", NULL,
     "tasks[0].command: must be a non-empty array of strings"},
    {NULL, "[{'command':['a',1],'slot':'task','count':{'per_slot':1}}]", NULL,
     "tasks[0].command: must be a non-empty array of strings"},
    {NULL, "[{'command':'a','slot':'task','count':{'per_slot':1}}]", NULL,
     "tasks[0].command: must be a non-empty array of strings"},
    {NULL, "[{'command':[''],'slot':'task','count':{'per_slot':1}}]", NULL,
     "tasks[0].command[0]: must not be empty"},
    {NULL, "[{'command':['a'],'count':{'per_slot':1}}]", NULL, "tasks[0].slot: must be a string"},
    {NULL, "[{'command':['a'],'slot':'other','count':{'per_slot':1}}]", NULL,
     "tasks[0].slot: names no slot (the slot's label is \"task\")"},
    {NULL, "[{'command':['a'],'slot':'task'}]", NULL,
     "tasks[0].count: must be {\"per_slot\":1} or {\"total\":N}"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'per_slot':1,'total':2}}]", NULL,
     "tasks[0].count: must be {\"per_slot\":1} or {\"total\":N}"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'per_slot':2}}]", NULL,
     "tasks[0].count.per_slot: must be 1"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'total':0}}]", NULL,
     "tasks[0].count.total: must be a positive integer"},
    {NULL, TOTAL3, NULL, "tasks[0].count.total: 3 is more than the 2 slots"},
    {"[{'type':'node','count':4,'with':[{'type':'slot','count':2,'label':'task','with':[{'type':"
     "'core','count':1}]}]}]",
     TOTAL3, NULL, "tasks[0].count.total: 3 is fewer than the 4 nodes"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'per_slot':1},'x':1}]", NULL,
     "tasks[0].x: unknown key"},
    {NULL, "[{'command':['a'],'slot':'task','count':{'per_slot':1},'attributes':1}]", NULL,
     "tasks[0].attributes: must be an object"},
    {NULL, NULL, "[]", "attributes: must be an object"},
    {NULL, NULL, "{}", "attributes.system: is required"},
    {NULL, NULL, "{'system':{}}", "attributes.system.duration: is required"},
    {NULL, NULL, "{'system':{'duration':-1}}",
     "attributes.system.duration: must be a number of seconds >= 0"},
    {NULL, NULL, "{'system':{'duration':'1h'}}",
     "attributes.system.duration: must be a number of seconds >= 0"},
    {NULL, NULL, "{'system':{'duration':0,'foo':1}}", "attributes.system.foo: unknown key"},
    {NULL, NULL, "{'system':{'duration':0},'other':{}}", "attributes.other: unknown key"},
    {NULL, NULL, "{'system':{'duration':0},'user':1}", "attributes.user: must be an object"},
    {NULL, NULL, "{'system':{'duration':0,'cwd':''}}",
     "attributes.system.cwd: must be a non-empty string"},
    {NULL, NULL, "{'system':{'duration':0,'queue':1}}",
     "attributes.system.queue: must be a non-empty string"},
    {NULL, NULL, "{'system':{'duration':0,'environment':[]}}",
     "attributes.system.environment: must be an object of strings"},
    {NULL, NULL, "{'system':{'duration':0,'environment':{'A':null}}}",
     "attributes.system.environment: A: must be a string variable"},
    {NULL, NULL, "{'system':{'duration':0,'environment':{'A=B':'x'}}}",
     "attributes.system.environment: A=B: must be a string variable"},
    {NULL, NULL, "{'system':{'duration':0,'job':{'name':''}}}",
     "attributes.system.job.name: must be a non-empty string"},
    {NULL, NULL, "{'system':{'duration':0,'job':{'foo':'x'}}}",
     "attributes.system.job.foo: unknown key"},
    {NULL, NULL, "{'system':{'duration':0,'job':'x'}}", "attributes.system.job: must be an object"},
    {NULL, NULL, "{'system':{'duration':0,'dependencies':{}}}",
     "attributes.system.dependencies: must be an array"},
    {NULL, NULL, "{'system':{'duration':0,'dependencies':['afterok:1']}}",
     "attributes.system.dependencies[0]: must be {\"scheme\",\"value\"}"},
    {NULL, NULL, "{'system':{'duration':0,'dependencies':[{'scheme':'afterok'}]}}",
     "attributes.system.dependencies[0].value: must be a string"},
    {NULL, NULL, "{'system':{'duration':0,'dependencies':[{'scheme':'a','value':'b','c':1}]}}",
     "attributes.system.dependencies[0].c: unknown key"},
    {NULL, NULL, "{'system':{'duration':0,'exec':{'bulkexec':{}}}}",
     "attributes.system.exec.bulkexec: unknown key"},
    {NULL, NULL, "{'system':{'duration':0,'exec':{'test':{'run_duration':'1s'}}}}",
     "attributes.system.exec.test.run_duration: must be a number of seconds >= 0"},
    {NULL, NULL, "{'system':{'duration':0,'output':{'stdin':'x'}}}",
     "attributes.system.output.stdin: unknown key"},
    {NULL, NULL, "{'system':{'duration':0,'output':{'stdout':''}}}",
     "attributes.system.output.stdout: must be a non-empty string"},
};

START_TEST (refusals)
{
    char tmp[8192];

    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        snprintf (tmp, sizeof (tmp), "%s",
                  spec (bad[i].res ? bad[i].res : SLOT2, bad[i].tasks ? bad[i].tasks : TASKS,
                        bad[i].attrs ? bad[i].attrs : ATTRS));
        parse_fails (tmp, bad[i].message);
    }
}
END_TEST

START_TEST (refusals_top)
{
    struct fx_jobspec js;
    struct fx_error err;
    char *big;

    parse_fails ("[]", "jobspec: must be a JSON object");
    parse_fails (q ("{'version':2}"), "version: must be 1");
    parse_fails (q ("{'resources':[]}"), "version: must be 1");
    parse_fails (q ("{'version':1,'foo':1}"), "jobspec: foo: unknown key");
    parse_fails (q ("{'version':1,'version':1}"),
                 "jobspec: invalid JSON: duplicate object key near '\"version\"'");
    parse_fails ("{", "jobspec: invalid JSON: string or '}' expected near end of file");
    big = calloc (1, FX_JOBSPEC_MAX_SIZE + 2);
    memset (big, ' ', FX_JOBSPEC_MAX_SIZE + 1);
    errno = 0;
    ck_assert_int_eq (fx_jobspec_parse (big, FX_JOBSPEC_MAX_SIZE + 1, &js, &err), -1);
    ck_assert_int_eq (errno, E2BIG);
    ck_assert_str_eq (err.text, "jobspec: more than 1048576 bytes");
    free (big);
}
END_TEST

START_TEST (too_many_args)
{
    size_t n = FX_JOBSPEC_MAX_ARGS + 1, len = 0;
    char *tasks = malloc (n * 4 + 128), *text;

    len += sprintf (tasks, "[{'command':[");
    for (size_t i = 0; i < n; i++)
        len += sprintf (tasks + len, "%s'a'", i ? "," : "");
    sprintf (tasks + len, "],'slot':'task','count':{'per_slot':1}}]");
    text = malloc (n * 4 + 512);
    sprintf (text, "{'version':1,'resources':%s,'tasks':%s,'attributes':%s}", SLOT2, tasks, ATTRS);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    parse_fails (text, "tasks[0].command: more than 10000 arguments");
    free (text);
    free (tasks);
}
END_TEST

/* Build */

static char *argv_hostname[] = {"/bin/hostname", "-s", NULL};

static json_t *build (struct fx_jobspec_opts *o, struct fx_jobspec *js)
{
    struct fx_error err = {""};
    json_t *root;

    o->argc = 2;
    o->argv = argv_hostname;
    root = fx_jobspec_build (o, &err);
    ck_assert_msg (root != NULL, "build: %s", err.text);
    ck_assert_int_eq (fx_jobspec_parse_json (root, js, &err), 0);
    return root;
}

START_TEST (build_defaults)
{
    struct fx_jobspec_opts o = {.test_run_duration = -1};
    struct fx_jobspec js;
    json_t *root = build (&o, &js);
    char *s = json_dumps (root, JSON_COMPACT | JSON_SORT_KEYS);

    ck_assert_str_eq (s, q ("{'attributes':{'system':{'duration':0.0}},'resources':[{'count':1,"
                            "'label':'task','type':'slot','with':[{'count':1,'type':'core'}]}],"
                            "'tasks':[{'command':['/bin/hostname','-s'],'count':{'per_slot':1},"
                            "'slot':'task'}],'version':1}"));
    ck_assert_int_eq (js.ntasks, 1);
    ck_assert_str_eq (js.name, "hostname");
    free (s);
    fx_jobspec_clear (&js);
    json_decref (root);
}
END_TEST

START_TEST (build_counts)
{
    /* -n, -c, -g */
    struct fx_jobspec_opts o = {
        .ntasks = 4, .cores_per_task = 2, .gpus_per_task = 1, .test_run_duration = -1};
    struct fx_jobspec js;
    json_t *root = build (&o, &js);

    ck_assert_int_eq (js.nnodes, 0);
    ck_assert_int_eq (js.nslots, 4);
    ck_assert_int_eq (js.cores_per_slot, 2);
    ck_assert_int_eq (js.gpus_per_slot, 1);
    ck_assert_int_eq (js.ntasks, 4);
    ck_assert_int_eq (js.tasks_per_slot, 1);
    fx_jobspec_clear (&js);
    json_decref (root);
}
END_TEST

START_TEST (build_nodes)
{
    /* -N 2 -n 4: even, per_slot; -N 2 -n 5: total; -N 3 alone: 3 tasks; -x */
    struct fx_jobspec_opts o = {.ntasks = 4, .nnodes = 2, .test_run_duration = -1};
    struct fx_jobspec js;
    json_t *root = build (&o, &js);

    ck_assert_int_eq (js.nnodes, 2);
    ck_assert_int_eq (js.slots_per_node, 2);
    ck_assert_int_eq (js.ntasks, 4);
    ck_assert_int_eq (js.tasks_per_slot, 1);
    ck_assert_int_eq (js.exclusive, 0);
    fx_jobspec_clear (&js);
    json_decref (root);

    o.ntasks = 5;
    o.exclusive = 1;
    root = build (&o, &js);
    ck_assert_int_eq (js.slots_per_node, 3);
    ck_assert_int_eq (js.nslots, 6);
    ck_assert_int_eq (js.ntasks, 5);
    ck_assert_int_eq (js.tasks_per_slot, 0);
    ck_assert_int_eq (js.exclusive, 1);
    fx_jobspec_clear (&js);
    json_decref (root);

    o.ntasks = 0;
    o.nnodes = 3;
    o.exclusive = 0;
    root = build (&o, &js);
    ck_assert_int_eq (js.nnodes, 3);
    ck_assert_int_eq (js.slots_per_node, 1);
    ck_assert_int_eq (js.ntasks, 3);
    fx_jobspec_clear (&js);
    json_decref (root);
}
END_TEST

START_TEST (build_attributes)
{
    json_t *env = json_pack ("{s:s}", "A", "1");
    json_t *deps = json_pack ("[{s:s s:s}]", "scheme", "afterok", "value", "f1");
    struct fx_jobspec_opts o = {.duration = 90,
                                .name = "nm",
                                .cwd = "/tmp",
                                .queue = "q",
                                .environment = env,
                                .dependencies = deps,
                                .test_run_duration = 0.5,
                                .output_path = "o.{{id}}",
                                .error_path = "e"};
    struct fx_jobspec js;
    json_t *root = build (&o, &js);

    ck_assert (js.duration == 90);
    ck_assert (js.test_run_duration == 0.5);
    ck_assert_str_eq (js.name, "nm");
    ck_assert_str_eq (js.cwd, "/tmp");
    ck_assert_str_eq (js.queue, "q");
    ck_assert_str_eq (js.output_path, "o.{{id}}");
    ck_assert_str_eq (js.error_path, "e");
    ck_assert (json_equal (js.environment, env));
    ck_assert (json_equal (js.dependencies, deps));
    ck_assert_ptr_ne (js.environment, env); /* a copy */
    fx_jobspec_clear (&js);
    json_decref (root);
    json_decref (env);
    json_decref (deps);
}
END_TEST

START_TEST (build_refusals)
{
    static const struct {
        struct fx_jobspec_opts o;
        const char *message;
    } t[] = {
        {{.ntasks = 2, .exclusive = 1}, "--exclusive requires --nodes"},
        {{.ntasks = 2, .nnodes = 4}, "-N 4 is more than -n 2 tasks"},
        {{.ntasks = -1}, "-n must be between 1 and 100000"},
        {{.ntasks = 100001}, "-n must be between 1 and 100000"},
        {{.cores_per_task = -2}, "-c must be between 1 and 100000"},
        {{.gpus_per_task = -1}, "-g must be between 0 and 100000"},
        {{.nnodes = -1}, "-N must be between 1 and 100000"},
        {{.duration = -1}, "the time limit must be a finite duration >= 0"},
        {{.duration = INFINITY}, "the time limit must be a finite duration >= 0"},
        {{.ntasks = 100000, .cores_per_task = 1, .nnodes = 1, .gpus_per_task = 0}, NULL},
    };
    struct fx_error err;

    for (size_t i = 0; i < sizeof (t) / sizeof (t[0]); i++) {
        struct fx_jobspec_opts o = t[i].o;
        json_t *root;
        o.argc = 1;
        o.argv = argv_hostname;
        o.test_run_duration = -1;
        errno = 0;
        root = fx_jobspec_build (&o, &err);
        if (!t[i].message) {
            ck_assert_ptr_nonnull (root);
            json_decref (root);
            continue;
        }
        ck_assert_msg (root == NULL, "case %zu built", i);
        ck_assert_int_eq (errno, EINVAL);
        ck_assert_str_eq (err.text, t[i].message);
    }
    {
        struct fx_jobspec_opts o = {.test_run_duration = -1};
        ck_assert_ptr_null (fx_jobspec_build (&o, &err));
        ck_assert_str_eq (err.text, "a command is required");
    }
}
END_TEST

/* Task placement */

static void taskmap_check (const char *res, const char *tasks, int nranks, const int *cores,
                           const int *want_tasks, const int *want_first)
{
    struct fx_jobspec js;
    int t[16], f[16];

    parse_ok (spec (res, tasks, ATTRS), &js);
    ck_assert_int_eq (fx_taskmap (&js, nranks, cores, t, f), 0);
    for (int i = 0; i < nranks; i++) {
        ck_assert_int_eq (t[i], want_tasks[i]);
        ck_assert_int_eq (f[i], want_first[i]);
    }
    fx_jobspec_clear (&js);
}

#define NODE(n, s, c)                                                                              \
    "[{'type':'node','count':" #n ",'with':[{'type':'slot','count':" #s ",'label':'task',"         \
    "'with':[{'type':'core','count':" #c "}]}]}]"
#define SLOT(s, c)                                                                                 \
    "[{'type':'slot','count':" #s ",'label':'task','with':[{'type':'core','count':" #c "}]}]"
#define TOTAL(n) "[{'command':['a'],'slot':'task','count':{'total':" #n "}}]"

START_TEST (taskmap_node_shapes)
{
    /* -N 2 -n 4: 2 per rank; -N 2 -n 5 (3 slots per node, total 5): 3 then 2 */
    taskmap_check (NODE (2, 2, 1), TASKS, 2, NULL, (int[]){2, 2}, (int[]){0, 2});
    taskmap_check (NODE (2, 3, 1), TOTAL (5), 2, NULL, (int[]){3, 2}, (int[]){0, 3});
    /* total:2 over 2 nodes of 4 slots: slot 0 and slot 1 get one each, both on rank 0 */
    taskmap_check (NODE (2, 4, 1), TOTAL (2), 2, NULL, (int[]){2, 0}, (int[]){0, 2});
}
END_TEST

START_TEST (taskmap_slot_shapes)
{
    /* 5 slots of 2 cores over ranks with 4, 2, 8 cores: 2, 1, 2 slots (rank 2 has room for 4) */
    taskmap_check (SLOT (5, 2), TASKS, 3, (int[]){4, 2, 8}, (int[]){2, 1, 2}, (int[]){0, 2, 3});
    /* a rank with fewer cores than a slot holds none */
    taskmap_check (SLOT (2, 4), TASKS, 3, (int[]){2, 4, 4}, (int[]){0, 1, 1}, (int[]){0, 0, 1});
    /* total 2 over 2 slots of 1 core: one each */
    taskmap_check (SLOT (2, 1), "[{'command':['a'],'slot':'task','count':{'total':2}}]", 2,
                   (int[]){1, 1}, (int[]){1, 1}, (int[]){0, 1});
}
END_TEST

START_TEST (taskmap_total_uneven)
{
    struct fx_jobspec js;
    int t[2], f[2];

    /* hand-made: 4 slots, 7 tasks is refused by the parser (total <= slots), so check the
     * spread with total 3 over 4 slots of 1 core on 2 ranks: 1,1,1,0 -> 2 and 1 */
    parse_ok (spec (SLOT (4, 1), TOTAL (3), ATTRS), &js);
    ck_assert_int_eq (fx_taskmap (&js, 2, (int[]){2, 2}, t, f), 0);
    ck_assert_int_eq (t[0], 2);
    ck_assert_int_eq (t[1], 1);
    ck_assert_int_eq (f[1], 2);
    fx_jobspec_clear (&js);
}
END_TEST

START_TEST (taskmap_refused)
{
    struct fx_jobspec js;
    int t[4], f[4];

    parse_ok (spec (SLOT (5, 2), TASKS, ATTRS), &js);
    errno = 0;
    ck_assert_int_eq (fx_taskmap (&js, 2, (int[]){4, 4}, t, f), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_taskmap (&js, 0, (int[]){4}, t, f), -1);
    ck_assert_int_eq (fx_taskmap (&js, 1, NULL, t, f), -1);
    fx_jobspec_clear (&js);
    parse_ok (spec (NODE (3, 1, 1), TASKS, ATTRS), &js);
    ck_assert_int_eq (fx_taskmap (&js, 2, NULL, t, f), -1);
    ck_assert_int_eq (fx_taskmap (&js, 3, NULL, t, f), 0);
    fx_jobspec_clear (&js);
}
END_TEST

static Suite *jobspec_suite (void)
{
    Suite *s = suite_create ("jobspec");
    const struct fx_check_case cases[] = {
        {"shape_slot_core", shape_slot_core},
        {"shape_slot_core_gpu", shape_slot_core_gpu},
        {"shape_node_slot_core", shape_node_slot_core},
        {"shape_node_slot_core_gpu", shape_node_slot_core_gpu},
        {"attributes_known", attributes_known},
        {"parse_json_form", parse_json_form},
        {"refusals", refusals},
        {"refusals_top", refusals_top},
        {"too_many_args", too_many_args},
        {"build_defaults", build_defaults},
        {"build_counts", build_counts},
        {"build_nodes", build_nodes},
        {"build_attributes", build_attributes},
        {"build_refusals", build_refusals},
        {"taskmap_node_shapes", taskmap_node_shapes},
        {"taskmap_slot_shapes", taskmap_slot_shapes},
        {"taskmap_total_uneven", taskmap_total_uneven},
        {"taskmap_refused", taskmap_refused},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (jobspec_suite ());
}
