/*
 * store.c - shared dedup decisions: the decision logic, the in-memory view
 * and the "file" backend (see store.h).
 */
#include "store.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "dedup"
#define NONE UINT32_MAX
#define MAX_HITS 32

/* ------------------------------------------------------------------ */
/* Backend (struct wh_dedup_backend_ops in store.h): the file log.    */

/* The file backend. Layout: a 16-byte header ("WHDEDUP" NUL, format
 * version, MinHash size), then frames {magic, payload length, payload,
 * XXH32 of the payload}, all integers in host byte order (the log is
 * shared by processes of one machine). */
#define FILE_MAGIC "WHDEDUP"
#define FILE_FORMAT 1u
#define FRAME_MAGIC 0x52444857u /* "WHDR" */
#define FRAME_MAX ((size_t)64 * 1024)
#define READ_CHUNK (1u << 20)

struct file_backend {
    int fd;
    char *path;
    uint64_t pos; /* end of the last frame read or written */
    int dirty;    /* appended since the last fdatasync */
    int locked;   /* we hold the flock */
    char *map;    /* read-only mapping of the first map_len bytes */
    size_t map_len;
    char *buf;        /* read-ahead of the catch-up reader */
    uint64_t buf_off; /* file offset of buf[0] */
    size_t buf_len;
};

static int file_lock(void *v, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;

    /* what was read ahead may since have been truncated and rewritten */
    b->buf_len = 0;
    while (flock(b->fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            snprintf(errstr, errstr_size, "%s: flock: %s", b->path,
                     strerror(errno));
            return WH_EIO;
        }
    }
    b->locked = 1;
    return WH_OK;
}

static void file_unlock(void *v)
{
    struct file_backend *b = v;

    b->locked = 0;
    (void)flock(b->fd, LOCK_UN);
}

/* Makes sure buf holds len bytes from offset off; returns the bytes
 * available (less than len at the end of the file) or -1. */
static ssize_t file_fill(struct file_backend *b, uint64_t off, size_t len)
{
    size_t have;
    ssize_t n;

    if (off >= b->buf_off && off + len <= b->buf_off + b->buf_len) {
        return (ssize_t)len;
    }
    if (b->buf == NULL) {
        b->buf = wh_xmalloc(READ_CHUNK);
    }
    b->buf_off = off;
    b->buf_len = 0;
    while (b->buf_len < READ_CHUNK) {
        n = pread(b->fd, b->buf + b->buf_len, READ_CHUNK - b->buf_len,
                  (off_t)(off + b->buf_len));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            break;
        }
        b->buf_len += (size_t)n;
    }
    have = b->buf_len;
    return (ssize_t)(have < len ? have : len);
}

/* An incomplete or damaged last frame. With the lock held, its writer
 * died in the middle of the append and nobody else writes: it is dropped.
 * Without the lock (the first read at start-up) it may be an append in
 * progress: reading stops there, to go on under the lock. */
static int file_truncate_tail(struct file_backend *b, const char *why,
                              char *errstr, size_t errstr_size)
{
    if (!b->locked) {
        b->buf_len = 0;
        return WH_OK;
    }
    wh_warn(TAG,
            "%s: %s at offset %llu (a writer died mid-append); "
            "truncating",
            b->path, why, (unsigned long long)b->pos);
    if (ftruncate(b->fd, (off_t)b->pos) != 0) {
        snprintf(errstr, errstr_size, "%s: ftruncate: %s", b->path,
                 strerror(errno));
        return WH_EIO;
    }
    b->buf_len = 0;
    return WH_OK;
}

