/*
 * fuzz_robots.c - robots.txt parsing and matching
 * (producers/fetcher/robots.c). The first line of the input is the path
 * checked, the rest the file. Invariants: a check costs linear time in
 * the path and the file (robots.h); and a one-rule file whose pattern
 * and path are plain (no escapes, no bytes that normalization changes)
 * decides as a reference matcher (dynamic programming over '*' and '$')
 * does.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "robots.h"
#include "wh/wh.h"

#define PLAIN_MAX 64

static int plain(const char *s)
{
    for (; *s != '\0'; s++) {
        if (strchr("abAB01/*$.-_?=&", *s) == NULL) {
            return 0;
        }
    }
    return 1;
}

/* Reference: does pat (with '*' and a final '$') match a prefix of
 * path (all of it with '$')? m[i][j]: pat[0..i) matches path[0..j). */
static int ref_match(const char *pat, const char *path)
{
    static unsigned char m[PLAIN_MAX + 1][PLAIN_MAX + 1];
    size_t pn = strlen(pat);
    size_t n = strlen(path);
    int anchored = pn > 0 && pat[pn - 1] == '$';
    size_t i;
    size_t j;

    if (anchored) {
        pn--;
    }
    memset(m, 0, sizeof(m));
    m[0][0] = 1;
    for (i = 1; i <= pn; i++) {
        for (j = 0; j <= n; j++) {
            if (pat[i - 1] == '*') {
                m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
            } else {
                m[i][j] = j > 0 && m[i - 1][j - 1] && pat[i - 1] == path[j - 1];
            }
        }
    }
    if (anchored) {
        return m[pn][n];
    }
    for (j = 0; j <= n; j++) {
        if (m[pn][j]) {
            return 1;
        }
    }
    return 0;
}

static void differential(const char *path, const uint8_t *rest, size_t len)
{
    const uint8_t *nl = memchr(rest, '\n', len);
    size_t plen = nl != NULL ? (size_t)(nl - rest) : len;
    char *pat = fuzz_strndup(rest, plen);
    char *file;
    struct wh_robots *r;
    int want;
    int got;

    if (plen == 0 || plen > PLAIN_MAX || strlen(pat) != plen ||
        strlen(path) > PLAIN_MAX || path[0] != '/' || !plain(pat) ||
        !plain(path) || strcmp(path, "/robots.txt") == 0) {
        free(pat);
        return;
    }
    file = wh_xasprintf("User-agent: *\nDisallow: %s\n", pat);
    r = wh_robots_parse(file, strlen(file), "wirehose");
    want = !ref_match(pat, path);
    got = wh_robots_allowed(r, path);
    if (got != want) {
        fuzz_fail("Disallow: %s on %s: allowed=%d, the reference says %d", pat,
                  path, got, want);
    }
    wh_robots_free(r);
    free(file);
    free(pat);
}

static int run(const uint8_t *data, size_t size)
{
    char *path;
    const uint8_t *rest;
    size_t len;
    struct wh_robots *r;

    fuzz_split_line(data, size, 16384, &path, &rest, &len);
    r = wh_robots_parse((const char *)rest, len, "wirehose");
    (void)wh_robots_allowed(r, path);
    (void)wh_robots_crawl_delay_ms(r);
    /* a check: linear in the path, plus a pass over the rules */
    wh_robots_free(r);
    differential(path, rest, len);
    free(path);
    return 0;
}

const struct fuzz_target fuzz_target = {"robots", run, 50, 500};
