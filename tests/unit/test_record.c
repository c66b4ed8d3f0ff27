/*
 * test_record.c - wh_record: ninjs JSON in and out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

static struct wh_record *full_record(void)
{
    struct wh_record *rec = wh_record_new();
    json_t *subjects;

    rec->uri = wh_xstrdup("urn:wirehose:example:1");
    rec->type = wh_xstrdup("text");
    rec->version = 3;
    rec->first_created = wh_xstrdup("2014-12-21T10:00:00Z");
    rec->version_created = wh_xstrdup("2014-12-21T11:00:00Z");
    rec->content_created = wh_xstrdup("2014-12-20T09:00:00Z");
    rec->language = wh_xstrdup("en");
    rec->headline = wh_xstrdup("Main \"headline\" \xc3\xa9");
    rec->subheadline = wh_xstrdup("Sub headline");
    rec->description = wh_xstrdup("The standfirst.");
    rec->body_text = wh_xstrdup("First paragraph.\n\nSecond one.");
    rec->body_html = wh_xstrdup("<p>First paragraph.</p><p>Second one.</p>");
    rec->by = wh_xstrdup("A. Writer");
    rec->extra = json_object();
    subjects = json_pack("[{s:s, s:s}]", "name", "Weather", "uri",
                         "http://example.com/s/1");
    json_object_set_new(rec->extra, "subjects", subjects);
    json_object_set_new(rec->extra, "copyrightholder", json_string("Example"));
    rec->source = wh_xstrdup("example-rss");
    rec->fetched_at = wh_xstrdup("2014-12-21T12:00:00Z");
    rec->final_url = wh_xstrdup("http://127.0.0.1/a/1");
    rec->http_status = 200;
    rec->extractor_version = wh_xstrdup("0.1.0");
    wh_record_hash_body(rec);
    rec->ext = json_pack("{s:b, s:[s]}", "duplicate", 0, "entities", "Example");
    return rec;
}

static void test_round_trip(void **state)
{
    struct wh_record *rec = full_record();
    struct wh_record *back;
    char errstr[256];
    char *text;
    char *text2;

    (void)state;
    text = wh_record_dump(rec);
    assert_null(strchr(text, '\n'));
    back = wh_record_parse(text, strlen(text), errstr, sizeof(errstr));
    if (back == NULL) {
        free(text);
        wh_record_free(rec);
        fail_msg("%s", errstr);
        return; /* fail_msg() does not return; the analyzer cannot know */
    }
    assert_string_equal(back->uri, rec->uri);
    assert_int_equal(back->version, 3);
    assert_string_equal(back->headline, rec->headline);
    assert_string_equal(back->subheadline, rec->subheadline);
    assert_string_equal(back->description, rec->description);
    assert_string_equal(back->body_text, rec->body_text);
    assert_string_equal(back->body_html, rec->body_html);
    assert_string_equal(back->by, rec->by);
    assert_string_equal(back->content_created, rec->content_created);
    assert_string_equal(back->source, rec->source);
    assert_string_equal(back->final_url, rec->final_url);
    assert_int_equal(back->http_status, 200);
    assert_string_equal(back->content_hash, rec->content_hash);
    assert_non_null(back->extra);
    assert_true(json_equal(back->extra, rec->extra));
    assert_non_null(back->ext);
    assert_true(json_equal(back->ext, rec->ext));

    /* Byte-identical the second time round. */
    text2 = wh_record_dump(back);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    wh_record_free(back);
    wh_record_free(rec);
}

