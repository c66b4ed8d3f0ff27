/*
 * rounds.c - a source's rounds and their jobs. A round fetches the
 * source's document; its new items become page jobs (wire items are
 * produced at once) and its links document jobs, queued per source and
 * started at most poll.max_per_source at a time; when the last job of a
 * round is done, the source's next due time is set (interval.h, or the
 * backoff after a failed round).
 */
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "extract/extract.h"
#include "interval.h"
#include "sources/content.h"
#include "producer.h"
#include "wh/daemon.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

/* Adds id to the round's set; returns 0 when it was there already. */
static int round_claim(struct source *src, const char *id)
{
    uint64_t h = wh_hash64(id, strlen(id));
    size_t i;

    h = h != 0 ? h : 1;
    if (2 * (src->nseen + 1) > src->seen_slots) {
        uint64_t *old = src->seen;
        size_t nold = src->seen_slots;

        src->seen_slots = nold != 0 ? 2 * nold : 64;
        src->seen = wh_xcalloc(src->seen_slots, sizeof(*src->seen));
        for (i = 0; i < nold; i++) {
            if (old[i] != 0) {
                size_t j = old[i] & (src->seen_slots - 1);

                while (src->seen[j] != 0) {
                    j = (j + 1) & (src->seen_slots - 1);
                }
                src->seen[j] = old[i];
            }
        }
        free(old);
    }
    i = h & (src->seen_slots - 1);
    while (src->seen[i] != 0) {
        if (src->seen[i] == h) {
            return 0;
        }
        i = (i + 1) & (src->seen_slots - 1);
    }
    src->seen[i] = h;
    src->nseen++;
    return 1;
}

void round_forget(struct source *src)
{
    free(src->seen);
    src->seen = NULL;
    src->nseen = 0;
    src->seen_slots = 0;
}

/* ---- item outcomes ------------------------------------------------------ */

/* The date that makes a version of an item, with its id and link. */
static const char *item_date(const struct wh_feed_item *it)
{
    return it->updated != NULL ? it->updated : it->published;
}

static void count_item(struct producer *p, const char *outcome,
                       const char *reason)
{
    if (p->reg != NULL) {
        wh_metrics_inc(wh_metrics_get(p->reg, WH_M_ITEMS,
                                      WH_METRICS_LABELS(outcome, reason)));
    }
}

/* Remembers that this version of the item is skipped for good. It does
 * not hold back its document's validators. */
static void skip_item(struct producer *p, struct source *src,
                      const struct wh_feed_item *it, const char *id,
                      const char *reason)
{
    char errstr[256];

    wh_info(src->tag, "item %s: skipped (%s) until the feed changes it", id,
            reason);
    p->n.skipped++;
    count_item(p, "skipped", reason);
    if (wh_state_skip(p->state, src->url, id, it->link, item_date(it), reason,
                      errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "state: %s", errstr);
    }
}

/* The item failed for now: retried next round, its document's validators
 * wait for it. */
static void fail_item(struct producer *p, struct pending_val *pv,
                      const char *reason)
{
    p->n.item_failed++;
    count_item(p, "failed", reason);
    pv->failed = 1;
}

/* Publishes the record assemble_item() makes of the item, or else
 * skips or fails it as its outcome says. res: the page fetch, or NULL
 * when no page was fetched (the feed alone). */
static void item_done(struct producer *p, struct source *src,
                      const struct wh_feed_item *it, const char *id,
                      struct pending_val *pv, const struct wh_fetch_result *res)
{
    struct assemble_outcome o;
    struct wh_record *rec;

