/*
 * test_producer_assemble.c - record assembly in the producer
 * (producers/assemble.c): a page's record completed with its feed item's
 * metadata (only where the page gave none, each such field named under
 * fieldSources), categories merged into subjects, the media as
 * associations; then the uri (normalized for pages, kept for wire items,
 * made from the feed URL for a bare guid), source, fetchedAt, content
 * hash and extractor version; and assemble_item()'s table of outcomes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../producers/assemble.h"
#include "../../producers/extract/extract.h"
#include "fetcher.h"
#include "wh/hash.h"
#include "wh/url.h"
#include "wh/wh.h"

/* fieldSources.<field> of rec, or NULL. */
static const char *field_source(const struct wh_record *rec, const char *field)
{
    json_t *fs =
        rec->ext != NULL ? json_object_get(rec->ext, "fieldSources") : NULL;

    return json_string_value(json_object_get(fs, field));
}

static void test_feed_fills_gaps_only(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;

    (void)state;
    memset(&it, 0, sizeof(it));
    it.title = "Feed title";
    it.summary = "Feed summary";
    it.author = "Feed Author";
    it.published = "2026-01-02T03:04:05Z";
    it.updated = "2026-01-03T00:00:00Z";
    rec->headline = wh_xstrdup("Page headline");
    rec->by = wh_xstrdup(""); /* empty: still the page's */
    assemble_merge_feed(rec, &it);
    assert_string_equal(rec->headline, "Page headline");
    assert_null(field_source(rec, "headline"));
    assert_string_equal(rec->description, "Feed summary");
    assert_string_equal(field_source(rec, "description"), "feed");
    assert_string_equal(rec->by, "");
    assert_null(field_source(rec, "by"));
    assert_string_equal(rec->first_created, "2026-01-02T03:04:05Z");
    assert_string_equal(rec->version_created, "2026-01-03T00:00:00Z");
    assert_string_equal(field_source(rec, "firstCreated"), "feed");
    assert_string_equal(field_source(rec, "versionCreated"), "feed");
    /* nothing from the feed but what it had */
    assert_null(rec->extra);
    wh_record_free(rec);
}

/* Published and updated stand in for each other; an empty feed value is
 * no value. */
static void test_dates_stand_in(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;

    (void)state;
    memset(&it, 0, sizeof(it));
    it.updated = "2026-05-05T05:05:05Z";
    it.title = "";
    assemble_merge_feed(rec, &it);
    assert_string_equal(rec->first_created, "2026-05-05T05:05:05Z");
    assert_string_equal(rec->version_created, "2026-05-05T05:05:05Z");
    assert_null(rec->headline);
    assert_null(field_source(rec, "headline"));
    wh_record_free(rec);

    rec = wh_record_new();
    memset(&it, 0, sizeof(it));
    it.published = "2026-04-04T04:04:04Z";
    assemble_merge_feed(rec, &it);
    assert_string_equal(rec->first_created, "2026-04-04T04:04:04Z");
    assert_string_equal(rec->version_created, "2026-04-04T04:04:04Z");
    wh_record_free(rec);

    /* nothing at all: no fieldSources object */
    rec = wh_record_new();
    memset(&it, 0, sizeof(it));
    assemble_merge_feed(rec, &it);
    assert_null(rec->ext);
    assert_null(rec->first_created);
    wh_record_free(rec);
}

static void test_categories(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    char *cats[] = {"Politics", "economy", "Economy", "Sport"};
    json_t *subjects;

    (void)state;
    memset(&it, 0, sizeof(it));
    it.categories = cats;
    it.ncategories = 4;
    /* The page had "ECONOMY" already. */
    rec->extra = json_pack("{s:[{s:s}]}", "subjects", "name", "ECONOMY");
    assemble_merge_feed(rec, &it);
    subjects = json_object_get(rec->extra, "subjects");
    assert_int_equal(json_array_size(subjects), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(subjects, 0), "name")),
        "ECONOMY");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(subjects, 1), "name")),
        "Politics");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(subjects, 2), "name")),
        "Sport");
    /* The page had subjects: they are not attributed to the feed. */
    assert_null(field_source(rec, "subjects"));
    wh_record_free(rec);

    rec = wh_record_new();
    assemble_merge_feed(rec, &it);
    subjects = json_object_get(rec->extra, "subjects");
    assert_int_equal(json_array_size(subjects), 3); /* economy once */
    assert_string_equal(field_source(rec, "subjects"), "feed");
    wh_record_free(rec);
}

