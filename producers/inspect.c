/*
 * inspect.c - wirehose-producer --inspect URL [--no-pages]: what the
 * producer makes of one source, without Kafka and without state.
 *
 * The source is fetched with the daemon's fetcher and its rules (robots,
 * SSRF guard and fetch.allow_address, limits; file:// for a file URL),
 * parsed like a round does (linked documents followed as deep and as
 * many), and each new item made a record by assemble_item() and
 * assemble_finish(), as the daemon would publish it. Printed to stdout,
 * one JSON object a line: first the header {"source", "kind", "title",
 * "items", "extraction"} (plus "fleet" with sources = kafka), then one
 * ninjs record per item that makes one. Items that make none (skipped,
 * failed) are said on stderr with their reason. With --no-pages no page
 * is fetched: each record is the feed's alone.
 *
 * "extraction" holds the figures the daemon keeps per source for its
 * wirehose_extraction_* gauges (extract/quality.h), over the pages
 * extracted here: {"pages": N, "headline", "date", "byline", "body",
 * "low_confidence": shares 0..1, "body_words": the length "body" counts
 * from, "median_body_words"}; {"pages": 0} when no page was extracted
 * (--no-pages, wire items). "fleet" is what the fleet knows of the
 * source: its partition, its state, the group (fleet_inspect.c).
 *
 * Fetches are made one at a time (the blocking wh_fetch()): inspect is a
 * tool for one source, not a crawler.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "extract/extract.h"
#include "extract/quality.h"
#include "producer.h"
#include "sources/source.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

/* As the rounds (rounds.c): how deep and how many linked documents. */
#define LINK_DEPTH 2
#define LINKS_PER_DOC 50

/* A document read: the source's own, or one it links to. */
struct inspect_doc {
    struct wh_feed *feed;
    char *url;  /* final URL */
    int status; /* HTTP status, 0 for a file */
};

/* What one inspection gathered: the documents parsed, in order. */
struct inspect {
    const struct settings *set;
    struct wh_fetcher *f;
    struct wh_quality *quality; /* the pages' figures, source = url */
    const char *url;            /* the source */
    int allow_file;             /* the source is a file:// URL */
    struct inspect_doc *docs;
    size_t ndocs;
};

/* Fetches and parses one document; appends it to in->docs. Returns WH_OK,
 * or an error with errstr filled. */
static int inspect_doc(struct inspect *in, const char *url, int depth,
                       char *errstr, size_t errstr_size)
{
    struct wh_fetch_result res;
    struct wh_feed *feed;
    char why[512];
    size_t i;
    int rc;

    memset(&res, 0, sizeof(res));
    rc = wh_fetch(in->f, url, in->allow_file, &res, why, sizeof(why));
    if (rc != WH_OK) {
        wh_errf(errstr, errstr_size, "fetch %s: %s", url, why);
        wh_fetch_result_free(&res);
        return rc;
    }
    feed = wh_source_parse(res.body, res.len, res.content_type,
                           res.final_url != NULL ? res.final_url : url, why,
                           sizeof(why));
    if (feed == NULL) {
        wh_errf(errstr, errstr_size, "%s: %s", url, why);
        wh_fetch_result_free(&res);
        return WH_EPARSE;
    }
    in->docs = wh_xrealloc(in->docs, (in->ndocs + 1) * sizeof(*in->docs));
    in->docs[in->ndocs].feed = feed;
    in->docs[in->ndocs].url =
        wh_xstrdup(res.final_url != NULL ? res.final_url : url);
    in->docs[in->ndocs].status = res.status;
    in->ndocs++;
    wh_fetch_result_free(&res);
    if (feed->nlinks > 0 && depth >= LINK_DEPTH) {
        fprintf(stderr,
                "inspect: %zu linked documents not followed: deeper "
                "than %d levels\n",
                feed->nlinks, LINK_DEPTH);
        return WH_OK;
    }
    for (i = 0; i < feed->nlinks && i < LINKS_PER_DOC; i++) {
        const char *link = feed->links[i];

        if (!is_http(link) && !(in->allow_file && is_file(link))) {
            fprintf(stderr, "inspect: linked document %s refused\n", link);
            continue;
        }
        /* A linked document that fails is said, not fatal (as in a
         * round). */
        if (inspect_doc(in, link, depth + 1, why, sizeof(why)) != WH_OK) {
            fprintf(stderr, "inspect: %s\n", why);
        }
    }
    return WH_OK;
}

