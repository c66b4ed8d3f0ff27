/*
 * test_extract.c - the extraction module: fixtures by page pattern (each
 * tests/data/extract/<pattern>.html with the expected body text .txt and
 * record .json beside it), charsets, and bad input of every kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "extract.h"
#include "test_files.h"
#include "wh/record.h"
#include "wh/wh.h"

struct fixture {
    const char *name;
    const char *url;
};

/* The seed-like page is the demo's sample page; its expected text and
 * record stay beside the other fixtures. */
#define SEED_PAGE "examples/site/2014/12/22/obama-china-nork-hack.html"

/* One fixture per page pattern (issue 3, item 7). */
static const struct fixture fixtures[] = {
    {"seed-like", "https://www.example-news.test/2014/12/22/"
                  "obama-china-nork-hack/"},
    {"wire-dateline", "https://www.example-news.test/business/"
                      "kenya-rates-hold-idUSKBN2026"},
    {"jsonld-dates", "https://www.example-news.test/community/"
                     "library-of-things"},
    {"live-blog", "https://www.example-news.test/live/storm-imogen"},
    {"windows-1252", "http://gazette.example-news.test/news/"
                     "cafe-rents.html"},
    {"shift-jis", "https://www.example-news.test/ja/local/bus-fares"},
    {"paywall-teaser", "https://business.example-news.test/industry/"
                       "battery-plant-race"},
    {"photo-gallery", "https://www.example-news.test/in-pictures/"
                      "first-snow"},
    {"comments", "https://opinion.example-news.test/2026/06/02/"
                 "second-bridge/"},
    {"related-longer", "https://coast.example-news.test/news/ferry-fares"},
    /* broken markup: two pages pasted together (two <html>/<body>), and
     * an unclosed <title> that swallows the page */
    {"two-pages", "http://www.valley-news.test/news/footbridge.php"},
    {"open-title", "http://gazette.example-port.test/news/dredging.html"},
    /* the rest of the story in a "read-more" box, anchored subheads */
    {"read-more", "https://www.example-travel.test/rail/night-trains"},
    /* a paywalled teaser printed twice, with a reprint notice and a
     * "Like this:" box */
    {"teaser-twice", "https://markets.example-daily.test/property/"
                     "short-term-rentals"},
    /* every paragraph of a photo post inside a "caption-image" box */
    {"caption-wrapped", "https://diary.example-maker.test/2026/04/"
                        "spring-fair/"},
};

static char *data_path(const char *name, const char *ext)
{
    const char *src = getenv("WH_SRCDIR");

    if (strcmp(name, "seed-like") == 0 && strcmp(ext, ".html") == 0) {
        return wh_xasprintf("%s/" SEED_PAGE, src != NULL ? src : "../..");
    }
    return wh_xasprintf("%s/tests/data/extract/%s%s",
                        src != NULL ? src : "../..", name, ext);
}

/* Is s valid UTF-8 (no overlongs, surrogates or values past U+10FFFF)? */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        size_t n;
        uint32_t cp;

        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xC2 && *p <= 0xDF) {
            n = 1;
            cp = *p & 0x1F;
        } else if (*p >= 0xE0 && *p <= 0xEF) {
            n = 2;
            cp = *p & 0x0F;
        } else if (*p >= 0xF0 && *p <= 0xF4) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return 0;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            return 0;
        }
        p += n + 1;
    }
    return 1;
}

static const json_t *body_of(const json_t *doc, const char *ctype)
{
    const json_t *bodies = json_object_get(doc, "bodies");

    for (size_t i = 0; i < json_array_size(bodies); i++) {
        const json_t *b = json_array_get(bodies, i);
        const char *ct = json_string_value(json_object_get(b, "contentType"));

        if (ct != NULL && strcmp(ct, ctype) == 0) {
            return json_object_get(b, "value");
        }
    }
    return NULL;
}

/* Every member of want must be in got with the same value; for the
 * "wirehose" object, member by member (volatile ones are not in the
 * expected files); "bodies" compares the html body. */
