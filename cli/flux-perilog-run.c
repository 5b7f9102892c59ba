/* flux-perilog-run.c - `flux perilog-run prolog|epilog [-v] [-e CMD,ARG,...] [-d DIR]
 * [-t TIMEOUT]`: what perilog.so runs on rank 0 as the instance owner (doc/perilog.md).
 *
 * With -e, CMD runs on every rank of the job (FLUX_JOB_RANKS) at once through execd.run
 * (doc/exec.md, contract C3), with FLUX_JOB_ID, FLUX_JOB_USERID and FLUX_JOB_RANKS and the
 * timeout -t.  Then every executable file of DIR (default /etc/flux/system/prolog.d or
 * epilog.d; a missing DIR is fine) runs on rank 0, one after the other in name order, the
 * same way.  Each failing rank is drained (resource.drain, mode "keep": a rank already
 * drained keeps its first reason) with a reason naming the command, the host, the rank and
 * the status or the timeout; then one line per failure is printed and the exit status is
 * 1.  A script of DIR that fails drains rank 0 only when rank 0 is one of the job's ranks.
 * Host names come from the job's R (job-list.info), asked once and only when needed.
 *
 * Failure policy: usage errors exit 2; a missing FLUX_JOB_* variable or an unreachable
 * instance exits 1 and drains nothing; SIGTERM, SIGINT or SIGHUP (perilog.so ending a
 * prolog of a canceled job) stops at once, drains nothing and exits 128 + the signal.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/fluid.h"
#include "services/fsd.h"
#include "services/idset.h"
#include "services/peer.h"
#include "services/rlist.h"

#define KILL_TIMEOUT 10.0 /* execd.run's default */
#define RPC_SLACK    30.0 /* seconds an answer may take beyond the command's own limits */

static const char usage_text[] =
    "Usage: flux perilog-run prolog|epilog [-v] [-e CMD,ARG,...] [-d DIR] [-t TIMEOUT]\n"
    "  run a job's prolog or epilog (perilog.so runs it with FLUX_JOB_ID, FLUX_JOB_USERID\n"
    "  and FLUX_JOB_RANKS set); failing ranks are drained\n"
    "  -e, --exec-per-rank=CMD,ARG,...  run CMD on every rank of the job\n"
    "  -d, --exec-directory=DIR         run the executables in DIR on rank 0 (default\n"
    "                                   " FX_SYSCONFDIR "/flux/system/{prolog,epilog}.d)\n"
    "  -t, --timeout=FSD                kill each command after this long\n"
    "  -v, --verbose                    print what runs and its output\n";

struct failure {
    unsigned int rank;
    int drain;
    char *reason;
};

struct prun {
    const char *which; /* "prolog" or "epilog" */
    int verbose;
    json_t *eargv; /* -e as an array of strings, NULL without */
    char *ecmd;    /* -e as words, for messages */
    char dir[4096];
    double timeout;
    char ttext[FX_FSD_STRLEN];
    json_t *env; /* what execd.run gives the commands */
    uint64_t id;
    struct fx_idset *ranks;
    struct fx_rlist *R; /* host names, asked once (has_R) */
    int has_R;
    struct ev_loop *loop;
    struct fx_peer *peer;
    size_t pending;
    struct failure *fails;
    size_t nfails;
    int signo;
};

/* One execd.run request. */
struct task {
    struct prun *pr;
    unsigned int rank;
    const char *cmd;
    int drain; /* a failure drains the rank */
    int answered, status, timedout;
    char *error;  /* the error answer, or NULL */
    char *output; /* the command's output */
};

static void die (int status, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));
static void die (int status, const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "flux-perilog-run: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    exit (status);
}

static void *oom (void *p)
{
    if (!p)
        die (1, "out of memory");
    return p;
}

/* "CMD,ARG,..." into pr->eargv and pr->ecmd. */
static void parse_exec (struct prun *pr, const char *arg)
{
    char *copy = oom (strdup (arg)), *save = NULL, *w;
    size_t len = strlen (arg) + 1;

    pr->eargv = oom (json_array ());
    pr->ecmd = oom (calloc (1, len));
    for (w = strtok_r (copy, ",", &save); w; w = strtok_r (NULL, ",", &save)) {
        if (json_array_append_new (pr->eargv, oom (json_string (w))) < 0)
            die (1, "-e: arguments must be valid UTF-8");
        if (pr->ecmd[0])
            strcat (pr->ecmd, " ");
        strcat (pr->ecmd, w);
    }
    free (copy);
    if (json_array_size (pr->eargv) == 0)
        die (2, "-e: no command");
}

