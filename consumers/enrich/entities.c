/*
 * entities.c - the "entities" enricher: people, organisations and places,
 * found first as names and then typed from evidence, every entity kept
 * with the cue that typed it and its mention count.
 *
 * 1. Names, independent of any list. A name is a run of capitalized
 *    words of the headline, description or body (not a dateline) with its
 *    inner connectors: particles ("Charles de Gaulle", "Ursula von der
 *    Leyen", "al-Assad"), initials with their period ("Steven F.
 *    Udvar-Hazy", "J. R. R. Tolkien"), "&", and "of", "for", "on" or "and"
 *    when the part before is an organisation or place head ("University
 *    of Oxford", "Gulf of Aden", "Securities and Exchange
 *    Commission"). A run never crosses punctuation, nor "and" between two
 *    complete names ("Massachusetts Institute of Technology and Colorado
 *    State University" is two). Leading function words ("The", "When")
 *    and person titles ("President", "Mr.") are cut off; a title alone
 *    is no name ("Justice"). A capital explained by position - the first
 *    word of a sentence, a title-case line, the headline - is weak: such
 *    a word counts only with other evidence (a gazetteer, an organisation
 *    or place head, the same name written mid-sentence elsewhere), so
 *    "Nice job!" gives no "Nice".
 *
 * 2. Types, from evidence summed over every mention of the same name:
 *    internal cues (a listed name, an organisation suffix or head - Inc,
 *    University, Ministry, Pictures, Times -, a place head or prefix -
 *    River, County, Island, Cape, Mount -, a listed given name first,
 *    initials), context (a title before, "said" or ", who" after, "in" /
 *    "at" / "based in" before, "CEO of" before, ", a company" or ", a
 *    city" after, "Fresno, California", a role noun such as "actor" or
 *    "starring" before, a citation "(Moravec, 2014)" or "et al." after),
 *    and a weak prior for a run of two to four name-like words (a person:
 *    "Seth Rogen"). A name made only of common English words (Debian's
 *    wamerican word list, or written in lower case elsewhere in the
 *    text: "Public Policy") takes no context cue and no prior. The
 *    strongest type wins when it reaches the threshold; a tie of a single
 *    word between lists ("Jordan" alone, a country and a given name)
 *    goes nowhere and is listed as "ambiguous" in the evidence. Names
 *    listed together ("A, B and C") share a type: one typed lends it to
 *    the others.
 *
 * 3. One entity per person, organisation and place (coreference within
 *    the document): one word of a person's name ("Rogen" after "Seth
 *    Rogen", "Mr Smith" and "John Smith") is that person; the first word
 *    of an organisation's name or its initials ("Sony" after "Sony
 *    Pictures", "NRC" after "National Research Council") is that
 *    organisation, unless its own evidence says otherwise ("in Paris"
 *    after "Paris Hilton" is the city). Each entity is named once, by
 *    its fullest name, with its mentions counted.
 *
 * data/gazetteers/ holds the lists (see data/README.md); the provinces
 * and regions of every country come from Debian's iso-codes (ISO
 * 3166-2), the common words from wamerican. Output: ninjs
 * "people", "organisations", "places" in rec->extra, arrays of {"name":
 * ...}, merged by name with what the source set; the evidence object
 * has, per type, {"name", "rule", "mentions"} for each entity.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

#define G_PLACE 0x01u
#define G_ORG 0x02u
#define G_GIVEN 0x04u
#define G_TITLE 0x08u
#define G_SUFFIX 0x10u  /* organisation suffix or head */
#define G_PHEAD 0x20u   /* place head: last word ("River") */
#define G_PPRE 0x40u    /* place prefix: first word ("Mount") */
#define G_NONAME 0x80u  /* capitalized but not a name ("English") */
#define G_COMMON 0x100u /* in lower case in the lexicon: a common word */
#define G_OTHER 0x200u  /* last word of an event, law or work ("Prize") */
#define G_FIRST 0x400u  /* first word of a listed name of several words */

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

static const char *const kind_key[] = {NULL, "people", "organisations",
                                       "places"};

/* Per-token caches. */
#define TOK_KNOWN 0x80000000u /* gaz_bits: computed */
#define STOP_UNKNOWN 0xff
#define T_WEAK 0x1u     /* capital explained by position */
#define T_LOWER 0x2u    /* written in lower case elsewhere in the text */
#define T_NAME 0x20u    /* is_name_word() */
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

static const struct {
    const char *file;
    unsigned bit;
} gazetteers[] = {
    {"gazetteers/places.txt", G_PLACE},
    {"gazetteers/organisations.txt", G_ORG},
    {"gazetteers/given-names.txt", G_GIVEN},
    {"gazetteers/person-titles.txt", G_TITLE},
    {"gazetteers/org-suffixes.txt", G_SUFFIX},
    {"gazetteers/place-heads.txt", G_PHEAD},
    {"gazetteers/place-prefixes.txt", G_PPRE},
    {"gazetteers/not-names.txt", G_NONAME},
    {"gazetteers/other-heads.txt", G_OTHER},
};

/* Lower-case particles allowed inside a name ("Charles de Gaulle"). */
static const char *const particles[] = {
    "de",  "da",  "do",  "dos", "das", "du", "del", "della", "di",
    "van", "von", "ter", "bin", "ibn", "al", "el",  "y",     "e"};

/* Articles allowed only after a particle ("Ursula von der Leyen",
 * "Jean de la Fontaine"): alone they are German or French articles
 * between two nouns. */
static const char *const second_particles[] = {"der", "den", "la",
                                               "le",  "los", "las"};

/* Words that never start a name, even mid-sentence ("the Netherlands"
 * is "Netherlands"). */
static const char *const determiners[] = {
    "The",  "A",   "An",  "This",  "That", "These",  "Those", "My",
    "Our",  "His", "Her", "Their", "Its",  "Your",   "Every", "Each",
    "Some", "Any", "No",  "All",   "Both", "Another"};

/* Context before a name. */
struct ctx_word {
    const char *w;
    enum kind kind;
    double weight;
};

static const struct ctx_word before_words[] = {
    {"in", K_PLACE, 3.0},           {"at", K_PLACE, 1.0},
    {"to", K_PLACE, 1.0},           {"at", K_ORG, 1.0},
    {"from", K_PLACE, 1.5},         {"near", K_PLACE, 3.0},
    {"into", K_PLACE, 2.0},         {"across", K_PLACE, 2.0},
    {"throughout", K_PLACE, 2.0},   {"around", K_PLACE, 1.5},
    {"via", K_PLACE, 2.0},          {"toward", K_PLACE, 2.0},
    {"towards", K_PLACE, 2.0},      {"outside", K_PLACE, 2.0},
    {"inside", K_PLACE, 1.5},       {"visited", K_PLACE, 2.5},
    {"visit", K_PLACE, 2.0},        {"visiting", K_PLACE, 2.0},
    {"landed", K_PLACE, 2.0},       {"arrived", K_PLACE, 2.0},
    {"flew", K_PLACE, 2.0},         {"travelled", K_PLACE, 2.0},
    {"traveled", K_PLACE, 2.0},     {"within", K_PLACE, 1.5},
    {"joined", K_ORG, 2.0},         {"starring", K_PERSON, 3.0},
    {"featuring", K_PERSON, 3.0},   {"actor", K_PERSON, 3.0},
    {"actress", K_PERSON, 3.0},     {"singer", K_PERSON, 3.0},
    {"director", K_PERSON, 2.0},    {"author", K_PERSON, 3.0},
    {"writer", K_PERSON, 3.0},      {"novelist", K_PERSON, 3.0},
    {"poet", K_PERSON, 3.0},        {"painter", K_PERSON, 3.0},
    {"artist", K_PERSON, 2.0},      {"composer", K_PERSON, 3.0},
    {"musician", K_PERSON, 3.0},    {"player", K_PERSON, 2.0},
    {"striker", K_PERSON, 3.0},     {"coach", K_PERSON, 2.0},
    {"professor", K_PERSON, 3.0},   {"scientist", K_PERSON, 3.0},
    {"researcher", K_PERSON, 2.0},  {"historian", K_PERSON, 3.0},
    {"philosopher", K_PERSON, 3.0}, {"journalist", K_PERSON, 3.0},
    {"reporter", K_PERSON, 2.0},    {"lawyer", K_PERSON, 3.0},
    {"attorney", K_PERSON, 2.0},    {"judge", K_PERSON, 2.0},
    {"senator", K_PERSON, 3.0},     {"politician", K_PERSON, 3.0},
    {"minister", K_PERSON, 2.0},    {"president", K_PERSON, 2.0},
    {"chancellor", K_PERSON, 2.0},  {"spokesman", K_PERSON, 3.0},
    {"spokeswoman", K_PERSON, 3.0}, {"friend", K_PERSON, 2.0},
    {"brother", K_PERSON, 3.0},     {"sister", K_PERSON, 3.0},
    {"son", K_PERSON, 2.0},         {"daughter", K_PERSON, 2.0},
    {"wife", K_PERSON, 3.0},        {"husband", K_PERSON, 3.0},
    {"mother", K_PERSON, 2.0},      {"father", K_PERSON, 2.0},
    {"uncle", K_PERSON, 3.0},       {"aunt", K_PERSON, 3.0},
    {"cousin", K_PERSON, 3.0},      {"colleague", K_PERSON, 3.0},
    {"named", K_PERSON, 1.5},       {"dear", K_PERSON, 2.0},
    {"thanks", K_PERSON, 1.0},      {"with", K_PERSON, 0.5},
};

/* Verbs after a name that make it a person (organisations say things
 * too, less often). */
static const char *const person_verbs[] = {
    "said",      "says",  "told",    "asked",   "wrote",   "writes",
    "explained", "added", "argued",  "thinks",  "thought", "believes",
    "recalled",  "noted", "stated",  "claimed", "replied", "admitted",
    "insisted",  "died",  "laughed", "smiled",  "felt",    "wanted",
    "knew",      "went",  "married", "studied", "grew",    "became",
    "lived",     "worked"};

/* "<noun> of" before a name: an organisation ("CEO of Acme") or a place
 * ("city of Lyon"). */
static const char *const org_of_nouns[] = {
    "ceo",       "founder",     "founders",    "chairman",     "chairwoman",
    "director",  "head",        "member",      "members",      "employee",
    "employees", "spokesman",   "spokeswoman", "spokesperson", "shares",
    "owner",     "executive",   "executives",  "staff",        "president",
    "board",     "subsidiary",  "division",    "student",      "students",
    "professor", "researchers", "fellow"};
static const char *const place_of_nouns[] = {
    "city",    "town",     "state",   "province", "county",   "region",
    "country", "island",   "capital", "suburb",   "district", "outskirts",
    "north",   "south",    "east",    "west",     "coast",    "shores",
    "mayor",   "governor", "kingdom", "republic"};

/* After a possessive name: what an organisation has ("Acme's shares")
 * and what a person has ("Smith's wife"). */
