/* fakechild.c - play a child rank's side of the overlay handshake, for refusal tests.
 *
 *   fakechild CERT URI RANK HOSTNAME VERSION [TIMEOUT]
 *
 * Loads the certificate CERT, connects a raw REQ socket to the parent's tcp endpoint URI,
 * sends the HELLO of services/link.c claiming RANK, HOSTNAME and VERSION, and reports the
 * parent's answer on stdout:
 *
 *   welcomed by rank N     exit 0 (the parent accepted us: the real rank N is displaced)
 *   refused: REASON        exit 1 (a REFUSE frame; REASON is the parent's text)
 *   bad answer: REASON     exit 3 (a WELCOME that does not verify, or garbage)
 *   no answer              exit 4 (nothing within TIMEOUT seconds, default 5)
 *
 * Usage errors and local failures (certificate, socket) exit 2.
 *
 * With the word `replay` after TIMEOUT, a welcomed fakechild then sends one sealed
 * heartbeat twice (a replay) and a DATA frame of garbage, for the parent to refuse.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cert.h"
#include "services/link.h"
#include "services/msg.h"
#include "services/nnio.h"

/* Send a sealed heartbeat twice and then a DATA frame of junk; then linger a moment so
 * nanomsg delivers them before the socket closes. */
static int send_replay (int sock, struct fx_link *link)
{
    struct fx_nn_hdr hdr = {.len = 4, .data = {0x80, 0, 0, 2}};
    unsigned char junk[64] = {4};
    struct fx_msg *msg = fx_msg_create (FX_MSG_CONTROL, NULL, NULL);
    size_t len = fx_msg_encoded_len (msg), flen;
    void *buf = malloc (len), *frame;
    int rc = -1;

    msg->aux1 = FX_CTL_HEARTBEAT;
    fx_msg_encode_into (msg, buf);
    if (fx_link_seal (link, buf, len, &frame, &flen) == 0) {
        for (size_t i = 1; i < sizeof (junk); i++)
            junk[i] = (unsigned char) (i * 37);
        if (fx_nn_send (sock, &hdr, frame, flen, 0) == 0
            && fx_nn_send (sock, &hdr, frame, flen, 0) == 0
            && fx_nn_send (sock, &hdr, junk, sizeof (junk), 0) == 0)
            rc = 0;
        free (frame);
    }
    free (buf);
    fx_msg_destroy (msg);
    poll (NULL, 0, 500); /* give the frames time to leave */
    return rc;
}

int main (int argc, char **argv)
{
    struct fx_error err = {""};
    struct fx_nn_hdr hdr = {.len = 4, .data = {0x80, 0, 0, 1}};
    struct fx_cert cert;
    struct fx_link *link;
    void *frame, *buf;
    size_t len;
    ssize_t n;
    uint32_t prank;
    int sock, timeout_ms, rc;
    char *end;
    unsigned long rank;

    if (argc < 6 || argc > 8 || (argc == 8 && strcmp (argv[7], "replay") != 0)) {
        fprintf (stderr, "Usage: fakechild CERT URI RANK HOSTNAME VERSION [TIMEOUT [replay]]\n");
        return 2;
    }
    rank = strtoul (argv[3], &end, 10);
    timeout_ms = (argc >= 7 ? strtod (argv[6], NULL) : 5.0) * 1000;
    if (*end || !*argv[3] || timeout_ms <= 0) {
        fprintf (stderr, "fakechild: bad RANK or TIMEOUT\n");
        return 2;
    }
    if (fx_cert_load (&cert, argv[1], &err) < 0) {
        fprintf (stderr, "fakechild: %s\n", err.text);
        return 2;
    }
    if (!(link = fx_link_create (&cert, 0))
        || fx_link_hello (link, rank, argv[4], argv[5], &frame, &len) < 0) {
        fprintf (stderr, "fakechild: cannot build the hello: %s\n", strerror (errno));
        return 2;
    }
    fx_cert_clear (&cert);
    if ((sock = fx_nn_open (argv[2], 0)) < 0
        || nn_setsockopt (sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof (timeout_ms)) < 0
        || fx_nn_send (sock, &hdr, frame, len, 0) < 0) {
        fprintf (stderr, "fakechild: %s: %s\n", argv[2], nn_strerror (errno));
        return 2;
    }
    free (frame);
    if ((n = fx_nn_recv (sock, &buf, &hdr, 0)) < 0) {
        printf ("no answer\n");
        rc = 4;
    }
    else {
        if (fx_link_welcomed (link, buf, n, &prank, &err) == 0) {
            printf ("welcomed by rank %u\n", (unsigned) prank);
            rc = 0;
            if (argc == 8 && send_replay (sock, link) < 0)
                rc = 2;
        }
        else if (errno == ECONNREFUSED) {
            printf ("refused: %s\n", err.text);
            rc = 1;
        }
        else {
            printf ("bad answer: %s\n", err.text);
            rc = 3;
        }
        nn_freemsg (buf);
    }
    fx_link_destroy (link);
    nn_close (sock);
    return rc;
}
