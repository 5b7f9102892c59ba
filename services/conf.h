/* conf.h - load, merge and validate libconfig configuration directories.
 *
 * A component reads every "*.conf" file of its configuration directory (for example
 * /etc/flux/system/conf.d) in name order, each a libconfig 1.5 file, checks it against a
 * schema (a table of keys, see confschema.h) and gets one merged JSON object: groups become
 * objects, arrays and lists become arrays, booleans true/false, integers integers, floats
 * reals, strings strings (a value is kept as written: a duration may be "30s" or 30, a number
 * key written 2 is the integer 2).  That object is what daemons receive from the router and
 * what `flux config get` prints.  doc/config.md gives the rules as administrators see them.
 *
 * Error messages (struct fx_error) name the file and line: "FILE:LINE: unknown key
 * 'access.foo'", "FILE:LINE: access.allow-guest-user: expected boolean", "FILE:LINE: KEY
 * already set in FILE:LINE".  FILE is the path as the loader built it (DIR/NAME.conf), or the
 * name given to fx_conf_load_string().  Keys inside a list of groups are written
 * "bootstrap.hosts[0].host" in messages.
 */
#ifndef FX_CONF_H
#define FX_CONF_H

#include <jansson.h>

#include "services/confschema.h"
#include "services/error.h"

/* Read every "*.conf" file of dir (names starting with '.' are skipped) in strcmp() order,
 * merge and validate them against schema.  An empty directory gives an empty object.
 * Returns a new reference the caller must json_decref(), or NULL with errno set and a
 * one-line message in err: ENOENT/ENOTDIR/EACCES (dir or a file cannot be opened; the message
 * names it and strerror), EINVAL (a syntax error, an unknown key, a wrong type or range, a key
 * set twice, "@include", a NUL byte), EFBIG (a file over 1 MiB or 65535 lines), ENOMEM. */
json_t *fx_conf_load (const char *dir, const struct fx_conf_schema *schema, struct fx_error *err);

/* Like fx_conf_load() for one in-memory file named name (used in messages; NULL gives
 * "(string)").  Returns a new reference, or NULL with errno EINVAL, EFBIG or ENOMEM. */
json_t *fx_conf_load_string (const char *name, const char *text,
                             const struct fx_conf_schema *schema, struct fx_error *err);

/* Look up a dotted key, "access.allow-guest-user" or "bootstrap.hosts".  A component that is
 * all digits indexes an array: "bootstrap.hosts.0.host".  Returns a borrowed reference (valid
 * while conf is), or NULL with errno ENOENT (no such key) or EINVAL (NULL argument, empty
 * component). */
json_t *fx_conf_get (const json_t *conf, const char *dotted_key);

/* fx_conf_validate_json() (confschema.h) checks a configuration received as JSON. */

#endif
