/* rlocal.h - the resources of this machine, as the rlist library counts them. */
#ifndef FX_RLOCAL_H
#define FX_RLOCAL_H

#include "services/error.h"
#include "services/idset.h"

/* The CPUs this process may run on (its affinity).  Returns NULL with a message. */
struct fx_idset *fx_local_cores (struct fx_error *err);

/* The GPUs this process can see, numbered 0..N-1: CUDA_VISIBLE_DEVICES when set, else the
 * /dev/nvidiaN devices.  Returns NULL with a message. */
struct fx_idset *fx_local_gpus (struct fx_error *err);

#endif
