/*
 * store_int.h - what the parts of the dedup store share: the file
 * backend's structures, the decision record and the in-memory view.
 * Internal to store.c, store_view.c and store_file.c.
 */
#ifndef WH_DEDUP_STORE_INT_H
#define WH_DEDUP_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "wh/buf.h"

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
    unsigned no; /* its number in this process, for locators */
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
    int locked;           /* we hold the flock */
    int dirty;            /* appended since the last fdatasync */
    struct segment *segs; /* open segments, oldest first; the last one is
                           * read and appended to */
    size_t nsegs;
    size_t capsegs;
    unsigned next_no;
    char *buf;        /* read-ahead of the catch-up reader (last segment) */
    uint64_t buf_off; /* offset of buf[0] in the last segment */
    size_t buf_len;
    uint64_t size; /* the last segment's size at the last fstat: reading
                    * up to it needs no other (0: unknown) */
};

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

/* ------------------------------------------------------------------ */
/* In-memory view.                                                     */

struct uri_slot {
    uint64_t hash;
    uint32_t id1; /* id + 1; 0 = empty */
};

#define NO_LOC UINT64_MAX /* an id this process never saw */
#define PURGE_MIN 4096    /* ids out of the window before a purge */
#define EXPIRE_EVERY 256  /* ids out of the window between upkeeps */
#define ROLL_PARTS 10     /* segments per window */

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
    uint32_t n;          /* the next id */
    uint32_t low;        /* first id in the window */
    uint32_t zero;       /* first id of a run of format-1 records (no time):
                          * they take the time of the next timed record;
                          * NONE when there is none */
    uint32_t expired;    /* low at the last backend upkeep */
    uint32_t expired_at; /* time of the last backend upkeep */
    uint32_t last_time;  /* latest decision time seen */
    size_t cap;
    struct uri_slot *map; /* uri hash -> latest record of the uri */
    size_t map_cap;       /* power of two */
    size_t map_used;
    struct wh_index *idx;
    int opened;         /* open succeeded: close() may write a snapshot */
    int snap_due;       /* a segment was started: write a snapshot */
    struct wh_buf rbuf; /* scratch for reading records */
    struct wh_buf wbuf; /* scratch for encoding */
};

#define SNAP_MIN_HELD 1000 /* smaller views are not worth a snapshot */

/* store_file.c */
struct segment *seg_last(struct file_backend *b);
int store_seg_open(struct file_backend *b, uint32_t base, int create,
                   char *errstr, size_t errstr_size);
void store_file_close(void *v);
extern const struct wh_dedup_backend_ops store_file_ops;
int store_make_dirs(const char *dir, char *errstr, size_t errstr_size);
struct file_backend *file_open(const char *dir, unsigned minhash_k,
                               char *errstr, size_t errstr_size);

/* store_view.c */
uint64_t store_get_le(const char *p, unsigned n);
void store_rec_encode(struct wh_buf *out, const struct rec *r,
                      const uint32_t *minhash);
uint32_t store_map_get(const struct wh_dedup_store *st, uint64_t h);
void store_view_purge(struct wh_dedup_store *st);
int store_view_apply(struct wh_dedup_store *st, const struct rec *r,
                     uint64_t loc, uint32_t id, int bulk, uint32_t now);
int store_catch_up(struct wh_dedup_store *st, int bulk, uint32_t now,
                   char *errstr, size_t errstr_size);
uint32_t store_decision_now(const struct wh_dedup_store *st);
void store_advance_low(struct wh_dedup_store *st, uint32_t now);
int store_upkeep(struct wh_dedup_store *st, uint32_t now, char *errstr,
                 size_t errstr_size);
int store_read_rec(struct wh_dedup_store *st, uint32_t id, struct rec *r,
                   char *errstr, size_t errstr_size);
int store_cluster_uri_of(struct wh_dedup_store *st, uint32_t id,
                         const struct rec *r, char **uri, char *errstr,
                         size_t errstr_size);
void store_result_fields(struct wh_dedup_result *out, uint32_t id,
                         const struct rec *r);
int store_result_from(struct wh_dedup_store *st, uint32_t id,
                      struct wh_dedup_result *out, char *errstr,
                      size_t errstr_size);
void store_snap_write(struct wh_dedup_store *st);
int store_snap_load(struct wh_dedup_store *st, const char *dir);
int store_snap_lock_open(struct file_backend *b, char *errstr,
                         size_t errstr_size);

#endif
