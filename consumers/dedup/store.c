/*
 * store.c - shared dedup decisions: the decision logic and the public
 * API of store.h. The in-memory view is in store_view.c, the "file"
 * backend in store_file.c.
 */
#include "store_int.h"

#include <endian.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

void wh_dedup_store_params_default(struct wh_dedup_store_params *p)
{
    memset(p, 0, sizeof(*p));
    wh_simhash_params_default(&p->sh);
    wh_index_params_default(&p->ix);
    p->threshold = 0.5;
    p->fsync_each = 0;
    p->window_s = WH_DEDUP_WINDOW_DEFAULT;
}

struct wh_dedup_store *
wh_dedup_store_open(const struct wh_dedup_store_params *p, char *errstr,
                    size_t errstr_size)
{
    struct wh_dedup_store *st;
    size_t from_snap = 0;
    uint32_t snap_n = 0;
    uint32_t now;

    if (p->dir == NULL || p->dir[0] == '\0') {
        snprintf(errstr, errstr_size, "no state directory");
        return NULL;
    }
    if (p->window_s < 0) {
        snprintf(errstr, errstr_size, "dedup.window: must be 0 or more");
        return NULL;
    }
    st = wh_xcalloc(1, sizeof(*st));
    st->p = *p;
    st->p.dir = NULL; /* not kept: borrowed */
    st->zero = NONE;
    if (p->store != NULL && strncmp(p->store, "postgres:", 9) == 0) {
        st->ops = &wh_dedup_pg_ops;
    } else if (p->store == NULL || p->store[0] == '\0' ||
               strcmp(p->store, "file") == 0) {
        st->ops = &store_file_ops;
    } else {
        snprintf(errstr, errstr_size,
                 "dedup.store: \"%s\": expected file or postgres:CONNINFO",
                 p->store);
        free(st);
        return NULL;
    }
    st->p.store = NULL;
    wh_buf_init(&st->rbuf, FRAME_MAX);
    wh_buf_init(&st->wbuf, FRAME_MAX);
    st->idx = wh_index_new(&p->ix);
    if (st->idx == NULL) {
        snprintf(errstr, errstr_size, "bad index parameters");
        goto fail;
    }
    if (st->ops == &store_file_ops) {
        if (store_snap_load(st, p->dir)) {
            from_snap = st->n - st->base;
            snap_n = st->n;
            if (store_snap_lock_open(st->b, errstr, errstr_size) != WH_OK) {
                goto fail;
            }
        } else {
            st->b = file_open(p->dir, p->sh.minhash_k, errstr, errstr_size);
        }
    } else if (store_make_dirs(p->dir, errstr, errstr_size) == WH_OK) {
        st->b = wh_dedup_pg_open(p->store + 9, p->dir, p->sh.minhash_k, errstr,
                                 errstr_size);
    }
    if (st->b == NULL) {
        goto fail;
    }
    if (st->ops == &wh_dedup_pg_ops && !wh_dedup_pg_up(st->b)) {
        return st; /* server down: the first decision catches up */
    }
    /* most of a long log is read without the lock, so that the other
     * consumers go on deciding meanwhile; the rest under it */
    now = store_decision_now(st);
    if (store_catch_up(st, 1, now, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (st->ops->lock(st->b, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (store_catch_up(st, 1, now, errstr, errstr_size) != WH_OK) {
        st->ops->unlock(st->b);
        goto fail;
    }
    st->ops->unlock(st->b);
    if (st->p.window_s > 0) {
        store_advance_low(st, store_decision_now(st));
        if (st->low > st->base) {
            store_view_purge(st);
        }
    }
    if (from_snap > 0) {
        wh_info(TAG, "%s: %zu decisions from the snapshot, %u after it", p->dir,
                from_snap, st->n - snap_n);
    }
    st->opened = 1;
    return st;
fail:
    wh_dedup_store_close(st);
    return NULL;
}

void wh_dedup_store_close(struct wh_dedup_store *st)
{
    char err[256];

    if (st == NULL) {
        return;
    }
    if (st->opened && st->ops == &store_file_ops &&
        st->n - st->low >= SNAP_MIN_HELD) {
        store_snap_write(st);
    }
    if (st->b != NULL) {
        if (st->ops->sync(st->b, err, sizeof(err)) != WH_OK) {
            wh_err(TAG, "%s", err);
        }
        st->ops->close(st->b);
    }
    wh_index_free(st->idx);
    free(st->locs);
    free(st->times);
    free(st->map);
    wh_buf_free(&st->rbuf);
    wh_buf_free(&st->wbuf);
    free(st);
}

void wh_dedup_result_clear(struct wh_dedup_result *r)
{
    free(r->cluster_uri);
    free(r->dup_of_uri);
    memset(r, 0, sizeof(*r));
}

/* The best confirmed near-duplicate of sig, or NONE: highest MinHash
 * similarity, then smallest SimHash distance, then the earliest record.
 * Only records in the window count. */
static int find_copy(struct wh_dedup_store *st,
                     const struct wh_simhash_sig *sig, uint32_t *best,
                     double *best_sim, unsigned *best_dist, char *errstr,
                     size_t errstr_size)
{
    struct wh_index_hit hits[MAX_HITS];
    size_t n;
    size_t i;
    size_t j;

    *best = NONE;
    *best_sim = 0;
    *best_dist = 0;
    n = wh_index_lookup(st->idx, sig->fp, sig->weak, WH_SIMHASH_WEAK, hits,
                        MAX_HITS);
    for (i = 0; i < n; i++) {
        uint32_t mh[WH_SIMHASH_MINHASH_MAX];
        struct rec r;
        double sim;

        if (hits[i].id < st->low) {
            continue; /* left the window, not purged yet */
        }
        if (store_read_rec(st, hits[i].id, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        if (r.k != st->p.sh.minhash_k) {
            continue;
        }
        for (j = 0; j < r.k; j++) {
            mh[j] = (uint32_t)store_get_le(r.minhash + sizeof(uint32_t) * j, 4);
        }
        sim = wh_simhash_similarity(sig->minhash, mh, r.k);
        if (sim < st->p.threshold) {
            continue;
        }
        if (*best == NONE || sim > *best_sim ||
            (sim == *best_sim && hits[i].distance < *best_dist) ||
            (sim == *best_sim && hits[i].distance == *best_dist &&
             hits[i].id < *best)) {
            *best = hits[i].id;
            *best_sim = sim;
            *best_dist = hits[i].distance;
        }
    }
    return WH_OK;
}

/* The decision proper; the lock is held and the view is caught up. */
static int decide_locked(struct wh_dedup_store *st,
                         const struct wh_dedup_input *in, uint64_t uri_hash,
                         uint32_t now, struct wh_dedup_result *out,
                         char *errstr, size_t errstr_size)
{
    uint32_t latest = store_map_get(st, uri_hash);
    size_t uri_len = strlen(in->uri);
    struct rec nr;
    struct rec r;
    uint64_t loc;
    uint32_t id;
    uint32_t cur;
    unsigned prev_version = 0;
    char *cluster_uri = NULL;
    char *dup_uri = NULL;
    int rc;

    memset(&nr, 0, sizeof(nr));
    nr.uri_hash = uri_hash;
    nr.body_hash = in->body_hash;
    nr.self_hash = in->self_hash;
    nr.fp = in->sig->fp;
    nr.dup_of = NONE;
    nr.prev = NONE;
    nr.version = in->version ? in->version : 1;
    nr.k = (uint8_t)st->p.sh.minhash_k;
    nr.uri = in->uri;
    nr.uri_len = uri_len;
    nr.flags = in->near ? FLAG_NEAR : 0;
    nr.ts = "";
    nr.cluster_uri = "";
    nr.dup_uri = "";
    nr.time = now;

    if (latest != NONE) {
        /* the versions of this uri in the window, newest first: a body
         * seen before is this message again (replay) or a repeat of it */
        for (cur = latest; cur != NONE && cur >= st->low; cur = r.prev) {
            if (store_read_rec(st, cur, &r, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            if (r.uri_len != uri_len || memcmp(r.uri, in->uri, uri_len) != 0) {
                break; /* 64-bit uri hash collision: another uri */
            }
            if (r.body_hash != in->body_hash) {
                continue;
            }
            if (in->self_hash != 0 && r.self_hash == in->self_hash) {
                out->replay = 1;
                return store_result_from(st, cur, out, errstr, errstr_size);
            }
            rc = store_result_from(st, cur, out, errstr, errstr_size);
            out->decision = WH_DEDUP_EXACT;
            return rc;
        }
        if (store_read_rec(st, latest, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        if (r.uri_len == uri_len && memcmp(r.uri, in->uri, uri_len) == 0) {
            nr.decision = WH_DEDUP_VERSION;
            nr.version = r.version + 1;
            nr.prev = latest;
            nr.cluster = r.cluster;
            nr.prev_body_hash = r.body_hash;
            prev_version = r.version;
            nr.ts = in->version_created ? in->version_created : "";
            nr.ts_len = strlen(nr.ts);
            if (nr.ts_len > 39) {
                nr.ts_len = 39;
            }
            if (store_cluster_uri_of(st, latest, &r, &cluster_uri, errstr,
                                     errstr_size) != WH_OK) {
                return WH_EIO;
            }
        }
    }
    if (nr.decision == 0 && in->near) {
        uint32_t best;
        double sim;
        unsigned dist;

        if (find_copy(st, in->sig, &best, &sim, &dist, errstr, errstr_size) !=
            WH_OK) {
            return WH_EIO;
        }
        if (best != NONE) {
            if (store_read_rec(st, best, &r, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            nr.decision = WH_DEDUP_COPY;
            nr.cluster = r.cluster;
            nr.dup_of = best;
            dup_uri = wh_xstrndup(r.uri, r.uri_len);
            nr.sim = (uint16_t)(sim * 10000.0 + 0.5);
            nr.distance = (uint8_t)dist;
            if (store_cluster_uri_of(st, best, &r, &cluster_uri, errstr,
                                     errstr_size) != WH_OK) {
                rc = WH_EIO;
                goto out;
            }
        }
    }
    if (nr.decision == 0) {
        nr.decision = WH_DEDUP_NEW;
        nr.cluster = st->n; /* informational: answers use the uris */
    }
    if (cluster_uri != NULL && strcmp(cluster_uri, in->uri) != 0) {
        nr.cluster_uri = cluster_uri;
        nr.cluster_uri_len = strlen(cluster_uri);
    }
    if (dup_uri != NULL) {
        if (cluster_uri != NULL && strcmp(dup_uri, cluster_uri) == 0) {
            nr.flags |= FLAG_DUP_IS_CLUSTER;
        } else {
            nr.dup_uri = dup_uri;
            nr.dup_uri_len = strlen(dup_uri);
        }
    }
    store_rec_encode(&st->wbuf, &nr, in->sig->minhash);
    rc = st->ops->append(st->b, st->wbuf.data, st->wbuf.len, &loc, &id, errstr,
                         errstr_size);
    if (rc != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    if (store_view_apply(st, &nr, loc, id, 0, now) != WH_OK) {
        snprintf(errstr, errstr_size, "decision record #%u out of order", id);
        rc = WH_EIO;
        goto out;
    }
    if (st->p.fsync_each &&
        st->ops->sync(st->b, errstr, errstr_size) != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    /* the answer, as store_result_from() would read it back from the log */
    store_result_fields(out, id, &nr);
    out->prev_version = prev_version;
    out->prev_body_hash = nr.prev_body_hash;
    out->dup_of_uri = dup_uri;
    dup_uri = NULL;
    out->cluster_uri = cluster_uri != NULL ? cluster_uri : wh_xstrdup(in->uri);
    cluster_uri = NULL;
    rc = WH_OK;
out:
    free(cluster_uri);
    free(dup_uri);
    return rc;
}

int wh_dedup_store_decide(struct wh_dedup_store *st,
                          const struct wh_dedup_input *in,
                          struct wh_dedup_result *out, char *errstr,
                          size_t errstr_size)
{
    size_t uri_len;
    uint32_t now;
    int rc;

    memset(out, 0, sizeof(*out));
    uri_len = in->uri ? strlen(in->uri) : 0;
    if (uri_len == 0 || uri_len > WH_DEDUP_URI_MAX) {
        snprintf(errstr, errstr_size, "uri %s",
                 uri_len ? "too long" : "missing");
        return WH_EINVAL;
    }
    if (st->ops->lock(st->b, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    rc = store_catch_up(st, 0, 0, errstr, errstr_size);
    if (rc == WH_OK) {
        now = store_decision_now(st);
        rc = store_upkeep(st, now, errstr, errstr_size);
        if (rc == WH_OK) {
            rc = decide_locked(st, in, wh_hash64(in->uri, uri_len), now, out,
                               errstr, errstr_size);
        }
    }
    st->ops->unlock(st->b);
    if (rc != WH_OK) {
        wh_dedup_result_clear(out);
    }
    if (st->snap_due) {
        /* after the lock: the others go on deciding meanwhile */
        st->snap_due = 0;
        if (st->n - st->low >= SNAP_MIN_HELD) {
            store_snap_write(st);
        }
    }
    return rc;
}

int wh_dedup_store_sync(struct wh_dedup_store *st, char *errstr,
                        size_t errstr_size)
{
    return st->ops->sync(st->b, errstr, errstr_size);
}

size_t wh_dedup_store_count(const struct wh_dedup_store *st)
{
    return st->n - st->low;
}

size_t wh_dedup_store_bytes(const struct wh_dedup_store *st)
{
    return sizeof(*st) + st->cap * (sizeof(*st->locs) + sizeof(*st->times)) +
           st->map_cap * sizeof(*st->map) + wh_index_bytes(st->idx);
}

const char *wh_dedup_decision_name(enum wh_dedup_decision d)
{
    switch (d) {
    case WH_DEDUP_NEW:
        return "new";
    case WH_DEDUP_COPY:
        return "copy";
    case WH_DEDUP_VERSION:
        return "version";
    case WH_DEDUP_EXACT:
        return "exact";
    }
    return "?";
}
