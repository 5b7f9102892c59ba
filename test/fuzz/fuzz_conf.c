/* fuzz_conf.c - feed arbitrary bytes to the configuration loader (services/conf.c).
 *
 * The input is one configuration file checked against the system schema.  Whatever it holds,
 * the loader must return a configuration or NULL with a one-line message, never crash or
 * leak; a configuration it returns must pass fx_conf_validate_json() and survive lookups.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/conf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    struct fx_error err = {{0}};
    char *text = malloc (size + 1);
    json_t *conf;

    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = '\0';
    conf = fx_conf_load_string ("fuzz.conf", text, &fx_conf_schema_system, &err);
    if (conf) {
        if (fx_conf_validate_json (conf, &fx_conf_schema_system, &err) < 0)
            abort ();
        (void) fx_conf_get (conf, "bootstrap.hosts.0.host");
        (void) fx_conf_get (conf, "job-manager.plugins.0.conf");
        json_decref (conf);
    } else if (err.text[0] == '\0' || strchr (err.text, '\n'))
        abort ();
    free (text);
    return 0;
}
