/* flux-getattr.c - print instance attributes: `flux getattr NAME`, `flux getattr -a`. */
#include <stdio.h>
#include <string.h>

#include "services/peer.h"

static const char usage_text[] = "Usage: flux getattr NAME\n"
                                 "       flux getattr -a|--all\n";

static int print_all (json_t *out)
{
    json_t *attrs = json_object_get (out, "attrs"), *value;
    const char *name;

    json_object_foreach (attrs, name, value)
        printf ("%-24s %s\n", name, json_string_value (value));
    return 0;
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct fx_peer *p;
    json_t *in = NULL, *out = NULL;
    int all, rc = 0;

    if (argc == 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        fputs (usage_text, stdout);
        return 0;
    }
    if (argc != 2 || (argv[1][0] == '-' && strcmp (argv[1], "-a") && strcmp (argv[1], "--all"))) {
        fputs (usage_text, stderr);
        return 2;
    }
    all = argv[1][0] == '-';
    if (!(p = fx_peer_create (loop, NULL, "flux-getattr", &err))) {
        fprintf (stderr, "flux-getattr: %s\n", err.text);
        return 1;
    }
    if (!all)
        in = json_pack ("{s:s}", "name", argv[1]);
    if (fx_rpc_call (p, all ? "broker.lsattr" : "broker.getattr", FX_NODEID_ANY, in,
                     FX_RPC_TIMEOUT, &out, &err) < 0) {
        fprintf (stderr, "flux-getattr: %s\n", err.text);
        rc = 1;
    }
    else if (all)
        print_all (out);
    else
        printf ("%s\n", json_string_value (json_object_get (out, "value")));
    json_decref (in);
    json_decref (out);
    fx_peer_destroy (p);
    return rc;
}
