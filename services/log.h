/* log.h - log levels, line formats and the stderr writer shared by every daemon.
 *
 * A log line on stderr reads "name.level[rank]: message"; in the ring buffer (flux dmesg) it
 * is prefixed by an ISO 8601 UTC timestamp with microseconds.  Levels are syslog's.
 */
#ifndef FX_LOG_H
#define FX_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* Daemons write levels up to this one to stderr (the journal); debug lines go only to the
 * ring buffer, where `flux dmesg` shows them. */
#define FX_LOG_STDERR_MAX LOG_INFO

/* "emerg" ... "debug", or "unknown". */
const char *fx_log_level_name (int level);

/* Parse a level name or number; -1 when invalid. */
int fx_log_level_parse (const char *s);

/* Write "name.level[rank]: message\n" to stderr in one write. */
void fx_log_stderr (const char *name, int level, uint32_t rank, const char *message);

/* Format t (seconds since the epoch) as 2020-09-14T19:38:38.047025Z into buf. */
void fx_log_timestamp (char *buf, size_t len, double t);

/* Seconds since the epoch, with microseconds. */
double fx_log_now (void);

#endif
