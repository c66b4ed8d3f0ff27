/*
 * test_extract_modes.c - one pattern page per extraction failure mode
 * (docs/extraction.md, "Failure modes"): tests/data/extract/modes/
 * <name>.html with the expected body text <name>.txt beside it. The pages
 * are written for the tests, not copied from any site; each fails without
 * the rule that fixed its mode.
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
#include "test_files.h"
#include "wh/buf.h"
#include "wh/wh.h"

struct mode_fixture {
    const char *name; /* file name under tests/data/extract/modes/ */
    const char *mode; /* the failure mode it stands for */
};

static const struct mode_fixture fixtures[] = {
    {"small-named-boxes", "wrong container: one-line teaser boxes whose "
                          "class says \"text\" outvote the article"},
    {"author-box", "boilerplate kept: the author's bio box after the story"},
    {"results-table", "table dropped: a results table keeps its names but "
                      "loses its figures"},
    {"flat-comments", "comments kept: a flat run of comment texts, each "
                      "followed by a \"Posted by\" line, named like "
                      "article text"},
    {"slideshow-captions", "wrong container: the long captions of a "
                           "slideshow (\"3/10 Title\") outvote the story"},
    {"standfirst-lead", "article cut: the lead paragraph, in a \"standfirst\" "
                        "element inside the story, dropped as boilerplate"},
    {"comment-notice", "comments kept: the comments after a moderation "
                       "notice (\"Some comments posted here may be "
                       "reviewed...\") in the story's own box"},
    {"breadcrumb", "boilerplate kept: a breadcrumb trail (\"Home / Local "
                   "news / ...\") as the story's first line"},
    {"blog-footer", "boilerplate kept: a blog engine's \"This entry was "
                    "posted on ... and is filed under ...\" line"},
    {"media-label", "boilerplate kept: a media widget's label (\"Video\", "
                    "\"Photo gallery:\") alone between paragraphs"},
    {"announced-list", "list dropped: a list the text announces (\"Other "
                       "deals:\") goes as a link list"},
    {"linked-prose", "article cut: list items and sentences written "
                     "around links (\"Title - why it is worth reading\") "
                     "go as a link list"},
    {"not-a-byline", "article cut: sentences that start like a byline "
                     "(\"By roasting ...\", \"Updated ovens ...\") and "
                     "ingredient lines (\"150g (5oz) ...\") taken for "
                     "byline and date lines"},
    {"teaser-bylines", "teasers kept: blurbs under other stories' headline "
                       "links, with a byline line between the link and "
                       "the blurb, inside the story's container"},
    {"dont-miss", "teasers kept: a \"Don't miss\" box of other stories "
                  "inside the story's container"},
    {"linked-photo-post", "wrong container: a post of linked pictures "
                          "loses to an article-named comment body, its "
                          "links costing it more than the comments' name"},
    {"prefixed-author-box", "boilerplate kept: an author's bio box whose "
                            "class puts a plugin prefix before "
                            "\"about-author\""},
    {"boxed-lead", "article cut: the lead paragraph in a <div> of its "
                   "own right before the story's container"},
    {"camel-ads", "boilerplate kept: text ads inside the story, in a box "
                  "whose id ends in a camel-case \"Ads\" "
                  "(\"storyTextAds\")"},
    {"comments-closed", "comments kept: the comments after a \"Thanks "
                        "for your comments - ... now closed\" notice in "
                        "the story's own box"},
    {"reblog-notes", "boilerplate kept: a reblogging platform's notes "
                     "under the post (\"name liked this\", \"name "
                     "reblogged this from name\")"},
    {"utility-classes", "wrong container: a short about-us box styled "
                        "\"text-center text-muted\" earns the article-name "
                        "bonus for the \"text\" in its utility classes"},
};

/* fixtures whose story is a few lines beside comments: right to be
 * extracted with a low confidence */
static const char *const short_posts[] = {"linked-photo-post", NULL};

