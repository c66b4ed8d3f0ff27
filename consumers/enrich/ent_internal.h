/*
 * ent_internal.h - what the files of the entities enricher share (see
 * entities.c): the gazetteer bits, the per-token caches, the context
 * and run of one text, and the functions one file calls in another.
 */

#ifndef WH_ENT_INTERNAL_H
#define WH_ENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "enrich.h"
#include "wh/buf.h"

#define G_PLACE 0x01u
#define G_ORG 0x02u
#define G_GIVEN 0x04u
#define G_TITLE 0x08u
#define G_SUFFIX 0x10u   /* organisation suffix or head */
#define G_PHEAD 0x20u    /* place head: last word ("River") */
#define G_PPRE 0x40u     /* place prefix: first word ("Mount") */
#define G_NONAME 0x80u   /* capitalized but not a name ("English") */
#define G_COMMON 0x100u  /* in lower case in the lexicon: a common word */
#define G_OTHER 0x200u   /* last word of an event, law or work ("Prize") */
#define G_FIRST 0x400u   /* first word of a listed name of several words */
#define G_SURNAME 0x800u /* a common family name of the US census */

/* An English word list with proper nouns capitalized (Debian package
 * wamerican): a word it lists in lower case is a common word, which a
 * name with no other evidence does not contain ("Secret Agent", "Match
 * Point"). */
#ifndef WH_LEXICON_PATH
#define WH_LEXICON_PATH "/usr/share/dict/american-english"
#endif

/* The provinces, states, regions and districts of every country (ISO
 * 3166-2, Debian package iso-codes), added to the places gazetteer. */
#ifndef WH_ISO3166_2_PATH
#define WH_ISO3166_2_PATH "/usr/share/iso-codes/json/iso_3166-2.json"
#endif

/* The common given names of the US census, in Debian's
 * libtext-names-perl (see ent_load_census_names()), and how many of the
 * most frequent of each sex are read. */
#ifndef WH_NAMES_PATH
#define WH_NAMES_PATH "/usr/share/perl5/Text/Names.pm"
#endif
#ifndef CENSUS_TOP
#define CENSUS_TOP 1200
#endif

#define NAME_MAX_WORDS 8
#define ENTITIES_MAX 100 /* per kind */
#define EVIDENCE_MAX 50  /* ambiguous names kept in the evidence */

/* Thresholds on the summed evidence: a name of several words needs less
 * than one word, which is far more often a common word capitalized. */
#define MIN_MULTI 1.0
#define MIN_SINGLE 3.0
/* The evidence a name takes from a typed name it is listed with. */
#define LISTED 3.0

enum kind { K_NONE, K_PERSON, K_ORG, K_PLACE, K_COUNT };

/* Per-token caches. */
#define TOK_KNOWN 0x80000000u /* gaz_bits: computed */
#define STOP_UNKNOWN 0xff
#define T_WEAK 0x1u     /* capital explained by position */
#define T_LOWER 0x2u    /* written in lower case elsewhere in the text */
#define T_NAME 0x20u    /* ent_is_name_word() */
#define T_LEXKNOWN 0x4u /* T_COMMON and T_LOWER computed */
#define T_COMMON 0x8u   /* the lexicon lists it in lower case */

/* The strongest cue seen for one type of a name. */
struct cue {
    double w;
    const char *what; /* static: "title: ", "context: "... */
    const char *s;    /* the cue word(s) in the text, or NULL */
    size_t len;
};

/* A distinct name of the text and the evidence of all its mentions. */
struct group {
    size_t off; /* of the name in the run's arena, NUL-terminated */
    size_t len;
    size_t words;
    size_t first_tok; /* first token of its first mention */
    size_t last_tok;
    double score[K_COUNT];
    struct cue cue[K_COUNT];
    size_t mentions;
    size_t strong; /* mentions not weak */
    unsigned bits; /* gazetteer bits of the whole name */
    int prose;     /* a mention between two lower-case words */
    enum kind kind;
    long into; /* merged into that group, or -1 */
};

/* One mention: its tokens and its name. */
struct mention {
    size_t a;
    size_t b;
    size_t grp;
};

