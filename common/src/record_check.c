/*
 * record_check.c - the strict check of a record as it arrives at the
 * consumer (see wh_record_check() in wh/record.h): the IPTC ninjs 3.1
 * rules for every member present, and what the pipeline needs.
 *
 * The rules are written here from the schema, by kind of member: plain
 * strings, enumerations, RFC 3339 date-times, absolute URIs, the urgency
 * (1 to 9), arrays of text objects (headlines, descriptions, bodies:
 * "value" required, nothing else than role, contentType and, for bodies,
 * the counts), arrays of objects (people, subjects, ...: each an object
 * whose "uri", when present, is an absolute URI), and objects. A member
 * that ninjs 3.1 does not define (other than our extension object) is
 * refused, as the schema refuses it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wh/json.h"
#include "wh/record.h"
#include "wh/wh.h"

enum kind {
    K_STRING,
    K_ENUM,
    K_DATE,
    K_URI,
    K_URGENCY,
    K_TEXTS,   /* headlines, descriptions */
    K_BODIES,  /* bodies: texts with charCount and wordCount */
    K_OBJECTS, /* an array of objects */
    K_OBJECT,
    K_EXT /* our extension object */
};

struct rule {
    const char *name;
    enum kind kind;
    const char *choices; /* K_ENUM: "|a|b|" */
};

static const struct rule rules[] = {
    {"uri", K_URI, NULL},
    {"type", K_ENUM,
     "|text|audio|video|picture|graphic|composite|component|event|planning|"},
    {"representationType", K_ENUM, "|full|partial|"},
    {"profile", K_STRING, NULL},
    {"version", K_STRING, NULL},
    {"firstCreated", K_DATE, NULL},
    {"versionCreated", K_DATE, NULL},
    {"contentCreated", K_DATE, NULL},
    {"embargoedUntil", K_DATE, NULL},
    {"expires", K_DATE, NULL},
    {"pubStatus", K_ENUM, "|usable|withheld|canceled|"},
    {"urgency", K_URGENCY, NULL},
    {"copyrightHolder", K_STRING, NULL},
    {"copyrightNotice", K_STRING, NULL},
    {"usageTerms", K_STRING, NULL},
    {"edNote", K_STRING, NULL},
    {"language", K_STRING, NULL},
    {"title", K_STRING, NULL},
    {"by", K_STRING, NULL},
    {"slugline", K_STRING, NULL},
    {"located", K_STRING, NULL},
    {"headlines", K_TEXTS, NULL},
    {"descriptions", K_TEXTS, NULL},
    {"bodies", K_BODIES, NULL},
    {"people", K_OBJECTS, NULL},
    {"organisations", K_OBJECTS, NULL},
    {"places", K_OBJECTS, NULL},
    {"subjects", K_OBJECTS, NULL},
    {"events", K_OBJECTS, NULL},
    {"plannedCoverage", K_OBJECTS, NULL},
    {"objects", K_OBJECTS, NULL},
    {"infoSources", K_OBJECTS, NULL},
    {"renditions", K_OBJECTS, NULL},
    {"associations", K_OBJECTS, NULL},
    {"altIds", K_OBJECTS, NULL},
    {"trustIndicators", K_OBJECTS, NULL},
    {"genres", K_OBJECTS, NULL},
    {"eventDetails", K_OBJECT, NULL},
    {"standard", K_OBJECT, NULL},
    {"rightsInfo", K_OBJECT, NULL},
    {"digitalSourceType", K_OBJECT, NULL},
    {WH_RECORD_EXT, K_EXT, NULL},
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int wh_rfc3339_valid(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = digits(s, 4);
    int mo, d, h, mi, se;
    const char *p;

    if (y < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 1 || mo > 12 ||
        s[7] != '-' || (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 &&
         !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
        (s[10] != 'T' && s[10] != 't') || (h = digits(s + 11, 2)) < 0 ||
        h > 23 || s[13] != ':' || (mi = digits(s + 14, 2)) < 0 || mi > 59 ||
        s[16] != ':' || (se = digits(s + 17, 2)) < 0 || se > 60) {
        return 0;
    }
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            return 0;
        }
        while (is_digit(*p)) {
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        return p[1] == '\0';
    }
    if (*p != '+' && *p != '-') {
        return 0;
    }
    h = digits(p + 1, 2);
    mi = h >= 0 && p[3] == ':' ? digits(p + 4, 2) : -1;
    return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && p[6] == '\0';
}

int wh_uri_absolute(const char *s)
{
    size_t i;

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }
    for (i = 1; s[i] != ':'; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              c == '+' || c == '-' || c == '.')) {
            return 0;
        }
    }
    if (s[i + 1] == '\0') {
        return 0; /* nothing after the scheme */
    }
    for (i++; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' ||
            c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' ||
            c == '}') {
            return 0;
        }
    }
    return 1;
}

