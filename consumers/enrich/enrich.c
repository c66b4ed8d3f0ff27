/*
 * enrich.c - what the enrichers share: the extension-object layout,
 * bounded UTF-8 decoding, character classes, the tokenizer and word lists.
 */
#include "enrich.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libstemmer.h>

#include "wh/buf.h"
#include "wh/config.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

#ifndef WH_DATADIR
#define WH_DATADIR "/usr/share/wirehose"
#endif

#define REPLACEMENT 0xFFFDu

const struct wh_config_key wh_enrich_config_keys[] = {
    WH_KEY_PATH("enrich.data_dir", WH_DATADIR,
                "directory of enrichment data (stop words, gazetteers, "
                "topics)"),
    WH_KEY_INT("enrich.max_bytes", "65536", 256, 16 << 20, "bytes",
               "most bytes of text an enricher reads per record"),
    WH_KEY_INT("enrich.keywords", "10", 1, 100, NULL,
               "how many keywords to keep"),
    WH_KEY_END};

const char *wh_enrich_data_dir(const struct wh_config *cfg)
{
    return wh_config_str(cfg, wh_enrich_config_keys, "enrich.data_dir");
}

char *wh_enrich_data_path(const struct wh_config *cfg, const char *rel)
{
    return wh_xasprintf("%s/%s", wh_enrich_data_dir(cfg), rel);
}

int wh_enrich_data_check(const struct wh_config *cfg, const char *rel,
                         char *errstr, size_t errstr_size)
{
    char *path = wh_enrich_data_path(cfg, rel);
    int rc = WH_OK;

    if (access(path, R_OK) != 0) {
        snprintf(errstr, errstr_size, "%s: %s (set enrich.data_dir)", path,
                 strerror(errno));
        rc = WH_ENOENT;
    }
    free(path);
    return rc;
}

int wh_enrich_check_data(const struct wh_config *cfg,
                         const char *const *rels, size_t n, char *errstr,
                         size_t errstr_size)
{
    char reason[512];
    size_t i;

    if (wh_config_check_dir(wh_enrich_data_dir(cfg), 0, reason,
                            sizeof(reason)) != WH_OK) {
        snprintf(errstr, errstr_size, "%s: enrich.data_dir: %s",
                 wh_config_origin(cfg, "enrich.data_dir"), reason);
        return WH_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (wh_enrich_data_check(cfg, rels[i], errstr, errstr_size) !=
            WH_OK) {
            return WH_ENOENT;
        }
    }
    return WH_OK;
}

/* ---- extension object ---- */

/* jansson returns NULL only on out-of-memory here (our strings are valid
 * UTF-8): treat it like wh_xmalloc does. */
static json_t *xjson(json_t *j)
{
    WH_ASSERT(j != NULL);
    return j;
}

static json_t *child_object(json_t *parent, const char *key)
{
    json_t *obj = json_object_get(parent, key);

    if (!json_is_object(obj)) {
        obj = xjson(json_object());
        json_object_set_new(parent, key, obj);
    }
    return obj;
}

json_t *wh_enrich_begin(struct wh_record *rec, const struct wh_stage *st)
{
    json_t *ev;

    if (!json_is_object(rec->ext)) {
        json_decref(rec->ext);
        rec->ext = xjson(json_object());
    }
    json_object_set_new(child_object(rec->ext, "enrichments"), st->name,
                        xjson(json_string(st->version)));
    ev = xjson(json_object());
    json_object_set_new(child_object(rec->ext, "enrich"), st->name, ev);
    return ev;
}

void wh_enrich_unknown(json_t *ev, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    size_t len;
    size_t i = 0;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    len = strlen(why);
    va_end(ap);
    /* vsnprintf may have cut a character in two: keep the valid prefix,
     * which json_string() accepts */
    while (i < len) {
        size_t at = i;
        int bad = 0;

        (void)wh_enrich_utf8_next(why, len, &i, &bad);
        if (bad) {
            len = at;
            break;
        }
    }
    json_object_set_new(ev, "unknown", xjson(json_stringn(why, len)));
}

json_t *wh_enrich_extra(struct wh_record *rec)
{
    if (!json_is_object(rec->extra)) {
        json_decref(rec->extra);
        rec->extra = xjson(json_object());
    }
    return rec->extra;
}

/* ---- UTF-8 ---- */

