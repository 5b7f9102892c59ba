/* job.h - the parts of `flux job` (cli/flux-job.c and cli/job-*.c) and what they share.
 *
 * flux-job.c     main, the subcommand table, shared helpers; purge
 * job-manage.c   urgency, raise, kill, cancel, cancelall (requests to job-manager)
 * job-watch.c    eventlog, info, status, wait, attach (job-list, following eventlogs)
 *
 * The services are `job-manager` and `job-list`; FLUX_JOB_MANAGER_SERVICE and
 * FLUX_JOB_LIST_SERVICE name others, for tests only (test/helpers/fakejobs).
 *
 * Errors end the command: job_die() prints "flux-job: message" and exits 1; job_usage()
 * prints the subcommand's usage and exits 2 (0 on stdout for --help).
 */
#ifndef FX_CLI_JOB_H
#define FX_CLI_JOB_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "services/fluid.h"
#include "services/peer.h"

struct job_cmd {
    const char *name;
    int (*fn) (const struct job_cmd *cmd, int argc, char **argv); /* argv[0] is the name */
    const char *synopsis;
    const char *options;
};

/* flux-job.c */
void job_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
void job_usage (FILE *f, const struct job_cmd *cmd, int status) __attribute__ ((noreturn));
/* getopt_long() from optind 0 with -h/--help handled and bad options a usage error;
 * returns the other options, -1 at the end. */
int job_getopt (const struct job_cmd *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts);
/* The connection to the router, made on first use (dies on failure). */
struct fx_peer *job_peer (void);
/* "job-manager" or "job-list", or what the environment names instead. */
const char *job_manager_service (void);
const char *job_list_service (void);
/* A job id in any encoding, or die. */
uint64_t job_parse_id (const char *s);
/* id as F58 in buf. */
const char *job_f58 (char buf[FX_FLUID_STRLEN], uint64_t id);
/* A user name or uid; "all" is -1.  Dies on an unknown name. */
long job_parse_user (const char *s);
/* SERVICE.method with in (stolen; NULL dies of ENOMEM), waiting FX_JOB_RPC_TIMEOUT: the
 * answer (caller owns it), or die with the service's message. */
json_t *job_rpc (const char *service, const char *method, json_t *in);

/* job-manage.c */
int job_cmd_urgency (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_raise (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_kill (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_cancel (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_cancelall (const struct job_cmd *cmd, int argc, char **argv);

/* job-watch.c */
int job_cmd_eventlog (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_info (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_status (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_wait (const struct job_cmd *cmd, int argc, char **argv);
int job_cmd_attach (const struct job_cmd *cmd, int argc, char **argv);

#endif