static int file_next(void *v, struct wh_buf *rec, uint64_t *loc, char *errstr,
                     size_t errstr_size)
{
    struct file_backend *b = v;
    struct stat stb;
    uint32_t hdr[2];
    uint32_t crc;
    ssize_t got;
    const char *p;
    int rc;

    if (fstat(b->fd, &stb) != 0) {
        snprintf(errstr, errstr_size, "%s: fstat: %s", b->path,
                 strerror(errno));
        return WH_EIO;
    }
    if ((uint64_t)stb.st_size <= b->pos) {
        return 0;
    }
    if (b->buf_off + b->buf_len > (uint64_t)stb.st_size) {
        b->buf_len = 0; /* the file was truncated under the buffer */
    }
    got = file_fill(b, b->pos, sizeof(hdr));
    if (got < 0) {
        snprintf(errstr, errstr_size, "%s: read: %s", b->path, strerror(errno));
        return WH_EIO;
    }
    if ((size_t)got < sizeof(hdr)) {
        rc = file_truncate_tail(b, "incomplete frame header", errstr,
                                errstr_size);
        return rc == WH_OK ? 0 : rc;
    }
    memcpy(hdr, b->buf + (b->pos - b->buf_off), sizeof(hdr));
    hdr[0] = le32toh(hdr[0]);
    hdr[1] = le32toh(hdr[1]);
    if (hdr[0] != FRAME_MAGIC || hdr[1] > FRAME_MAX) {
        /* appends are whole frames, so a torn one starts well: this is
         * damage, and skipping it would make processes disagree */
        snprintf(errstr, errstr_size, "%s: damaged record at offset %llu",
                 b->path, (unsigned long long)b->pos);
        return WH_EIO;
    }
    got = file_fill(b, b->pos, sizeof(hdr) + hdr[1] + 4);
    if (got < 0) {
        snprintf(errstr, errstr_size, "%s: read: %s", b->path, strerror(errno));
        return WH_EIO;
    }
    if ((size_t)got < sizeof(hdr) + hdr[1] + 4) {
        rc = file_truncate_tail(b, "incomplete frame", errstr, errstr_size);
        return rc == WH_OK ? 0 : rc;
    }
    p = b->buf + (b->pos - b->buf_off);
    memcpy(&crc, p + sizeof(hdr) + hdr[1], sizeof(crc));
    if (le32toh(crc) != XXH32(p + sizeof(hdr), hdr[1], 0)) {
        if (b->pos + sizeof(hdr) + hdr[1] + 4 == (uint64_t)stb.st_size) {
            rc = file_truncate_tail(b, "bad checksum on the last frame", errstr,
                                    errstr_size);
            return rc == WH_OK ? 0 : rc;
        }
        snprintf(errstr, errstr_size, "%s: bad checksum at offset %llu",
                 b->path, (unsigned long long)b->pos);
        return WH_EIO;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, p + sizeof(hdr), hdr[1]) != WH_OK) {
        snprintf(errstr, errstr_size, "record too large");
        return WH_EIO;
    }
    *loc = b->pos;
    b->pos += sizeof(hdr) + hdr[1] + 4;
    return 1;
}

static int file_append(void *v, const void *rec, size_t len, uint64_t *loc,
                       char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;
    size_t total = 8 + len + 4;
    char *frame;
    uint32_t u;
    ssize_t n;

    if (len > FRAME_MAX) {
        snprintf(errstr, errstr_size, "record of %zu bytes too large", len);
        return WH_EINVAL;
    }
    frame = wh_xmalloc(total);
    u = htole32(FRAME_MAGIC);
    memcpy(frame, &u, 4);
    u = htole32((uint32_t)len);
    memcpy(frame + 4, &u, 4);
    memcpy(frame + 8, rec, len);
    u = htole32(XXH32(rec, len, 0));
    memcpy(frame + 8 + len, &u, 4);
    /* one write: a process killed now leaves all of it or none of it in
     * the page cache (a short write only on a full disk: undone below) */
    do {
        n = pwrite(b->fd, frame, total, (off_t)b->pos);
    } while (n < 0 && errno == EINTR);
    free(frame);
    if (n != (ssize_t)total) {
        snprintf(errstr, errstr_size, "%s: write: %s", b->path,
                 n < 0 ? strerror(errno) : "short write");
        (void)ftruncate(b->fd, (off_t)b->pos);
        return WH_EIO;
    }
    *loc = b->pos;
    b->pos += total;
    b->dirty = 1;
    return WH_OK;
}

/* Maps the log again, twice as far as it now reaches (pages past the end
 * of the file are mapped but never touched: they become readable as the
 * log grows into them), so remapping is rare. WH_OK or WH_EIO. */
static int file_remap(struct file_backend *b, char *errstr, size_t errstr_size)
{
    size_t len = (size_t)1 << 20;
    void *m;

    while (len < 2 * b->pos) {
        len *= 2;
    }
    if (b->map != NULL) {
        (void)munmap(b->map, b->map_len);
        b->map = NULL;
        b->map_len = 0;
    }
    m = mmap(NULL, len, PROT_READ, MAP_SHARED, b->fd, 0);
    if (m == MAP_FAILED) {
        snprintf(errstr, errstr_size, "%s: mmap: %s", b->path, strerror(errno));
        return WH_EIO;
    }
    b->map = m;
    b->map_len = len;
    return WH_OK;
}

