/*
 * fuzz_record.c - records as the consumer reads them from Kafka
 * (wh_record_parse, common/src/record.c). Invariants: a record that
 * parses dumps, parses back to the same dump, and its extension object
 * has the types of common/schema/wirehose-ext.schema.json; the time is
 * linear.
 */
#include "fuzz.h"
#include "wh/record.h"

static int run(const uint8_t *data, size_t size)
{
    char err[256];
    struct wh_record *rec =
        wh_record_parse((const char *)data, size, err, sizeof(err));

    if (rec != NULL) {
        json_t *doc = fuzz_check_roundtrip(rec);

        fuzz_check_ext(doc, 0);
        json_decref(doc);
        wh_record_free(rec);
    }
    return 0;
}

const struct fuzz_target fuzz_target = {"record", run, 50, 500};
