/* fakejobs.c - a stand-in for jobd's job-list and job-manager services, for tests of
 * flux jobs, flux job, flux queue and flux cancel.
 *
 *   fakejobs PREFIX JOBS-FILE QUEUE-FILE
 *       connect to $FLUX_URI, register PREFIX-list and PREFIX-manager (the commands use
 *       them when FLUX_JOB_LIST_SERVICE and FLUX_JOB_MANAGER_SERVICE name them), print
 *       "ready", and serve until killed.  Both files are read again at each request.
 *
 * JOBS-FILE is {"jobs":[JOB...]} newest first; a JOB may also hold "eventlog" and
 * "guest.output" (arrays of events, sent by PREFIX-list.eventlog two at a time, then
 * ENODATA), "jobspec" and "R" (given by info only), and "fail":"MESSAGE" (every
 * PREFIX-manager request about the job is refused with EPERM and MESSAGE).
 *   PREFIX-list.list       filters as jobd does (doc/job.md): states, results, userid, max
 *   PREFIX-list.info       the job, or ENOENT "ƒXXX: unknown job"
 *   PREFIX-manager.queue-status  answers QUEUE-FILE
 *   PREFIX-manager.*       urgency, raise, kill, queue-enable/disable/start/stop/drain/idle:
 *                          print "METHOD {request}" (compact, keys sorted) and answer
 *                          ({"old_urgency"} for urgency; drain and idle never answer when
 *                          QUEUE-FILE holds "hang":true)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/fluid.h"
#include "services/peer.h"

struct fake {
    const char *jobs_path;
    const char *queue_path;
};

static const char *extras[] = {"eventlog", "guest.output", "jobspec", "R", "fail", NULL};

static json_t *load (struct fx_peer *p, struct fx_msg *msg, const char *path)
{
    json_error_t jerr;
    json_t *o = json_load_file (path, 0, &jerr);

    if (!o)
        fx_respond_error (p, msg, EIO, "%s: %s", path, jerr.text);
    return o;
}

static void print_request (struct fx_msg *msg)
{
    json_t *in = fx_msg_json (msg, NULL);
    char *s = in ? json_dumps (in, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    printf ("%s %s\n", strchr (msg->topic, '.') + 1, s ? s : "{}");
    fflush (stdout);
    free (s);
}

/* The job with the request's id (borrowed from jobs), or NULL after answering ENOENT. */
static json_t *find (struct fx_peer *p, struct fx_msg *msg, json_t *jobs)
{
    json_t *in = fx_msg_json (msg, NULL), *job;
    json_int_t id = 0;
    char buf[FX_FLUID_STRLEN] = "?";
    size_t i;

    if (!in || json_unpack (in, "{s:I}", "id", &id) < 0) {
        fx_respond_error (p, msg, EPROTO, "no id");
        return NULL;
    }
    json_array_foreach (json_object_get (jobs, "jobs"), i, job)
    {
        if (json_integer_value (json_object_get (job, "id")) == id)
            return job;
    }
    fx_fluid_encode (buf, sizeof (buf), (uint64_t) id, FX_FLUID_F58);
    fx_respond_error (p, msg, ENOENT, "%s: unknown job", buf);
    return NULL;
}

static json_t *strip (const json_t *job, int keep_data)
{
    json_t *o = json_deep_copy (job);

    for (int i = 0; extras[i]; i++) {
        if (!keep_data || (strcmp (extras[i], "jobspec") && strcmp (extras[i], "R")))
            json_object_del (o, extras[i]);
    }
    return o;
}

static int matches (const json_t *job, int states, int results, json_int_t userid)
{
    int state = (int) json_integer_value (json_object_get (job, "state"));
    int result = (int) json_integer_value (json_object_get (job, "result"));
    int match = (state & states) != 0;

    if (results && state == 64)
        match = match || (result & results);
    return match && (userid < 0 || json_integer_value (json_object_get (job, "userid")) == userid);
}

static void list_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    json_t *in = fx_msg_json (msg, NULL), *all, *jobs, *job, *out;
    int max = 1000, states = 6, results = 0;
    json_int_t userid = -1;
    size_t i;

    print_request (msg);
    if (!in
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s?i s?i s?I s?i}", "max", &max, "states",
                           &states, "userid", &userid, "results", &results)
               < 0) {
        fx_respond_error (p, msg, EPROTO, "malformed list request");
        return;
    }
    if (!(all = load (p, msg, f->jobs_path)))
        return;
    jobs = json_array ();
    json_array_foreach (json_object_get (all, "jobs"), i, job)
    {
        if ((max == 0 || (int) json_array_size (jobs) < max)
            && matches (job, states, results, userid))
            json_array_append_new (jobs, strip (job, 0));
    }
    out = json_pack ("{s:o}", "jobs", jobs);
    fx_respond (p, msg, out);
    json_decref (out);
    json_decref (all);
}