static const char *const org_owned[] = {
    "shares",    "stock",        "headquarters", "ceo",     "chief",
    "spokesman", "spokeswoman",  "spokesperson", "board",   "employees",
    "workers",   "staff",        "subsidiary",   "website", "products",
    "customers", "shareholders", "revenue",      "profits", "executives"};
static const char *const person_owned[] = {
    "wife",     "husband",    "mother",    "father",      "son",
    "daughter", "brother",    "sister",    "parents",     "children",
    "widow",    "girlfriend", "boyfriend", "family",      "career",
    "birth",    "death",      "funeral",   "childhood",   "lawyer",
    "friends",  "biography",  "memoir",    "grandmother", "grandfather"};

/* After ", a" or ", the" following a name. */
static const char *const org_nouns[] = {
    "company",   "firm",       "group",       "organization", "organisation",
    "startup",   "studio",     "band",        "team",         "charity",
    "agency",    "publisher",  "network",     "maker",        "retailer",
    "bank",      "university", "school",      "newspaper",    "magazine",
    "party",     "club",       "corporation", "manufacturer", "label",
    "nonprofit", "non-profit", "institute",   "foundation",   "website"};
static const char *const place_nouns[] = {
    "city",         "town",    "village", "country",  "state",  "province",
    "region",       "island",  "suburb",  "district", "county", "neighbourhood",
    "neighborhood", "capital", "river",   "mountain", "lake",   "municipality"};
static const char *const person_nouns[] = {
    "man",        "woman",  "boy",    "girl",      "actor",      "actress",
    "singer",     "writer", "author", "professor", "student",    "teacher",
    "lawyer",     "doctor", "former", "resident",  "spokesman",  "spokeswoman",
    "founder",    "mother", "father", "friend",    "native",     "veteran",
    "politician", "member", "player", "director",  "researcher", "scientist",
    "chief",      "head",   "editor", "chairman",  "chairwoman", "ceo"};

/* The lower-case words of WH_LEXICON_PATH (its proper nouns and
 * possessives are of no use here: a third of the table, kept out of the
 * cache), each also set in bloom (LEX_BLOOM_BITS bits). NULL with errstr
 * filled when the file cannot be read. */
#define LEX_BLOOM_BITS (1u << 20)

/* Two bits of the lexicon's Bloom filter for word w (len bytes). */
static void bloom_bits(const char *w, size_t len, size_t bit[2])
{
    uint64_t h = wh_hash64(w, len);

    bit[0] = (size_t)(h & (LEX_BLOOM_BITS - 1));
    bit[1] = (size_t)((h >> 32) & (LEX_BLOOM_BITS - 1));
}

static int bloom_has(const uint64_t *bloom, const char *w, size_t len)
{
    size_t bit[2];

    bloom_bits(w, len, bit);
    return (bloom[bit[0] / 64] >> (bit[0] % 64) & 1u) != 0 &&
           (bloom[bit[1] / 64] >> (bit[1] % 64) & 1u) != 0;
}

static struct wh_enrich_words *load_lexicon(uint64_t *bloom, char *errstr,
                                            size_t errstr_size)
{
    FILE *fp = fopen(WH_LEXICON_PATH, "r");
    struct wh_enrich_words *lex;
    char *line = NULL;
    size_t size = 0;
    ssize_t len;

    if (fp == NULL) {
        snprintf(errstr, errstr_size,
                 "%s: cannot open (the English word list of Debian's "
                 "wamerican)",
                 WH_LEXICON_PATH);
        return NULL;
    }
    lex = wh_enrich_words_new();
    while ((len = getline(&line, &size, fp)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }
        if (len > 0 && !(line[0] >= 'A' && line[0] <= 'Z') &&
            memchr(line, '\'', (size_t)len) == NULL) {
            size_t bit[2];

            wh_enrich_words_add(lex, line, (size_t)len, 1);
            bloom_bits(line, (size_t)len, bit);
            bloom[bit[0] / 64] |= (uint64_t)1 << (bit[0] % 64);
            bloom[bit[1] / 64] |= (uint64_t)1 << (bit[1] % 64);
        }
    }
    free(line);
    fclose(fp);
    return lex;
}

static size_t bare_len(const struct wh_enrich_token *t);

/* Marks G_FIRST on the first word of name (len bytes), as the tokenizer
 * cuts it, when the name has several words: gaz_span() looks up no span
 * whose first word is not so marked. */
static void mark_first_word(struct wh_enrich_words *gaz, const char *name,
                            size_t len)
{
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token first;
    struct wh_enrich_token next;

    wh_enrich_tok_init(&tz, name, len, 0);
    if (wh_enrich_tok_next(&tz, &first) && wh_enrich_tok_next(&tz, &next)) {
        wh_enrich_words_add(gaz, first.s, bare_len(&first), G_FIRST);
    }
}

/* mark_first_word() for each entry of the list at path (read before by
 * wh_enrich_words_load(); comments and blank lines have no words). */
static void mark_first_words(struct wh_enrich_words *gaz, const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[512];

    if (fp == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[strspn(line, " \t")] != '#') {
            mark_first_word(gaz, line, strlen(line));
        }
    }
    fclose(fp);
}

/* Adds the subdivision names of WH_ISO3166_2_PATH to the places, but
 * not those English writes as common words ("Central", "Western") or
 * with punctuation ("Tokyo [Tôkyô]"). Returns WH_OK, or WH_EIO with
 * errstr filled. */
static int load_subdivisions(struct entities_ctx *ctx, char *errstr,
                             size_t errstr_size)
{
    json_error_t jerr;
    json_t *doc = json_load_file(WH_ISO3166_2_PATH, 0, &jerr);
    json_t *list = json_object_get(doc, "3166-2");
    size_t k;

    if (!json_is_array(list)) {
        snprintf(errstr, errstr_size,
                 "%s: %s (the ISO 3166-2 list of Debian's iso-codes)",
                 WH_ISO3166_2_PATH,
                 doc == NULL ? jerr.text : "no \"3166-2\" array");
        json_decref(doc);
        return WH_EIO;
    }
    for (k = 0; k < json_array_size(list); k++) {
        const char *name =
            json_string_value(json_object_get(json_array_get(list, k), "name"));
        char low[128];
        size_t len;

        if (name == NULL || strpbrk(name, ",([;") != NULL) {
            continue;
        }
        len = wh_enrich_lower_buf(name, strlen(name), low, sizeof(low));
        if (len == (size_t)-1 || len < 3 ||
            wh_enrich_words_get(ctx->lex, low, len) != 0 ||
            (wh_enrich_words_get(ctx->gaz, name, strlen(name)) &
             (G_NONAME | G_GIVEN)) != 0) {
            continue;
        }
        wh_enrich_words_add(ctx->gaz, name, strlen(name), G_PLACE);
        mark_first_word(ctx->gaz, name, strlen(name));
    }
    json_decref(doc);
    return WH_OK;
}

static void entities_close(void *p)
{
    struct entities_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    wh_enrich_words_free(ctx->gaz);
    wh_enrich_words_free(ctx->lex);
    free(ctx->lex_bloom);
    wh_enrich_langs_free(ctx->langs);
    free(ctx->tok);
    free(ctx->gaz_bits);
    free(ctx->stop);
    free(ctx->tflags);
    free(ctx->grp);
    free(ctx->slots);
    free(ctx->lower);
    free(ctx->lower_len);
    free(ctx->lower_stamp);
    free(ctx->men);
    free(ctx);
}

/* --check-config: every gazetteer exists under the data directory, and
 * the two Debian lists read from the system are there. */
static int entities_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    static const char *const system_files[] = {WH_LEXICON_PATH,
                                               WH_ISO3166_2_PATH};
    size_t k;

    (void)arg;
    if (wh_enrich_check_data(cfg, NULL, 0, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        if (wh_enrich_data_check(cfg, gazetteers[k].file, errstr,
                                 errstr_size) != WH_OK) {
            return WH_ENOENT;
        }
    }
    for (k = 0; k < WH_ARRAY_SIZE(system_files); k++) {
        if (access(system_files[k], R_OK) != 0) {
            snprintf(errstr, errstr_size, "%s: %s (Debian's wamerican and "
                     "iso-codes)", system_files[k], strerror(errno));
            return WH_ENOENT;
        }
    }
    return WH_OK;
}

static void *entities_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct entities_ctx *ctx;
    long long max_bytes;
    size_t k;

    (void)arg;
    if (wh_config_int(cfg, wh_enrich_config_keys, "enrich.max_bytes",
                      &max_bytes, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->max_bytes = (size_t)max_bytes;
    ctx->gaz = wh_enrich_words_new();
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        char *path = wh_enrich_data_path(cfg, gazetteers[k].file);
        int rc = wh_enrich_words_load(ctx->gaz, path, gazetteers[k].bit, 0,
                                      errstr, errstr_size);

        if (rc == WH_OK) {
            mark_first_words(ctx->gaz, path);
        }
        free(path);
        if (rc != WH_OK) {
            wh_enrich_words_free(ctx->gaz);
            free(ctx);
            return NULL;
        }
    }
    ctx->lex_bloom = wh_xcalloc(LEX_BLOOM_BITS / 64, sizeof(uint64_t));
    ctx->lex = load_lexicon(ctx->lex_bloom, errstr, errstr_size);
    if (ctx->lex == NULL ||
        load_subdivisions(ctx, errstr, errstr_size) != WH_OK) {
        entities_close(ctx);
        return NULL;
    }
    ctx->langs = wh_enrich_langs_new(cfg);
    return ctx;
}

/* ---- words ---- */

