/* jobspec.h - jobspec version 1 (RFC 25): parse, validate, build, and task placement.
 *
 * doc/job.md ("Jobspec") is the contract.  jobd validates every submission with
 * fx_jobspec_parse(); schedd reads the resource request from the same parsed form; the
 * commands build jobspecs with fx_jobspec_build(); execd and jobd place tasks with
 * fx_taskmap().
 */
#ifndef FX_JOBSPEC_H
#define FX_JOBSPEC_H

#include <jansson.h>
#include <stdint.h>

#include "services/error.h"

#define FX_JOBSPEC_MAX_SIZE  (1024 * 1024) /* bytes of jobspec text */
#define FX_JOBSPEC_MAX_ARGS  10000
#define FX_JOBSPEC_MAX_COUNT 100000 /* nodes, slots, cores or gpus per slot, tasks */

struct fx_jobspec {
    json_t *root;             /* the whole jobspec (a reference owned by this struct) */
    int nnodes;               /* node shapes: number of nodes; 0 in slot shapes */
    int slots_per_node;       /* node shapes: slots on each node; 0 in slot shapes */
    int nslots;               /* slots in all (nnodes * slots_per_node in node shapes) */
    int cores_per_slot;       /* >= 1 */
    int gpus_per_slot;        /* >= 0 */
    int exclusive;            /* node shapes: whole nodes */
    int ntasks;               /* tasks in all */
    int tasks_per_slot;       /* 1 when count is {per_slot:1}, 0 when {total:N} */
    double duration;          /* seconds, 0 = unlimited */
    double test_run_duration; /* attributes.system.exec.test.run_duration, -1 = not set */
    const char *name;         /* job.name, else the basename of command[0] (borrowed from root) */
    const char *cwd;          /* NULL when not set */
    const char *queue;        /* NULL when not set */
    json_t *command;          /* borrowed: array of strings */
    json_t *environment;      /* borrowed: object of strings, or NULL */
    json_t *dependencies;     /* borrowed: array of {"scheme","value"}, or NULL */
    const char *output_path;  /* attributes.system.output.stdout, NULL = to the KVS */
    const char *error_path;   /* attributes.system.output.stderr, NULL = to the KVS */
};

/* Parse and validate a jobspec given as text (len bytes, at most FX_JOBSPEC_MAX_SIZE) or
 * as JSON.  Fills *js (release it with fx_jobspec_clear()).  Returns 0, or -1 with errno
 * EINVAL and a one-line message naming the field in err ("tasks[0].command: must be a
 * non-empty array of strings"), E2BIG for text over the limit, ENOMEM. */
int fx_jobspec_parse (const char *text, size_t len, struct fx_jobspec *js, struct fx_error *err);
int fx_jobspec_parse_json (json_t *root, struct fx_jobspec *js, struct fx_error *err);

/* Drop the reference to root and zero *js.  NULL is fine. */
void fx_jobspec_clear (struct fx_jobspec *js);

/* What a command asks for (flux submit / flux run). */
struct fx_jobspec_opts {
    int ntasks;               /* -n; 0 = 1, or the number of nodes when nnodes is given */
    int cores_per_task;       /* -c; 0 = 1 */
    int gpus_per_task;        /* -g, default 0 */
    int nnodes;               /* -N, 0 = not given */
    int exclusive;            /* -x (needs nnodes) */
    double duration;          /* -t in seconds, 0 = unlimited */
    const char *name;         /* --job-name, NULL = basename of argv[0] */
    const char *cwd;          /* --cwd, NULL = not set (jobd fills in nothing: the command passes
                               * its cwd) */
    const char *queue;        /* -q */
    json_t *environment;      /* borrowed object, NULL = none */
    json_t *dependencies;     /* borrowed array, NULL = none */
    double test_run_duration; /* -1 = real execution */
    const char *output_path;  /* --output, NULL = none */
    const char *error_path;   /* --error, NULL = none */
    int argc;
    char **argv;
};

/* Build a validated jobspec (a new reference) from opts: -n N gives slot[N]>core[c]
 * (with gpu[g]) and tasks {per_slot:1}; -N M adds a node level with ceil(N/M) slots per
 * node, and tasks {total:N} when M does not divide N (else {per_slot:1}, as the original).
 * NULL with errno EINVAL and a one-line message ("--exclusive requires --nodes", "-N 4 is
 * more than -n 2 tasks"). */
json_t *fx_jobspec_build (const struct fx_jobspec_opts *opts, struct fx_error *err);

/* Task placement for a job whose allocation gives `nranks` ranks with cores[i] cores each
 * (in rank order): tasks[i] receives the number of tasks on the i-th rank and first[i] the
 * task rank of its first task.  Returns 0, or -1 with errno EINVAL when the allocation
 * cannot hold the jobspec's slots. */
int fx_taskmap (const struct fx_jobspec *js, int nranks, const int *cores, int *tasks, int *first);

#endif
