/* jobrpc.h - what the job commands (flux jobs, flux job, flux cancel) ask jobd, shared:
 * listing jobs and sending one request per job to many jobs at once.
 *
 * The service names are arguments so that a test can point a command at a stand-in
 * (test/helpers/fakejobs).  Every call has a timeout; nothing here prints.
 */
#ifndef FX_JOBRPC_H
#define FX_JOBRPC_H

#include <jansson.h>
#include <stdint.h>

#include "services/error.h"
#include "services/peer.h"

/* Seconds a job command waits for jobd: rank 0's jobd may be waiting on kvsd, whose own
 * database timeout is 10 s. */
#define FX_JOB_RPC_TIMEOUT 15.0

/* SERVICE.list {"max","states","userid","results"?}: the jobs (a new reference to the
 * answer's "jobs" array, each element checked to be an object with an integer "id").
 * max 0 = no limit; userid -1 = every user; results 0 = not sent.  NULL with errno and the
 * service's message in err. */
json_t *fx_job_list (struct fx_peer *p, const char *service, int max, int states, int results,
                     long userid, struct fx_error *err);

/* Called for each job whose request failed: errnum and the one-line message. */
typedef void (*fx_job_fail_f) (uint64_t id, int errnum, const char *msg, void *arg);

/* Send topic with payload tmpl plus {"id": ids[i]} for each of n jobs, a few hundred in
 * flight at a time, each with FX_JOB_RPC_TIMEOUT.  Returns the number that failed (fail is
 * called for each), or -1 with errno EINVAL when tmpl is not an object. */
int fx_job_rpc_each (struct fx_peer *p, const char *topic, const uint64_t *ids, size_t n,
                     const json_t *tmpl, fx_job_fail_f fail, void *arg);

/* The job id of job (its "id"), or 0 when it has none. */
uint64_t fx_job_id (const json_t *job);

#endif
