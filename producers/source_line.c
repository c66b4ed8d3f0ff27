/*
 * source_line.c - "[NAME ]URL[ OPTION...]", the syntax of one source (the
 * `source` key, --source, wirehose-sources import).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "source_line.h"
#include "wh/wh.h"

const struct wh_config_key source_option_keys[] = {
    WH_KEY_DURATION("interval_ms", NULL, 100, WH_NO_MAX, "ms",
                    "this source's poll.interval_ms"),
    WH_KEY_BOOL("tls_insecure", NULL,
                "do not verify this source's TLS certificate"),
    /* choices in the order of BODY_AUTO, BODY_PAGE, BODY_FEED */
    WH_KEY_ENUM("body", "auto", "auto|page|feed",
                "where an item's body comes from (docs/producer.md)"),
    WH_KEY_END,
};

void source_line_free(struct source_line *sl)
{
    free(sl->name);
    free(sl->url);
    memset(sl, 0, sizeof(*sl));
}

/* Parses one option after a source's URL, "NAME=VALUE" or a boolean
 * "NAME" alone, as source_option_keys declares it. */
static int option(struct source_line *sl, const char *opt, size_t len,
                  const char *origin, char *errstr, size_t errstr_size)
{
    const struct wh_config_key *k;
    const char *eq = memchr(opt, '=', len);
    char *name = wh_xstrndup(opt, eq != NULL ? (size_t)(eq - opt) : len);
    char *value = eq != NULL ? wh_xstrndup(eq + 1, len - (size_t)(eq - opt) - 1)
                             : wh_xstrdup("true");
    char reason[256];
    long long v = 0;
    int rc = WH_EINVAL;

    k = wh_config_key_find(source_option_keys, name);
    if (k == NULL) {
        snprintf(reason, sizeof(reason),
                 "unknown option (interval_ms=N, body=auto|page|feed or "
                 "tls_insecure)");
    } else if (k->type == WH_CONFIG_BOOL) {
        rc = wh_config_value_bool(k, value, &sl->tls_insecure, reason,
                                  sizeof(reason));
    } else if (k->type == WH_CONFIG_ENUM) {
        rc = wh_config_value_enum(k, value, &sl->body, reason, sizeof(reason));
    } else {
        rc = wh_config_value_int(k, value, &v, reason, sizeof(reason));
        sl->interval_ms = v;
    }
    if (rc != WH_OK) {
        snprintf(errstr, errstr_size, "%s: source: %s: %.*s: %s", origin,
                 sl->name, (int)len, opt, reason);
    }
    free(name);
    free(value);
    return rc;
}

static int url_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0 ||
           strncasecmp(url, "file://", 7) == 0;
}

int source_line_parse(const char *value, const char *origin,
                      struct source_line *out, char *errstr, size_t errstr_size)
{
    const char *w[2] = {NULL, NULL};
    size_t wl[2] = {0, 0};
    const char *s = value;
    int nw = 0;

    memset(out, 0, sizeof(*out));
    while (nw < 2) {
        s += strspn(s, " \t");
        if (*s == '\0') {
            break;
        }
        w[nw] = s;
        wl[nw] = strcspn(s, " \t");
        s += wl[nw];
        nw++;
    }
    if (nw == 0) {
        snprintf(errstr, errstr_size, "%s: source: empty", origin);
        return WH_EINVAL;
    }
    if (memmem(w[0], wl[0], "://", 3) != NULL || nw == 1) {
        out->url = wh_xstrndup(w[0], wl[0]);
        s = w[0] + wl[0];
    } else {
        out->url = wh_xstrndup(w[1], wl[1]);
        out->name = wh_xstrndup(w[0], wl[0]);
    }
    if (out->name == NULL) {
        out->name = wh_xstrdup(out->url);
    }
    if (!url_ok(out->url)) {
        snprintf(errstr, errstr_size,
                 "%s: source: %s: not an http://, https:// or file:// URL",
                 origin, out->url);
        source_line_free(out);
        return WH_EINVAL;
    }
    for (;;) {
        size_t n;

        s += strspn(s, " \t");
        if (*s == '\0') {
            break;
        }
        n = strcspn(s, " \t");
        if (option(out, s, n, origin, errstr, errstr_size) != WH_OK) {
            source_line_free(out);
            return WH_EINVAL;
        }
        s += n;
    }
    return WH_OK;
}
