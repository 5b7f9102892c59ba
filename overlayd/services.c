/* services.c - the services the router answers itself.
 *
 * broker (ping, attributes), service (registration of other peers' services), event
 * (subscriptions and publishing), config (get, reload) and log (append, dmesg, clear).
 * One table maps each topic to its handler and the roles allowed; anything not in the
 * table is refused (ENOSYS), a role not listed gets EPERM.
 *
 * Failure policy: bad payloads get EPROTO with a one-line reason; nothing here exits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "overlayd/overlay.h"
#include "overlayd/overlayd.h"
#include "services/conf.h"
#include "services/confschema.h"
#include "services/log.h"

typedef void (*builtin_f) (struct overlayd *od, struct fx_msg *msg, json_t *in);

struct builtin {
    const char *topic;
    builtin_f cb;
    uint32_t roles;
};

static void respond (struct overlayd *od, struct fx_msg *msg, const json_t *payload)
{
    router_respond (od, msg, 0, NULL, payload);
}

static void respond_error (struct overlayd *od, struct fx_msg *msg, int errnum, const char *why)
{
    router_respond (od, msg, errnum, why, NULL);
}

static uint32_t sender (const struct fx_msg *msg)
{
    return msg->nroutes > 0 ? msg->route[msg->nroutes - 1].peer : 0;
}

/* broker.ping: echo the payload, add the route taken and who answered. */
static void ping_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    char route[FX_MSG_ROUTE_MAX * 24 + 16];
    json_t *out = json_deep_copy (in);

    fx_msg_route_string (msg, od->rank, route, sizeof (route));
    json_object_set_new (out, "route", json_string (route));
    json_object_set_new (out, "rank", json_integer (od->rank));
    /* Who the router believes sent it: identity crosses the overlay unchanged. */
    json_object_set_new (out, "userid", json_integer (msg->userid));
    json_object_set_new (out, "rolemask", json_integer (msg->rolemask));
    json_object_set_new (out, "hostname", json_string (od->hostname));
    respond (od, msg, out);
    json_decref (out);
}

static void getattr_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *name;
    json_t *value, *out;

    if (json_unpack (in, "{s:s !}", "name", &name) < 0) {
        respond_error (od, msg, EPROTO, "broker.getattr: expected {\"name\": string}");
        return;
    }
    if (!(value = json_object_get (od->attrs, name))) {
        char why[300];
        snprintf (why, sizeof (why), "no attribute named '%s'", name);
        respond_error (od, msg, ENOENT, why);
        return;
    }
    out = json_pack ("{s:s s:O}", "name", name, "value", value);
    respond (od, msg, out);
    json_decref (out);
}

static void setattr_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *name, *value;

    if (json_unpack (in, "{s:s s:s !}", "name", &name, "value", &value) < 0) {
        respond_error (od, msg, EPROTO, "broker.setattr: expected {\"name\": s, \"value\": s}");
        return;
    }
    json_object_set_new (od->attrs, name, json_string (value));
    respond (od, msg, NULL);
}

static void lsattr_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    json_t *out = json_pack ("{s:O}", "attrs", od->attrs);

    (void) in;
    respond (od, msg, out);
    json_decref (out);
}

/* service.add: the sender becomes the provider of a service name. */
static void service_add_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *name;
    char why[300];
    json_t *id;

    if (json_unpack (in, "{s:s !}", "name", &name) < 0 || !fx_msg_topic_valid (name)
        || strchr (name, '.')) {
        respond_error (od, msg, EPROTO, "service.add: expected {\"name\": service name}");
        return;
    }
    if ((id = json_object_get (od->services, name)))
        router_drop_if_gone (od, (uint32_t) json_integer_value (id));
    if (services_is_builtin (name) || json_object_get (od->services, name)) {
        snprintf (why, sizeof (why), "service '%s' is already registered", name);
        respond_error (od, msg, EEXIST, why);
        return;
    }
    json_object_set_new (od->services, name, json_integer (sender (msg)));
    overlayd_log (od, LOG_DEBUG, "service %s provided by %s", name,
                  router_conn_name (od, sender (msg)));
    respond (od, msg, NULL);
}

static void service_remove_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *name;
    json_t *id;

    if (json_unpack (in, "{s:s !}", "name", &name) < 0) {
        respond_error (od, msg, EPROTO, "service.remove: expected {\"name\": string}");
        return;
    }
    if (!(id = json_object_get (od->services, name))
        || (uint32_t) json_integer_value (id) != sender (msg)) {
        respond_error (od, msg, ENOENT, "no such service registered by this connection");
        return;
    }
    json_object_del (od->services, name);
    respond (od, msg, NULL);
}

