/*
 * quality.c - extraction quality per source over its latest pages (see
 * quality.h): a ring of the last WH_QUALITY_WINDOW pages per source, with
 * running counts, and the gauges rewritten after every page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "quality.h"
#include "wh/metrics.h"
#include "wh/wh.h"

/* what one page had (bits of struct ring.flags) */
#define Q_HEADLINE 0x1
#define Q_DATE 0x2
#define Q_BYLINE 0x4
#define Q_BODY 0x8
#define Q_LOW 0x10
#define Q_NFLAGS 5

static const char *const flag_names[Q_NFLAGS] = {"headline", "date", "byline",
                                                 "body", "low_confidence"};

struct ring {
    char *source;
    struct ring *next;
    uint8_t flags[WH_QUALITY_WINDOW];
    uint32_t words[WH_QUALITY_WINDOW];
    size_t head; /* next slot to write */
    size_t n;    /* pages in the window */
    size_t count[Q_NFLAGS];
    /* the series, found once */
    struct wh_metric *share[Q_NFLAGS];
    struct wh_metric *median;
    struct wh_metric *pages;
};

struct wh_quality {
    struct wh_metrics *reg;
    struct ring *rings;
};

static const struct wh_metrics_family families[] = {
    {WH_M_EXTRACTION_SHARE,
     WH_METRICS_GAUGE,
     "Share of a source's latest extracted pages with the field (headline, "
     "date, byline, body of at least 80 words) or with low confidence",
     {"source", "field", NULL},
     NULL,
     0},
    {WH_M_EXTRACTION_WORDS,
     WH_METRICS_GAUGE,
     "Median body words of a source's latest extracted pages",
     {"source", NULL},
     NULL,
     0},
    {WH_M_EXTRACTION_PAGES,
     WH_METRICS_GAUGE,
     "Extracted pages the wirehose_extraction_share and median figures of "
     "a source cover",
     {"source", NULL},
     NULL,
     0},
};

struct wh_quality *wh_quality_new(struct wh_metrics *reg)
{
    struct wh_quality *q = wh_xcalloc(1, sizeof(*q));
    char errstr[256];

    q->reg = reg;
    for (size_t i = 0; reg != NULL && i < WH_ARRAY_SIZE(families); i++) {
        int rc = wh_metrics_declare(reg, &families[i], errstr, sizeof(errstr));

        /* (the names and labels are ours and valid: cannot fail) */
        WH_ASSERT(rc == WH_OK);
    }
    return q;
}

void wh_quality_free(struct wh_quality *q)
{
    struct ring *r;

    if (q == NULL) {
        return;
    }
    r = q->rings;
    while (r != NULL) {
        struct ring *next = r->next;

        free(r->source);
        free(r);
        r = next;
    }
    free(q);
}

static struct ring *find(const struct wh_quality *q, const char *source)
{
    for (struct ring *r = q->rings; r != NULL; r = r->next) {
        if (strcmp(r->source, source) == 0) {
            return r;
        }
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static double median_words(const struct ring *r)
{
    uint32_t sorted[WH_QUALITY_WINDOW];
    size_t mid = r->n / 2; /* the middle slot (the upper one when even) */

    if (r->n == 0) {
        return 0;
    }
    memcpy(sorted, r->words, r->n * sizeof(sorted[0]));
    qsort(sorted, r->n, sizeof(sorted[0]), cmp_u32);
    if (r->n % 2 == 1) {
        return sorted[mid];
    }
    return ((double)sorted[mid - 1] + (double)sorted[mid]) / 2;
}

/* The window is full from its first WH_QUALITY_WINDOW pages on, so slots
 * [0, n) always hold the pages counted. */
static void ring_add(struct ring *r, unsigned flags, uint32_t words)
{
    if (r->n == WH_QUALITY_WINDOW) {
        for (int k = 0; k < Q_NFLAGS; k++) {
            if ((r->flags[r->head] & (1u << k)) != 0) {
                r->count[k]--;
            }
        }
    } else {
        r->n++;
    }
    r->flags[r->head] = (uint8_t)flags;
    r->words[r->head] = words;
    r->head = (r->head + 1) % WH_QUALITY_WINDOW;
    for (int k = 0; k < Q_NFLAGS; k++) {
        if ((flags & (1u << k)) != 0) {
            r->count[k]++;
        }
    }
}

static unsigned page_flags(const struct wh_article *art)
{
    unsigned f = 0;

    if (art == NULL) {
        return Q_LOW;
    }
    if (art->headline != NULL && art->headline[0] != '\0') {
        f |= Q_HEADLINE;
    }
    if (art->published != NULL || art->modified != NULL) {
        f |= Q_DATE;
    }
    if (art->byline != NULL && art->byline[0] != '\0') {
        f |= Q_BYLINE;
    }
    if (art->body_words >= WH_QUALITY_BODY_WORDS) {
        f |= Q_BODY;
    }
    if (art->confidence < WH_EXTRACT_LOW_CONFIDENCE) {
        f |= Q_LOW;
    }
    return f;
}

static void publish(struct wh_quality *q, struct ring *r)
{
    if (q->reg == NULL) {
        return;
    }
    if (r->pages == NULL) {
        for (int k = 0; k < Q_NFLAGS; k++) {
            r->share[k] =
                wh_metrics_get(q->reg, WH_M_EXTRACTION_SHARE,
                               WH_METRICS_LABELS(r->source, flag_names[k]));
        }
        r->median = wh_metrics_get(q->reg, WH_M_EXTRACTION_WORDS,
                                   WH_METRICS_LABELS(r->source));
        r->pages = wh_metrics_get(q->reg, WH_M_EXTRACTION_PAGES,
                                  WH_METRICS_LABELS(r->source));
    }
    for (int k = 0; k < Q_NFLAGS; k++) {
        wh_metrics_set(r->share[k], (double)r->count[k] / (double)r->n);
    }
    wh_metrics_set(r->median, median_words(r));
    wh_metrics_set(r->pages, (double)r->n);
}

void wh_quality_add(struct wh_quality *q, const char *source,
                    const struct wh_article *art)
{
    struct ring *r;
    size_t words = art != NULL ? art->body_words : 0;

    if (q == NULL || source == NULL) {
        return;
    }
    r = find(q, source);
    if (r == NULL) {
        r = wh_xcalloc(1, sizeof(*r));
        r->source = wh_xstrdup(source);
        r->next = q->rings;
        q->rings = r;
    }
    ring_add(r, page_flags(art),
             words > UINT32_MAX ? UINT32_MAX : (uint32_t)words);
    publish(q, r);
}

int wh_quality_get(const struct wh_quality *q, const char *source,
                   struct wh_quality_stats *st)
{
    const struct ring *r = q != NULL && source != NULL ? find(q, source) : NULL;
    double n;

    memset(st, 0, sizeof(*st));
    if (r == NULL || r->n == 0) {
        return -1;
    }
    n = (double)r->n;
    st->pages = r->n;
    st->headline = (double)r->count[0] / n;
    st->date = (double)r->count[1] / n;
    st->byline = (double)r->count[2] / n;
    st->body = (double)r->count[3] / n;
    st->low_confidence = (double)r->count[4] / n;
    st->median_words = median_words(r);
    return 0;
}
