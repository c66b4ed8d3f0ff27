/*
 * robots.c - robots.txt parsing and matching (see robots.h).
 */
#include "robots.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh/buf.h"
#include "wh/wh.h"

struct rule {
    char *pattern; /* normalized */
    size_t len;    /* its length: the longest match wins */
    int allow;
};

/* The rules gathered for one kind of group ("ours" or "*"). */
struct set {
    struct rule *rules;
    size_t n;
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

static void add_rule(struct set *s, int allow, const char *v, size_t n)
{
    char *pat;

    if (n == 0 || s->n >= WH_ROBOTS_MAX_RULES) {
        return; /* an empty rule matches nothing (RFC 9309 2.2.2) */
    }
    pat = normalize(v, n, WH_ROBOTS_MAX_PATTERN);
    if (pat == NULL) {
        return;
    }
    s->rules = wh_xrealloc(s->rules, (s->n + 1) * sizeof(*s->rules));
    s->rules[s->n].pattern = pat;
    s->rules[s->n].len = strlen(pat);
    s->rules[s->n].allow = allow;
    s->n++;
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

/* Non-zero when pattern (with '*' for any run of octets and a final '$'
 * anchoring the end) matches a prefix of path, or all of it with '$'.
 * Greedy with one backtrack point: O(len(path) * stars) at worst. */
static int match(const char *pat, size_t plen, const char *path)
{
    int anchored = plen > 0 && pat[plen - 1] == '$';
    size_t pi = 0;
    size_t si = 0;
    size_t star_pi = (size_t)-1;
    size_t star_si = 0;

    if (anchored) {
        plen--;
    }
    for (;;) {
        if (pi == plen) {
            if (!anchored || path[si] == '\0') {
                return 1;
            }
        } else if (pat[pi] == '*') {
            star_pi = pi++;
            star_si = si;
            continue;
        } else if (path[si] != '\0' && pat[pi] == path[si]) {
            pi++;
            si++;
            continue;
        }
        /* mismatch (or anchored end not reached): let the last star eat
         * one more octet */
        if (star_pi == (size_t)-1 || path[star_si] == '\0') {
            return 0;
        }
        pi = star_pi + 1;
        si = ++star_si;
    }
}

int wh_robots_allowed(const struct wh_robots *r, const char *path)
{
    char *norm;
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
    for (i = 0; i < r->set.n; i++) {
        const struct rule *ru = &r->set.rules[i];

        if (found && ru->len < best) {
            continue;
        }
        if (!match(ru->pattern, ru->len, norm)) {
            continue;
        }
        if (!found || ru->len > best) {
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
