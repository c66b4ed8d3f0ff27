/*
 * robots.c - robots.txt parsing and matching (see robots.h).
 */
#include "robots.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh/buf.h"
#include "wh/wh.h"

/* A pattern is kept compiled: runs of '*' collapsed, a trailing '*'
 * dropped (it adds nothing to a prefix match), the final '$' taken out
 * into anchored. What is left is segments separated by single '*'s,
 * none empty, each with its KMP failure table in fail[] (same indexes as
 * pattern, relative to the segment's start). */
struct rule {
    char *pattern;  /* compiled, NUL-terminated */
    uint16_t *fail; /* KMP failure table of every segment */
    size_t plen;    /* compiled length */
    size_t len;     /* normalized length as written: the longest wins */
    size_t order;   /* position in the file, for a stable sort */
    int anchored;   /* ended in '$' */
    int wild;       /* has a '*': matching scans the path */
    int allow;
};

/* The rules gathered for one kind of group ("ours" or "*"). */
struct set {
    struct rule *rules;
    size_t n;
    size_t nwild; /* rules with a '*' */
    long delay_ms;
    int seen; /* a group of this kind exists */
};

struct wh_robots {
    struct set set;
};

static void set_free(struct set *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        free(s->rules[i].pattern);
        free(s->rules[i].fail);
    }
    free(s->rules);
    memset(s, 0, sizeof(*s));
    s->delay_ms = -1;
}

static const char hexdig[] = "0123456789ABCDEF";

/* Percent-encodes what RFC 9309 wants encoded before comparing (octets
 * outside printable ASCII) and upper-cases existing escapes, so that a
 * pattern and a path written differently compare equal. Returns a new
 * string, or NULL when longer than max bytes. */
static char *normalize(const char *s, size_t n, size_t max)
{
    struct wh_buf b;
    size_t i;

    wh_buf_init(&b, max);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3];
        int rc;

        if (c == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            esc[0] = '%';
            esc[1] = (char)toupper((unsigned char)s[i + 1]);
            esc[2] = (char)toupper((unsigned char)s[i + 2]);
            rc = wh_buf_append(&b, esc, 3);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            esc[0] = '%';
            esc[1] = hexdig[c >> 4];
            esc[2] = hexdig[c & 15];
            rc = wh_buf_append(&b, esc, 3);
        } else {
            rc = wh_buf_append(&b, &s[i], 1);
        }
        if (rc != WH_OK) {
            wh_buf_free(&b);
            return NULL;
        }
    }
    return wh_buf_steal(&b);
}

/* Fills fail[] for the segment s[0..n): fail[k] is the length of the
 * longest proper prefix of s[0..k] that is also its suffix. */
static void kmp_table(const char *s, size_t n, uint16_t *fail)
{
    size_t k;
    size_t j = 0;

    if (n == 0) {
        return;
    }
    fail[0] = 0;
    for (k = 1; k < n; k++) {
        while (j > 0 && s[k] != s[j]) {
            j = fail[j - 1];
        }
        if (s[k] == s[j]) {
            j++;
        }
        fail[k] = (uint16_t)j;
    }
}

/* Compiles the normalized pattern pat into ru (see struct rule). */
static void compile(struct rule *ru, const char *pat)
{
    size_t n = strlen(pat);
    size_t i;
    size_t o = 0;
    size_t seg = 0;

    ru->len = n;
    ru->anchored = n > 0 && pat[n - 1] == '$';
    if (ru->anchored) {
        n--;
    }
    ru->pattern = wh_xmalloc(n + 1);
    for (i = 0; i < n; i++) {
        if (pat[i] == '*' && o > 0 && ru->pattern[o - 1] == '*') {
            continue;
        }
        ru->pattern[o++] = pat[i];
    }
    if (o > 0 && ru->pattern[o - 1] == '*') {
        /* "/a*" and "/a*$" both match what "/a" matches */
        while (o > 0 && ru->pattern[o - 1] == '*') {
            o--;
        }
        ru->anchored = 0;
    }
    ru->pattern[o] = '\0';
    ru->plen = o;
    ru->wild = memchr(ru->pattern, '*', o) != NULL;
    ru->fail = wh_xcalloc(o + 1, sizeof(*ru->fail));
    for (i = 0; i <= o; i++) {
        if (i == o || ru->pattern[i] == '*') {
            kmp_table(ru->pattern + seg, i - seg, ru->fail + seg);
            seg = i + 1;
        }
    }
}

