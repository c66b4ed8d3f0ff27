/*
 * store_view.c - the in-memory view of the dedup store: the decision
 * records, the view of the window and its snapshot (see store_int.h).
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

/* ------------------------------------------------------------------ */
/* Decision records.                                                   */

/* Records are little-endian whatever the host, so a log (or a
 * PostgreSQL table of them) reads the same on every machine. */
static void put_le(char *p, uint64_t v, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
}

uint64_t store_get_le(const char *p, unsigned n)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        v |= (uint64_t)(uint8_t)p[i] << (8 * i);
    }
    return v;
}

void store_rec_encode(struct wh_buf *out, const struct rec *r,
                      const uint32_t *minhash)
{
    char h[REC_HDR];
    unsigned i;

    memset(h, 0, sizeof(h));
    put_le(h + 0, r->uri_hash, 8);
    put_le(h + 8, r->body_hash, 8);
    put_le(h + 16, r->self_hash, 8);
    put_le(h + 24, r->fp, 8);
    put_le(h + 32, r->cluster, 4);
    put_le(h + 36, r->dup_of, 4);
    put_le(h + 40, r->prev, 4);
    put_le(h + 44, r->version, 4);
    put_le(h + 48, r->uri_len, 2);
    h[50] = (char)r->decision;
    h[51] = (char)r->flags;
    h[52] = (char)r->ts_len;
    h[53] = (char)r->k;
    put_le(h + 54, r->sim, 2);
    h[56] = (char)r->distance;
    h[57] = (char)REC_FORMAT;
    put_le(h + 58, r->cluster_uri_len, 2);
    put_le(h + 60, r->time, 4);
    put_le(h + 64, r->prev_body_hash, 8);
    put_le(h + 72, r->dup_uri_len, 2);
    wh_buf_reset(out);
    (void)wh_buf_append(out, h, sizeof(h));
    for (i = 0; i < r->k; i++) {
        char v[4];

        put_le(v, minhash[i], 4);
        (void)wh_buf_append(out, v, sizeof(v));
    }
    (void)wh_buf_append(out, r->uri, r->uri_len);
    (void)wh_buf_append(out, r->ts, r->ts_len);
    (void)wh_buf_append(out, r->cluster_uri, r->cluster_uri_len);
    (void)wh_buf_append(out, r->dup_uri, r->dup_uri_len);
}

static int rec_decode(const struct wh_buf *in, struct rec *r)
{
    const char *h = in->data;
    size_t hdr;
    size_t need;

    if (in->len < REC_HDR1) {
        return WH_EPARSE;
    }
    memset(r, 0, sizeof(*r));
    r->uri_hash = store_get_le(h + 0, 8);
    r->body_hash = store_get_le(h + 8, 8);
    r->self_hash = store_get_le(h + 16, 8);
    r->fp = store_get_le(h + 24, 8);
    r->cluster = (uint32_t)store_get_le(h + 32, 4);
    r->dup_of = (uint32_t)store_get_le(h + 36, 4);
    r->prev = (uint32_t)store_get_le(h + 40, 4);
    r->version = (uint32_t)store_get_le(h + 44, 4);
    r->uri_len = (size_t)store_get_le(h + 48, 2);
    r->decision = (uint8_t)h[50];
    r->flags = (uint8_t)h[51];
    r->ts_len = (uint8_t)h[52];
    r->k = (uint8_t)h[53];
    r->sim = (uint16_t)store_get_le(h + 54, 2);
    r->distance = (uint8_t)h[56];
    r->format = (uint8_t)h[57] == REC_FORMAT ? REC_FORMAT : 1;
    hdr = REC_HDR1;
    if (r->format == REC_FORMAT) {
        if (in->len < REC_HDR) {
            return WH_EPARSE;
        }
        hdr = REC_HDR;
        r->cluster_uri_len = (size_t)store_get_le(h + 58, 2);
        r->time = (uint32_t)store_get_le(h + 60, 4);
        r->prev_body_hash = store_get_le(h + 64, 8);
        r->dup_uri_len = (size_t)store_get_le(h + 72, 2);
    }
    need = hdr + r->k * sizeof(uint32_t) + r->uri_len + r->ts_len +
           r->cluster_uri_len + r->dup_uri_len;
    if (in->len != need || r->decision < WH_DEDUP_NEW ||
        r->decision > WH_DEDUP_VERSION) {
        return WH_EPARSE;
    }
    r->minhash = h + hdr;
    r->uri = h + hdr + r->k * sizeof(uint32_t);
    r->ts = r->uri + r->uri_len;
    r->cluster_uri = r->ts + r->ts_len;
    r->dup_uri = r->cluster_uri + r->cluster_uri_len;
    return WH_OK;
}

