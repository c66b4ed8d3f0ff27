/*
 * json.c - JSON text to a jansson tree, read in runs (see wh/json.h).
 *
 * jansson's own reader takes one character at a time through a stream
 * with look-ahead, about 120 instructions a byte: a third of what the
 * consumer spent on a record of 1.8 KB. Here strings are scanned to the
 * next quote, backslash, control or non-ASCII byte and copied in one go
 * (about 25 instructions a byte, tree building included).
 */
#include "wh/json.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/buf.h"
#include "wh/utf8.h"
#include "wh/wh.h"

#define JREAD_MAX_DEPTH 2048

struct jread {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    struct wh_buf str; /* the string being decoded */
    char *errstr;
    size_t errstr_size;
    int failed;
};

static void jread_fail(struct jread *jr, const char *reason)
{
    size_t line = 1;
    size_t col = 0;
    size_t i;

    if (jr->failed) {
        return;
    }
    jr->failed = 1;
    for (i = 0; i < jr->pos && i < jr->len; i++) {
        if (jr->s[i] == '\n') {
            line++;
            col = 0;
        } else {
            col++;
        }
    }
    if (jr->errstr_size > 0) {
        snprintf(jr->errstr, jr->errstr_size, "%zu:%zu: %s", line, col + 1,
                 reason);
    }
}

static void jread_ws(struct jread *jr)
{
    while (jr->pos < jr->len &&
           (jr->s[jr->pos] == ' ' || jr->s[jr->pos] == '\n' ||
            jr->s[jr->pos] == '\r' || jr->s[jr->pos] == '\t')) {
        jr->pos++;
    }
}

static int jread_hex4(struct jread *jr, unsigned *out)
{
    unsigned v = 0;
    size_t k;

    if (jr->len - jr->pos < 4) {
        return -1;
    }
    for (k = 0; k < 4; k++) {
        char c = jr->s[jr->pos + k];

        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v |= (unsigned)((c | 0x20) - 'a' + 10);
        } else {
            return -1;
        }
    }
    jr->pos += 4;
    *out = v;
    return 0;
}

/* Appends s[0..n) to the string being decoded. wh_json_parse() gives
 * its buffer room for the whole text, which no decoded string outgrows
 * (an escape is never shorter than what it stands for): a copy, without
 * the calls and reallocations of wh_buf_append(). */
static void jread_put(struct jread *jr, const char *s, size_t n)
{
    if (n < jr->str.cap - jr->str.len) {
        memcpy(jr->str.data + jr->str.len, s, n);
        jr->str.len += n;
        return;
    }
    WH_ASSERT(wh_buf_append(&jr->str, s, n) == WH_OK);
}

