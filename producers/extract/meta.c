/*
 * meta.c - article metadata from generic signals: schema.org JSON-LD,
 * OpenGraph and other <meta> tags, microdata, <time>, markup (<h1>,
 * <title>, rel=author, class names), the URL pattern and visible
 * datelines. Each value keeps where it came from; where sources disagree
 * the better-ranked one wins (structured data first). JSON-LD is read
 * in meta_ld.c; meta_int.h is what the two share.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta_int.h"
#include "wh/date.h"
#include "wh/wh.h"

void meta_field_set(struct field *f, const char *val, enum wh_prov from,
                    int rank)
{
    char *clean;

    if (val == NULL || (f->val != NULL && f->rank <= rank)) {
        return;
    }
    clean = wh_extract_text_clean(val);
    if (clean[0] == '\0' || strlen(clean) > MAX_FIELD) {
        free(clean);
        return;
    }
    free(f->val);
    f->val = clean;
    f->from = from;
    f->rank = rank;
}

/* Sets a date field when val parses as a date. */
void meta_date_set(struct field *f, const char *val, enum wh_prov from,
                   int rank)
{
    char *norm;

    if (val == NULL || (f->val != NULL && f->rank <= rank)) {
        return;
    }
    norm = wh_date_normalize(val);
    if (norm == NULL) {
        return;
    }
    free(f->val);
    f->val = norm;
    f->from = from;
    f->rank = rank;
}

static void tags_clear(struct meta_ctx *m)
{
    for (size_t i = 0; i < m->ntags; i++) {
        free(m->tags[i]);
    }
    m->ntags = 0;
}

/* Adds the comma-separated tags in s at the given rank: a better rank
 * replaces the list, the same rank appends (several article:tag). */
