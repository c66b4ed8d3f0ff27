/*
 * kinds.h - the source kinds registered in the table of sources.c. Each is
 * defined in its own file (rss.c, atom.c, ...). Read-only, so any thread
 * may use them.
 */
#ifndef WH_SOURCES_KINDS_H
#define WH_SOURCES_KINDS_H

#include "source.h"

/* RSS 0.9x and 2.0 (rss.c). */
extern const struct wh_source_kind wh_source_rss;
/* Atom 1.0 (atom.c). */
extern const struct wh_source_kind wh_source_atom;
/* RSS 1.0 (RDF) and 0.90 (rdf.c). */
extern const struct wh_source_kind wh_source_rdf;
/* JSON Feed 1.0 and 1.1 (jsonfeed.c). */
extern const struct wh_source_kind wh_source_jsonfeed;
/* Sitemaps, sitemap indexes, Google News sitemaps (sitemap.c). */
extern const struct wh_source_kind wh_source_sitemap;
/* Feed autodiscovery from an HTML page (discover.c). */
extern const struct wh_source_kind wh_source_discover;
/* IPTC ninjs 1.x-3.x (ninjs.c), NewsML-G2 (newsml.c), NITF (nitf.c):
 * wire items, finished records. */
extern const struct wh_source_kind wh_source_ninjs;
extern const struct wh_source_kind wh_source_newsml;
extern const struct wh_source_kind wh_source_nitf;

#endif
