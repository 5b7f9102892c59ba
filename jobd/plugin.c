/* plugin.c - job-manager plugins (services/jobtap.h, doc/jobtap.md): loading them, asking
 * them for priorities, and calling their state callbacks.
 *
 * Plugins are loaded once, at start, in the order job-manager.plugins lists them; a plugin
 * that cannot be loaded or whose init fails stops jobd with the path and the reason.  A bare
 * name ("perilog.so") is looked up in the build tree's jobd/plugins when jobd runs from the
 * tree, else in LIBEXECDIR/flux/plugins.  The built-in priority is the urgency; hold (0) and
 * expedite (31) are decided here and never reach a plugin.  The prolog and epilog functions
 * are in hold.c, the commands in command.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobd/jobd.h"
#include "services/conf.h"
#include "services/jobtap.h"
#include "services/paths.h"

struct callback {
    fx_jobtap_job_f cb;
    void *arg;
};

struct fx_jobtap {
    struct jobd *jd;
    fx_jobtap_priority_f priority;
    void *priority_arg;
    struct callback *cbs[FX_JOBTAP_NTOPICS];
    size_t ncbs[FX_JOBTAP_NTOPICS];
};

struct plugins {
    struct fx_jobtap tap;
    void **handles;
    size_t n;
};

int fx_jobtap_set_priority (struct fx_jobtap *tap, fx_jobtap_priority_f cb, void *arg)
{
    if (!tap) {
        errno = EINVAL;
        return -1;
    }
    tap->priority = cb;
    tap->priority_arg = arg;
    return 0;
}

int fx_jobtap_on (struct fx_jobtap *tap, enum fx_jobtap_topic topic, fx_jobtap_job_f cb, void *arg)
{
    struct callback *n;

    if (!tap || !cb || topic < 0 || topic >= FX_JOBTAP_NTOPICS) {
        errno = EINVAL;
        return -1;
    }
    if (!(n = realloc (tap->cbs[topic], (tap->ncbs[topic] + 1) * sizeof (*n))))
        return -1;
    n[tap->ncbs[topic]++] = (struct callback){cb, arg};
    tap->cbs[topic] = n;
    return 0;
}

const json_t *fx_jobtap_conf_get (struct fx_jobtap *tap, const char *dotted_key)
{
    return tap ? fx_conf_get (tap->jd->config, dotted_key) : NULL;
}

const char *fx_jobtap_uri (struct fx_jobtap *tap)
{
    return tap ? tap->jd->uri : NULL;
}

int fx_jobtap_prolog_start (struct fx_jobtap *tap, uint64_t id, const char *description)
{
    return hold_start (tap->jd, id, 0, description);
}

int fx_jobtap_epilog_start (struct fx_jobtap *tap, uint64_t id, const char *description)
{
    return hold_start (tap->jd, id, 1, description);
}

int fx_jobtap_prolog_finish (struct fx_jobtap *tap, uint64_t id, const char *description,
                             int status, const char *note)
{
    return hold_finish (tap->jd, id, 0, description, status, note);
}

int fx_jobtap_epilog_finish (struct fx_jobtap *tap, uint64_t id, const char *description,
                             int status, const char *note)
{
    return hold_finish (tap->jd, id, 1, description, status, note);
}

struct fx_jobtap_cmd *fx_jobtap_cmd_start (struct fx_jobtap *tap, char *const argv[],
                                           char *const env[], double timeout, double kill_timeout,
                                           fx_jobtap_cmd_f cb, void *arg, struct fx_error *err)
{
    if (!tap) {
        errno = EINVAL;
        errprintf (err, "no plugin context");
        return NULL;
    }
    return command_start (tap->jd, argv, env, timeout, kill_timeout, cb, arg, err);
}

/* A bare name resolved against the plugin directory, into buf. */
static const char *plugin_path (const char *name, char *buf, size_t len)
{
    const char *tree = fx_path_srctree ();

    if (strchr (name, '/'))
        return name;
    if (tree)
        snprintf (buf, len, "%s/jobd/plugins/%s", tree, name);
    else
        snprintf (buf, len, "%s/flux/plugins/%s", FX_LIBEXECDIR, name);
    return buf;
}

