/*
 * lang_eval.c - accuracy and cost of language detectors on the
 * evaluation set of make_evalset.py ("CLASS<TAB>TEXT" lines, "\n"
 * escaped). For each detector: per class, the share of records answered
 * right (the language's primary subtag; "und" for junk:*), what the
 * wrong answers were, and the CPU time per record (mean and worst, this
 * process's CPU clock: other jobs on a shared machine do not blur it).
 *
 * Detectors:
 *   enricher        the language enricher as built (wh_enrich_language)
 *   cld2            libcld2 on the first 1024 bytes
 *   textcat-all     libexttextcat, all its profiles, first 1024 bytes
 *   textcat-script  libexttextcat restricted to the profiles of the
 *                   text's main script, first 512 bytes; a script with
 *                   one profile decides alone
 *
 * usage: lang_eval [-d DATA_DIR] [-t TEXTCAT_DIR] [-D DETECTOR,...] [-v]
 *                  < evalset.tsv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <textcat.h>

#include "cld2.h"
#include "enrich.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

#define SAMPLE 1024
#define SCRIPT_SAMPLE 512
#define MAX_CLASSES 64
#define MAX_PROFILES 256

static const struct wh_config_key *const keys = wh_enrich_config_keys;

struct item {
    char cls[24];
    char *text;
    size_t len;
};

/* ---- scripts ---- */

static const struct {
    unsigned lo, hi;
    const char *name;
} script_ranges[] = {
    {0x41, 0x24F, "Latin"},       {0x370, 0x3FF, "Greek"},
    {0x400, 0x52F, "Cyrillic"},   {0x530, 0x58F, "Armenian"},
    {0x590, 0x5FF, "Hebrew"},     {0x600, 0x6FF, "Arabic"},
    {0x750, 0x77F, "Arabic"},     {0x700, 0x74F, "Syriac"},
    {0x780, 0x7BF, "Thaana"},     {0x900, 0x97F, "Devanagari"},
    {0x980, 0x9FF, "Bengali"},    {0xA00, 0xA7F, "Gurmukhi"},
    {0xA80, 0xAFF, "Gujarati"},   {0xB00, 0xB7F, "Oriya"},
    {0xB80, 0xBFF, "Tamil"},      {0xC00, 0xC7F, "Telugu"},
    {0xC80, 0xCFF, "Kannada"},    {0xD00, 0xD7F, "Malayalam"},
    {0xD80, 0xDFF, "Sinhala"},    {0xE00, 0xE7F, "Thai"},
    {0xE80, 0xEFF, "Lao"},        {0xF00, 0xFFF, "Tibetan"},
    {0x1000, 0x109F, "Myanmar"},  {0x10A0, 0x10FF, "Georgian"},
    {0x1100, 0x11FF, "Hangul"},   {0x1200, 0x139F, "Ethiopic"},
    {0x13A0, 0x13FF, "Cherokee"}, {0x1400, 0x167F, "Canadian"},
    {0x1780, 0x17FF, "Khmer"},    {0x1800, 0x18AF, "Mongolian"},
    {0x1E00, 0x1EFF, "Latin"},    {0x1F00, 0x1FFF, "Greek"},
    {0x3040, 0x30FF, "Kana"},     {0x3130, 0x318F, "Hangul"},
    {0x3400, 0x9FFF, "Han"},      {0xAC00, 0xD7AF, "Hangul"},
};

