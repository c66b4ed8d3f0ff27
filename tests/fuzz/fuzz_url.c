/*
 * fuzz_url.c - URL normalization (common/src/url.c). Invariants: the
 * result is a fixed point (normalizing it again changes nothing), starts
 * with the scheme, has no fragment or blank, and costs linear time.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wh/url.h"

static int run(const uint8_t *data, size_t size)
{
    char *in = fuzz_strndup(data, size);
    char *once = wh_url_normalize(in);
    char *twice;
    const char *p;

    (void)wh_url_is_tracking_param(in, strlen(in));
    if (once == NULL) {
        free(in);
        return 0;
    }
    if (strncmp(once, "http://", 7) != 0 && strncmp(once, "https://", 8) != 0) {
        fuzz_fail("normalized url without its scheme: %s", once);
    }
    for (p = once; *p != '\0'; p++) {
        if (*p == '#') {
            fuzz_fail("normalized url with a fragment: %s", once);
        }
    }
    twice = wh_url_normalize(once);
    if (twice == NULL || strcmp(once, twice) != 0) {
        fuzz_fail("not a fixed point: %s -> %s", once,
                  twice != NULL ? twice : "(refused)");
    }
    free(twice);
    free(once);
    free(in);
    return 0;
}

const struct fuzz_target fuzz_target = {"url", run, 50, 200};
