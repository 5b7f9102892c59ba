/* cron.c - the cron service (doc/cron.md): rank 0's execd runs commands on a schedule.
 *
 * An entry is an interval (every N seconds, libev timer) or a crontab schedule (libev
 * periodic at the next matching minute, services/crontab.c); each run is `sh -c COMMAND`
 * as the owner through the runner (run.c) with the owner's minimal environment.  A run
 * still going when the next is due is skipped and counted.  Entries come from `flux cron
 * tab|interval` (cron.* requests, owner only) or from the crontab files of cron.directory
 * (cronfile.c), which a configuration reload replaces.  Entries live in memory only: a
 * restart of execd starts from the files again.  Bad requests get one error answer; a run
 * that cannot start is recorded as that run's failure.
 */
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/cron.h"
#include "services/conf.h"
#include "services/fsd.h"

static void entry_run_done (struct run *r, int status, int timedout, const char *output, void *arg)
{
    struct cron_entry *e = arg;
    char *copy = strdup (output);

    (void) r;
    e->run = NULL;
    e->last_end = ev_now (e->cron->ed->loop);
    e->last_status = status;
    e->last_timedout = timedout;
    if (copy) {
        free (e->last_output);
        e->last_output = copy;
    }
}

static void entry_fire (struct cron_entry *e)
{
    struct cron *c = e->cron;
    char *argv[] = {"sh", "-c", e->command, NULL};
    struct run_opts o = {.argv = argv, .env = c->env};
    struct fx_error err = {""};

    if (e->run) {
        e->skipped++;
        fx_metric_inc (c->m_skipped);
        return;
    }
    e->runs++;
    fx_metric_inc (c->m_runs);
    e->last_start = ev_now (c->ed->loop);
    if (!(e->run = run_start (c->ed, &o, entry_run_done, e, &err))) {
        fx_log (c->ed->peer, LOG_ERR, "cron: %ju: %s", (uintmax_t) e->id, err.text);
        e->last_end = e->last_start;
        e->last_status = 126 << 8;
        free (e->last_output);
        e->last_output = strdup (err.text);
    }
}

static void timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct cron_entry *e = w->data;

    (void) revents;
    e->next = ev_now (loop) + e->interval;
    entry_fire (e);
}

static void periodic_cb (struct ev_loop *loop, ev_periodic *w, int revents)
{
    struct cron_entry *e = w->data;
    time_t next = fx_cronsched_next (&e->sched, (time_t) ev_now (loop));

    (void) revents;
    e->next = next == (time_t) -1 ? 0 : (double) next;
    if (e->next > 0) {
        ev_periodic_set (w, e->next, 0., NULL);
        ev_periodic_again (loop, w);
    } else
        ev_periodic_stop (loop, w);
    entry_fire (e);
}

void cron_entry_arm (struct cron_entry *e)
{
    struct ev_loop *loop = e->cron->ed->loop;
    time_t next;

    if (e->stopped)
        return;
    if (e->type == CRON_INTERVAL) {
        ev_timer_set (&e->timer, e->after, e->interval);
        ev_timer_start (loop, &e->timer);
        e->next = ev_now (loop) + e->after;
        return;
    }
    if ((next = fx_cronsched_next (&e->sched, (time_t) ev_now (loop))) == (time_t) -1) {
        e->next = 0;
        return;
    }
    e->next = (double) next;
    ev_periodic_set (&e->periodic, e->next, 0., NULL);
    ev_periodic_start (loop, &e->periodic);
}

static void entry_disarm (struct cron_entry *e)
{
    ev_timer_stop (e->cron->ed->loop, &e->timer);
    ev_periodic_stop (e->cron->ed->loop, &e->periodic);
    e->next = 0;
}

struct cron_entry *cron_entry_create (struct cron *c, int type, const char *command, size_t len)
{
    struct cron_entry *e;

    if (c->count >= CRON_ENTRIES_MAX) {
        errno = ENOSPC;
        return NULL;
    }
    if (!(e = calloc (1, sizeof (*e))) || !(e->command = strndup (command, len))) {
        free (e);
        errno = ENOMEM;
        return NULL;
    }
    e->cron = c;
    e->id = c->next_id++;
    e->type = type;
    e->last_status = -1;
    ev_timer_init (&e->timer, timer_cb, 0., 0.);
    e->timer.data = e;
    ev_periodic_init (&e->periodic, periodic_cb, 0., 0., NULL);
    e->periodic.data = e;
    if ((e->prev = c->last))
        c->last->next_entry = e;
    else
        c->entries = e;
    c->last = e;
    c->count++;
    return e;
}

