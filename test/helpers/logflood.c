/* logflood.c - append COUNT entries to the router's log ring buffer as fast as the peer
 * can send them, then wait for a ping so that all have been handled.
 *
 *   logflood COUNT [SIZE]   (each message is SIZE bytes, default 100)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "services/log.h"
#include "services/peer.h"

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    int count = argc > 1 ? atoi (argv[1]) : 1000;
    int size = argc > 2 ? atoi (argv[2]) : 100;
    struct fx_peer *p;
    char *text;

    if (!(p = fx_peer_create (loop, NULL, "logflood", &err))) {
        fprintf (stderr, "logflood: %s\n", err.text);
        return 1;
    }
    if (size < 1 || !(text = malloc (size + 1)))
        return 1;
    for (int i = 0; i < count; i++) {
        json_t *o;
        memset (text, 'x', size);
        text[size] = '\0';
        snprintf (text, size, "flood %d ", i);
        text[strlen (text)] = 'x';
        o = json_pack ("{s:s s:i s:i s:f s:s}", "name", "logflood", "level", LOG_INFO, "rank", 0,
                       "timestamp", fx_log_now (), "message", text);
        if (!fx_rpc_start (p, "log.append", FX_NODEID_ANY, FX_MSGFLAG_NORESPONSE, o, 0, NULL,
                           NULL)
            && errno != 0) {
            perror ("logflood: log.append");
            return 1;
        }
        json_decref (o);
    }
    if (fx_rpc_call (p, "broker.ping", FX_NODEID_ANY, NULL, 30, NULL, &err) < 0) {
        fprintf (stderr, "logflood: %s\n", err.text);
        return 1;
    }
    fx_peer_destroy (p);
    free (text);
    return 0;
}
