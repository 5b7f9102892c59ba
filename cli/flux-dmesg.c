/* flux-dmesg.c - print (and optionally clear or follow) the rank's log ring buffer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/log.h"
#include "services/peer.h"

static const char usage_text[] =
    "Usage: flux dmesg [OPTIONS]\n"
    "  -C, --clear        clear the buffer, print nothing\n"
    "  -c, --read-clear   print the buffer, then clear it\n"
    "  -f, --follow       keep printing new entries until interrupted\n"
    "  -n, --new          with -f, skip the entries already in the buffer\n";

static const struct option longopts[] = {
    {"clear", no_argument, NULL, 'C'},  {"read-clear", no_argument, NULL, 'c'},
    {"follow", no_argument, NULL, 'f'}, {"new", no_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
};

struct dmesg {
    int done;
    int errnum;
    struct fx_error err;
};

static void print_entry (json_t *o)
{
    const char *name = "?", *message = "";
    int level = 0, rank = 0;
    double t = 0;
    char ts[64];

    if (json_unpack (o, "{s:F s:s s:i s:i s:s}", "timestamp", &t, "name", &name, "level",
                     &level, "rank", &rank, "message", &message)
        < 0)
        return;
    fx_log_timestamp (ts, sizeof (ts), t);
    printf ("%s %s.%s[%d]: %s\n", ts, name, fx_log_level_name (level), rank, message);
}

static void dmesg_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct dmesg *d = arg;
    json_t *o;

    (void) rpc;
    if (fx_msg_errnum (rsp)) {
        const char *why = fx_msg_errstr (rsp);
        d->done = 1;
        if (fx_msg_errnum (rsp) != ENODATA) {
            d->errnum = fx_msg_errnum (rsp);
            errprintf (&d->err, "%s", why ? why : strerror (d->errnum));
        }
        return;
    }
    if ((o = fx_msg_json (rsp, NULL)))
        print_entry (o);
    fflush (stdout);
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct dmesg d = {0};
    int clear = 0, read_clear = 0, follow = 0, new = 0, c;
    struct fx_peer *p;
    json_t *in;

    while ((c = getopt_long (argc, argv, "Ccfnh", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': clear = 1; break;
        case 'c': read_clear = 1; break;
        case 'f': follow = 1; break;
        case 'n': new = 1; break;
        case 'h': fputs (usage_text, stdout); return 0;
        default: fputs (usage_text, stderr); return 2;
        }
    }
    if (optind != argc || (clear && (read_clear || follow))) {
        fputs (usage_text, stderr);
        return 2;
    }
    if (!(p = fx_peer_create (loop, NULL, "flux-dmesg", &err))) {
        fprintf (stderr, "flux-dmesg: %s\n", err.text);
        return 1;
    }
    if (!clear) {
        in = json_pack ("{s:b s:b}", "follow", follow, "nobacklog", new);
        if (!fx_rpc_start (p, "log.dmesg", FX_NODEID_ANY, FX_MSGFLAG_STREAMING, in,
                           FX_RPC_TIMEOUT, dmesg_cb, &d)) {
            d.done = 1;
            d.errnum = errno;
            errprintf (&d.err, "%s", strerror (errno));
        }
        json_decref (in);
        while (!d.done)
            ev_run (loop, EVRUN_ONCE);
    }
    if (!d.errnum && (clear || read_clear)
        && fx_rpc_call (p, "log.clear", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, NULL, &d.err) < 0)
        d.errnum = errno;
    fx_peer_destroy (p);
    if (d.errnum) {
        fprintf (stderr, "flux-dmesg: %s\n", d.err.text);
        return 1;
    }
    return 0;
}
