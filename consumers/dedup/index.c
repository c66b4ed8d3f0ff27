/*
 * index.c - permuted-table index of SimHash fingerprints (see index.h).
 */
#include "index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wh/log.h"
#include "wh/wh.h"

#define TAIL_MIN ((size_t)1024)
/* The directory is indexed directly by the leading dbits bits of a
 * table key (2^dbits >= n / DIR_PER_SLOT, at most the key's own bits), so
 * a probe reads its slot's start and end and then exactly the entries of
 * its slot (~1-5, one or two cache lines), with no search. It is two
 * small arrays rather than a 32-bit offset per slot, so that it stays in
 * the CPU cache at 10M (~0.2 B per entry and table, ~8 MB in all) while
 * the entries do not: a byte per slot relative to a 32-bit offset per
 * group of 2^GROUP_BITS slots.
 * A lookup first computes all its keys, then prefetches the directory
 * slots and the entries of probes PIPE_DIR + PIPE_ENT and PIPE_ENT ahead
 * of the one it scans: the memory accesses of many probes overlap
 * instead of being paid one after the other, which is what keeps the
 * lookup time nearly flat when the index no longer fits in the cache. */
#define DIR_PER_SLOT 4
#define GROUP_BITS 4
#define FINE_SAT 255
#define PIPE_DIR ((size_t)32) /* probes from directory to entries */
#define PIPE_ENT ((size_t)32) /* probes from entries to the scan */

/* An entry of the unsorted tail (and of a merge in progress). */
struct entry {
    uint32_t lo;
    uint32_t hi;
    uint32_t id;
};

/* Fingerprints and ids are two parallel arrays: a probe reads only the
 * fingerprints of its slot (~5 at 10M: 40 bytes, most often one cache
 * line, where 12-byte entries needed two), and an id only for an entry
 * within the radius. */
struct table {
    unsigned shift; /* key = low `bits` bits of fp rotated right */
    unsigned bits;  /* by shift: block i and the bits after it */
    uint64_t *fp;   /* sorted by (block, id) */
    uint32_t *id;   /* id[j] is fp[j]'s */
    size_t n;
    /* the directory over the leading dbits bits of the key ("slots"):
     * coarse[g] = first entry of group g of 2^GROUP_BITS slots; fine[s]
     * = first entry of slot s minus its group's first, FINE_SAT when that
     * does not fit a byte; slot 2^dbits is the end (n). Both live in one
     * allocation starting at coarse. */
    uint32_t *coarse;
    uint8_t *fine;
    unsigned dbits;
};

struct wh_index {
    struct wh_index_params p;
    struct table t[WH_INDEX_MAX_TABLES];
    struct entry *tail; /* unsorted, in insertion order */
    size_t ntail;
    size_t captail;
    uint32_t floor; /* lookups ignore ids below it */
};

/* One key to look up: filled in a first pass so that the memory of every
 * probe can be prefetched before any is read. */
struct probe {
    uint32_t key;
    uint32_t begin; /* its directory slot's entries: [begin, end) */
    uint32_t end;
    uint8_t table;
};

void wh_index_params_default(struct wh_index_params *p)
{
    p->tables = 3;
    p->radius = 12;
    p->weak = 16;
    p->probes = 128;
    p->flips = 3;
    p->key_bits = 0;
}

/* Bits set in x. Written out because the baseline x86-64 target has no
 * POPCNT instruction and __builtin_popcountll() becomes a libgcc call
 * there, 3-4 times slower than this in the lookup loops. */
static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

static uint64_t entry_fp(const struct entry *e)
{
    return ((uint64_t)e->hi << 32) | e->lo;
}

static uint32_t block(const struct table *t, uint64_t fp)
{
    uint64_t rot = t->shift ? (fp >> t->shift) | (fp << (64 - t->shift)) : fp;

    return (uint32_t)(rot & (((uint64_t)1 << t->bits) - 1));
}

