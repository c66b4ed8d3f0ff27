/*
 * body_filter.c - which blocks inside the chosen container are dropped:
 * boilerplate subtrees, link lists, boilerplate labels, headings that
 * lead nowhere, the headline and standfirst, a teaser printed twice,
 * repeated paragraphs, byline and date lines, trailing sign-off marks.
 * WH_EXTRACT_DEBUG_DROPS=1 shows why each block went.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body_int.h"
#include "wh/log.h"
#include "wh/wh.h"

/* ---- filtering blocks ---- */

/* why a block was dropped (0: kept); shown by WH_EXTRACT_DEBUG_DROPS */
enum {
    DROP_NONE = 0,
    DROP_OUTSIDE = 2, /* outside the chosen container */
    DROP_NEG,         /* inside boilerplate-named markup */
    DROP_CAPTION,
    DROP_H1,
    DROP_HEADLINE, /* the headline or standfirst again */
    DROP_LINKS,    /* mostly link text */
    DROP_HLINKS,   /* a heading that is a link */
    DROP_BOILER,   /* "Advertisement", "Share this", ... */
    DROP_AFTER,    /* after a comments/related marker */
    DROP_DATELINE, /* a byline or date line */
    DROP_TITLE,    /* the page title at the top */
    DROP_MARKER,   /* the marker itself */
    DROP_BYLINE,   /* the byline text again */
    DROP_TRAILING, /* a heading that leads to nothing */
    DROP_TEASER,   /* a blurb under a headline link */
    DROP_LABEL,    /* a credit or label line at an edge */
    DROP_REPEAT    /* the same paragraph again */
};

/* Is the block inside kept content? Returns the keep root or NULL. */
static xmlNodePtr kept_root(const struct body_ctx *c, xmlNodePtr n)
{
    int steps = 0;

    while (n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (in != NULL && (in->flags & NF_KEEP) != 0) {
            return n;
        }
        n = n->parent;
    }
    return NULL;
}

static const char *const boiler_starts[] = {"advertisement",
                                            "advertising",
                                            "this article is more than",
                                            "this article is over",
                                            "share this",
                                            "share on",
                                            "copyright",
                                            "\xc2\xa9",
                                            "(c) ",
                                            "all rights reserved",
                                            "send us news",
                                            "sign up",
                                            "subscribe",
                                            "follow us",
                                            "click here",
                                            "read more",
                                            "related:",
                                            "related stories",
                                            "related articles",
                                            "more about",
                                            "other stories",
                                            "you might also like",
                                            "you may also like",
                                            "recommended",
                                            "most read",
                                            "most popular",
                                            "print this",
                                            "email this",
                                            "comments",
                                            "leave a comment",
                                            "post a comment",
                                            "story continues below",
                                            "continue reading",
                                            "skip to",
                                            "image:",
                                            "photo:",
                                            "sponsored",
                                            "tags:",
                                            "filed under",
                                            "see also",
                                            "more on this",
                                            "back to top",
                                            "we use cookies",
                                            "report an error",
                                            "text size",
                                            "font size",
                                            "loading",
                                            "printer friendly",
                                            "printer-friendly",
                                            "print version",
                                            "send this",
                                            "e-mail this",
                                            "email to a friend",
                                            "e-mail to a friend",
                                            "send to a friend",
                                            "share this",
                                            "bookmark this",
                                            "be the first to like",
                                            NULL};

/* Does t (len bytes, not NUL-terminated) start with prefix, ignoring
 * ASCII case? */
static int starts_n(const char *t, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);

    return len >= pl && strncasecmp(t, prefix, pl) == 0;
}