/* ------------------------------------------------------------------ */
/* In-memory view.                                                     */

static void map_put(struct wh_dedup_store *st, uint64_t h, uint32_t id)
{
    size_t i;

    if ((st->map_used + 1) * 4 > st->map_cap * 3) {
        struct uri_slot *old = st->map;
        size_t oldcap = st->map_cap;
        size_t j;

        st->map_cap = oldcap ? oldcap * 2 : 1024;
        st->map = wh_xcalloc(st->map_cap, sizeof(*st->map));
        st->map_used = 0;
        for (j = 0; j < oldcap; j++) {
            if (old[j].id1) {
                map_put(st, old[j].hash, old[j].id1 - 1);
            }
        }
        free(old);
    }
    for (i = h & (st->map_cap - 1); st->map[i].id1;
         i = (i + 1) & (st->map_cap - 1)) {
        if (st->map[i].hash == h) {
            st->map[i].id1 = id + 1;
            return;
        }
    }
    st->map[i].hash = h;
    st->map[i].id1 = id + 1;
    st->map_used++;
}

/* The latest record of the uri of hash h still in the window, or NONE. */
uint32_t store_map_get(const struct wh_dedup_store *st, uint64_t h)
{
    size_t i;

    if (st->map_cap == 0) {
        return NONE;
    }
    for (i = h & (st->map_cap - 1); st->map[i].id1;
         i = (i + 1) & (st->map_cap - 1)) {
        if (st->map[i].hash == h) {
            return st->map[i].id1 - 1 >= st->low ? st->map[i].id1 - 1 : NONE;
        }
    }
    return NONE;
}

/* Gives back the memory of the ids below low: index entries, uri map
 * slots, locators and times. O(held), done when a quarter is dead. */
void store_view_purge(struct wh_dedup_store *st)
{
    struct uri_slot *old = st->map;
    size_t oldcap = st->map_cap;
    size_t live = 0;
    size_t held;
    size_t j;

    wh_index_drop_below(st->idx, st->low);
    for (j = 0; j < oldcap; j++) {
        live += old[j].id1 != 0 && old[j].id1 - 1 >= st->low;
    }
    st->map_cap = 1024;
    while (st->map_cap * 3 < (live + 1) * 4 * 2) {
        st->map_cap *= 2;
    }
    st->map = wh_xcalloc(st->map_cap, sizeof(*st->map));
    st->map_used = 0;
    for (j = 0; j < oldcap; j++) {
        if (old[j].id1 != 0 && old[j].id1 - 1 >= st->low) {
            map_put(st, old[j].hash, old[j].id1 - 1);
        }
    }
    free(old);
    held = st->n - st->low;
    memmove(st->locs, st->locs + (st->low - st->base),
            held * sizeof(*st->locs));
    memmove(st->times, st->times + (st->low - st->base),
            held * sizeof(*st->times));
    st->base = st->low;
    if (st->cap > 2 * held + 1024) {
        st->cap = held + held / 2 + 1024;
        st->locs = wh_xrealloc(st->locs, st->cap * sizeof(*st->locs));
        st->times = wh_xrealloc(st->times, st->cap * sizeof(*st->times));
    }
}

static void view_push(struct wh_dedup_store *st, uint64_t loc, uint32_t t)
{
    if (st->n - st->base == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 1024;
        st->locs = wh_xrealloc(st->locs, st->cap * sizeof(*st->locs));
        st->times = wh_xrealloc(st->times, st->cap * sizeof(*st->times));
    }
    if (t == 0 && st->zero == NONE) {
        st->zero = st->n;
    }
    st->locs[st->n - st->base] = loc;
    st->times[st->n - st->base] = t;
    st->n++;
}