    rec = assemble_item(it, res, src->body, (size_t)p->set.max_decoded_bytes,
                        p->quality, src->name, &o);
    if (o.extracted != 0) {
        count_record(p, "extract", o.extracted > 0 ? "ok" : "error");
    }
    if (o.extracted > 0 && rec != NULL) {
        count_fill(p, src, rec);
    }
    if (o.why[0] != '\0') {
        wh_warn(src->tag, "item %s: %s", res != NULL ? res->url : id, o.why);
    }
    if (rec != NULL) {
        if (o.from_feed) {
            wh_debug(src->tag, "item %s: body from the feed", id);
        }
        finish_item(p, src, rec, it, id, pv);
    } else if (o.permanent) {
        skip_item(p, src, it, id, o.reason);
    } else {
        fail_item(p, pv, o.reason);
    }
}

/* ---- jobs -------------------------------------------------------------- */

static struct job *job_new(struct producer *p, struct source *src, int kind,
                           const char *url)
{
    struct job *job = wh_xcalloc(1, sizeof(*job));

    job->kind = kind;
    job->src = src;
    job->url = wh_xstrdup(url);
    job->all_next = p->all;
    if (p->all != NULL) {
        p->all->all_prev = job;
    }
    p->all = job;
    return job;
}

static void job_destroy(struct job *job);

/* Unlinks job from the live jobs and releases it. */
static void job_free(struct producer *p, struct job *job)
{
    if (job->all_prev != NULL) {
        job->all_prev->all_next = job->all_next;
    } else {
        p->all = job->all_next;
    }
    if (job->all_next != NULL) {
        job->all_next->all_prev = job->all_prev;
    }
    job_destroy(job);
}

/* Releases a job out of the list of live jobs. */
static void job_destroy(struct job *job)
{
    free(job->url);
    free(job->id);
    wh_feed_item_clear(&job->item);
    wh_fetch_result_free(&job->res);
    free(job);
}

/* Queues a job whose result was made here (file://, refused URL): it is
 * handled on the next loop turn, like a fetcher result. */
static void ready_push(struct producer *p, struct job *job)
{
    job->next = NULL;
    if (p->ready_tail != NULL) {
        p->ready_tail->next = job;
    } else {
        p->ready = job;
    }
    p->ready_tail = job;
}

/* Makes job->res a failure without a fetch. */
static void job_fail_here(struct job *job, int outcome, int rc, const char *why)
{
    wh_fetch_result_free(&job->res);
    job->res.outcome = outcome;
    job->res.rc = rc;
    job->res.url = wh_xstrdup(job->url);
    snprintf(job->res.error, sizeof(job->res.error), "%s", why);
}

/* Hands job to the fetcher, or reads it from disk (file:// of a source
 * configured as a local file). Its result comes later either way. */
static void job_start(struct producer *p, struct job *job)
{
    struct source *src = job->src;
    struct wh_fetch_req req;
    char errstr[256];
    int rc;

    if (is_file(job->url)) {
        if (!src->is_file) {
            job_fail_here(job, WH_FETCH_REFUSED, WH_EINVAL,
                          "file:// refused: the source is not a local file");
        } else {
            rc = wh_fetch_file(job->url, (size_t)p->set.max_decoded_bytes,
                               &job->res, errstr, sizeof(errstr));
            if (rc != WH_OK) {
                job_fail_here(
                    job, rc == WH_E2BIG ? WH_FETCH_TOO_BIG : WH_FETCH_ERROR, rc,
                    errstr);
            }
        }
        ready_push(p, job);
        return;
    }
    memset(&req, 0, sizeof(req));
    req.url = job->url;
    req.opaque = job;
    req.tls_insecure = src->tls_insecure;
    if (job->kind == JOB_DOC) {
        wh_state_validators(p->state, src->url, job->url, &req.etag,
                            &req.last_modified);
    }
    if (wh_fetcher_submit(p->fetcher, &req, errstr, sizeof(errstr)) != WH_OK) {
        job_fail_here(job, WH_FETCH_REFUSED, WH_EINVAL, errstr);
        ready_push(p, job);
    }
}