void cron_entry_destroy (struct cron_entry *e, int kill)
{
    struct cron *c = e->cron;

    entry_disarm (e);
    if (e->run) {
        if (kill)
            run_kill (e->run);
        run_detach (e->run);
    }
    if (e->prev)
        e->prev->next_entry = e->next_entry;
    else
        c->entries = e->next_entry;
    if (e->next_entry)
        e->next_entry->prev = e->prev;
    else
        c->last = e->prev;
    c->count--;
    free (e->command);
    free (e->file);
    free (e->last_output);
    free (e);
}

static struct cron_entry *entry_lookup (struct cron *c, json_int_t id)
{
    for (struct cron_entry *e = c->entries; e; e = e->next_entry) {
        if ((json_int_t) e->id == id)
            return e;
    }
    return NULL;
}

static json_t *entry_json (const struct cron_entry *e)
{
    json_t *o = json_pack (
        "{s:I s:s s:s s:s s:b s:b s:I s:I s:f s:f s:o s:b s:s s:f}", "id", (json_int_t) e->id,
        "type", e->type == CRON_INTERVAL ? "interval" : "crontab", "schedule", e->schedule,
        "command", e->command, "stopped", e->stopped, "running", e->run != NULL, "runs",
        (json_int_t) e->runs, "skipped", (json_int_t) e->skipped, "last-start", e->last_start,
        "last-end", e->last_end, "last-status",
        e->last_status < 0 ? json_null () : json_integer (e->last_status), "last-timedout",
        e->last_timedout, "last-output", e->last_output ? e->last_output : "", "next", e->next);
    char src[4200];

    if (o && e->file) {
        snprintf (src, sizeof (src), "%s:%d", e->file, e->line);
        json_object_set_new (o, "source", json_string (src));
    }
    return o;
}

/* The entry a request names ({"id":I} and perhaps {"kill":b}), or an error answer. */
static struct cron_entry *entry_request (struct cron *c, struct fx_msg *req, int *kill)
{
    json_t *in = fx_msg_json (req, NULL);
    json_int_t id;
    json_error_t jerr;
    struct cron_entry *e;
    int k = 0;

    if (!in
        || json_unpack_ex (in, &jerr, JSON_STRICT, kill ? "{s:I s?b}" : "{s:I}", "id", &id, "kill",
                           &k)
               < 0) {
        fx_respond_error (c->ed->peer, req, EPROTO, "%s: %s", req->topic,
                          in ? jerr.text : "payload is not a JSON object");
        return NULL;
    }
    if (!(e = entry_lookup (c, id))) {
        fx_respond_error (c->ed->peer, req, ENOENT, "cron entry %jd not found", (intmax_t) id);
        return NULL;
    }
    if (kill)
        *kill = k;
    return e;
}

static void respond_entry (struct cron *c, struct fx_msg *req, const struct cron_entry *e)
{
    json_t *o = e ? entry_json (e) : json_object ();

    if (!o)
        fx_respond_error (c->ed->peer, req, ENOMEM, "out of memory");
    else
        fx_respond (c->ed->peer, req, o);
    json_decref (o);
}

static void get_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    struct cron_entry *e = entry_request (ed->cron, req, NULL);

    (void) p;
    if (e)
        respond_entry (ed->cron, req, e);
}

static void delete_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    int kill = 0;
    struct cron_entry *e = entry_request (ed->cron, req, &kill);

    (void) p;
    if (!e)
        return;
    fx_log (p, LOG_INFO, "cron: %ju deleted%s", (uintmax_t) e->id,
            kill && e->run ? ", its run killed" : "");
    cron_entry_destroy (e, kill);
    respond_entry (ed->cron, req, NULL);
}

static void stop_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    struct cron_entry *e = entry_request (ed->cron, req, NULL);

    (void) p;
    if (!e)
        return;
    e->stopped = 1;
    entry_disarm (e);
    respond_entry (ed->cron, req, e);
}

static void start_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    struct cron_entry *e = entry_request (ed->cron, req, NULL);

    (void) p;
    if (!e)
        return;
    if (e->stopped) {
        e->stopped = 0;
        cron_entry_arm (e);
    }
    respond_entry (ed->cron, req, e);
}