/* Non-zero when a record decided at t is out of the window at now. */
static int out_of_window(const struct wh_dedup_store *st, uint32_t t,
                         uint32_t now)
{
    return st->p.window_s > 0 && t != 0 &&
           (uint64_t)t + (uint64_t)st->p.window_s < now;
}

/* Takes in record r of id id read from (or appended to) the log. bulk:
 * index additions wait for one merge at the end; records already out of
 * the window at now are not indexed (start-up). */
int store_view_apply(struct wh_dedup_store *st, const struct rec *r,
                     uint64_t loc, uint32_t id, int bulk, uint32_t now)
{
    if (id >= NONE - 1 || id < st->n) {
        return WH_E2BIG;
    }
    if (st->n == st->base && id > st->n) {
        /* the first record seen: older ones were deleted */
        st->base = st->n = st->low = st->expired = id;
        wh_index_set_floor(st->idx, id);
    }
    while (st->n < id) {
        view_push(st, NO_LOC, r->time); /* ids never seen here */
    }
    if (r->time != 0) {
        if (st->zero != NONE) {
            for (uint32_t i = st->zero; i < st->n; i++) {
                if (st->times[i - st->base] == 0) {
                    st->times[i - st->base] = r->time;
                }
            }
            st->zero = NONE;
        }
        if (r->time > st->last_time) {
            st->last_time = r->time;
        }
    }
    view_push(st, loc, r->time);
    if (bulk && out_of_window(st, r->time, now)) {
        return WH_OK;
    }
    map_put(st, r->uri_hash, id);
    if (r->flags & FLAG_NEAR) {
        if (bulk) {
            wh_index_append(st->idx, r->fp, id);
        } else {
            wh_index_add(st->idx, r->fp, id);
        }
    }
    return WH_OK;
}

int store_catch_up(struct wh_dedup_store *st, int bulk, uint32_t now,
                   char *errstr, size_t errstr_size)
{
    uint64_t loc;
    uint32_t id;
    struct rec r;
    int rc;

    for (;;) {
        rc = st->ops->next(st->b, &st->rbuf, &loc, &id, errstr, errstr_size);
        if (rc <= 0) {
            break;
        }
        if (rec_decode(&st->rbuf, &r) != WH_OK) {
            snprintf(errstr, errstr_size, "undecodable decision record #%u",
                     id);
            return WH_EIO;
        }
        rc = store_view_apply(st, &r, loc, id, bulk, now);
        if (rc != WH_OK) {
            snprintf(errstr, errstr_size,
                     "decision record #%u out of order or too many", id);
            return WH_EIO;
        }
    }
    if (bulk) {
        wh_index_compact(st->idx);
    }
    return rc < 0 ? WH_EIO : WH_OK;
}

/* The decision clock: the configured one (tests), else the wall clock,
 * never before the latest decision seen, so that decision times grow
 * with ids even across processes whose clocks differ a little. */
uint32_t store_decision_now(const struct wh_dedup_store *st)
{
    time_t t = st->p.clock != NULL ? st->p.clock() : time(NULL);
    uint32_t now = t > 0 && (uint64_t)t < NONE ? (uint32_t)t : 1;

    return now > st->last_time ? now : st->last_time;
}

/* Moves low past the records decided more than the window before now. */
void store_advance_low(struct wh_dedup_store *st, uint32_t now)
{
    while (st->low < st->n &&
           out_of_window(st, st->times[st->low - st->base], now)) {
        st->low++;
    }
    wh_index_set_floor(st->idx, st->low);
}

/* The window's upkeep before a decision (lock held, view caught up):
 * low moves on; the backend starts a new segment when the current one
 * is a tenth of the window old and forgets (deletes) what left it; the
 * memory of what left is given back in batches. */
