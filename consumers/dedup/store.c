/*
 * store.c - shared dedup decisions: the decision logic, the in-memory view
 * and the "file" backend (see store.h).
 */
#include "store.h"

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

#define TAG "dedup"
#define NONE UINT32_MAX
#define MAX_HITS 32

/* ------------------------------------------------------------------ */
/* Backend (struct wh_dedup_backend_ops in store.h): the file log.    */

/* The file backend: the log is a chain of segment files in the state
 * directory, "dedup.log" for the one whose first record has id 0 and
 * "dedup.log.NNNNNNNNNN" (the id of its first record, 10 digits) for the
 * others, plus "dedup.lock", the file the flock(2) is taken on. A segment
 * is a header ("WHDEDUP" NUL, format, MinHash size; format 2 adds the id
 * of its first record and 8 reserved bytes), then frames {magic, payload
 * length, payload, XXH32 of the payload}, little-endian. Format 1 is the
 * single log of earlier versions: it is read as the segment of id 0 and
 * never appended to. The last frame of every segment but the newest is a
 * seal (another magic, no payload): a reader that meets it goes on with
 * the segment whose first id follows. A segment is deleted, by whichever
 * process holds the lock, once all its records have left the dedup
 * window; a process that still has it open keeps reading it (an unlinked
 * file lives until its last descriptor is closed). Locators are
 * (segment number in this process << 40) | offset. */
#define FILE_MAGIC "WHDEDUP"
#define FILE_FORMAT 2u
#define FILE_HDR1 16u /* format 1 */
#define FILE_HDR2 32u
#define FRAME_MAGIC 0x52444857u /* "WHDR" */
#define SEAL_MAGIC 0x53444857u  /* "WHDS" */
#define FRAME_MAX ((size_t)64 * 1024)
#define READ_CHUNK (1u << 20)
#define SEG_MAX_BYTES ((uint64_t)1 << 30) /* a new segment past 1 GiB */
#define LOC_SHIFT 40
#define LOC_OFF(loc) ((loc) & (((uint64_t)1 << LOC_SHIFT) - 1))

struct segment {
    int fd;
    unsigned no;    /* its number in this process, for locators */
    unsigned format;
    uint32_t base;  /* id of its first record */
    uint32_t count; /* records read or appended */
    uint64_t pos;   /* end of the last frame read or written */
    int sealed;     /* its seal was read or written */
    char *map;      /* read-only mapping of the first map_len bytes */
    size_t map_len;
};

struct file_backend {
    char *dir;
    unsigned minhash_k;
    int lock_fd;
    int locked; /* we hold the flock */
    int dirty;  /* appended since the last fdatasync */
    struct segment *segs; /* open segments, oldest first; the last one is
                           * read and appended to */
    size_t nsegs;
    size_t capsegs;
    unsigned next_no;
    char *buf;        /* read-ahead of the catch-up reader (last segment) */
    uint64_t buf_off; /* offset of buf[0] in the last segment */
    size_t buf_len;
    uint64_t size;    /* the last segment's size at the last fstat: reading
                       * up to it needs no other (0: unknown) */
};

static char *seg_path(const struct file_backend *b, uint32_t base)
{
    if (base == 0) {
        return wh_xasprintf("%s/dedup.log", b->dir);
    }
    return wh_xasprintf("%s/dedup.log.%010u", b->dir, base);
}