static void test_enclosure(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    struct wh_feed_media *m;
    json_t *a;
    json_t *r;

    (void)state;
    memset(&it, 0, sizeof(it));
    m = wh_feed_item_add_media(&it, wh_xstrdup("https://cdn.example/p.jpg"),
                               wh_xstrdup("image/jpeg"), NULL, "enclosure");
    assert_non_null(m);
    m->width = 640;
    (void)wh_feed_item_add_media(&it, wh_xstrdup("https://cdn.example/t.jpg"),
                                 NULL, "image", "thumbnail");
    assemble_merge_feed(rec, &it);
    assert_int_equal(
        json_array_size(json_object_get(rec->extra, "associations")), 2);
    a = json_array_get(json_object_get(rec->extra, "associations"), 0);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "name")),
                        "enclosure");
    assert_string_equal(json_string_value(json_object_get(a, "uri")),
                        "https://cdn.example/p.jpg");
    assert_string_equal(json_string_value(json_object_get(a, "type")),
                        "picture");
    r = json_array_get(json_object_get(a, "renditions"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "name")),
                        "original");
    assert_string_equal(json_string_value(json_object_get(r, "href")),
                        "https://cdn.example/p.jpg");
    assert_string_equal(json_string_value(json_object_get(r, "contentType")),
                        "image/jpeg");
    assert_int_equal(json_integer_value(json_object_get(r, "width")), 640);
    assert_string_equal(field_source(rec, "associations"), "feed");
    /* the thumbnail: no type given, an image by its medium */
    a = json_array_get(json_object_get(rec->extra, "associations"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "name")),
                        "thumbnail");
    assert_string_equal(json_string_value(json_object_get(a, "type")),
                        "picture");
    r = json_array_get(json_object_get(a, "renditions"), 0);
    assert_null(json_object_get(r, "contentType"));
    wh_record_free(rec);
    wh_feed_item_clear(&it);
}

/* A page: uri from the link, normalized; provenance filled. */
static void test_finish_page(void **state)
{
    const char *link = "HTTP://News.Example.COM:80/a/b?utm_source=rss&id=7#top";
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    char *want = wh_url_normalize(link);
    char *empty_hash = wh_body_hash("");

    (void)state;
    assert_non_null(want);
    assert_string_not_equal(want, link); /* the case means something */
    memset(&it, 0, sizeof(it));
    it.link = (char *)link;
    it.title = "T";
    assemble_finish(rec, &it, "guid-1", "Example News",
                    "https://example.com/feed");
    assert_string_equal(rec->uri, want);
    assert_string_equal(rec->headline, "T");
    assert_string_equal(rec->source, "Example News");
    assert_non_null(rec->fetched_at);
    assert_int_equal(strlen(rec->fetched_at), 20);
    assert_true(rec->fetched_at[10] == 'T' && rec->fetched_at[19] == 'Z');
    /* no body: the hash of the empty body */
    assert_string_equal(rec->content_hash, empty_hash);
    assert_string_equal(rec->extractor_version, WH_EXTRACTOR_VERSION);
    free(want);
    free(empty_hash);
    wh_record_free(rec);
}

/* The record's own uri and hash win; a page's uri is still normalized;
 * source and fetchedAt are replaced. */
