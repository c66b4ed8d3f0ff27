/*
 * simhash.c - word tokens, shingles, SimHash and MinHash (see simhash.h).
 */
#include "simhash.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "wh/wh.h"

#define WORD_BUF 256           /* bytes of a word hashed in one go */
#define INVALID_BASE 0x110000u /* invalid byte b decodes to this + b */

void wh_simhash_params_default(struct wh_simhash_params *p)
{
    p->shingle = 1;
    p->weight = WH_SIMHASH_TF;
    p->min_letters = 4;
    p->minhash_shingle = 3;
    p->minhash_k = 64;
}

/* Decodes one code point at s[*i] and advances *i. A byte that does not
 * start a valid, shortest-form sequence decodes to INVALID_BASE + byte. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    uint32_t c = s[*i];
    uint32_t cp;
    size_t n;
    size_t j;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return INVALID_BASE + c;
    }
    for (j = 1; j <= n; j++) {
        if (*i + j >= len || (s[*i + j] & 0xC0) != 0x80) {
            (*i)++;
            return INVALID_BASE + c;
        }
        cp = (cp << 6) | (s[*i + j] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        (*i)++;
        return INVALID_BASE + c;
    }
    *i += n + 1;
    return cp;
}

/* 1 when cp is part of a word: ASCII letters and digits, and every code
 * point outside the punctuation, space and symbol blocks below. */
static int is_word_cp(uint32_t cp)
{
    if (cp < 0x80) {
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
               (cp >= 'A' && cp <= 'Z');
    }
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) {
        return 0; /* C1 controls, NBSP, Latin-1 punctuation, x, / */
    }
    if ((cp >= 0x2000 && cp <= 0x206F) || /* general punctuation */
        (cp >= 0x20A0 && cp <= 0x20CF) || /* currency symbols */
        (cp >= 0x2190 && cp <= 0x2BFF) || /* arrows, maths, shapes */
        (cp >= 0x2E00 && cp <= 0x2E7F) || /* supplemental punctuation */
        (cp >= 0x3000 && cp <= 0x303F) || /* CJK punctuation */
        (cp >= 0xFE10 && cp <= 0xFE1F) || /* vertical forms */
        (cp >= 0xFE30 && cp <= 0xFE4F) || /* CJK compatibility forms */
        cp == 0xFEFF ||                   /* BOM / ZWNBSP */
        (cp >= 0xFF01 && cp <= 0xFF0F) || /* fullwidth punctuation */
        (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
        (cp >= 0xFF5B && cp <= 0xFF65) ||
        (cp >= 0x1F000 && cp <= 0x1FAFF)) { /* emoji and pictographs */
        return 0;
    }
    return 1;
}

static uint32_t fold(uint32_t cp)
{
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE) ||
        (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
        (cp >= 0x410 && cp <= 0x42F)) {
        return cp + 0x20;
    }
    if (cp >= 0x400 && cp <= 0x40F) {
        return cp + 0x50;
    }
    return cp;
}

/* Appends cp as UTF-8 (invalid bytes as themselves) to buf at *n. */
static void put_cp(unsigned char *buf, size_t *n, uint32_t cp)
{
    if (cp >= INVALID_BASE) {
        buf[(*n)++] = (unsigned char)(cp - INVALID_BASE);
    } else if (cp < 0x80) {
        buf[(*n)++] = (unsigned char)cp;
    } else if (cp < 0x800) {
        buf[(*n)++] = (unsigned char)(0xC0 | (cp >> 6));
        buf[(*n)++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*n)++] = (unsigned char)(0xE0 | (cp >> 12));
        buf[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*n)++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*n)++] = (unsigned char)(0xF0 | (cp >> 18));
        buf[(*n)++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*n)++] = (unsigned char)(0x80 | (cp & 0x3F));
    }
}

/* Tokenizer behind wh_simhash_words(); also returns each word's length
 * in bytes (capped at 255) in *lens when lens is not NULL. */