static void parse_args (struct prun *pr, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"exec-per-rank", required_argument, NULL, 'e'},
        {"exec-directory", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    const char *dir = NULL;
    int c;

    while ((c = getopt_long (argc, argv, "e:d:t:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            parse_exec (pr, optarg);
            break;
        case 'd':
            dir = optarg;
            break;
        case 't':
            if (fx_fsd_parse (optarg, &pr->timeout, &err) < 0)
                die (2, "-t: %s", err.text);
            fx_fsd_format (pr->ttext, sizeof (pr->ttext), pr->timeout);
            break;
        case 'v':
            pr->verbose = 1;
            break;
        case 'h':
            fputs (usage_text, stdout);
            exit (0);
        default:
            fputs (usage_text, stderr);
            exit (2);
        }
    }
    if (argc - optind != 1
        || (strcmp (argv[optind], "prolog") && strcmp (argv[optind], "epilog"))) {
        fputs (usage_text, stderr);
        exit (2);
    }
    pr->which = argv[optind];
    if (dir)
        snprintf (pr->dir, sizeof (pr->dir), "%s", dir);
    else
        snprintf (pr->dir, sizeof (pr->dir), "%s/flux/system/%s.d", FX_SYSCONFDIR, pr->which);
}

static const char *need_env (const char *name)
{
    const char *v = getenv (name);

    if (!v || !*v)
        die (1, "%s is not set (perilog.so sets it)", name);
    return v;
}

static void read_env (struct prun *pr)
{
    const char *id = need_env ("FLUX_JOB_ID"), *userid = need_env ("FLUX_JOB_USERID");
    const char *ranks = need_env ("FLUX_JOB_RANKS");
    struct fx_error err = {""};

    if (fx_fluid_decode (id, &pr->id, NULL, NULL) < 0)
        die (1, "FLUX_JOB_ID: not a job id: %s", id);
    if (!(pr->ranks = fx_idset_decode (ranks, &err)))
        die (1, "FLUX_JOB_RANKS: %s", err.text);
    pr->env = oom (json_pack ("{s:s s:s s:s}", "FLUX_JOB_ID", id, "FLUX_JOB_USERID", userid,
                              "FLUX_JOB_RANKS", ranks));
}

/* "fluke2 (rank 2)", or "rank 2" when R names no host.  The job's R is asked once. */
static void where (struct prun *pr, unsigned int rank, char *buf, size_t len)
{
    struct fx_rlist_node node;

    if (!pr->has_R) {
        json_t *in = oom (json_pack ("{s:I}", "id", (json_int_t) pr->id)), *out = NULL;
        pr->has_R = 1;
        if (fx_rpc_call (pr->peer, "job-list.info", 0, in, FX_RPC_TIMEOUT, &out, NULL) == 0)
            pr->R = fx_rlist_decode (json_object_get (out, "R"), NULL);
        json_decref (in);
        json_decref (out);
    }
    if (pr->R && fx_rlist_find_rank (pr->R, rank, &node) == 0 && node.host)
        snprintf (buf, len, "%s (rank %u)", node.host, rank);
    else
        snprintf (buf, len, "rank %u", rank);
}

/* The last non-empty line of output (borrowed into buf). */
static const char *last_line (const char *output, char *buf, size_t len)
{
    size_t end = strlen (output), start;

    while (end > 0 && (output[end - 1] == '\n' || output[end - 1] == '\r'))
        end--;
    start = end;
    while (start > 0 && output[start - 1] != '\n')
        start--;
    snprintf (buf, len, "%.*s", (int) (end - start), output + start);
    return buf;
}

static void add_failure (struct prun *pr, const struct task *t, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* A failing `flux-imp run NAME` names the script it ran on its last line ("flux-imp: run NAME:
 * PATH exited 3", doc/imp.md): the script's path goes into script and the line is cut from
 * output, so that a drain reason names the script and quotes the script's own last line. */
static void imp_report (char *output, char *script, size_t len)
{
    size_t end = strlen (output), start;
    const char *path, *stop;

    while (end > 0 && (output[end - 1] == '\n' || output[end - 1] == '\r'))
        end--;
    start = end;
    while (start > 0 && output[start - 1] != '\n')
        start--;
    if (strncmp (output + start, "flux-imp: run ", 14) != 0
        || !(path = strstr (output + start + 14, ": ")))
        return;
    path += 2;
    if (!(stop = strstr (path, " exited ")) && !(stop = strstr (path, " killed by signal ")))
        return;
    snprintf (script, len, "%.*s", (int) (stop - path), path);
    output[start] = '\0';
}

static void add_failure (struct prun *pr, const struct task *t, const char *fmt, ...)
{
    struct failure *f;
    va_list ap;

    pr->fails = oom (realloc (pr->fails, (pr->nfails + 1) * sizeof (*pr->fails)));
    f = &pr->fails[pr->nfails++];
    f->rank = t->rank;
    f->drain = t->drain;
    va_start (ap, fmt);
    if (vasprintf (&f->reason, fmt, ap) < 0)
        die (1, "out of memory");
    va_end (ap);
}

static void verbose_output (struct prun *pr, const char *host, const char *output)
{
    const char *p = output, *nl;

    for (; *p; p = nl ? nl + 1 : p + strlen (p)) {
        nl = strchr (p, '\n');
        fprintf (stderr, "%s: %s: %.*s\n", pr->which, host, nl ? (int) (nl - p) : (int) strlen (p),
                 p);
    }
}

/* Keep an execd.run answer ({"status","timedout","output"} or an error): it is judged
 * once every answer is in (judging may ask jobd for R, not done from a callback). */
static void run_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct task *t = arg;
    const char *output = "";
    json_t *o;

    (void) rpc;
    t->pr->pending--;
    t->answered = 1;
    if (fx_msg_errnum (rsp) != 0)
        t->error = oom (strdup (fx_msg_errstr (rsp)));
    else if (!(o = fx_msg_json (rsp, NULL))
             || json_unpack (o, "{s:i s:b s:s}", "status", &t->status, "timedout", &t->timedout,
                             "output", &output)
                    < 0)
        t->error = oom (strdup ("malformed answer from execd"));
    t->output = oom (strdup (output));
}

static void judge (struct task *t)
{
    struct prun *pr = t->pr;
    char host[300], line[512], how[64], script[1024] = "";
    const char *cmd = t->cmd;

    if (!t->answered)
        return;
    where (pr, t->rank, host, sizeof (host));
    if (pr->verbose && !t->error)
        verbose_output (pr, host, t->output);
    if (!t->error) {
        imp_report (t->output, script, sizeof (script));
        if (script[0])
            cmd = script;
    }
    if (t->error)
        add_failure (pr, t, "%s: %s could not run on %s: %s", pr->which, cmd, host, t->error);
    else if (t->timedout)
        add_failure (pr, t, "%s: %s on %s timed out after %s, killed", pr->which, cmd, host,
                     pr->ttext);
    else if (t->status != 0) {
        if (WIFEXITED (t->status))
            snprintf (how, sizeof (how), "exit %d", WEXITSTATUS (t->status));
        else
            snprintf (how, sizeof (how), "killed by signal %d", WTERMSIG (t->status));
        last_line (t->output, line, sizeof (line));
        add_failure (pr, t, "%s: %s failed on %s, %s%s%s", pr->which, cmd, host, how,
                     line[0] ? ": " : "", line);
    }
    free (t->error);
    free (t->output);
    t->error = t->output = NULL;
}

static void start_task (struct prun *pr, struct task *t, json_t *argv)
{
    double limit = pr->timeout > 0 ? pr->timeout + KILL_TIMEOUT + RPC_SLACK : 0;
    json_t *in = oom (json_pack ("{s:O s:O}", "argv", argv, "env", pr->env));

    if (pr->timeout > 0 && json_object_set_new (in, "timeout", json_real (pr->timeout)) < 0)
        die (1, "out of memory");
    if (pr->verbose)
        fprintf (stderr, "%s: running %s on rank %u\n", pr->which, t->cmd, t->rank);
    if (!fx_rpc_start (pr->peer, "execd.run", t->rank, 0, in, limit, run_cb, t))
        die (1, "execd.run: %s", strerror (errno));
    pr->pending++;
    json_decref (in);
}

static void wait_all (struct prun *pr)
{
    while (pr->pending > 0 && !pr->signo)
        ev_run (pr->loop, EVRUN_ONCE);
}

/* -e: CMD on every rank of the job at once. */
static void run_per_rank (struct prun *pr)
{
    size_t n = fx_idset_count (pr->ranks), i = 0;
    struct task *tasks = oom (calloc (n + 1, sizeof (*tasks)));

    for (unsigned int r = fx_idset_first (pr->ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (pr->ranks, r), i++) {
        tasks[i] = (struct task){.pr = pr, .rank = r, .cmd = pr->ecmd, .drain = 1};
        start_task (pr, &tasks[i], pr->eargv);
    }
    wait_all (pr);
    for (i = 0; i < n && !pr->signo; i++)
        judge (&tasks[i]);
    free (tasks);
}

static int name_cmp (const struct dirent **a, const struct dirent **b)
{
    return strcmp ((*a)->d_name, (*b)->d_name);
}

/* DIR: each executable regular file on rank 0, in name order. */
static void run_directory (struct prun *pr)
{
    struct dirent **names;
    int n = scandir (pr->dir, &names, NULL, name_cmp);

    if (n < 0) {
        if (errno == ENOENT)
            return;
        die (1, "%s: %s", pr->dir, strerror (errno));
    }
    for (int i = 0; i < n; i++) {
        char path[8192];
        struct stat st;
        snprintf (path, sizeof (path), "%s/%s", pr->dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && !pr->signo && stat (path, &st) == 0
            && S_ISREG (st.st_mode) && access (path, X_OK) == 0) {
            struct task t = {
                .pr = pr, .rank = 0, .cmd = path, .drain = fx_idset_test (pr->ranks, 0)};
            json_t *argv = oom (json_pack ("[s]", path));
            start_task (pr, &t, argv);
            wait_all (pr);
            if (!pr->signo)
                judge (&t);
            json_decref (argv);
        }
        free (names[i]);
    }
    free (names);
}

static void drain_failures (struct prun *pr)
{
    for (size_t i = 0; i < pr->nfails; i++) {
        struct failure *f = &pr->fails[i];
        struct fx_error err = {""};
        char target[16];
        json_t *in;
        if (!f->drain)
            continue;
        snprintf (target, sizeof (target), "%u", f->rank);
        in = oom (
            json_pack ("{s:s s:s s:s}", "targets", target, "reason", f->reason, "mode", "keep"));
        if (fx_rpc_call (pr->peer, "resource.drain", 0, in, FX_RPC_TIMEOUT, NULL, &err) < 0)
            fprintf (stderr, "flux-perilog-run: cannot drain rank %u: %s\n", f->rank, err.text);
        json_decref (in);
    }
}

static void prun_free (struct prun *pr)
{
    for (size_t i = 0; i < pr->nfails; i++)
        free (pr->fails[i].reason);
    free (pr->fails);
    fx_rlist_destroy (pr->R);
    fx_idset_destroy (pr->ranks);
    json_decref (pr->env);
    json_decref (pr->eargv);
    free (pr->ecmd);
}

static void signal_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    struct prun *pr = w->data;

    (void) revents;
    pr->signo = w->signum;
    ev_break (loop, EVBREAK_ALL);
}

int main (int argc, char **argv)
{
    struct prun pr = {.loop = EV_DEFAULT};
    struct fx_error err = {""};
    ev_signal sig_w[3];
    const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};

    parse_args (&pr, argc, argv);
    read_env (&pr);
    for (int i = 0; i < 3; i++) {
        ev_signal_init (&sig_w[i], signal_cb, sigs[i]);
        sig_w[i].data = &pr;
        ev_signal_start (pr.loop, &sig_w[i]);
    }
    if (!(pr.peer = fx_peer_create (pr.loop, NULL, "flux-perilog-run", &err)))
        die (1, "%s", err.text);
    if (pr.eargv)
        run_per_rank (&pr);
    if (!pr.signo)
        run_directory (&pr);
    if (pr.signo) /* ended (a canceled job's prolog): no verdict, no drain */
        die (128 + pr.signo, "%s: interrupted by signal %d", pr.which, pr.signo);
    drain_failures (&pr);
    for (size_t i = 0; i < pr.nfails; i++)
        fprintf (stderr, "flux-perilog-run: %s\n", pr.fails[i].reason);
    fx_peer_destroy (pr.peer);
    prun_free (&pr);
    return pr.nfails ? 1 : 0;
}
