/*
 * assemble.h - record assembly in the producer: a record extracted from an
 * item's page (or carried by a wire item) completed with the metadata of
 * its feed item, its uri and its provenance. Pure: no I/O, no Kafka, so
 * the unit tests link it alone.
 */
#ifndef WH_PRODUCER_ASSEMBLE_H
#define WH_PRODUCER_ASSEMBLE_H

#include "sources/source.h"
#include "wh/record.h"

/* The feed item's metadata where the record has none: headline,
 * description, by, firstCreated / versionCreated (published and updated,
 * each standing in for the other), its categories added to "subjects"
 * (case-insensitively unique) and its enclosure as an association. Each
 * field taken from the feed is named under "fieldSources" in the
 * extension object. */
void assemble_merge_feed(struct wh_record *rec, const struct wh_feed_item *it);

/* Completes rec for publishing: assemble_merge_feed(); the uri (the
 * record's own, else the item's link, else id), normalized for pages (an
 * item with a link) and kept as it is for wire items; source, fetchedAt
 * (now), the content hash (of the empty body when there is none) and the
 * extractor's version for pages. */
void assemble_finish(struct wh_record *rec, const struct wh_feed_item *it,
                     const char *id, const char *source_name);

#endif