static size_t tokenize(const char *text, size_t len, uint64_t **words,
                       uint8_t **lens)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char buf[WORD_BUF];
    uint64_t *out = NULL;
    uint8_t *olen = NULL;
    size_t wlen = 0; /* bytes of the current word */
    size_t nout = 0;
    size_t cap = 0;
    size_t i = 0;
    size_t n = 0;      /* bytes in buf */
    uint64_t seed = 0; /* chains the chunks of a very long word */
    int in_word = 0;

    *words = NULL;
    if (lens != NULL) {
        *lens = NULL;
    }
    while (i <= len) {
        uint32_t cp = 0;
        int word = 0;

        if (i < len) {
            cp = utf8_next(s, len, &i);
            word = is_word_cp(cp);
            if (!word && in_word && (cp == '\'' || cp == 0x2019) && i < len) {
                size_t peek = i;

                if (is_word_cp(utf8_next(s, len, &peek))) {
                    continue; /* apostrophe inside a word: dropped */
                }
            }
        } else {
            i++; /* end of text closes the last word */
        }
        if (word) {
            if (n + 4 > sizeof(buf)) {
                seed = XXH3_64bits_withSeed(buf, n, seed);
                n = 0;
            }
            put_cp(buf, &n, fold(cp));
            wlen++;
            in_word = 1;
            continue;
        }
        if (!in_word) {
            continue;
        }
        if (nout == cap) {
            cap = cap ? cap * 2 : 256;
            out = wh_xrealloc(out, cap * sizeof(*out));
            if (lens != NULL) {
                olen = wh_xrealloc(olen, cap);
            }
        }
        if (lens != NULL) {
            olen[nout] = (uint8_t)(wlen > 255 ? 255 : wlen);
        }
        out[nout++] = XXH3_64bits_withSeed(buf, n, seed);
        n = 0;
        wlen = 0;
        seed = 0;
        in_word = 0;
    }
    *words = out;
    if (lens != NULL) {
        *lens = olen;
    }
    return nout;
}

size_t wh_simhash_words(const char *text, size_t len, uint64_t **words)
{
    return tokenize(text, len, words, NULL);
}

/* Hashes of the shingles of w words; n - w + 1 of them, or one of all
 * words when n < w. Returns the count; *out is NULL when n == 0. */