static void subscribe_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *topic;

    if (json_unpack (in, "{s:s !}", "topic", &topic) < 0) {
        respond_error (od, msg, EPROTO, "event.subscribe: expected {\"topic\": string}");
        return;
    }
    if (router_subscribe (od, sender (msg), topic) < 0) {
        respond_error (od, msg, errno, "cannot subscribe (too many subscriptions?)");
        return;
    }
    respond (od, msg, NULL);
}

static void unsubscribe_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *topic;

    if (json_unpack (in, "{s:s !}", "topic", &topic) < 0) {
        respond_error (od, msg, EPROTO, "event.unsubscribe: expected {\"topic\": string}");
        return;
    }
    if (router_unsubscribe (od, sender (msg), topic) < 0) {
        respond_error (od, msg, ENOENT, "not subscribed to that topic");
        return;
    }
    respond (od, msg, NULL);
}

static void publish_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *topic;
    json_t *payload = NULL;
    int private_ = 0;

    if (json_unpack (in, "{s:s s?o s?b !}", "topic", &topic, "payload", &payload, "private",
                     &private_)
            < 0
        || !fx_msg_topic_valid (topic) || (payload && !json_is_object (payload))) {
        respond_error (od, msg, EPROTO,
                       "event.publish: expected {\"topic\": s, \"payload\"?: {}, \"private\"?: b}");
        return;
    }
    if (router_publish (od, topic, payload, msg->userid, private_) < 0) {
        respond_error (od, msg, errno, "cannot publish");
        return;
    }
    json_t *out = json_pack ("{s:i}", "seq", od->event_seq);
    respond (od, msg, out);
    json_decref (out);
}

/* config.get: the merged configuration, or one key of it. */
/* What a guest may read of the configuration: all of it but the database connection string,
 * which may hold a password. */
static json_t *config_for_guest (const json_t *config)
{
    json_t *copy = json_deep_copy (config), *kvs;

    if (copy && (kvs = json_object_get (copy, "kvs")) && json_object_get (kvs, "dsn"))
        json_object_set_new (kvs, "dsn", json_string ("(hidden)"));
    return copy;
}

static void config_get_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *key = NULL;
    json_t *config, *value, *out;
    char why[300];

    if (json_unpack (in, "{s?s !}", "key", &key) < 0) {
        respond_error (od, msg, EPROTO, "config.get: expected {\"key\"?: string}");
        return;
    }
    if (msg->rolemask & FX_ROLE_OWNER)
        config = json_incref (od->config);
    else if (!(config = config_for_guest (od->config))) {
        respond_error (od, msg, ENOMEM, "out of memory");
        return;
    }
    value = key ? fx_conf_get (config, key) : config;
    if (!value) {
        snprintf (why, sizeof (why), "%s is not set", key);
        respond_error (od, msg, ENOENT, why);
    } else {
        out = json_pack ("{s:O}", "value", value);
        respond (od, msg, out);
        json_decref (out);
    }
    json_decref (config);
}

/* config.reload: read the files again; a bad new configuration leaves the old one active. */
static void config_reload_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    struct fx_error err = {""};
    json_t *config, *o;

    (void) in;
    if (!od->config_dir) {
        respond_error (od, msg, EINVAL, "this instance was started without a configuration "
                                        "directory");
        return;
    }
    if (!(config = fx_conf_load (od->config_dir, &fx_conf_schema_system, &err))
        || overlayd_config_apply (od, config, &err) < 0) {
        overlayd_log (od, LOG_ERR, "config reload rejected, keeping the old one: %s",
                      err.text);
        respond_error (od, msg, EINVAL, err.text);
        json_decref (config);
        return;
    }
    json_decref (config);
    overlayd_log (od, LOG_INFO, "configuration reloaded from %s", od->config_dir);
    if ((o = json_pack ("{s:O}", "config", od->config))) {
        router_publish (od, "config.update", o, od->owner, 0);
        json_decref (o);
    }
    respond (od, msg, NULL);
}

static void log_append_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    const char *name, *message;
    int level, rank;
    double timestamp;

    if (json_unpack (in, "{s:s s:i s:i s:F s:s !}", "name", &name, "level", &level, "rank",
                     &rank, "timestamp", &timestamp, "message", &message)
        < 0) {
        respond_error (od, msg, EPROTO, "log.append: malformed entry");
        return;
    }
    logbuf_append (od, timestamp, name, level, rank, message);
    respond (od, msg, NULL);
}

static void log_dmesg_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    (void) in;
    logbuf_dmesg (od, msg);
}

