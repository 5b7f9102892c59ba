/* msg.c - encode and decode messages (see msg.h and doc/protocol.md).
 *
 * Owns nothing beyond the message objects it creates.  Decoding is strict: anything that
 * does not match the specification exactly is refused with EPROTO and a one-line reason,
 * because messages arrive from untrusted local peers and from other nodes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/msg.h"

static uint32_t get32 (const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static void put32 (unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static int type_valid (int type)
{
    return type == FX_MSG_REQUEST || type == FX_MSG_RESPONSE || type == FX_MSG_EVENT
           || type == FX_MSG_CONTROL;
}

const char *fx_msg_typestr (int type)
{
    switch (type) {
    case FX_MSG_REQUEST:
        return "request";
    case FX_MSG_RESPONSE:
        return "response";
    case FX_MSG_EVENT:
        return "event";
    case FX_MSG_CONTROL:
        return "control";
    }
    return "unknown";
}

int fx_msg_topic_valid (const char *topic)
{
    size_t n = 0;

    for (const char *p = topic; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-'))
            return 0;
    }
    return n > 0 && n <= FX_MSG_TOPIC_MAX;
}

/* Take text (len bytes, allocated) as msg's payload; the parsed form is dropped. */
static void replace_payload (struct fx_msg *msg, char *text, size_t len)
{
    free (msg->payload);
    json_decref (msg->json);
    msg->payload = text;
    msg->payload_len = len;
    msg->json = NULL;
}

int fx_msg_set_payload (struct fx_msg *msg, const json_t *payload)
{
    char *text = NULL;
    size_t len = 0;

    if (payload) {
        if (!json_is_object (payload)) {
            errno = EINVAL;
            return -1;
        }
        if (json_object_size (payload) > 0) {
            if (!(text = json_dumps (payload, JSON_COMPACT))) {
                errno = ENOMEM;
                return -1;
            }
            len = strlen (text);
            if (len > FX_MSG_PAYLOAD_MAX) {
                free (text);
                errno = EMSGSIZE;
                return -1;
            }
        }
    }
    replace_payload (msg, text, len);
    return 0;
}