/* The record the producer would publish for item it of document doc, or
 * NULL (said on stderr). */
static struct wh_record *inspect_item(struct inspect *in, int no_pages,
                                      struct wh_feed_item *it, const char *id,
                                      size_t doc)
{
    struct assemble_outcome o;
    struct wh_fetch_result res;
    struct wh_record *rec;
    size_t max = (size_t)in->set->max_decoded_bytes;
    char errstr[256];

    if (it->rec != NULL) {
        /* A wire item: its own record, from the document it came in. */
        rec = it->rec;
        it->rec = NULL;
        free(rec->final_url);
        rec->final_url = wh_xstrdup(in->docs[doc].url);
        rec->http_status = in->docs[doc].status;
        return rec;
    }
    if (no_pages || (it->content != NULL && it->link == NULL)) {
        return assemble_item(it, NULL, BODY_AUTO, max, NULL, NULL, &o);
    }
    if (it->link == NULL) {
        fprintf(stderr, "inspect: item %s: skipped (no_link)\n", id);
        return NULL;
    }
    if (!is_http(it->link) && !(in->allow_file && is_file(it->link))) {
        if (it->content != NULL) {
            return assemble_item(it, NULL, BODY_AUTO, max, NULL, NULL, &o);
        }
        fprintf(stderr, "inspect: item %s: skipped (bad_link)\n", id);
        return NULL;
    }
    memset(&res, 0, sizeof(res));
    /* The outcome is in res whatever the return code. */
    (void)wh_fetch(in->f, it->link, in->allow_file, &res, errstr,
                   sizeof(errstr));
    rec = assemble_item(it, &res, BODY_AUTO, max, in->quality, in->url, &o);
    if (o.why[0] != '\0') {
        fprintf(stderr, "inspect: item %s: %s\n", it->link, o.why);
    }
    if (rec == NULL) {
        fprintf(stderr, "inspect: item %s: %s (%s)\n", id,
                o.permanent ? "skipped" : "failed", o.reason);
    }
    wh_fetch_result_free(&res);
    return rec;
}

/* Non-zero when id was seen before in this inspection (the round's rule:
 * an item in several documents goes once). */
static int seen_before(uint64_t **seen, size_t *nseen, const char *id)
{
    uint64_t h = wh_hash64(id, strlen(id));
    size_t i;

    for (i = 0; i < *nseen; i++) {
        if ((*seen)[i] == h) {
            return 1;
        }
    }
    *seen = wh_xrealloc(*seen, (*nseen + 1) * sizeof(**seen));
    (*seen)[(*nseen)++] = h;
    return 0;
}

/* The extraction figures of the pages inspected (see the top). */
static json_t *extraction_figures(const struct inspect *in)
{
    struct wh_quality_stats st;

    if (wh_quality_get(in->quality, in->url, &st) != 0 || st.pages == 0) {
        return json_pack("{s:i}", "pages", 0);
    }
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:i, s:f}", "pages",
                     (json_int_t)st.pages, "headline", st.headline, "date",
                     st.date, "byline", st.byline, "body", st.body,
                     "low_confidence", st.low_confidence, "body_words",
                     WH_QUALITY_BODY_WORDS, "median_body_words",
                     st.median_words);
}

/* Prints the first line: the source, its kind, title and item count,
 * the extraction figures, and fleet (taken; may be NULL). */
