/*
 * sources.c - the table of source kinds, content detection and the feed
 * container (see source.h).
 */
#include "source.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* next_in of z_stream is const with ZLIB_CONST. */
#define ZLIB_CONST
#include <zlib.h>

#include "kinds.h"
#include "wh/buf.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "xml.h"

/* Every kind the producer knows, in no particular order: detection picks
 * the highest score. */
static const struct wh_source_kind *const kinds[] = {
    &wh_source_rss,      &wh_source_atom,    &wh_source_rdf,
    &wh_source_jsonfeed, &wh_source_sitemap, &wh_source_discover,
    &wh_source_ninjs,    &wh_source_newsml,  &wh_source_nitf,
};

/* gzip-compressed documents (sitemap.xml.gz, or a server that sends the
 * file as is) are inflated first, to at most this many bytes. */
#define GUNZIP_MAX WH_XML_MAX_BYTES

/* Inflates a gzip body into out. Returns WH_OK, WH_E2BIG past
 * GUNZIP_MAX, or WH_EPARSE on corrupt data, with errstr filled. */
static int gunzip(const char *body, size_t len, struct wh_buf *out,
                  char *errstr, size_t errstr_size)
{
    z_stream zs;
    unsigned char chunk[65536];
    int zrc;
    int rc = WH_OK;

    memset(&zs, 0, sizeof(zs));
    /* 16 + MAX_WBITS: gzip header and trailer expected. */
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(errstr, errstr_size, "gzip: cannot initialize zlib");
        return WH_EPARSE;
    }
    zs.next_in = (const Bytef *)body;
    zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            snprintf(errstr, errstr_size, "gzip: %s",
                     zs.msg != NULL ? zs.msg : "corrupt data");
            rc = WH_EPARSE;
            break;
        }
        if (wh_buf_append(out, chunk, sizeof(chunk) - zs.avail_out) != WH_OK) {
            snprintf(errstr, errstr_size,
                     "gzip: inflates past %zu bytes (refused)", GUNZIP_MAX);
            rc = WH_E2BIG;
            break;
        }
        if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            snprintf(errstr, errstr_size, "gzip: truncated data");
            rc = WH_EPARSE;
            break;
        }
    } while (zrc != Z_STREAM_END);
    inflateEnd(&zs);
    return rc;
}

/* Says what body looks like when no kind claims it, for the error. */
static void describe(const char *body, size_t len, char *out, size_t size)
{
    char root[64];
    size_t i;
    size_t n;

    if (body == NULL || len == 0) {
        snprintf(out, size, "empty document");
        return;
    }
    if (wh_xml_sniff_root(body, len, root, sizeof(root), NULL, NULL)) {
        if (strcasecmp(root, "html") == 0) {
            snprintf(out, size, "an HTML page");
        } else {
            snprintf(out, size, "unknown XML root element <%s>", root);
        }
        return;
    }
    /* Show the first bytes, printable ones only. */
    n = len < 24 ? len : 24;
    snprintf(out, size, "unrecognized content starting with \"");
    for (i = 0; i < n; i++) {
        size_t used = strlen(out);
        unsigned char c = (unsigned char)body[i];

        if (used + 2 >= size) {
            break;
        }
        out[used] = (char)(isprint(c) ? c : '.');
        out[used + 1] = '\0';
    }
    n = strlen(out);
    if (n + 1 < size) {
        out[n] = '"';
        out[n + 1] = '\0';
    }
}

struct wh_feed *wh_source_parse(const char *body, size_t len,
                                const char *content_type, const char *base_url,
                                char *errstr, size_t errstr_size)
{
    const struct wh_source_kind *best = NULL;
    int best_score = 0;
    struct wh_feed *feed = NULL;
    struct wh_buf inflated;
    char why[160];
    size_t i;
    int rc;

    wh_buf_init(&inflated, GUNZIP_MAX);
    if (body != NULL && len >= 2 && (unsigned char)body[0] == 0x1f &&
        (unsigned char)body[1] == 0x8b) {
        if (gunzip(body, len, &inflated, errstr, errstr_size) != WH_OK) {
            goto out;
        }
        body = inflated.data != NULL ? inflated.data : "";
        len = inflated.len;
    }
    for (i = 0; i < WH_ARRAY_SIZE(kinds); i++) {
        int score = kinds[i]->detect(body, len, content_type);

        if (score > best_score) {
            best_score = score;
            best = kinds[i];
        }
    }
    if (best == NULL) {
        describe(body, len, why, sizeof(why));
        snprintf(errstr, errstr_size, "not a feed: %s", why);
        goto out;
    }
    feed = wh_xcalloc(1, sizeof(*feed));
    feed->kind = wh_xstrdup(best->name);
    why[0] = '\0';
    rc = best->parse(body, len, base_url, feed, why, sizeof(why));
    if (rc != WH_OK) {
        snprintf(errstr, errstr_size, "%s: %s", best->name,
                 why[0] != '\0' ? why : wh_strerror(rc));
        wh_feed_free(feed);
        feed = NULL;
    }
out:
    wh_buf_free(&inflated);
    return feed;
}