static size_t shingles(const uint64_t *words, size_t n, unsigned w,
                       uint64_t **out)
{
    size_t count;
    size_t j;

    *out = NULL;
    if (n == 0) {
        return 0;
    }
    if (w == 1) {
        *out = wh_xmalloc(n * sizeof(**out));
        memcpy(*out, words, n * sizeof(**out));
        return n;
    }
    if (n < w) {
        *out = wh_xmalloc(sizeof(**out));
        (*out)[0] = XXH3_64bits(words, n * sizeof(*words));
        return 1;
    }
    count = n - w + 1;
    *out = wh_xmalloc(count * sizeof(**out));
    for (j = 0; j < count; j++) {
        (*out)[j] = XXH3_64bits(words + j, w * sizeof(*words));
    }
    return count;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Sorts and removes repeats; returns the new count. */
static size_t uniq(uint64_t *h, size_t n)
{
    size_t i;
    size_t m = 0;

    if (n == 0) {
        return 0;
    }
    qsort(h, n, sizeof(*h), cmp_u64);
    for (i = 1; i < n; i++) {
        if (h[i] != h[m]) {
            h[++m] = h[i];
        }
    }
    return m + 1;
}

static uint64_t simhash(const uint64_t *h, size_t n, uint8_t *weak)
{
    int32_t v[64] = {0};
    uint32_t mag[64];
    uint64_t taken = 0;
    uint64_t fp = 0;
    size_t i;
    unsigned b;
    unsigned w;

    for (i = 0; i < n; i++) {
        for (b = 0; b < 64; b++) {
            v[b] += ((h[i] >> b) & 1) ? 1 : -1;
        }
    }
    for (b = 0; b < 64; b++) {
        if (v[b] > 0) {
            fp |= (uint64_t)1 << b;
        }
        mag[b] = v[b] < 0 ? (uint32_t) - (int64_t)v[b] : (uint32_t)v[b];
    }
    /* selection of the WH_SIMHASH_WEAK smallest magnitudes, ties to the
     * lower bit, so the order is deterministic */
    for (w = 0; w < WH_SIMHASH_WEAK; w++) {
        unsigned best = 0;
        int found = 0;

        for (b = 0; b < 64; b++) {
            if (!(taken & ((uint64_t)1 << b)) &&
                (!found || mag[b] < mag[best])) {
                best = b;
                found = 1;
            }
        }
        weak[w] = (uint8_t)best;
        taken |= (uint64_t)1 << best;
    }
    return fp;
}

/* MinHash with k multiply-add hash functions over 64-bit shingle hashes,
 * keeping the high 32 bits of each (a 32-bit collision is ~2^-32). */
static void minhash(const uint64_t *h, size_t n, unsigned k, uint32_t *out)
{
    unsigned f;
    size_t i;

    for (f = 0; f < k; f++) {
        /* odd multipliers and offsets from a fixed splitmix sequence */
        uint64_t a = XXH3_64bits_withSeed(&f, sizeof(f), 0x5eed) | 1;
        uint64_t c = XXH3_64bits_withSeed(&f, sizeof(f), 0xc0ffee);
        uint32_t m = UINT32_MAX;

        for (i = 0; i < n; i++) {
            uint32_t x = (uint32_t)((h[i] * a + c) >> 32);

            if (x < m) {
                m = x;
            }
        }
        out[f] = m;
    }
}

int wh_simhash_compute(const struct wh_simhash_params *p, const char *text,
                       size_t len, struct wh_simhash_sig *sig)
{
    uint64_t *words = NULL;
    uint64_t *kept = NULL;
    uint8_t *lens = NULL;
    uint64_t *sh = NULL;
    size_t nwords;
    size_t nkept = 0;
    size_t nsh;
    size_t i;

    if (p->shingle < 1 || p->shingle > 8 || p->minhash_shingle < 1 ||
        p->minhash_shingle > 8 || p->minhash_k < 1 ||
        p->minhash_k > WH_SIMHASH_MINHASH_MAX) {
        return WH_EINVAL;
    }
    memset(sig, 0, sizeof(*sig));
    nwords = tokenize(text, len, &words, &lens);
    sig->nwords = nwords > UINT32_MAX ? UINT32_MAX : (uint32_t)nwords;

    /* SimHash features skip words shorter than min_letters (most function
     * words), which would otherwise pull every fingerprint of a language
     * towards the same value */
    if (nwords > 0) {
        kept = wh_xmalloc(nwords * sizeof(*kept));
        for (i = 0; i < nwords; i++) {
            if (lens[i] >= p->min_letters) {
                kept[nkept++] = words[i];
            }
        }
    }
    nsh = shingles(kept, nkept, p->shingle, &sh);
    free(kept);
    free(lens);
    if (p->weight == WH_SIMHASH_SET) {
        nsh = uniq(sh, nsh);
    }
    sig->fp = simhash(sh, nsh, sig->weak);
    free(sh);

    /* a repeated shingle cannot change a minimum: no need to sort them
     * out (sorting was a third of the time) */
    nsh = shingles(words, nwords, p->minhash_shingle, &sh);
    sig->nshingles = nsh > UINT32_MAX ? UINT32_MAX : (uint32_t)nsh;
    minhash(sh, nsh, p->minhash_k, sig->minhash);
    free(sh);
    free(words);
    return WH_OK;
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

unsigned wh_simhash_distance(uint64_t a, uint64_t b)
{
    return popcount64(a ^ b);
}

double wh_simhash_similarity(const uint32_t *a, const uint32_t *b, unsigned k)
{
    unsigned i;
    unsigned eq = 0;

    if (k == 0) {
        return 0.0;
    }
    for (i = 0; i < k; i++) {
        eq += a[i] == b[i];
    }
    return (double)eq / k;
}
