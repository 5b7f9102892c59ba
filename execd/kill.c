/* kill.c - signals to a job's tasks, the end of a job, and its expiration.
 *
 * A signal goes to each task's process group (the task and whatever it started).  Ending a
 * job (a cancel: execd.kill with SIGTERM; its expiration; execd stopping) sends the exec
 * term-signal, then the kill-signal every kill-timeout, at most max-kill-count times; a rank
 * whose processes survive all that is drained (`unkillable processes for job ƒXXX`) through
 * rank 0's resourced, and the job keeps waiting for them.  A test job (no process) ends at
 * once with the signal as its status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "execd/execd.h"

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"SYS", SIGSYS},
};

int kill_signal_parse (const char *s)
{
    char *end;
    long n;

    if (!s || !*s)
        return -1;
    n = strtol (s, &end, 10);
    if (!*end)
        return n > 0 && n < NSIG ? (int) n : -1;
    if (strncasecmp (s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof (signals) / sizeof (signals[0]); i++) {
        if (strcasecmp (s, signals[i].name) == 0)
            return signals[i].sig;
    }
    return -1;
}

/* What execd sends an IMP for sig: the signals it forwards, SIGUSR1 for SIGKILL, else 0. */
static int imp_signal (int sig)
{
    static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGUSR2, SIGCONT};

    if (sig == SIGKILL)
        return SIGUSR1;
    for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++) {
        if (forwarded[i] == sig)
            return sig;
    }
    return 0;
}

void kill_send (struct job *job, int sig)
{
    if (job->ended)
        return;
    if (job->test_mode) {
        ev_timer_stop (job->ed->loop, &job->test_timer);
        if (job->live > 0) {
            job->status = sig;
            job->live = 0;
            job_check_done (job); /* may free the job */
        }
        return;
    }
    if (job->J_rpc) {
        imp_job_abort (job, sig); /* may free the job */
        return;
    }
    /* The IMP turns SIGUSR1 into SIGKILL of the job's processes: SIGKILL would kill only
     * the IMP, and leave them.  A signal the IMP does not forward would stop or kill the
     * IMP alone (the job then outlives every cancel and drains the rank): it is not sent. */
    if (job->imp && (sig = imp_signal (sig)) == 0)
        return;
    for (int i = 0; job->tasks && i < job->ntasks; i++) {
        struct task *t = &job->tasks[i];
        if (t->pid > 0 && !t->done && kill (-t->pid, sig) < 0 && errno == ESRCH && !t->exited)
            kill (t->pid, sig); /* not yet in its own group (just forked) */
    }
}

static void drain_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct execd *ed = arg;
    const char *errstr;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        errstr = fx_msg_errstr (rsp);
        fx_log (ed->peer, LOG_ERR, "cannot drain rank %u: %s", ed->rank,
                errstr ? errstr : strerror ((int) fx_msg_errnum (rsp)));
    }
}

static void drain_self (struct job *job)
{
    struct execd *ed = job->ed;
    char targets[16], reason[128];
    json_t *o;

    snprintf (targets, sizeof (targets), "%u", ed->rank);
    snprintf (reason, sizeof (reason), "unkillable processes for job %s", job->f58);
    fx_log (ed->peer, LOG_ERR, "%s: processes survived %d kill signals: draining rank %u", job->f58,
            job->kill_count, ed->rank);
    if (!(o = json_pack ("{s:s s:s s:s}", "targets", targets, "reason", reason, "mode", "update"))
        || !fx_rpc_start (ed->peer, "resource.drain", 0, 0, o, FX_RPC_TIMEOUT, drain_cb, ed))
        fx_log (ed->peer, LOG_ERR, "cannot drain rank %u: %s", ed->rank, strerror (errno));
    json_decref (o);
    job->drained = 1;
}

static void kill_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct job *job = w->data;

    (void) revents;
    if (job->live == 0) {
        ev_timer_stop (loop, w);
        return;
    }
    if (job->kill_count < job->ed->conf.max_kill_count) {
        job->kill_count++;
        kill_send (job, job->ed->conf.kill_signal);
        return;
    }
    ev_timer_stop (loop, w);
    if (!job->drained)
        drain_self (job);
}

void kill_escalate (struct job *job, int sig)
{
    double timeout = job->ed->conf.kill_timeout;

    if (job->test_mode || job->ended || job->J_rpc) {
        kill_send (job, sig); /* may free the job */
        return;
    }
    kill_send (job, sig);
    if (job->killing)
        return;
    job->killing = 1;
    ev_timer_init (&job->kill_timer, kill_timer_cb, timeout, timeout);
    job->kill_timer.data = job;
    ev_timer_start (job->ed->loop, &job->kill_timer);
}

static void expire_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct job *job = w->data;

    (void) loop;
    (void) revents;
    job_exception (job, 0, "timeout", "resource allocation expired");
    kill_escalate (job, job->ed->conf.term_signal);
}

void kill_expiration_start (struct job *job)
{
    double delay;

    if (job->expiration <= 0)
        return;
    delay = job->expiration - ev_now (job->ed->loop);
    ev_timer_init (&job->expire_timer, expire_cb, delay > 0 ? delay : 0., 0.);
    job->expire_timer.data = job;
    ev_timer_start (job->ed->loop, &job->expire_timer);
}

void kill_stop (struct job *job)
{
    ev_timer_stop (job->ed->loop, &job->kill_timer);
    ev_timer_stop (job->ed->loop, &job->expire_timer);
}
