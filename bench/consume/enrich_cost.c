/*
 * enrich_cost.c - the cost of each enricher per record, for the consume
 * benchmark. Generates wire-like records (a dateline, people with titles,
 * organisations, places, a few topics; deterministic), then runs each
 * enricher alone and all of them in pipeline order, on fresh copies of
 * the records, and prints a table of CPU cost (this process's CPU time,
 * so other jobs on the machine do not blur it): records/s, microseconds
 * per record and
 * the ratio to the peer measured in the same run, wh_record_parse() +
 * wh_record_dump() of the same records (what the consumer pays per record
 * anyway).
 *
 * With -i FILE the records are read from FILE instead (one a line, ninjs
 * JSON, optionally after a key and a TAB, as bench/consume/run.sh
 * produces them; the first RECORDS of them, repeated when fewer), and
 * -l LABEL names that mix in the output. -w FILE writes the records as
 * every enricher leaves them (the "all" pass), one a line: two builds
 * that should not change the output are compared with it. -D DIR adds
 * a row for the dedup stage (its decision log in DIR, which must be new
 * or empty: every record is then decided once, as by a consumer on a
 * fresh topic; the uris of the first RECORDS must differ) and a last
 * row "all+dedup": dedup then every enricher, what the consumer's
 * stages cost a record.
 *
 * usage: enrich_cost [-n RECORDS] [-s BODY_BYTES] [-d DATA_DIR]
 *                    [-i FILE [-l LABEL]] [-w FILE] [-D DEDUP_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"
#include "near.h"
#include "stage.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/json.h"
#include "wh/record.h"
#include "wh/wh.h"

static const struct wh_config_key *const keys = wh_enrich_config_keys;

static const struct wh_stage *const stages[] = {
    &wh_enrich_language, &wh_enrich_counts,   &wh_enrich_dateline,
    &wh_enrich_entities, &wh_enrich_keywords, &wh_enrich_subjects,
};

#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

static const char *const given[] = {"Joe",    "Maria", "Ahmed", "Li",
                                    "Anna",   "Pedro", "Olga",  "James",
                                    "Fatima", "Kenji"};
static const char *const surnames[] = {"Carter",  "Novak", "Haddad", "Wong",
                                       "Schmidt", "Silva", "Petrov", "Okafor",
                                       "Tanaka",  "Dubois"};
static const char *const titles[] = {
    "President",       "Prime Minister", "Finance Minister",
    "Chief Executive", "Sen.",           "General"};
static const char *const places[] = {"Paris",  "Berlin",     "Nairobi", "Tokyo",
                                     "Brazil", "Ukraine",    "Canada",  "India",
                                     "Cairo",  "Mexico City"};
static const char *const orgs[] = {
    "the European Commission", "Acme Corp",
    "the World Bank",          "Globex Holdings",
    "the Ministry of Finance", "the United Nations"};
static const char *const datelines[] = {
    "WASHINGTON \xE2\x80\x94 ", "LONDON (Reuters) - ",
    "LISBON, Nov 25 (Agency) \xE2\x80\x93 ", "", "TOKYO (AP) -- "};
/* Templates: @N a title and a name, @O an organisation, @P a place. */
static const char *const sentences[] = {
    "@N said on Tuesday that the government would raise taxes to cut the "
    "budget deficit, after talks with @O in @P.",
    "Troops and militants clashed near the border of @P, where the war has "
    "killed thousands, @N told reporters after meeting @O.",
    "Shares of @O rose as investors bet that inflation and interest rates "
    "would fall, @N said in @P.",
    "The home team scored a late goal to win the cup final, and @N praised "
    "the players; fans from @P and @P filled the stadium.",
    "Researchers said the new vaccine cut hospital admissions, @N told @O, "
    "which funds trials in @P.",
};

static unsigned long long rng_state = 88172645463325252ull;

static size_t rnd(size_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (size_t)(rng_state % n);
}

#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

static void sentence(struct wh_buf *b)
{
    const char *s = PICK(sentences);

    for (; *s != '\0'; s++) {
        if (s[0] != '@' || s[1] == '\0') {
            wh_buf_append(b, s, 1);
            continue;
        }
        s++;
        if (*s == 'N') {
            wh_buf_printf(b, "%s %s %s", PICK(titles), PICK(given),
                          PICK(surnames));
        } else if (*s == 'O') {
            wh_buf_puts(b, PICK(orgs));
        } else {
            wh_buf_puts(b, PICK(places));
        }
    }
}