static int load_one (struct plugins *pl, const char *name, const json_t *conf, struct fx_error *err)
{
    struct fx_error perr = {""};
    fx_jobtap_init_f init;
    char buf[4096];
    const char *path = plugin_path (name, buf, sizeof (buf));
    void *h;

    if (!(h = dlopen (path, RTLD_NOW | RTLD_LOCAL)))
        return errprintf (err, "job-manager.plugins: %s", dlerror ());
    pl->handles[pl->n++] = h;
    *(void **) &init = dlsym (h, FX_JOBTAP_INIT_SYMBOL);
    if (!init)
        return errprintf (err, "job-manager.plugins: %s: no %s", path, FX_JOBTAP_INIT_SYMBOL);
    if (init (&pl->tap, conf, &perr) < 0)
        return errprintf (err, "job-manager.plugins: %s: %s", path,
                          perr.text[0] ? perr.text : "init failed");
    return 0;
}

int plugins_load (struct jobd *jd, struct fx_error *err)
{
    json_t *list = fx_conf_get (jd->config, "job-manager.plugins"), *e;
    size_t i;

    if (!(jd->plugins = calloc (1, sizeof (*jd->plugins)))
        || !(jd->plugins->handles = calloc (json_array_size (list) + 1, sizeof (void *))))
        return errprintf (err, "out of memory");
    jd->plugins->tap.jd = jd;
    json_array_foreach (list, i, e)
    {
        const char *path = json_string_value (json_object_get (e, "load"));
        if (path && load_one (jd->plugins, path, json_object_get (e, "conf"), err) < 0)
            return -1;
    }
    return 0;
}

void plugins_unload (struct jobd *jd)
{
    if (!jd->plugins)
        return;
    for (size_t i = 0; i < jd->plugins->n; i++) {
        fx_jobtap_fini_f fini;
        *(void **) &fini = dlsym (jd->plugins->handles[i], FX_JOBTAP_FINI_SYMBOL);
        if (fini)
            fini ();
        dlclose (jd->plugins->handles[i]);
    }
    for (int t = 0; t < FX_JOBTAP_NTOPICS; t++)
        free (jd->plugins->tap.cbs[t]);
    free (jd->plugins->handles);
    free (jd->plugins);
    jd->plugins = NULL;
}

static void job_info (const struct job *job, struct fx_jobtap_job *info, char *f58, size_t len)
{
    *info = (struct fx_jobtap_job){
        .id = job->id,
        .userid = job->userid,
        .urgency = job->urgency,
        .t_submit = job->t_submit,
        .ntasks = job->ntasks,
        .nnodes = job->nnodes,
        .ncores = job->ncores,
        .ngpus = job->ngpus,
        .duration = job->duration,
        .queue = job->queue,
        .f58 = jobd_f58 (job->id, f58, len),
        .ranks = job->ranks,
    };
}

int64_t plugins_priority (struct jobd *jd, const struct job *job)
{
    struct fx_jobtap *tap = jd->plugins ? &jd->plugins->tap : NULL;
    struct fx_jobtap_job info;
    char f58[FX_FLUID_STRLEN];
    int64_t p;

    if (job->urgency == URGENCY_HOLD)
        return 0;
    if (job->urgency == URGENCY_EXPEDITE)
        return PRIORITY_MAX;
    if (!tap || !tap->priority)
        return job->urgency;
    job_info (job, &info, f58, sizeof (f58));
    p = tap->priority (&info, tap->priority_arg);
    return p < 0 ? 0 : p > (int64_t) PRIORITY_MAX ? (int64_t) PRIORITY_MAX : p;
}

void plugins_notify (struct jobd *jd, struct job *job, int topic)
{
    struct fx_jobtap *tap = jd->plugins ? &jd->plugins->tap : NULL;
    struct fx_jobtap_job info;
    char f58[FX_FLUID_STRLEN];

    if (!tap || topic < 0 || topic >= FX_JOBTAP_NTOPICS)
        return;
    job_info (job, &info, f58, sizeof (f58));
    for (size_t i = 0; i < tap->ncbs[topic]; i++)
        tap->cbs[topic][i].cb (tap, &info, tap->cbs[topic][i].arg);
}
