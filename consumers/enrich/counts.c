/*
 * counts.c - the "counts" enricher: character and word counts of the
 * plain-text body, and a reading time.
 *
 * Characters are Unicode code points of the body (an invalid byte counts
 * as one, as the U+FFFD it stands for). Words are runs of letters and
 * digits; in scripts written without spaces (Han, kana, Thai...) each
 * character counts as a word, as word processors count East Asian text.
 * Reading time assumes 230 words a minute, and 500 characters a minute
 * for those scripts.
 *
 * ninjs carries charCount and wordCount in the bodies[] entries, which
 * struct wh_record cannot hold yet: they go into the evidence object
 * beside the reading time until it can.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/record.h"
#include "wh/wh.h"

#define COUNTS_MAX_BYTES (16u << 20) /* the whole body, up to 16 MiB */
#define WORDS_PER_MINUTE 230
#define IDEO_PER_MINUTE 500

struct counts_ctx {
    int unused;
};

static void *counts_init(const char *arg, const struct wh_config *cfg,
                         char *errstr, size_t errstr_size)
{
    (void)arg;
    (void)cfg;
    (void)errstr;
    (void)errstr_size;
    return wh_xcalloc(1, sizeof(struct counts_ctx));
}

static void counts_close(void *ctx)
{
    free(ctx);
}

static int is_ascii_alnum(unsigned char c)
{
    return (c | 0x20u) - 'a' < 26u || c - (unsigned)'0' < 10u;
}

static int counts_process(void *ctx, struct wh_record *rec,
                          const struct wh_msg_meta *meta, char *errstr,
                          size_t errstr_size)
{
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_counts);
    const char *s = rec->body_text;
    size_t len;
    size_t i = 0;
    size_t chars = 0;
    size_t words = 0;
    size_t ideo = 0;
    size_t invalid = 0;
    int in_word = 0;
    double seconds;

    (void)ctx;
    (void)meta;
    (void)errstr;
    (void)errstr_size;
    if (s == NULL || s[0] == '\0') {
        wh_enrich_unknown(ev, "empty body");
        return WH_OK;
    }
    len = strnlen(s, COUNTS_MAX_BYTES + 1);
    if (len > COUNTS_MAX_BYTES) {
        wh_enrich_unknown(ev, "body larger than %u bytes", COUNTS_MAX_BYTES);
        return WH_OK;
    }
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        int bad = 0;
        uint32_t cp;
        enum wh_enrich_class cls;

        if (c < 0x80) { /* ASCII without the class table */
            if (is_ascii_alnum(c)) {
                size_t at = i;

                words += in_word ? 0 : 1;
                in_word = 1;
                do { /* the rest of the run of letters and digits */
                    i++;
                } while (i < len && is_ascii_alnum((unsigned char)s[i]));
                chars += i - at;
                continue;
            }
            i++;
            chars++;
            if (c != '\'' && c != '-') {
                in_word = 0;
            }
            continue;
        }
        cp = wh_enrich_utf8_next(s, len, &i, &bad);
        cls = wh_enrich_cp_class_fast(cp);

        chars++;
        invalid += bad ? 1 : 0;
        if (cls == WH_CLASS_IDEO) {
            ideo++;
            in_word = 0;
        } else if (cls == WH_CLASS_LETTER || cls == WH_CLASS_DIGIT) {
            words += in_word ? 0 : 1;
            in_word = 1;
        } else if (cp != '\'' && cp != 0x2019 && cp != '-') {
            /* "don't" and "well-known" are one word each */
            in_word = 0;
        }
    }
    seconds = (double)words * 60.0 / WORDS_PER_MINUTE +
              (double)ideo * 60.0 / IDEO_PER_MINUTE;
    json_object_set_new(ev, "charCount", json_integer((json_int_t)chars));
    words += ideo;
    json_object_set_new(ev, "wordCount", json_integer((json_int_t)words));
    /* ninjs carries the counts on the text/plain body itself */
    rec->body_chars = (long)chars;
    rec->body_words = (long)words;
    json_object_set_new(ev, "readingTimeSeconds",
                        json_integer((json_int_t)(seconds + 0.5)));
    if (invalid > 0) {
        json_object_set_new(ev, "invalidBytes",
                            json_integer((json_int_t)invalid));
    }
    return WH_OK;
}

const struct wh_stage wh_enrich_counts = {
    .name = "counts",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "body character and word counts, reading time",
    .init = counts_init,
    .process = counts_process,
    .flush = NULL,
    .close = counts_close,
};
