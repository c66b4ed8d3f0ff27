/*
 * record.c - the article record as an IPTC ninjs 3.1 JSON document.
 *
 * Keys are written in a fixed order (jansson keeps insertion order), so
 * the same record always serializes to the same bytes.
 */
#include "wh/record.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wh/buf.h"
#include "wh/date.h"
#include "wh/hash.h"
#include "wh/json.h"
#include "wh/utf8.h"
#include "wh/wh.h"

/* String members, top level and in the extension object, in the order they
 * are written. */
struct str_member {
    const char *name;
    size_t offset;
};

static const struct str_member top_dates[] = {
    {"firstCreated", offsetof(struct wh_record, first_created)},
    {"versionCreated", offsetof(struct wh_record, version_created)},
    {"contentCreated", offsetof(struct wh_record, content_created)},
    {"language", offsetof(struct wh_record, language)},
};

static const struct str_member ext_strings[] = {
    {"source", offsetof(struct wh_record, source)},
    {"fetchedAt", offsetof(struct wh_record, fetched_at)},
    {"finalUrl", offsetof(struct wh_record, final_url)},
    {"contentHash", offsetof(struct wh_record, content_hash)},
    {"extractorVersion", offsetof(struct wh_record, extractor_version)},
};

/* Top-level names the struct holds (never taken from rec->extra). */
static const char *const top_known[] = {
    "uri",
    "type",
    "version",
    "firstCreated",
    "versionCreated",
    "contentCreated",
    "language",
    "headlines",
    "descriptions",
    "bodies",
    "by",
    WH_RECORD_EXT,
};

static const char *const ext_known[] = {
    "source",     "fetchedAt",   "finalUrl",
    "httpStatus", "contentHash", "extractorVersion",
};

static char **str_field(struct wh_record *rec, size_t offset)
{
    return (char **)(void *)((char *)rec + offset);
}

static char *const *cstr_field(const struct wh_record *rec, size_t offset)
{
    return (char *const *)(const void *)((const char *)rec + offset);
}