static void assert_record_matches(const char *name, const json_t *got,
                                  const json_t *want)
{
    const char *key;
    const json_t *val;

    json_object_foreach ((json_t *)want, key, val) {
        const json_t *g = json_object_get(got, key);

        if (strcmp(key, "bodies") == 0) {
            const json_t *wh = body_of(want, "text/html");
            const json_t *gh = body_of(got, "text/html");

            if (wh != NULL && (gh == NULL || !json_equal(gh, wh))) {
                fail_msg("%s: html body differs:\n got: %s\nwant: %s", name,
                         gh != NULL ? json_string_value(gh) : "(none)",
                         json_string_value(wh));
            }
            continue;
        }
        if (strcmp(key, WH_RECORD_EXT) == 0 && json_is_object(val)) {
            assert_record_matches(name, g, val);
            continue;
        }
        if (g == NULL || !json_equal(g, val)) {
            char *gs = g != NULL ? json_dumps(g, JSON_ENCODE_ANY) : NULL;
            char *ws = json_dumps(val, JSON_ENCODE_ANY);

            fail_msg("%s: member %s differs: got %s, want %s", name, key,
                     gs != NULL ? gs : "(absent)", ws);
        }
    }
}

static void run_fixture(const struct fixture *fx)
{
    char *html_path = data_path(fx->name, ".html");
    char *txt_path = data_path(fx->name, ".txt");
    char *json_path = data_path(fx->name, ".json");
    size_t hlen = 0;
    size_t tlen = 0;
    size_t jlen = 0;
    char *html = test_read_file(html_path, &hlen);
    char *txt = test_read_file(txt_path, &tlen);
    char *jtxt = test_read_file(json_path, &jlen);
    char err[256] = "";
    struct wh_article *art;
    struct wh_record *rec;
    json_t *got;
    json_t *want;
    json_error_t jerr;

    if (html == NULL || txt == NULL || jtxt == NULL) {
        fail_msg("%s: cannot read the fixture files (%s)", fx->name, html_path);
        return;
    }
    art = wh_extract(html, hlen, fx->url, NULL, err, sizeof(err));
    if (art == NULL) {
        fail_msg("%s: %s", fx->name, err);
        return;
    }
    /* the .txt is what wirehose-extract --text prints: body + "\n" */
    while (tlen > 0 && txt[tlen - 1] == '\n') {
        txt[--tlen] = '\0';
    }
    if (strcmp(art->body_text, txt) != 0) {
        fail_msg("%s: body text differs:\n got: %s\nwant: %s", fx->name,
                 art->body_text, txt);
    }
    assert_true(valid_utf8(art->body_text));
    assert_true(valid_utf8(art->body_html));
    rec = wh_record_new();
    wh_article_to_record(art, fx->url, rec);
    got = wh_record_to_json(rec);
    want = json_loadb(jtxt, jlen, 0, &jerr);
    if (want == NULL) {
        fail_msg("%s: bad expected JSON: %s", fx->name, jerr.text);
        return;
    }
    assert_string_equal(json_string_value(body_of(got, "text/plain")),
                        art->body_text);
    assert_record_matches(fx->name, got, want);
    json_decref(want);
    json_decref(got);
    wh_record_free(rec);
    wh_article_free(art);
    free(html);
    free(txt);
    free(jtxt);
    free(html_path);
    free(txt_path);
    free(json_path);
}

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < WH_ARRAY_SIZE(fixtures); i++) {
        run_fixture(&fixtures[i]);
    }
}

/* The seed-like page: exact headline and standfirst, every seed
 * paragraph in the body, no chrome. */
