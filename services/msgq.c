/* msgq.c - FIFO of encoded messages (see msgq.h). */
#include <errno.h>
#include <stdlib.h>

#include "services/msgq.h"

int fx_msgq_push_buf (struct fx_msgq *q, void *buf, size_t len, double now)
{
    struct fx_msgq_item *m;

    if (!(m = calloc (1, sizeof (*m)))) {
        free (buf);
        errno = ENOMEM;
        return -1;
    }
    m->buf = buf;
    m->len = len;
    m->queued = now;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->count++;
    q->bytes += len;
    return 0;
}

int fx_msgq_push (struct fx_msgq *q, const struct fx_msg *msg, double now)
{
    size_t len = fx_msg_encoded_len (msg);
    void *buf;

    if (len > FX_MSG_SIZE_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (!(buf = malloc (len))) {
        errno = ENOMEM;
        return -1;
    }
    fx_msg_encode_into (msg, buf);
    return fx_msgq_push_buf (q, buf, len, now);
}

void fx_msgq_pop (struct fx_msgq *q)
{
    struct fx_msgq_item *m = q->head;

    if (!m)
        return;
    if (!(q->head = m->next))
        q->tail = NULL;
    q->count--;
    q->bytes -= m->len;
    free (m->buf);
    free (m);
}

void fx_msgq_clear (struct fx_msgq *q)
{
    while (q->head)
        fx_msgq_pop (q);
}