static void list_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    json_t *in = fx_msg_json (req, NULL), *a = json_array (), *o;

    if (!in || json_object_size (in) != 0) {
        fx_respond_error (p, req, EPROTO, "cron.list: expected {}");
        goto done;
    }
    for (struct cron_entry *e = ed->cron->entries; e && a; e = e->next_entry) {
        if (json_array_append_new (a, entry_json (e)) < 0) {
            json_decref (a);
            a = NULL;
        }
    }
    if (!a || !(o = json_pack ("{s:O}", "entries", a)))
        fx_respond_error (p, req, ENOMEM, "out of memory");
    else {
        fx_respond (p, req, o);
        json_decref (o);
    }
done:
    json_decref (a);
}

static void interval_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    json_t *in = fx_msg_json (req, NULL);
    double interval, after = -1;
    const char *command;
    json_error_t jerr;
    struct cron_entry *e;

    if (!in
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s:F s?F s:s}", "interval", &interval, "after",
                           &after, "command", &command)
               < 0) {
        fx_respond_error (p, req, EPROTO, "cron.interval: %s", in ? jerr.text : "not JSON");
        return;
    }
    if (!isfinite (interval) || interval < CRON_INTERVAL_MIN || interval > 1e9
        || (after != -1 && (!isfinite (after) || after < 0 || after > 1e9))) {
        fx_respond_error (p, req, EINVAL,
                          "cron.interval: interval must be at least 1ms, "
                          "after 0 or more");
        return;
    }
    if (!*command || strlen (command) > CRON_COMMAND_MAX) {
        fx_respond_error (p, req, EINVAL, "cron.interval: command must be 1 to %d bytes",
                          CRON_COMMAND_MAX);
        return;
    }
    if (!(e = cron_entry_create (ed->cron, CRON_INTERVAL, command, strlen (command)))) {
        fx_respond_error (p, req, errno, "cron.interval: %s", strerror (errno));
        return;
    }
    e->interval = interval;
    e->after = after < 0 ? interval : after;
    fx_fsd_format (e->schedule, sizeof (e->schedule), interval);
    cron_entry_arm (e);
    respond_entry (ed->cron, req, e);
}

/* Parse every line of text first: one bad line refuses them all. */
static json_t *tab_add (struct cron *c, const char *name, const char *text, struct fx_error *err)
{
    json_t *ids = json_array ();
    const char *line = text;
    int pass, lineno;

    for (pass = 0; pass < 2 && ids; pass++) {
        for (line = text, lineno = 1; *line; lineno++) {
            size_t len = strcspn (line, "\n"), cmdlen;
            char buf[CRON_COMMAND_MAX + 1024], sched[FX_CRONTAB_SCHED_MAX];
            struct fx_cronsched s;
            struct fx_error e = {""};
            const char *cmd;
            int rc;
            struct cron_entry *entry;

            if (len >= sizeof (buf)) {
                errprintf (err, "%s:%d: line too long", name, lineno);
                goto error;
            }
            memcpy (buf, line, len);
            buf[len] = '\0';
            line += len + (line[len] == '\n');
            if ((rc = fx_crontab_parse_line (buf, &s, sched, &cmd, &cmdlen, &e)) < 0) {
                errprintf (err, "%s:%d: %s", name, lineno, e.text);
                goto error;
            }
            if (rc == 0 || pass == 0)
                continue;
            if (!(entry = cron_entry_create (c, CRON_TAB, cmd, cmdlen))) {
                errprintf (err, "%s:%d: %s", name, lineno, strerror (errno));
                goto error;
            }
            entry->sched = s;
            memcpy (entry->schedule, sched, sizeof (sched));
            cron_entry_arm (entry);
            json_array_append_new (ids, json_integer ((json_int_t) entry->id));
        }
    }
    if (!ids)
        errprintf (err, "out of memory");
    return ids;
error:
    for (size_t i = 0; ids && i < json_array_size (ids); i++) { /* created before the error */
        struct cron_entry *e = entry_lookup (c, json_integer_value (json_array_get (ids, i)));
        if (e)
            cron_entry_destroy (e, 0);
    }
    json_decref (ids);
    return NULL;
}

