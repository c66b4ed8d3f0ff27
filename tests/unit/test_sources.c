/*
 * test_sources.c - source kinds: the fixtures of tests/data/feeds (RSS,
 * Atom, RDF, JSON Feed, sitemaps, autodiscovery, wire formats) parsed into
 * items; malformed and hostile input refused with clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define ZLIB_CONST
#include <zlib.h>

#include "content.h"
#include "extract.h"
#include "source.h"
#include "test_files.h"
#include "wh/record.h"
#include "wh/wh.h"

#define BASE "http://example.com/news/feed.xml"

/* Reads tests/data/feeds/<name> into a new buffer. */
static char *fixture(const char *name, size_t *len)
{
    const char *src = getenv("WH_SRCDIR");
    char *path;
    char *data;

    path =
        wh_xasprintf("%s/tests/data/feeds/%s", src != NULL ? src : ".", name);
    data = test_read_file(path, len);
    if (data == NULL) {
        fail_msg("cannot read %s (is WH_SRCDIR set?)", path);
    }
    free(path);
    return data;
}

/* Parses a fixture; NULL with errstr filled on failure. */
static struct wh_feed *parse_fixture(const char *name, char *errstr,
                                     size_t errstr_size)
{
    size_t len;
    char *body = fixture(name, &len);
    struct wh_feed *feed;

    errstr[0] = '\0';
    feed = wh_source_parse(body, len, NULL, BASE, errstr, errstr_size);
    free(body);
    return feed;
}

/* Parses a fixture that must parse: stops the process otherwise (abort()
 * rather than a cmocka failure so that analyzers see feed != NULL). */
static struct wh_feed *must_parse(const char *name)
{
    char err[256];
    struct wh_feed *feed = parse_fixture(name, err, sizeof(err));

    if (feed == NULL) {
        fprintf(stderr, "%s: %s\n", name, err);
        abort();
    }
    return feed;
}

static void test_rss2(void **state)
{
    struct wh_feed *feed = must_parse("rss2.xml");
    const struct wh_feed_item *it;

    (void)state;
    assert_string_equal(feed->kind, "rss");
    assert_string_equal(feed->title, "Example News & Views");
    assert_int_equal(feed->nitems, 3);

    it = &feed->items[0];
    assert_string_equal(it->id, "urn:example:1");
    /* relative link resolved against the feed URL */
    assert_string_equal(it->link,
                        "http://example.com/2014/12/21/first-story.html");
    assert_string_equal(it->title, "First story");
    assert_string_equal(it->summary, "A short summary. Second line.");
    assert_string_equal(it->author, "Jane Doe");
    assert_string_equal(it->published, "2014-12-21T10:00:00Z");
    assert_string_equal(it->updated, "2014-12-21T11:30:00Z");
    assert_int_equal(it->ncategories, 2);
    assert_string_equal(it->categories[0], "World");
    assert_string_equal(it->categories[1], "Security");
    assert_int_equal(it->nmedia, 1);
    assert_string_equal(it->media[0].url, "http://example.com/img/first.jpg");
    assert_string_equal(it->media[0].type, "image/jpeg");
    assert_string_equal(it->media[0].nature, "picture");
    assert_null(it->rec);

    /* permalink guid doubles as the link; author "email (Name)" */
    it = &feed->items[1];
    assert_string_equal(it->id, "http://example.com/second");
    assert_string_equal(it->link, "http://example.com/second");
    assert_string_equal(it->title, "Second <story>");
    assert_string_equal(it->author, "John Smith");
    assert_string_equal(it->published, "2014-12-22T08:15:00Z");
    assert_null(it->updated);
    assert_int_equal(it->ncategories, 0);
    assert_null(it->summary);

    /* missing fields stay NULL; a bare email is no byline; a bad date is
     * dropped */
    it = &feed->items[2];
    assert_null(it->id);
    assert_null(it->link);
    assert_null(it->title);
    assert_string_equal(it->summary, "Only a description, no title or link.");
    assert_null(it->author);
    assert_null(it->published);
    wh_feed_free(feed);
}

static void test_rss091_dtd_not_loaded(void **state)
{
    struct wh_feed *feed = must_parse("rss091.xml");

    (void)state;
    assert_string_equal(feed->kind, "rss");
    assert_int_equal(feed->nitems, 1);
    assert_string_equal(feed->items[0].title, "Caf\xc3\xa9 opens");
    assert_string_equal(feed->items[0].link, "http://example.org/cafe.html");
    assert_string_equal(feed->items[0].summary, "Na\xc3\xafve text");
    wh_feed_free(feed);
}

