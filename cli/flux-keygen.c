/* flux-keygen.c - "flux keygen": create the cluster certificate of an instance.
 *
 * Generates a fresh X25519 key pair with the services cert module and writes it to PATH,
 * mode 0600, never overwriting an existing file.  The same file is then copied to every
 * node (see doc/overlay-security.md).  It talks only to services/cert.  Any error prints
 * "flux-keygen: message" and exits 1; a usage error prints usage and exits 2.  Prints nothing
 * on success, or one line with the fingerprint under --verbose.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/cert.h"

static const char usage_text[] =
    "Usage: flux keygen [OPTIONS] PATH\n"
    "Create the cluster certificate at PATH (mode 0600; an existing file is never\n"
    "overwritten).  Every node of the instance needs a copy, readable only by the instance\n"
    "owner.\n"
    "\n"
    "  -n, --name=NAME       name recorded in the certificate (default: this host's name)\n"
    "  -v, --verbose         print the certificate's fingerprint\n"
    "  -h, --help            print this help\n";

static const struct option longopts[] = {
    {"name", required_argument, NULL, 'n'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage_error (const char *msg) __attribute__ ((noreturn));

static void usage_error (const char *msg)
{
    if (msg)
        fprintf (stderr, "flux-keygen: %s\n", msg);
    fputs (usage_text, stderr);
    exit (2);
}

/* Report an unknown option or a missing argument (getopt_long returned '?'). */
static void bad_option (const char *arg) __attribute__ ((noreturn));

static void bad_option (const char *arg)
{
    if (optopt == 'n')
        fprintf (stderr, "flux-keygen: option '%s' requires an argument\n",
                 strncmp (arg, "--", 2) == 0 ? "--name" : "-n");
    else if (optopt)
        fprintf (stderr, "flux-keygen: unrecognized option '-%c'\n", optopt);
    else /* an unknown long option: getopt has moved past it */
        fprintf (stderr, "flux-keygen: unrecognized option '%.*s'\n", (int) strcspn (arg, "="),
                 arg);
    usage_error (NULL);
}

/* The default name: the short host name, or "flux" when it is not a valid name. */
static void default_name (char *buf, size_t size)
{
    char host[256] = "";

    if (gethostname (host, sizeof (host) - 1) < 0)
        host[0] = '\0';
    host[strcspn (host, ".")] = '\0';
    if (strlen (host) == 0 || strlen (host) >= size ||
        strspn (host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen (host))
        snprintf (buf, size, "flux");
    else
        memcpy (buf, host, strlen (host) + 1); /* fits: checked above */
}

int main (int argc, char **argv)
{
    char name[FX_CERT_NAME_MAX], fp[FX_CERT_FINGERPRINT_SIZE];
    const char *opt_name = NULL;
    bool verbose = false;
    struct fx_error err;
    struct fx_cert cert;
    int c;

    opterr = 0;
    while ((c = getopt_long (argc, argv, "n:vh", longopts, NULL)) != -1) {
        if (c == 'n')
            opt_name = optarg;
        else if (c == 'v')
            verbose = true;
        else if (c == 'h') {
            fputs (usage_text, stdout);
            return 0;
        } else
            bad_option (argv[optind - 1]);
    }
    if (argc - optind != 1)
        usage_error (argc - optind == 0 ? "missing PATH" : "too many arguments");
    if (sodium_init () < 0) {
        fprintf (stderr, "flux-keygen: libsodium failed to initialize\n");
        return 1;
    }
    if (opt_name)
        snprintf (name, sizeof (name), "%s", opt_name);
    else
        default_name (name, sizeof (name));
    if (fx_cert_generate (&cert, opt_name ? opt_name : name) < 0)
        usage_error ("NAME must be 1-63 characters of [A-Za-z0-9._-]");
    if (fx_cert_write (&cert, argv[optind], &err) < 0) {
        fx_cert_clear (&cert);
        fprintf (stderr, "flux-keygen: %s\n", err.text);
        return 1;
    }
    fx_cert_fingerprint (&cert, fp, sizeof (fp));
    fx_cert_clear (&cert);
    if (verbose)
        printf ("%s: certificate %s, fingerprint %s\n", argv[optind], name, fp);
    return 0;
}
