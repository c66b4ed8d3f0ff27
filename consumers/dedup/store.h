/*
 * store.h - the dedup decisions shared by every consumer process of a
 * machine, and the in-memory state that answers them.
 *
 * Every decision is one record of an append-only log: uri, body hash,
 * message identity, SimHash fingerprint, MinHash signature, cluster,
 * version, the copy it duplicates and the previous version. A decision is
 * one atomic step against the log's backend:
 *
 *     lock -> catch up with the records others appended -> decide ->
 *     append -> unlock
 *
 * so two processes deciding on two copies of one story at the same moment
 * are serialized: the second sees the first's record and joins its
 * cluster. Each process keeps its own in-memory view (uri map, the
 * permuted-table index, record locations and decision times), fed by the
 * catch-up step; ids number the records in log order, the same in every
 * process, and never change.
 *
 * The dedup window (window_s): a decision made longer ago than that is
 * forgotten - not found, its memory given back in batches - and the
 * backend deletes it from the shared log (whole segments of the file log,
 * rows in small batches in PostgreSQL), by whichever process holds the
 * lock; the others follow. A record carries the uris its answer names, so
 * a replay is answered even when the records it names are gone. A
 * restart reads back only what is left: the window.
 *
 * The backend is a small table of operations (lock, read the next record,
 * append, read one record, sync) behind this interface; the one built in
 * is "file": a log file in a state directory with flock(2). A network
 * backend (PostgreSQL: an advisory transaction lock, SELECT ... WHERE id >
 * last, INSERT) plugs in at the same place; see docs/dedup.md.
 *
 * Not thread-safe: one store per thread (the consumer's main thread).
 */
#ifndef WH_DEDUP_STORE_H
#define WH_DEDUP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "index.h"
#include "simhash.h"
#include "wh/buf.h"

#define WH_DEDUP_URI_MAX 8192 /* longer uris are not deduplicated */

enum wh_dedup_decision {
    WH_DEDUP_NEW = 1, /* first of its cluster */
    WH_DEDUP_COPY,    /* near-duplicate of an earlier record, other uri */
    WH_DEDUP_VERSION, /* same uri, changed body: a new version */
    WH_DEDUP_EXACT    /* same uri, same body, another message: a repeat */
};

struct wh_dedup_store_params {
    const char *dir;             /* state directory, created if absent */
    const char *store;           /* NULL or "file": the log in dir;
                                  * "postgres:CONNINFO": the log in a
                                  * PostgreSQL table (store_pg.c) */
    struct wh_simhash_params sh; /* minhash_k is stored in the log */
    struct wh_index_params ix;
    double threshold;      /* MinHash similarity to confirm */
    int fsync_each;        /* 1: fdatasync every decision;
                            * 0: only in wh_dedup_store_sync() */
    long long window_s;    /* the dedup window: decisions made longer ago
                            * than this are forgotten; 0 keeps all */
    time_t (*clock)(void); /* NULL: time(); tests make time pass */
};

#define WH_DEDUP_WINDOW_DEFAULT (30LL * 24 * 3600) /* 30 days */

/* The defaults measured in bench/dedup (dir is NULL: set it). */
void wh_dedup_store_params_default(struct wh_dedup_store_params *p);

struct wh_dedup_input {
    const char *uri;
    uint64_t body_hash; /* hash of the whitespace-normalized body */
    uint64_t self_hash; /* identity of this message (0: unknown):
                         * the same on a replay, different on a
                         * re-sent copy */
    const struct wh_simhash_sig *sig;
    int near;                    /* 0: never joined to another uri (the body
                                  * is too short to judge), not indexed */
    unsigned version;            /* the record's own version (>= 1) */
    const char *version_created; /* used when this becomes a new version */
};

struct wh_dedup_result {
    enum wh_dedup_decision decision;
    int replay;  /* 1: this very message was decided before;
                  * every field is the first answer again */
    uint32_t id; /* the record (EXACT: the record repeated) */
    unsigned version;
    char *cluster_uri;     /* uri of the cluster's first member */
    char *dup_of_uri;      /* COPY: uri of the matched record */
    unsigned prev_version; /* VERSION: the version it follows */
    uint64_t prev_body_hash;
    char version_created[40]; /* VERSION: "" otherwise */
    double similarity;        /* COPY: MinHash estimate */
    unsigned distance;        /* COPY: SimHash distance */
};

struct wh_dedup_store;

/* Opens (creating if needed) the store in p->dir and reads the whole log.
 * Returns the store, or NULL with errstr filled (directory not creatable,
 * log unreadable or written with another MinHash size). */
