/* confschema.c - the configuration schemas of the three spaces, and checking JSON against them.
 *
 * Owns the tables that say which keys exist, of which type, read by which daemon; adding a
 * group is adding one table and one line in its space.  It also owns the checks a value must
 * pass, written once for the JSON form: the loader (conf.c) converts each file to JSON and
 * checks it here, and daemons check a configuration received as JSON the same way.  It talks
 * to jansson only.  Failure policy: the first problem found is reported (EINVAL, one line)
 * and nothing is kept.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "services/confschema.h"

#define PORT(n)  FX_CONF_KEY_INT_RANGE (n, -1, 65535) /* 0 = ephemeral, -1 = off */
#define COUNT(n) FX_CONF_KEY_INT_RANGE (n, 0, INT64_MAX)

/* System space, flux-overlayd: access (the router's hello), router (local peers), bootstrap
 * and tbon (the tree overlay). */

static const struct fx_conf_schema access = {
    "access",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("allow-guest-user", FX_CONF_BOOL),
        FX_CONF_KEY ("allow-root-owner", FX_CONF_BOOL),
        FX_CONF_KEY ("guest-job-details", FX_CONF_BOOL),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema router = {
    "router",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("lease", FX_CONF_DURATION),
        FX_CONF_KEY ("uri", FX_CONF_STRING),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema bootstrap_host = {
    "bootstrap.hosts[]",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_REQUIRED ("host", FX_CONF_STRING),
        FX_CONF_KEY ("bind", FX_CONF_STRING),
        FX_CONF_KEY ("connect", FX_CONF_STRING),
        FX_CONF_KEY ("parent", FX_CONF_STRING),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema bootstrap = {
    "bootstrap",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("curve_cert", FX_CONF_STRING),
        FX_CONF_KEY_INT_RANGE ("default_port", 1, 65535),
        FX_CONF_KEY ("default_bind", FX_CONF_STRING),
        FX_CONF_KEY ("default_connect", FX_CONF_STRING),
        FX_CONF_KEY ("enable_ipv6", FX_CONF_BOOL),
        FX_CONF_KEY_SUB ("hosts", FX_CONF_GROUP_LIST, &bootstrap_host),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema tbon = {
    "tbon",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("topo", FX_CONF_STRING),
        FX_CONF_KEY ("torpid_min", FX_CONF_DURATION),
        FX_CONF_KEY ("torpid_max", FX_CONF_DURATION),
        FX_CONF_KEY ("lost_timeout", FX_CONF_DURATION),
        FX_CONF_KEY ("connect_timeout", FX_CONF_DURATION),
        FX_CONF_KEY ("tcp_user_timeout", FX_CONF_DURATION),
        FX_CONF_KEY_END,
    },
};

/* System space, every daemon: metrics (each reads its own port). */

static const struct fx_conf_schema metrics = {
    "metrics",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("bind", FX_CONF_STRING),
        PORT ("overlayd"),
        PORT ("kvsd"),
        PORT ("jobd"),
        PORT ("schedd"),
        PORT ("execd"),
        PORT ("resourced"),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-kvsd. */

static const struct fx_conf_schema kvs = {
    "kvs",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("dsn", FX_CONF_STRING),
        FX_CONF_KEY ("purge-age-limit", FX_CONF_DURATION),
        COUNT ("purge-num-limit"),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-jobd. */

static const struct fx_conf_schema job_manager_plugin = {
    "job-manager.plugins[]",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_REQUIRED ("load", FX_CONF_STRING),
        FX_CONF_KEY ("conf", FX_CONF_ANY_GROUP),
        FX_CONF_KEY_END,
    },
};

/* job-manager.prolog and job-manager.epilog, read by the perilog.so plugin. */
static const struct fx_conf_schema job_manager_perilog = {
    "job-manager.prolog",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_REQUIRED ("command", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("timeout", FX_CONF_DURATION),
        FX_CONF_KEY ("kill-timeout", FX_CONF_DURATION),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema job_manager = {
    "job-manager",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("inactive-age-limit", FX_CONF_DURATION),
        COUNT ("inactive-num-limit"),
        FX_CONF_KEY_SUB ("plugins", FX_CONF_GROUP_LIST, &job_manager_plugin),
        FX_CONF_KEY_SUB ("prolog", FX_CONF_GROUP, &job_manager_perilog),
        FX_CONF_KEY_SUB ("epilog", FX_CONF_GROUP, &job_manager_perilog),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-schedd. */

static const struct fx_conf_schema sched = {
    "sched",
    (const struct fx_conf_key[]){
        COUNT ("queue-depth"),
        COUNT ("backfill-depth"),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-resourced. */

static const struct fx_conf_schema resource = {
    "resource",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("path", FX_CONF_STRING),
        FX_CONF_KEY ("exclude", FX_CONF_STRING),
        FX_CONF_KEY ("noverify", FX_CONF_BOOL),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-execd. */

static const struct fx_conf_schema exec = {
    "exec",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("imp", FX_CONF_STRING),
        FX_CONF_KEY ("kill-timeout", FX_CONF_DURATION),
        COUNT ("max-kill-count"),
        FX_CONF_KEY ("term-signal", FX_CONF_STRING),
        FX_CONF_KEY ("kill-signal", FX_CONF_STRING),
        FX_CONF_KEY ("job-shell", FX_CONF_STRING),
        FX_CONF_KEY_END,
    },
};

/* System space, flux-execd on rank 0: the cron service. */

static const struct fx_conf_schema cron = {
    "cron",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("directory", FX_CONF_STRING),
        FX_CONF_KEY_END,
    },
};

const struct fx_conf_schema fx_conf_schema_system = {
    "system",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_SUB ("access", FX_CONF_GROUP, &access),
        FX_CONF_KEY_SUB ("router", FX_CONF_GROUP, &router),
        FX_CONF_KEY_SUB ("bootstrap", FX_CONF_GROUP, &bootstrap),
        FX_CONF_KEY_SUB ("tbon", FX_CONF_GROUP, &tbon),
        FX_CONF_KEY_SUB ("metrics", FX_CONF_GROUP, &metrics),
        FX_CONF_KEY_SUB ("kvs", FX_CONF_GROUP, &kvs),
        FX_CONF_KEY_SUB ("job-manager", FX_CONF_GROUP, &job_manager),
        FX_CONF_KEY_SUB ("sched", FX_CONF_GROUP, &sched),
        FX_CONF_KEY_SUB ("resource", FX_CONF_GROUP, &resource),
        FX_CONF_KEY_SUB ("exec", FX_CONF_GROUP, &exec),
        FX_CONF_KEY_SUB ("cron", FX_CONF_GROUP, &cron),
        FX_CONF_KEY_END,
    },
};

/* Security space: the job signing code (jobd at submission, the IMP before it runs a job). */

static const struct fx_conf_schema sign = {
    "sign",
    (const struct fx_conf_key[]){
        COUNT ("max-ttl"),
        FX_CONF_KEY ("default-type", FX_CONF_STRING),
        FX_CONF_KEY ("allowed-types", FX_CONF_STRING_LIST),
        FX_CONF_KEY_END,
    },
};

const struct fx_conf_schema fx_conf_schema_security = {
    "security",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_SUB ("sign", FX_CONF_GROUP, &sign),
        FX_CONF_KEY_END,
    },
};

/* IMP space: flux-imp exec (exec) and flux-imp run NAME (run.NAME). */

static const struct fx_conf_schema imp_exec = {
    "exec",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("allowed-users", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("allowed-shells", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("allow-unprivileged-exec", FX_CONF_BOOL),
        FX_CONF_KEY ("pam-support", FX_CONF_BOOL),
        FX_CONF_KEY_END,
    },
};

static const struct fx_conf_schema imp_run = {
    "run.NAME",
    (const struct fx_conf_key[]){
        FX_CONF_KEY_REQUIRED ("path", FX_CONF_STRING),
        FX_CONF_KEY ("allowed-users", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("allowed-environment", FX_CONF_STRING_LIST),
        FX_CONF_KEY_END,
    },
};

const struct fx_conf_schema fx_conf_schema_imp = {
    "imp",
    (const struct fx_conf_key[]){
        FX_CONF_KEY ("allowed-users", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("allowed-shells", FX_CONF_STRING_LIST),
        FX_CONF_KEY ("allow-sudo", FX_CONF_BOOL),
        FX_CONF_KEY ("log-level", FX_CONF_STRING),
        FX_CONF_KEY_SUB ("exec", FX_CONF_GROUP, &imp_exec),
        FX_CONF_KEY_SUB ("run", FX_CONF_GROUP_MAP, &imp_run),
        FX_CONF_KEY_END,
    },
};

/* Checks. */

struct checker {
    const json_t *where;  /* key path -> "FILE:LINE", or NULL */
    int flags;            /* FX_CONF_PARTIAL */
    struct fx_error *err; /* where messages go */
};

typedef int (*check_f) (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                        const char *path);

static int check_object (const struct checker *c, const json_t *obj,
                         const struct fx_conf_schema *schema, const char *path);

int fx_conf_join_name (char *buf, const char *path, const char *name)
{
    int n = snprintf (buf, FX_CONF_PATH_LEN, "%s%s%s", path, *path ? "." : "", name);
    return n < 0 || n >= FX_CONF_PATH_LEN ? -1 : 0;
}

int fx_conf_join_index (char *buf, const char *path, size_t index)
{
    int n = snprintf (buf, FX_CONF_PATH_LEN, "%s[%zu]", path, index);
    return n < 0 || n >= FX_CONF_PATH_LEN ? -1 : 0;
}

/* Report "LOCATION: message" where LOCATION is where path was set, if known; EINVAL. */
static int fail (const struct checker *c, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static int fail (const struct checker *c, const char *path, const char *fmt, ...)
{
    const char *location = NULL;
    char msg[FX_ERROR_LEN];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (msg, sizeof (msg), fmt, ap);
    va_end (ap);
    if (c->where)
        location = json_string_value (json_object_get (c->where, path));
    errno = EINVAL;
    if (location)
        return errprintf (c->err, "%s: %s", location, msg);
    return errprintf (c->err, "%s", msg);
}

/* Flux Standard Duration: "inf", "infinity", or a non-negative decimal number (no sign, no
 * exponent) with an optional unit.  This only checks the form; services/fsd.c converts. */
static bool fsd_valid (const char *s)
{
    static const char *const units[] = {"", "ms", "s", "m", "h", "d"};
    size_t digits = 0;

    if (!strcmp (s, "inf") || !strcmp (s, "infinity"))
        return true;
    for (; isdigit ((unsigned char) *s); s++)
        digits++;
    if (*s == '.')
        for (s++; isdigit ((unsigned char) *s); s++)
            digits++;
    if (digits == 0)
        return false;
    for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
        if (!strcmp (s, units[i]))
            return true;
    return false;
}

static bool is_string_list (const json_t *v)
{
    size_t i;
    json_t *e;

    if (!json_is_array (v))
        return false;
    json_array_foreach (v, i, e) if (!json_is_string (e)) return false;
    return true;
}

/* "PATH: expected NAME" for a value of the wrong type, by enum fx_conf_type. */
static const char *const type_names[] = {
    [FX_CONF_BOOL] = "boolean",
    [FX_CONF_INT] = "integer",
    [FX_CONF_FLOAT] = "number",
    [FX_CONF_STRING] = "string",
    [FX_CONF_DURATION] = "duration (like 30s, 5m, 1.5h, inf)",
    [FX_CONF_STRING_LIST] = "list of strings",
    [FX_CONF_STRING_OR_LIST] = "string or list of strings",
    [FX_CONF_GROUP] = "group",
    [FX_CONF_GROUP_LIST] = "list of groups",
    [FX_CONF_GROUP_MAP] = "group",
    [FX_CONF_ANY_GROUP] = "group",
};

static int expected (const struct checker *c, const struct fx_conf_key *key, const char *path)
{
    return fail (c, path, "%s: expected %s", path, type_names[key->type]);
}

static int check_bool (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                       const char *path)
{
    return json_is_boolean (v) ? 0 : expected (c, key, path);
}

static int check_int (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                      const char *path)
{
    json_int_t n = json_integer_value (v);

    if (!json_is_integer (v))
        return expected (c, key, path);
    if (!(key->flags & FX_CONF_RANGE) || (n >= key->min && n <= key->max))
        return 0;
    if (key->max == INT64_MAX)
        return fail (c, path, "%s: expected integer >= %" PRId64 ", got %" JSON_INTEGER_FORMAT,
                     path, key->min, n);
    return fail (c, path,
                 "%s: expected integer in %" PRId64 "..%" PRId64 ", got %" JSON_INTEGER_FORMAT,
                 path, key->min, key->max, n);
}

static int check_float (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                        const char *path)
{
    return json_is_number (v) ? 0 : expected (c, key, path);
}

static int check_string (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                         const char *path)
{
    return json_is_string (v) ? 0 : expected (c, key, path);
}

static int check_duration (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                           const char *path)
{
    if (json_is_string (v) && fsd_valid (json_string_value (v)))
        return 0;
    if (json_is_number (v) && json_number_value (v) >= 0)
        return 0;
    return expected (c, key, path);
}

static int check_string_list (const struct checker *c, const json_t *v,
                              const struct fx_conf_key *key, const char *path)
{
    return is_string_list (v) ? 0 : expected (c, key, path);
}

static int check_string_or_list (const struct checker *c, const json_t *v,
                                 const struct fx_conf_key *key, const char *path)
{
    return json_is_string (v) || is_string_list (v) ? 0 : expected (c, key, path);
}

/* FX_CONF_GROUP and FX_CONF_ANY_GROUP (which has no schema: anything goes inside). */
static int check_group (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                        const char *path)
{
    if (!json_is_object (v))
        return expected (c, key, path);
    return key->schema ? check_object (c, v, key->schema, path) : 0;
}

static int check_group_list (const struct checker *c, const json_t *v,
                             const struct fx_conf_key *key, const char *path)
{
    char epath[FX_CONF_PATH_LEN];
    size_t i;
    json_t *e;

    if (!json_is_array (v))
        return expected (c, key, path);
    json_array_foreach (v, i, e)
    {
        if (fx_conf_join_index (epath, path, i) < 0)
            return fail (c, path, "%s: key path too long", path);
        if (!json_is_object (e))
            return fail (c, epath, "%s: expected group", epath);
        if (check_object (c, e, key->schema, epath) < 0)
            return -1;
    }
    return 0;
}

static int check_group_map (const struct checker *c, const json_t *v, const struct fx_conf_key *key,
                            const char *path)
{
    char mpath[FX_CONF_PATH_LEN];
    const char *name;
    json_t *e;

    if (!json_is_object (v))
        return expected (c, key, path);
    json_object_foreach ((json_t *) v, name, e)
    {
        if (fx_conf_join_name (mpath, path, name) < 0)
            return fail (c, path, "%s: key path too long", path);
        if (!json_is_object (e))
            return fail (c, mpath, "%s: expected group", mpath);
        if (check_object (c, e, key->schema, mpath) < 0)
            return -1;
    }
    return 0;
}

/* The check of each type, by enum fx_conf_type. */
static const check_f checks[] = {
    [FX_CONF_BOOL] = check_bool,
    [FX_CONF_INT] = check_int,
    [FX_CONF_FLOAT] = check_float,
    [FX_CONF_STRING] = check_string,
    [FX_CONF_DURATION] = check_duration,
    [FX_CONF_STRING_LIST] = check_string_list,
    [FX_CONF_STRING_OR_LIST] = check_string_or_list,
    [FX_CONF_GROUP] = check_group,
    [FX_CONF_GROUP_LIST] = check_group_list,
    [FX_CONF_GROUP_MAP] = check_group_map,
    [FX_CONF_ANY_GROUP] = check_group,
};

/* A type outside the table is a broken schema, reported rather than followed. */
static bool type_valid (const struct fx_conf_key *key)
{
    size_t t = (size_t) key->type;
    bool needs_schema = key->type == FX_CONF_GROUP || key->type == FX_CONF_GROUP_LIST ||
                        key->type == FX_CONF_GROUP_MAP;

    return t < sizeof (checks) / sizeof (checks[0]) && checks[t] && (key->schema || !needs_schema);
}

/* Every member of obj a known key of the right type; every required key present. */
static int check_object (const struct checker *c, const json_t *obj,
                         const struct fx_conf_schema *schema, const char *path)
{
    char kpath[FX_CONF_PATH_LEN];
    const char *name;
    json_t *v;

    json_object_foreach ((json_t *) obj, name, v)
    {
        const struct fx_conf_key *key = fx_conf_schema_find (schema, name);
        if (fx_conf_join_name (kpath, path, name) < 0)
            return fail (c, path, "%s: key path too long", path);
        if (!key)
            return fail (c, kpath, "unknown key '%s'", kpath);
        if (!type_valid (key))
            return fail (c, kpath, "%s: the schema gives this key no valid type", kpath);
        if (checks[key->type](c, v, key, kpath) < 0)
            return -1;
    }
    if (c->flags & FX_CONF_PARTIAL)
        return 0;
    for (const struct fx_conf_key *k = schema->keys; k->name; k++)
        if ((k->flags & FX_CONF_REQUIRED) && !json_object_get (obj, k->name))
            return fail (c, path, "%s%smissing required key '%s'", path, *path ? ": " : "",
                         k->name);
    return 0;
}

const struct fx_conf_key *fx_conf_schema_find (const struct fx_conf_schema *schema,
                                               const char *name)
{
    if (!schema || !name)
        return NULL;
    for (const struct fx_conf_key *k = schema->keys; k->name; k++)
        if (!strcmp (k->name, name))
            return k;
    return NULL;
}

int fx_conf_schema_check (const json_t *conf, const struct fx_conf_schema *schema,
                          const json_t *where, int flags, struct fx_error *err)
{
    struct checker c = {.where = where, .flags = flags, .err = err};

    if (!conf || !schema) {
        errno = EINVAL;
        return errprintf (err, "invalid argument");
    }
    if (!json_is_object (conf))
        return fail (&c, "", "configuration is not an object");
    return check_object (&c, conf, schema, "");
}

int fx_conf_validate_json (const json_t *conf, const struct fx_conf_schema *schema,
                           struct fx_error *err)
{
    return fx_conf_schema_check (conf, schema, NULL, 0, err);
}
