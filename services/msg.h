/* msg.h - the message codec (doc/protocol.md is the normative description).
 *
 * A message is one nanomsg message: a fixed 28-byte big-endian header, the topic, the route
 * stack (8 bytes per hop), and a JSON object payload.  Decoding checks every field and every
 * length; the payload text is parsed only when asked for (the router forwards most messages
 * without looking inside them).
 */
#ifndef FX_MSG_H
#define FX_MSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "services/error.h"

#define FX_MSG_MAGIC        0x8e
#define FX_MSG_VERSION      1
#define FX_MSG_HDRLEN       28
#define FX_MSG_TOPIC_MAX    255
#define FX_MSG_ROUTE_MAX    32
#define FX_MSG_PAYLOAD_MAX  (16u * 1024 * 1024)
#define FX_MSG_SIZE_MAX     (FX_MSG_HDRLEN + FX_MSG_TOPIC_MAX + 8 * FX_MSG_ROUTE_MAX \
                             + FX_MSG_PAYLOAD_MAX)

enum fx_msg_type {
    FX_MSG_REQUEST = 1,
    FX_MSG_RESPONSE = 2,
    FX_MSG_EVENT = 4,
    FX_MSG_CONTROL = 8,
};

enum {
    FX_MSGFLAG_NORESPONSE = 0x04, /* request: the sender wants no answer */
    FX_MSGFLAG_PRIVATE = 0x20,    /* event: only the owner and the publisher's user see it */
    FX_MSGFLAG_STREAMING = 0x40,  /* request/response: many responses, ended by an error */
};
#define FX_MSGFLAG_ALL 0x64

/* Special values. */
#define FX_USERID_UNKNOWN 0xffffffffu
#define FX_NODEID_ANY     0xffffffffu
#define FX_NODEID_UPSTREAM 0xfffffffeu /* skip local services, go toward rank 0 */
#define FX_MATCHTAG_NONE  0u

/* Roles (rolemask bits). */
enum {
    FX_ROLE_NONE = 0,
    FX_ROLE_OWNER = 1,
    FX_ROLE_USER = 2,
    FX_ROLE_ALL = 3,
};

/* Control message types (aux1 of a control message). */
enum fx_ctl_type {
    FX_CTL_HELLO = 1,     /* peer -> router: authenticate; router -> peer: the answer */
    FX_CTL_GOODBYE = 2,   /* peer -> router: closing */
    FX_CTL_HEARTBEAT = 3, /* peer -> router: alive while idle */
    FX_CTL_CREDIT = 4,    /* peer -> router: messages consumed; router -> peer: please report */
    FX_CTL_NOTCONN = 5,   /* router -> peer: unknown connection, say hello again */
    FX_CTL_STATUS = 6,    /* child -> parent: the child's subtree state (status) */
    FX_CTL_DISCONNECT = 7, /* parent -> child: you are disconnected, exit and restart */
};

/* One hop of the route stack: the router on `rank` received the message from its
 * connection `peer`.  Responses pop the top hop at each router on the way back. */
struct fx_route {
    uint32_t rank;
    uint32_t peer;
};

struct fx_msg {
    int type;          /* enum fx_msg_type */
    uint8_t flags;     /* FX_MSGFLAG_* */
    uint32_t userid;   /* stamped by the router */
    uint32_t rolemask; /* stamped by the router */
    uint32_t aux1;     /* request: nodeid; response: errnum; control: ctl type */
    uint32_t aux2;     /* request/response: matchtag; event: sequence; control: status */
    char topic[FX_MSG_TOPIC_MAX + 1];
    int nroutes;
    struct fx_route route[FX_MSG_ROUTE_MAX];
    char *payload;      /* JSON object text, not NUL-terminated; NULL when empty */
    size_t payload_len;
    json_t *json;       /* cached parse of payload, owned by the message */
};