struct wh_dedup_store *
wh_dedup_store_open(const struct wh_dedup_store_params *p, char *errstr,
                    size_t errstr_size);

/* Closes the store (syncing first); NULL is a no-op. */
void wh_dedup_store_close(struct wh_dedup_store *st);

/* Decides on one record as described above, appending the decision to
 * the log unless it is EXACT or a replay. Fills *out (the caller releases
 * it with wh_dedup_result_clear()). Returns WH_OK, WH_EINVAL (uri empty or
 * longer than WH_DEDUP_URI_MAX) or WH_EIO with errstr filled (the log
 * could not be locked, read or written: retry later). */
int wh_dedup_store_decide(struct wh_dedup_store *st,
                          const struct wh_dedup_input *in,
                          struct wh_dedup_result *out, char *errstr,
                          size_t errstr_size);

/* Makes every decision appended so far durable (fdatasync). Returns WH_OK
 * or WH_EIO with errstr filled. */
int wh_dedup_store_sync(struct wh_dedup_store *st, char *errstr,
                        size_t errstr_size);

/* Releases the strings of a result; the struct may be reused. */
void wh_dedup_result_clear(struct wh_dedup_result *r);

/* Records in the window as seen by this process. */
size_t wh_dedup_store_count(const struct wh_dedup_store *st);

/* Bytes of memory of the in-memory view (index, uri map, locations). */
size_t wh_dedup_store_bytes(const struct wh_dedup_store *st);

/* A short name for a decision: "new", "copy", "version", "exact". */
const char *wh_dedup_decision_name(enum wh_dedup_decision d);

/* ------------------------------------------------------------------ */
/* Backends: for store.c and store_pg.c only.                          */

/* The log's backend: an append-only sequence of opaque records under an
 * exclusive lock. Every operation returns WH_OK (next(): 1 or 0) or a
 * negative WH_E* code with errstr filled. */
struct wh_dedup_backend_ops {
    const char *name;
    /* Takes / releases the exclusive lock around one decision. */
    int (*lock)(void *b, char *errstr, size_t errstr_size);
    void (*unlock)(void *b);
    /* Reads the record after the last one read into rec (replacing its
     * content), its locator into *loc and its id into *id (ids grow; a
     * gap is records deleted before this process read them). Returns 1,
     * 0 at the end, or WH_EIO. With the lock held, a torn last record
     * (its writer died) is dropped; without it (start-up) reading stops
     * before it. */
    int (*next)(void *b, struct wh_buf *rec, uint64_t *loc, uint32_t *id,
                char *errstr, size_t errstr_size);
    /* Appends a record after the last one read (the lock is held and
     * next() returned 0); once it returns WH_OK the record is visible to
     * every other process. Its locator and id in *loc and *id. */
    int (*append)(void *b, const void *rec, size_t len, uint64_t *loc,
                  uint32_t *id, char *errstr, size_t errstr_size);
    /* Reads the record at loc into rec. */
    int (*get)(void *b, uint64_t loc, struct wh_buf *rec, char *errstr,
               size_t errstr_size);
    int (*sync)(void *b, char *errstr, size_t errstr_size);
    void (*close)(void *b);
    /* The window (lock held, caught up). head(): the id of the first
     * record of the part being appended to, or UINT32_MAX when the
     * backend has no parts; roll(): starts a new part; expire(): forgets
     * the records of ids below low - closes what holds only those and
     * deletes them from the shared log (whole segments for the file,
     * rows in small batches for postgres). */
    uint32_t (*head)(void *b);
    int (*roll)(void *b, char *errstr, size_t errstr_size);
    int (*expire)(void *b, uint32_t low, char *errstr, size_t errstr_size);
};

/* The "postgres" backend (store_pg.c): the log is the table
 * wirehose_dedup_log (created when missing, with wirehose_dedup_meta
 * holding its MinHash size) of the server named by the libpq connection
 * string conninfo; the lock is a transaction-scoped advisory lock; the
 * records read are mirrored in a nameless temporary file in dir (which
 * must exist) for get(). Returns the backend for wh_dedup_pg_ops, or NULL
 * with errstr filled (server refusing us, tables not creatable, written
 * with another MinHash size than minhash_k, dir not writable). */
void *wh_dedup_pg_open(const char *conninfo, const char *dir,
                       unsigned minhash_k, char *errstr, size_t errstr_size);

/* Non-zero while the backend is connected (a server down at start-up
 * leaves it unconnected: the first decision connects). */
int wh_dedup_pg_up(const void *b);

/* The operations of a backend returned by wh_dedup_pg_open(). */
extern const struct wh_dedup_backend_ops wh_dedup_pg_ops;

#endif