/* Starts the queued jobs of src its per-source cap allows. */
static void pump(struct producer *p, struct source *src)
{
    while (src->qhead != NULL &&
           (long long)src->active < p->set.max_per_source) {
        struct job *job = src->qhead;

        src->qhead = job->next;
        if (src->qhead == NULL) {
            src->qtail = NULL;
        }
        job->next = NULL;
        src->queued--;
        src->active++;
        job_start(p, job);
    }
}

static void job_queue(struct producer *p, struct job *job)
{
    struct source *src = job->src;

    job->next = NULL;
    if (src->qtail != NULL) {
        src->qtail->next = job;
    } else {
        src->qhead = job;
    }
    src->qtail = job;
    src->queued++;
    pump(p, src);
}

/* ---- rounds ------------------------------------------------------------ */

/* How deep linked documents are followed (a sitemap index -> sitemaps,
 * a homepage -> its feeds), and how many per document. */
#define LINK_DEPTH 2
#define LINKS_PER_DOC 50

/* New items handed out per document and round: a huge feed or sitemap
 * (the body limit allows some 100,000 entries) is worked through over
 * several rounds instead of holding a job for each at once. */
#define NEW_ITEMS_PER_DOC 5000

/* Hands out the new items of a parsed document: wire items are produced
 * at once, the others become page jobs. Returns the number of new
 * items. */
static size_t doc_items(struct producer *p, struct source *src,
                        struct wh_feed *feed, struct pending_val *pv,
                        const struct wh_fetch_result *res)
{
    size_t fresh = 0;
    size_t i;

    for (i = 0;
         i < feed->nitems && wh_daemon_stop_signal() == 0 && !wh_kafka_fatal();
         i++) {
        struct wh_feed_item *it = &feed->items[i];
        const char *id = it->id != NULL ? it->id : it->link;
        struct job *job;

        if (id == NULL) {
            /* Nothing to remember it by: counted each time it is read. */
            wh_debug(src->tag, "item %zu has neither id nor link, skipped", i);
            p->n.skipped++;
            count_item(p, "skipped", "no_id");
            continue;
        }
        if (wh_state_seen(p->state, src->url, id) ||
            wh_state_skipped(p->state, src->url, id, it->link, item_date(it)) ||
            !round_claim(src, id)) {
            continue;
        }
        if (fresh == NEW_ITEMS_PER_DOC) {
            wh_warn(src->tag,
                    "more than %d new items in one document: the rest "
                    "waits for the next round",
                    NEW_ITEMS_PER_DOC);
            break;
        }
        fresh++;
        p->n.items++;
        if (it->rec != NULL) {
            /* Wire items carry their record: no page to fetch. Their
             * provenance is the document they came in. */
            struct wh_record *rec = it->rec;

            it->rec = NULL;
            free(rec->final_url);
            rec->final_url = wh_xstrdup(res->final_url);
            rec->http_status = res->status;
            finish_item(p, src, rec, it, id, pv);
        } else if (it->content != NULL &&
                   (it->link == NULL || src->body == BODY_FEED)) {
            /* The feed carries the article: no page to fetch. */
            item_done(p, src, it, id, pv, NULL);
        } else if (it->link == NULL) {
            skip_item(p, src, it, id, "no_link");
        } else if (!is_http(it->link) && !(src->is_file && is_file(it->link))) {
            wh_warn(src->tag, "item %s: link %s refused (http(s) only%s)", id,
                    it->link, src->is_file ? " or file" : "");
            if (it->content != NULL && src->body != BODY_PAGE) {
                item_done(p, src, it, id, pv, NULL);
            } else {
                skip_item(p, src, it, id, "bad_link");
            }
        } else {
            job = job_new(p, src, JOB_PAGE, it->link);
            job->id = wh_xstrdup(id);
            /* The item moves to the job; the feed keeps a zeroed one. */
            job->item = *it;
            memset(it, 0, sizeof(*it));
            job->pv = pv;
            pv->outstanding++;
            job_queue(p, job);
        }
    }
    if (i < feed->nitems) {
        pv->failed = 1; /* interrupted */
    }
    return fresh;
}

