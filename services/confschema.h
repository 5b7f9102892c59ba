/* confschema.h - what a valid configuration looks like: key tables and the checks on them.
 *
 * A schema is a table of keys, one per line, ending with FX_CONF_KEY_END.  A key of type
 * FX_CONF_GROUP, FX_CONF_GROUP_LIST or FX_CONF_GROUP_MAP points at the schema of its members,
 * so each group of a configuration space is one small table in confschema.c.  The three
 * configuration spaces are exported below; doc/config.md describes them for administrators.
 *
 * The checks work on the JSON form of a configuration (see conf.h): the loader converts each
 * libconfig file to JSON and checks it here, and a daemon can check a configuration it
 * receives as JSON with fx_conf_validate_json().
 */
#ifndef FX_CONFSCHEMA_H
#define FX_CONFSCHEMA_H

#include <stdint.h>
#include <jansson.h>

#include "services/error.h"

/* Value types a key may have.  In messages a value of the wrong type is "expected NAME" with
 * the name given after each type. */
enum fx_conf_type {
    FX_CONF_BOOL = 1,       /* "boolean": true or false */
    FX_CONF_INT,            /* "integer"; range checked when FX_CONF_RANGE is set */
    FX_CONF_FLOAT,          /* "number": an integer or a real */
    FX_CONF_STRING,         /* "string" */
    FX_CONF_DURATION,       /* "duration": Flux Standard Duration string ("30s", "5m", "1.5h",
                             * "inf", "90" = seconds) or a non-negative number of seconds; kept
                             * as written, so a consumer converts it (services/fsd.h) */
    FX_CONF_STRING_LIST,    /* "list of strings": array or list of strings, maybe empty */
    FX_CONF_STRING_OR_LIST, /* "string or list of strings"; kept as written */
    FX_CONF_GROUP,          /* "group" of the keys in .schema; may be split across files */
    FX_CONF_GROUP_LIST,     /* "list of groups", each of the keys in .schema */
    FX_CONF_GROUP_MAP,      /* "group" whose members have names of the user's choosing, each
                             * a group of the keys in .schema (the IMP's run.NAME) */
    FX_CONF_ANY_GROUP,      /* "group" taken as is, unchecked (a plugin's own configuration) */
};

/* Key flags. */
enum {
    FX_CONF_REQUIRED = 1, /* the enclosing group, when present, must set this key */
    FX_CONF_RANGE = 2,    /* FX_CONF_INT: the value must lie in min..max */
};

struct fx_conf_schema;

/* One key of a group. */
struct fx_conf_key {
    const char *name;                    /* key as spelled in the file */
    enum fx_conf_type type;              /* what its value must be */
    int flags;                           /* FX_CONF_REQUIRED | FX_CONF_RANGE */
    int64_t min, max;                    /* FX_CONF_RANGE bounds, inclusive; INT64_MIN or
                                          * INT64_MAX for no bound on that side */
    const struct fx_conf_schema *schema; /* members of GROUP, GROUP_LIST and GROUP_MAP */
};

/* A group: the top level of a configuration space, or any nested group. */
struct fx_conf_schema {
    const char *name;               /* what it is, for readers of the table */
    const struct fx_conf_key *keys; /* ends with FX_CONF_KEY_END */
};

/* Table helpers, so that a schema reads one key per line. */
/* clang-format off */
#define FX_CONF_KEY(n, t)          {.name = (n), .type = (t)}
#define FX_CONF_KEY_REQUIRED(n, t) {.name = (n), .type = (t), .flags = FX_CONF_REQUIRED}
#define FX_CONF_KEY_INT_RANGE(n, lo, hi)                                                       \
    {.name = (n), .type = FX_CONF_INT, .flags = FX_CONF_RANGE, .min = (lo), .max = (hi)}
#define FX_CONF_KEY_SUB(n, t, s) {.name = (n), .type = (t), .schema = (s)}
#define FX_CONF_KEY_END          {.name = NULL}
/* clang-format on */

/* /etc/flux/system/conf.d: every daemon of the instance (the groups list their readers). */
extern const struct fx_conf_schema fx_conf_schema_system;
/* /etc/flux/security/conf.d: the job signing code (jobd, the IMP). */
extern const struct fx_conf_schema fx_conf_schema_security;
/* /etc/flux/imp/conf.d: flux-imp. */
extern const struct fx_conf_schema fx_conf_schema_imp;

/* The key called name in schema, or NULL.  The result points into the (static) table. */
const struct fx_conf_key *fx_conf_schema_find (const struct fx_conf_schema *schema,
                                               const char *name);

/* fx_conf_schema_check() flags. */
enum {
    FX_CONF_PARTIAL = 1, /* conf is one file of several: do not check required keys */
};

/* Check conf, a JSON object, against schema: every member a known key of the right type and
 * range, every required key present (unless FX_CONF_PARTIAL).  where is NULL or an object
 * mapping key paths ("access", "bootstrap.hosts[0].host"; "" for the whole) to a location
 * ("FILE:LINE") that prefixes the message about that path.  Nothing is kept.  Returns 0, or
 * -1 with errno EINVAL and one line in err, e.g. "FILE:LINE: access.allow-guest-user:
 * expected boolean", "FILE:LINE: unknown key 'access.foo'", "FILE:LINE: bootstrap.hosts[0]:
 * missing required key 'host'". */
int fx_conf_schema_check (const json_t *conf, const struct fx_conf_schema *schema,
                          const json_t *where, int flags, struct fx_error *err);

/* Check a whole configuration received as JSON (from the router): fx_conf_schema_check()
 * with no locations, so messages start with the key path ("access.allow-guest-user:
 * expected boolean").  Returns 0, or -1 with errno EINVAL and the message in err. */
int fx_conf_validate_json (const json_t *conf, const struct fx_conf_schema *schema,
                           struct fx_error *err);

/* Key paths in messages: "bootstrap.hosts[12].host".  Write path + "." + name (or
 * path + "[index]") into buf, which holds FX_CONF_PATH_LEN bytes; -1 when too long. */
#define FX_CONF_PATH_LEN 256
int fx_conf_join_name (char *buf, const char *path, const char *name);
int fx_conf_join_index (char *buf, const char *path, size_t index);

#endif
