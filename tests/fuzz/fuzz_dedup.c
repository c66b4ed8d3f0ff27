/*
 * fuzz_dedup.c - the dedup stage (consumers/dedup/) and its decision log
 * on a temporary state directory. The input is split at 0x1E bytes: the
 * first part is appended to the log after a first session (a torn or
 * corrupt tail, as a crash or a bad disk leaves it), each later part is a
 * record, "uri\nbody" (at most 16). Invariants: the stage answers WH_OK
 * or WH_DROP; reopening the directory reads the log back without
 * crashing (or refuses it with a message), and with an intact log the
 * same message gets the same answer again (a replay); the records it
 * writes dump and parse back to the same dump; the time is linear.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "near.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

#define MAX_RECORDS 16

static char dir[128];

static void empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            char *p = wh_xasprintf("%s/%s", dir, e->d_name);

            (void)unlink(p);
            free(p);
        }
    }
    closedir(d);
}

static void remove_dir(void)
{
    empty_dir();
    (void)rmdir(dir);
}

static void *open_stage(char *err, size_t errsize)
{
    struct wh_config *cfg = wh_config_new(wh_dedup_config_keys);
    void *ctx;

    if (wh_config_set(cfg, "dedup.state_dir", dir, err, errsize) != WH_OK ||
        wh_config_set(cfg, "dedup.min_words", "3", err, errsize) != WH_OK) {
        fuzz_fail("dedup config: %s", err);
    }
    ctx = wh_stage_dedup.init(NULL, cfg, err, errsize);
    wh_config_free(cfg);
    return ctx;
}

struct part {
    const uint8_t *p;
    size_t n;
};

static struct wh_record *make_record(const struct part *pt)
{
    const uint8_t *nl = memchr(pt->p, '\n', pt->n);
    size_t ulen = nl != NULL ? (size_t)(nl - pt->p) : pt->n;
    struct wh_record *rec = wh_record_new();

    rec->uri = fuzz_strndup(pt->p, ulen);
    if (rec->uri[0] == '\0') {
        /* the consumer refuses a record without a uri before dedup */
        free(rec->uri);
        rec->uri = wh_xstrdup("https://news.example.com/no-uri");
    }
    rec->body_text =
        nl != NULL ? fuzz_strndup(nl + 1, pt->n - ulen - 1) : wh_xstrdup("");
    rec->source = wh_xstrdup("fuzz");
    rec->fetched_at = wh_xstrdup("2024-01-02T03:04:05Z");
    rec->version = 1;
    wh_record_hash_body(rec);
    return rec;
}

/* Runs record i through ctx; returns the stage's answer and, in *what,
 * a copy of the "dedup" member it wrote (caller frees; NULL if none). */
static int decide(void *ctx, const struct part *pt, size_t i, char **what)
{
    struct wh_record *rec = make_record(pt);
    struct wh_msg_meta meta;
    char err[256] = "";
    const char *d;
    int rc;

    memset(&meta, 0, sizeof(meta));
    meta.topic = "articles";
    meta.offset = (int64_t)i;
    meta.payload = pt->p;
    meta.len = pt->n;
    rc = wh_stage_dedup.process(ctx, rec, &meta, err, sizeof(err));
    if (rc != WH_OK && rc != WH_DROP) {
        fuzz_fail("dedup: record %zu: answer %d: %s", i, rc, err);
    }
    d = json_string_value(json_object_get(rec->ext, "dedup"));
    *what = d != NULL ? wh_xstrdup(d) : NULL;
    if (rc == WH_OK && fuzz_utf8_valid((const char *)pt->p, pt->n)) {
        json_decref(fuzz_check_roundtrip(rec));
    }
    wh_record_free(rec);
    return rc;
}

static int run(const uint8_t *data, size_t size)
{
    struct part parts[MAX_RECORDS + 1];
    size_t nparts = 0;
    size_t i = 0;
    char err[512];
    char *first = NULL;
    char *again = NULL;
    int first_rc = 0;
    void *ctx;

    if (dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/wh-fuzz-dedup-XXXXXX",
                 tmp != NULL && strlen(tmp) < 64 ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            fuzz_fail("mkdtemp: cannot make a state directory");
        }
        atexit(remove_dir);
    }
    while (nparts < MAX_RECORDS + 1) {
        const uint8_t *sep = memchr(data + i, 0x1E, size - i);
        size_t end = sep != NULL ? (size_t)(sep - data) : size;

        parts[nparts].p = data + i;
        parts[nparts].n = end - i;
        nparts++;
        if (sep == NULL) {
            break;
        }
        i = end + 1;
    }
    empty_dir();
    ctx = open_stage(err, sizeof(err));
    if (ctx == NULL) {
        fuzz_fail("dedup: init on an empty directory: %s", err);
    }
    for (i = 1; i < nparts; i++) {
        char *what;
        int rc = decide(ctx, &parts[i], i, &what);

        if (i == 1) {
            first = what;
            first_rc = rc;
        } else {
            free(what);
        }
    }
    if (wh_stage_dedup.flush(ctx, err, sizeof(err)) != WH_OK) {
        fuzz_fail("dedup: flush: %s", err);
    }
    wh_stage_dedup.close(ctx);
    if (parts[0].n > 0) {
        char *log = wh_xasprintf("%s/dedup.log", dir);
        int fd = open(log, O_WRONLY | O_APPEND);

        if (fd < 0 ||
            write(fd, parts[0].p, parts[0].n) != (ssize_t)parts[0].n) {
            fuzz_fail("cannot append to %s", log);
        }
        close(fd);
        free(log);
    }
    ctx = open_stage(err, sizeof(err));
    if (ctx == NULL && parts[0].n == 0) {
        fuzz_fail("dedup: cannot reopen its own log: %s", err);
    }
    if (ctx != NULL && nparts > 1) {
        int rc = decide(ctx, &parts[1], 1, &again);

        if (parts[0].n == 0 &&
            (rc != first_rc || (first == NULL) != (again == NULL) ||
             (first != NULL && strcmp(first, again) != 0))) {
            fuzz_fail("dedup: a replay got %d/%s, first %d/%s", rc,
                      again != NULL ? again : "-", first_rc,
                      first != NULL ? first : "-");
        }
    }
    wh_stage_dedup.close(ctx);
    free(first);
    free(again);
    return 0;
}

const struct fuzz_target fuzz_target = {"dedup", run, 100, 2000};
