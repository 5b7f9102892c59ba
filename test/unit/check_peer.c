/* check_peer.c - the peer library against the real router, in one process.
 *
 * The middle tier of STYLE.md: overlayd's router and built-in services run in-process on
 * an ipc:// socket in a temporary directory, driven by the same libev loop as the peers
 * under test.  A private munged (real, with a fresh key) authenticates the hellos.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "overlayd/overlayd.h"
#include "services/peer.h"
#include "test/unit/check.h"
#include "test/unit/munged.h"

/* Fixture state for the test running in this (forked) process. */
static char uri[128];
static struct ev_loop *loop;
static struct overlayd *od;

static void setup (void)
{
    struct overlayd_args args = {.rank = 0, .size = 1};
    struct fx_error err = {""};

    snprintf (uri, sizeof (uri), "ipc://%s/router", test_dir);
    args.uri = uri;
    args.munge_socket = getenv ("FLUX_MUNGE_SOCKET");
    loop = ev_loop_new (0);
    od = overlayd_create (loop, &args, &err);
    ck_assert_msg (od != NULL, "overlayd_create: %s", err.text);
}

static void teardown (void)
{
    overlayd_destroy (od);
    ev_loop_destroy (loop);
}

/* munged and the directory live in the parent (an unchecked fixture), so that they are
 * cleaned up even when a test fails or times out in its forked child. */
static void munged_setup (void)
{
    test_munged_dir_setup ("check_peer");
}

static struct fx_peer *connect_peer (const char *name)
{
    struct fx_error err = {""};
    struct fx_peer *p = fx_peer_create (loop, uri, name, &err);

    ck_assert_msg (p != NULL, "fx_peer_create: %s", err.text);
    return p;
}

/* A small service used by the tests. */
struct svc {
    int held;                /* svc.hold requests received and not answered */
    struct fx_msg *held_req; /* the last one */
    int cancels;
    uint32_t cancelled_tag;
};

static void echo_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    (void) arg;
    fx_respond (p, msg, fx_msg_json (msg, NULL));
}

static void stream_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    (void) arg;
    for (int i = 0; i < 3; i++) {
        json_t *o = json_pack ("{s:i}", "i", i);
        fx_respond (p, msg, o);
        json_decref (o);
    }
    fx_respond_error (p, msg, ENODATA, NULL);
}

static void hold_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct svc *s = arg;

    (void) p;
    s->held++;
    fx_msg_destroy (s->held_req);
    s->held_req = fx_msg_copy (msg);
}

static void cancel_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct svc *s = arg;
    int tag = 0;

    (void) p;
    json_unpack (fx_msg_json (msg, NULL), "{s:i}", "matchtag", &tag);
    s->cancels++;
    s->cancelled_tag = tag;
}

static const struct fx_handler svc_table[] = {
    {"svc.echo", echo_cb, FX_ROLE_ALL},
    {"svc.stream", stream_cb, FX_ROLE_ALL},
    {"svc.hold", hold_cb, FX_ROLE_ALL},
    {"svc.cancel", cancel_cb, FX_ROLE_ALL},
    {"svc.guests-only", echo_cb, FX_ROLE_USER},
    {NULL, NULL, 0},
};

static struct fx_peer *start_service (struct svc *s)
{
    struct fx_peer *p = connect_peer ("svc");
    struct fx_error err = {""};

    ck_assert_msg (fx_peer_service_add (p, "svc", svc_table, s, &err) == 0, "%s", err.text);
    return p;
}

START_TEST (hello_reports_identity)
{
    struct fx_peer *p = connect_peer ("t");

    ck_assert_uint_eq (fx_peer_rank (p), 0);
    ck_assert_uint_eq (fx_peer_size (p), 1);
    ck_assert_uint_eq (fx_peer_userid (p), getuid ());
    ck_assert_uint_eq (fx_peer_rolemask (p), FX_ROLE_OWNER);
    ck_assert_uint_ne (fx_peer_id (p), 0);
    fx_peer_destroy (p);
}
END_TEST

START_TEST (ping_the_router)
{
    struct fx_peer *p = connect_peer ("t");
    struct fx_error err = {""};
    json_t *in = json_pack ("{s:s}", "pad", "xyz"), *out = NULL;
    const char *route, *pad;
    char want[32];

    ck_assert_int_eq (fx_rpc_call (p, "broker.ping", FX_NODEID_ANY, in, 5, &out, &err), 0);
    ck_assert_int_eq (json_unpack (out, "{s:s s:s}", "route", &route, "pad", &pad), 0);
    snprintf (want, sizeof (want), "0.%u!0", fx_peer_id (p));
    ck_assert_str_eq (route, want);
    ck_assert_str_eq (pad, "xyz");
    json_decref (in);
    json_decref (out);
    fx_peer_destroy (p);
}
END_TEST