/* Records are read through a shared read-only mapping of the log: a
 * decision may look at dozens of candidates, and a pread each cost more
 * than the rest of the decision. Only complete frames (before pos) are
 * read, so a torn tail truncated by another process is never touched. */
static int file_get(void *v, uint64_t loc, struct wh_buf *rec, char *errstr,
                    size_t errstr_size)
{
    struct file_backend *b = v;
    uint32_t hdr[2];

    if (loc + sizeof(hdr) > b->pos) {
        snprintf(errstr, errstr_size, "%s: no record at offset %llu", b->path,
                 (unsigned long long)loc);
        return WH_EIO;
    }
    if (b->pos > b->map_len && file_remap(b, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    memcpy(hdr, b->map + loc, sizeof(hdr));
    hdr[0] = le32toh(hdr[0]);
    hdr[1] = le32toh(hdr[1]);
    if (hdr[0] != FRAME_MAGIC || hdr[1] > FRAME_MAX ||
        loc + sizeof(hdr) + hdr[1] + 4 > b->pos) {
        snprintf(errstr, errstr_size, "%s: bad record at offset %llu", b->path,
                 (unsigned long long)loc);
        return WH_EIO;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, b->map + loc + sizeof(hdr), hdr[1]) != WH_OK) {
        snprintf(errstr, errstr_size, "record too large");
        return WH_EIO;
    }
    return WH_OK;
}

static int file_sync(void *v, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;

    if (!b->dirty) {
        return WH_OK;
    }
    if (fdatasync(b->fd) != 0) {
        snprintf(errstr, errstr_size, "%s: fdatasync: %s", b->path,
                 strerror(errno));
        return WH_EIO;
    }
    b->dirty = 0;
    return WH_OK;
}

static void file_close(void *v)
{
    struct file_backend *b = v;

    if (b == NULL) {
        return;
    }
    if (b->map != NULL) {
        (void)munmap(b->map, b->map_len);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    free(b->path);
    free(b->buf);
    free(b);
}

static const struct wh_dedup_backend_ops file_ops = {
    "file",      file_lock, file_unlock, file_next,
    file_append, file_get,  file_sync,   file_close};

/* mkdir -p */
static int make_dirs(const char *dir, char *errstr, size_t errstr_size)
{
    char *path = wh_xstrdup(dir);
    char *p;
    int rc = WH_OK;

    for (p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(path, 0750) != 0 && errno != EEXIST) {
                snprintf(errstr, errstr_size, "%s: mkdir: %s", path,
                         strerror(errno));
                rc = WH_EIO;
                break;
            }
            *p = c;
            if (c == '\0') {
                break;
            }
        }
    }
    free(path);
    return rc;
}

