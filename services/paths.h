/* paths.h - where the programs are: the build tree or the installed layout.
 *
 * Straight after `make`, cli/flux finds cli/flux-CMD and the daemons in their folders
 * (overlayd/flux-overlayd); installed, it finds LIBEXECDIR/flux/cmd/flux-CMD and
 * LIBEXECDIR/flux/flux-DAEMON.  The running program's own location decides which.
 */
#ifndef FX_PATHS_H
#define FX_PATHS_H

#include <stddef.h>

/* Top of the source tree when the running program is in it, else NULL.  Static storage. */
const char *fx_path_srctree (void);

/* Directory holding flux-CMD programs ($FLUX_EXEC_PATH overrides).  Static storage. */
const char *fx_path_cmddir (void);

/* Full path of daemon `name` (e.g. "overlayd") into buf.  Returns -1 with ENAMETOOLONG. */
int fx_path_daemon (const char *name, char *buf, size_t len);

#endif
