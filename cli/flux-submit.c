/* flux-submit.c - submit jobs: `flux submit [OPTIONS] COMMAND [ARGS...]`.
 *
 * Builds the jobspec of each job from the options (cli/submit-opts.c), signs them all and
 * sends them to jobd (cli/submit-send.c), then prints each job's id in F58, one per line, in
 * --cc order.  --dry-run prints the jobspecs (compact JSON, one per line) and sends nothing.
 * Failure policy: a usage error exits 2; a job that jobd refuses is reported on one line
 * ("flux-submit: message") and the command exits 1 once the others are submitted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/submit.h"
#include "services/fluid.h"

/* The cc numbers of the jobs (n of them), or NULL for one job without --cc. */
static long *cc_labels (const struct submit *s, size_t *n)
{
    long *labels;
    size_t i = 0;

    if (!s->cc) {
        *n = 1;
        return NULL;
    }
    *n = fx_idset_count (s->cc);
    if (!(labels = calloc (*n, sizeof (long))))
        submit_die (s, "out of memory");
    for (unsigned int id = fx_idset_first (s->cc); i < *n; id = fx_idset_next (s->cc, id))
        labels[i++] = id;
    return labels;
}

static void print_dry_run (json_t *const jobspecs[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *text = json_dumps (jobspecs[i], JSON_COMPACT);
        if (text)
            printf ("%s\n", text);
        free (text);
    }
}

int main (int argc, char **argv)
{
    struct submit s;
    char idstr[FX_FLUID_STRLEN];
    size_t n, failed = 0;
    json_t **jobspecs;
    uint64_t *ids;
    long *labels;

    submit_parse (&s, "flux-submit", 1, argc, argv);
    labels = cc_labels (&s, &n);
    if (!(jobspecs = calloc (n, sizeof (json_t *))) || !(ids = calloc (n, sizeof (uint64_t))))
        submit_die (&s, "out of memory");
    for (size_t i = 0; i < n; i++)
        jobspecs[i] = submit_jobspec (&s, labels ? labels[i] : -1);
    if (s.dry_run)
        print_dry_run (jobspecs, n);
    else {
        failed = submit_send (&s, jobspecs, labels, n, ids);
        for (size_t i = 0; i < n; i++) {
            if (ids[i])
                printf ("%s\n", submit_idstr (ids[i], idstr, sizeof (idstr)));
        }
    }
    for (size_t i = 0; i < n; i++)
        json_decref (jobspecs[i]);
    free (jobspecs);
    free (ids);
    free (labels);
    submit_clear (&s);
    return failed ? 1 : 0;
}
