/*
 * text.c - UTF-8 (the shared toolbox of wh/utf8.h), approximate character
 * classes for any script, and lower case for the cased scripts news is
 * written in (see enrich.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "enrich.h"
#include "wh/utf8.h"
#include "wh/wh.h"

/* The enrichers' names for the shared UTF-8 toolbox (wh/utf8.h), whose
 * invalid-byte policy they had before it existed. */
uint32_t wh_enrich_utf8_next(const char *s, size_t len, size_t *i, int *bad)
{
    return wh_utf8_next(s, len, i, bad);
}

size_t wh_enrich_utf8_put(uint32_t cp, char *out)
{
    return wh_utf8_put(cp, out);
}

static enum wh_enrich_class ascii_class(uint32_t cp)
{
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) {
        return WH_CLASS_SPACE;
    }
    if (cp >= '0' && cp <= '9') {
        return WH_CLASS_DIGIT;
    }
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
        return WH_CLASS_LETTER;
    }
    if (cp < 0x20 || cp == 0x7F) {
        return WH_CLASS_SPACE;
    }
    return WH_CLASS_PUNCT;
}

/* Fullwidth and halfwidth forms (U+FF00..U+FFEF). */
static enum wh_enrich_class fullwidth_class(uint32_t cp)
{
    if (cp >= 0xFF10 && cp <= 0xFF19) {
        return WH_CLASS_DIGIT;
    }
    if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) ||
        (cp >= 0xFFA0 && cp <= 0xFFDC)) {
        return WH_CLASS_LETTER;
    }
    if (cp >= 0xFF66 && cp <= 0xFF9F) {
        return WH_CLASS_IDEO;
    }
    return WH_CLASS_PUNCT;
}

/* Blocks from U+2000 to U+33FF: punctuation, symbols, CJK symbols, kana. */
static enum wh_enrich_class symbol_block_class(uint32_t cp)
{
    if (cp <= 0x200B || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F) {
        return WH_CLASS_SPACE;
    }
    if (cp == 0x200C || cp == 0x200D) {
        return WH_CLASS_LETTER; /* joiners live inside words */
    }
    if (cp <= 0x205E) {
        return WH_CLASS_PUNCT;
    }
    if (cp < 0x2C00) {
        return WH_CLASS_OTHER;
    }
    if (cp < 0x2E00) {
        return WH_CLASS_LETTER;
    }
    if (cp < 0x2E80) {
        return WH_CLASS_PUNCT;
    }
    if (cp == 0x3000) {
        return WH_CLASS_SPACE;
    }
    if (cp >= 0x3001 && cp <= 0x303F) {
        return (cp >= 0x3005 && cp <= 0x3007) ? WH_CLASS_IDEO : WH_CLASS_PUNCT;
    }
    if (cp == 0x30FB) {
        return WH_CLASS_PUNCT;
    }
    if (cp < 0x3200) {
        return WH_CLASS_IDEO;
    }
    return WH_CLASS_OTHER;
}

enum wh_enrich_class wh_enrich_cp_class(uint32_t cp)
{
    if (cp < 0x80) {
        return ascii_class(cp);
    }
    if (cp <= 0xA0 || cp == 0xFEFF) {
        return WH_CLASS_SPACE;
    }
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) {
        return WH_CLASS_PUNCT;
    }
    if (cp == 0x37E || cp == 0x387 || cp == 0x589 || cp == 0x5BE ||
        cp == 0x60C || cp == 0x61B || cp == 0x61F || cp == 0x6D4 ||
        cp == 0x964 || cp == 0x965) {
        return WH_CLASS_PUNCT;
    }
    if ((cp >= 0x660 && cp <= 0x669) || (cp >= 0x6F0 && cp <= 0x6F9)) {
        return WH_CLASS_DIGIT;
    }
    if ((cp >= 0xE00 && cp <= 0xEFF) || (cp >= 0x1000 && cp <= 0x109F) ||
        (cp >= 0x1780 && cp <= 0x17FF)) {
        return WH_CLASS_IDEO; /* Thai, Lao, Myanmar, Khmer: no spaces */
    }
    if (cp < 0x2000) {
        return WH_CLASS_LETTER;
    }
    if (cp < 0x3400) {
        return symbol_block_class(cp);
    }
    if (cp < 0x4DC0 || (cp >= 0x4E00 && cp <= 0xA4CF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp < 0x40000)) {
        return WH_CLASS_IDEO;
    }
    if (cp < 0x4E00 || (cp >= 0xD800 && cp < 0xF900)) {
        return WH_CLASS_OTHER;
    }
    if (cp < 0xFE10 || (cp >= 0xFE70 && cp < 0xFF00)) {
        return WH_CLASS_LETTER;
    }
    if (cp < 0xFE70) {
        return WH_CLASS_PUNCT;
    }
    if (cp < 0xFFF0) {
        return fullwidth_class(cp);
    }
    if (cp >= 0x10000 && cp < 0x1F000) {
        return WH_CLASS_LETTER;
    }
    return WH_CLASS_OTHER;
}