static void test_key_order(void **state)
{
    struct wh_record *rec = full_record();
    char *text = wh_record_dump(rec);
    static const char *const order[] = {
        "\"uri\"",
        "\"type\"",
        "\"version\"",
        "\"firstCreated\"",
        "\"versionCreated\"",
        "\"contentCreated\"",
        "\"language\"",
        "\"headlines\"",
        "\"descriptions\"",
        "\"bodies\"",
        "\"by\"",
        "\"subjects\"",
        "\"wirehose\"",
        "\"source\"",
        "\"fetchedAt\"",
        "\"finalUrl\"",
        "\"httpStatus\"",
        "\"contentHash\"",
        "\"extractorVersion\"",
        "\"duplicate\"",
    };
    const char *prev = text;
    const char *p;
    size_t i;

    (void)state;
    assert_int_equal(strncmp(text, "{\"uri\":", 7), 0);
    for (i = 0; i < WH_ARRAY_SIZE(order); i++) {
        p = strstr(prev, order[i]);
        if (p == NULL) {
            fail_msg("%s missing or out of order in %s", order[i], text);
            break;
        }
        prev = p;
    }
    free(text);
    wh_record_free(rec);
}

static void test_version_string(void **state)
{
    struct wh_record *rec = wh_record_new();
    json_t *doc;
    char errstr[256];
    struct wh_record *back;
    static const char text[] = "{\"uri\":\"u\",\"version\":\"7\"}";

    (void)state;
    rec->uri = wh_xstrdup("u");
    doc = wh_record_to_json(rec);
    /* 0 is written as "1", and always as a string. */
    assert_true(json_is_string(json_object_get(doc, "version")));
    assert_string_equal(json_string_value(json_object_get(doc, "version")),
                        "1");
    assert_string_equal(json_string_value(json_object_get(doc, "type")),
                        "text");
    /* No empty arrays or extension object. */
    assert_null(json_object_get(doc, "headlines"));
    assert_null(json_object_get(doc, "wirehose"));
    json_decref(doc);
    wh_record_free(rec);

    back = wh_record_parse(text, strlen(text), errstr, sizeof(errstr));
    assert_non_null(back);
    assert_int_equal(back->version, 7);
    wh_record_free(back);
}

static void expect_reject(const char *text, const char *needle)
{
    char errstr[256] = "";
    struct wh_record *rec;

    rec = wh_record_parse(text, strlen(text), errstr, sizeof(errstr));
    if (rec != NULL) {
        wh_record_free(rec);
        fail_msg("accepted: %s", text);
    }
    if (strstr(errstr, needle) == NULL) {
        fail_msg("%s: error \"%s\" lacks \"%s\"", text, errstr, needle);
    }
}

static void test_missing_uri(void **state)
{
    (void)state;
    expect_reject("{\"type\":\"text\"}", "\"uri\"");
    expect_reject("{\"uri\":\"\"}", "\"uri\"");
    expect_reject("{\"uri\":null}", "\"uri\"");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_reject("[1,2]", "expected an object");
    expect_reject("{\"uri\":5}", "\"uri\": expected a string");
    expect_reject("{\"uri\":\"u\",\"version\":2}",
                  "\"version\": expected a string");
    expect_reject("{\"uri\":\"u\",\"version\":\"two\"}", "\"version\"");
    expect_reject("{\"uri\":\"u\",\"language\":[\"en\"]}", "\"language\"");
    expect_reject("{\"uri\":\"u\",\"headlines\":{}}",
                  "\"headlines\": expected an array");
    expect_reject("{\"uri\":\"u\",\"headlines\":[\"x\"]}", "\"headlines\"[0]");
    expect_reject("{\"uri\":\"u\",\"bodies\":[{\"value\":1}]}",
                  "\"bodies\"[0]");
    expect_reject("{\"uri\":\"u\",\"wirehose\":[]}", "\"wirehose\"");
    expect_reject("{\"uri\":\"u\",\"wirehose\":{\"httpStatus\":\"200\"}}",
                  "\"httpStatus\"");
    expect_reject("{\"uri\":\"u\",\"wirehose\":{\"source\":{}}}", "\"source\"");
}

