/* depend.c - job dependencies (RFC 26 schemes after, afterany, afterok, afternotok).
 *
 * At submission depend_check() reads attributes.system.dependencies, refuses unknown
 * schemes and unknown jobs, and leaves in job->deps the ones not yet satisfied, as
 * "scheme:decimal-id" strings; the job then posts one dependency-add each and waits in
 * DEPEND.  Whenever a job starts or becomes inactive, depend_job_changed() looks at the
 * jobs waiting on it: a satisfied dependency is removed (dependency-remove; the last one
 * lets the job go on), one that can no longer be satisfied ends the waiting job with a
 * dependency exception naming it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobd/jobd.h"

enum { DEP_WAIT, DEP_OK, DEP_NEVER };

static const char *const schemes[] = {"after", "afterany", "afterok", "afternotok", NULL};

/* Is a dependency of this scheme on target satisfied, still waiting, or never? */
static int dep_status (const char *scheme, const struct job *target)
{
    if (!strcmp (scheme, "after"))
        return target->state & (JOB_RUN | JOB_CLEANUP)
                       || (target->state == JOB_INACTIVE && target->t_run > 0)
                   ? DEP_OK
               : target->state == JOB_INACTIVE ? DEP_NEVER
                                               : DEP_WAIT;
    if (target->state != JOB_INACTIVE)
        return DEP_WAIT;
    if (!strcmp (scheme, "afterany"))
        return DEP_OK;
    if (!strcmp (scheme, "afterok"))
        return target->result == RESULT_COMPLETED ? DEP_OK : DEP_NEVER;
    return target->result != RESULT_COMPLETED ? DEP_OK : DEP_NEVER; /* afternotok */
}

static int known_scheme (const char *scheme)
{
    for (int i = 0; schemes[i]; i++)
        if (!strcmp (schemes[i], scheme))
            return 1;
    return 0;
}

int depend_check (struct jobd *jd, struct job *job, int owner, struct fx_error *err)
{
    json_t *deps = json_object_get (
               json_object_get (json_object_get (job->jobspec, "attributes"), "system"),
               "dependencies"),
           *d;
    char buf[FX_FLUID_STRLEN], desc[128];
    size_t i;

    json_array_foreach (deps, i, d)
    {
        const char *scheme = json_string_value (json_object_get (d, "scheme"));
        const char *value = json_string_value (json_object_get (d, "value"));
        struct job *target;
        uint64_t id;

        if (!scheme || !value || !known_scheme (scheme))
            return errprintf (err,
                              "dependency %s: unknown scheme (after, afterany, afterok, "
                              "afternotok)",
                              scheme ? scheme : "?");
        if (fx_fluid_decode (value, &id, NULL, NULL) < 0 || !(target = jobd_lookup (jd, id)))
            return errprintf (err, "dependency %s:%s: unknown job", scheme, value);
        if (!owner && target->userid != job->userid) { /* its result is not ours to learn */
            errno = EPERM;
            return errprintf (err, "dependency %s:%s: Permission denied", scheme, value);
        }
        switch (dep_status (scheme, target)) {
        case DEP_OK:
            continue;
        case DEP_NEVER:
            return errprintf (err, "dependency %s:%s can never be satisfied", scheme,
                              jobd_f58 (id, buf, sizeof (buf)));
        }
        snprintf (desc, sizeof (desc), "%s:%" PRIu64, scheme, id);
        if (!job->deps && !(job->deps = json_array ()))
            return errprintf (err, "out of memory");
        json_array_append_new (job->deps, json_string (desc));
    }
    if (job->deps)
        jd->ndepend++;
    return 0;
}

/* job has the dependency `desc` ("afterok:123"): look at its target. */
static int dep_eval (struct jobd *jd, const char *desc, char *why, size_t len)
{
    char scheme[32];
    uint64_t id;
    struct job *target;
    char buf[FX_FLUID_STRLEN];

    if (sscanf (desc, "%31[a-z]:%" SCNu64, scheme, &id) != 2 || !(target = jobd_lookup (jd, id)))
        return DEP_NEVER;
    snprintf (why, len, "dependency %s:%s can never be satisfied", scheme,
              jobd_f58 (id, buf, sizeof (buf)));
    return dep_status (scheme, target);
}

static void depend_update (struct jobd *jd, struct job *job)
{
    char why[160];
    size_t i = 0;

    while (job->deps && i < json_array_size (job->deps)) {
        const char *desc = json_string_value (json_array_get (job->deps, i));
        int st = dep_eval (jd, desc, why, sizeof (why));
        if (st == DEP_NEVER) {
            job_raise (jd, job, "dependency", 0, 0, "%s", why);
            return;
        }
        if (st == DEP_WAIT) {
            i++;
            continue;
        }
        job_post (jd, job, "dependency-remove", json_pack ("{s:s}", "description", desc));
    }
    if (job->state == JOB_DEPEND && (!job->deps || json_array_size (job->deps) == 0))
        job_post (jd, job, "depend", NULL);
}

void depend_job_changed (struct jobd *jd, struct job *target)
{
    (void) target;
    if (jd->ndepend == 0)
        return;
    jd->ndepend = 0;
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        if (job->state != JOB_DEPEND || !job->deps)
            continue;
        depend_update (jd, job);
        if (job->state == JOB_DEPEND && job->deps)
            jd->ndepend++;
    }
}