static void test_rss_latin1(void **state)
{
    struct wh_feed *feed = must_parse("rss092-latin1.xml");

    (void)state;
    assert_int_equal(feed->nitems, 1);
    assert_string_equal(feed->items[0].title, "Caf\xc3\xa9");
    assert_string_equal(feed->items[0].id, "https://example.org/a");
    wh_feed_free(feed);
}

static void test_atom(void **state)
{
    struct wh_feed *feed = must_parse("atom.xml");
    const struct wh_feed_item *it;

    (void)state;
    assert_string_equal(feed->kind, "atom");
    assert_string_equal(feed->title, "Example Atom");
    assert_int_equal(feed->nitems, 3);

    it = &feed->items[0];
    assert_string_equal(it->id, "tag:example.net,2014:1");
    /* rel=alternate type=text/html wins; xml:base of the feed applies */
    assert_string_equal(it->link, "http://example.net/blog/2014/first.html");
    assert_string_equal(it->title, "Atom first entry");
    assert_string_equal(it->summary, "Summary with a link.");
    assert_string_equal(it->author, "Alice, Bob");
    assert_string_equal(it->published, "2014-12-21T15:00:00Z");
    assert_string_equal(it->updated, "2014-12-21T18:30:02Z");
    assert_int_equal(it->ncategories, 2);
    assert_string_equal(it->categories[0], "politics");
    assert_string_equal(it->categories[1], "asia");
    assert_int_equal(it->nmedia, 1);
    assert_string_equal(it->media[0].url,
                        "http://example.net/blog/media/first.mp3");
    assert_string_equal(it->media[0].type, "audio/mpeg");

    /* entry-level xml:base; xhtml content, not a summary; feed author
     * fallback */
    it = &feed->items[1];
    assert_string_equal(it->link, "http://other.example.net/section/page.html");
    assert_null(it->summary);
    assert_non_null(strstr(it->content, "<p>Para one.</p>"));
    assert_string_equal(it->author, "Feed Author");
    assert_null(it->published);
    assert_string_equal(it->updated, "2014-12-22T09:00:00Z");

    /* no link: an http id stands in */
    it = &feed->items[2];
    assert_string_equal(it->link, "http://example.net/blog/third");
    assert_null(it->summary);
    wh_feed_free(feed);
}

static void test_rdf(void **state)
{
    struct wh_feed *feed = must_parse("rss10.rdf");
    const struct wh_feed_item *it;

    (void)state;
    assert_string_equal(feed->kind, "rdf");
    assert_string_equal(feed->title, "RDF Site Summary");
    assert_int_equal(feed->nitems, 2);
    it = &feed->items[0];
    assert_string_equal(it->id, "http://example.org/a1");
    assert_string_equal(it->link, "http://example.com/news/articles/a1.html");
    assert_string_equal(it->title, "First RDF item");
    assert_string_equal(it->summary, "Plain description.");
    assert_string_equal(it->author, "Ann Author, Ben Writer");
    assert_string_equal(it->published, "2014-12-21T07:00:00Z");
    assert_int_equal(it->ncategories, 1);
    assert_string_equal(it->categories[0], "Science");
    it = &feed->items[1];
    assert_string_equal(it->link, "http://example.org/a2");
    assert_null(it->author);
    wh_feed_free(feed);
}

static void test_jsonfeed(void **state)
{
    struct wh_feed *feed = must_parse("feed.json");
    const struct wh_feed_item *it;

    (void)state;
    assert_string_equal(feed->kind, "jsonfeed");
    assert_string_equal(feed->title, "JSON Feed example");
    assert_int_equal(feed->nitems, 3);
    it = &feed->items[0];
    assert_string_equal(it->id, "2");
    assert_string_equal(it->link,
                        "http://example.com/2014/12/21/json-item.html");
    assert_string_equal(it->title, "A JSON item");
    assert_string_equal(it->summary, "Short summary");
    assert_string_equal(it->author, "Jo, Al");
    assert_string_equal(it->published, "2014-12-21T15:00:00Z");
    assert_string_equal(it->updated, "2014-12-21T16:00:00Z");
    assert_int_equal(it->ncategories, 2);
    assert_int_equal(it->nmedia, 1);
    assert_string_equal(it->media[0].url,
                        "http://example.com/news/media/a.mp3");
    assert_string_equal(it->media[0].type, "audio/mpeg");
    /* numeric id, external_url, 1.0 author, content_text made HTML */
    it = &feed->items[1];
    assert_string_equal(it->id, "3");
    assert_string_equal(it->link, "https://other.example/x");
    assert_null(it->summary);
    assert_string_equal(it->content, "<p>Only text</p>");
    assert_string_equal(it->author, "Old Style");
    /* no link; feed author; content_html */
    it = &feed->items[2];
    assert_null(it->link);
    assert_null(it->summary);
    assert_string_equal(it->content, "<p>HTML <i>only</i></p>");
    assert_string_equal(it->author, "Feed Writer");
    wh_feed_free(feed);
}