/* Queues the documents a document links to (sitemap-index children,
 * autodiscovered feeds). Their failures are logged, not counted. */
static void follow_links(struct producer *p, struct source *src,
                         const struct wh_feed *feed, int depth)
{
    size_t i;

    if (feed->nlinks > 0 && depth >= LINK_DEPTH) {
        wh_warn(src->tag,
                "%zu linked documents not followed: deeper than %d levels",
                feed->nlinks, LINK_DEPTH);
        return;
    }
    for (i = 0; i < feed->nlinks && wh_daemon_stop_signal() == 0; i++) {
        const char *link = feed->links[i];
        struct job *job;

        if (i >= LINKS_PER_DOC) {
            wh_warn(src->tag, "%zu linked documents not followed: more than %d",
                    feed->nlinks - i, LINKS_PER_DOC);
            break;
        }
        if (!is_http(link) && !(src->is_file && is_file(link))) {
            wh_warn(src->tag, "linked document %s refused (http(s) only%s)",
                    link, src->is_file ? " or file" : "");
            continue;
        }
        job = job_new(p, src, JOB_DOC, link);
        job->depth = depth + 1;
        job_queue(p, job);
    }
}

/* A document of a source arrived (or failed). */
static void doc_done(struct producer *p, struct job *job,
                     struct wh_fetch_result *res)
{
    struct source *src = job->src;
    struct pending_val *pv;
    struct wh_feed *feed;
    char errstr[512];
    size_t fresh;

    if (res->outcome == WH_FETCH_UNCHANGED) {
        wh_info(src->tag, "%s: unchanged (304)", job->url);
        return;
    }
    if (res->outcome != WH_FETCH_OK) {
        wh_err(src->tag, "fetch %s: %s", job->url, res->error);
        if (job->depth == 0) {
            src->round_failed = 1;
            src->retry_after_s = res->retry_after_s;
        }
        return;
    }
    feed = wh_source_parse(res->body, res->len, res->content_type,
                           res->final_url, errstr, sizeof(errstr));
    if (feed == NULL) {
        wh_err(src->tag, "%s: %s", res->final_url, errstr);
        if (job->depth == 0) {
            src->round_failed = 1;
        }
        return;
    }
    /* The body is parsed: release it before the page fetches. */
    free(res->body);
    res->body = NULL;
    pv = wh_xcalloc(1, sizeof(*pv));
    pv->source = wh_xstrdup(src->url);
    pv->url = wh_xstrdup(job->url);
    pv->etag = res->etag;
    pv->last_modified = res->last_modified;
    res->etag = NULL;
    res->last_modified = NULL;
    /* A document that links to others (an index, a homepage) is always
     * fetched in full: a 304 would hide changes of its children. */
    pv->failed = feed->nlinks > 0;
    fresh = doc_items(p, src, feed, pv, res);
    src->round_new += fresh;
    if (feed->nitems > 0 || feed->nlinks == 0) {
        wh_info(src->tag, "%s: %s, %zu items, %zu new", res->final_url,
                feed->kind, feed->nitems, fresh);
    } else {
        wh_info(src->tag, "%s: %s, %zu linked documents", res->final_url,
                feed->kind, feed->nlinks);
    }
    follow_links(p, src, feed, job->depth);
    wh_feed_free(feed);
    pv->done = 1;
    pending_check(p, pv);
}

/* An item's page arrived (or failed). */
static void page_done(struct producer *p, struct job *job,
                      const struct wh_fetch_result *res)
{
    struct source *src = job->src;
    struct pending_val *pv = job->pv;

    item_done(p, src, &job->item, job->id, pv, res);
    pv->outstanding--;
    pending_check(p, pv);
}

/* The source's round is over: every job of it is done. Sets its next due
 * time. */
