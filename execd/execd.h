/* execd.h - flux-execd's context and the interfaces between its files (doc/job.md, "Exec
 * protocol"; doc/exec.md).
 *
 * main.c      arguments, signals, loop
 * execd.c     the context: router connection, configuration, metrics, the service, stopping
 * job.c       execd.start / execd.kill / execd.cancel, one job's life on this rank, results
 *             kept for a jobd that reattaches
 * task.c      one task: spawn (vfork + exec), environment, affinity, exit
 * imp.c       multi-user: J from the KVS, tasks run as `IMP exec SHELL ID`, the shell's stdin
 * stream.c    a task's stdout/stderr pipe: non-blocking reads, UTF-8 or base64 chunks
 * output.c    guest.output: every job's appends gathered into few kvs.commit requests
 * kill.c      signals, the term/kill escalation, expiration, draining an unkillable rank
 * run.c       execd.run and the command runner (cron, prolog/epilog): one command, its
 *             output's tail, its status
 * cron.c      the cron service (rank 0): entries, schedules, runs, crontab files
 */
#ifndef EXECD_H
#define EXECD_H

#include <ev.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "services/error.h"
#include "services/idset.h"
#include "services/jobspec.h"
#include "services/metrics.h"
#include "services/peer.h"
#include "services/rlist.h"
#include "services/strmap.h"
#include "services/taskexec.h"

#define EXECD_CHUNK_MAX    65536              /* bytes of output in one data event */
#define EXECD_COMMITS_MAX  1                  /* kvs.commit requests in flight */
#define EXECD_COMMIT_BYTES (1024u * 1024)     /* output bytes in one commit, about */
#define EXECD_JOB_BACKLOG  (8u * 1024 * 1024) /* a job's unacknowledged output: stop reading */
#define EXECD_RESULTS_MAX  65536              /* ended jobs remembered for a reattach */
#define EXECD_STOP_GRACE   1.0 /* seconds between term and kill when the daemon stops */
#define EXECD_STOP_MAX     3.0 /* ... and at most this long before it exits anyway */
#define EXECD_DEFAULT_PATH FX_TASKEXEC_DEFAULT_PATH

enum { STREAM_STDOUT = 0, STREAM_STDERR = 1 };

struct execd;
struct job;
struct run;
struct cron;

/* One of a task's two output streams. */
struct stream {
    struct task *task;
    int which; /* STREAM_STDOUT or STREAM_STDERR */
    int fd;    /* the pipe's read end; -1 once at EOF (or redirected) */
    ev_io w;
    unsigned char partial[4]; /* an incomplete UTF-8 sequence held for the next read */
    int npartial;
};

struct task {
    struct job *job;
    int rank;     /* task rank in the job */
    int local_id; /* 0..ntasks-1 on this rank */
    pid_t pid;    /* also its process group; 0 if never started */
    int exited;   /* reaped: status is valid */
    int status;   /* wait status */
    int done;     /* exited and both streams at EOF */
    ev_child child_w;
    struct stream out[2];
    ev_io in_w;   /* IMP jobs: writing {"J","task"} to the IMP's stdin */
    char *in_buf; /* ... that text; NULL once written */
    size_t in_len, in_off;
};

struct job {
    struct execd *ed;
    uint64_t id;
    char idkey[24];  /* decimal id: the key of ed->jobs */
    char f58[24];    /* ƒXXX */
    char outkey[64]; /* job.<dothex>.guest.output */
    uint32_t userid;
    struct fx_msg *req; /* the start stream (payload dropped); NULL while detached */
    struct fx_jobspec js;
    struct fx_rlist *R;
    int ntasks_total;
    int ntasks, first; /* this rank's tasks and the first one's task rank */
    struct task *tasks;
    struct fx_idset *cores, *gpus; /* this rank's share (copies) */
    char **envp;
    char *env_rank, *env_local; /* the per-task values inside envp */
    int outfd[2];               /* attributes.system.output files, or -1 */
    int imp;                    /* another user's job: its tasks run through the IMP */
    char *J;                    /* ... its signed request, once fetched */
    struct fx_rpc *J_rpc;       /* ... the kvs.get fetching it */

    int started;   /* start answered (or would have been, when detached) */
    int live;      /* tasks not yet done */
    int status;    /* largest wait status so far */
    int exception; /* a fatal exception was raised */
    int ended;     /* finish recorded */

    int test_mode;
    ev_timer test_timer;
    double expiration; /* R's, seconds since the epoch; 0 = none */
    ev_timer expire_timer;
    ev_timer kill_timer;
    int kill_count; /* kill-signals sent */
    int killing;    /* the term/kill escalation is armed */
    int drained;