static size_t dir_bytes(const struct table *t);
static void big_free(void *p, size_t bytes);

struct wh_index *wh_index_new(const struct wh_index_params *p)
{
    struct wh_index *idx;
    unsigned i;
    unsigned shift = 0;

    if (p->tables < 2 || p->tables > WH_INDEX_MAX_TABLES || p->radius > 64 ||
        p->weak > 16 || p->probes < p->tables ||
        p->probes > WH_INDEX_MAX_PROBES || p->flips > 16 || p->key_bits > 32) {
        return NULL;
    }
    idx = wh_xcalloc(1, sizeof(*idx));
    idx->p = *p;
    for (i = 0; i < p->tables; i++) {
        /* 64 / T bits each, the remainder spread over the last blocks */
        unsigned bits = 64 / p->tables + (i >= p->tables - 64 % p->tables);

        idx->t[i].shift = shift;
        idx->t[i].bits = p->key_bits > bits ? p->key_bits : bits;
        shift += bits;
    }
    WH_ASSERT(shift == 64);
    return idx;
}

void wh_index_free(struct wh_index *idx)
{
    unsigned i;

    if (idx == NULL) {
        return;
    }
    for (i = 0; i < idx->p.tables; i++) {
        big_free(idx->t[i].fp, idx->t[i].n * sizeof(uint64_t));
        big_free(idx->t[i].id, idx->t[i].n * sizeof(uint32_t));
        if (idx->t[i].coarse != NULL) {
            big_free(idx->t[i].coarse, dir_bytes(&idx->t[i]));
        }
    }
    free(idx->tail);
    free(idx);
}

static int entry_cmp(const void *a, const void *b, void *arg)
{
    const struct table *t = arg;
    const struct entry *x = a;
    const struct entry *y = b;
    uint32_t kx = block(t, entry_fp(x));
    uint32_t ky = block(t, entry_fp(y));

    if (kx != ky) {
        return kx < ky ? -1 : 1;
    }
    return (x->id > y->id) - (x->id < y->id);
}

/* Large arrays live in transparent huge pages where the kernel allows it:
 * a lookup touches ~100 random places of arrays of hundreds of MB, and
 * with 4 KiB pages each would add a page walk. They are mapped 2 MiB
 * aligned and advised before the first touch, so faults bring huge pages.
 * Small arrays use the heap. */
#define HUGE_SZ ((size_t)2 << 20)

static size_t big_len(size_t bytes)
{
    return (bytes + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
}

static void *big_alloc(size_t bytes)
{
    size_t len = big_len(bytes);
    size_t head;
    char *m;

    if (bytes < HUGE_SZ) {
        return wh_xmalloc(bytes ? bytes : 1);
    }
    m = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        /* same policy as wh_xmalloc(): out of memory aborts (not a heap
         * fallback: big_free() unmaps whatever is this large) */
        wh_log(WH_LOG_CRIT, "dedup", "out of memory mapping %zu bytes",
               len + HUGE_SZ);
        abort();
    }
    /* keep the 2 MiB-aligned len bytes, unmap the rest on both sides */
    head = (HUGE_SZ - ((uintptr_t)m & (HUGE_SZ - 1))) & (HUGE_SZ - 1);
    if (head > 0) {
        (void)munmap(m, head);
    }
    if (HUGE_SZ - head > 0) {
        (void)munmap(m + head + len, HUGE_SZ - head);
    }
    (void)madvise(m + head, len, MADV_HUGEPAGE);
    return m + head;
}

static void big_free(void *p, size_t bytes)
{
    if (p == NULL) {
        return;
    }
    if (bytes < HUGE_SZ) {
        free(p);
    } else {
        (void)munmap(p, big_len(bytes));
    }
}

/* Slot s (0..2^dbits; slot 2^dbits is the end, n) starts at
 * coarse[s >> GROUP_BITS] + fine[s]. */
