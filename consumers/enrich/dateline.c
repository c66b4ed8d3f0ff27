/*
 * dateline.c - the "dateline" enricher: reads the dateline at the start
 * of the body ("WASHINGTON —", "LONDON (Wire) -",
 * "LISBON, Nov 25 (Agency) –") into ninjs "located", properly cased, and
 * keeps the agency, the date or region and the raw dateline in the
 * evidence object.
 *
 * Rules: the dateline ends at the first dash (-, --, en or em dash) in the
 * first DATELINE_MAX_BYTES of the body, on the same line. Before it comes
 * an optional "(agency)" at the end, and a place, optionally followed by
 * ", <region or date>". The place is 1 to 4 words written in capitals, or
 * a capitalized word or two when an agency follows ("Berlin (dpa) -").
 * The place takes its case from the places gazetteer when listed there,
 * else title case with lower-case particles ("Rio de Janeiro").
 * A "located" set by the source is left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/record.h"
#include "wh/wh.h"

#define DATELINE_MAX_BYTES 120
#define PLACE_MAX_WORDS 4
#define PART_MAX_BYTES 48

struct dateline_ctx {
    struct wh_enrich_words *places; /* lower-cased, with their forms */
};

/* The gazetteer datelines are matched against. */
static const char *const places_file = "gazetteers/places.txt";

/* --check-config: the gazetteer exists under the data directory. */
static int dateline_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    (void)arg;
    return wh_enrich_check_data(cfg, &places_file, 1, errstr, errstr_size);
}

static void *dateline_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct dateline_ctx *ctx = wh_xcalloc(1, sizeof(*ctx));
    char *path = wh_enrich_data_path(cfg, places_file);
    int rc;

    (void)arg;
    ctx->places = wh_enrich_words_new();
    rc = wh_enrich_words_load(ctx->places, path, 1, 1, errstr, errstr_size);
    free(path);
    if (rc != WH_OK) {
        wh_enrich_words_free(ctx->places);
        free(ctx);
        return NULL;
    }
    return ctx;
}

static void dateline_close(void *p)
{
    struct dateline_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    wh_enrich_words_free(ctx->places);
    free(ctx);
}

/* Finds the dash ending the dateline in s[0..len): returns its offset and
 * sets *dash_len, or returns len when there is none. A hyphen counts only
 * with blanks around it or doubled ("WINSTON-SALEM" is a name). */
static size_t find_dash(const char *s, size_t len, size_t *dash_len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '\n') {
            break;
        }
        if (i + 3 <= len && (memcmp(s + i, "\xE2\x80\x94", 3) == 0 ||
                             memcmp(s + i, "\xE2\x80\x93", 3) == 0)) {
            *dash_len = 3;
            return i;
        }
        if (s[i] == '-' && i > 0 && s[i - 1] == ' ') {
            *dash_len = (i + 1 < len && s[i + 1] == '-') ? 2 : 1;
            if (i + *dash_len < len && s[i + *dash_len] == ' ') {
                return i;
            }
        }
    }
    return len;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}

/* Checks the place: 1 to PLACE_MAX_WORDS words of letters (with . ' -
 * inside) in capitals or, when loose, 1 or 2 capitalized words. Returns
 * the number of words, 0 if not a place. */
static int place_words(const char *s, size_t len, int loose)
{
    size_t i = 0;
    int words = 0;
    int in_word = 0;
    int all_caps = 1;
    size_t letters = 0;

    while (i < len) {
        uint32_t cp = wh_enrich_utf8_next(s, len, &i, NULL);
        enum wh_enrich_class cls = wh_enrich_cp_class(cp);

        if (cp == ' ') {
            in_word = 0;
            continue;
        }
        if (cls == WH_CLASS_LETTER) {
            int upper = wh_enrich_cp_is_upper(cp);

            if (!in_word) {
                words++;
                if (!upper) {
                    return 0;
                }
            }
            all_caps &= upper;
            letters++;
            in_word = 1;
            continue;
        }
        if (!(cp == '.' || cp == '\'' || cp == 0x2019 || cp == '-') ||
            !in_word) {
            return 0;
        }
    }
    if (letters < 2 || words > PLACE_MAX_WORDS ||
        (!all_caps && (!loose || words > 2))) {
        return 0;
    }
    return words;
}

static int has_digit(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            return 1;
        }
    }
    return 0;
}