/* One record as ninjs JSON text (caller frees). */
static char *make_record(size_t i, size_t body_bytes)
{
    struct wh_buf body;
    struct wh_record *rec = wh_record_new();
    char *text;

    wh_buf_init(&body, 0);
    wh_buf_puts(&body, PICK(datelines));
    while (body.len < body_bytes) {
        sentence(&body);
        wh_buf_puts(&body, rnd(4) == 0 ? "\n\n" : " ");
    }
    rec->uri = wh_xasprintf("urn:bench:enrich:%zu", i);
    rec->headline = wh_xstrdup("Government to raise taxes as talks go on");
    rec->language = rnd(2) == 0 ? wh_xstrdup("en") : NULL;
    rec->body_text = wh_buf_steal(&body);
    text = wh_record_dump(rec);
    wh_record_free(rec);
    return text;
}

/* CPU time, not wall time: the cost of a stage, steady on a machine
 * other jobs share. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct wh_record *parse(const char *text)
{
    char errstr[256];
    struct wh_record *rec =
        wh_record_parse(text, strlen(text), errstr, sizeof(errstr));

    if (rec == NULL) {
        fprintf(stderr, "enrich_cost: generated record: %s\n", errstr);
        exit(1);
    }
    return rec;
}

/* The peer: parse and dump each record. */
static double time_peer(char **docs, size_t n)
{
    double t0 = now_s();
    size_t i;

    for (i = 0; i < n; i++) {
        struct wh_record *rec = parse(docs[i]);
        char *out = wh_record_dump(rec);

        free(out);
        wh_record_free(rec);
    }
    return now_s() - t0;
}

static void run_stage(void **ctx, size_t k, struct wh_record *rec)
{
    char errstr[256];

    if (stages[k]->process(ctx[k], rec, NULL, errstr, sizeof(errstr)) !=
        WH_OK) {
        fprintf(stderr, "enrich_cost: %s: %s\n", stages[k]->name, errstr);
        exit(1);
    }
}

/* Time in the process() calls of stages [from, to) over fresh copies;
 * the stages before from run first, untimed, as in the pipeline (the
 * later enrichers read the language). Each record as left is written
 * to out when not NULL. */
static double time_stages(char **docs, size_t n, void **ctx, size_t from,
                          size_t to, FILE *out)
{
    double spent = 0;
    size_t i;
    size_t k;

    WH_ASSERT(from <= to && to <= NSTAGES);
    for (i = 0; i < n; i++) {
        struct wh_record *rec = parse(docs[i]);
        double t0;

        for (k = 0; k < from; k++) {
            run_stage(ctx, k, rec);
        }
        t0 = now_s();
        for (k = from; k < to; k++) {
            run_stage(ctx, k, rec);
        }
        spent += now_s() - t0;
        if (out != NULL) {
            char *text = wh_record_dump(rec);

            fprintf(out, "%s\n", text);
            free(text);
        }
        wh_record_free(rec);
    }
    return spent;
}

/* The dedup stage over fresh copies of the records, its decision log in
 * a new directory dir; with enrich, every enricher after it on each
 * record it passes, as in the consumer. The flush at the end (the
 * log's fdatasync) is counted. Returns the CPU seconds. */
static double time_dedup(char **docs, size_t n, const char *dir, void **ctx,
                         int enrich)
{
    struct wh_config *cfg = wh_config_new(wh_dedup_config_keys);
    char errstr[512];
    double spent = 0;
    double t0;
    void *dedup;
    size_t i;
    size_t k;

    if (mkdir(dir, 0700) != 0 ||
        wh_config_set(cfg, "dedup.state_dir", dir, errstr, sizeof(errstr)) !=
            WH_OK) {
        fprintf(stderr, "enrich_cost: %s: cannot use it for dedup\n", dir);
        exit(2);
    }
    dedup = wh_stage_dedup.init(NULL, cfg, errstr, sizeof(errstr));
    if (dedup == NULL) {
        fprintf(stderr, "enrich_cost: dedup: %s\n", errstr);
        exit(1);
    }
    for (i = 0; i < n; i++) {
        struct wh_record *rec = parse(docs[i]);
        int rc;

        t0 = now_s();
        rc = wh_stage_dedup.process(dedup, rec, NULL, errstr, sizeof(errstr));
        if (rc != WH_OK && rc != WH_DROP) {
            fprintf(stderr, "enrich_cost: dedup: %s\n", errstr);
            exit(1);
        }
        for (k = 0; enrich && rc == WH_OK && k < NSTAGES; k++) {
            run_stage(ctx, k, rec);
        }
        spent += now_s() - t0;
        wh_record_free(rec);
    }
    t0 = now_s();
    if (wh_stage_dedup.flush(dedup, errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "enrich_cost: dedup: %s\n", errstr);
        exit(1);
    }
    spent += now_s() - t0;
    wh_stage_dedup.close(dedup);
    wh_config_free(cfg);
    return spent;
}

/* The first n records of path (one a line, JSON after an optional key
 * and TAB), repeated from the start when the file holds fewer. */
