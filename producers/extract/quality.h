/*
 * quality.h - extraction quality per source, over the last pages: the
 * share of pages with a headline, a date, a byline, a body of at least
 * WH_QUALITY_BODY_WORDS words, the share extracted with low confidence,
 * and the median body length. A site whose template changed shows up as
 * a drop. The producer feeds it one extracted page at a time and it keeps
 * the gauges of each source in the metrics registry up to date:
 *
 *   wirehose_extraction_share{source,field}       gauge, 0..1
 *       field: "headline", "date", "byline", "body", "low_confidence"
 *   wirehose_extraction_body_words_median{source} gauge
 *   wirehose_extraction_window_pages{source}      gauge
 *       the pages the figures above are taken over (at most
 *       WH_QUALITY_WINDOW, the latest ones)
 *
 * Not thread-safe: one thread (the producer's loop) calls it.
 */
#ifndef WH_QUALITY_H
#define WH_QUALITY_H

#include <stddef.h>

struct wh_article;
struct wh_metrics;

#define WH_QUALITY_WINDOW 200    /* pages per source the figures cover */
#define WH_QUALITY_BODY_WORDS 80 /* a "body" share counts bodies this long */

#define WH_M_EXTRACTION_SHARE "wirehose_extraction_share"
#define WH_M_EXTRACTION_WORDS "wirehose_extraction_body_words_median"
#define WH_M_EXTRACTION_PAGES "wirehose_extraction_window_pages"

/* One source's figures over its window. */
struct wh_quality_stats {
    size_t pages;                                        /* in the window */
    double headline, date, byline, body, low_confidence; /* shares 0..1 */
    double median_words;
};

/* A new tracker that writes its gauges into reg (borrowed; may be NULL:
 * figures are then kept for wh_quality_get() only). Declares the three
 * families in reg. Free with wh_quality_free() (NULL is a no-op) before
 * reg. */
struct wh_quality *wh_quality_new(struct wh_metrics *reg);
void wh_quality_free(struct wh_quality *q);

/* Counts one page of source (its configured name, copied): art is the
 * extracted article, or NULL when extraction failed (a page with no
 * article: missing in every share, low in low_confidence). What counts
 * is what the page itself gave, not the feed's metadata that may fill
 * the record's gaps later: the feed does not change with the template.
 * Does nothing when q is NULL. */
void wh_quality_add(struct wh_quality *q, const char *source,
                    const struct wh_article *art);

/* Fills *st with source's figures. Returns 0, or -1 (st zeroed) when no
 * page of source was counted. */
int wh_quality_get(const struct wh_quality *q, const char *source,
                   struct wh_quality_stats *st);

#endif