static size_t dir_bytes(const struct table *t)
{
    size_t nb = (size_t)1 << t->dbits;

    return ((nb >> GROUP_BITS) + 1) * sizeof(uint32_t) + nb + 1;
}

/* The directory slot of a key of table t. */
static uint32_t slot_of(const struct table *t, uint32_t key)
{
    return key >> (t->bits - t->dbits);
}

/* The directory bits for n entries in a table of `bits`-bit keys. */
static unsigned dir_bits(size_t n, unsigned bits)
{
    unsigned d = 1;

    while (d < bits && ((size_t)DIR_PER_SLOT << d) < n) {
        d++;
    }
    return d;
}

/* Writes table t's directory from start[0..2^dbits] (start[s] = first
 * entry of slot s, start[2^dbits] = n), (re)allocating it when its size
 * changes. */
static void dir_encode(struct table *t, unsigned d, const uint32_t *start)
{
    size_t nb = (size_t)1 << d;
    size_t i;

    if (t->coarse == NULL || t->dbits != d) {
        if (t->coarse != NULL) {
            big_free(t->coarse, dir_bytes(t));
        }
        t->dbits = d;
        t->coarse = big_alloc(dir_bytes(t));
        t->fine = (uint8_t *)(t->coarse + (nb >> GROUP_BITS) + 1);
    }
    for (i = 0; i <= nb >> GROUP_BITS; i++) {
        t->coarse[i] = start[i << GROUP_BITS];
    }
    for (i = 0; i <= nb; i++) {
        uint32_t off = start[i] - start[i & ~(((size_t)1 << GROUP_BITS) - 1)];

        t->fine[i] = (uint8_t)(off < FINE_SAT ? off : FINE_SAT);
    }
}

static void build_dir(struct table *t)
{
    unsigned d = dir_bits(t->n, t->bits);
    size_t nb = (size_t)1 << d;
    size_t i;
    uint32_t *start;

    /* start[s] = first entry of slot s, by counting: no branch depends on
     * the data (a loop per slot mispredicts about once an entry); the
     * slots are those of the new d, so slot_of() cannot be used yet */
    start = wh_xcalloc(nb + 1, sizeof(*start));
    for (i = 0; i < t->n; i++) {
        start[(block(t, t->fp[i]) >> (t->bits - d)) + 1]++;
    }
    for (i = 1; i <= nb; i++) {
        start[i] += start[i - 1];
    }
    dir_encode(t, d, start);
    free(start);
}

/* First entry of table t whose slot is >= s: from the directory, or by a
 * binary search from its group's first entry when the byte saturated
 * (only with fingerprints crowded into few slots). */
