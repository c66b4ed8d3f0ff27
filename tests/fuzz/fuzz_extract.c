/*
 * fuzz_extract.c - page extraction (producers/extract/), HTML in any
 * charset. The first line of the input is the HTTP charset (empty: none),
 * the rest the page. Invariants: every string of the article is valid
 * UTF-8; the record built from it dumps, parses back to the same dump
 * and has a valid extension object; the time is linear.
 */
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "fuzz.h"
#include "wh/record.h"
#include "wh/wh.h"

static const char page_url[] = "https://news.example.com/2024/01/02/story";

static void check_article(const struct wh_article *a)
{
    size_t i;

    fuzz_check_utf8("headline", a->headline);
    fuzz_check_utf8("description", a->description);
    fuzz_check_utf8("byline", a->byline);
    fuzz_check_utf8("published", a->published);
    fuzz_check_utf8("modified", a->modified);
    fuzz_check_utf8("canonical_url", a->canonical_url);
    fuzz_check_utf8("site_name", a->site_name);
    fuzz_check_utf8("section", a->section);
    fuzz_check_utf8("image", a->image);
    fuzz_check_utf8("language", a->language);
    fuzz_check_utf8("body_text", a->body_text);
    fuzz_check_utf8("body_html", a->body_html);
    for (i = 0; i < a->ntags; i++) {
        fuzz_check_utf8("a tag", a->tags[i]);
    }
}

static int run(const uint8_t *data, size_t size)
{
    static int ready;
    struct wh_extract_opts opts;
    struct wh_article *art;
    struct wh_record *rec;
    const uint8_t *page;
    char err[256];
    char *cs;
    size_t len;

    if (!ready) {
        wh_extract_global_init();
        ready = 1;
    }
    fuzz_split_line(data, size, 64, &cs, &page, &len);
    memset(&opts, 0, sizeof(opts));
    opts.charset = cs[0] != '\0' ? cs : NULL;
    art =
        wh_extract((const char *)page, len, page_url, &opts, err, sizeof(err));
    if (art != NULL) {
        json_t *doc;

        check_article(art);
        rec = wh_record_new();
        wh_article_to_record(art, page_url, rec);
        rec->source = wh_xstrdup("fuzz");
        rec->fetched_at = wh_xstrdup("2024-01-02T03:04:05Z");
        rec->final_url = wh_xstrdup(page_url);
        rec->http_status = 200;
        if (rec->content_hash == NULL) {
            wh_record_hash_body(rec);
        }
        doc = fuzz_check_roundtrip(rec);
        fuzz_check_ext(doc, 1);
        json_decref(doc);
        wh_record_free(rec);
        wh_article_free(art);
    }
    free(cs);
    return 0;
}

const struct fuzz_target fuzz_target = {"extract", run, 100, 2000};
