/* jobtap.h - the interface of job-manager plugins (doc/jobtap.md).
 *
 * A plugin is a shared object named in job-manager.plugins ({ load = "/path/x.so"; conf =
 * {...}; }).  jobd dlopens it at start and calls its fx_jobtap_init(), which registers the
 * callbacks it provides.  Callbacks run in jobd's loop: they must not block.
 */
#ifndef FX_JOBTAP_H
#define FX_JOBTAP_H

#include <jansson.h>
#include <stdint.h>

#include "services/error.h"

#define FX_JOBTAP_PRIORITY_MAX 4294967295LL

/* What a plugin may read of a job. */
struct fx_jobtap_job {
    uint64_t id;
    uint32_t userid;
    int urgency;     /* 1..30 (hold and expedite never reach a plugin) */
    double t_submit; /* seconds since the epoch */
    int ntasks, nnodes, ncores, ngpus;
    double duration;   /* seconds, 0 = unlimited */
    const char *queue; /* NULL: default queue */
};

struct fx_jobtap;

/* Returns the job's priority, 0..FX_JOBTAP_PRIORITY_MAX. */
typedef int64_t (*fx_jobtap_priority_f) (const struct fx_jobtap_job *job, void *arg);

/* Register the priority callback (the last plugin that registers one wins). */
int fx_jobtap_set_priority (struct fx_jobtap *tap, fx_jobtap_priority_f cb, void *arg);

/* What a plugin exports.  conf is the plugin's `conf` group (may be NULL).  Returns 0, or -1
 * with a message in err (jobd then refuses to start, naming the plugin). */
typedef int (*fx_jobtap_init_f) (struct fx_jobtap *tap, const json_t *conf, struct fx_error *err);
#define FX_JOBTAP_INIT_SYMBOL "fx_jobtap_init"

#endif