/* Opens DIR/dedup.log, writing or checking its header under the lock. */
static struct file_backend *file_open(const char *dir, unsigned minhash_k,
                                      char *errstr, size_t errstr_size)
{
    struct file_backend *b;
    char hdr[16];
    char want[16];
    uint32_t u;
    ssize_t n;

    if (make_dirs(dir, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    b = wh_xcalloc(1, sizeof(*b));
    b->path = wh_xasprintf("%s/dedup.log", dir);
    b->fd = open(b->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (b->fd < 0) {
        snprintf(errstr, errstr_size, "%s: open: %s", b->path, strerror(errno));
        goto fail;
    }
    memset(want, 0, sizeof(want));
    memcpy(want, FILE_MAGIC, sizeof(FILE_MAGIC));
    u = htole32(FILE_FORMAT);
    memcpy(want + 8, &u, 4);
    u = htole32(minhash_k);
    memcpy(want + 12, &u, 4);
    if (file_lock(b, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    n = pread(b->fd, hdr, sizeof(hdr), 0);
    if (n == 0) {
        n = pwrite(b->fd, want, sizeof(want), 0);
        if (n != (ssize_t)sizeof(want) || fdatasync(b->fd) != 0) {
            snprintf(errstr, errstr_size, "%s: write: %s", b->path,
                     strerror(errno));
            file_unlock(b);
            goto fail;
        }
    } else if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, want, 8) != 0) {
        snprintf(errstr, errstr_size, "%s: not a wirehose dedup log", b->path);
        file_unlock(b);
        goto fail;
    } else if (memcmp(hdr, want, sizeof(want)) != 0) {
        memcpy(&u, hdr + 12, 4);
        u = le32toh(u);
        snprintf(errstr, errstr_size,
                 "%s: written with %u MinHash values, configured %u: use "
                 "another state directory",
                 b->path, u, minhash_k);
        file_unlock(b);
        goto fail;
    }
    file_unlock(b);
    b->pos = sizeof(hdr);
    return b;
fail:
    file_close(b);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Decision records.                                                   */

#define REC_HDR 64
#define FLAG_NEAR 1u

/* Records are little-endian whatever the host, so a log (or a
 * PostgreSQL table of them) reads the same on every machine. */
static void put_le(char *p, uint64_t v, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const char *p, unsigned n)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        v |= (uint64_t)(uint8_t)p[i] << (8 * i);
    }
    return v;
}

struct rec {
    uint64_t uri_hash;
    uint64_t body_hash;
    uint64_t self_hash;
    uint64_t fp;
    uint32_t cluster;
    uint32_t dup_of;
    uint32_t prev;
    uint32_t version;
    uint8_t decision;
    uint8_t flags;
    uint8_t k;
    uint8_t distance;
    uint16_t sim;        /* similarity * 10000 */
    const char *minhash; /* into the buffer: k uint32, unaligned */
    const char *uri;     /* into the buffer, not NUL-terminated */
    size_t uri_len;
    const char *ts;
    size_t ts_len;
};

static void rec_encode(struct wh_buf *out, const struct rec *r,
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
    wh_buf_reset(out);
    (void)wh_buf_append(out, h, sizeof(h));
    for (i = 0; i < r->k; i++) {
        char v[4];

        put_le(v, minhash[i], 4);
        (void)wh_buf_append(out, v, sizeof(v));
    }
    (void)wh_buf_append(out, r->uri, r->uri_len);
    (void)wh_buf_append(out, r->ts, r->ts_len);
}

static int rec_decode(const struct wh_buf *in, struct rec *r)
{
    const char *h = in->data;
    size_t need;

    if (in->len < REC_HDR) {
        return WH_EPARSE;
    }
    r->uri_hash = get_le(h + 0, 8);
    r->body_hash = get_le(h + 8, 8);
    r->self_hash = get_le(h + 16, 8);
    r->fp = get_le(h + 24, 8);
    r->cluster = (uint32_t)get_le(h + 32, 4);
    r->dup_of = (uint32_t)get_le(h + 36, 4);
    r->prev = (uint32_t)get_le(h + 40, 4);
    r->version = (uint32_t)get_le(h + 44, 4);
    r->uri_len = (size_t)get_le(h + 48, 2);
    r->decision = (uint8_t)h[50];
    r->flags = (uint8_t)h[51];
    r->ts_len = (uint8_t)h[52];
    r->k = (uint8_t)h[53];
    r->sim = (uint16_t)get_le(h + 54, 2);
    r->distance = (uint8_t)h[56];
    need = REC_HDR + r->k * sizeof(uint32_t) + r->uri_len + r->ts_len;
    if (in->len != need || r->decision < WH_DEDUP_NEW ||
        r->decision > WH_DEDUP_VERSION) {
        return WH_EPARSE;
    }
    r->minhash = h + REC_HDR;
    r->uri = h + REC_HDR + r->k * sizeof(uint32_t);
    r->ts = r->uri + r->uri_len;
    return WH_OK;
}

/* ------------------------------------------------------------------ */
/* In-memory view.                                                     */

struct uri_slot {
    uint64_t hash;
    uint32_t id1; /* id + 1; 0 = empty */
};

struct wh_dedup_store {
    struct wh_dedup_store_params p;
    const struct wh_dedup_backend_ops *ops;
    void *b;
    uint64_t *locs; /* id -> backend locator */
    size_t n;
    size_t cap;
    struct uri_slot *map; /* uri hash -> latest record of the uri */
    size_t map_cap;       /* power of two */
    size_t map_used;
    struct wh_index *idx;
    struct wh_buf rbuf; /* scratch for reading records */
    struct wh_buf wbuf; /* scratch for encoding */
};

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

static uint32_t map_get(const struct wh_dedup_store *st, uint64_t h)
{
    size_t i;

    if (st->map_cap == 0) {
        return NONE;
    }
    for (i = h & (st->map_cap - 1); st->map[i].id1;
         i = (i + 1) & (st->map_cap - 1)) {
        if (st->map[i].hash == h) {
            return st->map[i].id1 - 1;
        }
    }
    return NONE;
}

/* Takes in a record read from (or appended to) the log. bulk: index
 * additions wait for one merge at the end. */
static int view_apply(struct wh_dedup_store *st, const struct rec *r,
                      uint64_t loc, int bulk)
{
    uint32_t id = (uint32_t)st->n;

    if (st->n >= NONE - 1) {
        return WH_E2BIG;
    }
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 1024;
        st->locs = wh_xrealloc(st->locs, st->cap * sizeof(*st->locs));
    }
    st->locs[st->n++] = loc;
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

static int catch_up(struct wh_dedup_store *st, int bulk, char *errstr,
                    size_t errstr_size)
{
    uint64_t loc;
    struct rec r;
    int rc;

    for (;;) {
        rc = st->ops->next(st->b, &st->rbuf, &loc, errstr, errstr_size);
        if (rc <= 0) {
            break;
        }
        if (rec_decode(&st->rbuf, &r) != WH_OK) {
            snprintf(errstr, errstr_size, "undecodable decision record #%zu",
                     st->n);
            return WH_EIO;
        }
        rc = view_apply(st, &r, loc, bulk);
        if (rc != WH_OK) {
            snprintf(errstr, errstr_size, "too many records");
            return WH_EIO;
        }
    }
    if (bulk) {
        wh_index_compact(st->idx);
    }
    return rc < 0 ? WH_EIO : WH_OK;
}

/* Reads record id into st->rbuf and decodes it into *r (valid until the
 * next read). */
static int read_rec(struct wh_dedup_store *st, uint32_t id, struct rec *r,
                    char *errstr, size_t errstr_size)
{
    int rc;

    WH_ASSERT(id < st->n);
    rc = st->ops->get(st->b, st->locs[id], &st->rbuf, errstr, errstr_size);
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

    if (read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    *uri = wh_xstrndup(r.uri, r.uri_len);
    return WH_OK;
}

/* The fields of out that record r (number id) holds as they are. */
static void result_fields(struct wh_dedup_result *out, uint32_t id,
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
static int result_from(struct wh_dedup_store *st, uint32_t id,
                       struct wh_dedup_result *out, char *errstr,
                       size_t errstr_size)
{
    struct rec r;
    uint32_t cluster;
    uint32_t dup_of;
    uint32_t prev;

    if (read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    result_fields(out, id, &r);
    cluster = r.cluster;
    dup_of = r.dup_of;
    prev = r.prev;
    if (read_uri(st, cluster, &out->cluster_uri, errstr, errstr_size) !=
        WH_OK) {
        return WH_EIO;
    }
    if (dup_of != NONE &&
        read_uri(st, dup_of, &out->dup_of_uri, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (prev != NONE) {
        if (read_rec(st, prev, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        out->prev_version = r.version;
        out->prev_body_hash = r.body_hash;
    }
    return WH_OK;
}

void wh_dedup_store_params_default(struct wh_dedup_store_params *p)
{
    memset(p, 0, sizeof(*p));
    wh_simhash_params_default(&p->sh);
    wh_index_params_default(&p->ix);
    p->threshold = 0.5;
    p->fsync_each = 0;
}

struct wh_dedup_store *
wh_dedup_store_open(const struct wh_dedup_store_params *p, char *errstr,
                    size_t errstr_size)
{
    struct wh_dedup_store *st;

    if (p->dir == NULL || p->dir[0] == '\0') {
        snprintf(errstr, errstr_size, "no state directory");
        return NULL;
    }
    st = wh_xcalloc(1, sizeof(*st));
    st->p = *p;
    st->p.dir = NULL; /* not kept: borrowed */
    if (p->store != NULL && strncmp(p->store, "postgres:", 9) == 0) {
        st->ops = &wh_dedup_pg_ops;
    } else if (p->store == NULL || p->store[0] == '\0' ||
               strcmp(p->store, "file") == 0) {
        st->ops = &file_ops;
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
    if (st->ops == &file_ops) {
        st->b = file_open(p->dir, p->sh.minhash_k, errstr, errstr_size);
    } else if (make_dirs(p->dir, errstr, errstr_size) == WH_OK) {
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
    if (catch_up(st, 1, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (st->ops->lock(st->b, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (catch_up(st, 1, errstr, errstr_size) != WH_OK) {
        st->ops->unlock(st->b);
        goto fail;
    }
    st->ops->unlock(st->b);
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
    if (st->b != NULL) {
        if (st->ops->sync(st->b, err, sizeof(err)) != WH_OK) {
            wh_err(TAG, "%s", err);
        }
        st->ops->close(st->b);
    }
    wh_index_free(st->idx);
    free(st->locs);
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
 * similarity, then smallest SimHash distance, then the earliest record. */
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

        if (read_rec(st, hits[i].id, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        if (r.k != st->p.sh.minhash_k) {
            continue;
        }
        for (j = 0; j < r.k; j++) {
            mh[j] = (uint32_t)get_le(r.minhash + sizeof(uint32_t) * j, 4);
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
                         struct wh_dedup_result *out, char *errstr,
                         size_t errstr_size)
{
    uint32_t latest = map_get(st, uri_hash);
    uint32_t id = (uint32_t)st->n;
    size_t uri_len = strlen(in->uri);
    struct rec nr;
    struct rec r;
    uint64_t loc;
    uint32_t cur;
    unsigned prev_version = 0;
    uint64_t prev_body_hash = 0;
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

    if (latest != NONE) {
        /* the versions of this uri, newest first: a body seen before is
         * this message again (replay) or a repeat of it */
        for (cur = latest; cur != NONE; cur = r.prev) {
            if (read_rec(st, cur, &r, errstr, errstr_size) != WH_OK) {
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
                return result_from(st, cur, out, errstr, errstr_size);
            }
            rc = result_from(st, cur, out, errstr, errstr_size);
            out->decision = WH_DEDUP_EXACT;
            return rc;
        }
        if (read_rec(st, latest, &r, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        if (r.uri_len == uri_len && memcmp(r.uri, in->uri, uri_len) == 0) {
            nr.decision = WH_DEDUP_VERSION;
            nr.version = r.version + 1;
            nr.prev = latest;
            nr.cluster = r.cluster;
            prev_version = r.version;
            prev_body_hash = r.body_hash;
            nr.ts = in->version_created ? in->version_created : "";
            nr.ts_len = strlen(nr.ts);
            if (nr.ts_len > 39) {
                nr.ts_len = 39;
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
            if (read_rec(st, best, &r, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            nr.decision = WH_DEDUP_COPY;
            nr.cluster = r.cluster;
            nr.dup_of = best;
            dup_uri = wh_xstrndup(r.uri, r.uri_len);
            nr.sim = (uint16_t)(sim * 10000.0 + 0.5);
            nr.distance = (uint8_t)dist;
        }
    }
    if (nr.decision == 0) {
        nr.decision = WH_DEDUP_NEW;
        nr.cluster = id;
    }
    rec_encode(&st->wbuf, &nr, in->sig->minhash);
    rc = st->ops->append(st->b, st->wbuf.data, st->wbuf.len, &loc, errstr,
                         errstr_size);
    if (rc != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    if (view_apply(st, &nr, loc, 0) != WH_OK) {
        snprintf(errstr, errstr_size, "too many records");
        rc = WH_EIO;
        goto out;
    }
    if (st->p.fsync_each &&
        st->ops->sync(st->b, errstr, errstr_size) != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    /* the answer, as result_from() would read it back from the log */
    result_fields(out, id, &nr);
    out->prev_version = prev_version;
    out->prev_body_hash = prev_body_hash;
    out->dup_of_uri = dup_uri;
    dup_uri = NULL;
    if (nr.cluster == id) {
        out->cluster_uri = wh_xstrdup(in->uri);
    } else if (read_uri(st, nr.cluster, &out->cluster_uri, errstr,
                        errstr_size) != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    rc = WH_OK;
out:
    free(dup_uri);
    return rc;
}

int wh_dedup_store_decide(struct wh_dedup_store *st,
                          const struct wh_dedup_input *in,
                          struct wh_dedup_result *out, char *errstr,
                          size_t errstr_size)
{
    size_t uri_len;
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
    rc = catch_up(st, 0, errstr, errstr_size);
    if (rc == WH_OK) {
        rc = decide_locked(st, in, wh_hash64(in->uri, uri_len), out, errstr,
                           errstr_size);
    }
    st->ops->unlock(st->b);
    if (rc != WH_OK) {
        wh_dedup_result_clear(out);
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
    return st->n;
}

size_t wh_dedup_store_bytes(const struct wh_dedup_store *st)
{
    return sizeof(*st) + st->cap * sizeof(*st->locs) +
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
