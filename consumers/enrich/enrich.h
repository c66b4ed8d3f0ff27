/*
 * enrich.h - the enrichers (consumer stages of type WH_STAGE_ENRICH) and
 * the text helpers they share: bounded UTF-8 decoding, a tokenizer, word
 * lists read from the data directory, and the extension-object layout.
 *
 * Every enricher records itself in the record's "wirehose" extension
 * object (rec->ext), so a replay shows what produced each field:
 *   "enrichments": {"language": "1.0", "counts": "1.0", ...}
 *   "enrich": {"language": {... evidence ...}, "counts": {...}, ...}
 * When an enricher cannot fill its field, its evidence object holds
 * "unknown": "<why>". Bad text (empty, huge, invalid UTF-8, any script)
 * never fails a record: process() returns WH_OK with "unknown" set.
 *
 * What each fills: language -> rec->language (BCP 47); counts ->
 * charCount, wordCount, readingTimeSeconds in its evidence (ninjs puts
 * the counts in bodies[], which struct wh_record cannot carry yet);
 * dateline -> ninjs "located"; entities -> ninjs "people",
 * "organisations", "places"; subjects -> ninjs "subjects" (the ninjs
 * members in rec->extra); keywords -> "keywords" in the extension object
 * (ninjs 3.1 has no such member and forbids unknown ones).
 *
 * Each enricher reads at most a capped prefix of the text (config key
 * enrich.max_bytes; the language detector
 * reads less), so its time per record is bounded whatever the body size.
 *
 * Suggested order in the stage table: language (the others read
 * rec->language), counts, dateline, entities, keywords, subjects.
 *
 * Threads: a context is used by one thread at a time (the consumer's main
 * thread); the helpers below are reentrant.
 */
#ifndef WH_ENRICH_H
#define WH_ENRICH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stage.h"
#include "wh/buf.h"
#include "wh/config.h"

struct wh_record;

extern const struct wh_stage wh_enrich_language;
extern const struct wh_stage wh_enrich_counts;
extern const struct wh_stage wh_enrich_dateline;
extern const struct wh_stage wh_enrich_entities;
extern const struct wh_stage wh_enrich_keywords;
extern const struct wh_stage wh_enrich_subjects;

/* The config keys the enrichers read (enrich.data_dir, enrich.max_bytes,
 * enrich.keywords), {NULL}-terminated, declared with their types and
 * defaults in enrich.c; every enricher's stage points to this one table. */
extern const struct wh_config_key wh_enrich_config_keys[];

/* The data directory: enrich.data_dir from cfg, else its default (the
 * compiled-in WH_DATADIR). cfg may be NULL. Borrowed string. */
const char *wh_enrich_data_dir(const struct wh_config *cfg);

/* The data file rel ("gazetteers/places.txt") under the data directory,
 * in a new string the caller frees. */
char *wh_enrich_data_path(const struct wh_config *cfg, const char *rel);

/* Checks that the data file or directory rel exists under the data
 * directory, so a wrong enrich.data_dir stops start-up with a clear
 * message. Returns WH_OK, or WH_ENOENT with errstr "path: reason (set
 * enrich.data_dir)". */
int wh_enrich_data_check(const struct wh_config *cfg, const char *rel,
                         char *errstr, size_t errstr_size);

/* An enricher's --check-config (struct wh_stage.check): the data
 * directory exists, and so does each of the n files of rels under it. No
 * side effects. Returns WH_OK or WH_EINVAL / WH_ENOENT with errstr. */
int wh_enrich_check_data(const struct wh_config *cfg, const char *const *rels,
                         size_t n, char *errstr, size_t errstr_size);

/* ---- extension object ---- */

/* Records stage st in rec->ext ("enrichments": {name: version}, creating
 * rec->ext when NULL) and returns a fresh, empty evidence object stored
 * as "enrich".<name> (replacing an older one, so a replay converges).
 * The object is borrowed from the record. */
json_t *wh_enrich_begin(struct wh_record *rec, const struct wh_stage *st);

