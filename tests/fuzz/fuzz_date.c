/*
 * fuzz_date.c - date parsing (common/src/date.c). Invariants: a parsed
 * date formats to RFC 3339 that parses back to the same instant, and
 * wh_date_normalize() is a fixed point.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "wh/date.h"
#include "wh/wh.h"

static int run(const uint8_t *data, size_t size)
{
    char *in = fuzz_strndup(data, size);
    char out[21];
    char *norm;
    time_t t;
    time_t back;

    if (wh_date_parse(in, &t) == WH_OK) {
        wh_date_format(t, out);
        if (wh_date_parse(out, &back) != WH_OK || back != t) {
            fuzz_fail("%s formats as %s, which does not parse back", in, out);
        }
    }
    norm = wh_date_normalize(in);
    if (norm != NULL) {
        char *again = wh_date_normalize(norm);

        if (again == NULL || strcmp(again, norm) != 0) {
            fuzz_fail("normalize(%s) is not a fixed point", norm);
        }
        free(again);
    }
    free(norm);
    free(in);
    return 0;
}

const struct fuzz_target fuzz_target = {"date", run, 50, 200};