static int word_in(const char *s, size_t len, const char *const *list, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        if (list[k][0] == s[0] && strlen(list[k]) == len &&
            memcmp(list[k], s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int tok_is(const struct wh_enrich_token *t, const char *w)
{
    size_t len = strlen(w);

    return t->len == len && memcmp(t->s, w, len) == 0;
}

/* tok_is() ignoring the case of an ASCII first letter ("The", "the"). */
static int tok_is_any_case(const struct wh_enrich_token *t, const char *w)
{
    size_t len = strlen(w);

    return t->len == len && (t->s[0] | 0x20) == (w[0] | 0x20) &&
           memcmp(t->s + 1, w + 1, len - 1) == 0;
}

static int is_particle(const struct wh_enrich_token *t, int second)
{
    if (t->len > 5 || (t->flags & WH_TOK_CAP) != 0) {
        return 0; /* all are short and in lower case */
    }
    return word_in(t->s, t->len, particles, WH_ARRAY_SIZE(particles)) ||
           (second && word_in(t->s, t->len, second_particles,
                              WH_ARRAY_SIZE(second_particles)));
}

static int is_name_word(const struct wh_enrich_token *t)
{
    size_t k;

    if ((t->flags & (WH_TOK_IDEO | WH_TOK_DIGIT)) != 0) {
        return 0;
    }
    if ((t->flags & (WH_TOK_CAP | WH_TOK_UPPER)) != 0) {
        /* "I", "I'm", "I've" */
        return !(t->s[0] == 'I' &&
                 (t->len == 1 || t->s[1] == '\'' ||
                  (t->len > 3 && (unsigned char)t->s[1] == 0xE2)));
    }
    /* "al-Assad", "el-Sisi", "d'Estaing" */
    for (k = 1; k < 4 && k + 1 < t->len; k++) {
        if ((t->s[k] == '-' || t->s[k] == '\'') && t->s[k + 1] >= 'A' &&
            t->s[k + 1] <= 'Z') {
            return 1;
        }
    }
    return 0;
}

/* Length of token t without a possessive "'s" or a trailing period. */
static size_t bare_len(const struct wh_enrich_token *t)
{
    if (t->len > 2 && t->s[t->len - 1] == 's' && t->s[t->len - 2] == '\'') {
        return t->len - 2;
    }
    if (t->len > 4 && t->s[t->len - 1] == 's' &&
        memcmp(t->s + t->len - 4, "\xE2\x80\x99", 3) == 0) {
        return t->len - 4;
    }
    return t->len;
}

static int possessive(const struct wh_enrich_token *t)
{
    return bare_len(t) != t->len;
}

/* The text of tokens [a, b] as written (runs of blanks as one space),
 * without a possessive on the last word, into out (size bytes): returns
 * the length, or (size_t)-1 when it does not fit. */
static size_t span_buf(const struct run *r, size_t a, size_t b, char *out,
                       size_t size)
{
    const char *s = r->tok[a].s;
    const char *e = r->tok[b].s + bare_len(&r->tok[b]);
    size_t o = 0;
    int blank = 0;

    if ((size_t)(e - s) >= size) {
        return (size_t)-1;
    }
    for (; s < e; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            blank = 1;
            continue;
        }
        if (blank && o > 0) {
            out[o++] = ' ';
        }
        blank = 0;
        out[o++] = *s;
    }
    out[o] = '\0';
    return o;
}

static unsigned gaz_tok(const struct run *r, size_t i)
{
    unsigned bits = r->gaz_bits[i];

    if ((bits & TOK_KNOWN) == 0) {
        /* every one-word entry is capitalized ("al-Qaeda" is two): a
         * lower-case word is never looked up in the large table */
        bits = TOK_KNOWN;
        if ((r->tflags[i] & T_NAME) != 0) {
            bits |= wh_enrich_words_get(r->ctx->gaz, r->tok[i].s,
                                        bare_len(&r->tok[i]));
        }
        r->gaz_bits[i] = bits;
    }
    return bits & ~(TOK_KNOWN | G_FIRST);
}

/* gaz_tok() with G_COMMON when the lexicon lists the capitalized token i
 * in lower case (looked up once, and only where a rule asks). */
static void analyse(const struct run *r, size_t i);

static unsigned lex_tok(const struct run *r, size_t i)
{
    analyse(r, i);
    return gaz_tok(r, i) | ((r->tflags[i] & T_COMMON) != 0 ? G_COMMON : 0);
}

/* Token i (a name word) starts a listed name of several words. */
static int gaz_first(const struct run *r, size_t i)
{
    (void)gaz_tok(r, i); /* fills the cache */
    return (r->gaz_bits[i] & G_FIRST) != 0;
}

static unsigned gaz_span(const struct run *r, size_t a, size_t b)
{
    char buf[256];
    size_t len;

    if (a == b) {
        return gaz_tok(r, a);
    }
    if ((r->tflags[a] & T_NAME) != 0 && !gaz_first(r, a)) {
        return 0; /* no listed name of several words starts so */
    }
    len = span_buf(r, a, b, buf, sizeof(buf));
    return len == (size_t)-1 ? 0 : wh_enrich_words_get(r->ctx->gaz, buf, len);
}

/* A title: "President", or "Sen." listed with its period (the tokenizer
 * leaves the period out of the word; the text is NUL-terminated). */
static int is_title(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    return (gaz_tok(r, i) & G_TITLE) != 0 ||
           (t->s[t->len] == '.' &&
            (wh_enrich_words_get(r->ctx->gaz, t->s, t->len + 1) & G_TITLE) !=
                0);
}

static int is_stop_uncached(const struct run *r, size_t i)
{
    char low[256];
    size_t len =
        wh_enrich_lower_buf(r->tok[i].s, r->tok[i].len, low, sizeof(low));
    char *q;

    if (len == (size_t)-1) {
        return 0;
    }
    /* the lists write "wasn't" with an ASCII apostrophe */
    q = strstr(low, "\xE2\x80\x99");
    if (q != NULL) {
        *q = '\'';
        memmove(q + 1, q + 3, len - (size_t)(q + 3 - low) + 1);
        len -= 2;
    }
    return (r->lang->stop != NULL &&
            wh_enrich_words_get(r->lang->stop, low, len) != 0) ||
           (r->en->stop != NULL &&
            wh_enrich_words_get(r->en->stop, low, len) != 0);
}

static int is_stop(const struct run *r, size_t i)
{
    if (r->stop[i] == STOP_UNKNOWN) {
        r->stop[i] = (unsigned char)is_stop_uncached(r, i);
    }
    return r->stop[i];
}

/* ---- the lower-case words of the text ---- */

static size_t lower_find(const struct run *r, const char *s, size_t len)
{
    size_t mask = r->nlower - 1;
    size_t k = (size_t)wh_hash64(s, len) & mask;

    while (r->ctx->lower_stamp[k] == r->ctx->stamp &&
           !(r->ctx->lower_len[k] == len &&
             memcmp(r->ctx->lower[k], s, len) == 0)) {
        k = (k + 1) & mask;
    }
    return k;
}

/* Fills the set of the words the text writes in lower case, for
 * lower_tok(). */
static void mark_lower(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t k;

    r->nlower = 64;
    while (r->nlower < r->ntok * 2) {
        r->nlower *= 2;
    }
    if (ctx->cap_lower < r->nlower) {
        ctx->cap_lower = r->nlower;
        ctx->lower = wh_xrealloc(ctx->lower, ctx->cap_lower * sizeof(char *));
        ctx->lower_len =
            wh_xrealloc(ctx->lower_len, ctx->cap_lower * sizeof(size_t));
        ctx->lower_stamp = wh_xrealloc(ctx->lower_stamp,
                                       ctx->cap_lower * sizeof(unsigned));
        memset(ctx->lower_stamp, 0, ctx->cap_lower * sizeof(unsigned));
        ctx->stamp = 0;
    }
    if (++ctx->stamp == 0) { /* wrapped: clear once */
        memset(ctx->lower_stamp, 0, ctx->cap_lower * sizeof(unsigned));
        ctx->stamp = 1;
    }
    for (k = 0; k < r->ntok; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags &
             (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_IDEO | WH_TOK_DIGIT)) == 0) {
            size_t slot = lower_find(r, t->s, t->len);

            ctx->lower[slot] = t->s;
            ctx->lower_len[slot] = t->len;
            ctx->lower_stamp[slot] = ctx->stamp;
        }
    }
}

/* Token i is capitalized and the text also writes it in lower case
 * ("General" and "general"): a common noun, trusted as a name only with
 * other evidence. Looked up once, where a rule asks. */
static int lower_tok(const struct run *r, size_t i)
{
    analyse(r, i);
    return (r->tflags[i] & T_LOWER) != 0;
}

/* Sets T_LOWER and T_COMMON of capitalized token i, once, from one
 * lower-case copy of it. */
static void analyse(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];
    char low[256];
    size_t len;

    if ((r->tflags[i] & T_LEXKNOWN) != 0) {
        return;
    }
    r->tflags[i] |= T_LEXKNOWN;
    if ((t->flags & WH_TOK_CAP) == 0) {
        return;
    }
    len = wh_enrich_lower_buf(t->s, bare_len(t), low, sizeof(low));
    if (len == (size_t)-1) {
        return;
    }
    if (r->ctx->lower_stamp[lower_find(r, low, len)] == r->ctx->stamp) {
        r->tflags[i] |= T_LOWER;
    }
    if (bloom_has(r->ctx->lex_bloom, low, len) &&
        wh_enrich_words_get(r->ctx->lex, low, len) != 0) {
        r->tflags[i] |= T_COMMON;
    }
}

/* Marks T_WEAK on the tokens whose capital their position explains: the
 * first word of a sentence, every word of the headline and of a
 * title-case line (three or more capitalized words and no lower-case
 * word but function words: "Materials and Methods"). */
static void mark_weak(struct run *r, size_t head_end)
{
    size_t a = 0;

    while (a < r->ntok) {
        size_t b = a + 1;
        size_t caps = 0;
        size_t lower = 0;
        size_t k;

        /* a line: up to the next token after a line break */
        while (b < r->ntok && ((r->tok[b].flags & WH_TOK_BREAK) == 0 ||
                               memchr(r->tok[b - 1].s + r->tok[b - 1].len, '\n',
                                      (size_t)(r->tok[b].s - r->tok[b - 1].s) -
                                          r->tok[b - 1].len) == NULL)) {
            b++;
        }
        for (k = a; k < b; k++) {
            caps += (r->tok[k].flags & WH_TOK_CAP) != 0 ? 1 : 0;
        }
        /* a lower-case word other than a function word: prose */
        for (k = a; k < b && caps >= 2 && lower == 0; k++) {
            const struct wh_enrich_token *t = &r->tok[k];

            if ((t->flags & (WH_TOK_CAP | WH_TOK_DIGIT)) == 0 &&
                !is_stop(r, k) && !is_particle(t, 1)) {
                lower++;
            }
        }
        for (k = a; k < b; k++) {
            if ((size_t)(r->tok[k].s - r->text) < head_end ||
                (caps >= 2 && lower == 0) ||
                (r->tok[k].flags & WH_TOK_SENT) != 0 || k == 0) {
                r->tflags[k] |= T_WEAK;
            }
        }
        a = b;
    }
}

/* ---- groups: the distinct names ---- */

static const char *grp_name(const struct run *r, const struct group *g)
{
    return r->arena.data + g->off;
}

static size_t *grp_slot(struct run *r, const char *s, size_t len)
{
    size_t mask = r->nslots - 1;
    size_t k = (size_t)wh_hash64(s, len) & mask;

    for (;;) {
        size_t v = r->ctx->slots[k];

        if (v == 0) {
            return &r->ctx->slots[k];
        }
        if (r->grp[v - 1].len == len &&
            memcmp(grp_name(r, &r->grp[v - 1]), s, len) == 0) {
            return &r->ctx->slots[k];
        }
        k = (k + 1) & mask;
    }
}