static void tab_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    json_t *in = fx_msg_json (req, NULL), *ids, *o;
    const char *text, *name = "-";
    struct fx_error err = {""};
    json_error_t jerr;

    if (!in
        || json_unpack_ex (in, &jerr, JSON_STRICT, "{s:s s?s}", "text", &text, "name", &name) < 0) {
        fx_respond_error (p, req, EPROTO, "cron.tab: %s", in ? jerr.text : "not JSON");
        return;
    }
    if (strlen (text) > CRON_FILE_MAX) {
        fx_respond_error (p, req, EINVAL, "cron.tab: more than %d bytes", CRON_FILE_MAX);
        return;
    }
    if (!(ids = tab_add (ed->cron, name, text, &err))) {
        fx_respond_error (p, req, EINVAL, "%s", err.text);
        return;
    }
    if (!(o = json_pack ("{s:o}", "ids", ids)))
        fx_respond_error (p, req, ENOMEM, "out of memory");
    else
        fx_respond (p, req, o);
    json_decref (o);
}

static const struct fx_handler cron_handlers[] = {
    {"cron.tab", tab_cb, FX_ROLE_OWNER},       {"cron.interval", interval_cb, FX_ROLE_OWNER},
    {"cron.list", list_cb, FX_ROLE_OWNER},     {"cron.get", get_cb, FX_ROLE_OWNER},
    {"cron.delete", delete_cb, FX_ROLE_OWNER}, {"cron.stop", stop_cb, FX_ROLE_OWNER},
    {"cron.start", start_cb, FX_ROLE_OWNER},   {NULL, NULL, 0},
};

/* HOME, USER, LOGNAME and SHELL of execd's user: what a login has, and no more. */
static json_t *owner_env (void)
{
    struct passwd *pw = getpwuid (geteuid ());

    if (!pw)
        return json_object ();
    return json_pack ("{s:s s:s s:s s:s}", "HOME", pw->pw_dir, "USER", pw->pw_name, "LOGNAME",
                      pw->pw_name, "SHELL",
                      pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
}

/* The crontab directory: cron.directory, else the system one for a system instance. */
static const char *cron_dir (struct cron *c, int *missing_ok)
{
    json_t *v = fx_conf_get (c->ed->config, "cron.directory");

    *missing_ok = 0;
    if (json_is_string (v))
        return json_string_value (v);
    *missing_ok = 1;
    return c->system_instance ? CRON_DEFAULT_DIR : NULL;
}

void cron_reload (struct execd *ed)
{
    int missing_ok;
    const char *dir;

    if (!ed->cron)
        return;
    dir = cron_dir (ed->cron, &missing_ok);
    cronfile_load (ed->cron, dir, missing_ok);
}

static int system_instance (struct execd *ed)
{
    json_t *in = json_pack ("{s:s}", "name", "config.path"), *out = NULL;
    const char *path = NULL;
    int rc = 0;

    if (in
        && fx_rpc_call (ed->peer, "broker.getattr", FX_NODEID_ANY, in, FX_RPC_TIMEOUT, &out, NULL)
               == 0
        && json_unpack (out, "{s:s}", "value", &path) == 0)
        rc = strcmp (path, CRON_SYSTEM_CONF) == 0 || strcmp (path, CRON_SYSTEM_CONF "/") == 0;
    json_decref (in);
    json_decref (out);
    return rc;
}

int cron_create (struct execd *ed, struct fx_error *err)
{
    struct cron *c;

    if (ed->rank != 0)
        return 0;
    if (!(c = calloc (1, sizeof (*c))) || !(c->env = owner_env ())) {
        free (c);
        return errprintf (err, "out of memory");
    }
    c->ed = ed;
    c->next_id = 1;
    c->system_instance = system_instance (ed);
    ed->cron = c;
    if (!(c->m_runs = fx_metrics_register (ed->metrics, FX_METRIC_COUNTER,
                                           "flux_execd_cron_runs_total", "Cron runs started", NULL))
        || !(c->m_skipped = fx_metrics_register (
                 ed->metrics, FX_METRIC_COUNTER, "flux_execd_cron_skipped_total",
                 "Cron runs skipped: the last was still going", NULL)))
        return errprintf (err, "cannot register metrics: %s", strerror (errno));
    cron_reload (ed);
    return fx_peer_service_add (ed->peer, "cron", cron_handlers, ed, err);
}

void cron_destroy (struct execd *ed)
{
    struct cron *c = ed->cron;

    if (!c)
        return;
    while (c->entries)
        cron_entry_destroy (c->entries, 0);
    json_decref (c->env);
    free (c);
    ed->cron = NULL;
}
