/*
 * assemble.h - record assembly in the producer: what an item's page (or
 * the feed's own full text) makes of a record, whether an item that makes
 * none is skipped or retried, and the record completed with the metadata
 * of its feed item, its uri and its provenance. Pure: no I/O (a page
 * comes in as a fetch result), no Kafka, so the unit tests link it with
 * the source kinds and the extractor only.
 */
#ifndef WH_PRODUCER_ASSEMBLE_H
#define WH_PRODUCER_ASSEMBLE_H

#include <stddef.h>

#include "sources/source.h"
#include "wh/record.h"

struct wh_quality;

struct wh_article;
struct wh_fetch_result;

/* The per-source option body = auto | page | feed. */
#define BODY_AUTO                                                              \
    0               /* the page's; the feed's when the page fails or the       \
                       feed holds clearly more (wh_feed_body_wins()) */
#define BODY_PAGE 1 /* the page's only */
#define BODY_FEED 2 /* the feed's content when it has some: no page fetch */

/* What assemble_item() made of an item. */
struct assemble_outcome {
    int extracted;      /* 1: the page's article was extracted; -1: the page
                           was fetched but holds none; 0: no page */
    int from_feed;      /* the record's body is the feed's */
    int permanent;      /* no record: skip the item for good (else retry) */
    const char *reason; /* no record: wirehose_items_total's reason */
    char why[256];      /* what went wrong with the page, for the log; ""
                           when nothing did */
};

/* The feed item's metadata where the record has none: headline,
 * description, by, firstCreated / versionCreated (published and updated,
 * each standing in for the other), its categories added to "subjects"
 * (case-insensitively unique), its media as associations and its guid
 * (when it is not its link) in "altIds" with role "guid". Each
 * field taken from the feed is named under "fieldSources" in the
 * extension object. */
void assemble_merge_feed(struct wh_record *rec, const struct wh_feed_item *it);

/* Where a record's body came from: "page" or "feed", noted as
 * fieldSources.body in the extension object (the page extractor writes
 * the other fields' sources). */
void assemble_body_source(struct wh_record *rec, const char *from);

/* Makes art (the item's feed content, wh_feed_content_article()) the
 * record's body, replacing any there: text, html, word count, content
 * hash, and fieldSources.body = "feed". art is borrowed. */
void assemble_feed_body(struct wh_record *rec, const struct wh_article *art);

/* A new record from the feed alone (no page): its body is the item's
 * content cleaned like a page, else its summary as text (each noted
 * fieldSources.body = "feed"); assemble_finish() adds the rest. max_bytes
 * caps the content as the extractor's page limit (0: its default). */
struct wh_record *assemble_from_feed(const struct wh_feed_item *it,
                                     size_t max_bytes);

/* The record of a feed item, as the producer publishes it before
 * assemble_finish(): res is its page's fetch (borrowed), or NULL when no
 * page was fetched (the record is then the feed's alone,
 * assemble_from_feed()). A page fetched is extracted; with body =
 * BODY_AUTO the feed's content replaces a body that holds clearly less.
 * When the page cannot be used (its fetch failed or it holds no
 * article), the feed's content is the body (unless body is BODY_PAGE);
 * without content, a page with no article still makes a record of the
 * feed's metadata when the item has a title. Returns a new record, or
 * NULL when nothing can be published, with o->permanent and o->reason
 * saying whether the item is skipped for good (robots, 404, 410, other
 * 4xx, too big, no article) or failed for now (timeout, 5xx, 429,
 * network); docs/producer.md has the table. o is always filled. */
/* q (may be NULL): the per-source extraction figures a fetched page
 * is counted in, under source. */
struct wh_record *assemble_item(const struct wh_feed_item *it,
                                const struct wh_fetch_result *res, int body,
                                size_t max_bytes, struct wh_quality *q,
                                const char *source, struct assemble_outcome *o);

/* Completes rec for publishing: assemble_merge_feed(); the uri (the
 * record's own, else the item's link, else its id when that is a URI,
 * else "source_url#guid=ID"), normalized for pages (an item with a link)
 * and kept as it is for wire items; source (source_name), fetchedAt
 * (now), the content hash (of the empty body when there is none) and the
 * extractor's version for pages. */
void assemble_finish(struct wh_record *rec, const struct wh_feed_item *it,
                     const char *id, const char *source_name,
                     const char *source_url);

#endif