static void print_header(const struct inspect *in, json_t *fleet)
{
    const struct wh_feed *top = in->docs[0].feed;
    json_t *head = json_object();
    size_t n = 0;
    size_t i;
    char *line;

    for (i = 0; i < in->ndocs; i++) {
        n += in->docs[i].feed->nitems;
    }
    json_object_set_new(head, "source", json_string(in->url));
    json_object_set_new(head, "kind", json_string(top->kind));
    json_object_set_new(head, "title",
                        top->title != NULL ? json_string(top->title)
                                           : json_null());
    json_object_set_new(head, "items", json_integer((json_int_t)n));
    json_object_set_new(head, "extraction", extraction_figures(in));
    if (fleet != NULL) {
        json_object_set_new(head, "fleet", fleet);
    }
    /* Shares to 4 places: 0.3333, not 0.33333333333333331. */
    line = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(4));
    printf("%s\n", line != NULL ? line : "{}");
    free(line);
    json_decref(head);
}

int inspect_run(const struct cli *cli, const struct wh_config *cfg,
                const struct settings *set)
{
    struct inspect in;
    uint64_t *seen = NULL;
    size_t nseen = 0;
    char **lines = NULL; /* the records, printed after the header */
    size_t nlines = 0;
    char errstr[768];
    size_t d;
    size_t i;
    int rc = EXIT_SOURCES;

    memset(&in, 0, sizeof(in));
    in.set = set;
    in.url = cli->inspect;
    in.allow_file = is_file(cli->inspect);
    in.quality = wh_quality_new(NULL);
    wh_extract_global_init();
    wh_fetch_global_init();
    in.f = fetcher_build(cfg, set, NULL, NULL, errstr, sizeof(errstr));
    if (in.f == NULL) {
        fprintf(stderr, "wirehose-producer: %s\n", errstr);
        rc = EXIT_CONFIG;
        goto out;
    }
    if (!is_http(in.url) && !in.allow_file) {
        fprintf(stderr,
                "wirehose-producer: --inspect %s: not an http(s):// "
                "or file:// URL\n",
                in.url);
        goto out;
    }
    if (inspect_doc(&in, in.url, 0, errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "wirehose-producer: --inspect: %s\n", errstr);
        goto out;
    }
    for (d = 0; d < in.ndocs; d++) {
        struct wh_feed *feed = in.docs[d].feed;

        for (i = 0; i < feed->nitems; i++) {
            struct wh_feed_item *it = &feed->items[i];
            const char *id = it->id != NULL ? it->id : it->link;
            struct wh_record *rec;

            if (id == NULL) {
                fprintf(stderr,
                        "inspect: item %zu of %s has neither id nor "
                        "link: skipped (no_id)\n",
                        i + 1, in.docs[d].url);
                continue;
            }
            if (seen_before(&seen, &nseen, id)) {
                continue;
            }
            rec = inspect_item(&in, cli->no_pages, it, id, d);
            if (rec == NULL) {
                continue;
            }
            assemble_finish(rec, it, id, in.url, in.url);
            lines = wh_xrealloc(lines, (nlines + 1) * sizeof(*lines));
            lines[nlines++] = wh_record_dump(rec);
            wh_record_free(rec);
        }
    }
    print_header(&in, fleet_mode(cfg) ? fleet_inspect(cfg, set->topic, in.url)
                                      : NULL);
    for (i = 0; i < nlines; i++) {
        printf("%s\n", lines[i]);
    }
    rc = fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
out:
    for (i = 0; i < nlines; i++) {
        free(lines[i]);
    }
    free(lines);
    wh_quality_free(in.quality);
    for (d = 0; d < in.ndocs; d++) {
        wh_feed_free(in.docs[d].feed);
        free(in.docs[d].url);
    }
    free(in.docs);
    free(seen);
    wh_fetcher_free(in.f);
    wh_fetch_global_cleanup();
    return rc;
}