START_TEST (service_dispatch)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *c = connect_peer ("client");
    struct fx_error err = {""};
    json_t *in = json_pack ("{s:i}", "x", 42), *out = NULL;

    ck_assert_int_eq (fx_rpc_call (c, "svc.echo", FX_NODEID_ANY, in, 5, &out, &err), 0);
    ck_assert (json_equal (in, out));
    json_decref (out);
    ck_assert_int_eq (fx_rpc_call (c, "svc.ping", FX_NODEID_ANY, NULL, 5, NULL, &err), 0);
    ck_assert_int_eq (fx_rpc_call (c, "svc.nosuch", FX_NODEID_ANY, NULL, 5, NULL, &err), -1);
    ck_assert_int_eq (errno, ENOSYS);
    ck_assert_str_eq (err.text, "unknown method svc.nosuch");
    ck_assert_int_eq (fx_rpc_call (c, "svc.guests-only", FX_NODEID_ANY, NULL, 5, NULL, &err),
                      -1);
    ck_assert_int_eq (errno, EPERM);
    ck_assert_int_eq (fx_rpc_call (c, "other.x", FX_NODEID_ANY, NULL, 5, NULL, &err), -1);
    ck_assert_int_eq (errno, ENOSYS);
    ck_assert_str_eq (err.text, "service 'other' is not available");
    json_decref (in);
    fx_peer_destroy (c);
    fx_peer_destroy (svc);
}
END_TEST

START_TEST (service_name_taken)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *other = connect_peer ("other");
    struct fx_error err = {""};

    ck_assert_int_eq (fx_peer_service_add (other, "svc", svc_table, &s, &err), -1);
    ck_assert_int_eq (errno, EEXIST);
    ck_assert_int_eq (fx_peer_service_add (other, "broker", svc_table, &s, &err), -1);
    ck_assert_int_eq (errno, EEXIST);
    fx_peer_destroy (other);
    fx_peer_destroy (svc);
}
END_TEST

struct collect {
    int n;
    int sum;
    int final_errnum;
    int done;
};

static void collect_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct collect *c = arg;
    int i;

    (void) rpc;
    if (fx_msg_errnum (rsp)) {
        c->final_errnum = fx_msg_errnum (rsp);
        c->done = 1;
        return;
    }
    if (json_unpack (fx_msg_json (rsp, NULL), "{s:i}", "i", &i) == 0) {
        c->n++;
        c->sum += i;
    }
}

START_TEST (streaming_ends_with_enodata)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *c = connect_peer ("client");
    struct collect got = {0};

    ck_assert_ptr_nonnull (fx_rpc_start (c, "svc.stream", FX_NODEID_ANY, FX_MSGFLAG_STREAMING,
                                         NULL, 5, collect_cb, &got));
    while (!got.done)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_int_eq (got.n, 3);
    ck_assert_int_eq (got.sum, 0 + 1 + 2);
    ck_assert_int_eq (got.final_errnum, ENODATA);
    fx_peer_destroy (c);
    fx_peer_destroy (svc);
}
END_TEST

START_TEST (timeout_is_reported)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *c = connect_peer ("client");
    struct fx_error err = {""};

    ck_assert_int_eq (fx_rpc_call (c, "svc.hold", FX_NODEID_ANY, NULL, 0.2, NULL, &err), -1);
    ck_assert_int_eq (errno, ETIMEDOUT);
    ck_assert_str_eq (err.text, "svc.hold: no answer within 0.2s");
    ck_assert_int_eq (s.held, 1);
    /* A late answer to a request that timed out is dropped, not delivered elsewhere. */
    fx_respond (svc, s.held_req, NULL);
    ck_assert_int_eq (fx_rpc_call (c, "svc.ping", FX_NODEID_ANY, NULL, 5, NULL, &err), 0);
    fx_msg_destroy (s.held_req);
    fx_peer_destroy (c);
    fx_peer_destroy (svc);
}
END_TEST

