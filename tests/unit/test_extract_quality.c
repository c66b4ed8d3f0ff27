/*
 * test_extract_quality.c - the per-source extraction figures: shares and
 * median over the latest pages only, one window per source, the gauges
 * in the registry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"
#include "quality.h"
#include "wh/metrics.h"
#include "wh/wh.h"

/* A page as the extractor would give it: words of body, and a byline,
 * headline and date when full. */
static void page(struct wh_article *art, int full, size_t words)
{
    memset(art, 0, sizeof(*art));
    art->headline = full ? "A headline" : NULL;
    art->byline = full ? "Ann Example" : NULL;
    art->published = full ? "2026-03-01T09:00:00Z" : NULL;
    art->body_words = words;
    art->confidence = full ? 1.0 : 0.25;
}

static void test_window(void **state)
{
    struct wh_quality *q = wh_quality_new(NULL);
    struct wh_quality_stats st;
    struct wh_article art;

    (void)state;
    assert_int_equal(wh_quality_get(q, "a", &st), -1);
    assert_int_equal(st.pages, 0);
    for (int i = 0; i < WH_QUALITY_WINDOW; i++) {
        page(&art, 1, 300);
        wh_quality_add(q, "a", &art);
    }
    wh_quality_add(q, "b", NULL); /* a page with no article */
    assert_int_equal(wh_quality_get(q, "a", &st), 0);
    assert_int_equal(st.pages, WH_QUALITY_WINDOW);
    assert_true(st.body == 1.0 && st.byline == 1.0 && st.low_confidence == 0);
    assert_true(st.median_words == 300);
    /* half the window from a new template: the old pages roll out */
    for (int i = 0; i < WH_QUALITY_WINDOW / 2; i++) {
        page(&art, 0, 20);
        wh_quality_add(q, "a", &art);
    }
    assert_int_equal(wh_quality_get(q, "a", &st), 0);
    assert_int_equal(st.pages, WH_QUALITY_WINDOW);
    assert_true(st.body == 0.5 && st.headline == 0.5 && st.date == 0.5);
    assert_true(st.low_confidence == 0.5);
    assert_true(st.median_words == (20 + 300) / 2.0);
    for (int i = 0; i < WH_QUALITY_WINDOW; i++) {
        page(&art, 0, 20);
        wh_quality_add(q, "a", &art);
    }
    assert_int_equal(wh_quality_get(q, "a", &st), 0);
    assert_true(st.body == 0 && st.low_confidence == 1.0);
    assert_true(st.median_words == 20);
    /* the other source kept its own window */
    assert_int_equal(wh_quality_get(q, "b", &st), 0);
    assert_true(st.pages == 1 && st.body == 0 && st.low_confidence == 1.0);
    wh_quality_add(NULL, "a", &art); /* no tracker: nothing */
    wh_quality_free(q);
    wh_quality_free(NULL);
}

static void test_gauges(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_quality *q = wh_quality_new(reg);
    struct wh_article art;
    char *text;

    (void)state;
    page(&art, 1, 120);
    wh_quality_add(q, "site", &art);
    page(&art, 0, 10);
    wh_quality_add(q, "site", &art);
    text = wh_metrics_render(reg, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "wirehose_extraction_share{source=\"site\","
                                 "field=\"body\"} 0.5\n"));
    assert_non_null(strstr(text, "wirehose_extraction_share{source=\"site\","
                                 "field=\"low_confidence\"} 0.5\n"));
    assert_non_null(strstr(
        text, "wirehose_extraction_body_words_median{source=\"site\"} 65\n"));
    assert_non_null(
        strstr(text, "wirehose_extraction_window_pages{source=\"site\"} 2\n"));
    free(text);
    wh_quality_free(q);
    wh_metrics_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_gauges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
