/* submit.h - what `flux submit` (cli/flux-submit.c) and `flux run` (cli/flux-run.c) share:
 * their options, the jobspecs built from them, and submission to jobd.
 *
 * submit-opts.c  options (getopt_long), the environment rules, {cc} substitution, and the
 *                jobspec of each job (fx_jobspec_build, then --setattr, then validation)
 * submit-send.c  signing (fx_sign_wrap) and job-ingest.submit, up to SUBMIT_INFLIGHT
 *                requests in flight on the loop; the router connection
 *
 * Errors end the command: submit_die() prints "PROG: message" and exits 1; a usage error
 * prints the usage and exits 2.
 */
#ifndef FX_CLI_SUBMIT_H
#define FX_CLI_SUBMIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "services/idset.h"
#include "services/jobspec.h"
#include "services/peer.h"

#define SUBMIT_INFLIGHT 256    /* job-ingest.submit requests in flight at once */
#define SUBMIT_TIMEOUT  60.0   /* seconds: jobd answers once the job is committed */
#define SUBMIT_MAX_CC   100000 /* jobs one --cc may ask for */

/* One --env or --env-remove rule, applied in command-line order. */
struct env_rule {
    char op;         /* '-' remove names matching arg, '=' set NAME=VALUE, 'p' pass names
                      * matching arg from this environment */
    const char *arg; /* borrowed from argv */
};

struct submit {
    const char *prog;            /* "flux-submit" or "flux-run", for messages */
    int allow_cc;                /* --cc is accepted (submit only) */
    struct fx_jobspec_opts opts; /* counts, time limit, names, paths, argc/argv */
    int urgency;                 /* -1 = not given (jobd's default) */
    int dry_run;                 /* print the jobspecs instead of submitting */
    struct fx_idset *cc;         /* --cc, NULL = one job */
    struct env_rule *env_rules;  /* nenv_rules of them */
    size_t nenv_rules;
    json_t *setattrs;     /* [[path, value], ...] from --setattr, path under attributes */
    json_t *dependencies; /* [{"scheme","value"}, ...], NULL = none */
    struct fx_peer *p;    /* connected by submit_connect() */
};

/* submit-opts.c */

void submit_die (const struct submit *s, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));
/* Parse argv (options, then COMMAND ARGS...) into s, zeroed first; exits 2 on a usage error,
 * 0 after --help. */
void submit_parse (struct submit *s, const char *prog, int allow_cc, int argc, char **argv);
void submit_clear (struct submit *s);
/* The validated jobspec of the job with cc number cc (-1 = no --cc): {cc} replaced in the
 * command, name, cwd and output paths, FLUX_JOB_CC set.  A new reference; dies on error. */
json_t *submit_jobspec (const struct submit *s, long cc);
/* The F58 form of id in buf (FX_FLUID_STRLEN bytes). */
const char *submit_idstr (uint64_t id, char *buf, size_t len);

/* submit-send.c */

/* Connect s->p to the router (dies on failure); a lost router ends the command. */
void submit_connect (struct submit *s);
/* Sign each of the n jobspecs, then submit them, SUBMIT_INFLIGHT at a time.  ids[i] gets the
 * id of job i, or 0 when it failed: its error is printed ("PROG: message", prefixed with
 * "cc=N: " when labels is not NULL and gives N).  Returns the number that failed; dies when
 * signing fails. */
size_t submit_send (struct submit *s, json_t *const jobspecs[], const long *labels, size_t n,
                    uint64_t *ids);

#endif
