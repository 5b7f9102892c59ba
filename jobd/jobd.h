/* jobd.h - flux-jobd's context and the job record every file of jobd shares.
 *
 * jobd runs on rank 0 and owns every job's state (doc/job.md): ingest (ingest.c), the state
 * machine (job.c), its writes to kvsd (commit.c), the scheduler (sched.c) and execd
 * (exec.c) protocols, urgency and priority (urgency.c, plugin.c), the queue (queue.c),
 * listing (list.c) and the rebuild at start (restart.c).
 */
#ifndef JOBD_H
#define JOBD_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "services/fluid.h"
#include "services/jobspec.h"
#include "services/jobtap.h"
#include "services/metrics.h"
#include "services/peer.h"
#include "services/sign.h"

/* Job states (RFC 21 bit values) and results. */
enum {
    JOB_NEW = 1,
    JOB_DEPEND = 2,
    JOB_PRIORITY = 4,
    JOB_SCHED = 8,
    JOB_RUN = 16,
    JOB_CLEANUP = 32,
    JOB_INACTIVE = 64,
    JOB_PENDING = JOB_DEPEND | JOB_PRIORITY | JOB_SCHED,
    JOB_RUNNING = JOB_RUN | JOB_CLEANUP,
    JOB_ACTIVE = JOB_PENDING | JOB_RUNNING | JOB_NEW,
};
enum { RESULT_COMPLETED = 1, RESULT_FAILED = 2, RESULT_CANCELED = 4, RESULT_TIMEOUT = 8 };

#define URGENCY_HOLD     0
#define URGENCY_DEFAULT  16
#define URGENCY_EXPEDITE 31
#define PRIORITY_MAX     4294967295u

struct exec_rank; /* exec.c */
struct allocreq;  /* sched.c */

struct job {
    uint64_t id;
    uint32_t userid;
    int urgency;
    int64_t priority; /* -1 until the priority event */
    int state;        /* JOB_* */
    int result;       /* RESULT_* once inactive */
    double t_submit, t_depend, t_run, t_cleanup, t_inactive;
    char *name;  /* job name, for listings */
    char *queue; /* NULL: default queue */
    int ntasks, nnodes, ncores, ngpus;
    double duration; /* seconds, 0 = unlimited */
    json_t *jobspec; /* while active (NULL once inactive) */
    char *env;       /* its environment as compact JSON text (job_keep_jobspec) */
    json_t *R;       /* from alloc until free */
    char *ranks;     /* idset of the allocation, kept once inactive */
    char *nodelist;  /* hostlist of the allocation, kept once inactive */
    int waitstatus;  /* finish status, -1 before finish */
    char *exc_type;  /* first fatal exception, NULL if none */
    char *exc_note;
    int exc_severity;
    json_t *annotations;    /* from the scheduler, while pending */
    json_t *deps;           /* pending dependencies (array of strings), NULL when none */
    int has_alloc;          /* alloc event seen, free not yet */
    int alloc_pending;      /* sched.alloc sent, not answered */
    struct allocreq *alloc; /* that request (sched.c) */
    int start_pending;      /* alloc committed, exec not yet started */
    int started;            /* start event seen */
    int finished;           /* finish event seen */
    int freed;              /* free event seen */
    struct exec_rank *exec; /* per-rank exec streams, NULL when none */
    int exec_nranks, exec_started, exec_done;
    int prolog_active;   /* prolog-start events without their prolog-finish (hold.c) */
    int epilog_active;   /* the same for the epilog */
    int prolog_asked;    /* PROLOG callbacks called (or a prolog-start replayed) */
    int prolog_failed;   /* a prolog-finish with a non-zero status */
    int prolog_released; /* every prolog ended well in RUN: execd may have been asked */
    int epilog_asked;    /* EPILOG callbacks called (or an epilog-start replayed) */
    int events;          /* events in the eventlog */
};