static void test_finish_keeps_own(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    char *want = wh_url_normalize("https://example.com/canonical?utm_medium=x");
    char *hash = wh_body_hash("Body.");

    (void)state;
    memset(&it, 0, sizeof(it));
    it.link = "https://example.com/from-feed";
    rec->uri = wh_xstrdup("https://example.com/canonical?utm_medium=x");
    rec->body_text = wh_xstrdup("Body.");
    rec->content_hash = wh_xstrdup(hash);
    rec->extractor_version = wh_xstrdup("other/1");
    rec->source = wh_xstrdup("stale");
    rec->fetched_at = wh_xstrdup("1999-01-01T00:00:00Z");
    assemble_finish(rec, &it, "id", "src", "https://example.com/feed");
    assert_string_equal(rec->uri, want);
    assert_string_equal(rec->content_hash, hash);
    assert_string_equal(rec->extractor_version, "other/1");
    assert_string_equal(rec->source, "src");
    assert_string_not_equal(rec->fetched_at, "1999-01-01T00:00:00Z");
    free(want);
    free(hash);
    wh_record_free(rec);
}

/* A wire item (no link) keeps its uri as it is, gets no extractor
 * version; without a uri it takes the item's id. */
static void test_finish_wire(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    char *hash = wh_body_hash("Wire body.");

    (void)state;
    memset(&it, 0, sizeof(it));
    rec->uri = wh_xstrdup("urn:newsml:example.com:20260101:ABC?Utm_Source=1");
    rec->body_text = wh_xstrdup("Wire body.");
    assemble_finish(rec, &it, "ABC", "wire", "https://example.com/feed");
    assert_string_equal(rec->uri,
                        "urn:newsml:example.com:20260101:ABC?Utm_Source=1");
    assert_null(rec->extractor_version);
    assert_string_equal(rec->content_hash, hash);
    wh_record_free(rec);

    rec = wh_record_new();
    assemble_finish(rec, &it, "tag:example.com,2026:1", "wire",
                    "https://example.com/feed");
    assert_string_equal(rec->uri, "tag:example.com,2026:1");
    wh_record_free(rec);
    free(hash);
}

/* An item without a link and a guid that is no URI: the feed's URL with
 * the guid as fragment; the guid in altIds. */
static void test_finish_bare_guid(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_feed_item it;
    json_t *ids;

    (void)state;
    memset(&it, 0, sizeof(it));
    it.id = "item 4/ü";
    assemble_finish(rec, &it, it.id, "src", "https://example.com/feed.json");
    assert_string_equal(rec->uri,
                        "https://example.com/feed.json#guid=item%204%2F%C3%BC");
    ids = json_object_get(rec->extra, "altIds");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(ids, 0), "role")),
        "guid");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(ids, 0), "value")),
        "item 4/ü");
    wh_record_free(rec);
}

/* A fetch result of outcome and status, for assemble_item(). */
static struct wh_fetch_result fetched(int outcome, int status, int rc)
{
    struct wh_fetch_result res;

    memset(&res, 0, sizeof(res));
    res.outcome = outcome;
    res.status = status;
    res.rc = rc;
    res.url = "https://example.com/a";
    res.final_url = "https://example.com/a";
    snprintf(res.error, sizeof(res.error), "HTTP %d", status);
    return res;
}

/* The outcome table of docs/producer.md: permanent ones skip, transient
 * ones fail; feed content stands in for a page that cannot be used. */