static void test_invalid_json(void **state)
{
    (void)state;
    expect_reject("{\"uri\":\"u\",\n  \"by\": oops}", "2:");
    expect_reject("", "1:");
    expect_reject("{\"uri\":\"u\"} trailing", "1:");
    expect_reject("{\"uri\":\"a\",\"uri\":\"b\"}", "1:");
}

static void test_parse_not_nul_terminated(void **state)
{
    static const char text[] = "{\"uri\":\"u\"}XXXX";
    char errstr[256];
    struct wh_record *rec;

    (void)state;
    rec = wh_record_parse(text, 11, errstr, sizeof(errstr));
    assert_non_null(rec);
    assert_string_equal(rec->uri, "u");
    wh_record_free(rec);
}

static void test_from_json_roles(void **state)
{
    json_t *doc;
    struct wh_record *rec;
    char errstr[256];

    (void)state;
    doc = json_pack("{s:s, s:[{s:s}, {s:s, s:s}], s:[{s:s, s:s}], "
                    "s:[{s:s, s:s}]}",
                    "uri", "u", "headlines", "value", "No role", "role",
                    "kicker", "value", "dropped", "bodies", "contentType",
                    "text/html", "value", "<p>x</p>", "descriptions", "role",
                    "summary", "value", "S");
    assert_non_null(doc);
    rec = wh_record_from_json(doc, errstr, sizeof(errstr));
    json_decref(doc);
    if (rec == NULL) {
        fail_msg("%s", errstr);
    }
    assert_string_equal(rec->headline, "No role");
    assert_null(rec->subheadline);
    assert_null(rec->body_text);
    assert_string_equal(rec->body_html, "<p>x</p>");
    assert_string_equal(rec->description, "S");
    wh_record_free(rec);
}

static void test_invalid_utf8(void **state)
{
    struct wh_record *rec = wh_record_new();
    char *text;

    (void)state;
    rec->uri = wh_xstrdup("u");
    rec->headline = wh_xstrdup("caf\xe9 ok");
    text = wh_record_dump(rec);
    assert_non_null(strstr(text, "caf\xef\xbf\xbd ok"));
    free(text);
    wh_record_free(rec);
}

static void test_body_hash(void **state)
{
    struct wh_record *rec = wh_record_new();
    char *a;
    char *b;
    char *c;
    char hex[17];
    char expect[32];

    (void)state;
    a = wh_body_hash("First paragraph.\n\nSecond one.");
    b = wh_body_hash("  First   paragraph.\r\n\t Second\none.  \n");
    c = wh_body_hash("First paragraph. Second one!");
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strncmp(a, "xxh3:", 5), 0);
    assert_int_equal(strlen(a), 5 + 16);
    /* The hash is XXH3 of the normalized text. */
    wh_hash64_hex(wh_hash64("First paragraph. Second one.", 28), hex);
    snprintf(expect, sizeof(expect), "xxh3:%s", hex);
    assert_string_equal(a, expect);

    /* a body many times the hashing buffer: the same as hashing its
     * normalized form at once */
    {
        size_t cap = 200000;
        char *raw = wh_xmalloc(cap);
        char *norm = wh_xmalloc(cap);
        size_t nr = 0;
        size_t nn = 0;
        unsigned i;
        char *d;

        for (i = 0; i < 9000; i++) {
            static const char *const gaps[] = {" ", "\n\n", " \t ", "\r\n"};
            const char *gap = gaps[i % 4];

            nr += (size_t)snprintf(raw + nr, cap - nr, "%sword%u", gap, i);
            nn += (size_t)snprintf(norm + nn, cap - nn, "%sword%u",
                                   i ? " " : "", i);
        }
        d = wh_body_hash(raw);
        wh_hash64_hex(wh_hash64(norm, nn), hex);
        snprintf(expect, sizeof(expect), "xxh3:%s", hex);
        assert_string_equal(d, expect);
        free(d);
        free(raw);
        free(norm);
    }

    rec->body_text = wh_xstrdup("  First paragraph.\n\n\nSecond one.");
    wh_record_hash_body(rec);
    assert_string_equal(rec->content_hash, a);
    free(rec->body_text);
    rec->body_text = NULL;
    wh_record_hash_body(rec);
    assert_null(rec->content_hash);
    free(a);
    free(b);
    free(c);
    wh_record_free(rec);
    wh_record_free(NULL);
}

