/*
 * ner_eval.c - the entity benchmark's driver: runs the language and
 * entities enrichers over records read from stdin (one "KEY<TAB>ninjs
 * JSON" line each, as ../shared/tools/score_entities.py --records prints
 * them), writes each enriched record as one JSONL line on stdout, and
 * prints the CPU cost of the entities enricher per record on stderr:
 *   ner_eval: N records, U us/record (entities), P us/record (parse+dump)
 * The same source is built against today's tree and the merge-base's by
 * bench/entities/run.sh, so both enrichers run on the same records with
 * the same driver. CPU time of this process (CLOCK_PROCESS_CPUTIME_ID):
 * other jobs on a shared machine do not blur it.
 *
 * usage: ner_eval [-d DATA_DIR] [-r REPEAT] < records.tsv > out.jsonl
 *   REPEAT: timing passes over all records (default 5; the fastest pass
 *   counts); the output is written from the first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enrich.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

/* The enrichers' config keys: a table in enrich.c today, a macro of
 * initializers in the baseline's tree (run.sh builds this driver over
 * both). */
#ifdef WH_ENRICH_CONFIG_KEYS
static const struct wh_config_key keys[] = {WH_ENRICH_CONFIG_KEYS,
                                            {NULL, 0, NULL}};
#else
static const struct wh_config_key *const keys = wh_enrich_config_keys;
#endif

/* CPU seconds of this process. */
static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Enriches the record doc (language, then entities) and writes it to out
 * unless out is NULL, or only parses and dumps it when ent_ctx is NULL
 * (the peer). Returns the CPU seconds of the entities enricher. */
static double one_record(const char *doc, void *lang_ctx, void *ent_ctx,
                         FILE *out)
{
    char errstr[256];
    struct wh_record *rec =
        wh_record_parse(doc, strlen(doc), errstr, sizeof(errstr));
    double spent = 0;
    char *json;

    if (rec == NULL) {
        fprintf(stderr, "ner_eval: record: %s\n", errstr);
        exit(1);
    }
    if (ent_ctx != NULL) {
        double t0;

        if (wh_enrich_language.process(lang_ctx, rec, NULL, errstr,
                                       sizeof(errstr)) != WH_OK) {
            fprintf(stderr, "ner_eval: language: %s\n", errstr);
            exit(1);
        }
        t0 = cpu_s();
        if (wh_enrich_entities.process(ent_ctx, rec, NULL, errstr,
                                       sizeof(errstr)) != WH_OK) {
            fprintf(stderr, "ner_eval: entities: %s\n", errstr);
            exit(1);
        }
        spent = cpu_s() - t0;
    }
    json = wh_record_dump(rec);
    if (out != NULL) {
        fprintf(out, "%s\n", json);
    }
    free(json);
    wh_record_free(rec);
    return spent;
}

/* Reads the documents of stdin: the JSON after the tab of each line. */
static char **read_docs(size_t *n)
{
    char **docs = NULL;
    size_t cap = 0;
    char *line = NULL;
    size_t size = 0;

    *n = 0;
    while (getline(&line, &size, stdin) > 0) {
        char *tab = strchr(line, '\t');

        if (tab == NULL) {
            continue;
        }
        if (*n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            docs = wh_xrealloc(docs, cap * sizeof(*docs));
        }
        docs[(*n)++] = wh_xstrdup(tab + 1);
    }
    free(line);
    return docs;
}

int main(int argc, char **argv)
{
    struct wh_config *cfg = wh_config_new(keys);
    const char *data_dir = NULL;
    void *lang_ctx;
    void *ent_ctx;
    char errstr[512];
    char **docs;
    size_t n;
    size_t i;
    long repeat = 5;
    long pass;
    double best = 0;
    double peer = 0;
    int opt;

    while ((opt = getopt(argc, argv, "d:r:")) != -1) {
        if (opt == 'd') {
            data_dir = optarg;
        } else if (opt == 'r') {
            repeat = strtol(optarg, NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [-d DATA_DIR] [-r REPEAT]\n", argv[0]);
            return 2;
        }
    }
    if (repeat < 1) {
        fprintf(stderr, "ner_eval: -r must be positive\n");
        return 2;
    }
    if (data_dir != NULL && wh_config_set(cfg, "enrich.data_dir", data_dir,
                                          errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "ner_eval: %s\n", errstr);
        return 2;
    }
    lang_ctx = wh_enrich_language.init(NULL, cfg, errstr, sizeof(errstr));
    ent_ctx = lang_ctx == NULL
                  ? NULL
                  : wh_enrich_entities.init(NULL, cfg, errstr, sizeof(errstr));
    if (ent_ctx == NULL) {
        fprintf(stderr, "ner_eval: %s\n", errstr);
        return 1;
    }
    docs = read_docs(&n);
    if (n == 0) {
        fprintf(stderr, "ner_eval: no records on stdin\n");
        return 1;
    }
    for (pass = 0; pass < repeat; pass++) {
        double spent = 0;

        for (i = 0; i < n; i++) {
            spent += one_record(docs[i], lang_ctx, ent_ctx,
                                pass == 0 ? stdout : NULL);
        }
        best = pass == 0 || spent < best ? spent : best;
    }
    /* the peer: what the consumer pays per record anyway */
    for (pass = 0; pass < repeat; pass++) {
        double t0 = cpu_s();
        double spent;

        for (i = 0; i < n; i++) {
            (void)one_record(docs[i], NULL, NULL, NULL);
        }
        spent = cpu_s() - t0;
        peer = pass == 0 || spent < peer ? spent : peer;
    }
    fprintf(stderr,
            "ner_eval: %zu records, %.1f us/record (entities), %.1f "
            "us/record (parse+dump)\n",
            n, best * 1e6 / (double)n, peer * 1e6 / (double)n);
    wh_enrich_entities.close(ent_ctx);
    wh_enrich_language.close(lang_ctx);
    for (i = 0; i < n; i++) {
        free(docs[i]);
    }
    free(docs);
    wh_config_free(cfg);
    return 0;
}
