/* check_msg.c - the message codec: round trips, every decode check, routes, responses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/msg.h"
#include "test/unit/check.h"

static unsigned char *encode (const struct fx_msg *msg, size_t *len)
{
    unsigned char *buf;

    *len = fx_msg_encoded_len (msg);
    buf = malloc (*len);
    ck_assert_ptr_nonnull (buf);
    fx_msg_encode_into (msg, buf);
    return buf;
}

/* Encode a request, change one byte at offset to value, and expect decode to refuse it
 * with a message containing want. */
static void expect_refused (size_t offset, unsigned char value, const char *want)
{
    json_t *o = json_pack ("{s:i}", "a", 1);
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, "kvs.get", o);
    struct fx_error err = {""};
    unsigned char *buf;
    size_t len;

    buf = encode (msg, &len);
    buf[offset] = value;
    errno = 0;
    ck_assert_ptr_null (fx_msg_decode (buf, len, &err));
    ck_assert_int_eq (errno, EPROTO);
    ck_assert_msg (strstr (err.text, want), "'%s' does not mention '%s'", err.text, want);
    free (buf);
    fx_msg_destroy (msg);
    json_decref (o);
}

START_TEST (roundtrip_request)
{
    json_t *o = json_pack ("{s:s s:[i,i]}", "key", "a.b", "list", 1, 2);
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, "kvs.get", o);
    struct fx_msg *out;
    unsigned char *buf;
    size_t len;

    msg->flags = FX_MSGFLAG_STREAMING;
    msg->userid = 1000;
    msg->rolemask = FX_ROLE_USER;
    msg->aux1 = 7;
    msg->aux2 = 42;
    ck_assert_int_eq (fx_msg_route_push (msg, 0, 5), 0);
    ck_assert_int_eq (fx_msg_route_push (msg, 3, 9), 0);
    buf = encode (msg, &len);
    out = fx_msg_decode (buf, len, NULL);
    ck_assert_ptr_nonnull (out);
    ck_assert_int_eq (out->type, FX_MSG_REQUEST);
    ck_assert_int_eq (out->flags, FX_MSGFLAG_STREAMING);
    ck_assert_uint_eq (out->userid, 1000);
    ck_assert_uint_eq (out->rolemask, FX_ROLE_USER);
    ck_assert_uint_eq (fx_msg_nodeid (out), 7);
    ck_assert_uint_eq (fx_msg_matchtag (out), 42);
    ck_assert_str_eq (out->topic, "kvs.get");
    ck_assert_int_eq (out->nroutes, 2);
    ck_assert_uint_eq (out->route[1].rank, 3);
    ck_assert_uint_eq (out->route[1].peer, 9);
    ck_assert (json_equal (fx_msg_json (out, NULL), o));
    free (buf);
    fx_msg_destroy (out);
    fx_msg_destroy (msg);
    json_decref (o);
}
END_TEST

START_TEST (roundtrip_control_and_empty)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_CONTROL, NULL, NULL);
    struct fx_msg *out;
    unsigned char *buf;
    size_t len;

    msg->aux1 = FX_CTL_CREDIT;
    msg->aux2 = 32;
    buf = encode (msg, &len);
    ck_assert_uint_eq (len, FX_MSG_HDRLEN);
    out = fx_msg_decode (buf, len, NULL);
    ck_assert_ptr_nonnull (out);
    ck_assert_int_eq (out->type, FX_MSG_CONTROL);
    ck_assert_uint_eq (out->aux2, 32);
    ck_assert_str_eq (out->topic, "");
    ck_assert_int_eq (json_object_size (fx_msg_json (out, NULL)), 0);
    free (buf);
    fx_msg_destroy (out);
    fx_msg_destroy (msg);
}
END_TEST

START_TEST (header_is_big_endian)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_EVENT, "a.b", NULL);
    unsigned char *buf;
    size_t len;

    msg->aux2 = 0x01020304;
    buf = encode (msg, &len);
    ck_assert_int_eq (buf[0], 0x8e);
    ck_assert_int_eq (buf[1], 1);
    ck_assert_int_eq (buf[2], FX_MSG_EVENT);
    ck_assert_mem_eq (buf + 16, "\x01\x02\x03\x04", 4);
    ck_assert_mem_eq (buf + 20, "\x00\x03", 2);
    ck_assert_mem_eq (buf + 28, "a.b", 3);
    free (buf);
    fx_msg_destroy (msg);
}
END_TEST

