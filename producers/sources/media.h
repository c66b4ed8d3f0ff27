/*
 * media.h - Media RSS (http://search.yahoo.com/mrss/) in any XML feed:
 * media:content, media:thumbnail and media:group, as the item's media.
 */
#ifndef WH_SOURCES_MEDIA_H
#define WH_SOURCES_MEDIA_H

#include <libxml/tree.h>

struct wh_feed_item;

/* Adds the Media RSS objects among the children of item (an RSS item,
 * an Atom entry) to it->media, in document order: each media:content
 * (rel "content"), each media:thumbnail (rel "thumbnail"), at item level,
 * inside media:content and inside media:group. URLs resolve against the
 * base in effect at each element. */
void wh_media_rss(const xmlNode *item, struct wh_feed_item *it);

#endif
