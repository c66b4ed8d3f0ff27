/*
 * extract.h - HTML page -> article: main text and metadata, from generic
 * rules only (no per-site templates). Used by wirehose-producer and
 * wirehose-extract. Links only libxml2 and libwh_common (no curl, no
 * rdkafka), so a one-page wirehose-extract run starts fast.
 *
 * Thread-safety: wh_extract() may run on several threads at once on
 * different pages (call wh_extract_global_init() once first).
 */
#ifndef WH_EXTRACT_H
#define WH_EXTRACT_H

#include <stddef.h>

struct wh_record;

#define WH_EXTRACTOR_VERSION "wirehose-extract/0.1"

struct wh_extract_opts {
    size_t max_bytes;    /* pages larger than this are refused;
                            0 = 8 MiB */
    const char *charset; /* from the HTTP Content-Type, or NULL */
};

/* Where a metadata value came from. */
enum wh_prov {
    WH_PROV_NONE = 0,
    WH_PROV_JSONLD, /* schema.org JSON-LD */
    WH_PROV_META,   /* OpenGraph / <meta name=...> */
    WH_PROV_TIME,   /* <time datetime> */
    WH_PROV_URL,    /* a /2014/12/21/ pattern in the URL */
    WH_PROV_TEXT,   /* visible text (dateline, "By ...") */
    WH_PROV_MARKUP  /* <h1>, <title>, rel=author, class names */
};

/* Returns "jsonld", "meta", "time", "url", "text", "markup" or "none". */
const char *wh_prov_name(enum wh_prov p);

struct wh_article {
    char *headline;
    enum wh_prov headline_from;
    char *description; /* standfirst / summary */
    enum wh_prov description_from;
    char *byline; /* people only: no "By", dates or "Staff" */
    enum wh_prov byline_from;
    char *published; /* RFC 3339 */
    enum wh_prov published_from;
    char *modified; /* RFC 3339 */
    enum wh_prov modified_from;
    char *canonical_url; /* absolute */
    char *site_name;
    char *section;
    char **tags; /* ntags strings */
    size_t ntags;
    char *image;     /* lead image, absolute URL */
    char *language;  /* hint from <html lang> / meta, BCP 47 */
    char *body_text; /* paragraphs separated by "\n\n" */
    char *body_html; /* structural tags only, links absolute */
    size_t body_words;
    double confidence; /* 0..1 in steps of 1/16: how far to
                          trust body_text */
    unsigned weak;     /* WH_EXTRACT_WEAK_* signals that cost it */
};

/* Signals that lower an article's confidence (bits of art->weak). */
#define WH_EXTRACT_WEAK_SHORT 0x1 /* few body words */
#define WH_EXTRACT_WEAK_LINKS 0x2 /* much of the body is link text */
#define WH_EXTRACT_WEAK_RIVAL 0x4 /* another container scored close */
#define WH_EXTRACT_WEAK_FALLBACK                                               \
    0x8 /* the strict pass failed; a looser                                    \
           one chose the text */

/* Below this confidence an extraction counts as low: the record names
 * its reasons and the producer's low-confidence share counts it. */
#define WH_EXTRACT_LOW_CONFIDENCE 0.5

/* The name of one WH_EXTRACT_WEAK_* bit as the record writes it
 * ("short-body", "link-density", "competing-containers", "fallback"),
 * or NULL for an unknown bit. */
const char *wh_extract_weak_name(unsigned bit);

/* Call once per process before any wh_extract() (initializes libxml2). */
void wh_extract_global_init(void);

/* Extracts the article of one page. html need not be NUL-terminated; url
 * (may be NULL) resolves relative links and feeds the URL-date rule.
 * Returns a new article, or NULL with errstr filled: "no article found",
 * "page too large", "not HTML", ... Never crashes on any input; work is
 * bounded per page. */
struct wh_article *wh_extract(const char *html, size_t len, const char *url,
                              const struct wh_extract_opts *opts, char *errstr,
                              size_t errstr_size);

void wh_article_free(struct wh_article *art);

/* Fills the record's ninjs fields from the article: uri (canonical URL,
 * else url), headline, description, body text and html, by, dates
 * (firstCreated = published, versionCreated = modified or published),
 * language, and in rec->extra/ext: keywords/subjects from tags, section,
 * image, and the provenance of each field ("fieldSources" in the
 * extension object). Sets extractorVersion and contentHash. Existing
 * record fields that are NULL are filled; non-NULL ones are kept (so feed
 * metadata set before wins only where the caller wants it). */
void wh_article_to_record(const struct wh_article *art, const char *url,
                          struct wh_record *rec);

/* For a record not built by wh_extract() (a wire item, a feed item whose
 * page could not be extracted): sets wirehose.extraction when absent,
 * confidence 1 when the record carries a body of its own, else 0 with
 * the reason "short-body". */
void wh_extract_note_unextracted(struct wh_record *rec);

#endif
