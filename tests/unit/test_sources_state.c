/*
 * test_sources_state.c - the producer's published-ids state
 * (producers/state.c) and HTTP validators: in memory, persisted per
 * source, reloaded by a restarted producer, sources kept apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../producers/state.h"
#include "test_files.h"
#include "wh/wh.h"

/* A fresh empty directory under TMPDIR; the caller removes it. */
static char *temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = wh_xasprintf("%s/wh-state-XXXXXX", tmp != NULL ? tmp : "/tmp");

    if (mkdtemp(dir) == NULL) {
        fail_msg("mkdtemp %s failed", dir);
    }
    return dir;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    const struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char *path;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        path = wh_xasprintf("%s/%s", dir, e->d_name);
        unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

static void test_memory_only(void **state)
{
    char err[256];
    struct wh_state *st = wh_state_open(NULL, err, sizeof(err));
    size_t i;

    (void)state;
    assert_non_null(st);
    assert_false(wh_state_seen(st, "s1", "a"));
    assert_int_equal(wh_state_mark(st, "s1", "a", err, sizeof(err)), WH_OK);
    assert_true(wh_state_seen(st, "s1", "a"));
    assert_false(wh_state_seen(st, "s2", "a"));
    /* marking twice keeps one */
    assert_int_equal(wh_state_mark(st, "s1", "a", err, sizeof(err)), WH_OK);
    assert_int_equal(wh_state_count(st), 1);
    /* growth past the initial table */
    for (i = 0; i < 5000; i++) {
        char id[32];

        snprintf(id, sizeof(id), "id-%zu", i);
        assert_int_equal(wh_state_mark(st, "s3", id, err, sizeof(err)), WH_OK);
    }
    assert_int_equal(wh_state_count(st), 5001);
    assert_true(wh_state_seen(st, "s3", "id-0"));
    assert_true(wh_state_seen(st, "s3", "id-4999"));
    assert_false(wh_state_seen(st, "s3", "id-5000"));
    wh_state_close(st);
    wh_state_close(NULL);
}

static void test_restart(void **state)
{
    char err[256];
    char *dir = temp_dir();
    struct wh_state *st;

    (void)state;
    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(
        wh_state_mark(st, "http://a/feed", "one", err, sizeof(err)), WH_OK);
    assert_int_equal(
        wh_state_mark(st, "http://a/feed", "two\nlines", err, sizeof(err)),
        WH_OK);
    assert_int_equal(
        wh_state_mark(st, "http://b/feed", "one", err, sizeof(err)), WH_OK);
    wh_state_close(st);

    /* a restarted producer sees what was published, per source */
    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    assert_true(wh_state_seen(st, "http://a/feed", "one"));
    assert_true(wh_state_seen(st, "http://a/feed", "two\nlines"));
    assert_false(wh_state_seen(st, "http://a/feed", "three"));
    assert_true(wh_state_seen(st, "http://b/feed", "one"));
    assert_false(wh_state_seen(st, "http://c/feed", "one"));
    wh_state_close(st);
    remove_dir(dir);
    free(dir);
}

/* Skips hold per version of an item (id, link, date), survive a restart,
 * and are not published ids. */
static void test_skips(void **state)
{
    char err[256];
    char *dir = temp_dir();
    struct wh_state *st;
    const char *src = "http://a/feed";

    (void)state;
    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    assert_false(wh_state_skipped(st, src, "g1", "http://a/1", "2015-01-01"));
    assert_int_equal(wh_state_skip(st, src, "g1", "http://a/1", "2015-01-01",
                                   "robots", err, sizeof(err)),
                     WH_OK);
    assert_int_equal(wh_state_skip(st, src, "g2\ttab", NULL, NULL, "not_found",
                                   err, sizeof(err)),
                     WH_OK);
    /* twice: one line */
    assert_int_equal(wh_state_skip(st, src, "g1", "http://a/1", "2015-01-01",
                                   "robots", err, sizeof(err)),
                     WH_OK);
    assert_true(wh_state_skipped(st, src, "g1", "http://a/1", "2015-01-01"));
    assert_false(wh_state_seen(st, src, "g1"));
    wh_state_close(st);

    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    assert_true(wh_state_skipped(st, src, "g1", "http://a/1", "2015-01-01"));
    assert_true(wh_state_skipped(st, src, "g2\ttab", NULL, NULL));
    assert_false(wh_state_skipped(st, src, "g2\ttab", "http://a/2", NULL));
    /* the feed changed the item: a new link, a new date */
    assert_false(wh_state_skipped(st, src, "g1", "http://a/1b", "2015-01-01"));
    assert_false(wh_state_skipped(st, src, "g1", "http://a/1", "2015-01-02"));
    assert_false(wh_state_skipped(st, "http://b/feed", "g1", "http://a/1",
                                  "2015-01-01"));
    assert_false(wh_state_seen(st, src, "g1"));
    wh_state_close(st);
    {
        /* one line per skip, reason first */
        char *path = NULL;
        DIR *d = opendir(dir);
        const struct dirent *e;
        size_t len = 0;
        char *text;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, ".skip") != NULL) {
                path = wh_xasprintf("%s/%s", dir, e->d_name);
            }
        }
        closedir(d);
        assert_non_null(path);
        text = test_read_file(path, &len);
        assert_string_equal(text, "robots\tg1\thttp://a/1\t2015-01-01\n"
                                  "not_found\tg2 tab\t-\t-\n");
        free(text);
        free(path);
    }
    remove_dir(dir);
    free(dir);
}

