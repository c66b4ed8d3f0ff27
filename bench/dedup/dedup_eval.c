/*
 * dedup_eval.c - recall and false joins of the near-duplicate detection on
 * the labelled set of corpus.h, for the chosen parameters and a few
 * alternatives.
 *
 *   dedup_eval GROUND_TRUTH_JSON
 *
 * Part 1: SimHash distance of labelled copies and same-topic pairs per
 * feature choice. Part 2: end to end through the permuted-table index
 * (every original and every copy inserted in turn, as the stage does):
 * a copy counts as found when the index returns its original (or an
 * earlier copy of it) confirmed by MinHash; a false join is any confirmed
 * match between two different stories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "index.h"
#include "simhash.h"
#include "wh/wh.h"

struct feat {
    const char *name;
    unsigned shingle;
    enum wh_simhash_weight weight;
    unsigned min_letters;
};

static const struct feat feats[] = {
    {"words, tf", 1, WH_SIMHASH_TF, 1},
    {"words >= 4 letters, tf", 1, WH_SIMHASH_TF, 4},
    {"words >= 5 letters, tf", 1, WH_SIMHASH_TF, 5},
    {"words >= 4 letters, set", 1, WH_SIMHASH_SET, 4},
    {"words, set", 1, WH_SIMHASH_SET, 1},
    {"2-shingles, set", 2, WH_SIMHASH_SET, 1},
    {"3-shingles, set", 3, WH_SIMHASH_SET, 1},
    {"3-shingles, tf", 3, WH_SIMHASH_TF, 1},
};

static int cmp_uns(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a;
    unsigned y = *(const unsigned *)b;

    return (x > y) - (x < y);
}

static void sigs_compute(const struct corpus *c,
                         const struct wh_simhash_params *p,
                         struct wh_simhash_sig *sig)
{
    size_t i;

    for (i = 0; i < c->ndocs; i++) {
        WH_ASSERT(wh_simhash_compute(p, c->docs[i].text,
                                     strlen(c->docs[i].text),
                                     &sig[i]) == WH_OK);
    }
}

static void part1(const struct corpus *c, struct wh_simhash_sig *sig)
{
    unsigned *d = wh_xcalloc(c->npos + c->nneg + 1, sizeof(*d));
    size_t f;
    size_t i;

    printf("\n## SimHash distance by feature (%zu copies, %zu same-topic "
           "pairs)\n\n",
           c->npos, c->nneg);
    printf("| features | copies p50 | p90 | p99 | max | <=3 | <=4 | <=6 "
           "| topic pairs min | p1 | unrelated mean |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (f = 0; f < WH_ARRAY_SIZE(feats); f++) {
        struct wh_simhash_params p;
        size_t le3 = 0;
        size_t le4 = 0;
        size_t le6 = 0;

        wh_simhash_params_default(&p);
        p.shingle = feats[f].shingle;
        p.weight = feats[f].weight;
        p.min_letters = feats[f].min_letters;
        sigs_compute(c, &p, sig);
        for (i = 0; i < c->npos; i++) {
            d[i] =
                wh_simhash_distance(sig[c->pos[i].a].fp, sig[c->pos[i].b].fp);
            le3 += d[i] <= 3;
            le4 += d[i] <= 4;
            le6 += d[i] <= 6;
        }
        qsort(d, c->npos, sizeof(*d), cmp_uns);
        printf("| %s | %u | %u | %u | %u | %.2f%% | %.2f%% | %.2f%% ",
               feats[f].name, d[c->npos / 2], d[c->npos * 9 / 10],
               d[c->npos * 99 / 100], d[c->npos - 1], 100.0 * le3 / c->npos,
               100.0 * le4 / c->npos, 100.0 * le6 / c->npos);
        for (i = 0; i < c->nneg; i++) {
            d[i] =
                wh_simhash_distance(sig[c->neg[i].a].fp, sig[c->neg[i].b].fp);
        }
        qsort(d, c->nneg, sizeof(*d), cmp_uns);
        printf("| %u | %u |", c->nneg ? d[0] : 0,
               c->nneg ? d[c->nneg / 100] : 0);
        {
            /* spread of unrelated fingerprints: mean distance of
             * neighbouring originals (64 bits would give 32) */
            double sum = 0;

            for (i = 1; i < c->norig; i++) {
                sum += wh_simhash_distance(sig[i - 1].fp, sig[i].fp);
            }
            printf(" %.1f |\n", sum / (double)(c->norig - 1));
        }
    }
    free(d);
}