static int is_known(const char *key, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(key, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

struct wh_record *wh_record_new(void)
{
    return wh_xcalloc(1, sizeof(struct wh_record));
}

void wh_record_free(struct wh_record *rec)
{
    size_t i;

    if (rec == NULL) {
        return;
    }
    free(rec->uri);
    free(rec->type);
    for (i = 0; i < WH_ARRAY_SIZE(top_dates); i++) {
        free(*str_field(rec, top_dates[i].offset));
    }
    free(rec->headline);
    free(rec->subheadline);
    free(rec->description);
    free(rec->body_text);
    free(rec->body_html);
    free(rec->by);
    json_decref(rec->extra);
    for (i = 0; i < WH_ARRAY_SIZE(ext_strings); i++) {
        free(*str_field(rec, ext_strings[i].offset));
    }
    json_decref(rec->ext);
    free(rec);
}

/* A JSON string for s. jansson refuses invalid UTF-8; such bytes become
 * U+FFFD rather than losing the whole record. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    char *clean;

    if (j != NULL) {
        return j;
    }
    clean = wh_utf8_clean(s, strlen(s), NULL);
    j = json_string(clean);
    free(clean);
    WH_ASSERT(j != NULL);
    return j;
}

static void put(json_t *obj, const char *key, json_t *value)
{
    WH_ASSERT(value != NULL);
    WH_ASSERT(json_object_set_new(obj, key, value) == 0);
}

static void put_str(json_t *obj, const char *key, const char *s)
{
    if (s != NULL) {
        put(obj, key, jstr(s));
    }
}

/* {"role": role, ["contentType": ctype,] "value": value} appended to arr. */
static void add_text(json_t *arr, const char *role, const char *ctype,
                     const char *value)
{
    json_t *item;

    if (value == NULL) {
        return;
    }
    item = json_object();
    WH_ASSERT(item != NULL);
    put(item, "role", jstr(role));
    if (ctype != NULL) {
        put(item, "contentType", jstr(ctype));
    }
    put(item, "value", jstr(value));
    WH_ASSERT(json_array_append_new(arr, item) == 0);
}

static void put_array(json_t *obj, const char *key, json_t *arr)
{
    if (json_array_size(arr) > 0) {
        put(obj, key, arr);
    } else {
        json_decref(arr);
    }
}

/* Copies the members of src not named in known[] into obj. */
static void put_others(json_t *obj, const json_t *src, const char *const *known,
                       size_t n)
{
    const char *key;
    json_t *value;

    if (!json_is_object(src)) {
        return;
    }
    json_object_foreach ((json_t *)src, key, value) {
        if (!is_known(key, known, n)) {
            put(obj, key, json_deep_copy(value));
        }
    }
}

static json_t *ext_to_json(const struct wh_record *rec)
{
    json_t *ext = json_object();
    size_t i;

    WH_ASSERT(ext != NULL);
    for (i = 0; i < WH_ARRAY_SIZE(ext_strings); i++) {
        /* httpStatus sits between finalUrl and contentHash. */
        if (strcmp(ext_strings[i].name, "contentHash") == 0 &&
            rec->http_status != 0) {
            put(ext, "httpStatus", json_integer(rec->http_status));
        }
        put_str(ext, ext_strings[i].name,
                *cstr_field(rec, ext_strings[i].offset));
    }
    put_others(ext, rec->ext, ext_known, WH_ARRAY_SIZE(ext_known));
    return ext;
}

json_t *wh_record_to_json(const struct wh_record *rec)
{
    json_t *doc = json_object();
    json_t *arr;
    json_t *ext;
    char version[16];
    size_t i;

    WH_ASSERT(doc != NULL);
    put_str(doc, "uri", rec->uri);
    put_str(doc, "type", rec->type != NULL ? rec->type : "text");
    snprintf(version, sizeof(version), "%u",
             rec->version != 0 ? rec->version : 1u);
    put_str(doc, "version", version);
    for (i = 0; i < WH_ARRAY_SIZE(top_dates); i++) {
        put_str(doc, top_dates[i].name, *cstr_field(rec, top_dates[i].offset));
    }

    arr = json_array();
    WH_ASSERT(arr != NULL);
    add_text(arr, "main", NULL, rec->headline);
    add_text(arr, "sub", NULL, rec->subheadline);
    put_array(doc, "headlines", arr);

    arr = json_array();
    WH_ASSERT(arr != NULL);
    add_text(arr, "summary", NULL, rec->description);
    put_array(doc, "descriptions", arr);

    arr = json_array();
    WH_ASSERT(arr != NULL);
    add_text(arr, "main", "text/plain", rec->body_text);
    if (rec->body_text != NULL) {
        /* the text/plain body is the last item appended */
        json_t *body = json_array_get(arr, json_array_size(arr) - 1);

        if (rec->body_chars > 0) {
            put(body, "charCount", json_integer(rec->body_chars));
        }
        if (rec->body_words > 0) {
            put(body, "wordCount", json_integer(rec->body_words));
        }
    }
    add_text(arr, "main", "text/html", rec->body_html);
    put_array(doc, "bodies", arr);

    put_str(doc, "by", rec->by);
    put_others(doc, rec->extra, top_known, WH_ARRAY_SIZE(top_known));

    ext = ext_to_json(rec);
    if (json_object_size(ext) > 0) {
        put(doc, WH_RECORD_EXT, ext);
    } else {
        json_decref(ext);
    }
    return doc;
}

/* ---- direct serialization ----
 *
 * wh_record_dump() writes the text json_dumps(wh_record_to_json(rec),
 * JSON_COMPACT | JSON_PRESERVE_ORDER) would, byte for byte, without
 * building and deep-copying the document first (that cost more than the
 * writing itself on an enriched record). It follows jansson 2.14's
 * dump.c: compact separators, members in insertion order, strings
 * escaped as dump_string() does without JSON_ENSURE_ASCII and
 * JSON_ESCAPE_SLASH (\\, \", \b, \f, \n, \r, \t, other controls
 * \u00XX in upper case, everything else as is), integers with
 * JSON_INTEGER_FORMAT; reals are left to jansson. Invalid UTF-8 becomes
 * U+FFFD, as jstr() does for the struct's strings (jansson refuses to
 * dump such a json_t string at all). */

static void out(struct wh_buf *b, const char *s, size_t len)
{
    /* most pieces are a few bytes and fit: copied here, without a call
     * (room within cap is within the buffer's maximum, and len > 0
     * implies data is allocated) */
    if (len < b->cap - b->len) {
        memcpy(b->data + b->len, s, len);
        b->len += len;
        b->data[b->len] = '\0';
        return;
    }
    WH_ASSERT(wh_buf_append(b, s, len) == WH_OK);
}

/* A string literal without its NUL. */
#define OUT_LIT(b, lit) out((b), (lit), sizeof(lit) - 1)

/* s[0..len) as a JSON string. */
static void out_str(struct wh_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;
    size_t i = 0;

    OUT_LIT(b, "\"");
    while (i < len) {
        unsigned char c;
        size_t n;
        char esc[6];
        size_t esc_len = 2;

        while (len - i >= 8 && wh_json_plain8(p + i)) {
            i += 8; /* most text: eight bytes at a time */
        }
        if (i >= len) {
            break;
        }
        c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            n = wh_utf8_valid(p + i, len - i);
            if (n > 0) {
                i += n;
                continue;
            }
            out(b, s + run, i - run);
            OUT_LIT(b, "\xef\xbf\xbd");
            run = ++i;
            continue;
        }
        esc[0] = '\\';
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xF];
            esc_len = 6;
            break;
        }
        out(b, s + run, i - run);
        out(b, esc, esc_len);
        run = ++i;
    }
    out(b, s + run, len - run);
    OUT_LIT(b, "\"");
}

