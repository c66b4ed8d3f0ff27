/*
 * corpus.h - the labelled near-duplicate set of bench/dedup, generated at
 * run time from the articleBody texts of a ground-truth.json file (never
 * stored in the repository).
 *
 * Positives: copies of an article made with the edits syndication makes
 * (dateline added, sign-off added, a sentence reworded, a paragraph cut,
 * and mixes), kept when the copy and the original each share >= 85% of
 * their distinct word 3-shingles with the other.
 * Negatives: pairs of distinct articles of the same source dataset with
 * the highest word overlap (same topic, different story); a pair whose
 * 3-shingle overlap is >= 50% is a real duplicate in the data and is
 * left out (and counted).
 */
#ifndef WH_BENCH_CORPUS_H
#define WH_BENCH_CORPUS_H

#include <stddef.h>

struct corpus_doc {
    char *id;
    char *source; /* source_dataset */
    char *text;
};

struct corpus_pair {
    size_t a;         /* index of the original (positives) / first doc */
    size_t b;         /* index of the copy / second doc */
    const char *edit; /* positives: the edit name; negatives: "topic" */
    double overlap;   /* min containment of 3-shingle sets */
};

struct corpus {
    struct corpus_doc *docs; /* originals first, then the copies */
    size_t ndocs;
    size_t norig; /* docs[0..norig) are originals */
    struct corpus_pair *pos;
    size_t npos;
    size_t ngenerated; /* copies made before the 85% filter */
    struct corpus_pair *neg;
    size_t nneg;
    size_t nneg_real_dups; /* same-source pairs left out as real dups */
};

/* Loads path, keeps articles of at least min_words words, makes the
 * copies (deterministic) and picks up to max_neg negatives. Returns 0, or
 * -1 with a message on stderr. */
int corpus_load(struct corpus *c, const char *path, size_t min_words,
                size_t max_neg);
void corpus_free(struct corpus *c);

/* Overlap of two texts: min(|A&B|/|A|, |A&B|/|B|) over the distinct word
 * 3-shingles (exact). */
double corpus_overlap(const char *a, const char *b);

#endif