/* A \u escape (jr->pos just past "\u") into jr->str as UTF-8. */
static int jread_unicode(struct jread *jr)
{
    unsigned cp;
    unsigned lo;
    char out[4];
    size_t n;

    if (jread_hex4(jr, &cp) != 0) {
        jread_fail(jr, "invalid \\u escape");
        return -1;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        jread_fail(jr, "invalid Unicode: lone low surrogate");
        return -1;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (jr->len - jr->pos < 2 || jr->s[jr->pos] != '\\' ||
            jr->s[jr->pos + 1] != 'u') {
            jread_fail(jr, "invalid Unicode: lone high surrogate");
            return -1;
        }
        jr->pos += 2;
        if (jread_hex4(jr, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
            jread_fail(jr, "invalid Unicode: bad surrogate pair");
            return -1;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (cp == 0) {
        jread_fail(jr, "\\u0000 is not allowed");
        return -1;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    jread_put(jr, out, n);
    return 0;
}

/* The string at jr->pos (its opening quote) decoded into jr->str (NUL
 * terminated, jr->str.len bytes). */
static int jread_string(struct jread *jr)
{
    static const char unescape[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
    const unsigned char *p = (const unsigned char *)jr->s;

    jr->str.len = 0;
    jr->pos++; /* the quote */
    for (;;) {
        size_t run = jr->pos;
        const char *e;
        size_t seq;

        while (jr->len - run >= 8 && wh_json_plain8(p + run)) {
            run += 8; /* most text: eight bytes at a time */
        }
        while (run < jr->len && p[run] >= 0x20 && p[run] < 0x80 &&
               p[run] != '"' && p[run] != '\\') {
            run++;
        }
        jread_put(jr, jr->s + jr->pos, run - jr->pos);
        jr->pos = run;
        if (jr->pos >= jr->len) {
            jread_fail(jr, "premature end of input in a string");
            return -1;
        }
        if (p[jr->pos] == '"') {
            jr->pos++;
            break;
        }
        if (p[jr->pos] >= 0x80) {
            seq = wh_utf8_valid(p + jr->pos, jr->len - jr->pos);
            if (seq == 0) {
                jread_fail(jr, "invalid UTF-8");
                return -1;
            }
            jread_put(jr, jr->s + jr->pos, seq);
            jr->pos += seq;
            continue;
        }
        if (p[jr->pos] < 0x20) {
            jread_fail(jr, "control character in a string");
            return -1;
        }
        /* a backslash */
        if (jr->pos + 1 >= jr->len) {
            jread_fail(jr, "premature end of input in a string");
            return -1;
        }
        jr->pos++;
        if (jr->s[jr->pos] == 'u') {
            jr->pos++;
            if (jread_unicode(jr) != 0) {
                return -1;
            }
            continue;
        }
        e = jr->s[jr->pos] != '\0' ? strchr(unescape, jr->s[jr->pos]) : NULL;
        if (e == NULL || (e - unescape) % 2 != 0) {
            jread_fail(jr, "invalid escape");
            return -1;
        }
        jread_put(jr, e + 1, 1);
        jr->pos++;
    }
    jread_put(jr, "", 1);
    jr->str.len--;
    return 0;
}

static json_t *jread_value(struct jread *jr);

/* Past the digits at s[i]; i itself when there are none. */
static size_t skip_digits(const char *s, size_t len, size_t i)
{
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    return i;
}

static json_t *jread_number(struct jread *jr)
{
    const char *s = jr->s;
    size_t start = jr->pos;
    size_t i = jr->pos;
    int real = 0;
    char num[64];
    char *end = NULL;
    json_t *v;

    if (i < jr->len && s[i] == '-') {
        i++;
    }
    if (i < jr->len && s[i] == '0') {
        i++;
    } else if (i < jr->len && s[i] >= '1' && s[i] <= '9') {
        i = skip_digits(s, jr->len, i);
    } else {
        jread_fail(jr, "invalid token");
        return NULL;
    }
    if (i < jr->len && s[i] == '.') {
        real = 1;
        if (skip_digits(s, jr->len, i + 1) == i + 1) {
            jread_fail(jr, "invalid number");
            return NULL;
        }
        i = skip_digits(s, jr->len, i + 1);
    }
    if (i < jr->len && (s[i] == 'e' || s[i] == 'E')) {
        real = 1;
        i++;
        if (i < jr->len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (skip_digits(s, jr->len, i) == i) {
            jread_fail(jr, "invalid number");
            return NULL;
        }
        i = skip_digits(s, jr->len, i);
    }
    if (i - start >= sizeof(num)) {
        jread_fail(jr, real ? "real number too long" : "too big integer");
        return NULL;
    }
    memcpy(num, s + start, i - start);
    num[i - start] = '\0';
    errno = 0;
    if (real) {
        double d = strtod(num, &end);

        if (errno == ERANGE && (d > 1.0 || d < -1.0)) {
            jread_fail(jr, "real number overflow");
            return NULL;
        }
        v = json_real(d);
    } else {
        long long n = strtoll(num, &end, 10);

        if (errno == ERANGE) {
            jread_fail(jr, num[0] == '-' ? "too big negative integer"
                                         : "too big integer");
            return NULL;
        }
        v = json_integer((json_int_t)n);
    }
    WH_ASSERT(v != NULL);
    jr->pos = i;
    return v;
}

static json_t *jread_literal(struct jread *jr, const char *word, json_t *v)
{
    size_t n = strlen(word);

    if (jr->len - jr->pos < n || memcmp(jr->s + jr->pos, word, n) != 0) {
        jread_fail(jr, "invalid token");
        return NULL;
    }
    jr->pos += n;
    return v;
}

static json_t *jread_object(struct jread *jr)
{
    json_t *obj = json_object();

    WH_ASSERT(obj != NULL);
    jr->pos++; /* { */
    jread_ws(jr);
    if (jr->pos < jr->len && jr->s[jr->pos] == '}') {
        jr->pos++;
        return obj;
    }
    for (;;) {
        char *key;
        json_t *v;

        jread_ws(jr);
        if (jr->pos >= jr->len || jr->s[jr->pos] != '"') {
            jread_fail(jr, "string or '}' expected");
            goto fail;
        }
        if (jread_string(jr) != 0) {
            goto fail;
        }
        if (json_object_getn(obj, jr->str.data, jr->str.len) != NULL) {
            jread_fail(jr, "duplicate object key");
            goto fail;
        }
        key = wh_xstrndup(jr->str.data, jr->str.len);
        jread_ws(jr);
        if (jr->pos >= jr->len || jr->s[jr->pos] != ':') {
            free(key);
            jread_fail(jr, "':' expected");
            goto fail;
        }
        jr->pos++;
        v = jread_value(jr);
        if (v == NULL) {
            free(key);
            goto fail;
        }
        WH_ASSERT(json_object_setn_new_nocheck(obj, key, strlen(key), v) == 0);
        free(key);
        jread_ws(jr);
        if (jr->pos < jr->len && jr->s[jr->pos] == ',') {
            jr->pos++;
            continue;
        }
        if (jr->pos < jr->len && jr->s[jr->pos] == '}') {
            jr->pos++;
            return obj;
        }
        jread_fail(jr, "',' or '}' expected");
        goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *jread_array(struct jread *jr)
{
    json_t *arr = json_array();

    WH_ASSERT(arr != NULL);
    jr->pos++; /* [ */
    jread_ws(jr);
    if (jr->pos < jr->len && jr->s[jr->pos] == ']') {
        jr->pos++;
        return arr;
    }
    for (;;) {
        json_t *v = jread_value(jr);

        if (v == NULL) {
            json_decref(arr);
            return NULL;
        }
        WH_ASSERT(json_array_append_new(arr, v) == 0);
        jread_ws(jr);
        if (jr->pos < jr->len && jr->s[jr->pos] == ',') {
            jr->pos++;
            continue;
        }
        if (jr->pos < jr->len && jr->s[jr->pos] == ']') {
            jr->pos++;
            return arr;
        }
        jread_fail(jr, "',' or ']' expected");
        json_decref(arr);
        return NULL;
    }
}

static json_t *jread_value(struct jread *jr)
{
    json_t *v;

    jread_ws(jr);
    if (jr->pos >= jr->len) {
        jread_fail(jr, "premature end of input");
        return NULL;
    }
    switch (jr->s[jr->pos]) {
    case '{':
    case '[':
        if (++jr->depth > JREAD_MAX_DEPTH) {
            jread_fail(jr, "maximum parsing depth reached");
            return NULL;
        }
        v = jr->s[jr->pos] == '{' ? jread_object(jr) : jread_array(jr);
        jr->depth--;
        return v;
    case '"':
        if (jread_string(jr) != 0) {
            return NULL;
        }
        v = json_stringn_nocheck(jr->str.data, jr->str.len);
        WH_ASSERT(v != NULL);
        return v;
    case 't':
        return jread_literal(jr, "true", json_true());
    case 'f':
        return jread_literal(jr, "false", json_false());
    case 'n':
        return jread_literal(jr, "null", json_null());
    default:
        return jread_number(jr);
    }
}

json_t *wh_json_parse(const char *text, size_t len, char *errstr,
                      size_t errstr_size)
{
    struct jread jr;
    json_t *doc = NULL;

    memset(&jr, 0, sizeof(jr));
    jr.s = text;
    jr.len = len;
    jr.errstr = errstr;
    jr.errstr_size = errstr_size;
    wh_buf_init(&jr.str, 0);
    jr.str.cap = len + 2; /* see jread_put() */
    jr.str.data = wh_xmalloc(jr.str.cap);
    jread_ws(&jr);
    if (jr.pos >= jr.len || (jr.s[jr.pos] != '{' && jr.s[jr.pos] != '[')) {
        jread_fail(&jr, "'[' or '{' expected");
        goto out;
    }
    doc = jread_value(&jr);
    if (doc == NULL) {
        goto out;
    }
    jread_ws(&jr);
    if (jr.pos < jr.len) {
        jread_fail(&jr, "end of file expected");
        json_decref(doc);
        doc = NULL;
    }
out:
    wh_buf_free(&jr.str);
    return doc;
}

const char *wh_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

/* RECYCLE_ASAN: built with AddressSanitizer (gcc says so one way, clang
 * another). Recycling is off there, so that ASan sees every block's use
 * after free. */
#if defined(__SANITIZE_ADDRESS__)
#define RECYCLE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RECYCLE_ASAN 1
#endif
#endif

#ifndef RECYCLE_ASAN
/* wh_json_recycle(): the blocks kept, by size class (class c: blocks with
 * room for at least 16 * c bytes), each list linked through the blocks'
 * first bytes. */
#define RECYCLE_CLASSES 17 /* 16 to 256 bytes; class 0 unused */

struct recycle {
    void *head[RECYCLE_CLASSES];
    unsigned n[RECYCLE_CLASSES];
};

static _Thread_local struct recycle recycled;

static void *recycle_malloc(size_t size)
{
    size_t c = size <= 16 ? 1 : (size + 15) / 16;
    void *p;

    if (c >= RECYCLE_CLASSES) {
        return malloc(size);
    }
    p = recycled.head[c];
    if (p == NULL) {
        return malloc(c * 16); /* its usable size maps back to class c */
    }
    memcpy(&recycled.head[c], p, sizeof(void *));
    recycled.n[c]--;
    return p;
}

static void recycle_free(void *p)
{
    size_t c;

    if (p == NULL) {
        return;
    }
    c = malloc_usable_size(p) / 16; /* any block: ours or malloc()'s */
    if (c == 0 || c >= RECYCLE_CLASSES ||
        recycled.n[c] >= WH_JSON_RECYCLE_MAX) {
        free(p);
        return;
    }
    memcpy(p, &recycled.head[c], sizeof(void *));
    recycled.head[c] = p;
    recycled.n[c]++;
}

void wh_json_recycle(void)
{
    json_set_alloc_funcs(recycle_malloc, recycle_free);
}
#else
void wh_json_recycle(void)
{
}
#endif