static const char *script_of(uint32_t cp)
{
    size_t k;

    if (cp < 0x80 && !((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')) {
        return NULL;
    }
    for (k = 0; k < WH_ARRAY_SIZE(script_ranges); k++) {
        if (cp >= script_ranges[k].lo && cp <= script_ranges[k].hi) {
            return script_ranges[k].name;
        }
    }
    return NULL;
}

/* The script with the most letters in s (NULL: none). */
static const char *main_script(const char *s, size_t len)
{
    const char *names[16];
    size_t counts[16];
    size_t n = 0;
    size_t i = 0;
    size_t k;
    size_t best = 0;

    while (i < len) {
        const char *sc = script_of(wh_enrich_utf8_next_fast(s, len, &i));

        if (sc == NULL) {
            continue;
        }
        for (k = 0; k < n && names[k] != sc; k++) {
        }
        if (k == n) {
            if (n == 16) {
                continue;
            }
            names[n] = sc;
            counts[n++] = 0;
        }
        counts[k]++;
    }
    if (n == 0) {
        return NULL;
    }
    for (k = 1; k < n; k++) {
        if (counts[k] > counts[best]) {
            best = k;
        }
    }
    return names[best];
}

/* ---- textcat by script ---- */

struct script_pass {
    const char *script;
    void *tc;
    candidate_t *cands;
    char single[32]; /* the one profile's category when only one */
    int profiles;
};

static struct script_pass passes[40];
static size_t npasses;
static void *tc_all;
static candidate_t *tc_all_cands;

/* The script of a profile: of its most frequent n-grams. */
static const char *profile_script(const char *path)
{
    char line[256];
    char text[8192];
    size_t len = 0;
    FILE *fp = fopen(path, "r");
    int k = 0;

    if (fp == NULL) {
        return NULL;
    }
    while (k++ < 60 && fgets(line, sizeof(line), fp) != NULL) {
        char *tab = strchr(line, '\t');
        size_t n = tab != NULL ? (size_t)(tab - line) : strlen(line);

        if (len + n + 1 < sizeof(text)) {
            memcpy(text + len, line, n);
            len += n;
            text[len++] = ' ';
        }
    }
    fclose(fp);
    return main_script(text, len);
}

static void load_script_passes(const char *dir)
{
    char path[4096];
    char line[512];
    FILE *fp;
    FILE *out[40] = {NULL};
    size_t k;

    snprintf(path, sizeof(path), "%s/fpdb.conf", dir);
    fp = fopen(path, "r");
    if (fp == NULL) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char file[256];
        char cat[256];
        const char *sc;

        if (line[0] == '#' || sscanf(line, "%255s %255s", file, cat) != 2) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        sc = profile_script(path);
        if (sc == NULL) {
            continue;
        }
        for (k = 0; k < npasses && passes[k].script != sc; k++) {
        }
        if (k == npasses) {
            char conf[256];

            if (npasses == 40) {
                continue;
            }
            passes[k].script = sc;
            snprintf(conf, sizeof(conf), "/tmp/lang_eval.%d.%s.conf",
                     (int)getpid(), sc);
            out[k] = fopen(conf, "w");
            npasses++;
        }
        fprintf(out[k], "%s\t%s\n", file, cat);
        snprintf(passes[k].single, sizeof(passes[k].single), "%s", cat);
        passes[k].profiles++;
    }
    fclose(fp);
    for (k = 0; k < npasses; k++) {
        char conf[256];
        char prefix[4096];

        fclose(out[k]);
        snprintf(conf, sizeof(conf), "/tmp/lang_eval.%d.%s.conf", (int)getpid(),
                 passes[k].script);
        snprintf(prefix, sizeof(prefix), "%s/", dir);
        if (passes[k].profiles > 1) {
            passes[k].tc = special_textcat_Init(conf, prefix);
            textcat_SetProperty(passes[k].tc, TCPROP_UTF8AWARE, TC_TRUE);
            passes[k].cands = textcat_GetClassifyFullOutput(passes[k].tc);
        }
        unlink(conf);
    }
}

/* Tag of a textcat category ("en--utf8" -> "en", "zh-CN-utf8" -> zh). */
static void cat_tag(const char *name, char out[16])
{
    size_t n = strcspn(name, "-");

    if (n > 15) {
        n = 15;
    }
    memcpy(out, name, n);
    out[n] = '\0';
}

static void detect_textcat_all(const struct item *it, char out[16])
{
    size_t len = it->len < SAMPLE ? it->len : SAMPLE;
    int n = textcat_ClassifyFull(tc_all, it->text, len, tc_all_cands);

    if (n <= 0 || n > 1) {
        snprintf(out, 16, "und");
        return;
    }
    cat_tag(tc_all_cands[0].name, out);
}

static void detect_textcat_script(const struct item *it, char out[16])
{
    size_t len = it->len < SCRIPT_SAMPLE ? it->len : SCRIPT_SAMPLE;
    const char *sc;
    size_t k;
    int n;

    while (len > 0 && len < it->len &&
           ((unsigned char)it->text[len] & 0xC0) == 0x80) {
        len--;
    }
    sc = main_script(it->text, len);
    for (k = 0; k < npasses && passes[k].script != sc; k++) {
    }
    if (sc == NULL || k == npasses) {
        snprintf(out, 16, "und");
        return;
    }
    if (passes[k].tc == NULL) {
        cat_tag(passes[k].single, out);
        return;
    }
    n = textcat_ClassifyFull(passes[k].tc, it->text, len, passes[k].cands);
    if (n != 1) {
        snprintf(out, 16, "und");
        return;
    }
    cat_tag(passes[k].cands[0].name, out);
}

static void detect_cld2(const struct item *it, char out[16])
{
    struct wh_cld2_result r;
    size_t len = it->len < SAMPLE ? it->len : SAMPLE;

    while (len > 0 && len < it->len &&
           ((unsigned char)it->text[len] & 0xC0) == 0x80) {
        len--;
    }
    wh_cld2_detect(it->text, len, 0, &r);
    if (!r.reliable || strcmp(r.code[0], "un") == 0) {
        snprintf(out, 16, "und");
        return;
    }
    cat_tag(r.code[0], out);
}

static const struct wh_stage *enricher = &wh_enrich_language;
static void *enricher_ctx;

static void detect_enricher(const struct item *it, char out[16])
{
    struct wh_record *rec = wh_record_new();
    char errstr[256];

    rec->uri = wh_xstrdup("urn:lang_eval");
    rec->body_text = wh_xstrndup(it->text, it->len);
    (void)enricher->process(enricher_ctx, rec, NULL, errstr, sizeof(errstr));
    wh_enrich_primary_lang(rec->language, out);
    if (out[0] == '\0') {
        snprintf(out, 16, "und");
    }
    wh_record_free(rec);
}

/* ---- scoring ---- */

static int same_lang(const char *want, const char *got)
{
    static const char *const alias[][2] = {
        {"he", "iw"}, {"nb", "no"}, {"id", "in"}, {"nb", "nn"}};
    size_t k;

    if (strncmp(want, "junk:", 5) == 0) {
        return strcmp(got, "und") == 0;
    }
    if (strcmp(want, got) == 0) {
        return 1;
    }
    for (k = 0; k < WH_ARRAY_SIZE(alias); k++) {
        if (strcmp(want, alias[k][0]) == 0 && strcmp(got, alias[k][1]) == 0) {
            return 1;
        }
    }
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cls_stat {
    char cls[24];
    size_t n, right;
    double spent, worst;
    char wrong[4][16];
    size_t wrong_n[4];
};

static void evaluate(const char *name,
                     void (*detect)(const struct item *, char[16]),
                     const struct item *items, size_t n, int verbose)
{
    struct cls_stat st[MAX_CLASSES];
    size_t nst = 0;
    size_t i;
    size_t k;
    size_t lang_n = 0, lang_right = 0, junk_n = 0, junk_right = 0;
    double lang_spent = 0, junk_spent = 0, worst_mean = 0;

    memset(st, 0, sizeof(st));
    for (i = 0; i < n; i++) {
        char got[16];
        double t0;
        double dt;
        struct cls_stat *s;

        for (k = 0; k < nst && strcmp(st[k].cls, items[i].cls) != 0; k++) {
        }
        if (k == nst) {
            WH_ASSERT(nst < MAX_CLASSES);
            snprintf(st[nst++].cls, sizeof(st[0].cls), "%s", items[i].cls);
        }
        s = &st[k];
        t0 = cpu_now();
        detect(&items[i], got);
        dt = cpu_now() - t0;
        s->n++;
        s->spent += dt;
        if (dt > s->worst) {
            s->worst = dt;
        }
        if (same_lang(items[i].cls, got)) {
            s->right++;
            continue;
        }
        for (k = 0; k < 4 && s->wrong_n[k] > 0 && strcmp(s->wrong[k], got);
             k++) {
        }
        if (k < 4) {
            snprintf(s->wrong[k], 16, "%s", got);
            s->wrong_n[k]++;
        }
    }
    printf("\n%s\n%-18s %5s %8s %9s %9s  %s\n", name, "class", "n", "right %",
           "us mean", "us worst", "wrong answers");
    for (k = 0; k < nst; k++) {
        double mean = st[k].spent * 1e6 / (double)st[k].n;
        size_t w;

        if (strncmp(st[k].cls, "junk:", 5) == 0) {
            junk_n += st[k].n;
            junk_right += st[k].right;
            junk_spent += st[k].spent;
        } else {
            lang_n += st[k].n;
            lang_right += st[k].right;
            lang_spent += st[k].spent;
        }
        if (mean > worst_mean) {
            worst_mean = mean;
        }
        if (!verbose && st[k].right == st[k].n) {
            printf("%-18s %5zu %8.1f %9.1f %9.1f\n", st[k].cls, st[k].n,
                   100.0 * (double)st[k].right / (double)st[k].n, mean,
                   st[k].worst * 1e6);
            continue;
        }
        printf("%-18s %5zu %8.1f %9.1f %9.1f ", st[k].cls, st[k].n,
               100.0 * (double)st[k].right / (double)st[k].n, mean,
               st[k].worst * 1e6);
        for (w = 0; w < 4 && st[k].wrong_n[w] > 0; w++) {
            printf(" %s:%zu", st[k].wrong[w], st[k].wrong_n[w]);
        }
        printf("\n");
    }
    printf("%-18s %5zu %8.1f %9.1f\n", "languages", lang_n,
           lang_n ? 100.0 * (double)lang_right / (double)lang_n : 0.0,
           lang_n ? lang_spent * 1e6 / (double)lang_n : 0.0);
    printf("%-18s %5zu %8.1f %9.1f\n", "junk", junk_n,
           junk_n ? 100.0 * (double)junk_right / (double)junk_n : 0.0,
           junk_n ? junk_spent * 1e6 / (double)junk_n : 0.0);
    printf("%-18s %5s %8s %9.1f  (worst class mean)\n", "bound", "", "",
           worst_mean);
}

static struct item *read_items(size_t *count)
{
    struct item *items = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;

    while ((got = getline(&line, &lcap, stdin)) > 0) {
        char *tab = strchr(line, '\t');
        char *w;
        const char *r;

        if (tab == NULL) {
            continue;
        }
        *tab = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            items = wh_xrealloc(items, cap * sizeof(*items));
        }
        snprintf(items[n].cls, sizeof(items[n].cls), "%s", line);
        items[n].text = wh_xmalloc((size_t)got);
        for (r = tab + 1, w = items[n].text; *r && *r != '\n'; r++) {
            if (r[0] == '\\' && r[1] == 'n') {
                *w++ = '\n';
                r++;
            } else if (r[0] == '\\' && r[1] == '\\') {
                *w++ = '\\';
                r++;
            } else {
                *w++ = *r;
            }
        }
        *w = '\0';
        items[n].len = (size_t)(w - items[n].text);
        n++;
    }
    free(line);
    *count = n;
    return items;
}

int main(int argc, char **argv)
{
    const char *data_dir = NULL;
    const char *tc_dir = "/usr/share/libexttextcat";
    const char *which = "enricher,cld2,textcat-script,textcat-all";
    struct wh_config *cfg = wh_config_new(keys);
    char errstr[512];
    char conf[4096];
    char prefix[4096];
    struct item *items;
    size_t n;
    size_t i;
    int verbose = 0;
    int opt;

    while ((opt = getopt(argc, argv, "d:t:D:v")) != -1) {
        switch (opt) {
        case 'd':
            data_dir = optarg;
            break;
        case 't':
            tc_dir = optarg;
            break;
        case 'D':
            which = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        default:
            fprintf(stderr, "usage: lang_eval [-d DATA_DIR] [-t TEXTCAT_DIR] "
                            "[-D DETECTOR,...] [-v] < evalset.tsv\n");
            return 2;
        }
    }
    if (data_dir != NULL && wh_config_set(cfg, "enrich.data_dir", data_dir,
                                          errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "lang_eval: %s\n", errstr);
        return 2;
    }
    items = read_items(&n);
    printf("lang_eval: %zu records; cld2 %s, exttextcat %s\n", n,
           wh_cld2_version(), textcat_Version());
    if (strstr(which, "enricher") != NULL) {
        enricher_ctx = enricher->init(NULL, cfg, errstr, sizeof(errstr));
        if (enricher_ctx == NULL) {
            fprintf(stderr, "lang_eval: %s\n", errstr);
            return 1;
        }
        evaluate("enricher (language stage as built)", detect_enricher, items,
                 n, verbose);
        enricher->close(enricher_ctx);
    }
    if (strstr(which, "cld2") != NULL) {
        evaluate("cld2 (first 1024 bytes, unreliable -> und)", detect_cld2,
                 items, n, verbose);
    }
    if (strstr(which, "textcat-script") != NULL) {
        load_script_passes(tc_dir);
        evaluate("textcat by script (first 512 bytes)", detect_textcat_script,
                 items, n, verbose);
    }
    if (strstr(which, "textcat-all") != NULL) {
        snprintf(conf, sizeof(conf), "%s/fpdb.conf", tc_dir);
        snprintf(prefix, sizeof(prefix), "%s/", tc_dir);
        tc_all = special_textcat_Init(conf, prefix);
        textcat_SetProperty(tc_all, TCPROP_UTF8AWARE, TC_TRUE);
        tc_all_cands = textcat_GetClassifyFullOutput(tc_all);
        evaluate("textcat, all profiles (first 1024 bytes)", detect_textcat_all,
                 items, n, verbose);
    }
    for (i = 0; i < n; i++) {
        free(items[i].text);
    }
    free(items);
    wh_config_free(cfg);
    return 0;
}
