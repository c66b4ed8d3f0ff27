/*
 * ent_types.c - typing from evidence (stage 2 of entities.c):
 * the groups of distinct names and the cues of each mention, internal
 * and from its context.
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
#include "ent_internal.h"

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
    "said",      "says",   "told",     "asked",      "wrote",    "writes",
    "explained", "added",  "argued",   "thinks",     "thought",  "believes",
    "recalled",  "noted",  "stated",   "claimed",    "replied",  "admitted",
    "insisted",  "died",   "laughed",  "smiled",     "felt",     "wanted",
    "knew",      "went",   "married",  "studied",    "grew",     "became",
    "lived",     "worked", "agreed",   "tells",      "explains", "recalls",
    "spoke",     "met",    "answered", "remembered", "realized", "sang",
    "smiles"};

/* Words before "from X" that make X a source or an affiliation, no
 * place ("a quote from", "researchers from"). */
static const char *const source_nouns[] = {
    "researchers", "scientists", "team",      "executive",      "executives",
    "officials",   "official",   "spokesman", "spokeswoman",    "spokesperson",
    "engineers",   "students",   "experts",   "analysts",       "staff",
    "lawyers",     "delegation", "delegates", "representative", "adapted",
    "taken",       "quote",      "quoted",    "quotes",         "quotation",
    "page",        "letter",     "letters",   "email",          "call",
    "message",     "note",       "data",      "excerpt",        "passage",
    "line",        "lines",      "help",      "gift",           "advice",
    "permission",  "support",    "different"};

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

/* ---- groups: the distinct names ---- */

const char *ent_grp_name(const struct run *r, const struct group *g)
{
    return r->arena.data + g->off;
}

