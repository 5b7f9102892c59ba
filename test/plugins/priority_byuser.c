/* priority_byuser.c - a test job-manager plugin: priority = urgency * 1000 + conf.bonus for
 * jobs of conf.userid, urgency * 1000 for everyone else.  t0020 loads it to check that
 * plugins are loaded, configured and asked. */
#include <errno.h>
#include <stdio.h>

#include "services/jobtap.h"

struct conf {
    int64_t userid;
    int64_t bonus;
};

static struct conf conf = {-1, 0};

static int64_t priority_cb (const struct fx_jobtap_job *job, void *arg)
{
    const struct conf *c = arg;
    int64_t p = (int64_t) job->urgency * 1000;

    if (c->userid >= 0 && (int64_t) job->userid == c->userid)
        p += c->bonus;
    return p;
}

int fx_jobtap_init (struct fx_jobtap *tap, const json_t *cfg, struct fx_error *err);

int fx_jobtap_init (struct fx_jobtap *tap, const json_t *cfg, struct fx_error *err)
{
    json_int_t userid = -1, bonus = 0;

    if (cfg && json_unpack ((json_t *) cfg, "{s?I s?I}", "userid", &userid, "bonus", &bonus) < 0) {
        snprintf (err->text, sizeof (err->text), "conf: userid and bonus must be integers");
        errno = EINVAL;
        return -1;
    }
    conf.userid = userid;
    conf.bonus = bonus;
    return fx_jobtap_set_priority (tap, priority_cb, &conf);
}
