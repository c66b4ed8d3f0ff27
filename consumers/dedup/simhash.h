/*
 * simhash.h - body text -> word tokens -> shingles -> a 64-bit SimHash
 * (Charikar) for candidate search and a MinHash signature to confirm a
 * candidate (estimated Jaccard similarity of the word 3-shingle sets).
 *
 * Normalization is Unicode-agnostic: the text is decoded as UTF-8, a word
 * is a maximal run of letters and digits, where "letter" means any code
 * point outside the ASCII, Latin-1, general, CJK and fullwidth punctuation
 * and symbol ranges. Case is folded for ASCII, Latin-1, basic Greek and
 * basic Cyrillic; an apostrophe (' or U+2019) between two word characters
 * is dropped, so "don't" and "don’t" are the same word. Invalid UTF-8
 * bytes count as letters (nothing is lost, nothing crashes).
 *
 * All functions are pure and thread-safe.
 */
#ifndef WH_DEDUP_SIMHASH_H
#define WH_DEDUP_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

#define WH_SIMHASH_MINHASH_MAX 128
#define WH_SIMHASH_WEAK 16 /* weakest fingerprint bits kept for probing */

/* How SimHash features are weighted. */
enum wh_simhash_weight {
    WH_SIMHASH_SET, /* each distinct shingle counts once */
    WH_SIMHASH_TF   /* each occurrence counts (term frequency) */
};

struct wh_simhash_params {
    unsigned shingle; /* words per SimHash feature, 1..8 */
    enum wh_simhash_weight weight;
    unsigned min_letters;     /* SimHash skips words with fewer letters */
    unsigned minhash_shingle; /* words per MinHash shingle, 1..8 */
    unsigned minhash_k;       /* MinHash values, 1..WH_SIMHASH_MINHASH_MAX */
};

/* The parameters chosen from bench/dedup measurements (see
 * docs/dedup.md): SimHash over the words of 4 letters or more, each
 * occurrence counted (short function words would pull every fingerprint
 * of a language to the same value); 64 MinHash values over word
 * 3-shingles. */
void wh_simhash_params_default(struct wh_simhash_params *p);

struct wh_simhash_sig {
    uint64_t fp;        /* 64-bit SimHash */
    uint32_t nwords;    /* words in the text */
    uint32_t nshingles; /* MinHash shingles (repeats counted) */
    uint32_t minhash[WH_SIMHASH_MINHASH_MAX]; /* minhash_k values used */
    /* Bit positions of fp whose SimHash counters were closest to zero,
     * weakest first: the bits an edit of the text flips most often. */
    uint8_t weak[WH_SIMHASH_WEAK];
};

/* Splits len bytes of text into words and stores the 64-bit hash of each
 * normalized word in *words (a new array the caller frees with free();
 * NULL when there is no word). Returns the number of words. */
size_t wh_simhash_words(const char *text, size_t len, uint64_t **words);

/* Computes the signature of len bytes of text. A text with fewer words
 * than a shingle uses one shingle of all its words; an empty text gives
 * fp 0, nwords 0 and every MinHash value UINT32_MAX. Returns WH_OK, or
 * WH_EINVAL when a parameter is out of range. */
int wh_simhash_compute(const struct wh_simhash_params *p, const char *text,
                       size_t len, struct wh_simhash_sig *sig);

/* Number of differing bits between two fingerprints (0..64). */
unsigned wh_simhash_distance(uint64_t a, uint64_t b);

/* Estimated Jaccard similarity (0..1) of the shingle sets behind two
 * MinHash signatures of k values each: the fraction of equal values. */
double wh_simhash_similarity(const uint32_t *a, const uint32_t *b, unsigned k);

#endif