static void out_cstr(struct wh_buf *b, const char *s)
{
    out_str(b, s, strlen(s));
}

static void out_int(struct wh_buf *b, json_int_t v)
{
    char digits[24];
    size_t at = sizeof(digits);
    /* the magnitude in unsigned arithmetic: no overflow for the minimum */
    unsigned long long m =
        v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do {
        digits[--at] = (char)('0' + m % 10);
        m /= 10;
    } while (m > 0);
    if (v < 0) {
        digits[--at] = '-';
    }
    out(b, digits + at, sizeof(digits) - at);
}

/* ,"key": (the comma unless *first) */
static void out_key(struct wh_buf *b, int *first, const char *key,
                    size_t key_len)
{
    if (!*first) {
        OUT_LIT(b, ",");
    }
    *first = 0;
    out_str(b, key, key_len);
    OUT_LIT(b, ":");
}

static void out_json(struct wh_buf *b, const json_t *v);

/* One member of a json_t object, from an iterator. The key is taken as
 * a C string, as wh_record_to_json()'s json_object_set_new() takes it (a
 * key with a NUL in it is cut there). */
static void out_member(struct wh_buf *b, int *first, void *iter)
{
    const char *key = json_object_iter_key(iter);

    out_key(b, first, key, strlen(key));
    out_json(b, json_object_iter_value(iter));
}

static void out_json(struct wh_buf *b, const json_t *v)
{
    void *iter;
    size_t i;
    int first = 1;
    char real[64];
    size_t n;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        OUT_LIT(b, "{");
        for (iter = json_object_iter((json_t *)v); iter != NULL;
             iter = json_object_iter_next((json_t *)v, iter)) {
            out_member(b, &first, iter);
        }
        OUT_LIT(b, "}");
        break;
    case JSON_ARRAY:
        OUT_LIT(b, "[");
        for (i = 0; i < json_array_size(v); i++) {
            if (i > 0) {
                OUT_LIT(b, ",");
            }
            out_json(b, json_array_get(v, i));
        }
        OUT_LIT(b, "]");
        break;
    case JSON_STRING:
        out_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        out_int(b, json_integer_value(v));
        break;
    case JSON_TRUE:
        OUT_LIT(b, "true");
        break;
    case JSON_FALSE:
        OUT_LIT(b, "false");
        break;
    case JSON_REAL:
        /* jansson's own formatting ("%.17g", made to read as a real) */
        n = json_dumpb(v, real, sizeof(real), JSON_COMPACT | JSON_ENCODE_ANY);
        WH_ASSERT(n > 0 && n <= sizeof(real));
        out(b, real, n);
        break;
    case JSON_NULL:
    default:
        OUT_LIT(b, "null");
        break;
    }
}