void meta_tags_add(struct meta_ctx *m, const char *s, int rank)
{
    const char *p = s;

    if (s == NULL || (m->ntags > 0 && rank > m->tags_rank)) {
        return;
    }
    if (m->ntags > 0 && rank < m->tags_rank) {
        tags_clear(m);
    }
    m->tags_rank = rank;
    while (*p != '\0' && m->ntags < MAX_TAGS) {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        char *raw = wh_xstrndup(p, n);
        char *t = wh_extract_text_clean(raw);
        int dup = 0;

        free(raw);
        for (size_t i = 0; i < m->ntags; i++) {
            if (strcasecmp(m->tags[i], t) == 0) {
                dup = 1;
            }
        }
        if (t[0] == '\0' || dup || strlen(t) > 100) {
            free(t);
        } else {
            m->tags[m->ntags++] = t;
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
}

int meta_is_url_like(const char *s)
{
    return strstr(s, "://") != NULL || s[0] == '/' || strchr(s, '@') != NULL;
}

/* ---- byline cleaning ---- */

static int word_is(const char *w, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) == n && strncasecmp(w, list[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *const role_words[] = {
    "staff",          "reporter",   "reporters",    "writer",
    "writers",        "editor",     "editors",      "correspondent",
    "correspondents", "columnist",  "contributor",  "contributors",
    "team",           "desk",       "newsroom",     "agency",
    "agencies",       "press",      "associated",   "wire",
    "wires",          "news",       "online",       "senior",
    "chief",          "political",  "business",     "sports",
    "science",        "technology", "health",       "updated",
    "published",      "posted",     "admin",        "administrator",
    "guest",          "author",     "photographer", "special",
    "deputy",         "associate",  "bureau",       "international",
    "times",          "post",       "daily",        "media",
    "service",        NULL};

/* links of a site's toolbar that a "byline" box may hold */
static const char *const ui_words[] = {
    "login",     "log-in", "logout",   "log-out",  "register",
    "subscribe", "signin", "sign-in",  "sign-out", "account",
    "profile",   "search", "menu",     "home",     "print",
    "share",     "email",  "comments", NULL};

/* Does the word w[0..n) start a date: a month or weekday written short
 * ("Jan.") or followed by a number ("July 4", "Monday 12")? A name such
 * as "May Chen" is neither. */
static int starts_date(const char *w, size_t n)
{
    const char *q = w + n;

    if (n > 1 && w[n - 1] == '.' && word_is(w, n - 1, wh_extract_date_words)) {
        return 1;
    }
    while (*q == ' ') {
        q++;
    }
    return word_is(w, n, wh_extract_date_words) && *q >= '0' && *q <= '9';
}

static const char *const verb_words[] = {"says",    "said",   "writes", "wrote",
                                         "reports", "posted", "on",     NULL};

/* lower-case parts of names */
static const char *const particles[] = {
    "de",  "da", "van", "von", "der", "den", "del", "della",
    "la",  "le", "du",  "di",  "bin", "al",  "el",  "ter",
    "ten", "y",  "e",   "dos", "das", NULL};

static const char *const join_words[] = {
    "and", "&", "with", "in", "for", "at", "of", "on", "the", "a", "an", NULL};

/* Keeps the people of a byline: drops a leading "By", and stops at dates,
 * separators, roles and organisations. Returns a new string or NULL. */
char *meta_byline_clean(const char *raw)
{
    char *s = wh_extract_text_clean(raw);
    struct wh_buf out;
    const char *p = s;
    size_t names = 0;

    wh_buf_init(&out, 0);
    if (wh_extract_starts_with(p, "by:")) {
        p += 3;
    } else if (wh_extract_starts_with(p, "by ")) {
        p += 3;
    } else if (wh_extract_starts_with(p, "written by ")) {
        p += 11;
    } else if (wh_extract_starts_with(p, "posted by ")) {
        p += 10;
    } else if (wh_extract_starts_with(p, "from ")) {
        p += 5;
    }
    /* Split into people at ",", " and ", "&"; stop at other punctuation
     * or a digit. */
    while (*p != '\0' && names < 6) {
        struct wh_buf name;
        int words = 0;
        int lower = 0;
        int ok = 1;
        int stop = 0;

        wh_buf_init(&name, 0);
        while (*p == ' ' || *p == ',' || *p == '&') {
            p++;
        }
        while (*p != '\0') {
            const char *w = p;
            size_t n = 0;

            while (w[n] != '\0' && w[n] != ' ' && w[n] != ',' && w[n] != '|' &&
                   w[n] != '/' && w[n] != '(' && w[n] != ')' && w[n] != ':' &&
                   w[n] != ';' && w[n] != '!' && w[n] != '?' &&
                   w[n] != '\xe2' && w[n] != '\xc2') {
                n++;
            }
            if (n == 0) {
                if (*w == ',' || *w == '\0') {
                    break;
                }
                if (*w == ' ') {
                    p++;
                    continue;
                }
                stop = 1; /* |, /, (, bullets, dashes... */
                break;
            }
            if (w[0] >= '0' && w[0] <= '9') {
                stop = 1;
                break;
            }
            if (word_is(w, n, verb_words) || starts_date(w, n)) {
                stop = 1; /* "Jane Doe says:", "X on May 2", "Jan. 7" */
                break;
            }
            if (word_is(w, n, ui_words)) {
                ok = 0; /* "Login Register Log-out" */
            }
            if (word_is(w, n, join_words)) {
                if (n == 3 && strncasecmp(w, "and", 3) == 0) {
                    p = w + n;
                    break;
                }
                if (n == 1 && w[0] == '&') {
                    p = w + n;
                    break;
                }
                ok = 0;
            }
            if (word_is(w, n, role_words)) {
                ok = 0;
            }
            /* "example.com", not a person */
            for (size_t k = 1; k + 2 < n; k++) {
                if (w[k] == '.' && isalpha((unsigned char)w[k + 1]) &&
                    isalpha((unsigned char)w[k + 2])) {
                    ok = 0;
                }
            }
            if (w[0] >= 'a' && w[0] <= 'z' && !word_is(w, n, particles)) {
                lower++;
            }
            if (name.len > 0) {
                wh_buf_append(&name, " ", 1);
            }
            wh_buf_append(&name, w, n);
            words++;
            p = w + n;
        }
        /* a lower-case word in a name of several: a phrase, not a
         * person ("How readers contributed") */
        if (lower > 0 && words > 1) {
            ok = 0;
        }
        if (name.len > 0 && ok && words <= 5 && name.data[0] != '@' &&
            !meta_is_url_like(name.data)) {
            if (out.len > 0) {
                wh_buf_puts(&out, ", ");
            }
            wh_buf_append(&out, name.data, name.len);
            names++;
        }
        wh_buf_free(&name);
        if (stop || *p == '\0') {
            break;
        }
        if (*p == ',') {
            p++;
        }
    }
    free(s);
    if (out.len == 0) {
        wh_buf_free(&out);
        return NULL;
    }
    return wh_buf_steal(&out);
}

static void byline_set(struct meta_ctx *m, const char *raw, enum wh_prov from,
                       int rank)
{
    char *b;

    if (raw == NULL || (m->byline.val != NULL && m->byline.rank <= rank)) {
        return;
    }
    if (meta_is_url_like(raw)) {
        return;
    }
    b = meta_byline_clean(raw);
    if (b != NULL) {
        meta_field_set(&m->byline, b, from, rank);
        free(b);
    }
}

/* ---- visible and URL dates ---- */

/* Writes an RFC 3339 UTC date into out[21]; fields are in range. */
static void fmt_date(char out[21], int y, int mo, int d, int hh, int mi)
{
    char tmp[64];

    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:00Z", y % 10000,
             mo % 100, d % 100, hh % 100, mi % 100);
    memcpy(out, tmp, 20);
    out[20] = '\0';
}

static int month_of(const char *w, size_t n)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr",
                                         "may", "jun", "jul", "aug",
                                         "sep", "oct", "nov", "dec"};

    if (n < 3) {
        return 0;
    }
    for (int i = 0; i < 12; i++) {
        if (strncasecmp(w, months[i], 3) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static int read_num(const char **pp, int maxdig)
{
    const char *p = *pp;
    int v = 0;
    int d = 0;

    while (*p >= '0' && *p <= '9' && d < maxdig) {
        v = v * 10 + (*p - '0');
        p++;
        d++;
    }
    if (d == 0 || (*p >= '0' && *p <= '9')) {
        return -1;
    }
    *pp = p;
    return v;
}

/* Finds "22 Dec 2014", "December 22, 2014" or "2014-12-22" in s, with an
 * optional "10:03" (and am/pm) after it. Writes RFC 3339 into out[21]. */
static int text_date(const char *s, char out[21])
{
    for (const char *p = s; *p != '\0'; p++) {
        int d = -1;
        int mo = 0;
        int y = -1;
        int hh = 0;
        int mm = 0;
        const char *q = p;

        if (p != s &&
            ((p[-1] >= '0' && p[-1] <= '9') || (p[-1] >= 'a' && p[-1] <= 'z') ||
             (p[-1] >= 'A' && p[-1] <= 'Z'))) {
            continue;
        }
        if (*q >= '0' && *q <= '9') {
            d = read_num(&q, 4);
            if (d >= 1900 && *q == '-') {
                /* ISO date */
                y = d;
                q++;
                mo = read_num(&q, 2);
                if (mo < 1 || *q != '-') {
                    continue;
                }
                q++;
                d = read_num(&q, 2);
            } else {
                size_t n = 0;

                while (*q == ' ' || *q == '.') {
                    q++;
                }
                while ((q[n] >= 'a' && q[n] <= 'z') ||
                       (q[n] >= 'A' && q[n] <= 'Z')) {
                    n++;
                }
                mo = month_of(q, n);
                q += n;
                while (*q == ' ' || *q == '.' || *q == ',') {
                    q++;
                }
                y = read_num(&q, 4);
            }
        } else {
            size_t n = 0;

            while ((q[n] >= 'a' && q[n] <= 'z') ||
                   (q[n] >= 'A' && q[n] <= 'Z')) {
                n++;
            }
            mo = month_of(q, n);
            if (mo == 0 || n > 9) {
                continue;
            }
            q += n;
            while (*q == ' ' || *q == '.') {
                q++;
            }
            d = read_num(&q, 2);
            while (*q == ',' || *q == ' ' || *q == 's' || *q == 't' ||
                   *q == 'n' || *q == 'd' || *q == 'r' || *q == 'h') {
                q++;
            }
            y = read_num(&q, 4);
        }
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 2100) {
            continue;
        }
        /* an optional time within a few characters */
        for (int k = 0; k < 12 && q[k] != '\0'; k++) {
            const char *t = q + k;
            int h;

            if (!(*t >= '0' && *t <= '9')) {
                continue;
            }
            h = read_num(&t, 2);
            if (h >= 0 && h < 24 && *t == ':') {
                t++;
                mm = read_num(&t, 2);
                if (mm < 0 || mm > 59) {
                    mm = 0;
                    break;
                }
                while (*t == ' ') {
                    t++;
                }
                if ((t[0] == 'p' || t[0] == 'P') && h < 12) {
                    h += 12;
                } else if ((t[0] == 'a' || t[0] == 'A') && h == 12) {
                    h = 0;
                }
                hh = h;
            }
            break;
        }
        fmt_date(out, y, mo, d, hh, mm);
        return 0;
    }
    return -1;
}

/* A /2014/12/22/ or /2014-12-22 or /20141222/ date in the URL path. */
static int url_date(const char *url, char out[21])
{
    const char *p;

    if (url == NULL) {
        return -1;
    }
    p = strstr(url, "://");
    p = p != NULL ? strchr(p + 3, '/') : url;
    for (; p != NULL && *p != '\0' && *p != '?' && *p != '#'; p++) {
        const char *q = p + 1;
        int y;
        int mo;
        int d;

        if (*p != '/') {
            continue;
        }
        y = read_num(&q, 4);
        if (y < 1990 || y > 2100) {
            if (y >= 19900101 && y <= 21001231) {
                d = y % 100;
                mo = (y / 100) % 100;
                y /= 10000;
                if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
                    fmt_date(out, y, mo, d, 0, 0);
                    return 0;
                }
            }
            continue;
        }
        if (*q != '/' && *q != '-') {
            continue;
        }
        q++;
        mo = read_num(&q, 2);
        if (mo < 1 || mo > 12 || (*q != '/' && *q != '-')) {
            continue;
        }
        q++;
        d = read_num(&q, 2);
        if (d < 1 || d > 31) {
            continue;
        }
        fmt_date(out, y, mo, d, 0, 0);
        return 0;
    }
    return -1;
}

/* ---- meta tags ---- */

static void meta_tag(struct meta_ctx *m, xmlNodePtr n)
{
    char *key = wh_extract_attr(n, "property");
    char *content = wh_extract_attr(n, "content");
    char *k;

    if (key == NULL) {
        key = wh_extract_attr(n, "name");
    }
    if (key == NULL) {
        key = wh_extract_attr(n, "itemprop");
    }
    if (key == NULL) {
        key = wh_extract_attr(n, "http-equiv");
    }
    if (key == NULL || content == NULL) {
        goto out;
    }
    for (k = key; *k != '\0'; k++) {
        if (*k >= 'A' && *k <= 'Z') {
            *k = (char)(*k + 32);
        }
    }
    k = key;
    if (strcmp(k, "og:title") == 0) {
        meta_field_set(&m->headline, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "twitter:title") == 0 || strcmp(k, "dc.title") == 0) {
        meta_field_set(&m->headline, content, WH_PROV_META, R_META_STRONG + 2);
    } else if (strcmp(k, "headline") == 0) {
        meta_field_set(&m->headline, content, WH_PROV_MARKUP, R_MICRODATA);
    } else if (strcmp(k, "og:description") == 0) {
        meta_field_set(&m->description, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "twitter:description") == 0) {
        meta_field_set(&m->description, content, WH_PROV_META,
                       R_META_STRONG + 2);
    } else if (strcmp(k, "description") == 0 ||
               strcmp(k, "dc.description") == 0) {
        meta_field_set(&m->description, content, WH_PROV_META, R_META_WEAK);
    } else if (strcmp(k, "article:published_time") == 0 ||
               strcmp(k, "datepublished") == 0 ||
               strcmp(k, "og:article:published_time") == 0) {
        meta_date_set(&m->published, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "pubdate") == 0 || strcmp(k, "publishdate") == 0 ||
               strcmp(k, "publish-date") == 0 || strcmp(k, "date") == 0 ||
               strcmp(k, "dc.date") == 0 || strcmp(k, "dc.date.issued") == 0 ||
               strcmp(k, "dcterms.created") == 0 ||
               strcmp(k, "sailthru.date") == 0 ||
               strcmp(k, "parsely-pub-date") == 0 ||
               strcmp(k, "article.published") == 0 ||
               strcmp(k, "original-publish-date") == 0) {
        meta_date_set(&m->published, content, WH_PROV_META, R_META_STRONG + 3);
    } else if (strcmp(k, "article:modified_time") == 0 ||
               strcmp(k, "og:updated_time") == 0 ||
               strcmp(k, "datemodified") == 0 ||
               strcmp(k, "dcterms.modified") == 0 ||
               strcmp(k, "last-modified") == 0) {
        meta_date_set(&m->modified, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "og:site_name") == 0) {
        meta_field_set(&m->site_name, content, WH_PROV_META, R_META_STRONG - 5);
    } else if (strcmp(k, "application-name") == 0) {
        meta_field_set(&m->site_name, content, WH_PROV_META, R_META_WEAK);
    } else if (strcmp(k, "og:url") == 0) {
        meta_field_set(&m->canonical, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "og:image") == 0 || strcmp(k, "og:image:url") == 0 ||
               strcmp(k, "og:image:secure_url") == 0) {
        char *abs = wh_extract_abs_url(content, m->base);

        meta_field_set(&m->image, abs, WH_PROV_META, R_META_STRONG);
        free(abs);
    } else if (strcmp(k, "twitter:image") == 0 ||
               strcmp(k, "twitter:image:src") == 0) {
        char *abs = wh_extract_abs_url(content, m->base);

        meta_field_set(&m->image, abs, WH_PROV_META, R_META_STRONG + 2);
        free(abs);
    } else if (strcmp(k, "article:section") == 0) {
        meta_field_set(&m->section, content, WH_PROV_META, R_META_STRONG);
    } else if (strcmp(k, "section") == 0 || strcmp(k, "parsely-section") == 0) {
        meta_field_set(&m->section, content, WH_PROV_META, R_META_WEAK);
    } else if (strcmp(k, "article:tag") == 0) {
        meta_tags_add(m, content, R_META_STRONG);
    } else if (strcmp(k, "news_keywords") == 0 ||
               strcmp(k, "parsely-tags") == 0) {
        meta_tags_add(m, content, R_META_STRONG + 2);
    } else if (strcmp(k, "keywords") == 0) {
        meta_tags_add(m, content, R_META_WEAK);
    } else if (strcmp(k, "author") == 0 || strcmp(k, "dc.creator") == 0 ||
               strcmp(k, "byline") == 0 || strcmp(k, "parsely-author") == 0 ||
               strcmp(k, "sailthru.author") == 0) {
        byline_set(m, content, WH_PROV_META, R_META_WEAK);
    } else if (strcmp(k, "article:author") == 0) {
        byline_set(m, content, WH_PROV_META, R_META_WEAK - 2);
    } else if (strcmp(k, "content-language") == 0 ||
               strcmp(k, "language") == 0 || strcmp(k, "dc.language") == 0) {
        meta_field_set(&m->language, content, WH_PROV_META, R_META_WEAK);
    } else if (strcmp(k, "og:locale") == 0) {
        meta_field_set(&m->language, content, WH_PROV_META, R_META_WEAK + 2);
    }
out:
    free(key);
    free(content);
}

/* ---- markup in the body ---- */

static int class_has(xmlNodePtr n, const char *const *words)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *s = wh_extract_attr_ref(n, pass == 0 ? "class" : "id");

        if (s == NULL) {
            continue;
        }
        for (size_t i = 0; words[i] != NULL; i++) {
            if (strcasestr(s, words[i]) != NULL) {
                return 1;
            }
        }
    }
    return 0;
}

