/* health.c - liveness of the links and subtree states, as the guide defines them.
 *
 * One periodic timer: it sends a heartbeat on every link that has been idle for
 * tbon.torpid_min, marks a child torpid once it has been silent for tbon.torpid_max (it gets
 * no new work but is not disconnected) and lost after tbon.lost_timeout, and gives up on a
 * silent parent after tbon.lost_timeout.  Each rank computes its subtree state from its
 * children's and reports it to its parent whenever it changes.
 *
 * Failure policy: state changes are logged once each (lost and offline with the reason);
 * nothing here stops the daemon except a lost parent (overlay_parent_lost).
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "overlayd/conn.h"
#include "overlayd/overlay.h"
#include "overlayd/overlayd.h"

static const char *const state_names[] = {
    [OVERLAY_OFFLINE] = "offline",   [OVERLAY_FULL] = "full", [OVERLAY_PARTIAL] = "partial",
    [OVERLAY_DEGRADED] = "degraded", [OVERLAY_LOST] = "lost",
};

const char *overlay_state_name (enum overlay_state state)
{
    return state <= OVERLAY_LOST ? state_names[state] : "unknown";
}

/* full: no child partial, offline, degraded or lost; partial: some partial or offline,
 * none degraded or lost; degraded: some degraded or lost. */
static enum overlay_state subtree_state (const struct overlay *ov)
{
    enum overlay_state s = OVERLAY_FULL;

    for (uint32_t i = 0; i < ov->nchildren; i++) {
        switch (ov->children[i].state) {
        case OVERLAY_DEGRADED:
        case OVERLAY_LOST:
            return OVERLAY_DEGRADED;
        case OVERLAY_PARTIAL:
        case OVERLAY_OFFLINE:
            s = OVERLAY_PARTIAL;
            break;
        case OVERLAY_FULL:
            break;
        }
    }
    return s;
}

void health_report (struct overlayd *od, int force)
{
    struct overlay *ov = od->overlay;
    enum overlay_state s = subtree_state (ov);

    if (s != ov->state) {
        ov->state = s;
        ov->state_since = ev_now (od->loop);
    }
    if (od->rank == 0 || !ov->parent || !ov->parent->authed)
        return;
    if (force || ov->reported != (int) s) {
        if (conn_send_control (ov->parent, FX_CTL_STATUS, s, NULL) == 0)
            ov->reported = s;
    }
}

/* Tell rank 0 that a child became torpid or responsive again: event overlay.torpid
 * {"rank", "torpid"}, which rank 0's resourced follows for `flux resource status`.  Only
 * a rank's parent knows; other ranks publish through rank 0 (event.publish). */
static void torpid_publish (struct overlayd *od, uint32_t rank, int torpid)
{
    json_t *payload = json_pack ("{s:I s:b}", "rank", (json_int_t) rank, "torpid", torpid), *o;

    if (!payload)
        return;
    if (od->rank == 0) {
        router_publish (od, "overlay.torpid", payload, od->owner, 0);
        json_decref (payload);
        return;
    }
    o = json_pack ("{s:s s:o}", "topic", "overlay.torpid", "payload", payload);
    if (o)
        router_tell_rank0 (od, "event.publish", o);
    json_decref (o);
}

static void set_torpid (struct overlayd *od, struct child *ch, int torpid)
{
    if (ch->torpid == torpid)
        return;
    ch->torpid = torpid;
    torpid_publish (od, ch->rank, torpid);
}

void health_child_state (struct overlayd *od, struct child *ch, enum overlay_state state,
                         const char *why)
{
    struct overlay *ov = od->overlay;

    if (ch->state == state)
        return;
    if (state == OVERLAY_LOST || state == OVERLAY_OFFLINE) {
        overlayd_log (od, state == OVERLAY_LOST ? LOG_ERR : LOG_INFO, "rank %u (%s) is %s: %s",
                      ch->rank, overlay_host (ov, ch->rank), overlay_state_name (state),
                      why ? why : "no reason");
        snprintf (ch->error, sizeof (ch->error), "%s", why ? why : "");
    } else if (ch->state == OVERLAY_OFFLINE || ch->state == OVERLAY_LOST) {
        overlayd_log (od, LOG_INFO, "rank %u (%s) joined", ch->rank, overlay_host (ov, ch->rank));
        ch->error[0] = '\0';
    }
    ch->state = state;
    ch->since = ev_now (od->loop);
    if (state == OVERLAY_LOST || state == OVERLAY_OFFLINE)
        set_torpid (od, ch, 0);
    health_report (od, 0);
}

void health_child_heard (struct overlayd *od, struct child *ch)
{
    if (ch && ch->torpid) {
        set_torpid (od, ch, 0);
        overlayd_log (od, LOG_INFO, "rank %u (%s) is responsive again", ch->rank,
                      overlay_host (od->overlay, ch->rank));
    }
}