/* The members of src (an object, else nothing) not named in known[]. */
static void out_others(struct wh_buf *b, int *first, const json_t *src,
                       const char *const *known, size_t n)
{
    void *iter;

    if (!json_is_object(src)) {
        return;
    }
    for (iter = json_object_iter((json_t *)src); iter != NULL;
         iter = json_object_iter_next((json_t *)src, iter)) {
        if (!is_known(json_object_iter_key(iter), known, n)) {
            out_member(b, first, iter);
        }
    }
}

/* ,"key":"s" when s is not NULL. */
static void out_str_member(struct wh_buf *b, int *first, const char *key,
                           const char *s)
{
    if (s != NULL) {
        out_key(b, first, key, strlen(key));
        out_cstr(b, s);
    }
}

/* {"role":role[,"contentType":ctype],"value":value - left open. */
static void out_text_open(struct wh_buf *b, const char *role, const char *ctype,
                          const char *value)
{
    OUT_LIT(b, "{\"role\":");
    out_cstr(b, role);
    if (ctype != NULL) {
        OUT_LIT(b, ",\"contentType\":");
        out_cstr(b, ctype);
    }
    OUT_LIT(b, ",\"value\":");
    out_cstr(b, value);
}

/* ,"name":[items] for the non-NULL values of a text array. */
static void out_texts(struct wh_buf *b, int *first, const char *name,
                      const char *role1, const char *v1, const char *role2,
                      const char *v2)
{
    if (v1 == NULL && v2 == NULL) {
        return;
    }
    out_key(b, first, name, strlen(name));
    OUT_LIT(b, "[");
    if (v1 != NULL) {
        out_text_open(b, role1, NULL, v1);
        OUT_LIT(b, "}");
    }
    if (v2 != NULL) {
        if (v1 != NULL) {
            OUT_LIT(b, ",");
        }
        out_text_open(b, role2, NULL, v2);
        OUT_LIT(b, "}");
    }
    OUT_LIT(b, "]");
}

static void out_bodies(struct wh_buf *b, int *first,
                       const struct wh_record *rec)
{
    if (rec->body_text == NULL && rec->body_html == NULL) {
        return;
    }
    out_key(b, first, "bodies", strlen("bodies"));
    OUT_LIT(b, "[");
    if (rec->body_text != NULL) {
        out_text_open(b, "main", "text/plain", rec->body_text);
        if (rec->body_chars > 0) {
            OUT_LIT(b, ",\"charCount\":");
            out_int(b, rec->body_chars);
        }
        if (rec->body_words > 0) {
            OUT_LIT(b, ",\"wordCount\":");
            out_int(b, rec->body_words);
        }
        OUT_LIT(b, "}");
    }
    if (rec->body_html != NULL) {
        if (rec->body_text != NULL) {
            OUT_LIT(b, ",");
        }
        out_text_open(b, "main", "text/html", rec->body_html);
        OUT_LIT(b, "}");
    }
    OUT_LIT(b, "]");
}

/* ,"wirehose":{...} unless it would be empty (never the first member:
 * "type" always precedes it). */
static void out_ext(struct wh_buf *b, const struct wh_record *rec)
{
    size_t mark = b->len;
    int first = 1;
    size_t i;

    OUT_LIT(b, ",\"" WH_RECORD_EXT "\":{");
    for (i = 0; i < WH_ARRAY_SIZE(ext_strings); i++) {
        /* httpStatus sits between finalUrl and contentHash. */
        if (strcmp(ext_strings[i].name, "contentHash") == 0 &&
            rec->http_status != 0) {
            out_key(b, &first, "httpStatus", strlen("httpStatus"));
            out_int(b, rec->http_status);
        }
        out_str_member(b, &first, ext_strings[i].name,
                       *cstr_field(rec, ext_strings[i].offset));
    }
    out_others(b, &first, rec->ext, ext_known, WH_ARRAY_SIZE(ext_known));
    if (first) {
        b->len = mark; /* nothing in it */
        b->data[b->len] = '\0';
        return;
    }
    OUT_LIT(b, "}");
}

