/* nnio.h - nanomsg send/receive with the SP header (DESIGN section 2).
 *
 * The router side is a raw REP socket: each received message carries an SP header whose
 * first 4 bytes name the pipe it came from; sending with the same header sends to that pipe.
 * A peer is a raw REQ socket and sends with a 4-byte request id whose top bit is set.
 */
#ifndef FX_NNIO_H
#define FX_NNIO_H

#include <stddef.h>
#include <sys/types.h>

#define FX_NN_HDR_MAX 64

struct fx_nn_hdr {
    size_t len;
    unsigned char data[FX_NN_HDR_MAX];
};

/* The next 4-byte SP header of a peer (raw REQ) socket: a request id with the top bit set,
 * from *counter (incremented). */
struct fx_nn_hdr fx_nn_req_hdr (uint32_t *counter);

/* Open a raw socket (router: bind=1, NN_REP; peer: bind=0, NN_REQ) on uri with the receive
 * size cap set.  Returns the socket or -1 with errno. */
int fx_nn_open (const char *uri, int bind);

/* Send len bytes with header hdr.  flags: 0 or NN_DONTWAIT.  Returns 0, or -1 with errno
 * (EAGAIN when it would block). */
int fx_nn_send (int sock, const struct fx_nn_hdr *hdr, const void *buf, size_t len, int flags);

/* Receive one message (NN_DONTWAIT honoured).  *buf is a nanomsg message: free it with
 * nn_freemsg().  Returns its length, or -1 with errno. */
ssize_t fx_nn_recv (int sock, void **buf, struct fx_nn_hdr *hdr, int flags);

/* The file descriptors that are readable when the socket can receive / send. */
int fx_nn_rcvfd (int sock);
int fx_nn_sndfd (int sock);

#endif