static const char *const comment_classes[] = {"comment", "respond", "reply",
                                              "discussion", NULL};

/* Inside a comment thread? Its authors and dates are not the article's. */
static int in_comments(xmlNodePtr n)
{
    for (int up = 0; up < 20 && n != NULL && n->type == XML_ELEMENT_NODE;
         up++, n = n->parent) {
        if (class_has(n, comment_classes)) {
            return 1;
        }
    }
    return 0;
}

/* Lower-cased letters and digits of s (non-ASCII kept): a key for loose
 * comparisons. */
static char *loose_key(const char *s)
{
    size_t n = strlen(s);
    char *k = wh_xmalloc(n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (isalnum(ch) || ch >= 0x80) {
            k[o++] = (char)tolower(ch);
        }
    }
    k[o] = '\0';
    return k;
}

/* Is a in b, loosely? */
static int loose_in(const char *a, const char *b)
{
    char *ka = loose_key(a);
    char *kb = loose_key(b);
    int res = ka[0] != '\0' && strstr(kb, ka) != NULL;

    free(ka);
    free(kb);
    return res;
}

/* The headline from markup: the <h1>, unless the <title> says a blog put
 * its name there and the post's title in an <h2>. */
static void markup_headline(struct meta_ctx *m)
{
    const char *best = m->h1;
    const char *title = m->title.val;

    if (title != NULL) {
        int h1_in = m->h1 != NULL && loose_in(m->h1, title);

        if (m->h1 == NULL || !h1_in || strlen(m->h1) * 2 < strlen(title)) {
            for (size_t i = 0; i < m->nh2; i++) {
                if (strlen(m->h2[i]) > 10 && loose_in(m->h2[i], title) &&
                    (!h1_in || strlen(m->h2[i]) > strlen(m->h1))) {
                    best = m->h2[i];
                    break;
                }
            }
        }
    }
    meta_field_set(&m->headline, best, WH_PROV_MARKUP, R_MARKUP);
}