/* The group of the name s (len bytes), created when new. */
static struct group *grp_get(struct run *r, const char *s, size_t len,
                             size_t words)
{
    struct entities_ctx *ctx = r->ctx;
    size_t *slot = grp_slot(r, s, len);
    struct group *g;

    if (*slot != 0) {
        return &r->grp[*slot - 1];
    }
    if (r->ngrp == ctx->cap_grp) {
        ctx->cap_grp = ctx->cap_grp == 0 ? 64 : ctx->cap_grp * 2;
        ctx->grp = wh_xrealloc(ctx->grp, ctx->cap_grp * sizeof(*ctx->grp));
        r->grp = ctx->grp;
    }
    g = &r->grp[r->ngrp];
    memset(g, 0, sizeof(*g));
    g->off = r->arena.len;
    g->len = len;
    g->words = words;
    g->into = -1;
    wh_buf_append(&r->arena, s, len);
    wh_buf_append(&r->arena, "", 1);
    *slot = ++r->ngrp;
    return g;
}

static void add_cue(struct group *g, enum kind kind, double w, const char *what,
                    const char *s, size_t len)
{
    g->score[kind] += w;
    if (w > g->cue[kind].w) {
        g->cue[kind].w = w;
        g->cue[kind].what = what;
        g->cue[kind].s = s;
        g->cue[kind].len = len;
    }
}

/* ---- evidence of one mention ---- */

static int amp_gap(const struct run *r, size_t i);
static int cite_amp(const struct run *r, size_t i);
static int amp_from(const char *s, const char *e);

/* The token before the mention, when nothing but blanks separate them. */
static const struct wh_enrich_token *before(const struct run *r, size_t a,
                                            size_t back)
{
    size_t k;

    if (a < back) {
        return NULL;
    }
    for (k = 0; k < back; k++) {
        if ((r->tok[a - k].flags & WH_TOK_BREAK) != 0) {
            return NULL;
        }
    }
    return &r->tok[a - back];
}

/* The character right after token i (the text is NUL-terminated). */
static char after_char(const struct run *r, size_t i)
{
    return r->tok[i].s[r->tok[i].len];
}

/* Every word of [a, b] is a common word (in lower case in the lexicon
 * or in the text), a connector or a Roman numeral. */
static int all_common(const struct run *r, size_t a, size_t b)
{
    size_t k;

    for (k = a; k <= b; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags & WH_TOK_CAP) == 0 || (lex_tok(r, k) & G_COMMON) != 0 ||
            lower_tok(r, k) || strspn(t->s, "IVX") == t->len) {
            continue;
        }
        return 0;
    }
    return 1;
}

/* A capital after the first letter: an acronym ("EU") or a brand
 * ("PayPal", "iPhone"). */
static int inner_capital(const struct wh_enrich_token *t)
{
    size_t k;

    for (k = 1; k < t->len; k++) {
        if (t->s[k] >= 'A' && t->s[k] <= 'Z') {
            return 1;
        }
    }
    return 0;
}

/* Token i is "v", "v." or "versus" between the parties of a case, with
 * nothing but blanks (and the period) around it. */
static int is_versus(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    if (i + 1 >= r->ntok || (t->flags & WH_TOK_BREAK) != 0) {
        return 0;
    }
    if (tok_is(t, "versus")) {
        return (r->tok[i + 1].flags & WH_TOK_BREAK) == 0;
    }
    return (tok_is(t, "v") || tok_is(t, "vs")) &&
           (after_char(r, i) == ' ' ||
            (after_char(r, i) == '.' && t->s[t->len + 1] == ' ')) &&
           r->tok[i + 1].s <= t->s + t->len + 2;
}

/* The one-word name at token b is spoken to: "Tamsin, you know" (not a
 * common word: "Besides, you"). */
static int spoken_to(const struct run *r, size_t b)
{
    const struct wh_enrich_token *n;

    if (b + 1 >= r->ntok || after_char(r, b) != ',') {
        return 0;
    }
    n = &r->tok[b + 1];
    return (tok_is(n, "you") || tok_is(n, "you're")) &&
           (lex_tok(r, b) & G_COMMON) == 0;
}

/* The context before the name whose text starts at token a (its title,
 * if any); common: 1 when the name is made of common words only. */
static void context_before(struct run *r, struct group *g, size_t a, int common)
{
    const struct wh_enrich_token *b1 = before(r, a, 1);
    const struct wh_enrich_token *b2 = before(r, a, 2);
    size_t k;

    if (a >= 2 && is_versus(r, a - 1) &&
        (r->tok[a - 2].flags & WH_TOK_CAP) != 0 &&
        (g->bits & (G_PLACE | G_ORG)) == 0) {
        /* the parties of a case: "Harlan v. Osgood" */
        add_cue(g, K_PERSON, 4.0, "case: ", r->tok[a - 1].s,
                r->tok[a - 1].len);
    }
    if (a > 0 && cite_amp(r, a - 1) && is_name_word(&r->tok[a - 1])) {
        add_cue(g, K_PERSON, 3.0, "citation: ", "&", 1);
    }
    if (b1 == NULL) {
        return;
    }
    if (tok_is(b1, "I'm") || tok_is(b1, "I\xE2\x80\x99m")) {
        add_cue(g, K_PERSON, 3.0, "context: ", b1->s, b1->len); /* "I'm
                                                                * Tamsin" */
    }
    if ((b1->flags & (WH_TOK_CAP | WH_TOK_UPPER)) != 0 && !tok_is(b1, "The")) {
        return; /* a capitalized word before: another name */
    }
    if ((g->bits & (G_PLACE | G_ORG | G_GIVEN)) == 0 &&
        (common || (g->words == 1 && inner_capital(&r->tok[a])))) {
        return; /* "in Nature", "in Public Policy", "in EU": common
                 * words or an acronym say little by their context */
    }
    for (k = 0; k < WH_ARRAY_SIZE(before_words); k++) {
        if (before_words[k].w[0] == b1->s[0] && tok_is(b1, before_words[k].w)) {
            add_cue(g, before_words[k].kind, before_words[k].weight,
                    "context: ", b1->s, b1->len);
        }
    }
    if (tok_is_any_case(b1, "the")) {
        g->score[K_PERSON] -= 2; /* people rarely take an article */
    }
    if (b2 != NULL && (tok_is(b1, "in") || tok_is(b1, "of")) &&
        (tok_is(b2, "based") || tok_is(b2, "born") || tok_is(b2, "located") ||
         tok_is(b2, "situated") || tok_is(b2, "lives") || tok_is(b2, "lived") ||
         tok_is(b2, "raised") || tok_is(b2, "headquartered"))) {
        add_cue(g, K_PLACE, 3.0, "context: ", b2->s,
                (size_t)(b1->s + b1->len - b2->s));
    }
    if (b2 != NULL &&
        (tok_is(b1, "of") || tok_is(b1, "at") || tok_is(b1, "for"))) {
        char low[64];
        size_t len = wh_enrich_lower_buf(b2->s, b2->len, low, sizeof(low));

        if (len != (size_t)-1 &&
            word_in(low, len, org_of_nouns, WH_ARRAY_SIZE(org_of_nouns))) {
            add_cue(g, K_ORG, 3.0, "context: ", b2->s,
                    (size_t)(b1->s + b1->len - b2->s));
        }
        if (len != (size_t)-1 && tok_is(b1, "of") &&
            word_in(low, len, place_of_nouns, WH_ARRAY_SIZE(place_of_nouns))) {
            add_cue(g, K_PLACE, 3.0, "context: ", b2->s,
                    (size_t)(b1->s + b1->len - b2->s));
        }
    }
}

/* ", a company" / ", the city" after the name at token b. */
static void apposition(struct run *r, struct group *g, size_t b)
{
    size_t k;

    if (b + 2 >= r->ntok || after_char(r, b) != ',' ||
        !(tok_is(&r->tok[b + 1], "a") || tok_is(&r->tok[b + 1], "an") ||
          tok_is(&r->tok[b + 1], "the"))) {
        return;
    }
    /* the noun, or one word later ("a small town") */
    for (k = b + 2; k <= b + 3 && k < r->ntok; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags & WH_TOK_BREAK) != 0) {
            return;
        }
        if (word_in(t->s, t->len, org_nouns, WH_ARRAY_SIZE(org_nouns))) {
            add_cue(g, K_ORG, 3.0, "apposition: ", t->s, t->len);
            return;
        }
        if (word_in(t->s, t->len, place_nouns, WH_ARRAY_SIZE(place_nouns))) {
            add_cue(g, K_PLACE, 3.0, "apposition: ", t->s, t->len);
            return;
        }
        if (word_in(t->s, t->len, person_nouns, WH_ARRAY_SIZE(person_nouns))) {
            add_cue(g, K_PERSON, 3.0, "apposition: ", t->s, t->len);
            return;
        }
    }
}

/* A year right after the name at token b, as a citation writes it:
 * "(Moravec, 2014)", "Moravec (2014) found". */
static int is_year_after(const struct run *r, size_t b)
{
    const struct wh_enrich_token *n = &r->tok[b + 1];
    const char *gap = r->tok[b].s + r->tok[b].len;
    size_t k;

    if (n->len != 4 || (n->s[0] != '1' && n->s[0] != '2')) {
        return 0;
    }
    for (k = 1; k < 4; k++) {
        if (n->s[k] < '0' || n->s[k] > '9') {
            return 0;
        }
    }
    if (gap[0] == ',' && gap[1] == ' ' && gap + 2 == n->s) {
        return 1;
    }
    /* "Moravec (2014) found", but not "Casablanca (1942), a film": the
     * year is followed by a verb, not by punctuation */
    return gap[0] == ' ' && gap[1] == '(' && gap + 2 == n->s &&
           n->s[4] == ')' && n->s[5] == ' ' && b + 2 < r->ntok &&
           (r->tok[b + 2].flags & (WH_TOK_CAP | WH_TOK_DIGIT)) == 0 &&
           r->tok[b + 2].s == n->s + 6 && !is_stop(r, b + 2);
}

