/*
 * store_file.c - the "file" backend of the dedup store: the log as a
 * chain of segment files, its lock and its records (see store_int.h).
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
/* Backend (struct wh_dedup_backend_ops in store.h): the file log.    */

static char *seg_path(const struct file_backend *b, uint32_t base)
{
    if (base == 0) {
        return wh_xasprintf("%s/dedup.log", b->dir);
    }
    return wh_xasprintf("%s/dedup.log.%010u", b->dir, base);
}

struct segment *seg_last(struct file_backend *b)
{
    return &b->segs[b->nsegs - 1];
}

static int file_lock(void *v, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;

    /* what was read ahead may since have been truncated and rewritten */
    b->buf_len = 0;
    b->size = 0;
    while (flock(b->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            snprintf(errstr, errstr_size, "%s/dedup.lock: flock: %s", b->dir,
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
    (void)flock(b->lock_fd, LOCK_UN);
}

/* The header a segment of first id base gets. */
static void seg_header(const struct file_backend *b, uint32_t base,
                       char *hdr /* FILE_HDR2 bytes */)
{
    uint32_t u;

    memset(hdr, 0, FILE_HDR2);
    memcpy(hdr, FILE_MAGIC, sizeof(FILE_MAGIC));
    u = htole32(FILE_FORMAT);
    memcpy(hdr + 8, &u, 4);
    u = htole32(b->minhash_k);
    memcpy(hdr + 12, &u, 4);
    u = htole32(base);
    memcpy(hdr + 16, &u, 4);
}

/* Opens the segment of first id base (creating it, header included, when
 * create is set and it is missing or still empty: only with the lock) and
 * adds it after the others. Returns WH_OK, 1 when it does not exist (and
 * create is 0), or WH_EIO with errstr filled. */
int store_seg_open(struct file_backend *b, uint32_t base, int create,
                   char *errstr, size_t errstr_size)
{
    char *path = seg_path(b, base);
    char hdr[FILE_HDR2];
    char want[FILE_HDR2];
    struct segment s;
    uint32_t u;
    ssize_t n;
    int rc = WH_EIO;

    memset(&s, 0, sizeof(s));
    s.fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0640);
    if (s.fd < 0) {
        if (errno == ENOENT && !create) {
            free(path);
            return 1;
        }
        snprintf(errstr, errstr_size, "%s: open: %s", path, strerror(errno));
        goto out;
    }
    seg_header(b, base, want);
    n = pread(s.fd, hdr, sizeof(hdr), 0);
    if (n == 0 && create) {
        n = pwrite(s.fd, want, sizeof(want), 0);
        if (n != (ssize_t)sizeof(want) || fdatasync(s.fd) != 0) {
            snprintf(errstr, errstr_size, "%s: write: %s", path,
                     n < 0 ? strerror(errno) : "short write");
            goto out;
        }
        memcpy(hdr, want, sizeof(want));
    } else if (n == 0) {
        /* created by a process that died before writing the header: the
         * lock holder writes it */
        close(s.fd);
        free(path);
        return 1;
    }
    if (n < (ssize_t)FILE_HDR1 || memcmp(hdr, want, 8) != 0) {
        snprintf(errstr, errstr_size, "%s: not a wirehose dedup log", path);
        goto out;
    }
    memcpy(&u, hdr + 12, 4);
    if (le32toh(u) != b->minhash_k) {
        snprintf(errstr, errstr_size,
                 "%s: written with %u MinHash values, configured %u: use "
                 "another state directory",
                 path, le32toh(u), b->minhash_k);
        goto out;
    }
    memcpy(&u, hdr + 8, 4);
    s.format = le32toh(u);
    if (s.format == 1 && base == 0) {
        s.pos = FILE_HDR1;
    } else if (s.format == FILE_FORMAT && n == (ssize_t)FILE_HDR2 &&
               memcmp(hdr + 16, want + 16, 4) == 0) {
        s.pos = FILE_HDR2;
    } else {
        snprintf(errstr, errstr_size, "%s: unknown format %u or wrong first id",
                 path, s.format);
        goto out;
    }
    s.base = base;
    s.no = b->next_no++;
    if (b->nsegs == b->capsegs) {
        b->capsegs = b->capsegs ? b->capsegs * 2 : 8;
        b->segs = wh_xrealloc(b->segs, b->capsegs * sizeof(*b->segs));
    }
    b->segs[b->nsegs++] = s;
    s.fd = -1;
    b->buf_len = 0;
    b->size = 0;
    rc = WH_OK;
out:
    if (s.fd >= 0) {
        close(s.fd);
    }
    free(path);
    return rc;
}

static void seg_close(struct segment *s)
{
    if (s->map != NULL) {
        (void)munmap(s->map, s->map_len);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
}

/* The first ids of the segments in the directory, sorted; *n of them. */
static uint32_t *seg_list(const struct file_backend *b, size_t *n, char *errstr,
                          size_t errstr_size)
{
    uint32_t *ids = NULL;
    size_t cap = 0;
    struct dirent *de;
    DIR *d;

    *n = 0;
    d = opendir(b->dir);
    if (d == NULL) {
        snprintf(errstr, errstr_size, "%s: %s", b->dir, strerror(errno));
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        unsigned long long base;
        char *end;

        if (strcmp(de->d_name, "dedup.log") == 0) {
            base = 0;
        } else if (strncmp(de->d_name, "dedup.log.", 10) == 0 &&
                   strlen(de->d_name) == 20) {
            base = strtoull(de->d_name + 10, &end, 10);
            if (*end != '\0' || base == 0 || base >= NONE) {
                continue;
            }
        } else {
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            ids = wh_xrealloc(ids, cap * sizeof(*ids));
        }
        ids[(*n)++] = (uint32_t)base;
    }
    closedir(d);
    if (ids == NULL) {
        ids = wh_xmalloc(sizeof(*ids));
    }
    for (size_t i = 1; i < *n; i++) { /* a handful: insertion sort */
        for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint32_t t = ids[j];

            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    }
    return ids;
}

/* After the sealed last segment: opens the one that follows it, or, when
 * it was deleted meanwhile (its records left the window), the first one
 * after it that exists (the ids between them are never seen here: they
 * were out of the window). With the lock, a missing successor is created
 * (its creator died after the seal). Returns WH_OK, 1 when there is none
 * yet, or WH_EIO. */
static int seg_follow(struct file_backend *b, char *errstr, size_t errstr_size)
{
    uint32_t next = seg_last(b)->base + seg_last(b)->count;
    uint32_t *ids;
    size_t n;
    size_t i;
    int rc;

    rc = store_seg_open(b, next, 0, errstr, errstr_size);
    if (rc != 1) {
        return rc;
    }
    ids = seg_list(b, &n, errstr, errstr_size);
    if (ids == NULL) {
        return WH_EIO;
    }
    for (i = 0; i < n && ids[i] <= next; i++) {
    }
    if (i < n) {
        rc = store_seg_open(b, ids[i], 0, errstr, errstr_size);
    } else if (b->locked) {
        rc = store_seg_open(b, next, 1, errstr, errstr_size);
    }
    free(ids);
    return rc;
}

/* Makes sure buf holds len bytes from offset off of segment s (the last
 * one); returns the bytes available (less than len at the end of the
 * file) or -1. */
static ssize_t file_fill(struct file_backend *b, const struct segment *s,
                         uint64_t off, size_t len)
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
        n = pread(s->fd, b->buf + b->buf_len, READ_CHUNK - b->buf_len,
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
static int file_truncate_tail(struct file_backend *b, struct segment *s,
                              const char *why, char *errstr, size_t errstr_size)
{
    char *path;

    if (!b->locked) {
        b->buf_len = 0;
        return WH_OK;
    }
    path = seg_path(b, s->base);

    wh_warn(TAG, "%s: %s at offset %llu (a writer died mid-append); truncating",
            path, why, (unsigned long long)s->pos);
    free(path);
    if (ftruncate(s->fd, (off_t)s->pos) != 0) {
        snprintf(errstr, errstr_size, "%s: ftruncate: %s", b->dir,
                 strerror(errno));
        return WH_EIO;
    }
    b->buf_len = 0;
    b->size = s->pos;
    return WH_OK;
}

/* The next frame of the last segment: 1 (a record, in rec), 2 (its seal),
 * 0 (its end) or WH_EIO. */
static int seg_next(struct file_backend *b, struct segment *s,
                    struct wh_buf *rec, char *errstr, size_t errstr_size)
{
    struct stat stb;
    uint32_t hdr[2];
    uint32_t crc;
    ssize_t got;
    const char *p;
    int rc;

    /* one fstat per lock, or when reading reaches the size last seen
     * (a long catch-up at start-up reads on without one per record) */
    if (b->size <= s->pos) {
        if (fstat(s->fd, &stb) != 0) {
            snprintf(errstr, errstr_size, "%s: fstat: %s", b->dir,
                     strerror(errno));
            return WH_EIO;
        }
        b->size = (uint64_t)stb.st_size;
        if ((uint64_t)stb.st_size <= s->pos) {
            return 0;
        }
        if (b->buf_off + b->buf_len > (uint64_t)stb.st_size) {
            b->buf_len = 0; /* the file was truncated under the buffer */
        }
    }
    got = file_fill(b, s, s->pos, sizeof(hdr));
    if (got < 0) {
        snprintf(errstr, errstr_size, "%s: read: %s", b->dir, strerror(errno));
        return WH_EIO;
    }
    if ((size_t)got < sizeof(hdr)) {
        rc = file_truncate_tail(b, s, "incomplete frame header", errstr,
                                errstr_size);
        return rc == WH_OK ? 0 : rc;
    }
    memcpy(hdr, b->buf + (s->pos - b->buf_off), sizeof(hdr));
    hdr[0] = le32toh(hdr[0]);
    hdr[1] = le32toh(hdr[1]);
    if ((hdr[0] != FRAME_MAGIC && hdr[0] != SEAL_MAGIC) || hdr[1] > FRAME_MAX) {
        /* appends are whole frames, so a torn one starts well: this is
         * damage, and skipping it would make processes disagree */
        snprintf(errstr, errstr_size,
                 "%s: segment %u: damaged record at offset %llu", b->dir,
                 s->base, (unsigned long long)s->pos);
        return WH_EIO;
    }
    got = file_fill(b, s, s->pos, sizeof(hdr) + hdr[1] + 4);
    if (got < 0) {
        snprintf(errstr, errstr_size, "%s: read: %s", b->dir, strerror(errno));
        return WH_EIO;
    }
    if ((size_t)got < sizeof(hdr) + hdr[1] + 4) {
        rc = file_truncate_tail(b, s, "incomplete frame", errstr, errstr_size);
        return rc == WH_OK ? 0 : rc;
    }
    p = b->buf + (s->pos - b->buf_off);
    memcpy(&crc, p + sizeof(hdr) + hdr[1], sizeof(crc));
    if (le32toh(crc) != XXH32(p + sizeof(hdr), hdr[1], 0)) {
        if (s->pos + sizeof(hdr) + hdr[1] + 4 == b->size) {
            rc = file_truncate_tail(b, s, "bad checksum on the last frame",
                                    errstr, errstr_size);
            return rc == WH_OK ? 0 : rc;
        }
        snprintf(errstr, errstr_size,
                 "%s: segment %u: bad checksum at offset %llu", b->dir, s->base,
                 (unsigned long long)s->pos);
        return WH_EIO;
    }
    if (hdr[0] == SEAL_MAGIC) {
        s->pos += sizeof(hdr) + hdr[1] + 4;
        s->sealed = 1;
        return 2;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, p + sizeof(hdr), hdr[1]) != WH_OK) {
        snprintf(errstr, errstr_size, "record too large");
        return WH_EIO;
    }
    return 1;
}

static int file_next(void *v, struct wh_buf *rec, uint64_t *loc, uint32_t *id,
                     char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;
    struct segment *s;
    int rc;

    for (;;) {
        s = seg_last(b);
        if (s->sealed) {
            rc = seg_follow(b, errstr, errstr_size);
            if (rc != WH_OK) {
                return rc == 1 ? 0 : rc;
            }
            continue;
        }
        rc = seg_next(b, s, rec, errstr, errstr_size);
        if (rc == 2) {
            continue;
        }
        if (rc != 1) {
            return rc;
        }
        *loc = (uint64_t)s->no << LOC_SHIFT | s->pos;
        *id = s->base + s->count;
        s->pos += 8 + rec->len + 4;
        s->count++;
        return 1;
    }
}

/* Writes one frame at the end of segment s in one pwrite: a process
 * killed now leaves all of it or none of it in the page cache (a short
 * write only on a full disk: undone). */
static int seg_write(struct file_backend *b, struct segment *s, uint32_t magic,
                     const void *rec, size_t len, char *errstr,
                     size_t errstr_size)
{
    size_t total = 8 + len + 4;
    char *frame = wh_xmalloc(total);
    uint32_t u;
    ssize_t n;

    u = htole32(magic);
    memcpy(frame, &u, 4);
    u = htole32((uint32_t)len);
    memcpy(frame + 4, &u, 4);
    memcpy(frame + 8, rec, len);
    u = htole32(XXH32(rec, len, 0));
    memcpy(frame + 8 + len, &u, 4);
    do {
        n = pwrite(s->fd, frame, total, (off_t)s->pos);
    } while (n < 0 && errno == EINTR);
    free(frame);
    if (n != (ssize_t)total) {
        snprintf(errstr, errstr_size, "%s: write: %s", b->dir,
                 n < 0 ? strerror(errno) : "short write");
        (void)ftruncate(s->fd, (off_t)s->pos);
        return WH_EIO;
    }
    s->pos += total;
    b->dirty = 1;
    return WH_OK;
}

/* fsyncs the state directory (a segment created or deleted). */
static int sync_dir(const struct file_backend *b, char *errstr,
                    size_t errstr_size)
{
    int dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = WH_OK;

    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(errstr, errstr_size, "%s: fsync: %s", b->dir, strerror(errno));
        rc = WH_EIO;
    }
    if (dfd >= 0) {
        close(dfd);
    }
    return rc;
}

/* Seals the last segment and starts the next one (lock held, caught up):
 * the seal and the records before it are made durable first, so a
 * reader never finds a seal without them. */
static int file_roll(void *v, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;
    struct segment *s = seg_last(b);
    uint32_t next = s->base + s->count;

    if (s->format == FILE_FORMAT && s->count == 0) {
        return WH_OK; /* nothing to seal */
    }
    if (seg_write(b, s, SEAL_MAGIC, "", 0, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    if (fdatasync(s->fd) != 0) {
        snprintf(errstr, errstr_size, "%s: fdatasync: %s", b->dir,
                 strerror(errno));
        return WH_EIO;
    }
    b->dirty = 0;
    s->sealed = 1;
    if (store_seg_open(b, next, 1, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    return sync_dir(b, errstr, errstr_size);
}

static uint32_t file_head(void *v)
{
    struct file_backend *b = v;

    return seg_last(b)->base;
}

/* Closes the segments whose records all have ids below low (never the
 * last one) and, with the lock held, deletes them. */
static int file_expire(void *v, uint32_t low, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;
    size_t k = 0;
    size_t i;
    int removed = 0;

    while (k + 1 < b->nsegs && b->segs[k].sealed &&
           b->segs[k].base + b->segs[k].count <= low) {
        if (b->locked) {
            char *path = seg_path(b, b->segs[k].base);

            if (unlink(path) == 0) {
                removed = 1;
                wh_debug(TAG, "%s: left the dedup window, deleted", path);
            } else if (errno != ENOENT) {
                wh_warn(TAG, "%s: unlink: %s", path, strerror(errno));
            }
            free(path);
        }
        seg_close(&b->segs[k]);
        k++;
    }
    if (k > 0) {
        for (i = k; i < b->nsegs; i++) {
            b->segs[i - k] = b->segs[i];
        }
        b->nsegs -= k;
    }
    return removed ? sync_dir(b, errstr, errstr_size) : WH_OK;
}

static int file_append(void *v, const void *rec, size_t len, uint64_t *loc,
                       uint32_t *id, char *errstr, size_t errstr_size)
{
    struct file_backend *b = v;
    struct segment *s = seg_last(b);
    uint64_t at;

    if (len > FRAME_MAX) {
        snprintf(errstr, errstr_size, "record of %zu bytes too large", len);
        return WH_EINVAL;
    }
    /* a log of an earlier version is never appended to; a segment past
     * the size limit is closed */
    if (s->format != FILE_FORMAT || s->pos >= SEG_MAX_BYTES) {
        if (file_roll(b, errstr, errstr_size) != WH_OK) {
            return WH_EIO;
        }
        s = seg_last(b);
    }
    at = s->pos;
    if (seg_write(b, s, FRAME_MAGIC, rec, len, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    *loc = (uint64_t)s->no << LOC_SHIFT | at;
    *id = s->base + s->count;
    s->count++;
    return WH_OK;
}

/* Maps segment s again, twice as far as it now reaches (pages past the
 * end of the file are mapped but never touched: they become readable as
 * the segment grows into them), so remapping is rare. */
static int seg_remap(struct segment *s, char *errstr, size_t errstr_size)
{
    size_t len = (size_t)1 << 20;
    void *m;

    while (len < 2 * s->pos) {
        len *= 2;
    }
    if (s->map != NULL) {
        (void)munmap(s->map, s->map_len);
        s->map = NULL;
        s->map_len = 0;
    }
    m = mmap(NULL, len, PROT_READ, MAP_SHARED, s->fd, 0);
    if (m == MAP_FAILED) {
        snprintf(errstr, errstr_size, "dedup segment %u: mmap: %s", s->base,
                 strerror(errno));
        return WH_EIO;
    }
    s->map = m;
    s->map_len = len;
    return WH_OK;
}

/* Records are read through a shared read-only mapping of their segment:
 * a decision may look at dozens of candidates, and a pread each cost more
 * than the rest of the decision. Only complete frames (before pos) are
 * read, so a torn tail truncated by another process is never touched. */
static int file_get(void *v, uint64_t loc, struct wh_buf *rec, char *errstr,
                    size_t errstr_size)
{
    struct file_backend *b = v;
    unsigned no = (unsigned)(loc >> LOC_SHIFT);
    uint64_t off = LOC_OFF(loc);
    struct segment *s = NULL;
    uint32_t hdr[2];
    size_t i;

    for (i = b->nsegs; i-- > 0;) {
        if (b->segs[i].no == no) {
            s = &b->segs[i];
            break;
        }
    }
    if (s == NULL || off + sizeof(hdr) > s->pos) {
        snprintf(errstr, errstr_size, "%s: no record at %u:%llu", b->dir, no,
                 (unsigned long long)off);
        return WH_EIO;
    }
    if (s->pos > s->map_len && seg_remap(s, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    memcpy(hdr, s->map + off, sizeof(hdr));
    hdr[0] = le32toh(hdr[0]);
    hdr[1] = le32toh(hdr[1]);
    if (hdr[0] != FRAME_MAGIC || hdr[1] > FRAME_MAX ||
        off + sizeof(hdr) + hdr[1] + 4 > s->pos) {
        snprintf(errstr, errstr_size, "%s: bad record at %u:%llu", b->dir, no,
                 (unsigned long long)off);
        return WH_EIO;
    }
    wh_buf_reset(rec);
    if (wh_buf_append(rec, s->map + off + sizeof(hdr), hdr[1]) != WH_OK) {
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
    if (fdatasync(seg_last(b)->fd) != 0) {
        snprintf(errstr, errstr_size, "%s: fdatasync: %s", b->dir,
                 strerror(errno));
        return WH_EIO;
    }
    b->dirty = 0;
    return WH_OK;
}

void store_file_close(void *v)
{
    struct file_backend *b = v;
    size_t i;

    if (b == NULL) {
        return;
    }
    for (i = 0; i < b->nsegs; i++) {
        seg_close(&b->segs[i]);
    }
    if (b->lock_fd >= 0) {
        close(b->lock_fd);
    }
    free(b->segs);
    free(b->dir);
    free(b->buf);
    free(b);
}

const struct wh_dedup_backend_ops store_file_ops = {
    "file",    file_lock,        file_unlock, file_next, file_append, file_get,
    file_sync, store_file_close, file_head,   file_roll, file_expire};

/* mkdir -p */
int store_make_dirs(const char *dir, char *errstr, size_t errstr_size)
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

/* Opens the log in dir: under the lock, its oldest segment (a new
 * dedup.log when there is none). */
struct file_backend *file_open(const char *dir, unsigned minhash_k,
                               char *errstr, size_t errstr_size)
{
    struct file_backend *b;
    char *lock_path;
    uint32_t *ids = NULL;
    size_t n = 0;
    int rc;

    if (store_make_dirs(dir, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    b = wh_xcalloc(1, sizeof(*b));
    b->dir = wh_xstrdup(dir);
    b->minhash_k = minhash_k;
    lock_path = wh_xasprintf("%s/dedup.lock", dir);
    b->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (b->lock_fd < 0) {
        snprintf(errstr, errstr_size, "%s: open: %s", lock_path,
                 strerror(errno));
        free(lock_path);
        goto fail;
    }
    free(lock_path);
    if (file_lock(b, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    ids = seg_list(b, &n, errstr, errstr_size);
    if (ids == NULL) {
        file_unlock(b);
        goto fail;
    }
    rc = store_seg_open(b, n > 0 ? ids[0] : 0, 1, errstr, errstr_size);
    file_unlock(b);
    free(ids);
    if (rc != WH_OK) {
        goto fail;
    }
    return b;
fail:
    store_file_close(b);
    return NULL;
}