static void test_seed_page(void **state)
{
    static const char *const chrome[] = {"This article is more than",
                                         "More about",
                                         "Send us news",
                                         "Other stories you might like",
                                         "Advertisement",
                                         "\xc2\xae",
                                         "Sony saga",
                                         "Now Obama seeks",
                                         "Share on",
                                         "cookies",
                                         "Copyright",
                                         "Most read",
                                         "comments",
                                         NULL};
    char *path = data_path("seed-like", ".html");
    size_t len = 0;
    char *html = test_read_file(path, &len);
    char err[256] = "";
    struct wh_article *art;

    (void)state;
    assert_non_null(html);
    art = wh_extract(html, len, NULL, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_string_equal(art->headline, "Now Obama seeks China's help to halt "
                                       "alleged Nork HACK ATTACKS");
    assert_string_equal(art->description,
                        "Sony saga: Kim Jong Un threatens 'cyber warfare'");
    assert_string_equal(art->byline, "Joan Smedley");
    assert_string_equal(art->published, "2014-12-22T10:03:00Z");
    assert_int_equal(art->published_from, WH_PROV_JSONLD);
    assert_string_equal(art->canonical_url,
                        "https://www.example-news.test/2014/12/22/"
                        "obama-china-nork-hack/");
    for (size_t i = 0; chrome[i] != NULL; i++) {
        if (strstr(art->body_text, chrome[i]) != NULL) {
            fail_msg("chrome line in the body: %s", chrome[i]);
        }
    }
    assert_non_null(strstr(art->body_text, "US president Barack Obama has "
                                           "looked"));
    assert_non_null(strstr(art->body_text, "did label the attack a "
                                           "\"righteous deed\"."));
    assert_non_null(strstr(art->body_html, "<blockquote><p>I think it was"));
    /* links made absolute against the canonical URL */
    assert_non_null(strstr(art->body_html,
                           "href=\"https://www.example-news.test/2014/12/20/"
                           "sony_boss_blames_cinemas/\""));
    wh_article_free(art);
    free(html);
    free(path);
}

static struct wh_article *extract_str(const char *html, const char *cs,
                                      char *err, size_t errsz)
{
    struct wh_extract_opts opts = {0, cs};

    return wh_extract(html, strlen(html), NULL, &opts, err, errsz);
}

#define PARA                                                                   \
    "<p>This is a paragraph of ordinary article text, long enough "            \
    "to count as content, with a comma, and another one.</p>"

static void test_charsets(void **state)
{
    char err[256];
    struct wh_article *art;
    char *doc;

    (void)state;
    /* UTF-8 BOM */
    doc = wh_xasprintf("\xef\xbb\xbf<html><body><p>caf\xc3\xa9 na\xc3\xafve"
                       " text, in a sentence.</p>%s%s</body></html>",
                       PARA, PARA);
    art = extract_str(doc, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "caf\xc3\xa9 na\xc3\xafve"));
    wh_article_free(art);
    free(doc);
    /* <meta charset> naming windows-1252, bytes in windows-1252 */
    doc = wh_xasprintf("<html><head><meta charset=\"windows-1252\"></head>"
                       "<body><p>\x93quoted\x94 caf\xe9 \x80 5.</p>%s%s"
                       "</body></html>",
                       PARA, PARA);
    art = extract_str(doc, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "\xe2\x80\x9cquoted\xe2\x80\x9d "
                                           "caf\xc3\xa9 \xe2\x82\xac 5"));
    wh_article_free(art);
    /* the HTTP charset wins over the meta tag */
    free(doc);
    doc = wh_xasprintf("<html><head><meta charset=\"utf-8\"></head>"
                       "<body><p>caf\xe9 au lait.</p>%s%s</body></html>",
                       PARA, PARA);
    art = extract_str(doc, "ISO-8859-1", err, sizeof(err));
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "caf\xc3\xa9 au lait"));
    wh_article_free(art);
    /* declared UTF-8 with invalid bytes: replaced, never passed on */
    art = extract_str(doc, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_true(valid_utf8(art->body_text));
    assert_non_null(strstr(art->body_text, "caf\xef\xbf\xbd au lait"));
    wh_article_free(art);
    free(doc);
    /* http-equiv with Shift_JIS */
    doc = wh_xasprintf("<html><head><meta http-equiv=\"Content-Type\" "
                       "content=\"text/html; charset=Shift_JIS\"></head>"
                       "<body><p>\x93\xfa\x96\x7b\x8c\xea.</p>%s%s</body>"
                       "</html>",
                       PARA, PARA);
    art = extract_str(doc, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
                                           "\x9e"));
    wh_article_free(art);
    free(doc);
    /* no declaration, not UTF-8: sniffed as windows-1252 */
    doc = wh_xasprintf("<html><body><p>na\xefve r\xe9sum\xe9.</p>%s%s</body>"
                       "</html>",
                       PARA, PARA);
    art = extract_str(doc, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_non_null(
        strstr(art->body_text, "na\xc3\xafve r\xc3\xa9sum\xc3\xa9"));
    wh_article_free(art);
    free(doc);
}

