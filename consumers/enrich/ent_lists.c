/*
 * ent_lists.c - the lists the entities enricher loads: the
 * lexicon of common words and its Bloom filter, the first words of
 * listed names, the subdivisions of ISO 3166-2, the common given names
 * of the US census.
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

/* The lower-case words of WH_LEXICON_PATH (its proper nouns and
 * possessives are of no use here: a third of the table, kept out of the
 * cache), each also set in bloom (LEX_BLOOM_BITS bits). NULL with errstr
 * filled when the file cannot be read. */

/* Two bits of the lexicon's Bloom filter for word w (len bytes). */
static void bloom_bits(const char *w, size_t len, size_t bit[2])
{
    uint64_t h = wh_hash64(w, len);

    bit[0] = (size_t)(h & (LEX_BLOOM_BITS - 1));
    bit[1] = (size_t)((h >> 32) & (LEX_BLOOM_BITS - 1));
}

int ent_bloom_has(const uint64_t *bloom, const char *w, size_t len)
{
    size_t bit[2];

    bloom_bits(w, len, bit);
    return (bloom[bit[0] / 64] >> (bit[0] % 64) & 1u) != 0 &&
           (bloom[bit[1] / 64] >> (bit[1] % 64) & 1u) != 0;
}

struct wh_enrich_words *ent_load_lexicon(uint64_t *bloom, char *errstr,
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

/* Marks G_FIRST on the first word of name (len bytes), as the tokenizer
 * cuts it, when the name has several words: ent_gaz_span() looks up no span
 * whose first word is not so marked. */
static void mark_first_word(struct wh_enrich_words *gaz, const char *name,
                            size_t len)
{
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token first;
    struct wh_enrich_token next;

    wh_enrich_tok_init(&tz, name, len, 0);
    if (wh_enrich_tok_next(&tz, &first) && wh_enrich_tok_next(&tz, &next)) {
        wh_enrich_words_add(gaz, first.s, ent_bare_len(&first), G_FIRST);
    }
}

/* mark_first_word() for each entry of the list at path (read before by
 * wh_enrich_words_load(); comments and blank lines have no words). */
void ent_mark_first_words(struct wh_enrich_words *gaz, const char *path)
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
int ent_load_subdivisions(struct entities_ctx *ctx, char *errstr,
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

/* Adds the most common given names of the US census (1990) that
 * Debian's libtext-names-perl holds in WH_NAMES_PATH: its blocks
 * "$COMMON_MALE_FIRSTNAMES = <<ENDNAMES;" and the female one, one name
 * in capitals per line, most frequent first, and its family names
 * ("$COMMON_SURNAMES", G_SURNAME). The first CENSUS_TOP of each, as
 * names are written ("MARY" -> "Mary"), but none that English writes as
 * a common word ("June", "Summer", "Smith"), that is a listed place or
 * organisation ("Florence", "India") or has two letters ("Al" of "Al
 * Mukalla"); a family name that is also a given name stays a given
 * name. Returns WH_OK, or WH_EIO with errstr filled
 * when the file cannot be read or holds no given names. */
int ent_load_census_names(struct entities_ctx *ctx, char *errstr,
                          size_t errstr_size)
{
    FILE *fp = fopen(WH_NAMES_PATH, "r");
    char line[256];
    int blocks = 0;
    int in = 0; /* the bit of the block read, 0 outside */
    size_t taken = 0;

    if (fp == NULL) {
        snprintf(errstr, errstr_size,
                 "%s: cannot open (the census names of Debian's "
                 "libtext-names-perl)",
                 WH_NAMES_PATH);
        return WH_EIO;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char name[64];
        char low[64];
        size_t len = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        size_t k;

        if (!in) {
            in =
                strncmp(line, "$COMMON_MALE_FIRSTNAMES = <<", 28) == 0 ||
                        strncmp(line, "$COMMON_FEMALE_FIRSTNAMES = <<", 30) == 0
                    ? G_GIVEN
                : strncmp(line, "$COMMON_SURNAMES = <<", 21) == 0 ? G_SURNAME
                                                                  : 0;
            blocks += in == G_GIVEN;
            taken = 0;
            continue;
        }
        if (strncmp(line, "ENDNAMES", 8) == 0) {
            in = 0;
            continue;
        }
        if (len < 3 || len >= sizeof(name) || line[len] != ' ' ||
            taken >= CENSUS_TOP) {
            continue;
        }
        taken++;
        for (k = 0; k < len; k++) {
            low[k] = (char)(line[k] - 'A' + 'a');
            name[k] = k == 0 ? line[k] : low[k];
        }
        if (wh_enrich_words_get(ctx->lex, low, len) != 0 ||
            (wh_enrich_words_get(ctx->gaz, name, len) &
             (G_PLACE | G_ORG | G_NONAME | (in == G_SURNAME ? G_GIVEN : 0))) !=
                0) {
            continue;
        }
        wh_enrich_words_add(ctx->gaz, name, len, (unsigned)in);
    }
    fclose(fp);
    if (blocks == 0) {
        snprintf(errstr, errstr_size,
                 "%s: no $COMMON_MALE_FIRSTNAMES block (the census names of "
                 "Debian's libtext-names-perl)",
                 WH_NAMES_PATH);
        return WH_EIO;
    }
    return WH_OK;
}
