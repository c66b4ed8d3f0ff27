/*
 * wire.h - what the wire kinds (NewsML-G2, NITF) share: filling a record's
 * ninjs members and adding it to the feed as a wire item.
 */
#ifndef WH_SOURCES_WIRE_H
#define WH_SOURCES_WIRE_H

#include "source.h"

struct wh_record;

/* Sets the ninjs member name of rec->extra to the string value, taking
 * ownership of value; NULL or "" is ignored (and freed). */
void wh_wire_set(struct wh_record *rec, const char *name, char *value);

/* Sets rec->extra's "urgency" when s is a number 1..9. */
void wh_wire_set_urgency(struct wh_record *rec, const char *s);

/* Appends {"name": name, "literal": literal, "uri": uri} (members that
 * are NULL omitted; nothing when all are) to the array member array of
 * rec->extra ("subjects", "genres", ...). Borrowed strings. */
void wh_wire_add_concept(struct wh_record *rec, const char *array,
                         const char *name, const char *literal,
                         const char *uri);

/* Adds rec to feed as a wire item (taking ownership of rec): the id is
 * the uri plus "#v<version>" when there is a version, so a new version
 * is a new item. */
void wh_wire_add_item(struct wh_feed *feed, struct wh_record *rec);

#endif