void wh_feed_item_clear(struct wh_feed_item *it)
{
    size_t i;

    free(it->id);
    free(it->link);
    free(it->title);
    free(it->summary);
    free(it->content);
    free(it->content_base);
    free(it->author);
    free(it->published);
    free(it->updated);
    for (i = 0; i < it->ncategories; i++) {
        free(it->categories[i]);
    }
    free(it->categories);
    for (i = 0; i < it->nmedia; i++) {
        free(it->media[i].url);
        free(it->media[i].type);
    }
    free(it->media);
    wh_record_free(it->rec);
    memset(it, 0, sizeof(*it));
}

void wh_feed_free(struct wh_feed *feed)
{
    size_t i;

    if (feed == NULL) {
        return;
    }
    for (i = 0; i < feed->nitems; i++) {
        wh_feed_item_clear(&feed->items[i]);
    }
    free(feed->items);
    for (i = 0; i < feed->nlinks; i++) {
        free(feed->links[i]);
    }
    free(feed->links);
    free(feed->kind);
    free(feed->title);
    free(feed);
}

/* Arrays grow to 8, 16, 32, ... elements: the capacity is implied by the
 * count, so the structs need no capacity field. */
static int needs_growth(size_t n)
{
    return n == 0 || (n >= 8 && (n & (n - 1)) == 0);
}

static size_t grown(size_t n)
{
    return n == 0 ? 8 : n * 2;
}

struct wh_feed_item *wh_feed_add_item(struct wh_feed *feed)
{
    struct wh_feed_item *it;

    if (needs_growth(feed->nitems)) {
        feed->items =
            wh_xrealloc(feed->items, grown(feed->nitems) * sizeof(*it));
    }
    it = &feed->items[feed->nitems++];
    memset(it, 0, sizeof(*it));
    return it;
}

void wh_feed_item_add_category(struct wh_feed_item *it, char *cat)
{
    size_t i;

    if (cat == NULL) {
        return;
    }
    for (i = 0; i < it->ncategories; i++) {
        if (strcmp(it->categories[i], cat) == 0) {
            free(cat);
            return;
        }
    }
    if (needs_growth(it->ncategories)) {
        it->categories = wh_xrealloc(
            it->categories, grown(it->ncategories) * sizeof(*it->categories));
    }
    it->categories[it->ncategories++] = cat;
}

void wh_feed_add_link(struct wh_feed *feed, char *url)
{
    if (url == NULL) {
        return;
    }
    if (needs_growth(feed->nlinks)) {
        feed->links = wh_xrealloc(feed->links,
                                  grown(feed->nlinks) * sizeof(*feed->links));
    }
    feed->links[feed->nlinks++] = url;
}

/* The ninjs type of a media object from its MIME type, else its Media
 * RSS medium. */
static const char *media_nature(const char *type, const char *medium)
{
    static const struct {
        const char *prefix;
        const char *nature;
    } map[] = {
        {"image", "picture"},
        {"video", "video"},
        {"audio", "audio"},
    };
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(map); i++) {
        size_t n = strlen(map[i].prefix);

        if ((type != NULL && strncasecmp(type, map[i].prefix, n) == 0 &&
             type[n] == '/') ||
            (type == NULL && medium != NULL &&
             strcasecmp(medium, map[i].prefix) == 0)) {
            return map[i].nature;
        }
    }
    return NULL;
}

struct wh_feed_media *wh_feed_item_add_media(struct wh_feed_item *it, char *url,
                                             char *type, const char *medium,
                                             const char *rel)
{
    struct wh_feed_media *m;
    size_t i;

    if (url == NULL) {
        free(type);
        return NULL;
    }
    for (i = 0; i < it->nmedia; i++) {
        m = &it->media[i];
        if (strcmp(m->url, url) == 0) {
            free(url);
            if (m->type == NULL && type != NULL) {
                m->type = type;
                m->nature = media_nature(type, medium);
            } else {
                free(type);
            }
            return m;
        }
    }
    if (needs_growth(it->nmedia)) {
        it->media =
            wh_xrealloc(it->media, grown(it->nmedia) * sizeof(*it->media));
    }
    m = &it->media[it->nmedia++];
    memset(m, 0, sizeof(*m));
    m->url = url;
    m->type = type;
    m->nature = media_nature(type, medium);
    m->rel = rel;
    return m;
}

json_t *wh_feed_media_association(const struct wh_feed_media *m)
{
    json_t *rendition =
        json_pack("{s:s, s:s}", "name", "original", "href", m->url);
    json_t *assoc = json_pack("{s:s, s:s}", "name", m->rel, "uri", m->url);

    if (m->type != NULL) {
        json_object_set_new(rendition, "contentType", json_string(m->type));
    }
    if (m->width > 0) {
        json_object_set_new(rendition, "width", json_integer(m->width));
    }
    if (m->height > 0) {
        json_object_set_new(rendition, "height", json_integer(m->height));
    }
    if (m->size > 0) {
        json_object_set_new(rendition, "sizeInBytes",
                            json_integer((json_int_t)m->size));
    }
    if (m->nature != NULL) {
        json_object_set_new(assoc, "type", json_string(m->nature));
    }
    json_object_set_new(assoc, "renditions", json_pack("[o]", rendition));
    return assoc;
}