static const char *const byline_classes[] = {"byline",  "author",      "writer",
                                             "by-line", "contributor", NULL};
static const char *const date_classes[] = {
    "date", "time", "publish", "posted", "timestamp", "dateline", NULL};
static const char *const standfirst_classes[] = {
    "standfirst", "subtitle",    "subhead",     "dek",
    "summary",    "excerpt",     "lede",        "intro",
    "strapline",  "teaser-text", "description", NULL};

/* The elements the walk looks at, named by a cheap switch rather than a
 * chain of strcmp() per element. */
enum tag {
    T_OTHER,
    T_A,
    T_ADDRESS,
    T_BODY,
    T_DIV,
    T_H1,
    T_H2,
    T_LINK,
    T_META,
    T_P,
    T_SCRIPT,
    T_SPAN,
    T_STYLE,
    T_SVG,
    T_TIME,
    T_TITLE
};

static enum tag tag_of(const char *name)
{
    static const struct {
        const char *name;
        enum tag tag;
    } tags[] = {
        {"a", T_A},           {"address", T_ADDRESS}, {"body", T_BODY},
        {"div", T_DIV},       {"h1", T_H1},           {"h2", T_H2},
        {"link", T_LINK},     {"meta", T_META},       {"p", T_P},
        {"script", T_SCRIPT}, {"span", T_SPAN},       {"style", T_STYLE},
        {"svg", T_SVG},       {"time", T_TIME},       {"title", T_TITLE},
    };

