/*
 * test_dedup_store.c - the shared decision store of
 * consumers/dedup/store.c: decisions, replays, restarts, a torn log tail,
 * and processes deciding at the same moment on copies of the same stories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>

#include "dedup_fixture.h"
#include "store.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/wh.h"

#define NSTORIES 40

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    return dedup_fixture_dir_new(tmpdir, sizeof(tmpdir), "wh-dedup-test");
}

static int teardown(void **state)
{
    (void)state;
    return dedup_fixture_dir_remove(tmpdir);
}

/* A deterministic story of 300 made-up words; seed picks the story. */
static char *story(unsigned seed)
{
    return dedup_fixture_story(seed, 300, 60, 2000, 0);
}

/* A syndicated copy: dateline and sign-off added. */
static char *copy_of(const char *text, unsigned variant)
{
    return wh_xasprintf("CITY%u, Nov %u (Agency) - %s\n\nReporting by "
                        "Someone Number %u",
                        variant, variant + 1, text, variant);
}

static struct wh_dedup_store *open_store(const char *dir)
{
    struct wh_dedup_store_params p;
    char err[256] = "";
    struct wh_dedup_store *st;

    wh_dedup_store_params_default(&p);
    p.dir = dir;
    st = wh_dedup_store_open(&p, err, sizeof(err));
    if (st == NULL) {
        fail_msg("open %s: %s", dir, err);
    }
    return st;
}

struct doc {
    const char *uri;
    const char *text;
    uint64_t self;
};

static int decide(struct wh_dedup_store *st, const struct doc *d,
                  struct wh_dedup_result *res)
{
    struct wh_simhash_params p;
    struct wh_simhash_sig sig;
    struct wh_dedup_input in;
    char err[256] = "";
    char *bh = wh_body_hash(d->text);
    int rc;

    wh_simhash_params_default(&p);
    assert_int_equal(wh_simhash_compute(&p, d->text, strlen(d->text), &sig),
                     WH_OK);
    memset(&in, 0, sizeof(in));
    in.uri = d->uri;
    in.body_hash = strtoull(bh + 5, NULL, 16);
    in.self_hash = d->self;
    in.sig = &sig;
    in.near = sig.nwords >= 20;
    in.version = 1;
    in.version_created = "2026-11-27T12:00:00Z";
    free(bh);
    rc = wh_dedup_store_decide(st, &in, res, err, sizeof(err));
    return rc;
}

static char *dirpath(const char *name)
{
    return wh_xasprintf("%s/%s", tmpdir, name);
}