static void context_after(struct run *r, struct group *g, size_t b)
{
    const struct wh_enrich_token *n;

    if (b + 1 >= r->ntok) {
        return;
    }
    n = &r->tok[b + 1];
    if ((n->flags & WH_TOK_BREAK) == 0 && !possessive(&r->tok[b]) &&
        word_in(n->s, n->len, person_verbs, WH_ARRAY_SIZE(person_verbs))) {
        add_cue(g, K_PERSON, 3.0, "context: ", n->s, n->len);
        add_cue(g, K_ORG, 0.5, "context: ", n->s, n->len);
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && possessive(&r->tok[b])) {
        /* "Acme's chief executive", "Smith's wife" */
        if (word_in(n->s, n->len, org_owned, WH_ARRAY_SIZE(org_owned))) {
            add_cue(g, K_ORG, 3.0, "possessive: ", n->s, n->len);
        } else if (word_in(n->s, n->len, person_owned,
                           WH_ARRAY_SIZE(person_owned))) {
            add_cue(g, K_PERSON, 3.0, "possessive: ", n->s, n->len);
        }
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && tok_is(n, "et") && b + 2 < r->ntok &&
        tok_is(&r->tok[b + 2], "al")) {
        add_cue(g, K_PERSON, 4.0, "context: ", "et al.", 6);
    }
    if (after_char(r, b) == ',' && (tok_is(n, "who") || tok_is(n, "whose"))) {
        add_cue(g, K_PERSON, 2.5, "context: ", n->s, n->len);
    }
    if (after_char(r, b) == ',' && (n->flags & WH_TOK_DIGIT) != 0 &&
        n->len <= 3 && b + 2 < r->ntok && after_char(r, b + 1) == ',') {
        add_cue(g, K_PERSON, 3.0, "age: ", n->s, n->len); /* "Smith, 45," */
    }
    if (after_char(r, b) == ',' && (n->flags & WH_TOK_CAP) != 0 &&
        (gaz_tok(r, b + 1) & G_PLACE) != 0 &&
        (gaz_tok(r, b + 1) & G_GIVEN) == 0) {
        add_cue(g, K_PLACE, 3.0, "context: , ", n->s, n->len); /* "Fresno,
                                                                * California" */
    }
    if (after_char(r, b) == ',' && n->len == 1 && (n->flags & WH_TOK_CAP) != 0 &&
        after_char(r, b + 1) == '.') {
        /* a reference: "Osgood, K. (2011)" */
        add_cue(g, K_PERSON, 3.0, "reference: ", n->s, n->len);
    }
    if (spoken_to(r, b)) {
        add_cue(g, K_PERSON, 3.0, "context: , ", n->s, n->len);
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && (g->bits & (G_PLACE | G_ORG)) == 0 &&
        is_versus(r, b + 1) && b + 2 < r->ntok &&
        (r->tok[b + 2].flags & WH_TOK_CAP) != 0) {
        add_cue(g, K_PERSON, 4.0, "case: ", n->s, n->len);
    }
    if (is_year_after(r, b)) {
        add_cue(g, K_PERSON, 4.0, "citation: ", n->s, n->len);
    }
    if (cite_amp(r, b) && is_name_word(n)) {
        add_cue(g, K_PERSON, 3.0, "citation: ", "&", 1);
    }
    apposition(r, g, b);
}

/* A word that makes a part of a place ("East Anglia", "Upper
 * Austria", "Greater London"). */
static int is_direction_word(const char *s, size_t len)
{
    static const char *const words[] = {
        "North",     "South",     "East",      "West",    "Northern",
        "Southern",  "Eastern",   "Western",   "Central", "Upper",
        "Lower",     "Greater",   "Inner",     "Outer",   "Northeast",
        "Northwest", "Southeast", "Southwest", "Old",     "New"};

    return word_in(s, len, words, WH_ARRAY_SIZE(words));
}

static int is_direction(const struct wh_enrich_token *t)
{
    return is_direction_word(t->s, t->len);
}

/* A capitalized article of another language: a name that starts so is
 * rather a place or a work than a person ("El Paso", "Les Halles"). */
static int is_article(const struct wh_enrich_token *t)
{
    static const char *const articles[] = {"El",  "La", "Le",  "Les", "Los",
                                           "Las", "Il", "Lo",  "Der", "Die",
                                           "Das", "De", "Het", "O",   "A"};

    return word_in(t->s, t->len, articles, WH_ARRAY_SIZE(articles));
}

/* A word that looks like a name in a run with no other evidence: not
 * an acronym, not a common noun of this text, not a function word. */
static int name_like(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    return (t->flags & WH_TOK_UPPER) == 0 && !lower_tok(r, i) &&
           !is_stop(r, i) && (lex_tok(r, i) & (G_NONAME | G_COMMON)) == 0;
}

static int blank_gap(const struct run *r, size_t i);

/* Internal evidence of the name [a, b] and its contexts; title is the
 * first token of a title before it (or (size_t)-1), mention_weak 1 when
 * its capitals are explained by position. */
static void add_mention(struct run *r, size_t a, size_t b, size_t title,
                        int mention_weak)
{
    char buf[512];
    size_t len = span_buf(r, a, b, buf, sizeof(buf));
    size_t words = 0;
    size_t k;
    struct group *g;
    unsigned first;
    unsigned last;
    int prior = 1;
    int initials = 0;

    if (len == (size_t)-1 || len == 0) {
        return;
    }
    for (k = a; k <= b; k++) {
        if (is_particle(&r->tok[k], 1) || tok_is(&r->tok[k], "of") ||
            tok_is(&r->tok[k], "the") || tok_is(&r->tok[k], "and") ||
            tok_is(&r->tok[k], "for") || tok_is(&r->tok[k], "on")) {
            prior = 0;
            continue;
        }
        words++;
        if (r->tok[k].len == 1 && after_char(r, k) == '.' && k < b) {
            initials = 1;
        } else if (!name_like(r, k)) {
            prior = 0;
        }
        /* a listed organisation, a head or an abbreviation of one
         * inside, or a listed place after the first word: a building, a
         * street, a team, no one's name ("Alder St. Depot", "Quarry
         * Lisbon"); a first word may be a small region's name too */
        if ((gaz_tok(r, k) & (G_ORG | G_PHEAD | G_PPRE | G_SUFFIX |
                              (k > a ? G_PLACE : 0u))) != 0 &&
            (gaz_tok(r, k) & G_GIVEN) == 0) {
            prior = 0;
        }
    }
    g = grp_get(r, buf, len, words);
    if (r->nmen == r->ctx->cap_men) {
        r->ctx->cap_men = r->ctx->cap_men == 0 ? 64 : r->ctx->cap_men * 2;
        r->ctx->men =
            wh_xrealloc(r->ctx->men, r->ctx->cap_men * sizeof(*r->ctx->men));
        r->men = r->ctx->men;
    }
    r->men[r->nmen].a = a;
    r->men[r->nmen].b = b;
    r->men[r->nmen].grp = (size_t)(g - r->grp);
    r->nmen++;
    if (g->mentions == 0) {
        g->first_tok = a;
        g->last_tok = b;
        g->bits = a == b ? lex_tok(r, a) : gaz_span(r, a, b);
    }
    if (a > 0 && b + 1 < r->ntok && blank_gap(r, a - 1) && blank_gap(r, b) &&
        (r->tok[a - 1].flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) ==
            0 &&
        (r->tok[b + 1].flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) ==
            0) {
        g->prose = 1;
    }
    if (mention_weak && a == b &&
        (spoken_to(r, b) || (a >= 2 && is_versus(r, a - 1)))) {
        /* "Tamsin, you know" (no common word), "Harlan v. Osgood": the
         * capital is the name's, not the sentence's */
        mention_weak = 0;
    }
    g->mentions++;
    g->strong += mention_weak ? 0 : 1;
    first = gaz_tok(r, a);
    last = gaz_tok(r, b);
    if (g->mentions == 1) {
        /* internal evidence, once per name */
        if (g->bits & G_ORG) {
            add_cue(g, K_ORG, words > 1 ? 5.0 : 3.0, "gazetteer: organisations",
                    NULL, 0);
        }
        if (g->bits & G_PLACE) {
            add_cue(g, K_PLACE, words > 1 ? 5.0 : 3.0, "gazetteer: places",
                    NULL, 0);
        }
        if ((g->bits & G_GIVEN) != 0 && words == 1) {
            /* "Summer", "Miles": also common words, they need context */
            add_cue(g, K_PERSON, (g->bits & G_COMMON) != 0 ? 1.5 : 3.0,
                    "gazetteer: given names", NULL, 0);
        }
        if (words > 1 && (first & G_GIVEN) != 0 && (first & G_NONAME) == 0 &&
            words <= 4) {
            add_cue(g, K_PERSON, 3.0, "given name: ", r->tok[a].s,
                    r->tok[a].len);
        }
        if (words > 1 && (last & G_SUFFIX) != 0 && (last & G_PHEAD) == 0) {
            /* "Lincoln Center" is a place, "Center for ..." an
             * organisation (the head rule below) */
            add_cue(g, K_ORG, 4.0, "suffix: ", r->tok[b].s,
                    bare_len(&r->tok[b]));
        }
        for (k = a; words > 1 && k + 1 < b; k++) {
            /* "Bank of ...", "Massachusetts Institute of Technology" */
            if ((gaz_tok(r, k) & G_SUFFIX) != 0 &&
                (tok_is(&r->tok[k + 1], "of") ||
                 tok_is(&r->tok[k + 1], "for") ||
                 tok_is(&r->tok[k + 1], "on"))) {
                add_cue(g, K_ORG, 4.0, "head: ", r->tok[k].s, r->tok[k].len);
                break;
            }
        }
        if (words > 1 && (last & G_PHEAD) != 0) {
            add_cue(g, K_PLACE, 4.0, "place head: ", r->tok[b].s,
                    bare_len(&r->tok[b]));
        }
        if (words > 1 && (first & G_PPRE) != 0 &&
            !(words > 2 && (last & G_PHEAD) == 0 &&
              (gaz_span(r, a, b - 1) & G_PLACE) != 0)) {
            /* but "San Marcos Herald" is named after the place */
            add_cue(g, K_PLACE, 3.5, "place prefix: ", r->tok[a].s,
                    r->tok[a].len);
        }
        if (words > 1 && is_direction(&r->tok[a]) &&
            (gaz_span(r, a + 1, b) & G_PLACE) != 0) {
            add_cue(g, K_PLACE, 4.0, "part of: ", r->tok[a].s, r->tok[a].len);
        } else if (words == 2 && is_direction(&r->tok[a]) &&
                   name_like(r, b)) {
            /* "West Ashby": a part of a place the lists do not hold */
            add_cue(g, K_PLACE, 2.0, "part of: ", r->tok[a].s, r->tok[a].len);
        }
        if (initials) {
            add_cue(g, K_PERSON, 2.5, "initials", NULL, 0);
        }
        if (words == 1 && (r->tok[a].flags & WH_TOK_UPPER) != 0 &&
            r->tok[a].len <= 6 && g->bits == 0) {
            add_cue(g, K_ORG, 1.0, "acronym", NULL, 0);
        }
        if (words > 1 && words <= 4 && prior && !is_article(&r->tok[a]) &&
            ((first | last) & (G_SUFFIX | G_PHEAD | G_PPRE)) == 0 &&
            (g->bits & (G_ORG | G_PLACE)) == 0) {
            add_cue(g, K_PERSON, 1.5, "capitalized name", NULL, 0);
        }
    }
    if (title != (size_t)-1) {
        add_cue(g, K_PERSON, 5.0, "title: ", r->tok[title].s,
                (size_t)(r->tok[a].s - r->tok[title].s) - 1);
    }
    if (mention_weak && words == 1) {
        return; /* "Nice job!": position explains the capital */
    }
    context_before(r, g, title != (size_t)-1 ? title : a, all_common(r, a, b));
    context_after(r, g, b);
}

/* ---- names ---- */

/* The break before token n can be crossed: the period of an initial
 * ("Steven F. Udvar-Hazy") or of a listed abbreviation ("St. Louis"). */