static struct segment *seg_last(struct file_backend *b)
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
static int seg_open(struct file_backend *b, uint32_t base, int create,
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
        snprintf(errstr, errstr_size,
                 "%s: unknown format %u or wrong first id", path, s.format);
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
static uint32_t *seg_list(const struct file_backend *b, size_t *n,
                          char *errstr, size_t errstr_size)
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

    rc = seg_open(b, next, 0, errstr, errstr_size);
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
        rc = seg_open(b, ids[i], 0, errstr, errstr_size);
    } else if (b->locked) {
        rc = seg_open(b, next, 1, errstr, errstr_size);
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
                              const char *why, char *errstr,
                              size_t errstr_size)
{
    char *path;

    if (!b->locked) {
        b->buf_len = 0;
        return WH_OK;
    }
    path = seg_path(b, s->base);

    wh_warn(TAG,
            "%s: %s at offset %llu (a writer died mid-append); truncating",
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
    if ((hdr[0] != FRAME_MAGIC && hdr[0] != SEAL_MAGIC) ||
        hdr[1] > FRAME_MAX) {
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
        rc = file_truncate_tail(b, s, "incomplete frame", errstr,
                                errstr_size);
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
                 "%s: segment %u: bad checksum at offset %llu", b->dir,
                 s->base, (unsigned long long)s->pos);
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
        snprintf(errstr, errstr_size, "%s: fsync: %s", b->dir,
                 strerror(errno));
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
    if (seg_open(b, next, 1, errstr, errstr_size) != WH_OK) {
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
    if (seg_write(b, s, FRAME_MAGIC, rec, len, errstr, errstr_size) !=
        WH_OK) {
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

static void file_close(void *v)
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

static const struct wh_dedup_backend_ops file_ops = {
    "file",     file_lock, file_unlock, file_next, file_append, file_get,
    file_sync,  file_close, file_head,  file_roll, file_expire};

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

/* Opens the log in dir: under the lock, its oldest segment (a new
 * dedup.log when there is none). */
static struct file_backend *file_open(const char *dir, unsigned minhash_k,
                                      char *errstr, size_t errstr_size)
{
    struct file_backend *b;
    char *lock_path;
    uint32_t *ids = NULL;
    size_t n = 0;
    int rc;

    if (make_dirs(dir, errstr, errstr_size) != WH_OK) {
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
    rc = seg_open(b, n > 0 ? ids[0] : 0, 1, errstr, errstr_size);
    file_unlock(b);
    free(ids);
    if (rc != WH_OK) {
        goto fail;
    }
    return b;
fail:
    file_close(b);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Decision records.                                                   */

/* Format 2 (this version): an 80-byte header, the MinHash values, then
 * the uri, versionCreated, the cluster's uri (when it is not the record's
 * own) and the uri of the record a copy duplicates (when it is not the
 * cluster's). With those and the previous version's body hash inline, a
 * record is answered without reading any other: the records it refers to
 * may have left the window. Format 1 (64-byte header, byte 57 zero)
 * referred to other records by id only; it is still read. */
#define REC_HDR1 64
#define REC_HDR 80
#define REC_FORMAT 2
#define FLAG_NEAR 1u
#define FLAG_DUP_IS_CLUSTER 2u /* a copy of the cluster's first record */

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
    uint64_t prev_body_hash; /* format 2, versions */
    uint32_t cluster;
    uint32_t dup_of;
    uint32_t prev;
    uint32_t version;
    uint32_t time; /* when decided (Unix seconds); 0 in format 1 */
    uint8_t format;
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
    const char *cluster_uri; /* format 2: empty when it is uri */
    size_t cluster_uri_len;
    const char *dup_uri; /* format 2, copies: empty when it is the
                          * cluster's (FLAG_DUP_IS_CLUSTER) */
    size_t dup_uri_len;
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
    r->format = (uint8_t)h[57] == REC_FORMAT ? REC_FORMAT : 1;
    hdr = REC_HDR1;
    if (r->format == REC_FORMAT) {
        if (in->len < REC_HDR) {
            return WH_EPARSE;
        }
        hdr = REC_HDR;
        r->cluster_uri_len = (size_t)get_le(h + 58, 2);
        r->time = (uint32_t)get_le(h + 60, 4);
        r->prev_body_hash = get_le(h + 64, 8);
        r->dup_uri_len = (size_t)get_le(h + 72, 2);
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

struct uri_slot {
    uint64_t hash;
    uint32_t id1; /* id + 1; 0 = empty */
};

#define NO_LOC UINT64_MAX     /* an id this process never saw */
#define PURGE_MIN 4096        /* ids out of the window before a purge */
#define EXPIRE_EVERY 256      /* ids out of the window between upkeeps */
#define ROLL_PARTS 10         /* segments per window */

/* The view holds ids [base, n): their locators and decision times. Ids
 * below low have left the window: they are no longer found (index, uri
 * map, version chains) and are purged from memory in batches. */
struct wh_dedup_store {
    struct wh_dedup_store_params p;
    const struct wh_dedup_backend_ops *ops;
    void *b;
    uint64_t *locs;  /* id - base -> backend locator */
    uint32_t *times; /* id - base -> decision time */
    uint32_t base;
    uint32_t n;    /* the next id */
    uint32_t low;  /* first id in the window */
    uint32_t zero; /* first id of a run of format-1 records (no time):
                    * they take the time of the next timed record;
                    * NONE when there is none */
    uint32_t expired;   /* low at the last backend upkeep */
    uint32_t expired_at; /* time of the last backend upkeep */
    uint32_t last_time; /* latest decision time seen */
    size_t cap;
    struct uri_slot *map; /* uri hash -> latest record of the uri */
    size_t map_cap;       /* power of two */
    size_t map_used;
    struct wh_index *idx;
    int opened;    /* open succeeded: close() may write a snapshot */
    int snap_due;  /* a segment was started: write a snapshot */
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

/* The latest record of the uri of hash h still in the window, or NONE. */
static uint32_t map_get(const struct wh_dedup_store *st, uint64_t h)
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
static void view_purge(struct wh_dedup_store *st)
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
static int view_apply(struct wh_dedup_store *st, const struct rec *r,
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

static int catch_up(struct wh_dedup_store *st, int bulk, uint32_t now,
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
        rc = view_apply(st, &r, loc, id, bulk, now);
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
static uint32_t decision_now(const struct wh_dedup_store *st)
{
    time_t t = st->p.clock != NULL ? st->p.clock() : time(NULL);
    uint32_t now = t > 0 && (uint64_t)t < NONE ? (uint32_t)t : 1;

    return now > st->last_time ? now : st->last_time;
}

/* Moves low past the records decided more than the window before now. */
static void advance_low(struct wh_dedup_store *st, uint32_t now)
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
static int upkeep(struct wh_dedup_store *st, uint32_t now, char *errstr,
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
    advance_low(st, now);
    head = st->ops->head(st->b);
    if (head != NONE && head < st->n) {
        uint32_t t = head >= st->base ? st->times[head - st->base] : 0;

        if (head < st->low || (t != 0 && (long long)t + part <= (long long)now)) {
            if (st->ops->roll(st->b, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            rolled = 1;
            st->snap_due = st->ops == &file_ops;
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
        view_purge(st);
    }
    return WH_OK;
}

/* Reads record id into st->rbuf and decodes it into *r (valid until the
 * next read). */
static int read_rec(struct wh_dedup_store *st, uint32_t id, struct rec *r,
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

    if (read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    *uri = wh_xstrndup(r.uri, r.uri_len);
    return WH_OK;
}

/* The uri of the cluster of record r (number id), newly allocated. A
 * format-1 record names it by id only: that record is read (r is then
 * no longer valid). */
static int cluster_uri_of(struct wh_dedup_store *st, uint32_t id,
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
    uint32_t dup_of;
    uint32_t prev;

    if (read_rec(st, id, &r, errstr, errstr_size) != WH_OK) {
        return WH_EIO;
    }
    result_fields(out, id, &r);
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
    if (cluster_uri_of(st, id, &r, &out->cluster_uri, errstr, errstr_size) !=
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
#define SNAP_MIN_HELD 1000 /* smaller views are not worth a snapshot */

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
static void snap_write(struct wh_dedup_store *st)
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
    file_close(st->b);
    st->b = NULL;
}

/* Reads dir/dedup.snap into the (empty) view and opens the segments it
 * names, positioned after what it covers. Returns 1 when it did, 0 when
 * there is none or it cannot be used (the view is left empty). */
static int snap_load(struct wh_dedup_store *st, const char *dir)
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
        h.nsegs > 1000000 || h.n < h.base || h.low < h.base ||
        h.low > h.n) {
        goto out;
    }
    ss = wh_xcalloc(h.nsegs, sizeof(*ss));
    no = wh_xcalloc(h.nsegs, sizeof(*no));
    if (snap_get(&io, ss, h.nsegs * sizeof(*ss)) != 0) {
        goto out;
    }
    for (i = 0; i < h.nsegs; i++) {
        char err[256];
        int rc = seg_open(b, ss[i].base, 0, err, sizeof(err));

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
        st->locs[i] = no[j] == NONE ? NO_LOC
                                    : (uint64_t)no[j] << LOC_SHIFT |
                                          (v & 0xffffffffu);
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

/* The lock file of a state directory whose segments snap_load() opened. */
static int snap_lock_open(struct file_backend *b, char *errstr,
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
        if (snap_load(st, p->dir)) {
            from_snap = st->n - st->base;
            snap_n = st->n;
            if (snap_lock_open(st->b, errstr, errstr_size) != WH_OK) {
                goto fail;
            }
        } else {
            st->b = file_open(p->dir, p->sh.minhash_k, errstr, errstr_size);
        }
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
    now = decision_now(st);
    if (catch_up(st, 1, now, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (st->ops->lock(st->b, errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (catch_up(st, 1, now, errstr, errstr_size) != WH_OK) {
        st->ops->unlock(st->b);
        goto fail;
    }
    st->ops->unlock(st->b);
    if (st->p.window_s > 0) {
        advance_low(st, decision_now(st));
        if (st->low > st->base) {
            view_purge(st);
        }
    }
    if (from_snap > 0) {
        wh_info(TAG, "%s: %zu decisions from the snapshot, %u after it",
                p->dir, from_snap, st->n - snap_n);
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
    if (st->opened && st->ops == &file_ops &&
        st->n - st->low >= SNAP_MIN_HELD) {
        snap_write(st);
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
                         uint32_t now, struct wh_dedup_result *out,
                         char *errstr, size_t errstr_size)
{
    uint32_t latest = map_get(st, uri_hash);
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
            nr.prev_body_hash = r.body_hash;
            prev_version = r.version;
            nr.ts = in->version_created ? in->version_created : "";
            nr.ts_len = strlen(nr.ts);
            if (nr.ts_len > 39) {
                nr.ts_len = 39;
            }
            if (cluster_uri_of(st, latest, &r, &cluster_uri, errstr,
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
            if (read_rec(st, best, &r, errstr, errstr_size) != WH_OK) {
                return WH_EIO;
            }
            nr.decision = WH_DEDUP_COPY;
            nr.cluster = r.cluster;
            nr.dup_of = best;
            dup_uri = wh_xstrndup(r.uri, r.uri_len);
            nr.sim = (uint16_t)(sim * 10000.0 + 0.5);
            nr.distance = (uint8_t)dist;
            if (cluster_uri_of(st, best, &r, &cluster_uri, errstr,
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
    rec_encode(&st->wbuf, &nr, in->sig->minhash);
    rc = st->ops->append(st->b, st->wbuf.data, st->wbuf.len, &loc, &id, errstr,
                         errstr_size);
    if (rc != WH_OK) {
        rc = WH_EIO;
        goto out;
    }
    if (view_apply(st, &nr, loc, id, 0, now) != WH_OK) {
        snprintf(errstr, errstr_size, "decision record #%u out of order", id);
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
    rc = catch_up(st, 0, 0, errstr, errstr_size);
    if (rc == WH_OK) {
        now = decision_now(st);
        rc = upkeep(st, now, errstr, errstr_size);
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
            snap_write(st);
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
