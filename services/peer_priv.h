/* peer_priv.h - what peer.c and rpc.c share about a peer; not for other modules. */
#ifndef FX_PEER_PRIV_H
#define FX_PEER_PRIV_H

#include "services/error.h"
#include "services/msgq.h"
#include "services/peer.h"
#include "services/u32map.h"

struct service;
struct subscription;

struct fx_peer {
    struct ev_loop *loop;
    int sock;
    ev_io rcv_w;
    ev_io snd_w;
    ev_timer heartbeat_w;
    struct fx_msgq outq;    /* waiting for the socket */
    uint32_t reqid;         /* SP request id counter */
    struct fx_u32map *rpcs; /* matchtag -> struct fx_rpc */
    uint32_t next_matchtag;
    struct service *services;
    struct subscription *subs;
    uint32_t consumed; /* messages received since credit was last returned */
    ev_tstamp last_send;
    int hello_state; /* 0 waiting, 1 welcomed, -1 refused */
    struct fx_error hello_err;
    int closed;
    int goodbye_acked;
    int closing; /* fx_peer_destroy() has begun: nothing is dispatched any more */
    fx_lost_f lost_cb;
    void *lost_arg;
    char name[64];
    uint32_t rank, size, id, userid, rolemask;
    double lease;
};

/* rpc.c: deliver a response to its RPC (by matchtag); fail every RPC in flight. */
void fx_peer_rpc_response (struct fx_peer *p, struct fx_msg *msg);
void fx_peer_rpc_fail_all (struct fx_peer *p, const char *why);

#endif