struct jobd_args {
    const char *uri;
    uint32_t rank, size;
    const char *security_dir; /* NULL: FX_SYSCONFDIR/flux/security/conf.d */
    int no_router;            /* out: create failed for want of a router */
};

struct commit;   /* commit.c */
struct plugins;  /* plugin.c */
struct commands; /* command.c */
struct listreq;  /* list.c */

struct jobd {
    struct ev_loop *loop;
    int stopping;        /* jobd_destroy runs: RPC callbacks do nothing */
    int shutting_down;   /* jobd_shutdown ran: no new job starts */
    ev_timer shutdown_w; /* bounds the wait for running jobs to end */
    struct fx_peer *peer;
    char *uri; /* the router's, for the commands jobd runs (FLUX_URI) */
    json_t *config;
    struct fx_signer *signer;
    struct fx_fluid_gen gen;
    uint64_t maxid; /* largest id issued or found */
    struct fx_handler *handlers;
    struct commit *commit;
    struct plugins *plugins;
    struct commands *commands;

    struct job **jobs; /* every job, in id order */
    size_t njobs, jobs_alloc;
    size_t nactive;  /* jobs not INACTIVE */
    size_t nrunning; /* RUN or CLEANUP */
    size_t ndepend;  /* jobs waiting in DEPEND on others (depend.c) */

    /* queue (queue.c) */
    int q_enabled, q_started;
    char *q_disable_reason, *q_stop_reason;
    struct fx_msg **waiters; /* queue drain/idle requests */
    size_t nwaiters;

    /* scheduler (sched.c) */
    int sched_ready;
    size_t alloc_pending; /* sched.alloc outstanding */

    /* listing (list.c) */
    struct listreq *listreqs;

    /* metrics */
    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_submits, *m_jobs, *m_events;
};

/* jobd.c */
struct jobd *jobd_create (struct ev_loop *loop, struct jobd_args *args, struct fx_error *err);
void jobd_destroy (struct jobd *jd);
/* The instance stops: running jobs get a fatal exception, pending ones stay queued; the
 * loop is left once no job runs and every write is committed, or after SHUTDOWN_TIMEOUT. */
void jobd_shutdown (struct jobd *jd);
void jobd_shutdown_check (struct jobd *jd);
struct job *jobd_lookup (struct jobd *jd, uint64_t id);
int jobd_insert (struct jobd *jd, struct job *job);
const char *jobd_f58 (uint64_t id, char *buf, size_t len); /* "ƒXXX" */
/* Decode {"id"} of req and find the job, checking that the sender may touch it; on failure
 * answers req itself and returns NULL. */
struct job *jobd_request_job (struct jobd *jd, const struct fx_msg *req, json_t *payload);

/* job.c */
struct job *job_create (uint64_t id);
void job_destroy (struct job *job);
/* Apply one event (from the live system or a replayed eventlog) to the job's state.
 * Returns -1 with EINVAL when the event cannot happen in this state. */
int job_apply (struct jobd *jd, struct job *job, const char *name, double timestamp,
               json_t *context, struct fx_error *err);
/* Post an event: apply it, append it to the job's eventlog (commit.c), act on the new
 * state.  context is stolen (may be NULL). */
int job_post (struct jobd *jd, struct job *job, const char *name, json_t *context);
/* Raise an exception; severity 0 ends the job. */
void job_raise (struct jobd *jd, struct job *job, const char *type, int severity, uint32_t userid,
                const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));
/* In CLEANUP: kill what runs, give resources back, clean, as far as possible now. */
void job_cleanup_progress (struct jobd *jd, struct job *job);
const char *job_state_abbrev (int state);
int job_fill_from_jobspec (struct job *job, const json_t *jobspec);
int job_keep_jobspec (struct job *job, json_t *jobspec);
json_t *job_full_jobspec (const struct job *job);