static uint32_t slot_start(const struct table *t, uint32_t s)
{
    uint32_t lo = t->coarse[s >> GROUP_BITS];
    uint32_t hi = (uint32_t)t->n;

    if (t->fine[s] != FINE_SAT) {
        return lo + t->fine[s];
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (slot_of(t, block(t, t->fp[mid])) < s) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Grows a big_alloc() array from old to new bytes, keeping its contents:
 * in place when the mapping already covers it or can be extended where it
 * is (no copy, no fresh pages to clear for what is already there). */
static void *big_grow(void *p, size_t old, size_t bytes)
{
    void *q;

    if (p == NULL) {
        return big_alloc(bytes);
    }
    if (bytes < HUGE_SZ) {
        return wh_xrealloc(p, bytes); /* small: on the heap, like old */
    }
    if (old >= HUGE_SZ) {
        if (big_len(bytes) == big_len(old)) {
            return p;
        }
        if (mremap(p, big_len(old), big_len(bytes), 0) != MAP_FAILED) {
            (void)madvise((char *)p + big_len(old),
                          big_len(bytes) - big_len(old), MADV_HUGEPAGE);
            return p;
        }
    }
    q = big_alloc(bytes);
    memcpy(q, p, old);
    big_free(p, old);
    return q;
}

/* Where add (sorted by block, then id) goes in table t: the first entry
 * after it in (block, id) order, found from the directory within its
 * slot. */
static uint32_t insert_pos(const struct table *t, const struct entry *add)
{
    uint32_t key = block(t, entry_fp(add));
    uint32_t sl = slot_of(t, key);
    uint32_t j = slot_start(t, sl);
    uint32_t end = slot_start(t, sl + 1);

    while (j < end) {
        uint32_t k = block(t, t->fp[j]);

        if (k > key || (k == key && t->id[j] > add->id)) {
            break;
        }
        j++;
    }
    return j;
}

/* Shifts table t's directory for the sorted adds add[0..m), which keep its
 * size: a group's first entry moves up by the adds in earlier groups, and
 * a slot's byte by the adds earlier in its own group (saturated bytes
 * stay saturated: they are searched). O(groups + 16 m), no entry read. */
static void dir_shift(struct table *t, const struct entry *add, size_t m)
{
    size_t ngroups = ((size_t)1 << t->dbits >> GROUP_BITS) + 1;
    size_t g;
    size_t j = 0;

    for (g = 0; g < ngroups; g++) {
        while (j < m &&
               slot_of(t, block(t, entry_fp(&add[j]))) >> GROUP_BITS < g) {
            j++;
        }
        t->coarse[g] += (uint32_t)j;
    }
    for (j = 0; j < m; j++) {
        uint32_t sl = slot_of(t, block(t, entry_fp(&add[j])));
        uint32_t last = sl | (((uint32_t)1 << GROUP_BITS) - 1);
        uint32_t s;

        for (s = sl + 1; s <= last; s++) {
            if (t->fine[s] != FINE_SAT) {
                t->fine[s]++;
            }
        }
    }
}

/* Merges the sorted tail copy `add` (m entries) into table t, in place:
 * the arrays grow to exactly n + m entries (no slack: memory is the
 * point) and the old entries move up once, from the back, in runs between
 * two insertion points; the directory is shifted rather than counted
 * again when its size stays. At 10M this costs a third of merging into
 * new arrays (which the kernel also had to clear): most of what is left
 * is the move itself. */
static void table_merge(struct table *t, const struct entry *add, size_t m)
{
    unsigned d = dir_bits(t->n + m, t->bits);
    uint32_t *ins = wh_xmalloc(m * sizeof(*ins));
    size_t src_end = t->n;
    size_t j;

    /* the insertion points, from the old layout's directory */
    for (j = 0; j < m; j++) {
        ins[j] = t->n > 0 ? insert_pos(t, &add[j]) : 0;
    }
    t->fp = big_grow(t->fp, t->n * sizeof(*t->fp), (t->n + m) * sizeof(*t->fp));
    t->id = big_grow(t->id, t->n * sizeof(*t->id), (t->n + m) * sizeof(*t->id));
    for (j = m; j-- > 0;) {
        size_t p = ins[j];

        /* old entries [p, src_end) go up by the j + 1 adds before them */
        memmove(&t->fp[p + j + 1], &t->fp[p], (src_end - p) * sizeof(*t->fp));
        memmove(&t->id[p + j + 1], &t->id[p], (src_end - p) * sizeof(*t->id));
        t->fp[p + j] = entry_fp(&add[j]);
        t->id[p + j] = add[j].id;
        src_end = p;
    }
    t->n += m;
    free(ins);
    if (t->coarse != NULL && t->dbits == d) {
        dir_shift(t, add, m);
    } else {
        build_dir(t);
    }
}

/* Sorts m entries by (block, id) for table t. Entries added in id order
 * (a bulk load: the store's start-up) are sorted by a stable LSD radix
 * sort of their key, 11 bits a pass, which keeps the id order within a
 * key: several times faster than a comparison sort at millions. */
static void sort_entries(struct entry *e, size_t m, const struct table *t)
{
    enum { RBITS = 11, RSIZE = 1 << RBITS };
    struct entry *tmp;
    struct entry *src = e;
    struct entry *dst;
    size_t *count;
    size_t i;
    unsigned sh;

    for (i = 1; i < m && e[i - 1].id <= e[i].id; i++) {
    }
    if (m < 4096 || i < m) {
        qsort_r(e, m, sizeof(*e), entry_cmp, (void *)t);
        return;
    }
    tmp = wh_xmalloc(m * sizeof(*tmp));
    count = wh_xmalloc(RSIZE * sizeof(*count));
    dst = tmp;
    for (sh = 0; sh < t->bits; sh += RBITS) {
        size_t sum = 0;
        struct entry *x;

        memset(count, 0, RSIZE * sizeof(*count));
        for (i = 0; i < m; i++) {
            count[(block(t, entry_fp(&src[i])) >> sh) & (RSIZE - 1)]++;
        }
        for (i = 0; i < RSIZE; i++) {
            size_t c = count[i];

            count[i] = sum;
            sum += c;
        }
        for (i = 0; i < m; i++) {
            dst[count[(block(t, entry_fp(&src[i])) >> sh) & (RSIZE - 1)]++] =
                src[i];
        }
        x = src;
        src = dst;
        dst = x;
    }
    if (src != e) {
        memcpy(e, src, m * sizeof(*e));
    }
    free(count);
    free(tmp);
}

void wh_index_compact(struct wh_index *idx)
{
    struct entry *tmp;
    unsigned i;

    if (idx->ntail == 0) {
        return;
    }
    WH_ASSERT(idx->t[0].n + idx->ntail < UINT32_MAX);
    tmp = wh_xmalloc(idx->ntail * sizeof(*tmp));
    for (i = 0; i < idx->p.tables; i++) {
        memcpy(tmp, idx->tail, idx->ntail * sizeof(*tmp));
        sort_entries(tmp, idx->ntail, &idx->t[i]);
        table_merge(&idx->t[i], tmp, idx->ntail);
    }
    free(tmp);
    idx->ntail = 0;
    /* the tail's next life is short and small: give big buffers back */
    if (idx->captail > TAIL_MIN * 4) {
        free(idx->tail);
        idx->tail = NULL;
        idx->captail = 0;
    }
}

/* The tail is merged when it passes sqrt(16 n), rounded up to a power of
 * two: a lookup scans the whole tail (~0.4 ns an entry) and a merge moves
 * every entry of the 3 tables (~1 ns an entry and table), which about
 * balances the two: at 10M (16384 entries at most) an add costs ~2 us
 * amortized and the tail ~3.4 us of a lookup on average. */
static size_t tail_limit(const struct wh_index *idx)
{
    size_t n = idx->t[0].n;
    size_t lim = TAIL_MIN;

    while (lim * lim < 16 * n) {
        lim *= 2;
    }
    return lim;
}

void wh_index_append(struct wh_index *idx, uint64_t fp, uint32_t id)
{
    struct entry *e;

    if (idx->ntail == idx->captail) {
        idx->captail = idx->captail ? idx->captail * 2 : TAIL_MIN;
        idx->tail = wh_xrealloc(idx->tail, idx->captail * sizeof(*e));
    }
    e = &idx->tail[idx->ntail++];
    e->lo = (uint32_t)fp;
    e->hi = (uint32_t)(fp >> 32);
    e->id = id;
}

void wh_index_add(struct wh_index *idx, uint64_t fp, uint32_t id)
{
    wh_index_append(idx, fp, id);
    if (idx->ntail >= tail_limit(idx)) {
        wh_index_compact(idx);
    }
}

/* Position of fingerprint bit b in table t's key, or -1. */
static int key_pos(const struct table *t, unsigned b)
{
    unsigned off = (b + 64 - t->shift) % 64;

    return off < t->bits ? (int)off : -1;
}

/* Number of subsets of c bits with at most f members (f == 0: any). */
static size_t nsubsets(unsigned c, unsigned f)
{
    size_t total = 0;
    size_t binom = 1;
    unsigned k;

    if (f == 0 || f >= c) {
        return (size_t)1 << c;
    }
    for (k = 0; k <= f; k++) {
        total += binom;
        binom = binom * (c - k) / (k + 1);
    }
    return total;
}

/* Keeps hits[0..*n) sorted by (distance, id), at most max of them, each id
 * once. */
static void hit_add(struct wh_index_hit *hits, size_t *n, size_t max,
                    uint32_t id, unsigned dist)
{
    size_t i;
    size_t pos;

    if (*n == max &&
        (max == 0 || dist > hits[max - 1].distance ||
         (dist == hits[max - 1].distance && id > hits[max - 1].id))) {
        return; /* worse than every kept hit (clustered fingerprints) */
    }
    for (i = 0; i < *n; i++) {
        if (hits[i].id == id) {
            return;
        }
    }
    pos = *n;
    while (pos > 0 &&
           (hits[pos - 1].distance > dist ||
            (hits[pos - 1].distance == dist && hits[pos - 1].id > id))) {
        pos--;
    }
    if (pos >= max) {
        return; /* worse than every kept hit */
    }
    if (*n == max) {
        (*n)--; /* the worst kept hit makes room */
    }
    memmove(hits + pos + 1, hits + pos, (*n - pos) * sizeof(*hits));
    hits[pos].id = id;
    hits[pos].distance = dist;
    (*n)++;
}

/* The memory part of a lookup: the tail, then the probes pr[0..npr),
 * through a software pipeline. Written once, compiled twice (below):
 * with the POPCNT instruction where the CPU has it, since the baseline
 * x86-64 target has none and counting bits is most of the work per entry
 * read (~500 entries a lookup at 10M). */
static inline __attribute__((always_inline)) size_t
scan_body(const struct wh_index *idx, struct probe *pr, size_t npr, uint64_t fp,
          struct wh_index_hit *hits, size_t max, int hw)
{
    size_t nhits = 0;
    size_t i;

    for (i = 0; i < idx->ntail; i++) {
        uint64_t x = entry_fp(&idx->tail[i]) ^ fp;
        unsigned d = hw ? (unsigned)__builtin_popcountll(x) : popcount64(x);

        if (d <= idx->p.radius && idx->tail[i].id >= idx->floor) {
            hit_add(hits, &nhits, max, idx->tail[i].id, d);
        }
    }
    /* software pipeline: the directory slot of probe i + PIPE_DIR +
     * PIPE_ENT and the entries of probe i + PIPE_ENT are prefetched while
     * probe i is scanned */
    for (i = 0; i < npr + PIPE_DIR + PIPE_ENT; i++) {
        if (i < npr) {
            const struct table *t = &idx->t[pr[i].table];
            uint32_t sl = slot_of(t, pr[i].key);

            __builtin_prefetch(&t->coarse[sl >> GROUP_BITS]);
            __builtin_prefetch(&t->fine[sl]);
        }
        if (i >= PIPE_DIR && i - PIPE_DIR < npr) {
            struct probe *q = &pr[i - PIPE_DIR];
            const struct table *t = &idx->t[q->table];
            uint32_t sl = slot_of(t, q->key);

            q->begin = slot_start(t, sl);
            q->end = slot_start(t, sl + 1);
            if (q->end > q->begin) {
                /* the first and the last cache line of the slot's
                 * fingerprints, without a branch on whether they are one
                 * line or two (~5 fingerprints, 40 bytes, at 10M; a
                 * mispredicted branch here cost more than the second
                 * prefetch); lines in between are read in sequence */
                __builtin_prefetch(&t->fp[q->begin]);
                __builtin_prefetch(&t->fp[q->end - 1]);
            }
        }
        if (i >= PIPE_DIR + PIPE_ENT) {
            const struct probe *q = &pr[i - PIPE_DIR - PIPE_ENT];
            const struct table *t = &idx->t[q->table];
            int exact = t->dbits == t->bits;
            uint32_t j;

            for (j = q->begin; j < q->end; j++) {
                uint64_t efp = t->fp[j];
                unsigned d;

                if (!exact && block(t, efp) != q->key) {
                    continue;
                }
                d = hw ? (unsigned)__builtin_popcountll(efp ^ fp)
                       : popcount64(efp ^ fp);
                if (d <= idx->p.radius && t->id[j] >= idx->floor) {
                    hit_add(hits, &nhits, max, t->id[j], d);
                }
            }
        }
    }
    return nhits;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) static size_t
scan_popcnt(const struct wh_index *idx, struct probe *pr, size_t npr,
            uint64_t fp, struct wh_index_hit *hits, size_t max)
{
    return scan_body(idx, pr, npr, fp, hits, max, 1);
}
#endif

static size_t scan_generic(const struct wh_index *idx, struct probe *pr,
                           size_t npr, uint64_t fp, struct wh_index_hit *hits,
                           size_t max)
{
#if defined(__x86_64__) || defined(__i386__)
    return scan_body(idx, pr, npr, fp, hits, max, 0);
#else
    /* elsewhere the compiler's own popcount is the fast one */
    return scan_body(idx, pr, npr, fp, hits, max, 1);
#endif
}

static size_t scan(const struct wh_index *idx, struct probe *pr, size_t npr,
                   uint64_t fp, struct wh_index_hit *hits, size_t max)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("popcnt")) {
        return scan_popcnt(idx, pr, npr, fp, hits, max);
    }
#endif
    return scan_generic(idx, pr, npr, fp, hits, max);
}