    size_t unacked_ops;   /* guest.output appends not yet acknowledged by kvsd */
    size_t unacked_bytes; /* ... and their output bytes */
    int paused;           /* reading stopped until kvsd catches up */
    uint64_t batch;       /* the output batch this job last added to */
    size_t batch_slot;    /* its slot in that batch */

    struct job *prev, *next;
};

struct exec_conf {
    int term_signal;
    int kill_signal;
    double kill_timeout;
    int max_kill_count;
};

/* One job's share of a kvs.commit. */
struct commit_share {
    struct job *job;
    size_t ops;
    size_t bytes;
};

struct commit {
    struct execd *ed;
    json_t *ops;
    struct commit_share *shares;
    size_t nshares;
    struct fx_rpc *rpc;
    int tries;
    ev_timer retry_timer;
    struct commit *next;
};

struct output {
    json_t *ops;                 /* appends waiting for the next commit */
    size_t bytes;                /* their output bytes */
    struct commit_share *shares; /* the jobs they belong to */
    size_t nshares, maxshares;
    uint64_t batch;         /* number of the batch being gathered (starts at 1) */
    int inflight;           /* commits sent and not yet answered */
    struct commit *commits; /* those commits */
    ev_prepare prepare_w;
    double last_error_log;
};

struct result {
    uint64_t id;
    int status;
};

struct execd {
    struct ev_loop *loop;
    struct fx_peer *peer;
    json_t *config;
    uint32_t rank, size;
    const char *uri; /* FLUX_URI given to tasks */
    struct exec_conf conf;
    struct fx_handler *handlers;
    sigset_t sigmask; /* the mask tasks get (execd's own at start) */
    int devnull;
    unsigned char *buf; /* EXECD_CHUNK_MAX + 4 bytes: one read */

    struct fx_strmap *jobs; /* idkey -> struct job */
    struct job *job_list;
    struct fx_strmap *results_map; /* idkey -> struct result (in results) */
    struct result *results;        /* a ring of EXECD_RESULTS_MAX */
    size_t results_next, results_count;

    struct output out;

    int stopping;
    ev_timer stop_timer;
    double stop_started;

    struct fx_metrics *metrics;
    struct fx_httpd *httpd;
    struct fx_metric *m_running, *m_tasks, *m_bytes;
    int no_router;

    struct run *runs;  /* commands of run.c */
    struct cron *cron; /* the cron service (rank 0), or NULL */
};

struct execd_args {
    const char *uri;
    int no_router; /* out: the router could not be reached at start */
};

/* execd.c */
struct execd *execd_create (struct ev_loop *loop, struct execd_args *args, struct fx_error *err);
void execd_destroy (struct execd *ed);
/* Begin stopping: every job is killed and answered; the loop ends when all are gone. */
void execd_stop (struct execd *ed);
/* Called whenever a job or a commit ends: ends the loop once a stop has nothing left. */
void execd_check_stopped (struct execd *ed);
/* Parse exec.* from a configuration into conf.  -1 with a message. */
int exec_conf_parse (const json_t *config, struct exec_conf *conf, struct fx_error *err);

