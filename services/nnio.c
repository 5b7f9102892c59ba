/* nnio.c - the nanomsg calls every router and peer makes, in one place. */
#include <errno.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <nanomsg/tcp.h>
#include <string.h>

#include "services/msg.h"
#include "services/nnio.h"

struct fx_nn_hdr fx_nn_req_hdr (uint32_t *counter)
{
    struct fx_nn_hdr hdr = {.len = 4};
    uint32_t id = 0x80000000u | ((*counter)++ & 0x7fffffffu);

    hdr.data[0] = id >> 24;
    hdr.data[1] = id >> 16;
    hdr.data[2] = id >> 8;
    hdr.data[3] = id;
    return hdr;
}

int fx_nn_open (const char *uri, int bind)
{
    int sock, maxsize = FX_MSG_SIZE_MAX, linger = 0, one = 1;

    if ((sock = nn_socket (AF_SP_RAW, bind ? NN_REP : NN_REQ)) < 0)
        return -1;
    if (nn_setsockopt (sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsize, sizeof (maxsize)) < 0 ||
        nn_setsockopt (sock, NN_SOL_SOCKET, NN_LINGER, &linger, sizeof (linger)) < 0)
        goto error;
    /* Messages are small and latency matters more than packet count. */
    if (strncmp (uri, "tcp://", 6) == 0
        && nn_setsockopt (sock, NN_TCP, NN_TCP_NODELAY, &one, sizeof (one)) < 0)
        goto error;
    if ((bind ? nn_bind (sock, uri) : nn_connect (sock, uri)) < 0)
        goto error;
    return sock;
error : {
    int saved_errno = errno;
    nn_close (sock);
    errno = saved_errno;
}
    return -1;
}

int fx_nn_send (int sock, const struct fx_nn_hdr *hdr, const void *buf, size_t len, int flags)
{
    unsigned char ctl[NN_CMSG_SPACE (sizeof (size_t) + FX_NN_HDR_MAX)];
    struct nn_cmsghdr *cm = (struct nn_cmsghdr *) ctl;
    struct nn_iovec iov = {(void *) buf, len};
    struct nn_msghdr mh = {&iov, 1, ctl, NN_CMSG_SPACE (sizeof (size_t) + hdr->len)};

    memset (ctl, 0, sizeof (ctl));
    cm->cmsg_len = NN_CMSG_LEN (sizeof (size_t) + hdr->len);
    cm->cmsg_level = PROTO_SP;
    cm->cmsg_type = SP_HDR;
    memcpy (NN_CMSG_DATA (cm), &hdr->len, sizeof (size_t));
    memcpy (NN_CMSG_DATA (cm) + sizeof (size_t), hdr->data, hdr->len);
    return nn_sendmsg (sock, &mh, flags) < 0 ? -1 : 0;
}

ssize_t fx_nn_recv (int sock, void **buf, struct fx_nn_hdr *hdr, int flags)
{
    unsigned char ctl[256];
    void *msg = NULL;
    struct nn_iovec iov = {&msg, NN_MSG};
    struct nn_msghdr mh = {&iov, 1, ctl, sizeof (ctl)};
    struct nn_cmsghdr *cm;
    int n;

    if ((n = nn_recvmsg (sock, &mh, flags)) < 0)
        return -1;
    hdr->len = 0;
    /* Only the first control header is looked at: nanomsg puts SP_HDR there. */
    cm = NN_CMSG_FIRSTHDR (&mh);
    if (cm && cm->cmsg_level == PROTO_SP && cm->cmsg_type == SP_HDR) {
        size_t len;
        memcpy (&len, NN_CMSG_DATA (cm), sizeof (len));
        if (len <= FX_NN_HDR_MAX) {
            hdr->len = len;
            memcpy (hdr->data, NN_CMSG_DATA (cm) + sizeof (size_t), len);
        }
    }
    *buf = msg;
    return n;
}

static int getfd (int sock, int opt)
{
    int fd;
    size_t sz = sizeof (fd);

    if (nn_getsockopt (sock, NN_SOL_SOCKET, opt, &fd, &sz) < 0)
        return -1;
    return fd;
}

int fx_nn_rcvfd (int sock)
{
    return getfd (sock, NN_RCVFD);
}

int fx_nn_sndfd (int sock)
{
    return getfd (sock, NN_SNDFD);
}