static size_t text_len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

char *wh_record_dump(const struct wh_record *rec)
{
    struct wh_buf b;
    char version[16];
    int first = 1;
    size_t i;

    /* most of a record is its text and the enrichers' evidence: one
     * allocation in the common case */
    wh_buf_init(&b, 0);
    b.cap = 8192 + text_len(rec->headline) + text_len(rec->subheadline) +
            text_len(rec->description) + text_len(rec->body_text) +
            text_len(rec->body_html);
    b.data = wh_xmalloc(b.cap);
    OUT_LIT(&b, "{");
    out_str_member(&b, &first, "uri", rec->uri);
    out_str_member(&b, &first, "type", rec->type != NULL ? rec->type : "text");
    snprintf(version, sizeof(version), "%u",
             rec->version != 0 ? rec->version : 1u);
    out_str_member(&b, &first, "version", version);
    for (i = 0; i < WH_ARRAY_SIZE(top_dates); i++) {
        out_str_member(&b, &first, top_dates[i].name,
                       *cstr_field(rec, top_dates[i].offset));
    }
    out_texts(&b, &first, "headlines", "main", rec->headline, "sub",
              rec->subheadline);
    out_texts(&b, &first, "descriptions", "summary", rec->description, NULL,
              NULL);
    out_bodies(&b, &first, rec);
    out_str_member(&b, &first, "by", rec->by);
    out_others(&b, &first, rec->extra, top_known, WH_ARRAY_SIZE(top_known));
    out_ext(&b, rec);
    OUT_LIT(&b, "}");
    return wh_buf_steal(&b);
}

/* Copies a string member into *dst; null means absent. */
static int take_str(const json_t *v, const char *name, char **dst, char *errstr,
                    size_t errstr_size)
{
    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        wh_errf(errstr, errstr_size, "\"%s\": expected a string, got %s", name,
                wh_json_kind(v));
        return -1;
    }
    free(*dst);
    *dst = wh_xstrndup(json_string_value(v), json_string_length(v));
    return 0;
}

static int take_version(const json_t *v, unsigned *dst, char *errstr,
                        size_t errstr_size)
{
    const char *s;
    char *end = NULL;
    unsigned long n;

    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        wh_errf(errstr, errstr_size, "\"version\": expected a string, got %s",
                wh_json_kind(v));
        return -1;
    }
    s = json_string_value(v);
    n = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || n > UINT_MAX) {
        wh_errf(errstr, errstr_size,
                "\"version\": \"%s\" is not a decimal counter", s);
        return -1;
    }
    *dst = (unsigned)n;
    return 0;
}

enum text_kind { TEXT_HEADLINES, TEXT_DESCRIPTIONS, TEXT_BODIES };

/* Where an item of headlines / descriptions / bodies goes; NULL for the
 * roles and content types the record does not hold (they are dropped). */
static char **text_dest(struct wh_record *rec, enum text_kind kind,
                        const char *role, const char *ctype)
{
    switch (kind) {
    case TEXT_HEADLINES:
        if (role == NULL || strcmp(role, "main") == 0) {
            return &rec->headline;
        }
        if (strcmp(role, "sub") == 0) {
            return &rec->subheadline;
        }
        return NULL;
    case TEXT_DESCRIPTIONS:
        if (role == NULL || strcmp(role, "summary") == 0) {
            return &rec->description;
        }
        return NULL;
    case TEXT_BODIES:
    default:
        if (ctype == NULL || strcmp(ctype, "text/plain") == 0) {
            return &rec->body_text;
        }
        if (strcmp(ctype, "text/html") == 0) {
            return &rec->body_html;
        }
        return NULL;
    }
}