static int is_short_post(const char *name)
{
    for (size_t i = 0; short_posts[i] != NULL; i++) {
        if (strcmp(short_posts[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* one paragraph of article text */
#define PARA                                                                   \
    "<p>The central bank kept its main rate unchanged on Tuesday, saying "     \
    "that inflation had eased for a third month but that wages were still "    \
    "rising faster than it would like, and that it would look again at the "   \
    "rate in March when the new figures for the winter are published.</p>"

static char *mode_path(const char *name, const char *ext)
{
    const char *src = getenv("WH_SRCDIR");

    return wh_xasprintf("%s/tests/data/extract/modes/%s%s",
                        src != NULL ? src : "../..", name, ext);
}

static void run_mode(const struct mode_fixture *fx)
{
    char *html_path = mode_path(fx->name, ".html");
    char *txt_path = mode_path(fx->name, ".txt");
    size_t hlen = 0;
    size_t tlen = 0;
    char *html = test_read_file(html_path, &hlen);
    char *txt = test_read_file(txt_path, &tlen);
    char err[256] = "";
    struct wh_article *art = NULL;

    if (html == NULL || txt == NULL) {
        fail_msg("%s: cannot read the fixture files (%s)", fx->name, html_path);
        goto out;
    }
    art = wh_extract(html, hlen, NULL, NULL, err, sizeof(err));
    if (art == NULL) {
        fail_msg("%s (%s): %s", fx->name, fx->mode, err);
        goto out;
    }
    /* the .txt is what wirehose-extract --text prints: body + "\n" */
    while (tlen > 0 && txt[tlen - 1] == '\n') {
        txt[--tlen] = '\0';
    }
    if (strcmp(art->body_text, txt) != 0) {
        fail_msg("%s (%s): body text differs:\n got: %s\nwant: %s", fx->name,
                 fx->mode, art->body_text, txt);
    }
    /* each fixed page is a clean story: trusted, on no fallback; a
     * short post is right to be doubted (few words, comments beside) */
    if (art->confidence > 1 ||
        (!is_short_post(fx->name) &&
         (art->confidence < WH_EXTRACT_LOW_CONFIDENCE ||
          (art->weak & WH_EXTRACT_WEAK_FALLBACK) != 0))) {
        fail_msg("%s: confidence %.2f (weak signals %#x)", fx->name,
                 art->confidence, art->weak);
    }
out:
    wh_article_free(art);
    free(html);
    free(txt);
    free(html_path);
    free(txt_path);
}

static void test_modes(void **state)
{
    (void)state;
    for (size_t i = 0; i < WH_ARRAY_SIZE(fixtures); i++) {
        run_mode(&fixtures[i]);
    }
}

/* A page that lost its article markup: one short line among menus of
 * links. Low confidence, and it says why. */
static void test_confidence_low(void **state)
{
    static const char page[] =
        "<html><body><div><a href=/a>Home</a> <a href=/b>News</a> "
        "<a href=/c>Sport</a> <a href=/d>Weather</a></div>"
        "<div>The council met on Tuesday and agreed the plan.</div>"
        "<ul><li><a href=/1>Another story about the council</a></li>"
        "<li><a href=/2>A story about the harbour and its boats</a></li>"
        "</ul></body></html>";
    char err[256] = "";
    struct wh_article *art =
        wh_extract(page, sizeof(page) - 1, NULL, NULL, err, sizeof(err));

    (void)state;
    assert_non_null(art);
    assert_true(art->confidence < WH_EXTRACT_LOW_CONFIDENCE);
    assert_true(art->confidence >= 0.0);
    assert_true((art->weak & WH_EXTRACT_WEAK_SHORT) != 0);
    assert_string_equal(wh_extract_weak_name(WH_EXTRACT_WEAK_SHORT),
                        "short-body");
    assert_string_equal(wh_extract_weak_name(WH_EXTRACT_WEAK_LINKS),
                        "link-density");
    assert_string_equal(wh_extract_weak_name(WH_EXTRACT_WEAK_RIVAL),
                        "competing-containers");
    assert_string_equal(wh_extract_weak_name(WH_EXTRACT_WEAK_FALLBACK),
                        "fallback");
    assert_null(wh_extract_weak_name(0x100));
    wh_article_free(art);
}

/* A "byline" box that holds only a date, or the site's toolbar, names
 * nobody (the dev set had "Jan." and "Login Register Log-out"). */
static void test_byline_not_date_nor_toolbar(void **state)
{
    static const char *const pages[] = {
        "<html><body><h1>Rates held</h1><div class=\"byline\"><span>Jan. 7, "
        "2008</span></div>" PARA "</body></html>",
        "<html><body><div class=\"author\"><a href=\"/u\">Login</a> "
        "<a href=\"/r\">Register</a> <a href=\"/o\">Log-out</a></div>"
        "<h1>Rates held</h1>" PARA "</body></html>",
        NULL};

    (void)state;
    for (size_t i = 0; pages[i] != NULL; i++) {
        char err[256] = "";
        struct wh_article *art = wh_extract(pages[i], strlen(pages[i]), NULL,
                                            NULL, err, sizeof(err));

        assert_non_null(art);
        if (art->byline != NULL) {
            fail_msg("page %zu: byline \"%s\"", i, art->byline);
        }
        wh_article_free(art);
    }
}

/* A story nested deeper than libxml2's 256 levels is found (the page is
 * parsed again without the limit); a page that is nothing but nesting
 * fails cleanly. */
static void test_deep_page(void **state)
{
    struct wh_buf b;
    char err[256] = "";
    struct wh_article *art;

    (void)state;
    wh_buf_init(&b, 0);
    wh_buf_puts(&b, "<html><body>");
    for (int i = 0; i < 400; i++) {
        wh_buf_puts(&b, i % 2 == 0 ? "<div>" : "<section>");
    }
    for (int i = 0; i < 4; i++) {
        wh_buf_puts(&b, PARA);
    }
    wh_buf_puts(&b, "</body></html>");
    art = wh_extract(b.data, b.len, NULL, NULL, err, sizeof(err));
    if (art == NULL) {
        fail_msg("deep page: %s", err);
    }
    assert_non_null(strstr(art->body_text, "The central bank kept"));
    assert_true(art->body_words > 150);
    wh_article_free(art);
    wh_buf_free(&b);

    wh_buf_init(&b, 0);
    wh_buf_puts(&b, "<html><body>");
    for (int i = 0; i < 200000; i++) {
        wh_buf_puts(&b, "<div>");
    }
    wh_buf_puts(&b, "x</body></html>");
    art = wh_extract(b.data, b.len, NULL, NULL, err, sizeof(err));
    assert_null(art);
    assert_non_null(strstr(err, "no article found"));
    wh_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_confidence_low),
        cmocka_unit_test(test_byline_not_date_nor_toolbar),
        cmocka_unit_test(test_deep_page),
    };

    wh_extract_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