static void test_decisions(void **state)
{
    char *dir = dirpath("decisions");
    char *a = story(1);
    char *other = story(2);
    char *ca = copy_of(a, 1);
    char *a2 = wh_xasprintf("%s\n\nUpdated with a new closing paragraph "
                            "about something else entirely.",
                            a);
    struct wh_dedup_store *st = open_store(dir);
    struct wh_dedup_result r;
    struct wh_dedup_result again;
    struct doc d1 = {"https://one.example/a", a, 11};
    struct doc d2 = {"https://two.example/copy", ca, 12};
    struct doc d3 = {"https://three.example/b", other, 13};
    struct doc d4 = {"https://one.example/a", a2, 14};
    struct doc d5 = {"https://one.example/a", a, 15};  /* re-sent v1 */
    struct doc d6 = {"https://one.example/a", a2, 16}; /* re-sent v2 */

    (void)state;
    assert_int_equal(decide(st, &d1, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_NEW);
    assert_false(r.replay);
    assert_string_equal(r.cluster_uri, d1.uri);
    assert_int_equal(r.version, 1);
    wh_dedup_result_clear(&r);

    assert_int_equal(decide(st, &d2, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_COPY);
    assert_string_equal(r.cluster_uri, d1.uri);
    assert_string_equal(r.dup_of_uri, d1.uri);
    assert_true(r.similarity >= 0.5);
    wh_dedup_result_clear(&r);

    assert_int_equal(decide(st, &d3, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_NEW); /* same words, not joined */
    assert_string_equal(r.cluster_uri, d3.uri);
    wh_dedup_result_clear(&r);

    assert_int_equal(decide(st, &d4, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_VERSION);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.prev_version, 1);
    assert_string_equal(r.cluster_uri, d1.uri);
    assert_string_equal(r.version_created, "2026-11-27T12:00:00Z");
    wh_dedup_result_clear(&r);

    assert_int_equal(decide(st, &d5, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_EXACT);
    assert_int_equal(r.version, 1);
    wh_dedup_result_clear(&r);
    assert_int_equal(decide(st, &d6, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_EXACT);
    assert_int_equal(r.version, 2);
    wh_dedup_result_clear(&r);

    /* replays: each message gets its first answer again */
    assert_int_equal(decide(st, &d2, &again), WH_OK);
    assert_true(again.replay);
    assert_int_equal(again.decision, WH_DEDUP_COPY);
    assert_string_equal(again.cluster_uri, d1.uri);
    assert_string_equal(again.dup_of_uri, d1.uri);
    wh_dedup_result_clear(&again);
    assert_int_equal(decide(st, &d1, &again), WH_OK);
    assert_true(again.replay);
    assert_int_equal(again.decision, WH_DEDUP_NEW);
    assert_int_equal(again.version, 1);
    wh_dedup_result_clear(&again);
    assert_int_equal(decide(st, &d4, &again), WH_OK);
    assert_true(again.replay);
    assert_int_equal(again.decision, WH_DEDUP_VERSION);
    assert_int_equal(again.version, 2);
    wh_dedup_result_clear(&again);

    assert_int_equal(wh_dedup_store_count(st), 4); /* repeats not logged */
    wh_dedup_store_close(st);

    /* restart: the state is back, replays still recognized */
    st = open_store(dir);
    assert_int_equal(wh_dedup_store_count(st), 4);
    assert_int_equal(decide(st, &d4, &again), WH_OK);
    assert_true(again.replay);
    assert_int_equal(again.version, 2);
    wh_dedup_result_clear(&again);
    {
        char *cb = copy_of(a, 2);
        struct doc d7 = {"https://four.example/copy", cb, 17};

        assert_int_equal(decide(st, &d7, &r), WH_OK);
        assert_int_equal(r.decision, WH_DEDUP_COPY);
        assert_string_equal(r.cluster_uri, d1.uri);
        wh_dedup_result_clear(&r);
        free(cb);
    }
    wh_dedup_store_close(st);
    free(dir);
    free(a);
    free(a2);
    free(ca);
    free(other);
}

static void test_bad_input(void **state)
{
    struct wh_dedup_store_params p;
    char err[256] = "";
    char *dir = dirpath("bad");
    struct wh_dedup_store *st;
    struct wh_dedup_result r;
    struct doc d = {"", "some text", 1};
    char *log;
    FILE *fp;

    (void)state;
    wh_dedup_store_params_default(&p);
    p.dir = "/proc/no/such/dir";
    assert_null(wh_dedup_store_open(&p, err, sizeof(err)));
    assert_non_null(strstr(err, "/proc/no"));
    p.dir = NULL;
    assert_null(wh_dedup_store_open(&p, err, sizeof(err)));

    st = open_store(dir);
    assert_int_equal(decide(st, &d, &r), WH_EINVAL);
    wh_dedup_store_close(st);

    /* another MinHash size: refused with a clear message */
    wh_dedup_store_params_default(&p);
    p.dir = dir;
    p.sh.minhash_k = 32;
    assert_null(wh_dedup_store_open(&p, err, sizeof(err)));
    assert_non_null(strstr(err, "MinHash"));

    /* not a log at all */
    log = wh_xasprintf("%s/dedup.log", dir);
    fp = fopen(log, "w");
    assert_non_null(fp);
    fputs("hello, this is not a dedup log\n", fp);
    fclose(fp);
    p.sh.minhash_k = 64;
    assert_null(wh_dedup_store_open(&p, err, sizeof(err)));
    assert_non_null(strstr(err, "not a wirehose dedup log"));
    free(log);
    free(dir);
}

/* A writer killed in the middle of an append leaves half a frame: the next
 * process drops it and goes on; the records before it stay. */
static void test_torn_tail(void **state)
{
    char *dir = dirpath("torn");
    char *log = wh_xasprintf("%s/dedup.log", dir);
    char *a = story(5);
    char *b = story(6);
    struct doc d1 = {"https://x.example/1", a, 1};
    struct doc d2 = {"https://x.example/2", b, 2};
    struct wh_dedup_store *st = open_store(dir);
    struct wh_dedup_result r;
    FILE *fp;
    long size;
    char *buf;

    (void)state;
    assert_int_equal(decide(st, &d1, &r), WH_OK);
    wh_dedup_result_clear(&r);
    assert_int_equal(decide(st, &d2, &r), WH_OK);
    wh_dedup_result_clear(&r);
    wh_dedup_store_close(st);
    /* cut the last record in half */
    fp = fopen(log, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fclose(fp);
    assert_int_equal(truncate(log, size - 100), 0);
    st = open_store(dir);
    assert_int_equal(wh_dedup_store_count(st), 1);
    assert_int_equal(decide(st, &d1, &r), WH_OK);
    assert_true(r.replay);
    wh_dedup_result_clear(&r);
    assert_int_equal(decide(st, &d2, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_NEW);
    assert_false(r.replay);
    wh_dedup_result_clear(&r);
    wh_dedup_store_close(st);
    /* damage in the middle is an error, not silently skipped */
    fp = fopen(log, "r+b");
    assert_non_null(fp);
    buf = wh_xcalloc(1, 8);
    fseek(fp, 32, SEEK_SET); /* the first frame, after the header */
    fwrite("garbage!", 1, 8, fp);
    fclose(fp);
    {
        struct wh_dedup_store_params p;
        char err[256] = "";

        wh_dedup_store_params_default(&p);
        p.dir = dir;
        assert_null(wh_dedup_store_open(&p, err, sizeof(err)));
        assert_non_null(strstr(err, "damaged"));
    }
    free(buf);
    free(log);
    free(dir);
    free(a);
    free(b);
}

/* The log is little-endian whatever the host: file header, frame header
 * and record fields read the same on every machine. */
static void test_byte_order(void **state)
{
    char *dir = dirpath("order");
    char *log = wh_xasprintf("%s/dedup.log", dir);
    char *a = story(7);
    struct doc d = {"https://x.example/order", a, 7};
    struct wh_dedup_store *st = open_store(dir);
    struct wh_dedup_store_params p;
    struct wh_dedup_result r;
    unsigned char buf[40 + 80];
    FILE *fp;
    unsigned long len;

    (void)state;
    wh_dedup_store_params_default(&p);
    assert_int_equal(decide(st, &d, &r), WH_OK);
    wh_dedup_result_clear(&r);
    wh_dedup_store_close(st);
    fp = fopen(log, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(buf, 1, sizeof(buf), fp), sizeof(buf));
    fclose(fp);
    assert_memory_equal(buf, "WHDEDUP", 8);
    assert_int_equal(buf[8], 2); /* format 2 */
    assert_int_equal(buf[9] | buf[10] | buf[11], 0);
    assert_int_equal(buf[12] | buf[13] << 8, p.sh.minhash_k);
    assert_int_equal(buf[16] | buf[17] | buf[18] | buf[19], 0); /* id 0 */
    assert_memory_equal(buf + 32, "WHDR", 4); /* frame magic */
    len = buf[36] | (unsigned long)buf[37] << 8 | (unsigned long)buf[38] << 16 |
          (unsigned long)buf[39] << 24;
    /* header, MinHash values, uri (no timestamp: not a new version; the
     * cluster is the record itself) */
    assert_int_equal(len, 80 + 4 * p.sh.minhash_k + strlen(d.uri));
    /* version 1 at offset 44 of the record, the uri length at 48, the
     * record format at 57 */
    assert_memory_equal(buf + 40 + 44, "\x01\x00\x00\x00", 4);
    assert_int_equal(buf[40 + 48] | buf[40 + 49] << 8, strlen(d.uri));
    assert_int_equal(buf[40 + 57], 2);
    free(log);
    free(dir);
    free(a);
}

/* Two processes get the copies of NSTORIES stories at the same moment
 * (each story's copies split between them) and must put each story in one
 * cluster; a third process reading the log afterwards agrees. */
static void test_concurrent(void **state)
{
    char *dir = dirpath("concurrent");
    char *texts[NSTORIES][4];
    int go[2];
    pid_t pids[2];
    int i;
    int k;

    (void)state;
    for (i = 0; i < NSTORIES; i++) {
        char *t = story(100 + (unsigned)i);

        for (k = 0; k < 4; k++) {
            texts[i][k] = copy_of(t, (unsigned)k);
        }
        free(t);
    }
    /* create the log first so both children open an existing one */
    wh_dedup_store_close(open_store(dir));
    assert_int_equal(pipe(go), 0);
    for (k = 0; k < 2; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            struct wh_dedup_store *st = open_store(dir);
            char *out = wh_xasprintf("%s/child%d.txt", dir, k);
            FILE *fp = fopen(out, "w");
            char c;

            close(go[1]);
            if (read(go[0], &c, 1) != 0 || fp == NULL) {
                _exit(3);
            }
            for (i = 0; i < NSTORIES; i++) {
                int v;

                /* child 0 takes copies 0 and 2, child 1 copies 1 and 3,
                 * in the same story order: they race on every story */
                int s = i;

                for (v = k; v < 4; v += 2) {
                    char uri[64];
                    struct doc d;
                    struct wh_dedup_result r;

                    snprintf(uri, sizeof(uri), "https://s%d.example/c%d", s, v);
                    d.uri = uri;
                    d.text = texts[s][v];
                    d.self = (uint64_t)s * 10 + (uint64_t)v + 1;
                    if (decide(st, &d, &r) != WH_OK) {
                        _exit(4);
                    }
                    fprintf(fp, "%s %s\n", uri, r.cluster_uri);
                    wh_dedup_result_clear(&r);
                }
            }
            fclose(fp);
            free(out);
            wh_dedup_store_close(st);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]); /* both children start now */
    for (k = 0; k < 2; k++) {
        int status = 0;

        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    {
        /* every copy of story s names the same cluster, in both children's
         * answers and in a fresh process's replay of the log */
        char cluster[NSTORIES][64];
        struct wh_dedup_store *st = open_store(dir);

        memset(cluster, 0, sizeof(cluster));
        assert_int_equal(wh_dedup_store_count(st), NSTORIES * 4);
        for (k = 0; k < 2; k++) {
            char *out = wh_xasprintf("%s/child%d.txt", dir, k);
            FILE *fp = fopen(out, "r");
            char uri[64];
            char cl[64];
            char prefix[64];
            int s;
            int v;

            assert_non_null(fp);
            while (fscanf(fp, "%63s %63s", uri, cl) == 2) {
                assert_int_equal(sscanf(uri, "https://s%d.example/c%d", &s, &v),
                                 2);
                snprintf(prefix, sizeof(prefix), "https://s%d.example/", s);
                assert_int_equal(strncmp(cl, prefix, strlen(prefix)), 0);
                if (cluster[s][0] == '\0') {
                    snprintf(cluster[s], sizeof(cluster[s]), "%s", cl);
                }
                assert_string_equal(cluster[s], cl);
            }
            fclose(fp);
            free(out);
        }
        for (i = 0; i < NSTORIES; i++) {
            for (k = 0; k < 4; k++) {
                char uri[64];
                struct doc d;
                struct wh_dedup_result r;

                snprintf(uri, sizeof(uri), "https://s%d.example/c%d", i, k);
                d.uri = uri;
                d.text = texts[i][k];
                d.self = (uint64_t)i * 10 + (uint64_t)k + 1;
                assert_int_equal(decide(st, &d, &r), WH_OK);
                assert_true(r.replay);
                assert_string_equal(r.cluster_uri, cluster[i]);
                wh_dedup_result_clear(&r);
                free(texts[i][k]);
            }
        }
        wh_dedup_store_close(st);
    }
    free(dir);
}

/* The clock of the window tests: time passes when the test says so. */
static time_t test_now = 1000000000;

static time_t test_clock(void)
{
    return test_now;
}

static struct wh_dedup_store *open_windowed(const char *dir, long long w)
{
    struct wh_dedup_store_params p;
    char err[256] = "";
    struct wh_dedup_store *st;

    wh_dedup_store_params_default(&p);
    p.dir = dir;
    p.window_s = w;
    p.clock = test_clock;
    st = wh_dedup_store_open(&p, err, sizeof(err));
    if (st == NULL) {
        fail_msg("open %s: %s", dir, err);
    }
    return st;
}

/* Segment files in dir. */
static int count_segments(const char *dir)
{
    char *cmd = wh_xasprintf("ls %s | grep -c '^dedup\\.log'", dir);
    FILE *fp = popen(cmd, "r");
    int n = -1;

    assert_non_null(fp);
    assert_int_equal(fscanf(fp, "%d", &n), 1);
    pclose(fp);
    free(cmd);
    return n;
}

/* The dedup window: a copy inside it joins the cluster, one after every
 * member left it starts a new cluster; an exact repeat of a record that
 * left is decided again (a new decision); a process opening the store
 * later agrees. */
static void test_window(void **state)
{
    const long long w = 100;
    char *dir = dirpath("window");
    char *a = story(11);
    char *ca = copy_of(a, 1);
    char *cb = copy_of(a, 2);
    struct doc da = {"https://w.example/a", a, 1};
    struct doc d1 = {"https://w.example/copy1", ca, 2};
    struct doc d2 = {"https://w.example/copy2", cb, 3};
    struct doc again = {"https://w.example/a", a, 4};
    struct wh_dedup_store *st;
    struct wh_dedup_result r;

    (void)state;
    test_now = 1000000000;
    st = open_windowed(dir, w);
    assert_int_equal(decide(st, &da, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_NEW);
    wh_dedup_result_clear(&r);
    /* inside the window: joins */
    test_now += w - 1;
    assert_int_equal(decide(st, &d1, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_COPY);
    assert_string_equal(r.cluster_uri, da.uri);
    assert_string_equal(r.dup_of_uri, da.uri);
    wh_dedup_result_clear(&r);
    /* the original left the window, the first copy not yet: the second
     * copy joins through it, still in the original's cluster */
    test_now += 2;
    assert_int_equal(decide(st, &d2, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_COPY);
    assert_string_equal(r.cluster_uri, da.uri);
    assert_string_equal(r.dup_of_uri, d1.uri);
    wh_dedup_result_clear(&r);
    /* a replay of it, once nothing it names is in the window, is still
     * answered from its own record */
    test_now += w;
    assert_int_equal(decide(st, &d2, &r), WH_OK);
    assert_true(r.replay);
    assert_string_equal(r.cluster_uri, da.uri);
    assert_string_equal(r.dup_of_uri, d1.uri);
    wh_dedup_result_clear(&r);
    /* every member left: a copy arriving now is a new story, and the
     * original's uri again is a new decision, not a repeat */
    test_now += w + 1;
    d1.uri = "https://w.example/copy3";
    d1.self = 5;
    assert_int_equal(decide(st, &d1, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_NEW);
    assert_string_equal(r.cluster_uri, d1.uri);
    wh_dedup_result_clear(&r);
    assert_int_equal(decide(st, &again, &r), WH_OK);
    assert_false(r.replay);
    assert_int_equal(r.decision, WH_DEDUP_COPY); /* of copy3, just now */
    assert_string_equal(r.cluster_uri, d1.uri);
    wh_dedup_result_clear(&r);
    assert_int_equal(wh_dedup_store_count(st), 2);
    wh_dedup_store_close(st);
    /* a process starting now holds only the window */
    st = open_windowed(dir, w);
    assert_int_equal(wh_dedup_store_count(st), 2);
    assert_int_equal(decide(st, &again, &r), WH_OK);
    assert_true(r.replay);
    assert_string_equal(r.cluster_uri, d1.uri);
    wh_dedup_result_clear(&r);
    wh_dedup_store_close(st);
    free(dir);
    free(a);
    free(ca);
    free(cb);
}

/* Two processes share a windowed store while time passes: segments are
 * rolled and deleted by whichever decides, the other follows, both give
 * the same answers, and the directory and memory stay bounded. */
static void test_window_shared(void **state)
{
    const long long w = 50;
    char *dir = dirpath("window-shared");
    struct wh_dedup_store *st[2];
    struct wh_dedup_store *later;
    struct wh_dedup_result r;
    char uri[64];
    char *texts[8];
    size_t bytes_mid = 0;
    int i;

    (void)state;
    test_now = 1000000000;
    for (i = 0; i < 8; i++) {
        texts[i] = story(100 + (unsigned)i);
    }
    st[0] = open_windowed(dir, w);
    st[1] = open_windowed(dir, w);
    /* 400 s, a story a second (8 stories over and over: each comes back
     * every 8 s, within the window, so it is always a copy but the first
     * times), the two processes in turn */
    for (i = 0; i < 400; i++) {
        struct doc d = {uri, texts[i % 8], (uint64_t)i + 1};
        int who = (i / 3) % 2;

        snprintf(uri, sizeof(uri), "https://shared.example/%d", i);
        assert_int_equal(decide(st[who], &d, &r), WH_OK);
        if (i < 8) {
            assert_int_equal(r.decision, WH_DEDUP_NEW);
        } else {
            if (r.decision != WH_DEDUP_COPY) {
                fail_msg("record %d: %s", i,
                         wh_dedup_decision_name(r.decision));
            }
        }
        wh_dedup_result_clear(&r);
        /* the other one replays it and agrees */
        assert_int_equal(decide(st[!who], &d, &r), WH_OK);
        assert_true(r.replay);
        wh_dedup_result_clear(&r);
        if (i == 200) {
            bytes_mid = wh_dedup_store_bytes(st[0]);
        }
        test_now++;
    }
    /* at most the window and a part of it in files: 50 s of 5 s parts */
    assert_true(count_segments(dir) <= 12);
    assert_true(wh_dedup_store_count(st[0]) <= (size_t)w + 1);
    assert_true(wh_dedup_store_count(st[1]) <= (size_t)w + 1);
    assert_true(wh_dedup_store_bytes(st[0]) <= bytes_mid + bytes_mid / 4);
    /* a third process starting now (a second after the last decision:
     * one more record left) agrees on what is in the window */
    later = open_windowed(dir, w);
    assert_int_equal(wh_dedup_store_count(later) + 1,
                     wh_dedup_store_count(st[0]));
    for (i = 400 - 40; i < 400; i++) {
        struct doc d = {uri, texts[i % 8], (uint64_t)i + 1};

        snprintf(uri, sizeof(uri), "https://shared.example/%d", i);
        assert_int_equal(decide(later, &d, &r), WH_OK);
        assert_true(r.replay);
        assert_int_equal(r.decision, WH_DEDUP_COPY);
        wh_dedup_result_clear(&r);
    }
    wh_dedup_store_close(later);
    wh_dedup_store_close(st[0]);
    wh_dedup_store_close(st[1]);
    for (i = 0; i < 8; i++) {
        free(texts[i]);
    }
    free(dir);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* A log written by an earlier version (format 1: one dedup.log, records
 * naming their cluster by id, no decision time) is read as the first
 * segment: its decisions answer replays and collect copies, it is sealed
 * at the first decision (a new segment follows), and its records leave
 * the window one window after that decision. */
static void test_upgrade(void **state)
{
    const long long w = 100;
    char *dir = dirpath("upgrade");
    char *log = wh_xasprintf("%s/dedup.log", dir);
    char *seg = wh_xasprintf("%s/dedup.log.0000000001", dir);
    char *a = story(21);
    char *ca = copy_of(a, 3);
    struct doc old = {"https://old.example/a", a, 77};
    struct doc cp = {"https://new.example/a", ca, 78};
    struct wh_simhash_params sp;
    struct wh_simhash_sig sig;
    struct wh_dedup_store *st;
    struct wh_dedup_result r;
    unsigned char rec[64 + 4 * WH_SIMHASH_MINHASH_MAX + 64];
    unsigned char frame[8];
    unsigned char hdr[16];
    char *bh = wh_body_hash(a);
    size_t len;
    unsigned i;
    FILE *fp;

    (void)state;
    assert_int_equal(mkdir(dir, 0750), 0);
    wh_simhash_params_default(&sp);
    assert_int_equal(wh_simhash_compute(&sp, a, strlen(a), &sig), WH_OK);
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, "WHDEDUP", 8);
    put32(hdr + 8, 1);
    put32(hdr + 12, sp.minhash_k);
    memset(rec, 0, sizeof(rec));
    put64(rec + 0, wh_hash64(old.uri, strlen(old.uri)));
    put64(rec + 8, strtoull(bh + 5, NULL, 16));
    put64(rec + 16, old.self);
    put64(rec + 24, sig.fp);
    put32(rec + 32, 0);          /* its own cluster */
    put32(rec + 36, UINT32_MAX); /* no copy of */
    put32(rec + 40, UINT32_MAX); /* no previous version */
    put32(rec + 44, 1);
    rec[48] = (unsigned char)strlen(old.uri);
    rec[50] = WH_DEDUP_NEW;
    rec[51] = 1; /* near */
    rec[53] = (unsigned char)sp.minhash_k;
    for (i = 0; i < sp.minhash_k; i++) {
        put32(rec + 64 + (size_t)4 * i, sig.minhash[i]);
    }
    len = 64 + 4 * sp.minhash_k;
    memcpy(rec + len, old.uri, strlen(old.uri));
    len += strlen(old.uri);
    put32(frame, 0x52444857u);
    put32(frame + 4, (uint32_t)len);
    fp = fopen(log, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
    assert_int_equal(fwrite(frame, 1, 8, fp), 8);
    assert_int_equal(fwrite(rec, 1, len, fp), len);
    put32(frame, XXH32(rec, len, 0));
    assert_int_equal(fwrite(frame, 1, 4, fp), 4);
    fclose(fp);

    test_now = 1000000000;
    st = open_windowed(dir, w);
    assert_int_equal(wh_dedup_store_count(st), 1);
    assert_int_equal(decide(st, &old, &r), WH_OK); /* the same message */
    assert_true(r.replay);
    assert_int_equal(r.decision, WH_DEDUP_NEW);
    assert_string_equal(r.cluster_uri, old.uri);
    wh_dedup_result_clear(&r);
    assert_int_equal(decide(st, &cp, &r), WH_OK);
    assert_int_equal(r.decision, WH_DEDUP_COPY);
    assert_string_equal(r.cluster_uri, old.uri);
    assert_int_equal(r.id, 1);
    wh_dedup_result_clear(&r);
    assert_int_equal(access(seg, F_OK), 0); /* the old log was sealed */
    /* one window after that decision the old log leaves (deleted at the
     * next segment start) */
    test_now += w + 1;
    cp.uri = "https://new.example/b";
    cp.self = 79;
    assert_int_equal(decide(st, &cp, &r), WH_OK);
    wh_dedup_result_clear(&r);
    test_now += w / 5;
    old.self = 80; /* the old uri again, another message */
    assert_int_equal(decide(st, &old, &r), WH_OK);
    assert_false(r.replay);
    assert_int_equal(r.decision, WH_DEDUP_COPY); /* of new.example/b */
    wh_dedup_result_clear(&r);
    assert_int_equal(access(log, F_OK), -1);
    wh_dedup_store_close(st);
    free(bh);
    free(a);
    free(ca);
    free(log);
    free(seg);
    free(dir);
}

/* The snapshot: a store closed with more than a thousand decisions
 * leaves dedup.snap; the next one starts from it and reads only the log
 * after it (shown by damage in the log before that point, which reading
 * the whole log refuses), answers as the log does, and a damaged snapshot
 * is ignored. */
static void test_snapshot(void **state)
{
    enum { N = 1200 };
    char *dir = dirpath("snap");
    char *log = wh_xasprintf("%s/dedup.log", dir);
    char *snap = wh_xasprintf("%s/dedup.snap", dir);
    char uri[64];
    char *text;
    char *cp;
    struct wh_dedup_store *st;
    struct wh_dedup_store *later;
    struct wh_dedup_store_params p;
    struct wh_dedup_result r;
    char err[256];
    unsigned i;
    FILE *fp;

    (void)state;
    st = open_store(dir);
    for (i = 0; i < N; i++) {
        struct doc d = {uri, NULL, (uint64_t)i + 1};

        text = story(1000 + i);
        d.text = text;
        snprintf(uri, sizeof(uri), "https://snap.example/%u", i);
        assert_int_equal(decide(st, &d, &r), WH_OK);
        assert_int_equal(r.decision, WH_DEDUP_NEW);
        wh_dedup_result_clear(&r);
        free(text);
    }
    wh_dedup_store_close(st);
    assert_int_equal(access(snap, F_OK), 0);
    /* more decisions after the snapshot, by a store still open */
    st = open_store(dir);
    assert_int_equal(wh_dedup_store_count(st), N);
    for (i = N; i < N + 5; i++) {
        struct doc d = {uri, NULL, (uint64_t)i + 1};

        text = story(1000 + i);
        d.text = text;
        snprintf(uri, sizeof(uri), "https://snap.example/%u", i);
        assert_int_equal(decide(st, &d, &r), WH_OK);
        wh_dedup_result_clear(&r);
        free(text);
    }
    /* damage a record the snapshot covers: only the snapshot can open */
    fp = fopen(log, "r+b");
    assert_non_null(fp);
    fseek(fp, 32, SEEK_SET);
    fwrite("garbage!", 1, 8, fp);
    fclose(fp);
    later = open_store(dir);
    assert_int_equal(wh_dedup_store_count(later), N + 5);
    text = story(1000 + 7);
    cp = copy_of(text, 1);
    {
        struct doc d = {"https://other.example/7", cp, 99999};

        assert_int_equal(decide(later, &d, &r), WH_OK);
        assert_int_equal(r.decision, WH_DEDUP_COPY);
        assert_string_equal(r.cluster_uri, "https://snap.example/7");
        wh_dedup_result_clear(&r);
        /* the other store reads it from the log and agrees */
        assert_int_equal(decide(st, &d, &r), WH_OK);
        assert_true(r.replay);
        assert_string_equal(r.cluster_uri, "https://snap.example/7");
        wh_dedup_result_clear(&r);
    }
    {
        struct doc d = {"https://snap.example/1203", NULL, 1204};

        free(text);
        text = story(1000 + 1203);
        d.text = text;
        assert_int_equal(decide(later, &d, &r), WH_OK); /* after it */
        assert_true(r.replay);
        wh_dedup_result_clear(&r);
    }
    wh_dedup_store_close(later);
    wh_dedup_store_close(st);
    /* a damaged snapshot is ignored: the log is read (and refused here,
     * being damaged, which shows the snapshot was not used) */
    fp = fopen(snap, "r+b");
    assert_non_null(fp);
    fseek(fp, 200, SEEK_SET);
    fwrite("garbage!", 1, 8, fp);
    fclose(fp);
    wh_dedup_store_params_default(&p);
    p.dir = dir;
    assert_null(wh_dedup_store_open(&p, err, sizeof(err)));
    assert_non_null(strstr(err, "damaged"));
    free(text);
    free(cp);
    free(snap);
    free(log);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions),     cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_torn_tail),     cmocka_unit_test(test_byte_order),
        cmocka_unit_test(test_concurrent),    cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_shared), cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_snapshot),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
