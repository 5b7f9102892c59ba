/* rogue.c - a hostile local peer for tests: connects to the router socket with raw nanomsg
 * and sends garbage, truncated headers, and well-formed requests without a hello.
 *
 *   rogue URI COUNT   sends COUNT messages of each kind, then exits 0
 *
 * It waits for the router's NOTCONN answer to each request before exiting: nanomsg discards
 * what a peer sent but the router has not read yet when the peer closes, and the tests want
 * every message counted.
 */
#include <nanomsg/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/msg.h"
#include "services/nnio.h"

static void send_buf (int sock, const void *buf, size_t len)
{
    static uint32_t id = 1;
    struct fx_nn_hdr hdr = fx_nn_req_hdr (&id);

    if (fx_nn_send (sock, &hdr, buf, len, 0) < 0)
        perror ("send");
}

/* Count NOTCONN answers until there are `want` or none comes for 10 s. */
static int wait_notconn (int sock, int want)
{
    int got = 0, timeout = 10000;
    struct fx_nn_hdr hdr;
    void *buf;
    ssize_t n;

    nn_setsockopt (sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof (timeout));
    while (got < want && (n = fx_nn_recv (sock, &buf, &hdr, 0)) >= 0) {
        struct fx_msg *m = fx_msg_decode (buf, n, NULL);
        if (m && m->type == FX_MSG_CONTROL && m->aux1 == FX_CTL_NOTCONN)
            got++;
        fx_msg_destroy (m);
        nn_freemsg (buf);
    }
    if (got < want)
        fprintf (stderr, "rogue: %d of %d requests answered\n", got, want);
    return got;
}

int main (int argc, char **argv)
{
    unsigned char junk[64];
    struct fx_msg *msg;
    int sock, count;

    if (argc != 3) {
        fprintf (stderr, "Usage: rogue URI COUNT\n");
        return 2;
    }
    count = atoi (argv[2]);
    if ((sock = fx_nn_open (argv[1], 0)) < 0) {
        perror (argv[1]);
        return 1;
    }
    msg = fx_msg_create (FX_MSG_REQUEST, "config.reload", NULL);
    for (int i = 0; i < count; i++) {
        void *buf;
        size_t len = fx_msg_encoded_len (msg);

        for (size_t j = 0; j < sizeof (junk); j++)
            junk[j] = rand ();
        send_buf (sock, junk, sizeof (junk)); /* garbage */
        send_buf (sock, junk, 3);              /* shorter than any header */
        buf = malloc (len);
        fx_msg_encode_into (msg, buf);
        send_buf (sock, buf, len);             /* valid, but no hello */
        ((unsigned char *) buf)[1] = 99;      /* unsupported version */
        send_buf (sock, buf, len);
        free (buf);
    }
    fx_msg_destroy (msg);
    return wait_notconn (sock, count) == count ? 0 : 1;
}
