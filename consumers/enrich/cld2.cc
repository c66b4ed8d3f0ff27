/*
 * cld2.cc - wh_cld2_detect() over libcld2's C++ interface (see cld2.h).
 * Written in the C subset of C++ the call needs; no exception can leave
 * libcld2's detection call (it allocates nothing when no result-chunk
 * vector is asked for).
 */
#include "cld2.h"

#include <climits>
#include <cstdio>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

void wh_cld2_detect(const char *s, size_t len, int best_effort,
                    struct wh_cld2_result *out)
{
    CLD2::CLDHints hints = {NULL, NULL, CLD2::UNKNOWN_ENCODING,
                            CLD2::UNKNOWN_LANGUAGE};
    CLD2::Language lang3[3];
    int percent3[3];
    double score3[3];
    int text_bytes = 0;
    bool reliable = false;
    int k;

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    CLD2::ExtDetectLanguageSummary(
        s, (int)len, true, &hints, best_effort ? CLD2::kCLDFlagBestEffort : 0,
        lang3, percent3, score3, NULL, &text_bytes, &reliable);
    for (k = 0; k < 3; k++) {
        snprintf(out->code[k], sizeof(out->code[k]), "%s",
                 CLD2::LanguageCode(lang3[k]));
        out->percent[k] = percent3[k];
        out->score[k] = score3[k];
    }
    out->text_bytes = text_bytes;
    out->reliable = reliable ? 1 : 0;
}

const char *wh_cld2_version(void)
{
    return CLD2::DetectLanguageVersion();
}
