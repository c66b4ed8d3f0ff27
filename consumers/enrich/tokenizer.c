/*
 * tokenizer.c - words, with the flags the enrichers need (capitals,
 * sentence and paragraph starts, headline or body), from text in any
 * script (see enrich.h).
 */
#include <stdint.h>
#include <string.h>

#include "enrich.h"
#include "wh/wh.h"

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

#define ABBREVIATION_MAX 6 /* bytes of the longest ("approx") */

static int is_abbreviation(const char *s, size_t len)
{
    size_t k;

    if (len == 1 && wh_enrich_cp_is_upper((unsigned char)s[0])) {
        return 1; /* an initial: "J. Smith" */
    }
    if (memchr(s, '.', len) != NULL) {
        return 1; /* "U.S." */
    }
    if (len > ABBREVIATION_MAX) {
        return 0; /* most words: longer than any */
    }
    for (k = 0; k < WH_ARRAY_SIZE(abbreviations); k++) {
        if (abbreviations[k][0] == s[0] &&
            strncmp(abbreviations[k], s, len) == 0 &&
            abbreviations[k][len] == '\0') {
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
        unsigned char c = (unsigned char)tz->s[at];
        uint32_t cp;
        enum wh_enrich_class cls;

        /* the common cases without decoding: a blank, a word's start */
        if (c == ' ') {
            if (at == tz->body_off && tz->body_off != 0) {
                tz->pending |= WH_TOK_PARA | WH_TOK_SENT | WH_TOK_BREAK;
            }
            tz->pos++;
            continue;
        }
        if ((c | 0x20u) - 'a' < 26u || c - (unsigned)'0' < 10u) {
            return 1;
        }
        cp = wh_enrich_utf8_next_fast(tz->s, tz->len, &tz->pos);
        cls = wh_enrich_cp_class_fast(cp);
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
        unsigned char c;
        uint32_t cp;
        enum wh_enrich_class cls;

        if (at >= tz->len) {
            break;
        }
        c = (unsigned char)tz->s[at];
        if ((c | 0x20u) - 'a' < 26u) {
            /* a run of ASCII letters, without decoding */
            const char *s = tz->s;
            size_t end = tz->len;

            if (letters == 0 && c <= 'Z') {
                flags |= WH_TOK_CAP;
            }
            do {
                letters++;
                uppers += c <= 'Z';
                at++;
                c = at < end ? (unsigned char)s[at] : 0;
            } while ((c | 0x20u) - 'a' < 26u);
            tz->pos = at;
            continue;
        }
        if (c - (unsigned)'0' < 10u) {
            flags |= WH_TOK_DIGIT;
            tz->pos++;
            continue;
        }
        if (c == ' ') {
            break; /* the end of most words */
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