static int crossable(const struct run *r, size_t prev)
{
    const struct wh_enrich_token *p = &r->tok[prev];
    const char *s = p->s + p->len;

    if (s[0] != '.' || (s[1] != ' ' && s[1] != '\n')) {
        return 0;
    }
    if ((p->len == 1 && (p->flags & WH_TOK_CAP) != 0) || tok_is(p, "St") ||
        tok_is(p, "Mt") || tok_is(p, "Ft")) {
        return 1; /* an initial, "St. Louis" */
    }
    return (wh_enrich_words_get(r->ctx->gaz, p->s, p->len + 1) &
            (G_PPRE | G_TITLE)) != 0;
}

/* Only blanks between tokens i and i + 1 ("Moravec & Pelling", "State -
 * Bill" are two names each). */
static int blank_gap(const struct run *r, size_t i)
{
    const char *s = r->tok[i].s + r->tok[i].len;

    for (; s < r->tok[i + 1].s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return 0;
        }
    }
    return 1;
}

/* The end of the run of name words starting at a (particles and
 * initials inside). */
static size_t run_end(const struct run *r, size_t a)
{
    size_t b = a;

    while (b + 1 < r->ntok && b - a + 1 < NAME_MAX_WORDS &&
           (!possessive(&r->tok[b]) ||
            ((gaz_tok(r, b + 1) & (G_SUFFIX | G_PHEAD)) != 0 &&
             (gaz_tok(r, b) & (G_PLACE | G_ORG)) == 0))) {
        size_t n = b + 1;

        /* a particle is kept only between two name words */
        while (n < r->ntok && is_particle(&r->tok[n], n > b + 1) &&
               (r->tok[n].flags & WH_TOK_BREAK) == 0 && n - b < 3) {
            n++;
        }
        if (n >= r->ntok || (r->tflags[n] & T_NAME) == 0 ||
            ((r->tok[n].flags & WH_TOK_BREAK) != 0 &&
             !(n == b + 1 && crossable(r, b))) ||
            (!blank_gap(r, n - 1) && !(n == b + 1 && crossable(r, b)) &&
             (r->tok[n - 1].s + r->tok[n - 1].len != r->tok[n].s - 1 ||
              r->tok[n].s[-1] != '&')) ||
            (n > b + 1 && (r->tok[b + 1].flags & WH_TOK_BREAK) != 0)) {
            break;
        }
        b = n;
    }
    return b;
}

/* Only " & " between tokens i and i + 1. */
static int amp_gap(const struct run *r, size_t i)
{
    return amp_from(r->tok[i].s + r->tok[i].len, r->tok[i + 1].s);
}

/* amp_gap(), or ", & " as the last author of a list is cited
 * ("Aldane, Ferrow, & Gorrow"). */
static int cite_amp(const struct run *r, size_t i)
{
    const char *s = r->tok[i].s + r->tok[i].len;

    return amp_from(*s == ',' ? s + 1 : s, r->tok[i + 1].s);
}

/* Only " & " from s to e. */
static int amp_from(const char *s, const char *e)
{
    while (s < e && *s == ' ') {
        s++;
    }
    if (s == e || *s != '&') {
        return 0;
    }
    for (s++; s < e && *s == ' '; s++) {
    }
    return s == e;
}

/* 1 when the connector between runs [a, b] and [c, d] joins them:
 * "of" / "of the" / "for" / "on" after an organisation or place head,
 * "and" or "&" inside an organisation name. */
