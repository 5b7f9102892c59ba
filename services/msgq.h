/* msgq.h - a FIFO of encoded messages waiting to be sent.
 *
 * Used wherever a sender must hold messages back: a peer whose socket would block, the
 * router's per-connection flow-control queue.  The queue is a plain struct embedded in its
 * owner (zero-initialized = empty).
 */
#ifndef FX_MSGQ_H
#define FX_MSGQ_H

#include <stddef.h>

#include "services/msg.h"

struct fx_msgq_item {
    void *buf;     /* the encoded message */
    size_t len;
    double queued; /* when it was queued (the caller's clock) */
    int framed;    /* already a link frame (overlay handshake): send as is */
    struct fx_msgq_item *next;
};

struct fx_msgq {
    struct fx_msgq_item *head, *tail;
    size_t count;
    size_t bytes;
};

/* Encode msg (borrowed) and append it.  Returns -1 with ENOMEM or EMSGSIZE. */
int fx_msgq_push (struct fx_msgq *q, const struct fx_msg *msg, double now);

/* Append an already encoded buffer; the queue takes ownership of buf (malloc'd) even on
 * failure.  Returns -1 with ENOMEM. */
int fx_msgq_push_buf (struct fx_msgq *q, void *buf, size_t len, double now);

/* The oldest message, or NULL. */
static inline struct fx_msgq_item *fx_msgq_head (const struct fx_msgq *q)
{
    return q->head;
}

/* Remove and free the oldest message (nothing when empty). */
void fx_msgq_pop (struct fx_msgq *q);

/* Free everything. */
void fx_msgq_clear (struct fx_msgq *q);

#endif