/* Where the check is: the output buffers and the path of the member being
 * checked, kept as its parts (name, index when >= 0, key when not NULL:
 * "bodies[0].value") and written out only when that member fails. */
struct where {
    char *field;
    size_t field_size;
    char *errstr;
    size_t errstr_size;
    const char *name; /* NULL: field is left as it is */
    long index;
    const char *key;
};

/* Writes the path of the member being checked into w->field and why it
 * fails into w->errstr. Returns WH_EINVAL. */
__attribute__((format(printf, 2, 3))) static int refuse(const struct where *w,
                                                        const char *fmt, ...)
{
    va_list ap;

    if (w->name != NULL) {
        if (w->index < 0 && w->key == NULL) {
            snprintf(w->field, w->field_size, "%s", w->name);
        } else if (w->index < 0) {
            snprintf(w->field, w->field_size, "%s.%s", w->name, w->key);
        } else if (w->key == NULL) {
            snprintf(w->field, w->field_size, "%s[%ld]", w->name, w->index);
        } else {
            snprintf(w->field, w->field_size, "%s[%ld].%s", w->name, w->index,
                     w->key);
        }
    }
    va_start(ap, fmt);
    vsnprintf(w->errstr, w->errstr_size, fmt, ap);
    va_end(ap);
    return WH_EINVAL;
}

#define FAIL(w, ...) refuse((w), __VA_ARGS__)

static int check_string(const struct where *w, const json_t *v)
{
    if (!json_is_string(v)) {
        return FAIL(w, "expected a string, got %s", wh_json_kind(v));
    }
    return WH_OK;
}

static int check_uri(const struct where *w, const json_t *v)
{
    if (check_string(w, v) != WH_OK) {
        return WH_EINVAL;
    }
    if (!wh_uri_absolute(json_string_value(v))) {
        return FAIL(w, "not an absolute URI: \"%.80s\"", json_string_value(v));
    }
    return WH_OK;
}

static int check_date(const struct where *w, const json_t *v)
{
    if (check_string(w, v) != WH_OK) {
        return WH_EINVAL;
    }
    if (!wh_rfc3339_valid(json_string_value(v))) {
        return FAIL(w, "not an RFC 3339 date-time: \"%.80s\"",
                    json_string_value(v));
    }
    return WH_OK;
}

/* Sets the path of member key (NULL: none) of item i (< 0: none) of name. */
static void path(struct where *w, const char *name, long i, const char *key)
{
    w->name = name;
    w->index = i;
    w->key = key;
}

/* headlines, descriptions, bodies: objects with a string "value" and
 * only the members ninjs defines. */