static void info_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    json_t *all, *job, *out;

    if (!(all = load (p, msg, f->jobs_path)))
        return;
    if ((job = find (p, msg, all))) {
        out = strip (job, 1);
        fx_respond (p, msg, out);
        json_decref (out);
    }
    json_decref (all);
}

static void eventlog_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    json_t *in = fx_msg_json (msg, NULL), *all, *job, *events, *batch, *out;
    const char *name = "eventlog";
    size_t i;

    if (!in || json_unpack (in, "{s?s}", "name", &name) < 0 || !(all = load (p, msg, f->jobs_path)))
        return;
    if ((job = find (p, msg, all))) {
        events = json_object_get (job, name);
        for (i = 0; i < json_array_size (events); i += 2) {
            batch = json_array ();
            json_array_append (batch, json_array_get (events, i));
            if (i + 1 < json_array_size (events))
                json_array_append (batch, json_array_get (events, i + 1));
            out = json_pack ("{s:o}", "events", batch);
            fx_respond (p, msg, out);
            json_decref (out);
        }
        fx_respond_error (p, msg, ENODATA, NULL);
    }
    json_decref (all);
}

static void ignore_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    (void) p;
    (void) msg;
    (void) arg;
}

static void queue_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    const char *method = strchr (msg->topic, '.') + 1;
    json_t *q, *out;

    if (!(q = load (p, msg, f->queue_path)))
        return;
    if (!strcmp (method, "queue-status"))
        fx_respond (p, msg, q);
    else {
        print_request (msg);
        if (!json_is_true (json_object_get (q, "hang"))
            || (strcmp (method, "queue-drain") && strcmp (method, "queue-idle"))) {
            out = json_object ();
            fx_respond (p, msg, out);
            json_decref (out);
        }
    }
    json_decref (q);
}

static void job_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct fake *f = arg;
    json_t *all, *job, *out;
    const char *fail;

    print_request (msg);
    if (!(all = load (p, msg, f->jobs_path)))
        return;
    if ((job = find (p, msg, all))) {
        if ((fail = json_string_value (json_object_get (job, "fail"))))
            fx_respond_error (p, msg, EPERM, "%s", fail);
        else {
            out = strcmp (msg->topic + strlen (msg->topic) - 8, ".urgency")
                      ? json_object ()
                      : json_pack ("{s:O}", "old_urgency", json_object_get (job, "urgency"));
            fx_respond (p, msg, out);
            json_decref (out);
        }
    }
    json_decref (all);
}

int main (int argc, char **argv)
{
    static const char *lmethods[] = {"list", "info", "eventlog", "cancel", NULL};
    static const fx_msg_f lcbs[] = {list_cb, info_cb, eventlog_cb, ignore_cb};
    static const char *mmethods[] = {
        "queue-status", "queue-enable", "queue-disable", "queue-start", "queue-stop", "queue-drain",
        "queue-idle",   "urgency",      "raise",         "kill",        NULL};
    char topics[16][128], lname[80], mname[80];
    struct fx_handler ltab[8] = {{0}}, mtab[16] = {{0}};
    struct fx_error err = {""};
    struct fake f;
    struct fx_peer *p;
    int t = 0;

    if (argc != 4 || strlen (argv[1]) > 64) {
        fprintf (stderr, "Usage: fakejobs PREFIX JOBS-FILE QUEUE-FILE\n");
        return 2;
    }
    f.jobs_path = argv[2];
    f.queue_path = argv[3];
    snprintf (lname, sizeof (lname), "%s-list", argv[1]);
    snprintf (mname, sizeof (mname), "%s-manager", argv[1]);
    for (int i = 0; lmethods[i]; i++, t++) {
        snprintf (topics[t], sizeof (topics[t]), "%s.%s", lname, lmethods[i]);
        ltab[i] = (struct fx_handler){topics[t], lcbs[i], FX_ROLE_ALL};
    }
    for (int i = 0; mmethods[i]; i++, t++) {
        snprintf (topics[t], sizeof (topics[t]), "%s.%s", mname, mmethods[i]);
        mtab[i] = (struct fx_handler){topics[t], i < 7 ? queue_cb : job_cb, FX_ROLE_ALL};
    }
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "fakejobs", &err))
        || fx_peer_service_add (p, lname, ltab, &f, &err) < 0
        || fx_peer_service_add (p, mname, mtab, &f, &err) < 0) {
        fprintf (stderr, "fakejobs: %s\n", err.text);
        return 1;
    }
    printf ("ready\n");
    fflush (stdout);
    ev_run (EV_DEFAULT, 0);
    fx_peer_destroy (p);
    return 0;
}