static void test_jsonfeed_bad(void **state)
{
    static const char *const bodies[] = {
        "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": 3}",
        "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [",
        /* duplicate member */
        "{\"version\": \"https://jsonfeed.org/version/1\", \"a\": 1, \"a\": 2}",
    };
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bodies); i++) {
        struct wh_feed *feed = wh_source_parse(bodies[i], strlen(bodies[i]),
                                               NULL, BASE, err, sizeof(err));

        assert_null(feed);
        assert_non_null(strstr(err, "jsonfeed: "));
    }
}

static void check_sitemap(struct wh_feed *feed)
{
    assert_string_equal(feed->kind, "sitemap");
    assert_int_equal(feed->nitems, 2);
    assert_string_equal(feed->items[0].link,
                        "https://example.com/2014/12/21/page-one.html");
    assert_string_equal(feed->items[0].id, feed->items[0].link);
    assert_string_equal(feed->items[0].updated, "2014-12-21T00:00:00Z");
    assert_string_equal(feed->items[1].link,
                        "http://example.com/relative/page-two.html");
    assert_int_equal(feed->nlinks, 0);
}

static void test_sitemap(void **state)
{
    struct wh_feed *feed;

    (void)state;
    feed = must_parse("sitemap.xml");
    check_sitemap(feed);
    wh_feed_free(feed);
    feed = must_parse("sitemap.xml.gz");
    check_sitemap(feed);
    wh_feed_free(feed);
}

static void test_sitemap_news(void **state)
{
    struct wh_feed *feed = must_parse("sitemap-news.xml");
    const struct wh_feed_item *it;

    (void)state;
    assert_int_equal(feed->nitems, 1);
    it = &feed->items[0];
    assert_string_equal(it->link,
                        "https://example.com/business/article55.html");
    assert_string_equal(it->title, "Companies A, B in Merger Talks");
    assert_string_equal(it->published, "2008-12-23T07:00:00Z");
    assert_int_equal(it->ncategories, 5);
    assert_string_equal(it->categories[0], "business");
    assert_string_equal(it->categories[4], "B");
    wh_feed_free(feed);
}

static void test_sitemap_index(void **state)
{
    struct wh_feed *feed = must_parse("sitemap-index.xml");

    (void)state;
    assert_int_equal(feed->nitems, 0);
    assert_int_equal(feed->nlinks, 2);
    assert_string_equal(feed->links[0], "https://example.com/sitemap1.xml.gz");
    assert_string_equal(feed->links[1], "http://example.com/news/sitemap2.xml");
    wh_feed_free(feed);
}

/* Gzips len bytes of data into a new buffer. */
static unsigned char *gzip_bytes(const void *data, size_t len, size_t *out)
{
    z_stream zs;
    size_t cap = compressBound((uLong)len) + 64;
    unsigned char *buf = wh_xmalloc(cap);

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(
        deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
        Z_OK);
    zs.next_in = (const Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out = cap - zs.avail_out;
    deflateEnd(&zs);
    return buf;
}

static void test_gzip_bomb_and_corrupt(void **state)
{
    size_t big = (size_t)64 * 1024 * 1024;
    char *zeros = wh_xcalloc(1, big);
    unsigned char *gz;
    size_t gz_len;
    char err[256];
    struct wh_feed *feed;

    (void)state;
    memcpy(zeros, "<urlset>", sizeof("<urlset>"));
    gz = gzip_bytes(zeros, big, &gz_len);
    free(zeros);
    assert_true(gz_len < big / 100);
    feed =
        wh_source_parse((const char *)gz, gz_len, NULL, BASE, err, sizeof(err));
    assert_null(feed);
    assert_non_null(strstr(err, "gzip: inflates past"));

    /* cut in the middle */
    feed = wh_source_parse((const char *)gz, gz_len / 2, NULL, BASE, err,
                           sizeof(err));
    assert_null(feed);
    assert_non_null(strstr(err, "gzip: "));
    free(gz);

    feed = wh_source_parse("\x1f\x8bgarbage", 9, NULL, BASE, err, sizeof(err));
    assert_null(feed);
    assert_non_null(strstr(err, "gzip: "));
}

static void test_discover(void **state)
{
    struct wh_feed *feed = must_parse("homepage.html");

    (void)state;
    assert_string_equal(feed->kind, "discover");
    assert_int_equal(feed->nitems, 0);
    assert_int_equal(feed->nlinks, 3);
    /* <base href> applies; only feed types with rel=alternate; head only */
    assert_string_equal(feed->links[0],
                        "http://example.com/base/feeds/all.rss");
    assert_string_equal(feed->links[1], "http://example.com/feeds/all.atom");
    assert_string_equal(feed->links[2], "https://example.com/feed.json");
    wh_feed_free(feed);
}

/* The ninjs JSON of a wire item's record (caller json_decref()s). */
static json_t *wire_json(const struct wh_feed_item *it)
{
    assert_non_null(it->rec);
    assert_null(it->link);
    return wh_record_to_json(it->rec);
}

static const char *jstr(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));

    if (s == NULL) {
        fail_msg("member %s missing", key);
    }
    return s;
}