static void test_utf16_bom(void **state)
{
    static const char ascii[] = "<html><body><p>This is a paragraph of "
                                "text, long enough to count, in UTF-16 with "
                                "a byte order mark, and more words.</p>"
                                "</body></html>";
    size_t n = strlen(ascii);
    char *doc = wh_xmalloc(2 + 2 * n);
    char err[256];
    struct wh_article *art;

    (void)state;
    doc[0] = (char)0xFF;
    doc[1] = (char)0xFE;
    for (size_t i = 0; i < n; i++) {
        doc[2 + 2 * i] = ascii[i];
        doc[3 + 2 * i] = '\0';
    }
    art = wh_extract(doc, 2 + 2 * n, NULL, NULL, err, sizeof(err));
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "in UTF-16 with a byte order"));
    wh_article_free(art);
    free(doc);
}

/* Builds a page of depth nested <tag> elements around an article. */
static char *nested(const char *tag, size_t depth)
{
    size_t tl = strlen(tag);
    size_t cap = depth * (2 * tl + 5) + 4096;
    char *s = wh_xmalloc(cap);
    size_t o = 0;

    o += (size_t)snprintf(s + o, cap - o, "<html><body>");
    for (size_t i = 0; i < depth; i++) {
        o += (size_t)snprintf(s + o, cap - o, "<%s>", tag);
    }
    o += (size_t)snprintf(s + o, cap - o, "%s%s", PARA, PARA);
    for (size_t i = 0; i < depth; i++) {
        o += (size_t)snprintf(s + o, cap - o, "</%s>", tag);
    }
    snprintf(s + o, cap - o, "</body></html>");
    return s;
}

static void test_bad_input(void **state)
{
    char err[256];
    struct wh_article *art;
    struct wh_extract_opts small = {64, NULL};
    static const char *const no_article[] = {
        "<html><head><title>t</title></head></html>",
        "<frameset><frame src=\"a.html\"><frame src=\"b.html\"></frameset>",
        "<html><body><script>document.write('<p>" PARA "</p>')</script>"
        "</body></html>",
        "<html><body><nav><a href=/>Home</a></nav></body></html>",
        "just some text without any markup at all, which is not a page",
        NULL};
    char *doc;

    (void)state;
    err[0] = '\0';
    assert_null(wh_extract(NULL, 0, NULL, NULL, err, sizeof(err)));
    assert_string_equal(err, "empty page");
    assert_null(wh_extract("<p>x</p>", 0, NULL, NULL, err, sizeof(err)));
    for (size_t i = 0; no_article[i] != NULL; i++) {
        err[0] = '\0';
        art = extract_str(no_article[i], NULL, err, sizeof(err));
        assert_null(art);
        assert_true(err[0] != '\0');
    }
    /* too large for the configured maximum */
    doc = wh_xasprintf("<html><body>%s%s</body></html>", PARA, PARA);
    art = wh_extract(doc, strlen(doc), NULL, &small, err, sizeof(err));
    assert_null(art);
    assert_non_null(strstr(err, "too large"));
    free(doc);
    /* binary */
    {
        char bin[4096];
        uint32_t x = 12345;

        for (size_t i = 0; i < sizeof(bin); i++) {
            x = x * 1103515245u + 12345u;
            bin[i] = (char)(x >> 16);
        }
        bin[10] = '\0';
        art = wh_extract(bin, sizeof(bin), NULL, NULL, err, sizeof(err));
        assert_null(art);
        assert_non_null(strstr(err, "binary"));
    }
    /* 10,000 levels deep: a result or a clear "no article", fast */
    doc = nested("div", 10000);
    art = extract_str(doc, NULL, err, sizeof(err));
    if (art == NULL) {
        assert_string_equal(err, "no article found");
    }
    wh_article_free(art);
    free(doc);
    doc = nested("b", 10000);
    art = extract_str(doc, NULL, err, sizeof(err));
    wh_article_free(art);
    free(doc);
    /* no <body>, unclosed everything */
    art = extract_str("<p>" PARA PARA "<div><table><tr><td><p>" PARA, NULL, err,
                      sizeof(err));
    assert_non_null(art);
    assert_true(valid_utf8(art->body_text));
    wh_article_free(art);
}