/* Sets "unknown": <why> in the evidence object ev. */
void wh_enrich_unknown(json_t *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* rec->extra (created when NULL), borrowed. */
json_t *wh_enrich_extra(struct wh_record *rec);

/* ---- UTF-8 ---- */

/* Decodes the character at s[*i] (i < len) and advances *i. An invalid,
 * overlong, surrogate or truncated sequence decodes as U+FFFD, advances
 * by one byte and sets *bad to 1 (bad may be NULL). */
uint32_t wh_enrich_utf8_next(const char *s, size_t len, size_t *i, int *bad);

/* wh_enrich_utf8_next() without *bad, with ASCII decoded inline: for
 * the per-character loops. */
static inline uint32_t wh_enrich_utf8_next_fast(const char *s, size_t len,
                                                size_t *i)
{
    unsigned char c = (unsigned char)s[*i];

    if (c < 0x80) {
        *i += 1;
        return c;
    }
    return wh_enrich_utf8_next(s, len, i, NULL);
}

/* Encodes cp into out (at least 4 bytes); returns the byte count. */
size_t wh_enrich_utf8_put(uint32_t cp, char *out);

/* Character classes, approximate but script-agnostic. */
enum wh_enrich_class {
    WH_CLASS_OTHER, /* symbols, U+FFFD */
    WH_CLASS_SPACE,
    WH_CLASS_PUNCT,
    WH_CLASS_LETTER, /* letters and marks of scripts written with spaces */
    WH_CLASS_DIGIT,
    WH_CLASS_IDEO /* Han, kana, Thai...: each character counts as a word */
};

enum wh_enrich_class wh_enrich_cp_class(uint32_t cp);

/* The same, with ASCII letters and the space decided inline. */
static inline enum wh_enrich_class wh_enrich_cp_class_fast(uint32_t cp)
{
    if ((cp | 0x20u) - 'a' < 26u) {
        return WH_CLASS_LETTER;
    }
    if (cp == ' ') {
        return WH_CLASS_SPACE;
    }
    return wh_enrich_cp_class(cp);
}
/* Lower case for Latin, Greek and Cyrillic; other characters unchanged. */
uint32_t wh_enrich_cp_lower(uint32_t cp);
/* 1 for upper-case Latin, Greek and Cyrillic letters. */
int wh_enrich_cp_is_upper(uint32_t cp);

/* Lower-cases s[0..len) into a new NUL-terminated string (caller frees);
 * invalid bytes become U+FFFD. */
char *wh_enrich_lower(const char *s, size_t len);

/* The same into out (size bytes, NUL included): returns the length, or
 * (size_t)-1 when it does not fit (out is then undefined). No allocation:
 * for the per-word paths. */
size_t wh_enrich_lower_buf(const char *s, size_t len, char *out, size_t size);

/* ---- input text ---- */

/* A capped, valid-UTF-8 copy of a record's text. */
struct wh_enrich_input {
    char *text; /* NUL-terminated; "" when the record has no text */
    size_t len;
    size_t body_off; /* where the body starts in text */
    size_t invalid;  /* invalid bytes replaced by U+FFFD */
    int truncated;   /* 1 when the cap cut the text */
};

#define WH_INPUT_HEADLINE 0x1
#define WH_INPUT_DESCRIPTION 0x2
#define WH_INPUT_BODY 0x4

/* Fills in from the parts of rec selected by the WH_INPUT_* bits, in the
 * order headline, description, body, separated by "\n\n", copying at most
 * cap bytes of source text (cut on a character boundary). Invalid UTF-8
 * is replaced by U+FFFD. Release with wh_enrich_input_free(). */
void wh_enrich_input_build(struct wh_enrich_input *in,
                           const struct wh_record *rec, unsigned parts,
                           size_t cap);
void wh_enrich_input_free(struct wh_enrich_input *in);

/* Where a dateline at the start of body text s ends ("WASHINGTON
 * (Wire) -", "LISBON, Nov 25 (Agency) -"): the offset just past its
 * dash, or 0 when there is none. A dateline is a dash (-, --, en or em
 * dash after a blank) on the first line within 120 bytes, after a first
 * word in capitals or a closing parenthesis. Used to keep the dateline
 * out of mentions and keywords; the dateline enricher parses it fully. */
size_t wh_enrich_dateline_end(const char *s, size_t len);

/* ---- tokenizer ---- */

#define WH_TOK_CAP 0x01   /* first letter is upper case */
#define WH_TOK_UPPER 0x02 /* two or more letters, all upper case */
#define WH_TOK_DIGIT 0x04 /* contains a digit */
#define WH_TOK_IDEO 0x08  /* one character of a script without spaces */
#define WH_TOK_SENT 0x10  /* first word of a sentence, quote or text */
#define WH_TOK_PARA 0x20  /* first word of a paragraph */
#define WH_TOK_BREAK 0x40 /* punctuation or a line break before it */
#define WH_TOK_HEAD 0x80  /* before the body (headline, description) */

struct wh_enrich_token {
    const char *s; /* in the tokenized text, not NUL-terminated */
    size_t len;
    size_t index;   /* 0, 1, 2... */
    unsigned flags; /* WH_TOK_* */
};

struct wh_enrich_tokenizer {
    const char *s;
    size_t len;
    size_t pos;
    size_t index;
    size_t body_off;
    unsigned pending; /* flags for the next token */
    const char *last; /* the previous token, for abbreviations */
    size_t last_len;
};

/* Words are runs of letters and digits, with inner apostrophes, hyphens
 * and dotted abbreviations ("U.S.") kept inside; each ideographic
 * character is a word of its own. body_off: tokens before it get
 * WH_TOK_HEAD (0 for none). s must stay valid while tokenizing. */
void wh_enrich_tok_init(struct wh_enrich_tokenizer *tz, const char *s,
                        size_t len, size_t body_off);
/* Returns 1 and fills tok with the next word, or 0 at the end. */
int wh_enrich_tok_next(struct wh_enrich_tokenizer *tz,
                       struct wh_enrich_token *tok);

/* ---- the record's text, read once ---- */

/* What entities, keywords and subjects read of a record: its headline,
 * description and body as one capped input, and the words of it. */
struct wh_enrich_text {
    struct wh_enrich_input in;
    /* in.text's words, wh_enrich_tok_next() with in.body_off (so the
     * words before the body have WH_TOK_HEAD); s points into in.text */
    struct wh_enrich_token *tok;
    size_t ntok;
    size_t cap;                /* the cap in was built with */
    unsigned long long serial; /* differs for every text built on a thread */
};

/* Builds tx from the headline, description and body of rec, at most cap
 * bytes of them (as wh_enrich_input_build()), and tokenizes it. Release
 * with wh_enrich_text_free(). */
void wh_enrich_text_build(struct wh_enrich_text *tx,
                          const struct wh_record *rec, size_t cap);
void wh_enrich_text_free(struct wh_enrich_text *tx);

/* The text of rec as wh_enrich_text_build() makes it, built once for a
 * record: the enrichers after the first get the text and the words the
 * first one read. The cache is the calling thread's own and holds one
 * text, keyed by the bytes of rec's parts that the cap lets in (not by
 * record pointers, which the next record may reuse) and by cap.
 * Borrowed: valid until the next call on the same thread or
 * wh_enrich_text_cache_clear(). */
const struct wh_enrich_text *wh_enrich_text_get(const struct wh_record *rec,
                                                size_t cap);

/* Frees the calling thread's cached text (the users' close callbacks call
 * it; a later wh_enrich_text_get() builds again). */
void wh_enrich_text_cache_clear(void);

/* ---- word lists ---- */

/* A set of strings, each with a bit mask of values. */
struct wh_enrich_words;

struct wh_enrich_words *wh_enrich_words_new(void);
void wh_enrich_words_free(struct wh_enrich_words *w);
/* Adds key (len bytes) with the bits of val, OR-ed into an existing entry. */
void wh_enrich_words_add(struct wh_enrich_words *w, const char *key, size_t len,
                         unsigned val);
/* The bits of key, 0 when absent. */
unsigned wh_enrich_words_get(const struct wh_enrich_words *w, const char *key,
                             size_t len);
/* The same when the caller has hash = wh_hash64(key, len) at hand. */
unsigned wh_enrich_words_get_hashed(const struct wh_enrich_words *w,
                                    const char *key, size_t len, uint64_t hash);
size_t wh_enrich_words_count(const struct wh_enrich_words *w);
/* For a list loaded lower-cased: the entry as written in the file (its
 * proper case), or NULL when key is absent. Borrowed. */
const char *wh_enrich_words_form(const struct wh_enrich_words *w,
                                 const char *key, size_t len);

/* Reads a word list: one entry per line, blanks trimmed, empty lines and
 * lines starting with '#' skipped; lower-cased when lower is 1 (the
 * written form is kept, see wh_enrich_words_form()). Each
 * entry is added with val. Returns WH_OK, WH_ENOENT (no such file; errstr
 * filled) or WH_EIO / WH_EINVAL ("path:line: reason"). */
int wh_enrich_words_load(struct wh_enrich_words *w, const char *path,
                         unsigned val, int lower, char *errstr,
                         size_t errstr_size);

/* ---- per-language resources ---- */

struct sb_stemmer;
struct wh_enrich_stems;

/* A stemmer (libstemmer, chosen by the ISO 639-1 code) and a stop-word
 * list (data/enrich/stopwords/<code>.txt), either may be NULL; memo
 * remembers the stems of words seen (bounded), so a word frequent in the
 * stream is stemmed once. */
struct wh_enrich_lang {
    char code[8]; /* primary subtag, "" for none */
    struct sb_stemmer *stemmer;
    struct wh_enrich_words *stop;
    struct wh_enrich_stems *memo;
};

struct wh_enrich_langs;

/* Resources are loaded on first use of a language, from the data
 * directory of cfg (may be NULL; borrowed only during the call). */
struct wh_enrich_langs *wh_enrich_langs_new(const struct wh_config *cfg);
void wh_enrich_langs_free(struct wh_enrich_langs *langs);
/* Resources for the language of tag (a BCP 47 tag, may be NULL): never
 * NULL; an unknown or malformed tag gets one with neither stemmer nor
 * stop words. Borrowed from langs. */
struct wh_enrich_lang *wh_enrich_langs_get(struct wh_enrich_langs *langs,
                                           const char *tag);

/* ---- term bag: stems of the text with weights ---- */

struct wh_enrich_term {
    char *stem; /* the key, NUL-terminated, in the bag's arena */
    char *form; /* shortest lower-case word seen with that stem */
    size_t stem_len;
    size_t form_len;
    double weight; /* sum of the weights of its occurrences */
    unsigned count;
    size_t first;  /* token index of the first occurrence */
    uint64_t hash; /* of the stem */
    size_t off;    /* of the stem in the arena (while building) */
};

struct wh_enrich_terms {
    struct wh_enrich_term *v;
    size_t n;
    size_t cap;
    size_t *slots; /* hash table: index + 1 into v, 0 empty */
    size_t nslots;
    struct wh_buf arena; /* every "stem\0form\0", one allocation */
    size_t words;        /* words read */
    size_t ideo;         /* of which single ideographic characters */
    double total;        /* sum of the weights of all kept terms */
};

/* Weights: a word of the headline or description weighs 3; a word of
 * the body 1 + 1 / (1 + i / 50), i its rank in the body, so the lead
 * counts about twice as much as the tail. Words of fewer than 3
 * characters, numbers, ideographic characters and stop words are left
 * out, and so is a dateline at the start of the body; a trailing "'s"
 * is dropped before stemming. */
void wh_enrich_terms_build(struct wh_enrich_terms *t,
                           const struct wh_enrich_text *tx,
                           struct wh_enrich_lang *lang);
void wh_enrich_terms_free(struct wh_enrich_terms *t);

/* The term bag of tx for lang, as wh_enrich_terms_build() makes it, built
 * once for a text: keywords and subjects read the same text in the same
 * language, so the second gets the bag the first built. The cache is the
 * calling thread's own and holds one bag, keyed by tx->serial (the text
 * itself) and the language resources. Borrowed: valid until the next
 * call on the same thread or wh_enrich_terms_cache_clear(). */
const struct wh_enrich_terms *
wh_enrich_terms_get(const struct wh_enrich_text *tx,
                    struct wh_enrich_lang *lang);

/* Frees the calling thread's cached bag (the users' close callbacks call
 * it; a later wh_enrich_terms_get() builds again). */
void wh_enrich_terms_cache_clear(void);

/* The primary language subtag of tag ("en" for "en-GB") into out[8];
 * "" when tag is NULL or not a language tag. */
void wh_enrich_primary_lang(const char *tag, char out[8]);

#endif
