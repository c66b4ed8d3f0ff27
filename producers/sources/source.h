/*
 * source.h - source kinds: a feed or wire document -> items.
 *
 * Each kind (rss.c, atom.c, ... one file per kind) exports one
 * const struct wh_source_kind, registered in the static table of
 * sources.c. The kind of a fetched document is detected from its content
 * (the kind with the highest detect() score wins), never from the URL.
 */
#ifndef WH_SOURCE_H
#define WH_SOURCE_H

#include <jansson.h>
#include <stddef.h>

struct wh_record;

/* A media object an item links to: an RSS enclosure, an Atom
 * rel="enclosure" link, a JSON Feed attachment, a Media RSS
 * media:content or media:thumbnail. All strings owned. */
struct wh_feed_media {
    char *url;          /* absolute */
    char *type;         /* MIME type, or NULL */
    const char *nature; /* ninjs type: "picture", "video", "audio",
                           or NULL when unknown (static string) */
    const char *rel;    /* "enclosure", "content" or "thumbnail"
                           (static string) */
    long width;         /* pixels, 0 when unknown */
    long height;
    long long size; /* bytes, 0 when unknown */
};

/* One entry of a feed, sitemap or wire document. All strings owned. */
struct wh_feed_item {
    char *id;           /* guid / atom:id / loc; NULL if none */
    char *link;         /* absolute page URL; NULL for wire items */
    char *title;        /* plain text */
    char *summary;      /* plain text */
    char *content;      /* the full text the feed carries, as HTML
                           (content:encoded, Atom content, JSON Feed
                           content_html, or content_text made HTML);
                           NULL when none */
    char *content_base; /* base URL of content's relative links (its
                           xml:base, else the document URL); may be
                           NULL */
    char *author;       /* names joined with ", " */
    char *published;    /* RFC 3339 */
    char *updated;      /* RFC 3339 */
    char **categories;
    size_t ncategories;
    struct wh_feed_media *media; /* in document order, no URL twice */
    size_t nmedia;
    struct wh_record *rec; /* wire items (ninjs, NewsML-G2, NITF): the
                              finished record, no page fetch needed */
};

struct wh_feed {
    char *kind; /* name of the kind that parsed it */
    char *title;
    struct wh_feed_item *items;
    size_t nitems;
    char **links; /* documents to poll next: sitemap-index
                     children, autodiscovered feeds */
    size_t nlinks;
};

struct wh_source_kind {
    const char *name;        /* "rss", "atom", ... */
    const char *description; /* one line */
    /* Returns 0 (not this kind) .. 100 (certainly this kind). Must be
     * cheap: looks at the first bytes only. */
    int (*detect)(const char *body, size_t len, const char *content_type);
    /* Appends the items of body to feed. base_url resolves relative links.
     * Returns WH_OK, or WH_EPARSE / WH_E2BIG with errstr filled. */
    int (*parse)(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size);
};

/* Detects the kind of body and parses it into a new feed. Returns NULL
 * with errstr filled ("not a feed: ...", "rss: line 3: ...") on failure. */
struct wh_feed *wh_source_parse(const char *body, size_t len,
                                const char *content_type, const char *base_url,
                                char *errstr, size_t errstr_size);

void wh_feed_free(struct wh_feed *feed);

/* Frees what item it owns (strings, categories, rec) and zeroes it; the
 * struct itself is the caller's (an element of a feed, or a copy taken
 * out of one). */
void wh_feed_item_clear(struct wh_feed_item *it);

/* Appends a zeroed item to feed and returns it (owned by feed). */
struct wh_feed_item *wh_feed_add_item(struct wh_feed *feed);

/* Adds cat to the item's categories, taking ownership of it; a NULL cat
 * is ignored and a duplicate is freed. */
void wh_feed_item_add_category(struct wh_feed_item *it, char *cat);

/* Adds a media object to the item: url (absolute; NULL is ignored) and
 * type (may be NULL) are taken over, nature is derived from type, else
 * from medium (Media RSS "image", "video", "audio"; may be NULL). A URL
 * already there (a media:content repeating the enclosure) adds nothing
 * but a missing type. Returns the entry (owned by it) for the caller to
 * fill the sizes still 0, or NULL when url is NULL. */
struct wh_feed_media *wh_feed_item_add_media(struct wh_feed_item *it, char *url,
                                             char *type, const char *medium,
                                             const char *rel);

/* The media object as a ninjs association: {"name": rel, "uri": url,
 * "type": nature (when known), "renditions": [{"name": "original",
 * "href", "contentType", "width", "height", "sizeInBytes" (those
 * known)}]}. A new JSON object (json_decref() it). */
json_t *wh_feed_media_association(const struct wh_feed_media *m);

/* Appends url to feed->links, taking ownership of it; NULL is ignored. */
void wh_feed_add_link(struct wh_feed *feed, char *url);

#endif