static int check_texts(struct where *w, const char *name, const json_t *v,
                       int bodies)
{
    size_t i;
    const json_t *item;

    if (!json_is_array(v)) {
        return FAIL(w, "expected an array, got %s", wh_json_kind(v));
    }
    json_array_foreach (v, i, item) {
        const char *key;
        const json_t *m;

        path(w, name, (long)i, NULL);
        if (!json_is_object(item)) {
            return FAIL(w, "expected an object, got %s", wh_json_kind(item));
        }
        if (json_object_get(item, "value") == NULL) {
            path(w, name, (long)i, "value");
            return FAIL(w, "missing");
        }
        json_object_foreach ((json_t *)item, key, m) {
            path(w, name, (long)i, key);
            if (strcmp(key, "value") == 0 || strcmp(key, "role") == 0 ||
                strcmp(key, "contentType") == 0) {
                if (check_string(w, m) != WH_OK) {
                    return WH_EINVAL;
                }
            } else if (bodies && (strcmp(key, "charCount") == 0 ||
                                  strcmp(key, "wordCount") == 0)) {
                if (!json_is_integer(m) || json_integer_value(m) < 0) {
                    return FAIL(w, "expected a count, got %s", wh_json_kind(m));
                }
            } else {
                return FAIL(w, "not a ninjs 3.1 property");
            }
        }
    }
    return WH_OK;
}

/* people, subjects, ...: objects; a "uri" or "href" an absolute URI. */
static int check_objects(struct where *w, const char *name, const json_t *v)
{
    size_t i;
    const json_t *item;

    if (!json_is_array(v)) {
        return FAIL(w, "expected an array, got %s", wh_json_kind(v));
    }
    json_array_foreach (v, i, item) {
        const json_t *uri;

        path(w, name, (long)i, NULL);
        if (!json_is_object(item)) {
            return FAIL(w, "expected an object, got %s", wh_json_kind(item));
        }
        uri = json_object_get(item, "uri");
        if (uri != NULL) {
            path(w, name, (long)i, "uri");
            if (check_uri(w, uri) != WH_OK) {
                return WH_EINVAL;
            }
        }
        if (json_object_get(item, "name") != NULL) {
            path(w, name, (long)i, "name");
            if (check_string(w, json_object_get(item, "name")) != WH_OK) {
                return WH_EINVAL;
            }
        }
    }
    return WH_OK;
}

/* Our extension object: the types of the members common/schema/
 * wirehose-ext.schema.json declares, when present. */
static int check_ext(struct where *w, const json_t *v)
{
    static const char *const strings[] = {"source", "contentHash",
                                          "extractorVersion"};
    const json_t *m;
    size_t i;

    if (!json_is_object(v)) {
        return FAIL(w, "expected an object, got %s", wh_json_kind(v));
    }
    for (i = 0; i < WH_ARRAY_SIZE(strings); i++) {
        m = json_object_get(v, strings[i]);
        path(w, WH_RECORD_EXT, -1, strings[i]);
        if (m != NULL && check_string(w, m) != WH_OK) {
            return WH_EINVAL;
        }
    }
    m = json_object_get(v, "fetchedAt");
    path(w, WH_RECORD_EXT, -1, "fetchedAt");
    if (m != NULL && check_date(w, m) != WH_OK) {
        return WH_EINVAL;
    }
    m = json_object_get(v, "finalUrl");
    path(w, WH_RECORD_EXT, -1, "finalUrl");
    if (m != NULL && check_uri(w, m) != WH_OK) {
        return WH_EINVAL;
    }
    m = json_object_get(v, "httpStatus");
    path(w, WH_RECORD_EXT, -1, "httpStatus");
    if (m != NULL && (!json_is_integer(m) || json_integer_value(m) < 0 ||
                      json_integer_value(m) > 599)) {
        return FAIL(w, "expected an HTTP status (0 to 599)");
    }
    return WH_OK;
}

/* Whether s is one of choices ("|a|b|"; s is compared on its first 60
 * bytes). */
static int in_choices(const char *choices, const char *s)
{
    size_t n = strnlen(s, 60);
    const char *p;

    if (memchr(s, '|', n) != NULL) {
        return 0; /* "a|b" is not a choice */
    }
    for (p = strchr(choices, '|'); p != NULL; p = strchr(p + 1, '|')) {
        if (strncmp(p + 1, s, n) == 0 && p[1 + n] == '|') {
            return 1;
        }
    }
    return 0;
}

