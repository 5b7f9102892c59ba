/* stream.c - a task's stdout or stderr: a non-blocking pipe read by a libev io watcher.
 *
 * Each read (at most EXECD_CHUNK_MAX bytes) becomes one data event on guest.output.  A UTF-8
 * sequence cut by the end of a read is held back for the next one, so that valid UTF-8 is
 * never split into chunks that are not; a chunk that is not valid UTF-8 goes as base64
 * (output.c).  When kvsd falls behind, reading stops (the task then blocks on a full pipe)
 * until the job's backlog is acknowledged.  EOF writes the stream's eof event; a task is done
 * once it has exited and both streams are at EOF.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/execd.h"

#define READS_PER_CALLBACK 4 /* then let the other streams have their turn */

/* Length of the incomplete UTF-8 sequence at the end of buf (0 if none). */
static int utf8_tail (const unsigned char *buf, size_t len)
{
    for (int back = 1; back <= 3 && (size_t) back <= len; back++) {
        unsigned char c = buf[len - (size_t) back];
        int need;
        if ((c & 0xc0) == 0x80)
            continue; /* a continuation byte: look further back for the lead */
        need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

static void stream_eof (struct stream *s)
{
    struct task *t = s->task;
    struct job *job = t->job;

    if (s->npartial > 0) /* an incomplete sequence at the very end: not UTF-8 */
        output_data (job, t->rank, s->which, s->partial, (size_t) s->npartial, 0);
    s->npartial = 0;
    output_data (job, t->rank, s->which, NULL, 0, 1);
    stream_stop (s);
    if (t->exited && !t->done && t->out[0].fd < 0 && t->out[1].fd < 0) {
        t->done = 1;
        job->live--;
        job_check_done (job);
    }
}

/* One read; returns 1 to read again, 0 when the pipe is empty, -1 at EOF. */
static int stream_read (struct stream *s)
{
    struct execd *ed = s->task->job->ed;
    unsigned char *buf = ed->buf;
    size_t n = (size_t) s->npartial;
    ssize_t got;
    int tail;

    memcpy (buf, s->partial, n);
    got = read (s->fd, buf + n, EXECD_CHUNK_MAX - n);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (got <= 0) {
        if (got < 0)
            fx_log (ed->peer, LOG_ERR, "%s: reading task output: %s", s->task->job->f58,
                    strerror (errno));
        return -1;
    }
    fx_metric_add (ed->m_bytes, (double) got, s->which == STREAM_STDOUT ? "stdout" : "stderr");
    n += (size_t) got;
    tail = utf8_tail (buf, n);
    s->npartial = tail;
    memcpy (s->partial, buf + n - (size_t) tail, (size_t) tail);
    if (n > (size_t) tail)
        output_data (s->task->job, s->task->rank, s->which, buf, n - (size_t) tail, 0);
    return (size_t) got == EXECD_CHUNK_MAX - (n - (size_t) got) ? 1 : 0;
}

static void stream_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct stream *s = w->data;
    int rc = 1;

    (void) loop;
    (void) revents;
    for (int i = 0; i < READS_PER_CALLBACK && rc == 1 && !s->task->job->paused; i++)
        rc = stream_read (s);
    if (rc < 0)
        stream_eof (s); /* may end the job: s is not touched after it */
}

void stream_start (struct stream *s, struct task *t, int which, int fd)
{
    s->task = t;
    s->which = which;
    s->fd = fd;
    s->npartial = 0;
    if (fd < 0) { /* written to a file: nothing to read, the stream ends at once */
        output_data (t->job, t->rank, which, NULL, 0, 1);
        return;
    }
    ev_io_init (&s->w, stream_cb, fd, EV_READ);
    s->w.data = s;
    if (!t->job->paused)
        ev_io_start (t->job->ed->loop, &s->w);
}

void stream_stop (struct stream *s)
{
    if (s->fd < 0)
        return;
    ev_io_stop (s->task->job->ed->loop, &s->w);
    close (s->fd);
    s->fd = -1;
}

void stream_pause_job (struct job *job, int pause)
{
    if (job->paused == pause)
        return;
    job->paused = pause;
    for (int i = 0; job->tasks && i < job->ntasks; i++) {
        for (int j = 0; j < 2; j++) {
            struct stream *s = &job->tasks[i].out[j];
            if (s->fd < 0)
                continue;
            if (pause)
                ev_io_stop (job->ed->loop, &s->w);
            else
                ev_io_start (job->ed->loop, &s->w);
        }
    }
}