size_t wh_index_lookup(const struct wh_index *idx, uint64_t fp,
                       const uint8_t *weak, unsigned nweak,
                       struct wh_index_hit *hits, size_t max)
{
    struct probe pr[WH_INDEX_MAX_PROBES + WH_INDEX_MAX_TABLES];
    size_t npr = 0;
    size_t i;
    unsigned ti;
    unsigned r;

    if (nweak > idx->p.weak) {
        nweak = idx->p.weak;
    }
    r = nweak;
    /* r = how many of the weakest bits are used: the most whose subsets
     * (of at most `flips` members), summed over the tables, fit in the
     * probe budget */
    while (r > 0) {
        size_t total = 0;

        for (ti = 0; ti < idx->p.tables; ti++) {
            unsigned c = 0;

            for (i = 0; i < r; i++) {
                c += key_pos(&idx->t[ti], weak[i]) >= 0;
            }
            total += nsubsets(c, idx->p.flips);
        }
        if (total <= idx->p.probes) {
            break;
        }
        r--;
    }
    for (ti = 0; ti < idx->p.tables; ti++) {
        const struct table *t = &idx->t[ti];
        uint32_t flip[16];
        unsigned nflip = 0;
        unsigned most;
        unsigned size;
        uint32_t key = block(t, fp);

        if (t->n == 0) {
            continue;
        }
        for (i = 0; i < r; i++) {
            int kp = key_pos(t, weak[i]);

            if (kp >= 0) {
                flip[nflip++] = (uint32_t)1 << kp;
            }
        }
        most = idx->p.flips == 0 || idx->p.flips > nflip ? nflip : idx->p.flips;
        /* subsets by size, then in Gosper order (weakest bits first) */
        for (size = 0; size <= most; size++) {
            uint32_t v = ((uint32_t)1 << size) - 1;

            while (v < ((uint32_t)1 << nflip)) {
                uint32_t k = key;
                uint32_t c;
                uint32_t rr;
                unsigned bi;

                for (bi = 0; bi < nflip; bi++) {
                    if (v & ((uint32_t)1 << bi)) {
                        k ^= flip[bi];
                    }
                }
                if (npr == WH_ARRAY_SIZE(pr)) {
                    break; /* cannot happen: probes <= the array */
                }
                pr[npr].key = k;
                pr[npr].table = (uint8_t)ti;
                npr++;
                if (v == 0) {
                    break;
                }
                c = v & -v;
                rr = v + c;
                v = (((rr ^ v) >> 2) / c) | rr;
            }
        }
    }
    return scan(idx, pr, npr, fp, hits, max);
}

