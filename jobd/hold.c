/* hold.c - prolog and epilog: the events that hold a job in RUN before execd is asked to
 * start it and in CLEANUP before its resources are given back (doc/job.md, "Prolog and
 * epilog").
 *
 * Plugins (jobd/plugins/perilog.so) post prolog-start/-finish and epilog-start/-finish
 * through services/jobtap.h; how many starts still lack their finish is kept in the job
 * record, rebuilt by replay (job.c).  The job starts once every prolog has finished with
 * status 0; a failed prolog raises a fatal `prolog` exception and the job goes to CLEANUP
 * without running.  The epilog is asked for once per job that held resources, and `free`
 * waits for every epilog-finish.  A restarted jobd cannot know what became of a prolog or
 * epilog whose finish is missing (its process was a child of the old jobd and got SIGTERM
 * when that died): it posts the finish itself with status 15; an interrupted prolog then
 * fails the job (exception `prolog`, "interrupted by a restart of jobd"), an interrupted
 * epilog is run again from the start.  Failure policy: a start or finish that does not fit
 * the job's state is refused with EINVAL and changes nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "jobd/jobd.h"

static const char *kind (int epilog)
{
    return epilog ? "epilog" : "prolog";
}

/* The job may start when it is in RUN and no prolog holds it or has failed. */
static void run_if_ready (struct jobd *jd, struct job *job)
{
    if (job->state == JOB_RUN && job->prolog_active == 0 && !job->prolog_failed && !job->exec
        && !job->start_pending && !job->finished)
        exec_start (jd, job, job->started);
}

void hold_job_run (struct jobd *jd, struct job *job)
{
    if (job->state != JOB_RUN)
        return;
    if (!job->prolog_asked) {
        job->prolog_asked = 1;
        plugins_notify (jd, job, FX_JOBTAP_PROLOG);
    }
    run_if_ready (jd, job);
}

int hold_job_epilog (struct jobd *jd, struct job *job)
{
    if (!job->epilog_asked) {
        job->epilog_asked = 1;
        plugins_notify (jd, job, FX_JOBTAP_EPILOG);
    }
    return job->epilog_active > 0 || job->state != JOB_CLEANUP;
}

int hold_start (struct jobd *jd, uint64_t id, int epilog, const char *description)
{
    struct job *job = jobd_lookup (jd, id);
    char name[32];

    if (!job) {
        errno = ENOENT;
        return -1;
    }
    if (job->state != (epilog ? JOB_CLEANUP : JOB_RUN) || (!epilog && job->exec)) {
        errno = EINVAL;
        return -1;
    }
    snprintf (name, sizeof (name), "%s-start", kind (epilog));
    return job_post (jd, job, name,
                     json_pack ("{s:s}", "description", description ? description : ""));
}

/* Post the finish event; the caller moves the job on. */
static int post_finish (struct jobd *jd, struct job *job, int epilog, const char *description,
                        int status)
{
    char name[32];

    if ((epilog ? job->epilog_active : job->prolog_active) <= 0) {
        errno = EINVAL;
        return -1;
    }
    snprintf (name, sizeof (name), "%s-finish", kind (epilog));
    return job_post (
        jd, job, name,
        json_pack ("{s:s s:i}", "description", description ? description : "", "status", status));
}

static void move_on (struct jobd *jd, struct job *job)
{
    if (job->state == JOB_RUN)
        run_if_ready (jd, job);
    else if (job->state == JOB_CLEANUP)
        job_cleanup_progress (jd, job);
}

int hold_finish (struct jobd *jd, uint64_t id, int epilog, const char *description, int status,
                 const char *note)
{
    struct job *job = jobd_lookup (jd, id);

    if (!job) {
        errno = ENOENT;
        return -1;
    }
    if (post_finish (jd, job, epilog, description, status) < 0)
        return -1;
    if (status != 0 && !job->exc_type) {
        if (note && *note)
            job_raise (jd, job, kind (epilog), 0, 0, "%s", note);
        else
            job_raise (jd, job, kind (epilog), 0, 0, "%s failed (status %d)", kind (epilog),
                       status);
    }
    move_on (jd, job);
    return 0;
}

void hold_job_resume (struct jobd *jd, struct job *job)
{
    const char *desc = "interrupted by a restart of jobd";

    if (job->prolog_active > 0 || (job->state == JOB_RUN && job->prolog_failed)) {
        while (job->prolog_active > 0 && post_finish (jd, job, 0, desc, SIGTERM) == 0)
            ;
        if (!job->exc_type)
            job_raise (jd, job, "prolog", 0, 0, "prolog %s", desc);
        move_on (jd, job);
        return;
    }
    if (job->epilog_active > 0) {
        while (job->epilog_active > 0 && post_finish (jd, job, 1, desc, SIGTERM) == 0)
            ;
        job->epilog_asked = 0; /* run it again */
    }
    move_on (jd, job);
}
