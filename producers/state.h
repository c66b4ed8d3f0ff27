/*
 * state.h - what the producer already published, per source, so that a
 * restarted producer publishes nothing twice.
 *
 * In memory always; on disk too when a state directory is given: per
 * source, "<16 hex digits of the source URL's hash>.ids", append-only, one
 * published item id per line, and "<same>.val", the HTTP validators (ETag,
 * Last-Modified) of each document of the source, one "url TAB etag TAB
 * last-modified" line each ("-" when absent), plus the source's adaptive
 * poll interval as the line "@interval TAB ms TAB -". Files of sources this
 * producer does not poll are never read or written, so producers with
 * different source lists may share a directory. Deleting the directory
 * (or a source's file) resets the state.
 *
 * An id is marked only from the delivery report of its record, so a crash
 * between produce and delivery republishes (at-least-once), never loses.
 *
 * Items that can never be published as they stand (their page disallowed
 * by robots.txt, gone, not an article) are remembered as skipped, in
 * "<same>.skip": one "reason TAB id TAB link TAB date" line each ("-"
 * when absent). A skip holds for that version of the item only: the same
 * id with another link or date is a new version, looked at again.
 *
 * Not thread-safe: the producer's main thread (which also serves delivery
 * reports) owns it.
 */
#ifndef WH_STATE_H
#define WH_STATE_H

#include <stddef.h>

struct wh_state;

/* Opens the state in dir (created if missing, parent must exist), or an
 * in-memory state when dir is NULL. Returns NULL with errstr filled when
 * dir cannot be created or is not a writable directory. */
struct wh_state *wh_state_open(const char *dir, char *errstr,
                               size_t errstr_size);

/* Releases the state (files are always complete on disk). NULL is a
 * no-op. */
void wh_state_close(struct wh_state *st);

/* Non-zero when id was published from source (its file is read on the
 * first question about that source). */
int wh_state_seen(struct wh_state *st, const char *source, const char *id);

/* Non-zero when this version of an item of source (its id, link and
 * date; link and date may be NULL) was skipped. */
int wh_state_skipped(struct wh_state *st, const char *source, const char *id,
                     const char *link, const char *date);

/* Records that this version of an item of source was skipped for reason
 * (one word: "robots", "not_found", ...), in memory and appended to the
 * source's .skip file. Returns WH_OK (also when it was recorded before),
 * or WH_EIO with errstr filled when the file could not be written (the
 * skip is still remembered in memory). */
int wh_state_skip(struct wh_state *st, const char *source, const char *id,
                  const char *link, const char *date, const char *reason,
                  char *errstr, size_t errstr_size);

/* Records that id was published from source, in memory and appended to
 * the source's file. Returns WH_OK, or WH_EIO with errstr filled when the
 * file could not be written (the id is still remembered in memory). */
int wh_state_mark(struct wh_state *st, const char *source, const char *id,
                  char *errstr, size_t errstr_size);

/* The validators stored for document url of source, or NULLs. The
 * strings are borrowed, valid until the next call changing the state. */
void wh_state_validators(struct wh_state *st, const char *source,
                         const char *url, const char **etag,
                         const char **last_modified);

/* Stores the validators of document url of source (both NULL: forgets
 * them), in memory and in the source's file. Returns WH_OK, or WH_EIO
 * with errstr filled when the file could not be written. */
int wh_state_set_validators(struct wh_state *st, const char *source,
                            const char *url, const char *etag,
                            const char *last_modified, char *errstr,
                            size_t errstr_size);

/* Forgets every validator of source, so that its documents are fetched in
 * full next time (after a delivery failure, items that did not make it
 * are then seen again). Returns WH_OK or WH_EIO with errstr filled. */
int wh_state_forget_validators(struct wh_state *st, const char *source,
                               char *errstr, size_t errstr_size);

/* The adaptive poll interval stored for source in ms, or 0 when none. */
long long wh_state_interval(struct wh_state *st, const char *source);

/* Stores the adaptive poll interval of source (ms > 0), in memory and in
 * the source's .val file (rewritten only when the value changes). Returns
 * WH_OK, or WH_EIO with errstr filled. wh_state_forget_validators()
 * forgets it too. */
int wh_state_set_interval(struct wh_state *st, const char *source, long long ms,
                          char *errstr, size_t errstr_size);

/* Number of ids and skips remembered (all sources loaded so far). */
size_t wh_state_count(const struct wh_state *st);

#endif