    switch (name[0]) {
    case 'a':
    case 'b':
    case 'd':
    case 'h':
    case 'l':
    case 'm':
    case 'p':
    case 's':
    case 't':
        break;
    default:
        return T_OTHER;
    }
    for (size_t i = 0; i < WH_ARRAY_SIZE(tags); i++) {
        if (tags[i].name[0] == name[0] && strcmp(tags[i].name, name) == 0) {
            return tags[i].tag;
        }
    }
    return T_OTHER;
}

static void body_element(struct meta_ctx *m, xmlNodePtr n, enum tag tag,
                         int *budget)
{
    const char *ip;
    const char *rel;
    char *v;

    if (tag == T_H1 && m->h1 == NULL) {
        m->h1 = wh_extract_node_text(n, MAX_FIELD);
        return;
    }
    if (tag == T_H2 && m->nh2 < WH_ARRAY_SIZE(m->h2)) {
        v = wh_extract_node_text(n, MAX_FIELD);
        if (v != NULL) {
            m->h2[m->nh2++] = v;
        }
    }
    if (tag == T_TIME && m->published.rank > R_TIME) {
        v = wh_extract_attr(n, "datetime");
        if (v == NULL) {
            char *t = wh_extract_node_text(n, 200);
            char out[21];

            if (t != NULL && text_date(t, out) == 0) {
                meta_date_set(&m->published, out, WH_PROV_TIME, R_TIME + 1);
            }
            free(t);
        } else {
            meta_date_set(&m->published, v, WH_PROV_TIME, R_TIME);
            free(v);
        }
        return;
    }
    /* microdata */
    ip = wh_extract_attr_ref(n, "itemprop");
    if (ip != NULL) {
        char *c = wh_extract_attr(n, "content");

        if (c == NULL) {
            c = wh_extract_attr(n, "datetime");
        }
        if (strcmp(ip, "datePublished") == 0) {
            if (c != NULL) {
                meta_date_set(&m->published, c, WH_PROV_META, R_MICRODATA);
            }
        } else if (strcmp(ip, "dateModified") == 0) {
            if (c != NULL) {
                meta_date_set(&m->modified, c, WH_PROV_META, R_MICRODATA);
            }
        } else if (strcmp(ip, "headline") == 0 && c == NULL) {
            c = wh_extract_node_text(n, MAX_FIELD);
            meta_field_set(&m->headline, c, WH_PROV_MARKUP, R_MICRODATA);
        } else if (strcmp(ip, "author") == 0 || strcmp(ip, "creator") == 0) {
            if (c == NULL) {
                c = wh_extract_node_text(n, 300);
            }
            byline_set(m, c, WH_PROV_MARKUP, R_MICRODATA);
        }
        free(c);
    }
    if (*budget <= 0) {
        return;
    }
    /* class-name signals, for the first few elements that carry one */
    rel = wh_extract_attr_ref(n, "rel");
    if (rel != NULL && strcmp(rel, "author") == 0 &&
        m->byline.rank > R_MARKUP) {
        char *t = wh_extract_node_text(n, 300);

        byline_set(m, t, WH_PROV_MARKUP, R_MARKUP);
        free(t);
    }
    if (tag != T_DIV && tag != T_SPAN && tag != T_P && tag != T_H2 &&
        tag != T_A && tag != T_ADDRESS) {
        return;
    }
    if (xmlHasProp(n, (const xmlChar *)"class") == NULL &&
        xmlHasProp(n, (const xmlChar *)"id") == NULL) {
        return;
    }
    (*budget)--;
    /* (each test first asks whether the field is still wanted, and the
     * ancestor walk of in_comments() runs only on a match) */
    if (m->byline.rank > R_MARKUP + 1 && class_has(n, byline_classes) &&
        !in_comments(n)) {
        char *t = wh_extract_node_text(n, 300);

        byline_set(m, t, WH_PROV_TEXT, R_MARKUP + 1);
        free(t);
    }
    if (m->published.rank > R_TEXT && class_has(n, date_classes) &&
        !in_comments(n)) {
        char *t = wh_extract_node_text(n, 200);
        char out[21];

        if (t != NULL && text_date(t, out) == 0) {
            meta_date_set(&m->published, out, WH_PROV_TEXT, R_TEXT);
        }
        free(t);
    }
    if (m->description.rank > R_MARKUP && class_has(n, standfirst_classes) &&
        !in_comments(n)) {
        char *t = wh_extract_node_text(n, MAX_FIELD);

        if (t != NULL && strlen(t) > 20) {
            meta_field_set(&m->description, t, WH_PROV_MARKUP, R_MARKUP);
        }
        free(t);
    }
}

