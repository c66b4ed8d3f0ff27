/*
 * source_line.h - one source as the `source` key writes it,
 * "[NAME ]URL[ OPTION...]", parsed into its parts. Shared by the
 * producer's settings (settings.c) and wirehose-sources (sources_cmd.c),
 * which stores the same settings in the sources topic. Needs only
 * libwh_common.
 */
#ifndef WH_SOURCE_LINE_H
#define WH_SOURCE_LINE_H

#include <stddef.h>

#include "wh/config.h"

/* The options a source line may carry after its URL. */
extern const struct wh_config_key source_option_keys[];

struct source_line {
    char *name;            /* NAME, else a copy of the URL */
    char *url;             /* http://, https:// or file:// */
    long long interval_ms; /* interval_ms=N, or 0: poll.interval_ms */
    int tls_insecure;      /* tls_insecure */
    int body;              /* body=: BODY_* of assemble.h, 0 = auto */
};

/* Parses value, one source line; origin ("FILE:LINE") starts an error.
 * Returns WH_OK with out filled (free with source_line_free), else
 * WH_EINVAL with errstr "origin: source: ...: reason" and out empty. */
int source_line_parse(const char *value, const char *origin,
                      struct source_line *out, char *errstr,
                      size_t errstr_size);

/* Frees what out holds and zeroes it. */
void source_line_free(struct source_line *sl);

#endif