static void test_ninjs3(void **state)
{
    struct wh_feed *feed = must_parse("ninjs3.json");
    const struct wh_record *rec;
    json_t *doc;

    (void)state;
    assert_string_equal(feed->kind, "ninjs");
    assert_int_equal(feed->nitems, 1);
    assert_string_equal(feed->items[0].id, "urn:example:wire:2014:1234#v3");
    assert_string_equal(feed->items[0].title, "Wire headline");
    rec = feed->items[0].rec;
    doc = wire_json(&feed->items[0]);
    assert_string_equal(rec->uri, "urn:example:wire:2014:1234");
    assert_int_equal(rec->version, 3);
    assert_string_equal(rec->version_created, "2014-12-21T11:00:00Z");
    assert_string_equal(rec->subheadline, "Wire subheadline");
    assert_string_equal(rec->description, "Wire summary");
    assert_string_equal(rec->by, "Wire Reporter");
    /* html-only body: text derived from it */
    assert_string_equal(rec->body_text, "First para.\n\nSecond & last.");
    assert_string_equal(jstr(doc, "embargoedUntil"), "2014-12-22T00:00:00Z");
    assert_string_equal(jstr(doc, "pubStatus"), "usable");
    assert_int_equal(json_integer_value(json_object_get(doc, "urgency")), 2);
    assert_string_equal(jstr(doc, "slugline"), "US-CHINA-HACK");
    assert_string_equal(jstr(doc, "located"), "Washington");
    assert_string_equal(jstr(doc, "copyrightNotice"),
                        "Copyright 2014 Example Wire");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(doc, "subjects"), 0), "uri")),
        "http://cv.iptc.org/newscodes/mediatopic/20000763");
    /* members ninjs 3.1 does not define are dropped */
    assert_null(json_object_get(doc, "notANinjsMember"));
    json_decref(doc);
    wh_feed_free(feed);
}

static void test_ninjs_old_versions(void **state)
{
    struct wh_feed *feed = must_parse("ninjs1-list.json");
    const struct wh_record *rec;
    const json_t *subj;
    json_t *doc;

    (void)state;
    assert_string_equal(feed->kind, "ninjs");
    assert_int_equal(feed->nitems, 2);
    rec = feed->items[0].rec;
    doc = wire_json(&feed->items[0]);
    assert_string_equal(rec->uri, "http://wire.example/1.x/a");
    assert_string_equal(rec->headline, "Old ninjs headline");
    assert_string_equal(rec->description, "Old ninjs summary");
    assert_string_equal(rec->body_text, "Para one.\n\nPara two.");
    assert_string_equal(rec->by, "Old Reporter");
    assert_string_equal(rec->first_created, "2013-11-01T09:00:00Z");
    assert_string_equal(rec->version_created, "2013-11-01T10:00:00Z");
    assert_string_equal(jstr(doc, "embargoedUntil"), "2013-11-02T00:00:00Z");
    assert_string_equal(jstr(doc, "pubStatus"), "usable");
    assert_string_equal(jstr(doc, "copyrightNotice"), "(c) Wire");
    subj = json_object_get(doc, "subjects");
    assert_int_equal(json_array_size(subj), 2);
    assert_string_equal(jstr(json_array_get(subj, 0), "literal"), "04000000");
    assert_string_equal(jstr(json_array_get(subj, 0), "uri"),
                        "http://cv.iptc.org/newscodes/subjectcode/04000000");
    assert_string_equal(jstr(json_array_get(subj, 1), "name"), "trade");
    json_decref(doc);

    rec = feed->items[1].rec;
    assert_string_equal(rec->headline, "Two point x");
    assert_string_equal(rec->body_text, "Body 2.x");
    assert_string_equal(feed->items[1].id, "http://wire.example/2.x/b");
    wh_feed_free(feed);
}

