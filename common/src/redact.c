/*
 * redact.c - secrets out of log lines (see redact.h).
 */
#include "wh/redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh/wh.h"

#define MASK "***"

/* An output cursor that counts what it could not store. */
struct out {
    char *dst;
    size_t size;
    size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++, o->len++) {
        if (o->size > 0 && o->len < o->size - 1) {
            o->dst[o->len] = s[i];
        }
    }
}

static int word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* At p, a password keyword: "password" or "passwd" not inside a longer
 * word on its left, then blanks, '=', blanks. Returns the offset of the
 * value, or 0. */
static size_t password_at(const char *start, const char *p)
{
    static const char *const words[] = {"password", "passwd"};
    size_t i;

    if (p > start && word_char(p[-1])) {
        return 0;
    }
    for (i = 0; i < WH_ARRAY_SIZE(words); i++) {
        size_t n = strlen(words[i]);
        const char *q = p + n;

        if (strncasecmp(p, words[i], n) != 0) {
            continue;
        }
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (*q != '=') {
            return 0;
        }
        q++;
        while (*q == ' ' || *q == '\t') {
            q++;
        }
        return (size_t)(q - p);
    }
    return 0;
}

/* The length of the value at v: a '...' quoted conninfo value (with \'
 * and \\ escapes), else up to a blank, '&', '#', ';', ',', a quote or
 * the end, less a final ':'. */
static size_t value_len(const char *v)
{
    size_t n = 0;

    if (v[0] == '\'') {
        for (n = 1; v[n] != '\0' && v[n] != '\''; n++) {
            if (v[n] == '\\' && v[n + 1] != '\0') {
                n++;
            }
        }
        return v[n] == '\'' ? n + 1 : n;
    }
    while (v[n] != '\0' && !isspace((unsigned char)v[n]) &&
           strchr("&#;,\"'", v[n]) == NULL) {
        n++;
    }
    /* "...password=x: reason": the colon is the message's, not the
     * password's (giving away a password's last ':' is the price). */
    if (n > 1 && v[n - 1] == ':') {
        n--;
    }
    return n;
}

/* At p == "://": the length of the userinfo after it (up to and not
 * counting the last '@' of the authority), or 0 when there is none. */
static size_t userinfo_len(const char *p)
{
    const char *a = p + 3;
    size_t n = 0;
    size_t at = 0;

    while (a[n] != '\0' && !isspace((unsigned char)a[n]) &&
           strchr("/?#\"'", a[n]) == NULL) {
        if (a[n] == '@') {
            at = n + 1;
        }
        n++;
    }
    return at > 1 ? at - 1 : 0;
}

size_t wh_redact(const char *src, char *dst, size_t dst_size)
{
    struct out o = {dst, dst_size, 0};
    const char *p = src;

    while (*p != '\0') {
        size_t kw = (*p == 'p' || *p == 'P') ? password_at(src, p) : 0;
        size_t ui =
            (p[0] == ':' && p[1] == '/' && p[2] == '/') ? userinfo_len(p) : 0;

        if (kw > 0 && value_len(p + kw) > 0) {
            put(&o, p, kw);
            put(&o, MASK, strlen(MASK));
            p += kw + value_len(p + kw);
        } else if (ui > 0) {
            put(&o, "://" MASK, 3 + strlen(MASK));
            p += 3 + ui;
        } else {
            put(&o, p, 1);
            p++;
        }
    }
    if (dst_size > 0) {
        dst[o.len < dst_size - 1 ? o.len : dst_size - 1] = '\0';
    }
    return o.len;
}

char *wh_redact_dup(const char *src)
{
    size_t n = wh_redact(src, NULL, 0);
    char *dst = wh_xmalloc(n + 1);

    wh_redact(src, dst, n + 1);
    return dst;
}

int wh_redact_needed(const char *src)
{
    const char *p;

    for (p = src; *p != '\0'; p++) {
        if (((*p == 'p' || *p == 'P') && password_at(src, p) > 0 &&
             value_len(p + password_at(src, p)) > 0) ||
            (p[0] == ':' && p[1] == '/' && p[2] == '/' &&
             userinfo_len(p) > 0)) {
            return 1;
        }
    }
    return 0;
}
