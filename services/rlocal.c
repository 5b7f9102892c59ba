/* rlocal.c - what this machine offers: the CPUs this process may run on and the GPUs it
 * can see.  Used by `flux R encode --local`, `flux R verify` and every rank's resourced.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "services/rlist.h"
#include "services/rlocal.h"

#define CPUS_MAX (1 << 20) /* CPUs asked of sched_getaffinity at most */

struct fx_idset *fx_local_cores (struct fx_error *err)
{
    struct fx_idset *cores = fx_idset_create ();
    cpu_set_t *set = NULL;
    size_t size = 0;
    int ncpus;

    if (!cores) {
        errprintf (err, "out of memory");
        return NULL;
    }
    for (ncpus = 1024; ncpus <= CPUS_MAX; ncpus *= 2) {
        if (!(set = CPU_ALLOC (ncpus)))
            break;
        size = CPU_ALLOC_SIZE (ncpus);
        if (sched_getaffinity (0, size, set) == 0)
            break;
        CPU_FREE (set);
        set = NULL;
        if (errno != EINVAL)
            break;
    }
    if (!set) {
        errprintf (err, "sched_getaffinity: %s", strerror (errno));
        fx_idset_destroy (cores);
        return NULL;
    }
    for (int i = 0; i < ncpus && i < (int) FX_RLIST_ID_LIMIT; i++) {
        if (CPU_ISSET_S (i, size, set) && fx_idset_set (cores, i) < 0) {
            errprintf (err, "out of memory");
            fx_idset_destroy (cores);
            cores = NULL;
            break;
        }
    }
    CPU_FREE (set);
    return cores;
}

/* The number of GPUs: entries of CUDA_VISIBLE_DEVICES when set (up to one starting with
 * '-', where CUDA stops too), else /dev/nvidiaN devices. */
static unsigned int count_gpus (void)
{
    const char *env = getenv ("CUDA_VISIBLE_DEVICES");
    unsigned int n = 0;
    struct dirent *d;
    DIR *dir;

    if (env) {
        for (const char *p = env; *p && *p != '-'; p += strcspn (p, ","), p += *p == ',')
            if (*p != ',')
                n++;
        return n;
    }
    if (!(dir = opendir ("/dev")))
        return 0;
    while ((d = readdir (dir)))
        if (strncmp (d->d_name, "nvidia", 6) == 0 && d->d_name[6]
            && strspn (d->d_name + 6, "0123456789") == strlen (d->d_name + 6))
            n++;
    closedir (dir);
    return n;
}

struct fx_idset *fx_local_gpus (struct fx_error *err)
{
    struct fx_idset *gpus = fx_idset_create ();
    unsigned int n = count_gpus ();

    if (!gpus || (n > 0 && fx_idset_range_set (gpus, 0, n - 1) < 0)) {
        fx_idset_destroy (gpus);
        errprintf (err, "out of memory");
        return NULL;
    }
    return gpus;
}
