/* metrics.h - a registry of Prometheus metrics, rendered in text exposition format 0.0.4.
 *
 * A daemon creates one registry, registers its metric families once at start-up and keeps
 * the handles; handlers then update series by label value:
 *
 *     static const char *const type_label[] = {"type", NULL};
 *     struct fx_metric *msgs = fx_metrics_register (m, FX_METRIC_COUNTER,
 *                                                   "flux_overlay_messages_total",
 *                                                   "Messages routed.", type_label);
 *     fx_metric_inc (msgs, "request");
 *
 * fx_metric_inc/add/set/set_callback are macros that take one label value per label name of
 * the family, in registration order (none for a family without labels), and append the NULL
 * that ends the list; a wrong count fails with EINVAL rather than reading past the arguments.
 * The fx_metric_*v forms take the values as an array instead.
 *
 * Series are created on first use and kept for the life of the registry, at most
 * FX_METRICS_MAX_SERIES per family, so label values must come from a small set (states,
 * message types), never from client-chosen strings.  Nothing here is thread-safe: each
 * daemon uses its registry from its one loop thread.
 */
#ifndef FX_METRICS_H
#define FX_METRICS_H

#include <stddef.h>

#define FX_METRICS_MAX_SERIES    10000 /* series per family */
#define FX_METRICS_MAX_LABELS    8     /* label names per family */
#define FX_METRICS_MAX_VALUE_LEN 256   /* bytes in one label value */

enum fx_metric_type {
    FX_METRIC_COUNTER,
    FX_METRIC_GAUGE,
};

struct fx_metrics;
struct fx_metric;

/* A gauge evaluated at scrape time; it must not block and must not touch the registry. */
typedef double (*fx_metric_gauge_f) (void *arg);

/* Create an empty registry.  The caller owns it.  Returns NULL with errno ENOMEM. */
struct fx_metrics *fx_metrics_create (void);

/* Free m, its families and series (NULL is accepted; errno is kept).  Handles returned by
 * fx_metrics_register() are invalid afterwards; callback arguments are not touched. */
void fx_metrics_destroy (struct fx_metrics *m);

/* Register a family.  name must match [a-zA-Z_:][a-zA-Z0-9_:]* (the project prefixes it with
 * flux_), help is UTF-8 text (NULL or "" for no HELP line), labels is a NULL-terminated array of at
 * most FX_METRICS_MAX_LABELS distinct names matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with
 * "__", or NULL for none.  All strings are copied.  A family without labels has one series,
 * present (at 0) from registration on.  Returns a handle owned by m, or NULL with errno
 * EINVAL (bad name, help, label or type), EEXIST (name already registered) or ENOMEM. */
struct fx_metric *fx_metrics_register (struct fx_metrics *m, enum fx_metric_type type,
                                       const char *name, const char *help,
                                       const char *const labels[]);

/* Add v to the series named by values (one per label name, NULL for a family without
 * labels), creating it at 0 first if needed.  A counter takes only v >= 0; a gauge any
 * value.  Returns 0, or -1 with errno EINVAL (NULL handle, wrong number of values, a value
 * longer than FX_METRICS_MAX_VALUE_LEN or not UTF-8, a negative or NaN counter increment, a
 * gauge backed by a callback), EOVERFLOW (the family already has FX_METRICS_MAX_SERIES
 * series: the update is dropped) or ENOMEM. */
int fx_metric_addv (struct fx_metric *f, double v, const char *const values[]);

/* Set a gauge series to v; errors as fx_metric_addv(), and EINVAL for a counter. */
int fx_metric_setv (struct fx_metric *f, double v, const char *const values[]);

/* Back a gauge series with cb (arg is passed through and stays owned by the caller), called
 * at each render instead of the stored value; a NULL cb returns the series to its stored
 * value.  Errors as fx_metric_setv(). */
int fx_metric_set_callbackv (struct fx_metric *f, fx_metric_gauge_f cb, void *arg,
                             const char *const values[]);

/* The same, with the label values as NULL-terminated arguments; use the macros below. */
int fx_metric_addl (struct fx_metric *f, double v, ...) __attribute__ ((sentinel));
int fx_metric_setl (struct fx_metric *f, double v, ...) __attribute__ ((sentinel));
int fx_metric_set_callbackl (struct fx_metric *f, fx_metric_gauge_f cb, void *arg, ...)
    __attribute__ ((sentinel));

#define fx_metric_inc(f, ...)    fx_metric_addl ((f), 1.0, ##__VA_ARGS__, (const char *) NULL)
#define fx_metric_add(f, v, ...) fx_metric_addl ((f), (v), ##__VA_ARGS__, (const char *) NULL)
#define fx_metric_set(f, v, ...) fx_metric_setl ((f), (v), ##__VA_ARGS__, (const char *) NULL)
#define fx_metric_set_callback(f, cb, arg, ...)                                                    \
    fx_metric_set_callbackl ((f), (cb), (arg), ##__VA_ARGS__, (const char *) NULL)

/* Render every family, in registration order, and its series, in creation order, in the
 * Prometheus text format 0.0.4.  Callback gauges are evaluated now.  Returns a
 * NUL-terminated string the caller frees, its length (without the NUL) in *len when len is
 * not NULL, or NULL with errno ENOMEM.  Numbers are printed with the C locale's decimal
 * point, which daemons keep by never calling setlocale(). */
char *fx_metrics_render (struct fx_metrics *m, size_t *len);

#endif