static int is_boiler_line(const char *t, size_t len, size_t chars)
{
    /* photo captions that name themselves */
    static const char *const caption_starts[] = {
        "above:",      "below:",      "pictured:",  "picture:",
        "photo:",      "photograph:", "image:",     "caption:",
        "staff photo", "file photo",  "(photo",     "photo by ",
        "photos:",     "top photo",   "main photo", NULL};

    if (chars <= 2) {
        return 1;
    }
    if (chars <= 300) {
        for (size_t i = 0; caption_starts[i] != NULL; i++) {
            if (starts_n(t, len, caption_starts[i])) {
                return 1;
            }
        }
    }
    static const char *const anywhere[] = {
        "all rights reserved",         "may not be published, broadcast",
        "may not be reproduced",       "may not be republished",
        "must not be reproduced",      "personal, non-commercial use",
        "personal non-commercial use", NULL};

    if (chars <= 300) {
        for (size_t i = 0; anywhere[i] != NULL; i++) {
            if (memmem(t, len, anywhere[i], strlen(anywhere[i])) != NULL) {
                return 1;
            }
        }
    }
    /* a media widget's label alone on its line */
    static const char *const labels[] = {
        "gallery",     "photo gallery", "photos", "video", "videos",
        "watch video", "don't miss",    "audio",  NULL};

    if (chars <= 16) {
        for (size_t i = 0; labels[i] != NULL; i++) {
            size_t n = strlen(labels[i]);

            if (len >= n && strncasecmp(t, labels[i], n) == 0 &&
                (len == n || t[n] == ':')) {
                return 1;
            }
        }
    }
    /* what blog engines and print editions put under a story */
    static const char *const footer_starts[] = {
        "this entry was posted", "trackback url",
        "a version of this article appeared", NULL};

    if (chars <= 300) {
        for (size_t i = 0; footer_starts[i] != NULL; i++) {
            if (starts_n(t, len, footer_starts[i])) {
                return 1;
            }
        }
    }
    /* a reblogging platform's notes under a post: "reader42 liked this",
     * "reader42 reblogged this from someblog": the name is one word */
    if (chars <= 120) {
        const char *sp = memchr(t, ' ', len);
        size_t rest = sp != NULL ? len - (size_t)(sp - t) : 0;

        if ((rest == 11 && memcmp(sp, " liked this", 11) == 0) ||
            (rest > 21 && memcmp(sp, " reblogged this from ", 21) == 0)) {
            return 1;
        }
    }
    /* a breadcrumb trail: "Home / News / Story", "Home > Headlines" */
    if (chars <= 200 && starts_n(t, len, "home")) {
        size_t k = 4;

        while (k < len && t[k] == ' ') {
            k++;
        }
        if (k < len && (t[k] == '/' || t[k] == '>' || t[k] == '|' ||
                        starts_n(t + k, len - k, "\xc2\xbb") ||
                        starts_n(t + k, len - k, "\xe2\x80\xba"))) {
            return 1;
        }
    }
    if (chars > 100) {
        return 0;
    }
    for (size_t i = 0; boiler_starts[i] != NULL; i++) {
        if (starts_n(t, len, boiler_starts[i])) {
            return 1;
        }
    }
    return 0;
}

static int same_text(const char *a, size_t alen, const char *b)
{
    return b != NULL && strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* Trailing sign-off marks: " ®", "■", "(END)", "###", "-30-". */
size_t body_strip_signoff(const char *t, size_t len)
{
    static const char *const marks[] = {
        "\xc2\xae",     "\xe2\x96\xa0", "\xe2\x96\xa1", "\xe2\x97\x8f",
        "\xe2\x97\x86", "\xe2\x96\xaa", "(END)",        "(end)",
        "###",          "-30-",         "(C)",          NULL};
    int changed = 1;

    while (changed && len > 0) {
        changed = 0;
        for (size_t i = 0; marks[i] != NULL; i++) {
            size_t ml = strlen(marks[i]);

            if (len >= ml && memcmp(t + len - ml, marks[i], ml) == 0) {
                len -= ml;
                while (len > 0 && t[len - 1] == ' ') {
                    len--;
                }
                changed = 1;
            }
        }
    }
    return len;
}

/* Compares the letters and digits of a (alen bytes) and b, ignoring
 * case, blanks and punctuation. */
static int loose_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    size_t j = 0;
    size_t blen;

    if (b == NULL) {
        return 0;
    }
    blen = strlen(b);
    for (;;) {
        unsigned char x;
        unsigned char y;

        while (i < alen && !isalnum((unsigned char)a[i]) &&
               (unsigned char)a[i] < 0x80) {
            i++;
        }
        while (j < blen && !isalnum((unsigned char)b[j]) &&
               (unsigned char)b[j] < 0x80) {
            j++;
        }
        if (i >= alen || j >= blen) {
            return i >= alen && j >= blen;
        }
        x = (unsigned char)tolower((unsigned char)a[i]);
        y = (unsigned char)tolower((unsigned char)b[j]);
        if (x != y) {
            return 0;
        }
        i++;
        j++;
    }
}