uint32_t wh_enrich_utf8_next(const char *s, size_t len, size_t *i, int *bad)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    uint32_t cp;
    uint32_t min;
    size_t n;
    size_t k;

    if (p[0] < 0x80) {
        *i += 1;
        return p[0];
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        cp = p[0] & 0x1Fu;
        min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        cp = p[0] & 0x0Fu;
        min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        cp = p[0] & 0x07u;
        min = 0x10000;
    } else {
        goto invalid;
    }
    if (left < n) {
        goto invalid;
    }
    for (k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            goto invalid;
        }
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        goto invalid;
    }
    *i += n;
    return cp;
invalid:
    if (bad != NULL) {
        *bad = 1;
    }
    *i += 1;
    return REPLACEMENT;
}

size_t wh_enrich_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
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

/* ---- input text ---- */

/* Appends s[0..len) to b, replacing invalid sequences with U+FFFD; valid
 * runs are copied in one go. Returns the number of invalid bytes. */
static size_t append_clean(struct wh_buf *b, const char *s, size_t len)
{
    static const char repl[] = "\xEF\xBF\xBD";
    size_t run = 0;
    size_t i = 0;
    size_t invalid = 0;

    while (i < len) {
        size_t at = i;
        int bad = 0;

        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        (void)wh_enrich_utf8_next(s, len, &i, &bad);
        if (bad) {
            WH_ASSERT(wh_buf_append(b, s + run, at - run) == WH_OK);
            WH_ASSERT(wh_buf_append(b, repl, 3) == WH_OK);
            invalid++;
            run = i;
        }
    }
    WH_ASSERT(wh_buf_append(b, s + run, len - run) == WH_OK);
    return invalid;
}

void wh_enrich_input_build(struct wh_enrich_input *in,
                           const struct wh_record *rec, unsigned parts,
                           size_t cap)
{
    const char *part[3];
    unsigned bit[3] = {WH_INPUT_HEADLINE, WH_INPUT_DESCRIPTION, WH_INPUT_BODY};
    struct wh_buf b;
    size_t left = cap;
    size_t k;

    part[0] = rec->headline;
    part[1] = rec->description;
    part[2] = rec->body_text;
    memset(in, 0, sizeof(*in));
    wh_buf_init(&b, 0);
    in->body_off = (size_t)-1;
    for (k = 0; k < 3; k++) {
        size_t n;
        size_t take;

        if ((parts & bit[k]) == 0 || part[k] == NULL || part[k][0] == '\0') {
            continue;
        }
        if (left == 0) {
            in->truncated = 1;
            break;
        }
        if (b.len > 0) {
            WH_ASSERT(wh_buf_append(&b, "\n\n", 2) == WH_OK);
        }
        if (bit[k] == WH_INPUT_BODY) {
            in->body_off = b.len;
        }
        /* strnlen: never walk a 10 MB body past the cap */
        n = strnlen(part[k], left + 1);
        take = n < left ? n : left;
        while (take > 0 && take < n &&
               ((unsigned char)part[k][take] & 0xC0) == 0x80) {
            take--; /* do not cut a character in two */
        }
        if (take < n) {
            in->truncated = 1;
        }
        in->invalid += append_clean(&b, part[k], take);
        left -= take;
    }
    in->len = b.len;
    in->text = wh_buf_steal(&b);
    if (in->body_off == (size_t)-1) {
        in->body_off = in->len;
    }
}

void wh_enrich_input_free(struct wh_enrich_input *in)
{
    free(in->text);
    in->text = NULL;
    in->len = 0;
}

/* ---- tokenizer ---- */

/* Words after which a period does not end a sentence. */
static const char *const abbreviations[] = {
    "Mr",   "Mrs", "Ms",   "Dr",     "St",    "Jr",   "Sr",   "Prof", "Gen",
    "Sen",  "Rep", "Gov",  "Lt",     "Col",   "Capt", "Sgt",  "Maj",  "Adm",
    "Rev",  "Hon", "Inc",  "Corp",   "Ltd",   "Co",   "No",   "vs",   "Mt",
    "Ft",   "Jan", "Feb",  "Mar",    "Apr",   "Jun",  "Jul",  "Aug",  "Sep",
    "Sept", "Oct", "Nov",  "Dec",    "Calif", "Mass", "Fla",  "Ariz", "Wash",
    "Pa",   "Va",  "Md",   "Mich",   "Ill",   "Conn", "Tenn", "Ky",   "Ga",
    "La",   "Ala", "Minn", "Wis",    "Okla",  "Ore",  "Nev",  "Colo", "Ind",
    "Kan",  "Neb", "Del",  "approx", "etc"};