START_TEST (decode_refuses_bad_fields)
{
    expect_refused (0, 0x8f, "magic");
    expect_refused (1, 2, "version");
    expect_refused (2, 3, "type");
    expect_refused (3, 0x01, "flags");
    expect_refused (3, 0x80, "flags");
    expect_refused (23, 1, "reserved");
    expect_refused (22, 33, "route count");
    expect_refused (22, 1, "length");
    expect_refused (21, 200, "length");
    expect_refused (28, ' ', "topic");
    expect_refused (28 + 3, '\0', "topic");
}
END_TEST

START_TEST (decode_refuses_short_and_long)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, "a.b", NULL);
    struct fx_error err = {""};
    unsigned char *buf, *big;
    size_t len;

    buf = encode (msg, &len);
    for (size_t n = 0; n < len; n++)
        ck_assert_ptr_null (fx_msg_decode (buf, n, &err));
    big = calloc (1, len + 1);
    memcpy (big, buf, len);
    ck_assert_ptr_null (fx_msg_decode (big, len + 1, &err));
    ck_assert_ptr_nonnull (strstr (err.text, "does not match"));
    /* A payload length above the cap is refused before anything is allocated. */
    memcpy (buf + 24, "\x7f\xff\xff\xff", 4);
    ck_assert_ptr_null (fx_msg_decode (buf, len, &err));
    ck_assert_ptr_nonnull (strstr (err.text, "exceeds"));
    free (big);
    free (buf);
    fx_msg_destroy (msg);
}
END_TEST

START_TEST (request_without_topic_refused)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_CONTROL, NULL, NULL);
    struct fx_error err = {""};
    unsigned char *buf;
    size_t len;

    buf = encode (msg, &len);
    buf[2] = FX_MSG_REQUEST;
    ck_assert_ptr_null (fx_msg_decode (buf, len, &err));
    ck_assert_ptr_nonnull (strstr (err.text, "without a topic"));
    free (buf);
    fx_msg_destroy (msg);
}
END_TEST

static struct fx_msg *with_payload (const char *text)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, "a.b", NULL);

    msg->payload = strdup (text);
    msg->payload_len = strlen (text);
    return msg;
}

START_TEST (payload_must_be_object)
{
    const char *bad[] = {"[1,2]", "42", "\"s\"", "{\"a\":1,\"a\":2}", "{", "{}x", NULL};
    struct fx_error err = {""};

    for (int i = 0; bad[i]; i++) {
        struct fx_msg *msg = with_payload (bad[i]);
        errno = 0;
        ck_assert_msg (fx_msg_json (msg, &err) == NULL, "accepted %s", bad[i]);
        ck_assert_int_eq (errno, EPROTO);
        ck_assert_ptr_nonnull (strstr (err.text, "a.b payload"));
        fx_msg_destroy (msg);
    }
}
END_TEST

START_TEST (create_checks_arguments)
{
    json_t *arr = json_array ();

    ck_assert_ptr_null (fx_msg_create (FX_MSG_REQUEST, NULL, NULL));
    ck_assert_ptr_null (fx_msg_create (FX_MSG_REQUEST, "", NULL));
    ck_assert_ptr_null (fx_msg_create (FX_MSG_REQUEST, "a b", NULL));
    ck_assert_ptr_null (fx_msg_create (3, "a.b", NULL));
    ck_assert_ptr_null (fx_msg_create (FX_MSG_REQUEST, "a.b", arr));
    ck_assert_int_eq (errno, EINVAL);
    ck_assert (fx_msg_topic_valid ("job-manager.sched-hello"));
    ck_assert (!fx_msg_topic_valid ("a/b"));
    json_decref (arr);
}
END_TEST

START_TEST (route_stack)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, "a.b", NULL);
    struct fx_route hop;
    char route[128];

    for (int i = 0; i < FX_MSG_ROUTE_MAX; i++)
        ck_assert_int_eq (fx_msg_route_push (msg, i, i + 100), 0);
    ck_assert_int_eq (fx_msg_route_push (msg, 0, 0), -1);
    ck_assert_int_eq (errno, EMSGSIZE);
    ck_assert_int_eq (fx_msg_route_pop (msg, &hop), 0);
    ck_assert_uint_eq (hop.rank, FX_MSG_ROUTE_MAX - 1);
    msg->nroutes = 2;
    fx_msg_route_string (msg, 7, route, sizeof (route));
    ck_assert_str_eq (route, "0.100!1.101!7");
    msg->nroutes = 0;
    ck_assert_int_eq (fx_msg_route_pop (msg, &hop), -1);
    ck_assert_int_eq (errno, ENOENT);
    fx_msg_destroy (msg);
}
END_TEST

