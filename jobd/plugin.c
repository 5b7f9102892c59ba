/* plugin.c - job-manager plugins (services/jobtap.h, doc/jobtap.md): loading them and
 * asking them for priorities.
 *
 * Plugins are loaded once, at start, in the order job-manager.plugins lists them; a plugin
 * that cannot be loaded or whose init fails stops jobd with the path and the reason.  The
 * built-in priority is the urgency; hold (0) and expedite (31) are decided here and never
 * reach a plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobd/jobd.h"
#include "services/conf.h"
#include "services/jobtap.h"

struct fx_jobtap {
    fx_jobtap_priority_f priority;
    void *priority_arg;
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

static int load_one (struct plugins *pl, const char *path, const json_t *conf, struct fx_error *err)
{
    struct fx_error perr = {""};
    fx_jobtap_init_f init;
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
    for (size_t i = 0; i < jd->plugins->n; i++)
        dlclose (jd->plugins->handles[i]);
    free (jd->plugins->handles);
    free (jd->plugins);
    jd->plugins = NULL;
}

int64_t plugins_priority (struct jobd *jd, const struct job *job)
{
    struct fx_jobtap *tap = jd->plugins ? &jd->plugins->tap : NULL;
    struct fx_jobtap_job info = {
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
    };
    int64_t p;

    if (job->urgency == URGENCY_HOLD)
        return 0;
    if (job->urgency == URGENCY_EXPEDITE)
        return PRIORITY_MAX;
    if (!tap || !tap->priority)
        return job->urgency;
    p = tap->priority (&info, tap->priority_arg);
    return p < 0 ? 0 : p > (int64_t) PRIORITY_MAX ? (int64_t) PRIORITY_MAX : p;
}