static void test_validators(void **state)
{
    char err[256];
    char *dir = temp_dir();
    struct wh_state *st;
    const char *etag;
    const char *lm;

    (void)state;
    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    wh_state_validators(st, "src", "http://a/feed", &etag, &lm);
    assert_null(etag);
    assert_null(lm);
    assert_int_equal(wh_state_set_validators(st, "src", "http://a/feed",
                                             "\"abc\"", NULL, err, sizeof(err)),
                     WH_OK);
    assert_int_equal(wh_state_set_validators(st, "src", "http://a/index", NULL,
                                             "Sun, 21 Dec 2014", err,
                                             sizeof(err)),
                     WH_OK);
    assert_int_equal(wh_state_set_validators(st, "other", "http://a/feed",
                                             "\"x\ty\"", "d", err, sizeof(err)),
                     WH_OK);
    /* replaced, not added */
    assert_int_equal(wh_state_set_validators(st, "src", "http://a/feed",
                                             "\"abd\"", NULL, err, sizeof(err)),
                     WH_OK);
    wh_state_close(st);

    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    wh_state_validators(st, "src", "http://a/feed", &etag, &lm);
    assert_string_equal(etag, "\"abd\"");
    assert_null(lm);
    wh_state_validators(st, "src", "http://a/index", &etag, &lm);
    assert_null(etag);
    assert_string_equal(lm, "Sun, 21 Dec 2014");
    /* a tab inside a value is blanked on disk */
    wh_state_validators(st, "other", "http://a/feed", &etag, &lm);
    assert_string_equal(etag, "\"x y\"");
    assert_string_equal(lm, "d");
    /* forgetting one source leaves the others */
    assert_int_equal(wh_state_forget_validators(st, "src", err, sizeof(err)),
                     WH_OK);
    wh_state_validators(st, "src", "http://a/feed", &etag, &lm);
    assert_null(etag);
    wh_state_close(st);

    st = wh_state_open(dir, err, sizeof(err));
    assert_non_null(st);
    wh_state_validators(st, "src", "http://a/index", &etag, &lm);
    assert_null(lm);
    wh_state_validators(st, "other", "http://a/feed", &etag, &lm);
    assert_string_equal(lm, "d");
    /* both NULL removes */
    assert_int_equal(wh_state_set_validators(st, "other", "http://a/feed", NULL,
                                             NULL, err, sizeof(err)),
                     WH_OK);
    wh_state_validators(st, "other", "http://a/feed", &etag, &lm);
    assert_null(etag);
    assert_null(lm);
    wh_state_close(st);
    remove_dir(dir);
    free(dir);
}

static void test_bad_dir(void **state)
{
    char err[256];
    char *dir = temp_dir();
    char *file = wh_xasprintf("%s/plain-file", dir);
    char *below = wh_xasprintf("%s/plain-file/sub", dir);
    struct wh_state *st;
    FILE *fp;

    (void)state;
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_null(wh_state_open(file, err, sizeof(err)));
    assert_non_null(strstr(err, "not a directory"));
    assert_null(wh_state_open(below, err, sizeof(err)));
    assert_non_null(strstr(err, "state dir"));
    /* a missing directory is created */
    free(below);
    below = wh_xasprintf("%s/new", dir);
    st = wh_state_open(below, err, sizeof(err));
    assert_non_null(st);
    wh_state_close(st);
    rmdir(below);
    remove_dir(dir);
    free(below);
    free(file);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_only), cmocka_unit_test(test_restart),
        cmocka_unit_test(test_skips),       cmocka_unit_test(test_validators),
        cmocka_unit_test(test_bad_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