struct entities_ctx {
    struct wh_enrich_words *gaz; /* case-sensitive, G_* bits */
    struct wh_enrich_words *lex; /* WH_LEXICON_PATH, case-sensitive */
    uint64_t *lex_bloom;         /* LEX_BLOOM_BITS: most names are not in
                                  * lex, and the filter says so from the
                                  * cache */
    struct wh_enrich_langs *langs;
    size_t max_bytes;
    /* buffers kept from record to record (process() runs on one thread) */
    struct wh_enrich_token *tok;
    size_t cap_tok;
    unsigned *gaz_bits;
    unsigned char *stop;
    unsigned char *tflags;
    size_t cap_aux;
    struct group *grp;
    size_t cap_grp;
    size_t *slots; /* name -> group + 1; 0: empty */
    size_t cap_slots;
    const char **lower; /* lower-case words of the text (a set) */
    size_t *lower_len;
    unsigned *lower_stamp; /* a slot is set when it holds the stamp */
    unsigned stamp;        /* of this text: no clearing between texts */
    size_t cap_lower;
    struct mention *men;
    size_t cap_men;
};

struct run {
    struct entities_ctx *ctx;
    struct wh_enrich_lang *lang;
    struct wh_enrich_lang *en;
    const char *text;
    struct wh_enrich_token *tok;
    size_t ntok;
    size_t ncased; /* name words: at most one name each, so the group
                    * table needs no more slots than twice as many */
    unsigned *gaz_bits;
    unsigned char *stop;
    unsigned char *tflags;
    struct group *grp;
    size_t ngrp;
    struct mention *men; /* in text order */
    size_t nmen;
    size_t nslots;
    size_t nlower; /* slots of the lower-case set */
    struct wh_buf arena;
    json_t *ambiguous;
};

/* bits of the lexicon's Bloom filter (see ent_load_lexicon()) */
#define LEX_BLOOM_BITS (1u << 20)

/* ent_coref.c */
void ent_coordinate(struct run *r);
void ent_decide(struct run *r);
/* ent_lists.c */
int ent_bloom_has(const uint64_t *bloom, const char *w, size_t len);
struct wh_enrich_words *ent_load_lexicon(uint64_t *bloom, char *errstr,
                                         size_t errstr_size);
void ent_mark_first_words(struct wh_enrich_words *gaz, const char *path);
int ent_load_subdivisions(struct entities_ctx *ctx, char *errstr,
                          size_t errstr_size);
int ent_load_census_names(struct entities_ctx *ctx, char *errstr,
                          size_t errstr_size);
/* ent_names.c */
int ent_word_in(const char *s, size_t len, const char *const *list, size_t n);
int ent_tok_is(const struct wh_enrich_token *t, const char *w);
int ent_tok_is_any_case(const struct wh_enrich_token *t, const char *w);
int ent_is_particle(const struct wh_enrich_token *t, int second);
int ent_is_name_word(const struct wh_enrich_token *t);
size_t ent_bare_len(const struct wh_enrich_token *t);
int ent_possessive(const struct wh_enrich_token *t);
size_t ent_span_buf(const struct run *r, size_t a, size_t b, char *out,
                    size_t size);
unsigned ent_gaz_tok(const struct run *r, size_t i);
unsigned ent_lex_tok(const struct run *r, size_t i);
unsigned ent_gaz_span(const struct run *r, size_t a, size_t b);
int ent_is_stop(const struct run *r, size_t i);
void ent_mark_lower(struct run *r);
int ent_lower_tok(const struct run *r, size_t i);
void ent_mark_weak(struct run *r, size_t head_end);
int ent_blank_gap(const struct run *r, size_t i);
int ent_amp_gap(const struct run *r, size_t i);
int ent_cite_amp(const struct run *r, size_t i);
void ent_find_names(struct run *r);
/* ent_types.c */
const char *ent_grp_name(const struct run *r, const struct group *g);
size_t *ent_grp_slot(struct run *r, const char *s, size_t len);
void ent_add_cue(struct group *g, enum kind kind, double w, const char *what,
                 const char *s, size_t len);
char ent_after_char(const struct run *r, size_t i);
int ent_all_common(const struct run *r, size_t a, size_t b);
int ent_is_direction_word(const char *s, size_t len);
int ent_name_like(const struct run *r, size_t i);
void ent_add_mention(struct run *r, size_t a, size_t b, size_t title,
                     int mention_weak);

#endif
