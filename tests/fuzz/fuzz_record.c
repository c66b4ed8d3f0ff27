/*
 * fuzz_record.c - records as the consumer reads them from Kafka
 * (wh_record_parse, common/src/record.c). Invariants: a record that
 * parses dumps, parses back to the same dump, and its extension object
 * has the types of common/schema/wirehose-ext.schema.json; the JSON
 * reader under it (wh_json_parse, common/src/json.c) accepts exactly
 * what jansson's json_loadb() accepts and builds an equal tree; the time
 * is linear.
 */
#include "fuzz.h"
#include "wh/json.h"
#include "wh/record.h"

/* wh_json_parse() against jansson's own reader, which it replaces on the
 * consumer's hot path: same verdict, equal trees. */
static void check_like_jansson(const uint8_t *data, size_t size)
{
    char err[256];
    json_error_t jerr;
    json_t *ours = wh_json_parse((const char *)data, size, err, sizeof(err));
    json_t *theirs =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

    if ((ours == NULL) != (theirs == NULL)) {
        fuzz_fail("wh_json_parse %s what json_loadb %s (%s / %s)",
                  ours != NULL ? "accepts" : "refuses",
                  theirs != NULL ? "accepts" : "refuses",
                  ours != NULL ? "-" : err, theirs != NULL ? "-" : jerr.text);
    }
    if (ours != NULL && !json_equal(ours, theirs)) {
        fuzz_fail("wh_json_parse and json_loadb build different trees");
    }
    json_decref(ours);
    json_decref(theirs);
}

static int run(const uint8_t *data, size_t size)
{
    char err[256];
    struct wh_record *rec =
        wh_record_parse((const char *)data, size, err, sizeof(err));

    check_like_jansson(data, size);
    if (rec != NULL) {
        json_t *doc = fuzz_check_roundtrip(rec);

        fuzz_check_ext(doc, 0);
        json_decref(doc);
        wh_record_free(rec);
    }
    return 0;
}

const struct fuzz_target fuzz_target = {"record", run, 50, 500};