/* Latin Extended-A: pairs (upper, lower) alternate; the parity of the
 * upper-case member changes at U+0139 and U+014A. */
static uint32_t latin_ext_a_lower(uint32_t cp)
{
    if (cp <= 0x137 || (cp >= 0x14A && cp <= 0x177)) {
        return (cp % 2 == 0) ? cp + 1 : cp;
    }
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) {
        return (cp % 2 == 1) ? cp + 1 : cp;
    }
    if (cp == 0x178) {
        return 0xFF;
    }
    return cp;
}

static uint32_t greek_cyrillic_lower(uint32_t cp)
{
    if ((cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
        (cp >= 0x410 && cp <= 0x42F)) {
        return cp + 0x20;
    }
    if (cp == 0x386) {
        return 0x3AC;
    }
    if (cp >= 0x388 && cp <= 0x38A) {
        return cp + 0x25;
    }
    if (cp == 0x38C) {
        return 0x3CC;
    }
    if (cp == 0x38E || cp == 0x38F) {
        return cp + 0x3F;
    }
    if (cp >= 0x400 && cp <= 0x40F) {
        return cp + 0x50;
    }
    if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF)) {
        return (cp % 2 == 0) ? cp + 1 : cp;
    }
    if (cp >= 0x531 && cp <= 0x556) {
        return cp + 0x30; /* Armenian */
    }
    return cp;
}

uint32_t wh_enrich_cp_lower(uint32_t cp)
{
    if (cp < 0x80) {
        return (cp >= 'A' && cp <= 'Z') ? cp + 0x20 : cp;
    }
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
        return cp + 0x20;
    }
    if (cp >= 0x100 && cp <= 0x17E) {
        return latin_ext_a_lower(cp);
    }
    if (cp >= 0x386 && cp <= 0x556) {
        return greek_cyrillic_lower(cp);
    }
    if (cp == 0x1E9E) {
        return 0xDF;
    }
    if (cp >= 0x1E00 && cp <= 0x1EFF) {
        return (cp % 2 == 0) ? cp + 1 : cp;
    }
    if (cp >= 0xFF21 && cp <= 0xFF3A) {
        return cp + 0x20;
    }
    return cp;
}

int wh_enrich_cp_is_upper(uint32_t cp)
{
    return wh_enrich_cp_lower(cp) != cp;
}

char *wh_enrich_lower(const char *s, size_t len)
{
    char *out = wh_xmalloc(len * 3 + 1); /* U+FFFD is 3 bytes for 1 */
    size_t i = 0;
    size_t o = 0;

    while (i < len) {
        o += wh_enrich_utf8_put(
            wh_enrich_cp_lower(wh_enrich_utf8_next(s, len, &i, NULL)), out + o);
    }
    out[o] = '\0';
    return out;
}

size_t wh_enrich_lower_buf(const char *s, size_t len, char *out, size_t size)
{
    size_t i = 0;
    size_t o = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;

        if (c < 0x80) {
            if (o + 4 >= size) {
                return (size_t)-1; /* the same bound as below */
            }
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
            i++;
            continue;
        }
        cp = wh_enrich_cp_lower(wh_enrich_utf8_next(s, len, &i, NULL));
        if (o + 4 >= size) {
            return (size_t)-1;
        }
        o += wh_enrich_utf8_put(cp, out + o);
    }
    if (o >= size) {
        return (size_t)-1;
    }
    out[o] = '\0';
    return o;
}
