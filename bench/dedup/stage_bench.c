/*
 * stage_bench.c - records per second through the consumer's per-record
 * work (parse the ninjs JSON, serialize it again) with and without the
 * dedup stage, in the same run: a stand-in for consumer throughput with
 * dedup on and off until the consumer daemon runs the stage.
 *
 *   stage_bench GROUND_TRUTH_JSON STATE_DIR
 *   stage_bench --records FILE STATE_DIR     (one ninjs record a line)
 *
 * The records are the labelled set of corpus.h (originals and copies, so
 * the stage takes every kind of decision), as ninjs JSON text, or the
 * lines of FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "near.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses, optionally runs the stage, serializes; returns records/s. */
static double pass(char **json, size_t n, void *ctx, size_t *dropped)
{
    double t0 = now();
    size_t i;

    *dropped = 0;
    for (i = 0; i < n; i++) {
        char err[256];
        struct wh_record *rec =
            wh_record_parse(json[i], strlen(json[i]), err, sizeof(err));
        struct wh_msg_meta meta;
        char *out;
        int rc = WH_OK;

        WH_ASSERT(rec != NULL);
        if (ctx != NULL) {
            memset(&meta, 0, sizeof(meta));
            meta.topic = "articles";
            meta.offset = (int64_t)i;
            rc = wh_stage_dedup.process(ctx, rec, &meta, err, sizeof(err));
            WH_ASSERT(rc == WH_OK || rc == WH_DROP);
        }
        if (rc == WH_DROP) {
            (*dropped)++;
        } else {
            out = wh_record_dump(rec);
            free(out);
        }
        wh_record_free(rec);
    }
    return (double)n / (now() - t0);
}

static void *stage_open(const char *dir, struct wh_config **cfg)
{
    char err[512];
    void *ctx;

    *cfg = wh_config_new(wh_dedup_config_keys);
    if (wh_config_set(*cfg, "dedup.state_dir", dir, err, sizeof(err)) !=
        WH_OK) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    ctx = wh_stage_dedup.init(NULL, *cfg, err, sizeof(err));
    if (ctx == NULL) {
        fprintf(stderr, "%s\n", err);
    }
    return ctx;
}

/* --records FILE: the records of FILE, dedup off then on. */
static int from_file(const char *path, const char *dir)
{
    FILE *fp = fopen(path, "r");
    struct wh_config *cfg = NULL;
    char **json = NULL;
    char *line = NULL;
    size_t cap = 0;
    size_t n = 0;
    size_t i;
    size_t dropped;
    ssize_t len;
    double off;
    double on;
    void *ctx;

    if (fp == NULL) {
        perror(path);
        return 1;
    }
    while ((len = getline(&line, &cap, fp)) > 0) {
        json = wh_xrealloc(json, (n + 1) * sizeof(*json));
        json[n++] = wh_xstrndup(line, (size_t)len);
    }
    free(line);
    fclose(fp);
    off = pass(json, n, NULL, &dropped);
    ctx = stage_open(dir, &cfg);
    if (ctx == NULL) {
        return 1;
    }
    on = pass(json, n, ctx, &dropped);
    wh_stage_dedup.close(ctx);
    wh_config_free(cfg);
    printf("| %s (%zu records) | records/s |\n|---|---:|\n"
           "| parse + serialize (dedup off) | %.0f |\n"
           "| parse + dedup stage + serialize (dedup on) | %.0f |\n",
           path, n, off, on);
    for (i = 0; i < n; i++) {
        free(json[i]);
    }
    free(json);
    return 0;
}

int main(int argc, char **argv)
{
    struct corpus c;
    struct wh_config *cfg;
    char **json;
    char err[512];
    void *ctx;
    size_t i;
    size_t dropped;
    double off;
    double on;
    double again;

    if (argc == 4 && strcmp(argv[1], "--records") == 0) {
        return from_file(argv[2], argv[3]);
    }
    if (argc != 3) {
        fprintf(stderr,
                "usage: %s GROUND_TRUTH_JSON STATE_DIR\n"
                "       %s --records FILE STATE_DIR\n",
                argv[0], argv[0]);
        return 2;
    }
    if (corpus_load(&c, argv[1], 50, 0) != 0) {
        return 1;
    }
    json = wh_xcalloc(c.ndocs, sizeof(*json));
    for (i = 0; i < c.ndocs; i++) {
        struct wh_record *rec = wh_record_new();

        rec->uri = wh_xasprintf("https://news.example/%s", c.docs[i].id);
        rec->headline = wh_xstrdup(c.docs[i].id);
        rec->body_text = wh_xstrdup(c.docs[i].text);
        rec->fetched_at = wh_xstrdup("2026-11-27T12:00:00Z");
        rec->source = wh_xstrdup(c.docs[i].source);
        rec->version = 1;
        json[i] = wh_record_dump(rec);
        wh_record_free(rec);
    }
    cfg = wh_config_new(wh_dedup_config_keys);
    if (wh_config_set(cfg, "dedup.state_dir", argv[2], err, sizeof(err)) !=
        WH_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    off = pass(json, c.ndocs, NULL, &dropped);
    ctx = wh_stage_dedup.init(NULL, cfg, err, sizeof(err));
    if (ctx == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    on = pass(json, c.ndocs, ctx, &dropped);
    /* the same messages again: every one a replay */
    again = pass(json, c.ndocs, ctx, &dropped);
    WH_ASSERT(wh_stage_dedup.flush(ctx, err, sizeof(err)) == WH_OK);
    wh_stage_dedup.close(ctx);
    printf("| per-record work (%zu records, %zu with a body of >= 50 words "
           "and their copies) | records/s |\n|---|---:|\n",
           c.ndocs, c.norig);
    printf("| parse + serialize (dedup off) | %.0f |\n", off);
    printf("| parse + dedup stage + serialize (dedup on) | %.0f |\n", on);
    printf("| the same, replaying the same messages | %.0f |\n", again);
    wh_config_free(cfg);
    for (i = 0; i < c.ndocs; i++) {
        free(json[i]);
    }
    free(json);
    corpus_free(&c);
    return 0;
}