/* charCount / wordCount ride on the text/plain body and come back. */
static void test_body_counts(void **state)
{
    struct wh_record *rec = wh_record_new();
    struct wh_record *back;
    char errstr[256];
    char *text;
    static const char bad[] =
        "{\"uri\":\"u\",\"bodies\":[{\"contentType\":\"text/plain\","
        "\"value\":\"x\",\"wordCount\":-3}]}";

    (void)state;
    rec->uri = wh_xstrdup("https://example.test/a");
    rec->body_text = wh_xstrdup("one two three");
    rec->body_chars = 13;
    rec->body_words = 3;
    text = wh_record_dump(rec);
    assert_non_null(strstr(text, "\"charCount\":13"));
    assert_non_null(strstr(text, "\"wordCount\":3"));
    back = wh_record_parse(text, strlen(text), errstr, sizeof(errstr));
    assert_non_null(back);
    assert_int_equal(back->body_chars, 13);
    assert_int_equal(back->body_words, 3);
    wh_record_free(back);
    free(text);
    wh_record_free(rec);

    back = wh_record_parse(bad, strlen(bad), errstr, sizeof(errstr));
    assert_null(back);
    assert_non_null(strstr(errstr, "wordCount"));
}

/* wh_record_dump() writes JSON itself (no jansson document): it must give
 * exactly what jansson gives for the same record, tricky strings and
 * nested extension members included. */
static void test_dump_matches_jansson(void **state)
{
    static const char *const strings[] = {
        "plain",
        "quote \" backslash \\ slash / del \x7f",
        "controls \x01\x1f\t\n\r\b\f",
        "utf-8: caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\xb0",
        "bad utf-8: \xff\xc3(",
        "",
        "\xe2\x80\xa8 sep",
    };
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(strings); i++) {
        struct wh_record *rec = wh_record_new();
        json_t *doc;
        char *mine;
        char *theirs;

        rec->uri = wh_xasprintf("https://example.test/%zu", i);
        rec->headline = wh_xstrdup(strings[i]);
        rec->description = wh_xstrdup(strings[(i + 1) % 7]);
        rec->body_text = wh_xstrdup(strings[(i + 2) % 7]);
        rec->body_chars = (long)i * 1000;
        rec->by = wh_xstrdup(strings[(i + 3) % 7]);
        rec->version = (unsigned)i + 1;
        rec->http_status = 200;
        rec->source = wh_xstrdup(strings[(i + 4) % 7]);
        rec->extra = json_pack(
            "{s:[{s:s,s:s}],s:s}", "subjects", "name", strings[(i + 5) % 7],
            "uri", "http://cv.iptc.org/x", "located", strings[(i + 6) % 7]);
        rec->ext =
            json_pack("{s:{s:f,s:I,s:b,s:n,s:[i,s]}}", "enrich", "score",
                      0.125 * (double)i, "big", (json_int_t)1 << 40, "ok",
                      (int)(i & 1), "none", "list", -7, strings[i]);
        doc = wh_record_to_json(rec);
        theirs = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        mine = wh_record_dump(rec);
        assert_non_null(theirs);
        assert_string_equal(mine, theirs);
        free(mine);
        free(theirs);
        json_decref(doc);
        wh_record_free(rec);
    }
}

static void test_now(void **state)
{
    char out[21];

    (void)state;
    wh_now_rfc3339(out);
    assert_int_equal(strlen(out), 20);
    assert_int_equal(out[10], 'T');
    assert_int_equal(out[19], 'Z');
}