/* Keeps the first n entries of a big_alloc() array of `old` bytes of
 * which the first `bytes` are kept, in an allocation of that size. */
static void *big_shrink(void *p, size_t old, size_t bytes)
{
    void *q;

    if (big_len(bytes) == big_len(old) && bytes >= HUGE_SZ) {
        return p;
    }
    q = big_alloc(bytes);
    memcpy(q, p, bytes);
    big_free(p, old);
    return q;
}

void wh_index_set_floor(struct wh_index *idx, uint32_t low)
{
    idx->floor = low;
}

void wh_index_drop_below(struct wh_index *idx, uint32_t low)
{
    size_t i;
    size_t j;
    size_t k;

    for (i = 0; i < idx->p.tables; i++) {
        struct table *t = &idx->t[i];
        size_t old = t->n;

        /* a filter in place keeps the (block, id) order */
        for (j = 0, k = 0; j < t->n; j++) {
            if (t->id[j] >= low) {
                t->fp[k] = t->fp[j];
                t->id[k] = t->id[j];
                k++;
            }
        }
        if (k == old) {
            continue;
        }
        t->n = k;
        t->fp = big_shrink(t->fp, old * sizeof(*t->fp), k * sizeof(*t->fp));
        t->id = big_shrink(t->id, old * sizeof(*t->id), k * sizeof(*t->id));
        build_dir(t);
    }
    for (j = 0, k = 0; j < idx->ntail; j++) {
        if (idx->tail[j].id >= low) {
            idx->tail[k++] = idx->tail[j];
        }
    }
    idx->ntail = k;
}