/* Words kept in lower case inside a place name. */
static int is_particle(const char *w, size_t len)
{
    static const char *const particles[] = {
        "de",  "da", "do",   "dos", "das", "del", "la", "le",
        "les", "el", "of",   "the", "al",  "am",  "an", "der",
        "den", "im", "upon", "on",  "en",  "sur", "y"};
    size_t k;

    for (k = 0; k < WH_ARRAY_SIZE(particles); k++) {
        if (strlen(particles[k]) == len && memcmp(particles[k], w, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Title-cases the lower-cased place in out (same length). */
static void title_case(const char *low, char *out)
{
    size_t len = strlen(low);
    size_t i = 0;
    int first_word = 1;

    while (i < len) {
        size_t end = i;
        size_t j = i;
        int start = 1;

        while (end < len && low[end] != ' ') {
            end++;
        }
        while (j < end) {
            size_t at = j;
            uint32_t cp = wh_enrich_utf8_next(low, len, &j, NULL);
            char enc[4];
            size_t n;

            if (start && !(is_particle(low + i, end - i) && !first_word)) {
                /* upper case of what wh_enrich_cp_lower() lowered: only
                 * ASCII is cased back; others keep the gazetteer's form */
                if (cp >= 'a' && cp <= 'z') {
                    cp -= 0x20;
                }
            }
            n = wh_enrich_utf8_put(cp, enc);
            memcpy(out + at, enc, n);
            start = cp == '-' || cp == '\'' || (cp == '.' && j < end) ||
                    cp == 0x2019;
        }
        first_word = 0;
        i = end;
        if (i < len) {
            out[i++] = ' ';
        }
    }
    out[len] = '\0';
}

static int dateline_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct dateline_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_dateline);
    struct wh_enrich_input in;
    const char *head;
    size_t head_len;
    size_t dash_len = 0;
    size_t dash;
    const char *agency = NULL;
    size_t agency_len = 0;
    const char *comma;
    const char *place;
    size_t place_len;
    char *low = NULL;
    char *proper = NULL;
    const char *form;
    json_t *extra;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    wh_enrich_input_build(&in, rec, WH_INPUT_BODY, DATELINE_MAX_BYTES);
    if (in.len == 0) {
        wh_enrich_unknown(ev, "empty body");
        goto out;
    }
    head = in.text;
    head_len = in.len;
    trim(&head, &head_len);
    dash = find_dash(head, head_len, &dash_len);
    if (dash == head_len || dash == 0) {
        wh_enrich_unknown(ev, "no dateline at the start of the body");
        goto out;
    }
    json_object_set_new(ev, "dateline", json_stringn(head, dash + dash_len));
    head_len = dash;
    trim(&head, &head_len);
    if (head_len > 0 && head[head_len - 1] == ')') {
        const char *open = memrchr(head, '(', head_len);

        if (open != NULL) {
            agency = open + 1;
            agency_len = (size_t)(head + head_len - 1 - agency);
            trim(&agency, &agency_len);
            head_len = (size_t)(open - head);
            trim(&head, &head_len);
        }
    }
    place = head;
    place_len = head_len;
    comma = memchr(head, ',', head_len);
    if (comma != NULL) {
        const char *rest = comma + 1;
        size_t rest_len = (size_t)(head + head_len - rest);

        trim(&rest, &rest_len);
        if (rest_len == 0 || rest_len > PART_MAX_BYTES) {
            wh_enrich_unknown(ev, "no dateline at the start of the body");
            goto out;
        }
        json_object_set_new(ev, has_digit(rest, rest_len) ? "date" : "region",
                            json_stringn(rest, rest_len));
        place_len = (size_t)(comma - head);
        trim(&place, &place_len);
    }
    if (agency_len > PART_MAX_BYTES ||
        place_words(place, place_len, agency_len > 0) == 0) {
        wh_enrich_unknown(ev, "no dateline at the start of the body");
        json_object_del(ev, "date");
        json_object_del(ev, "region");
        goto out;
    }
    if (agency_len > 0) {
        json_object_set_new(ev, "agency", json_stringn(agency, agency_len));
    }
    low = wh_enrich_lower(place, place_len);
    form = wh_enrich_words_form(ctx->places, low, strlen(low));
    if (form == NULL) {
        proper = wh_xstrdup(low);
        title_case(low, proper);
        form = proper;
        json_object_set_new(ev, "case", json_string("title case"));
    } else {
        json_object_set_new(ev, "case", json_string("gazetteer"));
    }
    extra = wh_enrich_extra(rec);
    if (json_is_string(json_object_get(extra, "located")) &&
        strcmp(json_string_value(json_object_get(extra, "located")), form) !=
            0) {
        json_object_set_new(ev, "place", json_string(form));
        json_object_set_new(ev, "note",
                            json_string("\"located\" set by the source kept"));
    } else {
        json_object_set_new(extra, "located", json_string(form));
    }
out:
    free(low);
    free(proper);
    wh_enrich_input_free(&in);
    return WH_OK;
}

const struct wh_stage wh_enrich_dateline = {
    .name = "dateline",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "dateline at the start of the body into \"located\"",
    .keys = wh_enrich_config_keys,
    .check = dateline_check,
    .init = dateline_init,
    .process = dateline_process,
    .flush = NULL,
    .close = dateline_close,
};
