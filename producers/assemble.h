/*
 * assemble.h - record assembly in the producer: a record extracted from an
 * item's page (or carried by a wire item) completed with the metadata of
 * its feed item, its uri and its provenance. Pure: no I/O, no Kafka, so
 * the unit tests link it alone.
 */
#ifndef WH_PRODUCER_ASSEMBLE_H
#define WH_PRODUCER_ASSEMBLE_H

#include <stddef.h>

#include "sources/source.h"
#include "wh/record.h"

struct wh_article;

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

/* Completes rec for publishing: assemble_merge_feed(); the uri (the
 * record's own, else the item's link, else id), normalized for pages (an
 * item with a link) and kept as it is for wire items; source, fetchedAt
 * (now), the content hash (of the empty body when there is none) and the
 * extractor's version for pages. */
void assemble_finish(struct wh_record *rec, const struct wh_feed_item *it,
                     const char *id, const char *source_name);

#endif