int fx_msg_set_payload_text (struct fx_msg *msg, const char *text, size_t len)
{
    char *copy;

    if (len < 2 || text[0] != '{') {
        errno = EINVAL;
        return -1;
    }
    if (len > FX_MSG_PAYLOAD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (!(copy = malloc (len))) {
        errno = ENOMEM;
        return -1;
    }
    memcpy (copy, text, len);
    replace_payload (msg, copy, len);
    return 0;
}

struct fx_msg *fx_msg_create (int type, const char *topic, const json_t *payload)
{
    struct fx_msg *msg;

    if (!type_valid (type) || (type != FX_MSG_CONTROL && !topic)
        || (topic && !fx_msg_topic_valid (topic))) {
        errno = EINVAL;
        return NULL;
    }
    if (!(msg = calloc (1, sizeof (*msg))))
        return NULL;
    msg->type = type;
    msg->userid = FX_USERID_UNKNOWN;
    if (topic)
        strcpy (msg->topic, topic);
    if (fx_msg_set_payload (msg, payload) < 0) {
        fx_msg_destroy (msg);
        return NULL;
    }
    return msg;
}

void fx_msg_destroy (struct fx_msg *msg)
{
    int saved_errno = errno;

    if (msg) {
        json_decref (msg->json);
        free (msg->payload);
        free (msg);
    }
    errno = saved_errno;
}

struct fx_msg *fx_msg_copy (const struct fx_msg *msg)
{
    struct fx_msg *cpy;

    if (!(cpy = malloc (sizeof (*cpy))))
        return NULL;
    *cpy = *msg;
    cpy->json = msg->json ? json_incref (msg->json) : NULL;
    if (msg->payload) {
        if (!(cpy->payload = malloc (msg->payload_len))) {
            json_decref (cpy->json);
            free (cpy);
            return NULL;
        }
        memcpy (cpy->payload, msg->payload, msg->payload_len);
    }
    return cpy;
}

json_t *fx_msg_json (struct fx_msg *msg, struct fx_error *err)
{
    json_error_t jerr;

    if (msg->json)
        return msg->json;
    if (msg->payload_len == 0)
        msg->json = json_object ();
    else
        msg->json = json_loadb (msg->payload, msg->payload_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg->json) {
        errprintf (err, "%s payload: %s", msg->topic, jerr.text);
        errno = EPROTO;
        return NULL;
    }
    if (!json_is_object (msg->json)) {
        json_decref (msg->json);
        msg->json = NULL;
        errprintf (err, "%s payload: not a JSON object", msg->topic);
        errno = EPROTO;
        return NULL;
    }
    return msg->json;
}

int fx_msg_route_push (struct fx_msg *msg, uint32_t rank, uint32_t peer)
{
    if (msg->nroutes >= FX_MSG_ROUTE_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    msg->route[msg->nroutes].rank = rank;
    msg->route[msg->nroutes].peer = peer;
    msg->nroutes++;
    return 0;
}

int fx_msg_route_pop (struct fx_msg *msg, struct fx_route *hop)
{
    if (msg->nroutes == 0) {
        errno = ENOENT;
        return -1;
    }
    msg->nroutes--;
    if (hop)
        *hop = msg->route[msg->nroutes];
    return 0;
}

size_t fx_msg_encoded_len (const struct fx_msg *msg)
{
    return FX_MSG_HDRLEN + strlen (msg->topic) + 8 * (size_t) msg->nroutes + msg->payload_len;
}

void fx_msg_encode_into (const struct fx_msg *msg, void *buf)
{
    unsigned char *p = buf;
    size_t topic_len = strlen (msg->topic);

    p[0] = FX_MSG_MAGIC;
    p[1] = FX_MSG_VERSION;
    p[2] = msg->type;
    p[3] = msg->flags;
    put32 (p + 4, msg->userid);
    put32 (p + 8, msg->rolemask);
    put32 (p + 12, msg->aux1);
    put32 (p + 16, msg->aux2);
    p[20] = topic_len >> 8;
    p[21] = topic_len & 0xff;
    p[22] = msg->nroutes;
    p[23] = 0;
    put32 (p + 24, msg->payload_len);
    p += FX_MSG_HDRLEN;
    memcpy (p, msg->topic, topic_len);
    p += topic_len;
    for (int i = 0; i < msg->nroutes; i++, p += 8) {
        put32 (p, msg->route[i].rank);
        put32 (p + 4, msg->route[i].peer);
    }
    if (msg->payload_len > 0)
        memcpy (p, msg->payload, msg->payload_len);
}

/* Check the fixed header; on success fill msg's header fields and the three lengths. */
static int decode_header (const unsigned char *p, size_t len, struct fx_msg *msg, size_t *topic_len,
                          size_t *payload_len, struct fx_error *err)
{
    if (len < FX_MSG_HDRLEN)
        return errprintf (err, "message too short (%zu bytes)", len);
    if (p[0] != FX_MSG_MAGIC)
        return errprintf (err, "bad magic 0x%02x", p[0]);
    if (p[1] != FX_MSG_VERSION)
        return errprintf (err, "unsupported message version %u (this is %u)", p[1], FX_MSG_VERSION);
    if (!type_valid (p[2]))
        return errprintf (err, "bad message type %u", p[2]);
    if ((p[3] & ~FX_MSGFLAG_ALL) != 0)
        return errprintf (err, "unknown message flags 0x%02x", p[3]);
    if (p[23] != 0)
        return errprintf (err, "reserved header byte is not zero");
    msg->type = p[2];
    msg->flags = p[3];
    msg->userid = get32 (p + 4);
    msg->rolemask = get32 (p + 8);
    msg->aux1 = get32 (p + 12);
    msg->aux2 = get32 (p + 16);
    *topic_len = ((size_t) p[20] << 8) | p[21];
    msg->nroutes = p[22];
    *payload_len = get32 (p + 24);
    if (*topic_len > FX_MSG_TOPIC_MAX)
        return errprintf (err, "topic length %zu exceeds %d", *topic_len, FX_MSG_TOPIC_MAX);
    if (msg->nroutes > FX_MSG_ROUTE_MAX)
        return errprintf (err, "route count %d exceeds %d", msg->nroutes, FX_MSG_ROUTE_MAX);
    if (*payload_len > FX_MSG_PAYLOAD_MAX)
        return errprintf (err, "payload length %zu exceeds %u", *payload_len, FX_MSG_PAYLOAD_MAX);
    if (len != FX_MSG_HDRLEN + *topic_len + 8 * (size_t) msg->nroutes + *payload_len)
        return errprintf (err, "message length %zu does not match its header", len);
    if (*topic_len == 0 && msg->type != FX_MSG_CONTROL)
        return errprintf (err, "%s without a topic", fx_msg_typestr (msg->type));
    return 0;
}

struct fx_msg *fx_msg_decode (const void *buf, size_t len, struct fx_error *err)
{
    const unsigned char *p = buf;
    struct fx_msg *msg;
    size_t topic_len = 0, payload_len = 0;

    if (!(msg = calloc (1, sizeof (*msg))))
        return NULL;
    if (decode_header (p, len, msg, &topic_len, &payload_len, err) < 0
        || topic_len > FX_MSG_TOPIC_MAX)
        goto proto;
    p += FX_MSG_HDRLEN;
    memcpy (msg->topic, p, topic_len);
    msg->topic[topic_len] = '\0';
    if (topic_len > 0 && (memchr (p, '\0', topic_len) || !fx_msg_topic_valid (msg->topic))) {
        errprintf (err, "invalid topic");
        goto proto;
    }
    p += topic_len;
    for (int i = 0; i < msg->nroutes; i++, p += 8) {
        msg->route[i].rank = get32 (p);
        msg->route[i].peer = get32 (p + 4);
    }
    if (payload_len > 0) {
        if (!(msg->payload = malloc (payload_len)))
            goto nomem;
        memcpy (msg->payload, p, payload_len);
        msg->payload_len = payload_len;
    }
    return msg;
proto:
    fx_msg_destroy (msg);
    errno = EPROTO;
    return NULL;
nomem:
    fx_msg_destroy (msg);
    errno = ENOMEM;
    return NULL;
}

struct fx_msg *fx_msg_response (const struct fx_msg *req, int errnum, const char *errstr,
                                const json_t *payload)
{
    struct fx_msg *rsp;
    json_t *o = NULL;

    if (errnum && errstr) {
        if (!(o = json_pack ("{s:s}", "errstr", errstr))) {
            errno = ENOMEM;
            return NULL;
        }
        payload = o;
    }
    rsp = fx_msg_create (FX_MSG_RESPONSE, req->topic, errnum ? o : payload);
    json_decref (o);
    if (!rsp)
        return NULL;
    rsp->flags = req->flags & FX_MSGFLAG_STREAMING;
    rsp->aux1 = errnum;
    rsp->aux2 = req->aux2;
    rsp->nroutes = req->nroutes;
    memcpy (rsp->route, req->route, sizeof (req->route[0]) * req->nroutes);
    return rsp;
}

const char *fx_msg_errstr (struct fx_msg *msg)
{
    json_t *o, *s;

    if (msg->payload_len == 0 || !(o = fx_msg_json (msg, NULL)))
        return NULL;
    if (!(s = json_object_get (o, "errstr")) || !json_is_string (s))
        return NULL;
    return json_string_value (s);
}

void fx_msg_route_string (const struct fx_msg *msg, long self, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < msg->nroutes && n < len; i++)
        n += snprintf (buf + n, len - n, "%s%u.%u", i ? "!" : "", msg->route[i].rank,
                       msg->route[i].peer);
    if (self >= 0 && n < len)
        snprintf (buf + n, len - n, "%s%ld", msg->nroutes ? "!" : "", self);
}

int fx_msg_same_sender (const struct fx_msg *a, const struct fx_msg *b)
{
    if (a->nroutes != b->nroutes)
        return 0;
    for (int i = 0; i < a->nroutes; i++)
        if (a->route[i].rank != b->route[i].rank || a->route[i].peer != b->route[i].peer)
            return 0;
    return 1;
}
