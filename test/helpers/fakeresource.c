/* fakeresource.c - a stand-in for rank 0's resource service, for tests of flux resource.
 *
 *   fakeresource SERVICE STATUS-FILE
 *       connect to $FLUX_URI, register SERVICE (a name other than "resource" when the real
 *       resourced runs; flux resource then needs FLUX_RESOURCE_SERVICE=SERVICE), print
 *       "ready", and serve until killed:
 *       SERVICE.status   answers the JSON object in STATUS-FILE, read again at each request
 *                        (a test may replace the file between commands)
 *       SERVICE.drain    print the request as one line of compact JSON (keys sorted) and
 *       SERVICE.undrain  answer {"ranks": targets}; targets "fail:MESSAGE" are refused
 *                        with EEXIST and MESSAGE instead
 *
 * It lets a test check the command's output exactly, for states (offline, torpid,
 * allocated, 16 hosts) that a test instance cannot easily reach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/peer.h"

struct fake {
    const char *path; /* STATUS-FILE */
};

static void status_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    json_error_t jerr;
    json_t *status = json_load_file (f->path, 0, &jerr);

    if (!status) {
        fx_respond_error (p, msg, EIO, "%s: %s", f->path, jerr.text);
        return;
    }
    fx_respond (p, msg, status);
    json_decref (status);
}

static void drain_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    json_t *in = fx_msg_json (msg, NULL); /* borrowed: the message keeps it */
    const char *targets = NULL;
    char *s;

    (void) arg;
    if (!in || json_unpack (in, "{s:s}", "targets", &targets) < 0) {
        fx_respond_error (p, msg, EPROTO, "%s: no targets", msg->topic);
        return;
    }
    if ((s = json_dumps (in, JSON_COMPACT | JSON_SORT_KEYS))) {
        printf ("%s %s\n", strchr (msg->topic, '.') + 1, s);
        fflush (stdout);
        free (s);
    }
    if (!strncmp (targets, "fail:", 5))
        fx_respond_error (p, msg, EEXIST, "%s", targets + 5);
    else {
        json_t *out = json_pack ("{s:s}", "ranks", targets);
        fx_respond (p, msg, out);
        json_decref (out);
    }
}

int main (int argc, char **argv)
{
    char topics[3][128];
    struct fx_handler table[4] = {
        {topics[0], status_cb, FX_ROLE_ALL},
        {topics[1], drain_cb, FX_ROLE_OWNER},
        {topics[2], drain_cb, FX_ROLE_OWNER},
        {NULL, NULL, 0},
    };
    struct fx_error err = {""};
    struct fake f;
    struct fx_peer *p;

    if (argc != 3 || strlen (argv[1]) > 64) {
        fprintf (stderr, "Usage: fakeresource SERVICE STATUS-FILE\n");
        return 2;
    }
    f.path = argv[2];
    snprintf (topics[0], sizeof (topics[0]), "%s.status", argv[1]);
    snprintf (topics[1], sizeof (topics[1]), "%s.drain", argv[1]);
    snprintf (topics[2], sizeof (topics[2]), "%s.undrain", argv[1]);
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "fakeresource", &err))
        || fx_peer_service_add (p, argv[1], table, &f, &err) < 0) {
        fprintf (stderr, "fakeresource: %s\n", err.text);
        return 1;
    }
    printf ("ready\n");
    fflush (stdout);
    ev_run (EV_DEFAULT, 0);
    fx_peer_destroy (p);
    return 0;
}