static int check_member(struct where *w, const struct rule *r, const json_t *v)
{
    path(w, r->name, -1, NULL);
    switch (r->kind) {
    case K_STRING:
        return check_string(w, v);
    case K_ENUM:
        if (check_string(w, v) != WH_OK) {
            return WH_EINVAL;
        }
        if (!in_choices(r->choices, json_string_value(v))) {
            return FAIL(w, "\"%.60s\" is not one of %s", json_string_value(v),
                        r->choices);
        }
        return WH_OK;
    case K_DATE:
        return check_date(w, v);
    case K_URI:
        return check_uri(w, v);
    case K_URGENCY:
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > 9) {
            return FAIL(w, "expected an integer from 1 to 9");
        }
        return WH_OK;
    case K_TEXTS:
        return check_texts(w, r->name, v, 0);
    case K_BODIES:
        return check_texts(w, r->name, v, 1);
    case K_OBJECTS:
        return check_objects(w, r->name, v);
    case K_OBJECT:
        if (!json_is_object(v)) {
            return FAIL(w, "expected an object, got %s", wh_json_kind(v));
        }
        return WH_OK;
    case K_EXT:
        return check_ext(w, v);
    }
    return WH_OK;
}

/* A non-empty "value" in array name, of a text body (contentType absent
 * or text/plain) when bodies. */
static int has_text(const json_t *doc, const char *name, int bodies)
{
    const json_t *arr = json_object_get(doc, name);
    const json_t *item;
    size_t i;

    json_array_foreach (arr, i, item) {
        const char *value = json_string_value(json_object_get(item, "value"));
        const char *ct =
            json_string_value(json_object_get(item, "contentType"));

        if (value == NULL || value[strspn(value, " \t\r\n")] == '\0') {
            continue;
        }
        if (!bodies || ct == NULL || strncmp(ct, "text/plain", 10) == 0) {
            return 1;
        }
    }
    return 0;
}

int wh_record_check(const json_t *doc, char *field, size_t field_size,
                    char *errstr, size_t errstr_size)
{
    struct where w = {field, field_size, errstr, errstr_size, NULL, -1, NULL};
    const char *key;
    const json_t *v;
    size_t i;

    field[0] = '\0';
    if (!json_is_object(doc)) {
        return FAIL(&w, "a record is a JSON object");
    }
    if (json_object_get(doc, "uri") == NULL) {
        path(&w, "uri", -1, NULL);
        return FAIL(&w, "missing");
    }
    json_object_foreach ((json_t *)doc, key, v) {
        for (i = 0; i < WH_ARRAY_SIZE(rules); i++) {
            if (strcmp(rules[i].name, key) == 0) {
                break;
            }
        }
        if (i == WH_ARRAY_SIZE(rules)) {
            path(&w, key, -1, NULL);
            return FAIL(&w, "not a ninjs 3.1 property");
        }
        if (check_member(&w, &rules[i], v) != WH_OK) {
            return WH_EINVAL;
        }
    }
    if (!has_text(doc, "headlines", 0) && !has_text(doc, "bodies", 1)) {
        path(&w, "headlines", -1, NULL);
        return FAIL(&w, "neither a headline nor a text body");
    }
    return WH_OK;
}

void wh_record_mark_filled(struct wh_record *rec, const json_t *doc)
{
    static const char *const filled[] = {"type", "version"};
    json_t *list = NULL;
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(filled); i++) {
        if (json_object_get(doc, filled[i]) != NULL) {
            continue;
        }
        if (list == NULL) {
            list = json_array();
        }
        json_array_append_new(list, json_string(filled[i]));
    }
    if (list == NULL) {
        return;
    }
    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    json_object_set_new(rec->ext, "filled", list);
}