/* charCount / wordCount of the text/plain body: non-negative integers. */
static int take_counts(struct wh_record *rec, const json_t *item,
                       const char *name, size_t i, char *errstr,
                       size_t errstr_size)
{
    static const char *const members[] = {"charCount", "wordCount"};
    long *dst[2];
    const json_t *v;
    size_t k;

    dst[0] = &rec->body_chars;
    dst[1] = &rec->body_words;
    for (k = 0; k < 2; k++) {
        v = json_object_get(item, members[k]);
        if (v == NULL || json_is_null(v)) {
            continue;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            wh_errf(errstr, errstr_size,
                    "\"%s\"[%zu]: \"%s\" must be a non-negative integer", name,
                    i, members[k]);
            return -1;
        }
        *dst[k] = (long)json_integer_value(v);
    }
    return 0;
}

static int take_texts(struct wh_record *rec, const json_t *arr,
                      const char *name, enum text_kind kind, char *errstr,
                      size_t errstr_size)
{
    const json_t *item;
    const json_t *role;
    const json_t *ctype;
    const json_t *value;
    char **dst;
    size_t i;

    if (json_is_null(arr)) {
        return 0;
    }
    if (!json_is_array(arr)) {
        wh_errf(errstr, errstr_size, "\"%s\": expected an array, got %s", name,
                wh_json_kind(arr));
        return -1;
    }
    for (i = 0; i < json_array_size(arr); i++) {
        item = json_array_get(arr, i);
        if (!json_is_object(item)) {
            wh_errf(errstr, errstr_size,
                    "\"%s\"[%zu]: expected an object, got %s", name, i,
                    wh_json_kind(item));
            return -1;
        }
        role = json_object_get(item, "role");
        ctype = json_object_get(item, "contentType");
        value = json_object_get(item, "value");
        if ((role != NULL && !json_is_string(role)) ||
            (ctype != NULL && !json_is_string(ctype)) ||
            !json_is_string(value)) {
            wh_errf(errstr, errstr_size,
                    "\"%s\"[%zu]: \"value\", \"role\" and \"contentType\" "
                    "must be strings (\"value\" is required)",
                    name, i);
            return -1;
        }
        dst = text_dest(rec, kind, json_string_value(role),
                        json_string_value(ctype));
        /* The first item of a role wins. */
        if (dst != NULL && *dst == NULL) {
            *dst = wh_xstrndup(json_string_value(value),
                               json_string_length(value));
            if (dst == &rec->body_text &&
                take_counts(rec, item, name, i, errstr, errstr_size) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* A member value kept by the record: a reference when the document is
 * the parser's own (steal), a copy when it is the caller's. */
static json_t *keep(const json_t *value, int steal)
{
    return steal ? json_incref((json_t *)value) : json_deep_copy(value);
}

static int take_ext(struct wh_record *rec, const json_t *obj, int steal,
                    char *errstr, size_t errstr_size)
{
    const char *key;
    json_t *value;
    json_int_t status;
    size_t i;

    if (json_is_null(obj)) {
        return 0;
    }
    if (!json_is_object(obj)) {
        wh_errf(errstr, errstr_size, "\"%s\": expected an object, got %s",
                WH_RECORD_EXT, wh_json_kind(obj));
        return -1;
    }
    json_object_foreach ((json_t *)obj, key, value) {
        for (i = 0; i < WH_ARRAY_SIZE(ext_strings); i++) {
            if (strcmp(key, ext_strings[i].name) == 0) {
                break;
            }
        }
        if (i < WH_ARRAY_SIZE(ext_strings)) {
            if (take_str(value, key, str_field(rec, ext_strings[i].offset),
                         errstr, errstr_size) != 0) {
                return -1;
            }
        } else if (strcmp(key, "httpStatus") == 0) {
            if (json_is_null(value)) {
                continue;
            }
            if (!json_is_integer(value)) {
                wh_errf(errstr, errstr_size,
                        "\"httpStatus\": expected an integer, got %s",
                        wh_json_kind(value));
                return -1;
            }
            status = json_integer_value(value);
            if (status < 0 || status > 999) {
                wh_errf(errstr, errstr_size,
                        "\"httpStatus\": %lld is out of range",
                        (long long)status);
                return -1;
            }
            rec->http_status = (int)status;
        } else {
            if (rec->ext == NULL) {
                rec->ext = json_object();
                WH_ASSERT(rec->ext != NULL);
            }
            put(rec->ext, key, keep(value, steal));
        }
    }
    return 0;
}

/* One top-level member. */
static int take_member(struct wh_record *rec, const char *key,
                       const json_t *value, int steal, char *errstr,
                       size_t errstr_size)
{
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(top_dates); i++) {
        if (strcmp(key, top_dates[i].name) == 0) {
            return take_str(value, key, str_field(rec, top_dates[i].offset),
                            errstr, errstr_size);
        }
    }
    if (strcmp(key, "uri") == 0) {
        return take_str(value, key, &rec->uri, errstr, errstr_size);
    }
    if (strcmp(key, "type") == 0) {
        return take_str(value, key, &rec->type, errstr, errstr_size);
    }
    if (strcmp(key, "by") == 0) {
        return take_str(value, key, &rec->by, errstr, errstr_size);
    }
    if (strcmp(key, "version") == 0) {
        return take_version(value, &rec->version, errstr, errstr_size);
    }
    if (strcmp(key, "headlines") == 0) {
        return take_texts(rec, value, key, TEXT_HEADLINES, errstr, errstr_size);
    }
    if (strcmp(key, "descriptions") == 0) {
        return take_texts(rec, value, key, TEXT_DESCRIPTIONS, errstr,
                          errstr_size);
    }
    if (strcmp(key, "bodies") == 0) {
        return take_texts(rec, value, key, TEXT_BODIES, errstr, errstr_size);
    }
    if (strcmp(key, WH_RECORD_EXT) == 0) {
        return take_ext(rec, value, steal, errstr, errstr_size);
    }
    if (rec->extra == NULL) {
        rec->extra = json_object();
        WH_ASSERT(rec->extra != NULL);
    }
    put(rec->extra, key, keep(value, steal));
    return 0;
}

/* wh_record_from_json(); steal: doc is the caller's to drop right after
 * (wh_record_parse()), so its values are referenced, not copied. */
static struct wh_record *from_json(const json_t *doc, int steal, char *errstr,
                                   size_t errstr_size)
{
    struct wh_record *rec = NULL;
    const char *key;
    json_t *value;

    if (!json_is_object(doc)) {
        wh_errf(errstr, errstr_size, "record: expected an object, got %s",
                doc != NULL ? wh_json_kind(doc) : "nothing");
        return NULL;
    }
    rec = wh_record_new();
    json_object_foreach ((json_t *)doc, key, value) {
        if (take_member(rec, key, value, steal, errstr, errstr_size) != 0) {
            goto fail;
        }
    }
    if (rec->uri == NULL || rec->uri[0] == '\0') {
        wh_errf(errstr, errstr_size, "\"uri\": missing or empty");
        goto fail;
    }
    return rec;
fail:
    wh_record_free(rec);
    return NULL;
}

struct wh_record *wh_record_from_json(const json_t *doc, char *errstr,
                                      size_t errstr_size)
{
    return from_json(doc, 0, errstr, errstr_size);
}

struct wh_record *wh_record_parse(const char *text, size_t len, char *errstr,
                                  size_t errstr_size)
{
    json_t *doc;
    struct wh_record *rec;

    doc = wh_json_parse(text, len, errstr, errstr_size);
    if (doc == NULL) {
        return NULL;
    }
    rec = from_json(doc, 1, errstr, errstr_size);
    json_decref(doc);
    return rec;
}

void wh_record_hash_body(struct wh_record *rec)
{
    free(rec->content_hash);
    rec->content_hash =
        rec->body_text != NULL ? wh_body_hash(rec->body_text) : NULL;
}

void wh_now_rfc3339(char out[21])
{
    wh_date_format(time(NULL), out);
}