/* Lower-cased letters and digits of s[0..len), into a new string. */
static char *loose_key(const char *s, size_t len)
{
    char *k = wh_xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (isalnum(ch) || ch >= 0x80) {
            k[n++] = (char)tolower(ch);
        }
    }
    k[n] = '\0';
    return k;
}

/* Is the text t (a heading) part of the headline, loosely compared? */
static int loose_in(const char *t, size_t len, const char *headline)
{
    char *a;
    char *b;
    int res;

    if (headline == NULL || len == 0) {
        return 0;
    }
    a = loose_key(t, len);
    b = loose_key(headline, strlen(headline));
    res = a[0] != '\0' && strstr(b, a) != NULL;
    free(a);
    free(b);
    return res;
}

static int has_letter(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)t[i]) || (unsigned char)t[i] >= 0xC0) {
            return 1;
        }
    }
    return 0;
}

static int memchr_digit(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (t[i] >= '0' && t[i] <= '9') {
            return 1;
        }
    }
    return 0;
}

/* Is t[0..len) all ASCII digits? */
static int digits_only(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (t[i] < '0' || t[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* Words (runs of letters and digits) in t[0..len). */
static size_t words_n(const char *t, size_t len)
{
    size_t n = 0;
    int in = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)t[i];
        int w = isalnum(ch) || ch >= 0x80;

        if (w && !in) {
            n++;
        }
        in = w;
    }
    return n;
}

/* Is the word w[0..n) a date word: a number ("27", "1st"), a month or a
 * weekday name, am/pm or a time zone? */
static int date_word(const char *w, size_t n)
{
    char low[16];

    if (isdigit((unsigned char)w[0])) {
        return 1;
    }
    if (n < 2 || n >= sizeof(low)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        low[i] = (char)tolower((unsigned char)w[i]);
    }
    return (body_lex_get(low, n) & L_DATE) != 0;
}

/* A short line that is mostly a date or time: "Tuesday, 11.06.2012 /
 * 4:54 PM", "2007-12-30 14:49:00.0", "Fri, January 18, 2008" - and not
 * a sentence that mentions one ("The charges take effect on 1 April"). */
int body_looks_dateline(const char *t, size_t len, size_t chars)
{
    size_t words = 0;
    size_t dates = 0;
    int month_or_year = 0;
    size_t i = 0;

    if (chars > 80 || memchr_digit(t, len) == 0) {
        return 0;
    }
    while (i < len) {
        size_t k = i;

        while (k < len &&
               (isalnum((unsigned char)t[k]) || (unsigned char)t[k] >= 0x80)) {
            k++;
        }
        if (k == i) {
            i++;
            continue;
        }
        words++;
        if (date_word(t + i, k - i)) {
            dates++;
            if (!isdigit((unsigned char)t[i]) ||
                (k - i == 4 && (t[i] == '1' || t[i] == '2') &&
                 digits_only(t + i, 4))) {
                month_or_year = 1;
            }
        }
        i = k;
    }
    return words > 0 && words <= 14 && dates >= 2 && month_or_year &&
           dates * 5 >= words * 2;
}

int body_looks_byline(const char *t, size_t len, size_t chars)
{
    static const char *const who[] = {"written by", "posted by", "filed under",
                                      NULL};
    /* a date or time follows ("Updated 5 May", not "Updated MacPros
     * are shipping") */
    static const char *const when[] = {"posted on", "published", "updated",
                                       "last updated", NULL};

    if (chars >= 100) {
        return 0;
    }
    for (size_t i = 0; who[i] != NULL; i++) {
        if (starts_n(t, len, who[i])) {
            return 1;
        }
    }
    for (size_t i = 0; when[i] != NULL; i++) {
        if (starts_n(t, len, when[i])) {
            return memchr_digit(t, len);
        }
    }
    /* "By Jane Doe", "by jdoe", but not a sentence ("By improving the
     * relationship between ...") */
    if (starts_n(t, len, "by ")) {
        size_t k = 3;

        while (k < len && t[k] == ' ') {
            k++;
        }
        return k < len &&
               (!islower((unsigned char)t[k]) || words_n(t, len) < 5);
    }
    return 0;
}

/* Lines after which only boilerplate follows: comment and related-story
 * sections that sit inside the article container. */
static int is_terminal(const char *t, size_t len, size_t chars)
{
    static const char *const marks[] = {"comments",
                                        "comment",
                                        "leave a comment",
                                        "leave a reply",
                                        "post a comment",
                                        "add a comment",
                                        "add your comment",
                                        "have your say",
                                        "reader comments",
                                        "your comments",
                                        "join the discussion",
                                        "join the conversation",
                                        "related",
                                        "related stories",
                                        "related articles",
                                        "related posts",
                                        "related content",
                                        "related links",
                                        "related news",
                                        "you might also like",
                                        "you may also like",
                                        "recommended for you",
                                        "more stories",
                                        "other stories you might like",
                                        "most read",
                                        "most popular",
                                        "read next",
                                        "discussion",
                                        "responses",
                                        "trackbacks",
                                        "what do you think",
                                        "share your thoughts",
                                        "top stories",
                                        "other news",
                                        "more news",
                                        "latest news",
                                        "editor's choice",
                                        "editors choice",
                                        "editors' picks",
                                        "most viewed",
                                        "most commented",
                                        "most emailed",
                                        "popular stories",
                                        "like this",
                                        "about the author",
                                        "about the authors",
                                        "about author",
                                        NULL};
    /* and lines that start so: "Also in UK News", "12 comments so far",
     * "The following are comments from the readers" */
    static const char *const starts[] = {"also in ",
                                         "more from ",
                                         "more in ",
                                         "more on ",
                                         "more stories",
                                         "related ",
                                         "the following are comments",
                                         "no comments",
                                         "comments are closed",
                                         "comment on this",
                                         "post your comment",
                                         "add your comment",
                                         "leave a comment",
                                         "reader comments",
                                         "readers comments",
                                         "reader's comments",
                                         "readers' comments",
                                         "comments for this",
                                         "discuss this",
                                         "you might also",
                                         "you may also",
                                         "recommended ",
                                         "most popular",
                                         "most read",
                                         "other stories",
                                         "latest from ",
                                         "top stories",
                                         "don't miss",
                                         NULL};
    /* and the notice above a comment section, however long: "Some
     * comments posted here may be reviewed before they are displayed" */
    static const char *const notices[] = {"the following are comments",
                                          "comments are moderated",
                                          "comments are reviewed",
                                          "comments will be",
                                          "comments may be",
                                          "comments posted",
                                          "some comments",
                                          "all comments are",
                                          "readers' comments",
                                          "by posting a comment",
                                          "by submitting a comment",
                                          "thanks for your comment",
                                          "thank you for your comment",
                                          "comments are now closed",
                                          "comments are closed",
                                          "comments have been closed",
                                          "commenting is closed",
                                          "commenting is now closed",
                                          "commenting has been closed",
                                          NULL};
    char buf[64];
    size_t n = 0;

    if (chars > 48) {
        for (size_t i = 0; chars <= 400 && notices[i] != NULL; i++) {
            if (starts_n(t, len, notices[i])) {
                return 1;
            }
        }
        return 0;
    }
    /* letters and single blanks only: "12 Comments:" -> "comments" */
    for (size_t i = 0; i < len && n + 1 < sizeof(buf); i++) {
        unsigned char ch = (unsigned char)t[i];

        if (isalpha(ch)) {
            buf[n++] = (char)tolower(ch);
        } else if ((ch == ' ' || ch == '\'') && n > 0 && buf[n - 1] != ' ') {
            buf[n++] = ch == ' ' ? ' ' : '\'';
        }
    }
    while (n > 0 && buf[n - 1] == ' ') {
        n--;
    }
    buf[n] = '\0';
    for (size_t i = 0; marks[i] != NULL; i++) {
        if (strcmp(buf, marks[i]) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; starts[i] != NULL; i++) {
        if (strncmp(buf, starts[i], strlen(starts[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Is n inside article-named markup that does not also hold scope (the
 * box of a marker)? Then the article goes on after the marker's box. */
static int in_other_article(const struct body_ctx *c, xmlNodePtr n,
                            xmlNodePtr scope)
{
    int steps = 0;

    while (n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (in != NULL && (in->flags & NF_KEEP) != 0) {
            return 0;
        }
        if (in != NULL && (in->flags & (NF_ARTICLE | NF_POS)) != 0 &&
            (in->flags & (NF_NEG | NF_WEAKNEG)) == 0) {
            return !body_is_ancestor(n, scope);
        }
        n = n->parent;
    }
    return 0;
}

/* Ends with sentence punctuation (closing quotes and brackets skipped)? */
static int ends_sentence(const char *t, size_t len)
{
    while (len > 0) {
        unsigned char ch = (unsigned char)t[len - 1];

        if (ch == '"' || ch == '\'' || ch == ')' || ch == ' ') {
            len--;
            continue;
        }
        /* closing curly quotes: E2 80 9D / E2 80 99 */
        if (len >= 3 && ch >= 0x98 && ch <= 0x9D &&
            (unsigned char)t[len - 2] == 0x80 &&
            (unsigned char)t[len - 3] == 0xE2) {
            len -= 3;
            continue;
        }
        /* ideographic full stop, fullwidth ! and ? */
        if (len >= 3 && ((unsigned char)t[len - 3] == 0xE3 &&
                         (unsigned char)t[len - 2] == 0x80 && ch == 0x82)) {
            return 1;
        }
        if (len >= 3 && (unsigned char)t[len - 3] == 0xEF &&
            (unsigned char)t[len - 2] == 0xBC && (ch == 0x81 || ch == 0x9F)) {
            return 1;
        }
        return ch == '.' || ch == '!' || ch == '?' || ch == ':';
    }
    return 0;
}

/* A credit or label line: a few words, no sentence ("The Associated
 * Press", "Special Correspondent", "Source: The Sun-Herald"), or a
 * contact line ("X can be reached at x@example.com"). */
static int is_label_line(const struct body_ctx *c, const struct block *b)
{
    const char *t = c->text.data + b->text_off;

    if (b->kind == BK_H || b->kind == BK_LI) {
        return 0;
    }
    if (b->chars < 3) {
        return 1;
    }
    if (b->chars < 200 && memchr(t, '@', b->text_len) != NULL) {
        return 1;
    }
    /* (by characters too: CJK text has few blank-separated words) */
    return b->chars <= 40 && words_n(t, b->text_len) <= 6 &&
           !ends_sentence(t, b->text_len);
}

/* Label lines before the first real paragraph and after the last one. */
static void trim_edges(struct body_ctx *c)
{
    size_t first = SIZE_MAX;
    size_t last = SIZE_MAX;
    size_t nlead = 0;
    size_t ntrail = 0;

    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];

        if (!b->drop && b->kind == BK_P && b->chars >= 80) {
            if (first == SIZE_MAX) {
                first = i;
            }
            last = i;
        }
    }
    if (first == SIZE_MAX) {
        return;
    }
    /* many short lines at an edge are a list (tour dates, a changelog),
     * not labels */
    for (size_t i = 0; i < c->nblk; i++) {
        if (!c->blk[i].drop && (i < first || i > last)) {
            if (i < first) {
                nlead++;
            } else {
                ntrail++;
            }
        }
    }
    for (size_t i = 0; i < c->nblk; i++) {
        struct block *b = &c->blk[i];

        if (b->drop || (i >= first && i <= last) ||
            (i < first ? nlead : ntrail) > 3) {
            continue;
        }
        if (is_label_line(c, b)) {
            b->drop = DROP_LABEL;
        }
    }
}

/* Teasers: a short blurb right after a headline link ("Love Sudoku?
 * Play our new game" under a linked title), outside the element that
 * holds most of the article's paragraphs. */
static void drop_teasers(struct body_ctx *c)
{
    xmlNodePtr main_parent = NULL;
    size_t best = 0;

    /* the parent holding the most kept text */
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        struct ninfo *pi = b->owner != NULL && b->owner->parent != NULL
                               ? info(c, b->owner->parent)
                               : NULL;

        if (pi != NULL) {
            pi->kept_chars = 0;
        }
    }
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        struct ninfo *pi = b->owner != NULL && b->owner->parent != NULL
                               ? info(c, b->owner->parent)
                               : NULL;

        if (b->drop || pi == NULL) {
            continue;
        }
        pi->kept_chars += b->chars;
        if (pi->kept_chars > best) {
            best = pi->kept_chars;
            main_parent = b->owner->parent;
        }
    }
    for (size_t i = 1; i < c->nblk; i++) {
        struct block *b = &c->blk[i];
        const struct block *prev = &c->blk[i - 1];

        if (b->drop || b->chars >= 250 || b->owner == NULL ||
            b->owner->parent == main_parent || b->kind == BK_LI) {
            continue;
        }
        /* (over the teaser's own byline or date line, already dropped:
         * headline link, "Jane Doe", blurb) */
        for (size_t k = i - 1, steps = 0;
             k > 0 && steps < 2 && prev->chars < 80 &&
             (prev->drop == DROP_NEG || prev->drop == DROP_DATELINE ||
              prev->drop == DROP_BYLINE);
             k--, steps++) {
            prev = &c->blk[k - 1];
        }
        /* (list items of links are lists, not teaser titles) */
        if ((prev->drop == DROP_HLINKS ||
             (prev->drop == DROP_LINKS && prev->kind != BK_LI)) &&
            prev->chars >= 15) {
            b->drop = DROP_TEASER;
        }
    }
}

/* Does the text end cut short, with "..." or an ellipsis? */
static int ends_cut(const char *t, size_t len)
{
    while (len > 0 && t[len - 1] == ' ') {
        len--;
    }
    return (len >= 3 && memcmp(t + len - 3, "...", 3) == 0) ||
           (len >= 3 && memcmp(t + len - 3, "\xe2\x80\xa6", 3) == 0);
}

/* Repetition: a teaser cut short ("... because ...") printed twice
 * word for word (a paywalled template showing its teaser in two
 * versions) is kept once: a run of repeated paragraphs that ends cut
 * short goes. Other repeats stay: writers repeat a line on purpose, and
 * some pages print the whole story twice. */
static void drop_repeats(struct body_ctx *c)
{
    size_t cap = 256;
    uint64_t *seen;
    unsigned char *rep;

    while (cap < c->nblk * 2) {
        cap *= 2;
    }
    seen = wh_xcalloc(cap, sizeof(*seen));
    rep = wh_xcalloc(c->nblk + 1, 1);
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        const unsigned char *t =
            (const unsigned char *)c->text.data + b->text_off;
        uint64_t h = 14695981039346656037u;
        size_t k;

        if (b->drop || b->chars < 80 || b->kind == BK_LI ||
            b->kind == BK_CELL) {
            continue;
        }
        for (size_t j = 0; j < b->text_len; j++) {
            h = (h ^ t[j]) * 1099511628211u;
        }
        h |= 1; /* 0 marks a free slot */
        for (k = h & (cap - 1); seen[k] != 0 && seen[k] != h;
             k = (k + 1) & (cap - 1)) {
        }
        if (seen[k] == h) {
            rep[i] = 1;
        } else {
            seen[k] = h;
        }
    }
    for (size_t i = 0; i < c->nblk;) {
        size_t end = i;
        size_t last = i;

        if (!rep[i]) {
            i++;
            continue;
        }
        /* the run of repeats, over dropped blocks between them */
        while (end < c->nblk && (rep[end] || c->blk[end].drop)) {
            if (rep[end]) {
                last = end;
            }
            end++;
        }
        if (ends_cut(c->text.data + c->blk[last].text_off,
                     c->blk[last].text_len)) {
            for (size_t k = i; k <= last; k++) {
                if (rep[k]) {
                    c->blk[k].drop = DROP_REPEAT;
                }
            }
        }
        i = end;
    }
    free(rep);
    free(seen);
}

/* Is n named as a standfirst ("standfirst", "dek", "article-deck")? */
static int is_dek(const xmlNode *n)
{
    static const char *const names[] = {"standfirst", "dek", "deck", NULL};
    const char *cls = n != NULL ? body_attr_val(n, "class") : NULL;

    while (cls != NULL && *cls != '\0') {
        size_t len = strcspn(cls, " -_");

        for (size_t i = 0; names[i] != NULL; i++) {
            if (len == strlen(names[i]) &&
                strncasecmp(cls, names[i], len) == 0) {
                return 1;
            }
        }
        cls += len;
        cls += strspn(cls, " -_");
    }
    return 0;
}

/* Is block i a list item the article announced ("Other deals:", "The
 * winners are:")? Such items stay even when mostly links, as long as
 * they also say something of their own (a price, a comment): a list of
 * bare headline links is still a link list. */
static int announced_item(const struct body_ctx *c, size_t i)
{
    const struct block *b = &c->blk[i];

    if (b->kind != BK_LI || b->chars < 40 ||
        b->link_chars * 20 > b->chars * 19) {
        return 0;
    }
    for (size_t k = i; k-- > 0;) {
        const struct block *p = &c->blk[k];
        const char *t = c->text.data + p->text_off;
        size_t len = p->text_len;

        if (p->kind == BK_LI) {
            continue;
        }
        while (len > 0 && t[len - 1] == ' ') {
            len--;
        }
        return p->drop == DROP_NONE && p->link_chars == 0 && len > 0 &&
               t[len - 1] == ':';
    }
    return 0;
}

/* Is block i text of the article that happens to be mostly links: a
 * line that says enough of its own beside its links ("Title - why it
 * matters to us", "“Paper title” by its authors"), or a sentence of a
 * paragraph written around links? A link list's items are bare titles,
 * or a title and a date or a name. */
static int linked_prose(const struct body_ctx *c, size_t i)
{
    const struct block *b = &c->blk[i];
    const char *t = c->text.data + b->text_off;

    if (b->chars - b->link_chars >= 40 && b->link_chars * 10 <= b->chars * 9) {
        return 1;
    }
    return b->kind == BK_P && b->link_chars * 10 <= b->chars * 8 &&
           ends_sentence(t, b->text_len) && words_n(t, b->text_len) >= 8;
}

void body_filter(struct body_ctx *c, const struct wh_article *art)
{
    for (size_t i = 0; i < c->nblk; i++) {
        struct block *b = &c->blk[i];
        const char *t = c->text.data + b->text_off;
        xmlNodePtr root = kept_root(c, b->owner);

        if (root == NULL) {
            b->drop = DROP_OUTSIDE;
            continue;
        }
        if (c->lenient ? body_under_neg_names(c, b->owner, root, 1)
                       : body_under_neg_in(c, b->owner, root)) {
            b->drop = DROP_NEG;
            continue;
        }
        if (b->kind == BK_CAPTION) {
            b->drop = DROP_CAPTION;
            continue;
        }
        if (b->kind == BK_H && b->level == 1) {
            b->drop = DROP_H1;
            continue;
        }
        /* the headline repeated in the body goes; the description only
         * as a heading or a one-line dek: as a paragraph it is often the
         * first paragraph itself */
        if (same_text(t, b->text_len, art->headline) ||
            ((b->kind == BK_H || (b->chars < 100 && is_dek(b->owner))) &&
             same_text(t, b->text_len, art->description))) {
            b->drop = DROP_HEADLINE;
            continue;
        }
        if (b->link_chars * 2 > b->chars && b->chars < 300 && b->kind != BK_H &&
            !announced_item(c, i) && !linked_prose(c, i)) {
            b->drop = DROP_LINKS;
            continue;
        }
        if (b->kind == BK_H && b->link_chars * 2 > b->chars) {
            b->drop = DROP_HLINKS;
            continue;
        }
        if (is_boiler_line(t, b->text_len, b->chars) &&
            !is_terminal(t, b->text_len, b->chars)) {
            b->drop = DROP_BOILER;
            continue;
        }
    }
    /* Around the start of the text: the headline again, datelines,
     * bylines. Anywhere: lines without letters; after a comments or
     * related-stories marker, everything. */
    {
        int started = 0;
        size_t kept = 0;
        int cut = 0;
        xmlNodePtr scope = NULL;
        xmlNodePtr last_parent = NULL;

        for (size_t i = 0; i < c->nblk; i++) {
            struct block *b = &c->blk[i];
            const char *t = c->text.data + b->text_off;

            if (b->drop) {
                /* a marker can hide in boilerplate-named markup:
                 * <h2 id="comments">Comments</h2> */
                if ((b->drop == DROP_NEG || b->drop == DROP_BOILER) &&
                    cut == 0 && kept >= 300 && b->owner != NULL &&
                    b->owner->parent != NULL &&
                    is_terminal(t, b->text_len, b->chars)) {
                    /* only its box: such widgets also sit mid-article */
                    scope = b->owner->parent;
                    cut = 3;
                }
                continue;
            }
            /* after a marker everything goes, unless the article goes
             * on: a block outside the marker's box, beside the
             * paragraphs that came before it (cut 1), or any real
             * paragraph after a marker hidden in a widget (cut 3) */
            if (cut == 2 ||
                (cut == 1 &&
                 (body_is_ancestor(scope, b->owner) || b->owner == NULL ||
                  b->owner->parent != last_parent)) ||
                (cut == 3 &&
                 (body_is_ancestor(scope, b->owner) || b->owner == NULL ||
                  (b->owner->parent != last_parent &&
                   (b->kind != BK_P || b->chars < 80 ||
                    b->link_chars * 5 >= b->chars ||
                    !in_other_article(c, b->owner, scope)))))) {
                b->drop = DROP_AFTER;
                continue;
            }
            cut = 0;
            /* a line without letters is a stray mark, unless it is a
             * figure in a table cell ("$83", "-2.1%"): a results table
             * keeps its figures beside its names */
            if ((b->chars < 20 && !has_letter(t, b->text_len) &&
                 !(b->kind == BK_CELL && memchr_digit(t, b->text_len))) ||
                body_looks_byline(t, b->text_len, b->chars) ||
                body_looks_dateline(t, b->text_len, b->chars)) {
                b->drop = DROP_DATELINE;
                continue;
            }
            if (b->chars < 100 && loose_eq(t, b->text_len, art->byline)) {
                b->drop = DROP_BYLINE;
                continue;
            }
            if (!started && (loose_eq(t, b->text_len, art->headline) ||
                             (b->kind == BK_H && kept == 0 &&
                              loose_in(t, b->text_len, art->headline)) ||
                             (b->chars < 200 && words_n(t, b->text_len) >= 3 &&
                              loose_in(t, b->text_len, c->title)))) {
                b->drop = DROP_TITLE;
                continue;
            }
            if (is_terminal(t, b->text_len, b->chars) && kept < 300) {
                b->drop = DROP_BOILER;
                continue;
            }
            if (kept >= 300 && is_terminal(t, b->text_len, b->chars)) {
                /* the marker's box goes: a "Related" box between two
                 * paragraphs ends where the box ends; a marker standing
                 * in the article container itself ends the article */
                xmlNodePtr root = kept_root(c, b->owner);

                scope = b->owner != NULL ? b->owner->parent : NULL;
                cut = scope == NULL || root == NULL ||
                              body_is_ancestor(scope, root)
                          ? 2
                          : 1;
                b->drop = DROP_MARKER;
                continue;
            }
            if (b->kind != BK_H && b->chars >= 80) {
                started = 1;
            }
            if (b->kind == BK_P && b->owner != NULL && b->chars >= 80 &&
                b->link_chars * 5 < b->chars) {
                last_parent = b->owner->parent;
            }
            kept += b->chars;
        }
    }
    drop_teasers(c);
    drop_repeats(c);
    trim_edges(c);
    /* headings must lead to text: drop trailing ones */
    for (size_t i = c->nblk; i-- > 0;) {
        struct block *b = &c->blk[i];

        if (b->drop) {
            continue;
        }
        if (b->kind != BK_H) {
            break;
        }
        b->drop = DROP_TRAILING;
    }
}
