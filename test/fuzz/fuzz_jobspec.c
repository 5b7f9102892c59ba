/* fuzz_jobspec.c - parse arbitrary bytes as a jobspec.  A refusal must be one non-empty line.
 * An accepted jobspec must satisfy the parsed form's invariants, parse again to the same
 * form from its own serialization, and place its tasks on an allocation that holds exactly
 * its slots (every task placed once).  Any mismatch aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/jobspec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void check_invariants (const struct fx_jobspec *js)
{
    if (js->nslots < 1 || js->nslots > FX_JOBSPEC_MAX_COUNT || js->cores_per_slot < 1
        || js->gpus_per_slot < 0 || js->ntasks < 1 || js->ntasks > js->nslots
        || js->ntasks < js->nnodes || !js->name || !json_is_array (js->command) || js->duration < 0)
        abort ();
    if (js->nnodes && js->nslots != js->nnodes * js->slots_per_node)
        abort ();
}

static void check_reparse (const struct fx_jobspec *js)
{
    struct fx_jobspec again;
    char *text = json_dumps (js->root, JSON_COMPACT);

    if (!text)
        return;
    if (fx_jobspec_parse (text, strlen (text), &again, NULL) < 0)
        abort ();
    if (again.nslots != js->nslots || again.ntasks != js->ntasks || again.nnodes != js->nnodes
        || again.cores_per_slot != js->cores_per_slot || strcmp (again.name, js->name) != 0)
        abort ();
    fx_jobspec_clear (&again);
    free (text);
}

/* One rank per node, or one slot's worth of cores per rank (at most 64 ranks checked). */
static void check_taskmap (const struct fx_jobspec *js)
{
    int n = js->nnodes ? js->nnodes : js->nslots, sum = 0;
    int *cores, *tasks, *first;

    if (n > 64)
        return;
    cores = calloc (n, sizeof (int));
    tasks = calloc (n, sizeof (int));
    first = calloc (n, sizeof (int));
    for (int i = 0; i < n; i++)
        cores[i] = js->cores_per_slot;
    if (fx_taskmap (js, n, cores, tasks, first) < 0)
        abort ();
    for (int i = 0; i < n; i++) {
        if (first[i] != sum || tasks[i] < 0)
            abort ();
        sum += tasks[i];
    }
    if (sum != js->ntasks)
        abort ();
    free (cores);
    free (tasks);
    free (first);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct fx_error err = {""};
    struct fx_jobspec js;

    if (fx_jobspec_parse ((const char *) data, size, &js, &err) < 0) {
        if (err.text[0] == '\0' || strchr (err.text, '\n'))
            abort ();
        return 0;
    }
    check_invariants (&js);
    check_reparse (&js);
    check_taskmap (&js);
    fx_jobspec_clear (&js);
    return 0;
}
