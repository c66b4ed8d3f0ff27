/*
 * fuzz_sources.c - the source kinds (producers/sources/): each kind's
 * parser directly and through detection. The first byte of the input
 * picks the way in (detection without or with a Content-Type, or one
 * kind), the rest is the document. Invariants: every string of every item
 * is valid UTF-8; a wire item's record dumps, parses back to the same
 * dump and its extension object has its types; the time is linear.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kinds.h"
#include "source.h"
#include "wh/record.h"
#include "wh/wh.h"

static const struct wh_source_kind *const kinds[] = {
    &wh_source_rss,      &wh_source_atom,    &wh_source_rdf,
    &wh_source_jsonfeed, &wh_source_sitemap, &wh_source_discover,
    &wh_source_ninjs,    &wh_source_newsml,  &wh_source_nitf,
};

static const char *const content_types[] = {
    "application/rss+xml",   "application/atom+xml; charset=utf-8",
    "application/feed+json", "text/html",
    "application/xml",       "application/json",
    "application/gzip",      "text/xml; charset=iso-8859-1",
};

static const char base_url[] = "https://news.example.com/feeds/main.xml";

static void check_feed(const struct wh_feed *feed)
{
    size_t i;
    size_t k;

    fuzz_check_utf8("feed title", feed->title);
    for (i = 0; i < feed->nlinks; i++) {
        fuzz_check_utf8("feed link", feed->links[i]);
    }
    for (i = 0; i < feed->nitems; i++) {
        const struct wh_feed_item *it = &feed->items[i];

        fuzz_check_utf8("item id", it->id);
        fuzz_check_utf8("item link", it->link);
        fuzz_check_utf8("item title", it->title);
        fuzz_check_utf8("item summary", it->summary);
        fuzz_check_utf8("item author", it->author);
        fuzz_check_utf8("item published", it->published);
        fuzz_check_utf8("item updated", it->updated);
        fuzz_check_utf8("item content", it->content);
        for (k = 0; k < it->nmedia; k++) {
            fuzz_check_utf8("item media", it->media[k].url);
            fuzz_check_utf8("item media type", it->media[k].type);
        }
        for (k = 0; k < it->ncategories; k++) {
            fuzz_check_utf8("item category", it->categories[k]);
        }
        if (it->rec != NULL) {
            json_t *doc = fuzz_check_roundtrip(it->rec);

            fuzz_check_ext(doc, 0);
            json_decref(doc);
        }
    }
}

static int run(const uint8_t *data, size_t size)
{
    char err[256];
    struct wh_feed *feed;
    const char *body;
    size_t len;
    unsigned way;

    if (size == 0) {
        return 0;
    }
    way = data[0] %
          (unsigned)(1 + WH_ARRAY_SIZE(content_types) + WH_ARRAY_SIZE(kinds));
    body = (const char *)data + 1;
    len = size - 1;
    if (way <= WH_ARRAY_SIZE(content_types)) {
        feed =
            wh_source_parse(body, len, way == 0 ? NULL : content_types[way - 1],
                            base_url, err, sizeof(err));
    } else {
        const struct wh_source_kind *k =
            kinds[way - 1 - WH_ARRAY_SIZE(content_types)];

        (void)k->detect(body, len, NULL);
        feed = wh_xcalloc(1, sizeof(*feed));
        feed->kind = wh_xstrdup(k->name);
        (void)k->parse(body, len, base_url, feed, err, sizeof(err));
    }
    if (feed != NULL) {
        check_feed(feed);
        wh_feed_free(feed);
    }
    return 0;
}

const struct fuzz_target fuzz_target = {"sources", run, 100, 2000};