/* Did two requests come from the same peer (same route stack)?  A stream's cancel must. */
int fx_msg_same_sender (const struct fx_msg *a, const struct fx_msg *b);

/* Accessors named for the type-dependent fields. */
#define fx_msg_nodeid(m)   ((m)->aux1)
#define fx_msg_errnum(m)   ((m)->aux1)
#define fx_msg_matchtag(m) ((m)->aux2)
#define fx_msg_seq(m)      ((m)->aux2)

/* Create a message of type with topic (may be NULL for control).  payload may be NULL; it is
 * borrowed and serialized at once.  Returns NULL with errno EINVAL (bad topic/type), EMSGSIZE
 * (payload too big) or ENOMEM.  Caller owns the result. */
struct fx_msg *fx_msg_create (int type, const char *topic, const json_t *payload);

/* Free msg and its cached JSON.  NULL is fine; errno is kept. */
void fx_msg_destroy (struct fx_msg *msg);

/* Deep copy.  Returns NULL with ENOMEM. */
struct fx_msg *fx_msg_copy (const struct fx_msg *msg);

/* Replace the payload with a serialization of payload (NULL = empty).  Returns -1 with
 * EMSGSIZE or ENOMEM, leaving the message unchanged. */
int fx_msg_set_payload (struct fx_msg *msg, const json_t *payload);

/* Set the payload to len bytes of JSON object text, as they are (copied): for a daemon
 * passing on text it trusts, without parsing and printing it again.  The receiver checks
 * it as every payload.  -1 with EINVAL (not an object's text), EMSGSIZE, ENOMEM. */
int fx_msg_set_payload_text (struct fx_msg *msg, const char *text, size_t len);

/* Parse and cache the payload; an empty payload gives an empty object.  Returns a borrowed
 * reference, or NULL with errno EPROTO and a message in err when the payload is not a JSON
 * object or has duplicate keys. */
json_t *fx_msg_json (struct fx_msg *msg, struct fx_error *err);

/* Route stack operations.  push fails with EMSGSIZE when the stack is full, pop with ENOENT
 * when it is empty. */
int fx_msg_route_push (struct fx_msg *msg, uint32_t rank, uint32_t peer);
int fx_msg_route_pop (struct fx_msg *msg, struct fx_route *hop);

/* Encoded size of msg. */
size_t fx_msg_encoded_len (const struct fx_msg *msg);

/* Encode msg into buf, which must hold fx_msg_encoded_len() bytes. */
void fx_msg_encode_into (const struct fx_msg *msg, void *buf);

/* Decode len bytes.  Every field is checked: magic, version, type, flags, reserved bytes,
 * topic characters, route count, exact total length, payload cap.  The payload is not parsed
 * (see fx_msg_json).  Returns NULL with errno EPROTO (and a message in err) on malformed
 * input, ENOMEM on allocation failure. */
struct fx_msg *fx_msg_decode (const void *buf, size_t len, struct fx_error *err);

/* A topic is 1..255 characters of [A-Za-z0-9_.-]. */
int fx_msg_topic_valid (const char *topic);

/* Build a response to req: same topic, matchtag, route stack and streaming flag; payload may
 * be NULL.  errnum 0 means success.  For an error, errstr (may be NULL) becomes the
 * payload {"errstr": "..."}.  Returns NULL with ENOMEM/EMSGSIZE. */
struct fx_msg *fx_msg_response (const struct fx_msg *req, int errnum, const char *errstr,
                                const json_t *payload);

/* The human message of an error response (the "errstr" member), or NULL. */
const char *fx_msg_errstr (struct fx_msg *msg);

/* Write the route stack as "RANK.PEER!RANK.PEER!..." followed by "!self" into buf (used by
 * the ping services).  self < 0 appends nothing. */
void fx_msg_route_string (const struct fx_msg *msg, long self, char *buf, size_t len);

/* Short names for logs: "request", "response", "event", "control". */
const char *fx_msg_typestr (int type);

#endif