int wh_index_save(struct wh_index *idx,
                  int (*put)(void *arg, const void *data, size_t len),
                  void *arg)
{
    uint64_t n;
    unsigned i;

    wh_index_compact(idx);
    for (i = 0; i < idx->p.tables; i++) {
        const struct table *t = &idx->t[i];

        n = t->n;
        if (put(arg, &n, sizeof(n)) != 0 ||
            put(arg, t->fp, t->n * sizeof(*t->fp)) != 0 ||
            put(arg, t->id, t->n * sizeof(*t->id)) != 0) {
            return -1;
        }
    }
    return 0;
}

int wh_index_load(struct wh_index *idx,
                  int (*get)(void *arg, void *data, size_t len), void *arg)
{
    uint64_t n;
    unsigned i;

    if (wh_index_count(idx) != 0) {
        return -1;
    }
    for (i = 0; i < idx->p.tables; i++) {
        struct table *t = &idx->t[i];

        if (get(arg, &n, sizeof(n)) != 0 || n >= UINT32_MAX) {
            return -1;
        }
        t->fp = big_alloc((size_t)n * sizeof(*t->fp));
        t->id = big_alloc((size_t)n * sizeof(*t->id));
        t->n = (size_t)n;
        if (get(arg, t->fp, t->n * sizeof(*t->fp)) != 0 ||
            get(arg, t->id, t->n * sizeof(*t->id)) != 0) {
            return -1;
        }
        build_dir(t);
    }
    return 0;
}

size_t wh_index_count(const struct wh_index *idx)
{
    return idx->t[0].n + idx->ntail;
}

size_t wh_index_tail(const struct wh_index *idx)
{
    return idx->ntail;
}

size_t wh_index_bytes(const struct wh_index *idx)
{
    size_t bytes = sizeof(*idx) + idx->captail * sizeof(struct entry);
    unsigned i;

    for (i = 0; i < idx->p.tables; i++) {
        bytes += idx->t[i].n * (sizeof(uint64_t) + sizeof(uint32_t));
        if (idx->t[i].coarse != NULL) {
            bytes += dir_bytes(&idx->t[i]);
        }
    }
    return bytes;
}
