/* jobtap.h - the interface of job-manager plugins (doc/jobtap.md).
 *
 * A plugin is a shared object named in job-manager.plugins ({ load = "/path/x.so"; conf =
 * {...}; }; a bare name is looked up in jobd's plugin directory).  jobd dlopens it at start
 * and calls its fx_jobtap_init(), which registers the callbacks it provides.  Callbacks run
 * in jobd's loop: they must not block.  A plugin may hold a job in RUN (prolog) or CLEANUP
 * (epilog) with the prolog/epilog functions, and run commands as children of jobd.
 */
#ifndef FX_JOBTAP_H
#define FX_JOBTAP_H

#include <jansson.h>
#include <stdint.h>

#include "services/error.h"

#define FX_JOBTAP_PRIORITY_MAX 4294967295LL

/* What a plugin may read of a job.  Strings are borrowed for the time of the callback. */
struct fx_jobtap_job {
    uint64_t id;
    uint32_t userid;
    int urgency;     /* 1..30 (hold and expedite never reach a plugin) */
    double t_submit; /* seconds since the epoch */
    int ntasks, nnodes, ncores, ngpus;
    double duration;   /* seconds, 0 = unlimited */
    const char *queue; /* NULL: default queue */
    const char *f58;   /* the id as "ƒXXX" */
    const char *ranks; /* idset of the allocation ("0-2"), NULL before alloc */
};

struct fx_jobtap;

/* Returns the job's priority, 0..FX_JOBTAP_PRIORITY_MAX. */
typedef int64_t (*fx_jobtap_priority_f) (const struct fx_jobtap_job *job, void *arg);

/* Register the priority callback (the last plugin that registers one wins). */
int fx_jobtap_set_priority (struct fx_jobtap *tap, fx_jobtap_priority_f cb, void *arg);

/* State callbacks.  Every plugin may register one per topic; they are called in load order.
 * PROLOG: the job is in RUN, its allocation durable, execd not yet asked to start it.
 * EPILOG: the job is in CLEANUP, its tasks have ended (or never started), its resources
 *         are not yet given back.  Called for every job that held an allocation.
 * EXCEPTION: a fatal exception was raised on the job (it is now in CLEANUP). */
enum fx_jobtap_topic { FX_JOBTAP_PROLOG, FX_JOBTAP_EPILOG, FX_JOBTAP_EXCEPTION, FX_JOBTAP_NTOPICS };
typedef void (*fx_jobtap_job_f) (struct fx_jobtap *tap, const struct fx_jobtap_job *job, void *arg);
int fx_jobtap_on (struct fx_jobtap *tap, enum fx_jobtap_topic topic, fx_jobtap_job_f cb, void *arg);

/* Hold a job: post `prolog-start {"description"}` (job in RUN) or `epilog-start` (CLEANUP).
 * The job does not start (prolog) or give its resources back (epilog) until a finish was
 * posted for every start.  -1 with ENOENT (unknown job) or EINVAL (wrong state). */
int fx_jobtap_prolog_start (struct fx_jobtap *tap, uint64_t id, const char *description);
int fx_jobtap_epilog_start (struct fx_jobtap *tap, uint64_t id, const char *description);

/* Post `prolog-finish {"description","status"}` / `epilog-finish` (status: a wait status).
 * A non-zero status raises a fatal exception of type "prolog" / "epilog" with note (NULL:
 * "prolog failed (status N)"), unless the job already has a fatal exception. */
int fx_jobtap_prolog_finish (struct fx_jobtap *tap, uint64_t id, const char *description,
                             int status, const char *note);
int fx_jobtap_epilog_finish (struct fx_jobtap *tap, uint64_t id, const char *description,
                             int status, const char *note);

/* The instance configuration (as `flux config get` shows it) at dotted key, borrowed until
 * the plugin returns to jobd's loop (a `flux config reload` replaces it), or NULL. */
const json_t *fx_jobtap_conf_get (struct fx_jobtap *tap, const char *dotted_key);

/* The URI of the router jobd is connected to (for FLUX_URI in a command's environment). */
const char *fx_jobtap_uri (struct fx_jobtap *tap);

/* A command run by jobd for a plugin: a child of jobd in a new process group, stdin
 * /dev/null, stdout and stderr captured together.  cb gets the wait status, whether the
 * timeout killed it, and the last FX_JOBTAP_OUTPUT_MAX bytes of its output; the command is
 * freed when cb returns. */
#define FX_JOBTAP_OUTPUT_MAX 4096
struct fx_jobtap_cmd;
typedef void (*fx_jobtap_cmd_f) (struct fx_jobtap_cmd *cmd, int status, int timedout,
                                 const char *output, void *arg);

/* Run argv (argv[0] searched in env's PATH) with exactly the environment env ("NAME=value",
 * NULL-terminated).  timeout > 0: SIGTERM to its process group after that many seconds,
 * SIGKILL kill_timeout later.  Returns NULL with errno and err (ENOENT: no such command). */
struct fx_jobtap_cmd *fx_jobtap_cmd_start (struct fx_jobtap *tap, char *const argv[],
                                           char *const env[], double timeout, double kill_timeout,
                                           fx_jobtap_cmd_f cb, void *arg, struct fx_error *err);

/* SIGTERM to the command's process group, then SIGKILL after its kill_timeout.  cb still
 * comes once it has ended. */
void fx_jobtap_cmd_terminate (struct fx_jobtap_cmd *cmd);

/* What a plugin exports.  conf is the plugin's `conf` group (may be NULL).  Returns 0, or -1
 * with a message in err (jobd then refuses to start, naming the plugin). */
typedef int (*fx_jobtap_init_f) (struct fx_jobtap *tap, const json_t *conf, struct fx_error *err);
#define FX_JOBTAP_INIT_SYMBOL "fx_jobtap_init"

/* Called, when exported, as the plugin is unloaded (jobd stops). */
typedef void (*fx_jobtap_fini_f) (void);
#define FX_JOBTAP_FINI_SYMBOL "fx_jobtap_fini"

#endif
