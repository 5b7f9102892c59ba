/* flux-ping.c - measure round trips to a service or a rank.
 *
 * TARGET is a service name (`kvs` pings kvs.ping), `RANK!SERVICE`, or a bare rank or
 * `broker` (the router's broker.ping).  Each line shows the route the request took and the
 * round-trip time, as in the original.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/log.h"
#include "services/peer.h"

static const char usage_text[] =
    "Usage: flux ping [OPTIONS] TARGET\n"
    "  -r, --rank=RANK      send to RANK (or any, upstream)\n"
    "  -p, --pad=N          add N bytes of padding to each request\n"
    "  -i, --interval=SEC   seconds between requests (default 1.0)\n"
    "  -c, --count=N        stop after N requests (default: until interrupted)\n"
    "  -t, --timeout=SEC    give up on an answer after SEC (default 5)\n"
    "  -u, --userid         also print the userid and roles the target saw\n"
    "TARGET: SERVICE, RANK!SERVICE, RANK, or broker\n";

static const struct option longopts[] = {
    {"rank", required_argument, NULL, 'r'},     {"pad", required_argument, NULL, 'p'},
    {"interval", required_argument, NULL, 'i'}, {"count", required_argument, NULL, 'c'},
    {"timeout", required_argument, NULL, 't'},  {"userid", no_argument, NULL, 'u'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct ping {
    char topic[FX_MSG_TOPIC_MAX + 1];
    uint32_t nodeid;
    int pad;
    double interval, timeout;
    long count;
    int userid;
};

static void die_usage (void)
{
    fputs (usage_text, stderr);
    exit (2);
}

static uint32_t parse_rank (const char *s)
{
    char *end;
    unsigned long v;

    if (!strcmp (s, "any"))
        return FX_NODEID_ANY;
    if (!strcmp (s, "upstream"))
        return FX_NODEID_UPSTREAM;
    v = strtoul (s, &end, 10);
    if (!*s || *end || v >= FX_NODEID_UPSTREAM) {
        fprintf (stderr, "flux-ping: invalid rank '%s'\n", s);
        exit (2);
    }
    return v;
}

static int all_digits (const char *s)
{
    return *s && strspn (s, "0123456789") == strlen (s);
}

/* TARGET -> topic and nodeid. */
static void parse_target (const char *target, struct ping *pg)
{
    const char *bang = strchr (target, '!');
    const char *service = target;

    if (bang) {
        char rank[32];
        snprintf (rank, sizeof (rank), "%.*s", (int) (bang - target), target);
        pg->nodeid = parse_rank (rank);
        service = bang + 1;
    }
    else if (all_digits (target)) {
        pg->nodeid = parse_rank (target);
        service = "broker";
    }
    if (snprintf (pg->topic, sizeof (pg->topic), "%s.ping", service) >= (int) sizeof (pg->topic)
        || !fx_msg_topic_valid (pg->topic) || strchr (service, '.')) {
        fprintf (stderr, "flux-ping: invalid target '%s'\n", target);
        exit (2);
    }
}

static void parse_args (int argc, char **argv, struct ping *pg)
{
    int c;
    char *end;

    pg->nodeid = FX_NODEID_ANY;
    pg->interval = 1.0;
    pg->timeout = FX_RPC_TIMEOUT;
    pg->count = -1;
    while ((c = getopt_long (argc, argv, "r:p:i:c:t:uh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': pg->nodeid = parse_rank (optarg); break;
        case 'p': pg->pad = strtol (optarg, &end, 10); if (*end || pg->pad < 0) die_usage (); break;
        case 'i': pg->interval = strtod (optarg, &end); if (*end || pg->interval < 0) die_usage (); break;
        case 'c': pg->count = strtol (optarg, &end, 10); if (*end || pg->count < 1) die_usage (); break;
        case 't': pg->timeout = strtod (optarg, &end); if (*end || pg->timeout <= 0) die_usage (); break;
        case 'u': pg->userid = 1; break;
        case 'h': fputs (usage_text, stdout); exit (0);
        default: die_usage ();
        }
    }
    if (optind != argc - 1)
        die_usage ();
    parse_target (argv[optind], pg);
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct ping pg = {0};
    struct fx_peer *p;
    char *pad;
    int rc = 0;

    parse_args (argc, argv, &pg);
    if (!(pad = calloc (1, pg.pad + 1)))
        return 1;
    memset (pad, 'p', pg.pad);
    if (!(p = fx_peer_create (loop, NULL, "flux-ping", &err))) {
        fprintf (stderr, "flux-ping: %s\n", err.text);
        free (pad);
        return 1;
    }
    for (long seq = 0; pg.count < 0 || seq < pg.count; seq++) {
        json_t *in = json_pack ("{s:i s:s}", "seq", seq, "pad", pad), *out = NULL;
        double t0 = fx_log_now (), ms;
        const char *route = NULL;

        if (fx_rpc_call (p, pg.topic, pg.nodeid, in, pg.timeout, &out, &err) < 0) {
            fprintf (stderr, "flux-ping: %s\n", err.text);
            json_decref (in);
            rc = 1;
            break;
        }
        ms = (fx_log_now () - t0) * 1000;
        json_unpack (out, "{s?s}", "route", &route);
        printf ("%s pad=%d seq=%ld time=%.3f ms (%s)", pg.topic, pg.pad, seq, ms,
                route ? route : "-");
        if (pg.userid) {
            json_int_t uid = -1, roles = 0;
            json_unpack (out, "{s?I s?I}", "userid", &uid, "rolemask", &roles);
            printf (" userid=%lld rolemask=0x%llx", (long long) uid, (long long) roles);
        }
        printf ("\n");
        fflush (stdout);
        json_decref (in);
        json_decref (out);
        if ((pg.count < 0 || seq + 1 < pg.count) && pg.interval > 0)
            fx_loop_sleep (loop, pg.interval);
    }
    fx_peer_destroy (p);
    free (pad);
    return rc;
}