/* job.c */
extern const struct fx_handler job_handlers[];
/* Answer {"id","type":...} on the job's stream, when it has one. */
void job_respond (struct job *job, json_t *o);
/* Answer an exception (severity 0 also marks the job failed). */
void job_exception (struct job *job, int severity, const char *type, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
/* A task is done, output was acknowledged, a test job's time is up: finish when all is. */
void job_check_done (struct job *job);
/* The requester of these streams has gone (router.disconnect): keep the jobs, detach. */
void job_disconnect (struct fx_peer *p, struct fx_msg *ev, void *arg);
void job_destroy_all (struct execd *ed);
/* Start the job's tasks (or fail with an exception), answer `start`, arm its expiration. */
void job_launch (struct job *job);

/* task.c */
/* Build the job's environment (envp) for its tasks.  -1 with a message. */
int task_env_create (struct job *job, struct fx_error *err);
void task_env_free (struct job *job);
/* Start task t (its rank and local_id set).  -1 with a message; *cwd_failed is set when
 * the job's working directory is the cause. */
int task_start (struct task *t, int *cwd_failed, struct fx_error *err);
/* vfork with every signal blocked (no handler of execd may run in the child); the child calls
 * child_fn(arg), which must exec or _exit.  Returns the pid, or -1 with errno. */
pid_t execd_vfork (void (*child_fn) (void *arg), void *arg);
/* In a child of execd_vfork: default signal dispositions, the mask `mask`, a process group of
 * its own, SIGKILL when execd dies (_exit 127 when it already has). */
void execd_child_setup (const sigset_t *mask, pid_t parent);
/* Stop watching a task's process and pipes (job teardown). */
void task_release (struct task *t);
/* The cores task t is bound to (a new set), or NULL with ENOMEM. */
struct fx_idset *task_cores (const struct task *t);

/* imp.c */
/* A job of another user: fetch J, then job_launch().  Without exec.imp, or on a failure,
 * the job gets an exec exception. */
void imp_job_start (struct job *job);
/* A kill before J came: the job ends with sig as its status, no task started. */
void imp_job_abort (struct job *job, int sig);
/* The argv of task t: IMP exec SHELL ID (argv[0..3] point into the configuration). */
int imp_task_argv (struct task *t, char *argv[5], struct fx_error *err);
/* Prepare the IMP's stdin for task t: {"J","task"} (see doc/exec.md).  -1 with a message. */
int imp_task_input (struct task *t, struct fx_error *err);
/* Write it to fd (the non-blocking write end of the IMP's stdin, which this takes), the
 * rest as the pipe drains; fd is closed at the end or when the IMP has gone. */
void imp_task_write (struct task *t, int fd);
/* Stop writing, free what is left (no-op for other tasks). */
void imp_task_release (struct task *t);

/* stream.c */
void stream_start (struct stream *s, struct task *t, int which, int fd);
void stream_stop (struct stream *s);
/* Stop or resume reading every stream of the job (backpressure from kvsd). */
void stream_pause_job (struct job *job, int pause);

/* output.c */
int output_init (struct execd *ed);
void output_destroy (struct execd *ed);
/* Queue an event (context is stolen) on the job's guest.output; bytes counts output. */
void output_append (struct job *job, const char *name, json_t *context, size_t bytes);
/* The header event (the rank that holds task 0). */
void output_header (struct job *job);
void output_data (struct job *job, int rank, int which, const unsigned char *data, size_t len,
                  int eof);

/* kill.c */
/* Look up a signal by name ("SIGTERM", "TERM") or number.  -1 when unknown. */
int kill_signal_parse (const char *s);
/* Send sig to every running task of the job (its process group), or end a test job. */
void kill_send (struct job *job, int sig);
/* End the job: sig (the term-signal, or SIGKILL) now, then the kill-signal every
 * kill-timeout up to max-kill-count times, then drain this rank. */
void kill_escalate (struct job *job, int sig);
/* Arm the expiration timer from R. */
void kill_expiration_start (struct job *job);
void kill_stop (struct job *job);

/* run.c: one command as the owner (contract C3, doc/exec.md "execd.run"). */
#define RUN_KILL_TIMEOUT 10.0 /* seconds from SIGTERM to SIGKILL by default */
#define RUN_DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

struct run_opts {
    char *const *argv;   /* argv[0] searched in PATH; borrowed, used only by run_start */
    const json_t *env;   /* {NAME: VALUE}: the whole environment but FLUX_URI (may be NULL) */
    double timeout;      /* seconds, 0 = none: then SIGTERM to the process group */
    double kill_timeout; /* seconds from SIGTERM to SIGKILL (<= 0: RUN_KILL_TIMEOUT) */
};
/* The command has exited and its output is read to EOF: status is the raw wait status,
 * output (valid UTF-8, the last FX_TAILBUF_MAX bytes) is valid during the call only.  The
 * run is freed when the callback returns. */
typedef void (*run_done_f) (struct run *r, int status, int timedout, const char *output, void *arg);
extern const struct fx_handler run_handlers[];
/* Start a command (vfork + exec, new process group, stdin /dev/null, cwd /).  A command that
 * cannot be executed ends with status 127<<8 (126<<8) and its reason as output.  NULL with
 * errno and a message when no process could be started. */
struct run *run_start (struct execd *ed, const struct run_opts *o, run_done_f cb, void *arg,
                       struct fx_error *err);
/* SIGTERM to the group now, SIGKILL kill-timeout later (the callback still comes). */
void run_kill (struct run *r);
/* No callback any more: the command runs to its end and is then forgotten. */
void run_detach (struct run *r);
pid_t run_pid (const struct run *r);
/* SIGKILL every command still running and free them all, without callbacks (exit). */
void run_destroy_all (struct execd *ed);

/* cron.c: the cron service, rank 0 only (doc/cron.md). */
/* Load the crontab files and register the `cron` service (nothing on other ranks).  -1
 * with a message. */
int cron_create (struct execd *ed, struct fx_error *err);
/* Reload the crontab files of cron.directory (after a configuration update). */
void cron_reload (struct execd *ed);
void cron_destroy (struct execd *ed);

#endif
