/* execstart.c - send execd.start to some ranks as jobd would, for tests of flux-execd.
 *
 *   execstart [OPTIONS] RANKS [COMMAND [ARGS...]]   (needs FLUX_URI)
 *
 * Builds a jobspec (fx_jobspec_build, this process's environment included) and an R that
 * gives each rank of --alloc (default RANKS) the cores of --cores, sends execd.start to
 * each rank of RANKS and prints every response payload as one JSON line, or "error: TEXT"
 * for an error other than the normal end (ENODATA).  Exits when every stream has ended: 0,
 * or 1 when one ended with an error, 2 on a usage error or after --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "services/fluid.h"
#include "services/idset.h"
#include "services/jobspec.h"
#include "services/peer.h"

extern char **environ;

struct ctx {
    struct fx_peer *peer;
    json_int_t id;
    int open, started, nranks, failed;
    int kill_signal;
    struct fx_idset *ranks;
};

static const char usage[] =
    "Usage: execstart [OPTIONS] RANKS [COMMAND [ARGS...]]\n"
    "  -i, --id=ID             job id (default: a new one)\n"
    "  -n, --ntasks=N  -c, --cores-per-task=N  -g, --gpus-per-task=N  -N, --nodes=N\n"
    "  -R, --alloc=IDSET       ranks of R (default RANKS)\n"
    "  -C, --cores=IDSET       cores of each rank in R (default 0)\n"
    "  -G, --gpus=IDSET        GPUs of each rank in R\n"
    "  -e, --expiration=SECS   R expires SECS from now\n"
    "  -t, --test=SECS         test mode: run_duration SECS\n"
    "  -d, --cwd=DIR  -o, --output=PATH  -E, --error=PATH\n"
    "  -u, --userid=UID        (default: ours)\n"
    "  -a, --reattach\n"
    "  -k, --kill=SIGNAL       send execd.kill SIGNAL once every rank has started\n"
    "  -K, --kill-only=SIGNAL  only send execd.kill SIGNAL for --id to RANKS\n"
    "  -P, --payload=JSON      send this payload instead\n"
    "  -T, --timeout=SECS      give up after SECS (default 60)\n";

static const struct option longopts[] = {
    {"id", required_argument, NULL, 'i'},
    {"ntasks", required_argument, NULL, 'n'},
    {"cores-per-task", required_argument, NULL, 'c'},
    {"gpus-per-task", required_argument, NULL, 'g'},
    {"nodes", required_argument, NULL, 'N'},
    {"alloc", required_argument, NULL, 'R'},
    {"cores", required_argument, NULL, 'C'},
    {"gpus", required_argument, NULL, 'G'},
    {"expiration", required_argument, NULL, 'e'},
    {"test", required_argument, NULL, 't'},
    {"cwd", required_argument, NULL, 'd'},
    {"output", required_argument, NULL, 'o'},
    {"error", required_argument, NULL, 'E'},
    {"userid", required_argument, NULL, 'u'},
    {"reattach", no_argument, NULL, 'a'},
    {"kill", required_argument, NULL, 'k'},
    {"kill-only", required_argument, NULL, 'K'},
    {"payload", required_argument, NULL, 'P'},
    {"timeout", required_argument, NULL, 'T'},
    {NULL, 0, NULL, 0},
};

static void die (const char *msg)
{
    fprintf (stderr, "execstart: %s\n", msg);
    exit (2);
}

static void send_kill (struct ctx *c, int sig)
{
    json_t *o = json_pack ("{s:I s:i}", "id", c->id, "signal", sig);

    for (unsigned r = fx_idset_first (c->ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (c->ranks, r))
        fx_rpc_start (c->peer, "execd.kill", r, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
    json_decref (o);
}

static void response_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct ctx *c = arg;
    const char *type = NULL;
    json_t *o;
    char *s;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        if (fx_msg_errnum (rsp) != ENODATA) {
            printf ("error: %s\n", fx_msg_errstr (rsp) ? fx_msg_errstr (rsp)
                                                       : strerror ((int) fx_msg_errnum (rsp)));
            c->failed = 1;
        }
        if (--c->open == 0)
            ev_break (fx_peer_loop (c->peer), EVBREAK_ALL);
        fflush (stdout);
        return;
    }
    if ((o = fx_msg_json (rsp, NULL)) && (s = json_dumps (o, JSON_COMPACT))) {
        puts (s);
        free (s);
    }
    fflush (stdout);
    json_unpack (o, "{s?s}", "type", &type);
    /* a rank with no task of the job answers finish at once (and a reattach may too) */
    if (type && (!strcmp (type, "start") || !strcmp (type, "finish")) && ++c->started == c->nranks
        && c->kill_signal)
        send_kill (c, c->kill_signal);
}

static json_t *environment (void)
{
    json_t *env = json_object ();

    for (char **e = environ; env && *e; e++) {
        char *eq = strchr (*e, '=');
        if (eq) {
            char *k = strndup (*e, (size_t) (eq - *e));
            json_object_set_new (env, k, json_string (eq + 1));
            free (k);
        }
    }
    return env;
}