START_TEST (response_copies_request)
{
    json_t *o = json_pack ("{s:i}", "x", 1);
    struct fx_msg *req = fx_msg_create (FX_MSG_REQUEST, "kvs.watch", NULL);
    struct fx_msg *ok, *err;

    req->flags = FX_MSGFLAG_STREAMING;
    req->aux2 = 77;
    fx_msg_route_push (req, 0, 3);
    ok = fx_msg_response (req, 0, NULL, o);
    ck_assert_int_eq (ok->type, FX_MSG_RESPONSE);
    ck_assert_str_eq (ok->topic, "kvs.watch");
    ck_assert_uint_eq (fx_msg_matchtag (ok), 77);
    ck_assert_int_eq (ok->flags, FX_MSGFLAG_STREAMING);
    ck_assert_int_eq (ok->nroutes, 1);
    ck_assert (json_equal (fx_msg_json (ok, NULL), o));
    ck_assert_ptr_null (fx_msg_errstr (ok));
    err = fx_msg_response (req, ENOENT, "no such key", NULL);
    ck_assert_uint_eq (fx_msg_errnum (err), ENOENT);
    ck_assert_str_eq (fx_msg_errstr (err), "no such key");
    fx_msg_destroy (ok);
    fx_msg_destroy (err);
    fx_msg_destroy (req);
    json_decref (o);
}
END_TEST

START_TEST (copy_is_deep)
{
    json_t *o = json_pack ("{s:s}", "k", "v");
    struct fx_msg *msg = fx_msg_create (FX_MSG_EVENT, "a.b", o);
    struct fx_msg *cpy = fx_msg_copy (msg);

    ck_assert_ptr_ne (cpy->payload, msg->payload);
    fx_msg_destroy (msg);
    ck_assert (json_equal (fx_msg_json (cpy, NULL), o));
    fx_msg_destroy (cpy);
    json_decref (o);
}
END_TEST

/* A payload set as text goes out as it is and decodes like any other; non-object text is
 * refused. */
START_TEST (payload_text_passes_through)
{
    const char text[] = "{\"key\":\"a.b\",\"n\":[1,2]}";
    struct fx_msg *msg = fx_msg_create (FX_MSG_RESPONSE, "kvs.get", NULL), *back;
    struct fx_error err;
    void *buf;
    size_t len;
    json_t *o;

    ck_assert_ptr_nonnull (msg);
    ck_assert_int_eq (fx_msg_set_payload_text (msg, "[1]", 3), -1);
    ck_assert_int_eq (errno, EINVAL);
    ck_assert_int_eq (fx_msg_set_payload_text (msg, text, strlen (text)), 0);
    len = fx_msg_encoded_len (msg);
    ck_assert_ptr_nonnull (buf = malloc (len));
    fx_msg_encode_into (msg, buf);
    ck_assert_ptr_nonnull (back = fx_msg_decode (buf, len, &err));
    ck_assert_ptr_nonnull (o = fx_msg_json (back, &err));
    ck_assert_str_eq (json_string_value (json_object_get (o, "key")), "a.b");
    ck_assert_int_eq (json_array_size (json_object_get (o, "n")), 2);
    free (buf);
    fx_msg_destroy (back);
    fx_msg_destroy (msg);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("msg");
    const struct fx_check_case cases[] = {
        {"roundtrip_request", roundtrip_request},
        {"roundtrip_control_and_empty", roundtrip_control_and_empty},
        {"header_is_big_endian", header_is_big_endian},
        {"decode_refuses_bad_fields", decode_refuses_bad_fields},
        {"decode_refuses_short_and_long", decode_refuses_short_and_long},
        {"request_without_topic_refused", request_without_topic_refused},
        {"payload_must_be_object", payload_must_be_object},
        {"create_checks_arguments", create_checks_arguments},
        {"route_stack", route_stack},
        {"response_copies_request", response_copies_request},
        {"copy_is_deep", copy_is_deep},
        {"payload_text_passes_through", payload_text_passes_through},
    };

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), NULL);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