static void test_ninjs_bad(void **state)
{
    static const char *const bodies[] = {
        "{\"headline\": \"no uri\", \"uri\": \"\"}",
        "[{\"uri\": \"u\", \"headline\": \"x\"}, 3]",
        "{\"uri\": \"u\", \"headlines\": [{\"value\": 3}]}",
        "{\"uri\": \"u\", \"headline\": \"x\"",
    };
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bodies); i++) {
        struct wh_feed *feed = wh_source_parse(bodies[i], strlen(bodies[i]),
                                               NULL, BASE, err, sizeof(err));

        assert_null(feed);
        assert_non_null(strstr(err, "ninjs: "));
    }
}

static void test_newsml(void **state)
{
    struct wh_feed *feed = must_parse("newsml-g2.xml");
    const struct wh_record *rec;
    const json_t *subj;
    json_t *doc;

    (void)state;
    assert_string_equal(feed->kind, "newsml");
    assert_int_equal(feed->nitems, 1);
    assert_string_equal(feed->items[0].id,
                        "urn:newsml:example.com:20141221:US-CHINA-HACK#v5");
    rec = feed->items[0].rec;
    doc = wire_json(&feed->items[0]);
    assert_string_equal(rec->uri,
                        "urn:newsml:example.com:20141221:US-CHINA-HACK");
    assert_int_equal(rec->version, 5);
    assert_string_equal(rec->type, "text");
    assert_string_equal(rec->first_created, "2014-12-21T14:30:00Z");
    assert_string_equal(rec->version_created, "2014-12-21T14:00:00Z");
    assert_string_equal(rec->content_created, "2014-12-21T09:00:00Z");
    assert_string_equal(rec->headline,
                        "U.S. asks China to help curb North Korea hacking");
    assert_string_equal(rec->subheadline, "Sony case escalates");
    assert_string_equal(rec->description,
                        "Washington seeks Beijing's help after the Sony "
                        "attack.");
    assert_string_equal(rec->by, "Jane Wire");
    assert_string_equal(rec->language, "en");
    assert_string_equal(rec->body_text,
                        "WASHINGTON (Example Wire) - First paragraph & "
                        "more.\n\nSecond paragraph.");
    assert_non_null(strstr(rec->body_html, "<p>Second paragraph.</p>"));
    assert_string_equal(jstr(doc, "pubStatus"), "usable");
    assert_string_equal(jstr(doc, "embargoedUntil"), "2014-12-21T16:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(doc, "urgency")), 3);
    assert_string_equal(jstr(doc, "slugline"), "US-CHINA-HACK");
    assert_string_equal(jstr(doc, "located"), "Washington");
    assert_string_equal(jstr(doc, "copyrightHolder"), "Example Wire");
    assert_string_equal(jstr(doc, "edNote"),
                        "Corrects spelling in second paragraph");
    subj = json_object_get(doc, "subjects");
    assert_int_equal(json_array_size(subj), 2);
    assert_string_equal(jstr(json_array_get(subj, 0), "name"), "cyber warfare");
    assert_string_equal(jstr(json_array_get(subj, 0), "literal"),
                        "medtop:20000763");
    assert_string_equal(
        jstr(json_array_get(json_object_get(doc, "genres"), 0), "literal"),
        "genre:Current");
    json_decref(doc);
    wh_feed_free(feed);

    feed = must_parse("newsml-message.xml");
    assert_int_equal(feed->nitems, 2);
    assert_string_equal(feed->items[0].rec->body_text, "Plain body one.");
    assert_string_equal(feed->items[0].id, "urn:newsml:example.com:m1#v1");
    doc = wire_json(&feed->items[0]);
    assert_string_equal(jstr(doc, "pubStatus"), "withheld");
    json_decref(doc);
    assert_string_equal(feed->items[1].id, "urn:newsml:example.com:m2");
    assert_string_equal(feed->items[1].rec->headline, "Message item two");
    wh_feed_free(feed);
}

static void test_nitf(void **state)
{
    struct wh_feed *feed = must_parse("nitf.xml");
    const struct wh_record *rec;
    json_t *doc;

    (void)state;
    assert_string_equal(feed->kind, "nitf");
    assert_int_equal(feed->nitems, 1);
    rec = feed->items[0].rec;
    doc = wire_json(&feed->items[0]);
    assert_string_equal(rec->uri, "urn:nitf:EXW-2014-1221-0042");
    assert_string_equal(feed->items[0].id, "urn:nitf:EXW-2014-1221-0042#v2");
    assert_string_equal(rec->headline, "Obama seeks China help on hacking");
    assert_string_equal(rec->subheadline, "White House weighs options");
    assert_string_equal(rec->by, "Sam Wire");
    assert_string_equal(rec->description, "The U.S. asked China for help.");
    assert_string_equal(rec->first_created, "2014-12-21T10:00:00Z");
    assert_string_equal(rec->body_text,
                        "The United States has asked China for help.\n\n"
                        "Officials said nothing more.\n\n"
                        "A third paragraph in a block.");
    assert_string_equal(jstr(doc, "pubStatus"), "usable");
    assert_string_equal(jstr(doc, "embargoedUntil"), "2014-12-21T16:00:00Z");
    assert_string_equal(jstr(doc, "expires"), "2015-01-21T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(doc, "urgency")), 1);
    assert_string_equal(jstr(doc, "slugline"), "CHINA-HACK");
    assert_string_equal(jstr(doc, "located"), "WASHINGTON");
    assert_string_equal(jstr(doc, "copyrightHolder"), "Example Wire");
    assert_string_equal(jstr(doc, "copyrightNotice"),
                        "Copyright 2014 Example Wire");
    assert_string_equal(jstr(doc, "edNote"), "Embargoed until 1600 GMT");
    assert_int_equal(json_array_size(json_object_get(doc, "subjects")), 2);
    json_decref(doc);
    wh_feed_free(feed);
}

/* ---- fixtures with their expected items beside them ------------------- */

/* Every fixture that parses; "<name>.expected.json" beside it holds its
 * items as item_json() writes them. WH_UPDATE_EXPECTED=1 in the
 * environment rewrites the expected files instead (then review the diff). */
static const char *const expected_fixtures[] = {
    "rss2.xml",
    "rss091.xml",
    "rss092-latin1.xml",
    "atom.xml",
    "rss10.rdf",
    "feed.json",
    "sitemap.xml",
    "sitemap-news.xml",
    "sitemap-index.xml",
    "homepage.html",
    "ninjs3.json",
    "ninjs1-list.json",
    "newsml-g2.xml",
    "newsml-message.xml",
    "nitf.xml",
    /* feed edge cases (issue 13) */
    "edge/atom-xmlbase.xml",
    "edge/rss-titles-dates.xml",
    "edge/rss10-dc.rdf",
    "edge/missing-fields.xml",
    "edge/bom.xml",
    "edge/wrong-encoding-utf8.xml",
    "edge/wrong-encoding-cp1252.xml",
    "edge/served-as-html.xml",
    "edge/gzip-body.xml.gz",
    "edge/media-rss.xml",
};

static void set_str(json_t *obj, const char *key, const char *value)
{
    if (value != NULL) {
        json_object_set_new(obj, key, json_string(value));
    }
}

/* The feed as JSON: kind, title, links, and per item its fields and, for
 * wire items, the record. */
static json_t *feed_json(const struct wh_feed *feed)
{
    json_t *doc = json_object();
    json_t *items = json_array();
    json_t *links = json_array();
    size_t i;
    size_t k;

    set_str(doc, "kind", feed->kind);
    set_str(doc, "title", feed->title);
    for (i = 0; i < feed->nlinks; i++) {
        json_array_append_new(links, json_string(feed->links[i]));
    }
    json_object_set_new(doc, "links", links);
    for (i = 0; i < feed->nitems; i++) {
        const struct wh_feed_item *it = &feed->items[i];
        json_t *item = json_object();
        json_t *cats = json_array();

        set_str(item, "id", it->id);
        set_str(item, "link", it->link);
        set_str(item, "title", it->title);
        set_str(item, "summary", it->summary);
        set_str(item, "content", it->content);
        set_str(item, "contentBase", it->content_base);
        set_str(item, "author", it->author);
        set_str(item, "published", it->published);
        set_str(item, "updated", it->updated);
        for (k = 0; k < it->ncategories; k++) {
            json_array_append_new(cats, json_string(it->categories[k]));
        }
        json_object_set_new(item, "categories", cats);
        if (it->nmedia > 0) {
            json_t *media = json_array();

            for (k = 0; k < it->nmedia; k++) {
                json_array_append_new(media,
                                      wh_feed_media_association(&it->media[k]));
            }
            json_object_set_new(item, "media", media);
        }
        if (it->rec != NULL) {
            json_object_set_new(item, "record", wh_record_to_json(it->rec));
        }
        json_array_append_new(items, item);
    }
    json_object_set_new(doc, "items", items);
    return doc;
}

static void test_expected_files(void **state)
{
    const char *src = getenv("WH_SRCDIR");
    const char *update = getenv("WH_UPDATE_EXPECTED");
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(expected_fixtures); i++) {
        struct wh_feed *feed = must_parse(expected_fixtures[i]);
        json_t *got = feed_json(feed);
        char *path =
            wh_xasprintf("%s/tests/data/feeds/%s.expected.json",
                         src != NULL ? src : ".", expected_fixtures[i]);
        json_error_t jerr;
        json_t *want;

        if (update != NULL && strcmp(update, "1") == 0) {
            assert_int_equal(
                json_dump_file(got, path, JSON_INDENT(2) | JSON_ENSURE_ASCII),
                0);
        }
        want = json_load_file(path, 0, &jerr);
        if (want == NULL) {
            fail_msg("%s: %s (run with WH_UPDATE_EXPECTED=1 to create it)",
                     path, jerr.text);
        }
        if (!json_equal(got, want)) {
            char *text = json_dumps(got, JSON_INDENT(2));

            fail_msg("%s differs from what %s parses into:\n%s", path,
                     expected_fixtures[i], text != NULL ? text : "");
        }
        json_decref(want);
        json_decref(got);
        free(path);
        wh_feed_free(feed);
    }
}

/* Feed content made a body: footers, share links and pixels gone, links
 * absolute against the content's base, short content kept as is. */
static void test_content_article(void **state)
{
    struct wh_feed *feed = must_parse("edge/rss-titles-dates.xml");
    struct wh_feed *atom = must_parse("edge/atom-xmlbase.xml");
    struct wh_article *art;

    (void)state;
    art = wh_feed_content_article(&feed->items[0], 0);
    assert_non_null(art);
    assert_non_null(strstr(art->body_text, "The cabinet resigned on Sunday"));
    assert_non_null(strstr(art->body_text, "\n\nElections are expected"));
    assert_null(strstr(art->body_text, "appeared first"));
    assert_null(strstr(art->body_text, "Share on"));
    assert_null(strstr(art->body_html, "pixel.gif"));
    assert_true(art->body_words > 30 && art->body_words < 50);
    wh_article_free(art);
    /* no content */
    assert_null(wh_feed_content_article(&feed->items[1], 0));

    art = wh_feed_content_article(&atom->items[0], 0);
    assert_non_null(art);
    assert_non_null(
        strstr(art->body_html, "https://cdn.edge.example/2015/03/chart.html"));
    wh_article_free(art);
    /* plain-text content, too short to be called an article */
    art = wh_feed_content_article(&atom->items[2], 0);
    assert_non_null(art);
    assert_string_equal(art->body_text, "First line of a plain text body."
                                        "\n\nSecond paragraph & more.");
    assert_int_equal(art->body_words, 10);
    wh_article_free(art);

    assert_true(wh_feed_body_wins(60, 400));
    assert_false(wh_feed_body_wins(400, 420));
    assert_false(wh_feed_body_wins(0, 20));
    assert_true(wh_feed_body_wins(0, 50));
    wh_feed_free(atom);
    wh_feed_free(feed);
}

/* A feed served as text/html is still detected from its content. */
static void test_served_as_html(void **state)
{
    size_t len;
    char *body = fixture("edge/served-as-html.xml", &len);
    char err[256];
    struct wh_feed *feed;

    (void)state;
    feed = wh_source_parse(body, len, "text/html; charset=utf-8", BASE, err,
                           sizeof(err));
    free(body);
    if (feed == NULL) {
        fail_msg("%s", err);
        return;
    }
    assert_string_equal(feed->kind, "rss");
    assert_int_equal(feed->nitems, 1);
    wh_feed_free(feed);
}

static void test_malformed(void **state)
{
    char err[256];
    struct wh_feed *feed = parse_fixture("malformed.xml", err, sizeof(err));

    (void)state;
    assert_null(feed);
    /* "rss: line N: <libxml2 reason>" */
    assert_non_null(strstr(err, "rss: line "));
    assert_true(strlen(err) > strlen("rss: line 7: "));
}

static void test_billion_laughs(void **state)
{
    char err[256];
    struct timespec t0;
    struct timespec t1;
    struct wh_feed *feed;
    double ms;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    feed = parse_fixture("billion-laughs.xml", err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_null(feed);
    assert_non_null(strstr(err, "entity declarations are refused"));
    /* refused at the first declaration, not after expanding anything */
    assert_true(ms < 100.0);
}

static void test_external_entity(void **state)
{
    char err[256];
    struct wh_feed *feed = parse_fixture("xxe.xml", err, sizeof(err));

    (void)state;
    assert_null(feed);
    assert_non_null(strstr(err, "entity declarations are refused"));
}

static void test_not_a_feed(void **state)
{
    char err[256];
    struct wh_feed *feed;

    (void)state;
    /* an HTML page goes to autodiscovery, which finds no feed in it */
    feed = parse_fixture("not-a-feed.html", err, sizeof(err));
    assert_null(feed);
    assert_non_null(strstr(err, "discover: an HTML page without feed "
                                "links"));

    feed = wh_source_parse("", 0, NULL, BASE, err, sizeof(err));
    assert_null(feed);
    assert_string_equal(err, "not a feed: empty document");

    feed = wh_source_parse("{\"x\":1}", 7, "application/json", BASE, err,
                           sizeof(err));
    assert_null(feed);
    assert_non_null(strstr(err, "not a feed: unrecognized content"));

    feed = wh_source_parse("<foo/>", 6, NULL, BASE, err, sizeof(err));
    assert_null(feed);
    assert_string_equal(err, "not a feed: unknown XML root element <foo>");
}

static void test_truncated_and_garbage(void **state)
{
    static const char *const bodies[] = {
        "<rss",
        "<rss version=\"2.0\">",
        "<rss version=\"2.0\"><channel><item><title>x",
        "<rss version=\"2.0\"></rss>",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>",
        "<?xml version=\"1.0\"?><!-- unterminated",
        "\xEF\xBB\xBF<rss version=\"2.0\"><channel>\x01</channel></rss>",
    };
    char err[256];
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bodies); i++) {
        struct wh_feed *feed;

        err[0] = '\0';
        feed = wh_source_parse(bodies[i], strlen(bodies[i]), NULL, BASE, err,
                               sizeof(err));
        assert_null(feed);
        assert_true(err[0] != '\0');
    }
}