static json_t *make_R (const char *alloc, const char *cores, const char *gpus, double expiration)
{
    json_t *children = json_pack ("{s:s}", "core", cores);

    if (gpus)
        json_object_set_new (children, "gpu", json_string (gpus));
    return json_pack ("{s:i s:{s:[{s:s s:o}] s:f s:f}}", "version", 1, "execution", "R_lite",
                      "rank", alloc, "children", children, "starttime", (double) time (NULL),
                      "expiration", expiration > 0 ? time (NULL) + expiration : 0.);
}

static void timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) w;
    (void) revents;
    die ("timed out");
}

int main (int argc, char **argv)
{
    struct fx_jobspec_opts opts = {.test_run_duration = -1};
    const char *alloc = NULL, *cores = "0", *gpus = NULL, *payload = NULL;
    double expiration = 0, timeout = 60;
    int reattach = 0, kill_only = 0, uid = (int) getuid (), ch;
    struct ctx c = {.id = -1};
    struct fx_error err = {""};
    json_t *jobspec = NULL, *o;
    ev_timer tw;

    while ((ch = getopt_long (argc, argv, "+i:n:c:g:N:R:C:G:e:t:d:o:E:u:ak:K:P:T:", longopts, NULL))
           != -1) {
        switch (ch) {
        case 'i':
            c.id = strtoll (optarg, NULL, 10);
            break;
        case 'n':
            opts.ntasks = atoi (optarg);
            break;
        case 'c':
            opts.cores_per_task = atoi (optarg);
            break;
        case 'g':
            opts.gpus_per_task = atoi (optarg);
            break;
        case 'N':
            opts.nnodes = atoi (optarg);
            break;
        case 'R':
            alloc = optarg;
            break;
        case 'C':
            cores = optarg;
            break;
        case 'G':
            gpus = optarg;
            break;
        case 'e':
            expiration = atof (optarg);
            break;
        case 't':
            opts.test_run_duration = atof (optarg);
            break;
        case 'd':
            opts.cwd = optarg;
            break;
        case 'o':
            opts.output_path = optarg;
            break;
        case 'E':
            opts.error_path = optarg;
            break;
        case 'u':
            uid = atoi (optarg);
            break;
        case 'a':
            reattach = 1;
            break;
        case 'k':
            c.kill_signal = atoi (optarg);
            break;
        case 'K':
            c.kill_signal = atoi (optarg);
            kill_only = 1;
            break;
        case 'P':
            payload = optarg;
            break;
        case 'T':
            timeout = atof (optarg);
            break;
        default:
            fputs (usage, stderr);
            return 2;
        }
    }
    if (optind >= argc || !(c.ranks = fx_idset_decode (argv[optind], &err)))
        die ("RANKS: expected an idset");
    c.nranks = (int) fx_idset_count (c.ranks);
    if (!alloc)
        alloc = argv[optind];
    opts.argc = argc - optind - 1;
    opts.argv = argv + optind + 1;
    if (c.id < 0) {
        struct fx_fluid_gen gen;
        uint64_t id;
        fx_fluid_init (&gen, (uint32_t) getpid () & FX_FLUID_ID_MAX,
                       (uint64_t) time (NULL) % 1000000000 * 1000);
        fx_fluid_generate (&gen, &id);
        c.id = (json_int_t) id;
    }
    if (!(c.peer = fx_peer_create (EV_DEFAULT, NULL, "execstart", &err)))
        die (err.text);
    if (kill_only) {
        send_kill (&c, c.kill_signal);
        fx_peer_destroy (c.peer); /* says goodbye: the kill has arrived */
        fx_idset_destroy (c.ranks);
        return 0;
    }
    if (payload) {
        if (!(o = json_loads (payload, 0, NULL)))
            die ("--payload: not JSON");
    } else {
        if (opts.argc > 0 || opts.test_run_duration >= 0) {
            if (opts.argc == 0) {
                static char *sleep_argv[] = {"sleep", "inf", NULL};
                opts.argc = 2;
                opts.argv = sleep_argv;
            }
            opts.environment = environment ();
            if (!(jobspec = fx_jobspec_build (&opts, &err)))
                die (err.text);
            json_decref (opts.environment);
        } else
            jobspec = json_object (); /* a reattach needs none */
        o = json_pack ("{s:I s:i s:o s:o s:b}", "id", c.id, "userid", uid, "jobspec", jobspec, "R",
                       make_R (alloc, cores, gpus, expiration), "reattach", reattach);
    }
    for (unsigned r = fx_idset_first (c.ranks); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (c.ranks, r)) {
        if (fx_rpc_start (c.peer, "execd.start", r, FX_MSGFLAG_STREAMING, o, 0, response_cb, &c))
            c.open++;
    }
    json_decref (o);
    ev_timer_init (&tw, timeout_cb, timeout, 0.);
    ev_timer_start (EV_DEFAULT, &tw);
    if (c.open > 0)
        ev_run (EV_DEFAULT, 0);
    fx_peer_destroy (c.peer);
    fx_idset_destroy (c.ranks);
    return c.failed ? 1 : 0;
}
