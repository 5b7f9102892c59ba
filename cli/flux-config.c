/* flux-config.c - show the merged configuration, or make every daemon reload it.
 *
 *   flux config get [KEY]   print the value (strings bare, everything else as JSON)
 *   flux config reload      re-read conf.d; a bad file is rejected and the old one stays
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/peer.h"

static const char usage_text[] = "Usage: flux config get [KEY]\n"
                                 "       flux config reload\n";

static int config_get (struct fx_peer *p, const char *key)
{
    struct fx_error err = {""};
    json_t *in = key ? json_pack ("{s:s}", "key", key) : NULL;
    json_t *out = NULL, *value;
    char *s;
    int rc = 0;

    if (fx_rpc_call (p, "config.get", FX_NODEID_ANY, in, FX_RPC_TIMEOUT, &out, &err) < 0) {
        fprintf (stderr, "flux-config: %s\n", err.text);
        rc = 1;
    }
    else if ((value = json_object_get (out, "value")) && json_is_string (value))
        printf ("%s\n", json_string_value (value));
    else if (value && (s = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT))) {
        printf ("%s\n", s);
        free (s);
    }
    json_decref (in);
    json_decref (out);
    return rc;
}

static int config_reload (struct fx_peer *p)
{
    struct fx_error err = {""};

    if (fx_rpc_call (p, "config.reload", FX_NODEID_ANY, NULL, FX_RPC_TIMEOUT, NULL, &err) < 0) {
        fprintf (stderr, "flux-config: reload: %s\n", err.text);
        return 1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    struct fx_error err = {""};
    struct fx_peer *p;
    int rc;

    if (argc >= 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help"))) {
        fputs (usage_text, stdout);
        return 0;
    }
    if (argc < 2 || (strcmp (argv[1], "get") == 0 ? argc > 3 : strcmp (argv[1], "reload") != 0 || argc != 2)
        || (argc == 3 && argv[2][0] == '-')) {
        fputs (usage_text, stderr);
        return 2;
    }
    if (!(p = fx_peer_create (loop, NULL, "flux-config", &err))) {
        fprintf (stderr, "flux-config: %s\n", err.text);
        return 1;
    }
    rc = strcmp (argv[1], "get") == 0 ? config_get (p, argc == 3 ? argv[2] : NULL)
                                      : config_reload (p);
    fx_peer_destroy (p);
    return rc;
}
