/*
 * fuzz_config.c - configuration files (common/src/config.c), written to
 * a temporary file and read with wh_config_load(). Invariants: a file
 * that loads answers every key without crashing; errors name a line; the
 * time is linear. Kept small on purpose: only the loader's entry point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "wh/config.h"
#include "wh/wh.h"

static const struct wh_config_key keys[] = {
    WH_KEY_STR("name", NULL, "a single value"),
    WH_KEY_LIST("source", WH_CONFIG_STRING, NULL, "a repeatable value"),
    WH_KEY_STR("interval", NULL, "a number"),
    WH_KEY_STR("kafka.brokers", NULL, "a kafka key"),
    WH_KEY_END,
};

static char path[64];

static void remove_path(void)
{
    (void)unlink(path);
}

static int run(const uint8_t *data, size_t size)
{
    struct wh_config *cfg;
    char err[512];
    FILE *f;
    long long n;
    size_t i;

    if (path[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        int fd;

        snprintf(path, sizeof(path), "%s/wh-fuzz-config-XXXXXX",
                 tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
        fd = mkstemp(path);
        if (fd < 0) {
            fuzz_fail("mkstemp: cannot make a temporary file");
        }
        close(fd);
        atexit(remove_path);
    }
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fuzz_fail("cannot write %s", path);
    }
    cfg = wh_config_new(keys);
    if (wh_config_load(cfg, path, err, sizeof(err)) == WH_OK) {
        const struct wh_config_entry *e;

        for (i = 0; keys[i].name != NULL; i++) {
            (void)wh_config_get(cfg, keys[i].name, NULL);
        }
        (void)wh_config_get_int(cfg, "interval", 0, &n, err, sizeof(err));
        for (e = wh_config_first(cfg, "source"); e != NULL;
             e = wh_config_next(e)) {
            if (e->value == NULL || strcmp(e->key, "source") != 0) {
                fuzz_fail("an entry of \"source\" without its value");
            }
        }
    } else if (strncmp(err, path, strlen(path)) != 0) {
        fuzz_fail("an error that does not name the file: %s", err);
    }
    wh_config_free(cfg);
    return 0;
}

const struct fuzz_target fuzz_target = {"config", run, 50, 500};