static void test_item_outcomes(void **state)
{
    static const struct {
        int outcome;
        int status;
        int rc;
        int permanent;
        const char *reason;
    } cases[] = {
        {WH_FETCH_ROBOTS, 0, WH_EIO, 1, "robots"},
        {WH_FETCH_ROBOTS, 0, WH_RETRY, 0, "robots_unreachable"},
        {WH_FETCH_HTTP_ERROR, 404, WH_EIO, 1, "not_found"},
        {WH_FETCH_HTTP_ERROR, 410, WH_EIO, 1, "gone"},
        {WH_FETCH_HTTP_ERROR, 403, WH_EIO, 1, "client_error"},
        {WH_FETCH_HTTP_ERROR, 408, WH_EIO, 0, "error"},
        {WH_FETCH_HTTP_ERROR, 500, WH_EIO, 0, "server_error"},
        {WH_FETCH_RETRY_AFTER, 429, WH_RETRY, 0, "rate_limited"},
        {WH_FETCH_RETRY_AFTER, 503, WH_RETRY, 0, "server_error"},
        {WH_FETCH_TOO_BIG, 200, WH_E2BIG, 1, "too_big"},
        {WH_FETCH_TIMEOUT, 0, WH_ETIMEDOUT, 0, "timeout"},
        {WH_FETCH_REFUSED, 0, WH_EINVAL, 0, "refused"},
        {WH_FETCH_ERROR, 0, WH_EIO, 0, "error"},
    };
    struct wh_feed_item it;
    struct assemble_outcome o;
    struct wh_record *rec;
    size_t i;

    (void)state;
    memset(&it, 0, sizeof(it));
    it.link = "https://example.com/a";
    it.title = "A";
    for (i = 0; i < WH_ARRAY_SIZE(cases); i++) {
        struct wh_fetch_result res =
            fetched(cases[i].outcome, cases[i].status, cases[i].rc);

        rec = assemble_item(&it, &res, BODY_AUTO, 0, NULL, NULL, &o);
        assert_null(rec);
        assert_int_equal(o.permanent, cases[i].permanent);
        assert_string_equal(o.reason, cases[i].reason);
    }
    /* With content: the feed's body, whatever the page's outcome, except
     * with body = page. */
    it.content = "<p>The full text of the article, as the feed carries it, "
                 "in one paragraph long enough to be a body.</p>";
    {
        struct wh_fetch_result res = fetched(WH_FETCH_HTTP_ERROR, 403, WH_EIO);

        rec = assemble_item(&it, &res, BODY_AUTO, 0, NULL, NULL, &o);
        assert_non_null(rec);
        assert_true(o.from_feed);
        assert_non_null(strstr(rec->body_text, "The full text"));
        assert_string_equal(field_source(rec, "body"), "feed");
        assert_int_equal(rec->http_status, 403);
        wh_record_free(rec);
        rec = assemble_item(&it, &res, BODY_PAGE, 0, NULL, NULL, &o);
        assert_null(rec);
        assert_string_equal(o.reason, "client_error");
    }
    /* A page without an article: the feed's content, else the metadata
     * (a title), else a skip. */
    {
        struct wh_fetch_result res = fetched(WH_FETCH_OK, 200, WH_OK);

        res.body = "<html><body><p>Hi.</p></body></html>";
        res.len = strlen(res.body);
        rec = assemble_item(&it, &res, BODY_AUTO, 0, NULL, NULL, &o);
        assert_non_null(rec);
        assert_int_equal(o.extracted, -1);
        assert_string_equal(field_source(rec, "body"), "feed");
        wh_record_free(rec);
        it.content = NULL;
        rec = assemble_item(&it, &res, BODY_AUTO, 0, NULL, NULL, &o);
        assert_non_null(rec);
        assert_null(rec->body_text);
        assert_string_equal(rec->uri, "https://example.com/a");
        wh_record_free(rec);
        it.title = NULL;
        rec = assemble_item(&it, &res, BODY_AUTO, 0, NULL, NULL, &o);
        assert_null(rec);
        assert_true(o.permanent);
        assert_string_equal(o.reason, "no_article");
    }
    /* No page: the feed alone, the summary when there is no content. */
    it.summary = "Only a summary.";
    rec = assemble_item(&it, NULL, BODY_AUTO, 0, NULL, NULL, &o);
    assert_non_null(rec);
    assert_string_equal(rec->body_text, "Only a summary.");
    assert_string_equal(field_source(rec, "body"), "feed");
    wh_record_free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_fills_gaps_only),
        cmocka_unit_test(test_dates_stand_in),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_enclosure),
        cmocka_unit_test(test_finish_page),
        cmocka_unit_test(test_finish_keeps_own),
        cmocka_unit_test(test_finish_wire),
        cmocka_unit_test(test_finish_bare_guid),
        cmocka_unit_test(test_item_outcomes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