static void round_end(struct producer *p, struct source *src)
{
    long long delay;
    long long cap = interval_cap(src->interval_ms, p->set.max_interval_ms);
    long long before = src->cur_ms;
    char errstr[256];

    src->polling = 0;
    src->polled++;
    round_forget(src);
    if (src->round_failed) {
        p->n.sources_failed++;
        delay = wh_backoff_fail(&src->bo, src->retry_after_s * 1000);
        if (!p->cli->once) {
            wh_notice(src->tag, "next try in %.1f s (%u failed in a row)",
                      (double)delay / 1000.0, src->bo.failures);
        }
    } else {
        p->n.sources_ok++;
        wh_backoff_reset(&src->bo);
        src->cur_ms = interval_next(src->cur_ms, src->round_new > 0,
                                    src->interval_ms, cap);
        if (src->cur_ms != before &&
            wh_state_set_interval(p->state, src->url, src->cur_ms, errstr,
                                  sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "state: %s", errstr);
        }
        delay = interval_jitter(&p->rng, src->cur_ms, p->set.jitter_pct);
        wh_debug(src->tag, "next poll in %.1f s", (double)delay / 1000.0);
    }
    src->due = wh_now_ms() + delay;
}

/* Handles the result of job, then frees it. */
static void job_handle(struct producer *p, struct job *job,
                       struct wh_fetch_result *res)
{
    struct source *src = job->src;

    count_fetch(p, src, res, is_file(job->url) && src->is_file);
    if (job->kind == JOB_DOC) {
        doc_done(p, job, res);
    } else {
        page_done(p, job, res);
    }
    WH_ASSERT(src->active > 0);
    src->active--;
    job_free(p, job);
    pump(p, src);
    if (src->polling && src->active == 0 && src->queued == 0) {
        round_end(p, src);
    }
}

/* The fetcher's on_result. */
void on_fetch_result(struct wh_fetch_result *res, void *opaque)
{
    job_handle(opaque, res->opaque, res);
}

/* Handles the results made here. Returns how many. */
int ready_run(struct producer *p)
{
    int n = 0;

    while (p->ready != NULL && wh_daemon_stop_signal() == 0) {
        struct job *job = p->ready;

        p->ready = job->next;
        if (p->ready == NULL) {
            p->ready_tail = NULL;
        }
        job_handle(p, job, &job->res);
        n++;
    }
    return n;
}

/* Starts a round of src. */
static void round_start(struct producer *p, struct source *src)
{
    struct job *job;

    src->polling = 1;
    src->round_new = 0;
    src->round_failed = 0;
    src->retry_after_s = 0;
    job = job_new(p, src, JOB_DOC, src->url);
    job_queue(p, job);
}

/* Starts the rounds that are due. Returns the ms until the next one
 * (capped at 1000). */
long long start_due(struct producer *p)
{
    long long t = wh_now_ms();
    long long next = 1000;
    struct source *src;

    for (src = p->set.sources; src != NULL; src = src->next) {
        /* A new round waits for the deliveries of the last one: its
         * items are marked published only then. */
        if (src->polling || src->records > 0 ||
            (p->cli->once && src->polled > 0)) {
            continue;
        }
        if (src->due <= t) {
            round_start(p, src);
        } else if (src->due - t < next) {
            next = src->due - t;
        }
    }
    return next;
}

/* Frees every job left (at shutdown, after the fetcher is gone): their
 * items are not published, and their documents' validators not stored. */
void jobs_abort(struct producer *p)
{
    struct job *job = p->all;
    struct source *src;

    p->all = NULL;
    while (job != NULL) {
        struct job *next = job->all_next;

        if (job->pv != NULL) {
            job->pv->failed = 1;
            job->pv->outstanding--;
            pending_check(p, job->pv);
        }
        job->all_prev = NULL;
        job->all_next = NULL;
        job_destroy(job);
        job = next;
    }
    p->ready = NULL;
    p->ready_tail = NULL;
    for (src = p->set.sources; src != NULL; src = src->next) {
        src->qhead = NULL;
        src->qtail = NULL;
        src->queued = 0;
        src->active = 0;
        src->polling = 0;
    }
}
