/*
 * index.h - the permuted-table index of 64-bit SimHash fingerprints
 * (Manku, Jain, Das Sarma, WWW 2007), with query-directed probing of the
 * query's weakest bits.
 *
 * The 64 bits are cut into T disjoint blocks; table i holds every
 * fingerprint sorted by block i (its "permutation" puts block i first).
 * A lookup for q takes the largest r <= `weak` such that the subsets of
 * q's r weakest bits (those where copies of a text differ most: see
 * simhash.h) with at most `flips` members, counted block by block, fit in
 * the probe budget; it probes, in every table, block i of q with each
 * such subset of the weak bits falling in block i flipped, and returns
 * the entries within Hamming distance `radius` of q. So a stored
 * fingerprint f (within the radius) is found whenever f and q differ in
 * at most T-1 bits outside q's r weakest bits and in at most `flips` of
 * them (pigeonhole: some block has no other differing bit), and often
 * beyond.
 *
 * Layout (memory-lean): each table is an array of 64-bit fingerprints
 * sorted by its block with a parallel array of 32-bit ids (12 bytes an
 * entry, but a probe reads only fingerprints: ~5 at 10M, 40 bytes, most
 * often one cache line; an id only for a hit), plus a directory indexed
 * directly by the leading bits of the block (2^d slots, d the smallest
 * with 2^d >= n/4, at most the block's bits; a byte per slot and a 32-bit
 * offset per 16 slots: ~0.2 byte per entry, small enough to stay in the
 * CPU cache), so a probe reads exactly the entries of its slot. A lookup
 * computes all its keys first and prefetches the directory slots and the
 * first and last cache line of the entries of later probes while it
 * scans earlier ones, so the memory accesses of its probes overlap: at
 * 10M, where the tables no longer fit in any cache, a lookup costs ~1.2x
 * what it costs at 100k (bench/dedup). New entries go to a small unsorted
 * tail, scanned in full by every lookup and merged into the tables when
 * it grows past about sqrt(16 n) entries.
 *
 * Not thread-safe: one index per thread, or a lock around every call.
 */
#ifndef WH_DEDUP_INDEX_H
#define WH_DEDUP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define WH_INDEX_MAX_TABLES 4
#define WH_INDEX_MAX_PROBES 1024 /* per lookup */

struct wh_index_params {
    unsigned tables;   /* T: 2..WH_INDEX_MAX_TABLES disjoint blocks */
    unsigned radius;   /* largest Hamming distance returned, 0..64 */
    unsigned weak;     /* weakest bits of the query considered, 0..16 */
    unsigned probes;   /* most keys probed per lookup, T..1024 */
    unsigned flips;    /* most weak bits flipped in one probe; 0 = any */
    unsigned key_bits; /* bits of a table key: its block and the bits
                        * after it (<= 32); 0 = the block alone */
};

/* The parameters chosen from bench/dedup measurements (docs/dedup.md). */
void wh_index_params_default(struct wh_index_params *p);

struct wh_index_hit {
    uint32_t id;
    unsigned distance;
};

struct wh_index;

/* Creates an empty index. Returns NULL when a parameter is out of
 * range. */
struct wh_index *wh_index_new(const struct wh_index_params *p);
void wh_index_free(struct wh_index *idx); /* NULL is a no-op */

/* Adds fp under id (ids are the caller's; adding one id twice returns it
 * twice). Amortized O(sqrt n); never fails (aborts on out-of-memory). */
void wh_index_add(struct wh_index *idx, uint64_t fp, uint32_t id);

/* Like wh_index_add() but never merges: for bulk loads (start-up,
 * catching up with a long log), followed by one wh_index_compact(). */
void wh_index_append(struct wh_index *idx, uint64_t fp, uint32_t id);

/* Merges the unsorted tail into the tables now (e.g. after a bulk load). */
void wh_index_compact(struct wh_index *idx);

/* Finds the entries within the radius of fp. weak lists the query's bit
 * positions weakest first (nweak of them, from wh_simhash_sig.weak; may
 * be NULL with nweak 0: no extra probes). Writes the best max hits (or
 * fewer), each id once, ordered by distance then id, and returns how many
 * it wrote. */
size_t wh_index_lookup(const struct wh_index *idx, uint64_t fp,
                       const uint8_t *weak, unsigned nweak,
                       struct wh_index_hit *hits, size_t max);

/* Makes lookups ignore the entries whose id is below low (they left the
 * dedup window but are still held until wh_index_drop_below()), so they
 * take no place among the best hits. */
void wh_index_set_floor(struct wh_index *idx, uint32_t low);

/* Removes every entry whose id is below low (the ids that left the
 * dedup window), giving the memory back. O(n): a pass over each table and
 * its directory rebuilt. */
void wh_index_drop_below(struct wh_index *idx, uint32_t low);

/* Writes the index (the tail merged first) through put(arg, data, len)
 * (returns 0 or non-zero to stop), in host byte order: for a snapshot of
 * this machine. Returns 0 or -1 when put failed. */
int wh_index_save(struct wh_index *idx,
                  int (*put)(void *arg, const void *data, size_t len),
                  void *arg);

/* Reads what wh_index_save() wrote into idx, which must be empty and made
 * with the same parameters, through get(arg, data, len) (0, or non-zero
 * when fewer bytes are left). Returns 0 or -1 (idx is then to be freed). */
int wh_index_load(struct wh_index *idx,
                  int (*get)(void *arg, void *data, size_t len), void *arg);

/* Entries held (tables and tail). */
size_t wh_index_count(const struct wh_index *idx);

/* Entries in the unsorted tail (scanned by every lookup). */
size_t wh_index_tail(const struct wh_index *idx);

/* Bytes of memory held by the index (arrays, directories, tail). */
size_t wh_index_bytes(const struct wh_index *idx);

#endif
