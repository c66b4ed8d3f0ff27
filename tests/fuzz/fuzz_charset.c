/*
 * fuzz_charset.c - a page in any charset to UTF-8
 * (producers/extract/charset.c). The first line of the input is the HTTP
 * charset (empty: none), the rest the page. Invariants: the output is
 * valid UTF-8 without NUL or C0 controls other than tab, CR, LF and FF, its
 * length is as told; when no copy is made, the input itself is so; the
 * time is linear.
 */
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"
#include "fuzz.h"

static void check_clean(const char *what, const char *s, size_t len)
{
    size_t i;

    if (!fuzz_utf8_valid(s, len)) {
        fuzz_fail("%s is not valid UTF-8", what);
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f') {
            fuzz_fail("%s holds control 0x%02x at %zu", what, c, i);
        }
    }
}

static int run(const uint8_t *data, size_t size)
{
    char *cs;
    const uint8_t *page;
    size_t len;
    size_t out_len = 0;
    const char *used = NULL;
    char *out;

    fuzz_split_line(data, size, 64, &cs, &page, &len);
    out = wh_extract_to_utf8((const char *)page, len, cs[0] != '\0' ? cs : NULL,
                             &out_len, &used);
    (void)wh_extract_looks_binary((const char *)page, len);
    if (used == NULL) {
        fuzz_fail("no charset named");
    }
    if (out != NULL) {
        if (strlen(out) != out_len) {
            fuzz_fail("output length %zu, told %zu", strlen(out), out_len);
        }
        check_clean("the output", out, out_len);
    } else {
        if (out_len != len) {
            fuzz_fail("no copy, but the length told is %zu of %zu", out_len,
                      len);
        }
        check_clean("an input used as it is", (const char *)page, len);
    }
    free(out);
    free(cs);
    return 0;
}

const struct fuzz_target fuzz_target = {"charset", run, 50, 300};