static int is_abbreviation(const char *s, size_t len)
{
    size_t k;

    if (len == 1 && wh_enrich_cp_is_upper((unsigned char)s[0])) {
        return 1; /* an initial: "J. Smith" */
    }
    if (memchr(s, '.', len) != NULL) {
        return 1; /* "U.S." */
    }
    for (k = 0; k < WH_ARRAY_SIZE(abbreviations); k++) {
        if (abbreviations[k][0] == s[0] && strlen(abbreviations[k]) == len &&
            memcmp(abbreviations[k], s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

void wh_enrich_tok_init(struct wh_enrich_tokenizer *tz, const char *s,
                        size_t len, size_t body_off)
{
    tz->s = s;
    tz->len = len;
    tz->pos = 0;
    tz->index = 0;
    tz->body_off = body_off;
    tz->pending = WH_TOK_SENT | WH_TOK_PARA;
    tz->last = NULL;
    tz->last_len = 0;
}

static int is_word_class(enum wh_enrich_class cls)
{
    return cls == WH_CLASS_LETTER || cls == WH_CLASS_DIGIT ||
           cls == WH_CLASS_IDEO;
}

static int is_opening_quote(uint32_t cp)
{
    return cp == '"' || cp == 0x201C || cp == 0x201E || cp == 0xAB ||
           cp == 0x2018 || cp == 0x300C || cp == 0x300E;
}

static int is_sentence_end(uint32_t cp)
{
    return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 ||
           cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == 0x61F ||
           cp == 0x6D4 || cp == 0x964;
}

/* Skips what separates two words, gathering the flags it implies.
 * Returns 0 at the end of the text. */
static int skip_separators(struct wh_enrich_tokenizer *tz)
{
    int newlines = 0;

    while (tz->pos < tz->len) {
        size_t at = tz->pos;
        uint32_t cp = wh_enrich_utf8_next_fast(tz->s, tz->len, &tz->pos);
        enum wh_enrich_class cls = wh_enrich_cp_class_fast(cp);

        if (is_word_class(cls)) {
            tz->pos = at;
            return 1;
        }
        if (cp == '\n') {
            tz->pending |= WH_TOK_BREAK;
            newlines++;
            if (newlines >= 2) {
                tz->pending |= WH_TOK_PARA | WH_TOK_SENT;
            }
        } else if (is_sentence_end(cp)) {
            tz->pending |= WH_TOK_BREAK;
            if (cp != '.' || tz->last == NULL ||
                !is_abbreviation(tz->last, tz->last_len)) {
                tz->pending |= WH_TOK_SENT;
            }
        } else if (is_opening_quote(cp)) {
            tz->pending |= WH_TOK_SENT | WH_TOK_BREAK;
        } else if (cls == WH_CLASS_PUNCT && cp != '-' && cp != '&') {
            tz->pending |= WH_TOK_BREAK;
        } else if (cls == WH_CLASS_OTHER) {
            tz->pending |= WH_TOK_BREAK;
        }
        if (at == tz->body_off && tz->body_off != 0) {
            tz->pending |= WH_TOK_PARA | WH_TOK_SENT | WH_TOK_BREAK;
        }
    }
    return 0;
}

/* Characters that may join two runs of letters into one word. */
static int is_joiner(uint32_t cp)
{
    return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 ||
           cp == 0x2011 || cp == '.';
}

int wh_enrich_tok_next(struct wh_enrich_tokenizer *tz,
                       struct wh_enrich_token *tok)
{
    size_t start;
    size_t letters = 0;
    size_t uppers = 0;
    int dotted = 0;
    unsigned flags;

    if (!skip_separators(tz)) {
        return 0;
    }
    start = tz->pos;
    flags = tz->pending;
    tz->pending = 0;
    if (start < tz->body_off) {
        flags |= WH_TOK_HEAD;
    }
    for (;;) {
        size_t at = tz->pos;
        uint32_t cp;
        enum wh_enrich_class cls;

        if (at >= tz->len) {
            break;
        }
        cp = wh_enrich_utf8_next_fast(tz->s, tz->len, &tz->pos);
        cls = wh_enrich_cp_class_fast(cp);
        if (cls == WH_CLASS_IDEO) {
            if (at == start) {
                flags |= WH_TOK_IDEO; /* one character, one word */
            } else {
                tz->pos = at;
            }
            break;
        }
        if (cls == WH_CLASS_LETTER) {
            if (letters == 0 && wh_enrich_cp_is_upper(cp)) {
                flags |= WH_TOK_CAP;
            }
            letters++;
            uppers += wh_enrich_cp_is_upper(cp) ? 1 : 0;
            continue;
        }
        if (cls == WH_CLASS_DIGIT) {
            flags |= WH_TOK_DIGIT;
            continue;
        }
        if (is_joiner(cp) && tz->pos < tz->len) {
            size_t next = tz->pos;
            uint32_t cp2 = wh_enrich_utf8_next_fast(tz->s, tz->len, &next);
            enum wh_enrich_class cls2 = wh_enrich_cp_class_fast(cp2);

            if (cls2 == WH_CLASS_LETTER || cls2 == WH_CLASS_DIGIT) {
                dotted |= cp == '.';
                continue; /* the next turn reads cp2 */
            }
            if (cp == '.' && dotted) {
                break; /* "U.S." keeps its final period */
            }
        }
        tz->pos = at;
        break;
    }
    if (letters >= 2 && uppers == letters) {
        flags |= WH_TOK_UPPER;
    }
    tok->s = tz->s + start;
    tok->len = tz->pos - start;
    tok->index = tz->index++;
    tok->flags = flags;
    tz->last = tok->s;
    tz->last_len = tok->len;
    return 1;
}

/* ---- word lists ---- */

struct word_slot {
    char *key; /* NULL: empty slot */
    size_t len;
    unsigned val;
    char *form; /* the entry as written in the file, or NULL */
};

struct wh_enrich_words {
    struct word_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

struct wh_enrich_words *wh_enrich_words_new(void)
{
    struct wh_enrich_words *w = wh_xcalloc(1, sizeof(*w));

    w->cap = 64;
    w->slots = wh_xcalloc(w->cap, sizeof(*w->slots));
    return w;
}

void wh_enrich_words_free(struct wh_enrich_words *w)
{
    size_t k;

    if (w == NULL) {
        return;
    }
    for (k = 0; k < w->cap; k++) {
        free(w->slots[k].key);
        free(w->slots[k].form);
    }
    free(w->slots);
    free(w);
}

static struct word_slot *words_slot(const struct wh_enrich_words *w,
                                    const char *key, size_t len)
{
    size_t k = (size_t)wh_hash64(key, len) & (w->cap - 1);

    for (;;) {
        struct word_slot *slot = &w->slots[k];

        if (slot->key == NULL ||
            (slot->len == len && memcmp(slot->key, key, len) == 0)) {
            return slot;
        }
        k = (k + 1) & (w->cap - 1);
    }
}

static void words_grow(struct wh_enrich_words *w)
{
    struct word_slot *old = w->slots;
    size_t old_cap = w->cap;
    size_t k;

    w->cap *= 2;
    w->slots = wh_xcalloc(w->cap, sizeof(*w->slots));
    for (k = 0; k < old_cap; k++) {
        if (old[k].key != NULL) {
            *words_slot(w, old[k].key, old[k].len) = old[k];
        }
    }
    free(old);
}

void wh_enrich_words_add(struct wh_enrich_words *w, const char *key, size_t len,
                         unsigned val)
{
    struct word_slot *slot;

    if ((w->count + 1) * 2 > w->cap) {
        words_grow(w);
    }
    slot = words_slot(w, key, len);
    if (slot->key == NULL) {
        slot->key = wh_xstrndup(key, len);
        slot->len = len;
        w->count++;
    }
    slot->val |= val;
}

unsigned wh_enrich_words_get(const struct wh_enrich_words *w, const char *key,
                             size_t len)
{
    return words_slot(w, key, len)->val;
}

const char *wh_enrich_words_form(const struct wh_enrich_words *w,
                                 const char *key, size_t len)
{
    return words_slot(w, key, len)->form;
}

size_t wh_enrich_words_count(const struct wh_enrich_words *w)
{
    return w->count;
}

int wh_enrich_words_load(struct wh_enrich_words *w, const char *path,
                         unsigned val, int lower, char *errstr,
                         size_t errstr_size)
{
    char line[1024];
    FILE *fp = fopen(path, "r");
    int lineno = 0;
    int rc = WH_OK;

    if (fp == NULL) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? WH_ENOENT : WH_EIO;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t len = strlen(line);
        const char *s = line;
        int bad = 0;
        size_t i = 0;

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            snprintf(errstr, errstr_size, "%s:%d: line too long", path, lineno);
            rc = WH_EINVAL;
            goto out;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t')) {
            line[--len] = '\0';
        }
        while (*s == ' ' || *s == '\t') {
            s++;
            len--;
        }
        if (len == 0 || *s == '#') {
            continue;
        }
        while (i < len) {
            (void)wh_enrich_utf8_next(s, len, &i, &bad);
        }
        if (bad) {
            snprintf(errstr, errstr_size, "%s:%d: invalid UTF-8", path, lineno);
            rc = WH_EINVAL;
            goto out;
        }
        if (lower) {
            char *low = wh_enrich_lower(s, len);
            struct word_slot *slot;

            wh_enrich_words_add(w, low, strlen(low), val);
            slot = words_slot(w, low, strlen(low));
            if (slot->form == NULL) {
                slot->form = wh_xstrndup(s, len);
            }
            free(low);
        } else {
            wh_enrich_words_add(w, s, len, val);
        }
    }
    if (ferror(fp)) {
        snprintf(errstr, errstr_size, "%s: read error", path);
        rc = WH_EIO;
    }
out:
    fclose(fp);
    return rc;
}

void wh_enrich_primary_lang(const char *tag, char out[8])
{
    size_t n = 0;

    out[0] = '\0';
    if (tag == NULL) {
        return;
    }
    while (n < 7 && ((tag[n] >= 'a' && tag[n] <= 'z') ||
                     (tag[n] >= 'A' && tag[n] <= 'Z'))) {
        out[n] = (char)(tag[n] | 0x20);
        n++;
    }
    if (n < 2 || n > 3 || (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_')) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
}

/* ---- per-language resources ---- */

#define LANGS_MAX 64 /* languages cached; more get no resources */

/* ---- stem memo: lower-case word -> stem, per language ---- */

/* Slots (powers of two): the table starts small, doubles when half full
 * up to STEMS_MAX_SLOTS, and is emptied when that is half full: 32768
 * words (bench/consume's 1402 real articles hold 27392 distinct ones; a
 * table of 8192 words emptied itself every 200 records and stemmed a
 * third of the words again). About 1 MB of slots and 1 MB of words at
 * the most, per language in use. */
#define STEMS_MIN_SLOTS 4096
#define STEMS_MAX_SLOTS 65536

struct stem_slot {
    char *word; /* "word\0stem\0" in one allocation; NULL: empty */
    uint32_t word_len;
    uint32_t stem_len;
};

struct wh_enrich_stems {
    struct stem_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

static void stems_clear(struct wh_enrich_stems *m)
{
    size_t k;

    for (k = 0; k < m->cap; k++) {
        free(m->slots[k].word);
        m->slots[k].word = NULL;
    }
    m->count = 0;
}

static void stems_free(struct wh_enrich_stems *m)
{
    if (m != NULL) {
        stems_clear(m);
        free(m->slots);
        free(m);
    }
}

/* The free slot for a word not in the table (m->cap slots). */
static struct stem_slot *stems_free_slot(struct wh_enrich_stems *m,
                                         const char *w, size_t len)
{
    size_t k = (size_t)wh_hash64(w, len) & (m->cap - 1);

    while (m->slots[k].word != NULL) {
        k = (k + 1) & (m->cap - 1);
    }
    return &m->slots[k];
}

/* Doubles the table, keeping its words. */
static void stems_grow(struct wh_enrich_stems *m)
{
    struct stem_slot *old = m->slots;
    size_t old_cap = m->cap;
    size_t k;

    m->cap *= 2;
    m->slots = wh_xcalloc(m->cap, sizeof(*m->slots));
    for (k = 0; k < old_cap; k++) {
        if (old[k].word != NULL) {
            *stems_free_slot(m, old[k].word, old[k].word_len) = old[k];
        }
    }
    free(old);
}

/* The stem of the lower-case word w (len bytes) in lang: from the memo,
 * else from the stemmer (remembered). Sets *stem_len; the result is
 * valid until the next call for lang. */
static struct wh_enrich_stems *stems_memo(struct wh_enrich_lang *lang)
{
    struct wh_enrich_stems *m = lang->memo;

    if (m == NULL) {
        m = wh_xcalloc(1, sizeof(*m));
        m->cap = STEMS_MIN_SLOTS;
        m->slots = wh_xcalloc(m->cap, sizeof(*m->slots));
        lang->memo = m;
    }
    return m;
}

/* hash is wh_hash64(w, len). */
static const char *stem_word(struct wh_enrich_lang *lang, const char *w,
                             size_t len, uint64_t hash, size_t *stem_len)
{
    struct wh_enrich_stems *m = stems_memo(lang);
    struct stem_slot *slot;
    const sb_symbol *r;
    size_t k;
    size_t n;

    k = (size_t)hash & (m->cap - 1);
    while (m->slots[k].word != NULL) {
        slot = &m->slots[k];
        if (slot->word_len == len && memcmp(slot->word, w, len) == 0) {
            *stem_len = slot->stem_len;
            return slot->word + len + 1;
        }
        k = (k + 1) & (m->cap - 1);
    }
    r = sb_stemmer_stem(lang->stemmer, (const sb_symbol *)w, (int)len);
    n = r != NULL ? (size_t)sb_stemmer_length(lang->stemmer) : 0;
    if (r == NULL || len > UINT32_MAX || n > UINT32_MAX) {
        *stem_len = len; /* out of memory in libstemmer: the word itself */
        return w;
    }
    if (m->count >= m->cap / 2) {
        if (m->cap < STEMS_MAX_SLOTS) {
            stems_grow(m);
        } else {
            stems_clear(m); /* bounded: start again */
        }
        slot = stems_free_slot(m, w, len);
    } else {
        slot = &m->slots[k];
    }
    slot->word = wh_xmalloc(len + n + 2);
    memcpy(slot->word, w, len);
    slot->word[len] = '\0';
    memcpy(slot->word + len + 1, r, n);
    slot->word[len + 1 + n] = '\0';
    slot->word_len = (uint32_t)len;
    slot->stem_len = (uint32_t)n;
    m->count++;
    *stem_len = n;
    return slot->word + len + 1;
}

struct wh_enrich_langs {
    char *data_dir;
    struct wh_enrich_lang v[LANGS_MAX];
    size_t n;
    struct wh_enrich_lang none;
};

struct wh_enrich_langs *wh_enrich_langs_new(const struct wh_config *cfg)
{
    struct wh_enrich_langs *langs = wh_xcalloc(1, sizeof(*langs));

    langs->data_dir = wh_xstrdup(wh_enrich_data_dir(cfg));
    return langs;
}

void wh_enrich_langs_free(struct wh_enrich_langs *langs)
{
    size_t k;

    if (langs == NULL) {
        return;
    }
    for (k = 0; k < langs->n; k++) {
        if (langs->v[k].stemmer != NULL) {
            sb_stemmer_delete(langs->v[k].stemmer);
        }
        wh_enrich_words_free(langs->v[k].stop);
        stems_free(langs->v[k].memo);
    }
    free(langs->data_dir);
    free(langs);
}

struct wh_enrich_lang *wh_enrich_langs_get(struct wh_enrich_langs *langs,
                                           const char *tag)
{
    struct wh_enrich_lang *lang;
    char code[8];
    char errstr[256];
    char *path;
    size_t k;

    wh_enrich_primary_lang(tag, code);
    if (code[0] == '\0' || strcmp(code, "und") == 0) {
        return &langs->none;
    }
    for (k = 0; k < langs->n; k++) {
        if (strcmp(langs->v[k].code, code) == 0) {
            return &langs->v[k];
        }
    }
    if (langs->n == LANGS_MAX) {
        return &langs->none;
    }
    lang = &langs->v[langs->n++];
    memcpy(lang->code, code, sizeof(code));
    /* code is 2 or 3 ASCII letters: safe in a path and for libstemmer */
    lang->stemmer = sb_stemmer_new(code, "UTF_8");
    path = wh_xasprintf("%s/enrich/stopwords/%s.txt", langs->data_dir, code);
    lang->stop = wh_enrich_words_new();
    if (wh_enrich_words_load(lang->stop, path, 1, 1, errstr, sizeof(errstr)) !=
        WH_OK) {
        wh_enrich_words_free(lang->stop);
        lang->stop = NULL;
    }
    free(path);
    return lang;
}

/* ---- datelines ---- */

size_t wh_enrich_dateline_end(const char *s, size_t len)
{
    size_t max = len < 120 ? len : 120;
    size_t i;
    size_t caps = 0;

    while (caps < max && s[caps] >= 'A' && s[caps] <= 'Z') {
        caps++;
    }
    for (i = 1; i < max && s[i] != '\n'; i++) {
        size_t dash = 0;
        size_t j = i;

        if (i + 3 <= len && (memcmp(s + i, "\xE2\x80\x94", 3) == 0 ||
                             memcmp(s + i, "\xE2\x80\x93", 3) == 0)) {
            dash = 3;
        } else if (s[i] == '-' && s[i - 1] == ' ') {
            dash = (i + 1 < len && s[i + 1] == '-') ? 2 : 1;
        } else {
            continue;
        }
        while (j > 0 && s[j - 1] == ' ') {
            j--;
        }
        return (caps >= 2 || (j > 0 && s[j - 1] == ')')) ? i + dash : 0;
    }
    return 0;
}

/* ---- term bag ---- */

static void terms_grow_slots(struct wh_enrich_terms *t)
{
    size_t k;

    free(t->slots);
    t->nslots = t->nslots == 0 ? 256 : t->nslots * 2;
    t->slots = wh_xcalloc(t->nslots, sizeof(*t->slots));
    for (k = 0; k < t->n; k++) {
        size_t h = (size_t)t->v[k].hash & (t->nslots - 1);

        while (t->slots[h] != 0) {
            h = (h + 1) & (t->nslots - 1);
        }
        t->slots[h] = k + 1;
    }
}

/* Stems and forms go to one arena (offsets while it may move; pointers
 * once the bag is built): a record's few hundred terms cost one
 * allocation, not one each. */
static void terms_add(struct wh_enrich_terms *t, const char *stem,
                      size_t stem_len, const char *form, size_t form_len,
                      double weight, size_t index)
{
    struct wh_enrich_term *term;
    uint64_t hash = wh_hash64(stem, stem_len);
    size_t h;

    if ((t->n + 1) * 2 > t->nslots) {
        terms_grow_slots(t);
    }
    h = (size_t)hash & (t->nslots - 1);
    while (t->slots[h] != 0) {
        term = &t->v[t->slots[h] - 1];
        if (term->hash == hash && term->stem_len == stem_len &&
            memcmp(t->arena.data + term->off, stem, stem_len) == 0) {
            term->weight += weight;
            term->count++;
            if (form_len < term->form_len) {
                /* shorter: fits where the longer form was */
                memcpy(t->arena.data + term->off + stem_len + 1, form,
                       form_len + 1);
                term->form_len = form_len;
            }
            t->total += weight;
            return;
        }
        h = (h + 1) & (t->nslots - 1);
    }
    if (t->n == t->cap) {
        t->cap = t->cap == 0 ? 64 : t->cap * 2;
        t->v = wh_xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    term = &t->v[t->n];
    term->off = t->arena.len;
    /* no maximum on the arena: these cannot fail (out of memory aborts) */
    (void)wh_buf_append(&t->arena, stem, stem_len);
    (void)wh_buf_append(&t->arena, "", 1);
    (void)wh_buf_append(&t->arena, form, form_len);
    (void)wh_buf_append(&t->arena, "", 1);
    term->stem = NULL;
    term->form = NULL;
    term->stem_len = stem_len;
    term->form_len = form_len;
    term->hash = hash;
    term->weight = weight;
    term->count = 1;
    term->first = index;
    t->slots[h] = ++t->n;
    t->total += weight;
}

static size_t count_chars(const char *s, size_t len)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80 ? 1 : 0;
    }
    return n;
}

/* Drops a possessive "'s" (ASCII or U+2019 apostrophe). */
static size_t strip_possessive(const char *s, size_t len)
{
    if (len > 2 && s[len - 1] == 's' && s[len - 2] == '\'') {
        return len - 2;
    }
    if (len > 4 && s[len - 1] == 's' &&
        memcmp(s + len - 4, "\xE2\x80\x99", 3) == 0) {
        return len - 4;
    }
    return len;
}

/* A word kept by the first pass of wh_enrich_terms_build(). */
struct pending_word {
    size_t off; /* of its lower-case form in the pass's buffer */
    size_t len;
    uint64_t hash; /* of the lower-case form: its stem memo slot */
    double weight;
    size_t index;
};

#define STEM_AHEAD 8 /* words between a memo prefetch and its use */

void wh_enrich_terms_build(struct wh_enrich_terms *t,
                           const struct wh_enrich_input *in,
                           struct wh_enrich_lang *lang)
{
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token tok;
    struct wh_enrich_stems *memo =
        lang->stemmer != NULL ? stems_memo(lang) : NULL;
    struct pending_word *pw = NULL;
    size_t npw = 0;
    size_t cappw = 0;
    struct wh_buf lows; /* the kept words, "low\0" each */
    size_t body_first = (size_t)-1;
    size_t k;
    const char *skip_from = in->text + in->body_off;
    const char *skip_to =
        skip_from + wh_enrich_dateline_end(skip_from, in->len - in->body_off);

    memset(t, 0, sizeof(*t));
    wh_buf_init(&t->arena, 0);
    wh_buf_init(&lows, 0);
    /* Pass 1: the words to count, lower-cased, each with its weight; the
     * stem memo slot of each is prefetched (the memo outgrows the L2
     * cache of a busy consumer, and waiting for it was half of this
     * function's time) */
    wh_enrich_tok_init(&tz, in->text, in->len, in->body_off);
    while (wh_enrich_tok_next(&tz, &tok)) {
        char low[256];
        size_t low_len;
        size_t len;
        struct pending_word *p;

        if (tok.s >= skip_from && tok.s < skip_to) {
            continue; /* the dateline */
        }
        t->words++;
        if (tok.flags & WH_TOK_IDEO) {
            t->ideo++;
            continue;
        }
        if (tok.flags & WH_TOK_DIGIT) {
            continue;
        }
        len = strip_possessive(tok.s, tok.len);
        if (count_chars(tok.s, len) < 3) {
            continue;
        }
        low_len = wh_enrich_lower_buf(tok.s, len, low, sizeof(low));
        if (low_len == (size_t)-1) {
            continue; /* not a word: longer than any */
        }
        if (lang->stop != NULL &&
            wh_enrich_words_get(lang->stop, low, low_len) != 0) {
            continue;
        }
        if (npw == cappw) {
            cappw = cappw == 0 ? 256 : cappw * 2;
            pw = wh_xrealloc(pw, cappw * sizeof(*pw));
        }
        p = &pw[npw++];
        p->off = lows.len;
        p->len = low_len;
        (void)wh_buf_append(&lows, low, low_len); /* no maximum */
        (void)wh_buf_append(&lows, "", 1);
        p->hash = wh_hash64(low, low_len);
        if (memo != NULL) {
            __builtin_prefetch(&memo->slots[p->hash & (memo->cap - 1)]);
        }
        p->index = tok.index;
        if (tok.flags & WH_TOK_HEAD) {
            p->weight = 3.0;
        } else {
            if (body_first == (size_t)-1) {
                body_first = tok.index;
            }
            p->weight =
                1.0 + 1.0 / (1.0 + (double)(tok.index - body_first) / 50.0);
        }
    }
    /* Pass 2: stems (the word a memo slot points to is prefetched a few
     * words ahead too) and the bag */
    for (k = 0; k < npw; k++) {
        const char *low = lows.data + pw[k].off;
        const char *stem = low;
        size_t stem_len = pw[k].len;

        if (memo != NULL) {
            if (k + STEM_AHEAD < npw) {
                const struct stem_slot *ahead =
                    &memo->slots[pw[k + STEM_AHEAD].hash & (memo->cap - 1)];

                if (ahead->word != NULL) {
                    __builtin_prefetch(ahead->word);
                }
            }
            stem = stem_word(lang, low, pw[k].len, pw[k].hash, &stem_len);
        }
        if (stem_len > 0) {
            terms_add(t, stem, stem_len, low, pw[k].len, pw[k].weight,
                      pw[k].index);
        }
    }
    free(pw);
    wh_buf_free(&lows);
    for (k = 0; k < t->n; k++) { /* the arena no longer moves */
        t->v[k].stem = t->arena.data + t->v[k].off;
        t->v[k].form = t->v[k].stem + t->v[k].stem_len + 1;
    }
}

void wh_enrich_terms_free(struct wh_enrich_terms *t)
{
    wh_buf_free(&t->arena);
    free(t->v);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* The calling thread's cached bag (see wh_enrich_terms_get()). */
struct terms_cache {
    char *text; /* NULL: empty */
    size_t len;
    size_t body_off;
    char code[8];
    int stemmer;  /* 1: stemmed */
    size_t stops; /* stop words, (size_t)-1 for no list */
    struct wh_enrich_terms terms;
};

static _Thread_local struct terms_cache terms_cache;

void wh_enrich_terms_cache_clear(void)
{
    struct terms_cache *c = &terms_cache;

    if (c->text != NULL) {
        wh_enrich_terms_free(&c->terms);
        free(c->text);
        c->text = NULL;
    }
}

const struct wh_enrich_terms *
wh_enrich_terms_get(const struct wh_enrich_input *in,
                    struct wh_enrich_lang *lang)
{
    struct terms_cache *c = &terms_cache;
    size_t stops =
        lang->stop != NULL ? wh_enrich_words_count(lang->stop) : (size_t)-1;

    if (c->text != NULL && c->len == in->len && c->body_off == in->body_off &&
        c->stops == stops && c->stemmer == (lang->stemmer != NULL) &&
        strcmp(c->code, lang->code) == 0 &&
        memcmp(c->text, in->text, in->len) == 0) {
        return &c->terms;
    }
    wh_enrich_terms_cache_clear();
    wh_enrich_terms_build(&c->terms, in, lang);
    c->text = wh_xmalloc(in->len + 1);
    memcpy(c->text, in->text, in->len + 1);
    c->len = in->len;
    c->body_off = in->body_off;
    memcpy(c->code, lang->code, sizeof(c->code));
    c->stemmer = lang->stemmer != NULL;
    c->stops = stops;
    return &c->terms;
}