/* commit.c: jobd's writes to kvsd, grouped. */
typedef void (*commit_f) (struct jobd *jd, int rc, const char *errstr, void *arg);
struct commit *commit_create (struct jobd *jd);
void commit_destroy (struct commit *c);
int commit_put (struct jobd *jd, const char *key, json_t *value); /* steals value */
int commit_append (struct jobd *jd, uint64_t id, const char *name, double timestamp,
                   json_t *context); /* borrows */
/* Call cb once everything queued so far is durable (rc 0) or failed (-1, errstr). */
int commit_barrier (struct jobd *jd, commit_f cb, void *arg);
size_t commit_inflight (struct jobd *jd);

/* ingest.c */
extern const struct fx_handler ingest_handlers[];

/* sched.c */
extern const struct fx_handler sched_handlers[];
void sched_job_ready (struct jobd *jd, struct job *job);  /* job entered SCHED */
void sched_job_cancel (struct jobd *jd, struct job *job); /* fatal exception while pending */
void sched_job_free (struct jobd *jd, struct job *job);   /* job finished: give R back */
void sched_reprioritize (struct jobd *jd, struct job *job);
void sched_stop (struct jobd *jd);
void sched_send_all (struct jobd *jd);   /* every job waiting in SCHED */
void sched_cancel_all (struct jobd *jd); /* take back every outstanding alloc */
int sched_feasibility (struct jobd *jd, json_t *jobspec, fx_rpc_f cb, void *arg);

/* exec.c */
void exec_start (struct jobd *jd, struct job *job, int reattach);
void exec_kill (struct jobd *jd, struct job *job, int signum);
void exec_job_done (struct jobd *jd, struct job *job); /* drop exec state */

/* urgency.c, plugin.c */
extern const struct fx_handler urgency_handlers[];
int plugins_load (struct jobd *jd, struct fx_error *err);
void plugins_unload (struct jobd *jd);
int64_t plugins_priority (struct jobd *jd, const struct job *job);
/* Call every plugin's callback for topic (enum fx_jobtap_topic) with job. */
void plugins_notify (struct jobd *jd, struct job *job, int topic);

/* hold.c: prolog and epilog events (doc/job.md "Prolog and epilog"). */
/* The job's allocation is durable: ask the plugins for a prolog, start it when none holds. */
void hold_job_run (struct jobd *jd, struct job *job);
/* In CLEANUP with resources: ask the plugins for an epilog once.  Returns 1 while one runs. */
int hold_job_epilog (struct jobd *jd, struct job *job);
/* After a restart: a prolog or epilog that had started but not finished (see doc). */
void hold_job_resume (struct jobd *jd, struct job *job);
int hold_start (struct jobd *jd, uint64_t id, int epilog, const char *description);
int hold_finish (struct jobd *jd, uint64_t id, int epilog, const char *description, int status,
                 const char *note);

/* command.c: children jobd runs for plugins (services/jobtap.h). */
int commands_create (struct jobd *jd);
void commands_destroy (struct jobd *jd); /* SIGTERM to every command left, no callbacks */
struct fx_jobtap_cmd *command_start (struct jobd *jd, char *const argv[], char *const env[],
                                     double timeout, double kill_timeout, fx_jobtap_cmd_f cb,
                                     void *arg, struct fx_error *err);

/* queue.c */
extern const struct fx_handler queue_handlers[];
int queue_load (struct jobd *jd, struct fx_error *err);
int queue_accepting (struct jobd *jd, struct fx_error *err);
void queue_check_waiters (struct jobd *jd);
void queue_free (struct jobd *jd);

/* depend.c */
/* owner: the submitter is the instance owner (a guest may depend on its own jobs only). */
int depend_check (struct jobd *jd, struct job *job, int owner, struct fx_error *err);
void depend_job_changed (struct jobd *jd, struct job *job);

/* list.c */
extern const struct fx_handler list_handlers[];
void list_job_changed (struct jobd *jd, struct job *job);
void list_free (struct jobd *jd);
json_t *list_job_json (const struct job *job);

/* restart.c */
int restart_load (struct jobd *jd, struct fx_error *err);

#endif