static void test_empty_channel(void **state)
{
    const char *body = "<rss version=\"2.0\"><channel><title>T</title>"
                       "</channel></rss>";
    char err[256];
    struct wh_feed *feed;

    (void)state;
    feed = wh_source_parse(body, strlen(body), NULL, NULL, err, sizeof(err));
    assert_non_null(feed);
    assert_int_equal(feed->nitems, 0);
    assert_string_equal(feed->title, "T");
    wh_feed_free(feed);
    wh_feed_free(NULL);
}

static void test_add_item_grows(void **state)
{
    struct wh_feed *feed = wh_xcalloc(1, sizeof(*feed));
    size_t i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        struct wh_feed_item *it = wh_feed_add_item(feed);

        assert_null(it->id);
        it->id = wh_xasprintf("%zu", i);
        wh_feed_item_add_category(it, wh_xstrdup("a"));
        wh_feed_item_add_category(it, wh_xstrdup("a"));
        wh_feed_item_add_category(it, NULL);
        wh_feed_add_link(feed, wh_xasprintf("http://x/%zu", i));
    }
    assert_int_equal(feed->nitems, 1000);
    assert_string_equal(feed->items[999].id, "999");
    assert_int_equal(feed->items[5].ncategories, 1);
    assert_int_equal(feed->nlinks, 1000);
    wh_feed_free(feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss2),
        cmocka_unit_test(test_rss091_dtd_not_loaded),
        cmocka_unit_test(test_rss_latin1),
        cmocka_unit_test(test_atom),
        cmocka_unit_test(test_rdf),
        cmocka_unit_test(test_jsonfeed),
        cmocka_unit_test(test_jsonfeed_bad),
        cmocka_unit_test(test_sitemap),
        cmocka_unit_test(test_sitemap_news),
        cmocka_unit_test(test_sitemap_index),
        cmocka_unit_test(test_gzip_bomb_and_corrupt),
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_ninjs3),
        cmocka_unit_test(test_ninjs_old_versions),
        cmocka_unit_test(test_ninjs_bad),
        cmocka_unit_test(test_newsml),
        cmocka_unit_test(test_nitf),
        cmocka_unit_test(test_expected_files),
        cmocka_unit_test(test_content_article),
        cmocka_unit_test(test_served_as_html),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_external_entity),
        cmocka_unit_test(test_not_a_feed),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_empty_channel),
        cmocka_unit_test(test_add_item_grows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