static char **read_records(const char *path, size_t n)
{
    char **docs = wh_xcalloc(n, sizeof(*docs));
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    size_t got = 0;
    size_t i;

    if (fp == NULL) {
        perror(path);
        exit(2);
    }
    while (got < n && getline(&line, &cap, fp) > 0) {
        const char *json = strchr(line, '\t');

        json = json != NULL ? json + 1 : line;
        docs[got++] = wh_xstrndup(json, strcspn(json, "\n"));
    }
    free(line);
    fclose(fp);
    if (got == 0) {
        fprintf(stderr, "enrich_cost: %s: no records\n", path);
        exit(2);
    }
    for (i = got; i < n; i++) {
        docs[i] = wh_xstrdup(docs[i % got]);
    }
    return docs;
}

static void row(const char *name, size_t n, double secs, double peer)
{
    printf("%-12s %8zu %9.3f %11.0f %10.1f %9.2f\n", name, n, secs,
           secs > 0 ? (double)n / secs : 0.0, secs * 1e6 / (double)n,
           peer > 0 ? secs / peer : 0.0);
}

int main(int argc, char **argv)
{
    size_t n = 2000;
    size_t body_bytes = 4000;
    const char *data_dir = NULL;
    const char *input = NULL;
    const char *label = NULL;
    const char *write = NULL;
    const char *dedup_dir = NULL;
    FILE *out = NULL;
    struct wh_config *cfg = wh_config_new(keys);
    void *ctx[NSTAGES] = {NULL};
    char errstr[512];
    char **docs;
    double peer;
    size_t i;
    size_t k;
    int opt;

    wh_json_recycle(); /* as the consumer does (pipeline.c) */
    while ((opt = getopt(argc, argv, "n:s:d:i:l:w:D:")) != -1) {
        switch (opt) {
        case 'n':
            n = strtoul(optarg, NULL, 10);
            break;
        case 's':
            body_bytes = strtoul(optarg, NULL, 10);
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 'l':
            label = optarg;
            break;
        case 'w':
            write = optarg;
            break;
        case 'D':
            dedup_dir = optarg;
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-n RECORDS] [-s BODY_BYTES] "
                    "[-d DATA_DIR] [-i FILE [-l LABEL]] [-w FILE] "
                    "[-D DEDUP_DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (n == 0) {
        fprintf(stderr, "enrich_cost: -n must be positive\n");
        return 2;
    }
    if (data_dir != NULL && wh_config_set(cfg, "enrich.data_dir", data_dir,
                                          errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "enrich_cost: %s\n", errstr);
        return 2;
    }
    for (k = 0; k < NSTAGES; k++) {
        ctx[k] = stages[k]->init(NULL, cfg, errstr, sizeof(errstr));
        if (ctx[k] == NULL) {
            fprintf(stderr, "enrich_cost: %s: %s\n", stages[k]->name, errstr);
            return 1;
        }
    }
    if (write != NULL) {
        out = fopen(write, "w");
        if (out == NULL) {
            perror(write);
            return 2;
        }
    }
    if (input != NULL) {
        docs = read_records(input, n);
        printf("enrich_cost: %s: %zu records of %s\n",
               label != NULL ? label : input, n, input);
    } else {
        docs = wh_xcalloc(n, sizeof(*docs));
        for (i = 0; i < n; i++) {
            docs[i] = make_record(i, body_bytes);
        }
        printf("enrich_cost: %zu records, bodies of about %zu bytes\n", n,
               body_bytes);
    }
    printf("%-12s %8s %9s %11s %10s %9s\n", "stage", "records", "seconds",
           "records/s", "us/record", "x peer");
    peer = time_peer(docs, n);
    row("parse+dump", n, peer, peer);
    for (k = 0; k < NSTAGES; k++) {
        row(stages[k]->name, n, time_stages(docs, n, ctx, k, k + 1, NULL),
            peer);
    }
    row("all", n, time_stages(docs, n, ctx, 0, NSTAGES, out), peer);
    if (out != NULL && fclose(out) != 0) {
        perror(write);
        return 1;
    }
    if (dedup_dir != NULL) {
        char *dir = wh_xasprintf("%s/dedup", dedup_dir);

        if (mkdir(dedup_dir, 0700) != 0) {
            perror(dedup_dir);
            return 2;
        }
        row("dedup", n, time_dedup(docs, n, dir, ctx, 0), peer);
        free(dir);
        dir = wh_xasprintf("%s/all", dedup_dir);
        row("all+dedup", n, time_dedup(docs, n, dir, ctx, 1), peer);
        free(dir);
    }
    for (k = 0; k < NSTAGES; k++) {
        stages[k]->close(ctx[k]);
    }
    for (i = 0; i < n; i++) {
        free(docs[i]);
    }
    free(docs);
    wh_config_free(cfg);
    return 0;
}