int store_upkeep(struct wh_dedup_store *st, uint32_t now, char *errstr,
                 size_t errstr_size)
{
    long long part = st->p.window_s / ROLL_PARTS;
    uint32_t head;
    int rolled = 0;

    if (st->p.window_s <= 0) {
        return WH_OK;
    }
    if (part < 1) {
        part = 1;
    }
    store_advance_low(st, now);
    head = st->ops->head(st->b);
    if (head != NONE && head < st->n) {
        uint32_t t = head >= st->base ? st->times[head - st->base] : 0;

        if (head < st->low ||
            (t != 0 && (long long)t + part <= (long long)now)) {
            if (st->ops->roll(st->b, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            rolled = 1;
            st->snap_due = st->ops == &store_file_ops;
        }
    }
    /* the backend forgets at a new segment, every EXPIRE_EVERY ids and
     * at least every tenth of the window */
    if (st->low > st->expired &&
        (rolled || st->low >= st->expired + EXPIRE_EVERY ||
         (long long)st->expired_at + part <= (long long)now)) {
        if (st->ops->expire(st->b, st->low, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        st->expired = st->low;
        st->expired_at = now;
    }
    if (st->low - st->base >= PURGE_MIN &&
        (uint64_t)(st->low - st->base) * 4 >= (uint64_t)(st->n - st->base)) {
        store_view_purge(st);
    }
    return WH_OK;
}

/* Reads record id into st->rbuf and decodes it into *r (valid until the
 * next read). */
int store_read_rec(struct wh_dedup_store *st, uint32_t id, struct rec *r,
                   char *errstr, size_t errstr_size)
{
    int rc;

    if (id < st->base || id >= st->n || st->locs[id - st->base] == NO_LOC) {
        snprintf(errstr, errstr_size,
                 "decision record #%u is no longer held (window)", id);
        return WH_EIO;
    }
    rc = st->ops->get(st->b, st->locs[id - st->base], &st->rbuf, errstr,
                      errstr_size);
    if (rc != WH_OK) {
        return WH_EIO;
    }
    if (rec_decode(&st->rbuf, r) != WH_OK) {
        snprintf(errstr, errstr_size, "undecodable decision record #%u", id);
        return WH_EIO;
    }
    return WH_OK;
}

static int read_uri(struct wh_dedup_store *st, uint32_t id, char **uri,
                    char *errstr, size_t errstr_size)
{
    struct rec r;

    if (store_read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    *uri = wh_xstrndup(r.uri, r.uri_len);
    return WH_OK;
}

/* The uri of the cluster of record r (number id), newly allocated. A
 * format-1 record names it by id only: that record is read (r is then
 * no longer valid). */
int store_cluster_uri_of(struct wh_dedup_store *st, uint32_t id,
                         const struct rec *r, char **uri, char *errstr,
                         size_t errstr_size)
{
    if (r->format == REC_FORMAT) {
        *uri = r->cluster_uri_len > 0
                   ? wh_xstrndup(r->cluster_uri, r->cluster_uri_len)
                   : wh_xstrndup(r->uri, r->uri_len);
        return WH_OK;
    }
    if (r->cluster == id) {
        *uri = wh_xstrndup(r->uri, r->uri_len);
        return WH_OK;
    }
    return read_uri(st, r->cluster, uri, errstr, errstr_size);
}

/* The fields of out that record r (number id) holds as they are. */
void store_result_fields(struct wh_dedup_result *out, uint32_t id,
                         const struct rec *r)
{
    out->decision = (enum wh_dedup_decision)r->decision;
    out->id = id;
    out->version = r->version;
    out->similarity = r->sim / 10000.0;
    out->distance = r->distance;
    snprintf(out->version_created, sizeof(out->version_created), "%.*s",
             (int)r->ts_len, r->ts);
}

/* Fills out from stored record id (a replay or an exact repeat). */
int store_result_from(struct wh_dedup_store *st, uint32_t id,
                      struct wh_dedup_result *out, char *errstr,
                      size_t errstr_size)
{
    struct rec r;
    uint32_t dup_of;
    uint32_t prev;

    if (store_read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    store_result_fields(out, id, &r);
    if (r.format == REC_FORMAT) {
        out->cluster_uri = r.cluster_uri_len > 0
                               ? wh_xstrndup(r.cluster_uri, r.cluster_uri_len)
                               : wh_xstrndup(r.uri, r.uri_len);
        if (r.decision == WH_DEDUP_COPY) {
            out->dup_of_uri = (r.flags & FLAG_DUP_IS_CLUSTER)
                                  ? wh_xstrdup(out->cluster_uri)
                                  : wh_xstrndup(r.dup_uri, r.dup_uri_len);
        }
        if (r.decision == WH_DEDUP_VERSION) {
            out->prev_version = r.version - 1;
            out->prev_body_hash = r.prev_body_hash;
        }
        return WH_OK;
    }
    /* format 1: the other records are read */
    dup_of = r.dup_of;
    prev = r.prev;
    if (store_cluster_uri_of(st, id, &r, &out->cluster_uri, errstr,
                             errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (dup_of != NONE &&
        read_uri(st, dup_of, &out->dup_of_uri, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (prev != NONE) {
        if (store_read_rec(st, prev, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        out->prev_version = r.version;
        out->prev_body_hash = r.body_hash;
    }
    return WH_OK;
}

/* ------------------------------------------------------------------ */
/* Snapshot of the view (the file log).                                */

/* dedup.snap in the state directory: the in-memory view (locations,
 * times, uri map, index tables) as of a position in the log, so that a
 * process starting reads it and then only the records after it, instead
 * of the whole window. Written (to a temporary name, fsynced, renamed) by
 * a process when it closes the store and after it started a segment; in
 * host byte order (the file log is shared by the processes of one
 * machine) with an XXH3 checksum; one that does not match (damaged, other
 * parameters, its position gone) is ignored and the log read instead. A
 * locator is saved as (segment's first id << 32) | offset. */
#define SNAP_MAGIC "WHSNAP1"

struct snap_hdr {
    char magic[8];
    uint32_t minhash_k;
    uint32_t nsegs;
    struct wh_index_params ix;
    uint32_t base, n, low, zero, expired, expired_at, last_time, pad;
};

struct snap_seg {
    uint32_t base;
    uint32_t count;
    uint32_t sealed;
    uint32_t pad;
    uint64_t pos;
};

struct snap_io {
    FILE *fp;
    XXH3_state_t *h;
};

static int snap_put(void *arg, const void *data, size_t len)
{
    struct snap_io *io = arg;

    (void)XXH3_64bits_update(io->h, data, len);
    return fwrite(data, 1, len, io->fp) == len ? 0 : -1;
}

static int snap_get(void *arg, void *data, size_t len)
{
    struct snap_io *io = arg;

    if (fread(data, 1, len, io->fp) != len) {
        return -1;
    }
    (void)XXH3_64bits_update(io->h, data, len);
    return 0;
}

/* Writes the snapshot of the view; a failure is only logged (the next
 * start reads more of the log). */
void store_snap_write(struct wh_dedup_store *st)
{
    struct file_backend *b = st->b;
    char *tmp = wh_xasprintf("%s/dedup.snap.%ld", b->dir, (long)getpid());
    char *path = wh_xasprintf("%s/dedup.snap", b->dir);
    struct snap_io io = {NULL, XXH3_createState()};
    struct snap_hdr h;
    uint64_t chunk[1024];
    uint64_t sum;
    size_t held = st->n - st->base;
    size_t i;
    size_t j = 0;
    size_t k = 0;
    int rc = -1;

    WH_ASSERT(io.h != NULL);
    (void)XXH3_64bits_reset(io.h);
    io.fp = fopen(tmp, "wbe");
    if (io.fp == NULL) {
        goto out;
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, SNAP_MAGIC, sizeof(SNAP_MAGIC));
    h.minhash_k = st->p.sh.minhash_k;
    h.nsegs = (uint32_t)b->nsegs;
    h.ix = st->p.ix;
    h.base = st->base;
    h.n = st->n;
    h.low = st->low;
    h.zero = st->zero;
    h.expired = st->expired;
    h.expired_at = st->expired_at;
    h.last_time = st->last_time;
    if (snap_put(&io, &h, sizeof(h)) != 0) {
        goto out;
    }
    for (i = 0; i < b->nsegs; i++) {
        struct snap_seg ss;

        memset(&ss, 0, sizeof(ss));
        ss.base = b->segs[i].base;
        ss.count = b->segs[i].count;
        ss.sealed = (uint32_t)b->segs[i].sealed;
        ss.pos = b->segs[i].pos;
        if (snap_put(&io, &ss, sizeof(ss)) != 0) {
            goto out;
        }
    }
    for (i = 0; i < held; i++) {
        uint64_t loc = st->locs[i];

        if (loc != NO_LOC) {
            unsigned no = (unsigned)(loc >> LOC_SHIFT);

            /* ids grow with segments: the segment is j or after it */
            while (j < b->nsegs && b->segs[j].no != no) {
                j++;
            }
            if (j == b->nsegs) {
                j = 0;
                loc = NO_LOC; /* its segment was closed */
            } else {
                loc = (uint64_t)b->segs[j].base << 32 | LOC_OFF(loc);
            }
        }
        chunk[k++] = loc;
        if (k == WH_ARRAY_SIZE(chunk) || i + 1 == held) {
            if (snap_put(&io, chunk, k * sizeof(*chunk)) != 0) {
                goto out;
            }
            k = 0;
        }
    }
    if (snap_put(&io, st->times, held * sizeof(*st->times)) != 0 ||
        snap_put(&io, &st->map_cap, sizeof(st->map_cap)) != 0 ||
        snap_put(&io, &st->map_used, sizeof(st->map_used)) != 0 ||
        snap_put(&io, st->map, st->map_cap * sizeof(*st->map)) != 0 ||
        wh_index_save(st->idx, snap_put, &io) != 0) {
        goto out;
    }
    sum = XXH3_64bits_digest(io.h);
    if (fwrite(&sum, 1, sizeof(sum), io.fp) != sizeof(sum) ||
        fflush(io.fp) != 0 || fsync(fileno(io.fp)) != 0) {
        goto out;
    }
    rc = fclose(io.fp);
    io.fp = NULL;
    if (rc == 0) {
        rc = rename(tmp, path);
    }
out:
    if (io.fp != NULL) {
        fclose(io.fp);
    }
    if (rc != 0) {
        wh_warn(TAG, "%s: snapshot not written: %s", path, strerror(errno));
        (void)unlink(tmp);
    }
    XXH3_freeState(io.h);
    free(tmp);
    free(path);
}

/* Forgets a view partly read from a snapshot. */
static void snap_undo(struct wh_dedup_store *st)
{
    free(st->locs);
    free(st->times);
    free(st->map);
    st->locs = NULL;
    st->times = NULL;
    st->map = NULL;
    st->cap = st->map_cap = st->map_used = 0;
    st->base = st->n = st->low = st->expired = st->expired_at = 0;
    st->last_time = 0;
    st->zero = NONE;
    wh_index_free(st->idx);
    st->idx = wh_index_new(&st->p.ix);
    store_file_close(st->b);
    st->b = NULL;
}

/* Reads dir/dedup.snap into the (empty) view and opens the segments it
 * names, positioned after what it covers. Returns 1 when it did, 0 when
 * there is none or it cannot be used (the view is left empty). */
int store_snap_load(struct wh_dedup_store *st, const char *dir)
{
    char *path = wh_xasprintf("%s/dedup.snap", dir);
    struct snap_io io = {NULL, XXH3_createState()};
    struct snap_seg *ss = NULL;
    struct file_backend *b;
    struct snap_hdr h;
    uint64_t sum;
    uint64_t want;
    unsigned *no = NULL;
    size_t held;
    size_t i;
    size_t j = 0;
    int ok = 0;

    WH_ASSERT(io.h != NULL);
    (void)XXH3_64bits_reset(io.h);
    io.fp = fopen(path, "rbe");
    if (io.fp == NULL) {
        goto out;
    }
    b = wh_xcalloc(1, sizeof(*b));
    b->dir = wh_xstrdup(dir);
    b->minhash_k = st->p.sh.minhash_k;
    b->lock_fd = -1;
    st->b = b;
    if (snap_get(&io, &h, sizeof(h)) != 0 ||
        memcmp(h.magic, SNAP_MAGIC, sizeof(SNAP_MAGIC)) != 0 ||
        h.minhash_k != st->p.sh.minhash_k ||
        memcmp(&h.ix, &st->p.ix, sizeof(h.ix)) != 0 || h.nsegs == 0 ||
        h.nsegs > 1000000 || h.n < h.base || h.low < h.base || h.low > h.n) {
        goto out;
    }
    ss = wh_xcalloc(h.nsegs, sizeof(*ss));
    no = wh_xcalloc(h.nsegs, sizeof(*no));
    if (snap_get(&io, ss, h.nsegs * sizeof(*ss)) != 0) {
        goto out;
    }
    for (i = 0; i < h.nsegs; i++) {
        char err[256];
        int rc = store_seg_open(b, ss[i].base, 0, err, sizeof(err));

        if (rc != WH_OK) {
            if (i + 1 == h.nsegs) {
                goto out; /* where reading would go on is gone */
            }
            no[i] = NONE;
            continue;
        }
        seg_last(b)->count = ss[i].count;
        seg_last(b)->pos = ss[i].pos;
        seg_last(b)->sealed = (int)ss[i].sealed;
        no[i] = seg_last(b)->no;
    }
    st->base = h.base;
    st->n = h.n;
    st->low = h.low;
    st->zero = h.zero;
    st->expired = h.expired;
    st->expired_at = h.expired_at;
    st->last_time = h.last_time;
    held = h.n - h.base;
    st->cap = held + held / 2 + 1024;
    st->locs = wh_xmalloc(st->cap * sizeof(*st->locs));
    st->times = wh_xmalloc(st->cap * sizeof(*st->times));
    if (snap_get(&io, st->locs, held * sizeof(*st->locs)) != 0 ||
        snap_get(&io, st->times, held * sizeof(*st->times)) != 0 ||
        snap_get(&io, &st->map_cap, sizeof(st->map_cap)) != 0 ||
        snap_get(&io, &st->map_used, sizeof(st->map_used)) != 0 ||
        st->map_cap > ((size_t)1 << 40) ||
        (st->map_cap & (st->map_cap - 1)) != 0) {
        goto out;
    }
    st->map = wh_xmalloc((st->map_cap ? st->map_cap : 1) * sizeof(*st->map));
    if (snap_get(&io, st->map, st->map_cap * sizeof(*st->map)) != 0 ||
        wh_index_load(st->idx, snap_get, &io) != 0) {
        goto out;
    }
    want = XXH3_64bits_digest(io.h);
    if (fread(&sum, 1, sizeof(sum), io.fp) != sizeof(sum) || sum != want) {
        goto out;
    }
    for (i = 0; i < held; i++) {
        uint64_t v = st->locs[i];
        uint32_t seg;

        if (v == NO_LOC) {
            continue;
        }
        seg = (uint32_t)(v >> 32);
        while (j < h.nsegs && ss[j].base != seg) {
            j++;
        }
        if (j == h.nsegs) {
            goto out;
        }
        st->locs[i] = no[j] == NONE
                          ? NO_LOC
                          : (uint64_t)no[j] << LOC_SHIFT | (v & 0xffffffffu);
    }
    wh_index_set_floor(st->idx, st->low);
    ok = 1;
out:
    if (io.fp != NULL) {
        fclose(io.fp);
    }
    if (!ok && st->b != NULL) {
        snap_undo(st);
    }
    XXH3_freeState(io.h);
    free(ss);
    free(no);
    free(path);
    return ok;
}

/* The lock file of a state directory whose segments store_snap_load() opened.
 */
int store_snap_lock_open(struct file_backend *b, char *errstr,
                         size_t errstr_size)
{
    char *lock_path = wh_xasprintf("%s/dedup.lock", b->dir);

    b->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (b->lock_fd < 0) {
        snprintf(errstr, errstr_size, "%s: open: %s", lock_path,
                 strerror(errno));
        free(lock_path);
        return WH_EIO;
    }
    free(lock_path);
    return WH_OK;
}