/* wh_record_parse() reads JSON itself: on every document, and on every
 * one of these with an edit at each position, it accepts what
 * json_loadb() + wh_record_from_json() accept, and gives the same
 * record. */
static int parse_agrees(const char *text, size_t len)
{
    char errstr[256];
    json_error_t jerr;
    struct wh_record *fast = wh_record_parse(text, len, errstr, sizeof(errstr));
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    struct wh_record *slow =
        doc != NULL ? wh_record_from_json(doc, errstr, sizeof(errstr)) : NULL;
    int same = (fast == NULL) == (slow == NULL);

    if (same && fast != NULL) {
        char *a = wh_record_dump(fast);
        char *b = wh_record_dump(slow);

        same = strcmp(a, b) == 0;
        free(a);
        free(b);
    }
    wh_record_free(fast);
    wh_record_free(slow);
    json_decref(doc);
    return same;
}

static void test_parse_like_jansson(void **state)
{
    static const char *const docs[] = {
        "{\"uri\":\"u\",\"headlines\":[{\"role\":\"main\",\"value\":\"H\\u00e9"
        "\\ud83d\\ude00\"}],\"bodies\":[{\"contentType\":\"text/plain\","
        "\"value\":\"a\\tb\\\\c\\\"d\\/e\\n\",\"charCount\":7}],"
        "\"x\":[1,-0,2.5e3,-1E-2,true,false,null,{}],\"wirehose\":"
        "{\"httpStatus\":200,\"k\":{\"n\":[[]]}}}",
        " \n{ \"uri\" : \"caf\xc3\xa9\" , \"version\" : \"3\" } \t",
        "[{\"uri\":\"u\"}]",
    };
    static const char *const edits[] = {"\\",
                                        "\"",
                                        "\\u0000",
                                        "\\ud800",
                                        "\\udc00",
                                        "\x01",
                                        "\xff",
                                        "\xc3",
                                        "1e999",
                                        "01",
                                        "1.",
                                        "-",
                                        "tru",
                                        "]",
                                        "}",
                                        ",",
                                        ":",
                                        "{\"a\":1,\"a\":2}",
                                        "[1,]",
                                        "99999999999999999999",
                                        "-9223372036854775808",
                                        "\xe2\x82",
                                        "\\x",
                                        " "};
    char buf[1024];
    size_t d;
    size_t e;
    size_t pos;

    (void)state;
    for (d = 0; d < WH_ARRAY_SIZE(docs); d++) {
        size_t len = strlen(docs[d]);

        assert_true(parse_agrees(docs[d], len));
        for (pos = 0; pos <= len; pos++) {
            assert_true(parse_agrees(docs[d], pos)); /* cut short */
            for (e = 0; e < WH_ARRAY_SIZE(edits); e++) {
                size_t n = strlen(edits[e]);

                memcpy(buf, docs[d], pos);
                memcpy(buf + pos, edits[e], n);
                memcpy(buf + pos + n, docs[d] + pos, len - pos);
                if (!parse_agrees(buf, len + n)) {
                    fail_msg("insert \"%s\" at %zu of doc %zu", edits[e], pos,
                             d);
                }
                if (pos < len) {
                    memcpy(buf, docs[d], len);
                    buf[pos] = edits[e][0];
                    if (!parse_agrees(buf, len)) {
                        fail_msg("byte of \"%s\" at %zu of doc %zu", edits[e],
                                 pos, d);
                    }
                }
            }
        }
    }
    expect_reject("{\"uri\":\"u\",\"uri\":\"v\"}",
                  "1:17: duplicate object key");
    expect_reject("{\"uri\":\"u\"} x", "end of file expected");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_version_string),
        cmocka_unit_test(test_missing_uri),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_parse_not_nul_terminated),
        cmocka_unit_test(test_from_json_roles),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_body_hash),
        cmocka_unit_test(test_body_counts),
        cmocka_unit_test(test_dump_matches_jansson),
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_parse_like_jansson),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