START_TEST (cancel_tells_the_service)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *c = connect_peer ("client");
    struct collect got = {0};
    struct fx_rpc *rpc;
    uint32_t tag;

    rpc = fx_rpc_start (c, "svc.hold", FX_NODEID_ANY, FX_MSGFLAG_STREAMING, NULL, 0, collect_cb,
                        &got);
    ck_assert_ptr_nonnull (rpc);
    tag = fx_rpc_matchtag (rpc);
    while (s.held == 0)
        ev_run (loop, EVRUN_ONCE);
    fx_rpc_cancel (rpc);
    while (s.cancels == 0)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_uint_eq (s.cancelled_tag, tag);
    ck_assert_int_eq (got.done, 0);
    fx_msg_destroy (s.held_req);
    fx_peer_destroy (c);
    fx_peer_destroy (svc);
}
END_TEST

struct events {
    int n;
    uint32_t last_seq;
    char topic[FX_MSG_TOPIC_MAX + 1];
    json_t *payload;
};

static void event_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct events *e = arg;

    (void) p;
    e->n++;
    e->last_seq = fx_msg_seq (msg);
    snprintf (e->topic, sizeof (e->topic), "%s", msg->topic);
    json_decref (e->payload);
    e->payload = json_incref (fx_msg_json (msg, NULL));
}

START_TEST (events_by_prefix)
{
    struct fx_peer *sub = connect_peer ("sub"), *pub = connect_peer ("pub");
    struct fx_error err = {""};
    struct events e = {0};
    json_t *in;

    ck_assert_int_eq (fx_peer_subscribe (sub, "test.", event_cb, &e, &err), 0);
    in = json_pack ("{s:s s:{s:i}}", "topic", "other.x", "payload", "v", 1);
    ck_assert_int_eq (fx_rpc_call (pub, "event.publish", FX_NODEID_ANY, in, 5, NULL, &err), 0);
    json_decref (in);
    in = json_pack ("{s:s s:{s:i}}", "topic", "test.hello", "payload", "v", 2);
    ck_assert_int_eq (fx_rpc_call (pub, "event.publish", FX_NODEID_ANY, in, 5, NULL, &err), 0);
    json_decref (in);
    while (e.n == 0)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_int_eq (e.n, 1);
    ck_assert_str_eq (e.topic, "test.hello");
    ck_assert_uint_eq (e.last_seq, 2);
    ck_assert_int_eq (json_integer_value (json_object_get (e.payload, "v")), 2);
    json_decref (e.payload);
    fx_peer_destroy (pub);
    fx_peer_destroy (sub);
}
END_TEST

START_TEST (goodbye_announces_disconnect)
{
    struct fx_peer *watcher = connect_peer ("watcher"), *leaver = connect_peer ("leaver");
    struct fx_error err = {""};
    struct events e = {0};
    uint32_t id = fx_peer_id (leaver);

    ck_assert_int_eq (fx_peer_subscribe (watcher, "router.disconnect", event_cb, &e, &err), 0);
    fx_peer_destroy (leaver);
    while (e.n == 0)
        ev_run (loop, EVRUN_ONCE);
    ck_assert_int_eq (json_integer_value (json_object_get (e.payload, "peer")), id);
    json_decref (e.payload);
    fx_peer_destroy (watcher);
}
END_TEST

START_TEST (services_vanish_with_their_peer)
{
    struct svc s = {0};
    struct fx_peer *svc = start_service (&s), *c = connect_peer ("client");
    struct fx_error err = {""};

    fx_peer_destroy (svc);
    /* The goodbye is handled before the next request: both travel the same loop. */
    ck_assert_int_eq (fx_rpc_call (c, "svc.echo", FX_NODEID_ANY, NULL, 5, NULL, &err), -1);
    ck_assert_int_eq (errno, ENOSYS);
    fx_peer_destroy (c);
}
END_TEST

static Suite *suite (void)
{
    Suite *s = suite_create ("peer");
    const struct fx_check_case cases[] = {
        {"hello_reports_identity", hello_reports_identity},
        {"ping_the_router", ping_the_router},
        {"service_dispatch", service_dispatch},
        {"service_name_taken", service_name_taken},
        {"streaming_ends_with_enodata", streaming_ends_with_enodata},
        {"timeout_is_reported", timeout_is_reported},
        {"cancel_tells_the_service", cancel_tells_the_service},
        {"events_by_prefix", events_by_prefix},
        {"goodbye_announces_disconnect", goodbye_announces_disconnect},
        {"services_vanish_with_their_peer", services_vanish_with_their_peer},
    };

    const struct fx_check_fixtures fx = {.setup = setup, .teardown = teardown,
                                         .unchecked_setup = munged_setup,
                                         .unchecked_teardown = test_munged_dir_teardown};

    fx_check_add_cases (s, cases, sizeof (cases) / sizeof (cases[0]), &fx);
    return s;
}

int main (void)
{
    return fx_check_main (suite ());
}
