/*
 * simhash.c - word tokens, shingles, SimHash and MinHash (see simhash.h).
 */
#include "simhash.h"

#include <stdlib.h>
#include <string.h>
/* the short-input paths of XXH3 inlined: most words are a few bytes */
#define XXH_INLINE_ALL
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

/* ASCII byte classes for the tokenizer's fast path: 0 for a separator,
 * otherwise the byte folded to lower case. */
static const unsigned char ascii_word[128] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
    ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's',
    ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z'};

/* 1 when the code point starting at s[i] is part of a word. */
static int word_at(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] < 0x80) {
        return ascii_word[s[i]] != 0;
    }
    return is_word_cp(utf8_next(s, len, &i));
}

/* Tokenizer behind wh_simhash_words(); also returns each word's length
 * in code points (capped at 255) in *lens when lens is not NULL. ASCII
 * bytes take a table lookup; other bytes are decoded. The words and
 * their hashes are those of a code point at a time decoding. */
static size_t tokenize(const char *text, size_t len, uint64_t **words,
                       uint8_t **lens)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char buf[WORD_BUF];
    uint64_t *out = NULL;
    uint8_t *olen = NULL;
    size_t wlen = 0; /* code points of the current word */
    size_t nout = 0;
    size_t cap = 0;
    size_t i = 0;
    size_t n = 0;      /* bytes in buf */
    uint64_t seed = 0; /* chains the chunks of a very long word */

    *words = NULL;
    if (lens != NULL) {
        *lens = NULL;
    }
    while (i < len) {
        /* skip separators */
        while (i < len) {
            if (s[i] < 0x80) {
                if (ascii_word[s[i]] != 0) {
                    break;
                }
                i++;
            } else {
                size_t at = i;

                if (is_word_cp(utf8_next(s, len, &i))) {
                    i = at;
                    break;
                }
            }
        }
        if (i >= len) {
            break;
        }
        /* one word, up to the first separator */
        while (i < len) {
            uint32_t cp;

            if (s[i] < 0x80) {
                unsigned char c = ascii_word[s[i]];

                if (c == 0) {
                    if (s[i] == '\'' && i + 1 < len && word_at(s, len, i + 1)) {
                        i++; /* apostrophe inside a word: dropped */
                        continue;
                    }
                    break;
                }
                if (n + 4 > sizeof(buf)) {
                    seed = XXH3_64bits_withSeed(buf, n, seed);
                    n = 0;
                }
                buf[n++] = c;
                wlen++;
                i++;
                continue;
            }
            {
                size_t at = i;

                cp = utf8_next(s, len, &i);
                if (!is_word_cp(cp)) {
                    if (cp == 0x2019 && i < len && word_at(s, len, i)) {
                        continue; /* apostrophe inside a word: dropped */
                    }
                    i = at;
                    break;
                }
            }
            if (n + 4 > sizeof(buf)) {
                seed = XXH3_64bits_withSeed(buf, n, seed);
                n = 0;
            }
            put_cp(buf, &n, fold(cp));
            wlen++;
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

/* Final mix of MurmurHash3 (fmix64): every input bit reaches every
 * output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Hash of the w word hashes at words: a polynomial over the (already
 * random) word hashes, then mixed, so no text is hashed again. */
static uint64_t combine(const uint64_t *words, size_t w)
{
    uint64_t acc = 0x27d4eb2f165667c5ULL;
    size_t j;

    for (j = 0; j < w; j++) {
        acc = (acc ^ words[j]) * 0x9fb21c651e98df25ULL;
        acc ^= acc >> 29;
    }
    return mix64(acc + w);
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
        (*out)[0] = combine(words, n);
        return 1;
    }
    count = n - w + 1;
    *out = wh_xmalloc(count * sizeof(**out));
    for (j = 0; j < count; j++) {
        (*out)[j] = combine(words + j, w);
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

/* The 8 bits of byte x spread to the 8 bytes of the result (bit j of x
 * -> byte j, as 0 or 1). */
static uint64_t spread8(uint64_t x)
{
    uint64_t t = (x * 0x0101010101010101ULL) & 0x8040201008040201ULL;

    return ((t + 0x7F7F7F7F7F7F7F7FULL) & 0x8080808080808080ULL) >> 7;
}

/* SimHash of n feature hashes: bit b is set when more features have it
 * set than clear. The ones of each bit are counted 8 bits to a 64-bit
 * word, byte-wise (flushed before a byte can overflow). */
static uint64_t simhash(const uint64_t *h, size_t n, uint8_t *weak)
{
    uint64_t ones[64] = {0};
    uint64_t acc[8];
    uint32_t mag[64];
    uint64_t taken = 0;
    uint64_t fp = 0;
    size_t i = 0;
    unsigned b;
    unsigned w;

    while (i < n) {
        size_t end = n - i > 255 ? i + 255 : n;

        memset(acc, 0, sizeof(acc));
        for (; i < end; i++) {
            for (b = 0; b < 8; b++) {
                acc[b] += spread8((h[i] >> (8 * b)) & 0xFF);
            }
        }
        for (b = 0; b < 64; b++) {
            ones[b] += (acc[b / 8] >> (8 * (b % 8))) & 0xFF;
        }
    }
    for (b = 0; b < 64; b++) {
        /* counter: +1 per feature with the bit set, -1 per one without */
        if (2 * ones[b] > n) {
            fp |= (uint64_t)1 << b;
        }
        mag[b] =
            (uint32_t)(2 * ones[b] > n ? 2 * ones[b] - n : n - 2 * ones[b]);
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

/* One-permutation MinHash (Li, Owen, Zhang 2012) with optimal
 * densification (Shrivastava 2017): each shingle hash picks one of k bins
 * with its high 32 bits and competes there with its low 32 bits, so a
 * shingle costs one multiply and one compare instead of k. A bin no
 * shingle fell into takes the value of the first filled bin of a probe
 * sequence fixed by the bin's index, the same for every text, so two
 * texts agree on it with the probability that they agree on the probed
 * bin. The fraction of equal values estimates the Jaccard similarity as
 * k-function MinHash does. An empty set leaves every value UINT32_MAX. */
static void minhash(const uint64_t *h, size_t n, unsigned k, uint32_t *out)
{
    uint8_t filled[WH_SIMHASH_MINHASH_MAX];
    unsigned f;
    unsigned nfilled = 0;
    size_t i;

    for (f = 0; f < k; f++) {
        out[f] = UINT32_MAX;
        filled[f] = 0;
    }
    for (i = 0; i < n; i++) {
        uint32_t bin = (uint32_t)(((h[i] >> 32) * k) >> 32);
        uint32_t v = (uint32_t)h[i];

        out[bin] = v < out[bin] ? v : out[bin];
        filled[bin] = 1;
    }
    for (f = 0; f < k; f++) {
        nfilled += filled[f];
    }
    if (nfilled == 0 || nfilled == k) {
        return;
    }
    for (f = 0; f < k; f++) {
        uint64_t probe;
        unsigned t;
        unsigned b = f;

        if (filled[f]) {
            continue;
        }
        /* random probes, then a bounded walk so the loop ends */
        for (t = 0; t < 4 * WH_SIMHASH_MINHASH_MAX; t++) {
            probe = mix64(((uint64_t)f << 32 | t) + 0x9e3779b97f4a7c15ULL);
            b = (unsigned)(((probe >> 32) * k) >> 32);
            if (filled[b]) {
                break;
            }
        }
        while (!filled[b]) {
            b = b + 1 < k ? b + 1 : 0;
        }
        out[f] = out[b];
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
    if (p->shingle == 1) {
        sh = kept; /* the features are the words */
        nsh = nkept;
    } else {
        nsh = shingles(kept, nkept, p->shingle, &sh);
        free(kept);
    }
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