static void log_clear_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    (void) in;
    logbuf_clear (od->logbuf);
    respond (od, msg, NULL);
}

static void log_cancel_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    int matchtag;

    if (json_unpack (in, "{s:i !}", "matchtag", &matchtag) == 0)
        logbuf_cancel (od, sender (msg), matchtag);
}

/* overlay.health: this rank's subtree state and its children's (flux overlay status). */
static void overlay_health_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    json_t *out = health_json (od);

    (void) in;
    respond (od, msg, out);
    json_decref (out);
}

static void overlay_disconnect_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    struct fx_error err = {""};
    int rank;

    if (json_unpack (in, "{s:i !}", "rank", &rank) < 0 || rank < 0) {
        respond_error (od, msg, EPROTO, "overlay.disconnect: expected {\"rank\": N}");
        return;
    }
    if (overlay_disconnect (od, rank, &err) < 0) {
        respond_error (od, msg, ENOENT, err.text);
        return;
    }
    respond (od, msg, NULL);
}

/* overlay.topology: enough for commands to draw the tree and answer parentof/lookup. */
static void overlay_topology_cb (struct overlayd *od, struct fx_msg *msg, json_t *in)
{
    json_t *out = overlay_topology_json (od);

    (void) in;
    respond (od, msg, out);
    json_decref (out);
}

static const struct builtin builtins[] = {
    {"overlay.health", overlay_health_cb, FX_ROLE_ALL},
    {"overlay.topology", overlay_topology_cb, FX_ROLE_ALL},
    {"overlay.disconnect", overlay_disconnect_cb, FX_ROLE_OWNER},
    {"broker.ping", ping_cb, FX_ROLE_ALL},
    {"broker.getattr", getattr_cb, FX_ROLE_ALL},
    {"broker.lsattr", lsattr_cb, FX_ROLE_ALL},
    {"broker.setattr", setattr_cb, FX_ROLE_OWNER},
    {"service.add", service_add_cb, FX_ROLE_OWNER},
    {"service.remove", service_remove_cb, FX_ROLE_OWNER},
    {"event.subscribe", subscribe_cb, FX_ROLE_ALL},
    {"event.unsubscribe", unsubscribe_cb, FX_ROLE_ALL},
    {"event.publish", publish_cb, FX_ROLE_OWNER},
    {"config.get", config_get_cb, FX_ROLE_ALL},
    {"config.reload", config_reload_cb, FX_ROLE_OWNER},
    {"log.append", log_append_cb, FX_ROLE_OWNER},
    {"log.dmesg", log_dmesg_cb, FX_ROLE_OWNER},
    {"log.clear", log_clear_cb, FX_ROLE_OWNER},
    {"log.cancel", log_cancel_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};

static const char *const builtin_services[] = {"broker", "service", "event", "config",
                                               "log",    "overlay", NULL};

int services_is_builtin (const char *topic)
{
    size_t n = strcspn (topic, ".");

    for (int i = 0; builtin_services[i]; i++) {
        if (strlen (builtin_services[i]) == n && strncmp (builtin_services[i], topic, n) == 0)
            return 1;
    }
    return 0;
}

void services_dispatch (struct overlayd *od, struct fx_msg *msg)
{
    struct fx_error err;
    char why[300];
    json_t *in;

    for (const struct builtin *b = builtins; b->topic; b++) {
        if (strcmp (b->topic, msg->topic) != 0)
            continue;
        if (!(msg->rolemask & b->roles)) {
            snprintf (why, sizeof (why), "%s requires the instance owner", msg->topic);
            overlayd_log (od, LOG_NOTICE, "denied %s to uid %u: %s", msg->topic,
                          (unsigned int) msg->userid, why);
            respond_error (od, msg, EPERM, why);
            return;
        }
        if (!(in = fx_msg_json (msg, &err))) {
            respond_error (od, msg, EPROTO, err.text);
            return;
        }
        b->cb (od, msg, in);
        return;
    }
    snprintf (why, sizeof (why), "unknown method %s", msg->topic);
    respond_error (od, msg, ENOSYS, why);
}

/* A connection went away: forget its services and its dmesg followers. */
void services_conn_gone (struct overlayd *od, uint32_t conn_id)
{
    const char *name;
    json_t *id;
    void *tmp;

    json_object_foreach_safe (od->services, tmp, name, id)
    {
        if ((uint32_t) json_integer_value (id) == conn_id) {
            overlayd_log (od, LOG_DEBUG, "service %s is gone", name);
            json_object_del (od->services, name);
        }
    }
    logbuf_cancel (od, conn_id, FX_MATCHTAG_NONE);
}
