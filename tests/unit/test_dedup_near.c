/*
 * test_dedup_near.c - the "dedup" stage (consumers/dedup/near.c) on
 * records: what it writes in the extension object, the copies policy,
 * records without a body, and replays giving the same output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dedup_fixture.h"
#include "near.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    return dedup_fixture_dir_new(tmpdir, sizeof(tmpdir), "wh-dedup-near");
}

static int teardown(void **state)
{
    (void)state;
    return dedup_fixture_dir_remove(tmpdir);
}

static char *story(unsigned seed)
{
    return dedup_fixture_story(seed, 250, 50, 2000, 0);
}

static void *stage_init(const char *sub, const char *copies, char *err,
                        size_t errsize)
{
    struct wh_config *cfg = wh_config_new(wh_dedup_config_keys);
    char *dir = wh_xasprintf("%s/%s", tmpdir, sub);
    void *ctx;

    assert_int_equal(wh_config_set(cfg, "dedup.state_dir", dir, err, errsize),
                     WH_OK);
    if (copies != NULL) {
        assert_int_equal(
            wh_config_set(cfg, "dedup.copies", copies, err, errsize), WH_OK);
    }
    ctx = wh_stage_dedup.init(NULL, cfg, err, errsize);
    wh_config_free(cfg);
    free(dir);
    return ctx;
}

static struct wh_record *record(const char *uri, const char *body,
                                const char *fetched)
{
    struct wh_record *rec = wh_record_new();

    rec->uri = wh_xstrdup(uri);
    rec->body_text = body ? wh_xstrdup(body) : NULL;
    rec->fetched_at = fetched ? wh_xstrdup(fetched) : NULL;
    rec->version = 1;
    return rec;
}

static const char *ext_str(const struct wh_record *rec, const char *key)
{
    return json_string_value(json_object_get(rec->ext, key));
}

static int process(void *ctx, struct wh_record *rec, int64_t offset)
{
    struct wh_msg_meta meta;
    char err[256] = "";

    memset(&meta, 0, sizeof(meta));
    meta.topic = "articles";
    meta.offset = offset;
    return wh_stage_dedup.process(ctx, rec, &meta, err, sizeof(err));
}

static void test_stage(void **state)
{
    char err[256] = "";
    void *ctx = stage_init("keep", NULL, err, sizeof(err));
    char *a = story(1);
    char *b = story(2);
    char *ca = wh_xasprintf("PARIS (Agency) - %s\n\nReporting by Someone", a);
    char *a2 = wh_xasprintf("%s\n\nThis paragraph was added later.", a);
    struct wh_record *r1 =
        record("https://a.example/1", a, "2026-11-27T10:00:00Z");
    struct wh_record *r2 =
        record("https://b.example/x", ca, "2026-11-27T10:01:00Z");
    struct wh_record *r3 =
        record("https://c.example/y", b, "2026-11-27T10:02:00Z");
    struct wh_record *r4 =
        record("https://a.example/1", a2, "2026-11-27T11:00:00Z");
    struct wh_record *r5 =
        record("https://a.example/1", a, "2026-11-27T12:00:00Z");
    struct wh_record *r6 = record("https://d.example/nobody", NULL, NULL);
    json_t *prev;

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(process(ctx, r1, 1), WH_OK);
    assert_string_equal(ext_str(r1, "dedup"), "new");
    assert_string_equal(ext_str(r1, "clusterId"), "https://a.example/1");
    assert_null(ext_str(r1, "duplicateOf"));

    assert_int_equal(process(ctx, r2, 2), WH_OK);
    assert_string_equal(ext_str(r2, "dedup"), "copy");
    assert_string_equal(ext_str(r2, "clusterId"), "https://a.example/1");
    assert_string_equal(ext_str(r2, "duplicateOf"), "https://a.example/1");
    assert_true(json_real_value(json_object_get(r2->ext, "dedupSimilarity")) >
                0.5);

    assert_int_equal(process(ctx, r3, 3), WH_OK);
    assert_string_equal(ext_str(r3, "dedup"), "new");
    assert_string_equal(ext_str(r3, "clusterId"), "https://c.example/y");

    assert_int_equal(process(ctx, r4, 4), WH_OK);
    assert_string_equal(ext_str(r4, "dedup"), "version");
    assert_int_equal(r4->version, 2);
    assert_string_equal(r4->version_created, "2026-11-27T11:00:00Z");
    prev = json_object_get(r4->ext, "previousVersion");
    assert_int_equal(json_integer_value(json_object_get(prev, "version")), 1);
    {
        char *h1 = wh_body_hash(a);

        assert_string_equal(
            json_string_value(json_object_get(prev, "contentHash")), h1);
        free(h1);
    }
    assert_string_equal(ext_str(r4, "clusterId"), "https://a.example/1");

    /* the same item fetched again: a repeat, dropped */
    assert_int_equal(process(ctx, r5, 5), WH_DROP);

    /* no body: passed on with a reason */
    assert_int_equal(process(ctx, r6, 6), WH_OK);
    assert_string_equal(ext_str(r6, "dedup"), "skipped");
    assert_string_equal(ext_str(r6, "dedupReason"), "no text body");

    /* replay of the whole stream after a restart: same output */
    wh_stage_dedup.close(ctx);
    ctx = stage_init("keep", NULL, err, sizeof(err));
    assert_non_null(ctx);
    {
        struct wh_record *in[] = {r1, r2, r3, r4};
        const char *bodies[] = {a, ca, b, a2};
        const char *fetched[] = {"2026-11-27T10:00:00Z", "2026-11-27T10:01:00Z",
                                 "2026-11-27T10:02:00Z",
                                 "2026-11-27T11:00:00Z"};
        size_t i;

        for (i = 0; i < 4; i++) {
            struct wh_record *again = record(in[i]->uri, bodies[i], fetched[i]);
            char *want = wh_record_dump(in[i]);
            char *got;

            assert_int_equal(process(ctx, again, (int64_t)i + 1), WH_OK);
            got = wh_record_dump(again);
            assert_string_equal(got, want);
            free(got);
            free(want);
            wh_record_free(again);
        }
    }
    assert_int_equal(wh_stage_dedup.flush(ctx, err, sizeof(err)), WH_OK);
    wh_stage_dedup.close(ctx);
    wh_stage_dedup.close(NULL);
    wh_record_free(r1);
    wh_record_free(r2);
    wh_record_free(r3);
    wh_record_free(r4);
    wh_record_free(r5);
    wh_record_free(r6);
    free(a);
    free(b);
    free(ca);
    free(a2);
}