/* How many differing bits of copy/original lie outside the query's m
 * weakest bits: 0 means weak-bit probing alone finds the original. */
static void part_weak(const struct corpus *c, struct wh_simhash_sig *sig,
                      const struct feat *ft)
{
    static const unsigned ms[] = {0, 8, 10, 12, 16};
    struct wh_simhash_params p;
    size_t mi;
    size_t i;

    wh_simhash_params_default(&p);
    p.shingle = ft->shingle;
    p.weight = ft->weight;
    p.min_letters = ft->min_letters;
    sigs_compute(c, &p, sig);
    printf(
        "\n## %s: differing bits outside the query's m weakest bits "
        "(copies)\n\n| m | 0 | <=1 | <=2 | <=3 |\n|---:|---:|---:|---:|---:|\n",
        ft->name);
    for (mi = 0; mi < WH_ARRAY_SIZE(ms); mi++) {
        size_t cnt[4] = {0};

        for (i = 0; i < c->npos; i++) {
            const struct wh_simhash_sig *q = &sig[c->pos[i].b];
            uint64_t x = q->fp ^ sig[c->pos[i].a].fp;
            unsigned j;
            unsigned out;

            for (j = 0; j < ms[mi]; j++) {
                x &= ~((uint64_t)1 << q->weak[j]);
            }
            out = wh_simhash_distance(x, 0);
            for (j = out; j < 4; j++) {
                cnt[j]++;
            }
        }
        printf("| %u | %.2f%% | %.2f%% | %.2f%% | %.2f%% |\n", ms[mi],
               100.0 * cnt[0] / c->npos, 100.0 * cnt[1] / c->npos,
               100.0 * cnt[2] / c->npos, 100.0 * cnt[3] / c->npos);
    }
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void part_minhash(const struct corpus *c, struct wh_simhash_sig *sig)
{
    static const unsigned ks[] = {32, 64, 128};
    double *s = wh_xcalloc(c->npos + 1, sizeof(*s));
    double *t = wh_xcalloc(c->nneg + 1, sizeof(*t));
    size_t ki;
    size_t i;

    printf("\n## MinHash estimate of 3-shingle Jaccard\n\n");
    printf("| values | copies min | copies p1 | topic pairs max "
           "| topic p99 |\n|---:|---:|---:|---:|---:|\n");
    for (ki = 0; ki < WH_ARRAY_SIZE(ks); ki++) {
        struct wh_simhash_params p;

        wh_simhash_params_default(&p);
        p.minhash_k = ks[ki];
        sigs_compute(c, &p, sig);
        for (i = 0; i < c->npos; i++) {
            s[i] = wh_simhash_similarity(sig[c->pos[i].a].minhash,
                                         sig[c->pos[i].b].minhash, ks[ki]);
        }
        for (i = 0; i < c->nneg; i++) {
            t[i] = wh_simhash_similarity(sig[c->neg[i].a].minhash,
                                         sig[c->neg[i].b].minhash, ks[ki]);
        }
        qsort(s, c->npos, sizeof(*s), cmp_dbl);
        qsort(t, c->nneg, sizeof(*t), cmp_dbl);
        printf("| %u | %.3f | %.3f | %.3f | %.3f |\n", ks[ki],
               c->npos ? s[0] : 0.0, c->npos ? s[c->npos / 100] : 0.0,
               c->nneg ? t[c->nneg - 1] : 0.0,
               c->nneg ? t[c->nneg * 99 / 100] : 0.0);
    }
    free(s);
    free(t);
}

struct e2e {
    const char *name;
    unsigned feat; /* index into feats[] */
    unsigned tables;
    unsigned weak;
    unsigned probes;
    unsigned radius;
    double threshold; /* MinHash confirmation */
    unsigned flips;
    unsigned key_bits;
};

static const struct e2e e2es[] = {
    {"chosen", 1, 3, 16, 128, 12, 0.5, 3, 0},
    {"64 probes, <= 2 flips", 1, 3, 16, 64, 12, 0.5, 2, 0},
    {"256 probes", 1, 3, 16, 256, 12, 0.5, 0, 0},
    {"no weak-bit probes (plain Manku, T=3, 3 probes)", 1, 3, 0, 3, 12, 0.5, 0,
     0},
    {"radius 8", 1, 3, 16, 128, 8, 0.5, 3, 0},
    {"radius 16", 1, 3, 16, 128, 16, 0.5, 3, 0},
    {"4 tables of 16 bits, 48 probes, <= 2 flips", 1, 4, 16, 48, 12, 0.5, 2, 0},
    {"4 tables, keys widened to 22 bits, 64 probes", 1, 4, 16, 64, 12, 0.5, 2,
     22},
    {"all words (no 4-letter minimum)", 0, 3, 16, 128, 12, 0.5, 3, 0},
    {"3-shingles, set (web-page style)", 6, 3, 16, 128, 12, 0.5, 3, 0},
    {"confirm at MinHash >= 0.4", 1, 3, 16, 128, 12, 0.4, 3, 0},
    {"confirm at MinHash >= 0.6", 1, 3, 16, 128, 12, 0.6, 3, 0},
};

#define MAX_HITS 64

/* 1 when originals a and b are really the same story in the data. */
static int real_dup(const struct corpus *c, size_t a, size_t b)
{
    return corpus_overlap(c->docs[a].text, c->docs[b].text) >= 0.5;
}

static void part2(const struct corpus *c, struct wh_simhash_sig *sig)
{
    struct wh_index_hit hits[MAX_HITS];
    const char *chosen_name[16] = {NULL};
    size_t chosen_total[16] = {0};
    size_t chosen_found[16] = {0};
    size_t ci;
    size_t i;

    printf("\n## End to end: index lookup + MinHash confirmation\n\n");
    printf("Index of the %zu originals; each copy looked up (found = its "
           "original confirmed); each original looked up against the "
           "others (false join = a confirmed match that is not a real "
           "duplicate in the data).\n\n",
           c->norig);
    printf("| setting | recall | copies missed | false joins (copies) "
           "| false joins (originals) | topic pairs joined "
           "| candidates per lookup |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n");
    for (ci = 0; ci < WH_ARRAY_SIZE(e2es); ci++) {
        const struct e2e *e = &e2es[ci];
        struct wh_simhash_params sp;
        struct wh_index_params ip;
        struct wh_index *idx;
        size_t found = 0;
        size_t fj_copy = 0;
        size_t fj_orig = 0;
        size_t topic = 0;
        size_t cands = 0;
        size_t lookups = 0;
        const char *edit_name[16] = {NULL};
        size_t edit_total[16] = {0};
        size_t edit_found[16] = {0};

        wh_simhash_params_default(&sp);
        sp.shingle = feats[e->feat].shingle;
        sp.weight = feats[e->feat].weight;
        sp.min_letters = feats[e->feat].min_letters;
        sigs_compute(c, &sp, sig);
        ip.tables = e->tables;
        ip.weak = e->weak;
        ip.probes = e->probes;
        ip.radius = e->radius;
        ip.flips = e->flips;
        ip.key_bits = e->key_bits;
        idx = wh_index_new(&ip);
        WH_ASSERT(idx != NULL);
        for (i = 0; i < c->norig; i++) {
            wh_index_add(idx, sig[i].fp, (uint32_t)i);
        }
        wh_index_compact(idx);
        for (i = 0; i < c->npos; i++) {
            const struct wh_simhash_sig *q = &sig[c->pos[i].b];
            size_t n = wh_index_lookup(idx, q->fp, q->weak, WH_SIMHASH_WEAK,
                                       hits, MAX_HITS);
            size_t h;
            int ok = 0;

            cands += n;
            lookups++;
            for (h = 0; h < n; h++) {
                size_t j = hits[h].id;

                if (wh_simhash_similarity(q->minhash, sig[j].minhash,
                                          sp.minhash_k) < e->threshold) {
                    continue;
                }
                if (j == c->pos[i].a) {
                    ok = 1;
                } else if (!real_dup(c, j, c->pos[i].a)) {
                    fj_copy++;
                }
            }
            found += (size_t)ok;
            {
                size_t v;

                for (v = 0; v < 16 && edit_name[v] != NULL &&
                            edit_name[v] != c->pos[i].edit;
                     v++) {
                }
                if (v < 16) {
                    edit_name[v] = c->pos[i].edit;
                    edit_total[v]++;
                    edit_found[v] += (size_t)ok;
                }
            }
        }
        for (i = 0; i < c->norig; i++) {
            size_t n = wh_index_lookup(idx, sig[i].fp, sig[i].weak,
                                       WH_SIMHASH_WEAK, hits, MAX_HITS);
            size_t h;

            cands += n;
            lookups++;
            for (h = 0; h < n; h++) {
                size_t j = hits[h].id;

                if (j == i ||
                    wh_simhash_similarity(sig[i].minhash, sig[j].minhash,
                                          sp.minhash_k) < e->threshold) {
                    continue;
                }
                if (!real_dup(c, i, j)) {
                    size_t k;

                    fj_orig++;
                    for (k = 0; k < c->nneg; k++) {
                        if ((c->neg[k].a == i && c->neg[k].b == j) ||
                            (c->neg[k].a == j && c->neg[k].b == i)) {
                            topic++;
                        }
                    }
                }
            }
        }
        printf("| %s | %.2f%% | %zu | %zu | %zu | %zu | %.2f |\n", e->name,
               100.0 * (double)found / (double)c->npos, c->npos - found,
               fj_copy, fj_orig, topic, (double)cands / (double)lookups);
        if (ci == 0) {
            size_t v;

            for (v = 0; v < 16 && edit_name[v] != NULL; v++) {
                chosen_name[v] = edit_name[v];
                chosen_total[v] = edit_total[v];
                chosen_found[v] = edit_found[v];
            }
        }
        wh_index_free(idx);
    }
    printf("\nChosen setting: SimHash over words of >= 4 letters (TF), "
           "3 tables of 21/21/22-bit keys, the query's 16 weakest bits "
           "probed (<= 3 flipped at once, <= 128 probes), radius 12, "
           "confirmed at MinHash (64 values, 3-shingles) >= 0.5. False "
           "joins count both lookup directions.\n\n"
           "| edit (chosen setting) | copies | found | recall |\n"
           "|---|---:|---:|---:|\n");
    for (i = 0; i < 16 && chosen_name[i] != NULL; i++) {
        printf("| %s | %zu | %zu | %.2f%% |\n", chosen_name[i], chosen_total[i],
               chosen_found[i],
               100.0 * (double)chosen_found[i] / (double)chosen_total[i]);
    }
}

int main(int argc, char **argv)
{
    struct corpus c;
    struct wh_simhash_sig *sig;
    clock_t t0 = clock();

    if (argc != 2) {
        fprintf(stderr, "usage: %s GROUND_TRUTH_JSON\n", argv[0]);
        return 2;
    }
    if (corpus_load(&c, argv[1], 50, 2000) != 0) {
        return 1;
    }
    printf("# dedup labelled set\n\n%zu articles (>= 50 words), %zu copies "
           "made, %zu kept with >= 85%% shared 3-shingles; %zu same-topic "
           "pairs (%zu real duplicates in the data left out); %.1fs\n",
           c.norig, c.ngenerated, c.npos, c.nneg, c.nneg_real_dups,
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    sig = wh_xcalloc(c.ndocs, sizeof(*sig));
    part1(&c, sig);
    part_minhash(&c, sig);
    part_weak(&c, sig, &feats[1]);
    part2(&c, sig);
    {
        struct wh_simhash_params p;
        double t1;
        size_t words = 0;
        size_t i;

        wh_simhash_params_default(&p);
        t1 = (double)clock();
        sigs_compute(&c, &p, sig);
        t1 = ((double)clock() - t1) / CLOCKS_PER_SEC;
        for (i = 0; i < c.ndocs; i++) {
            words += sig[i].nwords;
        }
        printf("\nSignature (SimHash + 64 MinHash values): %.1f us per "
               "article of %.0f words on average.\n",
               t1 * 1e6 / (double)c.ndocs, (double)words / (double)c.ndocs);
    }
    free(sig);
    corpus_free(&c);
    return 0;
}
