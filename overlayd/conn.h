/* conn.h - one connection of the router: a local peer, a child link or the parent link.
 *
 * Internal to overlayd.  A local peer and a child both sit behind a raw REP socket (the
 * router's ipc socket, the tcp socket children connect to), so both are flow-controlled
 * with the credit window.  The parent link is the raw REQ socket this rank connects to its
 * parent with: nanomsg queues and never drops on that side, so it needs no window, only a
 * queue for when the socket would block.  Links (child, parent) are encrypted.
 */
#ifndef OVERLAYD_CONN_H
#define OVERLAYD_CONN_H

#include <ev.h>
#include <stdint.h>
#include <string.h>

#include "services/link.h"
#include "services/msg.h"
#include "services/msgq.h"
#include "services/nnio.h"
#include "services/u32map.h"

struct overlayd;

#define CONN_WINDOW_MSGS 64
#define CONN_WINDOW_BYTES (64 * 1024)
#define CONN_QUEUE_MAX_BYTES (64u * 1024 * 1024)
#define CONN_MAX_SUBS 256

enum conn_kind {
    CONN_LOCAL,  /* a daemon or command on this node */
    CONN_CHILD,  /* a child rank's overlayd */
    CONN_PARENT, /* this rank's link to its parent */
};

struct conn {
    struct overlayd *od;
    enum conn_kind kind;
    uint32_t id;          /* router-assigned, appears in route stacks; 0 until registered */
    int sock;             /* the nanomsg socket it lives on */
    uint32_t pipe;        /* LOCAL, CHILD: nanomsg pipe key (first 4 header bytes) */
    struct fx_nn_hdr hdr; /* LOCAL, CHILD: the SP header that reaches it */
    struct fx_link *link; /* CHILD, PARENT: handshake and encryption; NULL for LOCAL */
    uint32_t rank;        /* CHILD, PARENT: the rank at the other end */
    int authed;           /* hello accepted */
    uint32_t userid, rolemask; /* LOCAL: stamped on everything it sends */
    char name[64];
    pid_t pid;                 /* LOCAL: the pid its hello claimed (0: none) */
    ev_tstamp last_recv;
    ev_tstamp last_send;
    double lease;          /* LOCAL: told at hello; a reload changes only new connections' */
    struct fx_msgq q;      /* waiting for the window (or, PARENT, for the socket) */
    uint32_t inflight_msgs;
    size_t inflight_bytes;
    uint32_t inflight_len[CONN_WINDOW_MSGS]; /* sizes in flight, FIFO ring */
    uint32_t inflight_head;
    int credit_asked;
    uint32_t consumed;     /* PARENT: messages received since credit was last returned */
    uint32_t reqid;        /* PARENT: SP request id counter */
    ev_io snd_w;           /* PARENT: waiting for the socket to take more */
    struct fx_u32map *pending; /* requests sent to it awaiting their final response */
    size_t npending;
    char *subs[CONN_MAX_SUBS]; /* LOCAL: event subscriptions (topic prefixes) */
    int nsubs;
};

/* The key of the pipe a message came from: the first 4 bytes of its SP header (never 0,
 * which the maps reserve). */
static inline uint32_t conn_pipe_key (const struct fx_nn_hdr *hdr)
{
    uint32_t key = 0;

    if (hdr->len >= 4)
        memcpy (&key, hdr->data, 4);
    return key ? key : 1;
}

/* A new, unregistered connection of kind on sock.  Returns NULL with ENOMEM. */
struct conn *conn_create (struct overlayd *od, enum conn_kind kind, int sock);

/* Free c (NULL is fine).  The caller has unregistered it and failed its pending requests. */
void conn_destroy (struct conn *c);

/* Give c an id and make it reachable by id.  Returns -1 with ENOMEM. */
int conn_register (struct conn *c);

/* Queue msg (borrowed) for c and send what flow control allows.  A LOCAL or CHILD
 * connection whose queue exceeds CONN_QUEUE_MAX_BYTES is not reading: the send fails with
 * ENOBUFS and the caller drops it.  Requests expecting a response are remembered (see
 * conn_pending_fail). */
int conn_send (struct conn *c, const struct fx_msg *msg);

/* Send a control message now, outside the window (LOCAL, CHILD) or queued (PARENT). */
int conn_send_control (struct conn *c, int type, uint32_t status, const json_t *payload);

/* Send an already framed buffer (a link handshake frame) outside the window. */
int conn_send_frame (struct conn *c, const void *buf, size_t len);

/* The peer consumed n messages: open the window by n and send what waits. */
void conn_credit (struct conn *c, uint32_t n);

/* PARENT: count one message received; return credit every so often or when asked. */
void conn_consumed (struct conn *c, int asked);

/* A response from c for a request sent to it: forget the request once it is final. */
void conn_pending_done (struct conn *c, const struct fx_msg *rsp);

/* Answer every request still waiting on c with errnum and why (c went away). */
void conn_pending_fail (struct conn *c, int errnum, const char *why);

#endif