static void check_child (struct overlayd *od, struct child *ch, ev_tstamp now)
{
    struct overlay *ov = od->overlay;
    struct conn *c = ch->conn;
    double silent;

    if (!c)
        return;
    if (now - c->last_send >= ov->torpid_min)
        conn_send_control (c, FX_CTL_HEARTBEAT, 0, NULL);
    silent = now - c->last_recv;
    if (silent > ov->lost_timeout) {
        overlayd_log (od, LOG_ERR, "rank %u (%s): no messages for %.1fs", ch->rank,
                      overlay_host (ov, ch->rank), silent);
        /* A fixed reason, so that flux overlay errors groups the ranks lost together. */
        overlay_link_failed (od, c, "lost connection");
    } else if (silent > ov->torpid_max && !ch->torpid) {
        set_torpid (od, ch, 1);
        overlayd_log (od, LOG_WARNING, "broker on %s (rank %u) has been unresponsive for %.1fs",
                      overlay_host (ov, ch->rank), ch->rank, silent);
    }
}

static void tick_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct overlayd *od = w->data;
    struct overlay *ov = od->overlay;
    ev_tstamp now = ev_now (loop);
    struct conn *p = ov->parent;

    (void) revents;
    for (uint32_t i = 0; i < ov->nchildren; i++)
        check_child (od, &ov->children[i], now);
    if (p && p->authed) {
        if (now - p->last_send >= ov->torpid_min)
            conn_send_control (p, FX_CTL_HEARTBEAT, 0, NULL);
        if (now - p->last_recv > ov->lost_timeout)
            overlay_parent_lost (od, "no messages from it for longer than tbon.lost_timeout");
    }
}

static double count_state (struct overlayd *od, enum overlay_state s)
{
    struct overlay *ov = od->overlay;
    double n = 0;

    for (uint32_t i = 0; ov && i < ov->nchildren; i++)
        n += ov->children[i].state == s;
    return n;
}

#define STATE_GAUGE(name, s)                                                                       \
    static double name (void *arg)                                                                 \
    {                                                                                              \
        return count_state (arg, s);                                                               \
    }
STATE_GAUGE (count_offline, OVERLAY_OFFLINE)
STATE_GAUGE (count_full, OVERLAY_FULL)
STATE_GAUGE (count_partial, OVERLAY_PARTIAL)
STATE_GAUGE (count_degraded, OVERLAY_DEGRADED)
STATE_GAUGE (count_lost, OVERLAY_LOST)

static int register_metrics (struct overlayd *od, struct fx_error *err)
{
    static const char *const state_label[] = {"state", NULL};
    struct overlay *ov = od->overlay;
    const struct {
        const char *state;
        fx_metric_gauge_f cb;
    } gauges[] = {
        {"offline", count_offline},   {"full", count_full}, {"partial", count_partial},
        {"degraded", count_degraded}, {"lost", count_lost},
    };

    ov->m_peers = fx_metrics_register (od->metrics, FX_METRIC_GAUGE, "flux_overlay_children",
                                       "Child links by subtree state", state_label);
    ov->m_reconnects =
        fx_metrics_register (od->metrics, FX_METRIC_COUNTER, "flux_overlay_child_joins_total",
                             "Children that joined (again)", NULL);
    if (!ov->m_peers || !ov->m_reconnects)
        return errprintf (err, "cannot register overlay metrics");
    for (size_t i = 0; i < sizeof (gauges) / sizeof (gauges[0]); i++) {
        if (fx_metric_set_callback (ov->m_peers, gauges[i].cb, od, gauges[i].state) < 0)
            return errprintf (err, "cannot register overlay metrics");
    }
    return 0;
}

int health_start (struct overlayd *od, struct fx_error *err)
{
    struct overlay *ov = od->overlay;

    if (register_metrics (od, err) < 0)
        return -1;
    ov->state = subtree_state (ov);
    ev_init (&ov->health_w, tick_cb);
    ov->health_w.data = od;
    ov->health_w.repeat = ov->torpid_min / 2;
    ev_timer_again (od->loop, &ov->health_w);
    return 0;
}

void health_stop (struct overlayd *od)
{
    ev_timer_stop (od->loop, &od->overlay->health_w);
}

/* This rank and its children, for overlay.health (flux overlay status). */
json_t *health_json (struct overlayd *od)
{
    struct overlay *ov = od->overlay;
    ev_tstamp now = ev_now (od->loop);
    json_t *kids = json_array (), *o;

    for (uint32_t i = 0; ov && i < ov->nchildren; i++) {
        struct child *ch = &ov->children[i];
        o = json_pack ("{s:i s:s s:s s:f s:b s:s}", "rank", ch->rank, "host",
                       overlay_host (ov, ch->rank), "state", overlay_state_name (ch->state),
                       "duration", now - ch->since, "torpid", ch->torpid, "error", ch->error);
        json_array_append_new (kids, o);
    }
    return json_pack ("{s:i s:s s:s s:f s:o}", "rank", od->rank, "host", od->hostname, "state",
                      overlay_state_name (ov ? ov->state : OVERLAY_FULL), "duration",
                      ov ? now - ov->state_since : now - od->starttime, "children", kids);
}
