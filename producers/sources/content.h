/*
 * content.h - the full text a feed item carries (content:encoded, Atom
 * content, JSON Feed content_html / content_text), made a clean body with
 * the page extractor's generic rules.
 *
 * Thread-safety: as wh_extract(); any thread, on different items.
 */
#ifndef WH_SOURCES_CONTENT_H
#define WH_SOURCES_CONTENT_H

#include <stddef.h>

struct wh_feed_item;

/* The item's content as an article: body_text, body_html (links
 * absolute against it->content_base) and body_words filled, feed footers
 * ("The post X appeared first on Y"), share links and tracking pixels
 * removed. max_bytes caps the content as a page (0: the extractor's
 * default). Returns a new article (wh_article_free() it), or NULL when
 * the item has no content or its content has no text. */
struct wh_article *wh_feed_content_article(const struct wh_feed_item *it,
                                           size_t max_bytes);

/* The item's summary (plain text) as an article of one paragraph, for an
 * item with no content. A new article, or NULL when it has no summary. */
struct wh_article *wh_feed_summary_article(const struct wh_feed_item *it);

/* Non-zero when a body of feed_words words from the feed holds clearly
 * more of the article than one of page_words words from its page (a
 * paywalled page with a teaser), so that body = auto takes the feed's. */
int wh_feed_body_wins(size_t page_words, size_t feed_words);

#endif