static void test_copies_policy(void **state)
{
    char err[256] = "";
    char *a = story(7);
    char *ca = wh_xasprintf("ROME (Agency) - %s", a);
    void *drop = stage_init("drop", "drop", err, sizeof(err));
    void *topic = stage_init("topic", "topic", err, sizeof(err));
    struct wh_record *r;

    (void)state;
    assert_non_null(drop);
    assert_non_null(topic);
    r = record("https://a.example/7", a, "2026-11-27T10:00:00Z");
    assert_int_equal(process(drop, r, 1), WH_OK);
    wh_record_free(r);
    r = record("https://b.example/7", ca, "2026-11-27T10:00:01Z");
    assert_int_equal(process(drop, r, 2), WH_DROP);
    wh_record_free(r);

    r = record("https://a.example/7", a, "2026-11-27T10:00:00Z");
    assert_int_equal(process(topic, r, 1), WH_OK);
    assert_null(ext_str(r, "dedupRoute"));
    wh_record_free(r);
    r = record("https://b.example/7", ca, "2026-11-27T10:00:01Z");
    assert_int_equal(process(topic, r, 2), WH_OK);
    assert_string_equal(ext_str(r, "dedupRoute"), "copies");
    assert_string_equal(ext_str(r, "duplicateOf"), "https://a.example/7");
    wh_record_free(r);

    /* a short body is kept out of near matching, with a reason */
    r = record("https://e.example/short", "Just a few words here.",
               "2026-11-27T10:00:02Z");
    assert_int_equal(process(topic, r, 3), WH_OK);
    assert_string_equal(ext_str(r, "dedup"), "new");
    assert_non_null(ext_str(r, "dedupReason"));
    wh_record_free(r);

    wh_stage_dedup.close(drop);
    wh_stage_dedup.close(topic);
    free(a);
    free(ca);
}

static void test_bad_config(void **state)
{
    char err[256] = "";
    struct wh_config *cfg = wh_config_new(wh_dedup_config_keys);

    (void)state;
    assert_null(stage_init("bad", "sometimes", err, sizeof(err)));
    assert_non_null(strstr(err, "dedup.copies"));
    assert_int_equal(wh_config_set(cfg, "dedup.state_dir", "/proc/no/such/dir",
                                   err, sizeof(err)),
                     WH_OK);
    assert_null(wh_stage_dedup.init(NULL, cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "/proc/no"));
    assert_int_equal(
        wh_config_set(cfg, "dedup.fsync", "never", err, sizeof(err)), WH_OK);
    assert_null(wh_stage_dedup.init(NULL, cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "dedup.fsync"));
    wh_config_free(cfg);
    assert_string_equal(wh_stage_dedup.name, "dedup");
    assert_int_equal(wh_stage_dedup.type, WH_STAGE_DEDUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage),
        cmocka_unit_test(test_copies_policy),
        cmocka_unit_test(test_bad_config),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