static void head_element(struct meta_ctx *m, xmlNodePtr n, enum tag tag)
{
    if (tag == T_META) {
        meta_tag(m, n);
    } else if (tag == T_TITLE && m->title.val == NULL) {
        char *t = wh_extract_title_text(n, MAX_FIELD);

        meta_field_set(&m->title, t, WH_PROV_MARKUP, R_MARKUP + 5);
        free(t);
    } else if (tag == T_LINK) {
        char *rel = wh_extract_attr(n, "rel");

        if (rel != NULL && strcasecmp(rel, "canonical") == 0) {
            char *href = wh_extract_attr(n, "href");

            meta_field_set(&m->canonical, href, WH_PROV_MARKUP,
                           R_META_STRONG - 5);
            free(href);
        }
        free(rel);
    } else if (tag == T_SCRIPT) {
        char *type = wh_extract_attr(n, "type");

        if (type != NULL && strcasestr(type, "ld+json") != NULL) {
            meta_ld_parse(m, n);
        }
        free(type);
    }
}

/* Drops a " | Site" / " - Site" suffix from a <title>. */
static char *title_clean(const char *t, const char *site)
{
    static const char *const seps[] = {" | ",
                                       " - ",
                                       " \xe2\x80\x93 ",
                                       " \xe2\x80\x94 ",
                                       " \xe2\x80\xa2 ",
                                       " :: ",
                                       " \xc2\xbb ",
                                       NULL};
    char *s = wh_xstrdup(t);

    for (size_t i = 0; seps[i] != NULL; i++) {
        char *last = NULL;
        char *f = s;

        while ((f = strstr(f, seps[i])) != NULL) {
            last = f;
            f += strlen(seps[i]);
        }
        if (last != NULL && last - s > 15) {
            const char *tail = last + strlen(seps[i]);

            if (site == NULL || strstr(tail, site) != NULL ||
                strlen(tail) < (size_t)(last - s)) {
                *last = '\0';
                break;
            }
        }
    }
    return s;
}