size_t *ent_grp_slot(struct run *r, const char *s, size_t len)
{
    size_t mask = r->nslots - 1;
    size_t k = (size_t)wh_hash64(s, len) & mask;

    for (;;) {
        size_t v = r->ctx->slots[k];

        if (v == 0) {
            return &r->ctx->slots[k];
        }
        if (r->grp[v - 1].len == len &&
            memcmp(ent_grp_name(r, &r->grp[v - 1]), s, len) == 0) {
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
    size_t *slot = ent_grp_slot(r, s, len);
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

void ent_add_cue(struct group *g, enum kind kind, double w, const char *what,
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
char ent_after_char(const struct run *r, size_t i)
{
    return r->tok[i].s[r->tok[i].len];
}

/* Every word of [a, b] is a common word (in lower case in the lexicon
 * or in the text), a connector or a Roman numeral. */
int ent_all_common(const struct run *r, size_t a, size_t b)
{
    size_t k;

    for (k = a; k <= b; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags & WH_TOK_CAP) == 0 ||
            (ent_lex_tok(r, k) & G_COMMON) != 0 || ent_lower_tok(r, k) ||
            strspn(t->s, "IVX") == t->len) {
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
    if (ent_tok_is(t, "versus")) {
        return (r->tok[i + 1].flags & WH_TOK_BREAK) == 0;
    }
    return (ent_tok_is(t, "v") || ent_tok_is(t, "vs")) &&
           (ent_after_char(r, i) == ' ' ||
            (ent_after_char(r, i) == '.' && t->s[t->len + 1] == ' ')) &&
           r->tok[i + 1].s <= t->s + t->len + 2;
}

/* The one-word name at token b is spoken to: "Tamsin, you know" (not a
 * common word: "Besides, you"). */
static int spoken_to(const struct run *r, size_t b)
{
    const struct wh_enrich_token *n;

    if (b + 1 >= r->ntok || ent_after_char(r, b) != ',') {
        return 0;
    }
    n = &r->tok[b + 1];
    return (ent_tok_is(n, "you") || ent_tok_is(n, "you're")) &&
           (ent_lex_tok(r, b) & G_COMMON) == 0;
}

/* The context before the name whose text starts at token a (its title,
 * if any); common: 1 when the name is made of common words only. */
static void context_before(struct run *r, struct group *g, size_t a, size_t b,
                           int common)
{
    const struct wh_enrich_token *b1 = before(r, a, 1);
    const struct wh_enrich_token *b2 = before(r, a, 2);
    size_t k;

    if (a >= 2 && is_versus(r, a - 1) &&
        (r->tok[a - 2].flags & WH_TOK_CAP) != 0 &&
        (g->bits & (G_PLACE | G_ORG)) == 0) {
        /* the parties of a case: "Harlan v. Osgood" */
        ent_add_cue(g, K_PERSON, 4.0, "case: ", r->tok[a - 1].s,
                    r->tok[a - 1].len);
    }
    if (a > 0 && ent_cite_amp(r, a - 1) && ent_is_name_word(&r->tok[a - 1])) {
        ent_add_cue(g, K_PERSON, 3.0, "citation: ", "&", 1);
    }
    if (b1 == NULL) {
        return;
    }
    if (ent_tok_is(b1, "I'm") || ent_tok_is(b1, "I\xE2\x80\x99m")) {
        ent_add_cue(g, K_PERSON, 3.0, "context: ", b1->s,
                    b1->len); /* "I'm
                               * Tamsin" */
    }
    if ((b1->flags & (WH_TOK_CAP | WH_TOK_UPPER)) != 0 &&
        !ent_tok_is(b1, "The")) {
        return; /* a capitalized word before: another name */
    }
    if (g->words == 1 &&
        (g->bits & (G_SUFFIX | G_PHEAD | G_OTHER)) == G_SUFFIX &&
        (ent_tok_is(b1, "the") || ent_tok_is(b1, "this"))) {
        /* an organisation head alone, capitalized mid-sentence: that
         * body ("the Court", "this Government") */
        ent_add_cue(g, K_ORG, 3.0, "context: ", b1->s, b1->len);
    }
    if ((g->bits & (G_PLACE | G_ORG | G_GIVEN)) == 0 &&
        (common || (g->words == 1 && inner_capital(&r->tok[a])))) {
        return; /* "in Nature", "in Public Policy", "in EU": common
                 * words or an acronym say little by their context */
    }
    for (k = 0; k < WH_ARRAY_SIZE(before_words); k++) {
        if (before_words[k].w[0] == b1->s[0] &&
            ent_tok_is(b1, before_words[k].w)) {
            ent_add_cue(g, before_words[k].kind, before_words[k].weight,
                        "context: ", b1->s, b1->len);
        }
    }
    if (ent_tok_is_any_case(b1, "the")) {
        g->score[K_PERSON] -= 2; /* people rarely take an article */
    }
    if (ent_tok_is(b1, "from") && g->mentions == 1 &&
        (g->bits & (G_GIVEN | G_ORG)) == 0 &&
        (b2 == NULL || ((b2->flags & (WH_TOK_CAP | WH_TOK_UPPER)) == 0 &&
                        !ent_word_in(b2->s, b2->len, source_nouns,
                                     WH_ARRAY_SIZE(source_nouns)))) &&
        (b + 1 >= r->ntok || (r->tok[b + 1].flags & WH_TOK_DIGIT) == 0)) {
        /* a name first met after "from" is a place ("ferries from
         * Nafplio"), unless a source ("a quote from Virgil", "from
         * Moravec 2014"), a given name ("a letter from Diana") or the
         * maker of a product ("Sauvignon Blanc from Spier") */
        ent_add_cue(g, K_PLACE, 1.5, "context: ", b1->s, b1->len);
    }
    if (b2 != NULL && (ent_tok_is(b1, "in") || ent_tok_is(b1, "of")) &&
        (ent_tok_is(b2, "based") || ent_tok_is(b2, "born") ||
         ent_tok_is(b2, "located") || ent_tok_is(b2, "situated") ||
         ent_tok_is(b2, "lives") || ent_tok_is(b2, "lived") ||
         ent_tok_is(b2, "raised") || ent_tok_is(b2, "headquartered"))) {
        ent_add_cue(g, K_PLACE, 3.0, "context: ", b2->s,
                    (size_t)(b1->s + b1->len - b2->s));
    }
    if (b2 != NULL && (ent_tok_is(b1, "of") || ent_tok_is(b1, "at") ||
                       ent_tok_is(b1, "for"))) {
        char low[64];
        size_t len = wh_enrich_lower_buf(b2->s, b2->len, low, sizeof(low));

        if (len != (size_t)-1 &&
            ent_word_in(low, len, org_of_nouns, WH_ARRAY_SIZE(org_of_nouns))) {
            ent_add_cue(g, K_ORG, 3.0, "context: ", b2->s,
                        (size_t)(b1->s + b1->len - b2->s));
        }
        if (len != (size_t)-1 && ent_tok_is(b1, "of") &&
            ent_word_in(low, len, place_of_nouns,
                        WH_ARRAY_SIZE(place_of_nouns))) {
            ent_add_cue(g, K_PLACE, 3.0, "context: ", b2->s,
                        (size_t)(b1->s + b1->len - b2->s));
        }
    }
}

/* ", a company" / ", the city" after the name at token b. */
static void apposition(struct run *r, struct group *g, size_t b)
{
    size_t k;

    if (b + 2 >= r->ntok || ent_after_char(r, b) != ',' ||
        !(ent_tok_is(&r->tok[b + 1], "a") || ent_tok_is(&r->tok[b + 1], "an") ||
          ent_tok_is(&r->tok[b + 1], "the"))) {
        return;
    }
    /* the noun, or one word later ("a small town") */
    for (k = b + 2; k <= b + 3 && k < r->ntok; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags & WH_TOK_BREAK) != 0) {
            return;
        }
        if (ent_word_in(t->s, t->len, org_nouns, WH_ARRAY_SIZE(org_nouns))) {
            ent_add_cue(g, K_ORG, 3.0, "apposition: ", t->s, t->len);
            return;
        }
        if (ent_word_in(t->s, t->len, place_nouns,
                        WH_ARRAY_SIZE(place_nouns))) {
            ent_add_cue(g, K_PLACE, 3.0, "apposition: ", t->s, t->len);
            return;
        }
        if (ent_word_in(t->s, t->len, person_nouns,
                        WH_ARRAY_SIZE(person_nouns))) {
            ent_add_cue(g, K_PERSON, 3.0, "apposition: ", t->s, t->len);
            return;
        }
    }
}

/* Token i ends in "ed": a past participle ("directed", "based"). */
static int past_participle(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    return t->len > 3 && t->s[t->len - 2] == 'e' && t->s[t->len - 1] == 'd';
}

/* A year right after the name at token b, as a citation writes it:
 * "(Moravec, 2014)", "Moravec (2014) found". */
static int is_year_after(const struct run *r, size_t b)
{
    const struct wh_enrich_token *n = &r->tok[b + 1];
    const char *gap = r->tok[b].s + r->tok[b].len;
    const char *after;
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
    if (gap[0] == ' ' && gap + 1 == n->s &&
        (n->s[4] == ')' || n->s[4] == ';') &&
        (ent_gaz_tok(r, b) & (G_PLACE | G_ORG)) == 0) {
        return 1; /* "(Milekic 2010)", "Brieber 2014;" */
    }
    if (gap[0] != ' ' || gap[1] != '(' || gap + 2 != n->s || n->s[4] != ')' ||
        b + 2 >= r->ntok) {
        return 0;
    }
    /* "Moravec (2014) found", "Gazio (1995), shows", but not
     * "Casablanca (1942), a film" nor "Watchmen (2009), directed by":
     * the year is followed by a verb */
    after = r->tok[b + 2].s;
    if ((r->tok[b + 2].flags & (WH_TOK_CAP | WH_TOK_DIGIT)) == 0 &&
        !ent_is_stop(r, b + 2) &&
        (after == n->s + 6 ||
         (n->s[5] == ',' && after == n->s + 7 && !past_participle(r, b + 2)))) {
        return 1;
    }
    return 0;
}

static void context_after(struct run *r, struct group *g, size_t b)
{
    const struct wh_enrich_token *n;

    if (b + 1 >= r->ntok) {
        return;
    }
    n = &r->tok[b + 1];
    if ((n->flags & WH_TOK_BREAK) == 0 && !ent_possessive(&r->tok[b]) &&
        ent_word_in(n->s, n->len, person_verbs, WH_ARRAY_SIZE(person_verbs))) {
        ent_add_cue(g, K_PERSON, 3.0, "context: ", n->s, n->len);
        ent_add_cue(g, K_ORG, 0.5, "context: ", n->s, n->len);
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && ent_possessive(&r->tok[b])) {
        /* "Acme's chief executive", "Smith's wife" */
        if (ent_word_in(n->s, n->len, org_owned, WH_ARRAY_SIZE(org_owned))) {
            ent_add_cue(g, K_ORG, 3.0, "possessive: ", n->s, n->len);
        } else if (ent_word_in(n->s, n->len, person_owned,
                               WH_ARRAY_SIZE(person_owned))) {
            ent_add_cue(g, K_PERSON, 3.0, "possessive: ", n->s, n->len);
        }
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && ent_tok_is(n, "et") &&
        b + 2 < r->ntok && ent_tok_is(&r->tok[b + 2], "al")) {
        ent_add_cue(g, K_PERSON, 4.0, "context: ", "et al.", 6);
    }
    if (ent_after_char(r, b) == ',' &&
        (ent_tok_is(n, "who") || ent_tok_is(n, "whose"))) {
        ent_add_cue(g, K_PERSON, 2.5, "context: ", n->s, n->len);
    }
    if (ent_after_char(r, b) == ',' && (n->flags & WH_TOK_DIGIT) != 0 &&
        n->len <= 3 && b + 2 < r->ntok && ent_after_char(r, b + 1) == ',') {
        ent_add_cue(g, K_PERSON, 3.0, "age: ", n->s, n->len); /* "Smith, 45," */
    }
    if (ent_after_char(r, b) == ',' && (n->flags & WH_TOK_CAP) != 0 &&
        (ent_gaz_tok(r, b + 1) & G_PLACE) != 0 &&
        (ent_gaz_tok(r, b + 1) & G_GIVEN) == 0) {
        ent_add_cue(g, K_PLACE, 3.0, "context: , ", n->s,
                    n->len); /* "Fresno,
                              * California" */
    }
    if (ent_after_char(r, b) == ',' && n->len == 1 &&
        (n->flags & WH_TOK_CAP) != 0 && ent_after_char(r, b + 1) == '.') {
        /* a reference: "Osgood, K. (2011)" */
        ent_add_cue(g, K_PERSON, 3.0, "reference: ", n->s, n->len);
    }
    if (spoken_to(r, b)) {
        ent_add_cue(g, K_PERSON, 3.0, "context: , ", n->s, n->len);
    }
    if ((n->flags & WH_TOK_BREAK) == 0 && (g->bits & (G_PLACE | G_ORG)) == 0 &&
        is_versus(r, b + 1) && b + 2 < r->ntok &&
        (r->tok[b + 2].flags & WH_TOK_CAP) != 0) {
        ent_add_cue(g, K_PERSON, 4.0, "case: ", n->s, n->len);
    }
    if (is_year_after(r, b)) {
        ent_add_cue(g, K_PERSON, 4.0, "citation: ", n->s, n->len);
    }
    if (ent_cite_amp(r, b) && ent_is_name_word(n)) {
        ent_add_cue(g, K_PERSON, 3.0, "citation: ", "&", 1);
    }
    apposition(r, g, b);
}

/* A word that makes a part of a place ("East Anglia", "Upper
 * Austria", "Greater London"). */
int ent_is_direction_word(const char *s, size_t len)
{
    static const char *const words[] = {
        "North",     "South",     "East",      "West",    "Northern",
        "Southern",  "Eastern",   "Western",   "Central", "Upper",
        "Lower",     "Greater",   "Inner",     "Outer",   "Northeast",
        "Northwest", "Southeast", "Southwest", "Old",     "New"};

    return ent_word_in(s, len, words, WH_ARRAY_SIZE(words));
}

static int is_direction(const struct wh_enrich_token *t)
{
    return ent_is_direction_word(t->s, t->len);
}

/* A capitalized article of another language: a name that starts so is
 * rather a place or a work than a person ("El Paso", "Les Halles"). */
static int is_article(const struct wh_enrich_token *t)
{
    static const char *const articles[] = {"El",  "La", "Le",  "Les", "Los",
                                           "Las", "Il", "Lo",  "Der", "Die",
                                           "Das", "De", "Het", "O",   "A"};

    return ent_word_in(t->s, t->len, articles, WH_ARRAY_SIZE(articles));
}

/* The name [a, b] is a team or a club named after its town: a listed
 * place, then a plural that is no place head ("Leeds Rhinos",
 * "Denver Broncos", "St. Louis Blues"). */
static int is_team(const struct run *r, size_t a, size_t b)
{
    const struct wh_enrich_token *t = &r->tok[b];

    if (b - a > 3 || t->len < 4 || t->s[t->len - 1] != 's' ||
        strchr("su'", t->s[t->len - 2]) != NULL ||
        (ent_gaz_tok(r, b) & (G_PHEAD | G_GIVEN)) != 0 ||
        (ent_gaz_span(r, a, b) & (G_PLACE | G_ORG)) != 0) {
        return 0;
    }
    return (ent_gaz_span(r, a, b - 1) & G_PLACE) != 0;
}

/* A word that looks like a name in a run with no other evidence: not
 * an acronym, not a common noun of this text, not a function word. */
int ent_name_like(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    return (t->flags & WH_TOK_UPPER) == 0 && !ent_lower_tok(r, i) &&
           !ent_is_stop(r, i) &&
           (ent_lex_tok(r, i) & (G_NONAME | G_COMMON)) == 0;
}

/* Internal evidence of the name [a, b] and its contexts; title is the
 * first token of a title before it (or (size_t)-1), mention_weak 1 when
 * its capitals are explained by position. */
void ent_add_mention(struct run *r, size_t a, size_t b, size_t title,
                     int mention_weak)
{
    char buf[512];
    size_t len = ent_span_buf(r, a, b, buf, sizeof(buf));
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
        if (ent_is_particle(&r->tok[k], 1) || ent_tok_is(&r->tok[k], "of") ||
            ent_tok_is(&r->tok[k], "the") || ent_tok_is(&r->tok[k], "and") ||
            ent_tok_is(&r->tok[k], "for") || ent_tok_is(&r->tok[k], "on")) {
            prior = 0;
            continue;
        }
        words++;
        if (r->tok[k].len == 1 && ent_after_char(r, k) == '.' && k < b) {
            initials = 1;
        } else if (!ent_name_like(r, k)) {
            prior = 0;
        }
        /* a listed organisation, a head or an abbreviation of one
         * inside, or a listed place after the first word: a building, a
         * street, a team, no one's name ("Alder St. Depot", "Quarry
         * Lisbon"); a first word may be a small region's name too */
        if ((ent_gaz_tok(r, k) & (G_ORG | G_PHEAD | G_PPRE | G_SUFFIX |
                                  (k > a ? G_PLACE : 0u))) != 0 &&
            (ent_gaz_tok(r, k) & G_GIVEN) == 0) {
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
        g->bits = a == b ? ent_lex_tok(r, a) : ent_gaz_span(r, a, b);
    }
    if (a > 0 && b + 1 < r->ntok && ent_blank_gap(r, a - 1) &&
        ent_blank_gap(r, b) &&
        (r->tok[a - 1].flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) ==
            0 &&
        (r->tok[b + 1].flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) ==
            0) {
        g->prose = 1;
    }
    if (a > 0 && ent_blank_gap(r, a - 1) &&
        (r->tok[a - 1].flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) ==
            0 &&
        (ent_after_char(r, b) == '.' || ent_after_char(r, b) == ';' ||
         (ent_after_char(r, b) == ',' && b + 1 < r->ntok &&
          (r->tok[b + 1].flags & (WH_TOK_CAP | WH_TOK_UPPER)) == 0))) {
        /* "a quote by Jan Moravec.", "by Jan Moravec, who" (not a list:
         * "serves Cabrel Vessant, Mourand and Pelloux") */
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
    first = ent_gaz_tok(r, a);
    last = ent_gaz_tok(r, b);
    if (g->mentions == 1) {
        /* internal evidence, once per name */
        if (g->bits & G_ORG) {
            ent_add_cue(g, K_ORG, words > 1 ? 5.0 : 3.0,
                        "gazetteer: organisations", NULL, 0);
        }
        if (g->bits & G_PLACE) {
            ent_add_cue(g, K_PLACE, words > 1 ? 5.0 : 3.0, "gazetteer: places",
                        NULL, 0);
        }
        if ((g->bits & G_GIVEN) != 0 && words == 1) {
            /* "Summer", "Miles": also common words, they need context */
            ent_add_cue(g, K_PERSON, (g->bits & G_COMMON) != 0 ? 1.5 : 3.0,
                        "gazetteer: given names", NULL, 0);
        }
        if (words > 1 && (first & G_GIVEN) != 0 && (first & G_NONAME) == 0 &&
            words <= 4) {
            ent_add_cue(g, K_PERSON, 3.0, "given name: ", r->tok[a].s,
                        r->tok[a].len);
        }
        if ((words == 1 || (words <= 3 && ent_name_like(r, a))) &&
            (last & G_SURNAME) != 0) {
            ent_add_cue(g, K_PERSON, words == 1 ? 3.0 : 1.5,
                        "surname: ", r->tok[b].s, r->tok[b].len);
        }
        if (words > 1 && (last & G_SUFFIX) != 0 && (last & G_PHEAD) == 0) {
            /* "Lincoln Center" is a place, "Center for ..." an
             * organisation (the head rule below) */
            ent_add_cue(g, K_ORG, 4.0, "suffix: ", r->tok[b].s,
                        ent_bare_len(&r->tok[b]));
        }
        for (k = a; words > 1 && k + 1 < b; k++) {
            /* "Bank of ...", "Massachusetts Institute of Technology" */
            if ((ent_gaz_tok(r, k) & G_SUFFIX) != 0 &&
                (ent_tok_is(&r->tok[k + 1], "of") ||
                 ent_tok_is(&r->tok[k + 1], "for") ||
                 ent_tok_is(&r->tok[k + 1], "on"))) {
                ent_add_cue(g, K_ORG, 4.0, "head: ", r->tok[k].s,
                            r->tok[k].len);
                break;
            }
            /* "Museum of Art", "Palace of the Winds" */
            if ((ent_gaz_tok(r, k) & G_PHEAD) != 0 &&
                ent_tok_is(&r->tok[k + 1], "of")) {
                ent_add_cue(g, K_PLACE, 4.0, "place head: ", r->tok[k].s,
                            r->tok[k].len);
                break;
            }
        }
        if (words > 1 && (last & G_PHEAD) != 0) {
            ent_add_cue(g, K_PLACE, 4.0, "place head: ", r->tok[b].s,
                        ent_bare_len(&r->tok[b]));
        }
        if (words > 1 && (first & G_PPRE) != 0 &&
            !(words > 2 && (last & G_PHEAD) == 0 &&
              (ent_gaz_span(r, a, b - 1) & G_PLACE) != 0)) {
            /* but "San Marcos Herald" is named after the place */
            ent_add_cue(g, K_PLACE, 3.5, "place prefix: ", r->tok[a].s,
                        r->tok[a].len);
        }
        if (words > 1 && is_direction(&r->tok[a]) &&
            (ent_gaz_span(r, a + 1, b) & G_PLACE) != 0) {
            ent_add_cue(g, K_PLACE, 4.0, "part of: ", r->tok[a].s,
                        r->tok[a].len);
        } else if (words == 2 && is_direction(&r->tok[a]) &&
                   ent_name_like(r, b)) {
            /* "West Ashby": a part of a place the lists do not hold */
            ent_add_cue(g, K_PLACE, 2.0, "part of: ", r->tok[a].s,
                        r->tok[a].len);
        }
        if (initials) {
            ent_add_cue(g, K_PERSON, 2.5, "initials", NULL, 0);
        }
        if (words > 1 && is_team(r, a, b)) {
            ent_add_cue(g, K_ORG, 4.0, "team: ", r->tok[b].s, r->tok[b].len);
        }
        if (words == 1 && (r->tok[a].flags & WH_TOK_UPPER) != 0 &&
            r->tok[a].len <= 6 && g->bits == 0) {
            ent_add_cue(g, K_ORG, 1.0, "acronym", NULL, 0);
        }
        if (words > 1 && words <= 4 && prior && !is_article(&r->tok[a]) &&
            ((first | last) & (G_SUFFIX | G_PHEAD | G_PPRE)) == 0 &&
            (g->bits & (G_ORG | G_PLACE)) == 0) {
            ent_add_cue(g, K_PERSON, 1.5, "capitalized name", NULL, 0);
        }
    }
    if (title != (size_t)-1) {
        ent_add_cue(g, K_PERSON, 5.0, "title: ", r->tok[title].s,
                    (size_t)(r->tok[a].s - r->tok[title].s) - 1);
    }
    if (mention_weak && words == 1) {
        return; /* "Nice job!": position explains the capital */
    }
    context_before(r, g, title != (size_t)-1 ? title : a, b,
                   ent_all_common(r, a, b));
    context_after(r, g, b);
}
