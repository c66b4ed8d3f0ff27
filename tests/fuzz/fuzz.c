/*
 * fuzz.c - the fuzz targets' shared checks (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wh/date.h"
#include "wh/record.h"
#include "wh/wh.h"

void fuzz_abort(void)
{
    fputc('\n', stderr);
    abort();
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = wh_xmalloc(size + 1);

    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

void fuzz_split_line(const uint8_t *data, size_t size, size_t max, char **head,
                     const uint8_t **rest, size_t *rest_len)
{
    const uint8_t *nl = size > 0 ? memchr(data, '\n', size) : NULL;
    size_t n = nl != NULL ? (size_t)(nl - data) : size;

    *head = fuzz_strndup(data, n < max ? n : max);
    *rest = nl != NULL ? nl + 1 : data + size;
    *rest_len = nl != NULL ? size - n - 1 : 0;
}

/* jansson checks UTF-8 on its own (no overlongs, surrogates or code
 * points past U+10FFFF): an oracle apart from the code under test. */
int fuzz_utf8_valid(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);

    json_decref(j);
    return j != NULL;
}

void fuzz_check_utf8(const char *what, const char *s)
{
    if (s != NULL && !fuzz_utf8_valid(s, strlen(s))) {
        fuzz_fail("%s is not valid UTF-8", what);
    }
}

static int is_hash(const char *s)
{
    size_t i;

    if (strncmp(s, "xxh3:", 5) != 0 || strlen(s) != 21) {
        return 0;
    }
    for (i = 5; i < 21; i++) {
        if (strchr("0123456789abcdef", s[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

void fuzz_check_ext(const json_t *doc, int strict)
{
    static const char *const strings[] = {"source", "fetchedAt", "finalUrl",
                                          "contentHash", "extractorVersion"};
    const json_t *ext = json_object_get(doc, WH_RECORD_EXT);
    const json_t *v;
    time_t t;
    size_t i;

    if (ext == NULL) {
        if (strict) {
            fuzz_fail("record without \"%s\"", WH_RECORD_EXT);
        }
        return;
    }
    if (!json_is_object(ext)) {
        fuzz_fail("\"%s\" is not an object", WH_RECORD_EXT);
    }
    for (i = 0; i < WH_ARRAY_SIZE(strings); i++) {
        v = json_object_get(ext, strings[i]);
        if (v != NULL && !json_is_string(v)) {
            fuzz_fail("\"%s\" is not a string", strings[i]);
        }
    }
    v = json_object_get(ext, "httpStatus");
    if (v != NULL && !json_is_integer(v)) {
        fuzz_fail("\"httpStatus\" is not an integer");
    }
    if (!strict) {
        return;
    }
    v = json_object_get(ext, "source");
    if (v == NULL || json_string_length(v) == 0) {
        fuzz_fail("\"source\" missing or empty");
    }
    v = json_object_get(ext, "fetchedAt");
    if (v == NULL || wh_date_parse(json_string_value(v), &t) != WH_OK) {
        fuzz_fail("\"fetchedAt\" missing or not a date");
    }
    v = json_object_get(ext, "contentHash");
    if (v == NULL || !is_hash(json_string_value(v))) {
        fuzz_fail("\"contentHash\" missing or not xxh3:<16 hex>");
    }
    v = json_object_get(ext, "httpStatus");
    if (v != NULL &&
        (json_integer_value(v) < 0 || json_integer_value(v) > 599)) {
        fuzz_fail("\"httpStatus\" outside 0..599");
    }
    v = json_object_get(ext, "extractorVersion");
    if (v != NULL && json_string_length(v) == 0) {
        fuzz_fail("\"extractorVersion\" empty");
    }
}

json_t *fuzz_check_roundtrip(const struct wh_record *rec)
{
    char err[256];
    char *once = wh_record_dump(rec);
    struct wh_record *back;
    char *twice;
    json_t *doc;
    json_error_t jerr;

    back = wh_record_parse(once, strlen(once), err, sizeof(err));
    if (back == NULL) {
        fuzz_fail("a dumped record does not parse back: %s", err);
    }
    twice = wh_record_dump(back);
    if (strcmp(once, twice) != 0) {
        fuzz_fail("a dumped record parses back to another dump:\n%s\n%s", once,
                  twice);
    }
    doc = json_loads(once, 0, &jerr);
    if (doc == NULL) {
        fuzz_fail("a dump is not JSON: %s", jerr.text);
    }
    free(twice);
    free(once);
    wh_record_free(back);
    return doc;
}

static double cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of one run of the target on data. */
static double timed_run(const uint8_t *data, size_t size)
{
    double t0 = cpu_seconds();

    (void)fuzz_target.run(data, size);
    return cpu_seconds() - t0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int off = -1;
    double limit = fuzz_target.base_ms / 1e3 +
                   fuzz_target.us_per_kb / 1e6 * (double)size / 1024.0;
    double spent = timed_run(data, size);

    if (off < 0) {
        const char *e = getenv("FUZZ_BUDGET");

        off = e != NULL && strcmp(e, "0") == 0;
    }
    if (!off && spent > limit) {
        double again = timed_run(data, size);

        if (again > limit) {
            fuzz_fail("%s: %.1f ms of CPU for %zu bytes, then %.1f ms "
                      "(budget %.1f ms)",
                      fuzz_target.name, spent * 1e3, size, again * 1e3,
                      limit * 1e3);
        }
    }
    return 0;
}