static int joins(const struct run *r, size_t a, size_t b, size_t c, size_t d)
{
    const struct wh_enrich_token *m = &r->tok[b + 1];
    unsigned lastbits = gaz_tok(r, b);
    size_t k;

    for (k = b + 1; k <= c; k++) {
        if ((r->tok[k].flags & WH_TOK_BREAK) != 0 ||
            (!blank_gap(r, k - 1) && !(c == b + 1 && amp_gap(r, b)))) {
            return 0;
        }
    }
    if (possessive(&r->tok[b])) {
        return 0;
    }
    if (c == b + 2 && tok_is(m, "of")) {
        return (lastbits & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0 ||
               (gaz_span(r, a, d) & (G_ORG | G_PLACE)) != 0;
    }
    if (c == b + 3 && tok_is(m, "of") && tok_is(&r->tok[b + 2], "the")) {
        return (lastbits & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0;
    }
    if (c == b + 2 && (tok_is(m, "for") || tok_is(m, "on"))) {
        return (lastbits & G_SUFFIX) != 0 && !is_stop(r, c);
    }
    if ((c == b + 2 && tok_is(m, "and")) || (c == b + 1 && amp_gap(r, b))) {
        /* "Securities and Exchange Commission", but not "Britain and
         * European Commission" nor "Institute of Technology and
         * Colorado State University" */
        for (k = a; k <= b; k++) {
            if ((gaz_tok(r, k) & (G_SUFFIX | G_PHEAD)) != 0) {
                return 0;
            }
        }
        return (gaz_tok(r, d) & G_SUFFIX) != 0 &&
               (gaz_span(r, a, b) & (G_ORG | G_PLACE | G_GIVEN)) == 0 &&
               (gaz_tok(r, a) & G_GIVEN) == 0 && b - a < 3;
    }
    return 0;
}

static int ends_with(const struct wh_enrich_token *t, const char *suffix)
{
    size_t n = strlen(suffix);

    return t->len > n + 2 && memcmp(t->s + t->len - n, suffix, n) == 0;
}

/* The first word of a sentence that is rather a common word: written in
 * lower case elsewhere, listed as no name, or shaped like an adverb or
 * participle ("Clearly", "Reading", "Asked"), and in no list. */
static int common_start(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];
    unsigned bits = lex_tok(r, i);

    if ((bits & (G_NONAME | G_COMMON)) != 0 &&
        (bits & (G_GIVEN | G_PLACE | G_ORG | G_TITLE)) == 0) {
        return 1;
    }
    if (bits != 0) {
        return 0;
    }
    return lower_tok(r, i) || ends_with(t, "ly") || ends_with(t, "ing") ||
           ends_with(t, "ed");
}

/* [a, b] can be a name: not only initials ("H. R."), not ending with an
 * adjective of origin ("South African"), a plural of people
 * ("Republicans", "Democrats") or the head of an event, law or work
 * ("Nobel Prize"), and not a whole quoted title ("“Silent Night”"). */
/* The run [a, b] is all of a quotation: a title. */
static int quoted(const struct run *r, size_t a, size_t b)
{
    const char *s = r->tok[a].s;
    const char *e = r->tok[b].s + r->tok[b].len;

    if (s == r->text || a == b) {
        return 0;
    }
    /* e[] is read byte by byte: the text ends with a NUL */
    return ((s[-1] == '"' && e[0] == '"') ||
            (s - r->text >= 3 && memcmp(s - 3, "\xE2\x80\x9C", 3) == 0 &&
             e[0] == '\xE2' && e[1] == '\x80' && e[2] == '\x9D'));
}

static int name_shaped(const struct run *r, size_t a, size_t b)
{
    const struct wh_enrich_token *t = &r->tok[b];
    size_t k;

    if ((gaz_span(r, a, b) & (G_ORG | G_PLACE)) != 0) {
        return 1;
    }
    if ((gaz_tok(r, b) & G_NONAME) != 0 ||
        (a < b && (gaz_tok(r, b) & G_OTHER) != 0) || quoted(r, a, b) ||
        ends_with(t, "ians") || ends_with(t, "cans") || ends_with(t, "crats") ||
        ends_with(t, "ists")) {
        return 0;
    }
    for (k = a; k <= b; k++) {
        if (r->tok[k].len > 1 && (r->tok[k].flags & WH_TOK_UPPER) == 0) {
            return 1;
        }
        if (r->tok[k].len > 1 && a == b) {
            return 1; /* an acronym */
        }
    }
    return 0;
}

/* After a head has joined ("Royal Academy of Music"), one more
 * "and" or "of" part that is no name of its own ("... and Sculpture",
 * "... of America"): [c, d] holds no head, no given name, no listed
 * organisation. */
static int joins_more(const struct run *r, size_t b, size_t c, size_t d)
{
    const struct wh_enrich_token *m = &r->tok[b + 1];
    size_t k;

    if (c != b + 2 || !(tok_is(m, "and") || tok_is(m, "of")) ||
        (m->flags & WH_TOK_BREAK) != 0 || !blank_gap(r, b) ||
        !blank_gap(r, b + 1) || possessive(&r->tok[b])) {
        return 0;
    }
    for (k = c; k <= d; k++) {
        if ((gaz_tok(r, k) & (G_SUFFIX | G_PHEAD | G_GIVEN | G_ORG)) != 0) {
            return 0;
        }
    }
    return !tok_is(m, "and") || (gaz_span(r, c, d) & G_PLACE) == 0;
}

/* Some word of [a, b] is an organisation or place head ("American
 * University of Paris" keeps its adjective). */
static int has_head(const struct run *r, size_t a, size_t b)
{
    size_t k;

    for (k = a; k <= b; k++) {
        if ((gaz_tok(r, k) & (G_SUFFIX | G_PHEAD)) != 0) {
            return 1;
        }
    }
    return 0;
}

static int is_determiner(const struct wh_enrich_token *t)
{
    return word_in(t->s, t->len, determiners, WH_ARRAY_SIZE(determiners));
}

/* Cuts the run [a, b] into names: function words, titles and common
 * words at the edges off, pieces split at a function word inside. */
static void add_run(struct run *r, size_t a, size_t b)
{
    size_t title = (size_t)-1;
    unsigned whole = gaz_span(r, a, b);
    unsigned lastbits;
    int weak;
    size_t k;

    /* leading function words, unless the whole is listed ("The Hague") */
    while (a <= b && (whole & (G_ORG | G_PLACE)) == 0 &&
           (is_determiner(&r->tok[a]) ||
            ((r->tflags[a] & T_WEAK) != 0 && is_stop(r, a) &&
             !is_particle(&r->tok[a], 0) &&
             (gaz_span(r, a, a < b ? a + 1 : a) & (G_ORG | G_PLACE)) == 0))) {
        a++;
        whole = a <= b ? gaz_span(r, a, b) : 0;
    }
    if (a > b) {
        return;
    }
    /* trailing function words and days ("Obama Monday") */
    while (b > a && is_stop(r, b) && !is_particle(&r->tok[b], 1) &&
           (gaz_tok(r, b) & (G_SUFFIX | G_PHEAD)) == 0 &&
           (gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    lastbits = gaz_tok(r, b);
    whole = gaz_span(r, a, b);
    /* titles: "President Joe Biden", "Prime Minister Keir Starmer", but
     * "General Motors" and "King County" keep their first word */
    if ((whole & (G_ORG | G_PLACE)) == 0 &&
        (lastbits & (G_SUFFIX | G_PHEAD)) == 0) {
        size_t from = a;
        int named = 0;

        /* the last title ("Treasury Secretary Janet Yellen") */
        for (k = a; k <= b; k++) {
            if (k < b && ((gaz_tok(r, k) | gaz_tok(r, k + 1)) & G_TITLE) != 0 &&
                (gaz_span(r, k, k + 1) & G_TITLE) != 0) {
                title = from;
                a = k + 2;
                k++;
            } else if (is_title(r, k)) {
                title = from;
                a = k + 1;
            }
        }
        if (a > b) {
            return; /* a title alone is no name */
        }
        for (k = a; k <= b; k++) {
            named |= name_like(r, k) || (gaz_tok(r, k) & G_GIVEN) != 0;
        }
        if (!named) {
            a = from; /* "General Strike Committee": no name after the title */
            title = (size_t)-1;
        }
    }
    /* a sentence-initial word that looks common ("Yesterday Obama
     * said", "Asked Moravec"), or an adjective of origin before a name
     * ("Czech Jan Moravec"): not part of the name */
    while (a < b && title == (size_t)-1 && (whole & (G_ORG | G_PLACE)) == 0 &&
           (((r->tflags[a] & T_WEAK) != 0 && common_start(r, a) &&
             (gaz_span(r, a, a + 1) & (G_ORG | G_PLACE)) == 0) ||
            ((gaz_tok(r, a) & G_NONAME) != 0 && a + 1 < b &&
             !has_head(r, a, b)))) {
        a++;
    }
    /* trailing titles ("Jan Moravec Vice-Chancellor") */
    while (b > a && is_title(r, b) && (gaz_tok(r, b) & G_SUFFIX) == 0 &&
           (gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    /* a common word the text also writes in lower case after a first
     * name: the next words of the sentence ("Julia Vance Found", "Omar
     * Haddad Podcast") */
    while (b > a && (gaz_tok(r, a) & G_GIVEN) != 0 &&
           (gaz_tok(r, b) & (G_SUFFIX | G_PHEAD | G_OTHER)) == 0 &&
           lower_tok(r, b) && (lex_tok(r, b) & G_COMMON) != 0 &&
           (gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    if (!name_shaped(r, a, b)) {
        return;
    }
    /* a function word inside splits the run ("King Corn Wasn't Ready") */
    whole = gaz_span(r, a, b);
    for (k = a + 1; k < b; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if (is_stop(r, k) && (t->flags & WH_TOK_CAP) != 0 &&
            !is_particle(t, 1) && (whole & (G_ORG | G_PLACE)) == 0) {
            add_run(r, a, k - 1);
            add_run(r, k + 1, b);
            return;
        }
    }
    if (a == b && (is_stop(r, a) || (gaz_tok(r, a) & G_NONAME) != 0 ||
                   r->tok[a].len < 2)) {
        return;
    }
    weak = 1;
    for (k = a; k <= b; k++) {
        if ((r->tflags[k] & T_WEAK) == 0) {
            weak = 0;
        }
    }
    add_mention(r, a, b, title, weak);
}

static void find_names(struct run *r)
{
    size_t i = 0;
    int headed;

    while (i < r->ntok) {
        size_t a;
        size_t b;

        if ((r->tflags[i] & T_NAME) == 0) {
            i++;
            continue;
        }
        a = i;
        b = run_end(r, a);
        headed = 0;
        /* join over connectors while they make one name */
        for (;;) {
            size_t c = b + 2;
            size_t d;

            if (c < r->ntok && tok_is(&r->tok[b + 1], "of") &&
                tok_is(&r->tok[c], "the")) {
                c++;
            } else if (b + 1 < r->ntok && amp_gap(r, b)) {
                c = b + 1; /* "Procter & Gamble Co" */
            }
            if (c >= r->ntok || (r->tflags[c] & T_NAME) == 0 ||
                (r->tok[c].flags & WH_TOK_CAP) == 0) {
                break;
            }
            d = run_end(r, c);
            if (!joins(r, a, b, c, d) && !(headed && joins_more(r, b, c, d))) {
                break;
            }
            headed |= (gaz_tok(r, b) & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0;
            b = d;
        }
        add_run(r, a, b);
        i = b + 1;
    }
}

/* ---- decisions ---- */

static enum kind best_kind(const struct group *g, double min, int *tie)
{
    enum kind best = K_NONE;
    double top = 0;
    int k;

    *tie = 0;
    for (k = K_PERSON; k < K_COUNT; k++) {
        if (g->score[k] > top) {
            top = g->score[k];
            best = (enum kind)k;
            *tie = 0;
        } else if (g->score[k] == top && top > 0) {
            *tie = 1;
        }
    }
    if (top < min || *tie) {
        return K_NONE;
    }
    return best;
}

/* 1 when the word w (len bytes) is word number pos of name (0 first,
 * -1 last, -2 any). */
static int has_word(const char *name, const char *w, size_t len, int pos)
{
    const char *s = name;
    int n = 0;

    while (*s != '\0') {
        const char *e = strchr(s, ' ');
        size_t l = e == NULL ? strlen(s) : (size_t)(e - s);

        if (l == len && memcmp(s, w, len) == 0 &&
            (pos == -2 || pos == n || (pos == -1 && e == NULL))) {
            return 1;
        }
        n++;
        if (e == NULL) {
            break;
        }
        s = e + 1;
    }
    return 0;
}

/* The initials of the capitalized words of name ("NRC" for "National
 * Research Council") equal w. */
static int is_acronym_of(const char *name, const char *w, size_t len)
{
    const char *s = name;
    size_t n = 0;

    while (*s != '\0') {
        if (*s >= 'A' && *s <= 'Z') {
            if (n >= len || w[n] != *s) {
                return 0;
            }
            n++;
        }
        s = strchr(s, ' ');
        if (s == NULL) {
            break;
        }
        s++;
    }
    return n == len && n >= 2;
}

/* The next word of a name at *s (advanced past it and its blank):
 * its length, 0 at the end. */
static size_t next_word(const char **s, const char **w)
{
    const char *e;
    size_t len;

    *w = *s;
    e = strchr(*s, ' ');
    len = e == NULL ? strlen(*s) : (size_t)(e - *s);
    *s += len + (e != NULL ? 1 : 0);
    return len;
}

/* Every word of the name a appears, in order, in name b ("Barack Obama"
 * in "Barack Hussein Obama"). */
static int words_within(const char *a, const char *b)
{
    const char *wa;
    const char *wb;
    size_t la;

    while ((la = next_word(&a, &wa)) > 0) {
        size_t lb;

        do {
            lb = next_word(&b, &wb);
            if (lb == 0) {
                return 0;
            }
        } while (lb != la || memcmp(wa, wb, la) != 0);
    }
    return 1;
}

/* A bit for a word (len bytes at w), from its first letters and length:
 * a name's mask ORs its words' bits, so most one-word names are ruled out
 * as its aliases without comparing strings. */
static uint64_t word_bit(const char *w, size_t len)
{
    unsigned h = (unsigned char)w[0] * 31u + (unsigned)len;

    return (uint64_t)1 << (h & 63u);
}

static uint64_t name_mask(const char *name)
{
    const char *s = name;
    const char *w;
    uint64_t mask = 0;
    size_t len;

    while ((len = next_word(&s, &w)) > 0) {
        mask |= word_bit(w, len);
    }
    return mask;
}

static void note_ambiguous(struct run *r, const char *name, unsigned bits)
{
    json_t *lists;

    if (json_array_size(r->ambiguous) >= EVIDENCE_MAX) {
        return;
    }
    lists = json_array();
    if (bits & G_PLACE) {
        json_array_append_new(lists, json_string("places"));
    }
    if (bits & G_GIVEN) {
        json_array_append_new(lists, json_string("given-names"));
    }
    if (bits & G_ORG) {
        json_array_append_new(lists, json_string("organisations"));
    }
    json_array_append_new(
        r->ambiguous, json_pack("{s:s, s:o, s:s}", "name", name, "lists", lists,
                                "reason", "as strong for two types"));
}

/* The mentions m and m + 1 are coordinated: "A and B", "A, B", "A &
 * B" (names in a list have one type). */
static int coordinated(const struct run *r, size_t m)
{
    const struct mention *x = &r->men[m];
    const struct mention *y = &r->men[m + 1];

    if (y->a == x->b + 1) {
        return after_char(r, x->b) == ',' || amp_gap(r, x->b);
    }
    return y->a == x->b + 2 &&
           (tok_is(&r->tok[x->b + 1], "and") ||
            tok_is(&r->tok[x->b + 1], "or")) &&
           (r->tok[x->b + 1].flags & WH_TOK_BREAK) == 0 &&
           (r->tok[y->a].flags & WH_TOK_BREAK) == 0;
}

static long root_of(const struct run *r, size_t k)
{
    while (r->grp[k].into >= 0) {
        k = (size_t)r->grp[k].into;
    }
    return (long)k;
}

/* A name of no type coordinated with a name of one takes it as evidence
 * ("Moravec and Pelling" after "Pelling" is known a person); twice, for
 * lists. */
static void coordinate(struct run *r)
{
    int pass;
    size_t m;

    for (pass = 0; pass < 4; pass++) {
        for (m = 0; m + 1 < r->nmen; m++) {
            struct group *x;
            struct group *y;
            int tie;

            if (!coordinated(r, m)) {
                continue;
            }
            x = &r->grp[root_of(r, r->men[m].grp)];
            y = &r->grp[root_of(r, r->men[m + 1].grp)];
            if (x->kind == K_NONE && y->kind != K_NONE) {
                struct group *t = x;

                x = y;
                y = t;
            }
            /* a common word is no name, even in a list; a capital at the
             * start of a sentence is, listed with one ("Moravec and
             * Pelling (2011) found") */
            /* only a name typed by more than the weak prior types its
             * neighbours (a listed one does, down a long list) */
            if (x->kind == K_NONE || x->score[x->kind] < LISTED ||
                y->kind != K_NONE || y->into >= 0 ||
                all_common(r, y->first_tok, y->last_tok)) {
                continue;
            }
            add_cue(y, x->kind, LISTED, "listed with ", grp_name(r, x), x->len);
            y->kind = best_kind(y, y->words > 1 ? MIN_MULTI : MIN_SINGLE, &tie);
        }
    }
}

/* The last word of name g is also a name of the text on its own
 * ("Dvorak" after "Antonin Dvorak"). */
static int last_word_alone(struct run *r, const struct group *g)
{
    const char *name = grp_name(r, g);
    const char *last = strrchr(name, ' ');

    if (last == NULL) {
        return 0;
    }
    last++;
    return *grp_slot(r, last, g->len - (size_t)(last - name)) != 0;
}

/* Multi-word names first, then each one-word name: one word of a person
 * or the start or initials of an organisation is that entity when its
 * own evidence agrees. */
static void decide(struct run *r)
{
    uint64_t *mask;
    size_t *full;
    size_t nfull = 0;
    size_t i;
    size_t j;
    size_t k;
    int tie;

    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];

        if (g->words > 1) {
            g->kind = best_kind(g, MIN_MULTI, &tie);
            if (g->strong == 0 && g->cue[g->kind].what != NULL &&
                strcmp(g->cue[g->kind].what, "capitalized name") == 0 &&
                g->score[g->kind] < MIN_SINGLE) {
                g->kind = K_NONE; /* a title-case line, nothing more */
            } else if (g->mentions == 1 && g->kind == K_PERSON && !g->prose &&
                       g->score[K_PERSON] < MIN_SINGLE &&
                       !last_word_alone(r, g)) {
                g->kind = K_NONE; /* a guess nothing else in the text backs */
            }
        }
    }
    /* the names a one-word name may be part of */
    full = wh_xmalloc((r->ngrp + 1) * sizeof(*full));
    mask = wh_xmalloc((r->ngrp + 1) * sizeof(*mask));
    for (i = 0; i < r->ngrp; i++) {
        if (r->grp[i].words > 1 && r->grp[i].kind != K_NONE) {
            mask[nfull] = name_mask(grp_name(r, &r->grp[i]));
            full[nfull++] = i;
        }
    }
    /* a shorter person's name within a longer one is that person */
    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];

        if (g->words < 2 || g->kind != K_PERSON) {
            continue;
        }
        for (j = 0; j < nfull; j++) {
            const struct group *h = &r->grp[full[j]];

            k = full[j];
            if (k != i && h->kind == K_PERSON && h->words > g->words &&
                h->into < 0 && words_within(grp_name(r, g), grp_name(r, h))) {
                g->into = (long)k;
                break;
            }
        }
    }
    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];
        const char *w = grp_name(r, g);
        long alias = -1;
        int gaz_word;
        int place_word;

        if (g->words != 1) {
            continue;
        }
        /* a listed place is itself, not the start of an organisation
         * named after it ("Boston" beside "Boston University") */
        place_word = (g->bits & (G_PLACE | G_ORG)) == G_PLACE;
        for (j = 0; j < nfull && alias < 0; j++) {
            struct group *h = &r->grp[full[j]];

            k = full[j];
            if ((mask[j] & word_bit(w, g->len)) == 0 && h->kind != K_ORG) {
                continue; /* no word of h starts so (acronyms: orgs) */
            }
            if (h->kind == K_PERSON &&
                has_word(grp_name(r, h), w, g->len, -1)) {
                add_cue(g, K_PERSON, 4.0, "part of the name ", grp_name(r, h),
                        h->len);
                alias = (long)k;
            } else if (h->kind == K_PERSON &&
                       has_word(grp_name(r, h), w, g->len, -2)) {
                add_cue(g, K_PERSON, 1.5, "part of the name ", grp_name(r, h),
                        h->len);
                alias = (long)k;
            } else if (h->kind == K_PLACE && h->words == 2 &&
                       (g->bits & (G_PHEAD | G_COMMON)) == 0 &&
                       has_word(grp_name(r, h), w, g->len, -1) &&
                       is_direction_word(grp_name(r, h),
                                         h->len - g->len - 1)) {
                /* "Ashby" after "West Ashby": the place, kept apart */
                add_cue(g, K_PLACE, 3.0, "part of the name ", grp_name(r, h),
                        h->len);
            } else if (h->kind == K_ORG && !place_word &&
                       (has_word(grp_name(r, h), w, g->len, 0) ||
                        is_acronym_of(grp_name(r, h), w, g->len))) {
                add_cue(g, K_ORG, 4.0, "part of the name ", grp_name(r, h),
                        h->len);
                alias = (long)k;
            }
        }
        gaz_word = (g->bits & (G_PLACE | G_ORG | G_GIVEN)) != 0;
        if (g->strong == 0 && alias < 0 &&
            (!gaz_word || (g->bits & G_COMMON) != 0)) {
            continue; /* only ever at the start of a sentence: "Nice
                       * job!" */
        }
        g->kind = best_kind(g, MIN_SINGLE, &tie);
        if (g->kind != K_NONE && alias >= 0 && g->kind == r->grp[alias].kind) {
            g->into = alias;
        } else if (tie && gaz_word) {
            note_ambiguous(r, w, g->bits);
        }
    }
    free(full);
    free(mask);
}

/* ---- output ---- */

/* 1 when one of the first n objects of arr has the name. */
static int has_name(const json_t *arr, size_t n, const char *name)
{
    size_t k;

    for (k = 0; k < n; k++) {
        const char *v =
            json_string_value(json_object_get(json_array_get(arr, k), "name"));

        if (v != NULL && strcmp(v, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static char *rule_of(const struct cue *c)
{
    if (c->what == NULL) {
        return wh_xstrdup("");
    }
    if (c->s == NULL) {
        return wh_xstrdup(c->what);
    }
    return wh_xasprintf("%s%.*s", c->what, (int)c->len, c->s);
}

static void write_out(struct run *r, struct wh_record *rec, json_t *ev)
{
    json_t *extra = wh_enrich_extra(rec);
    size_t *mentions = wh_xcalloc(r->ngrp + 1, sizeof(size_t));
    int kind;
    size_t k;

    /* follow the merges: each entity counts its aliases' mentions */
    for (k = 0; k < r->ngrp; k++) {
        size_t root = k;

        while (r->grp[root].into >= 0) {
            root = (size_t)r->grp[root].into;
        }
        mentions[root] += r->grp[k].mentions;
    }
    for (kind = K_PERSON; kind < K_COUNT; kind++) {
        json_t *arr = json_object_get(extra, kind_key[kind]);
        json_t *evk = json_array();
        int created = 0;
        size_t given; /* what the source set: names filed here are unique */
        size_t filed = 0;

        if (!json_is_array(arr)) {
            arr = json_array();
            created = 1;
        }
        given = json_array_size(arr);
        for (k = 0; k < r->ngrp && filed < ENTITIES_MAX; k++) {
            const struct group *g = &r->grp[k];
            json_t *obj;
            json_t *name;
            char *rule;

            if ((int)g->kind != kind || g->into >= 0) {
                continue;
            }
            filed++;
            /* names are cut from valid UTF-8 at word bounds */
            name = json_string_nocheck(grp_name(r, g));
            rule = rule_of(&g->cue[kind]);
            obj = json_object();
            json_object_set_nocheck(obj, "name", name);
            json_object_set_new(obj, "rule", json_string(rule));
            json_object_set_new_nocheck(obj, "mentions",
                                        json_integer((json_int_t)mentions[k]));
            json_array_append_new(evk, obj);
            free(rule);
            if (!has_name(arr, given, grp_name(r, g))) {
                obj = json_object();
                json_object_set_nocheck(obj, "name", name);
                json_array_append_new(arr, obj);
            }
            json_decref(name);
        }
        if (created && json_array_size(arr) > 0) {
            json_object_set_new(extra, kind_key[kind], arr);
        } else if (created) {
            json_decref(arr);
        }
        json_object_set_new(ev, kind_key[kind], evk);
    }
    free(mentions);
}

/* Sizes the per-token buffers for ntok tokens, marks the name words,
 * and sizes the group table for them (at most one name each). */
static void prepare(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t slots = 64;
    size_t k;

    if (ctx->cap_aux < ctx->cap_tok) {
        ctx->cap_aux = ctx->cap_tok;
        ctx->gaz_bits =
            wh_xrealloc(ctx->gaz_bits, ctx->cap_aux * sizeof(*ctx->gaz_bits));
        ctx->stop = wh_xrealloc(ctx->stop, ctx->cap_aux);
        ctx->tflags = wh_xrealloc(ctx->tflags, ctx->cap_aux);
    }
    r->tok = ctx->tok;
    r->gaz_bits = ctx->gaz_bits;
    r->stop = ctx->stop;
    r->tflags = ctx->tflags;
    r->grp = ctx->grp;
    r->men = ctx->men;
    memset(r->gaz_bits, 0, r->ntok * sizeof(*r->gaz_bits));
    memset(r->stop, STOP_UNKNOWN, r->ntok);
    r->ncased = 0;
    for (k = 0; k < r->ntok; k++) {
        r->tflags[k] = is_name_word(&r->tok[k]) ? T_NAME : 0;
        r->ncased += r->tflags[k] != 0 ? 1 : 0;
    }
    while (slots < r->ncased * 2) {
        slots *= 2;
    }
    if (ctx->cap_slots < slots) {
        ctx->cap_slots = slots;
        ctx->slots = wh_xrealloc(ctx->slots, slots * sizeof(*ctx->slots));
    }
    memset(ctx->slots, 0, slots * sizeof(*ctx->slots));
    r->nslots = slots;
}

static int entities_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct entities_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_entities);
    struct wh_enrich_input in;
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token tok;
    struct run r;
    size_t cased = 0;
    size_t skip = 0;
    size_t head_end = 0;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.lang = wh_enrich_langs_get(ctx->langs, rec->language);
    r.en = wh_enrich_langs_get(ctx->langs, "en");
    wh_buf_init(&r.arena, 0);
    wh_enrich_input_build(
        &in, rec, WH_INPUT_HEADLINE | WH_INPUT_DESCRIPTION | WH_INPUT_BODY,
        ctx->max_bytes);
    r.text = in.text;
    if (rec->headline != NULL && rec->headline[0] != '\0') {
        const char *e = strstr(in.text, "\n\n");

        head_end = e == NULL ? in.len : (size_t)(e - in.text);
    }
    if (in.body_off != (size_t)-1) {
        skip = in.body_off + wh_enrich_dateline_end(in.text + in.body_off,
                                                    in.len - in.body_off);
    }
    wh_enrich_tok_init(&tz, in.text, in.len, 0);
    while (wh_enrich_tok_next(&tz, &tok)) {
        if (tok.s >= in.text + in.body_off && tok.s < in.text + skip) {
            continue; /* the dateline */
        }
        if (r.ntok == ctx->cap_tok) {
            ctx->cap_tok = ctx->cap_tok == 0 ? 256 : ctx->cap_tok * 2;
            ctx->tok = wh_xrealloc(ctx->tok, ctx->cap_tok * sizeof(*ctx->tok));
        }
        ctx->tok[r.ntok++] = tok;
        cased += (tok.flags & WH_TOK_CAP) ? 1 : 0;
    }
    if (r.ntok == 0) {
        wh_enrich_unknown(ev, "no text");
        goto out;
    }
    if (cased == 0) {
        wh_enrich_unknown(ev, "no capitalized word: script without letter "
                              "case, or all lower case");
        goto out;
    }
    prepare(&r);
    mark_lower(&r);
    mark_weak(&r, head_end);
    r.ambiguous = json_array();
    find_names(&r);
    decide(&r);
    coordinate(&r);
    write_out(&r, rec, ev);
    if (json_array_size(r.ambiguous) > 0) {
        json_object_set(ev, "ambiguous", r.ambiguous);
    }
out:
    json_decref(r.ambiguous);
    wh_buf_free(&r.arena);
    wh_enrich_input_free(&in);
    return WH_OK;
}

const struct wh_stage wh_enrich_entities = {
    .name = "entities",
    .type = WH_STAGE_ENRICH,
    .version = "2.0",
    .description = "people, organisations and places: capitalized names "
                   "typed from context, internal cues and gazetteers",
    .keys = wh_enrich_config_keys,
    .check = entities_check,
    .init = entities_init,
    .process = entities_process,
    .flush = NULL,
    .close = entities_close,
};