/* Random tag soup and random bytes: never a crash, output valid UTF-8. */
static void test_fuzz(void **state)
{
    static const char *const pieces[] = {"<div>",
                                         "</div>",
                                         "<p>",
                                         "</p>",
                                         "<a href='x'>",
                                         "</a>",
                                         "<br>",
                                         "<table><tr><td>",
                                         "</td></tr></table>",
                                         "<script>",
                                         "</script>",
                                         "<!--",
                                         "-->",
                                         "<h2>",
                                         "</h2>",
                                         "<li>",
                                         "<ul class=comments>",
                                         "text, words here and there. ",
                                         "caf\xc3\xa9 ",
                                         "\xff\xfe",
                                         "&amp;",
                                         "&#0;",
                                         "&#x110000;",
                                         "<blockquote>",
                                         "<![CDATA[",
                                         "]]>",
                                         "<p/>",
                                         "<meta charset=shift_jis>",
                                         "\xe2\x80",
                                         "<article>",
                                         "\x00",
                                         "<"};
    uint32_t x = 42;
    char err[256];

    (void)state;
    for (int round = 0; round < 300; round++) {
        char buf[6000];
        size_t n = 0;

        while (n < sizeof(buf) - 64) {
            const char *p;
            size_t pl;

            x = x * 1664525u + 1013904223u;
            p = pieces[(x >> 8) % WH_ARRAY_SIZE(pieces)];
            pl = p[0] == '\0' ? 1 : strlen(p);
            memcpy(buf + n, p, pl);
            n += pl;
            if ((x >> 24) % 97 == 0) {
                break;
            }
        }
        {
            struct wh_article *art =
                wh_extract(buf, n, "http://h/", NULL, err, sizeof(err));

            if (art != NULL) {
                assert_true(valid_utf8(art->body_text));
                assert_true(valid_utf8(art->body_html));
                wh_article_free(art);
            }
        }
    }
}

static void test_prov_names(void **state)
{
    (void)state;
    assert_string_equal(wh_prov_name(WH_PROV_JSONLD), "jsonld");
    assert_string_equal(wh_prov_name(WH_PROV_META), "meta");
    assert_string_equal(wh_prov_name(WH_PROV_TIME), "time");
    assert_string_equal(wh_prov_name(WH_PROV_URL), "url");
    assert_string_equal(wh_prov_name(WH_PROV_TEXT), "text");
    assert_string_equal(wh_prov_name(WH_PROV_MARKUP), "markup");
    assert_string_equal(wh_prov_name(WH_PROV_NONE), "none");
}

/* Dates from the URL pattern when nothing better exists; the record keeps
 * fields the caller set before. */
static void test_url_date_and_record(void **state)
{
    char err[256];
    const char *html =
        "<html><body><h1>A headline here</h1>" PARA PARA "</body></html>";
    struct wh_article *art =
        wh_extract(html, strlen(html), "https://n.test/2021/03/04/story", NULL,
                   err, sizeof(err));
    struct wh_record *rec;

    (void)state;
    assert_non_null(art);
    assert_string_equal(art->published, "2021-03-04T00:00:00Z");
    assert_int_equal(art->published_from, WH_PROV_URL);
    assert_string_equal(art->headline, "A headline here");
    assert_int_equal(art->headline_from, WH_PROV_MARKUP);
    rec = wh_record_new();
    rec->headline = wh_xstrdup("From the feed");
    wh_article_to_record(art, "https://n.test/2021/03/04/story", rec);
    assert_string_equal(rec->headline, "From the feed");
    assert_string_equal(rec->uri, "https://n.test/2021/03/04/story");
    assert_string_equal(rec->first_created, "2021-03-04T00:00:00Z");
    assert_non_null(rec->content_hash);
    assert_string_equal(rec->extractor_version, WH_EXTRACTOR_VERSION);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(rec->ext, "fieldSources"), "firstCreated")),
        "url");
    wh_record_free(rec);
    wh_article_free(art);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_page),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_charsets),
        cmocka_unit_test(test_utf16_bom),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_prov_names),
        cmocka_unit_test(test_url_date_and_record),
    };

    wh_extract_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
