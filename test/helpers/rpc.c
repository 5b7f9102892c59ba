/* rpc.c - one RPC from the command line, for tests of services that have no command yet.
 *
 *   rpc TOPIC [PAYLOAD [NODEID]]   (needs FLUX_URI; NODEID default: any)
 *
 * Prints the response payload as compact JSON and exits 0, or prints "error: MESSAGE"
 * (the service's text) and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "services/peer.h"

int main (int argc, char **argv)
{
    struct fx_error err = {""};
    uint32_t nodeid = argc > 3 ? (uint32_t) strtoul (argv[3], NULL, 10) : FX_NODEID_ANY;
    json_t *in = NULL, *out = NULL;
    struct fx_peer *p;
    char *s;

    if (argc < 2 || (argc > 2 && !(in = json_loads (argv[2], 0, NULL)))) {
        fprintf (stderr, "Usage: rpc TOPIC [JSON-OBJECT [NODEID]]\n");
        return 2;
    }
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "rpc", &err))
        || fx_rpc_call (p, argv[1], nodeid, in, 15.0, &out, &err) < 0) {
        printf ("error: %s\n", err.text);
        json_decref (in);
        fx_peer_destroy (p);
        return 1;
    }
    if ((s = json_dumps (out, JSON_COMPACT))) {
        puts (s);
        free (s);
    }
    json_decref (in);
    json_decref (out);
    fx_peer_destroy (p);
    return 0;
}