static void add_rule(struct set *s, int allow, const char *v, size_t n)
{
    struct rule *ru;
    char *pat;

    if (n == 0 || s->n >= WH_ROBOTS_MAX_RULES) {
        return; /* an empty rule matches nothing (RFC 9309 2.2.2) */
    }
    pat = normalize(v, n, WH_ROBOTS_MAX_PATTERN);
    if (pat == NULL) {
        return;
    }
    s->rules = wh_xrealloc(s->rules, (s->n + 1) * sizeof(*s->rules));
    ru = &s->rules[s->n];
    memset(ru, 0, sizeof(*ru));
    compile(ru, pat);
    free(pat);
    if (ru->wild && s->nwild >= WH_ROBOTS_MAX_WILDCARDS) {
        free(ru->pattern);
        free(ru->fail);
        return;
    }
    s->nwild += (size_t)ru->wild;
    ru->allow = allow;
    ru->order = s->n;
    s->n++;
}

/* Longest pattern first, then in file order. */
static int rule_cmp(const void *a, const void *b)
{
    const struct rule *ra = a;
    const struct rule *rb = b;

    if (ra->len != rb->len) {
        return ra->len > rb->len ? -1 : 1;
    }
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

static long parse_delay(const char *v, size_t n)
{
    char tmp[32];
    char *end;
    double d;

    if (n == 0 || n >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    d = strtod(tmp, &end);
    if (end == tmp || *end != '\0' || !isfinite(d) || d < 0) {
        return -1;
    }
    if (d > 86400.0) {
        d = 86400.0;
    }
    return (long)(d * 1000.0);
}

/* Non-zero when a User-agent value names agent: its product token (up to
 * a '/' or blank) equals agent without case. */
static int names_agent(const char *v, size_t n, const char *agent)
{
    size_t k = 0;

    while (k < n && v[k] != '/' && !isspace((unsigned char)v[k])) {
        k++;
    }
    return k > 0 && k == strlen(agent) && strncasecmp(v, agent, k) == 0;
}

struct wh_robots *wh_robots_parse(const char *text, size_t len,
                                  const char *agent)
{
    struct wh_robots *r = wh_xcalloc(1, sizeof(*r));
    struct set ours;
    struct set star;
    size_t pos = 0;
    int in_agents = 0; /* the previous line was a User-agent */
    int group_ours = 0;
    int group_star = 0;

    memset(&ours, 0, sizeof(ours));
    memset(&star, 0, sizeof(star));
    ours.delay_ms = -1;
    star.delay_ms = -1;
    while (pos < len) {
        size_t end = pos;
        size_t ks;
        size_t ke;
        size_t vs;
        size_t ve;
        size_t colon;

        while (end < len && text[end] != '\n' && text[end] != '\r') {
            end++;
        }
        ke = pos;
        while (ke < end && text[ke] != '#') {
            ke++;
        }
        /* [pos, ke) is the line without its comment */
        colon = pos;
        while (colon < ke && text[colon] != ':') {
            colon++;
        }
        ks = pos;
        pos = end + 1;
        if (colon == ke) {
            continue;
        }
        while (ks < colon && isspace((unsigned char)text[ks])) {
            ks++;
        }
        ve = ke;
        ke = colon;
        while (ke > ks && isspace((unsigned char)text[ke - 1])) {
            ke--;
        }
        vs = colon + 1;
        while (vs < ve && isspace((unsigned char)text[vs])) {
            vs++;
        }
        while (ve > vs && isspace((unsigned char)text[ve - 1])) {
            ve--;
        }
#define KEY_IS(name)                                                           \
    (ke - ks == strlen(name) && strncasecmp(text + ks, name, ke - ks) == 0)
        if (KEY_IS("user-agent") || KEY_IS("useragent") ||
            KEY_IS("user agent")) {
            if (!in_agents) {
                group_ours = 0;
                group_star = 0;
            }
            in_agents = 1;
            if (ve - vs == 1 && text[vs] == '*') {
                group_star = 1;
                star.seen = 1;
            } else if (names_agent(text + vs, ve - vs, agent)) {
                group_ours = 1;
                ours.seen = 1;
            }
            continue;
        }
        in_agents = 0;
        if (KEY_IS("allow") || KEY_IS("disallow")) {
            int allow = KEY_IS("allow");

            if (group_ours) {
                add_rule(&ours, allow, text + vs, ve - vs);
            }
            if (group_star) {
                add_rule(&star, allow, text + vs, ve - vs);
            }
        } else if (KEY_IS("crawl-delay")) {
            long d = parse_delay(text + vs, ve - vs);

            if (group_ours && d >= 0) {
                ours.delay_ms = d;
            }
            if (group_star && d >= 0) {
                star.delay_ms = d;
            }
        }
#undef KEY_IS
    }
    if (ours.seen) {
        r->set = ours;
        set_free(&star);
    } else {
        r->set = star;
        set_free(&ours);
    }
    if (r->set.n > 1) {
        qsort(r->set.rules, r->set.n, sizeof(*r->set.rules), rule_cmp);
    }
    return r;
}

struct wh_robots *wh_robots_new_all(int allow)
{
    struct wh_robots *r = wh_xcalloc(1, sizeof(*r));

    r->set.delay_ms = -1;
    if (!allow) {
        add_rule(&r->set, 0, "/", 1);
    }
    return r;
}

void wh_robots_free(struct wh_robots *r)
{
    if (r == NULL) {
        return;
    }
    set_free(&r->set);
    free(r);
}

/* End of the first occurrence of the segment s[0..n) (failure table
 * fail) in t[0..tn), or SIZE_MAX when there is none. Knuth-Morris-Pratt:
 * every octet of t is looked at a bounded number of times (amortized
 * twice), whatever s and t are. */
static size_t find(const char *t, size_t tn, const char *s, size_t n,
                   const uint16_t *fail)
{
    size_t i;
    size_t j = 0;

    for (i = 0; i < tn; i++) {
        if (j == 0) {
            const char *c = memchr(t + i, s[0], tn - i);

            if (c == NULL) {
                return SIZE_MAX;
            }
            i = (size_t)(c - t);
        }
        while (j > 0 && t[i] != s[j]) {
            j = fail[j - 1];
        }
        if (t[i] == s[j]) {
            j++;
        }
        if (j == n) {
            return i + 1;
        }
    }
    return SIZE_MAX;
}

/* Non-zero when the rule matches a prefix of path (n bytes), or all of
 * it when anchored. The first segment must start the path, each later
 * one is taken at its leftmost occurrence after the one before (which
 * leaves the most room to the rest, so no choice is ever undone), and an
 * anchored rule's last segment must end the path. O(n + plen). */
static int match(const struct rule *ru, const char *path, size_t n)
{
    const char *pat = ru->pattern;
    const char *star = memchr(pat, '*', ru->plen);
    size_t first = star != NULL ? (size_t)(star - pat) : ru->plen;
    size_t pos = first;
    size_t limit = n;
    size_t end = ru->plen; /* where the segments searched for end */
    size_t seg;

    if (n < first || memcmp(path, pat, first) != 0) {
        return 0;
    }
    if (star == NULL) {
        return !ru->anchored || n == first;
    }
    if (ru->anchored) {
        const char *last = strrchr(pat, '*') + 1;
        size_t lastlen = ru->plen - (size_t)(last - pat);

        if (n - pos < lastlen ||
            memcmp(path + n - lastlen, last, lastlen) != 0) {
            return 0;
        }
        limit = n - lastlen;
        end = (size_t)(last - pat) - 1; /* the last '*' */
    }
    for (seg = first + 1; seg < end;) {
        const char *next = memchr(pat + seg, '*', end - seg);
        size_t slen = next != NULL ? (size_t)(next - (pat + seg)) : end - seg;
        size_t at;

        at = find(path + pos, limit - pos, pat + seg, slen, ru->fail + seg);
        if (at == SIZE_MAX) {
            return 0;
        }
        pos += at;
        seg += slen + 1;
    }
    return 1;
}

int wh_robots_allowed(const struct wh_robots *r, const char *path)
{
    char *norm;
    size_t n;
    size_t best = 0;
    int verdict = 1;
    int found = 0;
    size_t i;

    if (r == NULL || path == NULL || strcmp(path, "/robots.txt") == 0) {
        return 1;
    }
    norm = normalize(path, strlen(path), 0);
    if (norm == NULL) {
        return 1; /* not reached: no maximum was given */
    }
    n = strlen(norm);
    /* the rules are sorted longest first: past the first match only the
     * rules of the same length can still change the verdict */
    for (i = 0; i < r->set.n; i++) {
        const struct rule *ru = &r->set.rules[i];

        if (found && ru->len < best) {
            break;
        }
        if (!match(ru, norm, n)) {
            continue;
        }
        if (!found) {
            verdict = ru->allow;
        } else if (ru->allow) {
            verdict = 1; /* a tie goes to Allow */
        }
        found = 1;
        best = ru->len;
    }
    free(norm);
    return verdict;
}

long wh_robots_crawl_delay_ms(const struct wh_robots *r)
{
    return r != NULL ? r->set.delay_ms : -1;
}

size_t wh_robots_nrules(const struct wh_robots *r)
{
    return r != NULL ? r->set.n : 0;
}
