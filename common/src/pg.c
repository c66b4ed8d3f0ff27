/*
 * pg.c - connection strings checked by libpq (see pg.h).
 */
#include "wh/pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "wh/wh.h"

int wh_pg_conninfo_check(const char *conninfo, char *errstr, size_t errstr_size)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    size_t n;

    if (opts != NULL) {
        PQconninfoFree(opts);
        return WH_OK;
    }
    /* libpq's message ends with a newline; it names the keyword, never a
     * value. */
    n = msg != NULL ? strcspn(msg, "\n") : 0;
    snprintf(errstr, errstr_size, "bad connection string: %.*s", (int)n,
             msg != NULL ? msg : "out of memory");
    PQfreemem(msg);
    return WH_EINVAL;
}
