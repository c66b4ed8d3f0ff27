/*
 * dedup_fixture.c - scratch directory and made-up stories for the dedup
 * unit tests (see dedup_fixture.h).
 */
#include "dedup_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wh/buf.h"
#include "wh/wh.h"

int dedup_fixture_dir_new(char *dir, size_t dir_size, const char *prefix)
{
    snprintf(dir, dir_size, "/tmp/%s.XXXXXX", prefix);
    return mkdtemp(dir) != NULL ? 0 : -1;
}

int dedup_fixture_dir_remove(const char *dir)
{
    char *cmd = wh_xasprintf("rm -rf '%s'", dir);
    int rc;

    rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : -1;
}

char *dedup_fixture_story(unsigned seed, size_t nwords, size_t para,
                          unsigned vocab, size_t sentence)
{
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "sa",
                                      "to", "vi", "de", "bo", "ga", "pe"};
    struct wh_buf b;
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
    size_t i;

    wh_buf_init(&b, 0);
    for (i = 0; i < nwords; i++) {
        uint64_t w;
        unsigned k;

        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        w = s % vocab;
        if (i > 0) {
            wh_buf_puts(&b, i % para == 0 ? "\n\n" : " ");
        }
        for (k = 0; k < 2 + w % 3; k++) {
            wh_buf_puts(&b, syl[(w / (k + 1) + k) % 12]);
        }
        if (sentence != 0 && i % sentence == sentence - 1) {
            wh_buf_puts(&b, ".");
        }
    }
    return wh_buf_steal(&b);
}