/* A BCP 47-looking language tag: "en", "en-GB" (og:locale "en_GB" is
 * converted). Returns a new string or NULL. */
static char *lang_clean(const char *s)
{
    char *l = wh_extract_text_clean(s);
    size_t n = 0;

    for (char *p = l; *p != '\0'; p++, n++) {
        if (*p == '_') {
            *p = '-';
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-')) {
            *p = '\0';
            break;
        }
    }
    n = strcspn(l, "-");
    if (n < 2 || n > 3 || strlen(l) > 35) {
        free(l);
        return NULL;
    }
    return l;
}

static void take(char **dst, struct field *f, enum wh_prov *from)
{
    *dst = f->val;
    f->val = NULL;
    if (from != NULL) {
        *from = *dst != NULL ? f->from : WH_PROV_NONE;
    }
}

void wh_extract_meta(htmlDocPtr doc, const char *base, struct wh_article *art)
{
    struct meta_ctx m;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr cur;
    int budget = 400;
    int in_body = 0;
    char date[21];

    memset(&m, 0, sizeof(m));
    m.base = base;
    m.tags_rank = 1000;
    {
        struct field *all[] = {&m.headline,  &m.description, &m.byline,
                               &m.published, &m.modified,    &m.canonical,
                               &m.site_name, &m.section,     &m.image,
                               &m.language,  &m.title};

        for (size_t i = 0; i < WH_ARRAY_SIZE(all); i++) {
            all[i]->rank = 1000;
        }
    }
    if (root != NULL) {
        char *lang = wh_extract_attr(root, "lang");

        if (lang == NULL) {
            lang = wh_extract_attr(root, "xml:lang");
        }
        meta_field_set(&m.language, lang, WH_PROV_MARKUP, R_META_WEAK - 1);
        free(lang);
    }
    /* One iterative walk over the whole tree. */
    cur = doc->children;
    while (cur != NULL) {
        int descend = 1;

        if (cur->type == XML_ELEMENT_NODE) {
            enum tag tag = tag_of((const char *)cur->name);

            if (tag == T_BODY) {
                in_body = 1;
            }
            if (tag == T_META || tag == T_LINK || tag == T_TITLE ||
                tag == T_SCRIPT) {
                if (tag != T_TITLE || !in_body) {
                    head_element(&m, cur, tag);
                }
                descend = 0;
            } else if (tag == T_STYLE || tag == T_SVG) {
                descend = 0;
            } else if (in_body) {
                body_element(&m, cur, tag, &budget);
            }
        } else {
            descend = 0;
        }
        if (descend && cur->children != NULL) {
            cur = cur->children;
            continue;
        }
        while (cur != NULL && cur->next == NULL) {
            cur = cur->parent;
            if (cur == NULL || cur->type == XML_DOCUMENT_NODE ||
                cur->type == XML_HTML_DOCUMENT_NODE) {
                cur = NULL;
            }
        }
        if (cur != NULL) {
            cur = cur->next;
        }
    }
    if (url_date(base, date) == 0) {
        meta_date_set(&m.published, date, WH_PROV_URL, R_URL);
    }
    if (m.canonical.val != NULL) {
        char *abs = wh_extract_abs_url(m.canonical.val, base);

        free(m.canonical.val);
        m.canonical.val = abs;
        if (abs != NULL && m.published.val == NULL &&
            url_date(abs, date) == 0) {
            meta_date_set(&m.published, date, WH_PROV_URL, R_URL);
        }
    }
    if (m.headline.rank > R_MARKUP) {
        markup_headline(&m);
    }
    free(m.h1);
    for (size_t i = 0; i < m.nh2; i++) {
        free(m.h2[i]);
    }
    if (m.headline.val == NULL && m.title.val != NULL) {
        char *t = title_clean(m.title.val, m.site_name.val);

        meta_field_set(&m.headline, t, WH_PROV_MARKUP, R_MARKUP + 5);
        free(t);
    } else if (m.headline.val != NULL && m.headline.from == WH_PROV_META) {
        /* og:title often carries the site name too */
        char *t = title_clean(m.headline.val, m.site_name.val);

        free(m.headline.val);
        m.headline.val = t;
    }
    if (m.language.val != NULL) {
        char *l = lang_clean(m.language.val);

        free(m.language.val);
        m.language.val = l;
    }
    take(&art->headline, &m.headline, &art->headline_from);
    take(&art->description, &m.description, &art->description_from);
    take(&art->byline, &m.byline, &art->byline_from);
    take(&art->published, &m.published, &art->published_from);
    take(&art->modified, &m.modified, &art->modified_from);
    take(&art->canonical_url, &m.canonical, NULL);
    take(&art->site_name, &m.site_name, NULL);
    take(&art->section, &m.section, NULL);
    take(&art->image, &m.image, NULL);
    take(&art->language, &m.language, NULL);
    free(m.title.val);
    if (m.ntags > 0) {
        art->tags = wh_xcalloc(m.ntags, sizeof(char *));
        for (size_t i = 0; i < m.ntags; i++) {
            art->tags[i] = m.tags[i];
        }
        art->ntags = m.ntags;
    }
}
