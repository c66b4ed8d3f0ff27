/*
 * cld2.h - a C interface to Debian's libcld2 (Compact Language Detector
 * 2, the detector Chromium used), whose own interface is C++: cld2.cc is
 * the only C++ file of the tree and holds nothing but this call.
 *
 * Threads: libcld2's tables are constant; wh_cld2_detect() is reentrant.
 */
#ifndef WH_ENRICH_CLD2_H
#define WH_ENRICH_CLD2_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libcld2 says of a text: its top three languages with the share of
 * the text's letters each holds and a score near 1.0 for normal text of
 * that language (far from it for skewed text or gibberish). */
struct wh_cld2_result {
    char code[3][16]; /* libcld2's codes ("en", "zh-Hant", "iw"); "un" */
    int percent[3];   /* 0..100 */
    double score[3];  /* normalized score, 0 when absent */
    int text_bytes;   /* letters it scored (tags and digits skipped) */
    int reliable;     /* 1 when the first is clearly the most probable */
};

/* Detects the languages of plain text s[0..len), which must be valid
 * UTF-8 (the enrichers' input is); len is capped at INT_MAX. best_effort
 * 1 asks for an answer even where libcld2 would say "un" (short or
 * skewed text; its score then tells how well the text fits). Fills *out;
 * never fails (an unknown text has code "un"). */
void wh_cld2_detect(const char *s, size_t len, int best_effort,
                    struct wh_cld2_result *out);

/* libcld2's version string. */
const char *wh_cld2_version(void);

#ifdef __cplusplus
}
#endif

#endif
